//! `hark bench classify|index|search`: built-in throughput figures.

use std::path::PathBuf;
use std::process::ExitCode;

use hark_app::Caller;
use hark_app::bench::{self, ClassifyBenchRequest, IndexReport};

use crate::context::Context;
use crate::output::{print_json, print_table};

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
