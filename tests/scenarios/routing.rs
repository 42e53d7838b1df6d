//! The routing set (`tests/routing/`): hand-written posts scored by the real model land in the
//! expected queue with the expected customer, the same through `hark ingest` and through
//! `hark pull` (the posts served as an Atom feed); a person's match decision re-routes.

use std::collections::BTreeMap;
use std::path::PathBuf;

use hark_replay::{ReplayServer, Reply};
use serde_json::Value;

use crate::support::Workspace;

const CONFIG: &str = r#"[brand]
name = "Acme CRM"
aliases = ["Acme"]
products = ["Acme Sync", "Acme Inbox"]

[[competitors]]
name = "Pipedrive"
"#;

fn routing_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("routing")
}

fn posts() -> Vec<Value> {
    std::fs::read_to_string(routing_dir().join("posts.jsonl"))
        .expect("the routing set")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a routing post is JSON"))
        .collect()
}

/// (queue, customer CRM id) per post text, from `hark queue list --json`.
fn routed(ws: &Workspace) -> BTreeMap<String, (String, Option<String>)> {
    let listing = ws.run(&["queue", "list", "--limit", "500", "--json"]);
    listing.assert_ok();
    listing
        .json()
        .as_array()
        .expect("an array of items")
        .iter()
        .map(|item| {
            let customer = item["customer"]["crm_ref"].as_str().map(str::to_owned);
            (
                item["text"].as_str().expect("the routing set and the listing have this field").to_owned(),
                (item["queue"].as_str().expect("the routing set and the listing have this field").to_owned(), customer),
            )
        })
        .collect()
}

fn expected() -> BTreeMap<String, (String, Option<String>)> {
    posts()
        .iter()
        .filter(|post| !post["expected_queue"].is_null())
        .map(|post| {
            let queue =
                post["expected_queue"].as_str().expect("the routing set and the listing have this field").to_owned();
            (
                post["text"].as_str().expect("the routing set and the listing have this field").to_owned(),
                (queue, post["expected_customer"].as_str().map(str::to_owned)),
            )
        })
        .collect()
}

fn workspace(config: &str) -> Workspace {
    let ws = Workspace::new();
    ws.write("hark.toml", config);
    let customers = routing_dir().join("customers.csv");
    ws.run(&["import", "customers", customers.to_str().expect("the routing set and the listing have this field")])
        .assert_ok();
    ws
}

/// The routing set as an Atom feed, entry ids and authors as in the JSONL.
fn atom_feed() -> String {
    let escape = |text: &str| text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let mut feed = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n\
         <title>Community forum</title><id>urn:hark-test:feed</id><updated>2026-12-01T10:00:00Z</updated>\n",
    );
    for post in posts() {
        let author = &post["author"];
        let email = author["email"].as_str().map(|email| format!("<email>{email}</email>")).unwrap_or_default();
        feed.push_str(&format!(
            "<entry><id>{}</id><title></title><link href=\"{}\"/><updated>{}</updated><published>{}</published>\
             <author><name>{}</name>{email}</author><content type=\"text\">{}</content></entry>\n",
            post["external_id"].as_str().expect("the routing set and the listing have this field"),
            post["url"].as_str().expect("the routing set and the listing have this field"),
            post["published_at"].as_str().expect("the routing set and the listing have this field"),
            post["published_at"].as_str().expect("the routing set and the listing have this field"),
            escape(author["name"].as_str().expect("the routing set and the listing have this field")),
            escape(post["text"].as_str().expect("the routing set and the listing have this field")),
        ));
    }
    feed.push_str("</feed>\n");
    feed
}

#[test]
fn the_routing_set_lands_in_the_expected_queues_through_ingest() {
    let ws = workspace(CONFIG);
    let posts = routing_dir().join("posts.jsonl");
    ws.run(&["ingest", posts.to_str().expect("the routing set and the listing have this field")]).assert_ok();
    assert_eq!(routed(&ws), expected());

    // Running the same file again creates no second item.
    ws.run(&["ingest", posts.to_str().expect("the routing set and the listing have this field")]).assert_ok();
    assert_eq!(routed(&ws).len(), expected().len());

    // The tags say why a sales item matters.
    let sales = ws.run(&["queue", "list", "--queue", "sales", "--json"]).json();
    let tags = |needle: &str| -> Vec<String> {
        let item = sales
            .as_array()
            .expect("the routing set and the listing have this field")
            .iter()
            .find(|item| {
                item["text"].as_str().expect("the routing set and the listing have this field").contains(needle)
            })
            .expect("the routing set and the listing have this field");
        item["tags"]
            .as_array()
            .expect("the routing set and the listing have this field")
            .iter()
            .map(|tag| tag.as_str().expect("the routing set and the listing have this field").to_owned())
            .collect()
    };
    assert!(tags("20 more seats").contains(&"expansion".to_owned()));
    assert!(tags("compare to Pipedrive").contains(&"competitor".to_owned()));

    // A person confirms the uncertain match: the complaint becomes a service item, and its
    // history says why.
    let community = ws.run(&["queue", "list", "--queue", "community", "--json"]).json();
    let uncertain = community
        .as_array()
        .expect("the routing set and the listing have this field")
        .iter()
        .find(|item| item["customer"]["crm_ref"] == "CRM-0004")
        .expect("the proposed match is in community triage")
        .clone();
    assert_eq!(uncertain["customer"]["state"], "proposed");
    let mention = uncertain["id"].as_str().expect("the routing set and the listing have this field");
    ws.run(&["match", "confirm", mention, "CRM-0004"]).assert_ok();
    let item = uncertain["item_id"].to_string();
    let shown = ws.run(&["queue", "show", &item, "--json"]);
    shown.assert_ok();
    let shown = shown.json();
    assert_eq!(shown["queue"], "service", "{shown}");
    assert_eq!(shown["customer"]["state"], "confirmed");
    let rerouted = shown["history"]
        .as_array()
        .expect("the routing set and the listing have this field")
        .iter()
        .find(|entry| entry["action"] == "rerouted")
        .expect("the routing set and the listing have this field");
    assert_eq!((rerouted["from"].as_str(), rerouted["to"].as_str()), (Some("community"), Some("service")));
    assert!(
        rerouted["reason"].as_str().expect("the routing set and the listing have this field").contains("confirmed"),
        "{rerouted}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pulling_the_routing_set_routes_it_as_ingesting_does() {
    let feed = Reply::new(200, atom_feed()).header("Content-Type", "application/atom+xml");
    let server = ReplayServer::start(vec![("/forum.atom", vec![feed])])
        .await
        .expect("the routing set and the listing have this field");
    let config = format!(
        "{CONFIG}\n[[sources]]\nid = \"forum\"\nkind = \"rss\"\nfeeds = [\"{}/forum.atom\"]\n",
        server.base_url()
    );
    let ws = workspace(&config);
    let pull = ws.run(&["pull", "--json"]);
    pull.assert_ok();
    assert_eq!(pull.json()[0]["new"], 10, "{}", pull.stdout);
    assert_eq!(routed(&ws), expected());
}
