//! Dates as feeds and pages write them: RFC 3339, RFC 2822 (with the usual slips), Unix
//! seconds, and the forms people read (`2020/1/10 14:33:00`, `21.01.2009, 05:42`,
//! `25 November 2026`, `27. September 2018 um 14:51 Uhr`, `Nov 25, 2026 10:00`), in English
//! and German. Best effort: a date found inside longer text counts; without a zone the time is
//! taken as UTC; nothing recognisable gives `None`.

use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use regex::{Captures, Regex};

/// Years outside this range are taken for misreadings (a post count, a price).
const YEARS: std::ops::RangeInclusive<i32> = 1990..=2100;

/// Parses `text` as a date, or finds the first date inside it.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() || text.len() > 4096 {
        return None;
    }
    whole(text).or_else(|| embedded(text)).filter(|at| YEARS.contains(&chrono::Datelike::year(at)))
}

/// The standard forms, for a text that is only a date.
fn whole(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    if let Ok(at) = DateTime::parse_from_rfc2822(text) {
        return Some(at.with_timezone(&Utc));
    }
    // RFC 2822 with a weekday that does not fit the date, or none at all.
    if let Some((_, rest)) = text.split_once(',')
        && let Ok(at) = DateTime::parse_from_rfc2822(rest.trim())
    {
        return Some(at.with_timezone(&Utc));
    }
    // Unix seconds or milliseconds (XenForo's `data-time`).
    if text.bytes().all(|b| b.is_ascii_digit()) && (9..=13).contains(&text.len()) {
        let number: i64 = text.parse().ok()?;
        let seconds = if text.len() > 11 { number / 1000 } else { number };
        return DateTime::from_timestamp(seconds, 0);
    }
    None
}

struct Patterns {
    iso: Regex,
    ymd: Regex,
    dmy: Regex,
    day_month: Regex,
    month_day: Regex,
}

fn patterns() -> &'static Patterns {
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let time = r"(?:[,\s]+(?:um|at|-)?\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([ap]\.?m\.?)?)?";
        let build = |pattern: String| Regex::new(&pattern).expect("the date patterns are valid");
        Patterns {
            iso: build(
                r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?"
                    .to_owned(),
            ),
            ymd: build(format!(r"\b(\d{{4}})/(\d{{1,2}})/(\d{{1,2}})\b{time}")),
            dmy: build(format!(r"\b(\d{{1,2}})\.(\d{{1,2}})\.(\d{{4}})\b{time}")),
            day_month: build(format!(
                r"(?i)\b(\d{{1,2}})(?:\.|st|nd|rd|th)?\s+(\p{{L}}{{3,9}})\.?,?\s+(\d{{4}})\b{time}"
            )),
            month_day: build(format!(r"(?i)\b(\p{{L}}{{3,9}})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b{time}")),
        }
    })
}

/// The month a name stands for (English and German, full or abbreviated).
fn month(name: &str) -> Option<u32> {
    let name = name.to_lowercase();
    let months: [&[&str]; 12] = [
        &["jan", "january", "januar", "jänner", "jän"],
        &["feb", "february", "februar"],
        &["mar", "march", "märz", "mär", "maerz", "mrz"],
        &["apr", "april"],
        &["may", "mai"],
        &["jun", "june", "juni"],
        &["jul", "july", "juli"],
        &["aug", "august"],
        &["sep", "sept", "september"],
        &["oct", "october", "okt", "oktober"],
        &["nov", "november"],
        &["dec", "december", "dez", "dezember"],
    ];
    months.iter().position(|names| names.contains(&name.as_str())).and_then(|index| u32::try_from(index + 1).ok())
}

fn number(captures: &Captures<'_>, index: usize) -> Option<u32> {
    captures.get(index)?.as_str().parse().ok()
}

/// The time captured from `first` on (hour, minute, second, am/pm), midnight when absent.
fn time_of_day(captures: &Captures<'_>, first: usize) -> Option<NaiveTime> {
    let Some(mut hour) = number(captures, first) else { return NaiveTime::from_hms_opt(0, 0, 0) };
    let minute = number(captures, first + 1)?;
    let second = number(captures, first + 2).unwrap_or(0);
    if let Some(meridiem) = captures.get(first + 3) {
        let pm = meridiem.as_str().to_ascii_lowercase().starts_with('p');
        if hour == 0 || hour > 12 {
            return None;
        }
        hour = match (pm, hour) {
            (false, 12) => 0,
            (true, 12) => 12,
            (true, hour) => hour + 12,
            (false, hour) => hour,
        };
    }
    NaiveTime::from_hms_opt(hour, minute, second)
}

fn at(year: u32, month: u32, day: u32, time: NaiveTime) -> Option<DateTime<Utc>> {
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    Some(Utc.from_utc_datetime(&NaiveDateTime::new(date, time)))
}

