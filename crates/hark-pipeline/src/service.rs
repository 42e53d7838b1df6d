//! The engine of the long-running service (`hark run`): every source pulled on its interval,
//! with jitter, at most `max_concurrent` passes at a time, and the pages flowing through
//! bounded channels between three stages:
//!
//! ```text
//! passes (fetch, one task per source) ──jobs──▶ score (batched, classifier thread) ──▶ commit (persist + cursor, match, route, index)
//! ```
//!
//! Each channel holds at most `channel_pages` pages, so a slow stage makes the fetchers wait
//! instead of growing memory. A pass fetches its next page while the previous one is being
//! saved, but hands it on only once that one is saved, so a page that fails is never skipped
//! (its cursor is not advanced). A source that fails, panics or stalls is recorded in the run
//! ledger and retried later with exponential backoff while the others go on.
//!
//! Stopping (the `stop` watch turning true): passes stop fetching (a fetch in flight is
//! dropped: its page was never saved, nor its cursor), the pages already fetched go through
//! the stages, every run is closed, and [`Service::run`] returns. The caller bounds the time.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use hark_connectors::http::HttpClient;
use rand::Rng as _;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::pull::{BEHIND, Guard, PageJob, PullSource, Sink, SourceReport, panic_message, pass};
use crate::{Pipeline, PipelineError, PreparedPage};

/// A source the service pulls, and how often.
#[derive(Debug, Clone)]
pub struct ScheduledSource {
    pub source: PullSource,
    pub interval: Duration,
}

/// How the service paces itself.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    /// Passes running at once at most.
    pub max_concurrent: usize,
    /// Pages waiting in each channel between stages at most.
    pub channel_pages: usize,
    /// Texts per classifier batch at most: pages waiting to be scored are scored together up
    /// to this (none is waited for). Larger sets sort by length better, so less padding: on
    /// 100-post pages, scoring 5 pages at once is about 5% faster than one by one, and 10
    /// (with 16 pages per channel, so that 10 can be waiting) about 5% faster again
    /// (`hark bench pipeline --batch-texts`, docs/model-card.md).
    pub batch_texts: usize,
    /// A fetch without an answer for this long is a stalled source.
    pub stall_after: Duration,
    /// The first retry of a failed source comes after this; each further failure doubles it.
    pub retry_base: Duration,
    /// Retries never wait longer than this.
    pub retry_max: Duration,
    /// Each wait is drawn within ± this share of itself, so sources do not fire in step.
    pub jitter: f64,
    /// One pass of every source, then return.
    pub once: bool,
    /// When several fetchers share the store: this fetcher's name. Each pass then first
    /// takes the source's lease ([`hark_store::Store::take_lease`]) and skips the source while
    /// another fetcher holds it; the stage downstream renews it page by page.
    pub lease_holder: Option<String>,
}

impl Default for ServiceOptions {
    fn default() -> Self {
        Self {
            max_concurrent: 4,
            channel_pages: 16,
            batch_texts: 1024,
            stall_after: Duration::from_secs(300),
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(3600),
            jitter: 0.1,
            once: false,
            lease_holder: None,
        }
    }
}

/// What the service did before it returned.
#[derive(Debug, Clone, Default)]
pub struct ServiceReport {
    /// Every pass, in the order they ended.
    pub passes: Vec<SourceReport>,
    /// Whether it returned because it was told to stop.
    pub stopped: bool,
}

/// The scheduler and its stages over one pipeline.
#[derive(Debug)]
pub struct Service {
    pipeline: Arc<Pipeline>,
    http: HttpClient,
    sources: Vec<ScheduledSource>,
    options: ServiceOptions,
}

/// What a spawned pass needs, shared.
struct Shared {
    pipeline: Arc<Pipeline>,
    http: HttpClient,
    jobs: mpsc::Sender<PageJob>,
    guard: Guard,
}

