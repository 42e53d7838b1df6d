//! The notify stage: events from the store's outbox (new queue items, reroutes, spikes) to
//! outbound webhooks, signed, and retried through the outbox so that retries survive restarts.
//!
//! Delivery is at least once. Each pass asks the store for the deliveries due now, POSTs each
//! one once (the HTTP client itself never retries here: `max_retries: 0`), and records the
//! outcome: 2xx is delivered; anything else, or a network error, is a failed attempt that is
//! due again after an exponential backoff with full jitter (`base·2^attempts`, capped at
//! `max`), and dead (a dead letter, until replayed) after `max_attempts` failures.
//!
//! Every request carries
//! - `X-Hark-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, over the
//!   exact bytes of the body; receivers check it with [`verify_signature`], which also refuses
//!   stale timestamps (replays);
//! - `X-Hark-Event-Id`: the event's idempotency key, the same on every attempt, so receivers
//!   can drop repeats;
//! - `X-Hark-Topic`: `item.created`, `item.rerouted`, `spike`...
//!
//! Two body formats: [`WebhookFormat::Json`] (`{"id", "topic", "created_at", "data"}`) and
//! [`WebhookFormat::Slack`] (an incoming-webhook message with a readable summary).
//!
//! Secrets and webhook URLs (a Slack URL is itself a credential) never reach logs or the
//! stored error text: errors name the target's id and the HTTP status or network failure.

use std::collections::HashSet;
use std::fmt;
use std::num::NonZeroU32;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hark_connectors::http::{HttpClient, HttpConfig, HttpError};
use hark_store::{Delivery, Store, StoreError};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;

/// Header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Hark-Signature";
/// Header carrying the event's idempotency key.
pub const EVENT_ID_HEADER: &str = "X-Hark-Event-Id";
/// Header carrying the event's topic.
pub const TOPIC_HEADER: &str = "X-Hark-Topic";

/// Topics hark enqueues today.
pub const TOPICS: [&str; 3] = ["item.created", "item.rerouted", "spike"];

/// Requests per minute allowed to a webhook host: generous, since these are our own
/// receivers, but still a ceiling if a backlog drains at once.
const WEBHOOK_PER_MINUTE: NonZeroU32 = NonZeroU32::new(600).expect("600 is not zero");

/// Deliveries read (and claimed) from the store at a time: few enough that even at the
/// webhook timeout (10 s each) they are settled well within the store's claim (a minute), so
/// no other process gets them meanwhile.
const BATCH: i64 = 4;

/// How a webhook wants its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// `{"id", "topic", "created_at", "data"}`.
    #[default]
    Json,
    /// A Slack incoming-webhook message: `{"text", "blocks"}`.
    Slack,
}

impl WebhookFormat {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "json" => Some(Self::Json),
            "slack" => Some(Self::Slack),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Slack => "slack",
        }
    }
}

/// One outbound webhook. Its `id` names its deliveries in the store.
#[derive(Clone)]
pub struct WebhookTarget {
    pub id: String,
    pub url: String,
    /// The signing key. Never logged: the `Debug` output hides it (and the URL's path, which
    /// for Slack is a credential too).
    pub secret: String,
    pub format: WebhookFormat,
    /// Topics sent to this target; empty means every topic.
    pub topics: Vec<String>,
}

impl fmt::Debug for WebhookTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookTarget")
            .field("id", &self.id)
            .field("host", &hark_connectors::http::host_of(&self.url))
            .field("secret", &"<redacted>")
            .field("format", &self.format)
            .field("topics", &self.topics)
            .finish()
    }
}

impl WebhookTarget {
    /// Whether this target wants events of `topic`.
    pub fn wants(&self, topic: &str) -> bool {
        self.topics.is_empty() || self.topics.iter().any(|wanted| wanted == topic)
    }
}

/// When failed deliveries are tried again, and when they are given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first retry's ceiling; each failure doubles it.
    pub base: Duration,
    /// The longest wait between attempts.
    pub max: Duration,
    /// Failed attempts after which a delivery is dead.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { base: Duration::from_secs(30), max: Duration::from_secs(3600), max_attempts: 10 }
    }
}

impl RetryPolicy {
    /// The longest wait after a delivery failed `attempts` times before (this failure not
    /// counted): `base·2^attempts`, capped at `max`.
    pub fn ceiling(&self, attempts: u32) -> Duration {
        let factor = 2u32.checked_pow(attempts).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }

    /// The wait before the next attempt: uniform in `[0, ceiling]` ("full jitter"), so that
    /// deliveries failed together do not come back together.
    pub fn backoff(&self, attempts: u32) -> Duration {
        self.ceiling(attempts).mul_f64(rand::random::<f64>())
    }

