//! Built-in throughput figures (`hark bench`): the classifier beside a bare ONNX Runtime
//! session on the same model and texts, measured in the same run; indexing and search over
//! generated mentions; and the HTTP API under concurrent clients over a populated store
//! ([`populate`], then [`load`] against a running server).

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hark_classifier::EncoderOptions;
use hark_classifier::classifier::load_default;
use hark_connectors::http::{Fetched, HttpClient, HttpConfig, HttpError};
use hark_core::Mention;
use hark_index::mentions::{CommitPolicy, Indexer, SearchOptions};
use serde::Serialize;

use crate::App;
use crate::access::{Caller, Permission};
use crate::classify::read_texts;
use crate::error::{AppError, AppResult, Context};
use crate::progress::{Progress, Unit};

/// The bundled texts: the demo's sample posts, the first [`BUNDLED_TEXTS`] of them.
const BUNDLED: &str = include_str!("../../../sample/mentions.jsonl");

/// Texts the bundled figure scores (a few hundred, as many as before the sample grew).
const BUNDLED_TEXTS: usize = 384;

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
pub(crate) fn peak_rss_mb() -> f64 {
    proc_status_mib("self", "VmHWM")
}

/// A memory field (`VmRSS`, `VmHWM`...) of `/proc/<pid>/status` in MiB (`pid` may be `self`;
/// 0 where there is no `/proc`).
pub(crate) fn proc_status_mib(pid: &str, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
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
            sample.iter().cycle().take(BUNDLED_TEXTS).cloned().collect()
        }
    };
    tokio::task::spawn_blocking(move || -> anyhow::Result<BenchReport> {
        let started = Instant::now();
        let mut classifier = load_default(EncoderOptions { threads, batch_size, int8, ..EncoderOptions::default() })?;
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
                EncoderOptions { threads, batch_size, int8: false, ..EncoderOptions::default() },
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

// `hark bench api`: a loopback load benchmark of the HTTP API over a populated store.

/// The source id the generated mentions are filed under.
const POPULATE_SOURCE: &str = "bench";
/// Mentions per page sent through the pipeline while populating.
const POPULATE_BATCH: usize = 1_000;
/// Queue items each client moves back and forth (its own, so clients never conflict).
pub const ITEMS_PER_CLIENT: usize = 20;
/// Items per page the API lists at most.
const LIST_PAGE: usize = 500;
/// Error messages kept in a [`LoadReport`].
const ERRORS_KEPT: usize = 5;
/// Words the search requests look for, one after the other.
pub const SEARCH_WORDS: &[&str] = &[
    "acme",
    "pricing",
    "support",
    "crashing",
    "alternative",
    "recommend",
    "billing",
    "reporting",
    "hubspot",
    "invoices",
];

/// What populating a data directory for `hark bench api` did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PopulateReport {
    /// Mentions generated.
    pub mentions: u64,
    /// Mentions the store holds afterwards.
    pub stored: i64,
    pub seconds: f64,
    pub mentions_per_second: f64,
    /// Queue items routing made: queue → state → count.
    pub queue_items: BTreeMap<String, BTreeMap<String, i64>>,
}

/// Fills a fresh data directory with `mentions` generated mentions that carry signals,
/// through the pipeline (store, matching, routing into queues, index) in pages of 1,000.
/// A data directory that already holds mentions is refused.
pub async fn populate(
    app: &App,
    caller: &Caller,
    mentions: u64,
    seed: u64,
    progress: &mut dyn Progress,
) -> AppResult<PopulateReport> {
    caller.require(Permission::Admin)?;
    let store = app.store().await.internal("opening the store")?;
    let held = store.count_mentions().await.internal("counting mentions")?;
    if held > 0 {
        return Err(AppError::invalid(
            "data_dir_not_empty",
            format!(
                "{} already holds {held} mentions: the API benchmark fills a fresh data directory \
                 (name an empty one, or leave --data-dir out for a scratch one)",
                app.data_dir().display()
            ),
        ));
    }
    let pipeline = app.pipeline(false).await.internal("opening the pipeline")?;
    progress.start("populating", mentions, Unit::Items);
    let started = Instant::now();
    let mut generated = hark_index::synthetic::mentions(mentions, seed).map(|sequenced| sequenced.mention);
    loop {
        let page: Vec<Mention> = generated.by_ref().take(POPULATE_BATCH).collect();
        if page.is_empty() {
            break;
        }
        let count = page.len() as u64;
        pipeline.process_page(POPULATE_SOURCE, page, None).await.described()?;
        progress.advance(count);
    }
    // Everything searchable before the clients start.
    if let Some(indexer) = app.indexer().described()? {
        indexer.commit().internal("committing the mention index")?;
    }
    let seconds = started.elapsed().as_secs_f64();
    progress.finish();
    let stored = store.count_mentions().await.internal("counting mentions")?;
    let queue_items = crate::queue::counts(app, caller).await?.queues;
    Ok(PopulateReport {
        mentions,
        stored,
        seconds,
        mentions_per_second: mentions as f64 / seconds.max(1e-9),
        queue_items,
    })
}

/// The kinds of request the load mixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// `GET /api/v1/queues/{queue}/items?state=new&limit=50`
    Inbox,
    /// `POST /api/v1/items/{id}/transition`, assigned ⇄ contacted, on the client's own items.
    Transition,
    /// `GET /api/v1/search?q=WORD&limit=20`
    Search,
}

