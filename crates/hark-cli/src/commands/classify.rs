//! `hark classify`: texts in, one JSON object of signals per text out.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use hark_app::Caller;
use hark_app::classify::{self, read_texts};

pub async fn run(texts: Vec<String>, input: Option<&Path>) -> anyhow::Result<ExitCode> {
    let texts = match input {
        Some(path) => read_texts(path)?,
        None => texts,
    };
    let results = classify::classify(&Caller::local(), texts).await?;
    let mut stdout = std::io::stdout().lock();
    for result in results {
        serde_json::to_writer(&mut stdout, &result)?;
        writeln!(stdout)?;
    }
    Ok(ExitCode::SUCCESS)
}
