//! Training labels from people's decisions (a dismissal "not a complaint" is a negative
//! complaint example), exported as the labelled JSONL that `hark train --train` reads.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::App;
use crate::access::{Caller, Permission};
use crate::error::{AppError, AppResult, Context};

/// One label, in the labelled-JSONL shape (`text`, `label`) plus where it came from.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LabelView {
    pub text: String,
    /// complaint: complaint | not_complaint; intent: intent | no_intent; sentiment: negative | neutral | positive.
    pub label: String,
    /// complaint, intent or sentiment.
    pub task: String,
    pub mention_id: Option<String>,
    /// triage (a person's decision in a queue), import, ...
    pub origin: String,
    pub actor: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Every label, or one task's.
pub async fn export(app: &App, caller: &Caller, task: Option<&str>) -> AppResult<Vec<LabelView>> {
    caller.require(Permission::Admin)?;
    if let Some(task) = task {
        if !["complaint", "intent", "sentiment"].contains(&task) {
            return Err(AppError::invalid(
                "invalid_task",
                format!("unknown task {task:?}: expected complaint, intent or sentiment"),
            ));
        }
    }
    let store = app.store().await.internal("opening the store")?;
    Ok(store
        .list_labels(task)
        .await
        .internal("reading labels")?
        .into_iter()
        .map(|label| LabelView {
            text: label.text,
            label: label.label,
            task: label.task,
            mention_id: label.mention_id.map(|id| id.as_str().to_owned()),
            origin: label.origin,
            actor: label.actor,
            created_at: label.created_at,
        })
        .collect())
}
