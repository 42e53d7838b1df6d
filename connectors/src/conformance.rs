//! The conformance suite every connector passes, offline, against the replay server serving
//! its recorded fixtures: stable ids, cursor round trip without repeats, `Retry-After`
//! honoured, 401/403 as auth errors, malformed and truncated payloads as errors, base URL
//! honoured. Each source's `tests.rs` provides a [`Case`]; [`cases`] lists them all, and a test
//! fails if a registered kind has none.

use std::time::Duration;

use hark_replay::{ReplayServer, Reply};

use crate::http::{HttpClient, HttpConfig};
use crate::{Connector, ConnectorError, Kind, Page, Settings};

/// What the suite needs to know about one source.
pub(crate) struct Case {
    pub kind: &'static Kind,
    /// The settings of a source whose `base_url` is the given URL (the server plus a mount
    /// path, so that a connector ignoring `base_url` fails).
    pub settings: fn(base_url: &str) -> Settings,
    /// Routes relative to the base URL (e.g. `/r/rust/new.json`), serving recorded responses:
    /// a first fetch with no cursor returns at least one mention. The last reply of a route
    /// repeats, so a second fetch sees the same bodies again and must not repeat mentions.
    pub routes: fn() -> Vec<(String, Vec<Reply>)>,
    /// Routes at the server root, outside the base URL (e.g. `/robots.txt`).
    pub root_routes: fn() -> Vec<(String, Vec<Reply>)>,
    /// The route (as in `routes`) of the request the error checks script.
    pub main_route: &'static str,
    /// A 200 body the connector must reject as [`ConnectorError::Malformed`].
    pub malformed_body: &'static [u8],
}

/// Every source's case.
pub(crate) fn cases() -> Vec<Case> {
    vec![
        crate::hackernews::tests::conformance_case(),
        crate::reddit::tests::conformance_case(),
        crate::stackexchange::tests::conformance_case(),
        crate::mastodon::tests::conformance_case(),
        crate::bluesky::tests::conformance_case(),
        crate::rss::tests::conformance_case(),
        crate::web::tests::conformance_case(),
    ]
}

const MOUNT: &str = "/mount";

fn client(retries: u32) -> HttpClient {
    HttpClient::new(HttpConfig { base_backoff: Duration::from_millis(10), ..crate::testing::config(retries) })
        .expect("client")
}

/// Starts a server with the case's routes, `main` replacing the main route's replies.
async fn serve(case: &Case, main: Option<Vec<Reply>>) -> ReplayServer {
    let mut routes: Vec<(String, Vec<Reply>)> =
        (case.routes)().into_iter().map(|(path, replies)| (format!("{MOUNT}{path}"), replies)).collect();
    if let Some(main) = main {
        let target = format!("{MOUNT}{}", case.main_route);
        routes.retain(|(path, _)| *path != target);
        routes.push((target, main));
    }
    routes.extend((case.root_routes)());
    let borrowed: Vec<(&str, Vec<Reply>)> =
        routes.iter().map(|(path, replies)| (path.as_str(), replies.clone())).collect();
    ReplayServer::start(borrowed).await.expect("replay server")
}

fn build(case: &Case, server: &ReplayServer) -> Box<dyn Connector> {
    let settings = (case.settings)(&format!("{}{MOUNT}", server.base_url()));
    (case.kind.build)(&settings).unwrap_or_else(|err| panic!("{}: build: {err}", case.kind.name))
}

async fn fetch(case: &Case, main: Option<Vec<Reply>>, retries: u32) -> Result<Page, ConnectorError> {
    let server = serve(case, main).await;
    build(case, &server).fetch(&client(retries), None, chrono::Utc::now()).await
}

fn main_reply(case: &Case) -> Reply {
    (case.routes)()
        .into_iter()
        .find(|(path, _)| path == case.main_route)
        .and_then(|(_, replies)| replies.into_iter().next())
        .unwrap_or_else(|| panic!("{}: main route {} is not in routes", case.kind.name, case.main_route))
}

#[tokio::test]
async fn every_registered_kind_has_a_case() {
    let covered: Vec<&str> = cases().iter().map(|case| case.kind.name).collect();
    for kind in crate::registry() {
        assert!(covered.contains(&kind.name), "{} has no conformance case", kind.name);
    }
}

#[tokio::test]
async fn ids_are_stable_and_base_url_is_honoured() {
    for case in cases() {
        let name = case.kind.name;
        let server = serve(&case, None).await;
        let connector = build(&case, &server);
        let first =
            connector.fetch(&client(0), None, chrono::Utc::now()).await.unwrap_or_else(|err| panic!("{name}: {err}"));
        assert!(!first.mentions.is_empty(), "{name}: the fixtures give no mention");
        let again = build(&case, &server).fetch(&client(0), None, chrono::Utc::now()).await.unwrap();
        let ids = |page: &Page| page.mentions.iter().map(|m| m.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&first), ids(&again), "{name}: ids differ between two reads of the same responses");
        for mention in &first.mentions {
            assert!(!mention.external_id.is_empty() && !mention.text.trim().is_empty(), "{name}: {mention:?}");
            assert_eq!(mention.source_kind.as_str(), name);
        }
        let root: Vec<String> = (case.root_routes)().into_iter().map(|(path, _)| path).collect();
        for request in server.requests() {
            let outside =
                !request.target.starts_with(MOUNT) && !root.iter().any(|path| request.target.starts_with(path));
            assert!(!outside, "{name}: request outside base_url: {}", request.target);
        }
        assert!(first.requests >= 1, "{name}: requests are counted");
    }
}

