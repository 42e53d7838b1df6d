//! `hark demo`: the whole pipeline on the bundled sample, offline, in a scratch directory. The
//! figures come from `sample/expected.json`, which `scripts/sample/generate.py` writes with the
//! sample.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::Workspace;

fn expected() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample/expected.json");
    let text = std::fs::read_to_string(&path).expect("sample/expected.json is committed with the sample");
    serde_json::from_str(&text).expect("sample/expected.json is JSON")
}

fn reports(summary: &Value, pass: usize) -> Vec<Value> {
    summary["passes"][pass]["sources"].as_array().expect("a pass lists its sources").clone()
}

fn count(value: &Value) -> u64 {
    value.as_u64().unwrap_or_else(|| panic!("not a count: {value}"))
}

/// Markup that must never survive into stored text: scripts, script URLs, event handlers.
fn live_markup(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    if lower.contains("<script") || lower.contains("javascript:") {
        return Some(lower);
    }
    // ` onerror=`, ` onclick =`, ...: an attribute named on<letters> followed by `=`.
    let bytes = lower.as_bytes();
    for (at, window) in bytes.windows(3).enumerate() {
        if window[0].is_ascii_whitespace() && window[1] == b'o' && window[2] == b'n' {
            let rest = &bytes[at + 3..];
            let letters = rest.iter().take_while(|b| b.is_ascii_lowercase()).count();
            let after = rest[letters..].iter().find(|b| !b.is_ascii_whitespace());
            if letters > 0 && after == Some(&b'=') {
                return Some(lower);
            }
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_pulls_every_kind_three_times_walks_new_pages_and_stores_each_post_once() {
    let expected = expected();
    let ws = Workspace::embedded();
    // Nothing to serve before the demo ran.
    let early = ws.run(&["demo", "--serve-only", "--addr", "127.0.0.1:0"]);
    assert_ne!(early.code, 0);
    assert!(early.stderr.contains("run `hark demo` first"), "{}", early.stderr);
    let run = ws.run(&["demo", "--no-classify", "--no-serve", "--json"]);
    run.assert_ok();
    let summary = run.json();
    assert_eq!(summary["scored"], false);
    assert_eq!(summary["customers_imported"], expected["customers"], "{}", run.stdout);
    assert!(summary["seconds"].as_f64().is_some_and(|seconds| seconds > 0.0), "{}", summary["seconds"]);

    // Every registered source kind answered through its connector, the first time with the
    // posts out then ...
    let kinds = ws.run(&["connectors", "list", "--json"]).json();
    let first = reports(&summary, 0);
    for kind in kinds.as_array().expect("a list of kinds") {
        let name = kind["name"].as_str().expect("a kind has a name");
        let report = first
            .iter()
            .find(|report| report["kind"] == name)
            .unwrap_or_else(|| panic!("no demo source of kind {name}:\n{}", run.stdout));
        assert_eq!(report["outcome"], "ok", "{report}");
        assert!(count(&report["new"]) > 0, "{report}");
    }
    // ... the second time with the rest, walking the new pages from each cursor (Reddit's
    // `after`, Mastodon's Link header, Stack Exchange's `page`) ...
    let second = reports(&summary, 1);
    for report in &second {
        assert_eq!(report["outcome"], "ok", "{report}");
        assert!(count(&report["new"]) > 0, "{report}");
    }
    for kind in ["reddit", "mastodon", "stackexchange"] {
        let report = second.iter().find(|report| report["kind"] == kind).expect("every kind in every pass");
        assert!(count(&report["pages"]) > 1, "{kind} walks several pages in the second pass: {report}");
    }
    // ... and a third time with nothing new.
    let third = reports(&summary, 2);
    assert_eq!(third.len(), first.len());
    for report in &third {
        assert_eq!((report["outcome"].as_str(), report["new"].as_u64()), (Some("ok"), Some(0)), "{report}");
    }
    let new_per_pass: Vec<u64> =
        (0..3).map(|pass| reports(&summary, pass).iter().map(|report| count(&report["new"])).sum()).collect();
    assert_eq!(new_per_pass, [count(&expected["mentions_first_pull"]), count(&expected["mentions_second_pull"]), 0]);

    // Posts per source, as the sample says.
    let totals = &summary["totals"];
    assert_eq!(totals["mentions"], expected["mentions"]);
    let per_source: BTreeMap<String, u64> = totals["sources"]
        .as_array()
        .expect("totals list the sources")
        .iter()
        .map(|source| (source["id"].as_str().expect("a source id").to_owned(), count(&source["mentions"])))
        .collect();
    let wanted: BTreeMap<String, u64> = expected["per_source"]
        .as_object()
        .expect("counts per source")
        .iter()
        .map(|(id, n)| (id.clone(), count(n)))
        .collect();
    assert_eq!(per_source, wanted);
    assert!(count(&summary["matched"]["customers"]) > 10, "{}", summary["matched"]);
    assert!(count(&totals["mentions_by_customers"]) > 30, "{totals}");
    assert_eq!(summary["queues"], serde_json::json!({"community": 0, "sales": 0, "service": 0}), "nothing scored");

    // A page reached through two sources is one mention, under the source that saw it first.
    let duplicates = expected["cases"]["duplicates"].as_array().expect("the sample's duplicates");
    assert_eq!(totals["linked"], duplicates.len());
    let store = hark_store::Store::open_in(&ws.path("hark-data")).await.expect("the demo's store");
    let stored = store.mentions_after(0, 10_000).await.expect("reading the mentions");
    assert_eq!(i64::try_from(stored.len()).ok(), expected["mentions"].as_i64());
    for duplicate in duplicates {
        let url = duplicate["url"].as_str().expect("a duplicate has a URL");
        let kinds: Vec<&str> = stored
            .iter()
            .filter(|s| s.mention.url.as_deref() == Some(url))
            .map(|s| s.mention.source_kind.as_str())
            .collect();
        assert_eq!(kinds, [duplicate["first"]["kind"].as_str().expect("a kind")], "{url}");
    }
    // Markup in posts (the sample's hostile ones among them) is stored as plain text.
    for s in &stored {
        let fields = [Some(s.mention.text.as_str()), s.mention.title.as_deref(), s.mention.url.as_deref()];
        for field in fields.into_iter().flatten() {
            assert!(live_markup(field).is_none(), "live markup stored for {}: {field:.300}", s.mention.external_id);
        }
    }
    store.close().await;

    // The data directory now holds data: a second demo refuses it, --fresh starts over.
    let again = ws.run(&["demo", "--no-classify", "--no-serve", "--json"]);
    assert_eq!(again.code, 1, "{}", again.stdout);
    assert!(again.stderr.contains("already holds") && again.stderr.contains("--fresh"), "{}", again.stderr);
    assert!(again.stdout.is_empty());

    let fresh = ws.run(&["demo", "--no-classify", "--fresh", "--no-serve", "--json"]);
    fresh.assert_ok();
    assert_eq!(fresh.json()["totals"]["mentions"], expected["mentions"], "the wiped store is refilled, once");
}

/// The queue items of a demo data directory, by (source kind, external id).
fn items(ws: &Workspace) -> BTreeMap<(String, String), Value> {
    let mut out = BTreeMap::new();
    for queue in ["service", "sales", "community"] {
        let listing = ws.run(&["queue", "list", "--queue", queue, "--limit", "500", "--json"]);
        listing.assert_ok();
        for item in listing.json().as_array().expect("a list of items") {
            let key = (
                item["source"].as_str().expect("an item names its source kind").to_owned(),
                item["external_id"].as_str().expect("an item names its post").to_owned(),
            );
            out.insert(key, item.clone());
        }
    }
    out
}

fn key(case: &Value) -> (String, String) {
    (
        case["kind"].as_str().expect("a case names its kind").to_owned(),
        case["external_id"].as_str().expect("a case names its post").to_owned(),
    )
}

/// One HTTP/1.1 exchange with the demo's web app: status, headers (lower-case names), body.
fn http(addr: &str, request: &str) -> (u16, Vec<(String, String)>, String) {
    let mut stream = TcpStream::connect(addr).expect("connecting to the web app");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("a read timeout");
    stream.write_all(request.as_bytes()).expect("sending a request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("reading a response");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines.next().and_then(|line| line.split_whitespace().nth(1)).and_then(|s| s.parse().ok());
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let chunked = headers.iter().any(|(name, value)| name == "transfer-encoding" && value.contains("chunked"));
    let body = if chunked { dechunk(body) } else { body.to_owned() };
    (status.expect("an HTTP status line"), headers, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

fn set_cookie(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .filter(|(header, _)| header == "set-cookie")
        .filter_map(|(_, value)| value.split(';').next())
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")).map(str::to_owned))
}

/// Kills the demo's web server when the test ends, passing or not.
struct Serving(std::process::Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn with_the_model_the_demo_routes_its_known_cases_and_serves_hostile_posts_inert() {
    let expected = expected();
    let cases = &expected["cases"];
    let ws = Workspace::embedded();
    let run = ws.run(&["demo", "--no-serve", "--json"]);
    run.assert_ok();
    let summary = run.json();
    assert_eq!(summary["scored"], true, "the model is needed (`make model`): {}", summary["not_scored"]);
    let seconds = summary["seconds"].as_f64().expect("the summary says how long the pipeline took");
    assert!(seconds < 60.0, "the demo's pipeline took {seconds} s");
    for queue in ["service", "sales", "community"] {
        assert!(count(&summary["queues"][queue]) > 0, "{queue}: {}", summary["queues"]);
    }
    let flagged = &summary["flagged"];
    assert!(count(&flagged["complaints"]) > 0 && count(&flagged["intents"]) > 0, "{flagged}");
    assert_eq!(summary["top"].as_array().map(Vec::len), Some(5));
    assert!(summary["top"][0]["cues"].as_array().is_some_and(|cues| !cues.is_empty()), "{}", summary["top"][0]);

    let items = items(&ws);
    // A complaint by a known customer: service, linked to that customer.
    for case in cases["customer_complaint"].as_array().expect("customer complaints") {
        let item = items.get(&key(case)).unwrap_or_else(|| panic!("no item for {}", case["key"]));
        assert_eq!(item["queue"], "service", "{}: {item}", case["key"]);
        assert_eq!(item["customer"]["crm_ref"], case["crm_id"], "{}: {item}", case["key"]);
    }
    // Buying intent by someone who is not a customer: sales, no customer.
    for case in cases["stranger_intent"].as_array().expect("buying intent by strangers") {
        let item = items.get(&key(case)).unwrap_or_else(|| panic!("no item for {}", case["key"]));
        assert_eq!(item["queue"], "sales", "{}: {item}", case["key"]);
        assert!(item["customer"].is_null(), "{}: {item}", case["key"]);
    }
    // Chatter: in no queue.
    for case in cases["chatter"].as_array().expect("chatter") {
        assert!(!items.contains_key(&key(case)), "{} is chatter: {:?}", case["key"], items.get(&key(case)));
    }

    // Hostile posts in a queue: their item pages carry none of the posts' markup alive.
    let data_dir = ws.path("hark-data");
    let port = hark_replay::ports::child_port();
    let addr = format!("127.0.0.1:{port}");
    let child = ws
        .command(&["--data-dir", data_dir.to_str().expect("a UTF-8 path"), "demo", "--serve-only", "--addr", &addr])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serving the demo");
    let mut serving = Serving(child);
    let started = Instant::now();
    while TcpStream::connect(&addr).is_err() {
        assert!(started.elapsed() < Duration::from_secs(60), "the web app did not start");
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut printed = String::new();
    let mut stdout = serving.0.stdout.take().expect("the demo's output");
    let mut buffer = [0u8; 4096];
    while !printed.contains("demo-community") {
        let read = stdout.read(&mut buffer).expect("reading the demo's output");
        assert!(read > 0, "the demo stopped printing: {printed}");
        printed.push_str(&String::from_utf8_lossy(&buffer[..read]));
    }
    assert!(printed.contains(&format!("http://{addr}/login")), "{printed}");
    assert!(printed.contains("demo-admin") && printed.contains("demo-admin-password"), "{printed}");

    let host = format!("Host: {addr}\r\nConnection: close\r\n");
    let (status, headers, _) = http(&addr, &format!("GET /login HTTP/1.1\r\n{host}\r\n"));
    assert_eq!(status, 200);
    let csrf = set_cookie(&headers, "hark_login_csrf").expect("the login form sets its CSRF cookie");
    let form = format!("username=demo-admin&password=demo-admin-password&csrf={csrf}&next=%2F");
    let (status, headers, body) = http(
        &addr,
        &format!(
            "POST /login HTTP/1.1\r\n{host}Cookie: hark_login_csrf={csrf}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
            form.len()
        ),
    );
    assert!((300..400).contains(&status), "signing in as demo-admin: {status} {body:.500}");
    let session = set_cookie(&headers, "hark_session").expect("a session cookie");
    let hostile_in_queue = cases["hostile_in_queue"].as_array().expect("hostile posts in a queue");
    assert!(!hostile_in_queue.is_empty());
    for case in hostile_in_queue {
        let item = items.get(&key(case)).unwrap_or_else(|| panic!("no item for {}", case["key"]));
        let id = count(&item["item_id"]);
        let (status, _, page) =
            http(&addr, &format!("GET /items/{id} HTTP/1.1\r\n{host}Cookie: hark_session={session}\r\n\r\n"));
        assert_eq!(status, 200, "{}: {page:.500}", case["key"]);
        let shown = case["text_starts"].as_str().expect("the post's first words");
        let words: String = shown.split_whitespace().take(4).collect::<Vec<_>>().join(" ");
        assert!(page.contains(&words), "{}: the post is on its page", case["key"]);
        // The page's own scripts come from /static/ (the CSP forbids inline ones); nothing
        // from the post runs.
        for (at, _) in page.match_indices("<script") {
            let tag = &page[at..page[at..].find('>').map_or(page.len(), |end| at + end)];
            assert!(tag.contains("src=\"/static/"), "{}: a script that is not the app's: {tag}", case["key"]);
        }
        assert!(!page.to_lowercase().contains("javascript:"), "{}: a javascript: URL on the page", case["key"]);
        for handler in ["onerror=", "onclick=", "onmouseover=", "onload="] {
            assert!(!page.to_lowercase().contains(handler), "{}: {handler} on the page", case["key"]);
        }
    }
}
