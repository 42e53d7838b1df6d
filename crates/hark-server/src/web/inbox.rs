//! `/queues/{queue}`: a team's inbox, by priority then SLA due time, with filters, bulk
//! actions and keyboard triage (the script drives the same routes as the buttons).

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect};
use hark_app::queue::{self, DismissReason, ItemView, ListItems, Transition};
use maud::{Markup, html};
use serde::Deserialize;

use crate::ServerState;
use crate::web::layout::{self, Shell, capitalised, csrf_field};
use crate::web::session::WebUser;
use crate::web::{WebError, WebResult, check_csrf};

#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    state: Option<String>,
    assignee: Option<String>,
    source: Option<String>,
    signal: Option<String>,
    page: Option<i64>,
}

const PAGE_SIZE: i64 = 50;

fn nonempty(value: Option<String>) -> Option<String> {
    value.map(|value| value.trim().to_owned()).filter(|value| !value.is_empty())
}

pub async fn page(
    State(state): State<ServerState>,
    user: WebUser,
    headers: HeaderMap,
    Path(queue_name): Path<String>,
    Query(filters): Query<Filters>,
) -> WebResult {
    let state_filter =
        nonempty(filters.state.clone()).or_else(|| Some("new".to_owned())).filter(|state| state != "all");
    let page = filters.page.unwrap_or(0).max(0);
    let request = ListItems {
        queue: Some(queue_name.clone()),
        state: state_filter.clone(),
        assignee: nonempty(filters.assignee.clone()),
        source: nonempty(filters.source.clone()),
        signal: nonempty(filters.signal.clone()),
        limit: Some(PAGE_SIZE),
        offset: Some(page * PAGE_SIZE),
    };
    let items =
        queue::list(&state.app, &user.caller, &request).await.map_err(|error| WebError::new(error, &user, &headers))?;
    let shell = Shell {
        title: &format!("{} inbox", capitalised(&queue_name)),
        caller: Some(&user.caller),
        csrf: Some(&user.csrf),
        section: &queue_name,
    };
    let body = html! {
        h1 { (capitalised(&queue_name)) " inbox" }
        (filter_form(&queue_name, &filters, state_filter.as_deref()))
        @if items.is_empty() {
            p.empty { "Nothing here: routing fills the queue as posts arrive." }
        } @else {
            form #bulk method="post" action=(format!("/queues/{queue_name}/bulk")) {
                (csrf_field(&user.csrf))
                table #inbox.items data-keyboard="list" {
                    thead { tr {
                        th scope="col" { span.visually-hidden { "Select" } }
                        th scope="col" { "Priority" } th scope="col" { "State" } th scope="col" { "Due" }
                        th scope="col" { "Assignee" } th scope="col" { "Author" } th scope="col" { "Source" }
                        th scope="col" { "Why" } th scope="col" { "Post" }
                    } }
                    tbody {
                        @for item in &items { (row(item)) }
                    }
                }
                fieldset.bulk {
                    legend { "With the selected items" }
                    label for="bulk-state" { "Move to" }
                    select #bulk-state name="state" {
                        @for state in ["assigned", "contacted", "resolved", "dismissed", "new"] {
                            option value=(state) { (state) }
                        }
                    }
                    label for="bulk-reason" { "Reason" }
                    select #bulk-reason name="reason" {
                        option value="" { "(none)" }
                        @for reason in DismissReason::ALL { option value=(reason.as_str()) { (reason.as_str()) } }
                    }
                    button type="submit" { "Apply" }
                }
            }
            nav.pages aria-label="Pages" {
                @if page > 0 { a href=(page_link(&queue_name, &filters, page - 1)) { "← Newer" } }
                @if items.len() as i64 == PAGE_SIZE { a href=(page_link(&queue_name, &filters, page + 1)) { "More →" } }
            }
        }
        form #dismiss-dialog hidden aria-label="Dismiss the selected item" {
            label for="dismiss-dialog-reason" { "Dismiss because" }
            select #dismiss-dialog-reason name="reason" {
                @for reason in DismissReason::ALL { option value=(reason.as_str()) { (reason.as_str()) } }
            }
            button type="submit" { "Dismiss" }
        }
        p.hint { "Keys: " kbd { "j" } "/" kbd { "k" } " move, " kbd { "Enter" } " open, " kbd { "a" } " assign to me, "
            kbd { "c" } " contacted, " kbd { "r" } " resolve, " kbd { "d" } " dismiss, " kbd { "u" } " undo, " kbd { "?" } " all keys" }
    };
    Ok(Html(layout::page(&shell, &body).into_string()).into_response())
}

