//! The `/api/v1` surface against a real store in a scratch directory: every route for every
//! role (allowed and refused), the JSON people and tools rely on (snapshots), the OpenAPI
//! document against the router, and hostile input (oversized, malformed, injected) that
//! must get a clear 4xx and change nothing.

use std::path::Path;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use hark_app::import::{CrmFormat, ImportRequest};
use hark_app::ingest::{IngestInput, IngestRequest};
use hark_app::progress::NoProgress;
use hark_app::{App, AppOptions, Caller, Config, ConfigOrigin, Role};
use serde_json::{Value, json};
use tower::ServiceExt;

const CONFIG: &str = r#"
[brand]
name = "Acme CRM"
aliases = ["acmecrm"]

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
";

/// Hand-written posts with fixed scores, so routing is exact.
fn mentions() -> String {
    let line = |source: &str, id: &str, handle: &str, text: &str, complaint: f32, intent: f32, sentiment: &str| {
        json!({
            "source": source, "external_id": id, "url": format!("https://{source}.example/{id}"),
            "author": {"handle": handle}, "text": text, "published_at": "2026-12-01T10:00:00Z",
            "signals": {"complaint": complaint, "intent": intent, "sentiment": sentiment, "cues": ["cue"]}
        })
        .to_string()
    };
    [
        line(
            "reddit",
            "t3_a",
            "mayachen_ops",
            "Acme Sync lost our shipment data again. Third time this month.",
            0.93,
            0.05,
            "negative",
        ),
        line(
            "hackernews",
            "101",
            "alice_dev",
            "Comparing Acme CRM and Pipedrive pricing for a 20 person team, any advice?",
            0.1,
            0.9,
            "neutral",
        ),
        line(
            "hackernews",
            "102",
            "tokafor",
            "We want to add Acme Inbox seats for the new office. Who do I talk to?",
            0.05,
            0.88,
            "neutral",
        ),
        line(
            "reddit",
            "t3_b",
            "randomuser",
            "Acme support never answered my ticket, really disappointed.",
            0.9,
            0.05,
            "negative",
        ),
        line("reddit", "t3_c", "chatter", "Nice weather for a conference today.", 0.02, 0.03, "positive"),
    ]
    .join("\n")
}

struct Fixture {
    _dir: tempfile::TempDir,
    app: App,
    router: Router,
    tokens: Vec<(Role, String)>,
}

impl Fixture {
    async fn new() -> Self {
        let dir = tempfile::tempdir().expect("the fixture and the API behave as built");
        let config = Config::parse(CONFIG, Path::new("hark.toml")).expect("the fixture and the API behave as built");
        let options = AppOptions {
            config_path: dir.path().join("hark.toml"),
            config_explicit: false,
            data_dir: dir.path().join("data"),
        };
        let app = App::with_config(options, config, ConfigOrigin::File);
        let admin = Caller::local();
        let crm = dir.path().join("crm.csv");
        std::fs::write(&crm, CUSTOMERS).expect("the fixture and the API behave as built");
        let request = ImportRequest { file: crm, format: CrmFormat::Auto, dry_run: false };
        hark_app::import::import_customers(&app, &admin, &request, &mut NoProgress)
            .await
            .expect("the fixture and the API behave as built");
        let posts = dir.path().join("posts.jsonl");
        std::fs::write(&posts, mentions()).expect("the fixture and the API behave as built");
        let request = IngestRequest { input: IngestInput::File(posts), source: None, batch_size: 100, classify: false };
        let report = hark_app::ingest::ingest(&app, &admin, request, &mut NoProgress)
            .await
            .expect("the fixture and the API behave as built");
        assert_eq!(report.new, 5, "{report:?}");
        let mut tokens = Vec::new();
        for role in Role::ALL {
            let user = hark_app::users::add_user(&app, &admin, role.as_str(), role, None)
                .await
                .expect("the fixture and the API behave as built");
            tokens.push((role, user.token));
        }
        let router = hark_server::router(app.clone());
        Self { _dir: dir, app, router, tokens }
    }

    fn token(&self, role: Role) -> &str {
        &self.tokens.iter().find(|(r, _)| *r == role).expect("the fixture and the API behave as built").1
    }