    /// Whether a delivery that has now failed `failures` times (this one counted) is dead.
    pub fn is_dead(&self, failures: u32) -> bool {
        failures >= self.max_attempts.max(1)
    }
}

/// What a delivery pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DeliverySummary {
    /// Deliveries the receiver accepted (2xx).
    pub delivered: u64,
    /// Failed attempts that will be retried.
    pub failed: u64,
    /// Failed attempts that were the last: now dead letters.
    pub dead: u64,
    /// Events of topics a target does not subscribe to, marked done without a request.
    pub skipped: u64,
}

impl DeliverySummary {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The signature header for `body` sent at `timestamp` (Unix seconds).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", hex::encode(mac(secret, timestamp, body).finalize().into_bytes()))
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// Checks an `X-Hark-Signature` header against the body received, for receivers: the header
/// must be `t=<unix seconds>,v1=<hex>` (several `v1` are allowed, e.g. while a secret is
/// rotated; one must match), the MAC must match (compared in constant time), and `t` must be
/// within `tolerance` of `now` (older ones are replays).
pub fn verify_signature(
    secret: &str,
    header: &str,
    body: &[u8],
    now: DateTime<Utc>,
    tolerance: Duration,
) -> Result<(), &'static str> {
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => {
                let parsed: i64 = value.parse().map_err(|_| "the signature's timestamp is not a number")?;
                if timestamp.replace(parsed).is_some() {
                    return Err("the signature header has more than one timestamp");
                }
            }
            Some(("v1", value)) => {
                candidates.push(hex::decode(value).map_err(|_| "the signature is not hexadecimal")?);
            }
            // Other schemes may be added later; they are ignored.
            Some(_) => {}
            None => return Err("the signature header is not `t=...,v1=...`"),
        }
    }
    let timestamp = timestamp.ok_or("the signature header has no timestamp")?;
    if candidates.is_empty() {
        return Err("the signature header has no v1 signature");
    }
    let age = now.timestamp().saturating_sub(timestamp).unsigned_abs();
    if age > tolerance.as_secs() {
        return Err("the signature's timestamp is outside the tolerance (a replay, or a wrong clock)");
    }
    let expected = mac(secret, timestamp, body);
    if candidates.iter().any(|candidate| expected.clone().verify_slice(candidate).is_ok()) {
        Ok(())
    } else {
        Err("the signature does not match the body")
    }
}

/// The body sent for `delivery` in `format`.
pub fn body(delivery: &Delivery, format: WebhookFormat) -> Value {
    let event_id = event_id(delivery);
    match format {
        WebhookFormat::Json => json!({
            "id": event_id,
            "topic": delivery.topic,
            "created_at": delivery.created_at,
            "data": delivery.payload,
        }),
        WebhookFormat::Slack => slack_message(delivery, &event_id),
    }
}

fn event_id(delivery: &Delivery) -> String {
    delivery.idempotency_key.clone().unwrap_or_else(|| format!("outbox:{}", delivery.outbox_id))
}

/// Slack's three escapes for text in messages.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn slack_message(delivery: &Delivery, event_id: &str) -> Value {
    let data = &delivery.payload;
    let text_of = |key: &str| match data.get(key) {
        Some(Value::String(text)) => Some(slack_escape(text)),
        Some(Value::Null) | None => None,
        Some(other) => Some(slack_escape(&other.to_string())),
    };
    let (headline, detail) = match delivery.topic.as_str() {
        "item.created" | "item.rerouted" => {
            let queue = text_of("queue").unwrap_or_else(|| "?".to_owned());
            let id = text_of("id").unwrap_or_else(|| "?".to_owned());
            let headline = if delivery.topic == "item.created" {
                format!("New {queue} item #{id}")
            } else {
                let from = text_of("from").unwrap_or_else(|| "?".to_owned());
                format!("Item #{id} moved from {from} to {queue}")
            };
            let mut facts = Vec::new();
            if let Some(priority) = text_of("priority") {
                facts.push(format!("priority {priority}"));
            }
            if let Some(due) = text_of("due_at") {
                facts.push(format!("due {due}"));
            }
            if let Some(customer) = text_of("customer_id") {
                facts.push(format!("customer {customer}"));
            }
            if let Some(Value::Array(tags)) = data.get("tags")
                && !tags.is_empty()
            {
                let tags: Vec<String> = tags.iter().map(|tag| slack_escape(tag.as_str().unwrap_or_default())).collect();
                facts.push(format!("tags {}", tags.join(", ")));
            }
            let reason = text_of("reason").unwrap_or_default();
            (headline, [reason, facts.join(" · ")].into_iter().filter(|line| !line.is_empty()).collect::<Vec<_>>())
        }
        "spike" => {
            let name = text_of("name").unwrap_or_else(|| "?".to_owned());
            let count = text_of("count").unwrap_or_else(|| "?".to_owned());
            let baseline =
                data.get("baseline").and_then(Value::as_f64).map_or_else(|| "?".to_owned(), |b| format!("{b:.1}"));
            let mut lines = vec![format!("{count} mentions in the last window, against {baseline} usually")];
            if let Some(query) = text_of("query") {
                lines.push(format!("query: {query}"));
            }
            if let Some(share) = data.get("negative_share").and_then(Value::as_f64) {
                lines.push(format!("negative: {:.0}%", share * 100.0));
            }
            (format!("Spike: {name}"), lines)
        }
        other => (format!("hark event {}", slack_escape(other)), vec![slack_escape(&data.to_string())]),
    };
    let text = std::iter::once(headline.clone()).chain(detail.iter().cloned()).collect::<Vec<_>>().join("\n");
    let mut section = format!("*{headline}*");
    for line in &detail {
        section.push('\n');
        section.push_str(line);
    }
    json!({
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": section}},
            {"type": "context", "elements": [
                {"type": "mrkdwn", "text": format!("{} · {}", slack_escape(&delivery.topic), slack_escape(event_id))}
            ]},
        ],
    })
}

