//! The browser tests' machinery: the server in-process over a scratch store, ChromeDriver as
//! a child process (killed on drop, panics included), a headless Chromium session, and the
//! checks every page gets (axe-core, script injection).

use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hark_app::App;
use serde_json::{Value, json};
use tower::ServiceExt;

/// How long a page may take to show what a test waits for.
pub const PATIENCE: Duration = Duration::from_secs(15);

pub const CHROMIUM: &str = "/usr/bin/chromium";

/// The workspace root (screenshots and the vendored axe-core live under its `target/`).
pub fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

pub fn screenshot_dir() -> PathBuf {
    workspace_root().join("target/screenshots")
}

/// axe-core as `scripts/browser-deps.sh` unpacked it.
pub fn axe_path() -> PathBuf {
    workspace_root().join("target/vendor/axe-core/axe.min.js")
}

fn on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|dir| Path::new(dir).join(program)).find(|path| path.is_file())
}

/// Fails (never skips) when a browser dependency is missing, saying how to install it.
pub fn require_dependencies() -> (PathBuf, String) {
    let install = "run `make test` (as root on CI) or `scripts/browser-deps.sh`, which install Debian's \
                   chromium and chromium-driver and fetch axe-core into target/vendor/";
    assert!(Path::new(CHROMIUM).is_file(), "{CHROMIUM} is missing: {install}");
    let driver = on_path("chromedriver").unwrap_or_else(|| panic!("chromedriver is not on PATH: {install}"));
    let axe = std::fs::read_to_string(axe_path())
        .unwrap_or_else(|err| panic!("axe-core is missing ({}: {err}): {install}", axe_path().display()));
    (driver, axe)
}

/// ChromeDriver in its own process group; dropping it kills the group (the driver and every
/// browser it started), so a failing test leaves nothing running.
#[derive(Debug)]
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Driver {
    pub fn start(program: &Path) -> Self {
        let port = hark_replay::ports::child_port();
        let child = Command::new(program)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {}: {err}", program.display()));
        let driver = Self { child, url: format!("http://127.0.0.1:{port}") };
        let started = Instant::now();
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
            assert!(started.elapsed() < PATIENCE, "chromedriver did not listen on port {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group's id is the driver's pid (process_group(0)).
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless Chromium session with the flags this machine needs (no network beyond
/// loopback, so every background service is off).
pub async fn browser(driver: &Driver, profile: &Path) -> Client {
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        &format!("--user-data-dir={}", profile.display()),
        "--window-size=1280,900",
    ];
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
    });
    let Value::Object(capabilities) = capabilities else { unreachable!("capabilities are an object") };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .unwrap_or_else(|err| panic!("no Chromium session from chromedriver at {}: {err}", driver.url))
}

/// The running hark, on a loopback port.
#[derive(Debug)]
pub struct Server {
    pub base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    pub async fn start(app: App) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let base = format!("http://{}", listener.local_addr().expect("its address"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            hark_server::serve_on(app, listener, async {
                let _ = stopped.await;
            })
            .await
            .expect("the server runs");
        });
        Self { base, stop: Some(stop), task: Some(task) }
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
    }
}

/// A JSON call to `/api/v1` with a bearer token, as another user or a tool would make it.
pub async fn api(app: &App, method: Method, path: &str, token: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(path).header("authorization", format!("Bearer {token}"));
    let body = match body {
        Some(body) => {
            request = request.header("content-type", "application/json");
            Body::from(body.to_string())
        }
        None => Body::empty(),
    };
    let response = hark_server::router(app.clone())
        .oneshot(request.body(body).expect("a request"))
        .await
        .expect("the router answers");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 16 << 20).await.expect("a body");
    let value =
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, value)
}

/// A browser tab on the server, with the helpers scenarios use.
#[derive(Debug, Clone)]
pub struct Page {
    pub client: Client,
    pub base: String,
    pub axe: std::sync::Arc<String>,
}

