//! `/healthz` (the process answers), `/readyz` (store, model, index; failing sources in the
//! details) and `/metrics`, without authentication, for load balancers, orchestrators and
//! Prometheus; [`process_router`] is the part a fetcher or a process worker serves.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};

use crate::ServerState;

pub fn router(state: ServerState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(crate::metrics::metrics))
        .with_state(state)
}

/// What a fetcher or a process worker serves (`hark run --role fetch|process --metrics-addr`):
/// `/healthz` and its own `/metrics`.
pub fn process_router() -> Router {
    Router::new().route("/healthz", get(healthz)).route("/metrics", get(crate::metrics::process_metrics))
}

async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({"status": "ok"}))
}

async fn readyz(State(state): State<ServerState>) -> impl IntoResponse {
    match hark_app::health::ready(&state.app).await {
        Ok(report) => {
            let status = if report.ready() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
            (status, Json(serde_json::to_value(report).unwrap_or_default()))
        }
        Err(err) => {
            tracing::warn!(error = %err, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({"status": "unavailable", "reason": err.message})))
        }
    }
}
