//! `/api/v1/customers` and `/api/v1/matches`: CRM records, the posts linked to them, and
//! people's decisions about who wrote what.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use hark_app::customers::{self, CustomerDetail, CustomerView};
use hark_app::import::{self, CrmFormat, ImportReport, ImportRequest};
use hark_app::matches::{self, DecideRequest, DecisionResponse, MatchListRequest, MatchView};
use hark_app::progress::NoProgress;
use hark_app::{AppError, ErrorKind};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::ServerState;
use crate::auth::Authenticated;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};

/// Every customer, by name; contact details only for service and admin.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", security(("bearer" = [])),
    responses((status = 200, body = Vec<CustomerView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<ServerState>,
    Authenticated(caller): Authenticated,
) -> ApiResult<Json<Vec<CustomerView>>> {
    Ok(Json(customers::list(&state.app, &caller).await?))
}

/// One customer (hark id, CRM id or email) with their mentions; showing contact details is
/// audited.
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers", security(("bearer" = [])),
    params(("id" = String, Path, description = "hark id, CRM id or email")),
    responses((status = 200, body = CustomerDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<ServerState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<CustomerDetail>> {
    Ok(Json(customers::show(&state.app, &caller, &id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// auto (from the header row), hubspot, salesforce or generic.
    pub format: Option<CrmFormat>,
    /// Report what would change without writing.
    pub dry_run: Option<bool>,
}

/// Imports a CRM export (the CSV as the body; admin only): all rows or none, bad rows listed
/// with their line numbers.
#[utoipa::path(post, path = "/api/v1/customers/import", tag = "customers", security(("bearer" = [])),
    params(ImportParams), request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn import(
    State(state): State<ServerState>,
    Authenticated(caller): Authenticated,
    ApiQuery(params): ApiQuery<ImportParams>,
    body: Bytes,
) -> ApiResult<Json<ImportReport>> {
    caller.require(hark_app::access::Permission::Admin)?;
    if body.is_empty() {
        return Err(ApiError::new(ErrorKind::Invalid, "empty_body", "send the CSV export as the request body"));
    }
    // The importer reads files (it reports line numbers and sniffs the format); the upload
    // goes to a private temporary file in the data directory, removed afterwards.
    let upload = tempfile_in(state.app.data_dir(), &body)?;
    let request = ImportRequest {
        file: upload.path().to_owned(),
        format: params.format.unwrap_or_default(),
        dry_run: params.dry_run.unwrap_or(false),
    };
    let mut report = import::import_customers(&state.app, &caller, &request, &mut NoProgress).await?;
    report.file = "upload".to_owned();
    Ok(Json(report))
}

/// A file in `dir` holding `bytes`, deleted when dropped.
fn tempfile_in(dir: &std::path::Path, bytes: &[u8]) -> ApiResult<UploadFile> {
    use std::io::Write;
    std::fs::create_dir_all(dir).map_err(|err| AppError::internal("creating the data directory", err))?;
    let path = dir.join(format!(".upload-{}-{}.csv", std::process::id(), upload_counter()));
    let mut file = std::fs::File::create(&path).map_err(|err| AppError::internal("storing an upload", err))?;
    file.write_all(bytes).map_err(|err| AppError::internal("storing an upload", err))?;
    Ok(UploadFile(path))
}

fn upload_counter() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

struct UploadFile(std::path::PathBuf);

impl UploadFile {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for UploadFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MatchParams {
    /// auto, proposed, confirmed or rejected.
    pub state: Option<String>,
    /// 1 to 1,000 (default 50).
    pub limit: Option<i64>,
}

/// Customer matches, most recently changed first (service, community and admin).
#[utoipa::path(get, path = "/api/v1/matches", tag = "customers", security(("bearer" = [])), params(MatchParams),
    responses((status = 200, body = Vec<MatchView>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_matches(
    State(state): State<ServerState>,
    Authenticated(caller): Authenticated,
    ApiQuery(params): ApiQuery<MatchParams>,
) -> ApiResult<Json<Vec<MatchView>>> {
    let state_filter = params
        .state
        .as_deref()
        .map(|raw| {
            parse_match_state(raw).ok_or_else(|| {
                AppError::invalid(
                    "invalid_state",
                    format!("unknown match state {raw:?}: expected auto, proposed, confirmed or rejected"),
                )
            })
        })
        .transpose()?;
    let limit = params.limit.unwrap_or(50);
    if !(1..=1000).contains(&limit) {
        return Err(AppError::invalid("invalid_limit", "limit must be 1 to 1000").into());
    }
    let request = MatchListRequest { state: state_filter, limit };
    Ok(Json(matches::list(&state.app, &caller, &request).await?))
}

/// Confirms, rejects, links or undoes a match; the author's items are re-routed at once.
#[utoipa::path(post, path = "/api/v1/matches/decide", tag = "customers", security(("bearer" = [])), request_body = DecideRequest,
    responses((status = 200, body = DecisionResponse), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn decide(
    State(state): State<ServerState>,
    Authenticated(caller): Authenticated,
    ApiJson(request): ApiJson<DecideRequest>,
) -> ApiResult<Json<DecisionResponse>> {
    Ok(Json(matches::decide(&state.app, &caller, &request).await?))
}

fn parse_match_state(raw: &str) -> Option<hark_core::MatchState> {
    use hark_core::MatchState;
    [MatchState::Auto, MatchState::Proposed, MatchState::Confirmed, MatchState::Rejected]
        .into_iter()
        .find(|state| state.as_str() == raw.trim().to_lowercase())
}
