//! Compatibility with the recorded responses in `../shared/fixtures/stackexchange/`, hostile
//! variants of them that must never panic, and whole passes against the replay server:
//! cursors, paging, `backoff`, quota and error bodies.

use chrono::Utc;

use super::convert::{parse_error, parse_response, site_key, throttle_wait};
use crate::testing::Fixtures;

const FIXTURES: Fixtures = Fixtures("stackexchange");

/// The recorded page of 30 questions with its wrapper fields changed.
fn questions(change: impl FnOnce(&mut serde_json::Value)) -> hark_replay::Reply {
    FIXTURES.edited("questions_unanswered_tagged_page1", change)
}

/// The conformance suite's view of Stack Exchange: one query on Stack Overflow, answered by the
/// recorded page of 30 questions (which says more pages exist).
pub(crate) fn conformance_case() -> crate::conformance::Case {
    crate::conformance::Case {
        kind: &super::KIND,
        settings: |base_url| {
            crate::Settings::new("so")
                .with_base_url(base_url)
                .with("site", serde_json::json!("stackoverflow"))
                .with("queries", serde_json::json!(["ruby"]))
        },
        routes: || vec![("/2.3/search/advanced".to_owned(), vec![FIXTURES.reply("questions_unanswered_tagged_page1")])],
        root_routes: Vec::new,
        main_route: "/2.3/search/advanced",
        malformed_body: b"{\"items\": 42, \"has_more\": false}",
    }
}

#[test]
fn recorded_questions() {
    let page =
        parse_response(&FIXTURES.read("questions_unanswered_tagged_page1.json"), "stackoverflow", "so", Utc::now())
            .unwrap();
    assert_eq!(page.items.len(), 30);
    assert_eq!(page.skipped, 0);
    assert!(page.has_more);
    assert_eq!((page.quota_remaining, page.quota_max, page.backoff), (Some(292), Some(300), None));
    let first = &page.items[0].mention;
    assert_eq!(first.external_id, "stackoverflow/q/23609169");
    assert_eq!(page.items[0].question_id, 23_609_169);
    assert_eq!(
        first.url.as_deref(),
        Some("http://stackoverflow.com/questions/23609169/ruby-refactoring-sentence-manipulation")
    );
    assert_eq!(first.title.as_deref(), Some("Ruby refactoring sentence manipulation"));
    assert_eq!(first.text, "Ruby refactoring sentence manipulation", "no body in this filter: the title");
    assert_eq!(first.author.handle.as_deref(), Some("1016536"));
    assert_eq!(first.author.name.as_deref(), Some("TheLegend"));
    assert_eq!(first.author.reach, Some(873));
    assert_eq!(first.author.profile_url.as_deref(), Some("http://stackoverflow.com/users/1016536/thelegend"));
    assert_eq!((first.engagement.score, first.engagement.replies), (Some(0), Some(2)));
    assert_eq!(first.published_at.unwrap().timestamp(), 1_399_897_961);
    assert_eq!(first.thread_id.as_deref(), Some("stackoverflow/q/23609169"));
    assert_eq!(first.raw.as_ref().unwrap()["question_id"], 23_609_169);

    let by_id = |id: &str| page.items.iter().map(|item| &item.mention).find(|m| m.external_id.ends_with(id)).unwrap();
    assert_eq!(by_id("/23609175").title.as_deref(), Some("Python's list comprehension in Ruby"));
    assert_eq!(by_id("/23606240").title.as_deref(), Some("\"Rails Style\" - nested routes in in Ember.js"));
    assert_eq!(by_id("/23607768").author.name.as_deref(), Some("Mindaugas Bernatavičius"));
}

#[test]
fn other_recordings() {
    let two =
        parse_response(&FIXTURES.read("questions_tagged_has_more.json"), "stackoverflow", "so", Utc::now()).unwrap();
    assert_eq!((two.items.len(), two.has_more, two.quota_remaining), (2, true, Some(299)));
    assert_eq!(two.items[1].mention.external_id, "stackoverflow/q/35562511");
    let one = parse_response(&FIXTURES.read("question_by_id.json"), "stackoverflow", "so", Utc::now()).unwrap();
    let mention = &one.items[0].mention;
    assert_eq!(mention.title.as_deref(), Some("Concept behind these four lines of tricky C code"));
    assert_eq!(mention.author.handle, None, "no user_id in this filter");
    assert_eq!(mention.author.name.as_deref(), Some("codeslayer1"));
    assert_eq!(mention.author.profile_url, None);
    let gone = parse_response(&FIXTURES.read("posts_deleted_empty_items.json"), "askubuntu", "au", Utc::now()).unwrap();
    assert!(gone.items.is_empty() && !gone.has_more);
    assert_eq!(gone.quota_remaining, Some(192));
}

