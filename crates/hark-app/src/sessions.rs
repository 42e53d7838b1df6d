//! Web sessions: signing in with a password, the session behind a cookie, signing out, and
//! the CSRF token every state-changing form carries.
//!
//! A session's cookie value is 256 random bits (hex) shown to the browser only; the store
//! keeps its SHA-256, so a copy of the database signs nobody in. A session ends after
//! [`IDLE_TIMEOUT`] without use and [`ABSOLUTE_LIFETIME`] after sign-in whatever happens, at
//! once when its user is disabled, and on sign-out. A user keeps at most
//! [`MAX_SESSIONS_PER_USER`] sessions; signing in again drops the oldest.
//!
//! Signing in is throttled by user name and by client address, with the failures kept in
//! the store so that every server process over it counts the same: after
//! [`MAX_FAILURES_PER_USER`] failures within [`FAILURE_WINDOW`] for a name, or
//! [`MAX_FAILURES_PER_ADDRESS`] from an address, attempts are refused (the password is not
//! even checked) until enough of them leave the window. Each attempt reserves its failure
//! before the password is checked and gives it back on success, so parallel attempts cannot
//! slip past a limit. Unknown names count like wrong passwords and get the same answer.

use std::fmt;
use std::net::IpAddr;

use chrono::{DateTime, TimeDelta, Utc};
use hark_store::{LoginAttempt, SessionWrite};
use rand::RngCore;

use crate::App;
use crate::access::{Caller, Role};
use crate::error::{AppError, AppResult, Context, ErrorKind};
use crate::users::{authenticate_password, token_hash};

/// A session unused this long ends.
pub const IDLE_TIMEOUT: TimeDelta = TimeDelta::hours(8);
/// A session ends this long after sign-in, however much it is used.
pub const ABSOLUTE_LIFETIME: TimeDelta = TimeDelta::days(7);
/// Sessions a user keeps at most; the oldest beyond go when they sign in again.
pub const MAX_SESSIONS_PER_USER: u32 = 20;
/// How far back failed sign-ins count.
pub const FAILURE_WINDOW: TimeDelta = TimeDelta::minutes(15);
/// Failed sign-ins for one user name within the window before attempts are refused.
pub const MAX_FAILURES_PER_USER: u32 = 5;
/// Failed sign-ins from one client address within the window before attempts are refused.
pub const MAX_FAILURES_PER_ADDRESS: u32 = 20;
/// A session's last use (and so its idle expiry) is written at most this often.
const TOUCH_GRANULARITY: TimeDelta = TimeDelta::minutes(1);
/// User agents are stored up to this many characters.
const MAX_USER_AGENT_CHARS: usize = 256;

/// Who is signing in, as the server sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    pub address: IpAddr,
    pub user_agent: Option<String>,
}

/// A new session: `token` goes in the session cookie (HttpOnly) and nowhere else; `csrf` in
/// every form of the session's pages. `Debug` shows neither.
#[derive(Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf: String,
    pub caller: Caller,
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for NewSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSession")
            .field("token", &"<redacted>")
            .field("csrf", &"<redacted>")
            .field("caller", &self.caller)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The session behind a cookie. `Debug` leaves the CSRF token out.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    pub caller: Caller,
    pub csrf: String,
    /// When the session ends unless used before (never later than its absolute lifetime).
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("caller", &self.caller)
            .field("csrf", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    hex::encode(buffer)
}

/// Whether a cookie value has the shape of a session token (64 hex digits).
fn looks_like_token(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|byte| byte.is_ascii_hexdigit())
}

/// The throttling key of a user name: trimmed, lower case, at most 100 characters.
fn user_key(name: &str) -> String {
    let name: String = name.trim().to_lowercase().chars().take(100).collect();
    format!("user:{name}")
}

