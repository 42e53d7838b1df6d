//! hark as several processes over PostgreSQL and NATS JetStream, with faults.
//!
//! Two fetchers, three process workers (scoring with the real model) and one serving process
//! (delivering alerts to a webhook receiver) share a PostgreSQL store and a NATS server while
//! two sources serve streams that keep growing. Fetchers and workers are SIGKILLed at random
//! points (chosen by the number of requests the sources answered) and started again; NATS is
//! restarted once and PostgreSQL's connections are cut once. Then the streams stop growing
//! and, once everything is caught up, every process is stopped with SIGTERM. In the end every
//! served post is stored exactly once, the queue items are those of one clean single-process
//! run over the same posts, and every alert reached the receiver exactly once.
//!
//! Runs in the PostgreSQL pass of the suite (`HARK_E2E_STORE=postgres`, as `make test` does);
//! it starts a NATS server of its own (Debian's `nats-server`, installed by
//! `scripts/with-nats.sh`).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crate::scenarios::restart::Lcg;
use crate::scenarios::service::{TOTAL, command, config, receiver, sigterm_and_wait, status, stored, stream};
use crate::support::Workspace;
use hark_replay::ports::child_port;

/// The sources' host quota in this scenario.
const PER_MINUTE: u32 = 120;

/// A NATS server with JetStream on a loopback port, its storage in a directory of its own.
struct Nats {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<std::process::Child>,
}

impl Nats {
    fn start() -> Option<Self> {
        if std::process::Command::new("nats-server").arg("--version").output().is_err() {
            assert!(std::env::var("HARK_TEST_NATS_REQUIRED").is_err(), "nats-server is missing");
            eprintln!("nats-server is missing: skipped (scripts/with-nats.sh installs it)");
            return None;
        }
        let port = child_port();
        let mut nats = Self { port, dir: tempfile::tempdir().expect("a directory"), child: None };
        nats.run();
        Some(nats)
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn run(&mut self) {
        let store = self.dir.path().join("store");
        let child = std::process::Command::new("nats-server")
            .args(["-js", "-a", "127.0.0.1", "-p", &self.port.to_string(), "-sd"])
            .arg(&store)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("starting nats-server");
        self.child = Some(child);
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "nats-server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server (SIGTERM, as an operator would) and starts it again on the same port
    /// and storage.
    fn restart(&mut self) {
        if let Some(mut child) = self.child.take() {
            drop(std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status());
            drop(child.wait());
        }
        std::thread::sleep(Duration::from_millis(500));
        self.run();
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            drop(child.kill());
            drop(child.wait());
        }
    }
}

/// One hark process of the scaled-out layout.
struct Process {
    role: &'static str,
    data_dir: String,
    args: Vec<String>,
    child: tokio::process::Child,
}

fn spawn(ws: &Workspace, bus: &str, role: &'static str, data_dir: &str, extra: &[String]) -> Process {
    let mut args: Vec<String> =
        ["--data-dir", data_dir, "run", "--role", role, "-q", "--grace", "30s"].iter().map(|a| a.to_string()).collect();
    args.extend(extra.iter().cloned());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut command = command(ws, &refs);
    command.env(hark_bus_env(), bus).kill_on_drop(true);
    let child = command.spawn().expect("starting a hark process");
    Process { role, data_dir: data_dir.to_owned(), args, child }
}

fn hark_bus_env() -> &'static str {
    "HARK_BUS_URL"
}

/// The body of `GET path` from `addr` (HTTP/1.0: the server closes when done).
async fn http_get(addr: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("the process serves its metrics");
    stream.write_all(format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes()).await.expect("a request");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("a response");
    assert!(response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200"), "{response}");
    response.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default()
}

/// The sum of a counter over its labels in Prometheus' text format.
fn counter_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|line| line.starts_with(name) && !line.starts_with('#'))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// One value `sql` gives on the database at `url`.
fn psql(url: &str, sql: &str) -> String {
    let done = std::process::Command::new("psql").args([url, "-tA", "-c", sql]).output().expect("psql");
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    String::from_utf8_lossy(&done.stdout).trim().to_owned()
}