#[test]
fn bodies_are_plain_text() {
    let mut value: serde_json::Value =
        serde_json::from_slice(&FIXTURES.read("questions_tagged_has_more.json")).unwrap();
    value["items"][0]["body"] =
        serde_json::json!("<p>Is <code>a &amp;&amp; b</code> &lt;safe&gt;?</p><script>alert(1)</script>");
    value["items"][1]["owner"] = serde_json::json!({"user_type": "does_not_exist", "display_name": "user&#39;s ghost"});
    value["backoff"] = serde_json::json!(10);
    let page = parse_response(&serde_json::to_vec(&value).unwrap(), "stackoverflow", "so", Utc::now()).unwrap();
    assert_eq!(page.backoff, Some(10));
    let text = &page.items[0].mention.text;
    assert!(text.contains("Is a && b <safe>?"), "{text}");
    assert!(!text.contains("alert"), "{text}");
    let ghost = &page.items[1].mention.author;
    assert_eq!((ghost.handle.as_deref(), ghost.name.as_deref(), ghost.reach), (None, Some("user's ghost"), None));
}

#[test]
fn sites_errors_and_waits() {
    assert_eq!(site_key("stackoverflow"), "stackoverflow");
    assert_eq!(site_key("StackOverflow.com"), "stackoverflow");
    assert_eq!(site_key("unix.stackexchange.com"), "unix");
    assert_eq!(site_key("meta.stackoverflow"), "meta.stackoverflow");
    let error = parse_error(&String::from_utf8(FIXTURES.read("error_400_bad_parameter.json")).unwrap()).unwrap();
    assert_eq!(error.error_id, 400);
    assert_eq!(error.error_name.as_deref(), Some("bad_parameter"));
    assert_eq!(error.error_message.as_deref(), Some("Invalid filter specified"));
    assert!(parse_error("<html>").is_none());
    assert_eq!(throttle_wait("too many requests from this IP, more requests available in 67194 seconds"), Some(67194));
    assert_eq!(throttle_wait("no wait here"), None);
}

