//! Compatibility with the recorded responses in `../shared/fixtures/mastodon/`, hostile variants
//! of them that must never panic, `Link` header parsing, and fetches against the replay server.

use std::cmp::Ordering;

use chrono::Utc;

use super::convert::{Context, compare_ids, next_max_id, parse_link_header, parse_search, parse_timeline};
use crate::testing::Fixtures;

const FIXTURES: Fixtures = Fixtures("mastodon");

/// The conformance suite's view of Mastodon: one tag, the recorded `#rstats` timeline.
pub(crate) fn conformance_case() -> crate::conformance::Case {
    crate::conformance::Case {
        kind: &super::KIND,
        settings: |base_url| {
            crate::Settings::new("fosstodon").with_base_url(base_url).with("tags", serde_json::json!(["rstats"]))
        },
        routes: || vec![("/api/v1/timelines/tag/rstats".to_owned(), vec![FIXTURES.reply("timeline_tag")])],
        root_routes: Vec::new,
        main_route: "/api/v1/timelines/tag/rstats",
        malformed_body: b"{\"statuses\": \"not a list\"}",
    }
}

fn context() -> Context<'static> {
    Context { source_id: "fosstodon", instance: "polled.example", fetched_at: Utc::now() }
}

#[test]
fn recorded_tag_timeline() {
    let page = parse_timeline(&FIXTURES.read("timeline_tag.json"), context()).unwrap();
    assert_eq!((page.entries.len(), page.skipped, page.total), (5, 0, 5));
    let (id, first) = &page.entries[0];
    assert_eq!(id, "114870142396314555");
    assert_eq!(first.external_id, "https://rstats.me/users/simonpcouch/statuses/114870142137562212");
    assert_eq!(first.url.as_deref(), Some("https://rstats.me/@simonpcouch/114870142137562212"));
    assert_eq!(first.author.handle.as_deref(), Some("simonpcouch@rstats.me"));
    assert_eq!(first.author.name.as_deref(), Some("Simon P. Couch"));
    assert_eq!(first.author.profile_url.as_deref(), Some("https://rstats.me/@simonpcouch"));
    assert_eq!(first.author.reach, Some(656));
    assert_eq!(first.lang.as_deref(), Some("en"));
    assert_eq!(first.published_at.unwrap().to_rfc3339(), "2025-07-17T19:07:48+00:00");
    assert!(first.text.starts_with("After a month or so of not using Claude Code"), "{}", first.text);
    assert!(first.text.contains("#rstats package documentation"), "{}", first.text);
    assert!(first.title.is_none() && first.parent_id.is_none() && first.thread_id.is_none());
    assert_eq!((first.engagement.score, first.engagement.replies), (Some(0), Some(0)));
    assert_eq!(first.raw.as_ref().unwrap()["id"], "114870142396314555");
    // A local account (acct without domain) gets its server's domain, from its profile URL.
    let (_, local) = &page.entries[1];
    assert_eq!(local.author.handle.as_deref(), Some("user_conf@mastodon.social"));
    for (_, mention) in &page.entries {
        assert!(!mention.text.contains('<') && !mention.text.contains("&#39;"), "{}", mention.text);
        assert!(mention.author.handle.as_deref().unwrap().contains('@'));
    }
    let ids: Vec<&str> = page.entries.iter().map(|(id, _)| id.as_str()).collect();
    assert!(ids.windows(2).all(|pair| compare_ids(pair[0], pair[1]) == Ordering::Greater), "newest first");
}

