//! `hark import customers FILE`: a CRM export in, all or nothing.

use std::path::Path;
use std::process::ExitCode;

use hark_app::Caller;
use hark_app::import::{self, CrmFormat, ImportRequest};

use crate::cli::FormatArg;
use crate::context::Context;
use crate::output::print_json;

pub async fn customers(context: &Context, file: &Path, format: FormatArg, dry_run: bool) -> anyhow::Result<ExitCode> {
    let format = match format {
        FormatArg::Auto => CrmFormat::Auto,
        FormatArg::Hubspot => CrmFormat::Hubspot,
        FormatArg::Salesforce => CrmFormat::Salesforce,
        FormatArg::Generic => CrmFormat::Generic,
    };
    let request = ImportRequest { file: file.to_owned(), format, dry_run };
    let mut progress = context.progress();
    let report = import::import_customers(&context.app, &Caller::local(), &request, &mut progress).await;
    context.app.close().await;
    let report = report?;
    if context.json() {
        print_json(&report)?;
    } else {
        let verb = if dry_run { "dry run, nothing written: would import" } else { "imported" };
        println!(
            "{verb} {} customers from {} ({} layout): {} created, {} updated, {} unchanged",
            report.rows, report.file, report.format, report.created, report.updated, report.unchanged
        );
        if let Some(r) = &report.rematched {
            println!(
                "re-matched {} mentions: {} matched automatically, {} proposed, {} matches changed",
                r.mentions, r.auto, r.proposed, r.changed
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
