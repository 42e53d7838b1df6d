//! Copying a whole store into another one (`hark migrate-store`): every table, row for row, in
//! one transaction on the target, then a count and a checksum per table on both sides.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{Result, Store, StoreError, query_error};

/// Every table, parents before children, with the order its rows are compared in (its key).
/// `index_refresh` comes after `matches`, whose trigger fills it while they are copied.
const TABLES: &[(&str, &str)] = &[
    ("mentions", "id"),
    ("cursors", "source_id"),
    ("runs", "id"),
    ("customers", "id"),
    ("matches", "mention_id, customer_id"),
    ("match_rejections", "source_kind, author_key, customer_id"),
    ("mention_links", "id"),
    ("index_refresh", "mention_id"),
    ("queue_items", "id"),
    ("queue_history", "id"),
    ("queue_notes", "id"),
    ("prospects", "source_kind, handle"),
    ("labels", "id"),
    ("audit_events", "id"),
    ("outbox", "id"),
    ("alert_deliveries", "outbox_id, target"),
    ("users", "id"),
    ("api_tokens", "id"),
    ("sessions", "token_hash"),
    ("login_failures", "key, at"),
    ("source_leases", "source_id"),
    ("request_pacing", "pace_key"),
];

/// Tables whose `id` the database assigns: their counters continue after the copied ids.
const GENERATED_IDS: &[&str] =
    &["runs", "queue_items", "queue_history", "queue_notes", "labels", "audit_events", "outbox", "users", "api_tokens"];

/// What was copied, per table, and whether both sides agree.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableCopy {
    pub table: &'static str,
    pub rows: i64,
    /// SHA-256 over the rows in key order, the same on both sides.
    pub sha256: String,
}

/// One stored value, engine-neutral.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

fn value(row: &AnyRow, index: usize) -> Result<Value> {
    if let Ok(found) = row.try_get::<Option<i64>, _>(index) {
        return Ok(found.map_or(Value::Null, Value::Int));
    }
    if let Ok(found) = row.try_get::<Option<f64>, _>(index) {
        return Ok(found.map_or(Value::Null, Value::Real));
    }
    if let Ok(found) = row.try_get::<Option<String>, _>(index) {
        return Ok(found.map_or(Value::Null, Value::Text));
    }
    row.try_get::<Option<Vec<u8>>, _>(index)
        .map(|found| found.map_or(Value::Null, Value::Blob))
        .map_err(query_error("reading a value to copy"))
}

/// Column names and values of `row`.
fn values(row: &AnyRow) -> Result<Vec<Value>> {
    (0..row.len()).map(|index| value(row, index)).collect()
}

/// Feeds one row into a checksum: each value typed and length-prefixed, so that no two rows
/// hash alike. Reals that hold whole numbers hash as integers (SQLite keeps `1.0` as `1` in
/// some expressions; PostgreSQL keeps the column's type).
fn hash_row(hasher: &mut Sha256, row: &[Value]) {
    for value in row {
        match value {
            Value::Null => hasher.update(b"n"),
            Value::Int(int) => {
                hasher.update(b"r");
                hasher.update((*int as f64).to_le_bytes());
            }
            Value::Real(real) => {
                hasher.update(b"r");
                hasher.update(real.to_le_bytes());
            }
            Value::Text(text) => {
                hasher.update(b"t");
                hasher.update((text.len() as u64).to_le_bytes());
                hasher.update(text.as_bytes());
            }
            Value::Blob(blob) => {
                hasher.update(b"b");
                hasher.update((blob.len() as u64).to_le_bytes());
                hasher.update(blob);
            }
        }
    }
    hasher.update(b"\n");
}

