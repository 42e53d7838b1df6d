//! `/api/v1/exports`: a queue's items and the prospects as CSV or JSONL, in generic, HubSpot
//! or Salesforce columns, as a download.

use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use hark_app::exports::{self, CrmColumns, Export, ExportFormat};
use hark_app::prospects::ProspectsRequest;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::ServerState;
use crate::auth::Authenticated;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueueExportParams {
    /// Only items in this state (default: every open item).
    pub state: Option<String>,
    /// csv (default) or jsonl.
    pub format: Option<ExportFormat>,
    /// generic (default), hubspot or salesforce column names.
    pub crm: Option<CrmColumns>,
}

fn download(export: Export) -> Response {
    let disposition = format!("attachment; filename=\"{}\"", export.file_name);
    ([(CONTENT_TYPE, export.content_type.to_owned()), (CONTENT_DISPOSITION, disposition)], export.body).into_response()
}

/// A queue's items, one row per author to act on; matched customers carry their CRM id.
#[utoipa::path(get, path = "/api/v1/exports/queues/{queue}", tag = "exports", security(("bearer" = [])),
    params(("queue" = String, Path, description = "service, sales or community"), QueueExportParams),
    responses((status = 200, body = String, content_type = "text/csv"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn queue(
    State(state): State<ServerState>,
    Authenticated(caller): Authenticated,
    ApiPath(queue): ApiPath<String>,
    ApiQuery(params): ApiQuery<QueueExportParams>,
) -> ApiResult<Response> {
    let export = exports::queue(
        &state.app,
        &caller,
        &queue,
        params.state.as_deref(),
        params.format.unwrap_or_default(),
        params.crm.unwrap_or_default(),
    )
    .await?;
    Ok(download(export))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProspectExportParams {
    /// Rank by relevance to this topic.
    pub topic: Option<String>,
    /// Prospects to export (default 500).
    pub limit: Option<usize>,
    pub format: Option<ExportFormat>,
    pub crm: Option<CrmColumns>,
}

/// Prospects, best first, as leads.
#[utoipa::path(get, path = "/api/v1/exports/prospects", tag = "exports", security(("bearer" = [])), params(ProspectExportParams),
    responses((status = 200, body = String, content_type = "text/csv"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn prospects(
    State(state): State<ServerState>,
    Authenticated(caller): Authenticated,
    ApiQuery(params): ApiQuery<ProspectExportParams>,
) -> ApiResult<Response> {
    let request =
        ProspectsRequest { topic: params.topic, limit: params.limit.unwrap_or(500), ..ProspectsRequest::default() };
    let export = exports::prospects(
        &state.app,
        &caller,
        &request,
        params.format.unwrap_or_default(),
        params.crm.unwrap_or_default(),
    )
    .await?;
    Ok(download(export))
}
