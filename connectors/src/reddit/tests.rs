//! Compatibility with the recorded responses in `../shared/fixtures/reddit/`, hostile variants
//! of them that must never panic, and whole passes against the replay server: public JSON and
//! OAuth, cursors, paging, refusals and rate limits.

use chrono::Utc;

use super::convert::{parse_listing, parse_token};
use crate::ConnectorError;
use crate::testing::Fixtures;

const FIXTURES: Fixtures = Fixtures("reddit");

/// The conformance suite's view of Reddit: public JSON, one subreddit, new submissions and
/// comments.
pub(crate) fn conformance_case() -> crate::conformance::Case {
    crate::conformance::Case {
        kind: &super::KIND,
        settings: |base_url| {
            crate::Settings::new("reddit")
                .with_base_url(base_url)
                .with("subreddits", serde_json::json!(["AskReddit"]))
                .with("comments", serde_json::json!(true))
        },
        routes: || {
            vec![
                ("/r/askreddit/new".to_owned(), vec![FIXTURES.reply("subreddit_new")]),
                ("/r/askreddit/comments".to_owned(), vec![FIXTURES.reply("subreddit_comments")]),
            ]
        },
        root_routes: Vec::new,
        main_route: "/r/askreddit/new",
        malformed_body: b"{\"kind\": \"Listing\", \"data\": {\"children\": 42}}",
    }
}

#[test]
fn recorded_new_submissions() {
    let page = parse_listing(&FIXTURES.read("subreddit_new.json"), "reddit", Utc::now()).unwrap();
    assert_eq!(page.entries.len(), 100);
    assert_eq!(page.unreadable, 0);
    assert_eq!(page.after.as_deref(), Some("t3_hozfbb"));
    assert!(page.entries.iter().all(|entry| entry.mention.is_some()), "link and question posts have a title");
    let first = page.entries[0].mention.as_ref().unwrap();
    assert_eq!(first.external_id, "t3_hozvuc");
    assert_eq!(page.entries[0].created, 1_594_424_685);
    assert_eq!(
        first.url.as_deref(),
        Some("https://www.reddit.com/r/AskReddit/comments/hozvuc/what_is_best_thing_america_has_done_for_the_world")
    );
    assert_eq!(first.title.as_deref(), Some("What is best thing America has done for the world?"));
    assert_eq!(
        first.text, "What is best thing America has done for the world?",
        "an empty selftext falls back to the title"
    );
    assert_eq!(first.author.handle.as_deref(), Some("p1aguedoc"));
    assert_eq!(first.author.profile_url.as_deref(), Some("https://www.reddit.com/user/p1aguedoc"));
    assert_eq!(first.thread_id.as_deref(), Some("t3_hozvuc"));
    assert_eq!(first.parent_id, None);
    assert_eq!((first.engagement.score, first.engagement.replies), (Some(3), Some(3)));
    assert_eq!(first.published_at.unwrap().timestamp(), 1_594_424_685);
    assert_eq!(first.raw.as_ref().unwrap()["name"], "t3_hozvuc");

    let newer = parse_listing(&FIXTURES.read("subreddit_new_before_cursor.json"), "reddit", Utc::now()).unwrap();
    assert_eq!(newer.entries.len(), 7);
    assert_eq!(newer.after, None);
    let empty = parse_listing(&FIXTURES.read("listing_empty.json"), "reddit", Utc::now()).unwrap();
    assert!(empty.entries.is_empty() && empty.after.is_none() && empty.unreadable == 0);
}

