//! Compatibility with the recorded responses in `../shared/fixtures/hackernews/`, and hostile
//! variants of them that must never panic.

use chrono::Utc;

use super::convert::parse_search;

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/hackernews").join(name);
    std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

#[test]
fn recorded_story_searches() {
    let page = parse_search(&fixture("algolia_search_by_date_stories.json"), "hn", Utc::now()).unwrap();
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

    let latest = parse_search(&fixture("algolia_search_by_date_latest_stories.json"), "hn", Utc::now()).unwrap();
    assert_eq!(latest.mentions.len(), 3);
}

#[test]
fn recorded_comment_search() {
    let page = parse_search(&fixture("algolia_search_by_date_comments.json"), "hn", Utc::now()).unwrap();
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
    let body = fixture("algolia_search_by_date_comments.json");
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
        let body = fixture(name);
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
