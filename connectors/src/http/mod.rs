//! The one HTTP client every connector uses, and the only place a `reqwest::Client` is built.
//!
//! - A governor quota per host and credential, shared by every source and query that hits
//!   that host: requests wait for their turn instead of earning a ban.
//! - Retries with exponential backoff and jitter on timeouts, connection errors and 5xx.
//! - On 429 and 503, a wait of at least `Retry-After` (seconds or an HTTP date), then a retry;
//!   when retries run out, [`HttpError::RateLimited`] says how long to wait.
//! - 401 and 403 are [`HttpError::Auth`] at once: retrying a bad credential only gets it banned.
//!   Errors keep the start of the response body for sources that explain themselves there
//!   (Stack Exchange `error_name`, Reddit's quarantine `reason`), out of their messages.
//! - GET, and POST of a form ([`HttpClient::post_form`]) or JSON ([`HttpClient::post_json`]) for
//!   token endpoints, all through one request loop.
//! - The sources' own signals: `X-Ratelimit-Remaining`/`-Reset` (Reddit: seconds; Mastodon: an
//!   ISO 8601 time) and `RateLimit-Remaining`/`-Reset` (Bluesky: Unix seconds) pace the next
//!   requests to that host so the remaining budget lasts until the reset; a connector that
//!   learns of a wait from a body (Stack Exchange `backoff`) calls [`HttpClient::pause`].
//! - With [`HttpClient::with_shared_pacing`], the quota is kept across processes instead: each
//!   request reserves its slot in a store the fetchers share ([`SharedPacing`]), so several
//!   fetchers, or one restarted, never ask a host more often than its quota.
//! - Timeouts, at most five redirects, a capped response size, a User-Agent per client.
//! - Credentials are passed as header values and never logged; errors name the URL without
//!   its query string.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// Settings of a client.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub user_agent: String,
    pub timeout: Duration,
    pub max_body_bytes: usize,
    /// Retries after the first attempt.
    pub max_retries: u32,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// Longest `Retry-After` honoured by waiting; longer ones fail the request at once.
    pub max_retry_after: Duration,
    /// Requests per minute per host and credential unless [`HttpClient::set_quota`] says else.
    pub default_per_minute: NonZeroU32,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            user_agent: format!("hark/{} (self-hosted social listening)", env!("CARGO_PKG_VERSION")),
            timeout: Duration::from_secs(30),
            max_body_bytes: 16 * 1024 * 1024,
            max_retries: 4,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(900),
            default_per_minute: NonZeroU32::new(60).expect("60 is not zero"),
        }
    }
}

/// A response that came back 2xx or 304.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Bytes,
    /// Time spent waiting for the quota and for `Retry-After`.
    pub waited: Duration,
    /// Attempts made, retries included.
    pub attempts: u32,
}

/// How much of an error response [`HttpError::Status`] keeps.
pub const ERROR_BODY_BYTES: usize = 2048;

/// A request body and its media type.
#[derive(Debug, Clone)]
struct RequestBody {
    content_type: &'static str,
    bytes: Bytes,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HttpError {
    /// 401 or 403. `body` as in [`HttpError::Status`]: a 403 may say why (Reddit: a
    /// quarantined or private community).
    #[error("{url} refused the credentials (HTTP {status})")]
    Auth { url: String, status: u16, body: String },
    #[error("{url} is rate limiting (HTTP {status}); retry after {} s", .retry_after.as_secs())]
    RateLimited { url: String, status: u16, retry_after: Duration },
    /// Any other status. `body` holds the start of the response (up to [`ERROR_BODY_BYTES`]) for
    /// sources that explain errors there (Stack Exchange `error_name`); it is not part of the
    /// message, since an upstream may echo what it was sent.
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16, body: String },
    #[error("{url} sent more than {limit} bytes")]
    TooLarge { url: String, limit: usize },
    #[error("{url}: {message}")]
    Network { url: String, message: String },
    #[error("invalid URL {0:?}")]
    Url(String),
    #[error("cannot build the HTTP client: {0}")]
    Build(String),
}

