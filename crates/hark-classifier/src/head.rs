//! Heads: small models on top of the encoder, trained here in Rust.
//!
//! A head is "wide and deep": the dense features (embedding and lexicon scores) go through an
//! optional hidden ReLU layer (`hidden = 0` makes it a plain logistic regression), the hashed
//! n-grams feed the output logits directly, and a softmax over the classes gives the
//! probabilities, divided by a temperature fitted on held-out training data so that they are
//! calibrated. Training: AdamW on cross-entropy with class weights (rare classes count more),
//! mini-batches, a seeded shuffle, and early stopping on a held-out tenth of the training set.
//!
//! On disk a head is `<task>.json` (configuration, shapes, threshold, metrics) beside
//! `<task>.weights` (little-endian f32, in the order of [`Head::parameters`]).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::Task;
use crate::features::{FeatureConfig, Features};

/// Training settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub hidden: usize,
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f32,
    pub weight_decay: f32,
    /// Weight classes by inverse frequency.
    pub balanced: bool,
    pub seed: u64,
    /// Dropout on the hidden layer while training.
    pub dropout: f32,
    /// Linear heads only: train this many models, each on a different held-out split, and
    /// average their calibrated logits (which, for linear models, is averaging their weights
    /// scaled by 1/temperature). Small training sets make a single split's early stopping
    /// noisy; the average is steadier.
    #[serde(default = "one")]
    pub ensemble: usize,
    /// Full-batch training on every example for exactly `epochs` steps (no held-out split,
    /// no early stopping; deterministic), with the temperature fitted on 5-fold out-of-fold
    /// logits. Suits small training sets, where a held-out tenth is too noisy to stop on.
    #[serde(default)]
    pub full_batch: bool,
}

fn one() -> usize {
    1
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            hidden: 0,
            epochs: 30,
            batch_size: 32,
            learning_rate: 1e-3,
            weight_decay: 1e-4,
            balanced: true,
            seed: 7,
            dropout: 0.0,
            ensemble: 1,
            full_batch: false,
        }
    }
}

/// The stored description of a head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeadMeta {
    pub task: Task,
    pub model_version: String,
    pub features: FeatureConfig,
    pub train: TrainConfig,
    pub dense_dim: usize,
    pub classes: usize,
    pub temperature: f32,
    /// Decision threshold for binary heads (probability of the positive class).
    pub threshold: Option<f32>,
    /// Free-form facts for the model card: data, date, metrics.
    pub card: serde_json::Value,
}

/// A trained head.
#[derive(Debug, Clone)]
pub struct Head {
    pub meta: HeadMeta,
    /// hidden × dense_dim (empty for logistic regression).
    w1: Vec<f32>,
    b1: Vec<f32>,
    /// classes × (hidden or dense_dim).
    w2: Vec<f32>,
    b2: Vec<f32>,
    /// hash_dim × classes.
    ws: Vec<f32>,
}

#[derive(Debug, thiserror::Error)]
pub enum HeadError {
    #[error("cannot read head {path}: {message}")]
    Read { path: String, message: String },
    #[error("cannot write head {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("training data is empty or has a single class")]
    Degenerate,
}

