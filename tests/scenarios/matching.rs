//! Customer matching and prospects, end to end: a CRM export and mention files in, matches
//! by handle, email and name + company out; a rejected pair stays rejected through
//! re-ingests and re-imports; prospects list the buyer who is not a customer, never a customer.

use serde_json::Value;

use crate::support::Workspace;

const CRM: &str = "crm_id,name,email,company,domain,reddit,products\n\
C1,Hana Handle,,Handled Ltd,,u/hana_h,Acme Sync\n\
C2,Eddie Email,eddie.e@gmail.com,Email Co,,,Acme Inbox\n\
C3,Nina Name,nina@northwind.io,Northwind Logistics,northwind.io,,Acme Inbox\n\
C4,John Smith,john@globex.com,Globex,globex.com,,Acme Inbox\n";

fn line(id: &str, handle: &str, name: Option<&str>, email: Option<&str>, text: &str) -> String {
    let mut author = serde_json::json!({ "handle": handle });
    if let Some(name) = name {
        author["name"] = name.into();
    }
    if let Some(email) = email {
        author["email"] = email.into();
    }
    serde_json::json!({
        "source": "reddit",
        "external_id": id,
        "author": author,
        "text": text,
        "published_at": "2026-11-20T10:00:00Z",
    })
    .to_string()
        + "\n"
}

fn matches(ws: &Workspace, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["match", "list", "--json"];
    args.extend_from_slice(extra);
    let run = ws.run(&args);
    run.assert_ok();
    run.json().as_array().cloned().unwrap_or_default()
}

fn of_author<'a>(matches: &'a [Value], handle: &str) -> Vec<&'a Value> {
    matches.iter().filter(|m| m["author"]["handle"] == handle).collect()
}

