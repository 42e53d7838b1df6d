//! The demo (`hark demo`): the whole pipeline, offline, on the bundled sample.
//!
//! The sample (`sample/`, written by `scripts/sample/generate.py`) is a fictional company, Acme
//! CRM: its CRM export and about 500 posts about it on every source kind, each source's answers
//! stored in that source's own wire format under `sample/replay/<kind>/`, page by page.
//! `sample/replay/replay.json` names the demo's sources (one per kind, in `hark.toml` terms)
//! and which file answers which request: a loopback replay server (`hark-replay`) serves them,
//! so the real connectors run. The configuration is the brand of `sample/hark.toml` plus those
//! sources pointed at the server, validated like any `hark.toml`.
//!
//! The sample customers are imported, then every source is pulled three times through the code
//! `hark pull` runs ([`pull_sources`]), scored when the model is there: once as the sources
//! first stand, once after the rest of the posts came out (the server now answers with the
//! later files: each connector goes on from its cursor and walks the new pages), and once more
//! to show that nothing is stored twice. A summary of what happened follows. The sample files
//! are compiled in, so the demo runs from any directory, and it refuses a data directory that
//! already holds data unless told to wipe it (`--fresh`). Printing the summary is the front
//! end's business.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use anyhow::Context as _;
use hark_classifier::ModelPaths;
use hark_connectors::http::{HttpClient, HttpConfig};
use hark_core::text::thousands;
use hark_core::{Mention, Signals};
use hark_pipeline::Pipeline;
use hark_pipeline::classify::{ClassifierWorker, text_for};
use hark_pipeline::crm_import::{CrmFormat, parse_customers};
use hark_pipeline::pull::{SourceReport, pull_sources};
use hark_replay::{Handler, ReplayServer, Reply};
use serde::{Deserialize, Serialize};

use crate::access::{Caller, Permission};
use crate::config::{Config, ConfigOrigin};
use crate::error::{AppError, AppResult, Context};
use crate::{App, AppOptions};

/// The sample's brand and competitors.
const SAMPLE_CONFIG: &str = include_str!("../../../sample/hark.toml");

/// The sample CRM export.
const SAMPLE_CUSTOMERS: &str = include_str!("../../../sample/customers.csv");

/// The demo's sources and the replay server's routes.
const SAMPLE_REPLAY: &str = include_str!("../../../sample/replay/replay.json");

/// Why posts were not scored when the user asked so.
pub const NOT_SCORED_BY_REQUEST: &str = "--no-classify";

/// Flagged posts shown in the summary, best first.
const TOP_FLAGGED: usize = 5;

/// Characters of a post shown in the summary.
const EXCERPT_CHARS: usize = 160;

/// `("kind/file", contents)` for each named file under `sample/replay/`.
macro_rules! sample_files {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../../sample/replay/", $name)))),*]
    };
}

