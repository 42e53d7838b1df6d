//! Mention JSONL (DESIGN.md, "Mention JSONL") → mentions, one line at a time.
//!
//! Each line is read on its own, with a size cap, so one bad line (not JSON, invalid UTF-8,
//! a missing field, a bad date, a 2 GB line) is reported with its number and the rest of the
//! file still goes in. The whole line is kept as the mention's raw payload.

use std::io::BufRead;

use chrono::{DateTime, Utc};
use hark_core::contact::normalize_email;
use hark_core::text::html_to_text;
use hark_core::{Author, Engagement, Mention, Sentiment, SentimentScores, Signals, SourceKind, handle, url};
use serde::Deserialize;

/// Lines longer than this are skipped with an error rather than read into memory.
pub const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug, Deserialize)]
struct Record {
    source: String,
    external_id: ExternalId,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    author: Option<RecordAuthor>,
    #[serde(default)]
    title: Option<String>,
    text: String,
    #[serde(default)]
    published_at: Option<String>,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    thread_id: Option<String>,
    #[serde(default)]
    parent_id: Option<String>,
    #[serde(default)]
    score: Option<i64>,
    #[serde(default)]
    replies: Option<i64>,
    /// Scores from an earlier run or a hand-labelled test set; kept instead of scoring.
    #[serde(default)]
    signals: Option<RecordSignals>,
}

#[derive(Debug, Deserialize)]
struct RecordSignals {
    complaint: f32,
    intent: f32,
    #[serde(default)]
    sentiment_scores: Option<SentimentScores>,
    #[serde(default)]
    sentiment: Option<String>,
    #[serde(default)]
    cues: Vec<String>,
}

impl RecordSignals {
    fn into_signals(self) -> Result<Signals, String> {
        for (name, value) in [("complaint", self.complaint), ("intent", self.intent)] {
            if !(0.0..=1.0).contains(&value) {
                return Err(format!("signals.{name} must be a probability between 0 and 1"));
            }
        }
        let scores = match (self.sentiment_scores, self.sentiment.as_deref()) {
            (Some(scores), _) => scores,
            (None, Some(label)) => {
                let label: Sentiment = label.parse().map_err(|err| format!("signals.sentiment: {err}"))?;
                let pick = |wanted: Sentiment| if label == wanted { 1.0 } else { 0.0 };
                SentimentScores {
                    negative: pick(Sentiment::Negative),
                    neutral: pick(Sentiment::Neutral),
                    positive: pick(Sentiment::Positive),
                }
            }
            (None, None) => SentimentScores { negative: 0.0, neutral: 1.0, positive: 0.0 },
        };
        Ok(Signals {
            sentiment: scores.label(),
            sentiment_scores: scores,
            complaint: self.complaint,
            intent: self.intent,
            cues: self.cues,
            model_version: "from-file".to_owned(),
        })
    }
}

/// Exports write ids as strings or numbers.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ExternalId {
    Text(String),
    Number(i64),
}

#[derive(Debug, Default, Deserialize)]
struct RecordAuthor {
    #[serde(default)]
    handle: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    profile_url: Option<String>,
    #[serde(default)]
    reach: Option<i64>,
}

/// One line of a mention file: its number and what it held.
#[derive(Debug)]
pub struct Line {
    pub number: u64,
    pub bytes_read: usize,
    pub mention: Result<Mention, String>,
}

/// Reads mention lines from `reader`; every mention is filed under `source_id`.
#[derive(Debug)]
pub struct MentionFile<R> {
    reader: R,
    source_id: String,
    fetched_at: DateTime<Utc>,
    number: u64,
}

impl<R: BufRead> MentionFile<R> {
    pub fn new(reader: R, source_id: String, fetched_at: DateTime<Utc>) -> Self {
        Self { reader, source_id, fetched_at, number: 0 }
    }

    /// Reads up to the next newline, keeping at most `MAX_LINE_BYTES`. Returns the bytes
    /// consumed (0 at the end) and whether the line was cut.
    fn read_capped(&mut self, line: &mut Vec<u8>) -> std::io::Result<(usize, bool)> {
        let mut consumed = 0;
        let mut too_long = false;
        loop {
            let buffer = self.reader.fill_buf()?;
            if buffer.is_empty() {
                return Ok((consumed, too_long));
            }
            let (chunk, done) = match buffer.iter().position(|&b| b == b'\n') {
                Some(end) => (&buffer[..=end], true),
                None => (buffer, false),
            };
            let room = MAX_LINE_BYTES.saturating_sub(line.len());
            if chunk.len() > room {
                too_long = true;
            }
            line.extend_from_slice(&chunk[..chunk.len().min(room)]);
            let used = chunk.len();
            self.reader.consume(used);
            consumed += used;
            if done {
                return Ok((consumed, too_long));
            }
        }
    }
}

