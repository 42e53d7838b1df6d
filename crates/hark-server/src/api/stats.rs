//! `/api/v1/stats`: the dashboard's figures.

use axum::Json;
use axum::extract::State;
use hark_app::stats::{self, Stats};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::ServerState;
use crate::auth::Authenticated;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiQuery;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Period {
    /// Days to look back, 1 to 366 (default 30).
    pub days: Option<i64>,
}

/// Volume per day by source, the sentiment trend, share of voice against competitors, and per
/// queue (those the caller works) the time to first response and SLA breaches.
#[utoipa::path(get, path = "/api/v1/stats", tag = "stats", security(("bearer" = [])), params(Period),
    responses((status = 200, body = Stats), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn stats(
    State(state): State<ServerState>,
    Authenticated(caller): Authenticated,
    ApiQuery(period): ApiQuery<Period>,
) -> ApiResult<Json<Stats>> {
    Ok(Json(stats::stats(&state.app, &caller, period.days.unwrap_or(30)).await?))
}