/// A small, seeded random number generator (xorshift64*), so training is reproducible.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn uniform(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
    fn normal(&mut self) -> f32 {
        let (u1, u2) = (self.uniform().max(1e-7), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
    }
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// The temperature that minimises cross-entropy of (logits, class) pairs.
fn temperature_for(pairs: &[(Vec<f32>, usize)]) -> f32 {
    let mut best = (f32::INFINITY, 1.0);
    for step in 0..60 {
        let temperature = 0.25 + step as f32 * 0.05;
        let loss: f32 = pairs
            .iter()
            .map(|(logits, class)| {
                let mut scaled: Vec<f32> = logits.iter().map(|logit| logit / temperature).collect();
                softmax_in_place(&mut scaled);
                -scaled[*class].max(1e-7).ln()
            })
            .sum();
        if loss < best.0 {
            best = (loss, temperature);
        }
    }
    best.1
}

fn softmax_in_place(logits: &mut [f32]) {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for value in logits.iter_mut() {
        *value = (*value - max).exp();
        sum += *value;
    }
    logits.iter_mut().for_each(|value| *value /= sum);
}

/// Adam state for one parameter block.
#[derive(Debug, Clone)]
struct Adam {
    m: Vec<f32>,
    v: Vec<f32>,
}

impl Adam {
    fn new(len: usize) -> Self {
        Self { m: vec![0.0; len], v: vec![0.0; len] }
    }

    fn step(&mut self, params: &mut [f32], grads: &[f32], lr: f32, decay: f32, t: i32) {
        let (beta1, beta2, eps) = (0.9f32, 0.999f32, 1e-8f32);
        let correction1 = 1.0 - beta1.powi(t);
        let correction2 = 1.0 - beta2.powi(t);
        for (((p, g), m), v) in params.iter_mut().zip(grads).zip(&mut self.m).zip(&mut self.v) {
            *m = beta1 * *m + (1.0 - beta1) * g;
            *v = beta2 * *v + (1.0 - beta2) * g * g;
            *p -= lr * ((*m / correction1) / ((*v / correction2).sqrt() + eps) + decay * *p);
        }
    }
}

impl Head {
    fn empty(meta: HeadMeta, rng: &mut Rng) -> Self {
        let hash_dim = meta.features.hash_dim as usize;
        let hidden = meta.train.hidden;
        let (classes, dense_dim) = (meta.classes, meta.dense_dim);
        let width = if hidden > 0 { hidden } else { dense_dim };
        let init = |len: usize, fan_in: usize, rng: &mut Rng| {
            let scale = (2.0 / fan_in as f32).sqrt();
            (0..len).map(|_| rng.normal() * scale * 0.5).collect::<Vec<f32>>()
        };
        Self {
            w1: init(hidden * dense_dim, dense_dim, rng),
            b1: vec![0.0; hidden],
            // A linear head starts at zero (a convex problem needs no symmetry breaking).
            w2: if hidden > 0 { init(classes * width, width, rng) } else { vec![0.0; classes * width] },
            b2: vec![0.0; classes],
            ws: vec![0.0; hash_dim * classes],
            meta,
        }
    }

    /// Hidden activations (the dense input itself for logistic regression), with an optional
    /// dropout mask.
    fn hidden(&self, features: &Features, dropout: Option<(&mut Rng, f32)>) -> Vec<f32> {
        let hidden = self.meta.train.hidden;
        if hidden == 0 {
            return features.dense.clone();
        }
        let dim = self.meta.dense_dim;
        let mut out: Vec<f32> = (0..hidden)
            .map(|unit| {
                let row = &self.w1[unit * dim..(unit + 1) * dim];
                let z: f32 = row.iter().zip(&features.dense).map(|(w, x)| w * x).sum::<f32>() + self.b1[unit];
                z.max(0.0)
            })
            .collect();
        if let Some((rng, rate)) = dropout {
            for value in &mut out {
                *value = if rng.uniform() < rate { 0.0 } else { *value / (1.0 - rate) };
            }
        }
        out
    }

    fn logits(&self, features: &Features, hidden: &[f32]) -> Vec<f32> {
        let classes = self.meta.classes;
        let width = hidden.len();
        let mut logits: Vec<f32> = (0..classes)
            .map(|class| {
                let row = &self.w2[class * width..(class + 1) * width];
                row.iter().zip(hidden).map(|(w, h)| w * h).sum::<f32>() + self.b2[class]
            })
            .collect();
        for (slot, value) in &features.sparse {
            let base = *slot as usize * classes;
            for (class, logit) in logits.iter_mut().enumerate() {
                *logit += self.ws[base + class] * value;
            }
        }
        logits
    }

    /// Calibrated class probabilities.
    pub fn predict(&self, features: &Features) -> Vec<f32> {
        let hidden = self.hidden(features, None);
        let mut logits = self.logits(features, &hidden);
        logits.iter_mut().for_each(|logit| *logit /= self.meta.temperature);
        softmax_in_place(&mut logits);
        logits
    }

    /// Trains a head. `examples` pairs features with class indices.
    pub fn train(
        task: Task,
        features_config: FeatureConfig,
        config: TrainConfig,
        examples: &[(Features, usize)],
    ) -> Result<Self, HeadError> {
        if config.full_batch {
            return Self::train_full_batch(task, features_config, config, examples);
        }
        if config.ensemble <= 1 || config.hidden > 0 {
            return Self::train_one(task, features_config, config, examples);
        }
        let mut members = Vec::with_capacity(config.ensemble);
        for member in 0..config.ensemble as u64 {
            let seed = config.seed.wrapping_add(member.wrapping_mul(1_000_003));
            members.push(Self::train_one(task, features_config.clone(), TrainConfig { seed, ..config }, examples)?);
        }
        let mut average = members[0].clone();
        for block in [&mut average.w2, &mut average.b2, &mut average.ws] {
            block.iter_mut().for_each(|value| *value = 0.0);
        }
        let share = 1.0 / members.len() as f32;
        for member in &members {
            let scale = share / member.meta.temperature;
            for (total, value) in average.w2.iter_mut().zip(&member.w2) {
                *total += scale * value;
            }
            for (total, value) in average.b2.iter_mut().zip(&member.b2) {
                *total += scale * value;
            }
            for (total, value) in average.ws.iter_mut().zip(&member.ws) {
                *total += scale * value;
            }
        }
        average.meta.temperature = 1.0;
        average.meta.train = config;
        Ok(average)
    }

    fn train_full_batch(
        task: Task,
        features_config: FeatureConfig,
        config: TrainConfig,
        examples: &[(Features, usize)],
    ) -> Result<Self, HeadError> {
        const FOLDS: usize = 5;
        let mut order: Vec<usize> = (0..examples.len()).collect();
        Rng(config.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1).shuffle(&mut order);
        let mut out_of_fold = Vec::with_capacity(examples.len());
        for fold in 0..FOLDS {
            let (held, kept): (Vec<usize>, Vec<usize>) =
                (0..order.len()).partition(|position| position % FOLDS == fold);
            let subset: Vec<(Features, usize)> = kept.iter().map(|p| examples[order[*p]].clone()).collect();
            let model = Self::train_one(task, features_config.clone(), config, &subset)?;
            for position in held {
                let (features, class) = &examples[order[position]];
                out_of_fold.push((model.logits(features, &model.hidden(features, None)), *class));
            }
        }
        let mut head = Self::train_one(task, features_config, config, examples)?;
        head.meta.temperature = temperature_for(&out_of_fold);
        Ok(head)
    }

    fn train_one(
        task: Task,
        features_config: FeatureConfig,
        config: TrainConfig,
        examples: &[(Features, usize)],
    ) -> Result<Self, HeadError> {
        let classes = task.classes();
        let dense_dim = examples.first().ok_or(HeadError::Degenerate)?.0.dense.len();
        let mut counts = vec![0usize; classes];
        for (_, class) in examples {
            counts[*class] += 1;
        }
        if counts.iter().filter(|count| **count > 0).count() < 2 {
            return Err(HeadError::Degenerate);
        }
        let class_weights: Vec<f32> =
            counts
                .iter()
                .map(|count| {
                    if config.balanced {
                        examples.len() as f32 / (classes as f32 * (*count).max(1) as f32)
                    } else {
                        1.0
                    }
                })
                .collect();

        let mut rng = Rng(config.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let mut order: Vec<usize> = (0..examples.len()).collect();
        rng.shuffle(&mut order);
        let held_out = if config.full_batch { 0 } else { (examples.len() / 10).max(1).min(examples.len() - 1) };
        let (dev, train) = order.split_at(held_out);
        let mut train = train.to_vec();
        let batch_size = if config.full_batch { train.len() } else { config.batch_size.max(1) };

        let meta = HeadMeta {
            task,
            model_version: String::new(),
            features: features_config,
            train: config,
            dense_dim,
            classes,
            temperature: 1.0,
            threshold: None,
            card: serde_json::Value::Null,
        };
        let mut head = Head::empty(meta, &mut rng);
        let width = if config.hidden > 0 { config.hidden } else { dense_dim };
        let mut adam = [
            Adam::new(head.w1.len()),
            Adam::new(head.b1.len()),
            Adam::new(head.w2.len()),
            Adam::new(head.b2.len()),
            Adam::new(head.ws.len()),
        ];
        let mut best = (f32::INFINITY, head.clone());
        let mut since_best = 0;
        let mut step = 0;
        for _epoch in 0..config.epochs {
            rng.shuffle(&mut train);
            for batch in train.chunks(batch_size) {
                let mut g_w1 = vec![0.0; head.w1.len()];
                let mut g_b1 = vec![0.0; head.b1.len()];
                let mut g_w2 = vec![0.0; head.w2.len()];
                let mut g_b2 = vec![0.0; head.b2.len()];
                let mut g_ws = vec![0.0; head.ws.len()];
                let scale = 1.0 / batch.len() as f32;
                for index in batch {
                    let (features, class) = &examples[*index];
                    let dropout = (config.dropout > 0.0).then_some((&mut rng, config.dropout));
                    let hidden = head.hidden(features, dropout);
                    let mut probabilities = head.logits(features, &hidden);
                    softmax_in_place(&mut probabilities);
                    let weight = class_weights[*class] * scale;
                    // d(loss)/d(logit) = p - onehot, scaled by the class weight.
                    let delta: Vec<f32> = probabilities
                        .iter()
                        .enumerate()
                        .map(|(c, p)| weight * (p - if c == *class { 1.0 } else { 0.0 }))
                        .collect();
                    for (c, d) in delta.iter().enumerate() {
                        g_b2[c] += d;
                        for (g, h) in g_w2[c * width..(c + 1) * width].iter_mut().zip(&hidden) {
                            *g += d * h;
                        }
                    }
                    for (slot, value) in &features.sparse {
                        let base = *slot as usize * classes;
                        for (c, d) in delta.iter().enumerate() {
                            g_ws[base + c] += d * value;
                        }
                    }
                    if config.hidden > 0 {
                        for unit in 0..config.hidden {
                            if hidden[unit] <= 0.0 {
                                continue;
                            }
                            let back: f32 = delta.iter().enumerate().map(|(c, d)| d * head.w2[c * width + unit]).sum();
                            g_b1[unit] += back;
                            let row = &mut g_w1[unit * dense_dim..(unit + 1) * dense_dim];
                            for (g, x) in row.iter_mut().zip(&features.dense) {
                                *g += back * x;
                            }
                        }
                    }
                }
                step += 1;
                let (lr, mut decay) = (config.learning_rate, config.weight_decay);
                if config.full_batch {
                    // Plain L2 on the mean loss (as in a textbook logistic regression), not
                    // Adam's decoupled decay: `weight_decay` is then λ in λ/2·‖w‖².
                    for (grads, params) in [(&mut g_w1, &head.w1), (&mut g_w2, &head.w2), (&mut g_ws, &head.ws)] {
                        for (g, p) in grads.iter_mut().zip(params.iter()) {
                            *g += decay * p;
                        }
                    }
                    decay = 0.0;
                }
                adam[0].step(&mut head.w1, &g_w1, lr, decay, step);
                adam[1].step(&mut head.b1, &g_b1, lr, 0.0, step);
                adam[2].step(&mut head.w2, &g_w2, lr, decay, step);
                adam[3].step(&mut head.b2, &g_b2, lr, 0.0, step);
                adam[4].step(&mut head.ws, &g_ws, lr, decay, step);
            }
            if config.full_batch {
                continue;
            }
            let loss = head.loss(examples, dev, &class_weights);
            if loss < best.0 {
                best = (loss, head.clone());
                since_best = 0;
            } else {
                since_best += 1;
                if since_best >= 4 {
                    break;
                }
            }
        }
        if config.full_batch {
            return Ok(head);
        }
        let mut head = best.1;
        head.meta.temperature = head.fit_temperature(examples, dev);
        Ok(head)
    }

    /// Mean weighted cross-entropy over `indices` (early stopping's yardstick).
    fn loss(&self, examples: &[(Features, usize)], indices: &[usize], weights: &[f32]) -> f32 {
        let mut total = 0.0;
        let mut weight_sum = 0.0;
        for index in indices {
            let (features, class) = &examples[*index];
            let hidden = self.hidden(features, None);
            let mut logits = self.logits(features, &hidden);
            softmax_in_place(&mut logits);
            total -= weights[*class] * logits[*class].max(1e-7).ln();
            weight_sum += weights[*class];
        }
        total / weight_sum.max(1e-9)
    }

    /// The temperature that minimises unweighted cross-entropy on held-out data.
    fn fit_temperature(&self, examples: &[(Features, usize)], dev: &[usize]) -> f32 {
        let pairs: Vec<(Vec<f32>, usize)> = dev
            .iter()
            .map(|index| {
                let (features, class) = &examples[*index];
                (self.logits(features, &self.hidden(features, None)), *class)
            })
            .collect();
        temperature_for(&pairs)
    }

    fn blocks(&self) -> [&Vec<f32>; 5] {
        [&self.w1, &self.b1, &self.w2, &self.b2, &self.ws]
    }

    /// Number of parameters.
    pub fn parameters(&self) -> usize {
        self.blocks().iter().map(|block| block.len()).sum()
    }

    /// Writes `<dir>/<task>.json` and `<dir>/<task>.weights`.
    pub fn save(&self, dir: &Path) -> Result<(), HeadError> {
        let write = |path: &Path, bytes: &[u8]| {
            std::fs::create_dir_all(dir)
                .and_then(|()| std::fs::write(path, bytes))
                .map_err(|source| HeadError::Write { path: path.display().to_string(), source })
        };
        let task = self.meta.task.as_str();
        let mut bytes = Vec::with_capacity(self.parameters() * 4);
        for block in self.blocks() {
            for value in block {
                bytes.extend_from_slice(&value.to_le_bytes());
            }
        }
        write(&dir.join(format!("{task}.weights")), &bytes)?;
        let json = serde_json::to_vec_pretty(&self.meta).expect("head metadata serialises");
        write(&dir.join(format!("{task}.json")), &json)
    }

    /// Reads only a saved head's metadata (threshold, metrics), not its weights.
    pub fn load_meta(dir: &Path, task: Task) -> Result<HeadMeta, HeadError> {
        let json_path = dir.join(format!("{}.json", task.as_str()));
        let read_error = |message: String| HeadError::Read { path: json_path.display().to_string(), message };
        let json = std::fs::read(&json_path).map_err(|err| read_error(err.to_string()))?;
        serde_json::from_slice(&json).map_err(|err| read_error(err.to_string()))
    }

    /// Reads a head saved by [`Head::save`].
    pub fn load(dir: &Path, task: Task) -> Result<Self, HeadError> {
        let json_path = dir.join(format!("{}.json", task.as_str()));
        let read_error = |message: String| HeadError::Read { path: json_path.display().to_string(), message };
        let json = std::fs::read(&json_path).map_err(|err| read_error(err.to_string()))?;
        let meta: HeadMeta = serde_json::from_slice(&json).map_err(|err| read_error(err.to_string()))?;
        let weights_path = dir.join(format!("{}.weights", task.as_str()));
        let bytes =
            std::fs::read(&weights_path).map_err(|err| read_error(format!("{}: {err}", weights_path.display())))?;
        let values: Vec<f32> =
            bytes.chunks_exact(4).map(|chunk| f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]])).collect();
        let hidden = meta.train.hidden;
        let width = if hidden > 0 { hidden } else { meta.dense_dim };
        let sizes = [
            hidden * meta.dense_dim,
            hidden,
            meta.classes * width,
            meta.classes,
            meta.features.hash_dim as usize * meta.classes,
        ];
        if values.len() != sizes.iter().sum::<usize>() || bytes.len() % 4 != 0 {
            return Err(read_error(format!(
                "{} holds {} values, the metadata needs {}",
                weights_path.display(),
                values.len(),
                sizes.iter().sum::<usize>()
            )));
        }
        let mut blocks = Vec::with_capacity(5);
        let mut offset = 0;
        for size in sizes {
            blocks.push(values[offset..offset + size].to_vec());
            offset += size;
        }
        let [w1, b1, w2, b2, ws]: [Vec<f32>; 5] = blocks.try_into().expect("five blocks were pushed");
        Ok(Self { meta, w1, b1, w2, b2, ws })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy(n: usize, rng: &mut Rng) -> Vec<(Features, usize)> {
        (0..n)
            .map(|i| {
                let class = i % 2;
                let center = if class == 1 { 1.0 } else { -1.0 };
                let dense = vec![center + rng.normal() * 0.5, rng.normal()];
                let sparse = if class == 1 && i % 3 == 0 { vec![(3, 1.0)] } else { vec![(5, 1.0)] };
                (Features { dense, sparse }, class)
            })
            .collect()
    }

    #[test]
    fn learns_a_separable_problem_and_round_trips_through_disk() {
        let mut rng = Rng(42);
        let data = toy(400, &mut rng);
        let features = FeatureConfig { hash_dim: 8, max_ngram: 1, ngram_weight: 1.0, vader: false };
        for (hidden, ensemble, full_batch) in [(0, 1, false), (0, 3, false), (8, 1, false), (0, 1, true)] {
            let epochs = if full_batch { 200 } else { 20 };
            let config =
                TrainConfig { hidden, ensemble, full_batch, epochs, learning_rate: 0.01, ..TrainConfig::default() };
            let head = Head::train(Task::Complaint, features.clone(), config, &data).unwrap();
            let accuracy =
                data.iter().filter(|(f, c)| crate::metrics::argmax(&head.predict(f)) == *c).count() as f32 / 400.0;
            assert!(accuracy > 0.9, "hidden {hidden}: accuracy {accuracy}");
            let dir = tempfile::tempdir().unwrap();
            head.save(dir.path()).unwrap();
            let loaded = Head::load(dir.path(), Task::Complaint).unwrap();
            assert_eq!(loaded.predict(&data[0].0), head.predict(&data[0].0));
        }
    }

    #[test]
    fn a_single_class_is_refused() {
        let data = vec![(Features { dense: vec![1.0], sparse: vec![] }, 1); 10];
        let result = Head::train(Task::Intent, FeatureConfig::default(), TrainConfig::default(), &data);
        assert!(matches!(result, Err(HeadError::Degenerate)));
    }

    #[test]
    fn truncated_weights_are_an_error() {
        let mut rng = Rng(1);
        let data = toy(50, &mut rng);
        let features = FeatureConfig { hash_dim: 8, max_ngram: 1, ngram_weight: 1.0, vader: false };
        let head =
            Head::train(Task::Intent, features, TrainConfig { epochs: 1, ..TrainConfig::default() }, &data).unwrap();
        let dir = tempfile::tempdir().unwrap();
        head.save(dir.path()).unwrap();
        let weights = dir.path().join("intent.weights");
        let bytes = std::fs::read(&weights).unwrap();
        std::fs::write(&weights, &bytes[..bytes.len() - 8]).unwrap();
        assert!(Head::load(dir.path(), Task::Intent).unwrap_err().to_string().contains("the metadata needs"));
    }
}