/// Every file `sample/replay/replay.json` routes to (a test checks that the two agree).
const SAMPLE_FILES: &[(&str, &str)] = sample_files![
    "reddit/search.before.json",
    "reddit/search.after-1.json",
    "reddit/search.after-2.json",
    "reddit/comments.before.json",
    "reddit/comments.after-1.json",
    "reddit/comments.after-2.json",
    "hackernews/search_by_date.before.json",
    "hackernews/search_by_date.after.json",
    "hackernews/search_by_date.caught-up.json",
    "mastodon/tag_acmecrm.before.json",
    "mastodon/tag_acmecrm.after-1.json",
    "mastodon/tag_acmecrm.after-2.json",
    "mastodon/tag_acmecrm.after-3.json",
    "mastodon/tag_acmeinbox.before.json",
    "mastodon/tag_acmeinbox.after-1.json",
    "mastodon/tag_acmeinbox.after-2.json",
    "bluesky/search_posts.acme-crm.before.json",
    "bluesky/search_posts.acme-crm.after.json",
    "bluesky/search_posts.acme-inbox.before.json",
    "bluesky/search_posts.acme-inbox.after.json",
    "bluesky/search_posts.acme-sync.before.json",
    "bluesky/search_posts.acme-sync.after.json",
    "bluesky/search_posts.tag-acmecrm.before.json",
    "bluesky/search_posts.tag-acmecrm.after.json",
    "stackexchange/search_advanced.before.json",
    "stackexchange/search_advanced.after-1.json",
    "stackexchange/search_advanced.after-2.json",
    "stackexchange/search_advanced.after-3.json",
    "stackexchange/search_advanced.caught-up.json",
    "rss/google_alerts.before.xml",
    "rss/google_alerts.after.xml",
    "rss/reviews.before.xml",
    "rss/reviews.after.xml",
    "web/share-your-acme-inbox-rules.4380.page-1.html",
    "web/share-your-acme-inbox-rules.4380.page-2.before.html",
    "web/share-your-acme-inbox-rules.4380.page-2.after.html",
    "web/acme-sync-creating-duplicate-contacts.4411.page-1.html",
    "web/acme-sync-creating-duplicate-contacts.4411.page-2.before.html",
    "web/acme-sync-creating-duplicate-contacts.4411.page-2.after.html",
    "web/webhooks-v3-retries-replay-payload.4502.page-1.before.html",
    "web/webhooks-v3-retries-replay-payload.4502.page-1.after.html",
    "web/webhooks-v3-retries-replay-payload.4502.page-2.after.html",
    "web/acme-mobile-offline-photos.4555.page-1.before.html",
    "web/acme-mobile-offline-photos.4555.page-1.after.html",
    "web/acme-mobile-offline-photos.4555.page-2.after.html",
    "web/migrating-from-pipedrive-tips.4601.page-1.before.html",
    "web/migrating-from-pipedrive-tips.4601.page-1.after.html",
    "web/migrating-from-pipedrive-tips.4601.page-2.after.html",
    "web/acme-community-day-berlin-2026.4620.page-1.before.html",
    "web/acme-community-day-berlin-2026.4620.page-1.after.html",
    "web/acme-community-day-berlin-2026.4620.page-2.after.html",
    "web/is-acme-right-for-a-30-person-nonprofit.4652.page-1.before.html",
    "web/is-acme-right-for-a-30-person-nonprofit.4652.page-1.after.html",
    "web/robots.txt",
];

/// `sample/replay/replay.json`.
#[derive(Debug, Deserialize)]
struct Manifest {
    /// One `[[sources]]` entry per kind, `{base}` standing for the replay server's address.
    sources: Vec<serde_json::Map<String, serde_json::Value>>,
    routes: Vec<Route>,
}

/// One file the replay server answers with.
#[derive(Debug, Clone, Deserialize)]
struct Route {
    /// The path it answers (the longest matching path prefix wins).
    path: String,
    stage: Stage,
    /// Query parameters a request must carry; of the files of a path, the one with the most
    /// conditions met answers.
    #[serde(default)]
    query: BTreeMap<String, String>,
    file: String,
    content_type: String,
    /// Extra response headers (`{base}` is replaced).
    #[serde(default)]
    headers: Vec<(String, String)>,
}

/// When a file is served: on the first pull, on the later ones, or on every pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Stage {
    Before,
    After,
    Always,
}

fn manifest() -> anyhow::Result<Manifest> {
    serde_json::from_str(SAMPLE_REPLAY).context("reading the bundled sample/replay/replay.json")
}

fn sample_file(name: &str) -> anyhow::Result<&'static str> {
    SAMPLE_FILES
        .iter()
        .find(|(file, _)| *file == name)
        .map(|(_, body)| *body)
        .with_context(|| format!("sample/replay/replay.json routes to {name}, which the demo does not compile in"))
}

/// The whole demo configuration: the sample's brand, then every source pointed at `base`. The
/// replay is local, so no source is paced.
pub fn demo_config(base: &str) -> anyhow::Result<Config> {
    let mut sources = Vec::new();
    for source in manifest()?.sources {
        let mut entry = toml::Table::new();
        for (name, value) in source {
            let value = serde_json::from_str::<serde_json::Value>(&value.to_string().replace("{base}", base))?;
            entry.insert(name, toml::Value::try_from(value).context("a demo source's field")?);
        }
        entry.insert("base_url".to_owned(), toml::Value::String(base.to_owned()));
        entry.insert("requests_per_minute".to_owned(), toml::Value::Integer(60_000));
        sources.push(toml::Value::Table(entry));
    }
    let mut table = toml::Table::new();
    table.insert("sources".to_owned(), toml::Value::Array(sources));
    let text = format!("{SAMPLE_CONFIG}\n{}", toml::to_string(&table).context("writing the demo's sources")?);
    let mut config = Config::parse(&text, Path::new("sample/hark.toml + sample/replay/replay.json"))?;
    // The demo is the single-machine sample: always a SQLite file in its own data directory,
    // whatever store `HARK_STORE_URL` names.
    config.store.embedded_only = true;
    Ok(config)
}

