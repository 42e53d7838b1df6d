//! Webhook alerts end to end: events in a real SQLite outbox, delivered to a real webhook
//! receiver on loopback that checks every signature and fails some requests, with the
//! application restarted between passes.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::{DateTime, TimeDelta, Utc};
use hark_app::alerts::{self, DeliverySummary};
use hark_app::{App, AppOptions, Caller, Config, ConfigOrigin, ErrorKind, Role};
use hark_pipeline::notify::{EVENT_ID_HEADER, SIGNATURE_HEADER, TOPIC_HEADER, verify_signature};
use serde_json::{Value, json};

/// An environment variable cargo sets for every test run: its value is the webhooks' secret
/// (tests may not set variables of their own).
const SECRET_ENV: &str = "CARGO_MANIFEST_DIR";

fn secret() -> String {
    std::env::var(SECRET_ENV).expect("cargo sets CARGO_MANIFEST_DIR when it runs tests")
}

/// What a receiver saw.
#[derive(Debug, Default)]
struct Seen {
    requests: usize,
    /// Requests whose signature did not verify, and why.
    bad_signatures: Vec<String>,
    /// Accepted deliveries: (X-Hark-Event-Id, X-Hark-Topic, body).
    accepted: Vec<(String, String, Value)>,
}

#[derive(Debug)]
struct Receiver {
    secret: String,
    /// Requests still to answer with a 500.
    failures_left: AtomicUsize,
    seen: Mutex<Seen>,
}

impl Receiver {
    fn accepted_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> =
            self.seen.lock().expect("receiver lock").accepted.iter().map(|(id, _, _)| id.clone()).collect();
        ids.sort();
        ids
    }
}

async fn receive(State(receiver): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    let mut seen = receiver.seen.lock().expect("receiver lock");
    seen.requests += 1;
    let checked =
        verify_signature(&receiver.secret, &header(SIGNATURE_HEADER), &body, Utc::now(), Duration::from_secs(300));
    if let Err(why) = checked {
        seen.bad_signatures.push(why.to_owned());
        return StatusCode::UNAUTHORIZED;
    }
    if receiver.failures_left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| left.checked_sub(1)).is_ok() {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let body: Value = serde_json::from_slice(&body).expect("a JSON body");
    seen.accepted.push((header(EVENT_ID_HEADER), header(TOPIC_HEADER), body));
    StatusCode::NO_CONTENT
}

/// A receiver on 127.0.0.1 that answers 500 to its first `failures` requests; its URL.
async fn spawn_receiver(failures: usize) -> (Arc<Receiver>, String) {
    let receiver =
        Arc::new(Receiver { secret: secret(), failures_left: AtomicUsize::new(failures), seen: Mutex::default() });
    let router = Router::new().route("/hook", post(receive)).with_state(Arc::clone(&receiver));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let url = format!("http://{}/hook", listener.local_addr().expect("a bound address"));
    tokio::spawn(async move { axum::serve(listener, router).await.expect("the receiver serves") });
    (receiver, url)
}

fn data_dir(dir: &Path) -> PathBuf {
    dir.join("data")
}

/// A fresh application over the data in `dir`, as after a restart.
fn open_app(dir: &Path, config: &str) -> App {
    let config = Config::parse(config, Path::new("hark.toml")).unwrap_or_else(|err| panic!("{err:#}"));
    let options = AppOptions { config_path: dir.join("hark.toml"), config_explicit: false, data_dir: data_dir(dir) };
    App::with_config(options, config, ConfigOrigin::File)
}

/// One delivery pass at `now` by a freshly started application, closed afterwards.
async fn pass(dir: &Path, config: &str, now: DateTime<Utc>) -> DeliverySummary {
    let app = open_app(dir, config);
    let summary = alerts::deliver_at(&app, &Caller::local(), now).await.unwrap_or_else(|err| panic!("{err}"));
    app.close().await;
    summary
}

