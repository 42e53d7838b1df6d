//! `hark bench pipeline`: the whole pipeline's throughput on a mention file (parse, dedupe,
//! score, persist with the cursor, match, route, index: what `hark ingest` and `hark run` do
//! to every page), beside the bare encoder on the same texts measured in the same run, so the
//! report says how much of the time the model takes and how much the rest.
//!
//! Two ways through are timed, each on its own scratch data directory (removed afterwards)
//! with the default configuration:
//! - **staged**, what `hark run` does: pages go through the score and commit stages
//!   ([`hark_pipeline::service::spawn_stages`], the service's default channel and batch sizes
//!   unless the request names others),
//!   so the model scores batches that span pages while earlier pages are saved;
//! - **page by page**, what `hark ingest` does: each page scored, then saved, in turn.
//!
//! The input is repeated `copies` times, each copy under other external ids, so that nothing
//! is a duplicate.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use hark_classifier::EncoderOptions;
use hark_classifier::classifier::load_default;
use hark_core::Mention;
use hark_pipeline::Pipeline;
use hark_pipeline::mention_file::MentionFile;
use hark_pipeline::pull::PageJob;
use hark_pipeline::service::{ServiceOptions, spawn_stages};
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
    /// The staged way: texts the score stage takes together at most (default: the service's).
    pub batch_texts: Option<usize>,
    /// The staged way: pages waiting between stages at most (default: the service's).
    pub channel_pages: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PipelineBenchReport {
    pub mentions: usize,
    pub pages: usize,
    /// The staged way's score batches (texts at most) and channels (pages at most).
    pub batch_texts: usize,
    pub channel_pages: usize,
    pub parse_seconds: f64,
    /// Every page through the score and commit stages (`hark run`'s path), model included.
    pub pipeline_seconds: f64,
    pub pipeline_mentions_per_second: f64,
    /// Every page through `process_page` in turn (`hark ingest`'s path), model included.
    pub page_by_page_seconds: f64,
    pub page_by_page_mentions_per_second: f64,
    /// Of the page-by-page seconds: preparing pages (dedupe, language, which are stored).
    pub page_by_page_prepare_seconds: f64,
    /// Of the page-by-page seconds: scoring (tokeniser, encoder, heads).
    pub page_by_page_score_seconds: f64,
    /// Of the page-by-page seconds: committing (persist with the cursor, match, route, index).
    pub page_by_page_commit_seconds: f64,
    /// The bare encoder (tokenise + ONNX Runtime session) over the same texts.
    pub encoder_seconds: f64,
    pub encoder_texts_per_second: f64,
    /// The staged pipeline's rate over the encoder's: 1.0 would mean the rest costs nothing.
    pub ratio_to_encoder: f64,
    /// The page-by-page rate over the encoder's.
    pub page_by_page_ratio_to_encoder: f64,
    /// Start-up: from nothing loaded to a pipeline ready to take pages (the encoder, the
    /// heads, the store, the index), as `hark run` starts.
    pub startup_seconds: f64,
    /// Peak resident memory of the whole benchmark process, in MiB.
    pub peak_rss_mb: f64,
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

    let texts: Vec<String> = mentions.iter().map(hark_pipeline::classify::text_for).collect();
    let page = request.page.max(1);
    let defaults = ServiceOptions::default();
    let sizes = Sizes {
        batch_texts: request.batch_texts.unwrap_or(defaults.batch_texts).max(1),
        channel_pages: request.channel_pages.unwrap_or(defaults.channel_pages).max(1),
    };
    let staged = in_scratch("staged", |app| staged(app, mentions.clone(), page, sizes)).await?;
    let page_by_page = in_scratch("pages", |app| page_by_page(app, mentions, page)).await?;
    if (page_by_page.stored, page_by_page.queue_items) != (staged.stored, staged.queue_items) {
        return Err(AppError::internal(
            "comparing the two ways through",
            anyhow::anyhow!(
                "staged stored {} and routed {}, page by page stored {} and routed {}",
                staged.stored,
                staged.queue_items,
                page_by_page.stored,
                page_by_page.queue_items
            ),
        ));
    }
    let encoder_seconds = bare_encoder(texts).await?;
    let n = staged.mentions as f64;
    Ok(PipelineBenchReport {
        mentions: staged.mentions,
        pages: staged.pages,
        batch_texts: sizes.batch_texts,
        channel_pages: sizes.channel_pages,
        parse_seconds,
        pipeline_seconds: staged.seconds,
        pipeline_mentions_per_second: n / staged.seconds,
        page_by_page_seconds: page_by_page.seconds,
        page_by_page_mentions_per_second: n / page_by_page.seconds,
        page_by_page_prepare_seconds: page_by_page.split.unwrap_or_default()[0],
        page_by_page_score_seconds: page_by_page.split.unwrap_or_default()[1],
        page_by_page_commit_seconds: page_by_page.split.unwrap_or_default()[2],
        encoder_seconds,
        encoder_texts_per_second: n / encoder_seconds,
        ratio_to_encoder: encoder_seconds / staged.seconds,
        page_by_page_ratio_to_encoder: encoder_seconds / page_by_page.seconds,
        startup_seconds: staged.startup_seconds,
        peak_rss_mb: crate::bench::peak_rss_mb(),
        stored: staged.stored,
        queue_items: staged.queue_items,
    })
}

/// The staged way's batch and channel sizes.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    batch_texts: usize,
    channel_pages: usize,
}

