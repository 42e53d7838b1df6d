//! `hark ingest`: good lines kept, bad lines named, re-ingest harmless.

use crate::support::Workspace;

#[test]
fn bad_lines_are_reported_and_good_lines_kept() {
    let ws = Workspace::new();
    let mut file = Vec::new();
    for i in 0..20 {
        file.extend_from_slice(
            format!(
                "{{\"source\":\"reddit\",\"external_id\":\"t3_{i}\",\"text\":\"<p>post {i} &amp; more</p>\",\"author\":{{\"handle\":\"u/User{i}\"}},\"published_at\":\"2026-11-0{}T10:00:00Z\"}}\n",
                i % 9 + 1
            )
            .as_bytes(),
        );
        if i == 4 {
            file.extend_from_slice(b"{\"source\":\"reddit\",\"text\":\"no id\"}\n");
        }
        if i == 9 {
            file.extend_from_slice(b"{\"source\":\"reddit\",\"external_id\":\"x\",\"text\":\"caf\xe9\"}\n");
        }
    }
    ws.write("posts.jsonl", &file);
    let run = ws.run(&["ingest", "posts.jsonl"]);
    assert_eq!(run.code, 3, "some lines were skipped: {}", run.stderr);
    assert!(run.stderr.contains("posts.jsonl: line 6: missing field `external_id`"), "{}", run.stderr);
    assert!(run.stderr.contains("posts.jsonl: line 12: not valid UTF-8"), "{}", run.stderr);
    assert!(run.stdout.contains("22 lines, 20 new mentions ("), "{}", run.stdout);
    assert!(run.stdout.contains("0 already stored, 2 skipped"), "{}", run.stdout);

    let again = ws.run(&["ingest", "posts.jsonl", "--json"]);
    let report = again.json();
    assert_eq!(
        (report["new"].as_u64(), report["duplicates"].as_u64(), report["skipped"].as_u64()),
        (Some(0), Some(20), Some(2))
    );

    let status = ws.run(&["status", "--json"]).json();
    assert_eq!(status["mentions"], 20);
    let ingest = status["sources"].as_array().unwrap().iter().find(|s| s["id"] == "ingest").unwrap();
    assert_eq!(ingest["mentions"], 20);
    assert_eq!(ingest["outcome"], "ok");
}

#[test]
fn source_option_files_mentions_under_that_source() {
    let ws = Workspace::new();
    ws.write("hn.jsonl", "{\"source\":\"hackernews\",\"external_id\":1,\"text\":\"Acme vs Pipedrive?\"}\n");
    ws.run(&["ingest", "hn.jsonl", "--source", "hn-backfill"]).assert_ok();
    let status = ws.run(&["status", "--json"]).json();
    let source = status["sources"].as_array().unwrap().iter().find(|s| s["id"] == "hn-backfill").unwrap().clone();
    assert_eq!(source["mentions"], 1);
}

#[test]
fn a_missing_file_is_an_error_that_says_so() {
    let ws = Workspace::new();
    let run = ws.run(&["ingest", "missing.jsonl"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("error: opening missing.jsonl"), "{}", run.stderr);
}

#[test]
fn ingested_mentions_carry_signals() {
    let ws = Workspace::new();
    ws.write(
        "posts.jsonl",
        "{\"source\":\"reddit\",\"external_id\":\"a\",\"text\":\"Your app deleted all my invoices and support has ignored me for a week. Unacceptable.\"}\n\
         {\"source\":\"reddit\",\"external_id\":\"b\",\"text\":\"Which accounting software would you recommend for a small shop? Need pricing.\"}\n",
    );
    let run = ws.run(&["ingest", "posts.jsonl", "--json"]);
    run.assert_ok();
    let report = run.json();
    assert_eq!((report["complaints"].as_u64(), report["intents"].as_u64()), (Some(1), Some(1)), "{}", run.stdout);

    let unscored = ws.run(&["--data-dir", "plain", "ingest", "posts.jsonl", "--no-classify", "--json"]);
    unscored.assert_ok();
    assert_eq!(unscored.json()["complaints"], 0);
}
