//! Backups (`hark backup DIR`, `hark restore DIR`).
//!
//! A backup is a directory: `hark.db` (a consistent copy of the store taken with SQLite's
//! `VACUUM INTO`, so `hark run` keeps going meanwhile), `hark.toml` (the configuration, when
//! there is a file) and `manifest.json` written last (hark version, schema version, counts,
//! sha256 of each file): a directory without a manifest is an unfinished backup and restore
//! refuses it. The search index is not copied: it is derived from the store and rebuilt on
//! restore.
//!
//! Restore checks the manifest, the checksums, SQLite's integrity check and the schema
//! version (a backup from a newer hark is refused), refuses while a `hark run` holds the data
//! directory, and never deletes data: a store already there is kept beside the restored one
//! as `hark.db.before-restore-<time>` (with `--force`; without it, restore refuses).

use std::io::Read as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use hark_store::{DATABASE_FILE, Store};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::App;
use crate::access::{Caller, Permission};
use crate::error::{AppError, AppResult, Context};
use crate::progress::Progress;

/// The manifest's file name inside a backup directory.
pub const MANIFEST: &str = "manifest.json";
/// The configuration's file name inside a backup directory.
pub const CONFIG_FILE: &str = "hark.toml";
/// The manifest format this binary writes and reads.
const FORMAT: u32 = 1;

/// What a backup holds; written last, read first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub hark_version: String,
    pub created_at: DateTime<Utc>,
    pub schema_version: i64,
    pub mentions: i64,
    pub customers: i64,
    pub database: FileEntry,
    pub config: Option<FileEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub file: String,
    pub bytes: u64,
    pub sha256: String,
}

/// What `hark backup` wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupSummary {
    pub dir: String,
    pub manifest: Manifest,
}

/// What `hark restore` did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestoreSummary {
    pub data_dir: String,
    pub manifest: Manifest,
    /// Where the store that was there before went (with `--force`).
    pub kept_previous: Option<String>,
    /// What became of the backup's configuration.
    pub config: String,
    /// Mentions indexed again.
    pub indexed: u64,
}

/// Backups here are of the embedded SQLite store; a PostgreSQL store is backed up and restored
/// with PostgreSQL's own tools, which hark says before touching anything.
/// (Read from the configuration: the store is not opened, since a restore replaces its file.)
fn embedded_store_only(app: &App, command: &str) -> AppResult<()> {
    let Some(url) = app.config().store.effective_url() else {
        return Ok(());
    };
    Err(AppError::invalid(
        "store_not_embedded",
        format!(
            "{command} copies the embedded SQLite store; this install's store is PostgreSQL ({}): back it up with \
             pg_dump and restore it with pg_restore (see deploy/OPERATIONS.md)",
            hark_store::redact_url(&url)
        ),
    ))
}

/// Copies the store (and the configuration file) into `dir`, which must be new or empty.
pub async fn backup(app: &App, caller: &Caller, dir: &Path) -> AppResult<BackupSummary> {
    caller.require(Permission::Admin)?;
    embedded_store_only(app, "hark backup")?;
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).internal(&format!("reading {}", dir.display()))?;
        if entries.next().is_some() {
            return Err(AppError::invalid(
                "backup_dir_not_empty",
                format!("{} is not empty; back up into a new directory (e.g. one named after the date)", dir.display()),
            ));
        }
    }
    std::fs::create_dir_all(dir).internal(&format!("creating {}", dir.display()))?;
    let store = app.store().await?;
    let partial = dir.join(format!("{DATABASE_FILE}.partial"));
    store.backup_into(&partial).await.internal("copying the store")?;
    let facts = Store::inspect(&partial).await.internal("checking the copy")?;
    if facts.integrity != "ok" {
        return Err(AppError::internal(
            "checking the copy",
            anyhow::anyhow!("SQLite's integrity check of the copy says: {}", facts.integrity),
        ));
    }
    let database = dir.join(DATABASE_FILE);
    std::fs::rename(&partial, &database).internal("naming the copy")?;
    let config = match app.config_path().is_file() {
        true => {
            let target = dir.join(CONFIG_FILE);
            std::fs::copy(app.config_path(), &target)
                .internal(&format!("copying the configuration {}", app.config_path().display()))?;
            Some(file_entry(&target)?)
        }
        false => None,
    };
    let manifest = Manifest {
        format: FORMAT,
        hark_version: env!("CARGO_PKG_VERSION").to_owned(),
        created_at: app.clock().now(),
        schema_version: facts.schema_version,
        mentions: facts.mentions,
        customers: facts.customers,
        database: file_entry(&database)?,
        config,
    };
    let text = serde_json::to_string_pretty(&manifest).internal("writing the manifest")?;
    std::fs::write(dir.join(MANIFEST), text + "\n").internal("writing the manifest")?;
    Ok(BackupSummary { dir: dir.display().to_string(), manifest })
}

