//! Coverage per source: last run, mentions, cursor, and the windows in which it failed or was
//! throttled (coverage gaps), with whether a later clean run read them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use hark_core::Run;
use hark_store::{CoverageGap, Store};
use serde::Serialize;
use utoipa::ToSchema;

use crate::App;
use crate::access::{Caller, Permission};
use crate::error::{AppResult, Context};

/// Gaps listed per source at most (the count covers all).
pub const GAPS_SHOWN: i64 = 20;

/// One source: configured, or only named by stored mentions (`hark ingest --source`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SourceOverview {
    pub id: String,
    /// `null` for mentions filed by `hark ingest` under a name with no configured source.
    pub kind: Option<String>,
    pub configured: bool,
    pub interval: Option<String>,
    pub mentions: i64,
    /// Whether a cursor is saved (the next pass resumes from it).
    pub cursor: bool,
    #[schema(value_type = Option<Object>)]
    pub last_run: Option<Run>,
    pub outcome: Option<&'static str>,
    /// Failed or partial runs since the last clean one.
    pub open_gaps: i64,
    pub gaps: Vec<GapView>,
}

/// A window a source failed or was throttled in.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GapView {
    pub run_id: i64,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub outcome: &'static str,
    pub error_kind: Option<String>,
    pub error: Option<String>,
    /// `open` until a clean run follows; then `refetched` (the cursor had not moved past the
    /// window, so that run read it, as far back as the source keeps posts).
    pub state: &'static str,
    pub refetched_by: Option<i64>,
}

impl From<CoverageGap> for GapView {
    fn from(gap: CoverageGap) -> Self {
        Self {
            run_id: gap.run_id,
            from: gap.from,
            to: gap.to,
            outcome: gap.outcome.as_str(),
            error_kind: gap.error_kind,
            error: gap.error,
            state: if gap.refetched_by.is_some() { "refetched" } else { "open" },
            refetched_by: gap.refetched_by,
        }
    }
}

/// Every configured source, plus source ids that only appear in the store, with their
/// latest coverage gaps.
pub async fn sources(app: &App, caller: &Caller) -> AppResult<Vec<SourceOverview>> {
    overview(app, caller, true).await
}

/// [`sources`], with the gaps themselves only when `with_gaps` (their count always).
pub async fn overview(app: &App, caller: &Caller, with_gaps: bool) -> AppResult<Vec<SourceOverview>> {
    caller.require(Permission::ReadPublic)?;
    collect(app, app.store().await?, with_gaps).await
}

pub(crate) async fn collect(app: &App, store: &Store, with_gaps: bool) -> AppResult<Vec<SourceOverview>> {
    let blank = |id: &str| SourceOverview {
        id: id.to_owned(),
        kind: None,
        configured: false,
        interval: None,
        mentions: 0,
        cursor: false,
        last_run: None,
        outcome: None,
        open_gaps: 0,
        gaps: Vec::new(),
    };
    let mut sources: BTreeMap<String, SourceOverview> = BTreeMap::new();
    for source in &app.config().sources {
        let mut entry = blank(&source.id);
        entry.kind = Some(source.kind.clone());
        entry.configured = true;
        entry.interval.clone_from(&source.interval);
        sources.insert(source.id.clone(), entry);
    }
    for (source_id, count) in store.count_mentions_by_source().await.internal("counting mentions by source")? {
        sources.entry(source_id.clone()).or_insert_with(|| blank(&source_id)).mentions = count;
    }
    for summary in store.source_run_summaries().await.internal("reading the run ledger")? {
        let entry = sources.entry(summary.source_id.clone()).or_insert_with(|| blank(&summary.source_id));
        entry.outcome = summary.last_run.as_ref().map(|run| run.outcome.as_str());
        entry.last_run = summary.last_run;
        entry.open_gaps = summary.open_gaps;
    }
    for entry in sources.values_mut() {
        entry.cursor = store.cursor(&entry.id).await.internal("reading a cursor")?.is_some();
        if with_gaps {
            entry.gaps = store
                .coverage_gaps(&entry.id, GAPS_SHOWN)
                .await
                .internal("reading coverage gaps")?
                .into_iter()
                .map(GapView::from)
                .collect();
        }
    }
    Ok(sources.into_values().collect())
}
