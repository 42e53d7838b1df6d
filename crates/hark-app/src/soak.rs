//! The soak benchmark (`hark bench soak`): `hark run` as a child process, over growing
//! streams served on loopback, for a bounded time at a given rate of new posts.
//!
//! A replay server in this process serves `sources` Atom feeds whose entries appear at
//! `posts_per_minute` in all (the latest 100 of each feed are listed, as real feeds do); a
//! `hark run` child in a scratch data directory pulls them every 10 s (the shortest interval
//! hark allows), scores, saves, routes and indexes, and serves `/metrics` on a loopback port.
//! Every sample, the child's resident memory (from `/proc`) and its metrics are read. At the
//! end the child is stopped with SIGTERM (its exit status must be 0), and the report sets what
//! its metrics said beside what its store holds and what the feeds served.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hark_connectors::http::{HttpClient, HttpConfig};
use hark_replay::{Handler, ReplayServer, Reply};
use serde::Serialize;

use crate::access::{Caller, Permission};
use crate::error::{AppError, AppResult, Context};

/// Entries each feed lists (the newest).
pub(crate) const FEED_WINDOW: u64 = 100;

#[derive(Debug, Clone)]
pub struct SoakRequest {
    /// The `hark` binary to run as the service.
    pub hark: PathBuf,
    pub duration: Duration,
    pub posts_per_minute: u64,
    pub sources: u64,
    /// Seconds between samples of memory and metrics.
    pub sample_every: Duration,
    pub classify: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub seconds: f64,
    pub rss_mib: f64,
    pub mentions_stored: f64,
    pub channel_pages: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SoakReport {
    pub seconds: f64,
    pub posts_per_minute: u64,
    pub sources: u64,
    pub scored: bool,
    /// Posts the feeds had published by the end.
    pub published: u64,
    /// What the store holds after the stop.
    pub stored: i64,
    /// `hark_mentions_stored` at the last scrape, and the sum of `hark_mentions_total{stage="new"}`.
    pub metrics_stored: f64,
    pub metrics_new: f64,
    /// Source failures counted by the service (`hark_source_failures_total`).
    pub failures: f64,
    pub samples: Vec<Sample>,
    /// Resident memory at the first sample after start-up, at the middle one and at the end.
    pub rss_start_mib: f64,
    pub rss_middle_mib: f64,
    pub rss_end_mib: f64,
    /// The child's exit status after SIGTERM.
    pub exit_code: Option<i32>,
}

impl SoakReport {
    /// What went wrong, if anything: failures, a store that disagrees with the metrics or the
    /// feeds, a stop that was not clean.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.failures > 0.0 {
            problems.push(format!("{} source failures", self.failures));
        }
        if self.metrics_new != self.metrics_stored || self.metrics_stored != self.stored as f64 {
            problems.push(format!(
                "metrics say {} new and {} stored; the store holds {}",
                self.metrics_new, self.metrics_stored, self.stored
            ));
        }
        if self.stored != self.published as i64 {
            problems.push(format!("the feeds published {} posts; the store holds {}", self.published, self.stored));
        }
        if self.exit_code != Some(0) {
            problems.push(format!("hark run exited with {:?} after SIGTERM", self.exit_code));
        }
        problems
    }
}

/// The feed of source `source` at `now`: its entries up to the number published by then
/// (entry ids `urn:<tag>:<source>:<n>`).
pub(crate) fn feed(tag: &str, source: u64, published: u64) -> Reply {
    let first = published.saturating_sub(FEED_WINDOW) + 1;
    let entries: String = (first..=published)
        .rev()
        .map(|n| {
            let (title, text) = match n % 4 {
                0 => ("Acme CRM sync lost our contacts again", "Support has not answered our ticket for days; we are losing deals."),
                1 => ("Looking for a CRM for our sales team", "We want to move off spreadsheets this quarter; what does Acme CRM cost per seat?"),
                2 => ("Acme meetup next week", "Slides and the recording will be online afterwards."),
                _ => ("Acme CRM 4.2 release notes", "New pipeline view, faster search and a dark mode."),
            };
            let minute = n % 60;
            format!(
                "<entry><id>urn:{tag}:{source}:{n}</id><title>{title} ({source}-{n})</title>\
                 <link href=\"https://{tag}.example/{source}/{n}\"/><published>2026-11-20T10:{minute:02}:00Z</published>\
                 <content type=\"html\">{text} Post {n} of feed {source}.</content><author><name>user{}</name></author></entry>",
                n % 97
            )
        })
        .collect();
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><id>urn:soak:{source}</id>\
         <title>soak {source}</title><updated>2026-11-20T10:00:00Z</updated>{entries}</feed>"
    );
    Reply::new(200, body).header("Content-Type", "application/atom+xml")
}

