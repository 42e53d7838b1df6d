//! The sentence encoder: all-MiniLM-L6-v2 exported to ONNX by `make model`, run by ONNX Runtime
//! (`libonnxruntime.so` loaded at run time), tokenised by the model's own `tokenizer.json`.
//!
//! Two things matter for speed as much as the engine (DESIGN.md, "Signals"): each batch is
//! padded to its longest text, not to the 128 tokens the packaged tokenizer asks for, and texts
//! are batched with others of similar length (sorted by token count; the caller's order is
//! restored afterwards). Output: mean-pooled, L2-normalised 384-d vectors, as
//! sentence-transformers computes them; truncation at 128 tokens.

use std::path::{Path, PathBuf};

use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::Tensor;
use tokenizers::{Tokenizer, TruncationParams};

use crate::ClassifierError;

/// The encoder's output width.
pub const DIMENSIONS: usize = 384;
/// Longest input in tokens; longer texts are truncated.
pub const MAX_TOKENS: usize = 128;
/// Texts per forward pass.
pub const DEFAULT_BATCH: usize = 32;

/// Padded tokens per batch at most by default (texts × the longest text's tokens): 32 texts
/// of up to 32 tokens, fewer longer ones. See `token_budget_batches`.
pub const DEFAULT_BATCH_TOKENS: usize = 1024;

/// The encoder's directory inside a models directory (the frozen all-MiniLM-L6-v2).
pub const FROZEN_ENCODER: &str = "all-MiniLM-L6-v2";
/// The fine-tuned encoder `make model` exports beside it (all-MiniLM-L6-v2 with the committed
/// low-rank adapter merged, `models/adapters/`).
pub const TUNED_ENCODER: &str = "all-MiniLM-L6-v2-tuned";
/// The heads trained on the frozen encoder.
pub const FROZEN_HEADS: &str = "heads";
/// The heads trained on the tuned encoder.
pub const TUNED_HEADS: &str = "heads-tuned";
/// Chooses the encoder: `tuned` or `frozen`; unset, the tuned one when it and its heads are there.
pub const VARIANT_ENV: &str = "HARK_ENCODER";

/// Which encoder (and so which heads) a models directory serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// all-MiniLM-L6-v2 as published, with `heads/`: the fallback.
    Frozen,
    /// all-MiniLM-L6-v2 fine-tuned on the three signals, with `heads-tuned/`.
    Tuned,
}

impl Variant {
    /// The variant `HARK_ENCODER` asks for; `None` when unset or empty (then: whatever is there).
    pub fn from_env() -> Result<Option<Self>, ClassifierError> {
        match std::env::var(VARIANT_ENV) {
            Ok(value) if value.trim().is_empty() => Ok(None),
            Ok(value) => Self::parse(value.trim()).map(Some),
            Err(_) => Ok(None),
        }
    }

    pub fn parse(value: &str) -> Result<Self, ClassifierError> {
        match value {
            "tuned" => Ok(Self::Tuned),
            "frozen" => Ok(Self::Frozen),
            other => Err(ClassifierError::Runtime {
                context: "reading HARK_ENCODER",
                message: format!("unknown encoder {other:?}: use \"tuned\" or \"frozen\""),
            }),
        }
    }

    pub fn encoder_dir_name(self) -> &'static str {
        match self {
            Self::Frozen => FROZEN_ENCODER,
            Self::Tuned => TUNED_ENCODER,
        }
    }

    pub fn heads_dir_name(self) -> &'static str {
        match self {
            Self::Frozen => FROZEN_HEADS,
            Self::Tuned => TUNED_HEADS,
        }
    }
}

/// Where the model files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelPaths {
    /// Holds `model.onnx` (or `model.int8.onnx`) and `tokenizer.json`.
    pub encoder_dir: PathBuf,
    pub onnxruntime: PathBuf,
}

impl ModelPaths {
    /// The frozen encoder in the layout `make model` writes under a models directory.
    pub fn in_models_dir(models: &Path) -> Self {
        Self::variant_in_models_dir(models, Variant::Frozen)
    }