#[test]
fn authors_are_matched_decisions_stick_and_prospects_are_not_customers() {
    let ws = Workspace::new();
    ws.write("crm.csv", CRM);
    ws.run(&["import", "customers", "crm.csv"]).assert_ok();
    let posts = [
        line("t3_1", "hana_h", None, None, "Acme Sync keeps dropping our calendar entries since Monday."),
        line("t3_2", "ed_e", None, Some("Eddie.E@gmail.com"), "Acme Inbox labels are great."),
        line("t3_3", "nina_n", Some("Nina Name"), None, "At Northwind Logistics we moved all support to Acme."),
        line("t3_4", "jsmith99", Some("John Smith"), None, "Is Acme Inbox any good for a team of three?"),
        line(
            "t3_5",
            "shopper42",
            None,
            None,
            "We are looking for a new CRM for our 30 person sales team. Comparing Acme CRM and Pipedrive: \
             which one would you recommend, and what does pricing look like?",
        ),
        line(
            "t3_6",
            "hana_h",
            None,
            None,
            "Which invoicing add-on would you recommend for Acme? Need pricing before we buy.",
        ),
    ]
    .concat();
    ws.write("posts.jsonl", &posts);
    ws.run(&["ingest", "posts.jsonl"]).assert_ok();

    let all = matches(&ws, &[]);
    let method_state = |handle: &str| -> Vec<(String, String, String)> {
        of_author(&all, handle)
            .iter()
            .map(|m| {
                (
                    m["customer"]["crm_ref"].as_str().unwrap_or("").to_owned(),
                    m["method"].as_str().unwrap_or("").to_owned(),
                    m["state"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    };
    let auto = |crm: &str, method: &str| (crm.to_owned(), method.to_owned(), "auto".to_owned());
    assert_eq!(method_state("hana_h"), vec![auto("C1", "handle"), auto("C1", "handle")], "{all:#?}");
    assert_eq!(method_state("ed_e"), vec![auto("C2", "email")]);
    assert_eq!(method_state("nina_n"), vec![auto("C3", "name_company")]);
    assert_eq!(
        method_state("jsmith99"),
        vec![("C4".to_owned(), "name_company".to_owned(), "proposed".to_owned())],
        "a name and a product everyone talks about is only a proposal"
    );
    assert!(method_state("shopper42").is_empty());
    let nina = of_author(&all, "nina_n")[0];
    assert_eq!(nina["evidence"]["company"], "northwind logistics", "every match explains itself: {nina}");
    let proposed = matches(&ws, &["--state", "proposed"]);
    assert_eq!(proposed.len(), 1);

    // A person rejects the look-alike; it is never proposed again for that author.
    let mention = proposed[0]["mention_id"].as_str().unwrap().to_owned();
    let reject = ws.run(&["match", "reject", &mention, "C4"]);
    reject.assert_ok();
    assert!(reject.stdout.contains("rejected"), "{}", reject.stdout);
    let again = ws.run(&["match", "reject", &mention, "C4"]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("already rejected"), "{}", again.stderr);

    ws.write("more.jsonl", line("t3_7", "jsmith99", Some("John Smith"), None, "Acme Inbox question again: filters?"));
    ws.run(&["ingest", "more.jsonl"]).assert_ok();
    ws.write("crm.csv", format!("{CRM}C5,Dora New,dora@new.example,New Co,,,\n"));
    let reimport = ws.run(&["import", "customers", "crm.csv", "--json"]);
    reimport.assert_ok();
    assert_eq!(reimport.json()["rematched"]["mentions"], 7, "{}", reimport.stdout);
    assert!(matches(&ws, &["--state", "proposed"]).is_empty(), "the rejected pair came back");
    let john = of_author(&matches(&ws, &[]), "jsmith99").iter().map(|m| m["state"].clone()).collect::<Vec<_>>();
    assert_eq!(john, vec![Value::from("rejected")]);

    // Undo brings the machine's proposal back, for both of the author's posts.
    ws.run(&["match", "undo", &mention, "C4"]).assert_ok();
    assert_eq!(matches(&ws, &["--state", "proposed"]).len(), 2);
    // A manual link wins over the machine and shows as confirmed.
    ws.run(&["match", "link", &mention, "C4"]).assert_ok();
    let linked = of_author(&matches(&ws, &["--state", "confirmed"]), "jsmith99").len();
    assert_eq!(linked, 1);

    // Prospects: the buyer, never a customer (Hana also asked for pricing, but is one).
    let prospects = ws.run(&["prospects", "--json"]);
    prospects.assert_ok();
    let prospects = prospects.json();
    let authors: Vec<&str> = prospects.as_array().unwrap().iter().filter_map(|p| p["author"].as_str()).collect();
    assert_eq!(authors, vec!["shopper42"], "{prospects:#}");
    let buyer = &prospects[0];
    assert_eq!(buyer["source"], "reddit");
    assert!(buyer["intent"].as_f64().unwrap() >= 0.5, "{buyer}");
    assert_eq!(buyer["evidence"].as_array().unwrap().len(), 1);
    assert!(buyer["topics"].as_array().unwrap().iter().any(|t| t == "crm"), "{buyer}");
    assert_eq!(buyer["last_seen"], "2026-11-20T10:00:00Z");
    let on_topic = ws.run(&["prospects", "--topic", "sales team CRM", "--json"]).json();
    assert_eq!(on_topic.as_array().unwrap().len(), 1);
    let off_topic = ws.run(&["prospects", "--topic", "espresso machines", "--json"]).json();
    assert!(off_topic.as_array().unwrap().is_empty(), "{off_topic}");
    // Lookalikes: ranked by resemblance to the matched customers' posts, still no customer.
    let like = ws.run(&["prospects", "--like-customers", "--json"]).json();
    let like: Vec<&str> = like.as_array().unwrap().iter().filter_map(|p| p["author"].as_str()).collect();
    assert_eq!(like, vec!["shopper42"]);

    let unknown = ws.run(&["match", "confirm", "m_nope", "C1"]);
    assert_eq!(unknown.code, 1);
    assert!(unknown.stderr.contains("no mention m_nope"), "{}", unknown.stderr);
}

/// The search index follows match decisions made after a mention was indexed: `customer:yes`
/// finds a post once a person links its author, and stops finding it after an undo.
#[test]
fn search_follows_match_decisions() {
    let ws = Workspace::new();
    ws.write("crm.csv", CRM);
    ws.run(&["import", "customers", "crm.csv"]).assert_ok();
    ws.write("posts.jsonl", line("t3_9", "quiet_q", None, None, "Acme Inbox search is slow today."));
    ws.run(&["ingest", "posts.jsonl", "--no-classify"]).assert_ok();
    let found = |query: &str| -> Vec<Value> {
        let run = ws.run(&["search", query, "--json"]);
        run.assert_ok();
        run.json().as_array().cloned().unwrap_or_default()
    };
    assert_eq!(found("slow customer:no").len(), 1);
    assert!(found("slow customer:yes").is_empty());
    let mention = found("slow")[0]["id"].as_str().unwrap().to_owned();

    ws.run(&["match", "link", &mention, "C2"]).assert_ok();
    let linked = found("slow customer:yes");
    assert_eq!(linked.len(), 1, "the link reached the index");
    assert_eq!(linked[0]["customer"]["crm_ref"], "C2");
    let status = ws.run(&["status", "--json"]).json();
    assert_eq!(status["matches"]["confirmed"], 1, "{status}");
    assert!(found("slow customer:no").is_empty());

    ws.run(&["match", "undo", &mention, "C2"]).assert_ok();
    assert!(found("slow customer:yes").is_empty(), "the undo reached the index");
    assert_eq!(found("slow customer:no").len(), 1);
}
