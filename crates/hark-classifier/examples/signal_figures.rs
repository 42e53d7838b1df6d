//! Validation figures for every signal: the tuned encoder with its heads (`heads-tuned/`), the
//! frozen encoder with its heads (`heads/`) and the lexicon baseline, each with a 95% bootstrap
//! interval (percentiles of 1,000 resamples of the validation split, the same draws for every
//! system, so the tuned-minus-frozen difference gets a paired interval too); and the tuned
//! model's int8 graph beside its fp32 graph (every figure, and the encoder's speed on the same
//! texts). Needs `make model` and the labelled sets (docs/model-card.md):
//!
//! ```text
//! cargo run --release -p hark-classifier --example signal_figures -- ../shared/data [models]
//! ```

use std::path::{Path, PathBuf};
use std::time::Instant;

use hark_classifier::classifier::{evaluate_baseline, head_probabilities};
use hark_classifier::dataset::read_labelled;
use hark_classifier::encoder::Variant;
use hark_classifier::head::Head;
use hark_classifier::metrics::{Report, binary_report, bootstrap_samples, multiclass_report, percentile_interval};
use hark_classifier::{Encoder, EncoderOptions, Example, Label, ModelPaths, Task, baseline};

const RESAMPLES: usize = 1000;
const SEED: u64 = 2026;

/// One system's per-example probabilities on a split, and its decision threshold.
struct Scored {
    name: &'static str,
    probabilities: Vec<Vec<f32>>,
    threshold: f32,
    encode_seconds: Option<f64>,
}

fn primary(task: Task, examples: &[Example], scored: &Scored, indices: &[usize]) -> f64 {
    report(task, examples, scored, indices).f1.unwrap_or_else(|| report(task, examples, scored, indices).macro_recall)
}

fn report(task: Task, examples: &[Example], scored: &Scored, indices: &[usize]) -> Report {
    match task {
        Task::Sentiment => {
            let gold: Vec<usize> = indices.iter().map(|i| examples[*i].label.class()).collect();
            let probabilities: Vec<Vec<f32>> = indices.iter().map(|i| scored.probabilities[*i].clone()).collect();
            multiclass_report(task, &gold, &probabilities)
        }
        Task::Complaint | Task::Intent => {
            let gold: Vec<bool> = indices.iter().map(|i| examples[*i].label == Label::Binary(true)).collect();
            let positive: Vec<f32> = indices.iter().map(|i| scored.probabilities[*i][1]).collect();
            binary_report(task, &gold, &positive, scored.threshold)
        }
    }
}