    /// One variant's encoder under a models directory.
    pub fn variant_in_models_dir(models: &Path, variant: Variant) -> Self {
        let onnxruntime = std::env::var_os("ORT_DYLIB_PATH")
            .map_or_else(|| models.join("onnxruntime").join("libonnxruntime.so"), PathBuf::from);
        Self { encoder_dir: models.join(variant.encoder_dir_name()), onnxruntime }
    }

    /// The variant a models directory serves: `forced` when given, else the tuned encoder when
    /// its graph, its tokenizer and all three of its heads are there, else the frozen one.
    pub fn select(models: &Path, forced: Option<Variant>) -> Self {
        let variant = forced.unwrap_or_else(|| if tuned_complete(models) { Variant::Tuned } else { Variant::Frozen });
        Self::variant_in_models_dir(models, variant)
    }

    /// Which variant these paths are.
    pub fn variant(&self) -> Variant {
        if self.encoder_dir.file_name().is_some_and(|name| name == TUNED_ENCODER) {
            Variant::Tuned
        } else {
            Variant::Frozen
        }
    }

    /// The encoder's name as model versions and model cards show it.
    pub fn encoder_name(&self) -> &'static str {
        self.variant().encoder_dir_name()
    }

    /// Finds the models directory: `HARK_MODEL_DIR`, else `./models`, else a `models/` beside
    /// or above the running executable (so `target/debug/hark` finds the repository's); then
    /// the encoder in it as [`ModelPaths::select`] chooses, `HARK_ENCODER` forcing one.
    pub fn locate() -> Result<Self, ClassifierError> {
        let forced = Variant::from_env()?;
        Self::checked(Self::select(&Self::locate_models_dir(), forced))
    }

    /// The models directory [`ModelPaths::locate`] uses.
    pub fn locate_models_dir() -> PathBuf {
        if let Some(dir) = std::env::var_os("HARK_MODEL_DIR") {
            return PathBuf::from(dir);
        }
        let mut candidates = vec![PathBuf::from("models")];
        if let Ok(exe) = std::env::current_exe() {
            candidates.extend(exe.ancestors().skip(1).take(4).map(|dir| dir.join("models")));
        }
        let found = candidates.iter().find(|dir| dir.join(FROZEN_ENCODER).join("model.onnx").is_file());
        found.unwrap_or(&candidates[0]).clone()
    }

    fn checked(paths: Self) -> Result<Self, ClassifierError> {
        for file in
            [paths.encoder_dir.join("model.onnx"), paths.encoder_dir.join("tokenizer.json"), paths.onnxruntime.clone()]
        {
            if !file.is_file() {
                return Err(ClassifierError::ModelMissing { path: file });
            }
        }
        Ok(paths)
    }
}

/// Whether a models directory holds the tuned encoder and the heads trained on it.
pub fn tuned_complete(models: &Path) -> bool {
    let encoder = models.join(TUNED_ENCODER);
    let heads = models.join(TUNED_HEADS);
    encoder.join("model.onnx").is_file()
        && encoder.join("tokenizer.json").is_file()
        && ["sentiment", "complaint", "intent"]
            .iter()
            .all(|task| heads.join(format!("{task}.json")).is_file() && heads.join(format!("{task}.weights")).is_file())
}

/// Options for loading the encoder.
#[derive(Debug, Clone, Copy)]
pub struct EncoderOptions {
    /// ONNX Runtime intra-op threads; 0 means one per available core.
    pub threads: usize,
    pub batch_size: usize,
    /// Padded tokens per batch at most (texts × the longest text's tokens); a batch always
    /// holds at least one text.
    pub batch_tokens: usize,
    /// Use `model.int8.onnx` (dynamically quantised) instead of the fp32 graph.
    pub int8: bool,
}

impl Default for EncoderOptions {
    fn default() -> Self {
        Self { threads: 0, batch_size: DEFAULT_BATCH, batch_tokens: DEFAULT_BATCH_TOKENS, int8: false }
    }
}

/// A loaded encoder. `embed` takes `&mut self`: one session, used by one worker at a time.
pub struct Encoder {
    session: Session,
    tokenizer: Tokenizer,
    batch_size: usize,
    batch_tokens: usize,
    threads: usize,
    /// Whether the graph computes pooling itself (`sentence_embedding` output).
    pooled_output: bool,
    pad_id: i64,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder").field("batch_size", &self.batch_size).field("threads", &self.threads).finish()
    }
}

