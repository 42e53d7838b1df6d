//! `hark connectors list|show`: straight from the connector registry.

use std::process::ExitCode;

use hark_app::connectors;

use crate::cli::ConnectorsCommand;
use crate::output::{print_json, print_table};

pub fn run(json: bool, command: &ConnectorsCommand) -> anyhow::Result<ExitCode> {
    match command {
        ConnectorsCommand::List => {
            let kinds = connectors::list();
            if json {
                print_json(&kinds)?;
            } else {
                let rows: Vec<Vec<String>> =
                    kinds.iter().map(|kind| vec![kind.name.to_owned(), kind.description.to_owned()]).collect();
                print_table(&["KIND", "COLLECTS"], &rows)?;
            }
        }
        ConnectorsCommand::Show { name } => {
            let kind = connectors::show(name)?;
            if json {
                print_json(&kind)?;
            } else {
                println!("{}: {}\n\nExample for hark.toml:\n\n{}", kind.name, kind.description, kind.example);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
