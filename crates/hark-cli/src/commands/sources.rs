//! `hark sources`: each source's coverage: last run, mentions, cursor, and the windows in
//! which it failed or was throttled (coverage gaps), with whether a later clean run read them.
//! Also the per-source aggregation `hark status` shows in short.

use std::collections::BTreeMap;
use std::process::ExitCode;

use hark_core::Run;
use hark_store::{CoverageGap, Store};
use serde::Serialize;

use crate::context::AppContext;
use crate::output::{print_json, print_table, thousands};

/// Gaps listed per source at most (the count covers all).
const GAPS_SHOWN: i64 = 20;

#[derive(Debug, Serialize)]
pub(crate) struct SourceOverview {
    pub id: String,
    /// `null` for mentions filed by `hark ingest` under a name with no configured source.
    pub kind: Option<String>,
    pub configured: bool,
    pub interval: Option<String>,
    pub mentions: i64,
    /// Whether a cursor is saved (the next pass resumes from it).
    pub cursor: bool,
    pub last_run: Option<Run>,
    pub outcome: Option<&'static str>,
    /// Failed or partial runs since the last clean one.
    pub open_gaps: i64,
    pub gaps: Vec<GapView>,
}

#[derive(Debug, Serialize)]
pub(crate) struct GapView {
    pub run_id: i64,
    pub from: chrono::DateTime<chrono::Utc>,
    pub to: chrono::DateTime<chrono::Utc>,
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

/// Every configured source, plus source ids that only appear in the store.
pub(crate) async fn overview(
    context: &AppContext,
    store: &Store,
    with_gaps: bool,
) -> anyhow::Result<Vec<SourceOverview>> {
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
    for source in &context.config.sources {
        let mut entry = blank(&source.id);
        entry.kind = Some(source.kind.clone());
        entry.configured = true;
        entry.interval.clone_from(&source.interval);
        sources.insert(source.id.clone(), entry);
    }
    for (source_id, count) in store.count_mentions_by_source().await? {
        sources.entry(source_id.clone()).or_insert_with(|| blank(&source_id)).mentions = count;
    }
    for summary in store.source_run_summaries().await? {
        let entry = sources.entry(summary.source_id.clone()).or_insert_with(|| blank(&summary.source_id));
        entry.outcome = summary.last_run.as_ref().map(|run| run.outcome.as_str());
        entry.last_run = summary.last_run;
        entry.open_gaps = summary.open_gaps;
    }
    for entry in sources.values_mut() {
        entry.cursor = store.cursor(&entry.id).await?.is_some();
        if with_gaps {
            entry.gaps = store.coverage_gaps(&entry.id, GAPS_SHOWN).await?.into_iter().map(GapView::from).collect();
        }
    }
    Ok(sources.into_values().collect())
}

pub async fn run(context: &AppContext) -> anyhow::Result<ExitCode> {
    let store = context.store().await?;
    let sources = overview(context, &store, true).await?;
    store.close().await;
    if context.global.json {
        print_json(&sources)?;
        return Ok(ExitCode::SUCCESS);
    }
    if sources.is_empty() {
        println!("no sources yet: add [[sources]] to {}", context.global.config_path().display());
        return Ok(ExitCode::SUCCESS);
    }
    let time = |at: &chrono::DateTime<chrono::Utc>| at.format("%Y-%m-%d %H:%M:%S").to_string();
    let rows: Vec<Vec<String>> = sources
        .iter()
        .map(|source| {
            vec![
                source.id.clone(),
                source.kind.clone().unwrap_or_else(|| "-".to_owned()),
                source.interval.clone().unwrap_or_else(|| "-".to_owned()),
                thousands(source.mentions),
                source.last_run.as_ref().map_or_else(|| "never".to_owned(), |run| time(&run.started_at)),
                source.outcome.unwrap_or("-").to_owned(),
                source.open_gaps.to_string(),
            ]
        })
        .collect();
    print_table(&["SOURCE", "KIND", "INTERVAL", "MENTIONS", "LAST RUN (UTC)", "OUTCOME", "OPEN GAPS"], &rows)?;
    let gaps: Vec<Vec<String>> = sources
        .iter()
        .flat_map(|source| {
            source.gaps.iter().map(|gap| {
                vec![
                    source.id.clone(),
                    time(&gap.from),
                    time(&gap.to),
                    gap.state.to_owned(),
                    gap.error_kind.clone().unwrap_or_default(),
                    gap.error.clone().unwrap_or_default(),
                ]
            })
        })
        .collect();
    if !gaps.is_empty() {
        println!();
        print_table(&["SOURCE", "GAP FROM", "TO", "STATE", "KIND", "ERROR"], &gaps)?;
    }
    Ok(ExitCode::SUCCESS)
}
