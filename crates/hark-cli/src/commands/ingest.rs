//! `hark ingest FILE.jsonl`: mentions from a file, through the same pipeline as `hark pull`.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use hark_pipeline::mention_file::MentionFile;
use serde::Serialize;

use crate::commands::EXIT_PARTIAL;
use crate::context::AppContext;
use crate::output::{file_progress, print_json};

/// Bad lines printed one by one before the rest are only counted.
const SHOWN_ERRORS: usize = 50;

#[derive(Debug, Default, Serialize)]
struct IngestReport {
    file: String,
    lines: u64,
    new: usize,
    duplicates: usize,
    /// New mentions flagged as complaints / buying intent.
    complaints: usize,
    intents: usize,
    skipped: usize,
    errors: Vec<LineError>,
}

#[derive(Debug, Serialize)]
struct LineError {
    line: u64,
    message: String,
}

pub async fn run(
    context: &AppContext,
    file: &Path,
    source: Option<String>,
    batch_size: usize,
    classify: bool,
) -> anyhow::Result<ExitCode> {
    let (reader, len): (Box<dyn BufRead>, u64) = if file.as_os_str() == "-" {
        (Box::new(BufReader::new(std::io::stdin())), 0)
    } else {
        let handle = File::open(file).with_context(|| format!("opening {}", file.display()))?;
        let len = handle.metadata().map(|meta| meta.len()).unwrap_or(0);
        (Box::new(BufReader::with_capacity(1 << 16, handle)), len)
    };
    let pipeline = context.pipeline(classify).await?;
    let source_id = source.unwrap_or_else(|| "ingest".to_owned());
    let mut run = pipeline.start_run(&source_id).await?;
    let progress = file_progress(len, "ingesting", context.show_progress() && len > 0);
    let mut report = IngestReport { file: file.display().to_string(), ..IngestReport::default() };
    let mut batch = Vec::with_capacity(batch_size);

    let mut failure = None;
    for line in MentionFile::new(reader, source_id.clone(), pipeline.clock().now()) {
        let line = match line {
            Ok(line) => line,
            Err(err) => {
                failure = Some(anyhow::Error::new(err).context(format!("reading {}", file.display())));
                break;
            }
        };
        progress.inc(line.bytes_read as u64);
        report.lines = line.number;
        match line.mention {
            Ok(mention) => batch.push(mention),
            Err(message) => {
                if report.errors.len() < SHOWN_ERRORS && !context.global.json {
                    progress.suspend(|| {
                        eprintln!("{}: line {}: {message}", file.display(), line.number);
                    });
                }
                report.skipped += 1;
                report.errors.push(LineError { line: line.number, message });
            }
        }
        if batch.len() >= batch_size {
            if let Err(err) = save(&pipeline, &mut run, &mut batch, &mut report).await {
                failure = Some(err);
                break;
            }
        }
    }
    if failure.is_none() && !batch.is_empty() {
        failure = save(&pipeline, &mut run, &mut batch, &mut report).await.err();
    }
    progress.finish_and_clear();
    if let Some(err) = failure {
        run.finish(&pipeline, Some(("ingest", format!("{err:#}")))).await?;
        return Err(err.context(format!(
            "ingest stopped after {} new mentions; everything saved so far is kept, run it again to continue",
            report.new
        )));
    }
    run.finish(&pipeline, None).await?;
    pipeline.store().close().await;

    if context.global.json {
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

async fn save(
    pipeline: &hark_pipeline::Pipeline,
    run: &mut hark_pipeline::RunHandle,
    batch: &mut Vec<hark_core::Mention>,
    report: &mut IngestReport,
) -> anyhow::Result<()> {
    let mentions = std::mem::take(batch);
    // A file has no cursor: re-ingesting is safe because saving is idempotent.
    let source_id = run.run().source_id.clone();
    let outcome = pipeline.process_page(&source_id, mentions, None).await?;
    run.record_page(&outcome);
    report.new += outcome.new_mentions.len();
    report.duplicates += outcome.duplicates;
    report.complaints += outcome.complaints;
    report.intents += outcome.intents;
    Ok(())
}
