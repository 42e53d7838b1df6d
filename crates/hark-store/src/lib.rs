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
//! - a customer import is one transaction: all rows or none ([`Store::apply_customer_import`]);
//! - a mention has at most one queue item, moved between queues by re-routing, never deleted
//!   by it; every change to an item bumps its version and writes its history in the same
//!   transaction ([`Store::route_item`], [`Store::transition_item`]);
//! - an outbox event is written with the change that causes it, once per idempotency key.
//!
//! This crate holds no search or business logic: callers decide, the store remembers.

mod audit;
mod copy;
mod customers;
mod dialect;
mod error;
mod labels;
mod leases;
mod matches;
mod mentions;
mod outbox;
mod prospects;
mod queue;
mod runs;
mod sessions;
mod timestamp;
mod users;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Any, AnyPool, ConnectOptions, Executor, Transaction};

pub use crate::audit::{AuditEntry, AuditEvent};
pub use crate::copy::TableCopy;
pub use crate::customers::{CustomerImportSummary, CustomerWrite};
pub use crate::dialect::Engine;
pub use crate::error::StoreError;
pub use crate::labels::{LABEL_TASKS, Label, LabelError, LabelWrite};
pub use crate::matches::{
    AuthorRef, DecisionError, DecisionRequest, DecisionResult, MachineWriteSummary, MatchListing, parse_state,
};
pub use crate::mentions::{SaveOutcome, SequencedMention};
pub use crate::outbox::Delivery;
pub use crate::queue::{
    HistoryAction, HistoryEntry, Note, QueueCount, QueueError, QueueFilter, RouteOutcome, RouteWrite, SignalFilter,
    TransitionRequest, UNDO_REASON, UndoError, UndoRequest,
};
pub use crate::runs::{CoverageGap, SourceRunSummary};
pub use crate::sessions::{LoginAttempt, SessionWrite, StoredSession};
pub use crate::users::{USER_ROLES, User, UserError};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The file name of the SQLite database inside a data directory.
pub const DATABASE_FILE: &str = "hark.db";

/// The environment variable that points hark at a store other than the data directory's
/// SQLite file (`postgres://user:password@host/db`), like `[store] url` in `hark.toml`.
pub const STORE_URL_ENV: &str = "HARK_STORE_URL";

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations-postgres");

/// Every write transaction on PostgreSQL first takes this advisory lock (for the length of the
/// transaction), so that writers are serialised as they are on SQLite (`BEGIN IMMEDIATE`):
/// insertion sequence numbers become visible in order, outbox ids only grow, and the
/// read-then-write steps inside a transaction see no interleaved writer, whichever process
/// runs them. Reads never wait for it.
const WRITE_LOCK_KEY: i64 = 0x6861_726b; // "hark"

/// What [`Store::inspect`] found in a database file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseFacts {
    /// `ok`, or what SQLite's integrity check found wrong.
    pub integrity: String,
    pub schema_version: i64,
    pub mentions: i64,
    pub customers: i64,
}

fn migrator(engine: Engine) -> &'static sqlx::migrate::Migrator {
    match engine {
        Engine::Sqlite => &SQLITE_MIGRATOR,
        Engine::Postgres => &POSTGRES_MIGRATOR,
    }
}

/// The last migration applied to the database behind `pool` (0 for a new one).
async fn applied_schema_version(pool: &AnyPool, engine: Engine) -> std::result::Result<i64, sqlx::Error> {
    let tracked = match engine {
        Engine::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        Engine::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'"
        }
    };
    let tracked: i64 = sqlx::query_scalar(tracked).fetch_one(pool).await?;
    if tracked == 0 {
        return Ok(0);
    }
    sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success").fetch_one(pool).await
}

/// Registers the SQLite and PostgreSQL drivers behind sqlx's `Any` pool (once per process).
fn install_drivers() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(sqlx::any::install_default_drivers);
}

