//! `hark pull`: one pass over the sources, through the same pipeline as `hark ingest`.

use std::process::ExitCode;

use anyhow::bail;
use hark_connectors::http::{HttpClient, HttpConfig};
use hark_connectors::{Connector, Settings};
use hark_pipeline::Pipeline;
use serde::Serialize;

use crate::commands::EXIT_PARTIAL;
use crate::config::SourceConfig;
use crate::context::AppContext;
use crate::output::{print_json, print_table};

/// Pages read per source in one pass at most (the cursor carries on next time).
const MAX_PAGES: u32 = 20;

/// What one pass over one source did.
#[derive(Debug, Default, Serialize)]
pub(crate) struct SourceReport {
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

/// The `[[sources]]` entry as the connector crate sees it.
fn settings(source: &SourceConfig) -> Settings {
    let mut settings = Settings::new(&source.id);
    settings.base_url.clone_from(&source.base_url);
    for (name, value) in &source.fields {
        settings.fields.insert(name.clone(), serde_json::to_value(value).unwrap_or(serde_json::Value::Null));
    }
    settings
}

/// A configured source's connector, or why there is none.
fn connector(source: &SourceConfig) -> Result<Box<dyn Connector>, String> {
    let kind = hark_connectors::find(&source.kind).ok_or_else(|| format!("no {} connector", source.kind))?;
    (kind.build)(&settings(source))
}

pub async fn run(context: &AppContext, only: &[String], classify: bool) -> anyhow::Result<ExitCode> {
    let configured = &context.config.sources;
    for id in only {
        if !configured.iter().any(|source| &source.id == id) {
            let known: Vec<&str> = configured.iter().map(|source| source.id.as_str()).collect();
            bail!("no source {id:?} in {}; configured: {}", context.global.config_path().display(), known.join(", "));
        }
    }
    let selected: Vec<&SourceConfig> =
        configured.iter().filter(|source| only.is_empty() || only.contains(&source.id)).collect();
    if selected.is_empty() {
        bail!("no sources configured: add [[sources]] to {}", context.global.config_path().display());
    }
    let pipeline = context.pipeline(classify).await?;
    let http = HttpClient::new(HttpConfig::default())?;
    let reports = pull_sources(&pipeline, &http, &selected).await?;
    pipeline.store().close().await;
    let failed = reports.iter().any(|report| report.outcome == "failed" || report.outcome == "partial");
    if context.global.json {
        print_json(&reports)?;
    } else {
        print_reports(&reports, classify)?;
    }
    Ok(if failed { ExitCode::from(EXIT_PARTIAL) } else { ExitCode::SUCCESS })
}

/// The per-source table of a pass; `scored` adds the complaint and intent counts.
pub(crate) fn print_reports(reports: &[SourceReport], scored: bool) -> anyhow::Result<()> {
    let mut headers = vec!["SOURCE", "KIND", "OUTCOME", "REQUESTS", "PAGES", "NEW", "DUPLICATES", "LINKED", "WAITED"];
    if scored {
        headers.extend(["COMPLAINTS", "INTENT"]);
    }
    headers.push("ERROR");
    let rows: Vec<Vec<String>> = reports
        .iter()
        .map(|r| {
            let mut row = vec![
                r.id.clone(),
                r.kind.clone(),
                r.outcome.clone(),
                r.requests.to_string(),
                r.pages.to_string(),
                r.new.to_string(),
                r.duplicates.to_string(),
                r.linked.to_string(),
                format!("{:.1}s", r.rate_limit_wait_ms as f64 / 1000.0),
            ];
            if scored {
                row.extend([r.complaints.to_string(), r.intents.to_string()]);
            }
            row.push(r.error.clone().unwrap_or_default());
            row
        })
        .collect();
    print_table(&headers, &rows)?;
    Ok(())
}

/// One pass over `sources` through `pipeline`, in order: what each did. A source that cannot
/// start is recorded as a failed run; an error is returned only when the store fails.
pub(crate) async fn pull_sources(
    pipeline: &Pipeline,
    http: &HttpClient,
    sources: &[&SourceConfig],
) -> anyhow::Result<Vec<SourceReport>> {
    let mut reports = Vec::new();
    for source in sources {
        let mut report = SourceReport { id: source.id.clone(), kind: source.kind.clone(), ..SourceReport::default() };
        if let Some(kind) = hark_connectors::find(&source.kind) {
            let override_rate = source.requests_per_minute.map(std::num::NonZeroU32::get);
            for (host, per_minute) in kind.host_quotas(&settings(source), override_rate) {
                http.set_quota(&host, std::num::NonZeroU32::new(per_minute).unwrap_or(std::num::NonZeroU32::MIN));
            }
        }
        match connector(source) {
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

async fn pull_source(
    pipeline: &Pipeline,
    http: &HttpClient,
    source: &SourceConfig,
    connector: &dyn Connector,
    report: &mut SourceReport,
) -> anyhow::Result<()> {
    let mut run = pipeline.start_run(&source.id).await?;
    let mut cursor = pipeline.store().cursor(&source.id).await?;
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
