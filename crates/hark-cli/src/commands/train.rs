//! `hark train` and `hark eval`: fit a head, measure a head or the baseline.

use std::path::PathBuf;
use std::process::ExitCode;

use hark_app::Caller;
use hark_app::training::{self, EvalRequest, Report, Task, TrainRequest};

use crate::cli::{TaskArg, TrainArgs};
use crate::context::Context;
use crate::output::print_json;

pub fn task(arg: TaskArg) -> Task {
    match arg {
        TaskArg::Sentiment => Task::Sentiment,
        TaskArg::Complaint => Task::Complaint,
        TaskArg::Intent => Task::Intent,
    }
}

pub async fn train(context: &Context, args: TrainArgs) -> anyhow::Result<ExitCode> {
    let request = TrainRequest {
        task: task(args.task),
        train_files: args.train_files,
        valid_file: args.valid_file,
        out: args.out,
        force: args.force,
        target_precision: args.target_precision,
        exclude: args.exclude,
        hidden: args.hidden,
        epochs: args.epochs,
        learning_rate: args.learning_rate,
        weight_decay: args.weight_decay,
        hash_dim: args.hash_dim,
        ngram_weight: args.ngram_weight,
        ensemble: args.ensemble,
        full_batch: args.full_batch,
        seed: args.seed,
    };
    let outcome = if args.labels {
        training::train_with_triage(&context.app, &Caller::local(), request).await?
    } else {
        training::train(&Caller::local(), request).await?
    };
    if context.json() {
        print_json(&outcome)?;
    } else {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
    }
    Ok(ExitCode::SUCCESS)
}

fn fmt(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{v:.3}"))
}

pub async fn eval(
    context: &Context,
    task: Task,
    data: PathBuf,
    baseline: bool,
    heads: Option<PathBuf>,
    int8: bool,
) -> anyhow::Result<ExitCode> {
    let report: Report = training::eval(&Caller::local(), EvalRequest { task, data, baseline, heads, int8 }).await?;
    if context.json() {
        print_json(&report)?;
    } else {
        println!("task {}  n {}  accuracy {:.3}", report.task, report.n, report.accuracy);
        println!(
            "precision {}  recall {}  F1 {}  (threshold {})",
            fmt(report.precision),
            fmt(report.recall),
            fmt(report.f1),
            fmt(report.threshold)
        );
        println!("macro F1 {:.3}  macro recall {:.3}  AUC {}", report.macro_f1, report.macro_recall, fmt(report.auc));
    }
    Ok(ExitCode::SUCCESS)
}
