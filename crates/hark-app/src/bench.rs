//! Built-in throughput figures (`hark bench`): the classifier beside a bare ONNX Runtime
//! session on the same model and texts, measured in the same run; indexing and search over
//! generated mentions.

use std::path::{Path, PathBuf};
use std::time::Instant;

use hark_classifier::EncoderOptions;
use hark_classifier::classifier::load_default;
use hark_index::mentions::{CommitPolicy, Indexer, SearchOptions};
use serde::Serialize;

use crate::App;
use crate::access::{Caller, Permission};
use crate::classify::read_texts;
use crate::error::{AppResult, Context};
use crate::progress::{Progress, Unit};

/// The bundled texts: the demo's sample posts, repeated to a few hundred.
const BUNDLED: &str = include_str!("../../../sample/mentions.jsonl");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassifyBenchRequest {
    /// Texts to use: JSONL with a "text" field (default: the bundled sample posts).
    pub data: Option<PathBuf>,
    pub batch_size: usize,
    /// ONNX Runtime threads (0 = one per core).
    pub threads: usize,
    /// Use the int8 graph.
    pub int8: bool,
    /// Passes over the texts (the figure is the best pass).
    pub rounds: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchReport {
    pub texts: usize,
    pub seconds: f64,
    pub texts_per_second: f64,
    pub batch_size: usize,
    pub threads: usize,
    pub int8: bool,
    /// Session time only (tokenised beforehand), same batches: the ceiling.
    pub bare_session_texts_per_second: f64,
    /// hark's figure over the bare session's.
    pub ratio_to_bare_session: f64,
    /// Without length sorting, for comparison.
    pub unsorted_texts_per_second: f64,
    pub startup_seconds: f64,
    pub peak_rss_mb: f64,
    /// With int8: mean and lowest cosine of the int8 embeddings to the fp32 ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub int8_cosine_to_fp32: Option<(f64, f64)>,
}

/// Peak resident memory of this process (VmHWM), in MiB.
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Texts per second through the encoder and heads, beside a bare ONNX Runtime session.
pub async fn classify(caller: &Caller, request: &ClassifyBenchRequest) -> AppResult<BenchReport> {
    caller.require(Permission::ReadPublic)?;
    let ClassifyBenchRequest { data, batch_size, threads, int8, rounds } = request.clone();
    let texts: Vec<String> = match &data {
        Some(path) => read_texts(path)?,
        None => {
            let sample: Vec<String> = BUNDLED
                .lines()
                .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
                .filter_map(|value| value["text"].as_str().map(str::to_owned))
                .collect();
            sample.iter().cycle().take(sample.len() * 16).cloned().collect()
        }
    };
    tokio::task::spawn_blocking(move || -> anyhow::Result<BenchReport> {
        let started = Instant::now();
        let mut classifier = load_default(EncoderOptions { threads, batch_size, int8 })?;
        let startup_seconds = started.elapsed().as_secs_f64();
        classifier.set_cues(false);
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        // Warm-up pass (allocations, ORT's first-run work).
        classifier.classify(&refs[..refs.len().min(64)])?;
        let (mut best, mut best_bare, mut best_unsorted) = (f64::INFINITY, f64::INFINITY, f64::INFINITY);
        for _ in 0..rounds.max(1) {
            let start = Instant::now();
            classifier.classify(&refs)?;
            best = best.min(start.elapsed().as_secs_f64());
            best_bare = best_bare.min(classifier.encoder().time_bare_session(&refs)?);
            let start = Instant::now();
            classifier.encoder().embed_with(&refs, false)?;
            best_unsorted = best_unsorted.min(start.elapsed().as_secs_f64());
        }
        // Before the fp32 reference below is loaded, which would count towards the peak.
        let peak_rss_mb = peak_rss_mb();
        let int8_cosine_to_fp32 = if int8 {
            let quantised = classifier.encoder().embed(&refs)?;
            let mut full = hark_classifier::Encoder::load(
                &hark_classifier::ModelPaths::locate()?,
                EncoderOptions { threads, batch_size, int8: false },
            )?;
            let reference = full.embed(&refs)?;
            let cosines: Vec<f64> = quantised
                .iter()
                .zip(&reference)
                .map(|(a, b)| f64::from(hark_classifier::encoder::cosine(a, b)))
                .collect();
            let mean = cosines.iter().sum::<f64>() / cosines.len().max(1) as f64;
            Some((mean, cosines.iter().copied().fold(f64::INFINITY, f64::min)))
        } else {
            None
        };
        let n = refs.len() as f64;
        Ok(BenchReport {
            texts: refs.len(),
            seconds: best,
            texts_per_second: n / best,
            batch_size: classifier.encoder().batch_size(),
            threads: classifier.encoder().threads(),
            int8,
            bare_session_texts_per_second: n / best_bare,
            ratio_to_bare_session: best_bare / best,
            unsorted_texts_per_second: n / best_unsorted,
            startup_seconds,
            peak_rss_mb,
            int8_cosine_to_fp32,
        })
    })
    .await
    .internal("the benchmark stopped")?
    .described()
}

/// `hark bench index` and `hark bench search`: what indexing generated mentions took.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexReport {
    pub mentions: u64,
    pub seconds: f64,
    pub mentions_per_second: f64,
    pub index_bytes: u64,
    pub index_mb: f64,
    pub peak_rss_mb: f64,
    pub commit_interval_seconds: f64,
    pub writer_memory_mb: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryLatency {
    pub query: String,
    pub hits: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchReport {
    pub index: IndexReport,
    pub runs: usize,
    pub queries: Vec<QueryLatency>,
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| match entry.metadata() {
                    Ok(meta) if meta.is_dir() => dir_size(&entry.path()),
                    Ok(meta) => meta.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

/// Indexes `count` generated mentions into a scratch index under the data dir, with the
/// commit policy the pipeline uses (a commit at most every second).
fn build_index(app: &App, count: u64, progress: &mut dyn Progress) -> AppResult<(Indexer, IndexReport, PathBuf)> {
    let dir = app.data_dir().join("bench").join(format!("index-{}", std::process::id()));
    let policy = CommitPolicy::default();
    let indexer = Indexer::recreate(&dir, policy).described()?;
    progress.start("indexing", count, Unit::Items);
    let mut batch = Vec::with_capacity(2_000);
    let mut generated = hark_index::synthetic::mentions(count, 42);
    let mut seconds = 0.0;
    loop {
        batch.clear();
        batch.extend(generated.by_ref().take(2_000));
        if batch.is_empty() {
            break;
        }
        // Generation is not indexing: only the indexer's time counts.
        let start = Instant::now();
        indexer.add(&batch).described()?;
        seconds += start.elapsed().as_secs_f64();
        progress.advance(batch.len() as u64);
    }
    let start = Instant::now();
    indexer.commit().described()?;
    seconds += start.elapsed().as_secs_f64();
    progress.finish();
    let index_bytes = dir_size(&dir);
    let report = IndexReport {
        mentions: count,
        seconds,
        mentions_per_second: count as f64 / seconds.max(1e-9),
        index_bytes,
        index_mb: index_bytes as f64 / (1024.0 * 1024.0),
        peak_rss_mb: peak_rss_mb(),
        commit_interval_seconds: policy.interval.as_secs_f64(),
        writer_memory_mb: policy.writer_memory >> 20,
    };
    Ok((indexer, report, dir))
}

/// Indexing throughput, index size and memory on `count` generated mentions (in a scratch
/// index under the data directory, removed afterwards).
pub async fn index(app: &App, caller: &Caller, count: u64, progress: &mut dyn Progress) -> AppResult<IndexReport> {
    caller.require(Permission::ReadPublic)?;
    let (indexer, report, dir) = build_index(app, count, progress)?;
    drop(indexer);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(report)
}

fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64 * fraction).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Search latency (p50, p99) of typical listening queries over `count` generated mentions,
/// each query run `runs` times.
pub async fn search(
    app: &App,
    caller: &Caller,
    count: u64,
    runs: usize,
    progress: &mut dyn Progress,
) -> AppResult<SearchReport> {
    caller.require(Permission::ReadPublic)?;
    let (indexer, index_report, dir) = build_index(app, count, progress)?;
    let index = indexer.index().clone();
    let mut queries = Vec::new();
    for raw in hark_index::synthetic::QUERIES {
        let options = SearchOptions::default();
        // Warm-up: first-touch page faults of the memory-mapped files.
        let parsed = hark_index::query::parse(raw).described()?;
        let hits = index.search(&parsed, &options).described()?.total;
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs.max(1) {
            let start = Instant::now();
            let parsed = hark_index::query::parse(raw).described()?;
            index.search(&parsed, &options).described()?;
            times.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        queries.push(QueryLatency {
            query: (*raw).to_owned(),
            hits,
            p50_ms: percentile(&times, 0.5),
            p99_ms: percentile(&times, 0.99),
        });
    }
    drop(indexer);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(SearchReport { index: index_report, runs, queries })
}