#[test]
fn recorded_tag_pages_and_public_timeline() {
    let page1 = parse_timeline(&FIXTURES.read("timeline_tag_page1.json"), context()).unwrap();
    assert_eq!((page1.entries.len(), page1.skipped), (40, 0));
    let replies = page1.entries.iter().filter(|(_, m)| m.parent_id.is_some()).count();
    assert_eq!(replies, 13);
    let without_lang: Vec<_> = page1.entries.iter().filter(|(_, m)| m.lang.is_none()).collect();
    assert_eq!(without_lang.len(), 1);
    assert_eq!(without_lang[0].1.author.handle.as_deref(), Some("wiase@ibe.social"));
    let german = &page1.entries[1].1;
    assert!(german.text.contains("begrüßt und Bund & Länder"), "{}", german.text);
    assert_eq!(german.author.handle.as_deref(), Some("akellergew@mastodon.social"));
    assert_eq!((german.engagement.score, german.engagement.replies), (Some(2), Some(1)));

    let page2 = parse_timeline(&FIXTURES.read("timeline_tag_page2_max_id.json"), context()).unwrap();
    assert_eq!(page2.entries.len(), 40);
    let reply = &page2.entries[0].1;
    assert_eq!(reply.parent_id.as_deref(), Some("114625373721620324"));
    // The pages do not overlap: page 2 is entirely older than page 1.
    let oldest_of_1 = page1.ids.iter().min_by(|a, b| compare_ids(a, b)).unwrap();
    assert!(page2.ids.iter().all(|id| compare_ids(id, oldest_of_1) == Ordering::Less));

    let public = parse_timeline(&FIXTURES.read("timeline_public.json"), context()).unwrap();
    assert_eq!((public.entries.len(), public.skipped), (20, 0));
    assert_eq!(public.entries.iter().filter(|(_, m)| m.parent_id.is_some()).count(), 4);
    let langs: std::collections::BTreeSet<_> = public.entries.iter().filter_map(|(_, m)| m.lang.clone()).collect();
    assert!(langs.contains("de") && langs.contains("en") && langs.contains("fr"), "{langs:?}");
}

#[test]
fn recorded_search_and_empty_timeline() {
    let search = parse_search(&FIXTURES.read("search_v2_no_statuses.json"), context()).unwrap();
    assert_eq!((search.entries.len(), search.total, search.skipped), (0, 0, 0));
    let empty = parse_timeline(&FIXTURES.read("timeline_tag_empty.json"), context()).unwrap();
    assert_eq!(empty.total, 0);
    // Error envelopes served with 200 are malformed, and say what the server said.
    let err = parse_timeline(&FIXTURES.read("error_404_record_not_found.json"), context()).unwrap_err();
    assert!(err.to_string().contains("Record not found"), "{err}");
    assert!(matches!(err, crate::ConnectorError::Malformed { .. }));
    // A search response in a timeline's place, and the other way round.
    assert!(parse_timeline(&FIXTURES.read("search_v2_no_statuses.json"), context()).is_err());
    assert!(parse_search(&FIXTURES.read("timeline_tag.json"), context()).is_err());
    // Statuses found by search read like those of timelines.
    let statuses = FIXTURES.read("timeline_tag.json");
    let wrapped =
        format!("{{\"accounts\": [], \"hashtags\": [], \"statuses\": {}}}", String::from_utf8(statuses).unwrap());
    assert_eq!(parse_search(wrapped.as_bytes(), context()).unwrap().entries.len(), 5);
}

#[test]
fn boosts_count_as_the_boosted_post_and_private_posts_are_not_collected() {
    let statuses: Vec<serde_json::Value> = serde_json::from_slice(&FIXTURES.read("timeline_tag.json")).unwrap();
    let original = statuses[0].clone();
    let boost = serde_json::json!({
        "id": "114870142396399999", "uri": "https://example.social/users/booster/statuses/1/activity",
        "content": "", "account": {"acct": "booster"}, "reblog": original,
    });
    let mut private = statuses[1].clone();
    private["visibility"] = serde_json::json!("private");
    let mut direct = statuses[2].clone();
    direct["visibility"] = serde_json::json!("direct");
    let body = serde_json::to_vec(&serde_json::json!([boost, private, direct])).unwrap();
    let page = parse_timeline(&body, context()).unwrap();
    assert_eq!(page.entries.len(), 1);
    assert_eq!(page.skipped, 2);
    let (id, mention) = &page.entries[0];
    assert_eq!(id, "114870142396399999", "the boost's id is its timeline position");
    assert_eq!(mention.external_id, "https://rstats.me/users/simonpcouch/statuses/114870142137562212");
    assert_eq!(mention.author.handle.as_deref(), Some("simonpcouch@rstats.me"));
    // All three still bound the page.
    assert_eq!(page.ids.len(), 3);
}

