//! What every command gets: flags, the configuration, and the store and pipeline opened on
//! demand.

use std::sync::Arc;

use anyhow::Context;
use hark_core::SystemClock;
use hark_pipeline::Pipeline;
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

    pub async fn pipeline(&self) -> anyhow::Result<Pipeline> {
        Ok(Pipeline::new(self.store().await?, Arc::new(SystemClock)))
    }

    /// Whether progress bars may be drawn: not when quiet, not in JSON mode, and only on a
    /// terminal (indicatif hides itself otherwise).
    pub fn show_progress(&self) -> bool {
        !self.global.quiet && !self.global.json
    }
}