/// Restores the backup in `dir` into the data directory; `force` when it already holds a
/// store (kept beside as `hark.db.before-restore-<time>`).
pub async fn restore(
    app: &App,
    caller: &Caller,
    dir: &Path,
    force: bool,
    progress: &mut dyn Progress,
) -> AppResult<RestoreSummary> {
    caller.require(Permission::Admin)?;
    embedded_store_only(app, "hark restore")?;
    let manifest = read_manifest(dir)?;
    let source = dir.join(&manifest.database.file);
    check_file(&source, &manifest.database)?;
    let facts = Store::inspect(&source).await.internal("checking the backup's database")?;
    if facts.integrity != "ok" {
        return Err(AppError::invalid(
            "backup_corrupt",
            format!("{} fails SQLite's integrity check: {}", source.display(), facts.integrity),
        ));
    }
    let known = Store::schema_version_known();
    if facts.schema_version > known {
        return Err(AppError::invalid(
            "backup_too_new",
            format!(
                "the backup was taken by hark {} with schema version {}; this binary knows up to {known}: restore it \
                 with that version or newer",
                manifest.hark_version, facts.schema_version
            ),
        ));
    }
    if crate::service::data_dir_in_use(app) {
        return Err(AppError::conflict(
            "data_dir_in_use",
            format!("a `hark run` is using {}; stop it before restoring", app.data_dir().display()),
        ));
    }
    let data_dir = app.data_dir();
    std::fs::create_dir_all(data_dir).internal(&format!("creating {}", data_dir.display()))?;
    let target = data_dir.join(DATABASE_FILE);
    let kept_previous = if target.exists() {
        if !force {
            return Err(AppError::conflict(
                "data_dir_has_store",
                format!(
                    "{} already holds a store; `hark restore --force` keeps it beside the restored one as \
                     {DATABASE_FILE}.before-restore-<time>",
                    data_dir.display()
                ),
            ));
        }
        Some(keep_previous(data_dir, app.clock().now())?)
    } else {
        None
    };
    let partial = data_dir.join(format!("{DATABASE_FILE}.restoring"));
    std::fs::copy(&source, &partial).internal("copying the backup's database")?;
    std::fs::rename(&partial, &target).internal("putting the restored database in place")?;
    let config = restore_config(app, dir, &manifest)?;
    // The index is derived from the store: rebuilt from the restored one.
    let indexed = crate::reindex::reindex(app, caller, progress).await?.indexed;
    Ok(RestoreSummary {
        data_dir: data_dir.display().to_string(),
        manifest,
        kept_previous: kept_previous.map(|path| path.display().to_string()),
        config,
        indexed,
    })
}

/// Reads and checks a backup's manifest.
pub fn read_manifest(dir: &Path) -> AppResult<Manifest> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&path).map_err(|err| {
        AppError::invalid(
            "not_a_backup",
            format!("{} has no readable {MANIFEST} ({err}): not a backup, or one that did not finish", dir.display()),
        )
    })?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|err| {
        AppError::invalid("not_a_backup", format!("{} is not a hark backup manifest: {err}", path.display()))
    })?;
    if manifest.format != FORMAT {
        return Err(AppError::invalid(
            "backup_too_new",
            format!("{} has manifest format {}; this binary reads format {FORMAT}", path.display(), manifest.format),
        ));
    }
    for entry in std::iter::once(&manifest.database).chain(&manifest.config) {
        if entry.file.contains(['/', '\\']) || entry.file.starts_with('.') {
            return Err(AppError::invalid(
                "not_a_backup",
                format!("{} names a file outside the backup", path.display()),
            ));
        }
    }
    Ok(manifest)
}

fn file_entry(path: &Path) -> AppResult<FileEntry> {
    let (bytes, sha256) = digest(path)?;
    let file = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    Ok(FileEntry { file, bytes, sha256 })
}

fn check_file(path: &Path, entry: &FileEntry) -> AppResult<()> {
    let (bytes, sha256) = digest(path)?;
    if bytes != entry.bytes || sha256 != entry.sha256 {
        return Err(AppError::invalid(
            "backup_corrupt",
            format!(
                "{} does not match the manifest ({bytes} bytes, sha256 {sha256}; expected {} bytes, sha256 {})",
                path.display(),
                entry.bytes,
                entry.sha256
            ),
        ));
    }
    Ok(())
}

fn digest(path: &Path) -> AppResult<(u64, String)> {
    let mut file = std::fs::File::open(path).internal(&format!("reading {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let read = file.read(&mut buffer).internal(&format!("reading {}", path.display()))?;
        if read == 0 {
            break;
        }
        bytes += read as u64;
        hasher.update(&buffer[..read]);
    }
    Ok((bytes, hex::encode(hasher.finalize())))
}

/// Moves the store in `data_dir` (with its WAL and shared-memory files, renamed alike so they
/// stay a set) aside; returns its new path.
fn keep_previous(data_dir: &Path, now: DateTime<Utc>) -> AppResult<PathBuf> {
    let kept = data_dir.join(format!("{DATABASE_FILE}.before-restore-{}", now.format("%Y%m%dT%H%M%SZ")));
    for suffix in ["-wal", "-shm", ""] {
        let from = PathBuf::from(format!("{}{suffix}", data_dir.join(DATABASE_FILE).display()));
        if from.exists() {
            let to = PathBuf::from(format!("{}{suffix}", kept.display()));
            std::fs::rename(&from, &to).internal(&format!("keeping {} as {}", from.display(), to.display()))?;
        }
    }
    Ok(kept)
}

/// Puts the backup's configuration where the configuration is read from, unless a different
/// one is there already (left alone, and said so).
fn restore_config(app: &App, dir: &Path, manifest: &Manifest) -> AppResult<String> {
    let Some(entry) = &manifest.config else { return Ok("the backup holds no configuration".to_owned()) };
    let source = dir.join(&entry.file);
    check_file(&source, entry)?;
    let target = app.config_path();
    if target.is_file() {
        let (_, current) = digest(target)?;
        return Ok(if current == entry.sha256 {
            format!("{} is the same as the backup's", target.display())
        } else {
            format!(
                "{} differs from the backup's and was left as it is; the backup's is {}",
                target.display(),
                source.display()
            )
        });
    }
    if let Some(parent) = target.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).internal(&format!("creating {}", parent.display()))?;
    }
    std::fs::copy(&source, target).internal(&format!("restoring the configuration to {}", target.display()))?;
    Ok(format!("restored to {}", target.display()))
}
