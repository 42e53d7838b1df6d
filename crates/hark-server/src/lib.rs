//! hark-server: the HTTP face of hark. `/api/v1` (JSON, bearer tokens), `/healthz`,
//! `/readyz` and the OpenAPI document at `/api/v1/openapi.json`, generated from the handlers'
//! own annotations and types, so the document and the router cannot drift apart.
//!
//! Handlers only parse the request, call one function of `hark-app` with the [`Caller`]
//! (`hark_app::Caller`) behind the token, and serialise what it returns; every rule (who may see what, which
//! transitions are allowed) lives in the application layer. Errors leave through
//! [`error::ApiError`], the one mapping from application errors to statuses. Every request
//! gets an id (`x-request-id`), logged with the route and the user; bodies are capped and
//! slow requests cut off; [`serve`] shuts down gracefully, finishing requests in flight.

pub mod api;
pub mod auth;
pub mod error;
pub mod extract;
mod health;
pub mod metrics;
pub mod openapi;
pub mod web;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use hark_app::App;
use tower_http::timeout::TimeoutLayer;
use tracing::Instrument;

/// Request bodies above this are refused with 413 (customer imports have their own limit).
pub const BODY_LIMIT: usize = 64 * 1024;
/// Customer CSV imports through the API.
pub const IMPORT_BODY_LIMIT: usize = 16 * 1024 * 1024;
/// Requests still running after this are answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What every handler gets.
#[derive(Debug, Clone)]
pub struct ServerState {
    pub app: App,
}

/// The whole HTTP surface, without a listener (tests drive it with `oneshot`).
pub fn router(app: App) -> Router {
    let state = ServerState { app };
    let (api, document) = openapi::api_router().with_state(state.clone()).split_for_parts();
    let document = std::sync::Arc::new(document);
    Router::new()
        .merge(api)
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let document = std::sync::Arc::clone(&document);
                async move { axum::Json(document.as_ref().clone()) }
            }),
        )
        .merge(health::router(state.clone()))
        .merge(web::router(state))
        .fallback(not_found)
        .layer(middleware::from_fn(web::security_headers))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(middleware::from_fn(request_context))
}

async fn not_found() -> Response {
    error::error_response(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such route (the API is described at /api/v1/openapi.json)",
    )
}

static REQUESTS: AtomicU64 = AtomicU64::new(0);
static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Gives each request an id (kept from a well-formed `x-request-id`, else made up), logs it
/// with the method, path, status and time, and echoes it in the response.
async fn request_context(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.is_empty() && value.len() <= 64 && value.chars().all(|c| c.is_ascii_graphic()))
        .map_or_else(
            || format!("req-{:x}-{}", std::process::id(), REQUESTS.fetch_add(1, Ordering::Relaxed)),
            str::to_owned,
        );
    let span = tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path(), user = tracing::field::Empty);
    let started = std::time::Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    span.in_scope(|| {
        tracing::info!(status = response.status().as_u16(), millis = started.elapsed().as_millis() as u64, "answered");
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID.clone(), value);
    }
    if response.status() == StatusCode::REQUEST_TIMEOUT && response.headers().get("content-type").is_none() {
        return error::error_response(StatusCode::REQUEST_TIMEOUT, "timeout", "the request took too long")
            .into_response();
    }
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE
        && response.headers().get("content-type").is_none_or(|v| v != "application/json")
    {
        return error::error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the request body is too large",
        );
    }
    response
}

/// Serves until `shutdown` completes, then stops accepting and finishes the requests in
/// flight.
pub async fn serve(
    app: App,
    addr: SocketAddr,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|err| {
        anyhow::anyhow!("cannot listen on {addr}: {err} (is another hark running? pick one with --addr)")
    })?;
    serve_on(app, listener, shutdown).await
}

/// `/healthz` and `/metrics` alone on `listener`, for a fetcher or a process worker.
pub async fn serve_process_metrics_on(
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "serving /healthz and /metrics on http://{addr}/");
    axum::serve(listener, health::process_router()).with_graceful_shutdown(shutdown).await?;
    Ok(())
}

/// Like [`serve`], on a listener already bound (tests bind port 0).
pub async fn serve_on(
    app: App,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "serving the web app on http://{addr}/ and the API on http://{addr}/api/v1 (document: /api/v1/openapi.json)");
    axum::serve(listener, router(app).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await?;
    tracing::info!("server stopped");
    Ok(())
}
