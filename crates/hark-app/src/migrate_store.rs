//! `hark migrate-store --to URL`: the data directory's SQLite store copied whole into an empty
//! PostgreSQL database, then checked table by table (rows and SHA-256 on both sides).
//!
//! The SQLite file is only read, and kept: until `[store] url` (or `HARK_STORE_URL`) names the
//! new database, hark goes on using the file.

use std::time::Instant;

use hark_store::{Engine, Store, TableCopy};
use serde::Serialize;

use crate::App;
use crate::access::{Caller, Permission};
use crate::error::{AppError, AppResult, Context};
use crate::progress::{Progress, Unit};

/// What `hark migrate-store` did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MigrateSummary {
    /// The SQLite file copied from.
    pub from: String,
    /// The database copied into (password redacted).
    pub to: String,
    pub rows: u64,
    pub seconds: f64,
    /// Per table: rows and the checksum both sides agree on.
    pub tables: Vec<TableCopy>,
}

pub async fn migrate_store(
    app: &App,
    caller: &Caller,
    to: &str,
    progress: &mut dyn Progress,
) -> AppResult<MigrateSummary> {
    caller.require(Permission::Admin)?;
    if hark_store::engine_of(to) != Some(Engine::Postgres) {
        return Err(AppError::invalid(
            "bad_store_url",
            format!(
                "{} is not a PostgreSQL URL: use postgres://user:password@host:port/database",
                hark_store::redact_url(to)
            ),
        ));
    }
    let file = app.data_dir().join(hark_store::DATABASE_FILE);
    if !file.is_file() {
        return Err(AppError::invalid(
            "no_store",
            format!(
                "{} holds no SQLite store ({} is missing); nothing to copy",
                app.data_dir().display(),
                file.display()
            ),
        ));
    }
    if crate::service::data_dir_in_use(app) {
        return Err(AppError::conflict(
            "data_dir_in_use",
            format!("a `hark run` is using {}; stop it before copying its store", app.data_dir().display()),
        ));
    }
    let started = Instant::now();
    let source = Store::open(&file).await.internal(&format!("opening {}", file.display()))?;
    let shown = hark_store::redact_url(to);
    let target = match Store::connect(to).await {
        Ok(target) => target,
        Err(err) => {
            source.close().await;
            return Err(AppError::invalid(
                "store_unreachable",
                format!("cannot open {shown}: {:#}", anyhow::Error::new(err)),
            ));
        }
    };
    let copied = async {
        let total = source.row_count().await.internal("counting the rows to copy")?;
        progress.start("copying the store", total, Unit::Items);
        let tables = source.copy_into(&target, &mut |_, done| progress.set(done)).await.map_err(|err| match err {
            hark_store::StoreError::TargetNotEmpty { .. } => AppError::conflict(
                "target_not_empty",
                format!("{shown} already holds hark data; copy into a new, empty database"),
            ),
            other => AppError::internal("copying the store", anyhow::Error::new(other)),
        })?;
        progress.finish();
        Ok::<_, AppError>((total, tables))
    }
    .await;
    source.close().await;
    target.close().await;
    let (rows, tables) = copied?;
    Ok(MigrateSummary {
        from: file.display().to_string(),
        to: shown,
        rows,
        seconds: started.elapsed().as_secs_f64(),
        tables,
    })
}
