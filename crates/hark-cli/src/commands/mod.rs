//! One module per command: each maps flags onto one `hark_app` call and prints the result;
//! it returns an exit code.

mod alerts;
mod backup;
mod bench;
mod classify;
mod connectors;
mod customers;
mod demo;
mod export;
mod import;
mod ingest;
mod init;
mod labels;
mod matches;
mod prospects;
mod pull;
mod queue;
mod reindex;
mod run;
mod search;
mod serve;
mod sources;
mod status;
mod train;
mod user;

use std::process::ExitCode;

pub use self::alerts::AlertsCommand;

use crate::cli::{BenchCommand, Cli, Command, ImportCommand, LabelsCommand};
use crate::context::Context;

/// Exit code for "done, but some input was skipped".
pub const EXIT_PARTIAL: u8 = 3;

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Command::Init { force } = cli.command {
        // `init` must work where no valid configuration exists yet.
        return init::run(&cli.global, force).await;
    }
    if let Command::Demo { fresh, no_classify, no_serve, serve_only, addr } = cli.command {
        // The demo brings its own configuration: the user's hark.toml is not read.
        let serve = if no_serve { None } else { Some(addr) };
        return demo::run(cli.global, fresh, !no_classify, serve, serve_only).await;
    }
    let context = Context::load(cli.global)?;
    match cli.command {
        Command::Init { .. } | Command::Demo { .. } => unreachable!("handled above"),
        Command::Status => status::run(&context).await,
        Command::Sources => sources::run(&context).await,
        Command::Ingest { file, source, batch_size, no_classify } => {
            ingest::run(&context, &file, source, batch_size as usize, !no_classify).await
        }
        Command::Connectors(command) => connectors::run(context.json(), &command),
        Command::Pull { sources, no_classify } => pull::run(&context, &sources, !no_classify).await,
        Command::Import(ImportCommand::Customers { file, format, dry_run }) => {
            import::customers(&context, &file, format, dry_run).await
        }
        Command::Customers(command) => customers::run(&context, command).await,
        Command::Match(command) => matches::run(&context, command).await,
        Command::Prospects { topic, limit, like_customers, lexical } => {
            prospects::run(&context, topic.as_deref(), limit, like_customers, lexical).await
        }
        Command::Search { query, source, since, limit, collapse, sort } => {
            search::run(&context, &query, search::Filters { source, since }, limit as usize, collapse, sort).await
        }
        Command::Reindex => reindex::run(&context).await,
        Command::Bench(BenchCommand::Index { count }) => bench::index(&context, count).await,
        Command::Bench(BenchCommand::Search { count, runs }) => bench::search(&context, count, runs).await,
        Command::Bench(BenchCommand::Api { mentions, clients, seconds, keep }) => {
            bench::api(&context, mentions, clients, seconds, keep).await
        }
        Command::Classify { texts, input } => classify::run(texts, input.as_deref()).await,
        Command::Train(args) => train::train(&context, args).await,
        Command::Eval { task, data, baseline, heads, int8 } => {
            train::eval(&context, train::task(task), data, baseline, heads, int8).await
        }
        Command::Bench(BenchCommand::Pipeline { input, copies, page, batch_texts, channel_pages }) => {
            let request = hark_app::pipeline_bench::PipelineBenchRequest {
                input,
                copies: usize::from(copies),
                page: usize::from(page),
                batch_texts: batch_texts.map(usize::from),
                channel_pages: channel_pages.map(usize::from),
            };
            bench::pipeline(&context, &request).await
        }
        Command::Bench(BenchCommand::Soak { minutes, posts_per_minute, sources, sample_every, no_classify }) => {
            let request = hark_app::soak::SoakRequest {
                hark: std::env::current_exe()?,
                duration: std::time::Duration::from_secs_f64(minutes.max(0.1) * 60.0),
                posts_per_minute,
                sources,
                sample_every: std::time::Duration::from_secs(sample_every.max(1)),
                classify: !no_classify,
            };
            bench::soak(&context, &request).await
        }
        Command::Bench(BenchCommand::Scale {
            store_url,
            bus_url,
            sources,
            posts_per_source,
            workers,
            model_workers,
        }) => {
            let request = hark_app::scale_bench::ScaleRequest {
                hark: std::env::current_exe()?,
                store_url,
                bus_url,
                sources,
                posts_per_source,
                workers,
                model_workers,
            };
            bench::scale(&context, &request).await
        }
        Command::Bench(BenchCommand::Classify { data, batch_size, threads, int8, rounds }) => {
            bench::classify(&context, data, batch_size, threads, int8, rounds).await
        }
        Command::Queue(command) => queue::run(&context.app, context.json(), command).await,
        Command::User(command) => user::run(&context.app, context.json(), command).await,
        Command::Labels(LabelsCommand::Export { task }) => labels::export(&context.app, task.as_deref()).await,
        Command::Alerts(command) => alerts::run(&context.app, context.json(), command).await,
        Command::Export(command) => export::run(&context.app, command).await,
        Command::Serve { addr } => serve::run(&context.app, addr).await,
        Command::Run {
            role,
            addr,
            no_serve,
            metrics_addr,
            once,
            no_classify,
            max_concurrent,
            channel_pages,
            grace,
            stall_after,
        } => {
            let role = match role {
                crate::cli::RunRole::All => hark_app::roles::Role::All,
                crate::cli::RunRole::Fetch => hark_app::roles::Role::Fetch,
                crate::cli::RunRole::Process => hark_app::roles::Role::Process,
                crate::cli::RunRole::Serve => hark_app::roles::Role::Serve,
            };
            // Fetchers and process workers do not serve (run `--role serve` for that), but
            // may serve their own metrics.
            let serve = !no_serve && matches!(role, hark_app::roles::Role::All | hark_app::roles::Role::Serve);
            if metrics_addr.is_some() && matches!(role, hark_app::roles::Role::All | hark_app::roles::Role::Serve) {
                anyhow::bail!(
                    "--metrics-addr is for --role fetch and --role process; --role {} serves /metrics on --addr",
                    role.as_str()
                );
            }
            let request = hark_app::service::RunRequest {
                role,
                once,
                classify: !no_classify,
                max_concurrent: usize::from(max_concurrent),
                channel_pages: usize::from(channel_pages),
                stall_after,
                ..hark_app::service::RunRequest::default()
            };
            run::run(&context, run::RunArgs { addr, serve, metrics_addr, request, grace }).await
        }
        Command::Backup { dir } => backup::backup(&context, &dir).await,
        Command::MigrateStore { to } => backup::migrate_store(&context, &to).await,
        Command::Restore { dir, force } => backup::restore(&context, &dir, force).await,
    }
}

pub(crate) use hark_core::text::snippet;
