//! `hark labels export`: people's triage decisions as labelled JSONL for `hark train`.

use std::io::Write;
use std::process::ExitCode;

use hark_app::{App, Caller};

pub async fn export(app: &App, task: Option<&str>) -> anyhow::Result<ExitCode> {
    let labels = hark_app::labels::export(app, &Caller::local(), task).await?;
    let mut stdout = std::io::stdout().lock();
    for label in &labels {
        serde_json::to_writer(&mut stdout, label)?;
        writeln!(stdout)?;
    }
    if labels.is_empty() {
        eprintln!("no labels yet: dismissing queue items with a reason (\"not a complaint\", ...) writes them");
    }
    Ok(ExitCode::SUCCESS)
}
