//! `hark bench pipeline`: the whole pipeline's throughput on a mention file (parse, dedupe,
//! score, persist with the cursor, match, route, index: what `hark ingest` and `hark run` do
//! to every page), beside the bare encoder on the same texts measured in the same run, so the
//! report says how much of the time the model takes and how much the rest.
//!
//! The pipeline runs on a scratch data directory (removed afterwards) with the default
//! configuration. The input is repeated `copies` times, each copy under other external ids,
//! so that nothing is a duplicate.

use std::path::{Path, PathBuf};
use std::time::Instant;

use hark_classifier::EncoderOptions;
use hark_classifier::classifier::load_default;
use hark_core::Mention;
use hark_pipeline::mention_file::MentionFile;
use serde::Serialize;

use crate::access::{Caller, Permission};
use crate::config::{Config, ConfigOrigin};
use crate::error::{AppError, AppResult, Context};
use crate::{App, AppOptions};

/// The bundled sample's posts, when no file is given.
const BUNDLED: &str = include_str!("../../../sample/mentions.jsonl");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineBenchRequest {
    /// A mention file as `hark ingest` reads it (default: the bundled sample).
    pub input: Option<PathBuf>,
    /// Copies of the input sent through (each under other ids).
    pub copies: usize,
    /// Mentions per page.
    pub page: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PipelineBenchReport {
    pub mentions: usize,
    pub pages: usize,
    pub parse_seconds: f64,
    /// Every page through `process_page`, model included.
    pub pipeline_seconds: f64,
    pub pipeline_mentions_per_second: f64,
    /// The bare encoder (tokenise + ONNX Runtime session) over the same texts.
    pub encoder_seconds: f64,
    pub encoder_texts_per_second: f64,
    /// The pipeline's rate over the encoder's: 1.0 would mean the rest costs nothing.
    pub ratio_to_encoder: f64,
    /// Mentions the pipeline stored (all, when the copies did their job).
    pub stored: i64,
    /// Queue items routing made.
    pub queue_items: i64,
}

pub async fn pipeline(caller: &Caller, request: &PipelineBenchRequest) -> AppResult<PipelineBenchReport> {
    caller.require(Permission::Admin)?;
    let started = Instant::now();
    let original = read_mentions(request.input.as_deref())?;
    if original.is_empty() {
        return Err(AppError::invalid("empty_input", "the mention file holds no readable mentions"));
    }
    let mentions: Vec<Mention> = (0..request.copies.max(1))
        .flat_map(|copy| {
            original.iter().map(move |mention| {
                let mut mention = mention.clone();
                if copy > 0 {
                    mention.external_id = format!("{}~{copy}", mention.external_id);
                    mention.url = mention.url.map(|url| format!("{url}#copy-{copy}"));
                    mention.id = hark_core::MentionId::new(&mention.source_kind, &mention.external_id);
                }
                mention
            })
        })
        .collect();
    let parse_seconds = started.elapsed().as_secs_f64();

    let scratch = std::env::temp_dir().join(format!("hark-bench-pipeline-{}", std::process::id()));
    let options =
        AppOptions { config_path: scratch.join("hark.toml"), config_explicit: false, data_dir: scratch.join("data") };
    let app = App::with_config(options, Config::default(), ConfigOrigin::Default);
    let result = run(&app, mentions, request.page.max(1), parse_seconds).await;
    app.close().await;
    drop(std::fs::remove_dir_all(&scratch));
    result
}

async fn run(app: &App, mentions: Vec<Mention>, page: usize, parse_seconds: f64) -> AppResult<PipelineBenchReport> {
    let texts: Vec<String> = mentions.iter().map(hark_pipeline::classify::text_for).collect();
    let pipeline = app.pipeline(true).await?;
    let count = mentions.len();
    let mut pages = 0;
    let started = Instant::now();
    let mut rest = mentions.into_iter().peekable();
    while rest.peek().is_some() {
        let chunk: Vec<Mention> = rest.by_ref().take(page).collect();
        pages += 1;
        let cursor = format!("page-{pages}");
        pipeline.process_page("bench", chunk, Some(&cursor)).await.described()?;
    }
    if let Some(indexer) = pipeline.indexer() {
        indexer.commit().internal("committing the index")?;
    }
    let pipeline_seconds = started.elapsed().as_secs_f64();
    let store = pipeline.store();
    let stored = store.count_mentions().await.internal("counting mentions")?;
    let queue_items =
        store.queue_counts().await.internal("counting queue items")?.iter().map(|count| count.count).sum();

    // The bare encoder, same texts, same process, after the pipeline (so both run warm).
    let encoder_seconds = tokio::task::spawn_blocking(move || -> anyhow::Result<f64> {
        let mut classifier = load_default(EncoderOptions::default())?;
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        classifier.encoder().embed(&refs[..refs.len().min(64)])?;
        let start = Instant::now();
        classifier.encoder().embed(&refs)?;
        Ok(start.elapsed().as_secs_f64())
    })
    .await
    .internal("the encoder benchmark stopped")?
    .described()?;
    let n = count as f64;
    Ok(PipelineBenchReport {
        mentions: count,
        pages,
        parse_seconds,
        pipeline_seconds,
        pipeline_mentions_per_second: n / pipeline_seconds,
        encoder_seconds,
        encoder_texts_per_second: n / encoder_seconds,
        ratio_to_encoder: encoder_seconds / pipeline_seconds,
        stored,
        queue_items,
    })
}

/// The mentions of a file as `hark ingest` reads them, or of the bundled sample.
fn read_mentions(input: Option<&Path>) -> AppResult<Vec<Mention>> {
    let now = chrono::Utc::now();
    let lines: Box<dyn std::io::BufRead> = match input {
        Some(path) => Box::new(std::io::BufReader::new(
            std::fs::File::open(path)
                .map_err(|err| AppError::invalid("unreadable_input", format!("{}: {err}", path.display())))?,
        )),
        None => Box::new(BUNDLED.as_bytes()),
    };
    let mut mentions = Vec::new();
    for line in MentionFile::new(lines, "bench".to_owned(), now) {
        let line = line.internal("reading the mention file")?;
        match line.mention {
            Ok(mention) => mentions.push(mention),
            Err(message) => tracing::warn!(line = line.number, %message, "skipped a line"),
        }
    }
    Ok(mentions)
}