/// The earliest date found inside `text`.
fn embedded(text: &str) -> Option<DateTime<Utc>> {
    let patterns = patterns();
    let mut found: Vec<(usize, DateTime<Utc>)> = Vec::new();
    for captures in patterns.iso.captures_iter(text) {
        if let Some(when) = iso(&captures) {
            found.push((captures.get(0).map_or(0, |m| m.start()), when));
            break;
        }
    }
    let mut first = |regex: &Regex, read: &dyn Fn(&Captures<'_>) -> Option<DateTime<Utc>>| {
        if let Some((start, when)) =
            regex.captures_iter(text).find_map(|c| read(&c).map(|when| (c.get(0).map_or(0, |m| m.start()), when)))
        {
            found.push((start, when));
        }
    };
    first(&patterns.ymd, &|c| at(number(c, 1)?, number(c, 2)?, number(c, 3)?, time_of_day(c, 4)?));
    first(&patterns.dmy, &|c| at(number(c, 3)?, number(c, 2)?, number(c, 1)?, time_of_day(c, 4)?));
    first(&patterns.day_month, &|c| at(number(c, 3)?, month(c.get(2)?.as_str())?, number(c, 1)?, time_of_day(c, 4)?));
    first(&patterns.month_day, &|c| at(number(c, 3)?, month(c.get(1)?.as_str())?, number(c, 2)?, time_of_day(c, 4)?));
    found.into_iter().min_by_key(|(start, _)| *start).map(|(_, when)| when)
}

fn iso(captures: &Captures<'_>) -> Option<DateTime<Utc>> {
    let time = match number(captures, 4) {
        Some(hour) => NaiveTime::from_hms_opt(hour, number(captures, 5)?, number(captures, 6).unwrap_or(0))?,
        None => NaiveTime::from_hms_opt(0, 0, 0)?,
    };
    let local = at(number(captures, 1)?, number(captures, 2)?, number(captures, 3)?, time)?;
    let Some(zone) = captures.get(7).map(|m| m.as_str()) else { return Some(local) };
    if zone == "Z" {
        return Some(local);
    }
    let digits: String = zone[1..].chars().filter(char::is_ascii_digit).collect();
    let hours: i32 = digits.get(..2)?.parse().ok()?;
    let minutes: i32 = digits.get(2..4)?.parse().ok()?;
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let offset = FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))?;
    let naive = local.naive_utc();
    Some(offset.from_local_datetime(&naive).single()?.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn utc(text: &str) -> String {
        parse(text).map_or_else(|| "none".to_owned(), |at| at.to_rfc3339())
    }

    #[test]
    fn standard_forms() {
        assert_eq!(utc("2017-06-27T00:54:17Z"), "2017-06-27T00:54:17+00:00");
        assert_eq!(utc("2017-04-07T12:20:50+10:30"), "2017-04-07T01:50:50+00:00");
        assert_eq!(utc("Thu, 22 Nov 2018 05:50:04 GMT"), "2018-11-22T05:50:04+00:00");
        assert_eq!(utc("Fri, 24 May 2019 00:00:00 -0700"), "2019-05-24T07:00:00+00:00");
        // A weekday that does not fit the date (real feeds do this) and none at all.
        assert_eq!(utc("Mon, 22 Nov 2018 05:50:04 GMT"), "2018-11-22T05:50:04+00:00");
        assert_eq!(utc("22 Nov 2018 05:50:04 +0000"), "2018-11-22T05:50:04+00:00");
        assert_eq!(utc("1538052669"), "2018-09-27T12:51:09+00:00");
        assert_eq!(utc("2019-08-23"), "2019-08-23T00:00:00+00:00");
        assert_eq!(utc("2018-09-27T14:51:09+0200"), "2018-09-27T12:51:09+00:00");
    }

    #[test]
    fn forms_people_read() {
        assert_eq!(utc("2020/1/10 14:33:00"), "2020-01-10T14:33:00+00:00");
        assert_eq!(utc("25 November 2026"), "2026-11-25T00:00:00+00:00");
        assert_eq!(utc("Nov 25, 2026 10:00"), "2026-11-25T10:00:00+00:00");
        assert_eq!(utc("November 25th, 2026 at 3:05 pm"), "2026-11-25T15:05:00+00:00");
        assert_eq!(utc("27. September 2018 um 14:51 Uhr"), "2018-09-27T14:51:00+00:00");
        assert_eq!(utc("10. März 2017"), "2017-03-10T00:00:00+00:00");
        assert_eq!(utc("03.03.2011,\u{a0}14:17"), "2011-03-03T14:17:00+00:00");
        // Inside longer text: the first date counts.
        assert_eq!(utc("Beitrag von r23 » 21.01.2009, 05:42 "), "2009-01-21T05:42:00+00:00");
        assert_eq!(
            utc(r#"{"publishedDate":"2016-11-04T20:37:27Z","updatedDate":"2016-11-04T20:39:47Z"}"#),
            "2016-11-04T20:37:27+00:00"
        );
    }

    #[test]
    fn nonsense_is_none() {
        for text in ["", "yesterday", "#661", "4'038 posts", "31.02.2020", "99/99/2020", "Nov 45, 2026", "12 Foo 2020"]
        {
            assert_eq!(utc(text), "none", "{text:?}");
        }
        assert!(parse(&"1".repeat(100_000)).is_none());
        assert!(parse("25 November 1066").is_none(), "years far off are misreadings");
    }
}
