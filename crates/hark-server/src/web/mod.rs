//! The web app: server-rendered pages on the same server as `/api/v1`, for people who triage
//! from a browser. Every page calls the application layer with the signed-in user, exactly as
//! the API does with a token, so the role rules are the same.
//!
//! One module per page (`login`, `inbox`, `item`, `pages` for search, prospects, customers
//! and sources, `dashboard`, `admin`); `session` (cookies, CSRF, client address), `layout`
//! (the shell, escaping and links), `assets` (the script and stylesheet). Security, with OWASP
//! ASVS level 2 as the yardstick: HttpOnly SameSite=Lax session cookies (Secure behind TLS),
//! a CSRF token on every state-changing request, login throttling per user and per address
//! (in the application layer), and on every response a Content-Security-Policy without inline
//! script or style, `X-Frame-Options: DENY`, `Referrer-Policy` and `nosniff`.

pub mod admin;
pub mod assets;
pub mod dashboard;
pub mod inbox;
pub mod item;
pub mod layout;
pub mod login;
pub mod pages;
pub mod session;

use axum::Router;
use axum::extract::Request;
use axum::http::header::{CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use hark_app::{AppError, ErrorKind};

use crate::ServerState;
use crate::web::layout::Shell;
use crate::web::session::WebUser;

/// The policy every response carries: only hark's own script, styles and images; no inline
/// script or style, no plugins, no framing, forms only to hark.
pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self'; connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

pub fn router(state: ServerState) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/queues/{queue}", get(inbox::page))
        .route("/queues/{queue}/bulk", post(inbox::bulk))
        .route("/items/{id}", get(item::page))
        .route("/items/{id}/transition", post(item::transition))
        .route("/items/{id}/assign", post(item::assign))
        .route("/items/{id}/undo", post(item::undo))
        .route("/items/{id}/notes", post(item::note))
        .route("/items/{id}/match", post(item::decide_match))
        .route("/items/{id}/cues", get(item::cues))
        .route("/search", get(pages::search))
        .route("/prospects", get(pages::prospects))
        .route("/prospects/export", get(pages::prospects_export))
        .route("/customers/{id}", get(pages::customer))
        .route("/sources", get(pages::sources))
        .route("/dashboard", get(dashboard::page))
        .route("/dashboard/{chart}", get(dashboard::chart))
        .route("/admin", get(admin::page))
        .route("/admin/users", post(admin::add_user))
        .route("/admin/users/{name}/disable", post(admin::disable_user))
        .route("/admin/alerts/replay", post(admin::replay))
        .route("/static/{hash}/{name}", get(assets::serve))
        .with_state(state)
}

/// Security headers on every response (pages, API and assets alike).
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY_VALUE));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// `/`: the signed-in user's inbox.
async fn home(user: WebUser) -> Response {
    let queue = user.caller.queues().first().map_or("service", |queue| queue.as_str());
    Redirect::to(&format!("/queues/{queue}")).into_response()
}

/// An error on its way to a browser: an HTML page (or JSON for scripts that asked for it).
#[derive(Debug)]
pub struct WebError {
    pub error: AppError,
    pub json: bool,
    /// Boxed: the error travels through every handler's `Result`, and should stay small.
    pub user: Option<Box<WebUser>>,
}

impl WebError {
    pub fn new(error: AppError, user: &WebUser, headers: &HeaderMap) -> Self {
        Self { error, json: wants_json(headers), user: Some(Box::new(user.clone())) }
    }
}

/// Whether a script asked for JSON (the keyboard actions do; plain forms do not).
pub fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json"))
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = crate::error::status_of(self.error.kind);
        if self.json {
            return crate::error::ApiError(self.error).into_response();
        }
        if let Some(source) = &self.error.source {
            tracing::error!(code = self.error.code, cause = format!("{source:#}"), "page failed");
        }
        let heading = match self.error.kind {
            ErrorKind::Forbidden => "Not for your role",
            ErrorKind::NotFound => "Not found",
            ErrorKind::Conflict => "Changed meanwhile",
            ErrorKind::Invalid => "That did not work",
            ErrorKind::Unauthenticated => "Please sign in",
            ErrorKind::Internal => "Something broke",
            _ => "That did not work",
        };
        let shell = Shell {
            title: heading,
            caller: self.user.as_ref().map(|user| &user.caller),
            csrf: self.user.as_ref().map(|user| user.csrf.as_str()),
            section: "",
        };
        (status, Html(layout::message(&shell, heading, &self.error.message).into_string())).into_response()
    }
}

pub type WebResult<T = Response> = Result<T, WebError>;

/// Checks the CSRF token of a state-changing request: the form's `csrf` field or the
/// `X-CSRF-Token` header (scripts).
pub fn check_csrf(user: &WebUser, form: Option<&str>, headers: &HeaderMap) -> Result<(), WebError> {
    let presented =
        form.or_else(|| headers.get("x-csrf-token").and_then(|value| value.to_str().ok())).unwrap_or_default();
    let session = hark_app::sessions::Session {
        caller: user.caller.clone(),
        csrf: user.csrf.clone(),
        expires_at: user.expires_at,
    };
    hark_app::sessions::check_csrf(&session, presented).map_err(|error| WebError::new(error, user, headers))
}

/// 404 page for unknown web paths (the API answers JSON).
pub fn not_found_page() -> Response {
    let shell = Shell { title: "Not found", caller: None, csrf: None, section: "" };
    (StatusCode::NOT_FOUND, Html(layout::message(&shell, "Not found", "There is no such page.").into_string()))
        .into_response()
}
