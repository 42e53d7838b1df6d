//! `hark run --role fetch` and `--role process`: the service split over several processes
//! that share a PostgreSQL store and a NATS JetStream page stream ([`hark_bus`]).
//!
//! - A fetcher runs the scheduler and the connectors. Each page goes to the stream; once the
//!   stream has stored it, the fetcher renews its lease on the source and saves the source's
//!   cursor. A fetcher killed before that fetches the page again (same message id: the stream
//!   keeps it once). Each pass holds the source's lease, so two fetchers never pull one source.
//!   Every request takes its slot from the store ([`StorePacing`]), so the hosts' quotas hold
//!   across fetchers, across a lease changing hands and across a fetcher's restart.
//! - A process worker reads pages from the stream and puts them through its score and commit
//!   stages (classify, persist, match, route); it acknowledges a page once it is committed.
//!   Killed at any point, it leaves the page unacknowledged and the stream delivers it again;
//!   the store saves each post once, routes it once and writes each alert once, so the repeat
//!   is harmless. Workers do not index: serving processes follow the store's sequence.
//! - A worker killed after saving a page but before routing it leaves posts stored and
//!   unrouted; its page comes back and finds them stored. Every worker's settler routes such
//!   posts once they are `[bus] settle_after` old, whether or not more pages arrive.

use std::sync::Arc;
use std::time::Duration;

use hark_bus::{Bus, PageMessage};
use hark_pipeline::pull::PageJob;
use hark_pipeline::service::spawn_stages;
use hark_pipeline::{PageOutcome, PipelineError};
use hark_store::Store;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::App;
use crate::error::{AppError, AppResult};

/// A page not acknowledged this long after delivery goes to another worker.
pub const ACK_WAIT: Duration = Duration::from_secs(60);

/// What `hark run --role ...` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything in one process (the default).
    #[default]
    All,
    /// The scheduler and the connectors; pages go to the stream.
    Fetch,
    /// Pages from the stream through classify, persist, match and route.
    Process,
    /// The API, the web app and alert delivery; the index follows the store.
    Serve,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::All => "all",
            Role::Fetch => "fetch",
            Role::Process => "process",
            Role::Serve => "serve",
        }
    }
}

/// The page stream, for a fetch or process role: `[bus] url` (or `HARK_BUS_URL`) must name
/// it, and the store must be one the processes share.
pub async fn connect_bus(app: &App, role: Role) -> AppResult<Bus> {
    let needs = |what: &str| {
        AppError::invalid(
            "role_needs_shared_services",
            format!(
                "--role {} needs {what}: hark runs as several processes over a PostgreSQL store ([store] url or \
                 HARK_STORE_URL) and a NATS JetStream server ([bus] url or HARK_BUS_URL)",
                role.as_str()
            ),
        )
    };
    if app.config().store.effective_url().is_none() {
        return Err(needs("a shared store"));
    }
    let Some(url) = app.config().bus.effective_url() else {
        return Err(needs("the page stream"));
    };
    Bus::connect(&url).await.map_err(|err| AppError::invalid("bus_unreachable", err.to_string()))
}

/// This fetcher's name as a lease holder: its host and data directory. One fetcher runs per
/// data directory (`run.lock`), so the name is its own, and a fetcher started again after a
/// crash takes its leases back at once instead of waiting for them to run out.
pub fn holder_name(app: &App) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let dir = std::fs::canonicalize(app.data_dir()).unwrap_or_else(|_| app.data_dir().to_owned());
    format!("{}:{}", host.trim(), dir.display())
}

/// Request slots in the shared store: one quota per host and credential for every fetcher.
#[derive(Debug, Clone)]
pub struct StorePacing(pub Store);

