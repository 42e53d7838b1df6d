//! Web sessions and the failed sign-ins that throttle logging in.
//!
//! The store keeps what the caller computed: the SHA-256 of a session's cookie value (never
//! the value), its CSRF token and its times. Whether a session is still good (expired, user
//! disabled) and how many failures are too many is the caller's decision; the store answers
//! the questions and keeps the tables small (expired sessions of a user and failures older
//! than the window are pruned as new rows arrive).

use std::fmt;

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Result, Store, User, query_error, timestamp};

/// A session to store.
#[derive(Clone, Copy)]
pub struct SessionWrite<'a> {
    /// SHA-256 (hex) of the cookie value.
    pub token_hash: &'a str,
    pub user_id: i64,
    pub csrf: &'a str,
    pub user_agent: Option<&'a str>,
    pub now: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// How many sessions the user may keep: the oldest beyond this are deleted.
    pub keep: u32,
}

impl fmt::Debug for SessionWrite<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionWrite")
            .field("user_id", &self.user_id)
            .field("csrf", &"<redacted>")
            .field("user_agent", &self.user_agent)
            .field("now", &self.now)
            .field("expires_at", &self.expires_at)
            .field("keep", &self.keep)
            .finish_non_exhaustive()
    }
}

/// What [`Store::reserve_login_attempt`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginAttempt {
    /// Counted as a failure under every key: the rows to release if the attempt succeeds.
    Reserved(Vec<i64>),
    /// `key` is at its limit; a slot frees when the failure at `blocking_failure_at` leaves
    /// the window.
    Refused { key: String, blocking_failure_at: DateTime<Utc> },
}

/// A stored session with its user (whatever the user's state: the caller checks
/// `user.disabled`). `Debug` leaves the CSRF token out.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub token_hash: String,
    pub user: User,
    pub csrf: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub user_agent: Option<String>,
}

impl fmt::Debug for StoredSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredSession")
            .field("user", &self.user)
            .field("csrf", &"<redacted>")
            .field("created_at", &self.created_at)
            .field("last_seen_at", &self.last_seen_at)
            .field("expires_at", &self.expires_at)
            .field("user_agent", &self.user_agent)
            .finish_non_exhaustive()
    }
}

fn session_from_row(row: &AnyRow) -> Result<StoredSession> {
    let user = User {
        id: row.get("id"),
        name: row.get("name"),
        role: row.get("role"),
        password_hash: row.get("password_hash"),
        disabled: row.get::<i64, _>("disabled") != 0,
        created_at: timestamp::decode(&row.get::<String, _>("created_at"))?,
    };
    Ok(StoredSession {
        token_hash: row.get("s_token_hash"),
        user,
        csrf: row.get("s_csrf"),
        created_at: timestamp::decode(&row.get::<String, _>("s_created_at"))?,
        last_seen_at: timestamp::decode(&row.get::<String, _>("s_last_seen_at"))?,
        expires_at: timestamp::decode(&row.get::<String, _>("s_expires_at"))?,
        user_agent: row.get("s_user_agent"),
    })
}

