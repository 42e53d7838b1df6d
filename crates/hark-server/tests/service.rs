//! The service (`hark run`) with a source that fails in every way a source can: HTTP 500s,
//! then garbage, then a panic inside its connector. The healthy source beside it goes on, and
//! the failures show where an operator looks: the run ledger (`hark sources`), `/readyz` and
//! `/metrics`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use hark_app::service::{RunRequest, run_sources, scheduled_sources};
use hark_app::{App, AppOptions, Caller, Config, ConfigOrigin};
use hark_connectors::contract::BoxFuture;
use hark_connectors::http::HttpClient;
use hark_connectors::{Connector, ConnectorError, Page, Settings};
use hark_replay::{ReplayServer, Reply};
use serde_json::Value;
use tower::ServiceExt;

/// Passes the failing source has made (its third one panics).
static FLAKY_CALLS: AtomicUsize = AtomicUsize::new(0);

/// The RSS connector, except that its third pass panics inside it.
struct Flaky {
    inner: Box<dyn Connector>,
}

impl Connector for Flaky {
    fn fetch<'a>(
        &'a self,
        http: &'a HttpClient,
        cursor: Option<&'a str>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> BoxFuture<'a, Result<Page, ConnectorError>> {
        Box::pin(async move {
            if FLAKY_CALLS.fetch_add(1, Ordering::SeqCst) + 1 >= 3 {
                let entries: Vec<usize> = Vec::new();
                // A parser bug: indexing past the end of what it read.
                let _ = entries[7];
            }
            self.inner.fetch(http, cursor, now).await
        })
    }
}

fn flaky(settings: &Settings) -> Result<Box<dyn Connector>, String> {
    let rss = hark_connectors::find("rss").ok_or("no rss connector")?;
    Ok(Box::new(Flaky { inner: (rss.build)(settings)? }))
}

fn feed() -> String {
    let entries: String = (1..=3)
        .map(|n| {
            format!(
                "<entry><id>urn:post:{n}</id><title>Post {n} about Acme</title>\
                 <link href=\"https://blog.example/acme/{n}\"/><published>2026-11-2{n}T10:00:00Z</published>\
                 <updated>2026-11-2{n}T10:00:00Z</updated><content type=\"html\">Body of post {n}</content>\
                 <author><name>author{n}</name></author></entry>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\">\
         <id>urn:feed</id><title>Acme</title><updated>2026-11-24T10:00:00Z</updated>{entries}</feed>"
    )
}

async fn get(app: &App, uri: &str) -> (StatusCode, String) {
    let response = hark_server::router(app.clone())
        .oneshot(Request::get(uri).body(Body::empty()).expect("a request"))
        .await
        .expect("the router answers");
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 22).await.expect("a body");
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_source_does_not_stop_the_others_and_shows_in_sources_readyz_and_metrics() {
    hark_server::metrics::install().expect("the metrics recorder installs");
    let mut flaky_replies = vec![Reply::new(500, "upstream is down"); 5];
    flaky_replies.push(Reply::new(200, "<<< this is not a feed").header("Content-Type", "application/atom+xml"));
    let server = ReplayServer::start(vec![
        ("/good.xml", vec![Reply::new(200, feed()).header("Content-Type", "application/atom+xml")]),
        ("/flaky.xml", flaky_replies),
    ])
    .await
    .expect("the replay server starts");
    let base = server.base_url();
    let config = format!(
        "[[sources]]\nid = \"good\"\nkind = \"rss\"\nfeeds = [\"{base}/good.xml\"]\ninterval = \"10m\"\nrequests_per_minute = 60000\n\n\
         [[sources]]\nid = \"flaky\"\nkind = \"rss\"\nfeeds = [\"{base}/flaky.xml\"]\ninterval = \"10m\"\nrequests_per_minute = 60000\n"
    );
    let dir = tempfile::tempdir().expect("a scratch directory");
    let options = AppOptions {
        config_path: dir.path().join("hark.toml"),
        config_explicit: false,
        data_dir: dir.path().join("data"),
    };
    let config = Config::parse(&config, &options.config_path).expect("the configuration is valid");
    let app = App::with_config(options, config, ConfigOrigin::File);
    let mut sources = scheduled_sources(&app);
    for scheduled in &mut sources {
        if scheduled.source.id == "flaky" {
            scheduled.source.build = Some(flaky);
        }
    }
    let request = RunRequest { classify: false, retry_base: Duration::from_millis(50), ..RunRequest::default() };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let service = tokio::spawn({
        let app = app.clone();
        async move { run_sources(&app, &Caller::local(), &request, sources, stopped).await }
    });

    // Until the failing source has failed in each of its three ways.
    let admin = Caller::local();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    let flaky_source = loop {
        let listed = hark_app::sources::sources(&app, &admin).await.expect("sources are listed");
        let flaky = listed.into_iter().find(|source| source.id == "flaky").expect("the flaky source is listed");
        let last_kind = flaky.last_run.as_ref().and_then(|run| run.error_kind.clone());
        if last_kind.as_deref() == Some("panic") {
            break flaky;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the flaky source never panicked; last run: {:?}",
            flaky.last_run
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(flaky_source.outcome, Some("failed"));
    assert!(flaky_source.open_gaps >= 3, "each failed pass is a coverage gap: {flaky_source:?}");
    let error = flaky_source.last_run.as_ref().and_then(|run| run.error.clone()).unwrap_or_default();
    assert!(error.contains("panicked") && error.contains("index out of bounds"), "{error}");

    // The healthy source was read in full meanwhile.
    let listed = hark_app::sources::sources(&app, &admin).await.expect("sources are listed");
    let good = listed.iter().find(|source| source.id == "good").expect("the good source is listed");
    assert_eq!((good.outcome, good.mentions, good.open_gaps), (Some("ok"), 3, 0), "{good:?}");

    // /readyz: still ready (200), degraded, naming the failing source and why.
    let (status, body) = get(&app, "/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ready: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(ready["status"], "degraded", "{body}");
    let failing = ready["failing_sources"].as_array().expect("a list");
    assert_eq!(failing.len(), 1, "{body}");
    assert_eq!((failing[0]["id"].as_str(), failing[0]["error_kind"].as_str()), (Some("flaky"), Some("panic")));

    // /metrics: each kind of failure counted, the source marked failing, the good one not.
    let (status, metrics) = get(&app, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    for line in [
        "hark_source_failures_total{source=\"flaky\",kind=\"http\"} 1",
        "hark_source_failures_total{source=\"flaky\",kind=\"malformed\"} 1",
        "hark_source_failures_total{source=\"flaky\",kind=\"panic\"} 1",
        "hark_source_failing{source=\"flaky\"} 1",
        "hark_source_failing{source=\"good\"} 0",
        "hark_mentions_stored 3",
        "hark_pages_total{source=\"good\",stage=\"persisted\"} 1",
    ] {
        assert!(metrics.lines().any(|metric| metric == line), "no `{line}` in /metrics:\n{metrics}");
    }
    assert!(metrics.contains("hark_http_requests_total{host=\"127.0.0.1\",status=\"500\"} 5"), "{metrics}");

    stop.send_replace(true);
    let summary = tokio::time::timeout(Duration::from_secs(30), service)
        .await
        .expect("the service stops promptly")
        .expect("the service task ends normally")
        .expect("the service ends without error");
    assert!(summary.stopped);
    assert!(summary.passes.iter().filter(|pass| pass.id == "good").all(|pass| pass.outcome == "ok"));
}
