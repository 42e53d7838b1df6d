//! The pull pass: one pass over configured sources, each page through
//! [`Pipeline::process_page`] with the run ledger. `hark pull`, the demo and (later) the
//! scheduler of `hark run` all drive sources through here.
//!
//! Sources come as plain data ([`PullSource`]): the configuration file is the application's
//! business, the connector registry turns each entry into a connector.

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use futures_util::FutureExt as _;
use hark_connectors::http::HttpClient;
use hark_connectors::{Connector, Page, Settings};
use hark_store::StoreError;
use serde::Serialize;

use crate::{PageOutcome, Pipeline, PipelineError, RunHandle};

/// Pages read per source in one pass at most (the cursor carries on next time).
pub const MAX_PAGES: u32 = 20;

/// Builds a source's connector from its settings (what a registry kind's `build` is).
pub type BuildConnector = fn(&Settings) -> Result<Box<dyn Connector>, String>;

/// One source to pull: a `[[sources]]` entry as plain data.
#[derive(Debug, Clone, Default)]
pub struct PullSource {
    pub id: String,
    /// The connector registry's name (reddit, hackernews, ...).
    pub kind: String,
    pub base_url: Option<String>,
    /// Requests per minute to the source's hosts (defaults to the kind's polite quota).
    pub requests_per_minute: Option<NonZeroU32>,
    /// The kind's own fields (queries, feeds, selectors...).
    pub fields: BTreeMap<String, serde_json::Value>,
    /// Builds the connector instead of the registry's kind (tests put faults in with it).
    pub build: Option<BuildConnector>,
}

impl PullSource {
    /// The entry as the connector crate sees it.
    pub fn settings(&self) -> Settings {
        let mut settings = Settings::new(&self.id);
        settings.base_url.clone_from(&self.base_url);
        for (name, value) in &self.fields {
            settings.fields.insert(name.clone(), value.clone());
        }
        settings
    }

    /// The source's connector, or why there is none.
    pub fn connector(&self) -> Result<Box<dyn Connector>, String> {
        if let Some(build) = self.build {
            return build(&self.settings());
        }
        let kind = hark_connectors::find(&self.kind).ok_or_else(|| format!("no {} connector", self.kind))?;
        (kind.build)(&self.settings())
    }
}

/// What one pass over one source did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SourceReport {
    pub id: String,
    pub kind: String,
    pub outcome: String,
    pub requests: u32,
    pub pages: u32,
    pub new: usize,
    pub duplicates: usize,
    /// Of the duplicates: posts already stored from another source kind under the same URL.
    pub linked: usize,
    /// New mentions flagged as complaints and as buying intent (0 when not scored).
    pub complaints: usize,
    pub intents: usize,
    pub rate_limit_wait_ms: u128,
    pub error: Option<String>,
    /// The ledger's short name for the failure (`http`, `panic`, `stalled`, `behind`...).
    #[serde(skip)]
    pub error_kind: Option<String>,
}

impl SourceReport {
    /// Whether the pass left a coverage gap (the source failed, or failed part way).
    pub fn failed(&self) -> bool {
        self.outcome == "failed" || self.outcome == "partial"
    }
}

/// Why a pass stopped: only the store failing stops it (a source failing is a failed run).
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error("reading the cursor of source {source_id:?}")]
    Cursor {
        source_id: String,
        #[source]
        source: StoreError,
    },
}

/// One pass over `sources` through `pipeline`, in order: what each did. A source that cannot
/// start is recorded as a failed run; an error is returned only when the store fails.
pub async fn pull_sources(
    pipeline: &Pipeline,
    http: &HttpClient,
    sources: &[PullSource],
) -> Result<Vec<SourceReport>, PullError> {
    let mut reports = Vec::new();
    for source in sources {
        reports.push(pass(pipeline, http, source, &Sink::Direct(pipeline), &Guard::none()).await?);
    }
    Ok(reports)
}

/// Sets the source's host quotas on `http` (its kind's polite defaults or its own
/// `requests_per_minute`).
pub fn apply_quotas(http: &HttpClient, source: &PullSource) {
    if let Some(kind) = hark_connectors::find(&source.kind) {
        let override_rate = source.requests_per_minute.map(NonZeroU32::get);
        for (host, per_minute) in kind.host_quotas(&source.settings(), override_rate) {
            http.set_quota(&host, NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN));
        }
    }
}

/// Where a pass hands its pages: straight through [`Pipeline::process_page`] (`hark pull`),
/// or onto the service's bounded channel, whose stages answer on `reply` (`hark run`).
#[derive(Debug)]
pub enum Sink<'a> {
    Direct(&'a Pipeline),
    Staged(tokio::sync::mpsc::Sender<PageJob>),
}