impl<R: BufRead> Iterator for MentionFile<R> {
    type Item = std::io::Result<Line>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let mut bytes = Vec::new();
            let (bytes_read, too_long) = match self.read_capped(&mut bytes) {
                Ok((0, _)) => return None,
                Ok(read) => read,
                Err(err) => return Some(Err(err)),
            };
            self.number += 1;
            let number = self.number;
            if too_long {
                let message = format!("line is longer than {} MiB; skipped", MAX_LINE_BYTES / (1024 * 1024));
                return Some(Ok(Line { number, bytes_read, mention: Err(message) }));
            }
            let text = match std::str::from_utf8(&bytes) {
                Ok(text) => text.trim(),
                Err(err) => {
                    let message = format!("not valid UTF-8 (byte {})", err.valid_up_to());
                    return Some(Ok(Line { number, bytes_read, mention: Err(message) }));
                }
            };
            let text = if number == 1 { text.trim_start_matches('\u{feff}') } else { text };
            if text.is_empty() {
                continue;
            }
            let mention = parse_line(text, &self.source_id, self.fetched_at);
            return Some(Ok(Line { number, bytes_read, mention }));
        }
    }
}

/// Turns one JSON line into a mention, or says what is wrong with it.
pub fn parse_line(line: &str, source_id: &str, fetched_at: DateTime<Utc>) -> Result<Mention, String> {
    let raw: serde_json::Value = serde_json::from_str(line).map_err(|err| format!("not JSON: {err}"))?;
    let record: Record = serde_json::from_value(raw.clone()).map_err(|err| err.to_string())?;
    let kind = SourceKind::parse(&record.source).map_err(|err| format!("source: {err}"))?;
    let external_id = match record.external_id {
        ExternalId::Text(id) => id.trim().to_owned(),
        ExternalId::Number(id) => id.to_string(),
    };
    if external_id.is_empty() {
        return Err("external_id must not be empty".to_owned());
    }
    let text = html_to_text(&record.text);
    let title = record.title.as_deref().map(html_to_text).filter(|title| !title.is_empty());
    if text.is_empty() && title.is_none() {
        return Err("text is empty".to_owned());
    }
    let published_at = record
        .published_at
        .as_deref()
        .map(|at| {
            DateTime::parse_from_rfc3339(at.trim())
                .map(|at| at.to_utc())
                .map_err(|err| format!("published_at {at:?} is not an RFC 3339 time ({err})"))
        })
        .transpose()?;
    let url = record
        .url
        .as_deref()
        .filter(|url| !url.trim().is_empty())
        .map(|raw| url::canonicalize(raw).map_err(|err| format!("url: {err}")))
        .transpose()?;
    let author = record.author.unwrap_or_default();
    let email = author
        .email
        .as_deref()
        .filter(|email| !email.trim().is_empty())
        .map(|email| normalize_email(email).ok_or_else(|| format!("author.email {email:?} is not an email address")))
        .transpose()?;
    let mut mention = Mention::new(kind, source_id, external_id, text, fetched_at);
    mention.author = Author {
        handle: author.handle.as_deref().and_then(|raw| handle::normalize(mention.source_kind.as_str(), raw)),
        name: author.name.map(|name| name.trim().to_owned()).filter(|name| !name.is_empty()),
        email,
        profile_url: author.profile_url.filter(|url| !url.trim().is_empty()),
        reach: author.reach,
    };
    mention.url = url;
    mention.title = title;
    mention.published_at = published_at;
    mention.lang = record.lang;
    mention.signals = record.signals.map(RecordSignals::into_signals).transpose()?;
    mention.thread_id = record.thread_id;
    mention.parent_id = record.parent_id;
    mention.engagement = Engagement { score: record.score, replies: record.replies };
    mention.raw = Some(raw);
    Ok(mention)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<(u64, Result<Mention, String>)> {
        MentionFile::new(input, "ingest".to_owned(), Utc::now())
            .map(|line| line.unwrap())
            .map(|line| (line.number, line.mention))
            .collect()
    }

    #[test]
    fn a_full_record() {
        let line = r#"{"source": "reddit", "external_id": "t3_abc", "url": "https://www.reddit.com/r/crm/comments/abc/?utm_source=share",
            "author": {"handle": "u/JoDoe", "name": " Jo ", "email": "JO@x.example", "profile_url": "https://www.reddit.com/user/JoDoe"},
            "title": "Acme &amp; friends", "text": "<p>Acme CRM lost my data</p>", "published_at": "2026-11-01T10:00:00+01:00", "extra": 1}"#;
        let mention = parse_line(&line.replace('\n', " "), "r-crm", Utc::now()).unwrap();
        assert_eq!(mention.source_id, "r-crm");
        assert_eq!(mention.url.as_deref(), Some("https://www.reddit.com/r/crm/comments/abc"));
        assert_eq!(mention.author.handle.as_deref(), Some("jodoe"));
        assert_eq!(mention.author.name.as_deref(), Some("Jo"));
        assert_eq!(mention.author.email.as_deref(), Some("jo@x.example"));
        assert_eq!(mention.title.as_deref(), Some("Acme & friends"));
        assert_eq!(mention.text, "Acme CRM lost my data");
        assert_eq!(mention.published_at.unwrap().to_rfc3339(), "2026-11-01T09:00:00+00:00");
        assert_eq!(mention.raw.unwrap()["extra"], 1);
    }

    #[test]
    fn bad_lines_are_numbered_and_the_rest_kept() {
        let mut input = Vec::new();
        input.extend_from_slice(b"\xEF\xBB\xBF{\"source\":\"hackernews\",\"external_id\":1,\"text\":\"ok\"}\n");
        input.extend_from_slice(b"not json\n");
        input.extend_from_slice(b"\n");
        input.extend_from_slice(b"{\"source\":\"hackernews\",\"text\":\"no id\"}\n");
        input.extend_from_slice(b"{\"source\":\"Hacker News\",\"external_id\":\"2\",\"text\":\"x\"}\n");
        input.extend_from_slice(b"{\"source\":\"rss\",\"external_id\":\"3\",\"text\":\"caf\xe9\"}\n");
        input.extend_from_slice(
            b"{\"source\":\"rss\",\"external_id\":\"4\",\"text\":\"x\",\"published_at\":\"yesterday\"}\n",
        );
        input.extend_from_slice(b"{\"source\":\"rss\",\"external_id\":\"5\",\"text\":\"<b></b>\"}\n");
        input.extend_from_slice(b"{\"source\":\"rss\",\"external_id\":\"6\",\"text\":\"last, no newline\"}");
        let results = lines(&input);
        let summary: Vec<(u64, String)> = results
            .iter()
            .map(|(number, result)| {
                (*number, result.as_ref().map(|m| m.external_id.clone()).unwrap_or_else(|e| e.clone()))
            })
            .collect();
        assert_eq!(summary[0], (1, "1".to_owned()));
        assert!(summary[1].1.starts_with("not JSON"), "{:?}", summary[1]);
        assert_eq!(summary[1].0, 2);
        assert!(summary[2].1.contains("missing field `external_id`"), "{:?}", summary[2]);
        assert_eq!(summary[2].0, 4);
        assert!(summary[3].1.contains("invalid source kind"), "{:?}", summary[3]);
        assert_eq!(summary[4], (6, "not valid UTF-8 (byte 45)".to_owned()));
        assert!(summary[5].1.contains("not an RFC 3339 time"), "{:?}", summary[5]);
        assert_eq!(summary[6], (8, "text is empty".to_owned()));
        assert_eq!(summary[7], (9, "6".to_owned()));
    }

    #[test]
    fn an_oversized_line_is_skipped_not_loaded() {
        let mut input = b"{\"source\":\"rss\",\"external_id\":\"1\",\"text\":\"".to_vec();
        input.extend(std::iter::repeat_n(b'a', MAX_LINE_BYTES + 10));
        input.extend_from_slice(b"\"}\n{\"source\":\"rss\",\"external_id\":\"2\",\"text\":\"fine\"}\n");
        let results = lines(&input);
        assert!(results[0].1.as_ref().unwrap_err().contains("longer than 4 MiB"));
        assert_eq!(results[1].1.as_ref().unwrap().external_id, "2");
    }
}
