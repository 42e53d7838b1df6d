//! `/items/{id}`: one item with everything needed to act on it: the post (linked to the
//! original only when it is an http(s) URL), the signals with their cues (asked for when the
//! page opens, so a slow model never holds the page up), the customer with the match's
//! method, evidence and confidence and confirm/reject, the history, notes and one-click
//! transitions. Every action answers JSON to scripts and redirects plain forms.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Json, Redirect};
use hark_app::matches::{self, DecideRequest, Decision};
use hark_app::queue::{self, DismissReason, ItemDetail, Transition};
use maud::{Markup, html};

use serde::Deserialize;

use crate::ServerState;
use crate::web::layout::{self, Shell, capitalised, csrf_field, external_link};
use crate::web::session::WebUser;
use crate::web::{WebError, WebResult, check_csrf, wants_json};

pub async fn page(
    State(state): State<ServerState>,
    user: WebUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> WebResult {
    let detail =
        queue::show(&state.app, &user.caller, id).await.map_err(|error| WebError::new(error, &user, &headers))?;
    let title = format!("Item {id}");
    let shell =
        Shell { title: &title, caller: Some(&user.caller), csrf: Some(&user.csrf), section: &detail.item.queue };
    Ok(Html(layout::page(&shell, &body(&detail, &user)).into_string()).into_response())
}

fn body(detail: &ItemDetail, user: &WebUser) -> Markup {
    let item = &detail.item;
    let mention = &item.mention;
    let author = mention.author.name.as_deref().or(mention.author.handle.as_deref()).unwrap_or("unknown author");
    let link_text = mention.url.as_deref().unwrap_or("no link");
    html! {
        article #item data-item-id=(item.item_id) data-version=(item.version) data-state=(item.state) data-keyboard="item" {
            p.crumbs { a href=(format!("/queues/{}", item.queue)) { (capitalised(&item.queue)) " inbox" } " › item " (item.item_id) }
            h1 { (mention.title.as_deref().unwrap_or("Post")) }
            p.meta {
                span #state.state data-state=(item.state) { (item.state) } " · priority " (item.priority)
                " · due " (layout::time(item.due_at))
                @if item.overdue { " " span.badge.overdue { "overdue" } }
                " · assignee " span #assignee { (item.assignee.as_deref().unwrap_or("nobody")) }
            }
            p.reason { strong { "Why: " } (item.reason) @for tag in &item.tags { " " span.badge { (tag) } } }
            blockquote.post {
                p.author { (author) " on " (mention.source) " · " (layout::time(mention.published_at)) }
                div.text { (mention.text) }
                p.original { "Original: " (external_link(mention.url.as_deref(), link_text)) }
            }
            section.signals aria-labelledby="signals-heading" {
                h2 #signals-heading { "Signals" }
                @match &mention.signals {
                    Some(signals) => {
                        p {
                            "Sentiment " strong { (signals.sentiment) } " · "
                            (layout::score("complaint", signals.complaint)) " · "
                            (layout::score("intent", signals.intent))
                        }
                        div #cues data-src=(format!("/items/{}/cues", item.item_id)) aria-live="polite" { "Loading the phrases behind the flags…" }
                    }
                    None => p { "Not scored." }
                }
            }
            (customer_card(detail, user))
            section.actions aria-labelledby="actions-heading" {
                h2 #actions-heading { "Actions" }
                div.transitions {
                    @for (state, label, key) in [("assigned", "Assign to me", "a"), ("contacted", "Contacted", "c"), ("resolved", "Resolve", "r"), ("new", "Reopen", "")] {
                        @if state == "assigned" {
                            form method="post" action=(format!("/items/{}/assign", item.item_id)) {
                                (csrf_field(&user.csrf))
                                input type="hidden" name="version" value=(item.version);
                                button type="submit" data-action="assign" data-key=(key) { (label) }
                            }
                        } @else {
                            form method="post" action=(format!("/items/{}/transition", item.item_id)) {
                                (csrf_field(&user.csrf))
                                input type="hidden" name="state" value=(state);
                                input type="hidden" name="version" value=(item.version);
                                button type="submit" data-action=(state) data-key=(key) { (label) }
                            }
                        }
                    }
                    form #dismiss method="post" action=(format!("/items/{}/transition", item.item_id)) {
                        (csrf_field(&user.csrf))
                        input type="hidden" name="state" value="dismissed";
                        input type="hidden" name="version" value=(item.version);
                        label for="dismiss-reason" { "Dismiss because" }
                        select #dismiss-reason name="reason" {
                            @for reason in DismissReason::ALL { option value=(reason.as_str()) { (reason.as_str()) } }
                        }
                        button type="submit" data-action="dismissed" data-key="d" { "Dismiss" }
                    }
                    form method="post" action=(format!("/items/{}/undo", item.item_id)) {
                        (csrf_field(&user.csrf))
                        input type="hidden" name="version" value=(item.version);
                        button type="submit" data-action="undo" data-key="u" { "Undo my last action" }
                    }
                }
            }
            section.history aria-labelledby="history-heading" {
                h2 #history-heading { "History" }
                ol #history {
                    @for entry in &detail.history {
                        li {
                            (layout::time(Some(entry.at))) " · " (entry.actor) " · " (entry.action) " "
                            @match (&entry.from, &entry.to) {
                                (Some(from), Some(to)) => { (from) " → " (to) }
                                (None, Some(to)) => { (to) }
                                _ => {}
                            }
                            @if let Some(reason) = &entry.reason { " — " (reason) }
                        }
                    }
                }
            }
            section.notes aria-labelledby="notes-heading" {
                h2 #notes-heading { "Notes" }
                ul #notes { @for note in &detail.notes { li { (layout::time(Some(note.at))) " · " (note.author) ": " (note.text) } } }
                form method="post" action=(format!("/items/{}/notes", item.item_id)) {
                    (csrf_field(&user.csrf))
                    label for="note-text" { "Add a note" }
                    textarea #note-text name="text" rows="3" required {}
                    button type="submit" { "Save note" }
                }
            }
        }
    }
}

