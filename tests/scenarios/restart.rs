//! Restart safety: a local server exposes a growing stream of posts; `hark pull` is killed
//! (SIGKILL) at random points and run again; in the end every post is stored exactly once.
//! Nothing here depends on timing: the stream grows with each request the server answers, and
//! each kill lands when the server has received a randomly chosen request of that pass.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use hark_replay::{Handler, ReplayServer, Reply};

use crate::support::Workspace;

/// Posts in the stream once it stops growing.
const TOTAL: u64 = 450;
/// New posts that appear with every request the server answers, until `TOTAL`.
const GROWTH_PER_REQUEST: u64 = 25;
/// Three posts share each second, so the cursor's boundary handling matters.
const PER_SECOND: u64 = 3;
const EPOCH: u64 = 1_760_000_000;

/// An Algolia `search_by_date` look-alike over posts `1..=visible`: honours
/// `numericFilters=created_at_i>=X`, `hitsPerPage` and `page`, newest first.
fn search(target: &str, visible: u64) -> Reply {
    search_posts(target, visible, 40_000_000, |n| {
        (format!("Post number {n} about acme crm"), format!("<p>Body of post {n}</p>"))
    })
}

/// [`search`] over posts whose ids start after `first_id` and whose title and text `post`
/// writes (the service scenarios share it).
pub(crate) fn search_posts(target: &str, visible: u64, first_id: u64, post: impl Fn(u64) -> (String, String)) -> Reply {
    let query: Vec<(String, String)> = target
        .split_once('?')
        .map(|(_, query)| {
            query
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .map(|(name, value)| (name.to_owned(), value.replace("%3E", ">").replace("%3D", "=")))
                .collect()
        })
        .unwrap_or_default();
    let param = |name: &str| query.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone());
    let since: u64 = param("numericFilters")
        .and_then(|filter| filter.strip_prefix("created_at_i>=").and_then(|at| at.parse().ok()))
        .unwrap_or(0);
    let per_page: usize = param("hitsPerPage").and_then(|n| n.parse().ok()).unwrap_or(20);
    let page: usize = param("page").and_then(|n| n.parse().ok()).unwrap_or(0);
    let at = |n: u64| EPOCH + n / PER_SECOND;
    let matching: Vec<u64> = (1..=visible).rev().filter(|&n| at(n) >= since).collect();
    let pages = matching.len().div_ceil(per_page);
    let hits: Vec<serde_json::Value> = matching
        .iter()
        .skip(page * per_page)
        .take(per_page)
        .map(|&n| {
            let (title, text) = post(n);
            serde_json::json!({
                "objectID": (first_id + n).to_string(),
                "created_at_i": at(n),
                "author": format!("user{}", n % 17),
                "title": title,
                "story_text": text,
                "_tags": ["story"],
            })
        })
        .collect();
    let body = serde_json::json!({"hits": hits, "page": page, "nbPages": pages, "hitsPerPage": per_page});
    Reply::new(200, serde_json::to_vec(&body).expect("JSON serialises")).header("Content-Type", "application/json")
}

/// A small deterministic generator for kill delays (the seed is printed on failure).
pub(crate) struct Lcg(pub(crate) u64);

impl Lcg {
    pub(crate) fn next_below(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_pulls_resume_and_store_every_post_once() {
    let served = Arc::new(AtomicU64::new(0));
    let complete = Arc::new(AtomicBool::new(false));
    let arrived = Arc::new(tokio::sync::Notify::new());
    let handler: Handler = {
        let (served, complete, arrived) = (Arc::clone(&served), Arc::clone(&complete), Arc::clone(&arrived));
        Arc::new(move |target: &str| {
            let answered = served.fetch_add(1, Ordering::SeqCst) + 1;
            arrived.notify_waiters();
            let visible =
                if complete.load(Ordering::SeqCst) { TOTAL } else { (answered * GROWTH_PER_REQUEST).min(TOTAL) };
            search(target, visible)
        })
    };
    let server = ReplayServer::start_handlers(vec![("/api/v1/search_by_date", handler)]).await.unwrap();
    let ws = Workspace::new();
    ws.write(
        "hark.toml",
        format!(
            "[[sources]]\nid = \"hn\"\nkind = \"hackernews\"\nbase_url = \"{}\"\nqueries = [\"acme crm\"]\nrequests_per_minute = 60000\n",
            server.base_url()
        ),
    );
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    let mut random = Lcg(seed);
    let mut kills = 0;
    for _ in 0..12 {
        let mut child = tokio::process::Command::from(ws.command(&["pull", "--no-classify", "-q"]))
            .spawn()
            .expect("starting hark pull");
        // Killed when the server receives this pass's n-th request (n = 0: while it starts up), so
        // the pages before it are saved and the one asked for is not; a pass that ends first is
        // left alone.
        let target = served.load(Ordering::SeqCst) + random.next_below(4);
        let killed = loop {
            let next_request = arrived.notified();
            if served.load(Ordering::SeqCst) >= target {
                child.start_kill().expect("SIGKILL");
                break true;
            }
            tokio::select! {
                () = next_request => {}
                _ = child.wait() => break false,
            }
        };
        child.wait().await.unwrap();
        kills += usize::from(killed);
    }
    // The stream reaches its end; pull until a pass finds nothing new.
    complete.store(true, Ordering::SeqCst);
    let mut quiet = false;
    for _ in 0..10 {
        let run = tokio::task::spawn_blocking({
            let command = ws.command(&["pull", "--no-classify", "--json"]);
            move || {
                let mut command = command;
                command.output().unwrap()
            }
        })
        .await
        .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap_or_default();
        if report[0]["outcome"] == "ok" && report[0]["new"] == 0 {
            quiet = true;
            break;
        }
    }
    assert!(quiet, "seed {seed}: pulls never settled");
    assert!(kills > 0, "seed {seed}: no pull was killed mid-way; the test proved nothing");

    let store = ws.store().await;
    let mut ids = store.external_ids("hn").await.unwrap();
    let stored = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), stored, "seed {seed}: a post was stored twice");
    let mut expected: Vec<String> = (1..=TOTAL).map(|n| (40_000_000 + n).to_string()).collect();
    expected.sort_unstable();
    let missing: Vec<&String> = expected.iter().filter(|id| ids.binary_search(id).is_err()).collect();
    assert!(
        missing.is_empty(),
        "seed {seed}: {} posts missing after {kills} kills, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    assert_eq!(stored as u64, TOTAL, "seed {seed}");
}