/// One timed way through, and what it left in the store.
struct Pass {
    /// From nothing loaded to a ready pipeline.
    startup_seconds: f64,
    mentions: usize,
    pages: usize,
    seconds: f64,
    stored: i64,
    queue_items: i64,
    /// Page by page: seconds preparing (dedupe, language, lookup), scoring, and committing
    /// (persist, match, route, index).
    split: Option<[f64; 3]>,
}

/// Runs `pass` on an app over a scratch data directory of its own, removed afterwards.
async fn in_scratch<F, Fut>(name: &str, pass: F) -> AppResult<Pass>
where
    F: FnOnce(App) -> Fut,
    Fut: Future<Output = AppResult<(App, Pass)>>,
{
    let scratch = std::env::temp_dir().join(format!("hark-bench-pipeline-{}-{name}", std::process::id()));
    drop(std::fs::remove_dir_all(&scratch));
    let options =
        AppOptions { config_path: scratch.join("hark.toml"), config_explicit: false, data_dir: scratch.join("data") };
    let app = App::with_config(options, Config::default(), ConfigOrigin::Default);
    let result = match pass(app).await {
        Ok((app, pass)) => {
            app.close().await;
            Ok(pass)
        }
        Err(err) => Err(err),
    };
    drop(std::fs::remove_dir_all(&scratch));
    result
}

fn pages_of(mentions: Vec<Mention>, page: usize) -> Vec<Vec<Mention>> {
    let mut rest = mentions.into_iter().peekable();
    let mut pages = Vec::new();
    while rest.peek().is_some() {
        pages.push(rest.by_ref().take(page).collect());
    }
    pages
}

/// `hark run`'s way: the score and commit stages, every page answered before the clock stops.
async fn staged(app: App, mentions: Vec<Mention>, page: usize, sizes: Sizes) -> AppResult<(App, Pass)> {
    let loading = Instant::now();
    let pipeline = Arc::new(app.pipeline(true).await?);
    let startup_seconds = loading.elapsed().as_secs_f64();
    let count = mentions.len();
    let pages = pages_of(mentions, page);
    let started = Instant::now();
    let (jobs, stages) = spawn_stages(Arc::clone(&pipeline), sizes.channel_pages, sizes.batch_texts);
    let sender = tokio::spawn(async move {
        let mut answers = Vec::new();
        for (number, mentions) in pages.into_iter().enumerate() {
            let (reply, answer) = tokio::sync::oneshot::channel();
            let cursor = Some(format!("page-{}", number + 1));
            let job = PageJob { source_id: "bench".to_owned(), run_id: 0, mentions, cursor, reply };
            if jobs.send(job).await.is_err() {
                break;
            }
            answers.push(answer);
        }
        answers
    });
    let answers = sender.await.internal("the page sender stopped")?;
    let pages = answers.len();
    for answer in answers {
        answer.await.internal("a pipeline stage stopped")?.described()?;
    }
    stages.await.internal("a pipeline stage stopped")?;
    let pass = finish(&pipeline, count, pages, started, startup_seconds).await?;
    Ok((app, pass))
}

/// `hark ingest`'s way: each page through `process_page` in turn.
async fn page_by_page(app: App, mentions: Vec<Mention>, page: usize) -> AppResult<(App, Pass)> {
    let loading = Instant::now();
    let pipeline = app.pipeline(true).await?;
    let startup_seconds = loading.elapsed().as_secs_f64();
    let count = mentions.len();
    let started = Instant::now();
    let mut pages = 0;
    let mut split = [0.0; 3];
    for chunk in pages_of(mentions, page) {
        pages += 1;
        let cursor = format!("page-{pages}");
        // The three steps of `process_page`, each timed.
        let step = Instant::now();
        let mut prepared = pipeline.prepare_page("bench", chunk).await.described()?;
        split[0] += step.elapsed().as_secs_f64();
        let step = Instant::now();
        pipeline.score_pages(std::slice::from_mut(&mut prepared)).await.described()?;
        split[1] += step.elapsed().as_secs_f64();
        let step = Instant::now();
        pipeline.commit_page("bench", prepared, Some(&cursor)).await.described()?;
        split[2] += step.elapsed().as_secs_f64();
    }
    let mut pass = finish(&pipeline, count, pages, started, startup_seconds).await?;
    pass.split = Some(split);
    Ok((app, pass))
}

/// Commits the index, stops the clock and counts what was stored.
async fn finish(
    pipeline: &Pipeline,
    mentions: usize,
    pages: usize,
    started: Instant,
    startup_seconds: f64,
) -> AppResult<Pass> {
    if let Some(indexer) = pipeline.indexer() {
        indexer.commit().internal("committing the index")?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let store = pipeline.store();
    let stored = store.count_mentions().await.internal("counting mentions")?;
    let queue_items =
        store.queue_counts().await.internal("counting queue items")?.iter().map(|count| count.count).sum();
    Ok(Pass { startup_seconds, mentions, pages, seconds, stored, queue_items, split: None })
}

/// The bare encoder on the same texts, after both passes (so it runs warm): one call over all
/// of them, length-sorted across the whole set, its best case.
async fn bare_encoder(texts: Vec<String>) -> AppResult<f64> {
    tokio::task::spawn_blocking(move || -> anyhow::Result<f64> {
        let mut classifier = load_default(EncoderOptions::default())?;
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        classifier.encoder().embed(&refs[..refs.len().min(64)])?;
        let start = Instant::now();
        classifier.encoder().embed(&refs)?;
        Ok(start.elapsed().as_secs_f64())
    })
    .await
    .internal("the encoder benchmark stopped")?
    .described()
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
