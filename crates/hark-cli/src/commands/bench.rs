//! `hark bench classify|index|search|api`: built-in throughput and latency figures.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hark_app::bench::{self, ClassifyBenchRequest, IndexReport, LoadReport, LoadRequest, Mix, PopulateReport};
use hark_app::{App, AppOptions, Caller, Role};
use serde::Serialize;

use crate::cli::GlobalArgs;
use crate::context::Context;
use crate::output::{print_json, print_table, thousands};

pub async fn classify(
    context: &Context,
    data: Option<PathBuf>,
    batch_size: usize,
    threads: usize,
    int8: bool,
    rounds: usize,
) -> anyhow::Result<ExitCode> {
    let request = ClassifyBenchRequest { data, batch_size, threads, int8, rounds };
    let report = bench::classify(&Caller::local(), &request).await?;
    if context.json() {
        print_json(&report)?;
    } else {
        println!(
            "{} texts, batch {}, {} threads{}: {:.1} texts/s ({:.2} of a bare ONNX Runtime session at {:.1}/s; unsorted batches {:.1}/s)",
            report.texts,
            report.batch_size,
            report.threads,
            if report.int8 { ", int8" } else { "" },
            report.texts_per_second,
            report.ratio_to_bare_session,
            report.bare_session_texts_per_second,
            report.unsorted_texts_per_second
        );
        println!("start-up {:.2} s, peak resident memory {:.0} MiB", report.startup_seconds, report.peak_rss_mb);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_index_report(report: &IndexReport) {
    println!(
        "indexed {} mentions in {:.1} s: {:.0} mentions/s; index {:.1} MiB on disk; peak resident memory {:.0} MiB",
        report.mentions, report.seconds, report.mentions_per_second, report.index_mb, report.peak_rss_mb
    );
}

pub async fn index(context: &Context, count: u64) -> anyhow::Result<ExitCode> {
    let mut progress = context.progress();
    let report = bench::index(&context.app, &Caller::local(), count, &mut progress).await?;
    if context.json() {
        print_json(&report)?;
    } else {
        print_index_report(&report);
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn search(context: &Context, count: u64, runs: usize) -> anyhow::Result<ExitCode> {
    let mut progress = context.progress();
    let report = bench::search(&context.app, &Caller::local(), count, runs, &mut progress).await?;
    if context.json() {
        print_json(&report)?;
    } else {
        print_index_report(&report.index);
        let rows: Vec<Vec<String>> = report
            .queries
            .iter()
            .map(|q| vec![q.query.clone(), q.hits.to_string(), format!("{:.2}", q.p50_ms), format!("{:.2}", q.p99_ms)])
            .collect();
        print_table(&["query", "matches", "p50 ms", "p99 ms"], &rows)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The data directory the flags name, when it is not the default one: `hark bench api`
/// never fills the everyday data directory by accident.
fn named_data_dir(global: &GlobalArgs) -> Option<PathBuf> {
    let named = std::env::var_os("HARK_DATA_DIR").is_some() || global.data_dir != Path::new("hark-data");
    named.then(|| global.data_dir.clone())
}

/// A new directory under the system's temporary directory.
fn scratch_dir() -> anyhow::Result<PathBuf> {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.subsec_nanos());
    let dir = std::env::temp_dir().join(format!("hark-bench-api-{}-{nanos:08x}", std::process::id()));
    std::fs::create_dir(&dir).map_err(|err| anyhow::anyhow!("creating {}: {err}", dir.display()))?;
    Ok(dir)
}

#[derive(Debug, Serialize)]
struct ApiBenchOutput<'a> {
    data_dir: String,
    populate: &'a PopulateReport,
    load: &'a LoadReport,
}

/// `hark bench api`: populate a fresh data directory, serve it on a loopback port in this
/// process, and measure the API under concurrent clients.
pub async fn api(
    context: &Context,
    mentions: u64,
    clients: usize,
    seconds: u64,
    keep: bool,
) -> anyhow::Result<ExitCode> {
    let (data_dir, scratch) = match named_data_dir(&context.global) {
        Some(dir) => {
            std::fs::create_dir_all(&dir).map_err(|err| anyhow::anyhow!("creating {}: {err}", dir.display()))?;
            (dir, false)
        }
        None => (scratch_dir()?, true),
    };
    eprintln!("data directory: {}", data_dir.display());
    let app = App::with_config(
        AppOptions {
            config_path: context.app.config_path().to_owned(),
            config_explicit: context.global.config.is_some(),
            data_dir: data_dir.clone(),
        },
        context.app.config().clone(),
        context.app.config_origin(),
    );
    let result = measure_api(context, &app, mentions, clients, seconds).await;
    app.close().await;
    if scratch && !keep {
        if let Err(err) = std::fs::remove_dir_all(&data_dir) {
            tracing::warn!(error = %err, dir = %data_dir.display(), "cannot remove the scratch data directory");
        }
    } else if scratch {
        eprintln!("kept the data directory {}", data_dir.display());
    }
    let (populate, load) = result?;
    if context.json() {
        print_json(&ApiBenchOutput { data_dir: data_dir.display().to_string(), populate: &populate, load: &load })?;
    } else {
        print_api_report(&populate, &load)?;
    }
    if load.errors > 0 {
        eprintln!("error: {} of {} requests failed", load.errors, load.overall.requests);
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

async fn measure_api(
    context: &Context,
    app: &App,
    mentions: u64,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<(PopulateReport, LoadReport)> {
    let caller = Caller::local();
    let mut progress = context.progress();
    let populate = bench::populate(app, &caller, mentions, 42, &mut progress).await?;
    let user = hark_app::users::add_user(app, &caller, "bench-api", Role::Admin, None).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(hark_server::serve_on(app.clone(), listener, async move {
        // A dropped sender stops the server too.
        drop(stopped.await);
    }));
    if !context.global.quiet {
        eprintln!("{clients} clients for {seconds} s against http://{addr}/api/v1 ...");
    }
    let request = LoadRequest {
        base_url: format!("http://{addr}"),
        token: user.token,
        clients,
        duration: Duration::from_secs(seconds),
        mix: Mix::default(),
    };
    let load = bench::load(&request).await;
    let _ = stop.send(());
    server.await??;
    Ok((populate, load?))
}

fn print_api_report(populate: &PopulateReport, load: &LoadReport) -> anyhow::Result<()> {
    let items: i64 = populate.queue_items.values().flat_map(|states| states.values()).sum();
    println!(
        "populated {} mentions in {:.1} s ({:.0} mentions/s): {} queue items",
        thousands(populate.stored),
        populate.seconds,
        populate.mentions_per_second,
        thousands(items)
    );
    println!(
        "{} clients for {:.1} s; inbox: the {} queue; {} items moved assigned <-> contacted",
        load.clients, load.seconds, load.queue, load.items_transitioned
    );
    let rows: Vec<Vec<String>> = load
        .kinds
        .iter()
        .chain(std::iter::once(&load.overall))
        .map(|summary| {
            vec![
                summary.kind.clone(),
                thousands(i64::try_from(summary.requests).unwrap_or(i64::MAX)),
                format!("{:.0}", summary.requests_per_second),
                format!("{:.1}", summary.p50_ms),
                format!("{:.1}", summary.p90_ms),
                format!("{:.1}", summary.p99_ms),
                format!("{:.1}", summary.max_ms),
                summary.errors.to_string(),
            ]
        })
        .collect();
    print_table(&["request", "count", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors"], &rows)?;
    for message in &load.first_errors {
        println!("  {message}");
    }
    Ok(())
}

pub async fn soak(context: &Context, request: &hark_app::soak::SoakRequest) -> anyhow::Result<ExitCode> {
    let report = hark_app::soak::soak(&Caller::local(), request).await?;
    let problems = report.problems();
    if context.json() {
        print_json(&report)?;
    } else {
        let rows: Vec<Vec<String>> = report
            .samples
            .iter()
            .map(|sample| {
                vec![
                    format!("{:.0}", sample.seconds),
                    format!("{:.1}", sample.rss_mib),
                    format!("{:.0}", sample.mentions_stored),
                    format!("{:.0}", sample.channel_pages),
                ]
            })
            .collect();
        print_table(&["SECONDS", "RSS MiB", "STORED", "PAGES WAITING"], &rows)?;
        println!(
            "{:.0} s at {} posts/min over {} feeds ({}): published {}, stored {}, metrics stored {} / new {}, \
             source failures {}",
            report.seconds,
            report.posts_per_minute,
            report.sources,
            if report.scored { "scored" } else { "unscored" },
            report.published,
            report.stored,
            report.metrics_stored,
            report.metrics_new,
            report.failures
        );
        println!(
            "memory (RSS): start {:.1} MiB, middle {:.1} MiB, end {:.1} MiB; SIGTERM exit {:?}",
            report.rss_start_mib, report.rss_middle_mib, report.rss_end_mib, report.exit_code
        );
        for problem in &problems {
            println!("problem: {problem}");
        }
    }
    Ok(if problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

pub async fn pipeline(
    context: &Context,
    request: &hark_app::pipeline_bench::PipelineBenchRequest,
) -> anyhow::Result<ExitCode> {
    let report = hark_app::pipeline_bench::pipeline(&Caller::local(), request).await?;
    if context.json() {
        print_json(&report)?;
    } else {
        print_table(
            &["STAGE", "MENTIONS", "SECONDS", "PER SECOND"],
            &[
                vec![
                    "whole pipeline, staged (hark run)".to_owned(),
                    report.mentions.to_string(),
                    format!("{:.2}", report.pipeline_seconds),
                    format!("{:.1}", report.pipeline_mentions_per_second),
                ],
                vec![
                    "whole pipeline, page by page (hark ingest)".to_owned(),
                    report.mentions.to_string(),
                    format!("{:.2}", report.page_by_page_seconds),
                    format!("{:.1}", report.page_by_page_mentions_per_second),
                ],
                vec![
                    "bare encoder".to_owned(),
                    report.mentions.to_string(),
                    format!("{:.2}", report.encoder_seconds),
                    format!("{:.1}", report.encoder_texts_per_second),
                ],
            ],
        )?;
        println!(
            "the staged pipeline (score batches of up to {} texts, {} pages between stages) runs at \
             {:.2}x the bare encoder's rate, page by page at {:.2}x ({} pages; {} stored, {} queue items; \
             parsing took {:.2} s)",
            report.batch_texts,
            report.channel_pages,
            report.ratio_to_encoder,
            report.page_by_page_ratio_to_encoder,
            report.pages,
            report.stored,
            report.queue_items,
            report.parse_seconds
        );
        println!(
            "page by page: {:.2} s preparing, {:.2} s scoring, {:.2} s saving, matching, routing and indexing",
            report.page_by_page_prepare_seconds, report.page_by_page_score_seconds, report.page_by_page_commit_seconds
        );
        println!(
            "start-up (model, heads, store and index loaded): {:.2} s; peak resident memory {:.0} MiB",
            report.startup_seconds, report.peak_rss_mb
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn scale(context: &Context, request: &hark_app::scale_bench::ScaleRequest) -> anyhow::Result<ExitCode> {
    let report = hark_app::scale_bench::scale(&Caller::local(), request).await?;
    if context.json() {
        print_json(&report)?;
    } else {
        let rows: Vec<Vec<String>> = report
            .runs
            .iter()
            .map(|run| {
                vec![
                    run.layout.clone(),
                    if run.scored { "yes".to_owned() } else { "no".to_owned() },
                    format!("{:.1}", run.seconds),
                    format!("{:.0}", run.posts_per_second),
                    format!("{:.2}x", run.vs_sqlite),
                ]
            })
            .collect();
        print_table(&["LAYOUT", "SCORED", "SECONDS", "POSTS/S", "VS SQLITE"], &rows)?;
        println!("{} posts from {} feeds per layout, fetch to store", report.posts, report.sources);
    }
    Ok(ExitCode::SUCCESS)
}
