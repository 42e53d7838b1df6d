//! What every command gets: flags, the configuration, and the store and pipeline opened on
//! demand.

use std::sync::Arc;

use anyhow::Context;
use hark_classifier::EncoderOptions;
use hark_classifier::classifier::load_default;
use hark_core::SystemClock;
use hark_index::mentions::{CommitPolicy, IndexError, Indexer};
use hark_pipeline::Pipeline;
use hark_pipeline::classify::ClassifierWorker;
use hark_store::Store;

use crate::cli::GlobalArgs;
use crate::config::{Config, ConfigOrigin};

#[derive(Debug)]
pub struct AppContext {
    pub global: GlobalArgs,
    pub config: Config,
    pub config_origin: ConfigOrigin,
}

impl AppContext {
    pub fn load(global: GlobalArgs) -> anyhow::Result<Self> {
        let (config, config_origin) = Config::load(&global.config_path(), global.config.is_some())?;
        Ok(Self { global, config, config_origin })
    }

    pub async fn store(&self) -> anyhow::Result<Store> {
        Store::open_in(&self.global.data_dir)
            .await
            .with_context(|| format!("opening the data directory {}", self.global.data_dir.display()))
    }

    /// Where the mention index lives.
    pub fn index_dir(&self) -> std::path::PathBuf {
        hark_index::mentions::index_dir(&self.global.data_dir)
    }

    /// The mention index's writer. `Ok(None)` when another hark process writes the index
    /// (that process indexes what this one stores, in insertion order).
    pub fn indexer(&self) -> anyhow::Result<Option<Arc<Indexer>>> {
        match Indexer::open(&self.index_dir(), CommitPolicy::default()) {
            Ok(indexer) => Ok(Some(Arc::new(indexer))),
            Err(IndexError::Locked { path }) => {
                tracing::warn!(path = %path.display(), "the index is written by another hark process; it will index these mentions");
                Ok(None)
            }
            Err(err) => Err(anyhow::Error::new(err).context("opening the mention index (`hark reindex` rebuilds it)")),
        }
    }

    /// The pipeline with the index stage; with `classify`, the model is loaded and the
    /// classify stage attached.
    pub async fn pipeline(&self, classify: bool) -> anyhow::Result<Pipeline> {
        let mut pipeline =
            Pipeline::new(self.store().await?, Arc::new(SystemClock)).with_matching(self.matching_stage());
        if let Some(indexer) = self.indexer()? {
            pipeline = pipeline.with_index(indexer);
        }
        if !classify {
            return Ok(pipeline);
        }
        let worker = tokio::task::spawn_blocking(|| -> anyhow::Result<ClassifierWorker> {
            let classifier = load_default(EncoderOptions::default())
                .context("loading the classifier (or pass --no-classify to store mentions unscored)")?;
            ClassifierWorker::spawn(classifier).context("starting the classifier thread")
        })
        .await??;
        Ok(pipeline.with_classifier(worker))
    }

    /// The customer matching stage with the configured thresholds.
    pub fn matching_stage(&self) -> hark_pipeline::matching::MatchingStage {
        hark_pipeline::matching::MatchingStage::new(self.config.matching.match_config(), Default::default())
    }

    /// Whether progress bars may be drawn: not when quiet, not in JSON mode, and only on a
    /// terminal (indicatif hides itself otherwise).
    pub fn show_progress(&self) -> bool {
        !self.global.quiet && !self.global.json
    }
}
