//! Scoring texts with the local model (`hark classify`), and reading the texts of a JSONL
//! file, which classify, train and bench share.

use std::io::BufRead;
use std::path::Path;

use hark_classifier::classifier::load_default;
use hark_classifier::{EncoderOptions, Task};
use hark_core::{Sentiment, SentimentScores};
use serde::Serialize;

use crate::access::{Caller, Permission};
use crate::error::{AppError, AppResult, Context};

/// The signals of one text, with each flag at its head's threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classification {
    pub text: String,
    pub sentiment: Sentiment,
    pub sentiment_scores: SentimentScores,
    pub complaint: f32,
    pub complaint_flag: bool,
    pub intent: f32,
    pub intent_flag: bool,
    /// The phrases behind the flags.
    pub cues: Vec<String>,
    pub model_version: String,
}

/// Scores `texts` with the local model, in their order.
pub async fn classify(caller: &Caller, texts: Vec<String>) -> AppResult<Vec<Classification>> {
    caller.require(Permission::ReadPublic)?;
    if texts.is_empty() {
        return Err(AppError::invalid(
            "no_texts",
            "nothing to classify: give texts as arguments or --input FILE.jsonl",
        ));
    }
    tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<Classification>> {
        let mut classifier = load_default(EncoderOptions::default())?;
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let signals = classifier.classify(&refs)?;
        let complaint_threshold = classifier.head(Task::Complaint).meta.threshold.unwrap_or(0.5);
        let intent_threshold = classifier.head(Task::Intent).meta.threshold.unwrap_or(0.5);
        Ok(texts
            .into_iter()
            .zip(signals)
            .map(|(text, signals)| Classification {
                text,
                sentiment: signals.sentiment,
                sentiment_scores: signals.sentiment_scores,
                complaint: signals.complaint,
                complaint_flag: signals.complaint >= complaint_threshold,
                intent: signals.intent,
                intent_flag: signals.intent >= intent_threshold,
                cues: signals.cues,
                model_version: signals.model_version,
            })
            .collect())
    })
    .await
    .internal("the classifier stopped")?
    .described()
}

/// The "text" field of each line of a JSONL file (`-`: standard input); a bad line is an
/// `invalid_file` error naming it.
pub fn read_texts(path: &Path) -> AppResult<Vec<String>> {
    let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        let file = std::fs::File::open(path).map_err(|err| {
            AppError::invalid("unreadable_file", format!("opening {}", path.display())).with_source(err)
        })?;
        Box::new(std::io::BufReader::new(file))
    };
    let bad =
        |line: usize, what: &str| AppError::invalid("invalid_file", format!("{}: line {line}: {what}", path.display()));
    let mut texts = Vec::new();
    for (index, line) in reader.split(b'\n').enumerate() {
        let bytes = line.internal(&format!("reading {}", path.display()))?;
        let line = std::str::from_utf8(&bytes).map_err(|_| bad(index + 1, "not valid UTF-8"))?.trim();
        if line.is_empty() {
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|err| bad(index + 1, "not JSON").with_source(err))?;
        let Some(text) = value.get("text").and_then(serde_json::Value::as_str) else {
            return Err(bad(index + 1, "no \"text\" string"));
        };
        texts.push(text.to_owned());
    }
    Ok(texts)
}
