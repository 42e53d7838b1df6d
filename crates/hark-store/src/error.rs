//! The store's one error type.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create data directory {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open database {path}")]
    Open {
        path: PathBuf,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot apply migrations to {path} (is it a hark database from a newer release?)")]
    Migrate {
        path: PathBuf,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    #[error(
        "{path} was written by a newer hark (schema version {found}; this binary knows up to {known}): \
         upgrade hark, or restore a backup taken with this version (`hark restore`)"
    )]
    NewerSchema { path: PathBuf, found: i64, known: i64 },
    #[error("database error while {context}")]
    Query {
        context: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("{url} is not a store URL: use postgres://user:password@host:port/database or sqlite://PATH")]
    BadUrl { url: String },
    #[error("{what} is not done by hark on a {engine} store (use the database's own tools, e.g. pg_dump)")]
    Unsupported { what: &'static str, engine: &'static str },
    #[error("{target} already holds data: copy into an empty database")]
    TargetNotEmpty { target: String },
    #[error("the copy of table {table} differs from the original: {detail}")]
    CopyMismatch { table: &'static str, detail: String },
    #[error("stored {what} is unreadable: {detail}")]
    Corrupt { what: &'static str, detail: String },
}
