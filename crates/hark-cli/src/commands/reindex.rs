//! `hark reindex`: rebuilds the mention index from the store.

use std::process::ExitCode;
use std::time::Instant;

use hark_index::mentions::{CommitPolicy, Indexer};
use serde_json::json;

use crate::context::AppContext;
use crate::output::{count_progress, print_json};

pub async fn run(context: &AppContext) -> anyhow::Result<ExitCode> {
    let store = context.store().await?;
    let started = Instant::now();
    let dir = context.index_dir();
    // Bulk: commit by size, not every second.
    let policy = CommitPolicy { interval: std::time::Duration::from_secs(3600), ..CommitPolicy::default() };
    let indexer = Indexer::recreate(&dir, policy)?;
    let total = store.max_inserted_seq().await?;
    let bar = count_progress(u64::try_from(total).unwrap_or(0), "indexing", context.show_progress());
    let indexed = indexer.catch_up(&store, |progress| bar.set_position(progress.indexed)).await?;
    indexer.commit()?;
    bar.finish_and_clear();
    store.close().await;
    let seconds = started.elapsed().as_secs_f64();
    if context.global.json {
        print_json(&json!({"indexed": indexed, "seconds": seconds, "path": dir.display().to_string()}))?;
    } else {
        println!("indexed {indexed} mentions in {seconds:.1} s ({})", dir.display());
    }
    Ok(ExitCode::SUCCESS)
}
