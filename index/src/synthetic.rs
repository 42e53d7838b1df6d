//! Deterministic synthetic mentions for benchmarks and tests: realistic listening vocabulary
//! (brands, competitors, products, complaints, buying questions, praise, chatter), sources,
//! authors, URLs, publication times over a year, signals, comments and cross-posts.
//!
//! The same `(count, seed)` always gives the same mentions, so figures compare across runs.

use chrono::{DateTime, Duration, TimeZone, Utc};
use hark_core::{Mention, Sentiment, SentimentScores, SequencedMention, Signals, SourceKind};

const SOURCES: &[(&str, &str)] = &[
    ("reddit", "https://www.reddit.com/r/crm/comments/"),
    ("hackernews", "https://news.ycombinator.com/item?id="),
    ("mastodon", "https://fosstodon.org/@user/"),
    ("bluesky", "https://bsky.app/profile/user/post/"),
    ("stackexchange", "https://stackoverflow.com/questions/"),
    ("rss", "https://blog.example.com/posts/"),
];
const BRANDS: &[&str] = &["Acme CRM", "Acme", "Pipedrive", "HubSpot", "Salesforce", "Zoho", "Freshsales"];
const PRODUCTS: &[&str] = &["Acme Inbox", "Acme Sync", "the mobile app", "the API", "the calendar sync", "reporting"];
const COMPLAINTS: &[&str] = &[
    "{b} raised prices again and support has not answered my ticket in a week",
    "{p} from {b} keeps crashing since the last update, lost all my notes",
    "Honestly {b} is terrible value now, the invoices are wrong every month",
    "{b} has been down for hours and nobody from support answers the phone",
    "Cancelled {b} today, the billing team charged us twice for the same seats",
];
const INTENTS: &[&str] = &[
    "Which CRM would you recommend for a team of ten, {b} or {c}? Pricing matters",
    "Looking for an alternative to {b}, anyone switched to {c} recently?",
    "How much does {b} cost per seat for a small agency? Considering the free trial",
    "We are evaluating {b} versus {c} for our sales pipeline, any experiences?",
    "Planning to migrate from {c} to {b} next quarter, what should we watch for",
];
const PRAISE: &[&str] = &[
    "{p} in {b} saved our sales team hours this week, great work",
    "Support at {b} fixed my sync issue within an hour, very happy",
    "Switched from {c} to {b} and the reporting is so much better",
];
const CHATTER: &[&str] = &[
    "Anyone going to the {b} user conference in Berlin this year?",
    "Wrote a short guide on exporting contacts from {b} to a spreadsheet",
    "The new {b} release notes mention {p} improvements and a dark mode",
    "Interesting thread about CRM data quality and duplicate contacts in {b}",
];
const FIRST: &[&str] = &["alex", "sam", "maria", "jean", "li", "omar", "nina", "raj", "eva", "tom", "zoe", "kai"];
const LAST: &[&str] = &["smith", "garcia", "muller", "chen", "okafor", "rossi", "kowalski", "tanaka", "dubois"];
const LANGS: &[&str] = &["en", "en", "en", "en", "en-US", "en-GB", "de", "fr"];

/// splitmix64: small, fast, deterministic.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

fn fill(template: &str, rng: &mut Rng) -> String {
    let brand = rng.pick(BRANDS);
    let mut competitor = rng.pick(BRANDS);
    if competitor == brand {
        competitor = "Pipedrive";
    }
    template.replace("{b}", brand).replace("{c}", competitor).replace("{p}", rng.pick(PRODUCTS))
}

