//! Alerts: events from the store's outbox (new queue items, reroutes, spikes) delivered to the
//! configured `[[webhooks]]`, signed and retried (see [`hark_pipeline::notify`]), plus the
//! dead letters people inspect and replay, and spike alerts (`[[alerts.spikes]]`).
//!
//! `hark serve` runs [`spawn_delivery`]: a delivery pass (and a spike check) every
//! `[alerts] deliver_every`. `hark alerts deliver|list|replay` do the same by hand. Only admins
//! may: webhooks carry customer data out of hark.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use hark_core::Sentiment;
use hark_index::mentions::{MentionIndex, SearchOptions};
use hark_index::query::{self, DateRange, Filter, Query};
use hark_pipeline::notify::{self, Notifier, WebhookTarget};
use serde::Serialize;
use utoipa::ToSchema;

use crate::App;
use crate::access::{Caller, Permission};
use crate::config::SpikeConfig;
use crate::error::{AppError, AppResult, Context};

/// Windows before the current one that make a spike's baseline.
const BASELINE_WINDOWS: i32 = 24;

/// What a delivery pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct DeliverySummary {
    /// Deliveries the receivers accepted (2xx).
    pub delivered: u64,
    /// Failed attempts that will be retried after a backoff.
    pub failed: u64,
    /// Failed attempts that were the last: now dead letters (`hark alerts replay`).
    pub dead: u64,
    /// Events of topics a webhook does not subscribe to, passed over.
    pub skipped: u64,
}

impl From<notify::DeliverySummary> for DeliverySummary {
    fn from(summary: notify::DeliverySummary) -> Self {
        let notify::DeliverySummary { delivered, failed, dead, skipped } = summary;
        Self { delivered, failed, dead, skipped }
    }
}

/// A delivery given up after its last attempt, until replayed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeadLetterView {
    /// The event's id in the outbox (`hark alerts replay --id`).
    pub outbox_id: i64,
    /// The webhook's id.
    pub target: String,
    pub topic: String,
    /// The idempotency key, sent as `X-Hark-Event-Id`.
    pub event_id: Option<String>,
    pub attempts: i64,
    /// The last attempt's failure (an HTTP status or a network error).
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub dead_at: Option<DateTime<Utc>>,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

impl From<hark_store::Delivery> for DeadLetterView {
    fn from(delivery: hark_store::Delivery) -> Self {
        Self {
            outbox_id: delivery.outbox_id,
            target: delivery.target,
            topic: delivery.topic,
            event_id: delivery.idempotency_key,
            attempts: delivery.attempts,
            last_error: delivery.last_error,
            created_at: delivery.created_at,
            dead_at: delivery.dead_at,
            payload: delivery.payload,
        }
    }
}

/// The configured webhooks with their secrets read from the environment; `None` when no
/// webhook is configured. A secret's variable that is unset or empty is an `invalid` error
/// (`missing_secret`) naming it.
pub fn notifier(app: &App) -> AppResult<Option<Notifier>> {
    let config = app.config();
    if config.webhooks.is_empty() {
        return Ok(None);
    }
    let mut targets = Vec::with_capacity(config.webhooks.len());
    for webhook in &config.webhooks {
        let secret = std::env::var(&webhook.secret_env).ok().filter(|secret| !secret.trim().is_empty());
        let Some(secret) = secret else {
            return Err(AppError::invalid(
                "missing_secret",
                format!(
                    "webhook {:?}: the environment variable {} (its signing secret) is not set; \
                     set it, or remove the webhook from the configuration",
                    webhook.id, webhook.secret_env
                ),
            ));
        };
        targets.push(WebhookTarget {
            id: webhook.id.clone(),
            url: webhook.url.clone(),
            secret,
            format: webhook.format(),
            topics: webhook.topics.clone(),
        });
    }
    let http = Notifier::http_client().internal("building the webhook HTTP client")?;
    Ok(Some(Notifier::new(targets, config.alerts.retry_policy(), http)))
}