#[test]
fn ids_are_stable_across_parses() {
    let body = FIXTURES.read("questions_unanswered_tagged_page1.json");
    let ids = |source: &str| {
        parse_response(&body, "stackoverflow", source, Utc::now())
            .unwrap()
            .items
            .into_iter()
            .map(|item| item.mention.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids("so"), ids("another-name"));
    let elsewhere = parse_response(&body, "superuser", "so", Utc::now()).unwrap();
    assert_ne!(elsewhere.items[0].mention.id, ids("so")[0], "the same number on another site is another post");
}

#[test]
fn hostile_variants_never_panic() {
    for name in ["questions_unanswered_tagged_page1.json", "questions_tagged_has_more.json", "question_by_id.json"] {
        let body = FIXTURES.read(name);
        for cut in (0..body.len()).step_by(53) {
            let _ = parse_response(&body[..cut], "stackoverflow", "so", Utc::now());
        }
        assert!(parse_response(&body[..body.len() / 2], "stackoverflow", "so", Utc::now()).is_err());
        let mut broken = body.clone();
        broken.insert(body.len() / 2, 0xff);
        let _ = parse_response(&broken, "stackoverflow", "so", Utc::now());
        let mut value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let items = value["items"].as_array_mut().unwrap();
        let total = items.len();
        for (index, item) in items.iter_mut().enumerate() {
            match index % 3 {
                0 => item["question_id"] = serde_json::json!("twelve"),
                1 => item["creation_date"] = serde_json::json!(1e300),
                _ => item["owner"] = serde_json::json!([1, 2, 3]),
            }
        }
        value["backoff"] = serde_json::json!(-5);
        let page = parse_response(&serde_json::to_vec(&value).unwrap(), "stackoverflow", "so", Utc::now()).unwrap();
        assert_eq!((page.items.len(), page.skipped), (0, total));
        assert_eq!(page.backoff, None, "a negative backoff is no backoff");
        value["items"] = serde_json::json!({"a": 1});
        assert!(parse_response(&serde_json::to_vec(&value).unwrap(), "stackoverflow", "so", Utc::now()).is_err());
    }
    let huge = serde_json::json!({"items": [{"question_id": 1, "creation_date": 1, "title": "t",
        "body": "<p>x</p>".repeat(200_000), "owner": {"display_name": "n".repeat(100_000), "user_id": -3}}]});
    let page = parse_response(&serde_json::to_vec(&huge).unwrap(), "stackoverflow", "so", Utc::now()).unwrap();
    assert_eq!(page.items[0].mention.text.matches('x').count(), 200_000);
    assert_eq!(page.items[0].mention.author.handle, None, "a negative user id is no user");
    let deep_html =
        serde_json::json!({"items": [{"question_id": 2, "creation_date": 1, "body": "<b>".repeat(10_000) + "deep"}]});
    let page = parse_response(&serde_json::to_vec(&deep_html).unwrap(), "stackoverflow", "so", Utc::now()).unwrap();
    assert!(page.items[0].mention.text.contains("deep"));
    let deep = format!("{{\"items\": [{}1{}]}}", "[".repeat(5000), "]".repeat(5000));
    assert!(parse_response(deep.as_bytes(), "stackoverflow", "so", Utc::now()).is_err());
    assert!(parse_response(b"null", "stackoverflow", "so", Utc::now()).is_err());
    assert!(parse_response(b"", "stackoverflow", "so", Utc::now()).is_err());
    assert!(parse_response(&FIXTURES.read("error_400_bad_parameter.json"), "stackoverflow", "so", Utc::now()).is_err());
}

mod build {
    use crate::Settings;

    fn build(settings: &Settings) -> Result<(), String> {
        (super::super::KIND.build)(settings).map(|_| ())
    }

    #[test]
    fn settings_are_checked() {
        let base = Settings::new("so").with("site", serde_json::json!("stackoverflow"));
        assert!(build(&base.clone().with("queries", serde_json::json!(["acme"]))).is_ok());
        assert!(build(&base.clone().with("tags", serde_json::json!(["acme-crm"]))).is_ok());
        assert!(build(&base).is_err(), "nothing to search");
        let err = build(&Settings::new("so").with("queries", serde_json::json!(["acme"]))).unwrap_err();
        assert!(err.contains("site"), "{err}");
        let err = build(&base.clone().with("tags", serde_json::json!(["two words"]))).unwrap_err();
        assert!(err.contains("two words"), "{err}");
        let err = build(
            &base.with("queries", serde_json::json!(["acme"])).with("key_env", serde_json::json!("HARK_TEST_SE_UNSET")),
        )
        .unwrap_err();
        assert!(err.contains("HARK_TEST_SE_UNSET"), "{err}");
    }

    #[test]
    fn searches_combine_queries_and_tags() {
        use super::super::{Search, searches};
        let strings = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            searches(&[], &strings(&["a", "b"])),
            [Search { query: None, tags: strings(&["a"]) }, Search { query: None, tags: strings(&["b"]) }]
        );
        assert_eq!(
            searches(&strings(&["acme"]), &strings(&["a", "b"])),
            [Search { query: Some("acme".to_owned()), tags: strings(&["a", "b"]) }]
        );
    }
}

mod fetch {
    use std::time::{Duration, Instant};

    use hark_replay::{ReplayServer, Reply};

    use super::super::{Credential, Search, StackExchange};
    use super::{FIXTURES, questions};
    use crate::ConnectorError;
    use crate::contract::Source;
    use crate::http::{HttpClient, HttpConfig};
    use crate::testing::{config, pass};

    const KEY: &str = "appkey((Zz9";
    const TOKEN: &str = "usertoken))Yy8";

    fn client() -> HttpClient {
        HttpClient::new(HttpConfig { max_retry_after: Duration::from_secs(3), ..config(0) }).unwrap()
    }

    fn source(base: &str, query: &str) -> StackExchange {
        let search = Search { query: Some(query.to_owned()), tags: Vec::new() };
        StackExchange::new(Some(base), "stackoverflow", vec![search], None, None)
    }

