//! One module per command; each takes the [`AppContext`] and returns an exit code.

mod bench;
mod classify;
mod connectors;
mod customers;
mod import;
mod ingest;
mod init;
mod pull;
mod status;
mod train;

use std::process::ExitCode;

use crate::cli::{BenchCommand, Cli, Command, ImportCommand};
use crate::context::AppContext;

/// Exit code for "done, but some input was skipped".
pub const EXIT_PARTIAL: u8 = 3;

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Command::Init { force } = cli.command {
        // `init` must work where no valid configuration exists yet.
        return init::run(&cli.global, force).await;
    }
    let context = AppContext::load(cli.global)?;
    match cli.command {
        Command::Init { .. } => unreachable!("handled above"),
        Command::Status => status::run(&context).await,
        Command::Ingest { file, source, batch_size, no_classify } => {
            ingest::run(&context, &file, source, batch_size as usize, !no_classify).await
        }
        Command::Connectors(command) => connectors::run(&context, &command),
        Command::Pull { sources, no_classify } => pull::run(&context, &sources, !no_classify).await,
        Command::Import(ImportCommand::Customers { file, format, dry_run }) => {
            import::customers(&context, &file, format, dry_run).await
        }
        Command::Customers(command) => customers::run(&context, command).await,
        Command::Classify { texts, input } => classify::run(texts, input.as_deref()).await,
        Command::Train(args) => train::train(&context, args).await,
        Command::Eval { task, data, baseline, heads, int8 } => {
            train::eval(&context, train::task(task), data, baseline, heads, int8).await
        }
        Command::Bench(BenchCommand::Classify { data, batch_size, threads, int8, rounds }) => {
            bench::classify(&context, data, batch_size, threads, int8, rounds).await
        }
    }
}