/// Request slots kept where several processes see them (the shared store), so that a quota
/// holds across processes and restarts, not only within one process.
pub trait SharedPacing: Send + Sync + std::fmt::Debug {
    /// Reserves the next request to `key` (a host and credential), `spacing` after the last
    /// one any process reserved; returns how long to wait for the slot. An error (the store
    /// is unreachable) fails the request: nothing is asked without a slot.
    fn reserve<'a>(&'a self, key: &'a str, spacing: Duration) -> PacingFuture<'a>;
}

/// What [`SharedPacing::reserve`] returns: the wait for the slot, or why there is none.
pub type PacingFuture<'a> = std::pin::Pin<Box<dyn Future<Output = Result<Duration, String>> + Send + 'a>>;

/// The HTTP client shared by every connector.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    config: HttpConfig,
    quotas: Arc<Mutex<HashMap<String, NonZeroU32>>>,
    limiters: Arc<Mutex<HashMap<String, Arc<DefaultDirectRateLimiter>>>>,
    /// Per host and credential: no request before this instant (the sources' own signals).
    not_before: Arc<Mutex<HashMap<String, Instant>>>,
    /// When set, request slots come from here instead of the in-process limiters.
    shared: Option<Arc<dyn SharedPacing>>,
}

/// The URL without its query (which may carry keys) for messages.
fn display_url(url: &reqwest::Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.to_string()
}

/// `Retry-After` as a duration: delta-seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

impl HttpClient {
    pub fn new(config: HttpConfig) -> Result<Self, HttpError> {
        // Installing the process-wide TLS provider twice is harmless; the first one stays.
        drop(rustls::crypto::ring::default_provider().install_default());
        #[expect(clippy::disallowed_methods, reason = "this is the one place that builds HTTP clients")]
        let client = reqwest::Client::builder()
            .user_agent(&config.user_agent)
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .map_err(|err| HttpError::Build(err.to_string()))?;
        Ok(Self {
            client,
            config,
            quotas: Arc::default(),
            limiters: Arc::default(),
            not_before: Arc::default(),
            shared: None,
        })
    }

    /// Keeps the quotas in `pacing` (shared with other processes) instead of in this process.
    #[must_use]
    pub fn with_shared_pacing(mut self, pacing: Arc<dyn SharedPacing>) -> Self {
        self.shared = Some(pacing);
        self
    }

    /// Sets the quota of one host (for every credential), e.g. Reddit's 100 per minute.
    pub fn set_quota(&self, host: &str, per_minute: NonZeroU32) {
        self.quotas.lock().expect("quota map lock is never poisoned").insert(host.to_owned(), per_minute);
    }

    /// Sets the quota of the host `url` points at; false when `url` has no host.
    pub fn set_quota_for_url(&self, url: &str, per_minute: NonZeroU32) -> bool {
        let Some(host) = host_of(url) else {
            return false;
        };
        self.set_quota(&host, per_minute);
        true
    }

    /// Sets the quota of one host as `count` requests per `period`, spaced evenly.
    pub fn set_quota_per(&self, host: &str, count: NonZeroU32, period: Duration) {
        let per_minute = (u64::from(count.get()) * 60_000 / period.as_millis().max(1) as u64).max(1);
        self.set_quota(host, NonZeroU32::new(u32::try_from(per_minute).unwrap_or(u32::MAX)).expect("at least one"));
    }

    /// Holds every request to `host` (any credential) for `wait`, e.g. a Stack Exchange
    /// `backoff`. A shorter pause never shortens a longer one already in force.
    pub fn pause(&self, host: &str, wait: Duration) {
        let until = Instant::now() + wait.min(self.config.max_retry_after);
        let mut map = self.not_before.lock().expect("pause map lock is never poisoned");
        let entry = map.entry(format!("{host}\u{0}*")).or_insert(until);
        *entry = (*entry).max(until);
    }

