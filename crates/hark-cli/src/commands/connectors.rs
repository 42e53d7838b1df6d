//! `hark connectors list|show`: straight from the connector registry.

use std::process::ExitCode;

use anyhow::anyhow;
use hark_connectors::registry;

use crate::cli::ConnectorsCommand;
use crate::context::AppContext;
use crate::output::{print_json, print_table};

pub fn run(context: &AppContext, command: &ConnectorsCommand) -> anyhow::Result<ExitCode> {
    let describe = |kind: &hark_connectors::Kind| serde_json::json!({"name": kind.name, "description": kind.description, "example": kind.example});
    match command {
        ConnectorsCommand::List => {
            if context.global.json {
                print_json(&registry().iter().map(describe).collect::<Vec<_>>())?;
            } else {
                let rows: Vec<Vec<String>> =
                    registry().iter().map(|kind| vec![kind.name.to_owned(), kind.description.to_owned()]).collect();
                print_table(&["KIND", "COLLECTS"], &rows)?;
            }
        }
        ConnectorsCommand::Show { name } => {
            let kind = registry().iter().find(|kind| kind.name == name).ok_or_else(|| {
                let known: Vec<&str> = registry().iter().map(|kind| kind.name).collect();
                anyhow!("no connector {name:?}; available: {}", known.join(", "))
            })?;
            if context.global.json {
                print_json(&describe(kind))?;
            } else {
                println!("{}: {}\n\nExample for hark.toml:\n\n{}", kind.name, kind.description, kind.example);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
