//! The audit log: append-only record of who changed what.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use crate::{Result, Store, StoreError, query_error, timestamp};

/// One audit entry to write.
#[derive(Debug, Clone)]
pub struct AuditEvent<'a> {
    pub at: DateTime<Utc>,
    pub actor: &'a str,
    pub action: &'a str,
    pub subject: &'a str,
    pub detail: serde_json::Value,
}

pub(crate) async fn append(conn: &mut AnyConnection, event: &AuditEvent<'_>) -> Result<()> {
    sqlx::query("INSERT INTO audit_events (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)")
        .bind(timestamp::encode(event.at))
        .bind(event.actor)
        .bind(event.action)
        .bind(event.subject)
        .bind(event.detail.to_string())
        .execute(conn)
        .await
        .map_err(query_error("writing an audit event"))?;
    Ok(())
}

impl Store {
    /// The latest audit entries, newest first: (at, actor, action, subject, detail JSON).
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<(String, String, String, String, String)>> {
        sqlx::query_as("SELECT at, actor, action, subject, detail FROM audit_events ORDER BY id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(query_error("reading the audit log"))
    }

    /// Appends an audit entry (actions whose store write is not audited by the store
    /// itself: user management, exports...).
    pub async fn record_audit(&self, event: &AuditEvent<'_>) -> Result<()> {
        let mut conn = self.pool.acquire().await.map_err(query_error("writing an audit event"))?;
        append(&mut conn, event).await
    }

    /// Records that `actor` viewed `subject` (e.g. a customer's contact details); `what` says
    /// which view. Action `view`.
    pub async fn record_view(&self, actor: &str, subject: &str, what: &str, now: DateTime<Utc>) -> Result<()> {
        let detail = serde_json::json!({ "what": what });
        self.record_audit(&AuditEvent { at: now, actor, action: "view", subject, detail }).await
    }

    /// The latest audit entries, newest first.
    pub async fn audit_events(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query("SELECT * FROM audit_events ORDER BY id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(query_error("reading the audit log"))?;
        rows.iter()
            .map(|row| {
                let detail: String = row.get("detail");
                Ok(AuditEntry {
                    id: row.get("id"),
                    at: timestamp::decode(&row.get::<String, _>("at"))?,
                    actor: row.get("actor"),
                    action: row.get("action"),
                    subject: row.get("subject"),
                    detail: serde_json::from_str(&detail)
                        .map_err(|err| StoreError::Corrupt { what: "audit detail", detail: err.to_string() })?,
                })
            })
            .collect()
    }
}

/// A stored audit entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: serde_json::Value,
}
