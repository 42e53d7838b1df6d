//! The long-running service (`hark run`): the configured sources on their schedule through
//! the pipeline ([`hark_pipeline::service`]), the alert loop, and the guard that keeps one
//! service per data directory. Serving the web app beside it is the front end's business
//! (the CLI starts `hark-server` on the same [`App`]).
//!
//! On start it takes the data directory's lock (`run.lock`: a second `hark run`, or a
//! `hark restore`, is refused while it is held), closes the runs a killed process left open
//! (they become coverage gaps, refetched from the saved cursors), and loads the model. It
//! returns when `stop` turns true and the pages in flight are saved, or after one pass of
//! every source with `once`.

use std::fs::File;
use std::time::Duration;

use fs4::fs_std::FileExt;
use hark_connectors::http::{HttpClient, HttpConfig};
use hark_pipeline::pull::SourceReport;
use hark_pipeline::service::{ScheduledSource, Service, ServiceOptions};
use serde::Serialize;
use tokio::sync::watch;

use crate::access::{Caller, Permission};
use crate::error::{AppError, AppResult, Context};
use crate::roles::{ProcessReport, Role};
use crate::{App, Scoring};

/// How often a source without `interval` is pulled.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(15 * 60);

/// The lock file `hark run` holds in the data directory.
pub const LOCK_FILE: &str = "run.lock";

/// What the ledger says about runs a killed process left open.
const INTERRUPTED: &str =
    "hark stopped during this run (killed or crashed); the next pass refetches from the saved cursor";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRequest {
    /// One pass of every source, then return.
    pub once: bool,
    /// Score new mentions with the local model.
    pub classify: bool,
    /// Passes at once at most.
    pub max_concurrent: usize,
    /// Pages waiting between stages at most.
    pub channel_pages: usize,
    /// A fetch without an answer for this long counts as a stalled source.
    pub stall_after: Duration,
    /// First retry of a failed source after this; doubling.
    pub retry_base: Duration,
    /// Which part of the service this process runs.
    pub role: Role,
}

impl Default for RunRequest {
    fn default() -> Self {
        let defaults = ServiceOptions::default();
        Self {
            once: false,
            classify: true,
            max_concurrent: defaults.max_concurrent,
            channel_pages: defaults.channel_pages,
            stall_after: defaults.stall_after,
            retry_base: defaults.retry_base,
            role: Role::All,
        }
    }
}

/// What a service run did before it returned.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSummary {
    /// Every pass, in the order they ended.
    pub passes: Vec<SourceReport>,
    /// Whether it returned because it was told to stop.
    pub stopped: bool,
    /// Runs a killed process had left open, closed on start.
    pub interrupted_runs: u64,
    /// Whether new mentions were scored.
    pub scored: bool,
    /// Which part of the service ran.
    pub role: Role,
    /// What a process worker did (`--role process`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processed: Option<ProcessReport>,
}

impl RunSummary {
    /// Whether a pass failed (with `--once`, the exit status says so).
    pub fn failed(&self) -> bool {
        self.passes.iter().any(|pass| pass.failed() && pass.error_kind.as_deref() != Some("stopped"))
    }
}

/// The data directory's lock, held while the service runs; released when dropped.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

/// Takes the data directory's lock, or says who holds it.
pub fn lock_data_dir(app: &App) -> AppResult<RunLock> {
    let dir = app.data_dir();
    std::fs::create_dir_all(dir).internal(&format!("creating the data directory {}", dir.display()))?;
    let path = dir.join(LOCK_FILE);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .internal(&format!("opening {}", path.display()))?;
    match FileExt::try_lock_exclusive(&file) {
        Ok(true) => Ok(RunLock { _file: file }),
        Ok(false) => Err(AppError::conflict(
            "data_dir_in_use",
            format!("another `hark run` is using {}; stop it first (one service per data directory)", dir.display()),
        )),
        Err(err) => Err(AppError::internal(format!("locking {}", path.display()), err)),
    }
}

/// Whether a `hark run` holds the data directory now.
pub fn data_dir_in_use(app: &App) -> bool {
    let path = app.data_dir().join(LOCK_FILE);
    let Ok(file) = File::options().write(true).open(&path) else { return false };
    // Taking it for a moment tells; it is released when `file` is dropped.
    matches!(FileExt::try_lock_exclusive(&file), Ok(false))
}