fn no_webhooks() -> AppError {
    AppError::invalid("no_webhooks", "no webhooks are configured: add a [[webhooks]] entry to the configuration")
}

/// One delivery pass now: every delivery due is tried once. Admin only.
pub async fn deliver(app: &App, caller: &Caller) -> AppResult<DeliverySummary> {
    deliver_at(app, caller, app.clock().now()).await
}

/// [`deliver`] at a given time (tests, and callers with their own clock).
pub async fn deliver_at(app: &App, caller: &Caller, now: DateTime<Utc>) -> AppResult<DeliverySummary> {
    caller.require(Permission::Admin)?;
    let notifier = notifier(app)?.ok_or_else(no_webhooks)?;
    deliver_with(app, caller, &notifier, now).await
}

/// A delivery pass with a notifier built once (the server's loop keeps one).
pub async fn deliver_with(
    app: &App,
    caller: &Caller,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> AppResult<DeliverySummary> {
    caller.require(Permission::Admin)?;
    let store = app.store().await.internal("opening the store")?;
    let summary = notifier.deliver_due(store, now).await.internal("delivering webhooks")?;
    Ok(summary.into())
}

/// Dead letters, most recently given up first (`limit` between 1 and 1000). Admin only.
pub async fn dead_letters(app: &App, caller: &Caller, limit: i64) -> AppResult<Vec<DeadLetterView>> {
    caller.require(Permission::Admin)?;
    let store = app.store().await.internal("opening the store")?;
    let letters = store.dead_letters(limit.clamp(1, 1000)).await.internal("reading dead letters")?;
    Ok(letters.into_iter().map(DeadLetterView::from).collect())
}

/// Makes dead letters due again (attempts reset): all of them, those of one webhook
/// (`target`), or of one event (`id`, its outbox id); returns how many. Admin only.
pub async fn replay(app: &App, caller: &Caller, target: Option<&str>, id: Option<i64>) -> AppResult<u64> {
    caller.require(Permission::Admin)?;
    if let Some(target) = target
        && !app.config().webhooks.iter().any(|webhook| webhook.id == target)
    {
        return Err(AppError::not_found("webhook", format!("{target:?} in the configuration")));
    }
    let store = app.store().await.internal("opening the store")?;
    store.replay_dead(target, id, app.clock().now()).await.internal("replaying dead letters")
}

/// The server's alert loop: every `[alerts] deliver_every`, a delivery pass and (with
/// `[[alerts.spikes]]`) a spike check. Failures are logged and the loop goes on; it ends at
/// once when nothing is configured, or when a secret is missing (logged as an error).
pub fn spawn_delivery(app: App) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let notifier = match notifier(&app) {
            Ok(notifier) => notifier,
            Err(err) => {
                let message = "webhooks are configured but cannot start; no alerts will be delivered";
                tracing::error!(code = err.code, error = %err, "{message}");
                None
            }
        };
        let spikes = !app.config().alerts.spikes.is_empty();
        if notifier.is_none() && !spikes {
            return;
        }
        let caller = Caller::new("alerts", crate::access::Role::Admin);
        let mut cooldowns = SpikeCooldowns::default();
        let mut ticker = tokio::time::interval(app.config().alerts.deliver_every());
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let now = app.clock().now();
            if spikes {
                match check_spikes_at(&app, &caller, now, &mut cooldowns).await {
                    Ok(fired) => {
                        for spike in fired {
                            let SpikeView { name, count, baseline, .. } = &spike;
                            tracing::info!(%name, count, baseline, "spike alert");
                        }
                    }
                    Err(err) => log_failure("checking spike alerts", &err),
                }
            }
            if let Some(notifier) = &notifier {
                let delivered = deliver_with(&app, &caller, notifier, now).await;
                if let Ok(summary) = &delivered {
                    count_deliveries(summary);
                }
                match delivered {
                    Ok(summary) if summary.failed + summary.dead > 0 => {
                        tracing::warn!(
                            delivered = summary.delivered,
                            failed = summary.failed,
                            dead = summary.dead,
                            "webhook deliveries failed"
                        );
                    }
                    Ok(summary) if summary.delivered > 0 => {
                        tracing::info!(delivered = summary.delivered, "webhook deliveries");
                    }
                    Ok(_) => {}
                    Err(err) => log_failure("delivering webhooks", &err),
                }
            }
        }
    })
}

