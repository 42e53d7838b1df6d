//! The encoder against an independent reference: embeddings of the committed fixture
//! sentences computed by a separate float64 numpy forward pass of the same weights
//! (`scripts/model/check_export.py --write-fixture`). Needs `make model`.

use std::path::PathBuf;

use hark_classifier::encoder::{DIMENSIONS, cosine};
use hark_classifier::{Encoder, EncoderOptions, ModelPaths};

fn models_dir() -> PathBuf {
    std::env::var_os("HARK_MODEL_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models"), PathBuf::from)
}

fn encoder() -> Encoder {
    let paths = ModelPaths::in_models_dir(&models_dir());
    Encoder::load(&paths, EncoderOptions::default()).expect("the encoder loads (run `make model` first)")
}

#[derive(serde::Deserialize)]
struct Fixture {
    items: Vec<Item>,
}

#[derive(serde::Deserialize)]
struct Item {
    text: String,
    embedding: Vec<f32>,
}

#[test]
fn embeddings_match_an_independent_implementation() {
    let fixture: Fixture =
        serde_json::from_str(include_str!("fixtures/reference_embeddings.json")).expect("fixture parses");
    let mut encoder = encoder();
    let texts: Vec<&str> = fixture.items.iter().map(|item| item.text.as_str()).collect();
    // One batch holding every length: padding and masking must not change any embedding.
    let embeddings = encoder.embed(&texts).unwrap();
    for (item, embedding) in fixture.items.iter().zip(&embeddings) {
        assert_eq!(embedding.len(), DIMENSIONS);
        let similarity = cosine(embedding, &item.embedding);
        assert!(similarity >= 0.999, "cosine {similarity} for {:?}", item.text);
    }
    // Order is restored after length sorting, and batching does not matter.
    let one_by_one: Vec<Vec<f32>> = texts.iter().map(|text| encoder.embed(&[text]).unwrap().remove(0)).collect();
    for (a, b) in embeddings.iter().zip(&one_by_one) {
        assert!(cosine(a, b) > 0.9999);
    }
}

#[test]
fn odd_inputs_have_defined_results() {
    let mut encoder = encoder();
    let long = "word ".repeat(25_000);
    let texts = ["", " ", "😀", &long];
    let embeddings = encoder.embed(&texts).unwrap();
    for embedding in &embeddings {
        assert_eq!(embedding.len(), DIMENSIONS);
        assert!(embedding.iter().all(|v| v.is_finite()));
    }
    assert!(encoder.embed(&[]).unwrap().is_empty());
}

#[test]
fn a_missing_model_names_make_model() {
    let dir = tempfile::tempdir().unwrap();
    let err = Encoder::load(&ModelPaths::in_models_dir(dir.path()), EncoderOptions::default()).unwrap_err();
    assert!(err.to_string().contains("make model"), "{err}");
}