/// The configured sources with their intervals.
pub fn scheduled_sources(app: &App) -> Vec<ScheduledSource> {
    app.config()
        .sources
        .iter()
        .map(|source| ScheduledSource {
            source: crate::pull::pull_source(source),
            interval: source
                .interval
                .as_deref()
                .and_then(|raw| crate::config::parse_interval(raw).ok())
                .unwrap_or(DEFAULT_INTERVAL),
        })
        .collect()
}

/// Runs the service until `stop` turns true (or one pass of each source with `once`).
pub async fn run(
    app: &App,
    caller: &Caller,
    request: &RunRequest,
    stop: watch::Receiver<bool>,
) -> AppResult<RunSummary> {
    run_sources(app, caller, request, scheduled_sources(app), stop).await
}

/// [`run`] over the given sources instead of the configured ones (tests bring sources with
/// connectors of their own).
pub async fn run_sources(
    app: &App,
    caller: &Caller,
    request: &RunRequest,
    sources: Vec<ScheduledSource>,
    stop: watch::Receiver<bool>,
) -> AppResult<RunSummary> {
    caller.require(Permission::Admin)?;
    match request.role {
        Role::All => run_all(app, caller, request, sources, stop).await,
        Role::Fetch => run_fetch(app, request, sources, stop).await,
        Role::Process => run_process(app, request, stop).await,
        Role::Serve => run_serve(app, caller, stop).await,
    }
}

fn service_options(request: &RunRequest) -> ServiceOptions {
    ServiceOptions {
        max_concurrent: request.max_concurrent,
        channel_pages: request.channel_pages,
        stall_after: request.stall_after,
        retry_base: request.retry_base,
        once: request.once,
        ..ServiceOptions::default()
    }
}

fn no_sources(app: &App) -> AppError {
    AppError::invalid(
        "no_sources",
        format!("no sources configured: add [[sources]] to {}", app.config_path().display()),
    )
}

/// Everything in this process: sources, pipeline, alerts (the server runs beside it).
async fn run_all(
    app: &App,
    caller: &Caller,
    request: &RunRequest,
    sources: Vec<ScheduledSource>,
    stop: watch::Receiver<bool>,
) -> AppResult<RunSummary> {
    if sources.is_empty() && request.once {
        return Err(no_sources(app));
    }
    let _lock = lock_data_dir(app)?;
    let store = app.store().await?;
    let interrupted_runs = store
        .close_abandoned_runs(None, app.clock().now(), "interrupted", INTERRUPTED)
        .await
        .internal("closing runs a killed process left open")?;
    if interrupted_runs > 0 {
        tracing::warn!(
            runs = interrupted_runs,
            "closed runs left open by a process that was killed; they are coverage gaps until the next clean pass"
        );
    }
    app.set_scoring(if request.classify { Scoring::Loading } else { Scoring::Unscored });
    let pipeline = std::sync::Arc::new(app.pipeline(request.classify).await?);
    let scored = pipeline.classifier().is_some();
    app.set_scoring(if scored { Scoring::Scoring } else { Scoring::Unscored });
    // The only process on this store (run.lock): whatever a killed run saved but did not
    // route is settled now, however young.
    settle_all(&pipeline).await;
    let http = HttpClient::new(HttpConfig::default()).internal("starting the HTTP client")?;
    let options = service_options(request);
    tracing::info!(sources = sources.len(), scored, max_concurrent = options.max_concurrent, "service started");
    let alerts = (!request.once).then(|| crate::alerts::spawn_delivery(app.clone()));
    let report = Service::new(std::sync::Arc::clone(&pipeline), http, sources, options).run(stop).await;
    if let Some(alerts) = alerts {
        alerts.abort();
    }
    // The last pages may have made alerts: one more delivery pass before returning (what it
    // cannot deliver now stays in the outbox for the next start).
    final_delivery(app, caller).await;
    if let Some(indexer) = pipeline.indexer() {
        indexer.commit().internal("committing the mention index")?;
    }
    Ok(RunSummary {
        passes: report.passes,
        stopped: report.stopped,
        interrupted_runs,
        scored,
        role: Role::All,
        processed: None,
    })
}