/// Enqueues events straight into the store, as routing does; the number newly enqueued.
async fn enqueue(dir: &Path, events: &[(&str, Value, &str)], now: DateTime<Utc>) -> usize {
    let store = hark_store::Store::open_in(&data_dir(dir)).await.expect("the store opens");
    let mut inserted = 0;
    for (topic, payload, key) in events {
        if store.enqueue_event(topic, payload, key, now).await.expect("enqueued").is_some() {
            inserted += 1;
        }
    }
    store.close().await;
    inserted
}

fn item(id: i64) -> Value {
    json!({"id": id, "queue": "service", "reason": "complaint by a customer", "priority": 3, "tags": ["vip"]})
}

fn summary(delivered: u64, failed: u64, dead: u64, skipped: u64) -> DeliverySummary {
    DeliverySummary { delivered, failed, dead, skipped }
}

#[tokio::test]
async fn every_event_reaches_every_webhook_once_across_failures_and_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let (ops, ops_url) = spawn_receiver(2).await;
    let (chat, chat_url) = spawn_receiver(0).await;
    let config = format!(
        r#"
        [[webhooks]]
        id = "ops"
        url = "{ops_url}"
        secret_env = "{SECRET_ENV}"

        [[webhooks]]
        id = "chat"
        url = "{chat_url}"
        secret_env = "{SECRET_ENV}"
        format = "slack"
        topics = ["spike"]

        [alerts]
        retry_base = "1s"
        retry_max = "1s"
        max_attempts = 5
        "#
    );
    let start = Utc::now();
    let mut events: Vec<(&str, Value, String)> =
        (1..=4).map(|id| ("item.created", item(id), format!("item.created:{id}"))).collect();
    events.push(("spike", json!({"name": "outage", "count": 40, "baseline": 4.0}), "spike:outage:1".to_owned()));
    let first: Vec<(&str, Value, &str)> =
        events.iter().map(|(topic, payload, key)| (*topic, payload.clone(), key.as_str())).collect();
    assert_eq!(enqueue(dir.path(), &first, start).await, 5);

    // ops fails the first two (events 1 and 2); chat takes only the spike.
    assert_eq!(pass(dir.path(), &config, start).await, summary(4, 2, 0, 4));
    // After a restart and past the backoff, the two failures go through.
    assert_eq!(pass(dir.path(), &config, start + TimeDelta::seconds(2)).await, summary(2, 0, 0, 0));

    // More events, and one repeat that the idempotency key drops.
    let more = [
        ("item.created", item(5), "item.created:5"),
        ("item.created", item(6), "item.created:6"),
        ("item.created", item(1), "item.created:1"),
    ];
    assert_eq!(enqueue(dir.path(), &more, start + TimeDelta::seconds(3)).await, 2);
    assert_eq!(pass(dir.path(), &config, start + TimeDelta::seconds(4)).await, summary(2, 0, 0, 2));
    assert_eq!(pass(dir.path(), &config, start + TimeDelta::seconds(6)).await, summary(0, 0, 0, 0));

    let mut expected: Vec<String> = (1..=6).map(|id| format!("item.created:{id}")).collect();
    expected.push("spike:outage:1".to_owned());
    expected.sort();
    assert_eq!(ops.accepted_ids(), expected, "each event exactly once");
    assert_eq!(chat.accepted_ids(), ["spike:outage:1"]);
    for receiver in [&ops, &chat] {
        let seen = receiver.seen.lock().unwrap();
        assert!(seen.bad_signatures.is_empty(), "{:?}", seen.bad_signatures);
    }
    // The JSON body names the event as the headers do.
    for (id, topic, body) in &ops.seen.lock().unwrap().accepted {
        assert_eq!((body["id"].as_str(), body["topic"].as_str()), (Some(id.as_str()), Some(topic.as_str())));
    }
    assert_eq!(ops.seen.lock().unwrap().requests, 9, "7 deliveries and 2 failures");
    // The JSON format carries the event; Slack gets a readable message.
    let ops_seen = ops.seen.lock().unwrap();
    let (_, _, first_body) = ops_seen.accepted.iter().find(|(id, _, _)| id == "item.created:3").unwrap();
    assert_eq!(first_body["data"]["queue"], "service");
    assert_eq!(first_body["data"]["id"], 3);
    let chat_seen = chat.seen.lock().unwrap();
    let (_, topic, slack) = &chat_seen.accepted[0];
    assert_eq!(topic, "spike");
    assert!(slack["text"].as_str().unwrap().starts_with("Spike: outage"), "{slack}");
    assert_eq!(slack["blocks"][0]["type"], "section");
}

