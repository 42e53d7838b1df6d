//! The command line itself: init, configuration errors, status, help.

use crate::support::Workspace;

#[test]
fn init_writes_a_valid_config_and_refuses_to_overwrite_it() {
    let ws = Workspace::new();
    ws.run(&["init"]).assert_ok();
    assert!(ws.path("hark.toml").exists());
    assert!(ws.path("hark-data/hark.db").exists());
    let status = ws.run(&["status", "--json"]);
    status.assert_ok();
    let ids: Vec<String> =
        status.json()["sources"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids, ["hn", "reddit-crm"]);

    let again = ws.run(&["init"]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("hark init --force"), "{}", again.stderr);
    ws.run(&["init", "--force"]).assert_ok();
}

#[test]
fn every_config_problem_is_reported_at_once() {
    let ws = Workspace::new();
    ws.write(
        "bad.toml",
        "[[sources]]\nid = \"a\"\nkind = \"hackernews\"\nqueries = []\n\n[[sources]]\nid = \"b\"\nkind = \"reddit\"\nsubreddits = []\ninterval = \"1s\"\n",
    );
    let run = ws.run(&["--config", "bad.toml", "status"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("bad.toml has 3 problems"), "{}", run.stderr);
    assert!(run.stderr.contains("sources[0].queries: must not be empty"), "{}", run.stderr);
    assert!(run.stderr.contains("sources[1].interval: must be at least 10s"), "{}", run.stderr);
    assert!(run.stderr.contains("sources[1].subreddits: must not be empty"), "{}", run.stderr);
}

#[test]
fn a_named_config_file_must_exist() {
    let ws = Workspace::new();
    let run = ws.run(&["--config", "missing.toml", "status"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("reading configuration missing.toml (create one with `hark init`)"), "{}", run.stderr);
}

#[test]
fn status_json_has_the_documented_shape() {
    let ws = Workspace::new();
    let status = ws.run(&["status", "--json"]).json();
    assert_eq!(status["mentions"], 0);
    assert_eq!(status["customers"], 0);
    assert_eq!(status["not_scored_language"], serde_json::json!({}));
    for queue in ["service", "sales", "community"] {
        for state in ["new", "assigned", "contacted", "resolved", "dismissed"] {
            assert_eq!(status["queues"][queue][state], 0, "{queue}.{state}");
        }
    }
    assert_eq!(status["sources"], serde_json::json!([]));
}

#[test]
fn data_dir_comes_from_the_environment() {
    let ws = Workspace::new();
    let mut command = ws.command(&["ingest", "-"]);
    command.env("HARK_DATA_DIR", ws.path("elsewhere"));
    command.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
    let mut child = command.spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"{\"source\":\"rss\",\"external_id\":\"1\",\"text\":\"hi\"}\n").unwrap();
    assert!(child.wait().unwrap().success());
    // The data directory holds the store (unless it is on PostgreSQL) and the index.
    assert!(ws.path("elsewhere/index").is_dir());
    assert_eq!(ws.path("elsewhere/hark.db").exists(), ws.store_url.is_none());
}

#[test]
fn json_logs_on_request() {
    let ws = Workspace::new();
    ws.write("one.jsonl", "{\"source\":\"rss\",\"external_id\":\"1\",\"text\":\"hi\"}\n");
    let run = ws.run(&["-v", "--log-format", "json", "ingest", "one.jsonl"]);
    run.assert_ok();
    let first_log = run.stderr.lines().find(|line| line.starts_with('{')).expect("a JSON log line");
    let parsed: serde_json::Value = serde_json::from_str(first_log).unwrap();
    assert!(parsed["level"].is_string(), "{first_log}");
}

#[test]
fn connectors_come_from_the_registry() {
    let ws = Workspace::new();
    let list = ws.run(&["connectors", "list", "--json"]);
    list.assert_ok();
    assert!(list.json().as_array().unwrap().iter().any(|kind| kind["name"] == "hackernews"));
    let show = ws.run(&["connectors", "show", "hackernews"]);
    show.assert_ok();
    assert!(show.stdout.contains("kind = \"hackernews\""), "{}", show.stdout);
    let missing = ws.run(&["connectors", "show", "myspace"]);
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.contains("available: reddit, hackernews, mastodon"), "{}", missing.stderr);
}

#[test]
fn bench_pipeline_sends_every_post_through_both_ways_and_beside_the_bare_encoder() {
    let ws = Workspace::new();
    // Small score batches and channels: batches that cut pages in two still store and route
    // as page by page does (the bench fails otherwise).
    let report = ws.run(&[
        "bench",
        "pipeline",
        "--copies",
        "1",
        "--page",
        "50",
        "--batch-texts",
        "70",
        "--channel-pages",
        "2",
        "--json",
    ]);
    report.assert_ok();
    let report = report.json();
    assert_eq!((report["batch_texts"].as_u64(), report["channel_pages"].as_u64()), (Some(70), Some(2)), "{report}");
    let mentions = report["mentions"].as_u64().unwrap();
    assert!(mentions > 400, "the bundled sample: {report}");
    assert_eq!(report["stored"].as_u64(), Some(mentions), "every post stored: {report}");
    assert_eq!(report["pages"].as_u64(), Some(mentions.div_ceil(50)), "{report}");
    assert!(report["queue_items"].as_u64().unwrap() > 0, "the sample fills the queues: {report}");
    for rate in ["pipeline_mentions_per_second", "page_by_page_mentions_per_second", "encoder_texts_per_second"] {
        assert!(report[rate].as_f64().unwrap() > 0.0, "{rate}: {report}");
    }
    assert!(report["startup_seconds"].as_f64().unwrap() > 0.0, "{report}");
    assert!(report["peak_rss_mb"].as_f64().unwrap() > 50.0, "the model is in memory: {report}");
    let ratio = report["ratio_to_encoder"].as_f64().unwrap();
    assert!(ratio > 0.0 && ratio.is_finite(), "{report}");
}