fn model_scores(
    name: &'static str,
    encoder: &mut Encoder,
    heads: &Path,
    task: Task,
    examples: &[Example],
) -> Result<Scored, Box<dyn std::error::Error>> {
    let head = Head::load(heads, task)?;
    let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
    // Warm the session, then time the encoder alone on the split, then score.
    encoder.embed(&texts[..texts.len().min(32)])?;
    let started = Instant::now();
    encoder.embed(&texts)?;
    let encode_seconds = started.elapsed().as_secs_f64();
    let probabilities = head_probabilities(encoder, &head, &texts)?;
    Ok(Scored {
        name,
        probabilities,
        threshold: head.meta.threshold.unwrap_or(0.5),
        encode_seconds: Some(encode_seconds),
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let data = PathBuf::from(args.next().unwrap_or_else(|| "../shared/data".into()));
    let models = PathBuf::from(args.next().unwrap_or_else(|| "models".into()));
    let splits = [
        (Task::Sentiment, "tweeteval-sentiment/valid.jsonl", "macro recall"),
        (Task::Complaint, "complaints-preotiuc2019/valid.jsonl", "F1"),
        (Task::Intent, "intent-social/valid.jsonl", "F1"),
    ];
    let frozen = ModelPaths::variant_in_models_dir(&models, Variant::Frozen);
    let tuned = ModelPaths::variant_in_models_dir(&models, Variant::Tuned);
    let mut frozen_encoder = Encoder::load(&frozen, EncoderOptions::default())?;
    let mut tuned_encoder = Encoder::load(&tuned, EncoderOptions::default())?;
    let mut tuned_int8 = Encoder::load(&tuned, EncoderOptions { int8: true, ..EncoderOptions::default() })?;
    let frozen_heads = models.join(Variant::Frozen.heads_dir_name());
    let tuned_heads = models.join(Variant::Tuned.heads_dir_name());

    println!(
        "| signal (validation split, n) | metric | lexicon | frozen encoder + heads | tuned encoder + heads | tuned − frozen (paired) | tuned int8 |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut details = Vec::new();
    let mut speed = Vec::new();
    for (task, file, metric) in splits {
        let examples = read_labelled(&data.join(file), task)?;
        let lexicon = {
            let probabilities = examples
                .iter()
                .map(|e| match task {
                    Task::Sentiment => baseline::sentiment(&e.text).to_vec(),
                    Task::Complaint => vec![1.0 - baseline::complaint(&e.text), baseline::complaint(&e.text)],
                    Task::Intent => vec![1.0 - baseline::intent(&e.text), baseline::intent(&e.text)],
                })
                .collect();
            Scored { name: "lexicon", probabilities, threshold: 0.5, encode_seconds: None }
        };
        // The lexicon figures are the ones `hark eval --baseline` prints.
        debug_assert_eq!(evaluate_baseline(task, &examples).n, examples.len());
        let systems = [
            lexicon,
            model_scores("frozen", &mut frozen_encoder, &frozen_heads, task, &examples)?,
            model_scores("tuned", &mut tuned_encoder, &tuned_heads, task, &examples)?,
            model_scores("tuned int8", &mut tuned_int8, &tuned_heads, task, &examples)?,
        ];
        let all: Vec<usize> = (0..examples.len()).collect();
        let draws = bootstrap_samples(examples.len(), RESAMPLES, SEED);
        let cell = |scored: &Scored| {
            let point = primary(task, &examples, scored, &all);
            let values: Vec<f64> = draws.iter().map(|d| primary(task, &examples, scored, d)).collect();
            let (low, high) = percentile_interval(&values);
            (point, low, high, values)
        };
        let cells: Vec<_> = systems.iter().map(cell).collect();
        let diffs: Vec<f64> = cells[2].3.iter().zip(&cells[1].3).map(|(t, f)| t - f).collect();
        let (dlow, dhigh) = percentile_interval(&diffs);
        let show = |c: &(f64, f64, f64, Vec<f64>)| format!("{:.3} [{:.3}, {:.3}]", c.0, c.1, c.2);
        println!(
            "| {} ({}, {}) | {} | {} | {} | {} | {:+.3} [{:+.3}, {:+.3}] | {} |",
            task.as_str(),
            file.split('/').next().unwrap_or(file),
            examples.len(),
            metric,
            show(&cells[0]),
            show(&cells[1]),
            show(&cells[2]),
            cells[2].0 - cells[1].0,
            dlow,
            dhigh,
            show(&cells[3]),
        );
        for scored in &systems {
            let r = report(task, &examples, scored, &all);
            details.push(format!(
                "| {} | {} | {:.3} | {} | {} | {} | {:.3} | {:.3} | {} | {} |",
                task.as_str(),
                scored.name,
                r.accuracy,
                r.precision.map_or("–".into(), |v| format!("{v:.3}")),
                r.recall.map_or("–".into(), |v| format!("{v:.3}")),
                r.f1.map_or("–".into(), |v| format!("{v:.3}")),
                r.macro_f1,
                r.macro_recall,
                r.auc.map_or("–".into(), |v| format!("{v:.3}")),
                r.threshold.map_or("argmax".into(), |v| format!("{v:.3}")),
            ));
            if let Some(seconds) = scored.encode_seconds {
                speed.push((task, scored.name, examples.len(), seconds));
            }
        }
    }
    println!("\n95% intervals: percentile bootstrap, {RESAMPLES} resamples of each validation split (seed {SEED}).\n");
    println!("| signal | system | accuracy | precision | recall | F1 | macro F1 | macro recall | AUC | threshold |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for line in details {
        println!("{line}");
    }
    println!("\n| encoder on the validation texts | texts | seconds | texts/s |");
    println!("|---|---|---|---|");
    let mut totals: Vec<(&str, usize, f64)> = Vec::new();
    for (_, name, n, seconds) in &speed {
        match totals.iter_mut().find(|(t, _, _)| t == name) {
            Some(total) => {
                total.1 += n;
                total.2 += seconds;
            }
            None => totals.push((name, *n, *seconds)),
        }
    }
    for (name, n, seconds) in totals {
        println!("| {name} | {n} | {seconds:.1} | {:.0} |", n as f64 / seconds);
    }
    println!("\n{} threads per session, batch {}.", frozen_encoder.threads(), frozen_encoder.batch_size());
    Ok(())
}