/// The throttling key of a client address: the IPv4 address (IPv4-mapped IPv6 included), or
/// for IPv6 its /64 network, the block one client usually holds.
fn address_key(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => format!("addr:{v4}"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("addr:{v4}"),
            None => {
                let s = v6.segments();
                let network = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("addr:{network}/64")
            }
        },
    }
}

fn too_many_attempts(retry_at: DateTime<Utc>, now: DateTime<Utc>) -> AppError {
    let seconds = (retry_at - now).num_seconds().max(1);
    let minutes = (seconds + 59) / 60;
    let plural = if minutes == 1 { "" } else { "s" };
    AppError::new(
        ErrorKind::TooManyRequests,
        "too_many_attempts",
        format!(
            "too many failed sign-ins; try again in {minutes} minute{plural} (after {} UTC)",
            retry_at.format("%H:%M:%S")
        ),
    )
}

/// Signs a user in with their password: a new session, its cookie token and CSRF token.
/// Refused with `unauthenticated` ("unknown user or wrong password", whichever it was) or,
/// after too many failures for the name or from the address, `too_many_attempts`.
pub async fn login(app: &App, username: &str, password: &str, client: &ClientInfo) -> AppResult<NewSession> {
    login_at(app, username, password, client, app.clock().now()).await
}

