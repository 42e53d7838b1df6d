//! `hark pull`: one pass over the sources, through the same pipeline as `hark ingest`.

use std::process::ExitCode;

use anyhow::bail;
use hark_connectors::http::{HttpClient, HttpConfig};
use hark_connectors::{Connector, ConnectorError, Settings};
use hark_pipeline::Pipeline;
use serde::Serialize;

use crate::commands::EXIT_PARTIAL;
use crate::config::SourceConfig;
use crate::context::AppContext;
use crate::output::{print_json, print_table};

/// Pages read per source in one pass at most (the cursor carries on next time).
const MAX_PAGES: u32 = 20;

#[derive(Debug, Default, Serialize)]
struct SourceReport {
    id: String,
    kind: String,
    outcome: String,
    requests: u32,
    pages: u32,
    new: usize,
    duplicates: usize,
    rate_limit_wait_ms: u128,
    error: Option<String>,
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
    let mut reports = Vec::new();
    for source in selected {
        let mut report = SourceReport { id: source.id.clone(), kind: source.kind.clone(), ..SourceReport::default() };
        match connector(source) {
            Err(message) => {
                report.outcome = "skipped".to_owned();
                report.error = Some(message);
            }
            Ok(connector) => pull_source(&pipeline, &http, source, connector.as_ref(), &mut report).await?,
        }
        reports.push(report);
    }
    pipeline.store().close().await;
    let failed = reports.iter().any(|report| report.outcome == "failed" || report.outcome == "partial");
    if context.global.json {
        print_json(&reports)?;
    } else {
        let rows: Vec<Vec<String>> = reports
            .iter()
            .map(|r| {
                vec![
                    r.id.clone(),
                    r.kind.clone(),
                    r.outcome.clone(),
                    r.requests.to_string(),
                    r.pages.to_string(),
                    r.new.to_string(),
                    r.duplicates.to_string(),
                    format!("{:.1}s", r.rate_limit_wait_ms as f64 / 1000.0),
                    r.error.clone().unwrap_or_default(),
                ]
            })
            .collect();
        print_table(
            &["SOURCE", "KIND", "OUTCOME", "REQUESTS", "PAGES", "NEW", "DUPLICATES", "WAITED", "ERROR"],
            &rows,
        )?;
    }
    Ok(if failed { ExitCode::from(EXIT_PARTIAL) } else { ExitCode::SUCCESS })
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
    let mut failure: Option<ConnectorError> = None;
    for _ in 0..MAX_PAGES {
        let fetched = connector.fetch(http, cursor.as_deref(), pipeline.clock().now()).await;
        let page = match fetched {
            Ok(page) => page,
            Err(err) => {
                failure = Some(err);
                break;
            }
        };
        report.requests += page.requests;
        report.rate_limit_wait_ms += page.waited.as_millis();
        run.add_rate_limit_wait(i64::try_from(page.waited.as_millis()).unwrap_or(i64::MAX));
        let outcome = pipeline.process_page(&source.id, page.mentions, page.next_cursor.as_deref()).await?;
        run.record_page(&outcome);
        report.pages += 1;
        report.new += outcome.new_mentions.len();
        report.duplicates += outcome.duplicates;
        cursor = page.next_cursor;
        if !page.more {
            break;
        }
    }
    let error = failure.as_ref().map(|err| (err.kind(), err.to_string()));
    report.error = error.as_ref().map(|(_, message)| message.clone());
    let finished = run.finish(pipeline, error).await?;
    report.outcome = finished.outcome.as_str().to_owned();
    Ok(())
}
