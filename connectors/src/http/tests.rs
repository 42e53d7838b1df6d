//! The client against a scripted server on loopback.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

#[derive(Clone)]
struct Scripted {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn reply(status: u16, headers: &[(&str, &str)], body: &str) -> Scripted {
    Scripted {
        status,
        headers: headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        body: body.as_bytes().to_vec(),
    }
}

/// A loopback server answering from a script (then 200 `{}`), recording when each request came.
struct Server {
    base: String,
    arrivals: Arc<Mutex<Vec<Instant>>>,
}

async fn serve(script: Vec<Scripted>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let script = Arc::new(Mutex::new(VecDeque::from(script)));
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&arrivals);
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let script = Arc::clone(&script);
            let recorded = Arc::clone(&recorded);
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buffer = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buffer[..n]),
                    }
                }
                recorded.lock().unwrap().push(Instant::now());
                let next = script.lock().unwrap().pop_front().unwrap_or_else(|| reply(200, &[], "{}"));
                let mut response = format!(
                    "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                    next.status,
                    next.body.len()
                );
                for (name, value) in &next.headers {
                    response.push_str(&format!("{name}: {value}\r\n"));
                }
                response.push_str("\r\n");
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.write_all(&next.body).await;
            });
        }
    });
    Server { base, arrivals }
}

fn client() -> HttpClient {
    HttpClient::new(HttpConfig {
        base_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        default_per_minute: NonZeroU32::new(60_000).unwrap(),
        ..HttpConfig::default()
    })
    .unwrap()
}

#[tokio::test]
async fn retry_after_is_waited_out() {
    let server = serve(vec![reply(429, &[("Retry-After", "1")], "slow down"), reply(200, &[], "ok")]).await;
    let started = Instant::now();
    let fetched = client().get(&format!("{}/x", server.base), None, &[]).await.unwrap();
    assert_eq!(fetched.body, "ok");
    assert_eq!(fetched.attempts, 2);
    assert!(started.elapsed() >= Duration::from_secs(1), "waited {:?}", started.elapsed());
    assert!(fetched.waited >= Duration::from_secs(1));
}

#[tokio::test]
async fn auth_failures_are_not_retried() {
    for status in [401, 403] {
        let server = serve(vec![reply(status, &[], "no")]).await;
        let err = client().get(&format!("{}/x?token=secret", server.base), None, &[]).await.unwrap_err();
        assert!(matches!(err, HttpError::Auth { status: s, .. } if s == status), "{err}");
        assert!(!err.to_string().contains("secret"), "queries stay out of messages: {err}");
        assert_eq!(server.arrivals.lock().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let server = serve(vec![reply(500, &[], ""), reply(502, &[], ""), reply(200, &[], "fine")]).await;
    assert_eq!(client().get(&format!("{}/x", server.base), None, &[]).await.unwrap().attempts, 3);
    let failing = serve(vec![reply(500, &[], ""); 10]).await;
    let err = client().get(&format!("{}/x", failing.base), None, &[]).await.unwrap_err();
    assert!(matches!(err, HttpError::Status { status: 500, .. }), "{err}");
    assert_eq!(failing.arrivals.lock().unwrap().len(), 5, "one try and four retries");
    let gone = serve(vec![reply(404, &[], "")]).await;
    assert!(matches!(
        client().get(&format!("{}/x", gone.base), None, &[]).await,
        Err(HttpError::Status { status: 404, .. })
    ));
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let server = serve(vec![reply(200, &[], &"x".repeat(2048))]).await;
    let small = HttpClient::new(HttpConfig { max_body_bytes: 1024, ..HttpConfig::default() }).unwrap();
    assert!(matches!(small.get(&format!("{}/x", server.base), None, &[]).await, Err(HttpError::TooLarge { .. })));
}

#[test]
fn retry_after_forms() {
    let now = httpdate::parse_http_date("Wed, 25 Nov 2026 10:00:00 GMT").unwrap();
    assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
    assert_eq!(parse_retry_after("Wed, 25 Nov 2026 10:00:30 GMT", now), Some(Duration::from_secs(30)));
    assert_eq!(parse_retry_after("Wed, 25 Nov 2026 09:00:00 GMT", now), Some(Duration::ZERO));
    assert_eq!(parse_retry_after("soon", now), None);
}

/// With a quota of N per period, the server never sees more than N requests in any period,
/// over 100 requests from several sources (tasks, credentials None) sharing one host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quota_holds_across_sources_sharing_a_host() {
    let server = serve(Vec::new()).await;
    let client = client();
    let (count, period) = (NonZeroU32::new(40).unwrap(), Duration::from_secs(1));
    client.set_quota_per("127.0.0.1", count, period);
    let mut tasks = Vec::new();
    for source in 0..4 {
        let client = client.clone();
        let url = format!("{}/source{source}", server.base);
        tasks.push(tokio::spawn(async move {
            for _ in 0..25 {
                client.get(&url, None, &[]).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let arrivals = server.arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 100);
    let mut highest = 0;
    for (index, start) in arrivals.iter().enumerate() {
        let in_window = arrivals[index..].iter().take_while(|at| at.duration_since(*start) < period).count();
        highest = highest.max(in_window);
    }
    eprintln!("highest request count in any {period:?} window: {highest} (quota {count})");
    assert!(highest <= count.get() as usize, "{highest} requests within one period; the quota is {count}");
}