/// `count` mentions, numbered from sequence 1, as the store would hand them to the indexer.
pub fn mentions(count: u64, seed: u64) -> impl Iterator<Item = SequencedMention> {
    let mut rng = Rng::new(seed);
    let start: DateTime<Utc> = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).single().unwrap_or_default();
    let year_seconds = 365 * 24 * 3600;
    let mut recent: Vec<String> = Vec::new();
    (1..=count).map(move |seq| {
        let (kind, url_base) = SOURCES[rng.below(SOURCES.len())];
        let class = rng.below(10);
        let (templates, complaint, intent, sentiment) = match class {
            0 | 1 => (COMPLAINTS, 0.6 + 0.4 * rng.unit(), 0.1 * rng.unit(), Sentiment::Negative),
            2 | 3 => (INTENTS, 0.1 * rng.unit(), 0.55 + 0.45 * rng.unit(), Sentiment::Neutral),
            4 | 5 => (PRAISE, 0.05 * rng.unit(), 0.2 * rng.unit(), Sentiment::Positive),
            _ => (CHATTER, 0.2 * rng.unit(), 0.3 * rng.unit(), Sentiment::Neutral),
        };
        // One in twenty is a cross-post of a recent mention.
        let text = if rng.below(20) == 0 && !recent.is_empty() {
            format!("RT @{}: {}", rng.pick(FIRST), recent[rng.below(recent.len())])
        } else {
            let mut text = fill(rng.pick(templates), &mut rng);
            if rng.below(2) == 0 {
                text.push(' ');
                text.push_str(&fill(rng.pick(CHATTER), &mut rng));
            }
            text
        };
        if recent.len() < 256 {
            recent.push(text.clone());
        } else {
            let slot = rng.below(recent.len());
            recent[slot] = text.clone();
        }
        let external_id = format!("{kind}-{seq}");
        let published = start + Duration::seconds((rng.next_u64() % year_seconds) as i64);
        let kind = SourceKind::parse(kind).expect("the synthetic source kinds are valid");
        let mut mention =
            Mention::new(kind.clone(), kind.as_str(), external_id, text, published + Duration::minutes(5));
        mention.published_at = Some(published);
        if rng.below(10) < 6 {
            mention.url = Some(format!("{url_base}{seq}"));
        }
        if rng.below(10) < 4 {
            mention.parent_id = Some(format!("{}", seq / 3));
        } else if rng.below(3) == 0 {
            mention.title = Some(fill(rng.pick(INTENTS), &mut rng).chars().take(60).collect());
        }
        let (first, last) = (rng.pick(FIRST), rng.pick(LAST));
        mention.author.handle = Some(format!("{first}_{last}{}", rng.below(1000)));
        mention.author.name = Some(format!("{first} {last}"));
        mention.lang = Some(rng.pick(LANGS).to_owned());
        let sentiment_scores = match sentiment {
            Sentiment::Negative => SentimentScores { negative: 0.7, neutral: 0.2, positive: 0.1 },
            Sentiment::Neutral => SentimentScores { negative: 0.2, neutral: 0.6, positive: 0.2 },
            Sentiment::Positive => SentimentScores { negative: 0.1, neutral: 0.2, positive: 0.7 },
        };
        mention.signals = Some(Signals {
            sentiment,
            sentiment_scores,
            complaint,
            intent,
            cues: Vec::new(),
            model_version: "synthetic".to_owned(),
        });
        SequencedMention { seq: seq as i64, mention, customer_id: None }
    })
}

/// Typical listening queries, for search benchmarks.
pub const QUERIES: &[&str] = &[
    "acme",
    "\"acme crm\" pricing",
    "acme NEAR/5 prices",
    "(acme OR \"acme crm\") complaint:>0.7",
    "pipedrive OR hubspot -acme",
    "recommend* crm intent:>=0.6 -customer:yes",
    "acme ONEAR/3 support",
    "source:reddit sentiment:negative published:2025-06-01..2025-06-30",
    "title:alternative type:post",
    "*",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic() {
        let a: Vec<_> = mentions(50, 7).map(|m| (m.mention.id, m.mention.text)).collect();
        let b: Vec<_> = mentions(50, 7).map(|m| (m.mention.id, m.mention.text)).collect();
        assert_eq!(a, b);
        let c: Vec<_> = mentions(50, 8).map(|m| m.mention.text).collect();
        assert_ne!(a.iter().map(|(_, t)| t.clone()).collect::<Vec<_>>(), c);
    }

    #[test]
    fn queries_all_parse() {
        for query in QUERIES {
            crate::query::parse(query).unwrap_or_else(|err| panic!("{query}: {err}"));
        }
    }
}
