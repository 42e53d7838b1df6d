//! Signals: what the classifier says about a mention, with its evidence.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sentiment {
    Negative,
    Neutral,
    Positive,
}

impl Sentiment {
    pub const ALL: [Sentiment; 3] = [Sentiment::Negative, Sentiment::Neutral, Sentiment::Positive];

    pub fn as_str(self) -> &'static str {
        match self {
            Sentiment::Negative => "negative",
            Sentiment::Neutral => "neutral",
            Sentiment::Positive => "positive",
        }
    }
}

impl fmt::Display for Sentiment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Sentiment {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "negative" => Ok(Sentiment::Negative),
            "neutral" => Ok(Sentiment::Neutral),
            "positive" => Ok(Sentiment::Positive),
            other => Err(format!("unknown sentiment {other:?}: expected negative, neutral or positive")),
        }
    }
}

/// Calibrated probabilities of each sentiment; they sum to 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SentimentScores {
    pub negative: f32,
    pub neutral: f32,
    pub positive: f32,
}

impl SentimentScores {
    /// The most probable label.
    pub fn label(&self) -> Sentiment {
        if self.negative >= self.neutral && self.negative >= self.positive {
            Sentiment::Negative
        } else if self.positive >= self.neutral {
            Sentiment::Positive
        } else {
            Sentiment::Neutral
        }
    }
}

/// What the classifier concluded about one mention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signals {
    pub sentiment: Sentiment,
    pub sentiment_scores: SentimentScores,
    /// Probability that the author complains about a product, service or brand.
    pub complaint: f32,
    /// Probability that the author is choosing, comparing, asking for recommendations or
    /// pricing, or planning to switch.
    pub intent: f32,
    /// The phrases that moved the scores most, for the human who triages.
    pub cues: Vec<String>,
    pub model_version: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_is_the_argmax() {
        let scores = SentimentScores { negative: 0.2, neutral: 0.3, positive: 0.5 };
        assert_eq!(scores.label(), Sentiment::Positive);
        let scores = SentimentScores { negative: 0.6, neutral: 0.3, positive: 0.1 };
        assert_eq!(scores.label(), Sentiment::Negative);
        let scores = SentimentScores { negative: 0.2, neutral: 0.5, positive: 0.3 };
        assert_eq!(scores.label(), Sentiment::Neutral);
    }

    #[test]
    fn sentiment_parses_case_insensitively() {
        assert_eq!(" Negative ".parse::<Sentiment>(), Ok(Sentiment::Negative));
        assert!("meh".parse::<Sentiment>().unwrap_err().contains("expected negative"));
    }
}
