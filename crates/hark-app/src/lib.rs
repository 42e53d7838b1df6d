//! hark-app: what a person can do with hark, one function per action.
//!
//! Typed request in, typed response out, errors with stable codes ([`AppError`]). The `hark`
//! command line and the HTTP server both call this crate and nothing below it: they parse
//! flags or requests, call one function here, and print or serialise what it returns. The
//! rules about who may do what ([`Caller`], [`Role`]) live here too, so that a page, an API
//! route and a command can never disagree.
//!
//! [`App`] holds the configuration and opens the store, the pipeline and the index on demand;
//! it is cheap to clone (the server shares one among its handlers).

pub mod access;
pub mod alerts;
pub mod audit;
pub mod backup;
pub mod bench;
pub mod classify;
pub mod config;
pub mod connectors;
pub mod cues;
pub mod customers;
pub mod demo;
pub mod error;
pub mod exports;
pub mod health;
pub mod import;
pub mod ingest;
pub mod init;
pub mod labels;
pub mod matches;
pub mod migrate_store;
pub mod pipeline_bench;
pub mod progress;
pub mod prospects;
pub mod pull;
pub mod queue;
pub mod reindex;
pub mod roles;
pub mod scale_bench;
pub mod search;
pub mod service;
pub mod sessions;
pub mod soak;
pub mod sources;
pub mod stats;
pub mod status;
pub mod training;
pub mod users;
pub mod views;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use hark_classifier::EncoderOptions;
use hark_classifier::classifier::load_default;
use hark_core::{Clock, SystemClock};
use hark_index::mentions::{CommitPolicy, IndexError, Indexer};
use hark_pipeline::Pipeline;
use hark_pipeline::classify::ClassifierWorker;
use hark_store::Store;
use tokio::sync::OnceCell;

pub use crate::access::{Caller, Role};
pub use crate::config::{Config, ConfigOrigin};
pub use crate::error::{AppError, AppResult, ErrorKind};
pub use crate::progress::{NoProgress, Progress, Unit};

/// Where the configuration and the data live.
#[derive(Debug, Clone)]
pub struct AppOptions {
    /// The configuration file (`hark.toml` unless named).
    pub config_path: PathBuf,
    /// Whether the user named the file: then a missing file is an error, otherwise it means
    /// "no sources yet".
    pub config_explicit: bool,
    pub data_dir: PathBuf,
}

/// The application: configuration plus the store, pipeline and index, opened on demand.
#[derive(Debug, Clone)]
pub struct App {
    inner: Arc<Inner>,
}

/// What this process does with new mentions (`hark run` sets it; readiness reads it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scoring {
    /// Not running the pipeline: it only serves.
    NotRunning = 0,
    /// `hark run` is loading the model.
    Loading = 1,
    /// Scoring new mentions with the loaded model.
    Scoring = 2,
    /// Storing them unscored (`--no-classify`).
    Unscored = 3,
}

#[derive(Debug)]
struct Inner {
    options: AppOptions,
    config: Config,
    config_origin: ConfigOrigin,
    clock: Arc<dyn Clock>,
    store: OnceCell<Store>,
    /// The classifier, loaded on first use and shared (cues on demand).
    classifier: OnceCell<ClassifierWorker>,
    /// The index writer, opened once per process (tantivy allows one writer per directory).
    indexer: std::sync::OnceLock<Option<Arc<Indexer>>>,
    /// Set by `hark run`: whether this process scores new mentions (its readiness then
    /// includes the model); see [`Scoring`].
    scoring: std::sync::atomic::AtomicU8,
}

impl App {
    /// Reads and validates the configuration; opens nothing yet.
    pub fn load(options: AppOptions) -> anyhow::Result<Self> {
        let (config, config_origin) = Config::load(&options.config_path, options.config_explicit)?;
        Ok(Self::with_config(options, config, config_origin))
    }