async fn login_at(
    app: &App,
    username: &str,
    password: &str,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> AppResult<NewSession> {
    let store = app.store().await.internal("opening the store")?;
    let user_key = user_key(username);
    let address_key = address_key(client.address);
    let limits = [(user_key.as_str(), MAX_FAILURES_PER_USER), (address_key.as_str(), MAX_FAILURES_PER_ADDRESS)];
    let reserved = match store
        .reserve_login_attempt(&limits, now - FAILURE_WINDOW, now)
        .await
        .internal("counting failed sign-ins")?
    {
        LoginAttempt::Reserved(reserved) => reserved,
        LoginAttempt::Refused { key, blocking_failure_at } => {
            tracing::warn!(user = ?username.trim(), address = %client.address, key, "sign-in refused: too many failures");
            return Err(too_many_attempts(blocking_failure_at + FAILURE_WINDOW, now));
        }
    };
    let caller = match authenticate_password(app, username, password).await {
        Ok(caller) => caller,
        Err(err) => {
            if err.kind == ErrorKind::Unauthenticated {
                // The reserved failures stay.
                tracing::warn!(user = ?username.trim(), address = %client.address, "sign-in failed");
            } else {
                store.release_login_attempt(&reserved).await.internal("releasing a sign-in attempt")?;
            }
            return Err(err);
        }
    };
    store.release_login_attempt(&reserved).await.internal("releasing a sign-in attempt")?;
    store.clear_login_failures(&user_key).await.internal("clearing failed sign-ins")?;
    let user = store
        .user_by_name(&caller.name)
        .await
        .internal("reading a user")?
        .ok_or_else(|| AppError::unauthenticated("unknown user or wrong password"))?;
    let token = random_hex(32);
    let csrf = random_hex(32);
    let expires_at = now + IDLE_TIMEOUT.min(ABSOLUTE_LIFETIME);
    let user_agent: Option<String> =
        client.user_agent.as_deref().map(|agent| agent.chars().take(MAX_USER_AGENT_CHARS).collect());
    store
        .create_session(&SessionWrite {
            token_hash: &token_hash(&token),
            user_id: user.id,
            csrf: &csrf,
            user_agent: user_agent.as_deref(),
            now,
            expires_at,
            keep: MAX_SESSIONS_PER_USER,
        })
        .await
        .internal("storing a session")?;
    let detail = serde_json::json!({"address": client.address.to_string(), "user_agent": user_agent});
    audit(app, &caller.name, "session.login", detail, now).await?;
    tracing::info!(user = %caller.name, address = %client.address, "signed in");
    Ok(NewSession { token, csrf, caller, expires_at })
}

/// The session behind a cookie's token: `unauthenticated` when it is unknown, expired or its
/// user disabled. Using a session extends it by the idle timeout (written at most once a
/// minute), never past its absolute lifetime.
pub async fn resolve(app: &App, token: &str) -> AppResult<Session> {
    resolve_at(app, token, app.clock().now()).await
}

async fn resolve_at(app: &App, token: &str, now: DateTime<Utc>) -> AppResult<Session> {
    let signed_out = || AppError::unauthenticated("you are not signed in (or your session ended); sign in again");
    if !looks_like_token(token) {
        return Err(signed_out());
    }
    let store = app.store().await.internal("opening the store")?;
    let hash = token_hash(token);
    let session = store.session(&hash).await.internal("reading a session")?.ok_or_else(signed_out)?;
    let ends = session.created_at + ABSOLUTE_LIFETIME;
    if now >= session.expires_at || now >= ends {
        store.delete_session(&hash).await.internal("deleting an expired session")?;
        return Err(signed_out());
    }
    if session.user.disabled {
        return Err(signed_out());
    }
    let caller = Caller::new(session.user.name, Role::parse(&session.user.role)?);
    let mut expires_at = session.expires_at;
    if now - session.last_seen_at >= TOUCH_GRANULARITY {
        let slid = (now + IDLE_TIMEOUT).min(ends);
        if store.touch_session(&hash, now, slid, now - TOUCH_GRANULARITY).await.internal("extending a session")? {
            expires_at = slid;
        }
    }
    Ok(Session { caller, csrf: session.csrf, expires_at })
}

/// Ends the session behind a token (nothing happens if there is none).
pub async fn logout(app: &App, token: &str) -> AppResult<()> {
    if !looks_like_token(token) {
        return Ok(());
    }
    let store = app.store().await.internal("opening the store")?;
    let hash = token_hash(token);
    let Some(session) = store.session(&hash).await.internal("reading a session")? else {
        return Ok(());
    };
    if store.delete_session(&hash).await.internal("ending a session")?.is_none() {
        return Ok(());
    }
    audit(app, &session.user.name, "session.logout", serde_json::json!({}), app.clock().now()).await
}

/// Ends every session of the caller (all their browsers); how many there were.
pub async fn logout_everywhere(app: &App, caller: &Caller) -> AppResult<u64> {
    let store = app.store().await.internal("opening the store")?;
    let Some(user) = store.user_by_name(&caller.name).await.internal("reading a user")? else {
        return Ok(0);
    };
    let ended = store.delete_user_sessions(user.id).await.internal("ending sessions")?;
    audit(app, &caller.name, "session.logout_everywhere", serde_json::json!({"sessions": ended}), app.clock().now())
        .await?;
    Ok(ended)
}

/// Checks the CSRF token a form sent against the session's: `csrf` (forbidden) on a mismatch.
pub fn check_csrf(session: &Session, presented: &str) -> AppResult<()> {
    if same_secret(&session.csrf, presented) {
        Ok(())
    } else {
        Err(AppError::new(ErrorKind::Forbidden, "csrf", "the form expired; reload the page"))
    }
}

/// Compares two secrets in time that depends on their length only, not on where they differ.
pub fn same_secret(expected: &str, presented: &str) -> bool {
    let (expected, presented) = (expected.as_bytes(), presented.as_bytes());
    if expected.len() != presented.len() {
        return false;
    }
    let difference = expected.iter().zip(presented).fold(0u8, |acc, (a, b)| acc | (a ^ b));
    std::hint::black_box(difference) == 0
}

async fn audit(app: &App, actor: &str, action: &str, detail: serde_json::Value, now: DateTime<Utc>) -> AppResult<()> {
    let store = app.store().await.internal("opening the store")?;
    store
        .record_audit(&hark_store::AuditEvent { at: now, actor, action, subject: actor, detail })
        .await
        .internal("writing the audit log")
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};
    use std::path::Path;

    use chrono::TimeZone;

    use super::*;
    use crate::{AppOptions, Config, ConfigOrigin};

    const PASSWORD: &str = "correct horse battery";

    fn at(minutes: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().expect("a valid time") + TimeDelta::minutes(minutes)
    }

    fn client(last: u8) -> ClientInfo {
        ClientInfo { address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)), user_agent: Some("test".to_owned()) }
    }

    /// An application over a fresh data directory with users alice (service) and bob (sales).
    async fn app_with_users(dir: &Path) -> App {
        let options =
            AppOptions { config_path: dir.join("hark.toml"), config_explicit: false, data_dir: dir.join("data") };
        let app = App::with_config(options, Config::default(), ConfigOrigin::Default);
        for (name, role) in [("alice", Role::Service), ("bob", Role::Sales)] {
            crate::users::add_user(&app, &Caller::local(), name, role, Some(PASSWORD)).await.unwrap();
        }
        app
    }

    async fn expect_code(result: AppResult<NewSession>, code: &str) -> AppError {
        let err = result.expect_err("refused");
        assert_eq!(err.code, code, "{}", err.message);
        err
    }

    #[tokio::test]
    async fn login_gives_a_session_that_resolves_to_the_user() {
        let dir = tempfile::tempdir().unwrap();
        let app = app_with_users(dir.path()).await;
        // Names are exact (the throttling key is not).
        expect_code(login_at(&app, "Alice", PASSWORD, &client(1), at(0)).await, "unauthenticated").await;
        let new = login_at(&app, "alice", PASSWORD, &client(1), at(0)).await.unwrap();
        assert_eq!(new.caller, Caller::new("alice", Role::Service));
        assert_eq!((new.token.len(), new.csrf.len()), (64, 64));
        assert_ne!(new.token, new.csrf);
        assert_eq!(new.expires_at, at(8 * 60));
        let session = resolve_at(&app, &new.token, at(1)).await.unwrap();
        assert_eq!((session.caller, session.csrf), (new.caller.clone(), new.csrf.clone()));
        // Only the hash is stored.
        let store = app.store().await.unwrap();
        assert!(store.session(&new.token).await.unwrap().is_none());
        assert!(store.session(&token_hash(&new.token)).await.unwrap().is_some());
        let audit = store.audit_events(1).await.unwrap();
        assert_eq!((audit[0].action.as_str(), audit[0].actor.as_str()), ("session.login", "alice"));
        assert!(!format!("{new:?}").contains(&new.token));
        for bad in ["", "nope", &new.token.to_uppercase()[..63], &token_hash(&new.token)] {
            assert_eq!(resolve_at(&app, bad, at(1)).await.unwrap_err().kind, ErrorKind::Unauthenticated);
        }
    }

    #[tokio::test]
    async fn wrong_passwords_and_unknown_users_get_the_same_answer() {
        let dir = tempfile::tempdir().unwrap();
        let app = app_with_users(dir.path()).await;
        let wrong =
            expect_code(login_at(&app, "alice", "wrong password!", &client(1), at(0)).await, "unauthenticated").await;
        let unknown =
            expect_code(login_at(&app, "mallory", PASSWORD, &client(1), at(0)).await, "unauthenticated").await;
        assert_eq!((wrong.kind, wrong.message.as_str()), (unknown.kind, unknown.message.as_str()));
        assert_eq!(wrong.message, "unknown user or wrong password");
    }

    #[tokio::test]
    async fn five_failures_for_a_user_lock_the_name_for_the_rest_of_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let app = app_with_users(dir.path()).await;
        // Four failures, then the right password: in, and the count starts over.
        for minute in 0..4 {
            expect_code(login_at(&app, "alice", "wrong password!", &client(1), at(minute)).await, "unauthenticated")
                .await;
        }
        login_at(&app, "alice", PASSWORD, &client(1), at(4)).await.unwrap();
        // Five failures (from different addresses, names in any case) at minutes 5 to 9.
        for minute in 5..10 {
            let name = if minute % 2 == 0 { "ALICE" } else { "alice" };
            let from = client(minute as u8);
            expect_code(login_at(&app, name, "wrong password!", &from, at(minute)).await, "unauthenticated").await;
        }
        // Refused, right password or not, until the failure at minute 5 leaves the window.
        let refused = expect_code(
            login_at(&app, "alice", PASSWORD, &client(50), at(19) + TimeDelta::seconds(59)).await,
            "too_many_attempts",
        )
        .await;
        assert_eq!(refused.kind, ErrorKind::TooManyRequests);
        assert_eq!(refused.message, "too many failed sign-ins; try again in 1 minute (after 09:20:00 UTC)");
        let refused =
            expect_code(login_at(&app, "alice", PASSWORD, &client(50), at(10)).await, "too_many_attempts").await;
        assert!(refused.message.contains("in 10 minutes"), "{}", refused.message);
        // Other users are not affected.
        login_at(&app, "bob", PASSWORD, &client(5), at(10)).await.unwrap();
        // Refused attempts were not counted: at minute 20 one slot is free again.
        login_at(&app, "alice", PASSWORD, &client(50), at(20)).await.unwrap();
    }

    #[tokio::test]
    async fn twenty_failures_from_an_address_lock_it_for_every_name() {
        let dir = tempfile::tempdir().unwrap();
        let app = app_with_users(dir.path()).await;
        let from = client(7);
        for i in 0..20 {
            // Four names per user-name limit, unknown names included: only the address adds up.
            let name = format!("guess{}", i / 4);
            expect_code(
                login_at(&app, &name, "wrong password!", &from, at(0) + TimeDelta::seconds(i)).await,
                "unauthenticated",
            )
            .await;
        }
        let refused = expect_code(login_at(&app, "bob", PASSWORD, &from, at(14)).await, "too_many_attempts").await;
        assert!(refused.message.contains("09:15:00"), "{}", refused.message);
        // The same user from another address, and the address once the first failure expired.
        login_at(&app, "bob", PASSWORD, &client(8), at(14)).await.unwrap();
        login_at(&app, "bob", PASSWORD, &from, at(15)).await.unwrap();
        // IPv6 clients count per /64; IPv4-mapped addresses as IPv4.
        let v6 = |last: u16| IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0, 0, 0, last));
        assert_eq!(address_key(v6(1)), address_key(v6(0xffff)));
        assert_eq!(address_key(v6(1)), "addr:2001:db8:1:2::/64");
        assert_eq!(address_key(IpAddr::V6(Ipv4Addr::new(192, 0, 2, 7).to_ipv6_mapped())), "addr:192.0.2.7");
    }

    #[tokio::test]
    async fn a_disabled_users_session_stops_resolving() {
        let dir = tempfile::tempdir().unwrap();
        let app = app_with_users(dir.path()).await;
        let new = login_at(&app, "bob", PASSWORD, &client(1), at(0)).await.unwrap();
        resolve_at(&app, &new.token, at(1)).await.unwrap();
        crate::users::set_disabled(&app, &Caller::local(), "bob", true).await.unwrap();
        assert_eq!(resolve_at(&app, &new.token, at(2)).await.unwrap_err().kind, ErrorKind::Unauthenticated);
        // A disabled user cannot sign in either, with the usual answer.
        expect_code(login_at(&app, "bob", PASSWORD, &client(1), at(3)).await, "unauthenticated").await;
    }

    #[tokio::test]
    async fn sessions_slide_with_use_until_idle_or_absolute_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let app = app_with_users(dir.path()).await;
        let idle = login_at(&app, "alice", PASSWORD, &client(1), at(0)).await.unwrap();
        // Used within the minute: not written again.
        assert_eq!(resolve_at(&app, &idle.token, at(0) + TimeDelta::seconds(30)).await.unwrap().expires_at, at(480));
        assert_eq!(resolve_at(&app, &idle.token, at(479)).await.unwrap().expires_at, at(959));
        assert!(resolve_at(&app, &idle.token, at(959)).await.is_err());
        assert!(resolve_at(&app, &idle.token, at(958)).await.is_err(), "an expired session is deleted");

        // Used every few hours: it still ends seven days after sign-in.
        let busy = login_at(&app, "alice", PASSWORD, &client(1), at(0)).await.unwrap();
        let week = 7 * 24 * 60;
        let mut minute = 0;
        while minute + 240 < week {
            minute += 240;
            let session = resolve_at(&app, &busy.token, at(minute)).await.unwrap();
            assert!(session.expires_at <= at(week));
        }
        assert_eq!(resolve_at(&app, &busy.token, at(week - 1)).await.unwrap().expires_at, at(week));
        assert!(resolve_at(&app, &busy.token, at(week)).await.is_err());
    }

    #[tokio::test]
    async fn logout_ends_one_session_and_logout_everywhere_all() {
        let dir = tempfile::tempdir().unwrap();
        let app = app_with_users(dir.path()).await;
        let now = app.clock().now();
        let first = login_at(&app, "alice", PASSWORD, &client(1), now).await.unwrap();
        let second = login_at(&app, "alice", PASSWORD, &client(2), now).await.unwrap();
        let bobs = login_at(&app, "bob", PASSWORD, &client(3), now).await.unwrap();
        logout(&app, &first.token).await.unwrap();
        logout(&app, &first.token).await.unwrap();
        assert!(resolve(&app, &first.token).await.is_err());
        assert!(resolve(&app, &second.token).await.is_ok());
        let third = login_at(&app, "alice", PASSWORD, &client(2), now).await.unwrap();
        assert_eq!(logout_everywhere(&app, &second.caller).await.unwrap(), 2);
        assert!(resolve(&app, &second.token).await.is_err());
        assert!(resolve(&app, &third.token).await.is_err());
        assert!(resolve(&app, &bobs.token).await.is_ok());
        let audit = app.store().await.unwrap().audit_events(10).await.unwrap();
        let actions: Vec<&str> = audit.iter().map(|event| event.action.as_str()).take(3).collect();
        assert_eq!(actions, ["session.logout_everywhere", "session.login", "session.logout"]);
    }

    #[tokio::test]
    async fn a_user_keeps_at_most_twenty_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let app = app_with_users(dir.path()).await;
        let mut tokens = Vec::new();
        for second in 0..21 {
            let new = login_at(&app, "bob", PASSWORD, &client(1), at(0) + TimeDelta::seconds(second)).await.unwrap();
            tokens.push(new.token);
        }
        assert!(resolve_at(&app, &tokens[0], at(1)).await.is_err());
        for token in &tokens[1..] {
            resolve_at(&app, token, at(1)).await.unwrap();
        }
    }

    #[tokio::test]
    async fn the_csrf_token_must_match_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let app = app_with_users(dir.path()).await;
        let new = login_at(&app, "alice", PASSWORD, &client(1), at(0)).await.unwrap();
        let session = resolve_at(&app, &new.token, at(1)).await.unwrap();
        check_csrf(&session, &new.csrf).unwrap();
        let mut altered = new.csrf.clone().into_bytes();
        altered[63] = if altered[63] == b'0' { b'1' } else { b'0' };
        for wrong in [String::from_utf8(altered).unwrap(), String::new(), new.csrf[..63].to_owned(), new.token.clone()]
        {
            let err = check_csrf(&session, &wrong).unwrap_err();
            assert_eq!(
                (err.kind, err.code, err.message.as_str()),
                (ErrorKind::Forbidden, "csrf", "the form expired; reload the page")
            );
        }
        assert!(!format!("{session:?}").contains(&new.csrf));
    }
}