#[test]
fn content_warnings_media_only_posts_and_bare_accounts() {
    let body = serde_json::json!([
        {"id": "30", "uri": "https://a.example/s/30", "spoiler_text": "  acme   outage  ",
         "content": "<p>Sync is down &amp; I&#39;m stuck</p>", "account": {"acct": "Ann", "username": "Ann"}},
        {"id": "20", "uri": "https://a.example/s/20", "content": "",
         "media_attachments": [{"description": "Screenshot of Acme error 500"}, {"description": null}]},
        {"id": "10", "uri": "https://a.example/s/10", "content": "<p></p>"},
        {"id": "5", "uri": "https://a.example/s/5", "content": "", "spoiler_text": "only a warning"},
    ]);
    let page = parse_timeline(&serde_json::to_vec(&body).unwrap(), context()).unwrap();
    assert_eq!(page.entries.len(), 3);
    assert_eq!(page.skipped, 1, "a post with nothing to read");
    let warned = &page.entries[0].1;
    assert_eq!(warned.title.as_deref(), Some("acme outage"));
    assert_eq!(warned.text, "Sync is down & I'm stuck");
    // No profile URL: the polled server's host completes the handle.
    assert_eq!(warned.author.handle.as_deref(), Some("ann@polled.example"));
    assert_eq!(warned.url.as_deref(), Some("https://a.example/s/30"), "the uri when there is no url");
    assert_eq!(page.entries[1].1.text, "Screenshot of Acme error 500");
    assert_eq!(page.entries[2].1.text, "only a warning");
}

#[test]
fn ids_order_by_length_then_text() {
    assert_eq!(compare_ids("99", "100"), Ordering::Less);
    assert_eq!(compare_ids("114870142396314555", "114869631572884594"), Ordering::Greater);
    assert_eq!(compare_ids("007", "7"), Ordering::Equal);
    assert_eq!(compare_ids("AbC", "AbD"), Ordering::Less);
}

#[test]
fn ids_are_stable_across_parses() {
    let body = FIXTURES.read("timeline_public.json");
    let a = parse_timeline(&body, context()).unwrap();
    let other = Context { source_id: "another-name", instance: "elsewhere.example", fetched_at: Utc::now() };
    let b = parse_timeline(&body, other).unwrap();
    let ids = |page: &super::convert::Statuses| page.entries.iter().map(|(_, m)| m.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&a), ids(&b));
}

#[test]
fn link_headers_are_parsed() {
    let recorded = FIXTURES.reply("timeline_tag");
    let link = recorded.headers.iter().find(|(name, _)| name.eq_ignore_ascii_case("link")).unwrap();
    let links = parse_link_header(&link.1);
    assert_eq!(links.len(), 2);
    assert_eq!(links[0].rels, ["next"]);
    assert!(links[0].target.contains("max_id=114869144089828147"));
    assert_eq!(links[1].rels, ["prev"]);
    assert_eq!(next_max_id([link.1.as_str()]).as_deref(), Some("114869144089828147"));

    // Quoted commas and semicolons, several rels, relative targets, other parameters first.
    let tricky = r##"<https://x.example/a?max_id=1>; title="a, b; c"; rel="prev", </api/v1/timelines/tag/x?max_id=42&limit=40>; anchor="#x"; REL="first next""##;
    let links = parse_link_header(tricky);
    assert_eq!(links.len(), 2, "{links:?}");
    assert_eq!(links[1].rels, ["first", "next"]);
    assert_eq!(next_max_id([tricky]).as_deref(), Some("42"));
    // Several header lines: the one with rel=next counts.
    assert_eq!(
        next_max_id(["<https://x/?max_id=7>; rel=prev", "<https://x/?max_id=8>; rel=next"]).as_deref(),
        Some("8")
    );
    // A next link whose max_id is no status id is ignored.
    assert_eq!(next_max_id(["<https://x/?max_id=1%20OR%201>; rel=next"]), None);
    assert_eq!(next_max_id(["<https://x/?since_id=9>; rel=next"]), None);
}

