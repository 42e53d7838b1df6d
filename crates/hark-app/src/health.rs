//! Whether this hark can serve (`/readyz`), and the figures `/metrics` reads from the store.
//!
//! Ready means: the store opens and answers; the model is loaded when this process scores
//! (`hark run`); the index has caught up with the store (within [`INDEX_LAG_READY`]
//! mentions). Failing sources do not make hark unready (the rest still works, and an
//! orchestrator restarting it would not mend a source): they are listed in the details, with
//! the status `degraded`.

use serde::Serialize;

use crate::error::{AppResult, Context};
use crate::{App, Scoring};

/// Mentions the index may trail the store by and still count as caught up (pages are
/// indexed as they are saved; a restore or a `hark reindex` in progress trails by more).
pub const INDEX_LAG_READY: i64 = 1000;

#[derive(Debug, Clone, Serialize)]
pub struct Readiness {
    /// `ok`, `degraded` (ready, with failing sources) or `unavailable` (not ready).
    pub status: &'static str,
    pub mentions: i64,
    pub checks: Checks,
    /// Sources whose last pass failed, or that have open coverage gaps.
    pub failing_sources: Vec<FailingSource>,
}

impl Readiness {
    pub fn ready(&self) -> bool {
        self.status != "unavailable"
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Checks {
    pub store: Check,
    pub model: Check,
    pub index: Check,
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub ok: bool,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FailingSource {
    pub id: String,
    pub outcome: Option<&'static str>,
    pub error_kind: Option<String>,
    pub error: Option<String>,
    pub open_gaps: i64,
}

/// `Ok` when the store answers a query (`hark serve` checks this before listening).
pub async fn ready(app: &App) -> AppResult<Readiness> {
    let store = app.store().await.internal("opening the store")?;
    let mentions = store.count_mentions().await.internal("querying the store")?;
    let store_check = Check { ok: true, detail: format!("{mentions} mentions") };
    let model = match app.scoring() {
        Scoring::Loading => Check { ok: false, detail: "loading".to_owned() },
        Scoring::Scoring => Check { ok: true, detail: "loaded; new mentions are scored".to_owned() },
        Scoring::Unscored => {
            Check { ok: true, detail: "not used: new mentions are stored unscored (--no-classify)".to_owned() }
        }
        Scoring::NotRunning => {
            Check { ok: true, detail: "not needed: this process serves and does not run the pipeline".to_owned() }
        }
    };
    let index = index_check(app).await?;
    let failing_sources: Vec<FailingSource> = crate::sources::collect(app, store, false)
        .await?
        .into_iter()
        .filter(|source| source.open_gaps > 0 || matches!(source.outcome, Some("failed" | "partial")))
        .map(|source| FailingSource {
            outcome: source.outcome,
            error_kind: source.last_run.as_ref().and_then(|run| run.error_kind.clone()),
            error: source.last_run.as_ref().and_then(|run| run.error.clone()),
            open_gaps: source.open_gaps,
            id: source.id,
        })
        .collect();
    let status = if !(store_check.ok && model.ok && index.ok) {
        "unavailable"
    } else if failing_sources.is_empty() {
        "ok"
    } else {
        "degraded"
    };
    Ok(Readiness { status, mentions, checks: Checks { store: store_check, model, index }, failing_sources })
}

async fn index_check(app: &App) -> AppResult<Check> {
    Ok(match index_lag(app).await? {
        Ok(lag) => Check {
            ok: lag <= INDEX_LAG_READY,
            detail: if lag == 0 {
                "caught up".to_owned()
            } else {
                format!("{lag} mentions behind the store (ready within {INDEX_LAG_READY})")
            },
        },
        Err(detail) => Check { ok: false, detail },
    })
}

/// Mentions stored but not yet in the index; `Err` says why the index cannot be read.
async fn index_lag(app: &App) -> AppResult<Result<i64, String>> {
    let store = app.store().await.internal("opening the store")?;
    let stored = store.max_inserted_seq().await.internal("reading the store")?;
    let dir = app.index_dir();
    let indexed = match app.opened_indexer() {
        Some(indexer) => indexer.indexed_seq(),
        // Nothing indexed yet.
        None if !dir.exists() => 0,
        // Another process (or none yet) writes the index: read what was committed.
        None => match hark_index::mentions::MentionIndex::open(&dir) {
            Ok(index) => index.indexed_seq().unwrap_or(0),
            Err(err) => return Ok(Err(format!("cannot open the index: {err}"))),
        },
    };
    Ok(Ok((stored - indexed).max(0)))
}

/// Figures `/metrics` reads from the store at each scrape (counters kept in memory cannot say
/// what is stored).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StoreFigures {
    pub mentions: i64,
    /// (queue, state, items).
    pub queue_items: Vec<(&'static str, &'static str, i64)>,
    /// (source, open coverage gaps).
    pub coverage_gaps: Vec<(String, i64)>,
    /// (source, 1 when its last pass failed, else 0).
    pub source_failing: Vec<(String, i64)>,
    pub dead_letters: i64,
    pub index_lag: i64,
}

pub async fn store_figures(app: &App) -> AppResult<StoreFigures> {
    let store = app.store().await.internal("opening the store")?;
    let mut figures = StoreFigures {
        mentions: store.count_mentions().await.internal("counting mentions")?,
        dead_letters: store.count_dead_letters().await.internal("counting dead letters")?,
        ..StoreFigures::default()
    };
    for queue in hark_core::Queue::ALL {
        for state in hark_core::QueueState::ALL {
            figures.queue_items.push((queue.as_str(), state.as_str(), 0));
        }
    }
    for count in store.queue_counts().await.internal("counting queue items")? {
        if let Some(slot) = figures
            .queue_items
            .iter_mut()
            .find(|(queue, state, _)| *queue == count.queue.as_str() && *state == count.state.as_str())
        {
            slot.2 = count.count;
        }
    }
    for source in crate::sources::collect(app, store, false).await? {
        figures
            .source_failing
            .push((source.id.clone(), i64::from(matches!(source.outcome, Some("failed" | "partial")))));
        figures.coverage_gaps.push((source.id, source.open_gaps));
    }
    // An index that cannot be read trails by everything stored.
    figures.index_lag = index_lag(app).await?.unwrap_or(figures.mentions);
    Ok(figures)
}
