//! `hark status`: what hark holds and how each source is doing.

use std::collections::BTreeMap;
use std::process::ExitCode;

use hark_core::{Queue, QueueState, Run};
use serde::Serialize;

use crate::config::ConfigOrigin;
use crate::context::AppContext;
use crate::output::{print_json, print_table, thousands};

#[derive(Debug, Serialize)]
struct Status {
    mentions: i64,
    customers: i64,
    /// queue → state → count, every queue and state present.
    queues: BTreeMap<&'static str, BTreeMap<&'static str, i64>>,
    /// Customer matches by state: auto, proposed (waiting for a person), confirmed, rejected.
    matches: BTreeMap<&'static str, i64>,
    sources: Vec<SourceStatus>,
}

#[derive(Debug, Serialize)]
struct SourceStatus {
    id: String,
    /// `null` for mentions filed by `hark ingest` under a name with no configured source.
    kind: Option<String>,
    configured: bool,
    mentions: i64,
    last_run: Option<Run>,
    outcome: Option<&'static str>,
    gaps: i64,
}

pub async fn run(context: &AppContext) -> anyhow::Result<ExitCode> {
    let store = context.store().await?;
    let mut queues: BTreeMap<&'static str, BTreeMap<&'static str, i64>> = Queue::ALL
        .iter()
        .map(|queue| (queue.as_str(), QueueState::ALL.iter().map(|state| (state.as_str(), 0)).collect()))
        .collect();
    for count in store.queue_counts().await? {
        queues.entry(count.queue.as_str()).or_default().insert(count.state.as_str(), count.count);
    }

    let sources = super::sources::overview(context, &store, false)
        .await?
        .into_iter()
        .map(|source| SourceStatus {
            id: source.id,
            kind: source.kind,
            configured: source.configured,
            mentions: source.mentions,
            last_run: source.last_run,
            outcome: source.outcome,
            gaps: source.open_gaps,
        })
        .collect();
    let mut matches: BTreeMap<&'static str, i64> =
        ["auto", "proposed", "confirmed", "rejected"].into_iter().map(|state| (state, 0)).collect();
    for (state, count) in store.count_matches_by_state().await? {
        if let Some(slot) = matches.iter_mut().find(|(known, _)| **known == state) {
            *slot.1 = count;
        }
    }
    let status = Status {
        mentions: store.count_mentions().await?,
        customers: store.count_customers().await?,
        queues,
        matches,
        sources,
    };
    store.close().await;

    if context.global.json {
        print_json(&status)?;
        return Ok(ExitCode::SUCCESS);
    }
    let config_note = match context.config_origin {
        ConfigOrigin::File => String::new(),
        ConfigOrigin::Default => " (not found: `hark init` writes one)".to_owned(),
    };
    println!("config     {}{config_note}", context.global.config_path().display());
    println!("data dir   {}", context.global.data_dir.display());
    println!("mentions   {}", thousands(status.mentions));
    println!("customers  {}", thousands(status.customers));
    let m = &status.matches;
    println!(
        "matches    {} automatic, {} confirmed, {} proposed (waiting: `hark match list --state proposed`), {} rejected",
        m["auto"], m["confirmed"], m["proposed"], m["rejected"]
    );
    for (queue, states) in &status.queues {
        let open: i64 = ["new", "assigned", "contacted"].iter().map(|state| states[state]).sum();
        let detail: Vec<String> =
            states.iter().filter(|(_, n)| **n > 0).map(|(state, n)| format!("{state} {n}")).collect();
        let detail = if detail.is_empty() { String::new() } else { format!("  ({})", detail.join(", ")) };
        println!("{queue:<10} {open} open{detail}");
    }
    println!();
    if status.sources.is_empty() {
        println!(
            "no sources yet: add [[sources]] to {}, or `hark ingest FILE.jsonl`",
            context.global.config_path().display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = status
        .sources
        .iter()
        .map(|source| {
            let last_run = source
                .last_run
                .as_ref()
                .map_or_else(|| "never".to_owned(), |run| run.started_at.format("%Y-%m-%d %H:%M UTC").to_string());
            vec![
                source.id.clone(),
                source.kind.clone().unwrap_or_else(|| "-".to_owned()),
                thousands(source.mentions),
                last_run,
                source.outcome.unwrap_or("-").to_owned(),
                source.gaps.to_string(),
            ]
        })
        .collect();
    print_table(&["SOURCE", "KIND", "MENTIONS", "LAST RUN", "OUTCOME", "GAPS"], &rows)?;
    Ok(ExitCode::SUCCESS)
}