#[test]
fn hostile_link_headers_never_panic() {
    let mut values: Vec<String> = [
        "",
        "<",
        ">",
        "<>",
        ";;;,,,",
        "<https://x/?max_id=1>; rel=\"next",
        "<https://x/?max_id=1; rel=next",
        "rel=\"next\", <https://x/?max_id=2>; rel=next",
        "<é>; rel=\"nëxt\\\"\"",
        "\"\"\"\\\\\\",
        "<\u{1F600}?max_id=\u{1F600}>; rel=next",
    ]
    .iter()
    .map(|value| (*value).to_owned())
    .collect();
    values.push(format!("<https://x/?max_id={}>; rel=next", "9".repeat(100_000)));
    values.push("<a>; rel=next, ".repeat(10_000));
    // Pseudo-random printable noise from the characters the parser cares about.
    let alphabet: Vec<char> = "<>;,=\"\\ rel next max_id?&é".chars().collect();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..2000 {
        let length = (state % 40) as usize;
        let mut value = String::new();
        for _ in 0..length {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            value.push(alphabet[(state % alphabet.len() as u64) as usize]);
        }
        values.push(value);
    }
    for value in &values {
        let _ = parse_link_header(value);
        let _ = next_max_id([value.as_str()]);
    }
    assert_eq!(next_max_id(["rel=\"next\", <https://x/?max_id=2>; rel=next"]).as_deref(), Some("2"));
    assert_eq!(next_max_id([values[11].as_str()]), None, "a 100,000-digit id is no id");
}

#[test]
fn hostile_variants_never_panic() {
    for name in ["timeline_tag.json", "timeline_tag_page1.json", "timeline_public.json"] {
        let body = FIXTURES.read(name);
        // Truncated at every 499th byte: an error, or a page, never a panic.
        for cut in (0..body.len()).step_by(499) {
            let _ = parse_timeline(&body[..cut], context());
        }
        assert!(parse_timeline(&body[..body.len() / 2], context()).is_err());
        let mut broken = body.clone();
        broken.insert(body.len() / 2, 0xff);
        let _ = parse_timeline(&broken, context());
        // Wrong types: ids as objects, accounts as numbers, counts as strings.
        let mut value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let count = value.as_array().unwrap().len();
        for status in value.as_array_mut().unwrap() {
            status["account"] = serde_json::json!(42);
        }
        let page = parse_timeline(&serde_json::to_vec(&value).unwrap(), context()).unwrap();
        assert_eq!((page.entries.len(), page.skipped), (0, count));
        for status in value.as_array_mut().unwrap() {
            status["account"] = serde_json::Value::Null;
            status["id"] = serde_json::json!({"nested": true});
        }
        let page = parse_timeline(&serde_json::to_vec(&value).unwrap(), context()).unwrap();
        assert_eq!((page.entries.len(), page.skipped, page.ids.len()), (0, count, 0));
        for status in value.as_array_mut().unwrap() {
            status["id"] = serde_json::json!("1; DROP TABLE");
        }
        assert_eq!(parse_timeline(&serde_json::to_vec(&value).unwrap(), context()).unwrap().skipped, count);
    }
    // Huge strings, a hostile URL and handle, deep nesting, null and other shapes.
    let huge = serde_json::json!([{
        "id": "1", "uri": "https://a.example/1", "url": "javascript:alert(1)",
        "content": "<p>x</p>".repeat(200_000), "account": {"acct": "a b@c", "url": "ftp://x"},
    }]);
    let page = parse_timeline(&serde_json::to_vec(&huge).unwrap(), context()).unwrap();
    let mention = &page.entries[0].1;
    assert_eq!(mention.text.matches('x').count(), 200_000);
    assert_eq!(mention.url.as_deref(), Some("https://a.example/1"), "a non-http url falls back to the uri");
    assert_eq!(mention.author.handle, None);
    let deep = format!("[{}1{}]", "[".repeat(5000), "]".repeat(5000));
    assert!(parse_timeline(deep.as_bytes(), context()).is_err());
    assert!(parse_search(deep.as_bytes(), context()).is_err());
    for body in [&b"null"[..], b"", b"{}", b"42", b"\"[]\"", b"{\"statuses\": null}"] {
        assert!(parse_timeline(body, context()).is_err(), "{}", String::from_utf8_lossy(body));
        assert!(parse_search(body, context()).is_err(), "{}", String::from_utf8_lossy(body));
    }
    let page = parse_timeline(b"[null, 1, \"x\", [], {}]", context()).unwrap();
    assert_eq!((page.entries.len(), page.skipped), (0, 5));
}

