//! `hark classify`: texts in, one JSON object of signals per text out.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use hark_classifier::EncoderOptions;
use hark_classifier::classifier::load_default;

/// Reads the "text" field of each JSONL line; a bad line is an error naming it.
pub fn read_texts(path: &Path) -> anyhow::Result<Vec<String>> {
    let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?,
        ))
    };
    let mut texts = Vec::new();
    for (index, line) in reader.split(b'\n').enumerate() {
        let bytes = line.with_context(|| format!("reading {}", path.display()))?;
        let line = std::str::from_utf8(&bytes)
            .map_err(|_| anyhow::anyhow!("{}: line {}: not valid UTF-8", path.display(), index + 1))?
            .trim();
        if line.is_empty() {
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_str(line).with_context(|| format!("{}: line {}: not JSON", path.display(), index + 1))?;
        let Some(text) = value.get("text").and_then(serde_json::Value::as_str) else {
            bail!("{}: line {}: no \"text\" string", path.display(), index + 1);
        };
        texts.push(text.to_owned());
    }
    Ok(texts)
}

pub async fn run(texts: Vec<String>, input: Option<&Path>) -> anyhow::Result<ExitCode> {
    let texts = match input {
        Some(path) => read_texts(path)?,
        None => texts,
    };
    if texts.is_empty() {
        bail!("nothing to classify: give texts as arguments or --input FILE.jsonl");
    }
    let results = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<serde_json::Value>> {
        let mut classifier = load_default(EncoderOptions::default())?;
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let signals = classifier.classify(&refs)?;
        let complaint_threshold = classifier.head(hark_classifier::Task::Complaint).meta.threshold.unwrap_or(0.5);
        let intent_threshold = classifier.head(hark_classifier::Task::Intent).meta.threshold.unwrap_or(0.5);
        Ok(texts
            .iter()
            .zip(signals)
            .map(|(text, signals)| {
                serde_json::json!({
                    "text": text,
                    "sentiment": signals.sentiment,
                    "sentiment_scores": signals.sentiment_scores,
                    "complaint": signals.complaint,
                    "complaint_flag": signals.complaint >= complaint_threshold,
                    "intent": signals.intent,
                    "intent_flag": signals.intent >= intent_threshold,
                    "cues": signals.cues,
                    "model_version": signals.model_version,
                })
            })
            .collect())
    })
    .await??;
    let mut stdout = std::io::stdout().lock();
    for result in results {
        writeln!(stdout, "{result}")?;
    }
    Ok(ExitCode::SUCCESS)
}
