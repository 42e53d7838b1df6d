//! The run ledger: every pass over every source, and the coverage gaps it reveals.

use chrono::{DateTime, Utc};
use hark_core::{Run, RunOutcome};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Result, Store, StoreError, query_error, timestamp};

/// The last run of a source and how many gaps its ledger holds.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRunSummary {
    pub source_id: String,
    pub last_run: Option<Run>,
    /// Runs that failed or were cut short and have not been followed by a clean run.
    pub open_gaps: i64,
}

/// A window in which a source failed or was throttled: from the end of the run before to the
/// end of the failed one. `refetched_by` is the first clean run after it: sources whose
/// cursor did not move past the window read it then (as far as the source keeps history).
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageGap {
    pub run_id: i64,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub outcome: RunOutcome,
    pub error_kind: Option<String>,
    pub error: Option<String>,
    pub refetched_by: Option<i64>,
}

impl Store {
    /// Records the start of a run and returns its id.
    pub async fn start_run(&self, source_id: &str, started_at: DateTime<Utc>) -> Result<i64> {
        sqlx::query_scalar("INSERT INTO runs (source_id, started_at, outcome) VALUES ($1, $2, 'running') RETURNING id")
            .bind(source_id)
            .bind(timestamp::encode(started_at))
            .fetch_one(&self.pool)
            .await
            .map_err(query_error("starting a run"))
    }

    /// Records how a run ended.
    pub async fn finish_run(&self, run: &Run) -> Result<()> {
        sqlx::query(
            "UPDATE runs SET finished_at = $1, pages = $2, new_mentions = $3, duplicates = $4, outcome = $5,
                error_kind = $6, error = $7, rate_limit_wait_ms = $8 WHERE id = $9",
        )
        .bind(run.finished_at.map(timestamp::encode))
        .bind(run.pages)
        .bind(run.new_mentions)
        .bind(run.duplicates)
        .bind(run.outcome.as_str())
        .bind(&run.error_kind)
        .bind(&run.error)
        .bind(run.rate_limit_wait_ms)
        .bind(run.id)
        .execute(&self.pool)
        .await
        .map_err(query_error("finishing a run"))?;
        Ok(())
    }

    /// Closes runs still marked running (of one source, or of all) as `failed` (no page) or
    /// `partial`, with `kind` and `message`: a process that died mid-run, or a pass that
    /// panicked, leaves them behind, and until closed they would hide the gap they are.
    /// Returns how many were closed.
    pub async fn close_abandoned_runs(
        &self,
        source_id: Option<&str>,
        now: DateTime<Utc>,
        kind: &str,
        message: &str,
    ) -> Result<u64> {
        let closed = sqlx::query(
            "UPDATE runs SET finished_at = $1, outcome = CASE WHEN pages > 0 THEN 'partial' ELSE 'failed' END,
                error_kind = $2, error = $3
             WHERE outcome = 'running' AND ($4 IS NULL OR source_id = $5)",
        )
        .bind(timestamp::encode(now))
        .bind(kind)
        .bind(message)
        .bind(source_id)
        .bind(source_id)
        .execute(&self.pool)
        .await
        .map_err(query_error("closing abandoned runs"))?;
        Ok(closed.rows_affected())
    }

    pub async fn run(&self, id: i64) -> Result<Option<Run>> {
        let row = sqlx::query("SELECT * FROM runs WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(query_error("reading a run"))?;
        row.as_ref().map(run_from_row).transpose()
    }

    /// For every source that has run: its latest run and its open coverage gaps (failed or
    /// partial runs after its last clean one).
    pub async fn source_run_summaries(&self) -> Result<Vec<SourceRunSummary>> {
        let rows = sqlx::query(
            "SELECT r.* FROM runs r
             JOIN (SELECT source_id, MAX(id) AS id FROM runs GROUP BY source_id) latest ON latest.id = r.id
             ORDER BY r.source_id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(query_error("reading the latest runs"))?;
        let mut summaries = Vec::with_capacity(rows.len());
        for row in &rows {
            let run = run_from_row(row)?;
            let open_gaps: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM runs WHERE source_id = $1 AND outcome IN ('failed', 'partial')
                 AND id > COALESCE((SELECT MAX(id) FROM runs WHERE source_id = $2 AND outcome = 'ok'), 0)",
            )
            .bind(&run.source_id)
            .bind(&run.source_id)
            .fetch_one(&self.pool)
            .await
            .map_err(query_error("counting coverage gaps"))?;
            summaries.push(SourceRunSummary { source_id: run.source_id.clone(), last_run: Some(run), open_gaps });
        }
        Ok(summaries)
    }
}

impl Store {
    /// The newest `limit` coverage gaps of `source_id`, newest first.
    pub async fn coverage_gaps(&self, source_id: &str, limit: i64) -> Result<Vec<CoverageGap>> {
        let rows = sqlx::query(
            "SELECT g.*,
                (SELECT p.finished_at FROM runs p WHERE p.source_id = g.source_id AND p.id < g.id
                 ORDER BY p.id DESC LIMIT 1) AS previous_end,
                (SELECT MIN(n.id) FROM runs n WHERE n.source_id = g.source_id AND n.id > g.id
                 AND n.outcome = 'ok') AS refetched_by
             FROM runs g WHERE g.source_id = $1 AND g.outcome IN ('failed', 'partial')
             ORDER BY g.id DESC LIMIT $2",
        )
        .bind(source_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(query_error("reading coverage gaps"))?;
        rows.iter()
            .map(|row| {
                let run = run_from_row(row)?;
                let previous_end = timestamp::decode_opt(row.get::<Option<String>, _>("previous_end").as_deref())?;
                Ok(CoverageGap {
                    run_id: run.id,
                    from: previous_end.unwrap_or(run.started_at),
                    to: run.finished_at.unwrap_or(run.started_at),
                    outcome: run.outcome,
                    error_kind: run.error_kind,
                    error: run.error,
                    refetched_by: row.get("refetched_by"),
                })
            })
            .collect()
    }
}

fn run_from_row(row: &AnyRow) -> Result<Run> {
    let outcome: String = row.get("outcome");
    Ok(Run {
        id: row.get("id"),
        source_id: row.get("source_id"),
        started_at: timestamp::decode(&row.get::<String, _>("started_at"))?,
        finished_at: timestamp::decode_opt(row.get::<Option<String>, _>("finished_at").as_deref())?,
        pages: row.get("pages"),
        new_mentions: row.get("new_mentions"),
        duplicates: row.get("duplicates"),
        outcome: RunOutcome::parse(&outcome)
            .ok_or_else(|| StoreError::Corrupt { what: "run outcome", detail: outcome.clone() })?,
        error_kind: row.get("error_kind"),
        error: row.get("error"),
        rate_limit_wait_ms: row.get("rate_limit_wait_ms"),
    })
}
