//! The store the browser tests work on: customers, scored posts (hostile ones among them)
//! and one user per role with a known password.

use std::path::Path;

use chrono::Utc;
use hark_app::import::{CrmFormat, ImportRequest};
use hark_app::ingest::{IngestInput, IngestRequest};
use hark_app::progress::NoProgress;
use hark_app::{App, AppOptions, Caller, Config, ConfigOrigin, Role};
use hark_core::{Mention, SourceKind};
use serde_json::{Value, json};

const CONFIG: &str = r#"
[brand]
name = "Acme CRM"
aliases = ["acmecrm"]
products = ["Acme Sync", "Acme Inbox"]

[[competitors]]
name = "Pipedrive"
aliases = ["pipedrive"]

[routing]
complaint_threshold = 0.5
intent_threshold = 0.5
"#;

const CUSTOMERS: &str = "crm_id,name,email,company,domain,reddit,hackernews,tier
CRM-0001,Maya Chen,maya@brightpath.example,BrightPath Logistics,brightpath.example,mayachen_ops,,enterprise
CRM-0002,Tom Okafor,tom@okafor.example,Okafor Studio,okafor.example,,tokafor,smb
CRM-0004,Lars Berg,lars.berg@fjordline.example,Fjordline Freight,fjordline.example,,,silver
";

/// What hostile posts carry; each must reach the page as plain text and nothing more.
pub const SCRIPT: &str = "<script>window.__xss=1</script>";
pub const IMG: &str = "<img src=x onerror=\"window.__xss=1\">";
pub const SVG: &str = "\"><svg onload=\"window.__xss=1\">";
pub const JS_URL: &str = "javascript:window.__xss=1";
pub const DATA_URL: &str = "data:text/html,<script>window.__xss=1</script>";

/// The posts' text is HTML that ingest turns into plain text: markup written as entities
/// stays as the literal characters (as when someone posts a snippet of code).
fn as_html_text(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

pub struct Users;

impl Users {
    pub const ADMIN: (&'static str, &'static str) = ("ada", "admin passphrase 1");
    pub const SERVICE: (&'static str, &'static str) = ("sam", "service passphrase 2");
    pub const SALES: (&'static str, &'static str) = ("sol", "sales passphrase 3");
    pub const COMMUNITY: (&'static str, &'static str) = ("cam", "community passphrase 4");
}

#[derive(Debug)]
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub app: App,
    /// The admin's API token (for `/api/v1` calls made "by someone else").
    pub admin_token: String,
}

fn post(source: &str, id: &str, author: &Value, text: &str, complaint: f32, intent: f32) -> Value {
    json!({
        "source": source, "external_id": id, "url": format!("https://{source}.example/{id}"),
        "author": author, "text": text, "published_at": "2026-12-01T10:00:00Z",
        "signals": {
            "complaint": complaint, "intent": intent,
            "sentiment": if complaint > 0.5 { "negative" } else { "neutral" }, "cues": ["lost our shipment data"]
        }
    })
}