#[tokio::test]
async fn a_dead_letter_is_listed_replayed_and_then_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let (ops, ops_url) = spawn_receiver(2).await;
    let config = format!(
        r#"
        [[webhooks]]
        id = "ops"
        url = "{ops_url}"
        secret_env = "{SECRET_ENV}"

        [alerts]
        retry_base = "1s"
        retry_max = "1s"
        max_attempts = 2
        "#
    );
    let start = Utc::now();
    assert_eq!(enqueue(dir.path(), &[("item.created", item(1), "item.created:1")], start).await, 1);
    assert_eq!(pass(dir.path(), &config, start).await, summary(0, 1, 0, 0));
    assert_eq!(pass(dir.path(), &config, start + TimeDelta::seconds(2)).await, summary(0, 0, 1, 0));
    // Dead: no more attempts.
    assert_eq!(pass(dir.path(), &config, start + TimeDelta::seconds(4)).await, summary(0, 0, 0, 0));

    let app = open_app(dir.path(), &config);
    let local = Caller::local();
    let letters = alerts::dead_letters(&app, &local, 10).await.unwrap();
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!((letter.target.as_str(), letter.topic.as_str()), ("ops", "item.created"));
    assert_eq!(letter.event_id.as_deref(), Some("item.created:1"));
    assert_eq!(letter.attempts, 2);
    assert_eq!(letter.last_error.as_deref(), Some("HTTP 500"));
    assert!(letter.dead_at.is_some());
    let listed = serde_json::to_value(&letters).unwrap();
    assert_eq!(listed[0]["payload"]["id"], 1);

    // Only admins see or replay dead letters; an unknown webhook is refused by name.
    let community = Caller::new("casey", Role::Community);
    assert_eq!(alerts::dead_letters(&app, &community, 10).await.unwrap_err().kind, ErrorKind::Forbidden);
    assert_eq!(alerts::replay(&app, &community, None, None).await.unwrap_err().kind, ErrorKind::Forbidden);
    assert_eq!(alerts::deliver(&app, &community).await.unwrap_err().kind, ErrorKind::Forbidden);
    assert_eq!(alerts::replay(&app, &local, Some("nope"), None).await.unwrap_err().kind, ErrorKind::NotFound);
    assert_eq!(alerts::replay(&app, &local, Some("ops"), Some(letter.outbox_id + 1)).await.unwrap(), 0);
    assert_eq!(alerts::replay(&app, &local, Some("ops"), Some(letter.outbox_id)).await.unwrap(), 1);
    app.close().await;
    drop(app);

    assert_eq!(pass(dir.path(), &config, start + TimeDelta::seconds(6)).await, summary(1, 0, 0, 0));
    let app = open_app(dir.path(), &config);
    assert!(alerts::dead_letters(&app, &local, 10).await.unwrap().is_empty());
    app.close().await;
    assert_eq!(ops.accepted_ids(), ["item.created:1"]);
    let seen = ops.seen.lock().unwrap();
    assert_eq!(seen.requests, 3);
    assert!(seen.bad_signatures.is_empty(), "{:?}", seen.bad_signatures);
}