/// Counts a delivery pass's outcomes for `/metrics`.
pub(crate) fn count_deliveries(summary: &DeliverySummary) {
    for (outcome, count) in [("delivered", summary.delivered), ("failed", summary.failed), ("dead", summary.dead)] {
        metrics::counter!("hark_alert_deliveries_total", "outcome" => outcome).increment(count);
    }
}

fn log_failure(what: &str, err: &AppError) {
    match &err.source {
        Some(source) => tracing::error!(code = err.code, error = %err, cause = format!("{source:#}"), "{what}"),
        None => tracing::error!(code = err.code, error = %err, "{what}"),
    }
}

/// When each spike alert last fired, so that it stays quiet for its cooldown. Kept in memory
/// by the alert loop; after a restart, the idempotency key (one event per spike and window
/// slot) still prevents repeats within a window.
#[derive(Debug, Default)]
pub struct SpikeCooldowns {
    last_fired: HashMap<String, DateTime<Utc>>,
    /// The index reader, opened on the first check.
    index: Option<MentionIndex>,
}

/// A spike that fired: the `spike` event's payload.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SpikeView {
    pub name: String,
    pub query: String,
    /// `volume` (all matching mentions) or `negative` (the negative ones).
    pub kind: String,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    /// Matching mentions in the window.
    pub count: u64,
    /// Mean per window over the 24 windows before.
    pub baseline: f64,
    /// Share of negative mentions in the window, and in the baseline windows.
    pub negative_share: f64,
    pub baseline_negative_share: f64,
    /// The outbox id; `None` when an event for this spike and window slot existed already.
    pub outbox_id: Option<i64>,
}

/// Mention counts in the current window and the baseline windows.
#[derive(Debug, Clone, Copy, PartialEq)]
struct WindowCounts {
    count: u64,
    negative: u64,
    baseline_total: u64,
    baseline_negative: u64,
}

/// Whether the counts are a spike for `spike`: `volume` when the window holds at least
/// `min_count` mentions and `factor` times the baseline mean, else `negative` when the
/// negative mentions alone do.
fn spike_kind(spike: &SpikeConfig, counts: WindowCounts) -> Option<&'static str> {
    let windows = f64::from(BASELINE_WINDOWS);
    let surges =
        |now: u64, before: u64| now >= spike.min_count() && now as f64 >= spike.factor() * (before as f64 / windows);
    if surges(counts.count, counts.baseline_total) {
        Some("volume")
    } else if surges(counts.negative, counts.baseline_negative) {
        Some("negative")
    } else {
        None
    }
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}

fn count(index: &MentionIndex, base: &Query, from: DateTime<Utc>, to: DateTime<Utc>, negative: bool) -> AppResult<u64> {
    let mut query = base.clone().and(Query::Filter(Filter::Published(DateRange { from: Some(from), to: Some(to) })));
    if negative {
        query = query.and(Query::Filter(Filter::Sentiment(Sentiment::Negative)));
    }
    let results =
        index.search(&query, &SearchOptions { limit: 1, ..SearchOptions::default() }).internal("counting mentions")?;
    Ok(results.total as u64)
}

/// The index as committed so far (the pipeline's index stage keeps it up to date), opened
/// for reading only: taking the writer here would stop another process from indexing.
fn open_index(app: &App, state: &mut SpikeCooldowns) -> AppResult<MentionIndex> {
    let index = match state.index.take() {
        Some(index) => index,
        None => MentionIndex::open(&app.index_dir()).internal("opening the mention index")?,
    };
    index.reload().internal("reading the mention index")?;
    Ok(state.index.insert(index).clone())
}

