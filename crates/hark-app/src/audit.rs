//! The audit log as people read it: who changed what, and who viewed whose contact details.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::App;
use crate::access::{Caller, Permission};
use crate::error::{AppError, AppResult, Context};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditView {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

/// The latest entries, newest first (admin only).
pub async fn recent(app: &App, caller: &Caller, limit: i64) -> AppResult<Vec<AuditView>> {
    caller.require(Permission::Admin)?;
    if !(1..=10_000).contains(&limit) {
        return Err(AppError::invalid("invalid_limit", "limit must be 1 to 10000"));
    }
    let store = app.store().await.internal("opening the store")?;
    Ok(store
        .audit_events(limit)
        .await
        .internal("reading the audit log")?
        .into_iter()
        .map(|entry| AuditView {
            at: entry.at,
            actor: entry.actor,
            action: entry.action,
            subject: entry.subject,
            detail: entry.detail,
        })
        .collect())
}
