//! The baseline every figure is shown beside: a VADER lexicon scorer for sentiment and short
//! phrase rules for complaint and buying intent. It needs no model and is what a team gets
//! from keyword alerts; the heads must beat it to earn their keep.

use std::sync::OnceLock;

use vader_sentiment::SentimentIntensityAnalyzer;

fn analyzer() -> &'static SentimentIntensityAnalyzer<'static> {
    static ANALYZER: OnceLock<SentimentIntensityAnalyzer<'static>> = OnceLock::new();
    ANALYZER.get_or_init(SentimentIntensityAnalyzer::new)
}

/// VADER's [compound, positive, negative, neutral] scores. Texts the lexicon code cannot
/// handle score as neutral.
pub fn vader_scores(text: &str) -> [f64; 4] {
    // The lexicon crate indexes strings by byte; guard against a panic on unusual input.
    std::panic::catch_unwind(|| {
        let scores = analyzer().polarity_scores(text);
        let get = |key: &str| scores.get(key).copied().unwrap_or(0.0);
        [get("compound"), get("pos"), get("neg"), get("neu")]
    })
    .unwrap_or([0.0, 0.0, 0.0, 1.0])
}

/// VADER's compound score in [-1, 1].
pub fn vader_compound(text: &str) -> f64 {
    vader_scores(text)[0]
}

fn softmax(logits: [f64; 3]) -> [f32; 3] {
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps = logits.map(|logit| (logit - max).exp());
    let sum: f64 = exps.iter().sum();
    exps.map(|e| (e / sum) as f32)
}

/// Sentiment probabilities [negative, neutral, positive] whose argmax is VADER's usual rule
/// (compound ≥ 0.05 positive, ≤ -0.05 negative, else neutral).
pub fn sentiment(text: &str) -> [f32; 3] {
    let compound = vader_compound(text);
    let sharpness = 5.0;
    softmax([-sharpness * compound, sharpness * (0.1 - compound.abs()), sharpness * compound])
}

/// Phrases that signal a complaint, with weights.
const COMPLAINT_PHRASES: &[(&str, f64)] = &[
    ("not working", 2.0),
    ("doesn't work", 2.0),
    ("does not work", 2.0),
    ("stopped working", 2.0),
    ("broken", 1.5),
    ("still waiting", 2.0),
    ("no response", 2.0),
    ("no reply", 1.5),
    ("never received", 2.0),
    ("worst", 1.5),
    ("refund", 1.5),
    ("terrible", 1.5),
    ("awful", 1.5),
    ("disappointed", 1.5),
    ("unacceptable", 2.0),
    ("fix this", 2.0),
    ("fix it", 1.5),
    ("cancelled", 1.0),
    ("delayed", 1.0),
    ("lost my", 1.5),
    ("can't log in", 2.0),
    ("cannot log in", 2.0),
    ("down again", 2.0),
    ("is down", 1.5),
    ("charged twice", 2.0),
    ("overcharged", 2.0),
    ("never again", 1.5),
    ("customer service", 1.0),
    ("waiting for", 1.0),
    ("on hold", 1.0),
    ("error", 1.0),
    ("bug", 1.0),
    ("crash", 1.5),
    ("keeps", 1.0),
    ("why is", 1.0),
    ("why does", 1.0),
    ("still not", 1.5),
    ("ridiculous", 1.5),
    ("useless", 1.5),
];

/// Phrases that signal buying intent, with weights.
const INTENT_PHRASES: &[(&str, f64)] = &[
    ("looking for", 1.5),
    ("recommend", 2.0),
    ("any suggestions", 2.0),
    ("suggestions for", 2.0),
    ("which is better", 2.0),
    (" vs ", 1.0),
    ("alternative to", 2.0),
    ("alternatives", 1.5),
    ("switch to", 2.0),
    ("switching to", 2.0),
    ("switching from", 2.0),
    ("moving to", 1.0),
    ("pricing", 1.5),
    ("how much", 1.5),
    ("price", 1.0),
    ("worth it", 1.5),
    ("thinking about buying", 2.5),
    ("want to buy", 2.5),
    ("going to buy", 2.5),
    ("gonna buy", 2.5),
    ("buy a", 1.5),
    ("buy the", 1.5),
    ("should i get", 2.5),
    ("should i buy", 2.5),
    ("planning to", 1.5),
    ("demo", 1.0),
    ("quote", 1.0),
    ("free trial", 1.5),
    ("evaluating", 1.5),
    ("shortlist", 1.5),
    ("need a new", 2.0),
    ("getting a new", 2.0),
    ("purchase", 1.5),
    ("order", 1.0),
    ("upgrade to", 1.5),
    ("considering", 1.5),
];

fn phrase_score(text: &str, phrases: &[(&str, f64)]) -> f64 {
    let lower = format!(" {} ", text.to_lowercase());
    phrases.iter().filter(|(phrase, _)| lower.contains(phrase)).map(|(_, weight)| weight).sum()
}

fn sigmoid(x: f64) -> f32 {
    (1.0 / (1.0 + (-x).exp())) as f32
}

/// Probability-like complaint score from phrase rules and negativity; ≥ 0.5 means flagged.
pub fn complaint(text: &str) -> f32 {
    let negativity = (-vader_compound(text)).max(0.0);
    sigmoid(phrase_score(text, COMPLAINT_PHRASES) + 2.0 * negativity - 1.5)
}

/// Probability-like buying-intent score from phrase rules; ≥ 0.5 means flagged.
pub fn intent(text: &str) -> f32 {
    let question = if text.contains('?') { 0.5 } else { 0.0 };
    sigmoid(phrase_score(text, INTENT_PHRASES) + question - 1.5)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::argmax;

    #[test]
    fn clear_cases() {
        assert_eq!(argmax(&sentiment("I love this, it is wonderful!")), 2);
        assert_eq!(argmax(&sentiment("This is awful and I hate it.")), 0);
        assert_eq!(argmax(&sentiment("The meeting is at 3pm.")), 1);
        assert!(complaint("@acme my order never received, still waiting for a refund. Unacceptable.") > 0.5);
        assert!(complaint("Lovely weather today") < 0.5);
        assert!(intent("Can anyone recommend a CRM? Looking for alternatives to Pipedrive") > 0.5);
        assert!(intent("Had a great lunch") < 0.5);
    }

    #[test]
    fn odd_input_does_not_panic() {
        for text in ["", " ", "😀😀😀", "é", "!!!???", &"ab ".repeat(20_000), "\u{0}\u{feff}"] {
            let _ = sentiment(text);
            let _ = complaint(text);
            let _ = intent(text);
        }
    }
}