/// Why a delivery pass stopped.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("reading or recording deliveries")]
    Store(#[from] StoreError),
}

/// The notify stage: configured targets, the retry policy and the HTTP client.
#[derive(Debug, Clone)]
pub struct Notifier {
    targets: Vec<WebhookTarget>,
    policy: RetryPolicy,
    http: HttpClient,
}

impl Notifier {
    /// A notifier over `targets`. Give it a client built by [`Notifier::http_client`] (no
    /// retries inside the client: they go through the outbox). Each target's host gets a
    /// generous quota.
    pub fn new(targets: Vec<WebhookTarget>, policy: RetryPolicy, http: HttpClient) -> Self {
        for target in &targets {
            http.set_quota_for_url(&target.url, WEBHOOK_PER_MINUTE);
        }
        Self { targets, policy, http }
    }

    /// The HTTP client for webhooks: no retries of its own (a failure is recorded in the
    /// outbox and retried from there, surviving restarts), a 10 s timeout, small responses.
    pub fn http_client() -> Result<HttpClient, HttpError> {
        HttpClient::new(HttpConfig {
            max_retries: 0,
            timeout: Duration::from_secs(10),
            max_body_bytes: 64 * 1024,
            ..HttpConfig::default()
        })
    }

    pub fn targets(&self) -> &[WebhookTarget] {
        &self.targets
    }

    pub fn policy(&self) -> RetryPolicy {
        self.policy
    }

    /// One pass: every delivery due at `now`, each tried once, in the order the store gives
    /// (oldest due first). Stops early only when the store fails.
    pub async fn deliver_due(&self, store: &Store, now: DateTime<Utc>) -> Result<DeliverySummary, NotifyError> {
        let mut summary = DeliverySummary::default();
        let ids: Vec<String> = self.targets.iter().map(|target| target.id.clone()).collect();
        // A delivery retried with a zero wait is due again at once; try it once per pass.
        let mut tried = HashSet::new();
        loop {
            let batch = store.due_deliveries(&ids, now, BATCH).await?;
            let full = batch.len() as i64 == BATCH;
            let fresh: Vec<Delivery> = batch
                .into_iter()
                .filter(|delivery| tried.insert((delivery.outbox_id, delivery.target.clone())))
                .collect();
            if fresh.is_empty() {
                break;
            }
            for delivery in &fresh {
                let Some(target) = self.targets.iter().find(|target| target.id == delivery.target) else {
                    continue;
                };
                self.deliver_one(store, target, delivery, now, &mut summary).await?;
            }
            if !full {
                break;
            }
        }
        Ok(summary)
    }