#[test]
fn recorded_comments() {
    let page = parse_listing(&FIXTURES.read("subreddit_comments.json"), "reddit", Utc::now()).unwrap();
    assert_eq!(page.entries.len(), 100);
    assert_eq!(page.after.as_deref(), Some("t1_fxl1nct"));
    let comment = page.entries[0].mention.as_ref().unwrap();
    assert_eq!(comment.external_id, "t1_fxl1p7i");
    assert_eq!(comment.thread_id.as_deref(), Some("t3_hoocpo"));
    assert_eq!(comment.parent_id.as_deref(), Some("t1_fxj90f6"));
    assert_eq!(comment.title, None);
    assert!(comment.text.starts_with("The Germans are a very resilient group."), "{}", comment.text);
    assert!(comment.text.contains("The German War Machine"));
    assert!(!comment.text.contains('<'), "{}", comment.text);
    assert_eq!(comment.engagement.replies, None);
    assert_eq!(
        comment.url.as_deref(),
        Some(
            "https://www.reddit.com/r/AskReddit/comments/hoocpo/dear_non_germans_what_do_you_think_of_germany/fxl1p7i"
        )
    );
}

#[test]
fn recorded_search_decodes_text() {
    let page = parse_listing(&FIXTURES.read("search_all.json"), "reddit", Utc::now()).unwrap();
    assert_eq!(page.entries.len(), 31);
    assert_eq!(page.after, None);
    let mentions: Vec<_> = page.entries.iter().filter_map(|entry| entry.mention.as_ref()).collect();
    assert_eq!(mentions.len(), 31);
    let pitch = mentions.iter().find(|m| m.external_id == "t3_5blz8h").unwrap();
    assert!(pitch.title.as_deref().unwrap().contains("requirements & features"), "{:?}", pitch.title);
    for mention in &mentions {
        assert!(!mention.text.contains("&amp;") && !mention.text.contains("<p>"), "{}", mention.text);
        assert!(mention.author.handle.is_some(), "{}", mention.external_id);
    }
    // Search results are not in time order: every entry keeps its own time.
    let times: Vec<i64> = page.entries.iter().map(|entry| entry.created).collect();
    assert_eq!(times.iter().min(), Some(&1_384_770_349));
    assert_eq!(times.iter().max(), Some(&1_553_728_251));
}

#[test]
fn removed_and_deleted_items_are_not_mentions() {
    let page = parse_listing(&FIXTURES.read("info_comment_removed.json"), "reddit", Utc::now()).unwrap();
    assert_eq!(page.entries.len(), 1);
    assert_eq!(page.entries[0].fullname, "t1_fx1hmwb");
    assert!(page.entries[0].mention.is_none(), "a [removed] comment is skipped");

    let mut value: serde_json::Value = serde_json::from_slice(&FIXTURES.read("subreddit_new.json")).unwrap();
    let children = value["data"]["children"].as_array_mut().unwrap();
    children[0]["data"]["selftext"] = serde_json::json!("[deleted]");
    children[1]["data"]["removed_by_category"] = serde_json::json!("moderator");
    children[2]["data"]["author"] = serde_json::json!("[deleted]");
    let page = parse_listing(&serde_json::to_vec(&value).unwrap(), "reddit", Utc::now()).unwrap();
    assert!(page.entries[0].mention.is_none() && page.entries[1].mention.is_none());
    let orphan = page.entries[2].mention.as_ref().unwrap();
    assert_eq!((orphan.author.handle.as_ref(), orphan.author.name.as_ref()), (None, None));
}

#[test]
fn ids_are_stable_across_parses() {
    let body = FIXTURES.read("subreddit_comments.json");
    let ids = |source: &str| {
        parse_listing(&body, source, Utc::now())
            .unwrap()
            .entries
            .into_iter()
            .map(|entry| entry.mention.unwrap().id)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids("reddit"), ids("another-name"));
}

