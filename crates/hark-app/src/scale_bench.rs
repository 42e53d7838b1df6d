//! The scale benchmark (`hark bench scale`): posts per second from fetching to a stored post,
//! on one machine, for the layouts an operator can choose between.
//!
//! A replay server in this process serves `sources` Atom feeds of up to 100 entries each (one
//! page per feed, as feeds are). Each configuration reads all of them once with this binary as
//! child processes, under entry ids of its own, and is timed from the first process start to
//! the moment the store holds every post:
//!
//! - `sqlite`: one `hark run --once` on a SQLite data directory (the embedded default);
//! - `postgres`: the same single process on the PostgreSQL store;
//! - `stream xN`: one `hark run --role fetch --once` and N `hark run --role process` workers over
//!   NATS JetStream and PostgreSQL.
//!
//! Unscored (`--no-classify`) unless `classify`, so that the model does not hide the rest;
//! `model_workers` adds stream runs with scoring, for the posts per second one worker scores.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::access::{Caller, Permission};
use crate::error::{AppError, AppResult, Context};
use crate::soak::{FEED_WINDOW, feed, feed_server};

#[derive(Debug, Clone)]
pub struct ScaleRequest {
    /// The `hark` binary to run.
    pub hark: PathBuf,
    /// The PostgreSQL database the stream runs use (posts are added under new ids).
    pub store_url: String,
    /// The NATS server.
    pub bus_url: String,
    pub sources: u64,
    pub posts_per_source: u64,
    /// Worker counts to measure unscored.
    pub workers: Vec<usize>,
    /// Worker counts to measure with the model.
    pub model_workers: Vec<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScaleRun {
    pub layout: String,
    pub workers: usize,
    pub scored: bool,
    pub posts: u64,
    pub seconds: f64,
    pub posts_per_second: f64,
    /// `posts_per_second` against the SQLite single process of the same report.
    pub vs_sqlite: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScaleReport {
    pub sources: u64,
    pub posts: u64,
    pub runs: Vec<ScaleRun>,
}

pub async fn scale(caller: &Caller, request: &ScaleRequest) -> AppResult<ScaleReport> {
    caller.require(Permission::Admin)?;
    if request.posts_per_source == 0 || request.posts_per_source > FEED_WINDOW {
        return Err(AppError::invalid("bad_posts", format!("--posts-per-source must be 1 to {FEED_WINDOW}")));
    }
    let scratch = std::env::temp_dir().join(format!("hark-scale-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).internal("creating a scratch directory")?;
    let result = measure(request, &scratch).await;
    drop(std::fs::remove_dir_all(&scratch));
    result
}

/// What one configuration runs.
struct Layout<'a> {
    name: &'static str,
    store_url: Option<&'a str>,
    workers: usize,
    classify: bool,
}

async fn measure(request: &ScaleRequest, scratch: &Path) -> AppResult<ScaleReport> {
    let posts = request.sources * request.posts_per_source;
    let mut layouts = vec![
        Layout { name: "sqlite", store_url: None, workers: 0, classify: false },
        Layout { name: "postgres", store_url: Some(&request.store_url), workers: 0, classify: false },
    ];
    for &workers in &request.workers {
        layouts.push(Layout { name: "stream", store_url: Some(&request.store_url), workers, classify: false });
    }
    for &workers in &request.model_workers {
        layouts.push(Layout { name: "stream", store_url: Some(&request.store_url), workers, classify: true });
    }
    let mut runs: Vec<ScaleRun> = Vec::new();
    for (index, layout) in layouts.iter().enumerate() {
        let tag = format!("scale{}x{index}", std::process::id());
        let dir = scratch.join(&tag);
        std::fs::create_dir_all(&dir).internal("creating a scratch directory")?;
        let seconds = run_layout(request, layout, &tag, &dir).await?;
        let posts_per_second = posts as f64 / seconds.max(1e-9);
        let baseline = runs.first().map_or(posts_per_second, |run| run.posts_per_second);
        tracing::info!(layout = layout.name, workers = layout.workers, seconds, posts_per_second, "measured");
        runs.push(ScaleRun {
            layout: if layout.workers > 0 { format!("stream x{}", layout.workers) } else { layout.name.to_owned() },
            workers: layout.workers,
            scored: layout.classify,
            posts,
            seconds,
            posts_per_second,
            vs_sqlite: posts_per_second / baseline,
        });
    }
    Ok(ScaleReport { sources: request.sources, posts, runs })
}

/// Runs one layout over fresh feeds; the seconds from the first start until every post is stored.
async fn run_layout(request: &ScaleRequest, layout: &Layout<'_>, tag: &str, dir: &Path) -> AppResult<f64> {
    let per_source = request.posts_per_source;
    let server = feed_server(request.sources, |source| {
        let tag = tag.to_owned();
        Arc::new(move |_target: &str| feed(&tag, source, per_source))
    })
    .await?;
    let mut config = String::from("[brand]\nname = \"Acme\"\n");
    for source in 0..request.sources {
        config.push_str(&format!(
            "\n[[sources]]\nid = \"{tag}-{source}\"\nkind = \"rss\"\nfeeds = [\"{}/feeds/{source}.xml\"]\n\
             requests_per_minute = 60000\n",
            server.base_url()
        ));
    }
    let config_path = dir.join("hark.toml");
    std::fs::write(&config_path, config).internal("writing the configuration")?;
    let store = match layout.store_url {
        Some(url) => hark_store::Store::connect(url).await.internal("opening the PostgreSQL store")?,
        None => hark_store::Store::open_in(&dir.join("data")).await.internal("opening the scratch store")?,
    };
    let before = store.count_mentions().await.internal("counting mentions")?;
    let target = before + i64::try_from(request.sources * per_source).unwrap_or(i64::MAX);
    let spawn = |data_dir: &str, args: &[&str], classify: bool| {
        let mut command = tokio::process::Command::new(&request.hark);
        command
            .arg("--config")
            .arg(&config_path)
            .arg("--data-dir")
            .arg(dir.join(data_dir))
            .arg("-q")
            .args(args)
            .env_remove(hark_store::STORE_URL_ENV)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true);
        if !classify {
            command.arg("--no-classify");
        }
        if let Some(url) = layout.store_url {
            command.env(hark_store::STORE_URL_ENV, url).env(hark_bus::BUS_URL_ENV, &request.bus_url);
        }
        command.spawn().internal(&format!("starting {}", request.hark.display()))
    };
    let started = Instant::now();
    let mut children = Vec::new();
    if layout.workers == 0 {
        children.push(spawn("data", &["run", "--once", "--no-serve"], layout.classify)?);
    } else {
        for worker in 0..layout.workers {
            children.push(spawn(&format!("process-{worker}"), &["run", "--role", "process"], layout.classify)?);
        }
        children.push(spawn("fetch", &["run", "--role", "fetch", "--once"], false)?);
    }
    let deadline = Duration::from_secs(1800);
    loop {
        let stored = store.count_mentions().await.internal("counting mentions")?;
        if stored >= target {
            break;
        }
        // A process that failed (its error is on stderr) means the posts will never all come.
        for child in &mut children {
            if let Ok(Some(status)) = child.try_wait() {
                if !status.success() {
                    return Err(AppError::internal(
                        "measuring",
                        anyhow::anyhow!(
                            "a hark process of layout {} exited with {status} after {} of {} posts (its error is above)",
                            layout.name,
                            stored - before,
                            target - before
                        ),
                    ));
                }
            }
        }
        if started.elapsed() > deadline {
            return Err(AppError::internal(
                "measuring",
                anyhow::anyhow!("{} of {} posts stored after {deadline:?}", stored - before, target - before),
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    for child in &mut children {
        if let Some(pid) = child.id() {
            drop(tokio::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().await);
        }
    }
    for child in &mut children {
        drop(tokio::time::timeout(Duration::from_secs(60), child.wait()).await);
    }
    store.close().await;
    Ok(seconds)
}