#[tokio::test]
async fn missing_secrets_and_missing_webhooks_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let app = open_app(dir.path(), "");
    assert!(alerts::notifier(&app).unwrap().is_none());
    let err = alerts::deliver(&app, &Caller::local()).await.unwrap_err();
    assert_eq!(err.code, "no_webhooks");

    let config = r#"
        [[webhooks]]
        id = "ops"
        url = "https://hooks.example.com/hark"
        secret_env = "HARK_TEST_WEBHOOK_SECRET_THAT_IS_NEVER_SET"
    "#;
    let app = open_app(dir.path(), config);
    let err = alerts::notifier(&app).unwrap_err();
    assert_eq!((err.kind, err.code), (ErrorKind::Invalid, "missing_secret"));
    assert!(err.message.contains("HARK_TEST_WEBHOOK_SECRET_THAT_IS_NEVER_SET"), "{}", err.message);
    // The server's loop logs that and ends instead of panicking.
    alerts::spawn_delivery(app).await.unwrap();
}

#[test]
fn webhook_and_alert_settings_are_validated() {
    let text = r#"
        [[webhooks]]
        id = "ops"
        url = "ftp://example.com"
        secret_env = "s3cr3t-value"
        format = "xml"
        topics = ["item.created", "item.deleted"]

        [[webhooks]]
        id = "ops"
        url = "https://example.com/hook"
        secret_env = "HARK_OPS_SECRET"

        [alerts]
        retry_base = "soon"
        max_attempts = 0
        retry_max = "0s"

        [[alerts.spikes]]
        name = "outage"
        query = "down AND ("
        window = "10s"
        factor = 0.5
    "#;
    let err = Config::parse(text, Path::new("hark.toml")).unwrap_err();
    let message = format!("{err:#}");
    for expected in [
        "webhooks[0].url: must be an http:// or https:// URL",
        "webhooks[0].secret_env: must name an environment variable",
        r#"webhooks[0].format: unknown format "xml"; expected json or slack"#,
        r#"webhooks[0].topics[1]: unknown topic "item.deleted""#,
        r#"webhooks[1].id: "ops" is used by another webhook"#,
        r#"alerts.retry_base: "soon" is not a duration"#,
        "alerts.retry_max: must be at least 1s",
        "alerts.max_attempts: must be at least 1",
        "alerts.spikes[0].query: invalid query",
        "alerts.spikes[0].window: must be at least 60s",
        "alerts.spikes[0].factor: must be a number above 1",
    ] {
        assert!(message.contains(expected), "missing {expected:?} in:\n{message}");
    }

    let fine = Config::parse(
        r#"
        [[webhooks]]
        id = "ops"
        url = "https://example.com/hook"
        secret_env = "HARK_OPS_SECRET"
        format = "slack"

        [alerts]
        retry_base = "10s"
        retry_max = "30m"
        deliver_every = "5s"
        "#,
        Path::new("hark.toml"),
    )
    .unwrap();
    let policy = fine.alerts.retry_policy();
    assert_eq!(
        (policy.base, policy.max, policy.max_attempts),
        (Duration::from_secs(10), Duration::from_secs(1800), 10)
    );
    assert_eq!(fine.alerts.deliver_every(), Duration::from_secs(5));
    assert_eq!(fine.webhooks[0].format(), hark_pipeline::notify::WebhookFormat::Slack);
    let defaults = Config::parse("", Path::new("hark.toml")).unwrap();
    assert_eq!(defaults.alerts.retry_policy(), hark_pipeline::notify::RetryPolicy::default());
    assert_eq!(defaults.alerts.deliver_every(), Duration::from_secs(10));
}

