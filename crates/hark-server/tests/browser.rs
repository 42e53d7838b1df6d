//! The web app in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`, installed by `make test` through `scripts/browser-deps.sh`) driven over
//! WebDriver against hark served in-process on loopback.
//!
//! One test walks what people do, one role after another: sign in; triage an item from the
//! keyboard from new to resolved and read its history; lose a race with another user and be
//! told; dismiss with a reason and find the training label; confirm a proposed customer
//! match and see the item leave for the service queue; search prospects by topic; be refused
//! a queue that is not one's role's. Every page is checked with axe-core (no serious or
//! critical violation) and, where strangers' posts show, for script injection in the
//! browser itself. Screenshots go to `target/screenshots/`.

#[path = "browser/fixture.rs"]
mod fixture;
#[path = "browser/harness.rs"]
mod harness;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::http::{Method, StatusCode};
use fixture::{DATA_URL, Fixture, IMG, JS_URL, SCRIPT, SVG, Users};
use harness::{Driver, Page, Server};
use serde_json::{Value, json};

/// Item ids by the external id of their post, read through the API as the admin.
async fn item_ids(app: &hark_app::App, token: &str) -> HashMap<String, i64> {
    let mut ids = HashMap::new();
    for queue in ["service", "sales", "community"] {
        let (status, items) =
            harness::api(app, Method::GET, &format!("/api/v1/queues/{queue}/items"), token, None).await;
        assert_eq!(status, StatusCode::OK, "{items}");
        for item in items.as_array().expect("a list of items") {
            let external = item["external_id"].as_str().expect("an external id").to_owned();
            ids.insert(external, item["item_id"].as_i64().expect("an item id"));
        }
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_triage_in_a_real_browser_and_nothing_a_stranger_posts_runs() {
    let started = Instant::now();
    let (driver_program, axe) = harness::require_dependencies();
    let _ = std::fs::remove_file(harness::screenshot_dir().join("failure.png"));
    let fixture = Fixture::new().await;
    let server = Server::start(fixture.app.clone()).await;
    let driver = Driver::start(&driver_program);
    let profile = fixture.dir.path().join("chromium-profile");
    std::fs::create_dir_all(&profile).expect("a browser profile directory");
    let client = harness::browser(&driver, &profile).await;
    let page = Page { client: client.clone(), base: server.base.clone(), axe: Arc::new(axe) };
    let ids = item_ids(&fixture.app, &fixture.admin_token).await;

    // The scenarios run in their own task so that a failure still closes the browser
    // session (and leaves a picture of where it stopped) before the driver is killed.
    let scenarios = {
        let page = page.clone();
        let server = Api { app: fixture.app.clone(), token: fixture.admin_token.clone() };
        tokio::spawn(async move {
            run_scenarios(&page, &server, &ids).await;
        })
    };
    let outcome = scenarios.await;
    if outcome.is_err() {
        // Best effort: the browser may be what failed.
        if let Ok(png) = client.screenshot().await {
            let shot = harness::screenshot_dir().join("failure.png");
            if std::fs::create_dir_all(harness::screenshot_dir()).and_then(|()| std::fs::write(&shot, png)).is_ok() {
                let url = client.current_url().await.map(|url| url.to_string()).unwrap_or_default();
                eprintln!("browser tests failed on {url}; picture: {}", shot.display());
            }
        }
    }
    let _ = client.close().await;
    drop(driver);
    server.stop().await;
    if let Err(failure) = outcome {
        std::panic::resume_unwind(failure.into_panic());
    }
    eprintln!("browser tests passed in {:.1} s", started.elapsed().as_secs_f64());
}

/// The API as the admin: "someone else" acting meanwhile, and what the store now says.
struct Api {
    app: hark_app::App,
    token: String,
}

impl Api {
    async fn api(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        harness::api(&self.app, method, path, &self.token, body).await
    }

    async fn item(&self, id: i64) -> Value {
        let (status, item) = self.api(Method::GET, &format!("/api/v1/items/{id}"), None).await;
        assert_eq!(status, StatusCode::OK, "{item}");
        item
    }
}

async fn run_scenarios(page: &Page, server: &Api, ids: &HashMap<String, i64>) {
    let id = |external: &str| *ids.get(external).unwrap_or_else(|| panic!("no item for post {external}: {ids:?}"));

    signing_in(page).await;
    keyboard_triage(page, server, id("t3_a")).await;
    stale_changes_are_refused(page, server, id("t3_d")).await;
    service_pages_are_inert_and_accessible(page, id("t3_hostile")).await;

    page.sign_in(Users::COMMUNITY.0, Users::COMMUNITY.1).await;
    dismissing_teaches_a_label(page, server, id("t3_b")).await;
    confirming_a_match_moves_the_item_to_service(page, server, id("urn:hark-test:r8")).await;

    page.sign_in(Users::SALES.0, Users::SALES.1).await;
    prospects_by_topic(page).await;
    sales_is_refused_the_service_queue(page).await;

    page.sign_in(Users::ADMIN.0, Users::ADMIN.1).await;
    admin_pages(page, id("urn:hark-test:r8")).await;
}

async fn signing_in(page: &Page) {
    page.goto("/queues/service").await;
    assert!(page.path().await.starts_with("/login?next="), "a stranger is sent to sign in: {}", page.path().await);
    page.find("#login").await;
    page.assert_accessible("the sign-in page").await;
    // A wrong password is told as such, on the same page.
    page.find("#username").await.send_keys(Users::SERVICE.0).await.expect("typing");
    page.find("#password").await.send_keys("not the password at all").await.expect("typing");
    page.find("#login button[type=submit]").await.click().await.expect("submitting");
    let problem = page.text("p.error[role=alert]").await;
    assert!(!problem.is_empty(), "a failed sign-in says why");
    assert_eq!(page.path().await.split('?').next(), Some("/login"));

    page.sign_in(Users::SERVICE.0, Users::SERVICE.1).await;
    assert_eq!(page.path().await, "/queues/service");
    assert_eq!(page.text("main h1").await, "Service inbox");
    let user = page.text("header .user").await;
    assert!(user.contains(Users::SERVICE.0) && user.contains("service"), "{user}");
}

/// The selected row's item id.
async fn selected(page: &Page) -> Option<i64> {
    page.run("const row = document.querySelector('tr.item.selected'); return row ? Number(row.dataset.itemId) : null;")
        .await
        .as_i64()
}

async fn row_state(page: &Page, id: i64) -> String {
    page.run(&format!("return document.querySelector('tr.item[data-item-id=\"{id}\"] td.state').textContent.trim();"))
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn wait_row_state(page: &Page, id: i64, state: &str) {
    page.wait_until(
        &format!("item {id} shown as {state}"),
        &format!("const cell = document.querySelector('tr.item[data-item-id=\"{id}\"] td.state'); return !!cell && cell.textContent.trim() === '{state}';"),
    )
    .await;
}

/// j/k move, a assigns to me, c contacted, r resolved, Enter opens: the history lists it all.
async fn keyboard_triage(page: &Page, server: &Api, id: i64) {
    page.goto("/queues/service").await;
    page.find("tr.item.selected").await;
    let rows: Vec<i64> = serde_json::from_value(
        page.run("return Array.from(document.querySelectorAll('tr.item')).map(row => Number(row.dataset.itemId));")
            .await,
    )
    .expect("row ids");
    let target =
        rows.iter().position(|row| *row == id).unwrap_or_else(|| panic!("item {id} is not in the inbox: {rows:?}"));
    assert!(rows.len() >= 2, "the service inbox has several items: {rows:?}");
    assert_eq!(selected(page).await, Some(rows[0]), "the first row is selected when the inbox opens");
    page.press("j").await;
    assert_eq!(selected(page).await, Some(rows[1]), "j moves down");
    page.press("k").await;
    assert_eq!(selected(page).await, Some(rows[0]), "k moves up");
    page.press(&"j".repeat(target)).await;
    assert_eq!(selected(page).await, Some(id), "j reaches the item");
    assert_eq!(row_state(page, id).await, "new");

    page.press("a").await;
    wait_row_state(page, id, "assigned").await;
    let assignee = page
        .run(&format!("return document.querySelector('tr.item[data-item-id=\"{id}\"] td.assignee').textContent;"))
        .await;
    assert_eq!(assignee, Users::SERVICE.0, "a assigns to me");
    // Quick typing: r is pressed while c is still on its way, and both land.
    page.press("cr").await;
    wait_row_state(page, id, "resolved").await;
    // u undoes my last action, and r does it again.
    page.press("u").await;
    wait_row_state(page, id, "contacted").await;
    page.press("r").await;
    wait_row_state(page, id, "resolved").await;
    // ? shows the keys, Escape hides them.
    page.press("?").await;
    page.wait_until("the keys shown", "return !document.getElementById('keys-help').hidden;").await;
    page.press("\u{E00C}").await; // Escape
    page.wait_until("the keys hidden", "return document.getElementById('keys-help').hidden;").await;
    let flash = page.text("#flash").await;
    assert!(flash.contains("resolved"), "the flash says what happened: {flash:?}");
    let stored = server.item(id).await;
    assert_eq!(stored["state"], "resolved", "{stored}");

    page.press("\u{E007}").await; // Enter
    page.wait_until("the item page", &format!("return location.pathname === '/items/{id}';")).await;
    assert_eq!(page.text("#state").await, "resolved");
    let history: Vec<String> = serde_json::from_value(
        page.run("return Array.from(document.querySelectorAll('#history li')).map(li => li.textContent);").await,
    )
    .expect("history entries");
    let joined = history.join("\n");
    for (from, to) in [("new", "assigned"), ("assigned", "contacted"), ("contacted", "resolved")] {
        assert!(
            history.iter().any(|entry| entry.contains(&format!("{from} → {to}")) && entry.contains(Users::SERVICE.0)),
            "the history lists {from} → {to} by {}:\n{joined}",
            Users::SERVICE.0
        );
    }
    page.assert_accessible("an item page").await;
    page.screenshot("item").await;
}

/// Someone else moves the item after the page loaded: the page's action is refused with a
/// clear message, nothing is overwritten.
async fn stale_changes_are_refused(page: &Page, server: &Api, id: i64) {
    // From the inbox, with the keyboard.
    page.goto("/queues/service").await;
    let rows: Vec<i64> = serde_json::from_value(
        page.run("return Array.from(document.querySelectorAll('tr.item')).map(row => Number(row.dataset.itemId));")
            .await,
    )
    .expect("row ids");
    let target =
        rows.iter().position(|row| *row == id).unwrap_or_else(|| panic!("item {id} is not in the inbox: {rows:?}"));
    let (status, moved) =
        server.api(Method::POST, &format!("/api/v1/items/{id}/transition"), Some(json!({"state": "contacted"}))).await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    page.press(&"j".repeat(target)).await;
    assert_eq!(selected(page).await, Some(id));
    page.press("r").await;
    page.wait_until("the conflict message", "const f = document.getElementById('flash'); return !!f && f.classList.contains('error') && f.textContent.length > 0;").await;
    let flash = page.text("#flash").await;
    assert!(flash.contains("changed since you loaded it"), "the conflict is explained: {flash:?}");
    assert_eq!(row_state(page, id).await, "new", "the row is left as it was loaded");
    assert_eq!(server.item(id).await["state"], "contacted", "the other change stands");

    // On the item page, with its buttons (a plain form post).
    page.goto(&format!("/items/{id}")).await;
    page.find("#state").await;
    let (status, taken) = server
        .api(Method::POST, &format!("/api/v1/items/{id}/assign"), Some(json!({"assignee": Users::ADMIN.0})))
        .await;
    assert_eq!(status, StatusCode::OK, "{taken}");
    page.find("button[data-action=resolved]").await.click().await.expect("clicking Resolve");
    page.wait_heading("Changed meanwhile").await;
    assert!(page.text("main p.message").await.contains("changed since you loaded it"));
    let after = server.item(id).await;
    assert_eq!((&after["state"], &after["assignee"]), (&taken["state"], &taken["assignee"]), "the other change stands");
}

/// The inbox, an item, search and the customer page show hostile posts as text only.
async fn service_pages_are_inert_and_accessible(page: &Page, hostile: i64) {
    page.goto("/queues/service?state=all").await;
    page.find(&format!("tr.item[data-item-id=\"{hostile}\"]")).await;
    // The inbox shows the author's name and a snippet of the text.
    page.assert_inert("the inbox", &[IMG, SCRIPT]).await;
    page.assert_accessible("the service inbox").await;
    page.screenshot("inbox").await;

    page.goto(&format!("/items/{hostile}")).await;
    page.find("#item").await;
    page.wait_until(
        "the cues",
        "const c = document.getElementById('cues'); return !!c && !c.textContent.startsWith('Loading');",
    )
    .await;
    page.assert_inert("the item page", &[SCRIPT, IMG, SVG, JS_URL, DATA_URL]).await;
    assert_eq!(page.text("main h1").await, format!("{SCRIPT}{SVG}"), "the title is text");
    let original = page.find("p.original a").await;
    assert_eq!(original.attr("rel").await.expect("rel").as_deref(), Some("noopener noreferrer nofollow ugc"));
    let href = original.attr("href").await.expect("href").unwrap_or_default();
    assert!(href.starts_with("https://evil.example/"), "{href}");
    page.assert_accessible("the hostile item page").await;
    page.screenshot("item-hostile").await;

    page.goto("/search?q=acme").await;
    page.find("#results").await;
    let shown = page.text("#results").await;
    assert!(shown.contains("Acme legacy"), "the stored legacy posts are found: {shown}");
    page.assert_inert("search results", &[SCRIPT, IMG, SVG, JS_URL]).await;
    // Non-web links are shown as inert text, never as links.
    let inert: Vec<String> = serde_json::from_value(
        page.run("return Array.from(document.querySelectorAll('#results .inert-url')).map(e => e.textContent);").await,
    )
    .expect("inert urls");
    assert!(inert.len() >= 2, "the javascript: and data: posts show their link as text: {inert:?}");
    page.assert_accessible("search results").await;

    page.goto("/search?q=acme%20AND%20(").await;
    assert!(page.text("#query-error").await.contains("invalid query"), "a malformed query shows where it broke");

    page.goto("/customers/CRM-0001").await;
    assert_eq!(page.text("main h1").await, "Maya Chen");
    assert_eq!(page.text("#customer-email").await, "maya@brightpath.example", "the service team sees contact details");
    page.assert_inert("the customer page", &[SCRIPT, IMG, SVG, JS_URL, DATA_URL]).await;
    page.assert_accessible("the customer page").await;
}

/// The community dismisses an item with a reason from the item page; the reason becomes a
/// training label.
async fn dismissing_teaches_a_label(page: &Page, server: &Api, id: i64) {
    assert_eq!(page.path().await, "/queues/community");
    page.goto(&format!("/items/{id}")).await;
    page.find("#dismiss #dismiss-reason").await.select_by_value("not a complaint").await.expect("choosing a reason");
    page.find("#dismiss button[type=submit]").await.click().await.expect("dismissing");
    page.wait_until(
        "the item dismissed",
        "const s = document.getElementById('state'); return !!s && s.textContent === 'dismissed';",
    )
    .await;
    let history = page.text("#history").await;
    assert!(history.contains("→ dismissed") && history.contains("not a complaint"), "{history}");

    let (status, labels) = server.api(Method::GET, "/api/v1/labels", None).await;
    assert_eq!(status, StatusCode::OK, "{labels}");
    let label = labels
        .as_array()
        .expect("labels")
        .iter()
        .find(|label| label["text"].as_str().is_some_and(|text| text.starts_with("Acme support never answered")))
        .unwrap_or_else(|| panic!("no label for the dismissed post: {labels}"));
    assert_eq!(label["label"], "not_complaint", "{label}");
    assert_eq!(label["task"], "complaint", "{label}");
    assert_eq!(label["actor"], Users::COMMUNITY.0, "{label}");
}

/// A proposed match confirmed from the item page: the item leaves community triage for the
/// service queue.
async fn confirming_a_match_moves_the_item_to_service(page: &Page, server: &Api, id: i64) {
    page.goto(&format!("/items/{id}")).await;
    assert_eq!(page.text("#match-state").await, "proposed");
    assert!(page.text("#customer-link").await.contains("CRM-0004"));
    page.find("button[data-action=match-confirm]").await.click().await.expect("confirming");
    // Service work is not the community's: the page goes back to their inbox, without it.
    page.wait_until("back in the inbox", "return location.pathname === '/queues/community';").await;
    assert!(
        page.find_all(&format!("tr.item[data-item-id=\"{id}\"]")).await.is_empty(),
        "the item left community triage"
    );
    let moved = server.item(id).await;
    assert_eq!(moved["queue"], "service", "{moved}");
    assert_eq!(moved["customer"]["state"], "confirmed", "{moved}");
}

async fn prospects_by_topic(page: &Page) {
    assert_eq!(page.path().await, "/queues/sales");
    page.goto("/prospects").await;
    page.find("#topic").await.send_keys("pricing").await.expect("typing a topic");
    page.find("form.filters button[type=submit]").await.click().await.expect("searching");
    page.wait_until("the topic in the address", "return location.search.includes('topic=pricing');").await;
    let authors: Vec<String> = serde_json::from_value(
        page.run("return Array.from(document.querySelectorAll('#prospects tbody tr td:first-child')).map(td => td.textContent);").await,
    )
    .expect("prospect authors");
    assert!(authors.contains(&"alice_dev".to_owned()), "{authors:?}");
    assert!(authors.contains(&"pricing_hunter".to_owned()), "{authors:?}");
    assert!(!authors.contains(&"tokafor".to_owned()), "only prospects who talk about the topic: {authors:?}");
    page.assert_inert("prospects", &[]).await;
    page.assert_accessible("prospects").await;
    page.screenshot("prospects").await;

    page.goto("/queues/sales").await;
    page.assert_inert("the sales inbox", &[SVG, SCRIPT]).await;
    page.assert_accessible("the sales inbox").await;
}

async fn sales_is_refused_the_service_queue(page: &Page) {
    page.goto("/queues/service").await;
    assert_eq!(page.text("main h1").await, "Not for your role");
    assert_eq!(page.status_of_current().await, 403);
    let nav = page.text("header nav").await;
    assert!(!nav.contains("Service"), "the navigation offers only the sales queue: {nav}");
}

async fn admin_pages(page: &Page, confirmed: i64) {
    page.goto("/queues/service").await;
    page.find(&format!("tr.item[data-item-id=\"{confirmed}\"]")).await;
    let customer = page.text(&format!("tr.item[data-item-id=\"{confirmed}\"] .customer")).await;
    assert!(customer.contains("Lars Berg"), "the confirmed customer shows in the service inbox: {customer}");

    page.goto("/sources").await;
    page.find("#sources").await;
    page.assert_accessible("sources").await;

    page.goto("/dashboard").await;
    page.wait_until(
        "the charts",
        "const imgs = Array.from(document.querySelectorAll('figure.chart img'));\
         return imgs.length === 5 && imgs.every(img => img.complete && img.naturalWidth > 0);",
    )
    .await;
    page.assert_accessible("the dashboard").await;
    page.screenshot("dashboard").await;

    page.goto("/admin").await;
    page.find("#users").await;
    let users = page.text("#users").await;
    for name in [Users::ADMIN.0, Users::SERVICE.0, Users::SALES.0, Users::COMMUNITY.0] {
        assert!(users.contains(name), "{users}");
    }
    page.assert_accessible("admin").await;

    the_injection_checks_see_injected_markup(page).await;
}

/// The checks above would notice markup that got in: markup inserted into the page is seen,
/// and the Content-Security-Policy still keeps its inline handler from running.
async fn the_injection_checks_see_injected_markup(page: &Page) {
    page.client
        .execute("document.querySelector('main').insertAdjacentHTML('beforeend', arguments[0]);", vec![json!(IMG)])
        .await
        .expect("markup inserted");
    let found = page.injection_findings().await;
    assert_eq!(found["hostile"], 1, "the check sees an injected element: {found}");
    assert_eq!(found["xss"], "undefined", "the CSP blocks the inline handler: {found}");
}
