//! The store on PostgreSQL: a SQLite install copied over whole (`hark migrate-store`), and
//! several processes writing at once. Needs a server: `HARK_TEST_POSTGRES_URL` (set by
//! `scripts/with-postgres.sh`, which `make test` runs everything under). Without one these
//! tests say so and pass, unless `HARK_TEST_POSTGRES_REQUIRED=1`, when they fail.

use chrono::{DateTime, Duration, TimeZone, Utc};
use hark_core::{Mention, MentionId, Queue, SourceKind};
use hark_store::{Engine, RouteWrite, Store, StoreError};
use sqlx::Connection;

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().expect("a valid time") + Duration::minutes(minutes)
}

/// A new, empty database on the test server, or `None` (with a note) when there is none.
async fn fresh_database(name: &str) -> Option<String> {
    let Ok(admin) = std::env::var("HARK_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("HARK_TEST_POSTGRES_REQUIRED").is_err(),
            "HARK_TEST_POSTGRES_REQUIRED is set but HARK_TEST_POSTGRES_URL is not"
        );
        eprintln!("no PostgreSQL server (HARK_TEST_POSTGRES_URL unset): skipped; `make test` starts one");
        return None;
    };
    let name = format!("hark_store_{name}_{}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("the test server accepts connections");
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
        .execute(&mut conn)
        .await
        .expect("the test server runs DDL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("the test server runs DDL");
    let (base, _) = admin.rsplit_once('/').expect("the URL names a database");
    Some(format!("{base}/{name}"))
}

fn mentions(prefix: &str, count: usize) -> Vec<Mention> {
    let kind = SourceKind::parse("reddit").expect("a valid kind");
    (0..count).map(|i| Mention::new(kind.clone(), "r", format!("{prefix}{i}"), format!("post {i}"), at(0))).collect()
}

fn route<'a>(mention: &'a MentionId, tags: &'a [String]) -> RouteWrite<'a> {
    RouteWrite {
        mention_id: mention,
        queue: Queue::Service,
        reason: "complaint",
        priority: 50,
        due_at: Some(at(60)),
        tags,
        customer_id: None,
        actor: "routing",
        cause: None,
        now: at(0),
    }
}

#[tokio::test]
async fn a_sqlite_store_copies_into_postgres_whole_and_checked() {
    let Some(url) = fresh_database("copy").await else { return };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open_in(dir.path()).await.unwrap();
    let saved = sqlite.save_page_at("r", &mentions("a", 30), Some("cursor-30"), at(0)).await.unwrap();
    for id in &saved.inserted[..10] {
        sqlite.route_item(&route(id, &["expansion".to_owned()])).await.unwrap();
    }
    sqlite.add_user("alice", "service", "hash", at(0)).await.unwrap().unwrap();
    sqlite.enqueue_event("item.created", &serde_json::json!({"n": 1}), "k1", at(0)).await.unwrap();

    let postgres = Store::connect(&url).await.unwrap();
    assert_eq!(postgres.engine(), Engine::Postgres);
    let mut seen = Vec::new();
    let report = sqlite.copy_into(&postgres, &mut |table, rows| seen.push((table.to_owned(), rows))).await.unwrap();
    let rows = |table: &str| report.iter().find(|copy| copy.table == table).map(|copy| copy.rows);
    assert_eq!(
        (rows("mentions"), rows("queue_items"), rows("users"), rows("outbox")),
        (Some(30), Some(10), Some(1), Some(11))
    );
    assert!(report.iter().all(|copy| copy.sha256.len() == 64));
    assert!(!seen.is_empty(), "progress is reported");

    // The copy reads as the original does, and new rows continue after the copied ids.
    assert_eq!(postgres.cursor("r").await.unwrap().as_deref(), Some("cursor-30"));
    assert_eq!(postgres.count_mentions().await.unwrap(), 30);
    let item = postgres.queue_item_for_mention(&saved.inserted[0]).await.unwrap().expect("the item came over");
    assert_eq!((item.tags.as_slice(), item.version), (["expansion".to_owned()].as_slice(), 1));
    let more = postgres.save_page_at("r", &mentions("b", 1), None, at(1)).await.unwrap();
    let next = postgres.route_item(&route(&more.inserted[0], &[])).await.unwrap();
    let newest = postgres.queue_item_for_mention(&more.inserted[0]).await.unwrap().expect("routed");
    assert!(newest.id > 10, "{next:?} {newest:?}");
    let after = postgres.mentions_after(30, 10).await.unwrap();
    assert_eq!(after.len(), 1, "the insertion sequence continues");

    // A second copy into a store that holds data is refused and changes nothing.
    let refused = sqlite.copy_into(&postgres, &mut |_, _| {}).await.unwrap_err();
    assert!(matches!(refused, StoreError::TargetNotEmpty { .. }), "{refused:?}");
    assert_eq!(postgres.count_mentions().await.unwrap(), 31);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writers_in_several_processes_save_each_post_once_in_sequence() {
    let Some(url) = fresh_database("writers").await else { return };
    // Four handles with pools of their own stand for four processes.
    let mut handles = Vec::new();
    for _ in 0..4 {
        handles.push(Store::connect(&url).await.unwrap());
    }
    let mut tasks = Vec::new();
    for (writer, store) in handles.iter().cloned().enumerate() {
        tasks.push(tokio::spawn(async move {
            for page in 0..10 {
                // Every writer also saves the pages of the next one: each post must stay once.
                let own = mentions(&format!("w{writer}p{page}-"), 5);
                let other = mentions(&format!("w{}p{page}-", (writer + 1) % 4), 5);
                store.save_page(&format!("s{writer}"), &own, Some(&format!("c{page}"))).await.unwrap();
                store.save_page(&format!("s{writer}"), &other, Some(&format!("c{page}"))).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let store = &handles[0];
    assert_eq!(store.count_mentions().await.unwrap(), 4 * 10 * 5);
    let all = store.mentions_after(0, 1000).await.unwrap();
    let seqs: Vec<i64> = all.iter().map(|sequenced| sequenced.seq).collect();
    assert_eq!(seqs, (1..=200).collect::<Vec<i64>>(), "one gap-free insertion order");
    for writer in 0..4 {
        assert_eq!(store.cursor(&format!("s{writer}")).await.unwrap().as_deref(), Some("c9"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_delivering_alerts_never_claim_the_same_one() {
    let Some(url) = fresh_database("alerts").await else { return };
    let first = Store::connect(&url).await.unwrap();
    for n in 0..60 {
        first.enqueue_event("item.created", &serde_json::json!({ "n": n }), &format!("k{n}"), at(0)).await.unwrap();
    }
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let store = Store::connect(&url).await.unwrap();
        tasks.push(tokio::spawn(async move {
            let mut sent = Vec::new();
            loop {
                let batch = store.due_deliveries(&["hook".to_owned()], at(1), 7).await.unwrap();
                if batch.is_empty() {
                    break sent;
                }
                for delivery in batch {
                    assert!(store.mark_delivered(delivery.outbox_id, "hook", at(1)).await.unwrap());
                    sent.push(delivery.outbox_id);
                }
            }
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let sent = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!((sent, all.len()), (60, 60), "every alert sent once, by one process");
    // A claim that is never settled (its process died) comes back once it runs out.
    first.enqueue_event("item.created", &serde_json::json!({}), "late", at(2)).await.unwrap();
    let claimed = first.due_deliveries(&["hook".to_owned()], at(2), 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(first.due_deliveries(&["hook".to_owned()], at(2), 10).await.unwrap().is_empty(), "claimed");
    assert_eq!(first.due_deliveries(&["hook".to_owned()], at(8), 10).await.unwrap().len(), 1, "the claim ran out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fetchers_in_several_processes_never_share_a_request_slot() {
    let Some(url) = fresh_database("pacing").await else { return };
    // Three handles stand for three fetchers asking one host at the same instant.
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let store = Store::connect(&url).await.unwrap();
        tasks.push(tokio::spawn(async move {
            let mut slots = Vec::new();
            for _ in 0..20 {
                slots.push(
                    store
                        .reserve_request_slot("news.example|", at(0), std::time::Duration::from_millis(500))
                        .await
                        .unwrap(),
                );
            }
            slots
        }));
    }
    let mut slots = Vec::new();
    for task in tasks {
        slots.extend(task.await.unwrap());
    }
    slots.sort_unstable();
    let expected: Vec<DateTime<Utc>> = (0..60).map(|n| at(0) + Duration::milliseconds(500 * n)).collect();
    assert_eq!(slots, expected, "60 slots, 500 ms apart, none given twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_waits_for_a_server_that_is_not_up_yet_but_not_for_a_wrong_database() {
    let Some(url) = fresh_database("late").await else { return };
    let (prefix, rest) = url.split_once('@').expect("the URL names a host");
    let (server, database) = rest.split_once('/').expect("the URL names a database");
    // A port nothing listens on yet; 1.5 s on, a proxy to the real server opens there, as a
    // PostgreSQL still starting up would.
    let port = hark_replay::ports::child_port();
    let server = server.to_owned();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        loop {
            let (mut client, _) = listener.accept().await.unwrap();
            let mut upstream = tokio::net::TcpStream::connect(&server).await.unwrap();
            tokio::spawn(async move { drop(tokio::io::copy_bidirectional(&mut client, &mut upstream).await) });
        }
    });
    let late = format!("{prefix}@127.0.0.1:{port}/{database}");
    let started = std::time::Instant::now();
    let store = Store::connect(&late).await.expect("the store opens once the server is up");
    assert!(started.elapsed() >= std::time::Duration::from_millis(1500), "it opened before the server was up");
    assert_eq!(store.save_page("r", &mentions("late", 2), None).await.unwrap().inserted.len(), 2, "and saves");
    store.close().await;

    // A server that answers, and answers no: said at once, not waited out.
    let missing = format!("{prefix}@127.0.0.1:{port}/hark_store_no_such_database");
    let started = std::time::Instant::now();
    let err = Store::connect(&missing).await.expect_err("no such database");
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "a refusal is not retried: {err:?}");
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
}
