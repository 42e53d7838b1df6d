//! Search, prospects, one customer, and the sources' coverage.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{Html, IntoResponse};
use hark_app::exports::{self, CrmColumns, ExportFormat};
use hark_app::prospects::{self, ProspectsRequest};
use hark_app::search::{self, SearchRequest};
use maud::html;
use serde::Deserialize;

use crate::ServerState;
use crate::web::inbox::snippet;
use crate::web::layout::{self, Shell, external_link};
use crate::web::session::WebUser;
use crate::web::{WebError, WebResult};

#[derive(Debug, Default, Deserialize)]
pub struct SearchForm {
    q: Option<String>,
}

/// `/search?q=`: the query language, with a malformed query's position shown under the box.
pub async fn search(
    State(state): State<ServerState>,
    user: WebUser,
    headers: HeaderMap,
    Query(form): Query<SearchForm>,
) -> WebResult {
    let query = form.q.unwrap_or_default();
    let shell = Shell { title: "Search", caller: Some(&user.caller), csrf: Some(&user.csrf), section: "search" };
    let (results, problem) = if query.trim().is_empty() {
        (None, None)
    } else {
        let request = SearchRequest { query: query.clone(), limit: 50, ..SearchRequest::default() };
        match search::search(&state.app, &user.caller, &request).await {
            Ok(results) => (Some(results), None),
            Err(error) if error.code == "invalid_query" => (None, Some(error.message)),
            Err(error) => return Err(WebError::new(error, &user, &headers)),
        }
    };
    let body = html! {
        h1 { "Search" }
        form.search method="get" action="/search" role="search" {
            label for="q" { "Query" }
            input #q type="search" name="q" value=(query) placeholder="acme AND (slow OR outage) NOT job" aria-describedby="query-help";
            button type="submit" { "Search" }
        }
        p #query-help.hint { "Words, \"phrases\", AND, OR, NOT, NEAR/5, field:value (source:reddit, author:name), published:2026-01-01.., complaint:>0.8" }
        @if let Some(problem) = problem { pre #query-error.error role="alert" { (problem) } }
        @if let Some(results) = results {
            p { (results.total) " matching posts" }
            ol #results.results {
                @for hit in &results.hits {
                    @let mention = &hit.mention;
                    li {
                        p.meta {
                            (mention.source) " · " (mention.author.name.as_deref().or(mention.author.handle.as_deref()).unwrap_or("unknown"))
                            " · " (layout::time(mention.published_at))
                            @if let Some(customer) = &mention.customer { " · customer " (customer.name) }
                        }
                        @if let Some(title) = &mention.title { p.title { (title) } }
                        p.text { (snippet(&mention.text, 400)) }
                        p.original { (external_link(mention.url.as_deref(), "original post")) }
                    }
                }
            }
        }
    };
    Ok(Html(layout::page(&shell, &body).into_string()).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct ProspectForm {
    topic: Option<String>,
    min_intent: Option<f32>,
    crm: Option<CrmColumns>,
}

fn prospect_request(form: &ProspectForm, limit: usize) -> ProspectsRequest {
    ProspectsRequest {
        topic: form.topic.clone().filter(|topic| !topic.trim().is_empty()),
        limit,
        min_intent: form.min_intent,
        ..ProspectsRequest::default()
    }
}

/// `/prospects`: people shopping for what the brand sells, by topic and intent threshold.
pub async fn prospects(
    State(state): State<ServerState>,
    user: WebUser,
    headers: HeaderMap,
    Query(form): Query<ProspectForm>,
) -> WebResult {
    let list = prospects::prospects(&state.app, &user.caller, &prospect_request(&form, 100))
        .await
        .map_err(|error| WebError::new(error, &user, &headers))?;
    let shell = Shell { title: "Prospects", caller: Some(&user.caller), csrf: Some(&user.csrf), section: "prospects" };
    let topic = form.topic.clone().unwrap_or_default();
    let min_intent = form.min_intent.unwrap_or(0.0);
    let export = |crm: &str| {
        format!("/prospects/export?crm={crm}&min_intent={min_intent}&topic={}", crate::web::session::url_encode(&topic))
    };
    let body = html! {
        h1 { "Prospects" }
        form.filters method="get" action="/prospects" {
            label for="topic" { "Topic" }
            input #topic type="search" name="topic" value=(topic) placeholder="crm migration";
            label for="min-intent" { "Intent at least" }
            input #min-intent type="number" name="min_intent" min="0" max="1" step="0.05" value=(format!("{min_intent}"));
            button type="submit" { "Find" }
        }
        p.exports { "Export: " a href=(export("generic")) { "CSV" } " · " a href=(export("hubspot")) { "HubSpot" } " · " a href=(export("salesforce")) { "Salesforce" } }
        @if list.is_empty() { p.empty { "No prospects match." } }
        @else {
            table #prospects.items {
                thead { tr { th scope="col" { "Author" } th scope="col" { "Source" } th scope="col" { "Intent" } th scope="col" { "Topics" } th scope="col" { "Last seen" } th scope="col" { "Reach" } } }
                tbody {
                    @for prospect in &list {
                        tr {
                            td { (prospect.author) } td { (prospect.source) }
                            td { (format!("{:.2}", prospect.intent)) }
                            td { (prospect.topics.join(", ")) }
                            td { (layout::time(Some(prospect.last_seen))) }
                            td { (prospect.reach.map(|reach| reach.to_string()).unwrap_or_default()) }
                        }
                    }
                }
            }
        }
    };
    Ok(Html(layout::page(&shell, &body).into_string()).into_response())
}

pub async fn prospects_export(
    State(state): State<ServerState>,
    user: WebUser,
    headers: HeaderMap,
    Query(form): Query<ProspectForm>,
) -> WebResult {
    let export = exports::prospects(
        &state.app,
        &user.caller,
        &prospect_request(&form, 1000),
        ExportFormat::Csv,
        form.crm.unwrap_or_default(),
    )
    .await
    .map_err(|error| WebError::new(error, &user, &headers))?;
    let disposition = format!("attachment; filename=\"{}\"", export.file_name);
    Ok(([(CONTENT_TYPE, export.content_type.to_owned()), (CONTENT_DISPOSITION, disposition)], export.body)
        .into_response())
}

/// `/customers/{id}`: the record (contact details for the roles allowed), their posts and
/// open items.
pub async fn customer(
    State(state): State<ServerState>,
    user: WebUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> WebResult {
    let detail = hark_app::customers::show(&state.app, &user.caller, &id)
        .await
        .map_err(|error| WebError::new(error, &user, &headers))?;
    let customer = &detail.customer;
    let shell = Shell { title: &customer.name, caller: Some(&user.caller), csrf: Some(&user.csrf), section: "" };
    let body = html! {
        h1 { (customer.name) }
        dl.record {
            dt { "CRM id" } dd { (customer.crm_ref) }
            dt { "Company" } dd { (customer.company.as_deref().unwrap_or("—")) }
            dt { "Tier" } dd { (customer.tier.as_deref().unwrap_or("—")) }
            dt { "Products" } dd { (customer.products.join(", ")) }
            @if detail.contact_details {
                dt { "Email" } dd #customer-email { (customer.emails.join(", ")) }
                dt { "Handles" } dd { @for (kind, handle) in &customer.handles { (kind) ": " (handle) " " } }
                dt { "Owner" } dd { (customer.owner.as_deref().unwrap_or("—")) }
            }
        }
        @if !detail.contact_details { p.hint { "Contact details are shown to the service team and admins." } }
        h2 { "Open items" }
        @if detail.items.is_empty() { p.empty { "None." } }
        ul #customer-items { @for item in &detail.items {
            li { a href=(format!("/items/{}", item.item_id)) { (item.queue) " · " (item.state) " · " (item.reason) } }
        } }
        h2 { "Their posts" }
        ol #customer-posts.results {
            @for mention in &detail.mentions {
                li {
                    p.meta { (mention.source) " · " (layout::time(mention.published_at)) }
                    p.text { (snippet(&mention.text, 400)) }
                    p.original { (external_link(mention.url.as_deref(), "original post")) }
                }
            }
        }
    };
    Ok(Html(layout::page(&shell, &body).into_string()).into_response())
}

