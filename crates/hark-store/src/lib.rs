//! hark-store: the system of record.
//!
//! Everything hark knows lives here: mentions with their raw payloads, each source's cursor,
//! the run ledger (coverage), CRM customers, matches, queue items, labels, audit events and
//! the notification outbox. The search index is derived from this store and can always be
//! rebuilt from it; the reverse is never true.
//!
//! The embedded default is one SQLite file in WAL mode, opened through sqlx so that a
//! PostgreSQL backend can follow behind the same API. Migrations are compiled in and applied
//! on open. Invariants:
//! - a page of mentions and the source's new cursor are written in one transaction
//!   ([`Store::save_page`]), so a crash leaves both or neither;
//! - saving is idempotent on (source kind, external id);
//! - a customer import is one transaction: all rows or none ([`Store::apply_customer_import`]).
//!
//! This crate holds no search or business logic: callers decide, the store remembers.

mod audit;
mod customers;
mod error;
mod matches;
mod mentions;
mod prospects;
mod queue;
mod runs;
mod timestamp;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

pub use crate::customers::{CustomerImportSummary, CustomerWrite};
pub use crate::error::StoreError;
pub use crate::matches::{
    AuthorRef, DecisionError, DecisionRequest, DecisionResult, MachineWriteSummary, MatchListing, parse_state,
};
pub use crate::mentions::{SaveOutcome, SequencedMention};
pub use crate::queue::QueueCount;
pub use crate::runs::{CoverageGap, SourceRunSummary};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The file name of the SQLite database inside a data directory.
pub const DATABASE_FILE: &str = "hark.db";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A handle on the store; cheap to clone (it wraps a connection pool).
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) `hark.db` inside `data_dir`.
    pub async fn open_in(data_dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::Io { path: data_dir.to_owned(), source })?;
        Self::open(&data_dir.join(DATABASE_FILE)).await
    }

    /// Opens (creating if needed) the database file at `path` and applies migrations.
    pub async fn open(path: &Path) -> Result<Self> {
        let url = format!("sqlite://{}", path.display());
        let options = SqliteConnectOptions::from_str(&url)
            .map_err(|source| StoreError::Open { path: path.to_owned(), source })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode survives a crashed process (the case that matters here); only
            // a power loss may drop the last transactions, never corrupt the file.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open { path: path.to_owned(), source })?;
        MIGRATOR.run(&pool).await.map_err(|source| StoreError::Migrate { path: path.to_owned(), source })?;
        Ok(Self { pool, path: path.to_owned() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Wraps a sqlx error with what the store was doing.
fn query_error(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Query { context, source }
}
