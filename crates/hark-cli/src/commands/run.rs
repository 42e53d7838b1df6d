//! `hark run`: the service (`hark_app::service`) and, beside it on the same application,
//! the server (`hark_server`), until SIGINT or SIGTERM; a second signal exits at once.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use hark_app::Caller;
use hark_app::service::{self, RunRequest};
use tokio::sync::watch;

use crate::commands::EXIT_PARTIAL;
use crate::commands::serve::shutdown_signal;
use crate::context::Context;
use crate::output::print_json;

/// The exit status of a second signal (128 + SIGINT, as shells report it).
const EXIT_SECOND_SIGNAL: i32 = 130;

#[derive(Debug, Clone)]
pub struct RunArgs {
    pub addr: SocketAddr,
    pub serve: bool,
    /// A fetcher's or a process worker's /healthz and /metrics.
    pub metrics_addr: Option<SocketAddr>,
    pub request: RunRequest,
    pub grace: Duration,
}

pub async fn run(context: &Context, args: RunArgs) -> anyhow::Result<ExitCode> {
    let app = &context.app;
    let serve = args.serve && !args.request.once;
    if serve {
        // Before anything records: counters from the first pass on.
        hark_server::metrics::install();
    }
    let (stop, stopped) = watch::channel(false);
    let signals = tokio::spawn(watch_signals(stop.clone()));
    let metrics_addr = args.metrics_addr.filter(|_| !args.request.once);
    if metrics_addr.is_some() {
        hark_server::metrics::install();
    }
    // Bind first, so a taken port fails before any source is pulled.
    let bind = |addr: SocketAddr, flag: &'static str| async move {
        tokio::net::TcpListener::bind(addr).await.map_err(|err| {
            anyhow::anyhow!("cannot listen on {addr}: {err} (is another hark running? pick one with {flag})")
        })
    };
    let server = match (serve, metrics_addr) {
        (true, _) => {
            let listener = bind(args.addr, "--addr").await?;
            Some(tokio::spawn(hark_server::serve_on(app.clone(), listener, until_stopped(stopped.clone()))))
        }
        (false, Some(addr)) => {
            let listener = bind(addr, "--metrics-addr").await?;
            Some(tokio::spawn(hark_server::serve_process_metrics_on(listener, until_stopped(stopped.clone()))))
        }
        (false, None) => None,
    };
    let caller = Caller::local();
    let outcome = tokio::select! {
        outcome = service::run(app, &caller, &args.request, stopped.clone()) => Some(outcome),
        () = grace_over(stopped.clone(), args.grace) => None,
    };
    // The service is done (stopped, --once, or failed to start): stop serving too.
    stop.send_replace(true);
    signals.abort();
    if let Some(server) = server {
        match tokio::time::timeout(args.grace, server).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(err))) => tracing::error!(error = %format!("{err:#}"), "the server failed"),
            Ok(Err(err)) => tracing::error!(error = %err, "the server ended abnormally"),
            Err(_) => tracing::warn!("requests still in flight after the grace period were cut off"),
        }
    }
    let Some(outcome) = outcome else {
        tracing::error!(
            grace_s = args.grace.as_secs(),
            "pages were still in flight when the grace period ended; their cursors were not saved, so the next start fetches them again"
        );
        app.close().await;
        return Ok(ExitCode::from(1));
    };
    let summary = outcome?;
    app.close().await;
    if context.json() {
        print_json(&summary)?;
    } else if args.request.once {
        crate::commands::pull::print_reports(&summary.passes, summary.scored)?;
    } else {
        tracing::info!(passes = summary.passes.len(), "stopped: every page fetched was saved with its cursor");
    }
    Ok(if args.request.once && summary.failed() { ExitCode::from(EXIT_PARTIAL) } else { ExitCode::SUCCESS })
}

/// First signal: stop. Second: exit at once (safe: pages and cursors are saved together).
async fn watch_signals(stop: watch::Sender<bool>) {
    shutdown_signal().await;
    tracing::info!("stopping: no new fetches; saving the pages in flight (a second signal exits at once)");
    stop.send_replace(true);
    shutdown_signal().await;
    tracing::warn!("second signal: exiting at once; pages not yet saved will be fetched again");
    std::process::exit(EXIT_SECOND_SIGNAL);
}

async fn until_stopped(mut stopped: watch::Receiver<bool>) {
    // An error means the sender is gone, which happens only once everything stops.
    drop(stopped.wait_for(|stopped| *stopped).await);
}

/// Resolves `grace` after the stop.
async fn grace_over(stopped: watch::Receiver<bool>, grace: Duration) {
    until_stopped(stopped).await;
    tokio::time::sleep(grace).await;
}