/// `/sources`: last run, outcome and coverage gaps per source.
pub async fn sources(State(state): State<ServerState>, user: WebUser, headers: HeaderMap) -> WebResult {
    let sources = hark_app::sources::overview(&state.app, &user.caller, true)
        .await
        .map_err(|error| WebError::new(error, &user, &headers))?;
    let shell = Shell { title: "Sources", caller: Some(&user.caller), csrf: Some(&user.csrf), section: "sources" };
    let body = html! {
        h1 { "Sources" }
        @if sources.is_empty() { p.empty { "No sources yet: add [[sources]] to hark.toml." } }
        @else {
            table #sources.items {
                thead { tr { th scope="col" { "Source" } th scope="col" { "Kind" } th scope="col" { "Mentions" } th scope="col" { "Last run" } th scope="col" { "Outcome" } th scope="col" { "Open gaps" } } }
                tbody { @for source in &sources {
                    tr {
                        td { (source.id) } td { (source.kind.as_deref().unwrap_or("—")) } td { (source.mentions) }
                        td { (layout::time(source.last_run.as_ref().map(|run| run.started_at))) }
                        td { (source.outcome.unwrap_or("—")) } td { (source.open_gaps) }
                    }
                } }
            }
            @for source in sources.iter().filter(|source| !source.gaps.is_empty()) {
                h2 { "Gaps of " (source.id) }
                ul { @for gap in &source.gaps {
                    li { (layout::time(Some(gap.from))) " – " (layout::time(Some(gap.to))) " · " (gap.outcome) " · " (gap.state)
                        @if let Some(error) = &gap.error { " · " (error) } }
                } }
            }
        }
    };
    Ok(Html(layout::page(&shell, &body).into_string()).into_response())
}
