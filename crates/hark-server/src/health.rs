//! `/healthz` (the process answers) and `/readyz` (the store opens and answers), without
//! authentication, for load balancers and orchestrators.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};

use crate::ServerState;

pub fn router(state: ServerState) -> Router {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz)).with_state(state)
}

async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({"status": "ok"}))
}

async fn readyz(State(state): State<ServerState>) -> impl IntoResponse {
    match hark_app::health::ready(&state.app).await {
        Ok(report) => (StatusCode::OK, Json(serde_json::to_value(report).unwrap_or_default())),
        Err(err) => {
            tracing::warn!(error = %err, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({"status": "unavailable", "reason": err.message})))
        }
    }
}
