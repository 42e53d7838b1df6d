//! A CRM export in, all or nothing (`hark import customers`).

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::PathBuf;

use hark_pipeline::crm_import::{self, ImportError, parse_customers};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::App;
use crate::access::{Caller, Permission};
use crate::error::{AppError, AppResult, Context};
use crate::progress::{Progress, Unit};

/// Bad rows listed in the error at most (the count covers all).
pub const SHOWN_ERRORS: usize = 100;

/// The export's layout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CrmFormat {
    /// Detect from the header row.
    #[default]
    Auto,
    Hubspot,
    Salesforce,
    Generic,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRequest {
    pub file: PathBuf,
    pub format: CrmFormat,
    /// Report what would be created or updated without writing anything.
    pub dry_run: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportReport {
    pub file: String,
    pub format: &'static str,
    pub dry_run: bool,
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Mentions matched after re-evaluating every author (absent when nothing changed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rematched: Option<RematchReport>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct RematchReport {
    pub mentions: usize,
    pub auto: usize,
    pub proposed: usize,
    pub changed: usize,
}

/// Reads `file` (reporting bytes read to `progress`), then writes every customer or none: a
/// bad row means an `invalid_rows` error listing the rows and nothing written. New or
/// changed customers may be the authors of stored mentions, so every author is re-matched
/// (people's decisions stay). The import is audited under the caller's name.
pub async fn import_customers(
    app: &App,
    caller: &Caller,
    request: &ImportRequest,
    progress: &mut dyn Progress,
) -> AppResult<ImportReport> {
    caller.require(Permission::Admin)?;
    let file = &request.file;
    let handle = File::open(file)
        .map_err(|err| AppError::invalid("unreadable_file", format!("opening {}", file.display())).with_source(err))?;
    let len = handle.metadata().map(|meta| meta.len()).unwrap_or(0);
    let format = match request.format {
        CrmFormat::Auto => crm_import::CrmFormat::Auto,
        CrmFormat::Hubspot => crm_import::CrmFormat::Hubspot,
        CrmFormat::Salesforce => crm_import::CrmFormat::Salesforce,
        CrmFormat::Generic => crm_import::CrmFormat::Generic,
    };
    progress.start("reading", len, Unit::Bytes);
    let reader = ProgressReader { inner: BufReader::new(handle), progress: &mut *progress };
    let parsed = parse_customers(reader, format, app.clock().now());
    progress.finish();
    let parsed = match parsed {
        Ok(parsed) => parsed,
        Err(ImportError::Rows(errors)) => {
            let name = file.display();
            let mut message = format!(
                "{name}: {} bad row{}; nothing was imported. Fix them and run the import again.",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            );
            for error in errors.iter().take(SHOWN_ERRORS) {
                message.push_str(&format!("\n  {name}: {error}"));
            }
            if errors.len() > SHOWN_ERRORS {
                message.push_str(&format!("\n  ... and {} more bad rows", errors.len() - SHOWN_ERRORS));
            }
            return Err(AppError::invalid("invalid_rows", message));
        }
        Err(err) => {
            return Err(AppError::invalid("invalid_import", format!("importing {}", file.display())).with_source(err));
        }
    };

    let store = app.store().await?;
    let origin = file.display().to_string();
    let now = app.clock().now();
    let summary = store
        .apply_customer_import(&parsed.customers, &caller.name, &origin, request.dry_run, now)
        .await
        .internal("writing customers (nothing was imported)")?;
    let rematched = if request.dry_run || summary.created + summary.updated == 0 {
        None
    } else {
        // Matched again, then routed again: new customers' complaints move to service.
        let pipeline = app.pipeline(false).await?;
        let (summary, _routed) =
            pipeline.rematch_and_route_all().await.internal("re-matching mentions to the imported customers")?;
        Some(RematchReport {
            mentions: summary.mentions,
            auto: summary.auto,
            proposed: summary.proposed,
            changed: summary.changed,
        })
    };
    Ok(ImportReport {
        file: origin,
        format: parsed.format.as_str(),
        dry_run: request.dry_run,
        rows: parsed.customers.len(),
        created: summary.created,
        updated: summary.updated,
        unchanged: summary.unchanged,
        rematched,
    })
}

/// A reader that reports the bytes it reads.
struct ProgressReader<'a, R> {
    inner: R,
    progress: &'a mut dyn Progress,
}

impl<R: Read> Read for ProgressReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.progress.advance(read as u64);
        Ok(read)
    }
}
