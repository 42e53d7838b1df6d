//! hark-replay: a loopback HTTP/1.1 server for tests and the offline demo.
//!
//! Routes are path prefixes, each with a script of replies served in order (the last one
//! repeats) or a [`Handler`] computing the reply from the request. A reply is a status, headers and a body, optionally delayed or cut short.
//! [`Reply::fixture`] loads a recording from `../shared/fixtures/<source>/`: the `.headers`
//! file's status line and headers, and the decoded body beside it. Recorded bodies are stored
//! decoded, so `Content-Encoding`, `Content-Length` and `Transfer-Encoding` from the recording
//! are dropped and the server writes its own `Content-Length`. Every request is recorded with
//! its arrival time, for cursor and rate-limit assertions. Binds 127.0.0.1 only.

pub mod ports;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One scripted response.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay: Duration,
    /// Send only this many body bytes (with the full `Content-Length`), then close.
    pub truncate_at: Option<usize>,
}

impl Reply {
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self { status, headers: Vec::new(), body: body.into(), delay: Duration::ZERO, truncate_at: None }
    }

    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    #[must_use]
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    #[must_use]
    pub fn truncated(mut self, at: usize) -> Self {
        self.truncate_at = Some(at);
        self
    }

    /// Loads `<base>.headers` and the body file beside it (`<base>.json`, `.html`, `.xml` or
    /// `.txt`; an empty body if none).
    pub fn fixture(base: &Path) -> std::io::Result<Self> {
        let headers_file = base.with_extension("headers");
        let recorded = std::fs::read_to_string(&headers_file)?;
        let mut lines = recorded.lines();
        let status_line = lines.next().unwrap_or("HTTP/1.1 200 OK");
        let status = status_line.split_whitespace().nth(1).and_then(|code| code.parse().ok()).unwrap_or(200);
        let mut reply = Self::new(status, Vec::new());
        for line in lines {
            let Some((name, value)) = line.split_once(':') else { continue };
            let dropped = ["content-encoding", "content-length", "transfer-encoding", "connection"];
            if !dropped.contains(&name.trim().to_ascii_lowercase().as_str()) {
                reply.headers.push((name.trim().to_owned(), value.trim().to_owned()));
            }
        }
        for extension in ["json", "html", "xml", "txt"] {
            let body_file = base.with_extension(extension);
            if body_file.is_file() {
                reply.body = std::fs::read(body_file)?;
                break;
            }
        }
        Ok(reply)
    }
}

/// A request the server saw.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub at: Instant,
    /// Path and query, as sent.
    pub target: String,
    pub headers: Vec<(String, String)>,
}

/// A running server; it stops with the test's runtime.
#[derive(Debug, Clone)]
pub struct ReplayServer {
    base_url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

/// A route that computes its reply from the request target (path and query): a stream that
/// grows with time, a server that honours query filters.
pub type Handler = Arc<dyn Fn(&str) -> Reply + Send + Sync>;

/// What a route serves: a script played in order, or a handler.
enum Route {
    Script(Vec<Reply>, usize),
    Handler(Handler),
}

type Routes = Arc<Mutex<HashMap<String, Route>>>;

impl ReplayServer {
    /// Starts serving `routes` (path prefix → replies in order) on a free loopback port.
    pub async fn start(routes: Vec<(&str, Vec<Reply>)>) -> std::io::Result<Self> {
        let routes = routes.into_iter().map(|(prefix, replies)| (prefix.to_owned(), Route::Script(replies, 0)));
        Self::serve(routes.collect()).await
    }

    /// Starts serving `handlers` (path prefix → handler) on a free loopback port.
    pub async fn start_handlers(handlers: Vec<(&str, Handler)>) -> std::io::Result<Self> {
        Self::serve(
            handlers.into_iter().map(|(prefix, handler)| (prefix.to_owned(), Route::Handler(handler))).collect(),
        )
        .await
    }

    async fn serve(routes: HashMap<String, Route>) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let routes: Routes = Arc::new(Mutex::new(routes));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&requests);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(handle(socket, Arc::clone(&routes), Arc::clone(&recorded)));
            }
        });
        Ok(Self { base_url, requests })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("request log lock is never poisoned").clone()
    }
}

