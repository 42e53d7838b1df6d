//! The page stream on a real NATS server (`HARK_TEST_NATS_URL`, started by
//! `scripts/with-nats.sh`, which `make test` runs everything under). Without one these tests
//! say so and pass, unless `HARK_TEST_NATS_REQUIRED=1`, when they fail.

use std::time::Duration;

use chrono::Utc;
use hark_bus::{Bus, PageMessage};
use hark_core::{Mention, SourceKind};

fn server() -> Option<String> {
    match std::env::var("HARK_TEST_NATS_URL") {
        Ok(url) => Some(url),
        Err(_) => {
            assert!(std::env::var("HARK_TEST_NATS_REQUIRED").is_err(), "HARK_TEST_NATS_URL is not set");
            eprintln!("no NATS server (HARK_TEST_NATS_URL unset): skipped; `make test` starts one");
            None
        }
    }
}

fn page(source: &str, cursor: &str, ids: &[&str]) -> PageMessage {
    let kind = SourceKind::parse("reddit").expect("a kind");
    PageMessage {
        source_id: source.to_owned(),
        mentions: ids
            .iter()
            .map(|id| Mention::new(kind.clone(), source, *id, format!("post {id}"), Utc::now()))
            .collect(),
        cursor: Some(cursor.to_owned()),
        fetched_at: Utc::now(),
    }
}

/// One test: the stream and its consumer are shared by everything on the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_are_kept_once_redelivered_until_acknowledged_and_garbage_is_set_aside() {
    let Some(url) = server() else { return };
    // A server without the stream, as at the first start of a deployment.
    let client = async_nats::connect(&url).await.expect("the server accepts connections");
    drop(async_nats::jetstream::new(client).delete_stream(hark_bus::STREAM).await);

    // A fetcher and its workers started together all race to create the stream and the
    // consumer: every one of them connects.
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(24));
    let racing: Vec<_> = (0..24)
        .map(|_| {
            let (url, start) = (url.clone(), std::sync::Arc::clone(&start));
            tokio::spawn(async move {
                start.wait().await;
                let bus = Bus::connect(&url).await.expect("connects though another process creates the stream");
                drop(bus.pages(Duration::from_secs(1)).await.expect("opens though another creates the consumer"));
            })
        })
        .collect();
    for task in racing {
        task.await.expect("no panic");
    }
    let bus = Bus::connect(&url).await.expect("the server has JetStream");

    // The same page published twice is stored once; another page is not a duplicate.
    let first = page("bus-test", "c1", &["a", "b"]);
    let published = bus.publish(&first).await.expect("published");
    assert!(!published.duplicate);
    let again = bus.publish(&first.clone()).await.expect("published again");
    assert!(again.duplicate, "same source, cursor and posts: the stream keeps it once");
    assert_eq!(again.sequence, published.sequence);
    let second = page("bus-test", "c2", &["c"]);
    assert!(!bus.publish(&second).await.expect("published").duplicate);
    assert_eq!(bus.pending().await.expect("pending"), 2);

    // A page not acknowledged comes back after the wait; acknowledged, it is gone.
    let mut pages = bus.pages(Duration::from_secs(1)).await.expect("the consumer");
    let delivered = pages.next().await.expect("a page").expect("a readable page");
    assert_eq!((delivered.page.clone(), delivered.delivered), (first.clone(), 1));
    let next = pages.next().await.expect("a page").expect("a readable page");
    assert_eq!(next.page, second);
    next.ack().await.expect("acknowledged");
    // `delivered` was never acknowledged (its worker "died"): it is delivered again.
    let redelivered = tokio::time::timeout(Duration::from_secs(10), pages.next())
        .await
        .expect("redelivered within the wait")
        .expect("a page")
        .expect("a readable page");
    assert_eq!((redelivered.page.clone(), redelivered.delivered), (first, 2));
    redelivered.ack().await.expect("acknowledged");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(bus.pending().await.expect("pending"), 0, "acknowledged pages leave the stream");

    // A message that is not a page is reported and not delivered again.
    let client = async_nats::connect(&url).await.expect("a raw client");
    client.publish("hark.pages.bus-test", "not json".into()).await.expect("raw publish");
    client.flush().await.expect("flushed");
    let garbage = pages.next().await.expect("a message");
    assert!(matches!(garbage, Err(hark_bus::BusError::BadMessage { .. })), "{garbage:?}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(bus.pending().await.expect("pending"), 0, "terminated, not redelivered");
}