    /// How long a request to `host` with `credential` must still wait for a pause.
    fn pause_left(&self, host: &str, credential: Option<&str>) -> Duration {
        let now = Instant::now();
        let map = self.not_before.lock().expect("pause map lock is never poisoned");
        [quota_key(host, credential), format!("{host}\u{0}*")]
            .iter()
            .filter_map(|key| map.get(key))
            .map(|until| until.saturating_duration_since(now))
            .max()
            .unwrap_or_default()
    }

    /// Paces the next request after a response that carried a source's rate-limit headers.
    fn observe(&self, host: &str, credential: Option<&str>, headers: &reqwest::header::HeaderMap) {
        let Some(spacing) = pacing(headers, std::time::SystemTime::now()) else { return };
        if spacing.is_zero() {
            return;
        }
        let spacing = spacing.min(self.config.max_retry_after);
        tracing::debug!(host, spacing_ms = spacing.as_millis() as u64, "pacing to the source's rate-limit headers");
        let until = Instant::now() + spacing;
        let mut map = self.not_before.lock().expect("pause map lock is never poisoned");
        let entry = map.entry(quota_key(host, credential)).or_insert(until);
        *entry = (*entry).max(until);
    }

    /// The spacing of requests to `host`: evenly spaced, no burst, so at most its quota in
    /// any minute.
    fn spacing(&self, host: &str) -> Duration {
        let per_minute = self
            .quotas
            .lock()
            .expect("quota map lock is never poisoned")
            .get(host)
            .copied()
            .unwrap_or(self.config.default_per_minute);
        Duration::from_secs(60) / per_minute.get()
    }

    fn limiter(&self, host: &str, credential: Option<&str>) -> Arc<DefaultDirectRateLimiter> {
        let period = self.spacing(host);
        let mut limiters = self.limiters.lock().expect("limiter map lock is never poisoned");
        Arc::clone(limiters.entry(quota_key(host, credential)).or_insert_with(|| {
            let quota = Quota::with_period(period).expect("a positive period").allow_burst(NonZeroU32::MIN);
            Arc::new(RateLimiter::direct(quota))
        }))
    }

    /// Waits for this request's turn: a slot in the shared pacing, or the local limiter.
    async fn take_turn(&self, host: &str, credential: Option<&str>, shown: &str) -> Result<(), HttpError> {
        let Some(shared) = &self.shared else {
            self.limiter(host, credential).until_ready().await;
            return Ok(());
        };
        // The key goes to the store: a separator PostgreSQL text accepts (not NUL).
        let key = format!("{host}|{}", credential.unwrap_or(""));
        let wait = shared.reserve(&key, self.spacing(host)).await.map_err(|message| HttpError::Network {
            url: shown.to_owned(),
            message: format!("no request slot from the shared store: {message}"),
        })?;
        tokio::time::sleep(wait).await;
        Ok(())
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let exponential = self.config.base_backoff.saturating_mul(2u32.saturating_pow(attempt));
        let capped = exponential.min(self.config.max_backoff);
        // Full jitter in [50%, 100%] of the step, so that sources do not retry in lockstep.
        capped.mul_f64(0.5 + 0.5 * jitter())
    }