/// Closes every connection to `url`'s database, as a failover or a network cut would.
fn cut_postgres_connections(url: &str) {
    let (base, database) = url.rsplit_once('/').expect("a database in the URL");
    let sql = format!(
        "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{database}' AND pid <> pg_backend_pid()"
    );
    eprintln!("cut {} PostgreSQL connections", psql(&format!("{base}/postgres"), &sql));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scaled_out_processes_killed_at_random_store_every_post_once_and_alert_once() {
    let ws = Workspace::new();
    let Some(store_url) = ws.store_url.clone() else {
        eprintln!("runs in the PostgreSQL pass of the suite (HARK_E2E_STORE=postgres): skipped here");
        return;
    };
    let Some(mut nats) = Nats::start() else { return };
    let bus = nats.url();
    let served = Arc::new(AtomicU64::new(0));
    let complete = Arc::new(AtomicBool::new(false));
    let arrived = Arc::new(tokio::sync::Notify::new());
    let first = stream(60_000_000, &served, &complete, &arrived).await;
    let second = stream(70_000_000, &served, &complete, &arrived).await;
    let (received, hook) = receiver().await;
    // Both sources are on one host (127.0.0.1) with one quota of 120 requests a minute, one
    // every 500 ms whichever fetcher asks. Posts a killed worker saved but did not route are
    // settled by the others 10 s on.
    let text = config(&[&first, &second], Some(&hook))
        .replace(&format!("requests_per_minute = {}", 60_000), &format!("requests_per_minute = {PER_MINUTE}"));
    ws.write("hark.toml", format!("{text}\n[bus]\nsettle_after = \"10s\"\n"));

    let serve_args = vec!["--addr".to_owned(), format!("127.0.0.1:{}", child_port())];
    // Fetchers and workers serve their own /metrics.
    let metrics = || vec!["--metrics-addr".to_owned(), format!("127.0.0.1:{}", child_port())];
    let mut processes = vec![
        spawn(&ws, &bus, "serve", "serve-0", &serve_args),
        spawn(&ws, &bus, "fetch", "fetch-0", &metrics()),
        spawn(&ws, &bus, "fetch", "fetch-1", &metrics()),
        spawn(&ws, &bus, "process", "process-0", &metrics()),
        spawn(&ws, &bus, "process", "process-1", &metrics()),
        spawn(&ws, &bus, "process", "process-2", &metrics()),
    ];

    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("a clock").as_nanos() as u64;
    let mut random = Lcg(seed);
    let mut kills = 0;
    let (mut nats_restarted, mut postgres_cut) = (false, false);
    while kills < 8 {
        let target = served.load(Ordering::SeqCst) + 1 + random.next_below(4);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        while served.load(Ordering::SeqCst) < target {
            let next_request = arrived.notified();
            assert!(tokio::time::Instant::now() < deadline, "seed {seed}: the sources stopped being asked");
            drop(tokio::time::timeout(Duration::from_millis(500), next_request).await);
            for process in &mut processes {
                if let Ok(Some(exit)) = process.child.try_wait() {
                    panic!("seed {seed}: {} ({}) exited on its own: {exit:?}", process.role, process.data_dir);
                }
            }
        }
        // A fetcher or a worker, at random.
        let victim = 1 + random.next_below(5) as usize;
        let process = &mut processes[victim];
        process.child.start_kill().expect("SIGKILL");
        process.child.wait().await.expect("reaped");
        let (role, data_dir, args) = (process.role, process.data_dir.clone(), process.args.clone());
        let extra: Vec<String> = args.iter().skip(8).cloned().collect();
        processes[victim] = spawn(&ws, &bus, role, &data_dir, &extra);
        kills += 1;
        if kills == 3 && !nats_restarted {
            nats.restart();
            nats_restarted = true;
        }
        if kills == 5 && !postgres_cut {
            cut_postgres_connections(&store_url);
            postgres_cut = true;
        }
    }

    // Runs started up to now: the one a killed fetcher left open among them is closed by the
    // pass that takes its source's lease once the lease runs out (30 s), which can come after
    // every post is stored.
    let runs_so_far = psql(&store_url, "SELECT COALESCE(MAX(id), 0) FROM runs");
    // The streams stop growing; everything catches up and the alerts go out.
    complete.store(true, Ordering::SeqCst);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    loop {
        // Posts a killed worker saved but did not route get their items from a settler up to
        // `settle_after` later: the items are final only once no stored post waits unsettled
        // (asked before the items, so none can be routed in between unseen).
        let unsettled = psql(&store_url, "SELECT COUNT(*) FROM mentions WHERE settled_at IS NULL");
        let left_open =
            psql(&store_url, &format!("SELECT COUNT(*) FROM runs WHERE outcome = 'running' AND id <= {runs_so_far}"));
        let (items, per_source) = stored(&ws).await;
        let caught_up =
            per_source.values().sum::<usize>() == 2 * TOTAL as usize && unsettled == "0" && left_open == "0";
        let delivered = received.lock().expect("receiver lock").len();
        if caught_up && !items.is_empty() && delivered >= items.len() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "seed {seed}: never caught up: {per_source:?}, {unsettled} unsettled, {left_open} runs left open, {} items, {delivered} alerts; status {}",
            items.len(),
            status(&ws).await
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // What the fetchers published and the workers processed since they last started, from
    // their /metrics: the pages after the streams stopped growing went through the live ones.
    let mut counted = std::collections::BTreeMap::new();
    for process in &processes[1..] {
        let addr = process.args.last().expect("a metrics address");
        let text = http_get(addr, "/metrics").await;
        for name in ["hark_pages_published_total", "hark_pages_processed_total"] {
            *counted.entry(name).or_insert(0.0) += counter_sum(&text, name);
        }
        assert!(http_get(addr, "/healthz").await.contains("\"ok\""), "{} answers /healthz", process.data_dir);
    }
    assert!(counted.values().all(|pages| *pages > 0.0), "seed {seed}: pages in the workers' metrics: {counted:?}");

    for process in &mut processes {
        let exit = sigterm_and_wait(&mut process.child, Duration::from_secs(40)).await;
        assert_eq!(
            exit.code(),
            Some(0),
            "seed {seed}: {} ({}) stops cleanly on SIGTERM",
            process.role,
            process.data_dir
        );
    }

    // The runs killed fetchers left open were closed by the passes that took their leases.
    let open_runs = psql(&store_url, "SELECT COUNT(*) FROM runs WHERE outcome = 'running'");
    assert_eq!(open_runs, "0", "seed {seed}: runs left open");

    // Every served post stored exactly once.
    let store = ws.store().await;
    for (index, stream) in [&first, &second].iter().enumerate() {
        let mut ids = store.external_ids(&format!("hn-{index}")).await.expect("ids");
        let stored_count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), stored_count, "seed {seed}: a post was stored twice");
        let expected: BTreeSet<String> = (1..=TOTAL).map(|n| (stream.first_id + n).to_string()).collect();
        assert_eq!(ids.into_iter().collect::<BTreeSet<_>>(), expected, "seed {seed}: posts missing");
    }
    store.close().await;

    // The host was never asked more often than its quota, across fetchers, restarts and
    // lease handovers: consecutive requests (both sources together) at least the quota's
    // spacing apart, less 150 ms for a sleeping fetcher waking late.
    let mut times: Vec<std::time::Instant> =
        [&first, &second].iter().flat_map(|stream| stream.requests.lock().expect("request log").clone()).collect();
    times.sort_unstable();
    let spacing = Duration::from_secs(60) / PER_MINUTE;
    let gaps: Vec<Duration> = times.windows(2).map(|pair| pair[1] - pair[0]).collect();
    let too_close: Vec<&Duration> = gaps.iter().filter(|gap| **gap + Duration::from_millis(150) < spacing).collect();
    assert!(
        too_close.is_empty(),
        "seed {seed}: {} of {} requests came sooner than {spacing:?} after the one before: {too_close:?}",
        too_close.len(),
        times.len()
    );

    // The queue items are those of a clean single-process run over the same posts.
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

    // Every alert reached the receiver, once per item.
    let received = received.lock().expect("receiver lock").clone();
    assert_eq!(received.len(), items.len(), "seed {seed}: one item.created alert per item");
    let repeats: usize = received.values().map(|count| count - 1).sum();
    assert_eq!(repeats, 0, "seed {seed}: an alert was sent twice");
    eprintln!(
        "seed {seed}: {kills} kills, NATS restarted, PostgreSQL connections cut; {} posts, {} items, {} alerts; \
         {} requests, closest two {:?} apart",
        2 * TOTAL,
        items.len(),
        received.len(),
        times.len(),
        gaps.iter().min()
    );
}
