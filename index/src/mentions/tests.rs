//! The mention index on a real tantivy directory: analysers, phrases and proximity, filters,
//! dates, signals, collapsing, incremental catch-up and match updates.

use chrono::{DateTime, TimeZone, Utc};
use hark_core::{Mention, Sentiment, SentimentScores, SequencedMention, Signals, SourceKind};

use super::*;
use crate::query::parse;

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, day, 12, 0, 0).unwrap()
}

struct Post {
    kind: &'static str,
    id: &'static str,
    text: &'static str,
    day: u32,
}

fn mention(post: &Post) -> Mention {
    let mut mention = Mention::new(SourceKind::parse(post.kind).unwrap(), post.kind, post.id, post.text, at(28));
    mention.published_at = Some(at(post.day));
    mention
}

fn signals(complaint: f32, intent: f32, sentiment: Sentiment) -> Signals {
    let scores = match sentiment {
        Sentiment::Negative => SentimentScores { negative: 0.8, neutral: 0.1, positive: 0.1 },
        Sentiment::Neutral => SentimentScores { negative: 0.1, neutral: 0.8, positive: 0.1 },
        Sentiment::Positive => SentimentScores { negative: 0.1, neutral: 0.1, positive: 0.8 },
    };
    Signals { sentiment, sentiment_scores: scores, complaint, intent, cues: Vec::new(), model_version: "t".into() }
}

/// A fixture index: a few posts, each built to be found by some queries and not others.
struct Fixture {
    _dir: tempfile::TempDir,
    indexer: Indexer,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let indexer = Indexer::open(&dir.path().join("mentions"), CommitPolicy::default()).unwrap();
        let mut mentions = Vec::new();
        let posts = [
            Post { kind: "reddit", id: "prices", text: "Acme raised its prices again, terrible value", day: 5 },
            Post { kind: "reddit", id: "cafe", text: "Working from the café with Acme Inbox open", day: 6 },
            Post { kind: "hackernews", id: "trial", text: "The free trial of Acme CRM ended and I switched", day: 7 },
            Post { kind: "hackernews", id: "reverse", text: "pricing for acme is confusing", day: 8 },
            Post { kind: "mastodon", id: "far", text: "acme one two three four five six seven pricing", day: 9 },
            Post { kind: "mastodon", id: "trials", text: "Freeing trials: Acme runs them every quarter", day: 10 },
        ];
        for (index, post) in posts.iter().enumerate() {
            let mut mention = mention(post);
            match post.id {
                "prices" => {
                    mention.signals = Some(signals(0.9, 0.2, Sentiment::Negative));
                    mention.url = Some("https://old.reddit.com/r/crm/comments/1".into());
                    mention.author.handle = Some("jdoe".into());
                    mention.author.name = Some("Jane Doe".into());
                    mention.lang = Some("en-GB".into());
                }
                "trial" => {
                    mention.signals = Some(signals(0.3, 0.8, Sentiment::Neutral));
                    mention.title = Some("Leaving Acme after the trial".into());
                    mention.parent_id = Some("story".into());
                }
                "cafe" => mention.signals = Some(signals(0.05, 0.1, Sentiment::Positive)),
                _ => {}
            }
            let customer = (post.id == "trial").then(|| hark_core::CustomerId::from_raw("c_1"));
            mentions.push(SequencedMention { seq: index as i64 + 1, mention, customer_id: customer });
        }
        indexer.add(&mentions).unwrap();
        indexer.commit().unwrap();
        Self { _dir: dir, indexer }
    }

    /// External ids found by `query`, in result order.
    fn find(&self, query: &str) -> Vec<String> {
        self.find_with(query, &SearchOptions { limit: 50, ..SearchOptions::default() })
    }

    fn find_with(&self, query: &str, options: &SearchOptions) -> Vec<String> {
        let parsed = parse(query).unwrap_or_else(|err| panic!("{query}: {err}"));
        let results = self.indexer.index().search(&parsed, options).unwrap();
        let by_id: HashMap<String, &str> = ["prices", "cafe", "trial", "reverse", "far", "trials"]
            .iter()
            .flat_map(|id| {
                ["reddit", "hackernews", "mastodon"]
                    .map(|kind| (MentionId::new(&SourceKind::parse(kind).unwrap(), id).as_str().to_owned(), *id))
            })
            .collect();
        results.hits.iter().map(|hit| by_id[hit.id.as_str()].to_owned()).collect()
    }

    fn find_sorted(&self, query: &str) -> Vec<String> {
        let mut found = self.find(query);
        found.sort();
        found
    }
}