impl hark_connectors::http::SharedPacing for StorePacing {
    fn reserve<'a>(&'a self, key: &'a str, spacing: Duration) -> hark_connectors::http::PacingFuture<'a> {
        Box::pin(async move {
            // Real time, not the application's clock: the slots pace real requests.
            let now = chrono::Utc::now();
            let slot = self.0.reserve_request_slot(key, now, spacing).await.map_err(|err| err.to_string())?;
            Ok((slot - now).to_std().unwrap_or_default())
        })
    }
}

/// The fetcher's downstream: every page to the stream, then the lease renewed and the
/// cursor saved. Ends when every sender is dropped and the pages are handed on.
pub fn spawn_publisher(
    bus: Bus,
    store: Store,
    clock: Arc<dyn hark_core::Clock>,
    holder: String,
    lease_ttl: chrono::Duration,
    channel_pages: usize,
) -> (mpsc::Sender<PageJob>, tokio::task::JoinHandle<()>) {
    let (jobs, mut incoming) = mpsc::channel::<PageJob>(channel_pages.max(1));
    let handle = tokio::spawn(async move {
        while let Some(job) = incoming.recv().await {
            let outcome = publish_one(&bus, &store, clock.as_ref(), &holder, lease_ttl, &job).await;
            drop(job.reply.send(outcome));
        }
    });
    (jobs, handle)
}

async fn publish_one(
    bus: &Bus,
    store: &Store,
    clock: &dyn hark_core::Clock,
    holder: &str,
    lease_ttl: chrono::Duration,
    job: &PageJob,
) -> Result<PageOutcome, PipelineError> {
    let failed = |detail: String| PipelineError::Publish { source_id: job.source_id.clone(), detail };
    let page = PageMessage {
        source_id: job.source_id.clone(),
        mentions: job.mentions.clone(),
        cursor: job.cursor.clone(),
        fetched_at: clock.now(),
    };
    let published = bus.publish(&page).await.map_err(|err| failed(err.to_string()))?;
    metrics::counter!("hark_pages_published_total", "source" => job.source_id.clone()).increment(1);
    let renewed = store
        .take_lease(&job.source_id, holder, clock.now(), lease_ttl)
        .await
        .map_err(|err| failed(format!("renewing the source's lease: {err}")))?;
    if !renewed {
        return Err(failed("another fetcher took over the source (this one's lease ran out)".to_owned()));
    }
    store
        .save_page(&job.source_id, &[], job.cursor.as_deref())
        .await
        .map_err(|source| PipelineError::Persist { source_id: job.source_id.clone(), source })?;
    tracing::debug!(source_id = %job.source_id, sequence = published.sequence, duplicate = published.duplicate, "page published");
    // On a fetcher, "new" counts the posts handed to the stream (the workers tell new from seen).
    Ok(PageOutcome {
        new_mentions: if published.duplicate {
            Vec::new()
        } else {
            job.mentions.iter().map(|m| m.id.clone()).collect()
        },
        duplicates: if published.duplicate { job.mentions.len() } else { 0 },
        ..PageOutcome::default()
    })
}

/// Until `stop`: routes the posts a killed worker saved but did not route, once they are the
/// pipeline's leftover age old, checking a quarter of that age apart (at most every 30 s).
pub fn spawn_settler(
    pipeline: Arc<hark_pipeline::Pipeline>,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let age = pipeline.leftover_age();
    let every =
        (age.to_std().unwrap_or(Duration::from_secs(120)) / 4).clamp(Duration::from_secs(1), Duration::from_secs(30));
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                return;
            }
            if let Err(err) = pipeline.settle_all_leftovers(Some(age)).await {
                tracing::warn!(error = %format!("{:#}", anyhow::Error::new(err)), "settling posts a stopped worker left unrouted; trying again later");
            }
        }
    })
}

/// What a process worker did before it stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ProcessReport {
    /// Pages committed and acknowledged.
    pub pages: u64,
    /// Posts stored for the first time.
    pub new: u64,
    /// Pages handed back to the stream after a failure (delivered again later).
    pub retried: u64,
    /// Pages that were deliveries of a page seen before (a worker died holding it, or it was
    /// handed back).
    pub redelivered: u64,
}

