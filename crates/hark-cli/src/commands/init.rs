//! `hark init`: a commented configuration file and an empty data directory.

use std::process::ExitCode;

use anyhow::{Context, bail};
use hark_store::Store;

use crate::cli::GlobalArgs;
use crate::config::TEMPLATE;

pub async fn run(global: &GlobalArgs, force: bool) -> anyhow::Result<ExitCode> {
    let config_path = global.config_path();
    if config_path.exists() && !force {
        bail!("{} already exists; edit it, or run `hark init --force` to overwrite it", config_path.display());
    }
    if let Some(parent) = config_path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(&config_path, TEMPLATE).with_context(|| format!("writing {}", config_path.display()))?;
    let store = Store::open_in(&global.data_dir)
        .await
        .with_context(|| format!("creating the data directory {}", global.data_dir.display()))?;
    store.close().await;
    if global.json {
        crate::output::print_json(&serde_json::json!({
            "config": config_path.display().to_string(),
            "data_dir": global.data_dir.display().to_string(),
        }))?;
    } else {
        println!("wrote {} and created {}", config_path.display(), global.data_dir.display());
        println!("next: edit the [brand] and [[sources]] in {}, then", config_path.display());
        println!("  hark import customers crm-export.csv");
        println!("  hark ingest posts.jsonl");
        println!("  hark status");
    }
    Ok(ExitCode::SUCCESS)
}
