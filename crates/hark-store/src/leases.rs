//! Source leases: which fetcher pulls a source now, when several share the store.

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
}