/// A replay server with `sources` feeds at `/feeds/<n>.xml`, each answered by `handler(n)`.
pub(crate) async fn feed_server(sources: u64, handler: impl Fn(u64) -> Handler) -> AppResult<ReplayServer> {
    let handlers: Vec<(String, Handler)> =
        (0..sources).map(|source| (format!("/feeds/{source}.xml"), handler(source))).collect();
    ReplayServer::start_handlers(handlers.iter().map(|(path, handler)| (path.as_str(), Arc::clone(handler))).collect())
        .await
        .internal("starting the replay server")
}

/// The feeds' time: milliseconds since the start, until frozen.
struct FeedClock {
    started: Instant,
    frozen_at_ms: AtomicU64,
}

impl FeedClock {
    fn elapsed_ms(&self) -> u64 {
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        now.min(self.frozen_at_ms.load(Ordering::SeqCst))
    }

    fn freeze(&self) {
        self.frozen_at_ms.store(self.elapsed_ms(), Ordering::SeqCst);
    }
}

/// Resident memory of process `pid` in MiB (Linux `/proc`; 0 elsewhere).
pub fn rss_mib(pid: u32) -> f64 {
    crate::bench::proc_status_mib(&pid.to_string(), "VmRSS")
}

/// The sum of a metric's samples whose line starts with `prefix` (name and labels so far).
fn metric_sum(text: &str, prefix: &str) -> f64 {
    metric_sum_where(text, prefix, "")
}

/// [`metric_sum`] over the lines that also contain `label` (e.g. `stage="new"`).
fn metric_sum_where(text: &str, prefix: &str, label: &str) -> f64 {
    text.lines()
        .filter(|line| line.starts_with(prefix) && line.contains(label))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        // An empty sum of floats is -0.
        .fold(0.0, |total, value| total + value)
}

