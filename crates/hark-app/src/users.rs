//! Users, passwords and API tokens: who may sign in, and the [`Caller`] behind a token or a
//! password.
//!
//! Passwords are hashed with Argon2id (the PHC string is stored); API tokens are 256 random
//! bits shown once and stored only as their SHA-256, so a copy of the database lets nobody
//! in. A disabled user's tokens stop working at once.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::App;
use crate::access::{Caller, Permission, Role};
use crate::error::{AppError, AppResult, Context};

/// Prefix of every API token, so that a leaked one is easy to recognise in a scan.
const TOKEN_PREFIX: &str = "hark_";

/// A new user, with the password (when hark made it up) and token shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NewUser {
    pub name: String,
    pub role: Role,
    /// The one-time password hark generated; `null` when the caller supplied one.
    pub password: Option<String>,
    pub token: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

/// A fresh API token for an existing user.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NewToken {
    pub name: String,
    pub token: String,
}

fn check_name(name: &str) -> AppResult<&str> {
    let name = name.trim();
    let fine = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if fine {
        Ok(name)
    } else {
        Err(AppError::invalid(
            "invalid_user_name",
            format!("user name {name:?}: use 1 to 64 letters, digits, '.', '_', '-' or '@'"),
        ))
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    hex::encode(buffer)
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn hash_password(password: &str) -> AppResult<String> {
    if password.chars().count() < 12 {
        return Err(AppError::invalid("weak_password", "a password needs at least 12 characters"));
    }
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)
        .map_err(|err| AppError::internal("salting a password", anyhow::anyhow!("{err}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| AppError::internal("hashing a password", anyhow::anyhow!("{err}")))
}

fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

fn view(user: hark_store::User) -> AppResult<UserView> {
    Ok(UserView {
        role: Role::parse(&user.role)?,
        name: user.name,
        disabled: user.disabled,
        created_at: user.created_at,
    })
}

/// Adds a user with a role; without `password`, hark makes up a one-time password. Either
/// way a first API token is made and shown once.
pub async fn add_user(
    app: &App,
    caller: &Caller,
    name: &str,
    role: Role,
    password: Option<&str>,
) -> AppResult<NewUser> {
    caller.require(Permission::Admin)?;
    let name = check_name(name)?;
    let generated = password.is_none().then(|| random_hex(12));
    let hash = hash_password(password.or(generated.as_deref()).unwrap_or_default())?;
    let store = app.store().await.internal("opening the store")?;
    let now = app.clock().now();
    let user = store
        .add_user(name, role.as_str(), &hash, now)
        .await
        .internal("adding a user")?
        .map_err(|_| AppError::conflict("user_exists", format!("a user named {name:?} exists already")))?;
    let token = format!("{TOKEN_PREFIX}{}", random_hex(32));
    store.add_token(user.id, &token_hash(&token), now).await.internal("storing an API token")?;
    audit(app, caller, "user.add", name, serde_json::json!({"role": role.as_str()})).await?;
    Ok(NewUser { name: name.to_owned(), role, password: generated, token })
}

pub async fn list_users(app: &App, caller: &Caller) -> AppResult<Vec<UserView>> {
    caller.require(Permission::Admin)?;
    let store = app.store().await.internal("opening the store")?;
    store.list_users().await.internal("listing users")?.into_iter().map(view).collect()
}

/// Disables (or enables again) a user: a disabled user's tokens, password and sessions stop
/// working.
pub async fn set_disabled(app: &App, caller: &Caller, name: &str, disabled: bool) -> AppResult<UserView> {
    caller.require(Permission::Admin)?;
    let store = app.store().await.internal("opening the store")?;
    if !store.set_user_disabled(name, disabled).await.internal("disabling a user")? {
        return Err(AppError::not_found("user", format!("{name:?}")));
    }
    let action = if disabled { "user.disable" } else { "user.enable" };
    audit(app, caller, action, name, serde_json::json!({})).await?;
    let user =
        store.user_by_name(name).await.internal("reading a user")?.ok_or_else(|| AppError::not_found("user", name))?;
    if disabled {
        // Signed out everywhere: enabling the user again does not bring old sessions back.
        store.delete_user_sessions(user.id).await.internal("ending the user's sessions")?;
    }
    view(user)
}

/// A new API token for `name`; with `revoke_others`, the user's older tokens stop working.
pub async fn new_token(app: &App, caller: &Caller, name: &str, revoke_others: bool) -> AppResult<NewToken> {
    caller.require(Permission::Admin)?;
    let store = app.store().await.internal("opening the store")?;
    let user = store
        .user_by_name(name)
        .await
        .internal("reading a user")?
        .ok_or_else(|| AppError::not_found("user", format!("{name:?}")))?;
    let now = app.clock().now();
    if revoke_others {
        store.revoke_tokens(user.id, now).await.internal("revoking tokens")?;
    }
    let token = format!("{TOKEN_PREFIX}{}", random_hex(32));
    store.add_token(user.id, &token_hash(&token), now).await.internal("storing an API token")?;
    audit(app, caller, "user.token", name, serde_json::json!({"revoked_others": revoke_others})).await?;
    Ok(NewToken { name: user.name, token })
}

/// Gives `name` a new password, `password` or a random one (and makes the user with `role`
/// when missing); returns the password. For demos and for an admin who lost theirs.
pub async fn reset_or_add(
    app: &App,
    caller: &Caller,
    name: &str,
    role: Role,
    password: Option<&str>,
) -> AppResult<String> {
    caller.require(Permission::Admin)?;
    let name = check_name(name)?;
    let store = app.store().await.internal("opening the store")?;
    if store.user_by_name(name).await.internal("reading a user")?.is_none() {
        let created = add_user(app, caller, name, role, password).await?;
        return Ok(created.password.or_else(|| password.map(str::to_owned)).unwrap_or_default());
    }
    let password = password.map_or_else(|| random_hex(12), str::to_owned);
    let hash = hash_password(&password)?;
    store.set_password_hash(name, &hash).await.internal("setting a password")?;
    store.set_user_disabled(name, false).await.internal("enabling a user")?;
    audit(app, caller, "user.password", name, serde_json::json!({})).await?;
    Ok(password)
}

/// The caller behind an API token.
pub async fn authenticate_token(app: &App, token: &str) -> AppResult<Caller> {
    let unknown = || AppError::unauthenticated("the API token is not valid (or its user is disabled)");
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
        return Err(unknown());
    }
    let store = app.store().await.internal("opening the store")?;
    let user = store.user_by_token_hash(&token_hash(token)).await.internal("checking a token")?.ok_or_else(unknown)?;
    Ok(Caller::new(user.name, Role::parse(&user.role)?))
}

/// The caller behind a user name and password (the web app's sign-in).
pub async fn authenticate_password(app: &App, name: &str, password: &str) -> AppResult<Caller> {
    let refused = || AppError::unauthenticated("unknown user or wrong password");
    let store = app.store().await.internal("opening the store")?;
    let user = store.user_by_name(name.trim()).await.internal("reading a user")?.ok_or_else(refused)?;
    let stored = user.password_hash.clone();
    let password = password.to_owned();
    // Argon2 is deliberately slow: keep it off the async runtime.
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &stored))
        .await
        .internal("checking a password")?;
    if !matches || user.disabled {
        return Err(refused());
    }
    Ok(Caller::new(user.name, Role::parse(&user.role)?))
}

async fn audit(app: &App, caller: &Caller, action: &str, subject: &str, detail: serde_json::Value) -> AppResult<()> {
    let store = app.store().await.internal("opening the store")?;
    store
        .record_audit(&hark_store::AuditEvent { at: app.clock().now(), actor: &caller.name, action, subject, detail })
        .await
        .internal("writing the audit log")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_against_their_argon2id_hash_only() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse battery!", &hash));
        assert_eq!(hash_password("short").unwrap_err().code, "weak_password");
    }

    #[test]
    fn user_names_are_checked() {
        assert!(check_name("alice.smith@acme").is_ok());
        assert_eq!(check_name("a b").unwrap_err().code, "invalid_user_name");
        assert_eq!(check_name("").unwrap_err().code, "invalid_user_name");
    }
}