mod fetch {
    use hark_replay::{ReplayServer, Reply};

    use super::super::{KIND, Mastodon, Token};
    use super::FIXTURES;
    use crate::contract::Source;
    use crate::testing::{client, pass};
    use crate::{ConnectorError, Settings};

    fn tags(base: &str, tags: &[&str]) -> Mastodon {
        Mastodon::new(base, &tags.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>(), &[], None).unwrap()
    }

    #[tokio::test]
    async fn cursor_round_trip_without_repeats_and_base_url_honoured() {
        let server =
            ReplayServer::start(vec![("/social/api/v1/timelines/tag/rstats", vec![FIXTURES.reply("timeline_tag")])])
                .await
                .unwrap();
        let source = tags(&format!("{}/social/", server.base_url()), &["#rstats"]);
        let http = client(0);
        let first = source.fetch(pass(&http, "m"), None).await.unwrap();
        assert_eq!(first.mentions.len(), 5);
        assert!(!first.more, "a first pass takes the newest page only");
        assert_eq!(first.requests, 1);
        let requests = server.requests();
        assert_eq!(requests[0].target, "/social/api/v1/timelines/tag/rstats?limit=40");
        assert!(!requests[0].headers.iter().any(|(name, _)| name == "authorization"));

        // The server ignores since_id and repeats the page: nothing comes back twice.
        let second = source.fetch(pass(&http, "m"), first.next_cursor.as_deref()).await.unwrap();
        assert!(second.mentions.is_empty(), "{:?}", second.mentions.iter().map(|m| &m.external_id).collect::<Vec<_>>());
        assert!(!second.more);
        assert_eq!(
            server.requests()[1].target,
            "/social/api/v1/timelines/tag/rstats?limit=40&since_id=114870142396314555"
        );
        assert_eq!(second.next_cursor, first.next_cursor);
    }