/// Where one source stands between passes.
#[derive(Debug, Clone)]
struct Slot {
    due: Instant,
    running: bool,
    done: bool,
    failures: u32,
}

impl Service {
    pub fn new(
        pipeline: Arc<Pipeline>,
        http: HttpClient,
        sources: Vec<ScheduledSource>,
        options: ServiceOptions,
    ) -> Self {
        Self { pipeline, http, sources, options }
    }

    /// Runs until `stop` turns true (or, with `once`, until every source had its pass), the
    /// pages going through this process's score and commit stages.
    pub async fn run(self, stop: watch::Receiver<bool>) -> ServiceReport {
        let (jobs, stages) =
            spawn_stages(Arc::clone(&self.pipeline), self.options.channel_pages, self.options.batch_texts);
        let report = self.run_into(stop, jobs).await;
        if let Err(err) = stages.await {
            tracing::error!(error = %err, "the pipeline stages ended abnormally");
        }
        report
    }

    /// Runs the scheduler and the passes, handing every page to `jobs` (whoever reads it
    /// answers each page: saved, or published to a stream). Returns once every pass has ended
    /// and its sender is dropped; the reader then drains what is queued.
    pub async fn run_into(self, stop: watch::Receiver<bool>, jobs: mpsc::Sender<PageJob>) -> ServiceReport {
        let Self { pipeline, http, sources, options } = self;
        let shared = Arc::new(Shared {
            pipeline,
            http,
            jobs,
            guard: Guard { stop: Some(stop.clone()), stall_after: Some(options.stall_after) },
        });
        schedule(&shared, &sources, &options, stop).await
    }
}

/// The score and commit stages over `pipeline`: pages sent into the returned channel are
/// scored in batches of up to `batch_texts` texts and committed in arrival order, each answered
/// on its reply channel. The handle ends once every sender is dropped and the pages drained.
pub fn spawn_stages(
    pipeline: Arc<Pipeline>,
    channel_pages: usize,
    batch_texts: usize,
) -> (mpsc::Sender<PageJob>, tokio::task::JoinHandle<()>) {
    let capacity = channel_pages.max(1);
    let (jobs, incoming) = mpsc::channel::<PageJob>(capacity);
    let (scored_tx, scored_rx) = mpsc::channel::<(PageJob, PreparedPage)>(capacity);
    let score = tokio::spawn(score_stage(Arc::clone(&pipeline), incoming, scored_tx, batch_texts.max(1)));
    let commit = tokio::spawn(commit_stage(pipeline, scored_rx));
    let stages = tokio::spawn(async move {
        for (stage, handle) in [("score", score), ("commit", commit)] {
            if let Err(err) = handle.await {
                tracing::error!(stage, error = %err, "a pipeline stage ended abnormally");
            }
        }
    });
    (jobs, stages)
}

/// A pass that found the source leased by another fetcher: not a failure, tried again after
/// its interval.
pub const LEASED: &str = "leased";

/// What the ledger says about a run whose fetcher stopped before it ended.
const ABANDONED: &str = "the fetcher running this pass stopped before it ended (killed or crashed); the next pass refetches from the saved cursor";

/// How long a fetcher's lease on a source lasts without renewal: a fetcher that dies gives
/// its sources up this long after its last renewal at most.
pub fn lease_ttl(_options: &ServiceOptions) -> chrono::Duration {
    chrono::Duration::seconds(30)
}

