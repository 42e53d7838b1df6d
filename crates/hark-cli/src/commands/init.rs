//! `hark init`: a commented configuration file and an empty data directory.

use std::process::ExitCode;

use hark_app::init::{self, InitRequest};

use crate::cli::GlobalArgs;
use crate::output::print_json;

pub async fn run(global: &GlobalArgs, force: bool) -> anyhow::Result<ExitCode> {
    let request = InitRequest { config_path: global.config_path(), data_dir: global.data_dir.clone(), force };
    let done = init::init(&request).await?;
    if global.json {
        print_json(&done)?;
    } else {
        println!("wrote {} and created {}", done.config, done.data_dir);
        println!("next: edit the [brand] and [[sources]] in {}, then", done.config);
        println!("  hark import customers crm-export.csv");
        println!("  hark ingest posts.jsonl");
        println!("  hark status");
    }
    Ok(ExitCode::SUCCESS)
}
