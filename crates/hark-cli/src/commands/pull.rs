//! `hark pull`: one pass over the sources, through the same pipeline as `hark ingest`.

use std::process::ExitCode;

use hark_app::Caller;
use hark_app::pull::{self, PullRequest, SourceReport};

use crate::commands::EXIT_PARTIAL;
use crate::context::Context;
use crate::output::{print_json, print_table};

pub async fn run(context: &Context, sources: &[String], classify: bool) -> anyhow::Result<ExitCode> {
    let request = PullRequest { sources: sources.to_vec(), classify };
    let response = pull::pull(&context.app, &Caller::local(), &request).await?;
    context.app.close().await;
    if context.json() {
        print_json(&response.sources)?;
    } else {
        print_reports(&response.sources, classify)?;
    }
    Ok(if response.failed() { ExitCode::from(EXIT_PARTIAL) } else { ExitCode::SUCCESS })
}

/// The per-source table of a pass; `scored` adds the complaint and intent counts.
pub(crate) fn print_reports(reports: &[SourceReport], scored: bool) -> anyhow::Result<()> {
    let mut headers = vec!["SOURCE", "KIND", "OUTCOME", "REQUESTS", "PAGES", "NEW", "DUPLICATES", "LINKED", "WAITED"];
    if scored {
        headers.extend(["COMPLAINTS", "INTENT"]);
    }
    headers.push("ERROR");
    let rows: Vec<Vec<String>> = reports
        .iter()
        .map(|r| {
            let mut row = vec![
                r.id.clone(),
                r.kind.clone(),
                r.outcome.clone(),
                r.requests.to_string(),
                r.pages.to_string(),
                r.new.to_string(),
                r.duplicates.to_string(),
                r.linked.to_string(),
                format!("{:.1}s", r.rate_limit_wait_ms as f64 / 1000.0),
            ];
            if scored {
                row.extend([r.complaints.to_string(), r.intents.to_string()]);
            }
            row.push(r.error.clone().unwrap_or_default());
            row
        })
        .collect();
    print_table(&headers, &rows)?;
    Ok(())
}
