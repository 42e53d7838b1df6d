//! hark-classifier: text in, [`hark_core::Signals`] out.
//!
//! It owns the encoder (all-MiniLM-L6-v2 on ONNX Runtime), the trained heads for sentiment,
//! complaint and buying intent, the cues that explain each flag, the lexicon baseline every
//! figure is compared with, and the metrics behind `hark train`, `hark eval` and `hark bench`.
//!
//! Everything here is synchronous and CPU-bound. It must not run on the async runtime:
//! callers use a worker thread or `spawn_blocking`.

pub mod baseline;
pub mod dataset;
pub mod metrics;

pub use dataset::{Example, Label, Task};
