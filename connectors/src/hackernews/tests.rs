//! Compatibility with the recorded responses in `../shared/fixtures/hackernews/`, and hostile
//! variants of them that must never panic.

use chrono::Utc;

use super::convert::parse_search;
use crate::testing::Fixtures;

const FIXTURES: Fixtures = Fixtures("hackernews");

/// The recorded comment search, as the last page of its window.
fn last_comments_page() -> hark_replay::Reply {
    FIXTURES.edited("algolia_search_by_date_comments", |body| body["nbPages"] = serde_json::json!(1))
}

/// The conformance suite's view of Hacker News: one query, the recorded comment search as
/// the last page of its window.
pub(crate) fn conformance_case() -> crate::conformance::Case {
    crate::conformance::Case {
        kind: &super::KIND,
        settings: |base_url| {
            crate::Settings::new("hn").with_base_url(base_url).with("queries", serde_json::json!(["acme crm"]))
        },
        routes: || vec![("/api/v1/search_by_date".to_owned(), vec![last_comments_page()])],
        root_routes: Vec::new,
        main_route: "/api/v1/search_by_date",
        malformed_body: b"{\"hits\": 42}",
    }
}

#[test]
fn recorded_story_searches() {
    let page = parse_search(&FIXTURES.read("algolia_search_by_date_stories.json"), "hn", Utc::now()).unwrap();
    assert_eq!(page.mentions.len(), 5);
    assert_eq!(page.skipped, 0);
    assert!(page.more, "200 pages recorded");
    let first = &page.mentions[0];
    assert_eq!(first.external_id, "47021448");
    assert_eq!(first.url.as_deref(), Some("https://news.ycombinator.com/item?id=47021448"));
    assert!(first.title.as_deref().unwrap().starts_with("Show HN: PlanOpticon"));
    assert!(first.author.handle.is_some() && first.published_at.is_some());
    assert_eq!(first.engagement.score, Some(2));
    for mention in &page.mentions {
        assert!(!mention.text.contains("<em>") && !mention.text.contains("&#x27;"), "{}", mention.text);
    }
    let newest = page.mentions.iter().filter_map(|m| m.published_at).max().unwrap().timestamp();
    assert_eq!(page.newest, Some(newest));

    let latest = parse_search(&FIXTURES.read("algolia_search_by_date_latest_stories.json"), "hn", Utc::now()).unwrap();
    assert_eq!(latest.mentions.len(), 3);
}

#[test]
fn recorded_comment_search() {
    let page = parse_search(&FIXTURES.read("algolia_search_by_date_comments.json"), "hn", Utc::now()).unwrap();
    assert_eq!(page.mentions.len(), 5);
    let comment = &page.mentions[0];
    assert_eq!(comment.external_id, "47024583");
    assert_eq!(comment.parent_id.as_deref(), Some("47021980"));
    assert_eq!(comment.thread_id.as_deref(), Some("47021980"));
    assert_eq!(comment.author.handle.as_deref(), Some("masklinn"));
    assert!(comment.title.is_none());
    assert!(comment.text.starts_with("It’s a bit odd"), "{}", comment.text);
    assert!(!comment.text.contains('<'));
}

#[test]
fn ids_are_stable_across_parses() {
    let body = FIXTURES.read("algolia_search_by_date_comments.json");
    let a = parse_search(&body, "hn", Utc::now()).unwrap();
    let b = parse_search(&body, "another-name", Utc::now()).unwrap();
    let ids = |page: &super::convert::SearchPage| page.mentions.iter().map(|m| m.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&a), ids(&b));
}

#[test]
fn hostile_variants_never_panic() {
    for name in [
        "algolia_search_by_date_stories.json",
        "algolia_search_by_date_comments.json",
        "algolia_search_by_date_latest_stories.json",
    ] {
        let body = FIXTURES.read(name);
        // Truncated at every 97th byte: an error, or a page, never a panic.
        for cut in (0..body.len()).step_by(97) {
            let _ = parse_search(&body[..cut], "hn", Utc::now());
        }
        assert!(parse_search(&body[..body.len() / 2], "hn", Utc::now()).is_err());
        // Invalid UTF-8 in the middle.
        let mut broken = body.clone();
        broken.insert(body.len() / 2, 0xff);
        let _ = parse_search(&broken, "hn", Utc::now());
        // Wrong types: every hit's id an object, created_at_i a string.
        let mut value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        for hit in value["hits"].as_array_mut().unwrap() {
            hit["objectID"] = serde_json::json!({"nested": true});
        }
        let page = parse_search(&serde_json::to_vec(&value).unwrap(), "hn", Utc::now()).unwrap();
        assert_eq!(page.mentions.len(), 0);
        assert_eq!(page.skipped, value["hits"].as_array().unwrap().len());
        value["hits"] = serde_json::json!(42);
        assert!(parse_search(&serde_json::to_vec(&value).unwrap(), "hn", Utc::now()).is_err());
    }
    // Huge strings and deep nesting.
    let huge =
        serde_json::json!({"hits": [{"objectID": "1", "created_at_i": 1, "comment_text": "<p>x</p>".repeat(200_000)}]});
    let page = parse_search(&serde_json::to_vec(&huge).unwrap(), "hn", Utc::now()).unwrap();
    assert_eq!(page.mentions[0].text.matches('x').count(), 200_000);
    let deep = format!("{{\"hits\": [{}1{}]}}", "[".repeat(5000), "]".repeat(5000));
    assert!(parse_search(deep.as_bytes(), "hn", Utc::now()).is_err());
    assert!(parse_search(b"null", "hn", Utc::now()).is_err());
}

