//! `hark run`, the service, killed and stopped.
//!
//! Two sources serve growing streams (each request answered adds posts); `hark run`, scoring
//! with the real model and delivering alerts to a webhook receiver, is SIGKILLed at random
//! points, chosen by the number of requests the sources answered, at least ten times, and
//! started again. Then the streams stop growing and a last `hark run` is stopped with
//! SIGTERM once it has caught up: it must exit 0 within its grace period. In the end every
//! served post is stored exactly once, the queue items are exactly those of one clean,
//! uninterrupted run over the same posts, and the receiver got every alert (distinct
//! `X-Hark-Event-Id`s) exactly once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use hark_replay::{Handler, ReplayServer};

use crate::scenarios::restart::{Lcg, search_posts};
use crate::support::Workspace;

/// Posts per source once the streams stop growing.
pub(crate) const TOTAL: u64 = 210;
/// Posts that appear in a stream with every request its server answers.
const GROWTH_PER_REQUEST: u64 = 20;
/// Kills at least.
const KILLS: usize = 10;
const SECRET_ENV: &str = "HARK_TEST_WEBHOOK_SECRET";

/// A complaint, buying intent or chatter, by post number, so that queues fill.
fn post(n: u64) -> (String, String) {
    match n % 3 {
        0 => (
            format!("Acme CRM sync deleted our contacts again ({n})"),
            "The sync wiped two hundred contacts overnight and support has not answered our ticket in a week. \
             We are furious and losing deals."
                .to_owned(),
        ),
        1 => (
            format!("Looking for a CRM for a team of {}", 3 + n % 20),
            "We want to replace our spreadsheets with a CRM this quarter. Is Acme CRM worth the price, and what \
             does the team plan cost?"
                .to_owned(),
        ),
        _ => (
            format!("Acme user meetup number {n} in Berlin"),
            "Slides and a recording will be online next week.".to_owned(),
        ),
    }
}

/// One stream: a replay server whose posts grow with each request, until `complete`.
pub(crate) struct Stream {
    pub(crate) server: ReplayServer,
    pub(crate) first_id: u64,
    /// When each request arrived.
    pub(crate) requests: Arc<Mutex<Vec<std::time::Instant>>>,
}

pub(crate) async fn stream(
    first_id: u64,
    served: &Arc<AtomicU64>,
    complete: &Arc<AtomicBool>,
    arrived: &Arc<tokio::sync::Notify>,
) -> Stream {
    let own = Arc::new(AtomicU64::new(0));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let handler: Handler = {
        let (served, complete, arrived) = (Arc::clone(served), Arc::clone(complete), Arc::clone(arrived));
        let requests = Arc::clone(&requests);
        Arc::new(move |target: &str| {
            requests.lock().expect("request log lock").push(std::time::Instant::now());
            served.fetch_add(1, Ordering::SeqCst);
            let answered = own.fetch_add(1, Ordering::SeqCst) + 1;
            arrived.notify_waiters();
            let visible =
                if complete.load(Ordering::SeqCst) { TOTAL } else { (answered * GROWTH_PER_REQUEST).min(TOTAL) };
            search_posts(target, visible, first_id, post)
        })
    };
    let server =
        ReplayServer::start_handlers(vec![("/api/v1/search_by_date", handler)]).await.expect("a replay server");
    Stream { server, first_id, requests }
}

/// What the webhook receiver got: event id → deliveries.
pub(crate) type Received = Arc<Mutex<BTreeMap<String, usize>>>;

async fn receive(axum::extract::State(received): axum::extract::State<Received>, headers: HeaderMap) -> StatusCode {
    let id = headers.get("x-hark-event-id").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    *received.lock().expect("receiver lock").entry(id).or_default() += 1;
    StatusCode::NO_CONTENT
}

pub(crate) async fn receiver() -> (Received, String) {
    let received = Received::default();
    let router = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(Arc::clone(&received));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let url = format!("http://{}/hook", listener.local_addr().expect("an address"));
    tokio::spawn(async move { axum::serve(listener, router).await.expect("the receiver serves") });
    (received, url)
}

pub(crate) fn config(streams: &[&Stream], webhook: Option<&str>) -> String {
    let mut text = String::from("[brand]\nname = \"Acme\"\n");
    for (index, stream) in streams.iter().enumerate() {
        text.push_str(&format!(
            "\n[[sources]]\nid = \"hn-{index}\"\nkind = \"hackernews\"\nbase_url = \"{}\"\nqueries = [\"acme crm\"]\n\
             interval = \"10s\"\nrequests_per_minute = 60000\n",
            stream.server.base_url()
        ));
    }
    if let Some(url) = webhook {
        text.push_str(&format!(
            "\n[[webhooks]]\nid = \"ops\"\nurl = \"{url}\"\nsecret_env = \"{SECRET_ENV}\"\n\n[alerts]\ndeliver_every = \"1s\"\nretry_base = \"1s\"\n"
        ));
    }
    text
}