    async fn call(&self, method: Method, uri: &str, token: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let body = match body {
            Some(body) => {
                request = request.header("content-type", "application/json");
                Body::from(body.to_string())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).expect("the fixture and the API behave as built")).await
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        let response = self.router.clone().oneshot(request).await.expect("the fixture and the API behave as built");
        let status = response.status();
        let json = response.headers().get("content-type").is_some_and(|value| value == "application/json");
        let bytes = axum::body::to_bytes(response.into_body(), 16 << 20)
            .await
            .expect("the fixture and the API behave as built");
        let text = || Value::String(String::from_utf8_lossy(&bytes).into());
        let value = if json { serde_json::from_slice(&bytes).unwrap_or_else(|_| text()) } else { text() };
        (status, value)
    }

    async fn get(&self, role: Role, uri: &str) -> (StatusCode, Value) {
        self.call(Method::GET, uri, Some(self.token(role)), None).await
    }

    /// The item id of the mention with this external id.
    async fn item_of(&self, external_id: &str) -> i64 {
        let (status, items) = self.get(Role::Admin, "/api/v1/queues/service/items").await;
        assert_eq!(status, StatusCode::OK);
        let mut all = items.as_array().expect("the fixture and the API behave as built").clone();
        for queue in ["sales", "community"] {
            all.extend(
                self.get(Role::Admin, &format!("/api/v1/queues/{queue}/items"))
                    .await
                    .1
                    .as_array()
                    .expect("the fixture and the API behave as built")
                    .clone(),
            );
        }
        all.iter().find(|item| item["external_id"] == external_id).expect("the fixture and the API behave as built")["item_id"].as_i64().expect("the fixture and the API behave as built")
    }
}

