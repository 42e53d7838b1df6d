//! The client against a scripted server on loopback.

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use hark_replay::{ReplayServer, Reply};

use super::*;

fn reply(status: u16, headers: &[(&str, &str)], body: &str) -> Reply {
    headers.iter().fold(Reply::new(status, body), |reply, (name, value)| reply.header(name, value))
}

async fn serve(script: Vec<Reply>) -> ReplayServer {
    ReplayServer::start(vec![("/", script)]).await.unwrap()
}

fn url(server: &ReplayServer, path: &str) -> String {
    format!("{}{path}", server.base_url())
}

fn client() -> HttpClient {
    HttpClient::new(HttpConfig {
        base_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        default_per_minute: NonZeroU32::new(60_000).unwrap(),
        ..HttpConfig::default()
    })
    .unwrap()
}

#[tokio::test]
async fn retry_after_is_waited_out() {
    let server = serve(vec![reply(429, &[("Retry-After", "1")], "slow down"), reply(200, &[], "ok")]).await;
    let started = Instant::now();
    let fetched = client().get(&url(&server, "/x"), None, &[]).await.unwrap();
    assert_eq!(fetched.body, "ok");
    assert_eq!(fetched.attempts, 2);
    assert!(started.elapsed() >= Duration::from_secs(1), "waited {:?}", started.elapsed());
    assert!(fetched.waited >= Duration::from_secs(1));
}

#[tokio::test]
async fn auth_failures_are_not_retried() {
    for status in [401, 403] {
        let server = serve(vec![reply(status, &[], "no")]).await;
        let err = client().get(&url(&server, "/x?token=secret"), None, &[]).await.unwrap_err();
        assert!(matches!(err, HttpError::Auth { status: s, .. } if s == status), "{err}");
        assert!(!err.to_string().contains("secret"), "queries stay out of messages: {err}");
        assert_eq!(server.requests().len(), 1);
    }
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let server = serve(vec![reply(500, &[], ""), reply(502, &[], ""), reply(200, &[], "fine")]).await;
    assert_eq!(client().get(&url(&server, "/x"), None, &[]).await.unwrap().attempts, 3);
    let failing = serve(vec![reply(500, &[], ""); 10]).await;
    let err = client().get(&url(&failing, "/x"), None, &[]).await.unwrap_err();
    assert!(matches!(err, HttpError::Status { status: 500, .. }), "{err}");
    assert_eq!(failing.requests().len(), 5, "one try and four retries");
    let gone = serve(vec![reply(404, &[], "")]).await;
    assert!(matches!(client().get(&url(&gone, "/x"), None, &[]).await, Err(HttpError::Status { status: 404, .. })));
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let server = serve(vec![reply(200, &[], &"x".repeat(2048))]).await;
    let small = HttpClient::new(HttpConfig { max_body_bytes: 1024, ..HttpConfig::default() }).unwrap();
    assert!(matches!(small.get(&url(&server, "/x"), None, &[]).await, Err(HttpError::TooLarge { .. })));
}

#[tokio::test]
async fn a_body_cut_short_is_an_error() {
    let server = serve(vec![Reply::new(200, "x".repeat(4096)).truncated(100); 10]).await;
    let err = client().get(&url(&server, "/x"), None, &[]).await.unwrap_err();
    assert!(matches!(err, HttpError::Network { .. }), "{err}");
}

#[test]
fn retry_after_forms() {
    let now = httpdate::parse_http_date("Wed, 25 Nov 2026 10:00:00 GMT").unwrap();
    assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
    assert_eq!(parse_retry_after("Wed, 25 Nov 2026 10:00:30 GMT", now), Some(Duration::from_secs(30)));
    assert_eq!(parse_retry_after("Wed, 25 Nov 2026 09:00:00 GMT", now), Some(Duration::ZERO));
    assert_eq!(parse_retry_after("soon", now), None);
}

