//! One pass over the configured sources (or those named), through the pipeline with the run
//! ledger (`hark pull`; `hark run` schedules the same pass).

use hark_connectors::http::{HttpClient, HttpConfig};
use hark_pipeline::pull::{PullSource, pull_sources};
use serde::Serialize;

pub use hark_pipeline::pull::{MAX_PAGES, SourceReport};

use crate::App;
use crate::access::{Caller, Permission};
use crate::config::SourceConfig;
use crate::error::{AppError, AppResult, Context};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullRequest {
    /// Source ids from the configuration; empty for all.
    pub sources: Vec<String>,
    /// Score new mentions with the local model.
    pub classify: bool,
}

/// What the pass did, per source in configuration order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PullResponse {
    pub sources: Vec<SourceReport>,
    /// Whether new mentions were scored.
    pub scored: bool,
}

impl PullResponse {
    /// Whether any source failed (a coverage gap until a clean pass follows).
    pub fn failed(&self) -> bool {
        self.sources.iter().any(SourceReport::failed)
    }
}

/// A `[[sources]]` entry as the pull pass takes it.
pub fn pull_source(source: &SourceConfig) -> PullSource {
    PullSource {
        id: source.id.clone(),
        kind: source.kind.clone(),
        base_url: source.base_url.clone(),
        requests_per_minute: source.requests_per_minute,
        fields: source
            .fields
            .iter()
            .map(|(name, value)| (name.clone(), serde_json::to_value(value).unwrap_or(serde_json::Value::Null)))
            .collect(),
        build: None,
    }
}

/// One pass over the named (or all) configured sources. A source that fails is reported
/// (and recorded as a failed run); an error means the store failed or the request was wrong.
pub async fn pull(app: &App, caller: &Caller, request: &PullRequest) -> AppResult<PullResponse> {
    caller.require(Permission::Admin)?;
    let configured = &app.config().sources;
    for id in &request.sources {
        if !configured.iter().any(|source| &source.id == id) {
            let known: Vec<&str> = configured.iter().map(|source| source.id.as_str()).collect();
            return Err(AppError::invalid(
                "unknown_source",
                format!("no source {id:?} in {}; configured: {}", app.config_path().display(), known.join(", ")),
            ));
        }
    }
    let selected: Vec<PullSource> = configured
        .iter()
        .filter(|source| request.sources.is_empty() || request.sources.contains(&source.id))
        .map(pull_source)
        .collect();
    if selected.is_empty() {
        return Err(AppError::invalid(
            "no_sources",
            format!("no sources configured: add [[sources]] to {}", app.config_path().display()),
        ));
    }
    let pipeline = app.pipeline(request.classify).await?;
    let http = HttpClient::new(HttpConfig::default()).internal("starting the HTTP client")?;
    let sources = pull_sources(&pipeline, &http, &selected).await.described()?;
    Ok(PullResponse { sources, scored: pipeline.classifier().is_some() })
}