/// One pass of `source`, under its lease when the service has a lease holder (renewed every
/// third of its life while the pass runs, and by the stage downstream with every page).
async fn leased_pass(shared: &Shared, source: &PullSource, options: &ServiceOptions) -> Result<SourceReport, String> {
    let store = shared.pipeline.store();
    let mut heartbeat = None;
    if let Some(holder) = &options.lease_holder {
        let ttl = lease_ttl(options);
        let now = shared.pipeline.clock().now();
        match store.take_lease(&source.id, holder, now, ttl).await {
            Ok(true) => {
                // Holding the lease, this fetcher alone pulls the source: a run of it still
                // open is one a killed fetcher left.
                match store.close_abandoned_runs(Some(&source.id), now, "interrupted", ABANDONED).await {
                    Ok(0) => {}
                    Ok(runs) => tracing::warn!(source_id = %source.id, runs, "closed runs a killed fetcher left open"),
                    Err(err) => {
                        tracing::warn!(source_id = %source.id, error = %err, "closing runs a killed fetcher left open");
                    }
                }
            }
            Ok(false) => {
                return Ok(SourceReport {
                    id: source.id.clone(),
                    kind: source.kind.clone(),
                    outcome: "skipped".to_owned(),
                    error_kind: Some(LEASED.to_owned()),
                    ..SourceReport::default()
                });
            }
            Err(err) => return Err(format!("taking the source's lease: {}", hark_core::error_chain(&err))),
        }
        let (store, clock, holder, id) =
            (store.clone(), Arc::clone(shared.pipeline.clock()), holder.clone(), source.id.clone());
        let every = (ttl / 3).to_std().unwrap_or(Duration::from_secs(10));
        heartbeat = Some(tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                match store.take_lease(&id, &holder, clock.now(), ttl).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(source_id = %id, "another fetcher took over this source's lease"),
                    Err(err) => tracing::warn!(source_id = %id, error = %err, "renewing the source's lease"),
                }
            }
        }));
    }
    let outcome = pass(&shared.pipeline, &shared.http, source, &Sink::Staged(shared.jobs.clone()), &shared.guard)
        .await
        .map_err(|err| format!("{:#}", hark_core::error_chain(&err)));
    if let Some(heartbeat) = heartbeat {
        heartbeat.abort();
    }
    if let Some(holder) = &options.lease_holder {
        if let Err(err) = store.release_lease(&source.id, holder).await {
            tracing::warn!(source_id = %source.id, error = %err, "releasing the source's lease (it runs out by itself)");
        }
    }
    outcome
}