#[test]
fn stemming_finds_other_forms_and_folding_ignores_accents() {
    let index = Fixture::new();
    assert_eq!(index.find_sorted("pricing"), ["far", "prices", "reverse"], "pricing ~ prices via the stem");
    assert_eq!(index.find("cafe"), ["cafe"]);
    assert_eq!(index.find("CAFÉ"), ["cafe"]);
    assert_eq!(index.find_sorted("pric*"), ["far", "prices", "reverse"]);
}

#[test]
fn phrases_are_exact_and_unstemmed() {
    let index = Fixture::new();
    assert_eq!(index.find("\"free trial\""), ["trial"]);
    assert_eq!(index.find_sorted("free trial"), ["trial", "trials"], "words alone are stemmed");
    assert_eq!(index.find("\"acme crm\""), ["trial"]);
}

#[test]
fn near_is_unordered_onear_is_ordered() {
    let index = Fixture::new();
    assert_eq!(index.find_sorted("acme NEAR/3 pricing"), ["reverse"], "2 words between, reversed");
    assert_eq!(index.find_sorted("acme NEAR/7 pricing"), ["far", "reverse"]);
    assert!(index.find("acme NEAR/6 pricing").iter().all(|id| id != "far"), "7 words between");
    assert_eq!(index.find("acme ONEAR/7 pricing"), ["far"], "acme must come first");
    assert_eq!(index.find("pricing ONEAR/3 acme"), ["reverse"]);
    assert_eq!(index.find("\"acme crm\" NEAR/3 switched"), ["trial"], "3 words between");
    assert!(index.find("\"acme crm\" NEAR/2 switched").is_empty());
}

#[test]
fn boolean_operators_combine() {
    let index = Fixture::new();
    assert_eq!(index.find_sorted("acme -pricing -trial"), ["cafe"], "-pricing also drops prices");
    assert_eq!(index.find_sorted("cafe OR confusing"), ["cafe", "reverse"]);
    assert_eq!(index.find_sorted("acme (cafe OR quarter)"), ["cafe", "trials"]);
    assert_eq!(index.find_sorted("-acme"), Vec::<String>::new());
}

#[test]
fn field_operators_filter() {
    let index = Fixture::new();
    assert_eq!(index.find_sorted("source:hackernews"), ["reverse", "trial"]);
    assert_eq!(index.find("author:jdoe"), ["prices"]);
    assert_eq!(index.find("author:\"jane doe\""), ["prices"]);
    assert_eq!(index.find("title:trial"), ["trial"]);
    assert_eq!(index.find("site:reddit.com"), ["prices"]);
    assert_eq!(index.find("site:old.reddit.com"), ["prices"]);
    assert_eq!(index.find("lang:en"), ["prices"]);
    assert_eq!(index.find("lang:en-gb"), ["prices"]);
    assert_eq!(index.find("type:comment"), ["trial"]);
    assert_eq!(index.find("type:post").len(), 5);
}

#[test]
fn date_ranges_and_newest_first() {
    let index = Fixture::new();
    assert_eq!(index.find("*"), ["trials", "far", "reverse", "trial", "cafe", "prices"]);
    assert_eq!(index.find("published:2026-01-06..2026-01-07"), ["trial", "cafe"]);
    assert_eq!(index.find("after:2026-01-08"), ["trials", "far"]);
    assert_eq!(index.find("before:2026-01-06"), ["prices"]);
    assert_eq!(index.find_sorted("acme published:2026-01-09.."), ["far", "trials"]);
}