/// Hand-written posts with fixed scores, so routing is exact. External ids name them.
fn posts() -> Vec<Value> {
    let hostile = format!("Acme Sync broke again. {SCRIPT} {IMG} {SVG} see {JS_URL} or {DATA_URL}");
    let mut hostile_post = post(
        "reddit",
        "t3_hostile",
        &json!({"handle": "mayachen_ops", "name": IMG}),
        &as_html_text(&hostile),
        0.91,
        0.05,
    );
    hostile_post["title"] = json!(as_html_text(&format!("{SCRIPT}{SVG}")));
    hostile_post["url"] = json!(format!("https://evil.example/{SVG}"));
    let mut hostile_prospect = post(
        "hackernews",
        "9001",
        &json!({"handle": "pricing_hunter", "name": SVG}),
        &as_html_text(&format!("Acme CRM pricing vs Pipedrive? {SCRIPT} {JS_URL}")),
        0.05,
        0.8,
    );
    hostile_prospect["title"] = json!(as_html_text(IMG));
    // Links that are not web links never get into the store through ingest.
    let mut javascript_url = post("reddit", "t3_jsurl", &json!({"handle": "x"}), "Acme is down", 0.9, 0.1);
    javascript_url["url"] = json!(JS_URL);
    let mut data_url = post("reddit", "t3_dataurl", &json!({"handle": "y"}), "Acme is down", 0.9, 0.1);
    data_url["url"] = json!(DATA_URL);
    vec![
        post(
            "reddit",
            "t3_a",
            &json!({"handle": "mayachen_ops"}),
            "Acme Sync lost our shipment data again. Third time this month.",
            0.93,
            0.05,
        ),
        post(
            "reddit",
            "t3_d",
            &json!({"handle": "mayachen_ops"}),
            "Acme Sync export to CSV has been broken since the update.",
            0.8,
            0.05,
        ),
        post(
            "hackernews",
            "101",
            &json!({"handle": "alice_dev"}),
            "Comparing Acme CRM and Pipedrive pricing for a 20 person team, any advice?",
            0.1,
            0.9,
        ),
        post(
            "hackernews",
            "102",
            &json!({"handle": "tokafor"}),
            "We want to add Acme Inbox seats for the new office. Who do I talk to?",
            0.05,
            0.88,
        ),
        post(
            "reddit",
            "t3_b",
            &json!({"handle": "randomuser"}),
            "Acme support never answered my ticket, really disappointed.",
            0.9,
            0.05,
        ),
        post(
            "rss",
            "urn:hark-test:r8",
            &json!({"name": "Lars", "email": "lb@fjordline.example"}),
            "Acme Sync has been dropping our shipment notes since Monday and nobody answers the support line.",
            0.9,
            0.05,
        ),
        hostile_post,
        hostile_prospect,
        javascript_url,
        data_url,
    ]
}

impl Fixture {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("a scratch directory");
        let config = Config::parse(CONFIG, Path::new("hark.toml")).expect("the test configuration");
        let options = AppOptions {
            config_path: dir.path().join("hark.toml"),
            config_explicit: false,
            data_dir: dir.path().join("data"),
        };
        let app = App::with_config(options, config, ConfigOrigin::File);
        let local = Caller::local();
        let crm = dir.path().join("crm.csv");
        std::fs::write(&crm, CUSTOMERS).expect("crm.csv");
        let request = ImportRequest { file: crm, format: CrmFormat::Auto, dry_run: false };
        hark_app::import::import_customers(&app, &local, &request, &mut NoProgress).await.expect("customers imported");

        let file = dir.path().join("posts.jsonl");
        let lines: Vec<String> = posts().iter().map(Value::to_string).collect();
        std::fs::write(&file, lines.join("\n")).expect("posts.jsonl");
        let request = IngestRequest { input: IngestInput::File(file), source: None, batch_size: 100, classify: false };
        let report = hark_app::ingest::ingest(&app, &local, request, &mut NoProgress).await.expect("posts ingested");
        assert_eq!(report.new, 8, "{report:?}");
        // javascript: and data: URLs are refused at the door.
        assert_eq!(report.errors.len(), 2, "{report:?}");
        assert!(report.errors.iter().all(|error| error.message.starts_with("url:")), "{report:?}");

        // A post that reached the store by another road with a link that is no web link:
        // the pages must still never make it clickable.
        let mut stored = Mention::new(
            SourceKind::parse("web").expect("a source kind"),
            "web",
            "legacy-1",
            format!("Acme legacy import {SCRIPT} {IMG}"),
            Utc::now(),
        );
        stored.url = Some(JS_URL.to_owned());
        stored.title = Some(format!("Acme legacy {SVG}"));
        let mut data_linked = Mention::new(
            SourceKind::parse("web").expect("a source kind"),
            "web",
            "legacy-2",
            "Acme legacy import with a data link",
            Utc::now(),
        );
        data_linked.url = Some(DATA_URL.to_owned());
        let store = app.store().await.expect("the store");
        let saved = store.save_page("web", &[stored, data_linked], None).await.expect("legacy posts stored");
        assert_eq!(saved.inserted.len(), 2);

        let mut admin_token = String::new();
        for (role, (name, password)) in [
            (Role::Admin, Users::ADMIN),
            (Role::Service, Users::SERVICE),
            (Role::Sales, Users::SALES),
            (Role::Community, Users::COMMUNITY),
        ] {
            let user = hark_app::users::add_user(&app, &local, name, role, Some(password)).await.expect("a user");
            if role == Role::Admin {
                admin_token = user.token;
            }
        }
        Self { dir, app, admin_token }
    }
}
