//! The classifier as callers use it: encoder plus the three heads, texts in, signals out;
//! and the train and eval procedures behind `hark train` and `hark eval`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hark_core::{SentimentScores, Signals};

use crate::dataset::{Example, Label};
use crate::features::{FeatureConfig, Features, featurize};
use crate::head::{Head, HeadError, TrainConfig};
use crate::metrics::{Report, best_f1_threshold, binary_report, multiclass_report, threshold_for_precision};
use crate::{ClassifierError, Encoder, EncoderOptions, ModelPaths, Task, baseline};

/// The heads directory that goes with an encoder: `heads-tuned/` beside the tuned encoder,
/// `heads/` beside the frozen one.
pub fn heads_dir(paths: &ModelPaths) -> PathBuf {
    let name = paths.variant().heads_dir_name();
    paths.encoder_dir.parent().map_or_else(|| PathBuf::from("models").join(name), |models| models.join(name))
}

/// The complaint and intent heads' decision thresholds, read from their metadata without
/// loading the encoder (routing needs them where no model runs, e.g. after a person's
/// decision). `None` when the heads are not where the model files are looked for.
pub fn head_thresholds() -> Option<(f32, f32)> {
    let forced = crate::encoder::Variant::from_env().ok().flatten();
    let dir = heads_dir(&ModelPaths::select(&ModelPaths::locate_models_dir(), forced));
    let threshold = |task| Head::load_meta(&dir, task).ok().and_then(|meta| meta.threshold);
    Some((threshold(Task::Complaint)?, threshold(Task::Intent)?))
}

/// Embeds texts and builds each head's features.
pub fn features_for(
    encoder: &mut Encoder,
    config: &FeatureConfig,
    texts: &[&str],
) -> Result<Vec<Features>, ClassifierError> {
    let embeddings = encoder.embed(texts)?;
    Ok(texts.iter().zip(&embeddings).map(|(text, embedding)| featurize(config, text, embedding)).collect())
}

/// Class probabilities of a head for each text.
pub fn head_probabilities(
    encoder: &mut Encoder,
    head: &Head,
    texts: &[&str],
) -> Result<Vec<Vec<f32>>, ClassifierError> {
    let features = features_for(encoder, &head.meta.features, texts)?;
    Ok(features.iter().map(|f| head.predict(f)).collect())
}

/// Metrics of `head` on labelled examples, at the head's own threshold.
pub fn evaluate(encoder: &mut Encoder, head: &Head, examples: &[Example]) -> Result<Report, ClassifierError> {
    let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
    let probabilities = head_probabilities(encoder, head, &texts)?;
    Ok(report_for(head.meta.task, examples, &probabilities, head.meta.threshold.unwrap_or(0.5)))
}

/// Metrics of the lexicon baseline on the same examples.
pub fn evaluate_baseline(task: Task, examples: &[Example]) -> Report {
    let probabilities: Vec<Vec<f32>> = examples
        .iter()
        .map(|example| match task {
            Task::Sentiment => baseline::sentiment(&example.text).to_vec(),
            Task::Complaint => binary(baseline::complaint(&example.text)),
            Task::Intent => binary(baseline::intent(&example.text)),
        })
        .collect();
    report_for(task, examples, &probabilities, 0.5)
}

fn binary(positive: f32) -> Vec<f32> {
    vec![1.0 - positive, positive]
}

fn report_for(task: Task, examples: &[Example], probabilities: &[Vec<f32>], threshold: f32) -> Report {
    match task {
        Task::Sentiment => {
            let gold: Vec<usize> = examples.iter().map(|e| e.label.class()).collect();
            multiclass_report(task, &gold, probabilities)
        }
        Task::Complaint | Task::Intent => {
            let gold: Vec<bool> = examples.iter().map(|e| e.label == Label::Binary(true)).collect();
            let positive: Vec<f32> = probabilities.iter().map(|p| p[1]).collect();
            binary_report(task, &gold, &positive, threshold)
        }
    }
}

