//! The outbox: events to announce (new queue items...) and their delivery to each alert
//! target (a webhook, a Slack channel), at least once.
//!
//! An event is written in the same transaction as the change that causes it, under an
//! idempotency key, so the same cause never enqueues twice. Delivery state is kept per
//! (event, target) in `alert_deliveries`, created lazily the first time a target asks for
//! due deliveries: a target configured later still receives the events before it. The
//! caller (the notify stage) decides retries and when a delivery is dead; the store only
//! remembers attempts, the next attempt time and the last error.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{Result, Store, StoreError, query_error, timestamp};

/// One event to deliver to one target.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub outbox_id: i64,
    pub target: String,
    pub topic: String,
    pub payload: serde_json::Value,
    /// Receivers may use it to drop repeats (delivery is at least once).
    pub idempotency_key: Option<String>,
    /// Failed attempts so far.
    pub attempts: i64,
    /// When the event was enqueued.
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    /// When the delivery was given up (dead letters only).
    pub dead_at: Option<DateTime<Utc>>,
}

/// Inserts an event unless one with the same key exists; returns its id when inserted.
pub(crate) async fn enqueue(
    conn: &mut AnyConnection,
    topic: &str,
    payload: &serde_json::Value,
    idempotency_key: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let now = timestamp::encode(now);
    sqlx::query_scalar(
        "INSERT INTO outbox (created_at, topic, payload, next_attempt_at, idempotency_key)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(&now)
    .bind(topic)
    .bind(payload.to_string())
    .bind(&now)
    .bind(idempotency_key)
    .fetch_optional(conn)
    .await
    .map_err(query_error("enqueueing an event"))
}

/// How long a delivery handed out by [`Store::due_deliveries`] stays claimed by its caller,
/// who records the outcome with [`Store::mark_delivered`] or [`Store::mark_failed`] well
/// before (a few webhook calls, each with its timeout). A process killed holding claims
/// delays those alerts by this much at most.
pub const CLAIM: chrono::Duration = chrono::Duration::minutes(1);

const DELIVERY_SELECT: &str = "SELECT d.outbox_id, d.target, d.attempts, d.next_attempt_at, d.last_error, d.dead_at,
    o.topic, o.payload, o.idempotency_key, o.created_at
    FROM alert_deliveries d JOIN outbox o ON o.id = d.outbox_id";

fn delivery_from_row(row: &AnyRow) -> Result<Delivery> {
    let payload: String = row.get("payload");
    Ok(Delivery {
        outbox_id: row.get("outbox_id"),
        target: row.get("target"),
        topic: row.get("topic"),
        payload: serde_json::from_str(&payload)
            .map_err(|err| StoreError::Corrupt { what: "outbox payload", detail: err.to_string() })?,
        idempotency_key: row.get("idempotency_key"),
        attempts: row.get("attempts"),
        created_at: timestamp::decode(&row.get::<String, _>("created_at"))?,
        next_attempt_at: timestamp::decode(&row.get::<String, _>("next_attempt_at"))?,
        last_error: row.get("last_error"),
        dead_at: timestamp::decode_opt(row.get::<Option<String>, _>("dead_at").as_deref())?,
    })
}

impl Store {
    /// Enqueues an event; `None` when an event with this key was enqueued before (nothing is
    /// written then).
    pub async fn enqueue_event(
        &self,
        topic: &str,
        payload: &serde_json::Value,
        idempotency_key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let mut conn = self.pool.acquire().await.map_err(query_error("enqueueing an event"))?;
        enqueue(&mut conn, topic, payload, idempotency_key, now).await
    }

    /// Up to `limit` deliveries due at `now` to any of `targets`: neither delivered nor dead,
    /// next attempt at or before `now`; oldest due first. Events the targets have not seen
    /// yet get their delivery rows here. The deliveries returned are claimed for [`CLAIM`]:
    /// no other caller gets them until their outcome is recorded or the claim runs out.
    pub async fn due_deliveries(&self, targets: &[String], now: DateTime<Utc>, limit: i64) -> Result<Vec<Delivery>> {
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_write("starting to read deliveries").await?;
        for target in targets {
            // Outbox ids only grow (writes are serialised), so the events a target has not
            // seen are those after the last one it has a row for.
            sqlx::query(
                "INSERT INTO alert_deliveries (outbox_id, target, attempts, next_attempt_at)
                 SELECT o.id, $1, 0, o.created_at FROM outbox o
                 WHERE o.id > COALESCE((SELECT MAX(d.outbox_id) FROM alert_deliveries d WHERE d.target = $1), 0)",
            )
            .bind(target)
            .execute(&mut *tx)
            .await
            .map_err(query_error("creating deliveries"))?;
        }
        let placeholders = crate::dialect::placeholders(2, targets.len());
        // Only numbered placeholders are spliced in; every value is bound.
        let sql = sqlx::AssertSqlSafe(format!(
            "{DELIVERY_SELECT} WHERE d.delivered_at IS NULL AND d.dead_at IS NULL AND d.next_attempt_at <= $1
                AND d.target IN ({placeholders})
             ORDER BY d.next_attempt_at, d.outbox_id, d.target LIMIT ${}",
            targets.len() + 2
        ));
        let mut query = sqlx::query(sql).bind(timestamp::encode(now));
        for target in targets {
            query = query.bind(target);
        }
        let rows = query.bind(limit).fetch_all(&mut *tx).await.map_err(query_error("reading due deliveries"))?;
        let deliveries = rows.iter().map(delivery_from_row).collect::<Result<Vec<_>>>()?;
        // Claimed: hidden from every other caller until the claim runs out, so two processes
        // never send the same alert (writers are serialised, so no two claim the same row).
        // One that dies holding a claim leaves the delivery due again when it runs out.
        let claimed_until = timestamp::encode(now + CLAIM);
        for delivery in &deliveries {
            sqlx::query("UPDATE alert_deliveries SET next_attempt_at = $1 WHERE outbox_id = $2 AND target = $3")
                .bind(&claimed_until)
                .bind(delivery.outbox_id)
                .bind(&delivery.target)
                .execute(&mut *tx)
                .await
                .map_err(query_error("claiming deliveries"))?;
        }
        tx.commit().await.map_err(query_error("committing deliveries"))?;
        Ok(deliveries)
    }

    /// Records a successful delivery; false when there was no such pending delivery.
    pub async fn mark_delivered(&self, outbox_id: i64, target: &str, now: DateTime<Utc>) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE alert_deliveries SET delivered_at = $1, last_error = NULL
             WHERE outbox_id = $2 AND target = $3 AND delivered_at IS NULL",
        )
        .bind(timestamp::encode(now))
        .bind(outbox_id)
        .bind(target)
        .execute(&self.pool)
        .await
        .map_err(query_error("recording a delivery"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a failed attempt: the error, and either the next attempt's time or, with
    /// `dead`, that the delivery is given up (a dead letter, until replayed). False when there
    /// was no such pending delivery.
    pub async fn mark_failed(
        &self,
        outbox_id: i64,
        target: &str,
        error: &str,
        next_attempt_at: DateTime<Utc>,
        dead: bool,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE alert_deliveries SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, dead_at = $3
             WHERE outbox_id = $4 AND target = $5 AND delivered_at IS NULL AND dead_at IS NULL",
        )
        .bind(error)
        .bind(timestamp::encode(next_attempt_at))
        .bind(dead.then(|| timestamp::encode(now)))
        .bind(outbox_id)
        .bind(target)
        .execute(&self.pool)
        .await
        .map_err(query_error("recording a failed delivery"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Deliveries given up and not replayed.
    pub async fn count_dead_letters(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM alert_deliveries WHERE dead_at IS NOT NULL")
            .fetch_one(&self.pool)
            .await
            .map_err(query_error("counting dead letters"))
    }

    /// Deliveries given up, most recently first.
    pub async fn dead_letters(&self, limit: i64) -> Result<Vec<Delivery>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "{DELIVERY_SELECT} WHERE d.dead_at IS NOT NULL ORDER BY d.dead_at DESC, d.outbox_id DESC LIMIT $1"
        ));
        let rows =
            sqlx::query(sql).bind(limit).fetch_all(&self.pool).await.map_err(query_error("reading dead letters"))?;
        rows.iter().map(delivery_from_row).collect()
    }

    /// Makes dead deliveries due again at `now`, attempts reset; all of them, or those to one
    /// target, or of one event. Returns how many.
    pub async fn replay_dead(&self, target: Option<&str>, outbox_id: Option<i64>, now: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE alert_deliveries SET dead_at = NULL, attempts = 0, next_attempt_at = $1
             WHERE dead_at IS NOT NULL AND ($2 IS NULL OR target = $2) AND ($3 IS NULL OR outbox_id = $3)",
        )
        .bind(timestamp::encode(now))
        .bind(target)
        .bind(outbox_id)
        .execute(&self.pool)
        .await
        .map_err(query_error("replaying dead letters"))?;
        Ok(done.rows_affected())
    }
}
