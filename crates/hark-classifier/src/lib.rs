//! hark-classifier: text in, [`hark_core::Signals`] out.
//!
//! It owns the encoder (all-MiniLM-L6-v2 on ONNX Runtime), the trained heads for sentiment,
//! complaint and buying intent, the cues that explain each flag, the lexicon baseline every
//! figure is compared with, and the metrics behind `hark train`, `hark eval` and `hark bench`.
//!
//! Everything here is synchronous and CPU-bound. It must not run on the async runtime:
//! callers use a worker thread or `spawn_blocking`.

pub mod baseline;
pub mod classifier;
pub mod dataset;
pub mod encoder;
pub mod features;
pub mod head;
pub mod metrics;
mod runtime;

use std::path::PathBuf;

pub use dataset::{Example, Label, Task};
pub use encoder::{Encoder, EncoderOptions, ModelPaths};

#[derive(Debug, thiserror::Error)]
pub enum ClassifierError {
    #[error("model file {path} is missing: run `make model` (or set HARK_MODEL_DIR to a directory it filled)")]
    ModelMissing { path: PathBuf },
    #[error("ONNX Runtime failed while {context}: {message}")]
    Runtime { context: &'static str, message: String },
}