/// Trains a head on `train`, picks its threshold on `valid` (best F1 for binary tasks) and
/// returns it with its validation report.
pub fn train_head(
    encoder: &mut Encoder,
    task: Task,
    train: &[Example],
    valid: &[Example],
    features: FeatureConfig,
    config: TrainConfig,
    target_precision: Option<f64>,
) -> Result<(Head, Report), TrainError> {
    let train_texts: Vec<&str> = train.iter().map(|e| e.text.as_str()).collect();
    let train_features = features_for(encoder, &features, &train_texts)?;
    let examples: Vec<(Features, usize)> =
        train_features.into_iter().zip(train.iter().map(|e| e.label.class())).collect();
    let mut head = Head::train(task, features, config, &examples)?;
    let valid_texts: Vec<&str> = valid.iter().map(|e| e.text.as_str()).collect();
    let probabilities = head_probabilities(encoder, &head, &valid_texts)?;
    if task != Task::Sentiment {
        let gold: Vec<bool> = valid.iter().map(|e| e.label == Label::Binary(true)).collect();
        let positive: Vec<f32> = probabilities.iter().map(|p| p[1]).collect();
        let best_f1 = best_f1_threshold(&gold, &positive).0;
        let threshold = match target_precision {
            Some(target) => threshold_for_precision(&gold, &positive, target).ok_or(TrainError::Precision(target))?,
            None => best_f1,
        };
        head.meta.threshold = Some(threshold);
    }
    let report = report_for(task, valid, &probabilities, head.meta.threshold.unwrap_or(0.5));
    Ok((head, report))
}

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error(transparent)]
    Classifier(#[from] ClassifierError),
    #[error(transparent)]
    Head(#[from] HeadError),
    #[error("no threshold reaches precision {0} on the validation data; lower --target-precision")]
    Precision(f64),
}

/// Encoder and heads, loaded once; `classify` turns texts into signals.
#[derive(Debug)]
pub struct Classifier {
    encoder: Encoder,
    heads: BTreeMap<&'static str, Head>,
    model_version: String,
    cues: bool,
}

impl Classifier {
    /// Loads the encoder and the three heads from `heads_dir`.
    pub fn load(paths: &ModelPaths, heads_dir: &Path, options: EncoderOptions) -> Result<Self, TrainError> {
        let encoder = Encoder::load(paths, options)?;
        let mut heads = BTreeMap::new();
        let mut versions = Vec::new();
        for task in Task::ALL {
            let head = Head::load(heads_dir, task)?;
            versions.push(format!("{}={}", task.as_str(), head.meta.model_version));
            heads.insert(task.as_str(), head);
        }
        Ok(Self {
            encoder,
            heads,
            model_version: format!("{};{}", paths.encoder_name(), versions.join(";")),
            cues: true,
        })
    }

    /// Whether `classify` explains flags with cues (each costs a few extra encoder passes).
    pub fn set_cues(&mut self, cues: bool) {
        self.cues = cues;
    }

    pub fn encoder(&mut self) -> &mut Encoder {
        &mut self.encoder
    }

    pub fn head(&self, task: Task) -> &Head {
        &self.heads[task.as_str()]
    }

    /// Signals for each text, with cues for the flags raised.
    pub fn classify(&mut self, texts: &[&str]) -> Result<Vec<Signals>, ClassifierError> {
        let embeddings = self.encoder.embed(texts)?;
        let mut signals = Vec::with_capacity(texts.len());
        for (text, embedding) in texts.iter().zip(&embeddings) {
            let scores = self.scores(text, embedding);
            let mut cues = Vec::new();
            for task in [Task::Complaint, Task::Intent] {
                if self.cues && self.flagged(task, &scores) {
                    cues.extend(self.cues(task, text)?);
                }
            }
            let sentiment_scores =
                SentimentScores { negative: scores[0][0], neutral: scores[0][1], positive: scores[0][2] };
            signals.push(Signals {
                sentiment: sentiment_scores.label(),
                sentiment_scores,
                complaint: scores[1][1],
                intent: scores[2][1],
                cues,
                model_version: self.model_version.clone(),
            });
        }
        Ok(signals)
    }

    /// [sentiment probabilities, complaint probabilities, intent probabilities].
    fn scores(&self, text: &str, embedding: &[f32]) -> [Vec<f32>; 3] {
        Task::ALL.map(|task| {
            let head = self.head(task);
            head.predict(&featurize(&head.meta.features, text, embedding))
        })
    }

    fn flagged(&self, task: Task, scores: &[Vec<f32>; 3]) -> bool {
        let index = if task == Task::Complaint { 1 } else { 2 };
        scores[index][1] >= self.head(task).meta.threshold.unwrap_or(0.5)
    }

    /// The phrases whose removal lowers the task's probability most (leave-one-phrase-out on
    /// the head): up to three, each written as `task: "phrase"`.
    pub fn cues(&mut self, task: Task, text: &str) -> Result<Vec<String>, ClassifierError> {
        let words: Vec<&str> = text.split_whitespace().collect();
        if words.is_empty() {
            return Ok(Vec::new());
        }
        // Phrases: windows of three words, stepping by two (at most 24 of them).
        let mut phrases: Vec<(usize, usize)> = Vec::new();
        let mut start = 0;
        while start < words.len() && phrases.len() < 24 {
            phrases.push((start, (start + 3).min(words.len())));
            start += 2;
        }
        let mut variants: Vec<String> = vec![text.to_owned()];
        for (from, to) in &phrases {
            variants.push(words[..*from].iter().chain(&words[*to..]).copied().collect::<Vec<_>>().join(" "));
        }
        let refs: Vec<&str> = variants.iter().map(String::as_str).collect();
        let head = &self.heads[task.as_str()];
        let features = features_for(&mut self.encoder, &head.meta.features, &refs)?;
        let probabilities: Vec<f32> = features.iter().map(|f| head.predict(f)[1]).collect();
        // Compare in log-odds: near-certain flags still show which phrases carry them.
        let log_odds = |p: f32| {
            let p = p.clamp(1e-6, 1.0 - 1e-6);
            (p / (1.0 - p)).ln()
        };
        let mut drops: Vec<(f32, String)> = phrases
            .iter()
            .zip(&probabilities[1..])
            .map(|((from, to), p)| (log_odds(probabilities[0]) - log_odds(*p), words[*from..*to].join(" ")))
            .filter(|(drop, _)| *drop > 0.05)
            .collect();
        drops.sort_by(|a, b| b.0.total_cmp(&a.0));
        Ok(drops
            .into_iter()
            .take(3)
            .map(|(_, phrase)| {
                format!("{}: \"{}\"", task.as_str(), phrase.trim_matches(|c: char| !c.is_alphanumeric()))
            })
            .collect())
    }
}

/// Loads the default classifier (models located as [`ModelPaths::locate`] finds them).
pub fn load_default(options: EncoderOptions) -> Result<Classifier, TrainError> {
    let paths = ModelPaths::locate()?;
    let heads = heads_dir(&paths);
    Classifier::load(&paths, &heads, options)
}
