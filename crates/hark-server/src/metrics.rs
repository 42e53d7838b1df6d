//! `/metrics`: Prometheus' text format, without authentication (counts only, no customer
//! data; bind the server to loopback or a private network as for any exporter).
//!
//! Two kinds of figures: what the process records as it works, through the `metrics` facade
//! (requests and rate-limit waits per host in the HTTP client, pages and mentions per source
//! and stage, passes and failures per source, classify batch latency, channel occupancy,
//! alert deliveries), and what only the store knows, read at each scrape (mentions stored,
//! queue items per queue and state, coverage gaps and failing sources, dead letters, index
//! lag). The recorder is installed once per process, by [`install`].

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::ServerState;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Seconds buckets for the classifier's batches.
const BATCH_SECONDS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Texts-per-batch buckets.
const BATCH_TEXTS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// Installs the process's metrics recorder (once; later calls return the same handle).
/// `None` when another recorder was installed first (logged).
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full("hark_classify_batch_seconds".to_owned()), BATCH_SECONDS)
                .and_then(|builder| {
                    builder.set_buckets_for_metric(Matcher::Full("hark_classify_batch_texts".to_owned()), BATCH_TEXTS)
                });
            match builder.and_then(PrometheusBuilder::install_recorder) {
                Ok(handle) => Some(handle),
                Err(err) => {
                    tracing::warn!(error = %err, "cannot install the metrics recorder; /metrics will answer 503");
                    None
                }
            }
        })
        .as_ref()
}

pub async fn metrics(State(state): State<ServerState>) -> Response {
    let Some(handle) = install() else {
        return process_metrics().await;
    };
    match hark_app::health::store_figures(&state.app).await {
        Ok(figures) => {
            metrics::gauge!("hark_mentions_stored").set(figures.mentions as f64);
            for (queue, state, count) in figures.queue_items {
                metrics::gauge!("hark_queue_items", "queue" => queue, "state" => state).set(count as f64);
            }
            for (source, gaps) in figures.coverage_gaps {
                metrics::gauge!("hark_coverage_gaps", "source" => source).set(gaps as f64);
            }
            for (source, failing) in figures.source_failing {
                metrics::gauge!("hark_source_failing", "source" => source).set(failing as f64);
            }
            metrics::gauge!("hark_alert_dead_letters").set(figures.dead_letters as f64);
            metrics::gauge!("hark_index_lag_mentions").set(figures.index_lag as f64);
            metrics::gauge!("hark_store_up").set(1.0);
        }
        Err(err) => {
            tracing::warn!(error = %err, "reading the store for /metrics");
            metrics::gauge!("hark_store_up").set(0.0);
        }
    }
    render(handle)
}

/// `/metrics` of a fetcher or a process worker: what this process recorded, nothing read from
/// the store (the serving processes report that, once for all).
pub async fn process_metrics() -> Response {
    match install() {
        Some(handle) => render(handle),
        None => crate::error::error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics_unavailable",
            "metrics are not recorded in this process",
        ),
    }
}

fn render(handle: &PrometheusHandle) -> Response {
    handle.run_upkeep();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle.render()).into_response()
}