    /// GET `url`. `credential` names the quota bucket (a token's name, never its value);
    /// `headers` go with the request (authorisation, conditional GET).
    pub async fn get(
        &self,
        url: &str,
        credential: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Result<Fetched, HttpError> {
        self.send(reqwest::Method::GET, url, credential, headers, None).await
    }

    /// POST `form` as `application/x-www-form-urlencoded` (token endpoints), under the same
    /// quota, retries and error mapping as [`HttpClient::get`].
    pub async fn post_form(
        &self,
        url: &str,
        credential: Option<&str>,
        headers: &[(&str, &str)],
        form: &[(&str, &str)],
    ) -> Result<Fetched, HttpError> {
        let encoded = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let body = RequestBody { content_type: "application/x-www-form-urlencoded", bytes: Bytes::from(encoded) };
        self.send(reqwest::Method::POST, url, credential, headers, Some(body)).await
    }

    /// POST `json` as `application/json` (XRPC procedures such as Bluesky's `createSession`),
    /// under the same quota, retries and error mapping as [`HttpClient::get`].
    pub async fn post_json(
        &self,
        url: &str,
        credential: Option<&str>,
        headers: &[(&str, &str)],
        json: &serde_json::Value,
    ) -> Result<Fetched, HttpError> {
        let bytes = Bytes::from(json.to_string());
        let body = RequestBody { content_type: "application/json", bytes };
        self.send(reqwest::Method::POST, url, credential, headers, Some(body)).await
    }

    /// One request with the quota, pauses, retries and error mapping every method shares.
    async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        credential: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<RequestBody>,
    ) -> Result<Fetched, HttpError> {
        let parsed = reqwest::Url::parse(url).map_err(|_| HttpError::Url(url.to_owned()))?;
        let host = parsed.host_str().ok_or_else(|| HttpError::Url(url.to_owned()))?.to_owned();
        let shown = display_url(&parsed);
        let mut waited = Duration::ZERO;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let queued = Instant::now();
            self.take_turn(&host, credential, &shown).await?;
            let paused = self.pause_left(&host, credential);
            if !paused.is_zero() {
                tracing::info!(url = %shown, wait_ms = paused.as_millis() as u64, "waiting for the source's rate limit");
                tokio::time::sleep(paused).await;
            }
            let queue_wait = queued.elapsed();
            waited += queue_wait;
            record_wait(&host, queue_wait);
            let mut request = self.client.request(method.clone(), parsed.clone());
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            if let Some(body) = &body {
                request = request.header(reqwest::header::CONTENT_TYPE, body.content_type).body(body.bytes.clone());
            }
            let sent = request.send().await;
            let status_label = match &sent {
                Ok(response) => response.status().as_str().to_owned(),
                Err(_) => "error".to_owned(),
            };
            metrics::counter!("hark_http_requests_total", "host" => host.clone(), "status" => status_label)
                .increment(1);
            let retry_wait = match sent {
                Ok(response) => {
                    let status = response.status().as_u16();
                    self.observe(&host, credential, response.headers());
                    match status {
                        200..=299 | 304 => {
                            let headers = response.headers().clone();
                            let body = self.read_capped(response, &shown).await?;
                            return Ok(Fetched { status, headers, body, waited, attempts: attempt });
                        }
                        401 | 403 => {
                            let body = self.error_body(response, &shown).await;
                            return Err(HttpError::Auth { url: shown, status, body });
                        }
                        429 | 503 => {
                            let retry_after = response
                                .headers()
                                .get(reqwest::header::RETRY_AFTER)
                                .and_then(|value| value.to_str().ok())
                                .and_then(|value| parse_retry_after(value, std::time::SystemTime::now()));
                            let wait = retry_after.unwrap_or_default().max(self.backoff(attempt - 1));
                            if attempt > self.config.max_retries || wait > self.config.max_retry_after {
                                return Err(HttpError::RateLimited { url: shown, status, retry_after: wait });
                            }
                            tracing::warn!(url = %shown, status, wait_ms = wait.as_millis() as u64, "rate limited; waiting");
                            waited += wait;
                            record_wait(&host, wait);
                            wait
                        }
                        500..=599 if attempt <= self.config.max_retries => self.backoff(attempt - 1),
                        _ => {
                            let body = self.error_body(response, &shown).await;
                            return Err(HttpError::Status { url: shown, status, body });
                        }
                    }
                }
                Err(err)
                    if attempt <= self.config.max_retries
                        && (err.is_timeout() || err.is_connect() || err.is_request()) =>
                {
                    tracing::debug!(url = %shown, error = %err, "retrying after a network error");
                    self.backoff(attempt - 1)
                }
                Err(err) => return Err(HttpError::Network { url: shown, message: err.without_url().to_string() }),
            };
            // The only waiting a connector's requests do: quota and Retry-After, in this client.
            tokio::time::sleep(retry_wait).await;
        }
    }

    /// The start of an error response's body (empty when it cannot be read).
    async fn error_body(&self, response: reqwest::Response, shown: &str) -> String {
        let body = self.read_capped(response, shown).await.unwrap_or_default();
        String::from_utf8_lossy(&body[..body.len().min(ERROR_BODY_BYTES)]).into_owned()
    }

    async fn read_capped(&self, mut response: reqwest::Response, shown: &str) -> Result<Bytes, HttpError> {
        let limit = self.config.max_body_bytes;
        if response.content_length().is_some_and(|length| length > limit as u64) {
            return Err(HttpError::TooLarge { url: shown.to_owned(), limit });
        }
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > limit {
                        return Err(HttpError::TooLarge { url: shown.to_owned(), limit });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(Bytes::from(body)),
                Err(err) => {
                    return Err(HttpError::Network {
                        url: shown.to_owned(),
                        message: format!("body cut short: {}", err.without_url()),
                    });
                }
            }
        }
    }
}