    #[tokio::test]
    async fn a_full_window_is_walked_backwards_through_link_headers() {
        // Polled last when page 2's 21st status was the newest: page 1 is full and entirely new,
        // so the connector follows its Link next (max_id) down to the high-water mark.
        let floor = "114512012528082654";
        let server = ReplayServer::start(vec![(
            "/api/v1/timelines/tag/ichbinhanna",
            vec![
                FIXTURES.reply("timeline_tag_page1"),
                FIXTURES.reply("timeline_tag_page2_max_id"),
                Reply::new(200, "[]"),
            ],
        )])
        .await
        .unwrap();
        let source = tags(server.base_url(), &["ichbinhanna"]);
        let http = client(0);
        let cursor = format!("{{\"tag:ichbinhanna\": {{\"newest\": \"{floor}\"}}}}");
        let first = source.fetch(pass(&http, "m"), Some(&cursor)).await.unwrap();
        assert_eq!(first.mentions.len(), 40);
        assert!(first.more, "the window goes on below page 1");
        let second = source.fetch(pass(&http, "m"), first.next_cursor.as_deref()).await.unwrap();
        assert_eq!(second.mentions.len(), 20, "page 2 down to the high-water mark");
        assert!(!second.more);
        let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
        assert!(targets[0].ends_with(&format!("?limit=40&since_id={floor}")), "{}", targets[0]);
        assert!(targets[1].ends_with(&format!("since_id={floor}&max_id=114630169307317488")), "{}", targets[1]);
        // The window closed at page 1's newest status.
        let third = source.fetch(pass(&http, "m"), second.next_cursor.as_deref()).await.unwrap();
        assert!(third.mentions.is_empty() && !third.more);
        let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
        assert!(targets[2].ends_with("?limit=40&since_id=114856169736898681"), "{}", targets[2]);
        let mut all: Vec<&String> =
            first.mentions.iter().chain(&second.mentions).map(|m| &m.external_id).collect::<Vec<_>>();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 60);
    }

    #[tokio::test]
    async fn search_sends_the_token_and_errors_never_show_it() {
        let secret = "s3cr3t-t0ken-value";
        let statuses = String::from_utf8(FIXTURES.read("timeline_tag.json")).unwrap();
        let server = ReplayServer::start(vec![
            ("/ok/api/v2/search", vec![Reply::new(200, format!("{{\"accounts\": [], \"statuses\": {statuses}}}"))]),
            ("/ok/api/v1/timelines/tag/", vec![FIXTURES.reply("timeline_tag_empty")]),
            ("/refused/api/", vec![FIXTURES.reply("error_401_invalid_token")]),
            ("/missing/api/", vec![FIXTURES.reply("error_404_record_not_found")]),
        ])
        .await
        .unwrap();
        let token = Token { variable: "HARK_TEST_TOKEN".to_owned(), value: secret.to_owned() };
        let source = |path: &str| {
            Mastodon::new(
                &format!("{}{path}", server.base_url()),
                &["café".to_owned()],
                &["acme crm".to_owned()],
                Some(token.clone()),
            )
            .unwrap()
        };
        let page = source("/ok").fetch(pass(&client(0), "m"), None).await.unwrap();
        assert_eq!(page.mentions.len(), 5);
        let requests = server.requests();
        assert_eq!(requests[0].target, "/ok/api/v1/timelines/tag/caf%C3%A9?limit=40");
        assert_eq!(requests[1].target, "/ok/api/v2/search?q=acme+crm&type=statuses&limit=40");
        for request in &requests {
            let authorization = request.headers.iter().find(|(name, _)| name == "authorization").unwrap();
            assert_eq!(authorization.1, format!("Bearer {secret}"));
        }
        let cursor: serde_json::Value = serde_json::from_str(page.next_cursor.as_deref().unwrap()).unwrap();
        assert_eq!(cursor["search:acme crm"]["newest"], "114870142396314555");
        assert_eq!(cursor["tag:café"], serde_json::json!({}));
        let again = source("/ok").fetch(pass(&client(0), "m"), page.next_cursor.as_deref()).await.unwrap();
        assert!(again.mentions.is_empty());
        assert!(server.requests()[3].target.ends_with("&min_id=114870142396314555"), "{}", server.requests()[3].target);

        let refused = source("/refused").fetch(pass(&client(0), "m"), None).await.unwrap_err();
        assert!(matches!(refused, ConnectorError::Auth { status: 401, .. }), "{refused:?}");
        let missing = source("/missing").fetch(pass(&client(0), "m"), None).await.unwrap_err();
        assert!(
            missing.to_string().contains("tag:café answered HTTP 404; the server said \"Record not found\""),
            "{missing}"
        );
        for err in [&refused, &missing] {
            assert!(!format!("{err} {err:?}").contains(secret));
        }
        assert!(!format!("{:?}", source("/ok")).contains(secret));
    }

    #[tokio::test]
    async fn errors_are_errors_not_panics() {
        let server = ReplayServer::start(vec![
            ("/cut/", vec![FIXTURES.reply("timeline_tag").truncated(500)]),
            ("/garbage/", vec![Reply::new(200, "<html>not json</html>")]),
            ("/limited/", vec![Reply::new(429, "").header("Retry-After", "120")]),
            ("/odd-links/", vec![Reply::new(200, "[]").header("Link", "<<<;;; rel=\"\"\"next")]),
        ])
        .await
        .unwrap();
        let fetch = |path: &str| {
            let source = tags(&format!("{}{path}", server.base_url()), &["x"]);
            async move { source.fetch(pass(&client(0), "m"), None).await }
        };
        assert!(fetch("/cut/").await.is_err());
        assert!(matches!(fetch("/garbage/").await, Err(ConnectorError::Malformed { .. })));
        assert!(matches!(fetch("/limited/").await, Err(ConnectorError::RateLimited { retry_after_secs: 120, .. })));
        assert!(fetch("/odd-links/").await.unwrap().mentions.is_empty());
        for bad in ["{oops", "{\"tag:x\": {\"newest\": \"1 OR 1\"}}", "[]"] {
            let result = tags(server.base_url(), &["x"]).fetch(pass(&client(0), "m"), Some(bad)).await;
            assert!(matches!(result, Err(ConnectorError::Cursor { .. })), "{bad}: {result:?}");
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| (*item).to_owned()).collect()
    }

    /// A source reading `timelines`, filtered by `queries`, with no tags.
    fn timelines(base: &str, timelines: &[&str], queries: &[&str]) -> Mastodon {
        Mastodon::with_timelines(base, &[], &strings(queries), &strings(timelines), None).unwrap()
    }

    #[tokio::test]
    async fn the_public_timeline_keeps_only_statuses_matching_a_query() {
        let server = ReplayServer::start(vec![
            ("/api/v1/timelines/public", vec![FIXTURES.reply("timeline_public")]),
            ("/api/v2/search", vec![FIXTURES.reply("search_v2_no_statuses")]),
        ])
        .await
        .unwrap();
        let http = client(0);
        // Two of the 20 recorded statuses match; the flight deal is excluded by `-christmas`.
        let matching =
            timelines(server.base_url(), &["public"], &["\"barbara jordan\" OR headphones", "alaska -christmas"]);
        let page = matching.fetch(pass(&http, "m"), None).await.unwrap();
        let mut kept: Vec<&str> = page.mentions.iter().map(|m| m.external_id.as_str()).collect();
        kept.sort_unstable();
        assert_eq!(
            kept,
            [
                "https://mastodon.social/users/Deglassco/statuses/114870361818376588",
                "https://mastodon.social/users/timberwraith/statuses/114870361691086971",
            ]
        );
        assert!(!page.more);
        let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
        // The queries are still searched, and the timeline is read once.
        assert_eq!(
            targets,
            [
                "/api/v2/search?q=%22barbara+jordan%22+OR+headphones&type=statuses&limit=40",
                "/api/v2/search?q=alaska+-christmas&type=statuses&limit=40",
                "/api/v1/timelines/public?limit=40",
            ]
        );

        // Nothing matches: nothing is kept, yet the timeline's high-water mark moves on.
        let none = timelines(server.base_url(), &["public"], &["acme crm"]);
        let page = none.fetch(pass(&http, "m"), None).await.unwrap();
        assert!(page.mentions.is_empty(), "{:?}", page.mentions.iter().map(|m| &m.text).collect::<Vec<_>>());
        let cursor: serde_json::Value = serde_json::from_str(page.next_cursor.as_deref().unwrap()).unwrap();
        assert_eq!(cursor["timeline:public"]["newest"], "114870361973436726");
    }

    #[tokio::test]
    async fn the_local_timeline_asks_for_local_and_repeats_nothing() {
        let server = ReplayServer::start(vec![
            ("/api/v1/timelines/public", vec![FIXTURES.reply("timeline_public")]),
            ("/api/v2/search", vec![FIXTURES.reply("search_v2_no_statuses")]),
        ])
        .await
        .unwrap();
        let http = client(0);
        let source = timelines(server.base_url(), &["local", "LOCAL"], &["everyone"]);
        let first = source.fetch(pass(&http, "m"), None).await.unwrap();
        let mut kept: Vec<&str> = first.mentions.iter().map(|m| m.external_id.as_str()).collect();
        kept.sort_unstable();
        assert_eq!(
            kept,
            [
                "https://kolektiva.social/users/nobonzo/statuses/114870361401111213",
                "https://threads.net/ap/users/17841415492850986/post/18092086090572424/",
            ]
        );
        let requests = server.requests();
        assert_eq!(requests.len(), 2, "one search, and the local timeline once");
        assert_eq!(requests[1].target, "/api/v1/timelines/public?limit=40&local=true");
        assert!(!requests[1].headers.iter().any(|(name, _)| name == "authorization"));

        // The server ignores since_id and repeats the page: nothing comes back twice.
        let second = source.fetch(pass(&http, "m"), first.next_cursor.as_deref()).await.unwrap();
        assert!(second.mentions.is_empty());
        assert!(!second.more);
        assert_eq!(
            server.requests()[3].target,
            "/api/v1/timelines/public?limit=40&local=true&since_id=114870361973436726"
        );
        assert_eq!(second.next_cursor, first.next_cursor);

        // Statuses newer than the mark are read, and a content warning counts as text.
        let newer = serde_json::json!([
            {"id": "114870361973436800", "uri": "https://a.example/s/2", "spoiler_text": "Everyone, read this",
             "content": "<p>Behind a warning</p>"},
            {"id": "114870361973436790", "uri": "https://a.example/s/1", "content": "<p>unrelated</p>"},
        ]);
        let server = ReplayServer::start(vec![
            ("/api/v1/timelines/public", vec![Reply::new(200, newer.to_string())]),
            ("/api/v2/search", vec![FIXTURES.reply("search_v2_no_statuses")]),
        ])
        .await
        .unwrap();
        let source = timelines(server.base_url(), &["local"], &["everyone"]);
        let third = source.fetch(pass(&http, "m"), first.next_cursor.as_deref()).await.unwrap();
        let kept: Vec<&str> = third.mentions.iter().map(|m| m.external_id.as_str()).collect();
        assert_eq!(kept, ["https://a.example/s/2"]);
        let cursor: serde_json::Value = serde_json::from_str(third.next_cursor.as_deref().unwrap()).unwrap();
        assert_eq!(cursor["timeline:local"]["newest"], "114870361973436800");
    }

    #[test]
    fn build_refuses_timelines_without_queries() {
        let settings = Settings::new("m")
            .with_base_url("https://fosstodon.org")
            .with("tags", serde_json::json!(["acme"]))
            .with("timelines", serde_json::json!(["public"]));
        let err = (KIND.build)(&settings).err().unwrap();
        assert!(err.starts_with("m: timelines need queries"), "{err}");
        let only =
            Settings::new("m").with_base_url("https://fosstodon.org").with("timelines", serde_json::json!(["local"]));
        assert!((KIND.build)(&only).err().unwrap().contains("timelines need queries"));
        let unknown =
            only.clone().with("queries", serde_json::json!(["acme"])).with("timelines", serde_json::json!(["home"]));
        let err = (KIND.build)(&unknown).err().unwrap();
        assert!(err.contains("unknown timeline \"home\""), "{err}");
        assert!((KIND.build)(&only.with("queries", serde_json::json!(["acme"]))).is_ok());
    }

    #[test]
    fn build_checks_the_settings() {
        let settings = Settings::new("m").with("tags", serde_json::json!(["acme"]));
        let err = (KIND.build)(&settings).err().unwrap();
        assert!(err.contains("base_url"), "{err}");
        let unset = settings
            .clone()
            .with_base_url("https://fosstodon.org")
            .with("token_env", serde_json::json!("HARK_TEST_MASTODON_TOKEN_NEVER_SET"));
        let err = (KIND.build)(&unset).err().unwrap();
        assert!(err.contains("HARK_TEST_MASTODON_TOKEN_NEVER_SET"), "{err}");
        assert!((KIND.build)(&settings.clone().with_base_url("not a url")).is_err());
        assert!((KIND.build)(&settings.with_base_url("https://fosstodon.org")).is_ok());
        let nothing = Settings::new("m").with_base_url("https://fosstodon.org").with("tags", serde_json::json!(["#"]));
        assert!((KIND.build)(&nothing).is_err());
    }
}
