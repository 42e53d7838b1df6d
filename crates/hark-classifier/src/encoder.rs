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

/// Where the model files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelPaths {
    /// Holds `model.onnx` (or `model.int8.onnx`) and `tokenizer.json`.
    pub encoder_dir: PathBuf,
    pub onnxruntime: PathBuf,
}

impl ModelPaths {
    /// The layout `make model` writes under a models directory.
    pub fn in_models_dir(models: &Path) -> Self {
        let onnxruntime = std::env::var_os("ORT_DYLIB_PATH")
            .map_or_else(|| models.join("onnxruntime").join("libonnxruntime.so"), PathBuf::from);
        Self { encoder_dir: models.join("all-MiniLM-L6-v2"), onnxruntime }
    }

    /// Finds the models directory: `HARK_MODEL_DIR`, else `./models`, else a `models/` beside
    /// or above the running executable (so `target/debug/hark` finds the repository's).
    pub fn locate() -> Result<Self, ClassifierError> {
        if let Some(dir) = std::env::var_os("HARK_MODEL_DIR") {
            return Self::checked(Self::in_models_dir(Path::new(&dir)));
        }
        let mut candidates = vec![PathBuf::from("models")];
        if let Ok(exe) = std::env::current_exe() {
            candidates.extend(exe.ancestors().skip(1).take(4).map(|dir| dir.join("models")));
        }
        let found = candidates.iter().find(|dir| dir.join("all-MiniLM-L6-v2").join("model.onnx").is_file());
        Self::checked(Self::in_models_dir(found.unwrap_or(&candidates[0])))
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

/// Options for loading the encoder.
#[derive(Debug, Clone, Copy)]
pub struct EncoderOptions {
    /// ONNX Runtime intra-op threads; 0 means one per available core.
    pub threads: usize,
    pub batch_size: usize,
    /// Use `model.int8.onnx` (dynamically quantised) instead of the fp32 graph.
    pub int8: bool,
}

impl Default for EncoderOptions {
    fn default() -> Self {
        Self { threads: 0, batch_size: DEFAULT_BATCH, int8: false }
    }
}

/// A loaded encoder. `embed` takes `&mut self`: one session, used by one worker at a time.
pub struct Encoder {
    session: Session,
    tokenizer: Tokenizer,
    batch_size: usize,
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
        Ok(Self { session, tokenizer, batch_size: options.batch_size.max(1), threads, pooled_output, pad_id })
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
        if sort_by_length {
            order.sort_by_key(|index| encodings[*index].get_ids().len());
        }
        let mut embeddings = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(self.batch_size) {
            let batch: Vec<&tokenizers::Encoding> = chunk.iter().map(|index| &encodings[*index]).collect();
            let vectors = self.run_batch(&batch)?;
            for (index, vector) in chunk.iter().zip(vectors) {
                embeddings[*index] = vector;
            }
        }
        Ok(embeddings)
    }

    /// The bare-session baseline for benchmarks: tokenises first (untimed), then times only the
    /// ONNX Runtime calls on length-sorted batches padded to their longest text. Returns the
    /// seconds spent in the session.
    pub fn time_bare_session(&mut self, texts: &[&str]) -> Result<f64, ClassifierError> {
        let mut encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|err| ClassifierError::Runtime { context: "tokenising", message: err.to_string() })?;
        encodings.sort_by_key(|encoding| encoding.get_ids().len());
        let started = std::time::Instant::now();
        for chunk in encodings.chunks(self.batch_size) {
            let batch: Vec<&tokenizers::Encoding> = chunk.iter().collect();
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