pub async fn soak(caller: &Caller, request: &SoakRequest) -> AppResult<SoakReport> {
    caller.require(Permission::Admin)?;
    let scratch = std::env::temp_dir().join(format!("hark-soak-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).internal("creating a scratch directory")?;
    let result = run(request, &scratch).await;
    drop(std::fs::remove_dir_all(&scratch));
    result
}

async fn run(request: &SoakRequest, scratch: &Path) -> AppResult<SoakReport> {
    let clock = Arc::new(FeedClock { started: Instant::now(), frozen_at_ms: AtomicU64::new(u64::MAX) });
    let per_source_per_ms = request.posts_per_minute as f64 / request.sources.max(1) as f64 / 60_000.0;
    let published_at = move |clock: &FeedClock| (clock.elapsed_ms() as f64 * per_source_per_ms) as u64;
    let server = feed_server(request.sources, |source| {
        let clock = Arc::clone(&clock);
        Arc::new(move |_target: &str| feed("soak", source, published_at(&clock)))
    })
    .await?;
    let mut config = String::from("[brand]\nname = \"Acme\"\n");
    for source in 0..request.sources {
        config.push_str(&format!(
            "\n[[sources]]\nid = \"feed-{source}\"\nkind = \"rss\"\nfeeds = [\"{}/feeds/{source}.xml\"]\ninterval = \"10s\"\n\
             requests_per_minute = 60000\n",
            server.base_url()
        ));
    }
    let config_path = scratch.join("hark.toml");
    std::fs::write(&config_path, config).internal("writing the soak configuration")?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").internal("finding a free port")?;
    let addr = listener.local_addr().internal("finding a free port")?;
    drop(listener);
    let mut command = tokio::process::Command::new(&request.hark);
    command
        .arg("--config")
        .arg(&config_path)
        .arg("--data-dir")
        .arg(scratch.join("data"))
        .args(["-q", "run", "--addr", &addr.to_string()])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true);
    if !request.classify {
        command.arg("--no-classify");
    }
    let mut child = command.spawn().internal(&format!("starting {}", request.hark.display()))?;
    let pid =
        child.id().ok_or_else(|| AppError::internal("starting hark run", anyhow::anyhow!("it exited at once")))?;
    let http = HttpClient::new(HttpConfig { max_retries: 0, ..HttpConfig::default() }).internal("an HTTP client")?;
    http.set_quota("127.0.0.1", std::num::NonZeroU32::new(60_000).unwrap_or(std::num::NonZeroU32::MIN));
    let metrics_url = format!("http://{addr}/metrics");
    let mut samples = Vec::new();
    let mut last_metrics = String::new();
    let began = Instant::now();
    while began.elapsed() < request.duration {
        tokio::time::sleep(
            request.sample_every.min(request.duration.saturating_sub(began.elapsed())).max(Duration::from_millis(100)),
        )
        .await;
        if let Ok(Some(status)) = child.try_wait() {
            return Err(AppError::internal(
                "running the soak",
                anyhow::anyhow!("hark run exited early with {status} (its error is above)"),
            ));
        }
        if let Ok(fetched) = http.get(&metrics_url, None, &[]).await {
            last_metrics = String::from_utf8_lossy(&fetched.body).into_owned();
        }
        samples.push(Sample {
            seconds: began.elapsed().as_secs_f64(),
            rss_mib: rss_mib(pid),
            mentions_stored: metric_sum(&last_metrics, "hark_mentions_stored"),
            channel_pages: metric_sum(&last_metrics, "hark_channel_pages"),
        });
        tracing::info!(
            seconds = began.elapsed().as_secs(),
            rss_mib = rss_mib(pid),
            stored = metric_sum(&last_metrics, "hark_mentions_stored"),
            "soak sample"
        );
    }
    // The feeds stop growing; once the service has read everything (or two minutes on), its
    // metrics are compared with its store at rest.
    clock.freeze();
    let published = published_at(&clock) * request.sources;
    let settle = Instant::now();
    while settle.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_secs(5)).await;
        if let Ok(fetched) = http.get(&metrics_url, None, &[]).await {
            last_metrics = String::from_utf8_lossy(&fetched.body).into_owned();
        }
        if metric_sum(&last_metrics, "hark_mentions_stored ") >= published as f64 {
            break;
        }
    }
    // Stop: SIGTERM, then the exit status.
    let term = tokio::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().await;
    if !term.is_ok_and(|status| status.success()) {
        return Err(AppError::internal("stopping hark run", anyhow::anyhow!("kill -TERM {pid} failed")));
    }
    let exit = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .internal("waiting for hark run to stop")?
        .internal("waiting for hark run to stop")?;
    let store = hark_store::Store::open_in(&scratch.join("data")).await.internal("opening the soak's store")?;
    let stored = store.count_mentions().await.internal("counting mentions")?;
    store.close().await;
    let (start, middle, end) = (
        samples.first().map_or(0.0, |sample| sample.rss_mib),
        samples.get(samples.len() / 2).map_or(0.0, |sample| sample.rss_mib),
        samples.last().map_or(0.0, |sample| sample.rss_mib),
    );
    Ok(SoakReport {
        seconds: began.elapsed().as_secs_f64(),
        posts_per_minute: request.posts_per_minute,
        sources: request.sources,
        scored: request.classify,
        published,
        stored,
        metrics_stored: metric_sum(&last_metrics, "hark_mentions_stored "),
        metrics_new: metric_sum_where(&last_metrics, "hark_mentions_total{", "stage=\"new\""),
        failures: metric_sum(&last_metrics, "hark_source_failures_total"),
        samples,
        rss_start_mib: start,
        rss_middle_mib: middle,
        rss_end_mib: end,
        exit_code: exit.code(),
    })
}