/// The replay of every source, and the switch that moves the sources on to their later state.
struct Replay {
    server: ReplayServer,
    later: Arc<AtomicBool>,
}

/// `+` and `%XX` decoded.
fn percent_decode(raw: &str) -> String {
    let hex = |byte: u8| char::from(byte).to_digit(16);
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let escaped = match bytes.get(at..at + 3) {
            Some([b'%', high, low]) => hex(*high).zip(hex(*low)).and_then(|(h, l)| u8::try_from(h * 16 + l).ok()),
            _ => None,
        };
        match (escaped, bytes[at]) {
            (Some(byte), _) => {
                out.push(byte);
                at += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                at += 1;
            }
            (None, byte) => {
                out.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Query parameters of a request target, decoded.
fn query_pairs(target: &str) -> Vec<(String, String)> {
    let Some((_, query)) = target.split_once('?') else { return Vec::new() };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(name), percent_decode(value))
        })
        .collect()
}

/// The file that answers `target` among the routes of one path, given the stage.
fn choose<'a>(routes: &'a [(Route, &'static str)], target: &str, later: bool) -> Option<&'a (Route, &'static str)> {
    let pairs = query_pairs(target);
    routes
        .iter()
        .filter(|(route, _)| match route.stage {
            Stage::Always => true,
            Stage::Before => !later,
            Stage::After => later,
        })
        .filter(|(route, _)| route.query.iter().all(|(name, value)| pairs.iter().any(|(n, v)| n == name && v == value)))
        .max_by_key(|(route, _)| route.query.len())
}

/// Every route of the manifest, served from one loopback server.
async fn start_replay() -> AppResult<Replay> {
    let manifest = manifest().described()?;
    let mut by_path: BTreeMap<String, Vec<(Route, &'static str)>> = BTreeMap::new();
    for route in manifest.routes {
        let body = sample_file(&route.file).described()?;
        by_path.entry(route.path.clone()).or_default().push((route, body));
    }
    let later = Arc::new(AtomicBool::new(false));
    let base: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
    let handlers: Vec<(String, Handler)> = by_path
        .into_iter()
        .map(|(path, routes)| {
            let (later, base) = (Arc::clone(&later), Arc::clone(&base));
            let handler: Handler = Arc::new(move |target: &str| {
                let Some((route, body)) = choose(&routes, target, later.load(Ordering::SeqCst)) else {
                    return Reply::new(404, format!("the demo's replay has nothing for {target}"));
                };
                let base = base.get().map_or("", String::as_str);
                let mut reply = Reply::new(200, *body).header("Content-Type", &route.content_type);
                for (name, value) in &route.headers {
                    reply = reply.header(name, &value.replace("{base}", base));
                }
                reply
            });
            (path, handler)
        })
        .collect();
    let server = ReplayServer::start_handlers(
        handlers.iter().map(|(path, handler)| (path.as_str(), Arc::clone(handler))).collect(),
    )
    .await
    .internal("starting the local replay server on 127.0.0.1")?;
    let _ = base.set(server.base_url().to_owned());
    Ok(Replay { server, later })
}

/// Files a hark data directory holds (the store, its WAL, the index).
fn is_hark_data_dir(dir: &Path) -> anyhow::Result<bool> {
    if dir.join("hark.db").is_file() {
        return Ok(true);
    }
    let mut entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    Ok(entries.next().is_none())
}

/// Makes sure the demo writes to an empty data directory: wipes a hark data directory with
/// `fresh`, refuses one that holds data without it.
pub async fn prepare_data_dir(dir: &Path, fresh: bool) -> AppResult<()> {
    let create =
        |dir: &Path| std::fs::create_dir_all(dir).internal(&format!("creating the data directory {}", dir.display()));
    if !dir.exists() {
        return create(dir);
    }
    if !dir.is_dir() {
        return Err(AppError::invalid(
            "invalid_data_dir",
            format!("{} is not a directory; choose a data directory with --data-dir", dir.display()),
        ));
    }
    if fresh {
        if !is_hark_data_dir(dir).described()? {
            return Err(AppError::invalid(
                "invalid_data_dir",
                format!(
                    "{} holds files but no hark.db, so it is not a hark data directory; --fresh only wipes hark data \
                     directories: choose another with --data-dir",
                    dir.display()
                ),
            ));
        }
        std::fs::remove_dir_all(dir).internal(&format!("wiping {}", dir.display()))?;
        return create(dir);
    }
    if !dir.join("hark.db").is_file() {
        return Ok(());
    }
    let store =
        hark_store::Store::open_in(dir).await.internal(&format!("opening the data directory {}", dir.display()))?;
    let counted = (store.count_mentions().await, store.count_customers().await);
    store.close().await;
    let (mentions, customers) = (counted.0.internal("counting mentions")?, counted.1.internal("counting customers")?);
    if mentions > 0 || customers > 0 {
        return Err(AppError::conflict(
            "data_dir_in_use",
            format!(
                "{} already holds {} mentions and {} customers; the demo runs on a data directory of its own. \
             Run `hark --data-dir {} demo --fresh` to wipe it and start over, or choose another directory \
             with --data-dir",
                dir.display(),
                thousands(mentions),
                thousands(customers),
                dir.display()
            ),
        ));
    }
    Ok(())
}

/// What the demo did, printed as tables or (`--json`) as one JSON object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemoSummary {
    pub data_dir: String,
    /// The replay server's address (it stops when the demo ends).
    pub replay: String,
    /// Whether new mentions were scored by the local model.
    pub scored: bool,
    /// Why they were not, when they were not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_scored: Option<String>,
    pub customers_imported: usize,
    /// Seconds the pipeline part took: importing the customers, the pulls (fetching, scoring,
    /// storing, matching, routing, indexing) and counting what they did.
    pub seconds: f64,
    /// Pass 1 reads every source as it first stands; pass 2 reads what came out since,
    /// walking the new pages from each source's cursor; pass 3 finds nothing new.
    pub passes: Vec<Pass>,
    pub flagged: Flagged,
    /// Follow-up items per queue (service, sales, community), as routing left them.
    pub queues: BTreeMap<String, i64>,
    /// Who wrote: authors linked to a CRM customer.
    pub matched: Matched,
    /// The flagged posts with the highest scores.
    pub top: Vec<FlaggedPost>,
    pub totals: Totals,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pass {
    pub pass: u8,
    pub sources: Vec<SourceReport>,
}

/// Mentions flagged per signal, at the loaded heads' thresholds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Flagged {
    pub complaints: usize,
    /// Of the complaints: by authors matched to a customer (service's queue).
    pub complaints_by_customers: usize,
    pub intents: usize,
    /// Of the buying-intent posts: by authors who are not customers (sales' queue).
    pub intents_by_non_customers: usize,
    /// Mentions whose sentiment is negative.
    pub negative: usize,
}

/// Authors linked to CRM customers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Matched {
    /// Distinct customers with at least one mention linked to them (automatic or confirmed).
    pub customers: usize,
    /// Matches by state (`auto`, `proposed`, ...): one per mention of a matched author.
    pub matches: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlaggedPost {
    pub id: String,
    pub source: String,
    pub kind: String,
    pub author: Option<String>,
    pub customer: Option<CustomerRef>,
    /// `complaint`, `intent` or both.
    pub flags: Vec<&'static str>,
    pub complaint: f32,
    pub intent: f32,
    pub sentiment: &'static str,
    pub cues: Vec<String>,
    pub excerpt: String,
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerRef {
    pub crm_id: String,
    pub name: String,
    pub company: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Totals {
    pub mentions: i64,
    pub customers: i64,
    /// Mentions whose author is matched to a customer.
    pub mentions_by_customers: usize,
    /// Posts seen on a second source under the same URL, linked rather than stored again.
    pub linked: usize,
    /// Requests the replay server answered over all passes.
    pub requests_served: usize,
    pub sources: Vec<SourceTotal>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceTotal {
    pub id: String,
    pub kind: Option<String>,
    pub mentions: i64,
    pub outcome: Option<&'static str>,
    pub gaps: i64,
}

/// Where the demo writes, and whether it scores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoRequest {
    pub data_dir: PathBuf,
    /// Wipe the data directory first (only a hark data directory is wiped).
    pub fresh: bool,
    /// Score the posts (when the model is there).
    pub classify: bool,
}

impl DemoSummary {
    /// Whether any source failed in either pass.
    pub fn failed(&self) -> bool {
        self.passes.iter().flat_map(|pass| &pass.sources).any(SourceReport::failed)
    }
}

/// Runs the demo on its own data directory and configuration: replay server, sample
/// customers, three pull passes, then the summary.
pub async fn demo(caller: &Caller, request: &DemoRequest) -> AppResult<DemoSummary> {
    caller.require(Permission::Admin)?;
    prepare_data_dir(&request.data_dir, request.fresh).await?;
    let replay = start_replay().await?;
    let config = demo_config(replay.server.base_url())?;
    let options = AppOptions {
        config_path: PathBuf::from("sample/hark.toml"),
        config_explicit: true,
        data_dir: request.data_dir.clone(),
    };
    let app = App::with_config(options, config, ConfigOrigin::File);
    let summary = run(&app, caller, &replay, request.classify).await;
    app.close().await;
    summary
}

async fn run(app: &App, caller: &Caller, replay: &Replay, classify: bool) -> AppResult<DemoSummary> {
    let started = Instant::now();
    let not_scored = if classify {
        ModelPaths::locate().err().map(|missing| format!("{missing}; the posts are stored unscored"))
    } else {
        Some(NOT_SCORED_BY_REQUEST.to_owned())
    };
    let pipeline = demo_pipeline(app, not_scored.is_none()).await?;
    let customers_imported = import_sample_customers(&pipeline, &caller.name).await?;

    let http = HttpClient::new(HttpConfig::default()).internal("starting the HTTP client")?;
    let sources: Vec<_> = app.config().sources.iter().map(crate::pull::pull_source).collect();
    let mut passes = Vec::new();
    for pass in 1..=3 {
        // After the first pull, the rest of the sample's posts are out.
        replay.later.store(pass > 1, Ordering::SeqCst);
        let reports = pull_sources(&pipeline, &http, &sources).await.described()?;
        passes.push(Pass { pass, sources: reports });
    }
    if let Some(indexer) = pipeline.indexer() {
        indexer.commit().internal("committing the mention index")?;
    }

    let (flagged, mut top, by_customers) = flagged_posts(&pipeline).await?;
    explain(app, &pipeline, &mut top).await?;
    let store = pipeline.store();
    let mut queues: BTreeMap<String, i64> =
        hark_core::Queue::ALL.iter().map(|queue| (queue.as_str().to_owned(), 0)).collect();
    for count in store.queue_counts().await.internal("counting queue items")? {
        *queues.entry(count.queue.as_str().to_owned()).or_default() += count.count;
    }
    let matched = Matched {
        customers: by_customers.customers,
        matches: store.count_matches_by_state().await.internal("counting matches")?.into_iter().collect(),
    };
    let sources = crate::sources::collect(app, store, false)
        .await?
        .into_iter()
        .map(|source| SourceTotal {
            id: source.id,
            kind: source.kind,
            mentions: source.mentions,
            outcome: source.outcome,
            gaps: source.open_gaps,
        })
        .collect();
    let totals = Totals {
        mentions: store.count_mentions().await.internal("counting mentions")?,
        customers: store.count_customers().await.internal("counting customers")?,
        mentions_by_customers: by_customers.mentions,
        linked: passes.iter().flat_map(|pass| &pass.sources).map(|report| report.linked).sum(),
        requests_served: replay.server.requests().len(),
        sources,
    };
    Ok(DemoSummary {
        data_dir: app.data_dir().display().to_string(),
        replay: replay.server.base_url().to_owned(),
        scored: not_scored.is_none(),
        not_scored,
        customers_imported,
        seconds: (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        passes,
        flagged,
        queues,
        matched,
        top,
        totals,
    })
}

/// The application's pipeline; with `score`, the classifier scores without explaining its
/// flags: cues cost a few extra encoder passes per flag, and people get them when they look
/// at a post ([`crate::cues`]), so the demo only explains the posts it shows ([`explain`]).
async fn demo_pipeline(app: &App, score: bool) -> AppResult<Pipeline> {
    let pipeline = app.pipeline(false).await.described()?;
    if !score {
        return Ok(pipeline);
    }
    let worker = tokio::task::spawn_blocking(|| -> anyhow::Result<ClassifierWorker> {
        let mut classifier = hark_classifier::classifier::load_default(hark_classifier::EncoderOptions::default())
            .context("loading the classifier (or pass --no-classify to store mentions unscored)")?;
        classifier.set_cues(false);
        ClassifierWorker::spawn(classifier).context("starting the classifier thread")
    })
    .await
    .internal("loading the classifier")?
    .described()?;
    Ok(pipeline.with_classifier(worker))
}

/// The cues behind the flags of the posts the summary shows, as the item page computes them.
async fn explain(app: &App, pipeline: &Pipeline, top: &mut [FlaggedPost]) -> AppResult<()> {
    if top.is_empty() {
        return Ok(());
    }
    let mut texts = Vec::new();
    for post in top.iter() {
        let id = hark_core::MentionId::from_raw(post.id.clone());
        let mention = pipeline.store().mention(&id).await.internal("reading a mention")?;
        texts.push(mention.as_ref().map(text_for).unwrap_or_default());
    }
    let scored = app.classifier().await?.classify(texts).await.internal("finding the cues")?;
    for (post, signals) in top.iter_mut().zip(scored) {
        post.cues = signals.cues;
    }
    Ok(())
}

/// Imports the sample CRM export into the pipeline's store; the number of customers.
async fn import_sample_customers(pipeline: &Pipeline, actor: &str) -> AppResult<usize> {
    let now = pipeline.clock().now();
    let parsed = parse_customers(SAMPLE_CUSTOMERS.as_bytes(), CrmFormat::Auto, now)
        .internal("reading the bundled sample/customers.csv")?;
    pipeline
        .store()
        .apply_customer_import(&parsed.customers, actor, "sample/customers.csv", false, now)
        .await
        .internal("importing the sample customers")?;
    Ok(parsed.customers.len())
}

/// Mentions by customers, and the distinct customers who wrote them.
#[derive(Debug, Default)]
struct ByCustomers {
    mentions: usize,
    customers: usize,
}

/// The flagged counts, the top flagged posts and the mentions by customers, from what the
/// store holds (flags at the loaded heads' thresholds).
async fn flagged_posts(pipeline: &Pipeline) -> AppResult<(Flagged, Vec<FlaggedPost>, ByCustomers)> {
    let store = pipeline.store();
    let mut flagged = Flagged::default();
    let mut candidates = Vec::new();
    let mut by_customers = ByCustomers::default();
    let mut customers = std::collections::BTreeSet::new();
    let mut after = 0;
    loop {
        let batch = store.mentions_after(after, 1000).await.internal("reading mentions")?;
        let Some(last) = batch.last() else { break };
        after = last.seq;
        for stored in batch {
            by_customers.mentions += usize::from(stored.customer_id.is_some());
            customers.extend(stored.customer_id.clone());
            flagged.negative += usize::from(
                stored.mention.signals.as_ref().is_some_and(|s| s.sentiment == hark_core::Sentiment::Negative),
            );
            let (Some(worker), Some(signals)) = (pipeline.classifier(), stored.mention.signals.as_ref()) else {
                continue;
            };
            let (complaint, intent) = worker.flags(signals);
            let customer = stored.customer_id.is_some();
            flagged.complaints += usize::from(complaint);
            flagged.complaints_by_customers += usize::from(complaint && customer);
            flagged.intents += usize::from(intent);
            flagged.intents_by_non_customers += usize::from(intent && !customer);
            if complaint || intent {
                candidates.push((stored, complaint, intent));
            }
        }
    }
    let strength = |signals: Option<&Signals>| signals.map_or(0.0, |s| s.complaint.max(s.intent));
    candidates
        .sort_by(|a, b| strength(b.0.mention.signals.as_ref()).total_cmp(&strength(a.0.mention.signals.as_ref())));
    let mut top = Vec::new();
    for (stored, complaint, intent) in candidates.into_iter().take(TOP_FLAGGED) {
        let customer =
            match &stored.customer_id {
                Some(id) => store.customer(id.as_str()).await.internal("reading a customer")?.map(|customer| {
                    CustomerRef { crm_id: customer.crm_ref, name: customer.name, company: customer.company }
                }),
                None => None,
            };
        top.push(flagged_post(stored.mention, customer, complaint, intent));
    }
    by_customers.customers = customers.len();
    Ok((flagged, top, by_customers))
}

fn flagged_post(mention: Mention, customer: Option<CustomerRef>, complaint: bool, intent: bool) -> FlaggedPost {
    let signals = mention.signals.clone();
    let flags = [(complaint, "complaint"), (intent, "intent")]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
    let whole = match &mention.title {
        Some(title) if !mention.text.starts_with(title.as_str()) => format!("{title}: {}", mention.text),
        _ => mention.text.clone(),
    };
    FlaggedPost {
        id: mention.id.as_str().to_owned(),
        source: mention.source_id.clone(),
        kind: mention.source_kind.as_str().to_owned(),
        author: author_label(&mention.author),
        customer,
        flags,
        complaint: signals.as_ref().map_or(0.0, |s| s.complaint),
        intent: signals.as_ref().map_or(0.0, |s| s.intent),
        sentiment: signals.as_ref().map_or("unknown", |s| s.sentiment.as_str()),
        cues: signals.map(|s| s.cues).unwrap_or_default(),
        excerpt: excerpt(&whole),
        url: mention.url,
    }
}

/// `Name (handle)`, or whichever of the two is known.
fn author_label(author: &hark_core::Author) -> Option<String> {
    match (author.name.as_deref(), author.handle.as_deref()) {
        (Some(name), Some(handle)) if !name.eq_ignore_ascii_case(handle) => Some(format!("{name} ({handle})")),
        (_, Some(handle)) => Some(handle.to_owned()),
        (Some(name), None) => Some(name.to_owned()),
        (None, None) => None,
    }
}

/// The first [`EXCERPT_CHARS`] characters of `text` on one line, with an ellipsis when cut.
fn excerpt(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= EXCERPT_CHARS {
        return line;
    }
    let cut: String = line.chars().take(EXCERPT_CHARS).collect();
    format!("{}…", cut.trim_end())
}

/// A demo sign-in, printed for the person trying hark.
#[derive(Debug, Clone, Serialize)]
pub struct DemoLogin {
    pub name: String,
    pub role: crate::Role,
    pub password: String,
}

/// The password of a demo user with [`DemoPasswords::Known`]: `demo-admin` signs in with
/// `demo-admin-password`, and so on.
pub fn known_password(user: &str) -> String {
    format!("{user}-password")
}

/// Which passwords the demo's sign-ins get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoPasswords {
    /// `<user>-password`, the same every time: for a demo served on the loopback interface only.
    Known,
    /// New random ones each time: for a demo others on the network can reach.
    Random,
}

/// The application over a demo data directory, for serving it: the sample's brand and
/// competitors (the dashboard's share of voice); its sources are shown, not pulled.
pub fn serving_app(data_dir: &Path) -> AppResult<App> {
    let config = demo_config("http://127.0.0.1")?;
    let options = AppOptions {
        config_path: PathBuf::from("sample/hark.toml"),
        config_explicit: true,
        data_dir: data_dir.to_owned(),
    };
    Ok(App::with_config(options, config, ConfigOrigin::File))
}

/// One sign-in per role (`demo-admin`, `demo-service`, ...): created the first time, given
/// its password again (known or new) after that.
pub async fn logins(app: &App, caller: &Caller, passwords: DemoPasswords) -> AppResult<Vec<DemoLogin>> {
    caller.require(Permission::Admin)?;
    let store = app.store().await.internal("opening the store")?;
    if store.count_mentions().await.internal("counting mentions")? == 0 {
        return Err(AppError::invalid(
            "no_demo_data",
            format!("{} holds no demo data: run `hark demo` first", app.data_dir().display()),
        ));
    }
    let mut logins = Vec::new();
    for role in crate::Role::ALL {
        let name = format!("demo-{}", role.as_str());
        let known = (passwords == DemoPasswords::Known).then(|| known_password(&name));
        let password = crate::users::reset_or_add(app, caller, &name, role, known.as_deref()).await?;
        logins.push(DemoLogin { name, role, password });
    }
    Ok(logins)
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    #[test]
    fn every_registered_kind_has_a_demo_source_with_routes() {
        let manifest = manifest().unwrap();
        let config = demo_config("http://127.0.0.1:9").unwrap();
        for kind in hark_connectors::registry() {
            assert!(
                config.sources.iter().any(|source| source.kind == kind.name),
                "{} has no source in sample/replay/replay.json",
                kind.name
            );
            assert!(
                manifest.routes.iter().any(|route| route.file.starts_with(&format!("{}/", kind.folder))),
                "{} has no replay under sample/replay/",
                kind.name
            );
        }
    }

    #[test]
    fn every_routed_file_is_compiled_in_and_every_sample_file_is_routed() {
        let routed: std::collections::BTreeSet<String> =
            manifest().unwrap().routes.into_iter().map(|route| route.file).collect();
        let compiled: std::collections::BTreeSet<String> =
            SAMPLE_FILES.iter().map(|(name, _)| (*name).to_owned()).collect();
        assert_eq!(routed, compiled, "SAMPLE_FILES must list exactly the files replay.json routes to");
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample/replay");
        let mut on_disk = std::collections::BTreeSet::new();
        for kind in std::fs::read_dir(&root).unwrap() {
            let kind = kind.unwrap().path();
            if kind.is_dir() {
                for file in std::fs::read_dir(&kind).unwrap() {
                    let file = file.unwrap().path();
                    let relative = file.strip_prefix(&root).unwrap().to_string_lossy().into_owned();
                    on_disk.insert(relative);
                }
            }
        }
        assert_eq!(on_disk, compiled, "every file under sample/replay/<kind>/ is served");
    }

    #[test]
    fn the_demo_configuration_is_valid_and_builds_every_connector() {
        let config = demo_config("http://127.0.0.1:9").unwrap();
        assert_eq!(config.brand.as_ref().unwrap().name, "Acme CRM");
        assert_eq!(config.sources.len(), manifest().unwrap().sources.len());
        for source in &config.sources {
            assert_eq!(source.base_url.as_deref(), Some("http://127.0.0.1:9"));
            let kind = hark_connectors::find(&source.kind).unwrap();
            let mut settings = hark_connectors::Settings::new(&source.id).with_base_url("http://127.0.0.1:9");
            for (name, value) in &source.fields {
                settings = settings.with(name, serde_json::to_value(value).unwrap());
            }
            assert!((kind.build)(&settings).is_ok(), "{}", source.id);
            assert!(
                !serde_json::to_string(&source.fields).unwrap().contains("{base}"),
                "{}: the replay's address is filled in",
                source.id
            );
        }
    }

    #[test]
    fn requests_are_answered_by_stage_and_by_the_most_specific_query() {
        let route = |stage, query: &[(&str, &str)], file: &str| {
            let query = query.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())).collect();
            let route = Route {
                path: "/x".to_owned(),
                stage,
                query,
                file: file.to_owned(),
                content_type: "application/json".to_owned(),
                headers: Vec::new(),
            };
            (route, "")
        };
        let routes = [
            route(Stage::Before, &[("q", "acme crm")], "first"),
            route(Stage::After, &[("q", "acme crm")], "later"),
            route(Stage::After, &[("q", "acme crm"), ("page", "2")], "later page 2"),
            route(Stage::Always, &[("q", "other")], "other"),
        ];
        let chosen = |target: &str, later: bool| choose(&routes, target, later).map(|(route, _)| route.file.as_str());
        assert_eq!(chosen("/x?q=acme+crm&limit=100", false), Some("first"));
        assert_eq!(chosen("/x?q=acme%20crm", true), Some("later"));
        assert_eq!(chosen("/x?page=2&q=acme+crm", true), Some("later page 2"));
        assert_eq!(chosen("/x?q=other", false), Some("other"));
        assert_eq!(chosen("/x?q=other", true), Some("other"));
        assert_eq!(chosen("/x?q=nothing", true), None);
        assert_eq!(percent_decode("created_at_i%3E%3D1796410928"), "created_at_i>=1796410928");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%E2%9C%93+ok"), "✓ ok");
    }

    #[test]
    fn excerpts_are_one_line_and_cut_on_characters() {
        assert_eq!(excerpt("a\n b\tc"), "a b c");
        let long = "é".repeat(EXCERPT_CHARS + 10);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
        assert!(cut.ends_with('…'));
    }

    #[tokio::test]
    async fn a_data_dir_with_data_is_refused_and_only_hark_dirs_are_wiped() {
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path().join("data");
        prepare_data_dir(&dir, false).await.unwrap();
        assert!(dir.is_dir(), "a missing data directory is created");

        let store = hark_store::Store::open_in(&dir).await.unwrap();
        let mention = Mention::new(
            hark_core::SourceKind::parse("reddit").unwrap(),
            "reddit",
            "t3_x".to_owned(),
            "Acme CRM".to_owned(),
            Utc::now(),
        );
        store.save_page("reddit", &[mention], None).await.unwrap();
        store.close().await;
        let refused = prepare_data_dir(&dir, false).await.unwrap_err().to_string();
        assert!(refused.contains("already holds 1 mentions") && refused.contains("--fresh"), "{refused}");

        prepare_data_dir(&dir, true).await.unwrap();
        assert!(!dir.join("hark.db").exists(), "--fresh wipes the store");

        let elsewhere = scratch.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        std::fs::write(elsewhere.join("notes.txt"), "mine").unwrap();
        let kept = prepare_data_dir(&elsewhere, true).await.unwrap_err().to_string();
        assert!(kept.contains("not a hark data directory"), "{kept}");
        assert!(elsewhere.join("notes.txt").exists());
    }
}
