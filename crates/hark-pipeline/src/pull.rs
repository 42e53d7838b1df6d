//! The pull pass: one pass over configured sources, each page through
//! [`Pipeline::process_page`] with the run ledger. `hark pull`, the demo and (later) the
//! scheduler of `hark run` all drive sources through here.
//!
//! Sources come as plain data ([`PullSource`]): the configuration file is the application's
//! business, the connector registry turns each entry into a connector.

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use hark_connectors::http::HttpClient;
use hark_connectors::{Connector, Settings};
use hark_store::StoreError;
use serde::Serialize;

use crate::{Pipeline, PipelineError};

/// Pages read per source in one pass at most (the cursor carries on next time).
pub const MAX_PAGES: u32 = 20;

/// One source to pull: a `[[sources]]` entry as plain data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PullSource {
    pub id: String,
    /// The connector registry's name (reddit, hackernews, ...).
    pub kind: String,
    pub base_url: Option<String>,
    /// Requests per minute to the source's hosts (defaults to the kind's polite quota).
    pub requests_per_minute: Option<NonZeroU32>,
    /// The kind's own fields (queries, feeds, selectors...).
    pub fields: BTreeMap<String, serde_json::Value>,
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
        let mut report = SourceReport { id: source.id.clone(), kind: source.kind.clone(), ..SourceReport::default() };
        if let Some(kind) = hark_connectors::find(&source.kind) {
            let override_rate = source.requests_per_minute.map(NonZeroU32::get);
            for (host, per_minute) in kind.host_quotas(&source.settings(), override_rate) {
                http.set_quota(&host, NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN));
            }
        }
        match source.connector() {
            Err(message) => {
                // A source that cannot start (an unset credential variable) is a failed run: the
                // window it misses is a coverage gap, not a silent skip.
                let run = pipeline.start_run(&source.id).await?;
                let finished = run.finish(pipeline, Some(("config", message.clone()))).await?;
                report.outcome = finished.outcome.as_str().to_owned();
                report.error = Some(message);
            }
            Ok(connector) => pull_source(pipeline, http, source, connector.as_ref(), &mut report).await?,
        }
        reports.push(report);
    }
    Ok(reports)
}

/// One pass over one source with its connector, at most [`MAX_PAGES`] pages, recorded as a
/// run; `report` is filled in as pages are processed.
pub async fn pull_source(
    pipeline: &Pipeline,
    http: &HttpClient,
    source: &PullSource,
    connector: &dyn Connector,
    report: &mut SourceReport,
) -> Result<(), PullError> {
    let mut run = pipeline.start_run(&source.id).await?;
    let mut cursor = pipeline
        .store()
        .cursor(&source.id)
        .await
        .map_err(|err| PullError::Cursor { source_id: source.id.clone(), source: err })?;
    let mut failure: Option<(&str, String)> = None;
    let mut pages_left = MAX_PAGES;
    loop {
        if pages_left == 0 {
            // Still behind: the window not yet read stays a gap until a pass catches up.
            let message = format!("stopped after {MAX_PAGES} pages with more waiting; the next pass continues");
            failure = Some(("behind", message));
            break;
        }
        pages_left -= 1;
        let fetched = connector.fetch(http, cursor.as_deref(), pipeline.clock().now()).await;
        let page = match fetched {
            Ok(page) => page,
            Err(err) => {
                failure = Some((err.kind(), err.to_string()));
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
        let outcome = pipeline.process_page(&source.id, page.mentions, page.next_cursor.as_deref()).await?;
        run.record_page(&outcome);
        report.pages += 1;
        report.new += outcome.new_mentions.len();
        report.duplicates += outcome.duplicates;
        report.linked += outcome.linked;
        report.complaints += outcome.complaints;
        report.intents += outcome.intents;
        cursor = page.next_cursor;
        if !page.more {
            break;
        }
    }
    report.error = failure.as_ref().map(|(_, message)| message.clone());
    let finished = run.finish(pipeline, failure).await?;
    report.outcome = finished.outcome.as_str().to_owned();
    Ok(())
}
