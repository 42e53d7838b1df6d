//! Signed-in users of the web app: the session cookie (HttpOnly, SameSite=Lax, Secure behind
//! TLS), the CSRF token every state-changing request must carry, and the client address login
//! throttling counts by.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, OriginalUri};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use hark_app::Caller;
use hark_app::sessions::{self, ClientInfo};

use crate::ServerState;

pub const SESSION_COOKIE: &str = "hark_session";
/// Double-submit token of the login form (there is no session yet to hold one).
pub const LOGIN_CSRF_COOKIE: &str = "hark_login_csrf";

/// A signed-in user with their session's CSRF token.
#[derive(Debug, Clone)]
pub struct WebUser {
    pub caller: Caller,
    pub csrf: String,
    pub token: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// The value of cookie `name`, if sent.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// Whether the request reached hark over TLS (directly or through a proxy that says so).
pub fn over_tls(headers: &HeaderMap) -> bool {
    headers.get("x-forwarded-proto").and_then(|value| value.to_str().ok()).is_some_and(|proto| proto == "https")
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure over TLS.
pub fn set_cookie(name: &str, value: &str, max_age_seconds: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{secure}"))
        .expect("cookie values are hex")
}

pub fn with_cookie(mut response: Response, cookie: HeaderValue) -> Response {
    response.headers_mut().append(SET_COOKIE, cookie);
    response
}

/// The client's address (for login throttling); loopback when unknown (tests).
pub fn client(parts_headers: &HeaderMap, connect: Option<&ConnectInfo<SocketAddr>>) -> ClientInfo {
    ClientInfo {
        address: connect.map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |info| info.0.ip()),
        user_agent: parts_headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(|agent| agent.chars().take(200).collect()),
    }
}

impl FromRequestParts<ServerState> for WebUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &ServerState) -> Result<Self, Self::Rejection> {
        let to_login = |parts: &Parts| {
            let wanted = parts.extensions.get::<OriginalUri>().map_or_else(|| parts.uri.clone(), |uri| uri.0.clone());
            let next = wanted.path_and_query().map_or("/", |path| path.as_str()).to_owned();
            let next: String = url_encode(&next);
            Redirect::to(&format!("/login?next={next}")).into_response()
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(to_login(parts));
        };
        match sessions::resolve(&state.app, &token).await {
            Ok(session) => {
                tracing::Span::current().record("user", session.caller.name.as_str());
                Ok(Self { caller: session.caller, csrf: session.csrf, token, expires_at: session.expires_at })
            }
            Err(err) if err.kind == hark_app::ErrorKind::Unauthenticated => Err(to_login(parts)),
            Err(err) => Err(crate::error::ApiError(err).into_response()),
        }
    }
}

/// Percent-encodes everything but unreserved characters and `/`.
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Where to go after signing in: only a path on this site (never `//host` or a URL).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(next) if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') => next.to_owned(),
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/items/3")), "/items/3");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn cookies_are_read_from_every_header() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1; hark_session=abc"));
        assert_eq!(cookie(&headers, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&headers, "b"), None);
    }
}
