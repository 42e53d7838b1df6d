//! `/admin`: users (add, disable; a new user's one-time password and token are shown once),
//! the configured webhooks and their dead letters (replay). Admins only: the application
//! layer refuses everyone else.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect};
use hark_app::Role;
use maud::{Markup, html};
use serde::Deserialize;

use crate::ServerState;
use crate::web::layout::{self, Shell, csrf_field};
use crate::web::session::WebUser;
use crate::web::{WebError, WebResult, check_csrf};

async fn render(state: &ServerState, user: &WebUser, headers: &HeaderMap, created: Option<Markup>) -> WebResult {
    let fail = |error| WebError::new(error, user, headers);
    let users = hark_app::users::list_users(&state.app, &user.caller).await.map_err(fail)?;
    let dead = hark_app::alerts::dead_letters(&state.app, &user.caller, 50).await.map_err(fail)?;
    let shell = Shell { title: "Admin", caller: Some(&user.caller), csrf: Some(&user.csrf), section: "admin" };
    let body = html! {
        h1 { "Admin" }
        @if let Some(created) = created { (created) }
        h2 { "Users" }
        table #users.items {
            thead { tr { th scope="col" { "Name" } th scope="col" { "Role" } th scope="col" { "State" } th scope="col" { "Added" } th scope="col" { span.visually-hidden { "Actions" } } } }
            tbody { @for listed in &users {
                tr {
                    td { (listed.name) } td { (listed.role.as_str()) }
                    td { @if listed.disabled { "disabled" } @else { "active" } }
                    td { (layout::time(Some(listed.created_at))) }
                    td { @if !listed.disabled && listed.name != user.caller.name {
                        form method="post" action=(format!("/admin/users/{}/disable", crate::web::session::url_encode(&listed.name))) {
                            (csrf_field(&user.csrf)) button type="submit" { "Disable" }
                        }
                    } }
                }
            } }
        }
        form #add-user method="post" action="/admin/users" {
            (csrf_field(&user.csrf))
            label for="new-name" { "Name" }
            input #new-name type="text" name="name" required;
            label for="new-role" { "Role" }
            select #new-role name="role" { @for role in Role::ALL { option value=(role.as_str()) { (role.as_str()) } } }
            button type="submit" { "Add user" }
        }
        h2 { "Webhooks" }
        @if state.app.config().webhooks.is_empty() { p.empty { "None configured ([[webhooks]] in hark.toml)." } }
        ul { @for hook in &state.app.config().webhooks { li { (hook.id) } } }
        h2 { "Dead letters" }
        @if dead.is_empty() { p.empty { "None: every alert was delivered." } }
        @else {
            table.items {
                thead { tr { th scope="col" { "Event" } th scope="col" { "Webhook" } th scope="col" { "Attempts" } th scope="col" { "Last error" } } }
                tbody { @for letter in &dead { tr { td { (letter.event_id.as_deref().unwrap_or("")) } td { (letter.target) } td { (letter.attempts) } td { (letter.last_error.as_deref().unwrap_or("")) } } } }
            }
            form method="post" action="/admin/alerts/replay" { (csrf_field(&user.csrf)) button type="submit" { "Replay all" } }
        }
    };
    Ok(Html(layout::page(&shell, &body).into_string()).into_response())
}

pub async fn page(State(state): State<ServerState>, user: WebUser, headers: HeaderMap) -> WebResult {
    render(&state, &user, &headers, None).await
}

#[derive(Debug, Deserialize)]
pub struct NewUserForm {
    csrf: String,
    name: String,
    role: String,
}

pub async fn add_user(
    State(state): State<ServerState>,
    user: WebUser,
    headers: HeaderMap,
    Form(form): Form<NewUserForm>,
) -> WebResult {
    check_csrf(&user, Some(&form.csrf), &headers)?;
    let fail = |error| WebError::new(error, &user, &headers);
    let role = Role::parse(&form.role).map_err(fail)?;
    let created = hark_app::users::add_user(&state.app, &user.caller, &form.name, role, None).await.map_err(fail)?;
    let shown = html! {
        section.created role="status" {
            p { "Added " strong { (created.name) } " (" (created.role.as_str()) "). Give them these now; hark keeps only hashes:" }
            dl {
                @if let Some(password) = &created.password { dt { "One-time password" } dd { code { (password) } } }
                dt { "API token" } dd { code { (created.token) } }
            }
        }
    };
    render(&state, &user, &headers, Some(shown)).await
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn disable_user(
    State(state): State<ServerState>,
    user: WebUser,
    headers: HeaderMap,
    Path(name): Path<String>,
    Form(form): Form<CsrfForm>,
) -> WebResult {
    check_csrf(&user, Some(&form.csrf), &headers)?;
    hark_app::users::set_disabled(&state.app, &user.caller, &name, true)
        .await
        .map_err(|error| WebError::new(error, &user, &headers))?;
    Ok(Redirect::to("/admin").into_response())
}

pub async fn replay(
    State(state): State<ServerState>,
    user: WebUser,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> WebResult {
    check_csrf(&user, Some(&form.csrf), &headers)?;
    hark_app::alerts::replay(&state.app, &user.caller, None, None)
        .await
        .map_err(|error| WebError::new(error, &user, &headers))?;
    Ok(Redirect::to("/admin").into_response())
}