impl RequestKind {
    pub const ALL: [RequestKind; 3] = [RequestKind::Inbox, RequestKind::Transition, RequestKind::Search];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Inbox => "inbox",
            RequestKind::Transition => "transition",
            RequestKind::Search => "search",
        }
    }

    fn index(self) -> usize {
        match self {
            RequestKind::Inbox => 0,
            RequestKind::Transition => 1,
            RequestKind::Search => 2,
        }
    }
}

/// How often each kind comes up in a client's loop (weights).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Mix {
    pub inbox: u32,
    pub transition: u32,
    pub search: u32,
}

impl Default for Mix {
    fn default() -> Self {
        Self { inbox: 1, transition: 1, search: 1 }
    }
}

impl Mix {
    /// One round of a client's loop: the kinds interleaved by weight (2:1:1 gives inbox,
    /// transition, search, inbox).
    pub fn sequence(&self) -> Vec<RequestKind> {
        let mut left = [self.inbox, self.transition, self.search];
        let mut out = Vec::new();
        while left.iter().any(|n| *n > 0) {
            for kind in RequestKind::ALL {
                if left[kind.index()] > 0 {
                    left[kind.index()] -= 1;
                    out.push(kind);
                }
            }
        }
        out
    }
}

/// A load run against a server that is already up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadRequest {
    /// `http://127.0.0.1:PORT`, no trailing slash needed.
    pub base_url: String,
    /// An API token whose role works every queue (admin).
    pub token: String,
    pub clients: usize,
    pub duration: Duration,
    pub mix: Mix,
}

/// Latency of one kind of request (or of all of them), in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatencySummary {
    /// inbox, transition, search, or all.
    pub kind: String,
    /// Requests answered, errors included.
    pub requests: u64,
    pub requests_per_second: f64,
    /// Percentiles and maximum over the successful requests.
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Non-2xx answers and transport errors.
    pub errors: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadReport {
    pub clients: usize,
    /// From the first request to the last answer.
    pub seconds: f64,
    /// The queue whose inbox is listed (the one with the most new items).
    pub queue: String,
    /// Items the clients move back and forth, split among them.
    pub items_transitioned: usize,
    pub mix: Mix,
    pub kinds: Vec<LatencySummary>,
    pub overall: LatencySummary,
    pub errors: u64,
    /// The first few error messages.
    pub first_errors: Vec<String>,
}

/// Splits `ids` among `clients`, round robin: each id goes to exactly one client.
pub fn partition(ids: &[i64], clients: usize) -> Vec<Vec<i64>> {
    let mut out = vec![Vec::new(); clients];
    if clients == 0 {
        return out;
    }
    for (index, id) in ids.iter().enumerate() {
        out[index % clients].push(*id);
    }
    out
}

/// Count, rate, percentiles and maximum of `latencies_ms` (any order).
pub fn summarize(kind: &str, mut latencies_ms: Vec<f64>, errors: u64, seconds: f64) -> LatencySummary {
    latencies_ms.sort_by(f64::total_cmp);
    let requests = latencies_ms.len() as u64 + errors;
    LatencySummary {
        kind: kind.to_owned(),
        requests,
        requests_per_second: requests as f64 / seconds.max(1e-9),
        p50_ms: percentile(&latencies_ms, 0.5),
        p90_ms: percentile(&latencies_ms, 0.9),
        p99_ms: percentile(&latencies_ms, 0.99),
        max_ms: latencies_ms.last().copied().unwrap_or(0.0),
        errors,
    }
}

/// What one client measured.
#[derive(Debug, Default)]
struct ClientTally {
    latencies_ms: [Vec<f64>; 3],
    errors: [u64; 3],
    messages: Vec<String>,
}

/// The API as the load clients see it.
#[derive(Debug, Clone)]
struct Api {
    http: HttpClient,
    base: String,
    authorization: String,
}

