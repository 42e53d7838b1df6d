//! Users of the server and their API tokens.
//!
//! The store keeps hashes made by the caller (passwords and tokens are never stored or
//! hashed here). A token authenticates only while it is not revoked and its user is not
//! disabled.

use std::fmt;

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Result, Store, query_error, timestamp};

/// The roles a user can have (DESIGN.md, "Server, API and access").
pub const USER_ROLES: [&str; 4] = ["admin", "community", "sales", "service"];

/// A user. `Debug` leaves the password hash out.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub name: String,
    /// One of [`USER_ROLES`].
    pub role: String,
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("password_hash", &"<redacted>")
            .field("disabled", &self.disabled)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// Why a user was not added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    #[error("a user named {0:?} exists already")]
    Exists(String),
    #[error("unknown role {0:?}: use admin, community, sales or service")]
    UnknownRole(String),
}

fn user_from_row(row: &AnyRow) -> Result<User> {
    Ok(User {
        id: row.get("id"),
        name: row.get("name"),
        role: row.get("role"),
        password_hash: row.get("password_hash"),
        disabled: row.get::<i64, _>("disabled") != 0,
        created_at: timestamp::decode(&row.get::<String, _>("created_at"))?,
    })
}

/// Tokens used within this long of their last recorded use are not written again.
const LAST_USED_GRANULARITY_SECONDS: i64 = 60;

impl Store {
    /// Adds a user with the password hash given.
    pub async fn add_user(
        &self,
        name: &str,
        role: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<User, UserError>> {
        if !USER_ROLES.contains(&role) {
            return Ok(Err(UserError::UnknownRole(role.to_owned())));
        }
        let row = sqlx::query(
            "INSERT INTO users (name, role, password_hash, disabled, created_at) VALUES ($1, $2, $3, 0, $4)
             ON CONFLICT (name) DO NOTHING RETURNING *",
        )
        .bind(name)
        .bind(role)
        .bind(password_hash)
        .bind(timestamp::encode(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(query_error("adding a user"))?;
        match row {
            Some(row) => Ok(Ok(user_from_row(&row)?)),
            None => Ok(Err(UserError::Exists(name.to_owned()))),
        }
    }

    pub async fn user_by_name(&self, name: &str) -> Result<Option<User>> {
        let row = sqlx::query("SELECT * FROM users WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(query_error("reading a user"))?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Every user, by name.
    pub async fn list_users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query("SELECT * FROM users ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(query_error("listing users"))?;
        rows.iter().map(user_from_row).collect()
    }

    /// Disables (or enables again) a user; false when there is no such user.
    pub async fn set_user_disabled(&self, name: &str, disabled: bool) -> Result<bool> {
        let done = sqlx::query("UPDATE users SET disabled = $1 WHERE name = $2")
            .bind(i64::from(disabled))
            .bind(name)
            .execute(&self.pool)
            .await
            .map_err(query_error("disabling a user"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Replaces a user's password hash; false when there is no such user.
    pub async fn set_password_hash(&self, name: &str, password_hash: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE name = $2")
            .bind(password_hash)
            .bind(name)
            .execute(&self.pool)
            .await
            .map_err(query_error("changing a password"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Stores an API token's hash for a user; returns the token's id.
    pub async fn add_token(&self, user_id: i64, token_hash: &str, now: DateTime<Utc>) -> Result<i64> {
        sqlx::query_scalar("INSERT INTO api_tokens (user_id, token_hash, created_at) VALUES ($1, $2, $3) RETURNING id")
            .bind(user_id)
            .bind(token_hash)
            .bind(timestamp::encode(now))
            .fetch_one(&self.pool)
            .await
            .map_err(query_error("adding a token"))
    }

    /// The user a token hash authenticates: none when the token is unknown or revoked, or its
    /// user disabled. Reads only (see [`Store::touch_token`]).
    pub async fn user_by_token_hash(&self, token_hash: &str) -> Result<Option<User>> {
        let row = sqlx::query(
            "SELECT u.* FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled = 0",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(query_error("looking up a token"))?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Records that a token was used at `now`; written at most once a minute per token, so
    /// calling it on every request is cheap.
    pub async fn touch_token(&self, token_hash: &str, now: DateTime<Utc>) -> Result<()> {
        let stale = now - chrono::Duration::seconds(LAST_USED_GRANULARITY_SECONDS);
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = $1
             WHERE token_hash = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(timestamp::encode(now))
        .bind(token_hash)
        .bind(timestamp::encode(stale))
        .execute(&self.pool)
        .await
        .map_err(query_error("recording a token's use"))?;
        Ok(())
    }

    /// Revokes every live token of a user; returns how many.
    pub async fn revoke_tokens(&self, user_id: i64, now: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
            .bind(timestamp::encode(now))
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map_err(query_error("revoking tokens"))?;
        Ok(done.rows_affected())
    }
}