impl Store {
    /// Copies every row of this store into `target`, which must be empty, in one transaction
    /// there (all or nothing), then checks each table's count and checksum on both sides.
    /// `progress(table, rows_so_far)` is called as rows go over.
    pub async fn copy_into(&self, target: &Store, progress: &mut dyn FnMut(&str, u64)) -> Result<Vec<TableCopy>> {
        let held: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM mentions) + (SELECT COUNT(*) FROM customers) + (SELECT COUNT(*) FROM users)",
        )
        .fetch_one(&target.pool)
        .await
        .map_err(query_error("checking that the target is empty"))?;
        if held > 0 {
            return Err(StoreError::TargetNotEmpty { target: target.path.display().to_string() });
        }
        let mut tx = target.begin_write("starting the copy").await?;
        let mut copied = 0u64;
        for (table, key) in TABLES {
            if *table == "index_refresh" {
                // Filled by the trigger on `matches` as they were copied: replaced by the
                // source's own queue.
                sqlx::query("DELETE FROM index_refresh").execute(&mut *tx).await.map_err(query_error("copying"))?;
            }
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {table} ORDER BY {key}")))
                .fetch_all(&self.pool)
                .await
                .map_err(query_error("reading rows to copy"))?;
            let Some(first) = rows.first() else { continue };
            let columns: Vec<String> =
                first.columns().iter().map(|column| sqlx::Column::name(column).to_owned()).collect();
            for row in &rows {
                insert_row(&mut tx, table, &columns, &values(row)?).await?;
                copied += 1;
                if copied % 1000 == 0 {
                    progress(table, copied);
                }
            }
            progress(table, copied);
        }
        for table in GENERATED_IDS {
            continue_ids(&mut tx, target.engine, table).await?;
        }
        tx.commit().await.map_err(query_error("committing the copy"))?;

        let mut report = Vec::with_capacity(TABLES.len());
        for (table, key) in TABLES {
            let here = self.table_checksum(table, key).await?;
            let there = target.table_checksum(table, key).await?;
            if here != there {
                return Err(StoreError::CopyMismatch {
                    table,
                    detail: format!("{} rows (sha256 {}) here, {} there (sha256 {})", here.0, here.1, there.0, there.1),
                });
            }
            report.push(TableCopy { table, rows: here.0, sha256: here.1 });
        }
        Ok(report)
    }

    /// Rows in every table: the work [`Store::copy_into`] has to do.
    pub async fn row_count(&self) -> Result<u64> {
        let mut total = 0;
        for (table, _) in TABLES {
            let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(&self.pool)
                .await
                .map_err(query_error("counting rows"))?;
            total += u64::try_from(rows).unwrap_or(0);
        }
        Ok(total)
    }

    /// Rows of `table` and a SHA-256 over them in `key` order.
    async fn table_checksum(&self, table: &str, key: &str) -> Result<(i64, String)> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {table} ORDER BY {key}")))
            .fetch_all(&self.pool)
            .await
            .map_err(query_error("reading rows to check"))?;
        let mut hasher = Sha256::new();
        for row in &rows {
            hash_row(&mut hasher, &values(row)?);
        }
        let digest = hasher.finalize().iter().fold(String::new(), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        });
        Ok((rows.len() as i64, digest))
    }
}

async fn insert_row(conn: &mut AnyConnection, table: &str, columns: &[String], row: &[Value]) -> Result<()> {
    // NULLs are written as literals: a bound NULL carries a type (text), which PostgreSQL
    // refuses for a number or bytes column.
    let mut next = 0;
    let slots: Vec<String> = row
        .iter()
        .map(|value| match value {
            Value::Null => "NULL".to_owned(),
            _ => {
                next += 1;
                format!("${next}")
            }
        })
        .collect();
    let sql = format!("INSERT INTO {table} ({}) VALUES ({})", columns.join(", "), slots.join(", "));
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for value in row {
        query = match value {
            Value::Null => query,
            Value::Int(int) => query.bind(*int),
            Value::Real(real) => query.bind(*real),
            Value::Text(text) => query.bind(text.clone()),
            Value::Blob(blob) => query.bind(blob.clone()),
        };
    }
    query.execute(&mut *conn).await.map_err(query_error("writing a copied row"))?;
    Ok(())
}

/// After ids were copied as they were, the table's id counter continues after the largest.
async fn continue_ids(conn: &mut AnyConnection, engine: crate::Engine, table: &str) -> Result<()> {
    let sql = match engine {
        crate::Engine::Postgres => format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        ),
        // AUTOINCREMENT keeps its counter in sqlite_sequence, moved by explicit ids already.
        crate::Engine::Sqlite => return Ok(()),
    };
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *conn).await.map_err(query_error("continuing ids"))?;
    Ok(())
}