    /// An application over an already parsed configuration (the demo brings its own).
    pub fn with_config(options: AppOptions, config: Config, config_origin: ConfigOrigin) -> Self {
        Self {
            inner: Arc::new(Inner {
                options,
                config,
                config_origin,
                clock: Arc::new(SystemClock),
                store: OnceCell::new(),
                classifier: OnceCell::new(),
                indexer: std::sync::OnceLock::new(),
                scoring: std::sync::atomic::AtomicU8::new(Scoring::NotRunning as u8),
            }),
        }
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn config_origin(&self) -> ConfigOrigin {
        self.inner.config_origin
    }

    pub fn config_path(&self) -> &Path {
        &self.inner.options.config_path
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.options.data_dir
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// Whether this process runs the pipeline and scores new mentions.
    pub fn scoring(&self) -> Scoring {
        match self.inner.scoring.load(std::sync::atomic::Ordering::SeqCst) {
            1 => Scoring::Loading,
            2 => Scoring::Scoring,
            3 => Scoring::Unscored,
            _ => Scoring::NotRunning,
        }
    }

    fn set_scoring(&self, scoring: Scoring) {
        self.inner.scoring.store(scoring as u8, std::sync::atomic::Ordering::SeqCst);
    }

    /// The store, opened (and migrated) on first use.
    pub async fn store(&self) -> anyhow::Result<&Store> {
        let data_dir = self.data_dir();
        self.inner
            .store
            .get_or_try_init(|| async {
                match self.config().store.effective_url() {
                    Some(url) => Store::connect(&url)
                        .await
                        .with_context(|| format!("opening the store at {}", hark_store::redact_url(&url))),
                    None => Store::open_in(data_dir)
                        .await
                        .with_context(|| format!("opening the data directory {}", data_dir.display())),
                }
            })
            .await
    }

    /// Closes the store's connections if it was opened (commands call this before exiting).
    pub async fn close(&self) {
        if let Some(store) = self.inner.store.get() {
            store.close().await;
        }
    }

    /// Where the mention index lives.
    pub fn index_dir(&self) -> PathBuf {
        hark_index::mentions::index_dir(self.data_dir())
    }

    /// The mention index's writer. `Ok(None)` when another hark process writes the index
    /// (that process indexes what this one stores, in insertion order).
    pub fn indexer(&self) -> anyhow::Result<Option<Arc<Indexer>>> {
        if let Some(opened) = self.inner.indexer.get() {
            return Ok(opened.clone());
        }
        let opened = match Indexer::open(&self.index_dir(), CommitPolicy::default()) {
            Ok(indexer) => Some(Arc::new(indexer)),
            Err(IndexError::Locked { path }) => {
                tracing::warn!(path = %path.display(), "the index is written by another hark process; it will index these mentions");
                None
            }
            Err(err) => {
                return Err(anyhow::Error::new(err).context("opening the mention index (`hark reindex` rebuilds it)"));
            }
        };
        Ok(self.inner.indexer.get_or_init(|| opened).clone())
    }

    /// The index writer if this process opened it already (never opens it: a process that
    /// only looks must not take the writer's lock from the one that indexes).
    pub fn opened_indexer(&self) -> Option<Arc<Indexer>> {
        self.inner.indexer.get().cloned().flatten()
    }

    /// The pipeline with the matching, routing and index stages; with `classify`, the model is
    /// loaded and the classify stage attached.
    pub async fn pipeline(&self, classify: bool) -> anyhow::Result<Pipeline> {
        self.pipeline_with(classify, true).await
    }

    /// [`App::pipeline`], indexing new mentions only with `index` (a process worker leaves the
    /// index to the serving processes, which follow the store's sequence).
    pub async fn pipeline_with(&self, classify: bool, index: bool) -> anyhow::Result<Pipeline> {
        let mut pipeline = Pipeline::new(self.store().await?.clone(), Arc::clone(self.clock()))
            .with_matching(self.matching_stage())
            .with_routing(hark_pipeline::routing::RoutingStage::new(self.config().routing_config()))
            .with_leftover_age(
                chrono::Duration::from_std(self.config().bus.settle_after()).unwrap_or(hark_pipeline::LEFTOVER_AGE),
            );
        if index {
            if let Some(indexer) = self.indexer()? {
                pipeline = pipeline.with_index(indexer);
            }
        }
        if !classify {
            // Routing still judges stored scores by the heads' own thresholds.
            if let Some((complaint, intent)) = hark_classifier::classifier::head_thresholds() {
                pipeline = pipeline.with_head_thresholds(complaint, intent);
            }
            return Ok(pipeline);
        }
        let worker = tokio::task::spawn_blocking(|| -> anyhow::Result<ClassifierWorker> {
            let mut classifier = load_default(EncoderOptions::default())
                .context("loading the classifier (or pass --no-classify to store mentions unscored)")?;
            // The pipeline spends its model time on scores alone: cues (a few extra encoder
            // passes per flag) are computed when someone looks (`crate::cues`).
            classifier.set_cues(false);
            ClassifierWorker::spawn(classifier).context("starting the classifier thread")
        })
        .await??;
        Ok(pipeline.with_classifier(worker))
    }

    /// The classifier on its own thread, loaded once per process on first use.
    pub async fn classifier(&self) -> AppResult<&ClassifierWorker> {
        self.inner
            .classifier
            .get_or_try_init(|| async {
                tokio::task::spawn_blocking(|| -> anyhow::Result<ClassifierWorker> {
                    let classifier = load_default(EncoderOptions::default()).context("loading the classifier")?;
                    ClassifierWorker::spawn(classifier).context("starting the classifier thread")
                })
                .await
                .map_err(|err| AppError::internal("loading the classifier", err))?
                .map_err(|err| {
                    AppError::new(
                        ErrorKind::Internal,
                        "model_missing",
                        "the model is not available here (`make model` fetches it)",
                    )
                    .with_source(err)
                })
            })
            .await
    }

    /// The customer matching stage with the configured thresholds.
    pub fn matching_stage(&self) -> hark_pipeline::matching::MatchingStage {
        hark_pipeline::matching::MatchingStage::new(self.config().matching.match_config(), Default::default())
    }
}
