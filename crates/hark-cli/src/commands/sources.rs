//! `hark sources`: each source's coverage: last run, mentions, cursor, and the windows in
//! which it failed or was throttled (coverage gaps), with whether a later clean run read them.

use std::process::ExitCode;

use hark_app::{Caller, sources};

use crate::context::Context;
use crate::output::{print_json, print_table, thousands};

pub async fn run(context: &Context) -> anyhow::Result<ExitCode> {
    let sources = sources::sources(&context.app, &Caller::local()).await?;
    context.app.close().await;
    if context.json() {
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
