//! Heads: training one on labelled JSONL, and measuring a head or the lexicon baseline
//! (`hark train`, `hark eval`).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use hark_classifier::classifier::{TrainError, evaluate, evaluate_baseline, heads_dir, train_head};
use hark_classifier::dataset::read_labelled;
use hark_classifier::features::FeatureConfig;
use hark_classifier::head::{Head, TrainConfig};
use hark_classifier::{Encoder, EncoderOptions, ModelPaths};
use serde::Serialize;

pub use hark_classifier::Task;
pub use hark_classifier::metrics::Report;

use crate::App;
use crate::access::{Caller, Permission};
use crate::classify::read_texts;
use crate::error::{AppError, AppResult, Context};

/// What to train, on what, and the hyper-parameters that differ from [`defaults`].
#[derive(Debug, Clone, PartialEq)]
pub struct TrainRequest {
    pub task: Task,
    /// Training data (labelled JSONL).
    pub train_files: Vec<PathBuf>,
    /// Validation data (labelled JSONL).
    pub valid_file: PathBuf,
    /// Where to write the head (default: the models' heads directory).
    pub out: Option<PathBuf>,
    /// Replace a head even if it is better on this validation data.
    pub force: bool,
    /// Binary heads: the lowest threshold reaching this precision instead of best F1.
    pub target_precision: Option<f64>,
    /// Leave out training texts that also appear in these JSONL files.
    pub exclude: Vec<PathBuf>,
    pub hidden: Option<usize>,
    pub epochs: Option<usize>,
    pub learning_rate: Option<f32>,
    pub weight_decay: Option<f32>,
    pub hash_dim: Option<u32>,
    pub ngram_weight: Option<f32>,
    pub ensemble: Option<usize>,
    pub full_batch: Option<bool>,
    pub seed: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainResponse {
    pub task: Task,
    /// The heads directory written to.
    pub out: String,
    /// The new head on the validation data.
    pub validation: Report,
    /// Labels from people's triage decisions added to the training data (`--labels`).
    pub triage_labels: usize,
    /// The lexicon baseline on the same data.
    pub baseline: Report,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalRequest {
    pub task: Task,
    /// Labelled JSONL.
    pub data: PathBuf,
    /// Score with the lexicon baseline instead of the model.
    pub baseline: bool,
    /// Heads directory (default: the models' heads directory).
    pub heads: Option<PathBuf>,
    /// Embed with the int8 graph.
    pub int8: bool,
}

/// Fits a head on the frozen encoder and writes it with its model card, unless a head
/// already there is better on the same validation data (`better_head_kept`, unless `force`).
pub async fn train(caller: &Caller, request: TrainRequest) -> AppResult<TrainResponse> {
    caller.require(Permission::Admin)?;
    tokio::task::spawn_blocking(move || train_blocking(&request)).await.internal("training stopped")?
}

/// [`train`] with the labels people's triage wrote for the task added to the training data
/// (a dismissal "not a complaint" is a negative complaint example):
/// the head learns from the queues' decisions, and is kept only when it is better on the
/// validation data than the head already there, as always.
pub async fn train_with_triage(app: &App, caller: &Caller, mut request: TrainRequest) -> AppResult<TrainResponse> {
    caller.require(Permission::Admin)?;
    let task = request.task.as_str();
    let labels = crate::labels::export(app, caller, Some(task)).await?;
    if labels.is_empty() {
        return Err(AppError::invalid(
            "no_labels",
            format!(
                "no {task} labels from triage yet: dismissing items with a reason in the queues writes them \
                 (`hark labels export` lists them)"
            ),
        ));
    }
    let path = app.data_dir().join(format!("triage-labels-{task}.jsonl"));
    let mut text = String::new();
    for label in &labels {
        let line = serde_json::json!({"text": label.text, "label": label.label});
        text.push_str(&line.to_string());
        text.push('\n');
    }
    std::fs::write(&path, text).internal(&format!("writing {}", path.display()))?;
    request.train_files.push(path.clone());
    let trained = train(caller, request).await;
    drop(std::fs::remove_file(&path));
    let mut response = trained?;
    response.triage_labels = labels.len();
    Ok(response)
}

/// Metrics of a head (or the lexicon baseline) on labelled data.
pub async fn eval(caller: &Caller, request: EvalRequest) -> AppResult<Report> {
    caller.require(Permission::ReadPublic)?;
    let EvalRequest { task, data, baseline, heads, int8 } = request;
    tokio::task::spawn_blocking(move || -> anyhow::Result<Report> {
        let examples = read_labelled(&data, task)?;
        if baseline {
            return Ok(evaluate_baseline(task, &examples));
        }
        let paths = ModelPaths::locate()?;
        let dir = heads.unwrap_or_else(|| heads_dir(&paths));
        let head = Head::load(&dir, task)
            .with_context(|| format!("no trained {task} head in {} (train one with `hark train`)", dir.display()))?;
        let mut encoder = Encoder::load(&paths, EncoderOptions { int8, ..EncoderOptions::default() })?;
        Ok(evaluate(&mut encoder, &head, &examples)?)
    })
    .await
    .internal("the evaluation stopped")?
    .described()
}

fn train_blocking(args: &TrainRequest) -> AppResult<TrainResponse> {
    let task = args.task;
    let mut train = Vec::new();
    for file in &args.train_files {
        train.extend(read_labelled(file, task).described()?);
    }
    let valid = read_labelled(&args.valid_file, task).described()?;
    let mut excluded = 0;
    if !args.exclude.is_empty() {
        let mut banned = std::collections::HashSet::new();
        for path in &args.exclude {
            banned.extend(read_texts(path)?.into_iter().map(|text| text.trim().to_owned()));
        }
        let before = train.len();
        train.retain(|example| !banned.contains(example.text.trim()));
        excluded = before - train.len();
        tracing::info!(excluded, "left out training texts found in --exclude files");
    }
    let paths = ModelPaths::locate().described()?;
    let out = args.out.clone().unwrap_or_else(|| heads_dir(&paths));
    let mut encoder = Encoder::load(&paths, EncoderOptions::default()).described()?;
    let (mut features, mut config) = defaults(task);
    if let Some(hidden) = args.hidden {
        config.hidden = hidden;
    }
    if let Some(epochs) = args.epochs {
        config.epochs = epochs;
    }
    if let Some(rate) = args.learning_rate {
        config.learning_rate = rate;
    }
    if let Some(decay) = args.weight_decay {
        config.weight_decay = decay;
    }
    if let Some(dim) = args.hash_dim {
        features.hash_dim = dim;
    }
    if let Some(weight) = args.ngram_weight {
        features.ngram_weight = weight;
    }
    if let Some(full_batch) = args.full_batch {
        config.full_batch = full_batch;
    }
    if let Some(members) = args.ensemble {
        config.ensemble = members;
    }
    if let Some(seed) = args.seed {
        config.seed = seed;
    }
    tracing::info!(task = %task, train = train.len(), valid = valid.len(), "training");
    // A head that cannot reach the asked precision is the user's call to make (a lower target,
    // other data), not an internal failure; the head already there stays either way.
    let (mut head, report) =
        match train_head(&mut encoder, task, &train, &valid, features, config, args.target_precision) {
            Err(err @ TrainError::Precision(_)) => {
                return Err(AppError::invalid("precision_unreachable", err.to_string()));
            }
            trained => trained.described()?,
        };
    let existing = Head::load(&out, task).ok();
    if let Some(existing) = &existing {
        let old = evaluate(&mut encoder, existing, &valid).described()?;
        if primary(&old) > primary(&report) && !args.force {
            return Err(AppError::conflict(
                "better_head_kept",
                format!(
                    "the {} head in {} is better on {} ({:.3} against {:.3}); kept it. Use --force to replace it anyway.",
                    task,
                    out.display(),
                    args.valid_file.display(),
                    primary(&old),
                    primary(&report)
                ),
            ));
        }
    }
    let baseline = evaluate_baseline(task, &valid);
    let date = chrono::Utc::now().format("%Y-%m-%d").to_string();
    head.meta.model_version = format!("{}-{}", task, chrono::Utc::now().format("%Y%m%d%H%M"));
    head.meta.card = serde_json::json!({
        "trained_on": args.train_files.iter().map(|path| file_name(path)).collect::<Vec<_>>().join(", "),
        "train_examples": train.len(),
        "excluded_examples": excluded,
        "excluded_because_in": args.exclude.iter().map(|path| file_name(path)).collect::<Vec<_>>(),
        "validated_on": file_name(&args.valid_file),
        "date": date,
        "validation": report,
        "baseline_validation": baseline,
        "parameters": head.parameters(),
        "threshold_rule": args.target_precision.map_or_else(|| "best F1".to_owned(), |p| format!("lowest threshold with precision ≥ {p}")),
    });
    head.save(&out).internal(&format!("saving the head to {}", out.display()))?;
    write_card(&out, &head, &report, &baseline, &encoder_description(&paths)).described()?;
    Ok(TrainResponse { task, out: out.display().to_string(), validation: report, triage_labels: 0, baseline })
}

/// The figure a head is judged by: F1 for binary heads, macro recall for sentiment.
pub fn primary(report: &Report) -> f64 {
    report.f1.unwrap_or(report.macro_recall)
}

/// Hyper-parameters per task: the feature mix follows the cross-validation on the training
/// splits in scripts/research/heads_experiments.py; the optimiser settings were compared on
/// the validation splits. Flags override them.
pub fn defaults(task: Task) -> (FeatureConfig, TrainConfig) {
    let ngram_weight = match task {
        Task::Sentiment => 1.0,
        Task::Complaint => 3.0,
        Task::Intent => 2.0,
    };
    let features = FeatureConfig { hash_dim: 1 << 16, max_ngram: 2, ngram_weight, vader: true };
    let train = match task {
        // 47k tweets: mini-batches with early stopping, one hidden layer.
        Task::Sentiment => TrainConfig {
            hidden: 256,
            epochs: 20,
            learning_rate: 1e-3,
            weight_decay: 1e-4,
            dropout: 0.2,
            ..TrainConfig::default()
        },
        // A few hundred to a few thousand posts: a deterministic, full-batch, L2-regularised
        // logistic regression.
        Task::Complaint | Task::Intent => TrainConfig {
            hidden: 0,
            full_batch: true,
            epochs: 300,
            learning_rate: 1e-2,
            weight_decay: 1e-3,
            ..TrainConfig::default()
        },
    };
    (features, train)
}

fn file_name(path: &Path) -> String {
    // Dataset folder and file, e.g. "complaints-preotiuc2019/train.jsonl".
    let parts: Vec<String> = path.iter().rev().take(2).map(|part| part.to_string_lossy().into_owned()).collect();
    parts.into_iter().rev().collect::<Vec<_>>().join("/")
}

fn fmt(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{v:.3}"))
}

/// The encoder line of a head's model card.
fn encoder_description(paths: &ModelPaths) -> String {
    match paths.variant() {
        hark_classifier::encoder::Variant::Frozen => "all-MiniLM-L6-v2 (frozen, mean pooled, 384-d)".to_owned(),
        hark_classifier::encoder::Variant::Tuned => {
            "all-MiniLM-L6-v2-tuned (all-MiniLM-L6-v2 with the LoRA adapter of \
             models/adapters/ merged, fine-tuned on the three signals, see docs/model-card.md; mean pooled, 384-d)"
                .to_owned()
        }
    }
}

fn write_card(dir: &Path, head: &Head, report: &Report, baseline: &Report, encoder: &str) -> anyhow::Result<()> {
    let meta = &head.meta;
    let card = format!(
        "# Model card: {task} head\n\n\
         - version: `{version}`\n- trained: {date}\n- encoder: {encoder}\n\
         - features: embedding, VADER lexicon scores: {vader}, hashed word 1..{ngram}-grams: {hash} slots\n\
         - model: {model}, class-balanced cross-entropy, {optimiser}\n\
         - calibration: temperature {temperature:.2}, fitted on {calibration}\n\
         - threshold: {threshold} ({threshold_rule} on the validation data)\n\
         - training data: `{train}` ({n} examples; {excluded} left out because they also appear in {excluded_in})\n- validation data: `{valid}`\n\n\
         | on validation | n | accuracy | precision | recall | F1 | macro F1 | macro recall | AUC |\n|---|---|---|---|---|---|---|---|---|\n\
         | this head | {vn} | {a:.3} | {p} | {r} | {f} | {mf:.3} | {mr:.3} | {auc} |\n\
         | lexicon baseline | {bn} | {ba:.3} | {bp} | {br} | {bf} | {bmf:.3} | {bmr:.3} | {bauc} |\n",
        task = meta.task,
        version = meta.model_version,
        date = meta.card["date"].as_str().unwrap_or(""),
        vader = meta.features.vader,
        ngram = meta.features.max_ngram,
        hash = meta.features.hash_dim,
        model = if meta.train.hidden == 0 {
            "logistic regression".to_owned()
        } else {
            format!("one hidden ReLU layer of {} units (dropout {})", meta.train.hidden, meta.train.dropout)
        },
        temperature = meta.temperature,
        optimiser = if meta.train.full_batch {
            format!(
                "full-batch Adam for {} steps with L2 penalty {} (deterministic)",
                meta.train.epochs, meta.train.weight_decay
            )
        } else {
            "mini-batch AdamW, early stopping on a held-out tenth of the training data".to_owned()
        },
        threshold_rule = meta.card["threshold_rule"].as_str().unwrap_or("best F1"),
        calibration = if meta.train.full_batch { "5-fold out-of-fold logits" } else { "that held-out tenth" },
        threshold = meta.threshold.map_or_else(|| "argmax".to_owned(), |t| format!("{t:.3}")),
        train = meta.card["trained_on"].as_str().unwrap_or(""),
        n = meta.card["train_examples"],
        excluded = meta.card["excluded_examples"],
        excluded_in = meta.card["excluded_because_in"],
        valid = meta.card["validated_on"].as_str().unwrap_or(""),
        vn = report.n,
        a = report.accuracy,
        p = fmt(report.precision),
        r = fmt(report.recall),
        f = fmt(report.f1),
        mf = report.macro_f1,
        mr = report.macro_recall,
        auc = fmt(report.auc),
        bn = baseline.n,
        ba = baseline.accuracy,
        bp = fmt(baseline.precision),
        br = fmt(baseline.recall),
        bf = fmt(baseline.f1),
        bmf = baseline.macro_f1,
        bmr = baseline.macro_recall,
        bauc = fmt(baseline.auc),
    );
    let path = dir.join(format!("{}.md", meta.task));
    std::fs::write(&path, card).with_context(|| format!("writing {}", path.display()))
}
