//! API authentication: `Authorization: Bearer TOKEN` on every `/api/v1` route except the
//! OpenAPI document. The token names a user; the user's role decides what the application
//! layer lets them do.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use hark_app::{AppError, Caller};

use crate::ServerState;
use crate::error::ApiError;

/// The caller behind a valid token.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Caller);

impl FromRequestParts<ServerState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ServerState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
            AppError::unauthenticated(
                "this route needs `Authorization: Bearer TOKEN` (`hark user token NAME` makes one)",
            )
        })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or_else(|| AppError::unauthenticated("the Authorization header must be `Bearer TOKEN`"))?;
        let caller = hark_app::users::authenticate_token(&state.app, token).await?;
        tracing::Span::current().record("user", caller.name.as_str());
        Ok(Self(caller))
    }
}
