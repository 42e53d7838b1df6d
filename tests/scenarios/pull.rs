//! `hark pull` against a local replay of Hacker News: cursors, the run ledger, gaps.

use hark_replay::{ReplayServer, Reply};

use crate::support::Workspace;

fn recorded_comments_last_page() -> Reply {
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/hackernews/algolia_search_by_date_comments");
    let mut reply = Reply::fixture(&base).expect("the recorded comments fixture");
    let mut body: serde_json::Value = serde_json::from_slice(&reply.body).expect("the fixture is JSON");
    body["nbPages"] = serde_json::json!(1);
    reply.body = serde_json::to_vec(&body).expect("JSON serialises");
    reply
}

fn config(base_url: &str) -> String {
    format!(
        "[[sources]]\nid = \"hn\"\nkind = \"hackernews\"\nbase_url = \"{base_url}\"\nqueries = [\"acme crm\"]\n\n[[sources]]\nid = \"feeds\"\nkind = \"rss\"\nfeeds = [\"{base_url}/feed.xml\"]\n"
    )
}

fn recorded_feed() -> Reply {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/rss/rss2_content_encoded.xml");
    Reply::new(200, std::fs::read(path).expect("the recorded feed")).header("Content-Type", "application/rss+xml")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pulling_twice_stores_each_post_once_and_records_runs() {
    let server = ReplayServer::start(vec![
        ("/api/v1/search_by_date", vec![recorded_comments_last_page()]),
        ("/feed.xml", vec![recorded_feed()]),
    ])
    .await
    .unwrap();
    let ws = Workspace::new();
    ws.write("hark.toml", config(server.base_url()));

    let first = ws.run(&["pull", "--source", "hn", "--no-classify", "--json"]);
    first.assert_ok();
    let report = first.json();
    assert_eq!(report[0]["new"], 5, "{}", first.stdout);
    assert_eq!(report[0]["outcome"], "ok");
    assert_eq!(report[0]["requests"], 1);

    let second = ws.run(&["pull", "--source", "hn", "--no-classify", "--json"]);
    assert_eq!(second.json()[0]["new"], 0, "the cursor moved past what was stored");
    assert!(server.requests()[1].target.contains("numericFilters="), "{}", server.requests()[1].target);

    let status = ws.run(&["status", "--json"]).json();
    let hn = status["sources"].as_array().unwrap().iter().find(|s| s["id"] == "hn").unwrap().clone();
    assert_eq!((hn["mentions"].as_i64(), hn["outcome"].as_str(), hn["gaps"].as_i64()), (Some(5), Some("ok"), Some(0)));

    // Every configured source is visited, each with its own connector and cursor.
    let all = ws.run(&["pull", "--no-classify", "--json"]);
    all.assert_ok();
    assert_eq!((all.json()[0]["id"].as_str(), all.json()[0]["new"].as_i64()), (Some("hn"), Some(0)));
    assert_eq!((all.json()[1]["id"].as_str(), all.json()[1]["outcome"].as_str()), (Some("feeds"), Some("ok")));
    assert!(all.json()[1]["new"].as_i64().unwrap() > 0, "{}", all.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_credential_is_a_failed_run_and_a_gap_until_a_clean_run_reads_it() {
    let server = ReplayServer::start(vec![(
        "/api/v1/search_by_date",
        vec![Reply::new(403, "{}"), Reply::new(403, "{}"), recorded_comments_last_page()],
    )])
    .await
    .unwrap();
    let ws = Workspace::new();
    ws.write("hark.toml", config(server.base_url()));
    let run = ws.run(&["pull", "--source", "hn", "--no-classify", "--json"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(run.json()[0]["outcome"], "failed");
    assert!(run.json()[0]["error"].as_str().unwrap().contains("HTTP 403"));
    let status = ws.run(&["status", "--json"]).json();
    let hn = status["sources"].as_array().unwrap().iter().find(|s| s["id"] == "hn").unwrap().clone();
    assert_eq!(hn["gaps"], 1);
    let sources = ws.run(&["sources", "--json"]);
    sources.assert_ok();
    let gap = sources.json()[1]["gaps"][0].clone();
    assert_eq!(sources.json()[1]["id"], "hn");
    assert_eq!((gap["state"].as_str(), gap["error_kind"].as_str()), (Some("open"), Some("auth")), "{}", sources.stdout);
    let table = ws.run(&["sources"]);
    assert!(table.stdout.contains("GAP FROM") && table.stdout.contains("open"), "{}", table.stdout);

    // The credential is fixed: the next clean pass starts from the unmoved cursor and reads the window.
    let failed_again = ws.run(&["pull", "--source", "hn", "--no-classify", "--json"]);
    assert_eq!(failed_again.code, 3);
    let recovered = ws.run(&["pull", "--source", "hn", "--no-classify", "--json"]);
    recovered.assert_ok();
    assert_eq!(recovered.json()[0]["new"], 5);
    let sources = ws.run(&["sources", "--json"]).json();
    let states: Vec<&str> =
        sources[1]["gaps"].as_array().unwrap().iter().map(|g| g["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["refetched", "refetched"]);
    assert_eq!(sources[1]["open_gaps"], 0);

    let unknown = ws.run(&["pull", "--source", "nope"]);
    assert_eq!(unknown.code, 1);
    assert!(unknown.stderr.contains("configured: hn, feeds"), "{}", unknown.stderr);
}
