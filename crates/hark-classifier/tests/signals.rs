//! The committed heads on the real model: clear cases land on the right side of the
//! thresholds, and odd input gets a defined result. Needs `make model`.

use std::path::PathBuf;

use hark_classifier::classifier::Classifier;
use hark_classifier::{EncoderOptions, ModelPaths, Task};
use hark_core::Sentiment;

fn classifier() -> Classifier {
    let models = std::env::var_os("HARK_MODEL_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models"), PathBuf::from);
    let paths = ModelPaths::in_models_dir(&models);
    Classifier::load(&paths, &models.join("heads"), EncoderOptions::default()).expect("model and heads load")
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
    let chatter = [
        "Just had the best tacos in town with friends",
        "The meeting is moved to 3pm on Thursday.",
        "Watching the game tonight",
    ];
    let texts: Vec<&str> = complaints.iter().chain(&intents).chain(&chatter).copied().collect();
    let signals = classifier.classify(&texts).unwrap();
    for (text, signal) in complaints.iter().zip(&signals[..3]) {
        assert!(signal.complaint >= complaint_threshold, "complaint missed ({:.2}): {text}", signal.complaint);
        assert_eq!(signal.sentiment, Sentiment::Negative, "{text}");
        assert!(!signal.cues.is_empty(), "a flag explains itself: {text}");
    }
    for (text, signal) in intents.iter().zip(&signals[3..6]) {
        assert!(signal.intent >= intent_threshold, "intent missed ({:.2}): {text}", signal.intent);
    }
    for (text, signal) in chatter.iter().zip(&signals[6..]) {
        assert!(signal.complaint < complaint_threshold, "chatter flagged as complaint: {text}");
        assert!(signal.intent < intent_threshold, "chatter flagged as intent: {text}");
    }
}

#[test]
fn probabilities_are_defined_for_odd_input() {
    let mut classifier = classifier();
    let long = "refund ".repeat(20_000);
    let signals = classifier.classify(&["", "!!!", "😀", &long]).unwrap();
    for signal in signals {
        let total =
            signal.sentiment_scores.negative + signal.sentiment_scores.neutral + signal.sentiment_scores.positive;
        assert!((total - 1.0).abs() < 1e-4);
        assert!((0.0..=1.0).contains(&signal.complaint) && (0.0..=1.0).contains(&signal.intent));
    }
}