impl Api {
    fn new(base_url: &str, token: &str) -> AppResult<Self> {
        let http = HttpClient::new(HttpConfig { max_retries: 0, ..HttpConfig::default() })
            .internal("building the HTTP client")?;
        // The client paces every host; on loopback it must never be what limits the rate.
        if !http.set_quota_for_url(base_url, NonZeroU32::MAX) {
            return Err(AppError::invalid("invalid_url", format!("{base_url:?} names no host")));
        }
        Ok(Self { http, base: base_url.trim_end_matches('/').to_owned(), authorization: format!("Bearer {token}") })
    }

    async fn get(&self, path: &str) -> Result<Fetched, String> {
        let url = format!("{}{path}", self.base);
        self.http.get(&url, None, &[("authorization", &self.authorization)]).await.map_err(|err| describe(&err))
    }

    async fn post(&self, path: &str, body: &serde_json::Value) -> Result<Fetched, String> {
        let url = format!("{}{path}", self.base);
        self.http
            .post_json(&url, None, &[("authorization", &self.authorization)], body)
            .await
            .map_err(|err| describe(&err))
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> AppResult<T> {
        let fetched =
            self.get(path).await.map_err(|err| AppError::internal("preparing the load", anyhow::anyhow!(err)))?;
        serde_json::from_slice(&fetched.body).internal("reading an API answer")
    }

    async fn transition(&self, id: i64, state: &str) -> Result<Fetched, String> {
        self.post(&format!("/api/v1/items/{id}/transition"), &serde_json::json!({ "state": state })).await
    }
}

/// An HTTP error with the start of the server's own explanation.
fn describe(err: &HttpError) -> String {
    match err {
        HttpError::Status { body, .. } | HttpError::Auth { body, .. } if !body.is_empty() => {
            format!("{err}: {}", body.chars().take(200).collect::<String>())
        }
        _ => err.to_string(),
    }
}

#[derive(Debug, serde::Deserialize)]
struct ListedCounts {
    queues: BTreeMap<String, BTreeMap<String, i64>>,
}

#[derive(Debug, serde::Deserialize)]
struct ListedItem {
    item_id: i64,
}

/// Runs `clients` concurrent clients against the API for `duration`, each looping over the
/// mix: the inbox of the queue with the most new items, transitions of the client's own
/// items (assigned ⇄ contacted; each is first moved out of new, untimed), and searches for
/// one word of [`SEARCH_WORDS`] after another.
pub async fn load(request: &LoadRequest) -> AppResult<LoadReport> {
    let LoadRequest { base_url, token, clients, duration, mix } = request.clone();
    if clients == 0 {
        return Err(AppError::invalid("invalid_clients", "at least one client is needed"));
    }
    let sequence = mix.sequence();
    if sequence.is_empty() {
        return Err(AppError::invalid("invalid_mix", "the mix needs at least one request kind"));
    }
    let api = Api::new(&base_url, &token)?;
    let counts: ListedCounts = api.get_json("/api/v1/queues").await?;
    let (queue, new_items) = counts
        .queues
        .iter()
        .map(|(queue, states)| (queue.clone(), states.get("new").copied().unwrap_or(0)))
        .max_by_key(|(_, new)| *new)
        .unwrap_or_default();
    if new_items == 0 {
        return Err(AppError::invalid(
            "nothing_to_list",
            "no queue holds new items: populate the data directory first",
        ));
    }
    // The items the clients will own, split so that no two clients touch the same item.
    let wanted = if mix.transition > 0 { clients * ITEMS_PER_CLIENT } else { 0 };
    let mut ids = Vec::with_capacity(wanted);
    while ids.len() < wanted {
        let page: Vec<ListedItem> = api
            .get_json(&format!("/api/v1/queues/{queue}/items?state=new&limit={LIST_PAGE}&offset={}", ids.len()))
            .await?;
        let last = page.len() < LIST_PAGE;
        ids.extend(page.into_iter().map(|item| item.item_id).take(wanted - ids.len()));
        if last {
            break;
        }
    }
    let owned = partition(&ids, clients);
    // Untimed: each owned item out of new, so that the timed loop can toggle it.
    let mut setup = tokio::task::JoinSet::new();
    for items in owned.clone() {
        let api = api.clone();
        setup.spawn(async move {
            for id in items {
                api.transition(id, "assigned").await?;
            }
            Ok::<(), String>(())
        });
    }
    while let Some(done) = setup.join_next().await {
        done.internal("preparing the load")?
            .map_err(|err| AppError::internal("moving the benchmark's items to assigned", anyhow::anyhow!(err)))?;
    }

    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for (client, items) in owned.into_iter().enumerate() {
        let api = api.clone();
        let queue = queue.clone();
        let mut sequence = sequence.clone();
        if items.is_empty() {
            sequence.retain(|kind| *kind != RequestKind::Transition);
        }
        tasks.spawn(async move {
            let mut tally = ClientTally::default();
            // true: the item is assigned now (its next move is to contacted).
            let mut assigned = vec![true; items.len()];
            let inbox = format!("/api/v1/queues/{queue}/items?state=new&limit=50");
            let mut step = client;
            let mut transitions = 0usize;
            while !sequence.is_empty() && Instant::now() < deadline {
                let kind = sequence[step % sequence.len()];
                step += 1;
                let start = Instant::now();
                let outcome = match kind {
                    RequestKind::Inbox => api.get(&inbox).await,
                    RequestKind::Search => {
                        let word = SEARCH_WORDS[step % SEARCH_WORDS.len()];
                        api.get(&format!("/api/v1/search?q={word}&limit=20")).await
                    }
                    RequestKind::Transition => {
                        let slot = transitions % items.len();
                        transitions += 1;
                        let to = if assigned[slot] { "contacted" } else { "assigned" };
                        let outcome = api.transition(items[slot], to).await;
                        if outcome.is_ok() {
                            assigned[slot] = !assigned[slot];
                        }
                        outcome
                    }
                };
                let millis = start.elapsed().as_secs_f64() * 1000.0;
                match outcome {
                    Ok(_) => tally.latencies_ms[kind.index()].push(millis),
                    Err(message) => {
                        tally.errors[kind.index()] += 1;
                        if tally.messages.len() < ERRORS_KEPT {
                            tally.messages.push(format!("{}: {message}", kind.as_str()));
                        }
                    }
                }
            }
            tally
        });
    }
    let mut latencies: [Vec<f64>; 3] = Default::default();
    let mut errors = [0u64; 3];
    let mut first_errors = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let tally = done.internal("running a load client")?;
        for kind in RequestKind::ALL {
            latencies[kind.index()].extend_from_slice(&tally.latencies_ms[kind.index()]);
            errors[kind.index()] += tally.errors[kind.index()];
        }
        first_errors.extend(tally.messages);
    }
    first_errors.truncate(ERRORS_KEPT);
    let seconds = started.elapsed().as_secs_f64();
    let all: Vec<f64> = latencies.iter().flatten().copied().collect();
    let total_errors = errors.iter().sum();
    let kinds = RequestKind::ALL
        .into_iter()
        .filter(|kind| sequence.contains(kind))
        .map(|kind| {
            summarize(kind.as_str(), std::mem::take(&mut latencies[kind.index()]), errors[kind.index()], seconds)
        })
        .collect();
    Ok(LoadReport {
        clients,
        seconds,
        queue,
        items_transitioned: ids.len(),
        mix,
        kinds,
        overall: summarize("all", all, total_errors, seconds),
        errors: total_errors,
        first_errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let sorted: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&sorted, 0.5), 50.0);
        assert_eq!(percentile(&sorted, 0.9), 90.0);
        assert_eq!(percentile(&sorted, 0.99), 99.0);
        assert_eq!(percentile(&sorted, 1.0), 100.0);
        assert_eq!(percentile(&[7.0], 0.99), 7.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }

