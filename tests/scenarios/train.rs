//! `hark train` and `hark eval` on the real encoder (the suite runs `make model` first).

use crate::support::Workspace;

fn labelled(rows: &[(&str, bool)]) -> String {
    rows.iter()
        .map(|(text, label)| format!("{}\n", serde_json::json!({"text": text, "label": u8::from(*label)})))
        .collect()
}

const COMPLAINTS: &[&str] = &[
    "my order never arrived and support ignores me",
    "the app keeps crashing since your update, fix it",
    "charged twice and still no refund, terrible service",
    "waited two hours on hold, worst customer service ever",
    "my internet has been down all day again",
    "the package was damaged and nobody answers my emails",
];
const CHATTER: &[&str] = &[
    "lovely sunset at the beach tonight",
    "reading a good book with some tea",
    "happy birthday to my best friend",
    "the game last night was amazing",
    "new recipe for banana bread turned out great",
    "walking the dog in the park this morning",
];

fn dataset(flip: bool) -> String {
    let rows: Vec<(&str, bool)> =
        COMPLAINTS.iter().map(|text| (*text, !flip)).chain(CHATTER.iter().map(|text| (*text, flip))).collect();
    labelled(&rows)
}

#[test]
fn train_writes_a_head_with_its_card_and_keeps_a_better_one() {
    let ws = Workspace::new();
    ws.write("train.jsonl", dataset(false));
    ws.write("valid.jsonl", dataset(false));
    ws.write("flipped.jsonl", dataset(true));
    ws.write("licensed.jsonl", format!("{}\n", serde_json::json!({"text": COMPLAINTS[0]})));

    let trained = ws.run(&[
        "train",
        "--task",
        "complaint",
        "--train",
        "train.jsonl",
        "--valid",
        "valid.jsonl",
        "--out",
        "heads",
        "--exclude",
        "licensed.jsonl",
        "--json",
    ]);
    trained.assert_ok();
    assert!(trained.json()["validation"]["f1"].as_f64().unwrap() > 0.9, "{}", trained.stdout);
    let card = std::fs::read_to_string(ws.path("heads/complaint.md")).unwrap();
    assert!(card.contains("11 examples; 1 left out because they also appear in"), "{card}");
    assert!(ws.path("heads/complaint.weights").exists());

    let eval = ws.run(&["eval", "--task", "complaint", "--data", "valid.jsonl", "--heads", "heads", "--json"]);
    eval.assert_ok();
    assert_eq!(eval.json()["n"], 12);

    // A head trained on flipped labels is worse on the same validation data: refused...
    let flipped =
        ["train", "--task", "complaint", "--train", "flipped.jsonl", "--valid", "valid.jsonl", "--out", "heads"];
    let worse = ws.run(&flipped);
    assert_eq!(worse.code, 1, "{}", worse.stderr);
    assert!(worse.stderr.contains("is better on valid.jsonl") && worse.stderr.contains("--force"), "{}", worse.stderr);
    // A head that cannot reach the precision asked for says so, and even --force leaves the
    // head there alone.
    let before = std::fs::read(ws.path("heads/complaint.weights")).unwrap();
    let unreachable = ws.run(&[&flipped[..], &["--target-precision", "0.9", "--force"]].concat());
    assert_ne!(unreachable.code, 0, "{}", unreachable.stdout);
    assert!(
        unreachable.stderr.contains("no threshold reaches precision 0.9")
            && unreachable.stderr.contains("lower --target-precision")
            && !unreachable.stderr.contains("internal"),
        "{}",
        unreachable.stderr
    );
    assert_eq!(std::fs::read(ws.path("heads/complaint.weights")).unwrap(), before, "the head is untouched");
    // ...unless forced.
    ws.run(&[&flipped[..], &["--force"]].concat()).assert_ok();
}

#[test]
fn bad_labels_are_named_by_line() {
    let ws = Workspace::new();
    ws.write("bad.jsonl", "{\"text\": \"a\", \"label\": \"complaint\"}\n{\"text\": \"b\", \"label\": \"maybe\"}\n");
    let run = ws.run(&["eval", "--task", "complaint", "--data", "bad.jsonl", "--baseline"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("line 2: unknown complaint label \"maybe\""), "{}", run.stderr);
}

#[test]
fn train_with_labels_learns_from_triage_decisions() {
    let ws = Workspace::new();
    ws.write("train.jsonl", dataset(false));
    ws.write("valid.jsonl", dataset(false));
    let args = [
        "train",
        "--task",
        "complaint",
        "--train",
        "train.jsonl",
        "--valid",
        "valid.jsonl",
        "--out",
        "heads",
        "--labels",
        "--json",
    ];
    // Nothing decided yet: said so, nothing written.
    let early = ws.run(&args);
    assert_ne!(early.code, 0);
    assert!(early.stderr.contains("no complaint labels from triage yet"), "{}", early.stderr);
    assert!(!ws.path("heads/complaint.weights").exists());

    // A post flagged as a complaint, dismissed by a person as "not a complaint".
    let post = serde_json::json!({
        "source": "reddit", "external_id": "t3_triage1",
        "text": "The Acme sync deleted half our contacts again and support has ignored our ticket for a week."
    });
    ws.write("posts.jsonl", format!("{post}\n"));
    ws.run(&["ingest", "posts.jsonl"]).assert_ok();
    let items = ws.run(&["queue", "list", "--json"]).json();
    let id = items[0]["item_id"].as_i64().expect("the post is in a queue").to_string();
    ws.run(&["queue", "move", &id, "dismissed", "--reason", "not a complaint"]).assert_ok();

    let trained = ws.run(&args);
    trained.assert_ok();
    let response = trained.json();
    assert_eq!(response["triage_labels"], 1, "{}", trained.stdout);
    assert!(ws.path("heads/complaint.weights").exists());
    assert!(!ws.path("hark-data/triage-labels-complaint.jsonl").exists(), "the scratch file is removed");
}