#[test]
fn signal_filters() {
    let index = Fixture::new();
    assert_eq!(index.find("complaint:>0.7"), ["prices"]);
    assert_eq!(index.find("intent:>=0.8"), ["trial"]);
    assert_eq!(index.find_sorted("complaint:<0.5"), ["cafe", "trial"], "unscored mentions never match");
    assert_eq!(index.find("sentiment:positive"), ["cafe"]);
    assert_eq!(index.find("customer:yes"), ["trial"]);
    assert_eq!(index.find("customer:no").len(), 5);
    assert_eq!(index.find("acme complaint:>0.5 -customer:yes"), ["prices"]);
}

#[test]
fn text_queries_rank_by_relevance() {
    let index = Fixture::new();
    let parsed = parse("acme").unwrap();
    let results = index.indexer.index().search(&parsed, &SearchOptions::default()).unwrap();
    assert_eq!(results.order, SortOrder::Relevance);
    assert_eq!(results.total, 6);
    assert!(results.hits.windows(2).all(|pair| pair[0].score >= pair[1].score));
    let by_date = SearchOptions { order: Some(SortOrder::Newest), ..SearchOptions::default() };
    let results = index.indexer.index().search(&parsed, &by_date).unwrap();
    assert!(results.hits.windows(2).all(|pair| pair[0].published >= pair[1].published));
}

#[test]
fn upsert_replaces_the_document_by_id() {
    let index = Fixture::new();
    let mut mention =
        mention(&Post { kind: "reddit", id: "cafe", text: "Working from the café with Acme Inbox open", day: 6 });
    mention.signals = Some(signals(0.05, 0.1, Sentiment::Positive));
    index.indexer.upsert(&mention, Some("c_2")).unwrap();
    index.indexer.commit().unwrap();
    assert_eq!(index.find_sorted("customer:yes"), ["cafe", "trial"]);
    assert_eq!(index.find("cafe"), ["cafe"], "one document, not two");
    assert_eq!(index.indexer.index().num_docs(), 6);
}

fn story(kind: &str, id: &str, text: &str, url: Option<&str>, day: u32) -> SequencedMention {
    let mut mention = Mention::new(SourceKind::parse(kind).unwrap(), kind, id, text, at(28));
    mention.published_at = Some(at(day));
    mention.url = url.map(str::to_owned);
    SequencedMention { seq: i64::from(day), mention, customer_id: None }
}

const OUTAGE: &str = "Acme CRM has been down for three hours and nobody from support answers the phone or email";

#[test]
fn collapse_groups_cross_posts_and_same_urls() {
    let dir = tempfile::tempdir().unwrap();
    let indexer = Indexer::open(dir.path(), CommitPolicy::default()).unwrap();
    indexer
        .add(&[
            story("reddit", "a", OUTAGE, None, 1),
            story("mastodon", "b", &format!("{OUTAGE}!!"), None, 2),
            story("hackernews", "c", "Acme status page: incident resolved", Some("https://status.acme.example/i/1"), 3),
        ])
        .unwrap();
    indexer.commit().unwrap();
    // Later, after a commit: found through the index, not the pending scratch.
    indexer
        .add(&[
            story("rss", "d", &format!("RT @acme_fan: {OUTAGE} https://t.example/x"), None, 4),
            story(
                "reddit",
                "e",
                "Is the Acme outage over? Asking for a friend",
                Some("http://status.acme.example/i/1/"),
                5,
            ),
            story("reddit", "f", "Acme support fixed my sync issue quickly, thanks to the whole team there", None, 6),
        ])
        .unwrap();
    indexer.commit().unwrap();
    let query = parse("acme").unwrap();
    let collapsed = SearchOptions { limit: 10, collapse: true, order: Some(SortOrder::Newest) };
    let results = indexer.index().search(&query, &collapsed).unwrap();
    assert_eq!(results.total, 6);
    let sizes: Vec<(String, Option<u64>)> =
        results.hits.iter().map(|hit| (hit.published.format("%d").to_string(), hit.cluster_size)).collect();
    assert_eq!(
        sizes,
        [("06".to_owned(), Some(1)), ("05".to_owned(), Some(2)), ("04".to_owned(), Some(3))],
        "newest of each cluster"
    );
    let plain = indexer.index().search(&query, &SearchOptions { limit: 10, ..SearchOptions::default() }).unwrap();
    assert_eq!(plain.hits.len(), 6);
}