/// A fetched page on its way through the service's stages.
#[derive(Debug)]
pub struct PageJob {
    pub source_id: String,
    pub run_id: i64,
    pub mentions: Vec<hark_core::Mention>,
    pub cursor: Option<String>,
    pub reply: Reply,
}

/// How the stages answer a page: what saving it did, or why it was not saved.
pub type Reply = tokio::sync::oneshot::Sender<Result<PageOutcome, PipelineError>>;
type Answer = tokio::sync::oneshot::Receiver<Result<PageOutcome, PipelineError>>;

impl Sink<'_> {
    /// Hands a page on; the answer comes when it is saved (at once for [`Sink::Direct`]). A
    /// full channel makes this wait: that is how a slow stage slows the fetchers.
    async fn submit(&self, source_id: &str, run_id: i64, page: &mut Page) -> Answer {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let mentions = std::mem::take(&mut page.mentions);
        match self {
            Self::Direct(pipeline) => {
                drop(reply.send(pipeline.process_page(source_id, mentions, page.next_cursor.as_deref()).await));
            }
            Self::Staged(jobs) => {
                let job = PageJob {
                    source_id: source_id.to_owned(),
                    run_id,
                    mentions,
                    cursor: page.next_cursor.clone(),
                    reply,
                };
                // The stages outlive every pass; if they are gone, the dropped reply says so.
                drop(jobs.send(job).await);
            }
        }
        answer
    }
}

/// What may cut a pass short: the service stopping, and a fetch that takes too long.
#[derive(Debug, Clone)]
pub struct Guard {
    pub stop: Option<tokio::sync::watch::Receiver<bool>>,
    pub stall_after: Option<std::time::Duration>,
}

impl Guard {
    /// Nothing cuts the pass short (`hark pull`).
    pub fn none() -> Self {
        Self { stop: None, stall_after: None }
    }

    fn stopped(&self) -> bool {
        self.stop.as_ref().is_some_and(|stop| *stop.borrow())
    }

