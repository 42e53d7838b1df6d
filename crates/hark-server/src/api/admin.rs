//! Admin routes: training labels from triage, and who the caller is.

use axum::Json;
use axum::extract::State;
use hark_app::audit::AuditView;
use hark_app::labels::{self, LabelView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::ServerState;
use crate::auth::Authenticated;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiQuery;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LabelFilter {
    /// complaint, intent or sentiment
    pub task: Option<String>,
}

/// Training labels written by people's decisions (admin only).
#[utoipa::path(get, path = "/api/v1/labels", tag = "admin", security(("bearer" = [])), params(LabelFilter),
    responses((status = 200, body = Vec<LabelView>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn labels(
    State(state): State<ServerState>,
    Authenticated(caller): Authenticated,
    ApiQuery(filter): ApiQuery<LabelFilter>,
) -> ApiResult<Json<Vec<LabelView>>> {
    Ok(Json(labels::export(&state.app, &caller, filter.task.as_deref()).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub name: String,
    /// admin, community, sales or service
    pub role: String,
    /// The queues this role works.
    pub queues: Vec<String>,
}

/// The user behind the token.
#[utoipa::path(get, path = "/api/v1/me", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(Authenticated(caller): Authenticated) -> ApiResult<Json<Me>> {
    Ok(Json(Me {
        queues: caller.queues().into_iter().map(|queue| queue.as_str().to_owned()).collect(),
        role: caller.role.as_str().to_owned(),
        name: caller.name,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// 1 to 10,000 (default 100).
    pub limit: Option<i64>,
}

/// The audit log, newest first: changes, imports, and views of contact details (admin only).
#[utoipa::path(get, path = "/api/v1/audit", tag = "admin", security(("bearer" = [])), params(AuditParams),
    responses((status = 200, body = Vec<AuditView>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn audit(
    State(state): State<ServerState>,
    Authenticated(caller): Authenticated,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> ApiResult<Json<Vec<AuditView>>> {
    Ok(Json(hark_app::audit::recent(&state.app, &caller, params.limit.unwrap_or(100)).await?))
}
