//! The learning curve of `hark train --labels`: how the intent head's validation F1 moves as
//! triage decisions accumulate, and that a head made worse by bad decisions is refused.
//!
//! - A seeded draw of 400 posts from `intent-social/train` is the pool people "triage": the
//!   base head never trains on it. The base head trains on the rest of that split and the
//!   project's hand-labelled intent posts, as the shipped head does (airline-complaints texts
//!   left out for their licence, threshold for precision 0.78), judged on `intent-social/valid`.
//! - In a scratch data directory, the pool's gold labels are written as triage labels (what
//!   dismissals and confirmations write) until 100, 200 and 400 are there; after each step
//!   `hark train --task intent --labels` runs, which keeps the new head only when it is better
//!   on the validation split than the head already there.
//! - Last, in a second scratch directory over the same base head, 400 labels with the opposite
//!   answer go through the same path: the head they make must be refused.
//!
//! Needs `make model` and the labelled sets (docs/model-card.md):
//!
//! ```text
//! cargo run --release -p hark-app --example learning_curve -- ../shared/data
//! ```

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use hark_app::training::{Task, TrainRequest, TrainResponse};
use hark_app::{App, AppOptions, Caller};
use hark_store::LabelWrite;

const POOL: usize = 400;
const STEPS: [usize; 3] = [100, 200, 400];
const SEED: u64 = 2026;

/// A labelled JSONL line, kept as written.
#[derive(Debug, Clone)]
struct Labelled {
    text: String,
    label: String,
}

fn read(path: &Path) -> anyhow::Result<Vec<Labelled>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for (number, line) in text.lines().enumerate().filter(|(_, line)| !line.trim().is_empty()) {
        let value: serde_json::Value =
            serde_json::from_str(line).with_context(|| format!("{}:{}", path.display(), number + 1))?;
        let field = |name: &str| value[name].as_str().map(str::to_owned);
        let (Some(text), Some(label)) = (field("text"), field("label")) else {
            anyhow::bail!("{}:{}: a line without text and label", path.display(), number + 1);
        };
        out.push(Labelled { text, label });
    }
    Ok(out)
}

fn write(path: &Path, examples: &[Labelled]) -> anyhow::Result<()> {
    let lines: Vec<String> = examples
        .iter()
        .map(|example| serde_json::json!({"text": example.text, "label": example.label}).to_string())
        .collect();
    std::fs::write(path, lines.join("\n") + "\n").with_context(|| format!("writing {}", path.display()))
}