    async fn deliver_one(
        &self,
        store: &Store,
        target: &WebhookTarget,
        delivery: &Delivery,
        now: DateTime<Utc>,
        summary: &mut DeliverySummary,
    ) -> Result<(), NotifyError> {
        if !target.wants(&delivery.topic) {
            store.mark_delivered(delivery.outbox_id, &target.id, now).await?;
            summary.skipped += 1;
            return Ok(());
        }
        match self.post(target, delivery, now).await {
            Ok(()) => {
                store.mark_delivered(delivery.outbox_id, &target.id, now).await?;
                let (outbox_id, topic) = (delivery.outbox_id, &delivery.topic);
                tracing::debug!(target = %target.id, outbox_id, %topic, "delivered");
                summary.delivered += 1;
            }
            Err(error) => {
                let failures = u32::try_from(delivery.attempts).unwrap_or(u32::MAX).saturating_add(1);
                let dead = self.policy.is_dead(failures);
                let wait = self.policy.backoff(failures - 1);
                let next = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
                store.mark_failed(delivery.outbox_id, &target.id, &error, next, dead, now).await?;
                if dead {
                    tracing::warn!(target = %target.id, outbox_id = delivery.outbox_id, failures, %error,
                        "webhook delivery given up: a dead letter until replayed (`hark alerts replay`)");
                    summary.dead += 1;
                } else {
                    tracing::info!(target = %target.id, outbox_id = delivery.outbox_id, failures, %error,
                        retry_in_s = wait.as_secs(), "webhook delivery failed; will retry");
                    summary.failed += 1;
                }
            }
        }
        Ok(())
    }

    /// POSTs one delivery; the error is a short text without the URL or the secret.
    async fn post(&self, target: &WebhookTarget, delivery: &Delivery, now: DateTime<Utc>) -> Result<(), String> {
        let body = body(delivery, target.format);
        // `post_json` sends `body.to_string()`: sign those very bytes.
        let sent = body.to_string();
        let signature = sign(&target.secret, now.timestamp(), sent.as_bytes());
        let event_id = event_id(delivery);
        let headers = [
            (SIGNATURE_HEADER, signature.as_str()),
            (EVENT_ID_HEADER, event_id.as_str()),
            (TOPIC_HEADER, delivery.topic.as_str()),
        ];
        match self.http.post_json(&target.url, Some(&target.id), &headers, &body).await {
            Ok(fetched) if (200..300).contains(&fetched.status) => Ok(()),
            Ok(fetched) => Err(format!("HTTP {}", fetched.status)),
            Err(error) => Err(describe(&error)),
        }
    }
}

