//! `hark import customers FILE`: a CRM export in, all or nothing.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::Utc;
use hark_pipeline::crm_import::{CrmFormat, ImportError, parse_customers};
use serde::Serialize;

use crate::cli::FormatArg;
use crate::context::AppContext;
use crate::output::{file_progress, print_json};

/// Bad rows printed before the rest are only counted.
const SHOWN_ERRORS: usize = 100;

#[derive(Debug, Serialize)]
struct ImportReport {
    file: String,
    format: &'static str,
    dry_run: bool,
    rows: usize,
    created: usize,
    updated: usize,
    unchanged: usize,
    /// Mentions matched after re-evaluating every author (absent when nothing changed).
    #[serde(skip_serializing_if = "Option::is_none")]
    rematched: Option<RematchReport>,
}

#[derive(Debug, Serialize)]
struct RematchReport {
    mentions: usize,
    auto: usize,
    proposed: usize,
    changed: usize,
}

pub async fn customers(
    context: &AppContext,
    file: &Path,
    format: FormatArg,
    dry_run: bool,
) -> anyhow::Result<ExitCode> {
    let handle = File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let len = handle.metadata().map(|meta| meta.len()).unwrap_or(0);
    let progress = file_progress(len, "reading", context.show_progress());
    let format = match format {
        FormatArg::Auto => CrmFormat::Auto,
        FormatArg::Hubspot => CrmFormat::Hubspot,
        FormatArg::Salesforce => CrmFormat::Salesforce,
        FormatArg::Generic => CrmFormat::Generic,
    };
    let parsed = parse_customers(progress.wrap_read(BufReader::new(handle)), format, Utc::now());
    progress.finish_and_clear();
    let parsed = match parsed {
        Ok(parsed) => parsed,
        Err(ImportError::Rows(errors)) => {
            for error in errors.iter().take(SHOWN_ERRORS) {
                eprintln!("{}: {error}", file.display());
            }
            if errors.len() > SHOWN_ERRORS {
                eprintln!("... and {} more bad rows", errors.len() - SHOWN_ERRORS);
            }
            bail!(
                "{}: {} bad row{}; nothing was imported. Fix them and run the import again.",
                file.display(),
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            );
        }
        Err(err) => {
            return Err(anyhow::Error::new(err).context(format!("importing {}", file.display())));
        }
    };

    let store = context.store().await?;
    let origin = file.display().to_string();
    let summary = store
        .apply_customer_import(&parsed.customers, &whoami(), &origin, dry_run, Utc::now())
        .await
        .context("writing customers (nothing was imported)")?;
    // New or changed customers may be the authors of stored mentions, and matches to
    // changed ones may no longer hold: re-evaluate every author (people's decisions stay).
    let rematched = if dry_run || summary.created + summary.updated == 0 {
        None
    } else {
        let stage = context.matching_stage();
        Some(stage.rematch_all(&store, Utc::now()).await.context("re-matching mentions to the imported customers")?)
    };
    store.close().await;

    let report = ImportReport {
        file: origin,
        format: parsed.format.as_str(),
        dry_run,
        rows: parsed.customers.len(),
        created: summary.created,
        updated: summary.updated,
        unchanged: summary.unchanged,
        rematched: rematched.map(|r| RematchReport {
            mentions: r.mentions,
            auto: r.auto,
            proposed: r.proposed,
            changed: r.changed,
        }),
    };
    if context.global.json {
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

/// The local user, for the audit log.
pub(crate) fn whoami() -> String {
    std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "cli".to_owned())
}