async fn schedule(
    shared: &Arc<Shared>,
    sources: &[ScheduledSource],
    options: &ServiceOptions,
    mut stop: watch::Receiver<bool>,
) -> ServiceReport {
    let started = Instant::now();
    let mut slots: Vec<Slot> = sources
        .iter()
        .map(|scheduled| Slot {
            // Spread the first passes a little, unless each runs once.
            due: if options.once {
                started
            } else {
                started + jittered(Duration::from_millis(500).min(scheduled.interval / 10), 1.0)
            },
            running: false,
            done: false,
            failures: 0,
        })
        .collect();
    let mut passes: JoinSet<(usize, Result<SourceReport, String>)> = JoinSet::new();
    let mut tasks: HashMap<tokio::task::Id, usize> = HashMap::new();
    let mut report = ServiceReport::default();
    let mut stopping = *stop.borrow();
    loop {
        let now = Instant::now();
        if !stopping {
            for (index, slot) in slots.iter_mut().enumerate() {
                if passes.len() >= options.max_concurrent.max(1) {
                    break;
                }
                if !slot.running && !slot.done && slot.due <= now {
                    slot.running = true;
                    let shared = Arc::clone(shared);
                    let source = sources[index].source.clone();
                    let options = options.clone();
                    let handle = passes.spawn(async move { (index, leased_pass(&shared, &source, &options).await) });
                    tasks.insert(handle.id(), index);
                }
            }
        }
        let idle = slots.iter().all(|slot| !slot.running);
        if idle && (stopping || slots.iter().all(|slot| slot.done)) {
            break;
        }
        // At the cap (or stopping), nothing can start before a pass ends: wait for that, not
        // for a due time that may already have passed (which would spin).
        let can_start = !stopping && passes.len() < options.max_concurrent.max(1);
        let next_due = slots
            .iter()
            .filter(|slot| can_start && !slot.running && !slot.done)
            .map(|slot| slot.due)
            .min()
            .unwrap_or(now + Duration::from_secs(3600));
        tokio::select! {
            joined = passes.join_next_with_id(), if !passes.is_empty() => {
                let Some(joined) = joined else { continue };
                let (index, outcome) = match joined {
                    Ok((id, done)) => {
                        tasks.remove(&id);
                        done
                    }
                    Err(err) => {
                        // A panic outside the connector (`pass` catches the connector's own).
                        let Some(index) = tasks.remove(&err.id()) else { continue };
                        let message = if err.is_panic() {
                            format!("the pass panicked: {}", panic_message(err.into_panic().as_ref()))
                        } else {
                            "the pass was cancelled".to_owned()
                        };
                        let source_id = &sources[index].source.id;
                        tracing::error!(%source_id, error = %message, "a pass ended abnormally");
                        let closed = shared.pipeline.store().close_abandoned_runs(Some(source_id), shared.pipeline.clock().now(), "panic", &message).await;
                        if let Err(err) = closed {
                            tracing::error!(%source_id, error = %err, "closing the run of a pass that panicked");
                        }
                        (index, Err(message))
                    }
                };
                let slot = &mut slots[index];
                slot.running = false;
                let scheduled = &sources[index];
                let (delay, reported) = match outcome {
                    Ok(pass_report) => (after_pass(slot, scheduled, &pass_report, options), pass_report),
                    Err(message) => {
                        tracing::error!(source_id = %scheduled.source.id, error = %message, "the pass failed");
                        slot.failures += 1;
                        let failed = SourceReport {
                            id: scheduled.source.id.clone(),
                            kind: scheduled.source.kind.clone(),
                            outcome: "failed".to_owned(),
                            error: Some(message),
                            ..SourceReport::default()
                        };
                        (backoff(slot.failures, scheduled.interval, options), failed)
                    }
                };
                metrics::counter!("hark_passes_total", "source" => scheduled.source.id.clone(), "outcome" => reported.outcome.clone()).increment(1);
                metrics::gauge!("hark_source_consecutive_failures", "source" => scheduled.source.id.clone()).set(f64::from(slot.failures));
                slot.due = Instant::now() + delay;
                slot.done = options.once;
                if !options.once {
                    tracing::info!(source_id = %scheduled.source.id, outcome = %reported.outcome, new = reported.new, next_in_s = delay.as_secs(), "pass finished");
                }
                report.passes.push(reported);
            }
            () = tokio::time::sleep_until(next_due) => {}
            changed = stop.changed(), if !stopping => {
                // A dropped sender cannot stop us any more; treat it as "keep going".
                if changed.is_ok() && *stop.borrow() {
                    tracing::info!(passes = passes.len(), "stopping: no new fetches; saving the pages in flight");
                    stopping = true;
                    report.stopped = true;
                }
            }
        }
    }
    report
}

/// When the source's next pass is due after `report`, counting its failures.
fn after_pass(
    slot: &mut Slot,
    scheduled: &ScheduledSource,
    report: &SourceReport,
    options: &ServiceOptions,
) -> Duration {
    match report.error_kind.as_deref() {
        None => {
            slot.failures = 0;
            jittered(scheduled.interval, options.jitter)
        }
        // Another fetcher has it: not a failure; look again after the interval.
        Some(LEASED) => {
            slot.failures = 0;
            jittered(scheduled.interval, options.jitter)
        }
        // Behind, not failing: go on soon (the quota still paces the requests).
        Some(BEHIND) => {
            slot.failures = 0;
            jittered(Duration::from_secs(1), options.jitter)
        }
        Some(_) => {
            slot.failures += 1;
            backoff(slot.failures, scheduled.interval, options)
        }
    }
}

/// The wait before retrying a source that failed `failures` times in a row.
fn backoff(failures: u32, interval: Duration, options: &ServiceOptions) -> Duration {
    let doubled = options.retry_base.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
    jittered(doubled.min(options.retry_max.max(interval)), options.jitter)
}