#[tokio::test]
async fn cursor_round_trip_repeats_nothing() {
    for case in cases() {
        let name = case.kind.name;
        let server = serve(&case, None).await;
        let connector = build(&case, &server);
        let http = client(0);
        let mut seen = std::collections::HashSet::new();
        let mut cursor: Option<String> = None;
        // A few passes over the same (repeating) responses: each external id once at most.
        for pass in 0..4 {
            let page = connector
                .fetch(&http, cursor.as_deref(), chrono::Utc::now())
                .await
                .unwrap_or_else(|err| panic!("{name} pass {pass}: {err}"));
            for mention in &page.mentions {
                assert!(
                    seen.insert(mention.external_id.clone()),
                    "{name}: {} repeated in pass {pass}",
                    mention.external_id
                );
            }
            assert!(page.next_cursor.is_some(), "{name}: no cursor after pass {pass}");
            cursor = page.next_cursor;
        }
        assert!(!seen.is_empty(), "{name}");
    }
}

#[tokio::test]
async fn retry_after_is_waited_for() {
    for case in cases() {
        let name = case.kind.name;
        let limited = Reply::new(429, "slow down").header("Retry-After", "1");
        let started = std::time::Instant::now();
        let page =
            fetch(&case, Some(vec![limited, main_reply(&case)]), 2).await.unwrap_or_else(|err| panic!("{name}: {err}"));
        assert!(started.elapsed() >= Duration::from_secs(1), "{name}: did not wait");
        assert!(page.waited >= Duration::from_secs(1), "{name}: wait not reported: {:?}", page.waited);
        assert!(page.requests >= 2, "{name}: the retry is counted");
    }
}

#[tokio::test]
async fn refused_credentials_are_auth_errors() {
    for case in cases() {
        for status in [401, 403] {
            let result = fetch(&case, Some(vec![Reply::new(status, "{\"error\": \"no\"}")]), 3).await;
            assert!(
                matches!(result, Err(ConnectorError::Auth { status: s, .. }) if s == status),
                "{}: {status} gave {result:?}",
                case.kind.name
            );
        }
    }
}

#[tokio::test]
async fn malformed_and_truncated_payloads_are_errors() {
    for case in cases() {
        let name = case.kind.name;
        let malformed = fetch(&case, Some(vec![Reply::new(200, case.malformed_body)]), 0).await;
        assert!(matches!(malformed, Err(ConnectorError::Malformed { .. })), "{name}: malformed gave {malformed:?}");
        let whole = main_reply(&case);
        let cut = whole.body.len() / 2;
        let truncated = fetch(&case, Some(vec![whole.truncated(cut)]), 0).await;
        assert!(truncated.is_err(), "{name}: a truncated body was accepted");
        let empty = fetch(&case, Some(vec![Reply::new(200, "")]), 0).await;
        assert!(empty.is_err(), "{name}: an empty body was accepted");
    }
}

/// Requests per pass in steady-state polling: a first pass over the recorded responses, then
/// idle passes over the same (nothing new). Idle polling must not cost more than reading.
/// `cargo test -p hark-connectors steady_state -- --nocapture` prints the figures.
#[tokio::test]
async fn steady_state_polling_costs() {
    for case in cases() {
        let name = case.kind.name;
        let server = serve(&case, None).await;
        let connector = build(&case, &server);
        let http = client(0);
        let mut cursor: Option<String> = None;
        let (mut first_requests, mut first_new) = (0, 0);
        // Read until nothing more is waiting (a window of several pages takes several passes).
        for _ in 0..10 {
            let page = connector.fetch(&http, cursor.as_deref(), chrono::Utc::now()).await.unwrap();
            first_requests += page.requests;
            first_new += page.mentions.len();
            cursor = page.next_cursor;
            if !page.more {
                break;
            }
        }
        let idle = connector.fetch(&http, cursor.as_deref(), chrono::Utc::now()).await.unwrap();
        println!(
            "{name:<14} catch-up: {first_requests} requests for {first_new} new posts ({:.3} per post); idle poll: {} requests",
            f64::from(first_requests) / first_new.max(1) as f64,
            idle.requests
        );
        assert!(idle.mentions.is_empty(), "{name}: an idle poll found posts again");
        assert!(idle.requests <= first_requests, "{name}: idle polling costs more than reading");
    }
}
