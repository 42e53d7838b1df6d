//! Rebuilding the mention index from the store (`hark reindex`).

use std::time::{Duration, Instant};

use hark_index::mentions::{CommitPolicy, Indexer};
use hark_pipeline::index_feed::StoreFeed;
use serde::Serialize;

use crate::App;
use crate::access::{Caller, Permission};
use crate::error::{AppResult, Context};
use crate::progress::{Progress, Unit};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReindexReport {
    /// Documents written.
    pub indexed: u64,
    pub seconds: f64,
    /// Where the index lives.
    pub path: String,
}

/// Deletes the mention index and builds it again from the store, reporting mentions indexed
/// to `progress`. Fails while another hark process writes the index.
pub async fn reindex(app: &App, caller: &Caller, progress: &mut dyn Progress) -> AppResult<ReindexReport> {
    caller.require(Permission::Admin)?;
    let store = app.store().await?;
    let started = Instant::now();
    let dir = app.index_dir();
    // Bulk: commit by size, not every second.
    let policy = CommitPolicy { interval: Duration::from_secs(3600), ..CommitPolicy::default() };
    let indexer = Indexer::recreate(&dir, policy).described()?;
    let total = store.max_inserted_seq().await.internal("reading the store")?;
    progress.start("indexing", u64::try_from(total).unwrap_or(0), Unit::Items);
    let indexed = indexer.catch_up(&StoreFeed(store), |done| progress.set(done.indexed)).await;
    progress.finish();
    let indexed = indexed.described()?;
    indexer.commit().described()?;
    Ok(ReindexReport { indexed, seconds: started.elapsed().as_secs_f64(), path: dir.display().to_string() })
}
