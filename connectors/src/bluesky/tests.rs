//! Compatibility with the recorded responses in `../shared/fixtures/bluesky/`, hostile variants
//! of them that must never panic, link facets, the cursor's overlap, and fetches against the
//! replay server (sessions, paging, errors).

use chrono::{DateTime, Utc};

use super::convert::{Context, expand_links, parse_search, permalink, xrpc_error};
use crate::testing::Fixtures;

const FIXTURES: Fixtures = Fixtures("bluesky");

/// The conformance suite's view of Bluesky: one anonymous query, the recorded search.
pub(crate) fn conformance_case() -> crate::conformance::Case {
    crate::conformance::Case {
        kind: &super::KIND,
        settings: |base_url| {
            crate::Settings::new("bluesky")
                .with_base_url(base_url)
                .with("queries", serde_json::json!(["redistricting"]))
        },
        routes: || vec![("/xrpc/app.bsky.feed.searchPosts".to_owned(), vec![FIXTURES.reply("search_posts")])],
        root_routes: Vec::new,
        main_route: "/xrpc/app.bsky.feed.searchPosts",
        malformed_body: b"{\"posts\": {\"not\": \"a list\"}}",
    }
}

fn context() -> Context<'static> {
    Context { source_id: "bluesky", fetched_at: Utc::now() }
}

fn time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

#[test]
fn recorded_search() {
    let page = parse_search(&FIXTURES.read("search_posts.json"), context()).unwrap();
    assert_eq!((page.posts.len(), page.skipped, page.cursor.as_deref()), (25, 0, Some("25")));
    let first = &page.posts[0];
    let mention = &first.mention;
    assert_eq!(mention.external_id, "at://did:plc:kkergqgbhb56ptpwj2wenkje/app.bsky.feed.post/3lpk2u6qo222m");
    assert_eq!(mention.url.as_deref(), Some("https://bsky.app/profile/socpaperbot.bsky.social/post/3lpk2u6qo222m"));
    assert_eq!(mention.author.handle.as_deref(), Some("socpaperbot.bsky.social"));
    assert_eq!(mention.author.name.as_deref(), Some("Sociology papers (journals + SocArXiv)"));
    assert_eq!(mention.author.profile_url.as_deref(), Some("https://bsky.app/profile/socpaperbot.bsky.social"));
    assert_eq!(mention.author.reach, None, "search results carry no follower counts");
    assert_eq!(mention.published_at, Some(time("2025-05-19T17:10:09.561858Z")));
    assert_eq!(first.at, time("2025-05-19T17:10:09.561858Z"), "the earlier of createdAt and indexedAt");
    assert!(
        mention
            .text
            .starts_with("Ends Versus Means: Public Opinion on Congressional Redistricting https://osf.io/v87fn")
    );
    assert_eq!(mention.lang, None);
    assert!(mention.thread_id.is_none() && mention.parent_id.is_none() && mention.title.is_none());
    assert_eq!(mention.raw.as_ref().unwrap()["cid"], "bafyreicfzantnhto2yqgukytzgemg4bk7wi4yaojgk7ozdeq67uvsgfcqm");

    let second = &page.posts[1].mention;
    assert_eq!(second.lang.as_deref(), Some("en"));
    assert_eq!((second.engagement.score, second.engagement.replies), (Some(4), Some(0)));
    // A shortened link label becomes the whole link, tracking parameters dropped.
    assert!(
        second.text.ends_with("https://open.substack.com/pub/christackett/p/the-pawn-or-the-collaborator?r=92vnq"),
        "{}",
        second.text
    );
    assert!(!second.text.contains("christac...") && !second.text.contains("utm_"));

    let reply = &page.posts[2].mention;
    assert_eq!(
        reply.thread_id.as_deref(),
        Some("at://did:plc:7nagdvjqrzaquzk7mueohne5/app.bsky.feed.post/3lpjy3eabqs2l")
    );
    assert_eq!(
        reply.parent_id.as_deref(),
        Some("at://did:plc:7nagdvjqrzaquzk7mueohne5/app.bsky.feed.post/3lpjzgltpa22l")
    );
    assert_eq!(page.posts.iter().filter(|p| p.mention.parent_id.is_some()).count(), 12);
    assert_eq!(page.posts.iter().filter(|p| p.mention.lang.is_some()).count(), 21);
    assert!(page.times.windows(2).all(|pair| pair[0] >= pair[1]), "newest first");
}