fn customer_card(detail: &ItemDetail, user: &WebUser) -> Markup {
    let item = &detail.item;
    html! {
        section.customer aria-labelledby="customer-heading" {
            h2 #customer-heading { "Customer" }
            @match &item.mention.customer {
                Some(customer) => {
                    p #customer-link {
                        @if user.caller.may(hark_app::access::Permission::Customers) {
                            a href=(format!("/customers/{}", customer.id)) { (customer.name) }
                        } @else { (customer.name) }
                        " (" (customer.crm_ref) ") · " span #match-state { (customer.state) } " by " (customer.method)
                        " · confidence " (format!("{:.2}", customer.confidence))
                    }
                    @if !customer.evidence_for.is_empty() {
                        p { "For: " } ul #evidence-for { @for reason in &customer.evidence_for { li { (reason) } } }
                    }
                    @if !customer.evidence_against.is_empty() {
                        p { "Against: " } ul #evidence-against { @for reason in &customer.evidence_against { li { (reason) } } }
                    }
                    @if customer.state != "confirmed" && user.caller.may(hark_app::access::Permission::Matches) {
                        div.match-actions {
                            @for (decision, label) in [("confirm", "Confirm customer"), ("reject", "Not this customer")] {
                                form method="post" action=(format!("/items/{}/match", item.item_id)) {
                                    (csrf_field(&user.csrf))
                                    input type="hidden" name="decision" value=(decision);
                                    input type="hidden" name="customer" value=(customer.id);
                                    button type="submit" data-action=(format!("match-{decision}")) { (label) }
                                }
                            }
                        }
                    }
                }
                None => p { "Not linked to a customer." }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct TransitionForm {
    csrf: Option<String>,
    state: String,
    reason: Option<String>,
    version: Option<i64>,
}

/// The answer to an action: JSON for scripts, back to the item for forms (or to the inbox
/// when the item left the caller's queues); a refusal as the error page or JSON.
fn answer(headers: &HeaderMap, user: &WebUser, result: hark_app::AppResult<ItemDetail>) -> WebResult {
    let detail = result.map_err(|error| WebError::new(error, user, headers))?;
    if wants_json(headers) {
        return Ok(Json(detail).into_response());
    }
    let visible = queue::parse_queue(&detail.item.queue)
        .is_ok_and(|queue| user.caller.may(hark_app::access::Permission::Queue(queue)));
    let to = if visible { format!("/items/{}", detail.item.item_id) } else { "/".to_owned() };
    Ok(Redirect::to(&to).into_response())
}

pub async fn transition(
    State(state): State<ServerState>,
    user: WebUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<TransitionForm>,
) -> WebResult {
    check_csrf(&user, form.csrf.as_deref(), &headers)?;
    let reason = form.reason.filter(|reason| !reason.trim().is_empty());
    let request = Transition { state: form.state, reason, version: form.version };
    answer(&headers, &user, queue::transition(&state.app, &user.caller, id, &request).await)
}

#[derive(Debug, Deserialize)]
pub struct VersionForm {
    csrf: Option<String>,
    version: Option<i64>,
}

/// Assigns the item to the signed-in user.
pub async fn assign(
    State(state): State<ServerState>,
    user: WebUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<VersionForm>,
) -> WebResult {
    check_csrf(&user, form.csrf.as_deref(), &headers)?;
    answer(&headers, &user, queue::assign(&state.app, &user.caller, id, Some(&user.caller.name), form.version).await)
}

/// Reverts the user's own last change to the item.
pub async fn undo(
    State(state): State<ServerState>,
    user: WebUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<VersionForm>,
) -> WebResult {
    check_csrf(&user, form.csrf.as_deref(), &headers)?;
    answer(&headers, &user, queue::undo(&state.app, &user.caller, id, form.version).await)
}

#[derive(Debug, Deserialize)]
pub struct NoteForm {
    csrf: Option<String>,
    text: String,
}

pub async fn note(
    State(state): State<ServerState>,
    user: WebUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<NoteForm>,
) -> WebResult {
    check_csrf(&user, form.csrf.as_deref(), &headers)?;
    answer(&headers, &user, queue::note(&state.app, &user.caller, id, &form.text).await)
}

#[derive(Debug, Deserialize)]
pub struct MatchForm {
    csrf: Option<String>,
    decision: String,
    customer: String,
}

/// Confirms or rejects the item's customer match; the item is re-routed at once.
pub async fn decide_match(
    State(state): State<ServerState>,
    user: WebUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<MatchForm>,
) -> WebResult {
    check_csrf(&user, form.csrf.as_deref(), &headers)?;
    let fail = |error| WebError::new(error, &user, &headers);
    let detail = queue::show(&state.app, &user.caller, id).await.map_err(fail)?;
    let decision = match form.decision.as_str() {
        "confirm" => Decision::Confirm,
        "reject" => Decision::Reject,
        other => {
            return Err(fail(hark_app::AppError::invalid("invalid_decision", format!("unknown decision {other:?}"))));
        }
    };
    let request = DecideRequest { decision, mention: detail.item.mention.id.clone(), customer: form.customer };
    matches::decide(&state.app, &user.caller, &request).await.map_err(fail)?;
    // The item may have moved to a queue this user does not work.
    let moved = queue::show(&state.app, &user.caller, id).await;
    match moved {
        Ok(detail) => answer(&headers, &user, Ok(detail)),
        Err(_) if wants_json(&headers) => Ok(Json(serde_json::json!({"moved": true})).into_response()),
        Err(_) => Ok(Redirect::to("/").into_response()),
    }
}

/// The phrases behind the flags, as JSON the page asks for after it loads (the script writes
/// them as text, never as markup).
pub async fn cues(
    State(state): State<ServerState>,
    user: WebUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> WebResult {
    let cues = hark_app::cues::cues(&state.app, &user.caller, id).await.map_err(|error| {
        let mut failure = WebError::new(error, &user, &headers);
        failure.json = true;
        failure
    })?;
    Ok(Json(serde_json::json!({ "cues": cues })).into_response())
}
