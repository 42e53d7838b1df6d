//! A process killed with SIGKILL while it writes pages leaves whole pages with their cursors.
//!
//! The test re-runs its own binary as the writer (the `child_writer` test, inert unless
//! `HARK_CRASH_CHILD_DB` is set), kills it at a varying point, reopens the store and checks
//! that every stored page is complete and that the cursor names the last complete page.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime};

use chrono::Utc;
use hark_core::{Mention, SourceKind};
use hark_store::Store;

const CHILD_ENV: &str = "HARK_CRASH_CHILD_DB";
const PAGE: usize = 400;

fn page(number: usize) -> Vec<Mention> {
    let kind = SourceKind::parse("reddit").expect("valid kind");
    (0..PAGE)
        .map(|i| {
            let mut mention = Mention::new(
                kind.clone(),
                "crash",
                format!("p{number}-{i}"),
                format!("post {i} of page {number}"),
                Utc::now(),
            );
            mention.raw = Some(serde_json::json!({"page": number, "i": i, "padding": "x".repeat(200)}));
            mention
        })
        .collect()
}

#[tokio::test]
async fn child_writer() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let store = Store::open(Path::new(&path)).await.expect("child opens the store");
    for number in 0.. {
        store.save_page("crash", &page(number), Some(&number.to_string())).await.expect("child saves a page");
    }
}

#[test]
fn sigkill_mid_write_leaves_only_whole_pages_with_their_cursor() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let seed = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().subsec_nanos() as usize;
    for round in 0..4 {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("hark.db");
        // Create the schema first so the parent can poll while the child writes.
        runtime.block_on(async { Store::open(&db).await.unwrap().close().await });

        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &db)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();

        // Kill once a varying number of rows is visible: the writer is then somewhere inside
        // a later page's transaction (or between two).
        let target = ((seed >> round) % 7 + 1 + round) as i64 * PAGE as i64 + (seed % PAGE) as i64;
        let observer = runtime.block_on(Store::open(&db)).unwrap();
        let deadline = Instant::now() + std::time::Duration::from_secs(120);
        while runtime.block_on(observer.count_mentions()).unwrap() < target {
            assert!(Instant::now() < deadline, "the writer made no progress");
            assert!(child.try_wait().unwrap().is_none(), "the writer died on its own");
            std::thread::yield_now();
        }
        child.kill().unwrap(); // SIGKILL on Unix: no destructors, no rollback by the process.
        child.wait().unwrap();
        runtime.block_on(observer.close());

        let store = runtime.block_on(Store::open(&db)).unwrap();
        let cursor: usize =
            runtime.block_on(store.cursor("crash")).unwrap().expect("a cursor was saved").parse().unwrap();
        let ids = runtime.block_on(store.external_ids("crash")).unwrap();
        assert_eq!(
            ids.len(),
            (cursor + 1) * PAGE,
            "round {round}: the stored rows are exactly the pages up to the cursor"
        );
        for number in 0..=cursor {
            let expected: Vec<String> = (0..PAGE).map(|i| format!("p{number}-{i}")).collect();
            assert_eq!(ids[number * PAGE..(number + 1) * PAGE], expected[..], "round {round}: page {number} is whole");
        }
        let sample = runtime
            .block_on(store.mention(&page(cursor)[PAGE - 1].id))
            .unwrap()
            .expect("the last row of the last page");
        assert_eq!(sample.raw.unwrap()["page"], cursor);
        runtime.block_on(store.close());
    }
}