/// `url` with any password replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Which engine a store URL names: `postgres://` / `postgresql://` or `sqlite://`.
pub fn engine_of(url: &str) -> Option<Engine> {
    let scheme = url.split_once("://").map(|(scheme, _)| scheme.to_ascii_lowercase())?;
    match scheme.as_str() {
        "postgres" | "postgresql" => Some(Engine::Postgres),
        "sqlite" => Some(Engine::Sqlite),
        _ => None,
    }
}

/// How long opening a PostgreSQL store keeps trying a server it cannot reach.
pub const POSTGRES_OPEN_PATIENCE: Duration = Duration::from_secs(60);

/// Whether opening failed because the database could not be reached or dropped the connection
/// (a server starting or restarting, connections terminated by an administrator), so that
/// opening again may succeed; not for errors the database answered with, such as a wrong
/// password or a missing database.
fn is_connection_loss(error: &StoreError) -> bool {
    use sqlx::migrate::MigrateError;
    let source = match error {
        StoreError::Open { source, .. } => source,
        StoreError::Migrate {
            source: MigrateError::Execute(source) | MigrateError::ExecuteMigration(source, _),
            ..
        } => source,
        _ => return false,
    };
    match source {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => true,
        // Class 08: connection exceptions; 57P01-57P03: the server shutting down or starting.
        sqlx::Error::Database(database) => {
            database.code().is_some_and(|code| code.starts_with("08") || code.starts_with("57P"))
        }
        _ => false,
    }
}