mod fetch {
    use hark_replay::{ReplayServer, Reply};

    use super::super::HackerNews;
    use super::{FIXTURES, last_comments_page};
    use crate::ConnectorError;
    use crate::contract::Source;
    use crate::testing::{client, pass};

    #[tokio::test]
    async fn cursor_round_trip_without_repeats_and_base_url_honoured() {
        let server = ReplayServer::start(vec![("/api/v1/search_by_date", vec![last_comments_page()])]).await.unwrap();
        let source = HackerNews::new(Some(server.base_url()), vec!["acme crm".to_owned()]);
        let http = client(0);
        let first = source.fetch(pass(&http, "hn"), None).await.unwrap();
        assert_eq!(first.mentions.len(), 5);
        let requests = server.requests();
        assert!(
            requests[0].target.starts_with("/api/v1/search_by_date?query=acme+crm&tags=%28story%2Ccomment%29"),
            "{}",
            requests[0].target
        );
        assert!(!requests[0].target.contains("numericFilters"));

        // The same window again (Algolia's filter is inclusive): nothing is repeated.
        let second = source.fetch(pass(&http, "hn"), first.next_cursor.as_deref()).await.unwrap();
        assert!(second.mentions.is_empty(), "{:?}", second.mentions.iter().map(|m| &m.external_id).collect::<Vec<_>>());
        let newest = first.mentions.iter().filter_map(|m| m.published_at).max().unwrap().timestamp();
        assert!(
            server.requests()[1].target.contains(&format!("numericFilters=created_at_i%3E%3D{newest}")),
            "{}",
            server.requests()[1].target
        );
        assert_eq!(second.next_cursor, first.next_cursor);
    }

    #[tokio::test]
    async fn a_window_of_several_pages_is_read_page_by_page() {
        // The recorded stories say page 0 of 200: the connector asks for page 1 next, within the
        // same window, and reports that more is waiting.
        let stories = FIXTURES.reply("algolia_search_by_date_stories");
        let server = ReplayServer::start(vec![("/api/v1/search_by_date", vec![stories])]).await.unwrap();
        let source = HackerNews::new(Some(server.base_url()), vec!["dropbox".to_owned()]);
        let http = client(0);
        let first = source.fetch(pass(&http, "hn"), None).await.unwrap();
        assert!(first.more);
        source.fetch(pass(&http, "hn"), first.next_cursor.as_deref()).await.unwrap();
        assert!(server.requests()[1].target.contains("&page=1"), "{}", server.requests()[1].target);
    }

    #[tokio::test]
    async fn the_window_closes_at_its_newest_post_once_the_last_page_is_read() {
        let first_page = FIXTURES.reply("algolia_search_by_date_stories");
        let last_page = FIXTURES.edited("algolia_search_by_date_stories", |body| {
            body["page"] = serde_json::json!(1);
            body["nbPages"] = serde_json::json!(2);
        });
        let server = ReplayServer::start(vec![("/api/v1/search_by_date", vec![first_page, last_page])]).await.unwrap();
        let source = HackerNews::new(Some(server.base_url()), vec!["dropbox".to_owned()]);
        let http = client(0);
        let first = source.fetch(pass(&http, "hn"), None).await.unwrap();
        let newest = first.mentions.iter().filter_map(|m| m.published_at).max().unwrap().timestamp();
        let second = source.fetch(pass(&http, "hn"), first.next_cursor.as_deref()).await.unwrap();
        assert!(!second.more);
        source.fetch(pass(&http, "hn"), second.next_cursor.as_deref()).await.unwrap();
        let third = &server.requests()[2].target;
        assert!(third.contains(&format!("created_at_i%3E%3D{newest}")) && !third.contains("page="), "{third}");
    }