fn ort_error(context: &'static str) -> impl FnOnce(ort::Error) -> ClassifierError {
    move |source| ClassifierError::Runtime { context, message: source.to_string() }
}

impl Encoder {
    pub fn load(paths: &ModelPaths, options: EncoderOptions) -> Result<Self, ClassifierError> {
        let threads = if options.threads == 0 {
            std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
        } else {
            options.threads
        };
        let environment = crate::runtime::environment(&paths.onnxruntime)?;
        let file = if options.int8 { "model.int8.onnx" } else { "model.onnx" };
        let model = paths.encoder_dir.join(file);
        if !model.is_file() {
            return Err(ClassifierError::ModelMissing { path: model });
        }
        let session = Session::builder(&environment)
            .map_err(ort_error("creating a session"))?
            .with_optimization_level(GraphOptimizationLevel::Level3)
            .map_err(|err| ClassifierError::Runtime {
                context: "setting the optimisation level",
                message: err.to_string(),
            })?
            .with_intra_threads(threads)
            .map_err(|err| ClassifierError::Runtime { context: "setting threads", message: err.to_string() })?
            // Threads that finish their share sleep instead of spinning for the next batch, so
            // the rest of the pipeline (saving, matching, indexing) gets the cores between
            // batches.
            .with_intra_op_spinning(false)
            .map_err(|err| ClassifierError::Runtime { context: "setting thread spinning", message: err.to_string() })?
            .commit_from_file(&model)
            .map_err(|err| ClassifierError::Runtime {
                context: "loading the encoder graph",
                message: format!("{}: {err}", model.display()),
            })?;
        let pooled_output = session.outputs().iter().any(|output| output.name() == "sentence_embedding");

        let tokenizer_file = paths.encoder_dir.join("tokenizer.json");
        let mut tokenizer = Tokenizer::from_file(&tokenizer_file).map_err(|err| ClassifierError::Runtime {
            context: "loading the tokenizer",
            message: format!("{}: {err}", tokenizer_file.display()),
        })?;
        // The packaged tokenizer pads every text to 128 tokens; batches are padded here, to
        // their longest text, instead.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: MAX_TOKENS, ..TruncationParams::default() }))
            .map_err(|err| ClassifierError::Runtime { context: "configuring truncation", message: err.to_string() })?;
        let pad_id = tokenizer.token_to_id("[PAD]").map_or(0, i64::from);
        Ok(Self {
            session,
            tokenizer,
            batch_size: options.batch_size.max(1),
            batch_tokens: options.batch_tokens,
            threads,
            pooled_output,
            pad_id,
        })
    }

    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Embeds texts, returning one unit vector per text in the order given.
    pub fn embed(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>, ClassifierError> {
        self.embed_with(texts, true)
    }

    /// `embed`, optionally without length sorting (for measuring what sorting buys).
    pub fn embed_with(&mut self, texts: &[&str], sort_by_length: bool) -> Result<Vec<Vec<f32>>, ClassifierError> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|err| ClassifierError::Runtime { context: "tokenising", message: err.to_string() })?;
        let mut order: Vec<usize> = (0..texts.len()).collect();
        let mut embeddings = vec![Vec::new(); texts.len()];
        let chunks: Vec<&[usize]> = if sort_by_length {
            order.sort_by_key(|index| encodings[*index].get_ids().len());
            token_budget_batches(&order, |index| encodings[index].get_ids().len(), self.batch_size, self.batch_tokens)
        } else {
            order.chunks(self.batch_size).collect()
        };
        for chunk in chunks {
            let batch: Vec<&tokenizers::Encoding> = chunk.iter().map(|index| &encodings[*index]).collect();
            let vectors = self.run_batch(&batch)?;
            for (index, vector) in chunk.iter().zip(vectors) {
                embeddings[*index] = vector;
            }
        }
        Ok(embeddings)
    }

    /// The bare-session baseline for benchmarks: tokenises first (untimed), then times only the
    /// ONNX Runtime calls on length-sorted batches padded to their longest text, cut as
    /// `embed` cuts them. Returns the
    /// seconds spent in the session.
    pub fn time_bare_session(&mut self, texts: &[&str]) -> Result<f64, ClassifierError> {
        let mut encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|err| ClassifierError::Runtime { context: "tokenising", message: err.to_string() })?;
        encodings.sort_by_key(|encoding| encoding.get_ids().len());
        let order: Vec<usize> = (0..encodings.len()).collect();
        let batches =
            token_budget_batches(&order, |index| encodings[index].get_ids().len(), self.batch_size, self.batch_tokens);
        let started = std::time::Instant::now();
        for chunk in batches {
            let batch: Vec<&tokenizers::Encoding> = chunk.iter().map(|index| &encodings[*index]).collect();
            self.run_batch(&batch)?;
        }
        Ok(started.elapsed().as_secs_f64())
    }

    fn run_batch(&mut self, batch: &[&tokenizers::Encoding]) -> Result<Vec<Vec<f32>>, ClassifierError> {
        let rows = batch.len();
        let width = batch.iter().map(|encoding| encoding.get_ids().len()).max().unwrap_or(0).max(1);
        let mut ids = vec![self.pad_id; rows * width];
        let mut mask = vec![0i64; rows * width];
        for (row, encoding) in batch.iter().enumerate() {
            for (column, id) in encoding.get_ids().iter().enumerate() {
                ids[row * width + column] = i64::from(*id);
                mask[row * width + column] = 1;
            }
        }
        let shape = [rows as i64, width as i64];
        let inputs = ort::inputs! {
            "input_ids" => Tensor::from_array((shape, ids)).map_err(ort_error("building input_ids"))?,
            "attention_mask" => Tensor::from_array((shape, mask.clone())).map_err(ort_error("building attention_mask"))?,
            "token_type_ids" => Tensor::from_array((shape, vec![0i64; rows * width])).map_err(ort_error("building token_type_ids"))?,
        };
        let pooled_output = self.pooled_output;
        let outputs = self.session.run(inputs).map_err(ort_error("running the encoder"))?;
        if pooled_output {
            let (_, data) =
                outputs["sentence_embedding"].try_extract_tensor::<f32>().map_err(ort_error("reading embeddings"))?;
            return Ok(data.chunks(DIMENSIONS).map(<[f32]>::to_vec).collect());
        }
        let (_, hidden) =
            outputs["last_hidden_state"].try_extract_tensor::<f32>().map_err(ort_error("reading hidden states"))?;
        Ok((0..rows)
            .map(|row| {
                mean_pool(
                    &hidden[row * width * DIMENSIONS..(row + 1) * width * DIMENSIONS],
                    &mask[row * width..(row + 1) * width],
                )
            })
            .collect())
    }
}