fn mention_at(id: &str, text: &str, published: DateTime<Utc>, negative: bool) -> hark_core::Mention {
    use hark_core::{Sentiment, SentimentScores, Signals, SourceKind};
    let mut mention =
        hark_core::Mention::new(SourceKind::parse("reddit").expect("a known kind"), "r", id, text, published);
    mention.published_at = Some(published);
    let (sentiment, negative_score) = if negative { (Sentiment::Negative, 0.8) } else { (Sentiment::Neutral, 0.1) };
    mention.signals = Some(Signals {
        sentiment,
        sentiment_scores: SentimentScores { negative: negative_score, neutral: 0.9 - negative_score, positive: 0.1 },
        complaint: 0.0,
        intent: 0.0,
        cues: vec![],
        model_version: "test".to_owned(),
    });
    mention
}

#[tokio::test]
async fn a_surge_of_matching_mentions_fires_one_spike_event() {
    let dir = tempfile::tempdir().unwrap();
    let (ops, ops_url) = spawn_receiver(0).await;
    let config = format!(
        r#"
        [[webhooks]]
        id = "ops"
        url = "{ops_url}"
        secret_env = "{SECRET_ENV}"
        topics = ["spike"]

        [[alerts.spikes]]
        name = "outage"
        query = "outage"
        window = "1h"
        factor = 3.0
        min_count = 5
        cooldown = "6h"
        "#
    );
    let now = Utc::now();
    // One outage post an hour for the day before, then six in the last hour (four negative),
    // and chatter that does not match.
    let mut posts: Vec<hark_core::Mention> = (2..=25)
        .map(|hours| {
            mention_at(
                &format!("old{hours}"),
                "a small outage somewhere",
                now - TimeDelta::minutes(hours * 60 - 30),
                false,
            )
        })
        .collect();
    posts.extend(
        (0..6)
            .map(|n| mention_at(&format!("new{n}"), "the outage is back", now - TimeDelta::minutes(5 + n * 5), n < 4)),
    );
    posts.extend(
        (0..10).map(|n| mention_at(&format!("chat{n}"), "lovely weather", now - TimeDelta::minutes(n * 3), false)),
    );
    let app = open_app(dir.path(), &config);
    let pipeline = app.pipeline(false).await.unwrap();
    pipeline.process_page("r", posts, None).await.unwrap();
    app.indexer().unwrap().expect("this process writes the index").commit().unwrap();

    let local = Caller::local();
    let mut cooldowns = alerts::SpikeCooldowns::default();
    let fired = alerts::check_spikes_at(&app, &local, now, &mut cooldowns).await.unwrap();
    assert_eq!(fired.len(), 1, "{fired:?}");
    let spike = &fired[0];
    assert_eq!((spike.name.as_str(), spike.kind.as_str(), spike.count), ("outage", "volume", 6));
    assert!((spike.baseline - 1.0).abs() < 1e-9, "{}", spike.baseline);
    assert!((spike.negative_share - 4.0 / 6.0).abs() < 1e-9);
    assert_eq!(spike.baseline_negative_share, 0.0);
    assert!(spike.outbox_id.is_some());
    // Within the cooldown: quiet. After a restart (cooldowns forgotten) the same window slot
    // is not enqueued twice.
    assert!(
        alerts::check_spikes_at(&app, &local, now + TimeDelta::minutes(1), &mut cooldowns).await.unwrap().is_empty()
    );
    let again = alerts::check_spikes_at(&app, &local, now, &mut alerts::SpikeCooldowns::default()).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].outbox_id, None);
    assert_eq!(
        alerts::check_spikes_at(&app, &Caller::new("s", Role::Sales), now, &mut cooldowns).await.unwrap_err().kind,
        ErrorKind::Forbidden
    );

    assert_eq!(alerts::deliver_at(&app, &local, now).await.unwrap().delivered, 1);
    app.close().await;
    let seen = ops.seen.lock().unwrap();
    assert_eq!(seen.accepted.len(), 1);
    let (id, topic, body) = &seen.accepted[0];
    assert!(id.starts_with("spike:outage:"), "{id}");
    assert_eq!(topic, "spike");
    assert_eq!(body["data"]["count"], 6);
    assert_eq!(body["data"]["kind"], "volume");
}