    #[test]
    fn summaries_sort_count_errors_and_rate() {
        let summary = summarize("search", vec![3.0, 1.0, 2.0, 10.0], 1, 2.0);
        assert_eq!(summary.requests, 5);
        assert_eq!(summary.requests_per_second, 2.5);
        assert_eq!((summary.p50_ms, summary.p90_ms, summary.p99_ms, summary.max_ms), (2.0, 10.0, 10.0, 10.0));
        assert_eq!(summary.errors, 1);
        let empty = summarize("inbox", Vec::new(), 0, 1.0);
        assert_eq!((empty.requests, empty.p99_ms, empty.max_ms), (0, 0.0, 0.0));
    }

    #[test]
    fn every_id_goes_to_exactly_one_client() {
        let ids: Vec<i64> = (1..=7).collect();
        let parts = partition(&ids, 3);
        assert_eq!(parts, vec![vec![1, 4, 7], vec![2, 5], vec![3, 6]]);
        let mut all: Vec<i64> = parts.into_iter().flatten().collect();
        all.sort_unstable();
        assert_eq!(all, ids);
        assert_eq!(partition(&[1, 2], 4), vec![vec![1], vec![2], vec![], vec![]]);
        assert!(partition(&ids, 0).is_empty());
    }

    #[test]
    fn the_mix_interleaves_kinds_by_weight() {
        use RequestKind::*;
        assert_eq!(Mix::default().sequence(), vec![Inbox, Transition, Search]);
        assert_eq!(Mix { inbox: 2, transition: 1, search: 1 }.sequence(), vec![Inbox, Transition, Search, Inbox]);
        assert_eq!(Mix { inbox: 0, transition: 0, search: 2 }.sequence(), vec![Search, Search]);
        assert!(Mix { inbox: 0, transition: 0, search: 0 }.sequence().is_empty());
    }
}
