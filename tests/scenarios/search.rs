//! `hark search` and `hark reindex`: ingested mentions are searchable at once, and a rebuilt
//! index gives the same results.

use crate::support::Workspace;

const POSTS: &str = r#"{"source":"reddit","external_id":"t3_1","url":"https://www.reddit.com/r/crm/comments/1?utm_source=x","author":{"handle":"jdoe","name":"Jane Doe"},"title":"Acme pricing","text":"Acme raised its prices again, terrible value for a small team","published_at":"2026-01-05T10:00:00Z"}
{"source":"hackernews","external_id":"2","author":{"handle":"pg"},"text":"The free trial of Acme CRM ended and I switched to Pipedrive","published_at":"2026-01-06T10:00:00Z"}
{"source":"mastodon","external_id":"3","text":"Working from the café with Acme Inbox open, pricing page looks nice","published_at":"2026-01-07T10:00:00Z"}
{"source":"mastodon","external_id":"4","text":"Acme CRM has been down for three hours and nobody from support answers the phone or email","published_at":"2026-01-08T10:00:00Z"}
{"source":"bluesky","external_id":"5","text":"RT @acmewatch: Acme CRM has been down for three hours and nobody from support answers the phone or email https://t.example/x","published_at":"2026-01-09T10:00:00Z"}
"#;

fn ids(run: &crate::support::Run) -> Vec<String> {
    run.json()
        .as_array()
        .expect("an array")
        .iter()
        .map(|hit| hit["external_id"].as_str().expect("external ids are strings").to_owned())
        .collect()
}

#[test]
fn ingested_mentions_are_searchable_and_reindex_gives_the_same_results() {
    let ws = Workspace::new();
    ws.write("posts.jsonl", POSTS);
    ws.run(&["ingest", "posts.jsonl", "--no-classify"]).assert_ok();

    let queries: &[(&[&str], &[&str])] = &[
        (&["search", "pricing", "--json"], &["t3_1", "3"]),
        (&["search", "cafe", "--json"], &["3"]),
        (&["search", "\"acme crm\" NEAR/3 switched", "--json"], &["2"]),
        (&["search", "*", "--json"], &["5", "4", "3", "2", "t3_1"]),
        (&["search", "*", "--source", "mastodon", "--json"], &["4", "3"]),
        (&["search", "*", "--since", "2026-01-08", "--json"], &["5", "4"]),
        (&["search", "site:reddit.com OR author:pg", "--sort", "newest", "--json"], &["2", "t3_1"]),
        (&["search", "down", "--collapse", "--sort", "newest", "--json"], &["5"]),
    ];
    let before: Vec<Vec<String>> = queries
        .iter()
        .map(|(args, expected)| {
            let run = ws.run(args);
            run.assert_ok();
            let found = ids(&run);
            let mut sorted_found = found.clone();
            let mut sorted_expected: Vec<String> = expected.iter().map(|id| (*id).to_owned()).collect();
            if args[1] == "pricing" {
                // Ranked: compare as sets.
                sorted_found.sort();
                sorted_expected.sort();
                assert_eq!(sorted_found, sorted_expected, "{args:?}");
            } else {
                assert_eq!(found, sorted_expected, "{args:?}");
            }
            found
        })
        .collect();

    let hit = &ws.run(&["search", "title:pricing", "--json"]).json()[0];
    assert_eq!(hit["source"], "reddit");
    assert_eq!(hit["url"], "https://www.reddit.com/r/crm/comments/1");
    assert_eq!(hit["author"]["handle"], "jdoe");
    assert_eq!(hit["author"]["name"], "Jane Doe");
    assert_eq!(hit["published_at"], "2026-01-05T10:00:00Z");
    assert!(hit["signals"].is_null() && hit["customer"].is_null(), "{hit}");
    let collapsed = ws.run(&["search", "down", "--collapse", "--json"]).json();
    assert_eq!(collapsed[0]["cluster_size"], 2, "the cross-post and the original");

    std::fs::remove_dir_all(ws.path("hark-data/index")).expect("deleting the index");
    let rebuilt = ws.run(&["reindex"]);
    rebuilt.assert_ok();
    assert!(rebuilt.stdout.contains("indexed 5 mentions"), "{}", rebuilt.stdout);
    for ((args, _), expected) in queries.iter().zip(&before) {
        let run = ws.run(args);
        run.assert_ok();
        assert_eq!(&ids(&run), expected, "after reindex: {args:?}");
    }

    let table = ws.run(&["search", "acme -down"]);
    table.assert_ok();
    assert!(table.stdout.contains("3 of 3 matching mentions, by relevance"), "{}", table.stdout);
}

#[test]
fn a_malformed_query_says_where_and_what_was_expected() {
    let ws = Workspace::new();
    let run = ws.run(&["search", "acme (pricing OR cost"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("invalid query: expected ')' to close '(' at column 6, found end of query at column 22"),
        "{}",
        run.stderr
    );
    let caret = format!("  acme (pricing OR cost\n  {}^", " ".repeat(21));
    assert!(run.stderr.contains(&caret), "{}", run.stderr);
}

#[test]
fn posts_are_searchable_by_their_language_and_only_english_is_scored() {
    let ws = Workspace::new();
    ws.write(
        "posts.jsonl",
        r#"{"source":"reddit","external_id":"en","text":"I was charged twice for my subscription and nobody at Acme will refund me. Terrible service."}
{"source":"reddit","external_id":"de","text":"Mir wurde mein Abo bei Acme zweimal abgebucht und niemand erstattet mir das Geld. Schrecklicher Service."}
{"source":"reddit","external_id":"ja","text":"Acmeのサブスクリプションが二重に請求されたのに、誰も返金してくれません。最悪のサービスです。"}
{"source":"mastodon","external_id":"pt","lang":"pt-BR","text":"Fui cobrado duas vezes pela Acme e ninguém me devolve o dinheiro."}
"#,
    );
    let ingest = ws.run(&["ingest", "posts.jsonl", "--json"]);
    ingest.assert_ok();
    assert_eq!((ingest.json()["new"].as_u64(), ingest.json()["complaints"].as_u64()), (Some(4), Some(1)));

    assert_eq!(ids(&ws.run(&["search", "lang:de", "--json"])), ["de"]);
    assert_eq!(ids(&ws.run(&["search", "lang:ja", "--json"])), ["ja"]);
    assert_eq!(ids(&ws.run(&["search", "lang:pt", "--json"])), ["pt"]);
    assert_eq!(ids(&ws.run(&["search", "acme lang:en", "--json"])), ["en"]);
    let german = &ws.run(&["search", "abgebucht", "--json"]).json()[0];
    assert!(german["signals"].is_null(), "not scored: {german}");
    let english = &ws.run(&["search", "refund", "--json"]).json()[0];
    assert!(english["signals"]["complaint"].as_f64().is_some_and(|p| p > 0.5), "scored: {english}");

    let status = ws.run(&["status", "--json"]).json();
    assert_eq!(status["not_scored_language"], serde_json::json!({"de": 1, "ja": 1, "pt": 1}));
    let printed = ws.run(&["status"]);
    printed.assert_ok();
    assert!(printed.stdout.contains("not scored (language): de 1, ja 1, pt 1"), "{}", printed.stdout);
    let queue = ws.run(&["queue", "list", "--json"]).json();
    let routed: Vec<&str> = queue.as_array().unwrap().iter().filter_map(|item| item["external_id"].as_str()).collect();
    assert!(!routed.iter().any(|id| ["de", "ja", "pt"].contains(id)), "{queue}");
}