/// An HTTP error as stored and logged: never the URL.
fn describe(error: &HttpError) -> String {
    match error {
        HttpError::Auth { status, .. } => format!("HTTP {status} (the receiver refused; check its secret)"),
        HttpError::RateLimited { status, .. } => format!("HTTP {status} (rate limited)"),
        HttpError::Status { status, .. } => format!("HTTP {status}"),
        HttpError::TooLarge { limit, .. } => format!("response over {limit} bytes"),
        HttpError::Network { message, .. } => format!("network: {message}"),
        HttpError::Url(_) => "invalid URL".to_owned(),
        HttpError::Build(message) => format!("HTTP client: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(seconds, 0).unwrap()
    }

    const FIVE_MINUTES: Duration = Duration::from_secs(300);

    #[test]
    fn a_signature_verifies_and_any_change_breaks_it() {
        let body = br#"{"id":"item.created:1"}"#;
        let header = sign("s3cret", 1_700_000_000, body);
        assert!(header.starts_with("t=1700000000,v1="), "{header}");
        assert_eq!(header.len(), "t=1700000000,v1=".len() + 64);
        assert_eq!(verify_signature("s3cret", &header, body, at(1_700_000_010), FIVE_MINUTES), Ok(()));
        // Another body, another secret, another timestamp with the same MAC: refused.
        assert!(
            verify_signature("s3cret", &header, br#"{"id":"item.created:2"}"#, at(1_700_000_010), FIVE_MINUTES)
                .is_err()
        );
        assert!(verify_signature("other", &header, body, at(1_700_000_010), FIVE_MINUTES).is_err());
        let moved = header.replace("t=1700000000", "t=1700000001");
        assert_eq!(
            verify_signature("s3cret", &moved, body, at(1_700_000_010), FIVE_MINUTES),
            Err("the signature does not match the body")
        );
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // HMAC-SHA256(key = "key", "1.body"), computed independently.
        let expected = {
            let mut mac = Hmac::<Sha256>::new_from_slice(b"key").unwrap();
            mac.update(b"1.body");
            hex::encode(mac.finalize().into_bytes())
        };
        assert_eq!(sign("key", 1, b"body"), format!("t=1,v1={expected}"));
    }

    #[test]
    fn stale_and_malformed_headers_are_refused() {
        let body = b"{}";
        let header = sign("k", 1_000, body);
        assert!(verify_signature("k", &header, body, at(1_000 + 300), FIVE_MINUTES).is_ok());
        assert_eq!(
            verify_signature("k", &header, body, at(1_000 + 301), FIVE_MINUTES),
            Err("the signature's timestamp is outside the tolerance (a replay, or a wrong clock)")
        );
        // From the future beyond the tolerance too.
        assert!(verify_signature("k", &header, body, at(1_000 - 301), FIVE_MINUTES).is_err());
        for bad in ["", "v1=00", "t=1000", "t=abc,v1=00", "t=1000,v1=zz", "garbage", "t=1,t=1,v1=00"] {
            assert!(verify_signature("k", bad, body, at(1_000), FIVE_MINUTES).is_err(), "{bad:?}");
        }
        // A rotated secret: either v1 may match; unknown schemes are ignored.
        let mac = header.split_once("v1=").unwrap().1;
        let rotated = format!("t=1000,v1={},v0=whatever,v1={mac}", "00".repeat(32));
        assert!(verify_signature("k", &rotated, body, at(1_000), FIVE_MINUTES).is_ok());
    }

    #[test]
    fn backoff_doubles_within_bounds_and_is_capped() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.ceiling(0), Duration::from_secs(30));
        assert_eq!(policy.ceiling(1), Duration::from_secs(60));
        assert_eq!(policy.ceiling(6), Duration::from_secs(1920));
        assert_eq!(policy.ceiling(7), Duration::from_secs(3600));
        assert_eq!(policy.ceiling(40), Duration::from_secs(3600));
        assert_eq!(policy.ceiling(u32::MAX), Duration::from_secs(3600));
        for attempts in 0..20 {
            for _ in 0..50 {
                let wait = policy.backoff(attempts);
                assert!(wait <= policy.ceiling(attempts), "{attempts}: {wait:?}");
            }
        }
        // Full jitter spreads the waits rather than pinning them to the ceiling.
        let waits: HashSet<u128> = (0..50).map(|_| policy.backoff(3).as_millis()).collect();
        assert!(waits.len() > 10, "{waits:?}");
        assert!(!policy.is_dead(9));
        assert!(policy.is_dead(10));
        assert!(RetryPolicy { max_attempts: 0, ..policy }.is_dead(1));
    }

    fn delivery(topic: &str, payload: Value) -> Delivery {
        Delivery {
            outbox_id: 7,
            target: "ops".to_owned(),
            topic: topic.to_owned(),
            payload,
            idempotency_key: Some(format!("{topic}:7")),
            attempts: 0,
            created_at: at(1_700_000_000),
            next_attempt_at: at(1_700_000_000),
            last_error: None,
            dead_at: None,
        }
    }

    #[test]
    fn bodies_in_both_formats() {
        let event = delivery(
            "item.created",
            json!({"id": 7, "queue": "service", "reason": "complaint <from> a & b", "priority": 3, "tags": ["vip"]}),
        );
        let json_body = body(&event, WebhookFormat::Json);
        assert_eq!(json_body["id"], "item.created:7");
        assert_eq!(json_body["topic"], "item.created");
        assert_eq!(json_body["created_at"], "2023-11-14T22:13:20Z");
        assert_eq!(json_body["data"]["queue"], "service");
        let slack = body(&event, WebhookFormat::Slack);
        let text = slack["text"].as_str().unwrap();
        assert!(text.starts_with("New service item #7\ncomplaint &lt;from&gt; a &amp; b\npriority 3"), "{text}");
        assert!(text.contains("tags vip"), "{text}");
        assert_eq!(slack["blocks"][0]["type"], "section");
        assert!(slack["blocks"][1]["elements"][0]["text"].as_str().unwrap().contains("item.created:7"));
        let spike =
            body(&delivery("spike", json!({"name": "outage", "count": 40, "baseline": 4.25})), WebhookFormat::Slack);
        assert!(spike["text"].as_str().unwrap().starts_with("Spike: outage\n40 mentions"), "{spike}");
    }

    #[test]
    fn debug_output_hides_the_secret_and_the_url_path() {
        let target = WebhookTarget {
            id: "ops".to_owned(),
            url: "https://hooks.slack.com/services/T0/B0/XYZSECRETPATH".to_owned(),
            secret: "do-not-print".to_owned(),
            format: WebhookFormat::Slack,
            topics: vec![],
        };
        let shown = format!("{target:?}");
        assert!(!shown.contains("do-not-print") && !shown.contains("XYZSECRETPATH"), "{shown}");
        assert!(shown.contains("hooks.slack.com"), "{shown}");
        assert!(target.wants("anything"));
        let picky = WebhookTarget { topics: vec!["spike".to_owned()], ..target };
        assert!(picky.wants("spike") && !picky.wants("item.created"));
    }
}