    async fn until_stopped(&self) {
        match self.stop.clone() {
            Some(mut stop) => {
                // An error means the sender is gone: nobody can stop us any more.
                if stop.wait_for(|stopped| *stopped).await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
            None => std::future::pending().await,
        }
    }
}

/// Why the stop of a pass left the rest of the window for later.
pub const STOPPED: &str = "hark run was stopped; the next pass continues from the saved cursor";

/// One pass over one source, recorded as a run: a source that cannot start is a failed run;
/// one whose fetch fails, panics or stalls (beyond `guard.stall_after`) is failed or partial.
/// An error is returned only when the store fails (the run is closed first when it can be).
pub async fn pass(
    pipeline: &Pipeline,
    http: &HttpClient,
    source: &PullSource,
    sink: &Sink<'_>,
    guard: &Guard,
) -> Result<SourceReport, PullError> {
    let mut report = SourceReport { id: source.id.clone(), kind: source.kind.clone(), ..SourceReport::default() };
    apply_quotas(http, source);
    let connector = match source.connector() {
        Ok(connector) => connector,
        Err(message) => {
            // A source that cannot start (an unset credential variable) is a failed run: the
            // window it misses is a coverage gap, not a silent skip.
            let run = pipeline.start_run(&source.id).await?;
            let finished = run.finish(pipeline, Some(("config", message.clone()))).await?;
            report.outcome = finished.outcome.as_str().to_owned();
            report.error = Some(message);
            report.error_kind = Some("config".to_owned());
            count_failure(&source.id, "config");
            return Ok(report);
        }
    };
    let run = pipeline.start_run(&source.id).await?;
    let span = tracing::info_span!("pass", source_id = %source.id, run_id = run.id());
    tracing::Instrument::instrument(
        pass_pages(pipeline, http, source, connector.as_ref(), sink, guard, run, report),
        span,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn pass_pages(
    pipeline: &Pipeline,
    http: &HttpClient,
    source: &PullSource,
    connector: &dyn Connector,
    sink: &Sink<'_>,
    guard: &Guard,
    mut run: RunHandle,
    mut report: SourceReport,
) -> Result<SourceReport, PullError> {
    let mut cursor = match pipeline.store().cursor(&source.id).await {
        Ok(cursor) => cursor,
        Err(err) => {
            drop(run.finish(pipeline, Some(("store", err.to_string()))).await);
            return Err(PullError::Cursor { source_id: source.id.clone(), source: err });
        }
    };
    let mut failure: Option<(&str, String)> = None;
    let mut store_error: Option<PipelineError> = None;
    // The page handed on last, not yet answered: the next one is fetched meanwhile, but
    // handed on only once this one is saved, so a page that fails is never skipped.
    let mut in_flight: Option<Answer> = None;
    let mut pages_left = MAX_PAGES;
    loop {
        if pages_left == 0 {
            // Still behind: the window not yet read stays a gap until a pass catches up.
            let message = format!("stopped after {MAX_PAGES} pages with more waiting; the next pass continues");
            failure = Some((BEHIND, message));
            break;
        }
        if guard.stopped() {
            failure = Some(("stopped", STOPPED.to_owned()));
            break;
        }
        pages_left -= 1;
        let mut page = match fetch_guarded(connector, http, cursor.as_deref(), pipeline, guard).await {
            Ok(page) => page,
            Err(failed) => {
                failure = Some(failed);
                break;
            }
        };
        if let Some(first) = page.failures.first() {
            // Some feeds or pages of this source failed while the rest were read.
            let detail: Vec<String> = page.failures.iter().map(ToString::to_string).collect();
            failure.get_or_insert((first.kind(), detail.join("; ")));
        }
        report.requests += page.requests;
        report.rate_limit_wait_ms += page.waited.as_millis();
        run.add_rate_limit_wait(i64::try_from(page.waited.as_millis()).unwrap_or(i64::MAX));
        metrics::counter!("hark_pages_total", "source" => source.id.clone(), "stage" => "fetched").increment(1);
        metrics::counter!("hark_mentions_total", "source" => source.id.clone(), "stage" => "fetched")
            .increment(page.mentions.len() as u64);
        if let Some(answer) = in_flight.take()
            && let Err(err) = settle(answer, &mut run, &mut report).await
        {
            store_error = Some(err);
            break;
        }
        in_flight = Some(sink.submit(&source.id, run.id(), &mut page).await);
        cursor = page.next_cursor;
        if !page.more {
            break;
        }
    }
    if let Some(answer) = in_flight.take()
        && let Err(err) = settle(answer, &mut run, &mut report).await
    {
        store_error = Some(err);
    }
    if let Some(err) = &store_error {
        failure = Some(("pipeline", format!("{err}")));
    }
    report.error = failure.as_ref().map(|(_, message)| message.clone());
    report.error_kind = failure.as_ref().map(|(kind, _)| (*kind).to_owned());
    if let Some((kind, _)) = &failure
        && *kind != BEHIND
    {
        count_failure(&source.id, kind);
    }
    let finished = run.finish(pipeline, failure).await;
    if let Some(err) = store_error {
        return Err(err.into());
    }
    report.outcome = finished?.outcome.as_str().to_owned();
    Ok(report)
}

/// The failure kind of a pass that read [`MAX_PAGES`] pages with more waiting.
pub const BEHIND: &str = "behind";

fn count_failure(source_id: &str, kind: &str) {
    metrics::counter!("hark_source_failures_total", "source" => source_id.to_owned(), "kind" => kind.to_owned())
        .increment(1);
}

/// Waits for the answer to a page handed on and counts it into the run.
async fn settle(answer: Answer, run: &mut RunHandle, report: &mut SourceReport) -> Result<(), PipelineError> {
    let outcome = answer
        .await
        .map_err(|_| PipelineError::Classify("the pipeline stopped before saving the page".to_owned()))??;
    run.record_page(&outcome);
    report.pages += 1;
    report.new += outcome.new_mentions.len();
    report.duplicates += outcome.duplicates;
    report.linked += outcome.linked;
    report.complaints += outcome.complaints;
    report.intents += outcome.intents;
    Ok(())
}

/// One fetch, caught if the connector panics, cut off if it stalls or the service stops.
async fn fetch_guarded(
    connector: &dyn Connector,
    http: &HttpClient,
    cursor: Option<&str>,
    pipeline: &Pipeline,
    guard: &Guard,
) -> Result<Page, (&'static str, String)> {
    let fetch = std::panic::AssertUnwindSafe(connector.fetch(http, cursor, pipeline.clock().now())).catch_unwind();
    let stall = async {
        match guard.stall_after {
            Some(after) => tokio::time::sleep(after).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        fetched = fetch => match fetched {
            Ok(Ok(page)) => Ok(page),
            Ok(Err(err)) => Err((err.kind(), err.to_string())),
            Err(panic) => Err(("panic", format!("the connector panicked: {}", panic_message(panic.as_ref())))),
        },
        () = stall => Err(("stalled", format!(
            "no answer within {} s; the source is retried later",
            guard.stall_after.map_or(0, |after| after.as_secs())
        ))),
        () = guard.until_stopped() => Err(("stopped", STOPPED.to_owned())),
    }
}

/// The text a panic carried, when it carried one.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}