fn page_link(queue: &str, filters: &Filters, page: i64) -> String {
    let mut query = vec![format!("page={page}")];
    for (name, value) in [
        ("state", &filters.state),
        ("assignee", &filters.assignee),
        ("source", &filters.source),
        ("signal", &filters.signal),
    ] {
        if let Some(value) = value.as_deref().filter(|value| !value.is_empty()) {
            query.push(format!("{name}={}", crate::web::session::url_encode(value)));
        }
    }
    format!("/queues/{queue}?{}", query.join("&"))
}

fn filter_form(queue: &str, filters: &Filters, state: Option<&str>) -> Markup {
    html! {
        form.filters method="get" action=(format!("/queues/{queue}")) {
            label for="filter-state" { "State" }
            select #filter-state name="state" {
                @for option in ["new", "assigned", "contacted", "resolved", "dismissed", "all"] {
                    option value=(option) selected[state.unwrap_or("all") == option] { (option) }
                }
            }
            label for="filter-assignee" { "Assignee" }
            input #filter-assignee type="text" name="assignee" value=(filters.assignee.clone().unwrap_or_default());
            label for="filter-source" { "Source" }
            input #filter-source type="text" name="source" placeholder="reddit, hackernews…" value=(filters.source.clone().unwrap_or_default());
            label for="filter-signal" { "Signal" }
            select #filter-signal name="signal" {
                @for (value, label) in [("", "any"), ("complaint", "complaint"), ("intent", "buying intent"), ("negative", "negative")] {
                    option value=(value) selected[filters.signal.as_deref().unwrap_or("") == value] { (label) }
                }
            }
            button type="submit" { "Filter" }
        }
    }
}

fn row(item: &ItemView) -> Markup {
    let mention = &item.mention;
    let author = mention.author.name.as_deref().or(mention.author.handle.as_deref()).unwrap_or("unknown");
    let href = format!("/items/{}", item.item_id);
    html! {
        tr.item data-item-id=(item.item_id) data-version=(item.version) data-href=(href) {
            td { input type="checkbox" name="ids" value=(item.item_id) aria-label=(format!("Select item {}", item.item_id)); }
            td.priority { (item.priority) }
            td.state data-state=(item.state) { (item.state) }
            td.due {
                (layout::time(item.due_at))
                @if item.overdue { " " span.badge.overdue { "overdue" } }
            }
            td.assignee { (item.assignee.as_deref().unwrap_or("—")) }
            td.author { (author)
                @if let Some(customer) = &mention.customer { br; span.customer { (customer.name) " (" (customer.state) ")" } }
            }
            td { (mention.source) }
            td.reason { (item.reason)
                @for tag in &item.tags { " " span.badge { (tag) } }
            }
            td.text { a href=(href) { (snippet(&mention.text, 140)) } }
        }
    }
}

pub use hark_core::text::snippet;

/// The bulk form: the CSRF token, the state to move to, an optional reason, and the selected
/// items (repeated `ids` fields).
#[derive(Debug)]
struct Bulk {
    csrf: String,
    state: String,
    reason: Option<String>,
    ids: Vec<i64>,
}

/// Moves every selected item; reports the ones that could not move (others' changes,
/// invalid moves) without stopping at the first.
pub async fn bulk(
    State(state): State<ServerState>,
    user: WebUser,
    headers: HeaderMap,
    Path(queue_name): Path<String>,
    body: axum::body::Bytes,
) -> WebResult {
    let form = parse_bulk(&body)
        .map_err(|message| WebError::new(hark_app::AppError::invalid("invalid_form", message), &user, &headers))?;
    check_csrf(&user, Some(&form.csrf), &headers)?;
    let reason = nonempty(form.reason.clone());
    let mut problems = Vec::new();
    for id in &form.ids {
        let request = Transition { state: form.state.clone(), reason: reason.clone(), version: None };
        if let Err(error) = queue::transition(&state.app, &user.caller, *id, &request).await {
            problems.push(format!("item {id}: {}", error.message));
        }
    }
    if problems.is_empty() {
        return Ok(Redirect::to(&format!("/queues/{queue_name}")).into_response());
    }
    Err(WebError::new(
        hark_app::AppError::conflict("bulk_partial", format!("Some items were not moved: {}", problems.join("; "))),
        &user,
        &headers,
    ))
}

/// Reads the bulk form: `csrf`, `state`, `reason` and repeated `ids`.
fn parse_bulk(body: &[u8]) -> Result<Bulk, String> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|err| format!("unreadable form: {err}"))?;
    let field = |name: &str| pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone());
    let ids = pairs
        .iter()
        .filter(|(key, _)| key == "ids")
        .map(|(_, value)| value.parse::<i64>().map_err(|_| format!("{value:?} is not an item id")))
        .collect::<Result<Vec<_>, _>>()?;
    if ids.is_empty() {
        return Err("select at least one item".to_owned());
    }
    Ok(Bulk {
        csrf: field("csrf").unwrap_or_default(),
        state: field("state").ok_or("choose a state")?,
        reason: field("reason"),
        ids,
    })
}