/// A handle on the store; cheap to clone (it wraps a connection pool).
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    engine: Engine,
    /// The SQLite file, or the PostgreSQL URL with its password redacted.
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) `hark.db` inside `data_dir`.
    pub async fn open_in(data_dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::Io { path: data_dir.to_owned(), source })?;
        Self::open(&data_dir.join(DATABASE_FILE)).await
    }

    /// Opens the store for a data directory: the PostgreSQL (or SQLite) database at `url`
    /// when one is given, else `hark.db` inside `data_dir`.
    pub async fn open_for(data_dir: &Path, url: Option<&str>) -> Result<Self> {
        match url.map(str::trim).filter(|url| !url.is_empty()) {
            Some(url) => Self::connect(url).await,
            None => Self::open_in(data_dir).await,
        }
    }

    /// Opens the store at `url`: `postgres://…` (the database must exist; hark creates its
    /// tables) or `sqlite://PATH`.
    pub async fn connect(url: &str) -> Result<Self> {
        match engine_of(url) {
            Some(Engine::Sqlite) => {
                let path = url.split_once("://").map(|(_, path)| path).unwrap_or_default();
                Self::open(Path::new(path.split('?').next().unwrap_or_default())).await
            }
            Some(Engine::Postgres) => Self::open_postgres(url).await,
            None => Err(StoreError::BadUrl { url: redact_url(url) }),
        }
    }

    /// Opens (creating if needed) the database file at `path` and applies migrations.
    pub async fn open(path: &Path) -> Result<Self> {
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let open_error = |source| StoreError::Open { path: path.to_owned(), source };
        // Checked before the Any pool so that a bad path fails with SQLite's own message.
        SqliteConnectOptions::from_str(&url).map_err(open_error)?;
        const PRAGMAS: &[&str] = &[
            "PRAGMA journal_mode = WAL",
            // NORMAL in WAL mode survives a crashed process (the case that matters here); only
            // a power loss may drop the last transactions, never corrupt the file.
            "PRAGMA synchronous = NORMAL",
            "PRAGMA foreign_keys = ON",
            "PRAGMA busy_timeout = 30000",
        ];
        Self::open_pool(Engine::Sqlite, &url, path.to_owned(), 4, PRAGMAS).await
    }

    /// Opens a PostgreSQL store. A server that cannot be reached or drops the connection while
    /// the schema is checked or migrated (restarting, connections cut by an operator) is tried
    /// again for [`POSTGRES_OPEN_PATIENCE`], each attempt logged, so that processes started
    /// with (or just before) the database wait for it instead of exiting.
    async fn open_postgres(url: &str) -> Result<Self> {
        let shown = PathBuf::from(redact_url(url));
        let started = std::time::Instant::now();
        let mut wait = Duration::from_millis(250);
        loop {
            // Sixteen connections: the stages of one process, the server's handlers and the
            // alert loop share them.
            let opened =
                Self::open_pool(Engine::Postgres, url, shown.clone(), 16, &["SET client_min_messages = WARNING"]).await;
            match opened {
                Err(err) if is_connection_loss(&err) && started.elapsed() + wait < POSTGRES_OPEN_PATIENCE => {
                    tracing::warn!(
                        store = %shown.display(),
                        error = %hark_core::error_chain(&err),
                        "PostgreSQL is not reachable; trying again in {wait:?}"
                    );
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(5));
                }
                opened => return opened,
            }
        }
    }

    async fn open_pool(
        engine: Engine,
        url: &str,
        shown: PathBuf,
        max_connections: u32,
        setup: &'static [&'static str],
    ) -> Result<Self> {
        install_drivers();
        let open_error = |source| StoreError::Open { path: shown.clone(), source };
        let options = AnyConnectOptions::from_str(url).map_err(open_error)?.disable_statement_logging();
        let pool_options = || {
            AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30)).after_connect(move |conn, _| {
                Box::pin(async move {
                    for statement in setup {
                        conn.execute(*statement).await?;
                    }
                    Ok(())
                })
            })
        };
        // An older binary must not touch a newer schema: refuse before migrating anything (on a
        // connection of its own, so the pool's connections never see the schema before it).
        let found = {
            let check = pool_options().max_connections(1).connect_with(options.clone()).await.map_err(open_error)?;
            let found = applied_schema_version(&check, engine).await;
            check.close().await;
            found.map_err(open_error)?
        };
        let known = migrator(engine).migrations.iter().map(|migration| migration.version).max().unwrap_or(0);
        if found > known {
            return Err(StoreError::NewerSchema { path: shown, found, known });
        }
        let pool = pool_options().max_connections(max_connections).connect_with(options).await.map_err(open_error)?;
        migrator(engine).run(&pool).await.map_err(|source| StoreError::Migrate { path: shown.clone(), source })?;
        Ok(Self { pool, engine, path: shown })
    }

    /// The engine behind this store.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Starts a write transaction: on SQLite it takes the write lock up front (`BEGIN
    /// IMMEDIATE`, so it never fails half-way on a lock upgrade); on PostgreSQL it takes the
    /// store-wide write lock ([`WRITE_LOCK_KEY`]).
    pub(crate) async fn begin_write(&self, context: &'static str) -> Result<Transaction<'static, Any>> {
        match self.engine {
            Engine::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(query_error(context)),
            Engine::Postgres => {
                let mut tx = self.pool.begin().await.map_err(query_error(context))?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(WRITE_LOCK_KEY)
                    .execute(&mut *tx)
                    .await
                    .map_err(query_error(context))?;
                Ok(tx)
            }
        }
    }

    /// The newest schema version this binary knows (its last migration).
    pub fn schema_version_known() -> i64 {
        SQLITE_MIGRATOR.migrations.iter().map(|migration| migration.version).max().unwrap_or(0)
    }

    /// The schema version of this database (its last applied migration).
    pub async fn schema_version(&self) -> Result<i64> {
        applied_schema_version(&self.pool, self.engine).await.map_err(query_error("reading the schema version"))
    }

    /// Writes a consistent copy of the whole database to `target` (a new file) while others
    /// go on writing: SQLite's `VACUUM INTO`, one read transaction, compacted. PostgreSQL
    /// stores are backed up with PostgreSQL's own tools (`pg_dump`).
    pub async fn backup_into(&self, target: &Path) -> Result<()> {
        self.sqlite_only("backing up")?;
        let target = target.to_str().ok_or_else(|| StoreError::Corrupt {
            what: "backup path",
            detail: format!("{} is not valid UTF-8", target.display()),
        })?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&self.pool)
            .await
            .map_err(query_error("copying the database"))?;
        Ok(())
    }

    fn sqlite_only(&self, what: &'static str) -> Result<()> {
        match self.engine {
            Engine::Sqlite => Ok(()),
            engine => Err(StoreError::Unsupported { what, engine: engine.name() }),
        }
    }

    /// Checks a database file without migrating or changing it: SQLite's integrity check,
    /// its schema version, and its mention and customer counts.
    pub async fn inspect(path: &Path) -> Result<DatabaseFacts> {
        let url = format!("sqlite://{}", path.display());
        let options = SqliteConnectOptions::from_str(&url)
            .map_err(|source| StoreError::Open { path: path.to_owned(), source })?
            .read_only(true)
            .immutable(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open { path: path.to_owned(), source })?;
        let facts = async {
            let integrity: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&pool).await?;
            let tracked: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            )
            .fetch_one(&pool)
            .await?;
            let schema_version = if tracked == 0 {
                0
            } else {
                sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success")
                    .fetch_one(&pool)
                    .await?
            };
            let mentions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mentions").fetch_one(&pool).await?;
            let customers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers").fetch_one(&pool).await?;
            Ok::<_, sqlx::Error>(DatabaseFacts { integrity, schema_version, mentions, customers })
        }
        .await
        .map_err(query_error("inspecting a database file"));
        pool.close().await;
        facts
    }

    /// The SQLite file, or the PostgreSQL URL with its password redacted.
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Databases from before one-item-per-mention keep, per mention, its latest item.
    #[tokio::test]
    async fn queue_items_collapse_to_one_per_mention_on_upgrade() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DATABASE_FILE);
        let url = format!("sqlite://{}", path.display());
        let options = SqliteConnectOptions::from_str(&url).unwrap().create_if_missing(true);
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await.unwrap();
        let before = sqlx::migrate::Migrator {
            migrations: std::borrow::Cow::Owned(
                SQLITE_MIGRATOR.migrations.iter().filter(|m| m.version < 5).cloned().collect(),
            ),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        before.run(&pool).await.unwrap();
        sqlx::query(
            "INSERT INTO mentions (id, source_kind, source_id, external_id, text, fetched_at, inserted_seq)
             VALUES ('m1', 'reddit', 'r', 'a', 't', '2026-01-01T00:00:00.000000Z', 1),
                    ('m2', 'reddit', 'r', 'b', 't', '2026-01-01T00:00:00.000000Z', 2)",
        )
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO queue_items (id, mention_id, queue, reason, state, created_at, updated_at) VALUES
                (1, 'm1', 'community', 'old', 'new', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'),
                (2, 'm1', 'service', 'newer', 'assigned', '2026-01-01T00:00:00.000000Z', '2026-01-02T00:00:00.000000Z'),
                (3, 'm2', 'sales', 'only', 'new', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;

        let store = Store::open(&path).await.unwrap();
        let kept = store.queue_item_for_mention(&hark_core::MentionId::from_raw("m1")).await.unwrap().unwrap();
        assert_eq!((kept.id, kept.reason.as_str(), kept.version, kept.tags.len()), (2, "newer", 1, 0));
        assert_eq!(store.queue_counts().await.unwrap().iter().map(|c| c.count).sum::<i64>(), 2);
        // New items continue after the copied ids.
        sqlx::query(
            "INSERT INTO mentions (id, source_kind, source_id, external_id, text, fetched_at, inserted_seq)
             VALUES ('m3', 'reddit', 'r', 'c', 't', '2026-01-01T00:00:00.000000Z', 3)",
        )
        .execute(&store.pool)
        .await
        .unwrap();
        let next: i64 = sqlx::query_scalar(
            "INSERT INTO queue_items (mention_id, queue, reason, state, created_at, updated_at)
             VALUES ('m3', 'sales', 'r', 'new', 'x', 'x') RETURNING id",
        )
        .fetch_one(&store.pool)
        .await
        .unwrap();
        assert!(next > 3);
    }

    #[tokio::test]
    async fn an_older_binary_refuses_a_newer_schema_and_leaves_it_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in(dir.path()).await.unwrap();
        assert_eq!(store.schema_version().await.unwrap(), Store::schema_version_known());
        let newer = Store::schema_version_known() + 1;
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES ($1, 'from a newer release', TRUE, X'00', 0)",
        )
        .bind(newer)
        .execute(&store.pool)
        .await
        .unwrap();
        store.close().await;

        let refused = Store::open_in(dir.path()).await.unwrap_err();
        assert!(matches!(refused, StoreError::NewerSchema { found, .. } if found == newer), "{refused:?}");
        let message = refused.to_string();
        assert!(message.contains("newer hark") && message.contains("hark restore"), "{message}");
        let facts = Store::inspect(&dir.path().join(DATABASE_FILE)).await.unwrap();
        assert_eq!((facts.schema_version, facts.integrity.as_str()), (newer, "ok"));
    }

    #[tokio::test]
    async fn a_backup_is_a_consistent_copy_taken_while_the_store_is_open() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in(dir.path()).await.unwrap();
        let mention = hark_core::Mention::new(
            hark_core::SourceKind::parse("reddit").unwrap(),
            "r",
            "a1",
            "text",
            chrono::Utc::now(),
        );
        store.save_page("r", &[mention], Some("cursor-1")).await.unwrap();
        let copy = dir.path().join("copy.db");
        store.backup_into(&copy).await.unwrap();
        // The original goes on being written; the copy is what was there.
        store.save_page("r", &[], Some("cursor-2")).await.unwrap();
        let facts = Store::inspect(&copy).await.unwrap();
        assert_eq!((facts.integrity.as_str(), facts.mentions, facts.customers), ("ok", 1, 0));
        let restored = Store::open(&copy).await.unwrap();
        assert_eq!(restored.cursor("r").await.unwrap().as_deref(), Some("cursor-1"));
        // The copy refuses to be overwritten.
        assert!(store.backup_into(&copy).await.is_err());
    }

    #[tokio::test]
    async fn cues_worked_out_later_are_kept_with_the_signals() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in(dir.path()).await.unwrap();
        let kind = hark_core::SourceKind::parse("reddit").unwrap();
        let mut scored = hark_core::Mention::new(kind.clone(), "r", "a1", "text", chrono::Utc::now());
        scored.signals = Some(hark_core::Signals {
            sentiment: hark_core::Sentiment::Negative,
            sentiment_scores: hark_core::SentimentScores { negative: 0.8, neutral: 0.1, positive: 0.1 },
            complaint: 0.9,
            intent: 0.1,
            cues: Vec::new(),
            model_version: "v".to_owned(),
        });
        let unscored = hark_core::Mention::new(kind, "r", "a2", "text", chrono::Utc::now());
        store.save_page("r", &[scored.clone(), unscored.clone()], None).await.unwrap();
        let cues = vec!["support ignored".to_owned()];
        assert!(store.save_cues(&scored.id, &cues).await.unwrap());
        let read = store.mention(&scored.id).await.unwrap().unwrap().signals.unwrap();
        assert_eq!((read.cues, read.complaint), (cues.clone(), 0.9));
        assert!(!store.save_cues(&unscored.id, &cues).await.unwrap(), "no signals, nothing to explain");
        assert!(store.mention(&unscored.id).await.unwrap().unwrap().signals.is_none());
    }
}
