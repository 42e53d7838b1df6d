//! `/api/v1/sources`: each source's runs and coverage gaps.

use axum::Json;
use axum::extract::State;
use hark_app::sources::{self, SourceOverview};

use crate::ServerState;
use crate::auth::Authenticated;
use crate::error::{ApiResult, ErrorBody};

/// Coverage per source: last run, outcome, mentions, and the windows it failed or was
/// throttled (open until a clean run reads them).
#[utoipa::path(get, path = "/api/v1/sources", tag = "stats", security(("bearer" = [])),
    responses((status = 200, body = Vec<SourceOverview>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<ServerState>,
    Authenticated(caller): Authenticated,
) -> ApiResult<Json<Vec<SourceOverview>>> {
    Ok(Json(sources::overview(&state.app, &caller, true).await?))
}
