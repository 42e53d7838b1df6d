//! Labelled JSONL (DESIGN.md, "Labelled JSONL"): one `{"text": ..., "label": ...}` per line.
//!
//! Sentiment labels are `negative`, `neutral`, `positive`; complaint and intent labels are
//! `1`/`0`, `true`/`false`, or the names `complaint`/`not_complaint` and `intent`/`no_intent`.
//! Extra fields are ignored. Every bad line is reported with its number.

use std::fmt;
use std::io::BufRead;
use std::path::Path;
use std::str::FromStr;

use hark_core::Sentiment;

/// What a head predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    Sentiment,
    Complaint,
    Intent,
}

impl Task {
    pub const ALL: [Task; 3] = [Task::Sentiment, Task::Complaint, Task::Intent];

    pub fn as_str(self) -> &'static str {
        match self {
            Task::Sentiment => "sentiment",
            Task::Complaint => "complaint",
            Task::Intent => "intent",
        }
    }

    /// Number of classes the head outputs.
    pub fn classes(self) -> usize {
        match self {
            Task::Sentiment => 3,
            Task::Complaint | Task::Intent => 2,
        }
    }

    /// Parses a label for this task; the error says what was expected.
    pub fn parse_label(self, value: &serde_json::Value) -> Result<Label, String> {
        let expected = match self {
            Task::Sentiment => "\"negative\", \"neutral\" or \"positive\"",
            Task::Complaint => "1/0, true/false, \"complaint\" or \"not_complaint\"",
            Task::Intent => "1/0, true/false, \"intent\" or \"no_intent\"",
        };
        let unknown = || format!("unknown {} label {value}: expected {expected}", self.as_str());
        if self == Task::Sentiment {
            let text = value.as_str().ok_or_else(unknown)?;
            return Sentiment::from_str(text).map(Label::Sentiment).map_err(|_| unknown());
        }
        let (yes, no) = if self == Task::Complaint { ("complaint", "not_complaint") } else { ("intent", "no_intent") };
        let positive = match value {
            serde_json::Value::Bool(flag) => *flag,
            serde_json::Value::Number(n) if n.as_i64() == Some(1) => true,
            serde_json::Value::Number(n) if n.as_i64() == Some(0) => false,
            serde_json::Value::String(text) => match text.trim().to_ascii_lowercase().as_str() {
                "1" | "true" => true,
                "0" | "false" => false,
                name if name == yes => true,
                name if name == no => false,
                _ => return Err(unknown()),
            },
            _ => return Err(unknown()),
        };
        Ok(Label::Binary(positive))
    }
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Task {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Task::ALL
            .into_iter()
            .find(|task| task.as_str() == raw)
            .ok_or_else(|| format!("unknown task {raw:?}: expected sentiment, complaint or intent"))
    }
}

/// A gold label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    Sentiment(Sentiment),
    Binary(bool),
}

impl Label {
    /// The class index a head uses: negative/neutral/positive = 0/1/2; binary no/yes = 0/1.
    pub fn class(self) -> usize {
        match self {
            Label::Sentiment(Sentiment::Negative) | Label::Binary(false) => 0,
            Label::Sentiment(Sentiment::Neutral) | Label::Binary(true) => 1,
            Label::Sentiment(Sentiment::Positive) => 2,
        }
    }
}

/// One labelled text.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub text: String,
    pub label: Label,
}

/// A bad line in a labelled file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} has {} bad line{}:\n{}", .errors.len(), if .errors.len() == 1 { "" } else { "s" },
        .errors.iter().take(20).map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Lines { path: String, errors: Vec<LineError> },
    #[error("{path} holds no labelled examples")]
    Empty { path: String },
}

/// Reads a whole labelled file; any bad line fails the read, naming every bad line, because
/// a metric over a silently shortened file would be a wrong metric.
pub fn read_labelled(path: &Path, task: Task) -> Result<Vec<Example>, DatasetError> {
    let display = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| DatasetError::Io { path: display.clone(), source })?;
    parse_labelled(std::io::BufReader::new(file), task, &display)
}

pub fn parse_labelled(reader: impl BufRead, task: Task, name: &str) -> Result<Vec<Example>, DatasetError> {
    let mut examples = Vec::new();
    let mut errors = Vec::new();
    for (index, line) in reader.split(b'\n').enumerate() {
        let number = index + 1;
        let bytes = line.map_err(|source| DatasetError::Io { path: name.to_owned(), source })?;
        let Ok(text) = std::str::from_utf8(&bytes) else {
            errors.push(LineError { line: number, message: "not valid UTF-8".to_owned() });
            continue;
        };
        let text = text.trim().trim_start_matches('\u{feff}');
        if text.is_empty() {
            continue;
        }
        match parse_example(text, task) {
            Ok(example) => examples.push(example),
            Err(message) => errors.push(LineError { line: number, message }),
        }
    }
    if !errors.is_empty() {
        return Err(DatasetError::Lines { path: name.to_owned(), errors });
    }
    if examples.is_empty() {
        return Err(DatasetError::Empty { path: name.to_owned() });
    }
    Ok(examples)
}

fn parse_example(line: &str, task: Task) -> Result<Example, String> {
    let value: serde_json::Value = serde_json::from_str(line).map_err(|err| format!("not JSON: {err}"))?;
    let text = value.get("text").and_then(serde_json::Value::as_str).ok_or("no \"text\" string")?;
    let label = value.get("label").ok_or("no \"label\"")?;
    Ok(Example { text: text.to_owned(), label: task.parse_label(label)? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_spellings() {
        let parse = |task: Task, json: &str| task.parse_label(&serde_json::from_str(json).unwrap());
        assert_eq!(parse(Task::Complaint, "1"), Ok(Label::Binary(true)));
        assert_eq!(parse(Task::Complaint, "false"), Ok(Label::Binary(false)));
        assert_eq!(parse(Task::Complaint, "\"not_complaint\""), Ok(Label::Binary(false)));
        assert_eq!(parse(Task::Intent, "\"intent\""), Ok(Label::Binary(true)));
        assert_eq!(parse(Task::Intent, "\"no_intent\""), Ok(Label::Binary(false)));
        assert_eq!(parse(Task::Sentiment, "\"Positive\""), Ok(Label::Sentiment(Sentiment::Positive)));
        assert!(parse(Task::Intent, "\"complaint\"").unwrap_err().contains("expected 1/0, true/false, \"intent\""));
        assert!(parse(Task::Sentiment, "2").unwrap_err().contains("unknown sentiment label 2"));
    }

    #[test]
    fn bad_lines_are_all_named() {
        let input =
            b"{\"text\":\"a\",\"label\":1}\n{\"text\":\"b\"}\nnot json\n{\"text\":\"c\",\"label\":\"maybe\"}\n\xff\n";
        let err = parse_labelled(&input[..], Task::Complaint, "f.jsonl").unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("f.jsonl has 4 bad lines"), "{message}");
        for needle in
            ["line 2: no \"label\"", "line 3: not JSON", "line 4: unknown complaint label", "line 5: not valid UTF-8"]
        {
            assert!(message.contains(needle), "{needle} in {message}");
        }
    }
}