/// Replaces what changes from run to run (times, ids made at random) with placeholders.
fn scrub(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                let volatile = matches!(
                    key.as_str(),
                    "at" | "created_at" | "updated_at" | "due_at" | "since" | "id" | "item_id" | "customer_id"
                ) && !field.is_null();
                if volatile && !field.is_object() {
                    *field = Value::String(format!("[{key}]"));
                } else {
                    scrub(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(scrub),
        _ => {}
    }
}

fn snapshot(mut value: Value) -> String {
    scrub(&mut value);
    serde_json::to_string_pretty(&value).expect("the fixture and the API behave as built")
}

#[tokio::test]
async fn each_post_lands_in_its_queue_with_its_customer() {
    let fixture = Fixture::new().await;
    let (status, counts) = fixture.get(Role::Admin, "/api/v1/queues").await;
    assert_eq!(status, StatusCode::OK);
    insta::assert_snapshot!("queue_counts_admin", snapshot(counts));
    let (_, service) = fixture.get(Role::Service, "/api/v1/queues/service/items").await;
    insta::assert_snapshot!("service_queue", snapshot(service));
    let (_, sales) = fixture.get(Role::Sales, "/api/v1/queues/sales/items").await;
    let sales = sales.as_array().expect("the fixture and the API behave as built");
    assert_eq!(sales.len(), 2);
    let expansion =
        sales.iter().find(|item| item["external_id"] == "102").expect("the fixture and the API behave as built");
    assert_eq!(expansion["customer"]["crm_ref"], "CRM-0002");
    assert!(
        expansion["tags"].as_array().expect("the fixture and the API behave as built").contains(&json!("expansion")),
        "{expansion}"
    );
    let prospect =
        sales.iter().find(|item| item["external_id"] == "101").expect("the fixture and the API behave as built");
    assert!(prospect["customer"].is_null());
    assert!(
        prospect["tags"].as_array().expect("the fixture and the API behave as built").contains(&json!("competitor")),
        "{prospect}"
    );
    let (_, community) = fixture.get(Role::Community, "/api/v1/queues/community/items").await;
    let community: Vec<&str> = community
        .as_array()
        .expect("the fixture and the API behave as built")
        .iter()
        .map(|item| item["external_id"].as_str().expect("the fixture and the API behave as built"))
        .collect();
    assert_eq!(community, ["t3_b"]);
    // Filters by signal: the flags routing used, or the sentiment.
    let (_, negative) = fixture.get(Role::Admin, "/api/v1/queues/service/items?signal=negative").await;
    assert_eq!(negative.as_array().expect("the fixture and the API behave as built").len(), 1);
    let (_, complaints) = fixture.get(Role::Admin, "/api/v1/queues/sales/items?signal=complaint").await;
    assert_eq!(complaints.as_array().expect("the fixture and the API behave as built").len(), 0, "{complaints}");
    let (_, intent) = fixture.get(Role::Admin, "/api/v1/queues/sales/items?signal=intent").await;
    assert_eq!(intent.as_array().expect("the fixture and the API behave as built").len(), 2);
    // The chatter post is in no queue.
    let (_, counts) = fixture.get(Role::Admin, "/api/v1/queues").await;
    let total: i64 = counts["queues"]
        .as_object()
        .expect("the fixture and the API behave as built")
        .values()
        .map(|states| states["new"].as_i64().expect("the fixture and the API behave as built"))
        .sum();
    assert_eq!(total, 4);
}

/// (method, uri, body, roles allowed). Refused roles must get 403 with code `forbidden`.
fn route_table(item: i64) -> Vec<(Method, String, Option<Value>, &'static [Role])> {
    use Role::*;
    const ALL: &[Role] = &[Admin, Community, Sales, Service];
    vec![
        (Method::GET, "/api/v1/queues".into(), None, ALL),
        (Method::GET, "/api/v1/queues/service/items".into(), None, &[Admin, Service]),
        (Method::GET, "/api/v1/queues/sales/items".into(), None, &[Admin, Sales]),
        (Method::GET, "/api/v1/queues/community/items".into(), None, &[Admin, Community]),
        (Method::GET, format!("/api/v1/items/{item}"), None, &[Admin, Service]),
        (Method::POST, format!("/api/v1/items/{item}/notes"), Some(json!({"text": "looking"})), &[Admin, Service]),
        (Method::POST, format!("/api/v1/items/{item}/assign"), Some(json!({"assignee": "service"})), &[Admin, Service]),
        (Method::GET, "/api/v1/search?q=acme".into(), None, ALL),
        (Method::GET, "/api/v1/prospects".into(), None, &[Admin, Sales]),
        (Method::GET, "/api/v1/customers".into(), None, &[Admin, Sales, Service]),
        (Method::GET, "/api/v1/customers/CRM-0001".into(), None, &[Admin, Sales, Service]),
        (Method::GET, "/api/v1/matches".into(), None, &[Admin, Community, Service]),
        (Method::GET, "/api/v1/sources".into(), None, ALL),
        (Method::GET, "/api/v1/stats".into(), None, ALL),
        (Method::GET, "/api/v1/labels".into(), None, &[Admin]),
        (Method::GET, "/api/v1/me".into(), None, ALL),
        (Method::GET, "/api/v1/audit".into(), None, &[Admin]),
        (Method::GET, "/api/v1/exports/queues/sales?crm=hubspot".into(), None, &[Admin, Sales]),
        (Method::GET, "/api/v1/exports/queues/service?format=jsonl".into(), None, &[Admin, Service]),
        (Method::GET, "/api/v1/exports/prospects?crm=salesforce".into(), None, &[Admin, Sales]),
    ]
}

#[tokio::test]
async fn every_route_answers_each_role_as_the_rules_say() {
    let fixture = Fixture::new().await;
    let item = fixture.item_of("t3_a").await;
    for (method, uri, body, allowed) in route_table(item) {
        let (status, answer) = fixture.call(method.clone(), &uri, None, body.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {uri} without a token: {answer}");
        assert_eq!(answer["error"]["code"], "unauthenticated");
        let (status, _) = fixture.call(method.clone(), &uri, Some("hark_0000"), body.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {uri} with a bad token");
        for role in Role::ALL {
            let (status, answer) = fixture.call(method.clone(), &uri, Some(fixture.token(role)), body.clone()).await;
            if allowed.contains(&role) {
                assert_eq!(status, StatusCode::OK, "{method} {uri} as {role}: {answer}");
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{method} {uri} as {role}: {answer}");
                assert_eq!(answer["error"]["code"], "forbidden", "{answer}");
            }
        }
    }
    // Importing customers is for admins only.
    for role in [Role::Service, Role::Sales, Role::Community] {
        let request = Request::post("/api/v1/customers/import")
            .header("authorization", format!("Bearer {}", fixture.token(role)))
            .body(Body::from(CUSTOMERS))
            .expect("the fixture and the API behave as built");
        assert_eq!(fixture.send(request).await.0, StatusCode::FORBIDDEN, "import as {role}");
    }
    let request = Request::post("/api/v1/customers/import?dry_run=true")
        .header("authorization", format!("Bearer {}", fixture.token(Role::Admin)))
        .body(Body::from(CUSTOMERS))
        .expect("the fixture and the API behave as built");
    let (status, report) = fixture.send(request).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["unchanged"], 2, "{report}");
}

#[tokio::test]
async fn contact_details_follow_the_role_and_their_viewing_is_audited() {
    let fixture = Fixture::new().await;
    let (_, as_service) = fixture.get(Role::Service, "/api/v1/customers/CRM-0001").await;
    let (_, as_sales) = fixture.get(Role::Sales, "/api/v1/customers/CRM-0001").await;
    assert_eq!(as_service["contact_details"], true);
    assert_eq!(as_sales["contact_details"], false);
    assert!(as_service.to_string().contains("maya@brightpath.example"));
    assert!(!as_sales.to_string().contains("maya@brightpath.example"), "{as_sales}");
    let store_log = hark_app::audit::recent(&fixture.app, &Caller::local(), 20)
        .await
        .expect("the fixture and the API behave as built");
    assert!(
        store_log.iter().any(|entry| entry.actor == "service" && entry.detail["what"] == "contact details"),
        "{store_log:?}"
    );
}

#[tokio::test]
async fn items_move_through_their_states_and_refuse_what_the_rules_forbid() {
    let fixture = Fixture::new().await;
    let item = fixture.item_of("t3_a").await;
    let uri = format!("/api/v1/items/{item}/transition");
    let token = Some(fixture.token(Role::Service));
    let (status, moved) =
        fixture.call(Method::POST, &uri, token, Some(json!({"state": "contacted", "version": 1}))).await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["state"], "contacted");
    // Someone else's change meanwhile is not overwritten.
    let (status, stale) =
        fixture.call(Method::POST, &uri, token, Some(json!({"state": "resolved", "version": 1}))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    insta::assert_snapshot!("stale_version", snapshot(stale));
    let (status, done) = fixture.call(Method::POST, &uri, token, Some(json!({"state": "resolved"}))).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let (status, invalid) = fixture.call(Method::POST, &uri, token, Some(json!({"state": "contacted"}))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    insta::assert_snapshot!("invalid_transition", snapshot(invalid));
    let (status, reopened) = fixture.call(Method::POST, &uri, token, Some(json!({"state": "new"}))).await;
    assert_eq!(status, StatusCode::OK);
    let history: Vec<String> = reopened["history"]
        .as_array()
        .expect("the fixture and the API behave as built")
        .iter()
        .map(|entry| {
            format!(
                "{} {} {}",
                entry["action"].as_str().expect("the fixture and the API behave as built"),
                entry["from"],
                entry["to"]
            )
        })
        .collect();
    insta::assert_snapshot!("history_after_reopen", history.join("\n"));
}

#[tokio::test]
async fn dismissing_teaches_labels_and_wrong_customer_reroutes() {
    let fixture = Fixture::new().await;
    let community = fixture.item_of("t3_b").await;
    let token = Some(fixture.token(Role::Community));
    let uri = format!("/api/v1/items/{community}/transition");
    let (status, answer) =
        fixture.call(Method::POST, &uri, token, Some(json!({"state": "dismissed", "reason": "not a complaint"}))).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (_, labels) = fixture.get(Role::Admin, "/api/v1/labels").await;
    insta::assert_snapshot!("labels_after_dismissal", snapshot(labels));

    let service = fixture.item_of("t3_a").await;
    let uri = format!("/api/v1/items/{service}/transition");
    let token = Some(fixture.token(Role::Service));
    let (status, answer) =
        fixture.call(Method::POST, &uri, token, Some(json!({"state": "dismissed", "reason": "wrong customer"}))).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    // No longer a customer's complaint: community triage has it now, as a new item.
    let (status, moved) = fixture.get(Role::Community, &format!("/api/v1/items/{service}")).await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["queue"], "community");
    assert_eq!(moved["state"], "new");
    assert!(moved["customer"].is_null(), "{moved}");
    let (_, matches) = fixture.get(Role::Admin, "/api/v1/matches?state=rejected").await;
    assert_eq!(matches.as_array().expect("the fixture and the API behave as built").len(), 1, "{matches}");
}

#[tokio::test]
async fn the_document_lists_every_route_the_router_serves_and_no_other() {
    let fixture = Fixture::new().await;
    let (status, document) = fixture.call(Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        document["openapi"].as_str().expect("the fixture and the API behave as built").starts_with("3.1"),
        "{}",
        document["openapi"]
    );
    let mut documented: Vec<String> = Vec::new();
    for (path, operations) in document["paths"].as_object().expect("the fixture and the API behave as built") {
        for method in operations.as_object().expect("the fixture and the API behave as built").keys() {
            documented.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    documented.sort();
    insta::assert_snapshot!("documented_routes", documented.join("\n"));
    // Every documented route is served: an unauthenticated call reaches the handler's auth
    // check (401), never the router's 404 or 405.
    for route in &documented {
        let (method, path) = route.split_once(' ').expect("the fixture and the API behave as built");
        let uri = path.replace("{queue}", "service").replace("{id}", "1");
        let method = Method::from_bytes(method.as_bytes()).expect("the fixture and the API behave as built");
        let (status, answer) = fixture.call(method, &uri, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{route}: {answer}");
    }
    // Every API route the server declares is documented or one of the few public ones.
    let public = ["/healthz", "/readyz", "/api/v1/openapi.json"];
    let source_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for file in walk(&source_dir) {
        let text = std::fs::read_to_string(&file).expect("the fixture and the API behave as built");
        for (index, _) in text.match_indices("path = \"") {
            let rest = &text[index + 8..];
            let path = &rest[..rest.find('"').expect("the fixture and the API behave as built")];
            assert!(documented.iter().any(|route| route.ends_with(&format!(" {path}"))), "{path} in {file:?}");
        }
        for (index, _) in text.match_indices(".route(\"") {
            let rest = &text[index + 8..];
            let path = &rest[..rest.find('"').expect("the fixture and the API behave as built")];
            // Pages of the web app are not API routes; every API route must be documented.
            let api = path.starts_with("/api/");
            assert!(!api || public.contains(&path), "{path} in {file:?} is served without being documented");
        }
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("the fixture and the API behave as built") {
        let path = entry.expect("the fixture and the API behave as built").path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}

#[tokio::test]
async fn hostile_input_gets_a_clear_4xx_and_changes_nothing() {
    let fixture = Fixture::new().await;
    let before = fixture.get(Role::Admin, "/api/v1/queues").await.1;
    let item = fixture.item_of("t3_a").await;
    let admin = fixture.token(Role::Admin);
    let transition = format!("/api/v1/items/{item}/transition");
    let huge = "x".repeat(hark_server::BODY_LIMIT + 1);
    let cases: Vec<(Method, String, Option<String>, StatusCode, &str)> = vec![
        (
            Method::POST,
            transition.clone(),
            Some(format!("{{\"state\": \"{huge}\"}}")),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (Method::POST, transition.clone(), Some("{\"state\": ".into()), StatusCode::BAD_REQUEST, "invalid_json"),
        (Method::POST, transition.clone(), Some("[1, 2]".into()), StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        (
            Method::POST,
            transition.clone(),
            Some("{\"state\": \"resolved\", \"force\": true}".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            Method::POST,
            transition.clone(),
            Some("{\"state\": \"resolved'; DROP TABLE queue_items; --\"}".into()),
            StatusCode::BAD_REQUEST,
            "invalid_state",
        ),
        (
            Method::GET,
            "/api/v1/queues/service'%20OR%201=1--/items".into(),
            None,
            StatusCode::BAD_REQUEST,
            "invalid_queue",
        ),
        (
            Method::GET,
            "/api/v1/queues/service/items?state=new'%20OR%20'1'='1".into(),
            None,
            StatusCode::BAD_REQUEST,
            "invalid_state",
        ),
        (Method::GET, "/api/v1/queues/service/items?limit=-1".into(), None, StatusCode::BAD_REQUEST, "invalid_limit"),
        (
            Method::GET,
            "/api/v1/queues/service/items?signal=1%20OR%201".into(),
            None,
            StatusCode::BAD_REQUEST,
            "invalid_signal",
        ),
        (
            Method::GET,
            "/api/v1/queues/service/items?limit=abc".into(),
            None,
            StatusCode::BAD_REQUEST,
            "invalid_query_string",
        ),
        (
            Method::GET,
            "/api/v1/queues/service/items?drop=1".into(),
            None,
            StatusCode::BAD_REQUEST,
            "invalid_query_string",
        ),
        (Method::GET, "/api/v1/items/1%20OR%201=1".into(), None, StatusCode::BAD_REQUEST, "invalid_path"),
        (Method::GET, "/api/v1/search?q=acme%20AND%20(".into(), None, StatusCode::BAD_REQUEST, "invalid_query"),
        (Method::GET, "/api/v1/search?q=text:%22unclosed".into(), None, StatusCode::BAD_REQUEST, "invalid_query"),
        (Method::GET, "/api/v1/customers/x'%20OR%20'1'='1".into(), None, StatusCode::NOT_FOUND, "not_found"),
        (
            Method::POST,
            "/api/v1/matches/decide".into(),
            Some("{\"decision\": \"confirm\", \"mention\": \"m_x'--\", \"customer\": \"CRM-0001\"}".into()),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (Method::GET, "/api/v1/nowhere".into(), None, StatusCode::NOT_FOUND, "not_found"),
    ];
    for (method, uri, body, expected, code) in cases {
        let mut request =
            Request::builder().method(method.clone()).uri(&uri).header("authorization", format!("Bearer {admin}"));
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let request =
            request.body(body.map_or_else(Body::empty, Body::from)).expect("the fixture and the API behave as built");
        let (status, answer) = fixture.send(request).await;
        let shown = uri.chars().take(80).collect::<String>();
        assert_eq!(status, expected, "{method} {shown}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{method} {shown}: {answer}");
        assert!(answer["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{answer}");
    }
    let (_, invalid_query) = fixture.get(Role::Admin, "/api/v1/search?q=acme%20AND%20(").await;
    insta::assert_snapshot!("invalid_query", snapshot(invalid_query));
    assert_eq!(fixture.get(Role::Admin, "/api/v1/queues").await.1, before, "hostile requests changed nothing");
}

#[tokio::test]
async fn exports_fit_the_crm_importers() {
    let fixture = Fixture::new().await;
    let (status, csv) = fixture.get(Role::Sales, "/api/v1/exports/queues/sales?crm=hubspot").await;
    assert_eq!(status, StatusCode::OK);
    insta::assert_snapshot!("sales_queue_hubspot_csv", csv.as_str().expect("the fixture and the API behave as built"));
    let (status, jsonl) =
        fixture.get(Role::Service, "/api/v1/exports/queues/service?format=jsonl&crm=salesforce").await;
    assert_eq!(status, StatusCode::OK);
    let rows: Vec<Value> = jsonl
        .as_str()
        .expect("the fixture and the API behave as built")
        .lines()
        .map(|line| serde_json::from_str(line).expect("the fixture and the API behave as built"))
        .collect();
    assert_eq!(rows.len(), 1);
    // The customer's own CRM id, so the import updates the record instead of duplicating it.
    assert_eq!(rows[0]["Contact ID"], "CRM-0001");
    assert_eq!(rows[0]["Email"], "maya@brightpath.example");
    assert_eq!(rows[0]["Company"], "BrightPath Logistics");
}
