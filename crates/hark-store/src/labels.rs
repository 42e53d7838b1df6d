//! Labels: people's decisions and imported labelled data, the training material of the
//! classifier's heads (`hark train` can include them).

use chrono::{DateTime, Utc};
use hark_core::MentionId;
use sqlx::Row;

use crate::{Result, Store, query_error, timestamp};

/// The tasks a label can be for.
pub const LABEL_TASKS: [&str; 3] = ["complaint", "intent", "sentiment"];

/// A label to record.
#[derive(Debug, Clone, Copy)]
pub struct LabelWrite<'a> {
    /// The mention labelled, when the label comes from one.
    pub mention_id: Option<&'a MentionId>,
    /// The text the label is about (kept even if the mention goes).
    pub text: &'a str,
    /// `complaint`, `intent` or `sentiment`.
    pub task: &'a str,
    /// E.g. `complaint`/`not_complaint`, `intent`/`no_intent`, `negative`/`neutral`/`positive`.
    pub label: &'a str,
    /// Where it came from: `triage`, `import`...
    pub origin: &'a str,
    pub actor: Option<&'a str>,
    pub now: DateTime<Utc>,
}

/// A stored label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub id: i64,
    pub mention_id: Option<MentionId>,
    pub text: String,
    pub task: String,
    pub label: String,
    pub origin: String,
    pub actor: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Why a label was not recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("unknown label task {0:?}: use complaint, intent or sentiment")]
    UnknownTask(String),
}

impl Store {
    /// Records a label; returns its id.
    pub async fn add_label(&self, write: &LabelWrite<'_>) -> Result<std::result::Result<i64, LabelError>> {
        if !LABEL_TASKS.contains(&write.task) {
            return Ok(Err(LabelError::UnknownTask(write.task.to_owned())));
        }
        let id = sqlx::query_scalar(
            "INSERT INTO labels (mention_id, text, task, label, origin, actor, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(write.mention_id.map(MentionId::as_str))
        .bind(write.text)
        .bind(write.task)
        .bind(write.label)
        .bind(write.origin)
        .bind(write.actor)
        .bind(timestamp::encode(write.now))
        .fetch_one(&self.pool)
        .await
        .map_err(query_error("writing a label"))?;
        Ok(Ok(id))
    }

    /// Labels, oldest first; all of them or one task's.
    pub async fn list_labels(&self, task: Option<&str>) -> Result<Vec<Label>> {
        let rows = sqlx::query("SELECT * FROM labels WHERE $1 IS NULL OR task = $1 ORDER BY id")
            .bind(task)
            .fetch_all(&self.pool)
            .await
            .map_err(query_error("reading labels"))?;
        rows.iter()
            .map(|row| {
                Ok(Label {
                    id: row.get("id"),
                    mention_id: row.get::<Option<String>, _>("mention_id").map(MentionId::from_raw),
                    text: row.get("text"),
                    task: row.get("task"),
                    label: row.get("label"),
                    origin: row.get("origin"),
                    actor: row.get("actor"),
                    created_at: timestamp::decode(&row.get::<String, _>("created_at"))?,
                })
            })
            .collect()
    }
}
