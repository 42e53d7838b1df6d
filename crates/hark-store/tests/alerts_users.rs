//! The outbox (idempotent events, per-target delivery with retries, dead letters and replay)
//! and users with API tokens.

use chrono::{DateTime, Duration, TimeZone, Utc};
use hark_store::{Store, UserError};
use serde_json::json;

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().expect("a valid time") + Duration::minutes(minutes)
}

fn targets(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

#[tokio::test]
async fn events_are_enqueued_once_per_key() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in(dir.path()).await.unwrap();
    let first = store.enqueue_event("item.created", &json!({"id": 1}), "item.created:1", at(0)).await.unwrap();
    assert!(first.is_some());
    let again = store.enqueue_event("item.created", &json!({"id": 1}), "item.created:1", at(1)).await.unwrap();
    assert_eq!(again, None);
    let other = store.enqueue_event("item.created", &json!({"id": 2}), "item.created:2", at(1)).await.unwrap();
    assert!(other > first);
    let due = store.due_deliveries(&targets(&["slack"]), at(2), 10).await.unwrap();
    assert_eq!(due.len(), 2);
    assert_eq!(due[0].payload, json!({"id": 1}));
    assert_eq!((due[0].created_at, due[0].attempts), (at(0), 0));
}

#[tokio::test]
async fn deliveries_retry_die_and_replay_per_target() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in(dir.path()).await.unwrap();
    let id = store.enqueue_event("item.created", &json!({"id": 7}), "k7", at(0)).await.unwrap().unwrap();
    let both = targets(&["hook", "slack"]);

    let due = store.due_deliveries(&both, at(1), 10).await.unwrap();
    assert_eq!(due.iter().map(|d| d.target.as_str()).collect::<Vec<_>>(), ["hook", "slack"]);
    assert!(store.mark_delivered(id, "slack", at(1)).await.unwrap());
    assert!(!store.mark_delivered(id, "slack", at(1)).await.unwrap(), "delivered once");
    assert!(store.mark_failed(id, "hook", "HTTP 503", at(5), false, at(1)).await.unwrap());

    // Not due before the retry time; due after, with the attempt and error counted.
    assert!(store.due_deliveries(&both, at(4), 10).await.unwrap().is_empty());
    let retry = store.due_deliveries(&both, at(5), 10).await.unwrap();
    assert_eq!(retry.len(), 1);
    assert_eq!((retry[0].target.as_str(), retry[0].attempts), ("hook", 1));
    assert_eq!(retry[0].last_error.as_deref(), Some("HTTP 503"));

    assert!(store.mark_failed(id, "hook", "HTTP 500", at(60), true, at(6)).await.unwrap());
    assert!(store.due_deliveries(&both, at(100), 10).await.unwrap().is_empty(), "dead letters wait");
    let dead = store.dead_letters(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!((dead[0].attempts, dead[0].dead_at, dead[0].last_error.as_deref()), (2, Some(at(6)), Some("HTTP 500")));

    assert_eq!(store.replay_dead(Some("slack"), None, at(7)).await.unwrap(), 0);
    assert_eq!(store.replay_dead(Some("hook"), Some(id), at(7)).await.unwrap(), 1);
    assert!(store.dead_letters(10).await.unwrap().is_empty());
    let replayed = store.due_deliveries(&both, at(7), 10).await.unwrap();
    assert_eq!(replayed.len(), 1);
    assert_eq!((replayed[0].target.as_str(), replayed[0].attempts), ("hook", 0));
    assert!(store.mark_delivered(id, "hook", at(8)).await.unwrap());

    // A target configured later receives earlier events too; the others see nothing new.
    let later = store.due_deliveries(&targets(&["hook", "slack", "email"]), at(9), 10).await.unwrap();
    assert_eq!(later.iter().map(|d| d.target.as_str()).collect::<Vec<_>>(), ["email"]);
    assert_eq!(later[0].outbox_id, id);
    // And the limit is honoured.
    for i in 0..5 {
        store.enqueue_event("t", &json!(i), &format!("bulk{i}"), at(10)).await.unwrap();
    }
    assert_eq!(store.due_deliveries(&targets(&["hook"]), at(11), 3).await.unwrap().len(), 3);
    assert!(store.due_deliveries(&[], at(11), 3).await.unwrap().is_empty());
}

#[tokio::test]
async fn tokens_authenticate_live_users_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in(dir.path()).await.unwrap();
    let alice = store.add_user("alice", "service", "hash-a", at(0)).await.unwrap().unwrap();
    assert_eq!((alice.role.as_str(), alice.disabled), ("service", false));
    assert!(!format!("{alice:?}").contains("hash-a"), "Debug hides the hash");
    assert_eq!(store.add_user("alice", "sales", "x", at(0)).await.unwrap(), Err(UserError::Exists("alice".into())));
    assert_eq!(store.add_user("eve", "root", "x", at(0)).await.unwrap(), Err(UserError::UnknownRole("root".into())));
    let bob = store.add_user("bob", "sales", "hash-b", at(0)).await.unwrap().unwrap();
    store.add_token(alice.id, "tok-a1", at(1)).await.unwrap();
    store.add_token(alice.id, "tok-a2", at(1)).await.unwrap();
    store.add_token(bob.id, "tok-b", at(1)).await.unwrap();

    assert_eq!(store.user_by_token_hash("tok-a1").await.unwrap().map(|u| u.name), Some("alice".into()));
    assert_eq!(store.user_by_token_hash("nope").await.unwrap(), None);
    store.touch_token("tok-a1", at(2)).await.unwrap();

    // Disabled users' tokens stop working, and work again when re-enabled.
    assert!(store.set_user_disabled("bob", true).await.unwrap());
    assert_eq!(store.user_by_token_hash("tok-b").await.unwrap(), None);
    assert!(store.set_user_disabled("bob", false).await.unwrap());
    assert!(store.user_by_token_hash("tok-b").await.unwrap().is_some());
    assert!(!store.set_user_disabled("nobody", true).await.unwrap());

    // Revoked tokens never work again.
    assert_eq!(store.revoke_tokens(alice.id, at(3)).await.unwrap(), 2);
    assert_eq!(store.user_by_token_hash("tok-a1").await.unwrap(), None);
    assert_eq!(store.user_by_token_hash("tok-a2").await.unwrap(), None);
    assert_eq!(store.revoke_tokens(alice.id, at(4)).await.unwrap(), 0);

    assert!(store.set_password_hash("alice", "hash-a2").await.unwrap());
    assert_eq!(store.user_by_name("alice").await.unwrap().unwrap().password_hash, "hash-a2");
    let names: Vec<String> = store.list_users().await.unwrap().into_iter().map(|u| u.name).collect();
    assert_eq!(names, ["alice", "bob"]);
}