/// A seeded shuffle (Fisher-Yates over a 64-bit LCG), the same on every machine.
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut state = seed;
    for i in (1..items.len()).rev() {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let j = ((state >> 33) % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

fn request(base: &Path, data: &Path, out: &Path, force: bool) -> TrainRequest {
    TrainRequest {
        task: Task::Intent,
        train_files: vec![base.to_owned()],
        valid_file: data.join("intent-social/valid.jsonl"),
        out: Some(out.to_owned()),
        force,
        target_precision: Some(0.78),
        exclude: vec![data.join("airline-complaints/train.jsonl"), data.join("airline-complaints/valid.jsonl")],
        hidden: None,
        epochs: None,
        learning_rate: None,
        weight_decay: None,
        hash_dim: None,
        ngram_weight: None,
        ensemble: None,
        full_batch: None,
        seed: None,
    }
}

/// An application over a scratch data directory (no configuration file).
fn scratch_app(dir: &Path) -> anyhow::Result<App> {
    App::load(AppOptions { config_path: dir.join("hark.toml"), config_explicit: false, data_dir: dir.join("data") })
}

async fn add_labels(app: &App, labels: &[Labelled]) -> anyhow::Result<()> {
    let store = app.store().await?;
    for label in labels {
        let write = LabelWrite {
            mention_id: None,
            text: &label.text,
            task: "intent",
            label: &label.label,
            origin: "triage",
            actor: Some("simulated-triage"),
            now: chrono::Utc::now(),
        };
        store.add_label(&write).await?.map_err(|err| anyhow::anyhow!("{err:?}"))?;
    }
    Ok(())
}

fn row(step: &str, labels: usize, outcome: &str, trained: Option<&TrainResponse>) {
    let figure = |value: Option<f64>| value.map_or_else(|| "-".to_owned(), |value| format!("{value:.3}"));
    let report = trained.map(|trained| &trained.validation);
    println!(
        "| {step} | {labels} | {outcome} | {} | {} | {} |",
        figure(report.and_then(|report| report.f1)),
        figure(report.and_then(|report| report.precision)),
        figure(report.and_then(|report| report.recall)),
    );
}

/// Trains with the triage labels; a refused head is an outcome, not a failure.
async fn train_with_labels(app: &App, request: TrainRequest) -> anyhow::Result<Result<TrainResponse, String>> {
    match hark_app::training::train_with_triage(app, &Caller::local(), request).await {
        Ok(trained) => Ok(Ok(trained)),
        Err(err) if matches!(err.code, "better_head_kept" | "precision_unreachable") => Ok(Err(err.message)),
        Err(err) => Err(anyhow::anyhow!("{}: {}", err.code, err.message)),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let data = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "../shared/data".to_owned()));
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("../hark-classifier/data");
    let mut social = read(&data.join("intent-social/train.jsonl"))?;
    shuffle(&mut social, SEED);
    let pool: Vec<Labelled> = social.drain(..POOL.min(social.len())).collect();
    let mut base = social;
    base.extend(read(&project.join("intent-labelled/train.jsonl"))?);
    base.extend(read(&project.join("intent-supplement.jsonl"))?);

    let scratch = std::env::temp_dir().join(format!("hark-learning-curve-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let base_file = scratch.join("base.jsonl");
    write(&base_file, &base)?;
    println!(
        "pool: {} posts of intent-social/train (seed {SEED}), {} of them intent; base: {} posts",
        pool.len(),
        pool.iter().filter(|example| example.label == "intent").count(),
        base.len()
    );
    println!("\n| step | triage labels | head | F1 | precision | recall |\n|---|---|---|---|---|---|");

    // The base head, in the curve's heads directory and copied for the refusal check.
    let heads = scratch.join("heads");
    let base_head = hark_app::training::train(&Caller::local(), request(&base_file, &data, &heads, true))
        .await
        .map_err(|err| anyhow::anyhow!("{}: {}", err.code, err.message))?;
    row("base", 0, "trained", Some(&base_head));
    let refusal_heads = scratch.join("heads-refusal");
    std::fs::create_dir_all(&refusal_heads)?;
    for entry in std::fs::read_dir(&heads)? {
        let entry = entry?;
        std::fs::copy(entry.path(), refusal_heads.join(entry.file_name()))?;
    }

    let app = scratch_app(&scratch.join("curve"))?;
    let mut written = 0;
    for step in STEPS {
        let step = step.min(pool.len());
        add_labels(&app, &pool[written..step]).await?;
        written = step;
        match train_with_labels(&app, request(&base_file, &data, &heads, false)).await? {
            Ok(trained) => row("+ triage", trained.triage_labels, "kept (not worse)", Some(&trained)),
            Err(message) => {
                row("+ triage", written, "refused (not better)", None);
                eprintln!("  {message}");
            }
        }
    }
    app.close().await;

    // Labels with the opposite answer: the head they make is worse and must be refused.
    let wrong: Vec<Labelled> = pool
        .iter()
        .map(|example| Labelled {
            text: example.text.clone(),
            label: if example.label == "intent" { "no_intent" } else { "intent" }.to_owned(),
        })
        .collect();
    let app = scratch_app(&scratch.join("refusal"))?;
    add_labels(&app, &wrong).await?;
    let outcome = train_with_labels(&app, request(&base_file, &data, &refusal_heads, false)).await?;
    app.close().await;
    match outcome {
        Err(message) => {
            row("wrong labels", wrong.len(), "refused", None);
            println!("\n{message}");
        }
        Ok(trained) => {
            row("wrong labels", wrong.len(), "KEPT", Some(&trained));
            anyhow::bail!("a head trained on 400 wrong triage labels was kept");
        }
    }
    drop(std::fs::remove_dir_all(&scratch));
    Ok(())
}
