//! `/login` and `/logout`. The login form carries a double-submit CSRF token (a cookie and
//! a hidden field that must agree), so another site cannot sign a browser into an account of
//! its choosing; failures are throttled per user and per address by the application layer.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::html;
use rand::RngCore;
use serde::Deserialize;

use crate::ServerState;
use crate::web::layout::{self, Shell};
use crate::web::session::{self, LOGIN_CSRF_COOKIE, SESSION_COOKIE, WebUser};
use crate::web::{WebResult, check_csrf};

#[derive(Debug, Deserialize)]
pub struct Next {
    next: Option<String>,
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn form_page(next: &str, csrf: &str, problem: Option<&str>) -> String {
    let shell = Shell { title: "Sign in", caller: None, csrf: None, section: "login" };
    layout::page(
        &shell,
        &html! {
            section.login {
                h1 { "Sign in to hark" }
                @if let Some(problem) = problem { p.error role="alert" { (problem) } }
                form #login method="post" action="/login" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="next" value=(next);
                    label for="username" { "User name" }
                    input #username type="text" name="username" autocomplete="username" required autofocus;
                    label for="password" { "Password" }
                    input #password type="password" name="password" autocomplete="current-password" required;
                    button type="submit" { "Sign in" }
                }
            }
        },
    )
    .into_string()
}

/// Shows the form with a fresh login CSRF token (set as a cookie too).
fn show(headers: &HeaderMap, next: &str, status: StatusCode, problem: Option<&str>) -> Response {
    let csrf = random_token();
    let response = (status, Html(form_page(next, &csrf, problem))).into_response();
    session::with_cookie(response, session::set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600, session::over_tls(headers)))
}

pub async fn form(headers: HeaderMap, Query(next): Query<Next>) -> Response {
    show(&headers, &session::safe_next(next.next.as_deref()), StatusCode::OK, None)
}

#[derive(Debug, Deserialize)]
pub struct Credentials {
    username: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

pub async fn submit(
    State(state): State<ServerState>,
    headers: HeaderMap,
    connect: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    Form(credentials): Form<Credentials>,
) -> Response {
    let next = session::safe_next(credentials.next.as_deref());
    let expected = session::cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !hark_app::sessions::same_secret(&expected, &credentials.csrf) {
        return show(&headers, &next, StatusCode::FORBIDDEN, Some("The form expired; please sign in again."));
    }
    let client = session::client(&headers, connect.as_ref().map(|extension| &extension.0));
    match hark_app::sessions::login(&state.app, &credentials.username, &credentials.password, &client).await {
        Ok(created) => {
            let max_age = (created.expires_at - chrono::Utc::now()).num_seconds().max(0);
            let response = Redirect::to(&next).into_response();
            let response = session::with_cookie(
                response,
                session::set_cookie(SESSION_COOKIE, &created.token, max_age, session::over_tls(&headers)),
            );
            // The login token has done its job.
            session::with_cookie(response, session::set_cookie(LOGIN_CSRF_COOKIE, "", 0, session::over_tls(&headers)))
        }
        Err(error) => {
            let status = crate::error::status_of(error.kind);
            if error.kind == hark_app::ErrorKind::Internal {
                tracing::error!(cause = ?error.source, "sign-in failed");
            }
            show(&headers, &next, status, Some(&error.message))
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    csrf: String,
}

pub async fn logout(
    State(state): State<ServerState>,
    user: WebUser,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> WebResult {
    check_csrf(&user, Some(&form.csrf), &headers)?;
    hark_app::sessions::logout(&state.app, &user.token)
        .await
        .map_err(|error| crate::web::WebError::new(error, &user, &headers))?;
    let response = Redirect::to("/login").into_response();
    Ok(session::with_cookie(response, session::set_cookie(SESSION_COOKIE, "", 0, session::over_tls(&headers))))
}