/// Checks every `[[alerts.spikes]]` at `now` against the mention index and enqueues a `spike`
/// event (idempotency key `spike:<name>:<window slot start>`) for each that fired and is out
/// of its cooldown. The window is the last `window` before `now`; the baseline is the mean of
/// the 24 windows before it. Admin only.
pub async fn check_spikes_at(
    app: &App,
    caller: &Caller,
    now: DateTime<Utc>,
    cooldowns: &mut SpikeCooldowns,
) -> AppResult<Vec<SpikeView>> {
    caller.require(Permission::Admin)?;
    let spikes = &app.config().alerts.spikes;
    if spikes.is_empty() {
        return Ok(Vec::new());
    }
    let index = open_index(app, cooldowns)?;
    let store = app.store().await.internal("opening the store")?;
    let mut fired = Vec::new();
    for spike in spikes {
        if let Some(last) = cooldowns.last_fired.get(&spike.name)
            && now.signed_duration_since(*last) < to_delta(spike.cooldown())
        {
            continue;
        }
        let base = query::parse(&spike.query).map_err(|err| {
            AppError::invalid("invalid_query", format!("spike {:?}: invalid query: {err}", spike.name))
        })?;
        let window = to_delta(spike.window());
        let (start, end) = (now - window, now);
        let baseline_start = start - window * BASELINE_WINDOWS;
        let counts = WindowCounts {
            count: count(&index, &base, start, end, false)?,
            negative: count(&index, &base, start, end, true)?,
            baseline_total: count(&index, &base, baseline_start, start, false)?,
            baseline_negative: count(&index, &base, baseline_start, start, true)?,
        };
        let Some(kind) = spike_kind(spike, counts) else { continue };
        // One event per spike and window-aligned slot, even across restarts.
        let slot = now.duration_trunc(window).unwrap_or(start);
        let mut view = SpikeView {
            name: spike.name.clone(),
            query: spike.query.clone(),
            kind: kind.to_owned(),
            window_start: start,
            window_end: end,
            count: counts.count,
            baseline: counts.baseline_total as f64 / f64::from(BASELINE_WINDOWS),
            negative_share: share(counts.negative, counts.count),
            baseline_negative_share: share(counts.baseline_negative, counts.baseline_total),
            outbox_id: None,
        };
        let payload = serde_json::to_value(&view).internal("encoding a spike event")?;
        let key = format!("spike:{}:{}", spike.name, slot.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        view.outbox_id =
            store.enqueue_event("spike", &payload, &key, now).await.internal("enqueueing a spike event")?;
        cooldowns.last_fired.insert(spike.name.clone(), now);
        fired.push(view);
    }
    Ok(fired)
}

fn to_delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spike(factor: f64, min_count: u64) -> SpikeConfig {
        SpikeConfig {
            name: "s".to_owned(),
            query: "*".to_owned(),
            window: None,
            factor: Some(factor),
            min_count: Some(min_count),
            cooldown: None,
        }
    }

    #[test]
    fn a_spike_needs_both_the_factor_and_the_minimum() {
        let counts = |count, negative, baseline_total, baseline_negative| WindowCounts {
            count,
            negative,
            baseline_total,
            baseline_negative,
        };
        // Baseline mean 2 per window: 6 is three times that.
        assert_eq!(spike_kind(&spike(3.0, 5), counts(6, 0, 48, 0)), Some("volume"));
        assert_eq!(spike_kind(&spike(3.0, 5), counts(5, 0, 48, 0)), None);
        // Under the minimum, however quiet the baseline.
        assert_eq!(spike_kind(&spike(3.0, 5), counts(4, 4, 0, 0)), None);
        assert_eq!(spike_kind(&spike(3.0, 5), counts(5, 0, 0, 0)), Some("volume"));
        // The volume is ordinary but the negative mentions surge.
        assert_eq!(spike_kind(&spike(3.0, 5), counts(20, 9, 480, 24)), Some("negative"));
        assert_eq!(spike_kind(&spike(3.0, 5), counts(20, 2, 480, 24)), None);
    }
}