/// A fetcher: the sources on their schedule, each page to the stream, cursors saved once the
/// stream has the page. Several fetchers share the sources through leases.
async fn run_fetch(
    app: &App,
    request: &RunRequest,
    sources: Vec<ScheduledSource>,
    stop: watch::Receiver<bool>,
) -> AppResult<RunSummary> {
    if sources.is_empty() {
        return Err(no_sources(app));
    }
    let bus = crate::roles::connect_bus(app, Role::Fetch).await?;
    let _lock = lock_data_dir(app)?;
    app.set_scoring(Scoring::NotRunning);
    let pipeline = std::sync::Arc::new(app.pipeline_with(false, false).await?);
    let http = HttpClient::new(HttpConfig::default())
        .internal("starting the HTTP client")?
        .with_shared_pacing(std::sync::Arc::new(crate::roles::StorePacing(pipeline.store().clone())));
    let holder = crate::roles::holder_name(app);
    let options = ServiceOptions { lease_holder: Some(holder.clone()), ..service_options(request) };
    let (jobs, publisher) = crate::roles::spawn_publisher(
        bus,
        pipeline.store().clone(),
        std::sync::Arc::clone(app.clock()),
        holder.clone(),
        hark_pipeline::service::lease_ttl(&options),
        options.channel_pages,
    );
    tracing::info!(sources = sources.len(), %holder, "fetcher started: pages go to the stream");
    let report = Service::new(pipeline, http, sources, options).run_into(stop, jobs).await;
    if let Err(err) = publisher.await {
        tracing::error!(error = %err, "the publisher ended abnormally");
    }
    Ok(RunSummary {
        passes: report.passes,
        stopped: report.stopped,
        interrupted_runs: 0,
        scored: false,
        role: Role::Fetch,
        processed: None,
    })
}

/// A process worker: pages from the stream through classify, persist, match and route.
async fn run_process(app: &App, request: &RunRequest, stop: watch::Receiver<bool>) -> AppResult<RunSummary> {
    let bus = crate::roles::connect_bus(app, Role::Process).await?;
    app.set_scoring(if request.classify { Scoring::Loading } else { Scoring::Unscored });
    let pipeline = std::sync::Arc::new(app.pipeline_with(request.classify, false).await?);
    let scored = pipeline.classifier().is_some();
    app.set_scoring(if scored { Scoring::Scoring } else { Scoring::Unscored });
    tracing::info!(scored, "process worker started: reading pages from the stream");
    let defaults = ServiceOptions::default();
    let settler = crate::roles::spawn_settler(std::sync::Arc::clone(&pipeline), stop.clone());
    let report = crate::roles::process_pages(&bus, pipeline, request.channel_pages, defaults.batch_texts, stop).await;
    settler.abort();
    let report = report?;
    tracing::info!(pages = report.pages, new = report.new, retried = report.retried, "process worker stopped");
    Ok(RunSummary {
        passes: Vec::new(),
        stopped: true,
        interrupted_runs: 0,
        scored,
        role: Role::Process,
        processed: Some(report),
    })
}

/// A serving process: alert delivery until `stop` (the CLI serves the API and the web app
/// beside it; searches bring the index up to the store's sequence first).
async fn run_serve(app: &App, caller: &Caller, mut stop: watch::Receiver<bool>) -> AppResult<RunSummary> {
    app.store().await?;
    app.set_scoring(Scoring::NotRunning);
    let alerts = crate::alerts::spawn_delivery(app.clone());
    drop(stop.wait_for(|stopped| *stopped).await);
    alerts.abort();
    final_delivery(app, caller).await;
    Ok(RunSummary {
        passes: Vec::new(),
        stopped: true,
        interrupted_runs: 0,
        scored: false,
        role: Role::Serve,
        processed: None,
    })
}

/// Settles every mention a killed process saved but did not match and route.
async fn settle_all(pipeline: &hark_pipeline::Pipeline) {
    if let Err(err) = pipeline.settle_all_leftovers(None).await {
        tracing::warn!(error = %format!("{:#}", anyhow::Error::new(err)), "settling mentions a killed run left unrouted");
    }
}

/// One delivery pass, when webhooks are configured; failures are logged, not returned (the
/// outbox keeps what was not delivered).
async fn final_delivery(app: &App, caller: &Caller) {
    match crate::alerts::notifier(app) {
        Ok(Some(notifier)) => match crate::alerts::deliver_with(app, caller, &notifier, app.clock().now()).await {
            Ok(summary) => {
                crate::alerts::count_deliveries(&summary);
                if summary.delivered + summary.failed + summary.dead > 0 {
                    tracing::info!(delivered = summary.delivered, failed = summary.failed, "last delivery pass");
                }
            }
            Err(err) => tracing::warn!(error = %err, "the last delivery pass failed; the outbox keeps the alerts"),
        },
        Ok(None) => {}
        Err(err) => tracing::warn!(error = %err, "webhooks are configured but cannot start"),
    }
}