pub(crate) fn command(ws: &Workspace, args: &[&str]) -> tokio::process::Command {
    let mut command = ws.command(args);
    command.env(SECRET_ENV, "a-test-secret-of-enough-length").stdout(std::process::Stdio::null());
    tokio::process::Command::from(command)
}

/// (mention id, queue) of every queue item, and the number of mentions, read from the store.
pub(crate) async fn stored(ws: &Workspace) -> (BTreeSet<(String, String)>, BTreeMap<String, usize>) {
    let store = ws.store().await;
    let filter = hark_store::QueueFilter { limit: 100_000, ..hark_store::QueueFilter::default() };
    let items = store.list_queue_items(&filter).await.expect("queue items");
    let items: BTreeSet<(String, String)> =
        items.iter().map(|item| (item.mention_id.as_str().to_owned(), item.queue.as_str().to_owned())).collect();
    let mut per_source = BTreeMap::new();
    for (source, count) in store.count_mentions_by_source().await.expect("counts") {
        per_source.insert(source, usize::try_from(count).expect("a count"));
    }
    store.close().await;
    (items, per_source)
}

pub(crate) async fn status(ws: &Workspace) -> serde_json::Value {
    let output =
        command(ws, &["status", "--json"]).stdout(std::process::Stdio::piped()).output().await.expect("hark status");
    serde_json::from_slice(&output.stdout).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hark_run_killed_at_random_points_stores_every_post_once_and_alerts_once_then_stops_gracefully() {
    let served = Arc::new(AtomicU64::new(0));
    let complete = Arc::new(AtomicBool::new(false));
    let arrived = Arc::new(tokio::sync::Notify::new());
    let first = stream(40_000_000, &served, &complete, &arrived).await;
    let second = stream(50_000_000, &served, &complete, &arrived).await;
    let (received, hook) = receiver().await;
    let ws = Workspace::new();
    ws.write("hark.toml", config(&[&first, &second], Some(&hook)));

    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("a clock").as_nanos() as u64;
    let mut random = Lcg(seed);
    let mut kills = 0;
    while kills < KILLS {
        let mut child = command(&ws, &["run", "--no-serve", "-q"]).spawn().expect("starting hark run");
        // Killed when the sources have answered this many more requests (0: while starting).
        let target = served.load(Ordering::SeqCst) + random.next_below(6);
        loop {
            let next_request = arrived.notified();
            if served.load(Ordering::SeqCst) >= target {
                child.start_kill().expect("SIGKILL");
                break;
            }
            tokio::select! {
                () = next_request => {}
                status = child.wait() => panic!("seed {seed}: hark run exited on its own: {status:?}"),
            }
        }
        child.wait().await.expect("the killed process is reaped");
        kills += 1;
    }

    // The streams stop growing; a last service catches up, delivers, and is stopped.
    complete.store(true, Ordering::SeqCst);
    let mut child = command(&ws, &["run", "--no-serve", "-q", "--grace", "20s"]).spawn().expect("starting hark run");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(240);
    loop {
        let (items, per_source) = stored(&ws).await;
        let caught_up = per_source.values().sum::<usize>() == 2 * TOTAL as usize;
        let delivered = received.lock().expect("receiver lock").len();
        if caught_up && !items.is_empty() && delivered >= items.len() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "seed {seed}: hark run never caught up: {per_source:?}, {} items, {delivered} alerts; status {}",
            items.len(),
            status(&ws).await
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let pid = child.id().expect("a running child");
    let stop = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().expect("kill -TERM");
    assert!(stop.success());
    let exit = tokio::time::timeout(Duration::from_secs(25), child.wait())
        .await
        .unwrap_or_else(|_| panic!("seed {seed}: hark run did not stop within its grace period"))
        .expect("the child is reaped");
    assert_eq!(exit.code(), Some(0), "seed {seed}: SIGTERM ends hark run with exit 0");

    // Every served post stored exactly once.
    let store = ws.store().await;
    for (index, stream) in [&first, &second].iter().enumerate() {
        let mut ids = store.external_ids(&format!("hn-{index}")).await.expect("ids");
        let stored_count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), stored_count, "seed {seed}: a post was stored twice");
        let expected: BTreeSet<String> = (1..=TOTAL).map(|n| (stream.first_id + n).to_string()).collect();
        assert_eq!(
            ids.into_iter().collect::<BTreeSet<_>>(),
            expected,
            "seed {seed}: posts missing after {kills} kills"
        );
    }
    // No run is left open: the killed ones were closed as interrupted on the next start.
    let summaries = store.source_run_summaries().await.expect("the ledger");
    assert!(
        summaries.iter().all(|summary| summary.last_run.as_ref().is_some_and(|run| run.outcome.as_str() != "running"))
    );
    store.close().await;

    // The queue items are those of a clean run over the same posts, one per mention.
    let (items, _) = stored(&ws).await;
    let clean = Workspace::new();
    clean.write("hark.toml", config(&[&first, &second], None));
    for _ in 0..5 {
        let status = command(&clean, &["run", "--once", "-q"]).status().await.expect("hark run --once");
        assert_eq!(status.code(), Some(0), "the clean run fails");
        if stored(&clean).await.1.values().sum::<usize>() == 2 * TOTAL as usize {
            break;
        }
    }
    let (expected_items, _) = stored(&clean).await;
    assert!(expected_items.len() >= 100, "the posts fill the queues: {} items", expected_items.len());
    assert_eq!(items, expected_items, "seed {seed}: queue items differ from a clean run's");

    // Every alert reached the receiver; the raw count shows how often a kill landed between a
    // delivery and its record (the event id lets receivers drop such repeats).
    let received = received.lock().expect("receiver lock").clone();
    assert_eq!(received.len(), items.len(), "seed {seed}: one item.created alert per item");
    let repeats: usize = received.values().map(|count| count - 1).sum();
    assert!(repeats <= kills, "seed {seed}: {repeats} repeated deliveries in {kills} kills");
    eprintln!(
        "seed {seed}: {kills} kills, {} posts, {} items, {} alerts, {repeats} repeated deliveries",
        2 * TOTAL,
        items.len(),
        received.len()
    );
}