/// `base` moved by up to ± `share` of itself, at random.
fn jittered(base: Duration, share: f64) -> Duration {
    let share = share.clamp(0.0, 1.0);
    let factor = rand::rng().random_range((1.0 - share)..=(1.0 + share));
    base.mul_f64(factor)
}

/// The score stage: takes pages as they come, batches those waiting together up to
/// `batch_texts` texts, scores them on the classifier thread and hands them to the commit
/// stage. A page that cannot be prepared or scored is answered with the error at once.
async fn score_stage(
    pipeline: Arc<Pipeline>,
    mut incoming: mpsc::Receiver<PageJob>,
    scored: mpsc::Sender<(PageJob, PreparedPage)>,
    batch_texts: usize,
) {
    let capacity = incoming.max_capacity();
    while let Some(first) = incoming.recv().await {
        let mut batch: Vec<(PageJob, PreparedPage)> = Vec::new();
        let mut texts = 0;
        let mut next = Some(first);
        while let Some(mut job) = next.take() {
            let mentions = std::mem::take(&mut job.mentions);
            match pipeline.prepare_page(&job.source_id, mentions).await {
                Ok(prepared) => {
                    texts += prepared.unscored();
                    batch.push((job, prepared));
                }
                Err(err) => drop(job.reply.send(Err(err))),
            }
            if texts < batch_texts {
                next = incoming.try_recv().ok();
            }
        }
        metrics::gauge!("hark_channel_pages", "channel" => "score").set((capacity - incoming.capacity()) as f64);
        let mut pages: Vec<PreparedPage> = batch.iter().map(|(_, page)| page.clone()).collect();
        match pipeline.score_pages(&mut pages).await {
            Ok(()) => {
                for ((job, _), page) in batch.into_iter().zip(pages) {
                    if let Err(mpsc::error::SendError((job, _))) = scored.send((job, page)).await {
                        drop(job.reply.send(Err(PipelineError::Classify("the commit stage has stopped".to_owned()))));
                    }
                }
            }
            Err(err) => {
                let message = err.to_string();
                for (job, _) in batch {
                    drop(job.reply.send(Err(PipelineError::Classify(message.clone()))));
                }
            }
        }
    }
}

/// The commit stage: persists each scored page with its cursor (one transaction), then
/// matches, routes and indexes, in arrival order, and answers the pass.
async fn commit_stage(pipeline: Arc<Pipeline>, mut scored: mpsc::Receiver<(PageJob, PreparedPage)>) {
    let capacity = scored.max_capacity();
    while let Some((job, page)) = scored.recv().await {
        metrics::gauge!("hark_channel_pages", "channel" => "commit").set((capacity - scored.capacity()) as f64);
        let span = tracing::info_span!("commit", source_id = %job.source_id, run_id = job.run_id);
        let outcome =
            tracing::Instrument::instrument(pipeline.commit_page(&job.source_id, page, job.cursor.as_deref()), span)
                .await;
        drop(job.reply.send(outcome));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitter_stays_within_its_share() {
        let options = ServiceOptions { jitter: 0.0, ..ServiceOptions::default() };
        let hour = Duration::from_secs(3600);
        assert_eq!(backoff(1, Duration::from_secs(60), &options), Duration::from_secs(30));
        assert_eq!(backoff(2, Duration::from_secs(60), &options), Duration::from_secs(60));
        assert_eq!(backoff(4, Duration::from_secs(60), &options), Duration::from_secs(240));
        assert_eq!(backoff(40, Duration::from_secs(60), &options), hour);
        // A source polled less often than the cap is never retried less often than its interval.
        assert_eq!(backoff(40, 2 * hour, &options), 2 * hour);
        for _ in 0..200 {
            let drawn = jittered(Duration::from_secs(100), 0.1);
            assert!(drawn >= Duration::from_secs(90) && drawn <= Duration::from_secs(110), "{drawn:?}");
        }
    }
}
