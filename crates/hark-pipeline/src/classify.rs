//! The classify stage: a worker thread that owns the classifier (the encoder must not run on
//! the async runtime) and answers batches of texts with their signals.

use std::sync::mpsc;

use hark_classifier::Task;
use hark_classifier::classifier::Classifier;
use hark_core::{Mention, Signals};

use crate::PipelineError;

type Reply = tokio::sync::oneshot::Sender<Result<Vec<Signals>, String>>;

/// A handle on the classifier thread; cheap to clone, shared by every page.
#[derive(Debug, Clone)]
pub struct ClassifierWorker {
    jobs: mpsc::Sender<(Vec<String>, Reply)>,
    /// The complaint and intent heads' decision thresholds.
    thresholds: (f32, f32),
}

impl ClassifierWorker {
    /// Moves the classifier onto its own thread. The thread ends when the last handle is
    /// dropped.
    pub fn spawn(mut classifier: Classifier) -> std::io::Result<Self> {
        let threshold = |task| classifier.head(task).meta.threshold.unwrap_or(0.5);
        let thresholds = (threshold(Task::Complaint), threshold(Task::Intent));
        let (jobs, incoming) = mpsc::channel::<(Vec<String>, Reply)>();
        std::thread::Builder::new().name("hark-classifier".to_owned()).spawn(move || {
            for (texts, reply) in incoming {
                let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                let result = classifier.classify(&refs).map_err(|err| err.to_string());
                // The asker may have gone away (a cancelled run); nothing to do then.
                drop(reply.send(result));
            }
        })?;
        Ok(Self { jobs, thresholds })
    }

    /// The complaint and intent heads' decision thresholds.
    pub fn thresholds(&self) -> (f32, f32) {
        self.thresholds
    }

    /// Whether signals raise the complaint and the intent flag.
    pub fn flags(&self, signals: &Signals) -> (bool, bool) {
        (signals.complaint >= self.thresholds.0, signals.intent >= self.thresholds.1)
    }

    pub async fn classify(&self, texts: Vec<String>) -> Result<Vec<Signals>, PipelineError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.jobs
            .send((texts, reply))
            .map_err(|_| PipelineError::Classify("the classifier thread has stopped".to_owned()))?;
        answer
            .await
            .map_err(|_| PipelineError::Classify("the classifier thread stopped mid-batch".to_owned()))?
            .map_err(PipelineError::Classify)
    }
}

/// What the classifier reads of a mention: its title, if any, then its text.
pub fn text_for(mention: &Mention) -> String {
    match &mention.title {
        Some(title) if !title.is_empty() => format!("{title}\n{}", mention.text),
        _ => mention.text.clone(),
    }
}