impl Store {
    /// Stores a new session and, in the same transaction, deletes every expired session and
    /// the user's oldest ones beyond `keep` (the new one counts).
    pub async fn create_session(&self, write: &SessionWrite<'_>) -> Result<()> {
        let mut tx = self.begin_write("starting a session").await?;
        let now = timestamp::encode(write.now);
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf, created_at, last_seen_at, expires_at, user_agent)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(write.token_hash)
        .bind(write.user_id)
        .bind(write.csrf)
        .bind(&now)
        .bind(&now)
        .bind(timestamp::encode(write.expires_at))
        .bind(write.user_agent)
        .execute(&mut *tx)
        .await
        .map_err(query_error("storing a session"))?;
        sqlx::query(
            "DELETE FROM sessions WHERE expires_at <= $1 OR (user_id = $2 AND token_hash NOT IN (
                SELECT token_hash FROM sessions WHERE user_id = $3
                ORDER BY created_at DESC, rowid DESC LIMIT $4))",
        )
        .bind(&now)
        .bind(write.user_id)
        .bind(write.user_id)
        .bind(i64::from(write.keep))
        .execute(&mut *tx)
        .await
        .map_err(query_error("pruning a user's sessions"))?;
        tx.commit().await.map_err(query_error("committing a session"))
    }

    /// The session with this token hash and its user, expired or not.
    pub async fn session(&self, token_hash: &str) -> Result<Option<StoredSession>> {
        let row = sqlx::query(
            "SELECT u.*, s.token_hash AS s_token_hash, s.csrf AS s_csrf, s.created_at AS s_created_at,
                s.last_seen_at AS s_last_seen_at, s.expires_at AS s_expires_at, s.user_agent AS s_user_agent
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(query_error("reading a session"))?;
        row.as_ref().map(session_from_row).transpose()
    }

    /// Records that a session was used at `now`, with its new expiry; written only when the
    /// last recorded use is before `unless_seen_since`, so that calling it on every request is
    /// cheap and concurrent processes write once. Whether it wrote.
    pub async fn touch_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        unless_seen_since: DateTime<Utc>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE token_hash = $3 AND last_seen_at < $4",
        )
        .bind(timestamp::encode(now))
        .bind(timestamp::encode(expires_at))
        .bind(token_hash)
        .bind(timestamp::encode(unless_seen_since))
        .execute(&self.pool)
        .await
        .map_err(query_error("recording a session's use"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes one session; the user id it belonged to, if it existed.
    pub async fn delete_session(&self, token_hash: &str) -> Result<Option<i64>> {
        sqlx::query_scalar("DELETE FROM sessions WHERE token_hash = $1 RETURNING user_id")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(query_error("deleting a session"))
    }

    /// Deletes every session of a user; how many.
    pub async fn delete_user_sessions(&self, user_id: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map_err(query_error("deleting a user's sessions"))?;
        Ok(done.rows_affected())
    }

    /// Deletes every session expired at `now`; how many.
    pub async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(timestamp::encode(now))
            .execute(&self.pool)
            .await
            .map_err(query_error("deleting expired sessions"))?;
        Ok(done.rows_affected())
    }

    /// Reserves one sign-in attempt, in one transaction: when every key in `limits` has fewer
    /// than its limit of failures recorded after `window_start`, a failure is recorded under
    /// each key at `now` (the caller releases them if the attempt succeeds, so that concurrent
    /// attempts can never exceed a limit), else nothing is recorded and the attempt is refused.
    /// Failures recorded at or before `window_start` are deleted first.
    pub async fn reserve_login_attempt(
        &self,
        limits: &[(&str, u32)],
        window_start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<LoginAttempt> {
        let mut tx = self.begin_write("starting a sign-in attempt").await?;
        let since = timestamp::encode(window_start);
        sqlx::query("DELETE FROM login_failures WHERE at <= $1")
            .bind(&since)
            .execute(&mut *tx)
            .await
            .map_err(query_error("pruning old sign-in failures"))?;
        let mut refused: Option<(String, DateTime<Utc>)> = None;
        for &(key, limit) in limits {
            let newest: Vec<String> = sqlx::query_scalar(
                "SELECT at FROM login_failures WHERE key = $1 AND at > $2 ORDER BY at DESC LIMIT $3",
            )
            .bind(key)
            .bind(&since)
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await
            .map_err(query_error("counting sign-in failures"))?;
            if limit == 0 || newest.len() < limit as usize {
                continue;
            }
            // The failure whose expiry frees a slot: the limit-th newest.
            let oldest = timestamp::decode(&newest[newest.len() - 1])?;
            if refused.as_ref().is_none_or(|(_, at)| oldest > *at) {
                refused = Some((key.to_owned(), oldest));
            }
        }
        if let Some((key, blocking_failure_at)) = refused {
            return Ok(LoginAttempt::Refused { key, blocking_failure_at });
        }
        let mut reserved = Vec::with_capacity(limits.len());
        for &(key, _) in limits {
            let id: i64 = sqlx::query_scalar("INSERT INTO login_failures (key, at) VALUES ($1, $2) RETURNING rowid")
                .bind(key)
                .bind(timestamp::encode(now))
                .fetch_one(&mut *tx)
                .await
                .map_err(query_error("recording a sign-in attempt"))?;
            reserved.push(id);
        }
        tx.commit().await.map_err(query_error("committing a sign-in attempt"))?;
        Ok(LoginAttempt::Reserved(reserved))
    }

    /// Takes back the failures a successful attempt reserved.
    pub async fn release_login_attempt(&self, reserved: &[i64]) -> Result<()> {
        for id in reserved {
            sqlx::query("DELETE FROM login_failures WHERE rowid = $1")
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(query_error("releasing a sign-in attempt"))?;
        }
        Ok(())
    }

    /// The times of the failures recorded under `key` after `since`, newest first, at most
    /// `limit` of them.
    pub async fn login_failures(&self, key: &str, since: DateTime<Utc>, limit: u32) -> Result<Vec<DateTime<Utc>>> {
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT at FROM login_failures WHERE key = $1 AND at > $2 ORDER BY at DESC LIMIT $3")
                .bind(key)
                .bind(timestamp::encode(since))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(query_error("counting sign-in failures"))?;
        rows.iter().map(|at| timestamp::decode(at)).collect()
    }

    /// Forgets the failures recorded under `key` (after a successful sign-in); how many.
    pub async fn clear_login_failures(&self, key: &str) -> Result<u64> {
        let done = sqlx::query("DELETE FROM login_failures WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(query_error("clearing sign-in failures"))?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().expect("a valid time") + Duration::minutes(minutes)
    }

    fn write<'a>(hash: &'a str, user_id: i64, minutes: i64) -> SessionWrite<'a> {
        SessionWrite {
            token_hash: hash,
            user_id,
            csrf: "c",
            user_agent: Some("agent"),
            now: at(minutes),
            expires_at: at(minutes + 480),
            keep: 3,
        }
    }

    #[tokio::test]
    async fn sessions_are_kept_per_user_up_to_a_limit_and_go_with_the_user() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in(dir.path()).await.unwrap();
        let alice = store.add_user("alice", "service", "h", at(0)).await.unwrap().unwrap();
        let bob = store.add_user("bob", "sales", "h", at(0)).await.unwrap().unwrap();
        let hashes: Vec<String> = (0..5).map(|i| format!("a{i}")).collect();
        for (i, hash) in hashes.iter().enumerate() {
            store.create_session(&write(hash, alice.id, i as i64)).await.unwrap();
        }
        store.create_session(&write("b0", bob.id, 0)).await.unwrap();
        let mut live = Vec::new();
        for hash in &hashes {
            live.push(store.session(hash).await.unwrap().is_some());
        }
        assert_eq!(live, [false, false, true, true, true]);
        let session = store.session("a4").await.unwrap().unwrap();
        assert_eq!((session.user.name.as_str(), session.created_at, session.expires_at), ("alice", at(4), at(484)));
        assert_eq!(session.user_agent.as_deref(), Some("agent"));

        // Touching writes at most once per granularity.
        assert!(!store.touch_session("a4", at(4), at(600), at(4)).await.unwrap());
        assert!(store.touch_session("a4", at(10), at(490), at(9)).await.unwrap());
        let touched = store.session("a4").await.unwrap().unwrap();
        assert_eq!((touched.last_seen_at, touched.expires_at), (at(10), at(490)));

        assert_eq!(store.delete_session("a4").await.unwrap(), Some(alice.id));
        assert_eq!(store.delete_session("a4").await.unwrap(), None);
        assert_eq!(store.delete_user_sessions(alice.id).await.unwrap(), 2);
        assert_eq!(store.delete_expired_sessions(at(480)).await.unwrap(), 1);
        assert!(store.session("b0").await.unwrap().is_none());

        store.create_session(&write("b1", bob.id, 0)).await.unwrap();
        sqlx::query("DELETE FROM users WHERE id = $1").bind(bob.id).execute(&store.pool).await.unwrap();
        assert!(store.session("b1").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn sign_in_attempts_are_reserved_up_to_each_limit_within_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in(dir.path()).await.unwrap();
        let limits = |user: &'static str| [(user, 3), ("addr:10.0.0.1", 5)];
        let mut reserved = Vec::new();
        for minute in 0..3 {
            let attempt =
                store.reserve_login_attempt(&limits("user:alice"), at(minute - 15), at(minute)).await.unwrap();
            let LoginAttempt::Reserved(ids) = attempt else { panic!("{attempt:?}") };
            reserved.push(ids);
        }
        assert_eq!(store.login_failures("user:alice", at(-15), 10).await.unwrap(), [at(2), at(1), at(0)]);
        // Alice is at her limit until the failure at minute 0 leaves the window at minute 15.
        let refused = store.reserve_login_attempt(&limits("user:alice"), at(14 - 15), at(14)).await.unwrap();
        assert_eq!(refused, LoginAttempt::Refused { key: "user:alice".to_owned(), blocking_failure_at: at(0) });
        assert!(matches!(
            store.reserve_login_attempt(&limits("user:alice"), at(0), at(15)).await.unwrap(),
            LoginAttempt::Reserved(_)
        ));
        // The failure at minute 0 was pruned; the address has 4 of its 5.
        assert_eq!(store.login_failures("addr:10.0.0.1", at(-15), 10).await.unwrap(), [at(15), at(2), at(1)]);
        store.release_login_attempt(&reserved[2]).await.unwrap();
        assert_eq!(store.login_failures("user:alice", at(-15), 10).await.unwrap(), [at(15), at(1)]);
        assert_eq!(store.login_failures("addr:10.0.0.1", at(-15), 10).await.unwrap(), [at(15), at(1)]);
        for _ in 0..3 {
            store.reserve_login_attempt(&limits("user:bob"), at(0), at(15)).await.unwrap();
        }
        let refused = store.reserve_login_attempt(&limits("user:carol"), at(0), at(15)).await.unwrap();
        assert_eq!(refused, LoginAttempt::Refused { key: "addr:10.0.0.1".to_owned(), blocking_failure_at: at(1) });
        assert_eq!(store.clear_login_failures("user:alice").await.unwrap(), 2);
        assert!(store.login_failures("user:alice", at(-15), 10).await.unwrap().is_empty());
    }
}
