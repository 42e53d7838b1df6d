//! The one place where application errors become HTTP responses:
//! `{"error": {"code", "message"}}` with a status from the error's kind. Internal causes go
//! to the log with the request id; the client sees only what hark was doing.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hark_app::{AppError, ErrorKind};
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: invalid_query, invalid_json, not_found, forbidden,
    /// unauthenticated, invalid_transition, version_conflict, payload_too_large, internal, ...
    pub code: String,
    /// What happened and what to do, for people.
    pub message: String,
}

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        Self(error)
    }
}

impl ApiError {
    pub fn new(kind: ErrorKind, code: &'static str, message: impl Into<String>) -> Self {
        Self(AppError::new(kind, code, message))
    }
}

pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::Invalid => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// An error response with a given status (for failures found before the application layer:
/// bodies too large, unknown routes).
pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = ErrorBody { error: ErrorDetail { code: code.to_owned(), message: message.to_owned() } };
    (status, Json(body)).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let AppError { kind, code, message, source } = self.0;
        let status = status_of(kind);
        if let Some(source) = &source {
            // The request id is on the span this runs in.
            tracing::error!(code, message = %message, cause = format!("{source:#}"), "request failed");
        } else if kind == ErrorKind::Internal {
            tracing::error!(code, message = %message, "request failed");
        }
        let mut response = error_response(status, code, &message);
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(axum::http::header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static("Bearer"));
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