#[test]
fn token_answers() {
    let (token, lifetime) =
        parse_token(200, br#"{"access_token": "abc-123", "token_type": "bearer", "expires_in": 86400, "scope": "*"}"#)
            .unwrap();
    assert_eq!((token.as_str(), lifetime), ("abc-123", Some(86400)));
    assert!(matches!(parse_token(200, br#"{"error": "invalid_grant"}"#), Err(ConnectorError::Auth { .. })));
    assert!(matches!(parse_token(200, b"<html>"), Err(ConnectorError::Malformed { .. })));
    assert!(matches!(parse_token(200, br#"{"access_token": ""}"#), Err(ConnectorError::Malformed { .. })));
    let odd = parse_token(200, br#"{"access_token": "bad token\r\nX-Evil: 1"}"#);
    assert!(matches!(odd, Err(ConnectorError::Malformed { .. })), "a token that cannot be a header value");
}

#[test]
fn hostile_variants_never_panic() {
    for name in ["subreddit_new.json", "subreddit_comments.json", "search_all.json", "subreddit_new_before_cursor.json"]
    {
        let body = FIXTURES.read(name);
        for cut in (0..body.len()).step_by(997) {
            let _ = parse_listing(&body[..cut], "reddit", Utc::now());
        }
        assert!(parse_listing(&body[..body.len() / 2], "reddit", Utc::now()).is_err());
        let mut broken = body.clone();
        broken.insert(body.len() / 2, 0xff);
        let _ = parse_listing(&broken, "reddit", Utc::now());
        // Wrong types: names as objects, times as strings, kinds unknown.
        let mut value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let children = value["data"]["children"].as_array_mut().unwrap();
        let total = children.len();
        for (index, child) in children.iter_mut().enumerate() {
            match index % 4 {
                0 => child["data"]["name"] = serde_json::json!({"nested": true}),
                1 => child["data"]["created_utc"] = serde_json::json!("yesterday"),
                2 => child["kind"] = serde_json::json!("more"),
                _ => child["data"]["name"] = serde_json::json!("t9_wrongkind"),
            }
        }
        let page = parse_listing(&serde_json::to_vec(&value).unwrap(), "reddit", Utc::now()).unwrap();
        assert_eq!((page.entries.len(), page.unreadable), (0, total));
        value["data"]["children"] = serde_json::json!({"not": "a list"});
        assert!(parse_listing(&serde_json::to_vec(&value).unwrap(), "reddit", Utc::now()).is_err());
    }
    let huge = serde_json::json!({"data": {"children": [{"kind": "t1", "data": {
        "name": "t1_abc", "created_utc": 1.5e9, "body": "x ".repeat(300_000), "author": "a".repeat(100_000),
        "score": 1e300, "permalink": "/r/x/".repeat(10_000)}}]}});
    let page = parse_listing(&serde_json::to_vec(&huge).unwrap(), "reddit", Utc::now()).unwrap();
    assert_eq!(page.entries[0].mention.as_ref().unwrap().text.matches('x').count(), 300_000);
    for created in [f64::MAX, -1e300, 1e20] {
        let odd = serde_json::json!({"data": {"children": [{"kind": "t3", "data": {"name": "t3_a", "created_utc": created, "title": "t"}}]}});
        let page = parse_listing(&serde_json::to_vec(&odd).unwrap(), "reddit", Utc::now()).unwrap();
        assert_eq!(page.unreadable, 1, "{created}");
    }
    let deep_html = serde_json::json!({"data": {"children": [{"kind": "t1", "data": {
        "name": "t1_deep", "created_utc": 1.5e9, "body": "deep", "body_html": "<div>".repeat(5000) + "deep"}}]}});
    let page = parse_listing(&serde_json::to_vec(&deep_html).unwrap(), "reddit", Utc::now()).unwrap();
    assert!(page.entries[0].mention.as_ref().unwrap().text.contains("deep"));
    let deep = format!("{{\"data\": {{\"children\": [{}1{}]}}}}", "[".repeat(5000), "]".repeat(5000));
    assert!(parse_listing(deep.as_bytes(), "reddit", Utc::now()).is_err());
    assert!(parse_listing(b"null", "reddit", Utc::now()).is_err());
    assert!(parse_listing(b"", "reddit", Utc::now()).is_err());
    assert!(parse_listing(&FIXTURES.read("error_429_too_many_requests.html"), "reddit", Utc::now()).is_err());
}

mod build {
    use crate::Settings;

    fn build(settings: &Settings) -> Result<(), String> {
        (super::super::KIND.build)(settings).map(|_| ())
    }

    #[test]
    fn settings_are_checked() {
        let base = Settings::new("r");
        assert!(build(&base.clone().with("subreddits", serde_json::json!(["r/CRM", "/r/sales/"]))).is_ok());
        assert!(build(&base.clone().with("queries", serde_json::json!(["acme"]))).is_ok());
        let err = build(&base.clone().with("subreddits", serde_json::json!(["not a name"]))).unwrap_err();
        assert!(err.contains("not a name"), "{err}");
        let err =
            build(&base.clone().with("queries", serde_json::json!(["acme"])).with("comments", serde_json::json!(true)))
                .unwrap_err();
        assert!(err.contains("comments"), "{err}");
        let err = build(
            &base
                .clone()
                .with("queries", serde_json::json!(["acme"]))
                .with("client_id_env", serde_json::json!("HARK_TEST_REDDIT_UNSET_ID")),
        )
        .unwrap_err();
        assert!(err.contains("HARK_TEST_REDDIT_UNSET_ID"), "the variable is named: {err}");
        let err = build(
            &base.clone().with("queries", serde_json::json!(["acme"])).with("user_agent", serde_json::json!("a\r\nb")),
        )
        .unwrap_err();
        assert!(err.contains("user_agent"), "{err}");
        assert!(build(&base).is_err(), "nothing to read");
    }
}

mod fetch {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use base64::Engine as _;
    use hark_replay::{ReplayServer, Reply};

    use super::super::{Credentials, Options, Reddit};
    use super::FIXTURES;
    use crate::ConnectorError;
    use crate::contract::Source;
    use crate::testing::{client, header, pass};

    fn options(subreddits: &[&str], queries: &[&str], comments: bool) -> Options {
        Options {
            subreddits: subreddits.iter().map(|s| (*s).to_owned()).collect(),
            queries: queries.iter().map(|s| (*s).to_owned()).collect(),
            comments,
            user_agent: "test:hark-tests:1.0 (by /u/hark_test)".to_owned(),
        }
    }

    const SECRET: &str = "s3cr3t-Value-9f2";
    const TOKEN: &str = "tok-Bearer-77ab";

    fn credentials() -> Credentials {
        Credentials {
            name: "HARK_TEST_REDDIT_ID".to_owned(),
            client_id: "client-abc".to_owned(),
            secret: SECRET.to_owned(),
        }
    }

    fn token_reply(token: &str) -> Reply {
        Reply::new(
            200,
            format!(r#"{{"access_token": "{token}", "token_type": "bearer", "expires_in": 86400, "scope": "*"}}"#),
        )
    }

    /// A copy of the recorded submissions, `shift` seconds newer, with fresh fullnames.
    fn shifted(shift: f64, suffix: &str) -> Reply {
        FIXTURES.edited("subreddit_new", |body| {
            for child in body["data"]["children"].as_array_mut().unwrap() {
                let data = &mut child["data"];
                data["created_utc"] = serde_json::json!(data["created_utc"].as_f64().unwrap() + shift);
                data["name"] = serde_json::json!(format!("{}{suffix}", data["name"].as_str().unwrap()));
            }
        })
    }

    #[tokio::test]
    async fn public_listing_round_trip_without_repeats() {
        let server =
            ReplayServer::start(vec![("/base/r/askreddit/new", vec![FIXTURES.reply("subreddit_new")])]).await.unwrap();
        let base = format!("{}/base", server.base_url());
        let source = Reddit::new(Some(&base), options(&["askreddit"], &[], false), None);
        let http = client(0);
        let first = source.fetch(pass(&http, "reddit"), None).await.unwrap();
        assert_eq!(first.mentions.len(), 100);
        assert!(!first.more, "the first pass starts at the newest page, it does not walk back");
        let requests = server.requests();
        assert_eq!(requests[0].target, "/base/r/askreddit/new.json?limit=100&raw_json=1");
        assert_eq!(header(&requests[0], "user-agent"), Some("test:hark-tests:1.0 (by /u/hark_test)"));
        assert_eq!(
            requests[0].headers.iter().filter(|(name, _)| name == "user-agent").count(),
            1,
            "replaced, not added"
        );
        assert_eq!(header(&requests[0], "authorization"), None);

        let second = source.fetch(pass(&http, "reddit"), first.next_cursor.as_deref()).await.unwrap();
        assert!(second.mentions.is_empty());
        assert!(!server.requests()[1].target.contains("after="), "nothing new, so no walking back");
        let third = source.fetch(pass(&http, "reddit"), second.next_cursor.as_deref()).await.unwrap();
        assert!(third.mentions.is_empty());
        assert_eq!(third.next_cursor, second.next_cursor);
        let cursor: serde_json::Value = serde_json::from_str(first.next_cursor.as_deref().unwrap()).unwrap();
        let listing = &cursor["new:r/askreddit"];
        assert_eq!(listing["newest"], 1_594_424_685);
        assert_eq!(listing["floor"], 1_594_424_685 - 1800);
        assert_eq!(listing["seen"].as_object().unwrap().len(), 100, "all 100 lie within the overlap");
    }

    #[tokio::test]
    async fn a_page_that_is_all_new_is_followed_back_with_after() {
        let script = vec![FIXTURES.reply("subreddit_new"), shifted(5000.0, "n"), FIXTURES.reply("subreddit_new")];
        let server = ReplayServer::start(vec![("/r/askreddit/new", script)]).await.unwrap();
        let source = Reddit::new(Some(server.base_url()), options(&["askreddit"], &[], false), None);
        let http = client(0);
        let first = source.fetch(pass(&http, "reddit"), None).await.unwrap();
        let second = source.fetch(pass(&http, "reddit"), first.next_cursor.as_deref()).await.unwrap();
        assert_eq!(second.mentions.len(), 100);
        assert!(second.more, "a whole page of new posts: older new ones may wait behind it");
        let third = source.fetch(pass(&http, "reddit"), second.next_cursor.as_deref()).await.unwrap();
        assert!(server.requests()[2].target.contains("after=t3_hozfbb"), "{}", server.requests()[2].target);
        assert!(third.mentions.is_empty() && !third.more, "the walk ends where known posts begin");
        source.fetch(pass(&http, "reddit"), third.next_cursor.as_deref()).await.unwrap();
        assert!(!server.requests()[3].target.contains("after="));
        let cursor: serde_json::Value = serde_json::from_str(third.next_cursor.as_deref().unwrap()).unwrap();
        assert_eq!(cursor["new:r/askreddit"]["floor"], 1_594_424_685 + 5000 - 1800, "the floor moved up");
    }

    #[tokio::test]
    async fn searches_and_filtered_comments() {
        let server = ReplayServer::start(vec![
            ("/search", vec![FIXTURES.reply("search_all")]),
            ("/r/crm+sales/search", vec![FIXTURES.reply("subreddit_new_before_cursor")]),
            ("/r/crm+sales/comments", vec![FIXTURES.reply("subreddit_comments")]),
        ])
        .await
        .unwrap();
        let everywhere = Reddit::new(Some(server.base_url()), options(&[], &["praw oauth"], false), None);
        let page = everywhere.fetch(pass(&client(0), "reddit"), None).await.unwrap();
        assert_eq!(page.mentions.len(), 31);
        assert_eq!(server.requests()[0].target, "/search.json?limit=100&raw_json=1&q=praw+oauth&sort=new&type=link");
        let again = everywhere.fetch(pass(&client(0), "reddit"), page.next_cursor.as_deref()).await.unwrap();
        assert!(again.mentions.is_empty(), "years-old results below the floor, the newest one seen");

        let inside = Reddit::new(Some(server.base_url()), options(&["crm", "sales"], &["germans"], true), None);
        let page = inside.fetch(pass(&client(0), "reddit"), None).await.unwrap();
        let targets: Vec<String> = server.requests()[2..].iter().map(|r| r.target.clone()).collect();
        assert_eq!(
            targets[0],
            "/r/crm+sales/search.json?limit=100&raw_json=1&q=germans&sort=new&type=link&restrict_sr=1"
        );
        assert_eq!(targets[1], "/r/crm+sales/comments.json?limit=100&raw_json=1");
        let comments: Vec<_> = page.mentions.iter().filter(|m| m.external_id.starts_with("t1_")).collect();
        assert!(!comments.is_empty());
        assert!(comments.iter().all(|m| m.text.to_lowercase().contains("germans")), "only comments naming the query");
        assert_eq!(page.mentions.len() - comments.len(), 7, "the search results are kept whole");
    }

    #[tokio::test]
    async fn removed_items_are_counted_once() {
        let server = ReplayServer::start(vec![
            ("/r/pics/new", vec![FIXTURES.reply("listing_empty")]),
            ("/r/pics/comments", vec![FIXTURES.reply("info_comment_removed")]),
        ])
        .await
        .unwrap();
        let source = Reddit::new(Some(server.base_url()), options(&["pics"], &[], true), None);
        let first = source.fetch(pass(&client(0), "reddit"), None).await.unwrap();
        assert_eq!((first.mentions.len(), first.skipped), (0, 1));
        let second = source.fetch(pass(&client(0), "reddit"), first.next_cursor.as_deref()).await.unwrap();
        assert_eq!(second.skipped, 0, "already counted");
    }

    #[tokio::test]
    async fn oauth_token_flow_under_base_url() {
        let server = ReplayServer::start(vec![
            ("/api/v1/access_token", vec![token_reply(TOKEN)]),
            ("/r/askreddit/new", vec![FIXTURES.reply("subreddit_new")]),
            ("/r/askreddit/comments", vec![FIXTURES.reply("subreddit_comments")]),
        ])
        .await
        .unwrap();
        let source = Reddit::new(Some(server.base_url()), options(&["AskReddit"], &[], true), Some(credentials()));
        let page = source.fetch(pass(&client(0), "reddit"), None).await.unwrap();
        assert_eq!(page.mentions.len(), 200);
        assert_eq!(page.requests, 3, "one token for both listings");
        let requests = server.requests();
        assert_eq!(requests[0].target, "/api/v1/access_token");
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("client-abc:{SECRET}"));
        assert_eq!(header(&requests[0], "authorization"), Some(format!("Basic {basic}").as_str()));
        assert_eq!(header(&requests[0], "content-type"), Some("application/x-www-form-urlencoded"));
        assert_eq!(header(&requests[0], "user-agent"), Some("test:hark-tests:1.0 (by /u/hark_test)"));
        assert_eq!(requests[1].target, "/r/askreddit/new?limit=100&raw_json=1", "OAuth paths take no .json");
        assert_eq!(header(&requests[1], "authorization"), Some(format!("bearer {TOKEN}").as_str()));
        assert_eq!(header(&requests[2], "authorization"), Some(format!("bearer {TOKEN}").as_str()));
    }

    #[tokio::test]
    async fn an_expired_token_is_renewed_once() {
        let server = ReplayServer::start(vec![
            ("/api/v1/access_token", vec![token_reply("first-token"), token_reply("second-token")]),
            ("/r/askreddit/new", vec![FIXTURES.reply("subreddit_new")]),
            ("/r/askreddit/comments", vec![Reply::new(401, "{}"), FIXTURES.reply("subreddit_comments")]),
        ])
        .await
        .unwrap();
        let source = Reddit::new(Some(server.base_url()), options(&["askreddit"], &[], true), Some(credentials()));
        let page = source.fetch(pass(&client(0), "reddit"), None).await.unwrap();
        assert_eq!(page.mentions.len(), 200);
        let requests = server.requests();
        let targets: Vec<&str> = requests.iter().map(|r| r.target.split('?').next().unwrap()).collect();
        assert_eq!(
            targets,
            [
                "/api/v1/access_token",
                "/r/askreddit/new",
                "/r/askreddit/comments",
                "/api/v1/access_token",
                "/r/askreddit/comments"
            ]
        );
        assert_eq!(header(&requests[4], "authorization"), Some("bearer second-token"));
    }

    /// A log sink for the secret checks.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn secrets_stay_out_of_errors_and_logs() {
        let sink = Sink::default();
        let writer = sink.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let server = ReplayServer::start(vec![
            (
                "/refused/api/v1/access_token",
                vec![Reply::new(401, format!(r#"{{"message": "Unauthorized {SECRET}"}}"#))],
            ),
            ("/denied/api/v1/access_token", vec![Reply::new(200, r#"{"error": "invalid_grant"}"#)]),
            ("/limited/api/v1/access_token", vec![token_reply(TOKEN)]),
            ("/limited/r/askreddit/new", vec![Reply::new(429, "whoa").header("Retry-After", "1")]),
            ("/gone/api/v1/access_token", vec![token_reply(TOKEN)]),
            ("/gone/r/askreddit/new", vec![Reply::new(500, format!("echo: bearer {TOKEN}"))]),
        ])
        .await
        .unwrap();
        let mut errors = Vec::new();
        for path in ["/refused", "/denied", "/limited", "/gone"] {
            let base = format!("{}{path}", server.base_url());
            let source = Reddit::new(Some(&base), options(&["askreddit"], &[], false), Some(credentials()));
            let err = source.fetch(pass(&client(1), "reddit"), None).await.unwrap_err();
            errors.push(format!("{err} {err:?}"));
            errors.push(format!("{source:?}"));
        }
        assert!(errors[0].contains("HTTP 401"), "{}", errors[0]);
        assert!(errors[2].contains("HTTP 401") || errors[2].contains("credentials"), "{}", errors[2]);
        let logs = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert!(logs.contains("rate limited"), "the log was captured: {logs}");
        for text in errors.iter().chain(std::iter::once(&logs)) {
            assert!(!text.contains(SECRET) && !text.contains(TOKEN), "a secret leaked: {text}");
            assert!(!text.contains(&base64::engine::general_purpose::STANDARD.encode(format!("client-abc:{SECRET}"))));
        }
    }

    #[tokio::test]
    async fn quarantined_communities_and_rate_limits() {
        let server = ReplayServer::start(vec![
            ("/q/r/tiananmenaquarefalse/new", vec![FIXTURES.reply("error_403_quarantined")]),
            (
                "/slow/r/askreddit/new",
                vec![FIXTURES.reply("error_429_too_many_requests"), FIXTURES.reply("subreddit_new")],
            ),
            ("/html/r/askreddit/new", vec![Reply::new(200, "<html><body>blocked</body></html>")]),
        ])
        .await
        .unwrap();
        let at = |path: &str, sub: &str| {
            Reddit::new(Some(&format!("{}{path}", server.base_url())), options(&[sub], &[], false), None)
        };
        let err = at("/q", "tiananmenaquarefalse").fetch(pass(&client(0), "reddit"), None).await.unwrap_err();
        match &err {
            ConnectorError::Http { detail, .. } => {
                assert!(detail.contains("quarantined") && detail.contains("/r/tiananmenaquarefalse"), "{detail}");
            }
            other => panic!("a quarantined community is unavailable, not a credential problem: {other:?}"),
        }
        let started = std::time::Instant::now();
        let page = at("/slow", "askreddit").fetch(pass(&client(1), "reddit"), None).await.unwrap();
        assert!(started.elapsed() >= Duration::from_secs(4), "retry-after: 4 is honoured");
        assert!(page.waited >= Duration::from_secs(4) && page.requests == 2, "{:?} {}", page.waited, page.requests);
        assert_eq!(page.mentions.len(), 100);
        let err = at("/html", "askreddit").fetch(pass(&client(0), "reddit"), None).await.unwrap_err();
        assert!(matches!(err, ConnectorError::Malformed { .. }), "{err:?}");
        let bad_cursor = at("/slow", "askreddit").fetch(pass(&client(0), "reddit"), Some("[1, 2")).await;
        assert!(matches!(bad_cursor, Err(ConnectorError::Cursor { .. })));
    }
}