/// Time spent waiting for a host's quota or its Retry-After, for `/metrics`.
fn record_wait(host: &str, wait: Duration) {
    if !wait.is_zero() {
        let millis = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        metrics::counter!("hark_rate_limit_wait_milliseconds_total", "host" => host.to_owned()).increment(millis);
    }
}

/// The host of `url`, when it parses.
pub fn host_of(url: &str) -> Option<String> {
    reqwest::Url::parse(url).ok()?.host_str().map(str::to_owned)
}

fn quota_key(host: &str, credential: Option<&str>) -> String {
    format!("{host}\u{0}{}", credential.unwrap_or(""))
}

/// The spacing a source's rate-limit headers ask for before the next request: the time to
/// the reset spread over the requests remaining (all of it when none remain). `None` when the
/// response carries no such headers (error pages often do not; that is not "unlimited").
pub fn pacing(headers: &reqwest::header::HeaderMap, now: std::time::SystemTime) -> Option<Duration> {
    let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok()).map(str::trim);
    let (remaining, reset) = match (text("x-ratelimit-remaining"), text("x-ratelimit-reset")) {
        (Some(remaining), Some(reset)) => (remaining, reset),
        _ => (text("ratelimit-remaining")?, text("ratelimit-reset")?),
    };
    let remaining: f64 = remaining.parse().ok()?;
    let until_reset = reset_in(reset, now)?;
    if remaining < 1.0 {
        return Some(until_reset);
    }
    Some(until_reset.div_f64(remaining))
}

/// A reset header as time from `now`: seconds to go (Reddit), Unix seconds (Bluesky, told
/// apart by size) or an ISO 8601 time (Mastodon). Resets in the past are zero.
fn reset_in(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let since_epoch = now.duration_since(std::time::UNIX_EPOCH).ok()?;
    if let Ok(seconds) = value.parse::<f64>() {
        if !seconds.is_finite() || seconds < 0.0 {
            return None;
        }
        // Anything past the year 2001 in Unix seconds is a time, not a count of seconds.
        if seconds > 1_000_000_000.0 {
            return Some(Duration::from_secs_f64(seconds).saturating_sub(since_epoch));
        }
        return Some(Duration::from_secs_f64(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc3339(value).ok()?;
    let at = Duration::from_millis(u64::try_from(at.timestamp_millis()).ok()?);
    Some(at.saturating_sub(since_epoch))
}

/// A number in [0, 1) from the clock's nanoseconds: enough to spread retries, no RNG needed.
fn jitter() -> f64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    f64::from(nanos % 1_000_000) / 1_000_000.0
}

#[cfg(test)]
mod tests;
