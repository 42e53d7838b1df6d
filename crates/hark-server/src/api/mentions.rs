//! `/api/v1/search` and `/api/v1/prospects`: mentions by the listening query language, and the
//! authors shopping for what the brand sells.

use axum::Json;
use axum::extract::State;
use hark_app::prospects::{self, ProspectView, ProspectsRequest};
use hark_app::search::{self, SearchRequest, SearchResponse, Sort};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::ServerState;
use crate::auth::Authenticated;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiQuery;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The query: words, "phrases", AND/OR/NOT, NEAR/n, field:value, published:FROM..TO,
    /// complaint:>0.8; `*` matches everything.
    pub q: String,
    /// Only this source (kind or configured id).
    pub source: Option<String>,
    /// Only mentions published on or after this day (YYYY-MM-DD) or time (RFC 3339).
    pub since: Option<String>,
    /// 1 to 10,000 (default 20).
    pub limit: Option<usize>,
    /// One result per near-duplicate cluster.
    pub collapse: Option<bool>,
    /// relevance or newest.
    pub sort: Option<Sort>,
}

/// Mentions matching a query, with their signals and customer. A malformed query is a 400
/// `invalid_query` whose message points at the column.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", security(("bearer" = [])), params(SearchParams),
    responses((status = 200, body = SearchResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn search(
    State(state): State<ServerState>,
    Authenticated(caller): Authenticated,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> ApiResult<Json<SearchResponse>> {
    let defaults = SearchRequest::default();
    let request = SearchRequest {
        query: params.q,
        source: params.source,
        since: params.since,
        limit: params.limit.unwrap_or(defaults.limit),
        collapse: params.collapse.unwrap_or(false),
        sort: params.sort,
    };
    Ok(Json(search::search(&state.app, &caller, &request).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProspectParams {
    /// Rank by relevance to this topic.
    pub topic: Option<String>,
    /// Prospects to return (default 20).
    pub limit: Option<usize>,
    /// Rank by resemblance to the best current customers' posts.
    pub like_customers: Option<bool>,
    /// With a topic: by words alone.
    pub lexical: Option<bool>,
    /// Only prospects whose buying intent reaches this probability (0 to 1).
    pub min_intent: Option<f32>,
}

/// Authors who are not customers, ranked by buying intent and topic (sales and admin).
#[utoipa::path(get, path = "/api/v1/prospects", tag = "search", security(("bearer" = [])), params(ProspectParams),
    responses((status = 200, body = Vec<ProspectView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn prospects(
    State(state): State<ServerState>,
    Authenticated(caller): Authenticated,
    ApiQuery(params): ApiQuery<ProspectParams>,
) -> ApiResult<Json<Vec<ProspectView>>> {
    let defaults = ProspectsRequest::default();
    let request = ProspectsRequest {
        topic: params.topic,
        limit: params.limit.unwrap_or(defaults.limit),
        like_customers: params.like_customers.unwrap_or(false),
        lexical: params.lexical.unwrap_or(false),
        min_intent: params.min_intent,
    };
    Ok(Json(prospects::prospects(&state.app, &caller, &request).await?))
}