    fn last(server: &ReplayServer) -> String {
        server.requests().last().unwrap().target.clone()
    }

    #[tokio::test]
    async fn cursor_round_trip_without_repeats_and_base_url_honoured() {
        let page = questions(|body| body["has_more"] = serde_json::json!(false));
        let server = ReplayServer::start(vec![("/se/2.3/search/advanced", vec![page])]).await.unwrap();
        let source = source(&format!("{}/se", server.base_url()), "ruby gem");
        let http = client();
        let first = source.fetch(pass(&http, "so"), None).await.unwrap();
        assert_eq!(first.mentions.len(), 30);
        assert_eq!(
            last(&server),
            "/se/2.3/search/advanced?site=stackoverflow&q=ruby+gem&sort=creation&order=desc&filter=withbody&pagesize=100"
        );
        let second = source.fetch(pass(&http, "so"), first.next_cursor.as_deref()).await.unwrap();
        assert!(second.mentions.is_empty(), "{:?}", second.mentions.iter().map(|m| &m.external_id).collect::<Vec<_>>());
        assert!(last(&server).ends_with("&fromdate=1399897982"), "{}", last(&server));
        assert_eq!(second.next_cursor, first.next_cursor);
    }

    #[tokio::test]
    async fn a_window_of_several_pages_is_walked_with_todate_fixed() {
        let newer = questions(|body| {
            for item in body["items"].as_array_mut().unwrap() {
                item["creation_date"] = serde_json::json!(item["creation_date"].as_i64().unwrap() + 2_000_000);
                item["question_id"] = serde_json::json!(item["question_id"].as_u64().unwrap() + 1_000_000);
            }
        });
        let older = questions(|body| body["has_more"] = serde_json::json!(false));
        // The first pass reads only the newest page even though more are waiting.
        let script = vec![FIXTURES.reply("questions_unanswered_tagged_page1"), newer, older];
        let server = ReplayServer::start(vec![("/2.3/search/advanced", script)]).await.unwrap();
        let source = source(server.base_url(), "ruby");
        let http = client();
        let first = source.fetch(pass(&http, "so"), None).await.unwrap();
        assert!(!first.more && first.mentions.len() == 30);
        let second = source.fetch(pass(&http, "so"), first.next_cursor.as_deref()).await.unwrap();
        assert_eq!(second.mentions.len(), 30);
        assert!(second.more);
        let third = source.fetch(pass(&http, "so"), second.next_cursor.as_deref()).await.unwrap();
        let target = last(&server);
        assert!(target.contains("&fromdate=1399897982&todate=1401897982&page=2"), "{target}");
        assert!(third.mentions.is_empty() && !third.more);
        source.fetch(pass(&http, "so"), third.next_cursor.as_deref()).await.unwrap();
        let target = last(&server);
        assert!(target.ends_with("&fromdate=1401897982"), "the window closed at its newest second: {target}");
    }

