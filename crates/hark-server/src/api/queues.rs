//! `/api/v1/queues` and `/api/v1/items`: the follow-up queues and the actions on one item.

use axum::Json;
use axum::extract::State;
use hark_app::queue::{self, ItemDetail, ItemView, ListItems, QueueCounts, Transition};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::ServerState;
use crate::auth::Authenticated;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};

/// Counts by queue and state, for the queues the caller's role works.
#[utoipa::path(get, path = "/api/v1/queues", tag = "queues", security(("bearer" = [])),
    responses((status = 200, body = QueueCounts), (status = 401, body = ErrorBody)))]
pub async fn counts(
    State(state): State<ServerState>,
    Authenticated(caller): Authenticated,
) -> ApiResult<Json<QueueCounts>> {
    Ok(Json(queue::counts(&state.app, &caller).await?))
}

/// Filters of a queue listing.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ItemFilters {
    /// new, assigned, contacted, resolved or dismissed
    pub state: Option<String>,
    pub assignee: Option<String>,
    /// a source kind (reddit, hackernews, ...)
    pub source: Option<String>,
    /// complaint or intent (flagged at the routing thresholds), or negative
    pub signal: Option<String>,
    /// 1 to 500 (default 100)
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// A queue's items, by priority then SLA due time.
#[utoipa::path(get, path = "/api/v1/queues/{queue}/items", tag = "queues", security(("bearer" = [])),
    params(("queue" = String, Path, description = "service, sales or community"), ItemFilters),
    responses((status = 200, body = Vec<ItemView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn items(
    State(state): State<ServerState>,
    Authenticated(caller): Authenticated,
    ApiPath(queue_name): ApiPath<String>,
    ApiQuery(filters): ApiQuery<ItemFilters>,
) -> ApiResult<Json<Vec<ItemView>>> {
    let request = ListItems {
        queue: Some(queue_name),
        state: filters.state,
        assignee: filters.assignee,
        source: filters.source,
        signal: filters.signal,
        limit: filters.limit,
        offset: filters.offset,
    };
    Ok(Json(queue::list(&state.app, &caller, &request).await?))
}

/// One item with its mention, customer, history and notes.
#[utoipa::path(get, path = "/api/v1/items/{id}", tag = "queues", security(("bearer" = [])),
    params(("id" = i64, Path, description = "queue item id")),
    responses((status = 200, body = ItemDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<ServerState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ItemDetail>> {
    Ok(Json(queue::show(&state.app, &caller, id).await?))
}

/// Moves an item: new → assigned → contacted → resolved | dismissed; finished items reopen
/// to new. Send `version` to refuse overwriting someone else's change (409).
#[utoipa::path(post, path = "/api/v1/items/{id}/transition", tag = "queues", security(("bearer" = [])),
    params(("id" = i64, Path, description = "queue item id")), request_body = Transition,
    responses((status = 200, body = ItemDetail), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn transition(
    State(state): State<ServerState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<Transition>,
) -> ApiResult<Json<ItemDetail>> {
    Ok(Json(queue::transition(&state.app, &caller, id, &request).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Assign {
    /// A user name; `null` to unassign.
    pub assignee: Option<String>,
    pub version: Option<i64>,
}

/// Assigns an item to a user (a new item becomes assigned).
#[utoipa::path(post, path = "/api/v1/items/{id}/assign", tag = "queues", security(("bearer" = [])),
    params(("id" = i64, Path, description = "queue item id")), request_body = Assign,
    responses((status = 200, body = ItemDetail), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn assign(
    State(state): State<ServerState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<Assign>,
) -> ApiResult<Json<ItemDetail>> {
    Ok(Json(queue::assign(&state.app, &caller, id, request.assignee.as_deref(), request.version).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    pub text: String,
}

/// Adds a note to an item.
#[utoipa::path(post, path = "/api/v1/items/{id}/notes", tag = "queues", security(("bearer" = [])),
    params(("id" = i64, Path, description = "queue item id")), request_body = NewNote,
    responses((status = 200, body = ItemDetail), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn note(
    State(state): State<ServerState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<NewNote>,
) -> ApiResult<Json<ItemDetail>> {
    Ok(Json(queue::note(&state.app, &caller, id, &request.text).await?))
}
