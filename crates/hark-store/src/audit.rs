//! The audit log: append-only record of who changed what.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use crate::{Result, Store, query_error, timestamp};

/// One audit entry to write.
#[derive(Debug, Clone)]
pub struct AuditEvent<'a> {
    pub at: DateTime<Utc>,
    pub actor: &'a str,
    pub action: &'a str,
    pub subject: &'a str,
    pub detail: serde_json::Value,
}

pub(crate) async fn append(conn: &mut SqliteConnection, event: &AuditEvent<'_>) -> Result<()> {
    sqlx::query("INSERT INTO audit_events (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)")
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
        sqlx::query_as("SELECT at, actor, action, subject, detail FROM audit_events ORDER BY id DESC LIMIT ?")
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(query_error("reading the audit log"))
    }
}
