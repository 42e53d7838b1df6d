//! A commented configuration file and an empty data directory (`hark init`).

use std::path::{Path, PathBuf};

use hark_store::Store;
use serde::Serialize;

use crate::config::TEMPLATE;
use crate::error::{AppError, AppResult, Context};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitRequest {
    pub config_path: PathBuf,
    pub data_dir: PathBuf,
    /// Overwrite an existing configuration file.
    pub force: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InitResponse {
    /// The configuration file written.
    pub config: String,
    /// The data directory created.
    pub data_dir: String,
}

/// Writes the commented template to `config_path` and creates the data directory with an
/// empty store. Works where no valid configuration exists yet, so it takes no [`crate::App`].
pub async fn init(request: &InitRequest) -> AppResult<InitResponse> {
    let InitRequest { config_path, data_dir, force } = request;
    if config_path.exists() && !force {
        return Err(AppError::conflict(
            "config_exists",
            format!("{} already exists; edit it, or run `hark init --force` to overwrite it", config_path.display()),
        ));
    }
    if let Some(parent) = config_path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).internal(&format!("creating {}", parent.display()))?;
    }
    std::fs::write(config_path, TEMPLATE).internal(&format!("writing {}", config_path.display()))?;
    create_store(data_dir).await?;
    Ok(InitResponse { config: config_path.display().to_string(), data_dir: data_dir.display().to_string() })
}

async fn create_store(data_dir: &Path) -> AppResult<()> {
    let store =
        Store::open_in(data_dir).await.internal(&format!("creating the data directory {}", data_dir.display()))?;
    store.close().await;
    Ok(())
}