impl Page {
    pub async fn goto(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.base)).await.unwrap_or_else(|err| panic!("open {path}: {err}"));
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("the current URL");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    pub async fn find(&self, css: &str) -> Element {
        match self.client.wait().at_most(PATIENCE).for_element(Locator::Css(css)).await {
            Ok(element) => element,
            Err(err) => panic!("no {css} on {}: {err}", self.path_or_unknown().await),
        }
    }

    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client.find_all(Locator::Css(css)).await.unwrap_or_else(|err| panic!("finding {css}: {err}"))
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap_or_else(|err| panic!("text of {css}: {err}"))
    }

    async fn path_or_unknown(&self) -> String {
        match self.client.current_url().await {
            Ok(url) => url.path().to_owned(),
            Err(_) => "?".to_owned(),
        }
    }

    /// Runs `script` (a function body) in the page and returns what it returns.
    pub async fn run(&self, script: &str) -> Value {
        self.client.execute(script, Vec::new()).await.unwrap_or_else(|err| panic!("script {script:?}: {err}"))
    }

    /// Waits until `script` returns `true`, failing with `what` and the last value it saw.
    pub async fn wait_until(&self, what: &str, script: &str) {
        let started = Instant::now();
        loop {
            let value = self.run(script).await;
            if value == Value::Bool(true) {
                return;
            }
            assert!(started.elapsed() < PATIENCE, "waited {PATIENCE:?} for {what} on {}", self.path_or_unknown().await);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for the page's main heading to read `heading` (after a click that navigates).
    pub async fn wait_heading(&self, heading: &str) {
        let literal = serde_json::to_string(heading).expect("a string");
        self.wait_until(
            &format!("the heading {heading:?}"),
            &format!("const h = document.querySelector('main h1'); return !!h && h.textContent === {literal};"),
        )
        .await;
    }

    /// Presses keys as a person would: to whatever has the focus.
    pub async fn press(&self, keys: &str) {
        let mut actions = KeyActions::new("keyboard".to_owned());
        for key in keys.chars() {
            actions = actions.then(KeyAction::Down { value: key }).then(KeyAction::Up { value: key });
        }
        self.client.perform_actions(actions).await.unwrap_or_else(|err| panic!("pressing {keys:?}: {err}"));
    }

    /// Signs in through the form and waits for the page it leads to.
    pub async fn sign_in(&self, name: &str, password: &str) {
        self.client.delete_all_cookies().await.expect("cookies cleared");
        self.goto("/login").await;
        self.find("#login #username").await.send_keys(name).await.expect("typing the user name");
        self.find("#login #password").await.send_keys(password).await.expect("typing the password");
        self.find("#login button[type=submit]").await.click().await.expect("submitting the form");
        self.wait_until(&format!("{name} signed in"), "return location.pathname !== '/login';").await;
    }

    /// The HTTP status the current page's URL answers (a same-origin fetch with the
    /// session's cookie, from the page itself).
    pub async fn status_of_current(&self) -> u16 {
        let script = "const done = arguments[arguments.length - 1];\
                      fetch(location.href, { credentials: 'same-origin' }).then(r => done(r.status), e => done(String(e)));";
        let value = self.client.execute_async(script, Vec::new()).await.expect("fetching the page again");
        value.as_u64().and_then(|status| u16::try_from(status).ok()).unwrap_or_else(|| panic!("status: {value}"))
    }

    /// A picture of the whole page (the window grows to the page's height for it).
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("target/screenshots");
        let (width, height) = self.client.get_window_size().await.expect("the window size");
        let page_height = self.run("return document.documentElement.scrollHeight;").await.as_u64().unwrap_or(height);
        let tall = u32::try_from(page_height.clamp(height, 4000) + height.saturating_sub(self.viewport_height().await))
            .unwrap_or(4000);
        let _ = self.client.set_window_size(u32::try_from(width).unwrap_or(1280), tall).await;
        let png = self.client.screenshot().await.expect("a screenshot");
        let _ = self
            .client
            .set_window_size(u32::try_from(width).unwrap_or(1280), u32::try_from(height).unwrap_or(900))
            .await;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("the screenshot written");
        path
    }

    async fn viewport_height(&self) -> u64 {
        self.run("return window.innerHeight;").await.as_u64().unwrap_or(0)
    }

    /// axe-core on the page as it is now: no violation of impact "serious" or "critical".
    pub async fn assert_accessible(&self, label: &str) {
        // WebDriver's script execution is not subject to the page's CSP in Chromium, so the
        // vendored axe-core can be injected although the page forbids inline script.
        self.client
            .execute(&format!("{}\nreturn typeof axe;", self.axe), Vec::new())
            .await
            .unwrap_or_else(|err| panic!("injecting axe-core on {label}: {err}"));
        let script = "const done = arguments[arguments.length - 1];\
            axe.run(document, { resultTypes: ['violations'] })\
              .then(r => done({ passes: r.passes.length, violations: r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,\
                 nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' ' + (n.failureSummary || '').split('\\n').slice(1, 2).join('')) })) }))\
              .catch(e => done({ error: String(e) }));";
        let results = self
            .client
            .execute_async(script, Vec::new())
            .await
            .unwrap_or_else(|err| panic!("axe.run on {label}: {err}"));
        let list = results["violations"].as_array().unwrap_or_else(|| panic!("axe.run on {label} failed: {results}"));
        // axe really looked: its rules ran and passed (on a page it could not read, none do).
        assert!(
            results["passes"].as_u64().is_some_and(|passes| passes >= 5),
            "axe-core checked little on {label}: {results}"
        );
        let serious: Vec<&Value> = list
            .iter()
            .filter(|violation| matches!(violation["impact"].as_str(), Some("serious" | "critical")))
            .collect();
        assert!(
            serious.is_empty(),
            "axe-core: serious or critical violations on {label}:\n{}",
            serious.iter().map(|v| serde_json::to_string_pretty(v).unwrap_or_default()).collect::<Vec<_>>().join("\n")
        );
    }

    /// What injected markup would leave behind: whether a payload ran (`window.__xss`),
    /// clickable javascript:/data: links, and script, event-handler or SVG elements.
    pub async fn injection_findings(&self) -> Value {
        // Wait until the page and every image have finished (an injected image's error
        // handler or an SVG's load handler would have been queued by then).
        self.wait_until(
            "the page and its images to finish loading",
            "return document.readyState === 'complete' && Array.from(document.images).every(image => image.complete);",
        )
        .await;
        self.run(
            "return {\
               xss: typeof window.__xss,\
               links: Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))\
                 .filter(href => /^\\s*(javascript|data|vbscript):/i.test(href)),\
               hostile: document.querySelectorAll('main script, main svg, [onload], [onerror]').length,\
               text: document.body.innerText };",
        )
        .await
    }

    /// No hostile payload ran or became markup, no non-web link is clickable, and every
    /// `visible` string shows as text.
    pub async fn assert_inert(&self, label: &str, visible: &[&str]) {
        let found = self.injection_findings().await;
        assert_eq!(found["xss"], "undefined", "a hostile script ran on {label}");
        assert_eq!(found["links"], json!([]), "clickable javascript:/data: links on {label}");
        assert_eq!(found["hostile"], 0, "hostile markup became elements on {label}");
        let text = found["text"].as_str().unwrap_or_default();
        for expected in visible {
            assert!(text.contains(expected), "{label} does not show {expected:?} as text:\n{text}");
        }
    }
}
