//! The tuned encoder (`models/all-MiniLM-L6-v2-tuned`, the committed LoRA adapter merged by
//! `make model`) with the heads trained on it (`models/heads-tuned`): its embeddings match an
//! independent float64 reference of the merged weights, and posts that merely look like buying
//! or grievance (invitations, events, job posts, release notes, questions about anything but
//! buying) stay below the intent and complaint thresholds. Needs `make model`.

use std::path::PathBuf;

use hark_classifier::classifier::Classifier;
use hark_classifier::encoder::{DIMENSIONS, TUNED_HEADS, Variant, cosine};
use hark_classifier::{Encoder, EncoderOptions, ModelPaths, Task};

fn models_dir() -> PathBuf {
    std::env::var_os("HARK_MODEL_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models"), PathBuf::from)
}

fn classifier() -> Classifier {
    let models = models_dir();
    let paths = ModelPaths::variant_in_models_dir(&models, Variant::Tuned);
    Classifier::load(&paths, &models.join(TUNED_HEADS), EncoderOptions::default())
        .expect("the tuned encoder and its heads load (run `make model` first)")
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
fn tuned_embeddings_match_an_independent_implementation() {
    let fixture: Fixture =
        serde_json::from_str(include_str!("fixtures/reference_embeddings_tuned.json")).expect("fixture parses");
    let paths = ModelPaths::variant_in_models_dir(&models_dir(), Variant::Tuned);
    let mut encoder = Encoder::load(&paths, EncoderOptions::default()).expect("the tuned encoder loads");
    let texts: Vec<&str> = fixture.items.iter().map(|item| item.text.as_str()).collect();
    let embeddings = encoder.embed(&texts).unwrap();
    for (item, embedding) in fixture.items.iter().zip(&embeddings) {
        assert_eq!(embedding.len(), DIMENSIONS);
        let similarity = cosine(embedding, &item.embedding);
        assert!(similarity >= 0.999, "cosine {similarity} for {:?}", item.text);
    }
    // The tuned graph is not the frozen one: the committed adapter really is merged.
    let frozen: Fixture =
        serde_json::from_str(include_str!("fixtures/reference_embeddings.json")).expect("fixture parses");
    let moved =
        fixture.items.iter().zip(&frozen.items).filter(|(t, f)| cosine(&t.embedding, &f.embedding) < 0.99).count();
    assert!(moved * 2 > fixture.items.len(), "only {moved} embeddings differ from the frozen encoder's");
}

#[test]
fn look_alike_negatives_stay_below_the_thresholds() {
    let mut classifier = classifier();
    let complaint_threshold = classifier.head(Task::Complaint).meta.threshold.unwrap();
    let intent_threshold = classifier.head(Task::Intent).meta.threshold.unwrap();
    let look_alikes = [
        // invitations
        "Anyone up for a board game night this Friday?",
        "Who wants to join us for a run in the park on Sunday morning?",
        "Come to my birthday party on Saturday, bring snacks!",
        // events
        "Our Rust meetup starts at 7pm at the central library, doors open at 6:30.",
        "The farmers market is back this weekend with live music and food trucks.",
        // job posts
        "We're hiring a senior backend engineer in Berlin, remote friendly. DM me for details.",
        "Job opening: part-time barista wanted for weekends, apply in store.",
        // release notes
        "Version 2.4 is out with a new dark mode and faster start-up.",
        "Release notes for 3.1: new CSV export, Spanish translations and a smaller download.",
        // questions about anything but buying
        "Does anyone know what time the eclipse starts tonight?",
        "How do I center a div in CSS?",
        "What's the capital of Australia again?",
    ];
    let signals = classifier.classify(&look_alikes).unwrap();
    let mut flagged = Vec::new();
    for (text, signal) in look_alikes.iter().zip(&signals) {
        if signal.intent >= intent_threshold {
            flagged.push(format!("intent {:.2} (threshold {intent_threshold:.2}): {text}", signal.intent));
        }
        if signal.complaint >= complaint_threshold {
            flagged.push(format!("complaint {:.2} (threshold {complaint_threshold:.2}): {text}", signal.complaint));
        }
    }
    assert!(flagged.is_empty(), "look-alike negatives flagged:\n{}", flagged.join("\n"));
}

#[test]
fn clear_cases_land_on_the_right_side() {
    let mut classifier = classifier();
    let complaint_threshold = classifier.head(Task::Complaint).meta.threshold.unwrap();
    let intent_threshold = classifier.head(Task::Intent).meta.threshold.unwrap();
    let complaints = [
        "@AcmeCRM your app has been down for two days and support still hasn't answered my ticket. Unacceptable.",
        "I was charged twice for my subscription and nobody at @acme will refund me. Terrible service.",
        "@united lost my luggage again and the agent just hung up on me",
    ];
    let intents = [
        "Can anyone recommend a good CRM for a small sales team? Looking at Pipedrive vs HubSpot.",
        "Thinking about buying the new MacBook Pro, is it worth the upgrade from the 2020 model?",
        "We need a new project management tool. What are the best alternatives to Jira for pricing?",
    ];
    let texts: Vec<&str> = complaints.iter().chain(&intents).copied().collect();
    let signals = classifier.classify(&texts).unwrap();
    for (text, signal) in complaints.iter().zip(&signals[..3]) {
        assert!(signal.complaint >= complaint_threshold, "complaint missed ({:.2}): {text}", signal.complaint);
        assert!(signal.model_version.starts_with("all-MiniLM-L6-v2-tuned;"), "{}", signal.model_version);
    }
    for (text, signal) in intents.iter().zip(&signals[3..]) {
        assert!(signal.intent >= intent_threshold, "intent missed ({:.2}): {text}", signal.intent);
    }
}