/// A process worker: pages from the stream through `pipeline`'s stages until `stop`.
pub async fn process_pages(
    bus: &Bus,
    pipeline: Arc<hark_pipeline::Pipeline>,
    channel_pages: usize,
    batch_texts: usize,
    mut stop: watch::Receiver<bool>,
) -> AppResult<ProcessReport> {
    let mut pages = bus.pages(ACK_WAIT).await.map_err(|err| AppError::invalid("bus_unreachable", err.to_string()))?;
    let (jobs, stages) = spawn_stages(pipeline, channel_pages, batch_texts);
    let mut answers: JoinSet<(bool, usize, bool)> = JoinSet::new();
    let mut report = ProcessReport::default();
    let tally = |report: &mut ProcessReport, (committed, new, redelivered): (bool, usize, bool)| {
        if committed {
            report.pages += 1;
            report.new += new as u64;
        } else {
            report.retried += 1;
        }
        report.redelivered += u64::from(redelivered);
    };
    loop {
        // Bounded in flight: as many pages as the stages hold, then wait for answers.
        while answers.len() > channel_pages.max(1) * 2 {
            if let Some(Ok(done)) = answers.join_next().await {
                tally(&mut report, done);
            }
        }
        let delivered = tokio::select! {
            next = pages.next() => next,
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() { break }
                continue;
            }
            Some(Ok(done)) = answers.join_next(), if !answers.is_empty() => {
                tally(&mut report, done);
                continue;
            }
        };
        let delivered = match delivered {
            Some(Ok(delivered)) => delivered,
            failed => {
                // The server went away (a restart, a network cut): wait, then read again; the
                // pages wait in the stream meanwhile.
                if let Some(Err(err)) = failed {
                    tracing::warn!(error = %err, "reading the page stream; trying again");
                }
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.changed() => {}
                }
                if *stop.borrow() {
                    break;
                }
                match bus.pages(ACK_WAIT).await {
                    Ok(again) => pages = again,
                    Err(err) => tracing::warn!(error = %err, "the page stream is unreachable; trying again"),
                }
                continue;
            }
        };
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = PageJob {
            source_id: delivered.page.source_id.clone(),
            run_id: 0,
            mentions: delivered.page.mentions.clone(),
            // The fetcher saved the cursor; a redelivered old page must not move it back.
            cursor: None,
            reply,
        };
        if jobs.send(job).await.is_err() {
            break;
        }
        answers.spawn(async move {
            let redelivered = delivered.delivered > 1;
            match answer.await {
                Ok(Ok(outcome)) => {
                    if let Err(err) = delivered.ack().await {
                        // Committed but not acknowledged: it comes back and is found stored.
                        tracing::warn!(error = %err, "acknowledging a committed page");
                    }
                    metrics::counter!("hark_pages_processed_total", "source" => delivered.page.source_id.clone()).increment(1);
                    (true, outcome.new_mentions.len(), redelivered)
                }
                Ok(Err(err)) => {
                    tracing::warn!(source_id = %delivered.page.source_id, error = %format!("{:#}", anyhow::Error::new(err)), "a page failed; the stream delivers it again");
                    if let Err(err) = delivered.retry_after(Duration::from_secs(5)).await {
                        tracing::warn!(error = %err, "handing a failed page back (it comes back after the ack wait)");
                    }
                    (false, 0, redelivered)
                }
                Err(_) => (false, 0, redelivered),
            }
        });
    }
    drop(jobs);
    if let Err(err) = stages.await {
        tracing::error!(error = %err, "the pipeline stages ended abnormally");
    }
    while let Some(done) = answers.join_next().await {
        if let Ok(done) = done {
            tally(&mut report, done);
        }
    }
    Ok(report)
}