    #[tokio::test]
    async fn backoff_holds_the_next_request() {
        let asked = questions(|body| {
            body["backoff"] = serde_json::json!(2);
            body["has_more"] = serde_json::json!(false);
        });
        let server = ReplayServer::start(vec![("/2.3/search/advanced", vec![asked])]).await.unwrap();
        let source = source(server.base_url(), "ruby");
        let http = client();
        let first = source.fetch(pass(&http, "so"), None).await.unwrap();
        assert_eq!(first.mentions.len(), 30, "a backoff does not lose the page it came with");
        let started = Instant::now();
        let second = source.fetch(pass(&http, "so"), first.next_cursor.as_deref()).await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(1900), "waited {:?}", started.elapsed());
        assert!(second.waited >= Duration::from_millis(1900), "{:?}", second.waited);
        let requests = server.requests();
        assert!(requests[1].at.duration_since(requests[0].at) >= Duration::from_millis(1900));
    }

    #[tokio::test]
    async fn quota_and_error_bodies() {
        let server = ReplayServer::start(vec![
            ("/empty/2.3/search/advanced", vec![questions(|body| body["quota_remaining"] = serde_json::json!(0))]),
            ("/low/2.3/search/advanced", vec![questions(|body| body["quota_remaining"] = serde_json::json!(3))]),
            ("/bad/2.3/search/advanced", vec![FIXTURES.reply("error_400_bad_parameter")]),
            (
                "/throttled/2.3/search/advanced",
                vec![Reply::new(
                    400,
                    r#"{"error_id":502,"error_message":"too many requests from this IP, more requests available in 67194 seconds","error_name":"throttle_violation"}"#,
                )],
            ),
            (
                "/denied/2.3/search/advanced",
                vec![Reply::new(400, r#"{"error_id":403,"error_message":"denied","error_name":"access_denied"}"#)],
            ),
            ("/forbidden/2.3/search/advanced", vec![Reply::new(403, "{}")]),
            ("/html/2.3/search/advanced", vec![Reply::new(400, "<html>bad</html>")]),
        ])
        .await
        .unwrap();
        let fetch = |path: &str| {
            let source = source(&format!("{}{path}", server.base_url()), "ruby");
            async move { source.fetch(pass(&client(), "so"), None).await }
        };
        let empty = fetch("/empty").await;
        assert!(
            matches!(empty, Err(ConnectorError::RateLimited { retry_after_secs, .. }) if (1..=86_400).contains(&retry_after_secs))
        );
        assert_eq!(fetch("/low").await.unwrap().mentions.len(), 30, "a low quota is a warning");
        match fetch("/bad").await {
            Err(ConnectorError::Http { detail, .. }) => {
                assert!(detail.contains("bad_parameter") && detail.contains("Invalid filter specified"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
        let throttled = fetch("/throttled").await;
        assert!(matches!(throttled, Err(ConnectorError::RateLimited { retry_after_secs: 67194, .. })), "{throttled:?}");
        assert!(matches!(fetch("/denied").await, Err(ConnectorError::Auth { status: 400, .. })));
        assert!(matches!(fetch("/forbidden").await, Err(ConnectorError::Auth { status: 403, .. })));
        assert!(matches!(fetch("/html").await, Err(ConnectorError::Http { .. })));
        let bad_cursor = source(server.base_url(), "x").fetch(pass(&client(), "so"), Some("{")).await;
        assert!(matches!(bad_cursor, Err(ConnectorError::Cursor { .. })));
    }

    #[tokio::test]
    async fn a_throttle_holds_the_host() {
        let throttle = Reply::new(
            400,
            r#"{"error_id":502,"error_message":"more requests available in 2 seconds","error_name":"throttle_violation"}"#,
        );
        let server = ReplayServer::start(vec![(
            "/2.3/search/advanced",
            vec![throttle, FIXTURES.reply("questions_tagged_has_more")],
        )])
        .await
        .unwrap();
        let source = source(server.base_url(), "ruby");
        let http = client();
        assert!(source.fetch(pass(&http, "so"), None).await.is_err());
        let started = Instant::now();
        source.fetch(pass(&http, "so"), None).await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(1900), "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn keys_and_tokens_go_in_the_query_and_nowhere_else() {
        let echo =
            format!(r#"{{"error_id":400,"error_name":"bad_parameter","error_message":"key {KEY} token {TOKEN} bad"}}"#);
        let server = ReplayServer::start(vec![
            ("/ok/2.3/search/advanced", vec![FIXTURES.reply("questions_tagged_has_more")]),
            ("/echo/2.3/search/advanced", vec![Reply::new(400, echo)]),
        ])
        .await
        .unwrap();
        let with_keys = |path: &str| {
            StackExchange::new(
                Some(&format!("{}{path}", server.base_url())),
                "stackoverflow",
                vec![Search { query: None, tags: vec!["ruby".to_owned()] }],
                Some(Credential { name: "HARK_SE_KEY".to_owned(), value: KEY.to_owned() }),
                Some(Credential { name: "HARK_SE_TOKEN".to_owned(), value: TOKEN.to_owned() }),
            )
        };
        with_keys("/ok").fetch(pass(&client(), "so"), None).await.unwrap();
        let target = last(&server);
        assert!(target.contains("&tagged=ruby&"), "{target}");
        assert!(target.contains("&key=appkey%28%28Zz9&access_token=usertoken%29%29Yy8"), "{target}");
        let source = with_keys("/echo");
        let err = source.fetch(pass(&client(), "so"), None).await.unwrap_err();
        let shown = format!("{err} {err:?} {source:?}");
        assert!(shown.contains("bad_parameter"), "{shown}");
        assert!(!shown.contains(KEY) && !shown.contains(TOKEN), "{shown}");
    }
}
