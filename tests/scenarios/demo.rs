//! `hark demo`: the whole pipeline on the bundled sample, offline, in a scratch directory.

use crate::support::Workspace;

/// The Stack Overflow question that the sample's Google Alerts feed links to as well.
const SHARED_URL: &str = "https://stackoverflow.com/questions/79990417/acme-sync-webhook-retries-stop-after-three-attempts-and-events-are-lost";

fn reports(summary: &serde_json::Value, pass: usize) -> Vec<serde_json::Value> {
    summary["passes"][pass]["sources"].as_array().expect("a pass lists its sources").clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_pulls_every_kind_twice_stores_each_post_once_and_guards_its_data_dir() {
    let ws = Workspace::new();
    // Nothing to serve before the demo ran.
    let early = ws.run(&["demo", "--serve-only", "--addr", "127.0.0.1:0"]);
    assert_ne!(early.code, 0);
    assert!(early.stderr.contains("run `hark demo` first"), "{}", early.stderr);
    let run = ws.run(&["demo", "--no-classify", "--no-serve", "--json"]);
    run.assert_ok();
    let summary = run.json();
    assert_eq!(summary["scored"], false);
    assert_eq!(summary["customers_imported"], 12, "{}", run.stdout);

    // Every registered source kind answered through its connector, once with new posts ...
    let kinds = ws.run(&["connectors", "list", "--json"]).json();
    let first = reports(&summary, 0);
    for kind in kinds.as_array().unwrap() {
        let name = kind["name"].as_str().unwrap();
        let report = first
            .iter()
            .find(|report| report["kind"] == name)
            .unwrap_or_else(|| panic!("no demo source of kind {name}:\n{}", run.stdout));
        assert_eq!(report["outcome"], "ok", "{report}");
        assert!(report["new"].as_u64().unwrap() > 0, "{report}");
        assert!(report["requests"].as_u64().unwrap() >= 1, "{report}");
    }
    // ... and a second time with nothing new.
    let second = reports(&summary, 1);
    assert_eq!(second.len(), first.len());
    for report in &second {
        assert_eq!((report["outcome"].as_str(), report["new"].as_u64()), (Some("ok"), Some(0)), "{report}");
    }

    // The post seen on Stack Overflow and in the alerts feed is one mention, linked.
    let rss = first.iter().find(|report| report["kind"] == "rss").unwrap();
    assert_eq!(rss["linked"], 1, "{rss}");
    assert_eq!(summary["totals"]["linked"], 1);
    let stored_new: u64 = first.iter().map(|report| report["new"].as_u64().unwrap()).sum();
    assert_eq!(summary["totals"]["mentions"].as_u64(), Some(stored_new));
    assert!(summary["totals"]["mentions_by_customers"].as_u64().unwrap() > 0, "sample customers wrote some posts");

    let store = hark_store::Store::open_in(&ws.path("hark-data")).await.unwrap();
    let mut with_url = Vec::new();
    for stored in store.mentions_after(0, 10_000).await.unwrap() {
        assert!(!stored.mention.text.contains("<script"), "markup is stripped: {}", stored.mention.text);
        if stored.mention.url.as_deref() == Some(SHARED_URL) {
            with_url.push(stored.mention.source_kind.as_str().to_owned());
        }
    }
    assert_eq!(with_url, ["stackexchange"], "stored once, under the source that saw it first");
    assert_eq!(store.count_mentions().await.unwrap(), i64::try_from(stored_new).unwrap());
    store.close().await;

    // The data directory now holds data: a second demo refuses it, --fresh starts over.
    let again = ws.run(&["demo", "--no-classify", "--no-serve", "--json"]);
    assert_eq!(again.code, 1, "{}", again.stdout);
    assert!(again.stderr.contains("already holds") && again.stderr.contains("--fresh"), "{}", again.stderr);
    assert!(again.stdout.is_empty());

    let fresh = ws.run(&["demo", "--no-classify", "--fresh", "--no-serve", "--json"]);
    fresh.assert_ok();
    assert_eq!(fresh.json()["totals"]["mentions"].as_u64(), Some(stored_new), "the wiped store is refilled, once");
}
