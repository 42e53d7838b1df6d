//! Logs go to stderr, human-readable by default or JSON lines with `--log-format json`.
//! `RUST_LOG` overrides the level set by `-v`/`-q`.

use clap::ValueEnum;
use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

/// `verbosity`: -1 quiet (errors only), 0 default, 1 debug, 2+ trace.
pub fn init(verbosity: i8, format: LogFormat) {
    let level = match verbosity {
        i8::MIN..=-1 => "error",
        0 => "warn,hark=info,hark_cli=info,hark_app=info,hark_pipeline=info,hark_store=info",
        1 => "info,hark_cli=debug,hark_app=debug,hark_pipeline=debug,hark_store=debug",
        _ => "debug,hark_cli=trace,hark_app=trace,hark_pipeline=trace,hark_store=trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let result = match format {
        LogFormat::Human => builder.with_target(false).compact().try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    // A second init (only possible in tests) keeps the first subscriber.
    drop(result);
}
