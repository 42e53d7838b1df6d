//! `hark status`: what hark holds and how each source is doing.

use std::process::ExitCode;

use hark_app::{Caller, ConfigOrigin, status};

use crate::context::Context;
use crate::output::{print_json, print_table, thousands};

pub async fn run(context: &Context) -> anyhow::Result<ExitCode> {
    let status = status::status(&context.app, &Caller::local()).await?;
    context.app.close().await;
    if context.json() {
        print_json(&status)?;
        return Ok(ExitCode::SUCCESS);
    }
    let config_note = match context.app.config_origin() {
        ConfigOrigin::File => String::new(),
        ConfigOrigin::Default => " (not found: `hark init` writes one)".to_owned(),
    };
    println!("config     {}{config_note}", context.global.config_path().display());
    println!("data dir   {}", context.global.data_dir.display());
    println!("mentions   {}", thousands(status.mentions));
    if !status.not_scored_language.is_empty() {
        let counts: Vec<String> =
            status.not_scored_language.iter().map(|(lang, n)| format!("{lang} {}", thousands(*n))).collect();
        println!("           not scored (language): {} (only English is scored)", counts.join(", "));
    }
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
