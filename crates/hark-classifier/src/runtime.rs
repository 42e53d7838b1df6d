//! The one ONNX Runtime environment of the process, loaded from `libonnxruntime.so` on first
//! use (ort's `load-dynamic`: the library comes from the pinned wheel, see `make model`).

use std::path::Path;
use std::sync::{Mutex, OnceLock};

use ort::environment::Environment;

use crate::ClassifierError;

/// Loads the library (once per process) and returns the shared environment.
pub fn environment(library: &Path) -> Result<Environment, ClassifierError> {
    static ENVIRONMENT: OnceLock<Mutex<Option<Environment>>> = OnceLock::new();
    let slot = ENVIRONMENT.get_or_init(|| Mutex::new(None));
    let mut guard = slot.lock().map_err(|_| ClassifierError::Runtime {
        context: "loading ONNX Runtime",
        message: "a previous load panicked".to_owned(),
    })?;
    if let Some(environment) = guard.as_ref() {
        return Ok(environment.clone());
    }
    if !library.is_file() {
        return Err(ClassifierError::ModelMissing { path: library.to_owned() });
    }
    let environment = ort::init_from(library)
        .map_err(|err| ClassifierError::Runtime {
            context: "loading libonnxruntime",
            message: format!("{}: {err}", library.display()),
        })?
        .with_name("hark")
        .build()
        .map_err(|err| ClassifierError::Runtime {
            context: "creating the ONNX Runtime environment",
            message: err.to_string(),
        })?;
    *guard = Some(environment.clone());
    Ok(environment)
}
