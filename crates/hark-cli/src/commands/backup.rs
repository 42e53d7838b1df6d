//! `hark backup DIR`, `hark restore DIR` and `hark migrate-store --to URL`: the store copied
//! out, back in, or over to PostgreSQL.

use std::path::Path;
use std::process::ExitCode;

use hark_app::Caller;
use hark_core::text::thousands;

use crate::context::Context;
use crate::output::print_json;

pub async fn backup(context: &Context, dir: &Path) -> anyhow::Result<ExitCode> {
    let summary = hark_app::backup::backup(&context.app, &Caller::local(), dir).await?;
    context.app.close().await;
    if context.json() {
        print_json(&summary)?;
    } else {
        let manifest = &summary.manifest;
        println!(
            "backed up {} mentions and {} customers (schema {}, {} bytes, sha256 {}) into {}",
            thousands(manifest.mentions),
            thousands(manifest.customers),
            manifest.schema_version,
            manifest.database.bytes,
            manifest.database.sha256,
            summary.dir
        );
        if manifest.config.is_none() {
            println!("no configuration file to copy (secrets are never copied: they live in the environment)");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(context: &Context, dir: &Path, force: bool) -> anyhow::Result<ExitCode> {
    let mut progress = context.progress();
    let summary = hark_app::backup::restore(&context.app, &Caller::local(), dir, force, &mut progress).await?;
    context.app.close().await;
    if context.json() {
        print_json(&summary)?;
    } else {
        let manifest = &summary.manifest;
        println!(
            "restored {} mentions and {} customers from the backup of {} into {}; index rebuilt ({} mentions)",
            thousands(manifest.mentions),
            thousands(manifest.customers),
            manifest.created_at.format("%Y-%m-%d %H:%M UTC"),
            summary.data_dir,
            thousands(i64::try_from(summary.indexed).unwrap_or(i64::MAX))
        );
        if let Some(kept) = &summary.kept_previous {
            println!("the store that was there is kept as {kept}");
        }
        println!("configuration: {}", summary.config);
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn migrate_store(context: &Context, to: &str) -> anyhow::Result<ExitCode> {
    let mut progress = context.progress();
    let summary = hark_app::migrate_store::migrate_store(&context.app, &Caller::local(), to, &mut progress).await?;
    context.app.close().await;
    if context.json() {
        print_json(&summary)?;
    } else {
        println!(
            "copied {} rows in {} tables from {} into {} in {:.1} s; every table's count and sha256 match",
            thousands(i64::try_from(summary.rows).unwrap_or(i64::MAX)),
            summary.tables.len(),
            summary.from,
            summary.to,
            summary.seconds
        );
        for table in summary.tables.iter().filter(|table| table.rows > 0) {
            println!("  {:<18} {:>9}  sha256 {}", table.table, thousands(table.rows), &table.sha256[..16]);
        }
        println!("hark uses it once hark.toml says [store] url = \"{}\" (or HARK_STORE_URL is set)", summary.to);
    }
    Ok(ExitCode::SUCCESS)
}