    #[tokio::test]
    async fn errors_are_errors_not_panics() {
        let server = ReplayServer::start(vec![
            ("/unauthorised", vec![Reply::new(401, "{}")]),
            ("/cut", vec![FIXTURES.reply("algolia_search_by_date_stories").truncated(500)]),
            ("/garbage", vec![Reply::new(200, "<html>not json</html>")]),
            ("/limited", vec![Reply::new(429, "").header("Retry-After", "120")]),
        ])
        .await
        .unwrap();
        let fetch = |path: &str| {
            let source = HackerNews::new(Some(&format!("{}{path}", server.base_url())), vec!["x".to_owned()]);
            async move { source.fetch(pass(&client(0), "hn"), None).await }
        };
        assert!(matches!(fetch("/unauthorised").await, Err(ConnectorError::Auth { status: 401, .. })));
        assert!(fetch("/cut").await.is_err());
        assert!(matches!(fetch("/garbage").await, Err(ConnectorError::Malformed { .. })));
        assert!(matches!(fetch("/limited").await, Err(ConnectorError::RateLimited { retry_after_secs: 120, .. })));
        let bad_cursor = HackerNews::new(Some(server.base_url()), vec!["x".to_owned()])
            .fetch(pass(&client(0), "hn"), Some("{oops"))
            .await;
        assert!(matches!(bad_cursor, Err(ConnectorError::Cursor { .. })));
    }
}

mod firebase_fallback {
    use std::sync::Arc;

    use hark_replay::{Handler, ReplayServer, Reply};

    use super::super::HackerNews;
    use super::super::firebase::parse_item;
    use super::FIXTURES;
    use crate::contract::Source;
    use crate::testing::{client, pass};

    #[test]
    fn recorded_items_parse_and_odd_ones_are_skipped() {
        let story = parse_item(&FIXTURES.read("firebase_item_story.json"), "hn", chrono::Utc::now()).unwrap().unwrap();
        assert_eq!(story.external_id, "34177221");
        assert!(story.text.starts_with("Tesla driver falls asleep – Autopilot"), "{}", story.text);
        assert_eq!(story.author.handle.as_deref(), Some("thecrowing"));
        assert_eq!(story.engagement.score, Some(26));
        let no_kids = parse_item(&FIXTURES.read("firebase_item_story_no_kids.json"), "hn", chrono::Utc::now()).unwrap();
        assert_eq!(no_kids.unwrap().title.as_deref(), Some("Permacomputer"));
        assert_eq!(parse_item(b"null", "hn", chrono::Utc::now()).unwrap(), None);
        let deleted = br#"{"deleted":true,"id":5,"time":1,"type":"comment"}"#;
        assert_eq!(parse_item(deleted, "hn", chrono::Utc::now()).unwrap(), None);
        assert!(parse_item(b"{\"id\": \"x\"}", "hn", chrono::Utc::now()).is_err());
        assert!(parse_item(&FIXTURES.read("firebase_item_story.json")[..40], "hn", chrono::Utc::now()).is_err());
    }

    fn item(id: u64, text: &str) -> Reply {
        let body = serde_json::json!({"by": "pat", "id": id, "time": 1_700_000_000 + id, "type": "comment",
            "parent": 1, "text": text});
        Reply::new(200, serde_json::to_vec(&body).unwrap())
    }

    #[tokio::test]
    async fn when_algolia_fails_the_firebase_walk_finds_matching_items_and_algolia_resumes_later() {
        let handler: Handler = Arc::new(|target: &str| match target {
            t if t.starts_with("/algolia/") => Reply::new(502, "bad gateway"),
            "/fb/v0/maxitem.json" => Reply::new(200, "4"),
            "/fb/v0/item/1.json" => item(1, "Acme CRM pricing went up again"),
            "/fb/v0/item/2.json" => item(2, "Unrelated <i>post</i>"),
            "/fb/v0/item/3.json" => Reply::new(200, "null"),
            "/fb/v0/item/4.json" => item(4, "Does anyone use <b>acme</b> for their crm?"),
            _ => Reply::new(404, ""),
        });
        let server = ReplayServer::start_handlers(vec![("/", handler)]).await.unwrap();
        let mut source = HackerNews::new(Some(&format!("{}/algolia", server.base_url())), vec!["acme crm".to_owned()]);
        source.fallback = Some(format!("{}/fb", server.base_url()));
        let http = client(0);
        let page = source.fetch(pass(&http, "hn"), None).await.unwrap();
        let ids: Vec<&str> = page.mentions.iter().map(|m| m.external_id.as_str()).collect();
        assert_eq!(ids, ["1", "4"], "every word of the query, any case, markup stripped");
        assert_eq!(page.requests, 1 + 4, "maxitem and four items (the failed search is logged, not counted)");
        let cursor: serde_json::Value = serde_json::from_str(page.next_cursor.as_deref().unwrap()).unwrap();
        assert_eq!(cursor["firebase_after"], 4);

        // Nothing newer: the next walk asks for maxitem only.
        let before = server.requests().len();
        let again = source.fetch(pass(&http, "hn"), page.next_cursor.as_deref()).await.unwrap();
        assert!(again.mentions.is_empty());
        assert_eq!(server.requests().len() - before, 2, "the failed search and maxitem");

        // Without a fallback the Algolia error stands.
        source.fallback = None;
        assert!(source.fetch(pass(&http, "hn"), None).await.is_err());
    }
}