/// Mean of the token vectors under the mask, L2-normalised.
/// Cuts `order` (indices sorted by token length, shortest first) into batches of at most
/// `batch_size` texts whose padded size (texts × the longest text's tokens) stays within
/// `batch_tokens`, a batch always taking at least one text. Short texts then run in full
/// batches and long ones in small batches, so that a few long posts do not pad many short ones
/// (attention grows with the square of the padded length).
fn token_budget_batches(
    order: &[usize],
    tokens: impl Fn(usize) -> usize,
    batch_size: usize,
    batch_tokens: usize,
) -> Vec<&[usize]> {
    let mut batches = Vec::new();
    let mut start = 0;
    for end in 1..=order.len() {
        let count = end - start;
        let closes =
            end == order.len() || count == batch_size.max(1) || (count + 1) * tokens(order[end]) > batch_tokens;
        if closes {
            batches.push(&order[start..end]);
            start = end;
        }
    }
    batches
}

fn mean_pool(hidden: &[f32], mask: &[i64]) -> Vec<f32> {
    let mut sum = vec![0.0f32; DIMENSIONS];
    let mut count = 0.0f32;
    for (token, keep) in hidden.chunks(DIMENSIONS).zip(mask) {
        if *keep == 1 {
            count += 1.0;
            for (total, value) in sum.iter_mut().zip(token) {
                *total += value;
            }
        }
    }
    let count = count.max(1e-9);
    sum.iter_mut().for_each(|value| *value /= count);
    normalize(&mut sum);
    sum
}

/// Scales a vector to unit length (leaves a zero vector alone).
pub fn normalize(vector: &mut [f32]) {
    let norm = vector.iter().map(|v| v * v).sum::<f32>().sqrt();
    if norm > 1e-12 {
        vector.iter_mut().for_each(|value| *value /= norm);
    }
}

pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm_a = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let norm_b = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm_a * norm_b).max(1e-12)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classifier::heads_dir;

    #[test]
    fn batches_hold_many_short_texts_and_few_long_ones_and_every_text_once() {
        // Token lengths, already sorted as `embed` sorts them.
        let lengths = [5, 6, 8, 8, 10, 30, 60, 120, 128, 128];
        let order: Vec<usize> = (0..lengths.len()).collect();
        let batches = token_budget_batches(&order, |index| lengths[index], 4, 128);
        let sizes: Vec<usize> = batches.iter().map(|batch| batch.len()).collect();
        // 4 short ones (the batch size caps them), then as many as fit 128 padded tokens, and a
        // text longer than the budget alone.
        assert_eq!(sizes, [4, 2, 1, 1, 1, 1]);
        assert_eq!(batches.concat(), order, "every text once, in order");
        for batch in &batches {
            let longest = batch.iter().map(|index| lengths[*index]).max().unwrap();
            assert!(batch.len() == 1 || batch.len() * longest <= 128, "{batch:?}");
        }
        assert!(token_budget_batches(&[], |_| 1, 4, 128).is_empty());
    }

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"x").unwrap();
    }

    fn tuned_encoder(models: &Path) {
        touch(&models.join(TUNED_ENCODER).join("model.onnx"));
        touch(&models.join(TUNED_ENCODER).join("tokenizer.json"));
    }

    fn tuned_heads(models: &Path, tasks: &[&str]) {
        for task in tasks {
            touch(&models.join(TUNED_HEADS).join(format!("{task}.json")));
            touch(&models.join(TUNED_HEADS).join(format!("{task}.weights")));
        }
    }

    #[test]
    fn the_tuned_encoder_and_its_heads_are_used_when_both_are_there() {
        let dir = tempfile::tempdir().unwrap();
        let models = dir.path();
        touch(&models.join(FROZEN_ENCODER).join("model.onnx"));
        // Nothing tuned: the frozen encoder with heads/ (the fallback).
        let paths = ModelPaths::select(models, None);
        assert_eq!(paths.variant(), Variant::Frozen);
        assert_eq!(paths.encoder_dir, models.join(FROZEN_ENCODER));
        assert_eq!(heads_dir(&paths), models.join(FROZEN_HEADS));
        // The tuned graph without heads trained on it: still the fallback.
        tuned_encoder(models);
        assert_eq!(ModelPaths::select(models, None).variant(), Variant::Frozen);
        // Two of three tuned heads: still the fallback, never a mix.
        tuned_heads(models, &["sentiment", "complaint"]);
        assert_eq!(ModelPaths::select(models, None).variant(), Variant::Frozen);
        // Everything there: the tuned encoder with heads-tuned/.
        tuned_heads(models, &["intent"]);
        let paths = ModelPaths::select(models, None);
        assert_eq!(paths.variant(), Variant::Tuned);
        assert_eq!(paths.encoder_dir, models.join(TUNED_ENCODER));
        assert_eq!(heads_dir(&paths), models.join(TUNED_HEADS));
        assert_eq!(paths.encoder_name(), "all-MiniLM-L6-v2-tuned");
        // HARK_ENCODER=frozen keeps the frozen pair available for comparisons.
        let paths = ModelPaths::select(models, Some(Variant::Frozen));
        assert_eq!((paths.variant(), heads_dir(&paths)), (Variant::Frozen, models.join(FROZEN_HEADS)));
    }

    #[test]
    fn tuned_graph_without_its_tokenizer_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        touch(&dir.path().join(TUNED_ENCODER).join("model.onnx"));
        tuned_heads(dir.path(), &["sentiment", "complaint", "intent"]);
        assert_eq!(ModelPaths::select(dir.path(), None).variant(), Variant::Frozen);
    }

    #[test]
    fn the_encoder_variant_is_named_or_refused() {
        assert_eq!(Variant::parse("tuned").unwrap(), Variant::Tuned);
        assert_eq!(Variant::parse("frozen").unwrap(), Variant::Frozen);
        assert!(Variant::parse("large").unwrap_err().to_string().contains("tuned"));
    }
}
