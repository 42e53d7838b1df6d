//! `hark serve`: the API (and, as it lands, the web app) until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::process::ExitCode;

use hark_app::App;

pub async fn run(app: &App, addr: SocketAddr) -> anyhow::Result<ExitCode> {
    // Open the store before listening, so a bad data directory fails at once.
    hark_app::health::ready(app).await?;
    let deliveries = hark_app::alerts::spawn_delivery(app.clone());
    hark_server::serve(app.clone(), addr, shutdown_signal()).await?;
    deliveries.abort();
    app.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("interrupted: finishing requests in flight"),
        () = terminate => tracing::info!("terminated: finishing requests in flight"),
    }
}
