//! Source leases and request pacing: which fetcher pulls a source now, and when a host may
//! next be asked, when several fetchers share the store.

use chrono::{DateTime, Utc};

use crate::{Result, Store, query_error, timestamp};

impl Store {
    /// Takes (or renews) the lease on `source_id` for `holder` until `now + ttl`; false when
    /// another holder's lease has not run out.
    pub async fn take_lease(
        &self,
        source_id: &str,
        holder: &str,
        now: DateTime<Utc>,
        ttl: chrono::Duration,
    ) -> Result<bool> {
        let taken: Option<String> = sqlx::query_scalar(
            "INSERT INTO source_leases (source_id, holder, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (source_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
             WHERE source_leases.holder = excluded.holder OR source_leases.expires_at <= $4
             RETURNING holder",
        )
        .bind(source_id)
        .bind(holder)
        .bind(timestamp::encode(now + ttl))
        .bind(timestamp::encode(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(query_error("taking a source lease"))?;
        Ok(taken.is_some())
    }

    /// Gives up `holder`'s lease on `source_id` (nothing when it does not hold it).
    pub async fn release_lease(&self, source_id: &str, holder: &str) -> Result<()> {
        sqlx::query("DELETE FROM source_leases WHERE source_id = $1 AND holder = $2")
            .bind(source_id)
            .bind(holder)
            .execute(&self.pool)
            .await
            .map_err(query_error("releasing a source lease"))?;
        Ok(())
    }

    /// Reserves the next request slot for `key` (a host and credential): `now`, or `spacing`
    /// after the last slot any process reserved if that is later. Returns the slot; the caller
    /// waits until then. One statement, so two fetchers never get the same slot.
    pub async fn reserve_request_slot(
        &self,
        key: &str,
        now: DateTime<Utc>,
        spacing: std::time::Duration,
    ) -> Result<DateTime<Utc>> {
        let spacing_ms = i64::try_from(spacing.as_millis()).unwrap_or(i64::MAX).max(1);
        let next_ms: i64 = sqlx::query_scalar(
            "INSERT INTO request_pacing (pace_key, next_ms) VALUES ($1, CAST($2 AS BIGINT) + CAST($3 AS BIGINT))
             ON CONFLICT (pace_key) DO UPDATE SET next_ms = CASE
                 WHEN request_pacing.next_ms > CAST($2 AS BIGINT) THEN request_pacing.next_ms + CAST($3 AS BIGINT)
                 ELSE CAST($2 AS BIGINT) + CAST($3 AS BIGINT) END
             RETURNING next_ms",
        )
        .bind(key)
        .bind(now.timestamp_millis())
        .bind(spacing_ms)
        .fetch_one(&self.pool)
        .await
        .map_err(query_error("reserving a request slot"))?;
        Ok(DateTime::from_timestamp_millis(next_ms - spacing_ms).unwrap_or(now))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[tokio::test]
    async fn one_holder_at_a_time_until_the_lease_runs_out() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in(dir.path()).await.unwrap();
        let at = |minutes| Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap() + chrono::Duration::minutes(minutes);
        let ttl = chrono::Duration::minutes(10);
        assert!(store.take_lease("s", "a", at(0), ttl).await.unwrap());
        assert!(!store.take_lease("s", "b", at(5), ttl).await.unwrap(), "a holds it");
        assert!(store.take_lease("s", "a", at(5), ttl).await.unwrap(), "renewed to 15");
        assert!(!store.take_lease("s", "b", at(12), ttl).await.unwrap(), "the renewal counts");
        assert!(store.take_lease("s", "b", at(15), ttl).await.unwrap(), "run out: b takes over");
        store.release_lease("s", "a").await.unwrap();
        assert!(!store.take_lease("s", "a", at(16), ttl).await.unwrap(), "a cannot release b's lease");
        store.release_lease("s", "b").await.unwrap();
        assert!(store.take_lease("s", "a", at(16), ttl).await.unwrap());
    }

    #[tokio::test]
    async fn request_slots_are_spaced_whoever_reserves_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in(dir.path()).await.unwrap();
        let start = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let second = std::time::Duration::from_secs(1);
        let ms = chrono::Duration::milliseconds;
        // Three requests at the same instant (say two fetchers and a restarted one): one
        // second apart.
        let mut slots = Vec::new();
        for _ in 0..3 {
            slots.push(store.reserve_request_slot("host|", start, second).await.unwrap());
        }
        assert_eq!(slots, [start, start + ms(1000), start + ms(2000)]);
        // Another host is not held up; a request after the reserved ones goes at once.
        assert_eq!(store.reserve_request_slot("other|", start, second).await.unwrap(), start);
        let later = start + ms(10_000);
        assert_eq!(store.reserve_request_slot("host|", later, second).await.unwrap(), later);
        assert_eq!(store.reserve_request_slot("host|", later, second).await.unwrap(), later + ms(1000));
    }
}
