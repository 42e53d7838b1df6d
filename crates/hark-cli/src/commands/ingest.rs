//! `hark ingest FILE.jsonl`: mentions from a file, through the same pipeline as `hark pull`.

use std::io::BufReader;
use std::path::Path;
use std::process::ExitCode;

use hark_app::Caller;
use hark_app::ingest::{self, IngestInput, IngestRequest};

use crate::commands::EXIT_PARTIAL;
use crate::context::Context;
use crate::output::print_json;

/// Bad lines printed one by one before the rest are only counted.
const SHOWN_ERRORS: usize = 50;

pub async fn run(
    context: &Context,
    file: &Path,
    source: Option<String>,
    batch_size: usize,
    classify: bool,
) -> anyhow::Result<ExitCode> {
    let input = if file.as_os_str() == "-" {
        IngestInput::Reader { name: "-".to_owned(), reader: Box::new(BufReader::new(std::io::stdin())) }
    } else {
        IngestInput::File(file.to_owned())
    };
    let request = IngestRequest { input, source, batch_size, classify };
    // Bad lines go to stderr as they are found, unless the output is JSON (the report has them).
    let mut progress = context.progress().with_notes(if context.json() { 0 } else { SHOWN_ERRORS });
    let report = ingest::ingest(&context.app, &Caller::local(), request, &mut progress).await;
    context.app.close().await;
    let report = report?;
    if context.json() {
        print_json(&report)?;
    } else {
        if report.skipped > SHOWN_ERRORS {
            eprintln!("... and {} more bad lines", report.skipped - SHOWN_ERRORS);
        }
        println!(
            "{}: {} lines, {} new mentions ({} complaints, {} buying intent), {} already stored, {} skipped",
            report.file, report.lines, report.new, report.complaints, report.intents, report.duplicates, report.skipped
        );
    }
    Ok(if report.skipped > 0 { ExitCode::from(EXIT_PARTIAL) } else { ExitCode::SUCCESS })
}
