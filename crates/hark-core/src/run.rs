//! Runs: one pass of one source. The ledger of runs is how hark knows what it did not see.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    Running,
    Ok,
    /// Some pages came, then the source failed or throttled us: a coverage gap.
    Partial,
    Failed,
}

impl RunOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Running => "running",
            RunOutcome::Ok => "ok",
            RunOutcome::Partial => "partial",
            RunOutcome::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [RunOutcome::Running, RunOutcome::Ok, RunOutcome::Partial, RunOutcome::Failed]
            .into_iter()
            .find(|outcome| outcome.as_str() == raw)
    }

    /// A run that did not finish cleanly leaves a gap in coverage.
    pub fn is_gap(self) -> bool {
        matches!(self, RunOutcome::Partial | RunOutcome::Failed)
    }
}

/// One pass over one source (or one `hark ingest` of a file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub id: i64,
    pub source_id: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub pages: i64,
    pub new_mentions: i64,
    pub duplicates: i64,
    pub outcome: RunOutcome,
    /// A short machine-readable kind (`rate_limited`, `auth`, `malformed`...) when it failed.
    pub error_kind: Option<String>,
    pub error: Option<String>,
    pub rate_limit_wait_ms: i64,
}
