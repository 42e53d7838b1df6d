//! Extractors that answer bad input in the API's error shape: malformed or oversized JSON,
//! unknown fields, bad query strings and path parameters all become a clear 4xx with a stable
//! code instead of axum's plain-text rejections.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::error::error_response;

/// A JSON body (`Content-Type: application/json`).
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

/// A query string.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

/// Path parameters.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

/// Why the request could not be read.
#[derive(Debug)]
pub struct Rejection {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        error_response(self.status, self.code, &self.message)
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Rejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
    }
}

fn json_rejection(rejection: &JsonRejection) -> Rejection {
    let (status, code) = match rejection {
        JsonRejection::MissingJsonContentType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        JsonRejection::JsonSyntaxError(_) => (StatusCode::BAD_REQUEST, "invalid_json"),
        JsonRejection::JsonDataError(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        JsonRejection::BytesRejection(_) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
        }
        _ => (rejection.status(), "invalid_body"),
    };
    Rejection { status, code, message: rejection.body_text() }
}

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(query_rejection(&rejection)),
        }
    }
}

fn query_rejection(rejection: &QueryRejection) -> Rejection {
    Rejection { status: StatusCode::BAD_REQUEST, code: "invalid_query_string", message: rejection.body_text() }
}

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(rejection) => Err(path_rejection(&rejection)),
        }
    }
}

fn path_rejection(rejection: &PathRejection) -> Rejection {
    Rejection { status: StatusCode::BAD_REQUEST, code: "invalid_path", message: rejection.body_text() }
}
