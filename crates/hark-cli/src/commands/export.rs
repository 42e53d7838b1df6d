//! `hark export queue|prospects`: CSV or JSONL for a CRM import.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use hark_app::exports::{self, CrmColumns, Export, ExportFormat};
use hark_app::prospects::ProspectsRequest;
use hark_app::{App, Caller};

use crate::cli::{CrmArg, ExportCommand, ExportFormatArg, ExportShape};

pub async fn run(app: &App, command: ExportCommand) -> anyhow::Result<ExitCode> {
    let caller = Caller::local();
    let (export, shape) = match command {
        ExportCommand::Queue { queue, state, shape } => {
            let (format, crm) = kinds(&shape);
            (exports::queue(app, &caller, &queue, state.as_deref(), format, crm).await?, shape)
        }
        ExportCommand::Prospects { topic, limit, shape } => {
            let (format, crm) = kinds(&shape);
            let request = ProspectsRequest { topic, limit, ..ProspectsRequest::default() };
            (exports::prospects(app, &caller, &request, format, crm).await?, shape)
        }
    };
    write(&export, &shape)?;
    Ok(ExitCode::SUCCESS)
}

fn kinds(shape: &ExportShape) -> (ExportFormat, CrmColumns) {
    let format = match shape.format {
        ExportFormatArg::Csv => ExportFormat::Csv,
        ExportFormatArg::Jsonl => ExportFormat::Jsonl,
    };
    let crm = match shape.crm {
        CrmArg::Generic => CrmColumns::Generic,
        CrmArg::Hubspot => CrmColumns::Hubspot,
        CrmArg::Salesforce => CrmColumns::Salesforce,
    };
    (format, crm)
}

fn write(export: &Export, shape: &ExportShape) -> anyhow::Result<()> {
    match &shape.output {
        Some(path) => {
            std::fs::write(path, &export.body).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {} rows to {}", export.rows, path.display());
        }
        None => std::io::stdout().lock().write_all(export.body.as_bytes())?,
    }
    Ok(())
}