#[test]
fn recorded_hashtag_searches_and_last_page() {
    let hashtag = parse_search(&FIXTURES.read("search_posts_hashtag.json"), context()).unwrap();
    assert_eq!((hashtag.posts.len(), hashtag.skipped, hashtag.cursor.as_deref()), (100, 0, Some("100")));
    // Times with offsets (`-05:00`) order with the others once parsed: the page is newest first.
    assert!(hashtag.times.windows(2).all(|pair| pair[0] >= pair[1]));
    let offset = &hashtag.posts[3].mention;
    assert_eq!(offset.author.handle.as_deref(), Some("cranberriesfeed.bsky.social"));
    assert_eq!(offset.published_at, Some(time("2025-07-04T08:02:14Z")));
    let langs: std::collections::BTreeSet<_> = hashtag.posts.iter().filter_map(|p| p.mention.lang.clone()).collect();
    assert!(langs.contains("en") && langs.contains("es") && langs.contains("pt"), "{langs:?}");

    let old = parse_search(&FIXTURES.read("search_posts_hitstotal_2024.json"), context()).unwrap();
    assert_eq!((old.posts.len(), old.cursor.as_deref()), (98, Some("100")));

    let last = parse_search(&FIXTURES.read("search_posts_last_page.json"), context()).unwrap();
    assert_eq!((last.posts.len(), last.cursor), (1, None));
    assert_eq!(last.posts[0].mention.author.handle.as_deref(), Some("jbgruber.bsky.social"));
}

#[test]
fn other_responses_are_malformed_or_explained() {
    // An author feed is not a search response.
    let err = parse_search(&FIXTURES.read("author_feed.json"), context()).unwrap_err();
    assert!(matches!(err, crate::ConnectorError::Malformed { .. }), "{err}");
    let err = parse_search(&FIXTURES.read("error_400_invalid_request.json"), context()).unwrap_err();
    assert!(err.to_string().contains("InvalidRequest: Invalid app.bsky.feed.post record"), "{err}");
    assert_eq!(
        xrpc_error(&FIXTURES.read("error_401_create_session.json")).as_deref(),
        Some("AuthenticationRequired: Invalid identifier or password")
    );
    assert_eq!(xrpc_error(b"<html>forbidden</html>"), None);
    assert_eq!(xrpc_error(b"{\"error\": \"\"}"), None);
}

#[test]
fn handles_and_permalinks() {
    let uri = "at://did:plc:abc/app.bsky.feed.post/3lpk2u6qo222m";
    assert_eq!(
        permalink(uri, Some("Jay.bsky.team")).as_deref(),
        Some("https://bsky.app/profile/jay.bsky.team/post/3lpk2u6qo222m")
    );
    assert_eq!(
        permalink(uri, Some("handle.invalid")).as_deref(),
        Some("https://bsky.app/profile/did:plc:abc/post/3lpk2u6qo222m")
    );
    assert_eq!(
        permalink(uri, Some("../../evil")).as_deref(),
        Some("https://bsky.app/profile/did:plc:abc/post/3lpk2u6qo222m")
    );
    for bad in [
        "",
        "at://",
        "https://bsky.app/x",
        "at://did:plc:abc/app.bsky.feed.like/3l",
        "at://did:plc:abc/app.bsky.feed.post/a/b",
        "at://did/app.bsky.feed.post/a b",
    ] {
        assert_eq!(permalink(bad, None), None, "{bad}");
    }
    let body = serde_json::json!({"posts": [
        {"uri": uri, "indexedAt": "2025-01-01T00:00:00Z", "author": {"did": "did:plc:abc", "handle": "handle.invalid"},
         "record": {"text": "hi", "createdAt": "2025-01-01T00:00:00Z", "langs": [42, " de "]}},
    ]});
    let page = parse_search(&serde_json::to_vec(&body).unwrap(), context()).unwrap();
    let mention = &page.posts[0].mention;
    assert_eq!(mention.author.handle.as_deref(), Some("did:plc:abc"), "a DID when the handle does not resolve");
    assert_eq!(mention.author.name, None);
    assert_eq!(mention.lang.as_deref(), Some("de"));
}