fn next_reply(routes: &Routes, target: &str) -> Reply {
    let path = target.split('?').next().unwrap_or(target);
    let mut routes = routes.lock().expect("route lock is never poisoned");
    let best =
        routes.keys().filter(|prefix| path.starts_with(prefix.as_str())).max_by_key(|prefix| prefix.len()).cloned();
    let Some(prefix) = best else {
        return Reply::new(404, format!("no route for {path}"));
    };
    match routes.get_mut(&prefix).expect("the prefix was just found") {
        Route::Script(replies, served) => {
            let reply =
                replies.get(*served).or(replies.last()).cloned().unwrap_or_else(|| Reply::new(404, "empty script"));
            *served += 1;
            reply
        }
        Route::Handler(handler) => handler(target),
    }
}

async fn handle(mut socket: tokio::net::TcpStream, routes: Routes, recorded: Arc<Mutex<Vec<Recorded>>>) {
    let mut head = Vec::new();
    let mut buffer = [0u8; 2048];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        match socket.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => head.extend_from_slice(&buffer[..read]),
        }
        if head.len() > 64 * 1024 {
            return;
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.lines();
    let target = lines.next().and_then(|line| line.split_whitespace().nth(1)).unwrap_or("/").to_owned();
    let headers = lines
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    recorded.lock().expect("request log lock is never poisoned").push(Recorded {
        at: Instant::now(),
        target: target.clone(),
        headers,
    });
    let reply = next_reply(&routes, &target);
    if !reply.delay.is_zero() {
        // A slow upstream is what this reply scripts.
        tokio::time::sleep(reply.delay).await;
    }
    let mut response =
        format!("HTTP/1.1 {} Replay\r\nContent-Length: {}\r\nConnection: close\r\n", reply.status, reply.body.len());
    for (name, value) in &reply.headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str("\r\n");
    let body = &reply.body[..reply.truncate_at.unwrap_or(reply.body.len()).min(reply.body.len())];
    if socket.write_all(response.as_bytes()).await.is_ok() {
        let _ = socket.write_all(body).await;
    }
    let _ = socket.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixtures() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
    }

    #[test]
    fn recordings_load_decoded_with_transfer_headers_dropped() {
        let reply = Reply::fixture(&fixtures().join("reddit/error_429_too_many_requests")).unwrap();
        assert_eq!(reply.status, 429);
        assert!(reply.headers.iter().any(|(name, value)| name == "retry-after" && value == "4"));
        assert!(!reply.headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-length")));
        assert!(!reply.body.is_empty(), "the .html body is served");
        let json = Reply::fixture(&fixtures().join("hackernews/algolia_search_by_date_stories")).unwrap();
        assert_eq!(json.status, 200);
        assert!(json.body.starts_with(b"{"));
    }

    #[tokio::test]
    async fn scripts_play_in_order_and_the_last_reply_repeats() {
        let server = ReplayServer::start(vec![
            ("/a", vec![Reply::new(429, "wait"), Reply::new(200, "ok")]),
            ("/a/b", vec![Reply::new(201, "")]),
        ])
        .await
        .unwrap();
        let status = |path: &'static str| {
            let url = format!("{}{path}", server.base_url());
            async move {
                let mut socket =
                    tokio::net::TcpStream::connect(url.trim_start_matches("http://").split('/').next().unwrap())
                        .await
                        .unwrap();
                let request = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", url.splitn(4, '/').nth(3).unwrap());
                socket.write_all(request.as_bytes()).await.unwrap();
                let mut response = String::new();
                socket.read_to_string(&mut response).await.unwrap();
                response.split_whitespace().nth(1).unwrap().to_owned()
            }
        };
        assert_eq!(status("/a?q=1").await, "429");
        assert_eq!(status("/a").await, "200");
        assert_eq!(status("/a").await, "200");
        assert_eq!(status("/a/b").await, "201", "the longest prefix wins");
        assert_eq!(status("/nowhere").await, "404");
        assert_eq!(server.requests()[0].target, "/a?q=1");
    }
}
