//! Mentions from a JSONL file (exports, backfills, tests) through the same pipeline as the
//! pull pass (`hark ingest`).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;

use hark_core::Mention;
use hark_pipeline::mention_file::MentionFile;
use hark_pipeline::{Pipeline, RunHandle};
use serde::Serialize;

use crate::App;
use crate::access::{Caller, Permission};
use crate::error::{AppError, AppResult, Context};
use crate::progress::{Progress, Unit};

/// Where the mentions come from.
pub enum IngestInput {
    File(PathBuf),
    /// An open stream (standard input, an upload); `name` stands for it in messages.
    Reader {
        name: String,
        reader: Box<dyn BufRead + Send>,
    },
}

impl std::fmt::Debug for IngestInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IngestInput::File(path) => f.debug_tuple("File").field(path).finish(),
            IngestInput::Reader { name, .. } => f.debug_struct("Reader").field("name", name).finish_non_exhaustive(),
        }
    }
}

#[derive(Debug)]
pub struct IngestRequest {
    pub input: IngestInput,
    /// File the mentions and the run under this source id (default `ingest`).
    pub source: Option<String>,
    /// Mentions per transaction.
    pub batch_size: usize,
    /// Score new mentions with the local model.
    pub classify: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    pub file: String,
    pub lines: u64,
    pub new: usize,
    pub duplicates: usize,
    /// New mentions flagged as complaints / buying intent.
    pub complaints: usize,
    pub intents: usize,
    pub skipped: usize,
    pub errors: Vec<LineError>,
}

/// A line that was skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    pub line: u64,
    pub message: String,
}

/// Runs every mention of the input through the pipeline, in batches, as one run of the
/// source. Bad lines are skipped and reported (each also to `progress` as a note, as
/// `FILE: line N: why`); an error stops the ingest, keeping what was saved.
pub async fn ingest(
    app: &App,
    caller: &Caller,
    request: IngestRequest,
    progress: &mut dyn Progress,
) -> AppResult<IngestReport> {
    caller.require(Permission::Admin)?;
    let IngestRequest { input, source, batch_size, classify } = request;
    let (name, reader, len): (String, Box<dyn BufRead + Send>, u64) = match input {
        IngestInput::File(path) => {
            let handle = File::open(&path).map_err(|err| {
                AppError::invalid("unreadable_file", format!("opening {}", path.display())).with_source(err)
            })?;
            let len = handle.metadata().map(|meta| meta.len()).unwrap_or(0);
            (path.display().to_string(), Box::new(BufReader::with_capacity(1 << 16, handle)), len)
        }
        IngestInput::Reader { name, reader } => (name, reader, 0),
    };
    let batch_size = batch_size.max(1);
    let pipeline = app.pipeline(classify).await?;
    let source_id = source.unwrap_or_else(|| "ingest".to_owned());
    let mut run = pipeline.start_run(&source_id).await.described()?;
    if len > 0 {
        progress.start("ingesting", len, Unit::Bytes);
    }
    let mut report = IngestReport { file: name.clone(), ..IngestReport::default() };
    let mut batch = Vec::with_capacity(batch_size);

    let mut failure: Option<anyhow::Error> = None;
    for line in MentionFile::new(reader, source_id.clone(), pipeline.clock().now()) {
        let line = match line {
            Ok(line) => line,
            Err(err) => {
                failure = Some(anyhow::Error::new(err).context(format!("reading {name}")));
                break;
            }
        };
        progress.advance(line.bytes_read as u64);
        report.lines = line.number;
        match line.mention {
            Ok(mention) => batch.push(mention),
            Err(message) => {
                progress.note(&format!("{name}: line {}: {message}", line.number));
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
    progress.finish();
    if let Some(err) = failure {
        run.finish(&pipeline, Some(("ingest", format!("{err:#}")))).await.described()?;
        return Err(AppError::internal(
            format!(
                "ingest stopped after {} new mentions; everything saved so far is kept, run it again to continue",
                report.new
            ),
            err,
        ));
    }
    run.finish(&pipeline, None).await.described()?;
    Ok(report)
}

async fn save(
    pipeline: &Pipeline,
    run: &mut RunHandle,
    batch: &mut Vec<Mention>,
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