/// A stream that has stopped growing, answering each request after `delay`; each request
/// counts in `requests` and wakes a waiter of `arrived`.
async fn slow_stream(
    first_id: u64,
    delay: Duration,
    requests: &Arc<AtomicU64>,
    arrived: &Arc<tokio::sync::Notify>,
) -> Stream {
    let handler: Handler = {
        let (requests, arrived) = (Arc::clone(requests), Arc::clone(arrived));
        Arc::new(move |target: &str| {
            requests.fetch_add(1, Ordering::SeqCst);
            arrived.notify_one();
            search_posts(target, TOTAL, first_id, post).delay(delay)
        })
    };
    let server =
        ReplayServer::start_handlers(vec![("/api/v1/search_by_date", handler)]).await.expect("a replay server");
    Stream { server, first_id, requests: Arc::default() }
}

pub(crate) async fn sigterm_and_wait(child: &mut tokio::process::Child, within: Duration) -> std::process::ExitStatus {
    let pid = child.id().expect("a running child");
    let sent = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().expect("kill -TERM");
    assert!(sent.success());
    tokio::time::timeout(within, child.wait())
        .await
        .unwrap_or_else(|_| panic!("hark run did not stop within {within:?} of SIGTERM"))
        .expect("the child is reaped")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_pass_exits_0_and_loses_nothing_and_backups_restore_while_it_runs() {
    let requests = Arc::new(AtomicU64::new(0));
    let arrived = Arc::new(tokio::sync::Notify::new());
    let slow = slow_stream(60_000_000, Duration::from_millis(1500), &requests, &arrived).await;
    let ws = Workspace::new();
    ws.write("hark.toml", config(&[&slow], None));

    // SIGTERM while the first page is being fetched: exit 0 within the grace period.
    let mut child =
        command(&ws, &["run", "--no-serve", "--no-classify", "-q", "--grace", "10s"]).spawn().expect("hark run");
    tokio::time::timeout(Duration::from_secs(60), arrived.notified())
        .await
        .expect("hark run asks the source for its first page");
    let exit = sigterm_and_wait(&mut child, Duration::from_secs(12)).await;
    assert_eq!(exit.code(), Some(0), "a graceful stop exits 0");
    let sources = ws.run(&["sources", "--json"]);
    sources.assert_ok();
    let listed = sources.json();
    let run = &listed[0]["last_run"];
    assert_eq!(run["error_kind"], "stopped", "the cut-short pass is closed and says why: {listed}");

    // Started again, it reads everything, once; a backup taken meanwhile is consistent.
    let mut child = command(&ws, &["run", "--no-serve", "--no-classify", "-q"]).spawn().expect("hark run");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while stored(&ws).await.1.values().sum::<usize>() < TOTAL as usize {
        assert!(tokio::time::Instant::now() < deadline, "hark run never caught up: {}", status(&ws).await);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let backup = ws.run(&["backup", "backup-1", "--json"]);
    let embedded = ws.store_url.is_none();
    if embedded {
        backup.assert_ok();
        let manifest = backup.json()["manifest"].clone();
        assert_eq!(manifest["mentions"].as_u64(), Some(TOTAL), "{manifest}");
        assert!(ws.path("backup-1/hark.toml").is_file() && ws.path("backup-1/manifest.json").is_file());
        // Restoring under a running service is refused, and changes nothing.
        let refused = ws.run(&["restore", "backup-1"]);
        assert_ne!(refused.code, 0);
        assert!(refused.stderr.contains("stop it before restoring"), "{}", refused.stderr);
    } else {
        // A PostgreSQL store is backed up with PostgreSQL's tools: hark says so, writes nothing.
        assert_ne!(backup.code, 0);
        assert!(backup.stderr.contains("pg_dump"), "{}", backup.stderr);
        assert!(!ws.path("backup-1").exists());
    }
    assert_eq!(sigterm_and_wait(&mut child, Duration::from_secs(35)).await.code(), Some(0));
    let store = ws.store().await;
    let mut ids = store.external_ids("hn-0").await.expect("ids");
    store.close().await;
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!((ids.len(), count), (TOTAL as usize, TOTAL as usize), "every post once after the stop and the restart");
    if !embedded {
        return;
    }

    // Into a new install: the store, its counts and the configuration come back; the index is
    // rebuilt, so search finds the posts.
    let fresh = Workspace::new();
    let backup_dir = ws.path("backup-1");
    let backup_dir = backup_dir.to_str().expect("a UTF-8 path");
    let restored = fresh.run(&["restore", backup_dir, "--json"]);
    restored.assert_ok();
    assert_eq!(restored.json()["indexed"].as_u64(), Some(TOTAL));
    assert!(fresh.path("hark.toml").is_file(), "the configuration is restored where none was");
    let found = fresh.run(&["search", "meetup", "--json", "--limit", "500"]);
    found.assert_ok();
    assert!(found.json().as_array().is_some_and(|hits| !hits.is_empty()), "{}", found.stdout);
    // A second restore needs --force and keeps the store it replaces.
    let again = fresh.run(&["restore", backup_dir]);
    assert_ne!(again.code, 0);
    assert!(again.stderr.contains("--force"), "{}", again.stderr);
    fresh.run(&["restore", backup_dir, "--force"]).assert_ok();
    let kept = std::fs::read_dir(fresh.path("hark-data"))
        .expect("the data directory")
        .filter_map(Result::ok)
        .any(|entry| entry.file_name().to_string_lossy().starts_with("hark.db.before-restore-"));
    assert!(kept, "the replaced store is kept beside");
    // A damaged backup is refused before anything changes.
    let db = ws.path("backup-1/hark.db");
    let mut bytes = std::fs::read(&db).expect("the backup's database");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&db, bytes).expect("damaging the copy");
    let damaged = fresh.run(&["restore", backup_dir, "--force"]);
    assert_ne!(damaged.code, 0);
    assert!(damaged.stderr.contains("does not match the manifest"), "{}", damaged.stderr);
}

/// CPU seconds (user + system) process `pid` has used so far, from `/proc` (100 ticks a second,
/// as on every Linux this runs on).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(") ")?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_at_the_concurrency_cap_costs_no_cpu() {
    // Three slow sources, one pass at a time: two sources stay due while the third is read.
    let requests = Arc::new(AtomicU64::new(0));
    let arrived = Arc::new(tokio::sync::Notify::new());
    let mut streams = Vec::new();
    for first_id in [70_000_000, 71_000_000, 72_000_000] {
        streams.push(slow_stream(first_id, Duration::from_millis(800), &requests, &arrived).await);
    }
    let ws = Workspace::new();
    ws.write("hark.toml", config(&streams.iter().collect::<Vec<_>>(), None));
    let mut child =
        command(&ws, &["run", "--once", "--no-classify", "--max-concurrent", "1", "-q"]).spawn().expect("hark run");
    let pid = child.id().expect("a running child");
    let mut used = 0.0;
    let exit = loop {
        if let Some(seconds) = cpu_seconds(pid) {
            used = seconds;
        }
        tokio::select! {
            status = child.wait() => break status.expect("the child is reaped"),
            () = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
    };
    assert_eq!(exit.code(), Some(0));
    assert!(requests.load(Ordering::SeqCst) >= 9, "every source was read, page by page");
    // Reading and saving 630 posts takes well under a second of CPU; a scheduler that polled
    // while at its cap would burn the whole wait (over 5 s here).
    assert!(used < 2.5, "hark run used {used:.2} s of CPU for about 7 s of waiting on slow sources");
}