#[test]
fn link_facets_by_byte_offsets() {
    let facet = |start: i64, end: i64, uri: &str| {
        serde_json::json!({"index": {"byteStart": start, "byteEnd": end},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": uri}]})
    };
    // Emoji before the link shift byte offsets away from character offsets.
    let text = "😀 read example.com/a-lo... now";
    let start = text.find("example").unwrap() as i64;
    let end = start + "example.com/a-lo...".len() as i64;
    let link = "https://example.com/a-long-path?utm_source=x&id=3";
    assert_eq!(expand_links(text, &[facet(start, end, link)]), "😀 read https://example.com/a-long-path?id=3 now");
    // A custom label keeps its words.
    let label = "see the docs";
    assert_eq!(expand_links(label, &[facet(8, 12, "https://example.com/")]), label);
    // Hostile offsets: inside a character, out of range, reversed, negative, huge, overlapping;
    // odd features and links that are not http(s).
    let hostile = [
        facet(1, 3, link),
        facet(0, 10_000, link),
        facet(9, 4, link),
        facet(-1, 4, link),
        serde_json::json!({"index": {"byteStart": 1e30, "byteEnd": 2}}),
        facet(start, end, "javascript:alert(1)"),
        serde_json::json!({"index": "x", "features": 3}),
        serde_json::Value::Null,
    ];
    assert_eq!(expand_links(text, &hostile), text);
    let overlapping = [facet(start, end, link), facet(start + 2, end, link)];
    assert_eq!(expand_links(text, &overlapping), "😀 read https://example.com/a-long-path?id=3 now");
}

#[test]
fn posts_without_text_use_alt_texts_or_are_skipped() {
    let post = |record: serde_json::Value| serde_json::json!({"uri": "at://did:plc:x/app.bsky.feed.post/1", "indexedAt": "2025-01-01T00:00:00Z", "record": record});
    let body = serde_json::json!({"posts": [
        post(serde_json::json!({"text": "", "embed": {"$type": "app.bsky.embed.images", "images": [{"alt": "Acme error 500"}, {"alt": ""}]}})),
        post(serde_json::json!({"text": " ", "embed": {"media": {"images": [{"alt": "a photo"}]}, "record": {}}})),
        post(serde_json::json!({"embed": {"external": {"title": "Acme outage report"}}})),
        post(serde_json::json!({"text": ""})),
        {"uri": "at://did:plc:x/app.bsky.feed.post/2", "record": {"text": "no time"}},
        {"uri": "not-an-at-uri", "indexedAt": "2025-01-01T00:00:00Z", "record": {"text": "x"}},
    ]});
    let page = parse_search(&serde_json::to_vec(&body).unwrap(), context()).unwrap();
    let texts: Vec<&str> = page.posts.iter().map(|p| p.mention.text.as_str()).collect();
    assert_eq!(texts, ["Acme error 500", "a photo", "Acme outage report"]);
    assert_eq!(page.skipped, 3);
    assert_eq!(page.times.len(), 4, "a post with nothing to read still places the page in time");
}

#[test]
fn ids_are_stable_across_parses() {
    let body = FIXTURES.read("search_posts_hashtag.json");
    let a = parse_search(&body, context()).unwrap();
    let b = parse_search(&body, Context { source_id: "another-name", fetched_at: Utc::now() }).unwrap();
    let ids = |page: &super::convert::SearchPage| page.posts.iter().map(|p| p.mention.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&a), ids(&b));
}

#[test]
fn hostile_variants_never_panic() {
    for name in ["search_posts.json", "search_posts_hashtag.json", "search_posts_last_page.json"] {
        let body = FIXTURES.read(name);
        for cut in (0..body.len()).step_by(499) {
            let _ = parse_search(&body[..cut], context());
        }
        assert!(parse_search(&body[..body.len() / 2], context()).is_err());
        let mut broken = body.clone();
        broken.insert(body.len() / 2, 0xff);
        let _ = parse_search(&broken, context());
        // Wrong types: records as strings, then uris as numbers, then the cursor as an object.
        let mut value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let count = value["posts"].as_array().unwrap().len();
        for post in value["posts"].as_array_mut().unwrap() {
            post["record"] = serde_json::json!("text");
        }
        let page = parse_search(&serde_json::to_vec(&value).unwrap(), context()).unwrap();
        assert_eq!((page.posts.len(), page.skipped), (0, count));
        for post in value["posts"].as_array_mut().unwrap() {
            post["uri"] = serde_json::json!(42);
        }
        value["cursor"] = serde_json::json!({"a": 1});
        let page = parse_search(&serde_json::to_vec(&value).unwrap(), context()).unwrap();
        assert_eq!((page.posts.len(), page.skipped, page.cursor), (0, count, None));
    }
    let huge = serde_json::json!({"cursor": "x".repeat(100_000), "posts": [{
        "uri": "at://did:plc:x/app.bsky.feed.post/1", "indexedAt": "2025-01-01T00:00:00Z",
        "record": {"text": "y".repeat(1_000_000), "langs": ["z".repeat(10_000)], "reply": {"root": {"uri": 5}}},
        "author": {"handle": "h".repeat(100_000), "displayName": 7},
    }]});
    let page = parse_search(&serde_json::to_vec(&huge).unwrap(), context()).unwrap();
    assert_eq!(page.cursor, None, "an oversized cursor is not kept");
    assert_eq!(page.skipped, 1, "a display name of the wrong type makes the post unreadable");
    let deep = format!("{{\"posts\": [{}1{}]}}", "[".repeat(5000), "]".repeat(5000));
    assert!(parse_search(deep.as_bytes(), context()).is_err());
    for body in [&b"null"[..], b"", b"[]", b"{}", b"{\"posts\": null}", b"42"] {
        assert!(parse_search(body, context()).is_err(), "{}", String::from_utf8_lossy(body));
    }
    let page = parse_search(b"{\"posts\": [null, 1, \"x\", [], {}]}", context()).unwrap();
    assert_eq!((page.posts.len(), page.skipped), (0, 5));
}

mod cursor {
    use super::super::{Parsed, QueryCursor, advance};
    use super::{FIXTURES, context, parse_search, time};

    fn parsed(cursor: &QueryCursor) -> Parsed {
        cursor.parse("test").unwrap()
    }

    #[test]
    fn a_post_indexed_late_within_the_overlap_is_taken_once() {
        let page = parse_search(&FIXTURES.read("search_posts.json"), context()).unwrap();
        let (first, cursor) = advance(&parsed(&QueryCursor::default()), page.clone(), true);
        assert_eq!(first.len(), 25);
        assert_eq!(cursor.since.as_deref(), Some("2025-05-19T17:10:09.561858Z"));
        // The posts of the last two minutes are remembered: 17:08:27 is the only other one.
        assert_eq!(cursor.recent.len(), 2);

        // The newest post is missing from the first response (indexed late): the next pass takes
        // it, and only it, although it is older than the high-water mark.
        let mut without = page.clone();
        let late = without.posts.remove(1);
        without.times.remove(1);
        let (taken, cursor) = advance(&parsed(&QueryCursor::default()), without, true);
        assert_eq!(taken.len(), 24);
        let (taken, after) = advance(&parsed(&cursor), page.clone(), true);
        assert_eq!(taken.iter().map(|m| &m.external_id).collect::<Vec<_>>(), [&late.mention.external_id]);
        assert_eq!(after.since, cursor.since);
        let (again, _) = advance(&parsed(&after), page, true);
        assert!(again.is_empty());
    }

    #[test]
    fn posts_older_than_the_overlap_are_not_taken() {
        let page = parse_search(&FIXTURES.read("search_posts.json"), context()).unwrap();
        let cursor = QueryCursor { since: Some("2025-05-19T17:30:00Z".to_owned()), ..QueryCursor::default() };
        let (taken, next) = advance(&parsed(&cursor), page, true);
        assert!(taken.is_empty(), "the newest post is 20 minutes below the mark");
        assert_eq!(next.since.as_deref(), Some("2025-05-19T17:30:00Z"));
        assert!(next.paging.is_none());
        assert!(time("2025-05-19T17:30:00Z") > time("2025-05-19T17:10:09.561858Z"));
    }

    #[test]
    fn bad_cursors_are_refused() {
        for bad in [
            QueryCursor { since: Some("yesterday".to_owned()), ..QueryCursor::default() },
            QueryCursor {
                recent: vec![super::super::Seen { uri: "at://x".to_owned(), at: "0".to_owned() }],
                ..QueryCursor::default()
            },
        ] {
            assert!(matches!(bad.parse("raw"), Err(crate::ConnectorError::Cursor { .. })));
        }
    }
}

mod fetch {
    use hark_replay::{ReplayServer, Reply};

    use super::super::{Bluesky, Credentials, DEFAULT_AUTH_BASE_URL, DEFAULT_BASE_URL, KIND};
    use super::FIXTURES;
    use crate::contract::Source;
    use crate::testing::{client, header, pass};
    use crate::{ConnectorError, Settings};

    const SEARCH: &str = "/xrpc/app.bsky.feed.searchPosts";
    const LOGIN: &str = "/xrpc/com.atproto.server.createSession";

    fn password() -> Credentials {
        Credentials::Password {
            variable: "HARK_BSKY_HANDLE".to_owned(),
            identifier: "acme.bsky.social".to_owned(),
            password: "app-pass-s3cret".to_owned(),
        }
    }

    fn session(token: &str) -> Reply {
        Reply::new(
            200,
            format!(
                "{{\"did\": \"did:plc:acme\", \"handle\": \"acme.bsky.social\", \"accessJwt\": \"{token}\", \"refreshJwt\": \"r\"}}"
            ),
        )
    }

    #[tokio::test]
    async fn anonymous_cursor_round_trip_without_repeats_and_base_url_honoured() {
        let server = ReplayServer::start(vec![(&format!("/proxy{SEARCH}"), vec![FIXTURES.reply("search_posts")])])
            .await
            .unwrap();
        let source = Bluesky::new(
            Some(&format!("{}/proxy/", server.base_url())),
            &["redistricting".to_owned(), "#rstats".to_owned()],
            None,
        )
        .unwrap();
        let http = client(0);
        let first = source.fetch(pass(&http, "b"), None).await.unwrap();
        assert_eq!(first.mentions.len(), 25, "the second query finds the same posts: taken once");
        let requests = server.requests();
        assert_eq!(requests[0].target, format!("/proxy{SEARCH}?q=redistricting&sort=latest&limit=100"));
        assert_eq!(requests[1].target, format!("/proxy{SEARCH}?q=%23rstats&sort=latest&limit=100"));
        assert!(header(&requests[0], "authorization").is_none());
        for _ in 0..2 {
            let again = source.fetch(pass(&http, "b"), first.next_cursor.as_deref()).await.unwrap();
            assert!(again.mentions.is_empty() && !again.more);
        }
        // Anonymous requests never carry a cursor (the AppView refuses them).
        assert!(server.requests().iter().all(|request| !request.target.contains("cursor=")));
        assert_eq!(server.requests().len(), 6);
    }

    #[tokio::test]
    async fn default_hosts_follow_the_credentials() {
        let anonymous = Bluesky::new(None, &["x".to_owned()], None).unwrap();
        assert_eq!(anonymous.base_url, DEFAULT_BASE_URL);
        let logged_in = Bluesky::new(None, &["x".to_owned()], Some(password())).unwrap();
        assert_eq!(logged_in.base_url, DEFAULT_AUTH_BASE_URL);
        assert!(!format!("{logged_in:?}").contains("app-pass-s3cret"));
    }

    #[tokio::test]
    async fn a_window_is_walked_with_the_api_cursor_when_logged_in() {
        let server = ReplayServer::start(vec![
            (LOGIN, vec![session("jwt-walk")]),
            (
                SEARCH,
                vec![
                    FIXTURES.reply("search_posts"),
                    FIXTURES.reply("search_posts"),
                    FIXTURES.reply("search_posts_last_page"),
                ],
            ),
        ])
        .await
        .unwrap();
        let source = Bluesky::new(Some(server.base_url()), &["redistricting".to_owned()], Some(password())).unwrap();
        let http = client(0);
        // Polled last a day earlier: the first page is all new and has a cursor.
        let cursor = r#"{"redistricting": {"since": "2025-05-18T00:00:00Z"}}"#;
        let first = source.fetch(pass(&http, "b"), Some(cursor)).await.unwrap();
        assert_eq!(first.mentions.len(), 25);
        assert!(first.more);
        assert_eq!(first.requests, 2, "a login and a search");
        // The next page repeats the first (new posts pushed it down): nothing is taken twice,
        // and the walk ends.
        let second = source.fetch(pass(&http, "b"), first.next_cursor.as_deref()).await.unwrap();
        assert!(second.mentions.is_empty() && !second.more);
        let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
        assert_eq!(targets[0], LOGIN);
        let login = &server.requests()[0];
        assert_eq!(header(login, "content-type"), Some("application/json"));
        let length = r#"{"identifier":"acme.bsky.social","password":"app-pass-s3cret"}"#.len().to_string();
        assert_eq!(header(login, "content-length"), Some(length.as_str()), "the JSON body is sent");
        assert!(header(login, "authorization").is_none());
        assert!(!targets[1].contains("cursor="));
        assert!(targets[2].ends_with("&cursor=25"), "{}", targets[2]);
        assert_eq!(targets.iter().filter(|t| *t == LOGIN).count(), 1, "the session is reused");
        for request in server.requests().iter().skip(1) {
            assert_eq!(header(request, "authorization"), Some("Bearer jwt-walk"));
        }
        let next: serde_json::Value = serde_json::from_str(second.next_cursor.as_deref().unwrap()).unwrap();
        assert_eq!(next["redistricting"]["since"], "2025-05-19T17:10:09.561858Z");
        let third = source.fetch(pass(&http, "b"), second.next_cursor.as_deref()).await.unwrap();
        assert!(third.mentions.is_empty() && !third.more);
        assert!(!server.requests()[3].target.contains("cursor="));
    }

    #[tokio::test]
    async fn the_walk_goes_on_to_the_last_page() {
        let server = ReplayServer::start(vec![(
            SEARCH,
            vec![
                FIXTURES.reply("search_posts_hashtag"),
                FIXTURES.reply("search_posts"),
                FIXTURES.reply("search_posts_last_page"),
            ],
        )])
        .await
        .unwrap();
        let token = Credentials::Token { variable: "HARK_BSKY_TOKEN".to_owned(), token: "tok-s3cret".to_owned() };
        let source = Bluesky::new(Some(server.base_url()), &["x".to_owned()], Some(token)).unwrap();
        let http = client(0);
        let mut cursor = Some(r#"{"x": {"since": "2024-01-01T00:00:00Z"}}"#.to_owned());
        let mut counts = Vec::new();
        let mut ids = std::collections::HashSet::new();
        for _ in 0..4 {
            let page = source.fetch(pass(&http, "b"), cursor.as_deref()).await.unwrap();
            counts.push((page.mentions.len(), page.more));
            ids.extend(page.mentions.into_iter().map(|m| m.external_id));
            cursor = page.next_cursor;
        }
        // 100 posts, then 25 older ones, then the last page's one; then the window is closed.
        assert_eq!(counts, [(100, true), (25, true), (1, false), (0, false)]);
        assert_eq!(ids.len(), 126);
        let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
        assert!(targets[1].ends_with("&cursor=100") && targets[2].ends_with("&cursor=25"), "{targets:?}");
        assert!(!targets[3].contains("cursor="));
        let next: serde_json::Value = serde_json::from_str(cursor.as_deref().unwrap()).unwrap();
        assert_eq!(next["x"]["since"], "2025-07-04T08:28:35.629Z", "the window's newest post");
        assert_eq!(header(&server.requests()[0], "authorization"), Some("Bearer tok-s3cret"));
    }

    #[tokio::test]
    async fn an_expired_session_logs_in_again_once() {
        let expired = Reply::new(400, r#"{"error": "ExpiredToken", "message": "Token has expired"}"#);
        let server = ReplayServer::start(vec![
            (LOGIN, vec![session("jwt-1"), session("jwt-2")]),
            (SEARCH, vec![FIXTURES.reply("search_posts"), expired, FIXTURES.reply("search_posts")]),
        ])
        .await
        .unwrap();
        let source = Bluesky::new(Some(server.base_url()), &["x".to_owned()], Some(password())).unwrap();
        let first = source.fetch(pass(&client(0), "b"), None).await.unwrap();
        // A later pass reuses jwt-1, finds it expired, logs in again and repeats the search.
        let second = source.fetch(pass(&client(0), "b"), first.next_cursor.as_deref()).await.unwrap();
        assert!(second.mentions.is_empty());
        let requests = server.requests();
        let targets: Vec<&str> = requests.iter().map(|r| r.target.split('?').next().unwrap()).collect();
        assert_eq!(targets, [LOGIN, SEARCH, SEARCH, LOGIN, SEARCH]);
        assert_eq!(header(&requests[2], "authorization"), Some("Bearer jwt-1"));
        assert_eq!(header(&requests[4], "authorization"), Some("Bearer jwt-2"));
    }

    #[tokio::test]
    async fn errors_are_clear_and_never_show_secrets() {
        let server = ReplayServer::start(vec![
            (&format!("/refused{LOGIN}"), vec![FIXTURES.reply("error_401_create_session")]),
            (&format!("/bad-query{SEARCH}"), vec![FIXTURES.reply("error_400_invalid_request")]),
            (
                &format!("/echo{SEARCH}"),
                vec![Reply::new(400, r#"{"error": "BadQueryString", "message": "bad token tok-s3cret"}"#)],
            ),
            (
                &format!("/forbidden{SEARCH}"),
                vec![Reply::new(403, "<html>Request forbidden by administrative rules.</html>")],
            ),
            (&format!("/garbage{LOGIN}"), vec![Reply::new(200, "{\"accessJwt\": 5}")]),
            (&format!("/cut{SEARCH}"), vec![FIXTURES.reply("search_posts").truncated(1000)]),
            (&format!("/limited{SEARCH}"), vec![Reply::new(429, "").header("Retry-After", "120")]),
        ])
        .await
        .unwrap();
        let at = |path: &str, credentials: Option<Credentials>| {
            Bluesky::new(Some(&format!("{}{path}", server.base_url())), &["acme".to_owned()], credentials).unwrap()
        };
        let token =
            || Some(Credentials::Token { variable: "HARK_BSKY_TOKEN".to_owned(), token: "tok-s3cret".to_owned() });
        let fetch = |source: Bluesky| async move { source.fetch(pass(&client(0), "b"), None).await };

        let refused = fetch(at("/refused", Some(password()))).await.unwrap_err();
        assert!(matches!(refused, ConnectorError::Auth { status: 401, .. }), "{refused:?}");
        let bad_query = fetch(at("/bad-query", token())).await.unwrap_err();
        let message = bad_query.to_string();
        assert!(message.contains("HTTP 400") && message.contains("InvalidRequest:"), "{message}");
        let echo = fetch(at("/echo", token())).await.unwrap_err().to_string();
        assert!(echo.contains("BadQueryString") && echo.contains("<redacted>"), "{echo}");
        let forbidden = fetch(at("/forbidden", None)).await.unwrap_err();
        assert!(matches!(forbidden, ConnectorError::Auth { status: 403, .. }));
        let garbage = fetch(at("/garbage", Some(password()))).await.unwrap_err();
        assert!(matches!(garbage, ConnectorError::Malformed { .. }), "{garbage:?}");
        assert!(fetch(at("/cut", None)).await.is_err());
        let limited = fetch(at("/limited", None)).await.unwrap_err();
        assert!(matches!(limited, ConnectorError::RateLimited { retry_after_secs: 120, .. }));
        for err in [refused, bad_query, forbidden, garbage, limited] {
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains("tok-s3cret") && !shown.contains("app-pass-s3cret"), "{shown}");
        }
        for bad in [
            "{oops",
            r#"{"acme": {"since": "soon"}}"#,
            r#"{"acme": {"since": "2025-01-01T00:00:00Z", "paging": {"cursor": "1", "top": "x", "low": "y", "low_seen": [], "pages": 1}}}"#,
        ] {
            let result = at("/cut", None).fetch(pass(&client(0), "b"), Some(bad)).await;
            assert!(matches!(result, Err(ConnectorError::Cursor { .. })), "{bad}: {result:?}");
        }
    }

    #[test]
    fn build_checks_the_settings() {
        let settings = Settings::new("b").with("queries", serde_json::json!(["acme"]));
        assert!((KIND.build)(&settings).is_ok());
        let unset = settings.clone().with("app_password_env", serde_json::json!("HARK_TEST_BSKY_PASSWORD_NEVER_SET"));
        let err = (KIND.build)(&unset).err().unwrap();
        assert!(err.contains("HARK_TEST_BSKY_PASSWORD_NEVER_SET"), "{err}");
        let tags_only = Settings::new("b").with("tags", serde_json::json!(["#acmecrm", "#"]));
        assert!((KIND.build)(&tags_only).is_ok());
        let nothing = Settings::new("b").with("tags", serde_json::json!(["#"]));
        assert!((KIND.build)(&nothing).is_err());
        assert!((KIND.build)(&settings.with_base_url("ftp://example.com")).is_err());
    }
}
