//! `hark reindex`: rebuilds the mention index from the store.

use std::process::ExitCode;

use hark_app::{Caller, reindex};

use crate::context::Context;
use crate::output::print_json;

pub async fn run(context: &Context) -> anyhow::Result<ExitCode> {
    let mut progress = context.progress();
    let report = reindex::reindex(&context.app, &Caller::local(), &mut progress).await;
    context.app.close().await;
    let report = report?;
    if context.json() {
        print_json(&report)?;
    } else {
        println!("indexed {} mentions in {:.1} s ({})", report.indexed, report.seconds, report.path);
    }
    Ok(ExitCode::SUCCESS)
}