/// With a quota of N per period, the server never sees more than N requests in any period,
/// over 100 requests from several sources (tasks, credentials None) sharing one host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quota_holds_across_sources_sharing_a_host() {
    let server = serve(vec![reply(200, &[], "{}")]).await;
    let client = client();
    let (count, period) = (NonZeroU32::new(40).unwrap(), Duration::from_secs(1));
    client.set_quota_per("127.0.0.1", count, period);
    let mut tasks = Vec::new();
    for source in 0..4 {
        let client = client.clone();
        let url = url(&server, &format!("/source{source}"));
        tasks.push(tokio::spawn(async move {
            for _ in 0..25 {
                client.get(&url, None, &[]).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let arrivals: Vec<Instant> = server.requests().iter().map(|request| request.at).collect();
    assert_eq!(arrivals.len(), 100);
    let mut highest = 0;
    for (index, start) in arrivals.iter().enumerate() {
        let in_window = arrivals[index..].iter().take_while(|at| at.duration_since(*start) < period).count();
        highest = highest.max(in_window);
    }
    eprintln!("highest request count in any {period:?} window: {highest} (quota {count})");
    assert!(highest <= count.get() as usize, "{highest} requests within one period; the quota is {count}");
}

#[tokio::test]
async fn forms_are_posted_with_the_same_retries() {
    let server = serve(vec![reply(429, &[("Retry-After", "0")], "{}"), reply(200, &[], "{\"ok\": true}")]).await;
    let fetched = client()
        .post_form(
            &url(&server, "/token"),
            Some("CLIENT_ID_VAR"),
            &[("Authorization", "Basic abc")],
            &[("grant_type", "client_credentials"), ("scope", "read write")],
        )
        .await
        .unwrap();
    assert_eq!((fetched.status, fetched.attempts), (200, 2));
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let header = |name: &str| requests[1].headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    assert_eq!(header("content-type").as_deref(), Some("application/x-www-form-urlencoded"));
    assert_eq!(header("content-length").as_deref(), Some("46"), "grant_type=client_credentials&scope=read+write");
    assert_eq!(header("authorization").as_deref(), Some("Basic abc"));
}

#[tokio::test]
async fn error_bodies_are_kept_but_not_shown() {
    let server = serve(vec![reply(400, &[], "{\"error_name\": \"bad_parameter\"}")]).await;
    let err = client().get(&url(&server, "/x"), None, &[]).await.unwrap_err();
    assert!(matches!(&err, HttpError::Status { status: 400, body, .. } if body.contains("bad_parameter")), "{err:?}");
    assert!(!err.to_string().contains("bad_parameter"), "{err}");
    let long = serve(vec![reply(403, &[], &"x".repeat(10_000))]).await;
    let err = client().get(&url(&long, "/x"), None, &[]).await.unwrap_err();
    assert!(matches!(&err, HttpError::Auth { body, .. } if body.len() == ERROR_BODY_BYTES), "{err:?}");
}

mod source_signals {
    use std::time::{Duration, Instant, UNIX_EPOCH};

    use reqwest::header::{HeaderMap, HeaderValue};

    use super::{client, reply, serve, url};
    use crate::http::pacing;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn each_sources_headers_become_a_spacing() {
        let now = UNIX_EPOCH + Duration::from_secs(1_747_676_000);
        // Reddit: remaining as a decimal, reset in seconds: 246 s spread over 590 requests.
        let reddit = pacing(&headers(&[("x-ratelimit-remaining", "590.0"), ("x-ratelimit-reset", "246")]), now);
        assert_eq!(reddit.map(|d| d.as_millis()), Some(416));
        // Reddit with nothing left: wait the whole reset.
        let spent = pacing(&headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "30")]), now);
        assert_eq!(spent, Some(Duration::from_secs(30)));
        // Bluesky: Unix seconds.
        let bluesky = pacing(&headers(&[("ratelimit-remaining", "0"), ("ratelimit-reset", "1747676784")]), now);
        assert_eq!(bluesky, Some(Duration::from_secs(784)));
        // Mastodon: an ISO 8601 time.
        let mastodon =
            pacing(&headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "2025-05-19T17:35:00.000Z")]), now);
        assert_eq!(mastodon, Some(Duration::from_secs(1_747_676_100 - 1_747_676_000)));
        // A reset in the past, no headers, or garbage: no spacing, no panic.
        let past = pacing(&headers(&[("ratelimit-remaining", "0"), ("ratelimit-reset", "1000000001")]), now);
        assert_eq!(past, Some(Duration::ZERO));
        assert_eq!(pacing(&HeaderMap::new(), now), None);
        assert_eq!(pacing(&headers(&[("x-ratelimit-remaining", "lots"), ("x-ratelimit-reset", "1")]), now), None);
        assert_eq!(pacing(&headers(&[("x-ratelimit-remaining", "1"), ("x-ratelimit-reset", "-5")]), now), None);
        assert_eq!(pacing(&headers(&[("x-ratelimit-remaining", "1"), ("x-ratelimit-reset", "NaN")]), now), None);
    }

    #[tokio::test]
    async fn an_exhausted_budget_holds_the_next_request_until_the_reset() {
        let server = serve(vec![
            reply(200, &[("X-Ratelimit-Remaining", "0"), ("X-Ratelimit-Reset", "1")], "first"),
            reply(200, &[], "second"),
        ])
        .await;
        let http = client();
        http.get(&url(&server, "/a"), None, &[]).await.unwrap();
        let started = Instant::now();
        let second = http.get(&url(&server, "/b"), None, &[]).await.unwrap();
        assert_eq!(second.body, "second");
        assert!(started.elapsed() >= Duration::from_millis(950), "waited {:?}", started.elapsed());
        assert!(second.waited >= Duration::from_millis(950));
        let requests = server.requests();
        assert!(requests[1].at.duration_since(requests[0].at) >= Duration::from_millis(950));
    }

    #[tokio::test]
    async fn a_pause_holds_every_credential_of_the_host() {
        let server = serve(vec![reply(200, &[], "ok")]).await;
        let http = client();
        let host = reqwest::Url::parse(server.base_url()).unwrap().host_str().unwrap().to_owned();
        http.pause(&host, Duration::from_millis(700));
        let started = Instant::now();
        http.get(&url(&server, "/x"), Some("KEY_A"), &[]).await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(650), "waited {:?}", started.elapsed());
        // A shorter pause never shortens a longer one.
        http.pause(&host, Duration::from_secs(1));
        http.pause(&host, Duration::from_millis(1));
        let started = Instant::now();
        http.get(&url(&server, "/y"), None, &[]).await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(900));
    }
}
