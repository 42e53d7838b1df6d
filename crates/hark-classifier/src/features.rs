//! What a head sees: the sentence embedding, plus cheap lexical features that catch what a
//! 384-d average misses (a "?" that makes a question, "refund", "vs", negation).
//!
//! Lexical features are hashed word n-grams: the text is lower-cased, split into tokens by
//! [`tokens`], and each n-gram's FNV-1a 32-bit hash (of its UTF-8 bytes, tokens joined by a
//! space) modulo `hash_dim` picks a slot; slot values are `1 + ln(count)`, and the vector is
//! L2-normalised. Optional lexicon features: VADER's compound, positive, negative and neutral
//! scores. Everything is defined so another implementation can reproduce it exactly.

use serde::{Deserialize, Serialize};

/// Which features a head uses; stored with the head's weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// Slots for hashed word n-grams; 0 turns them off.
    pub hash_dim: u32,
    /// Longest n-gram (1 = words only, 2 = words and pairs).
    pub max_ngram: usize,
    /// Weight of the whole hashed block relative to the embedding.
    pub ngram_weight: f32,
    /// Append VADER compound/pos/neg/neu.
    pub vader: bool,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        Self { hash_dim: 1 << 18, max_ngram: 2, ngram_weight: 1.0, vader: true }
    }
}

/// A feature vector: a dense part (embedding and lexicon scores) and a sparse part (hashed
/// n-grams, sorted by index, no duplicates).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Features {
    pub dense: Vec<f32>,
    pub sparse: Vec<(u32, f32)>,
}

/// FNV-1a, 32 bits.
pub fn fnv1a(bytes: &[u8]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in bytes {
        hash ^= u32::from(*byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// Lower-cased tokens: runs of letters, digits, `'` and `_` (so "don't" stays one token),
/// `@name` and `#tag` with their sign, and each `!`, `?` and emoji as a token of its own.
/// URLs become `<url>` and `@user` mentions `<user>`.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in text.split_whitespace() {
        let lower = raw.to_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("www.") {
            out.push("<url>".to_owned());
            continue;
        }
        let mut current = String::new();
        let mut chars = lower.chars().peekable();
        while let Some(c) = chars.next() {
            if c.is_alphanumeric() || c == '\'' || c == '_' || ((c == '@' || c == '#') && current.is_empty()) {
                current.push(c);
                continue;
            }
            flush(&mut current, &mut out);
            if c == '!'
                || c == '?'
                || (!c.is_ascii() && !c.is_alphanumeric() && !c.is_whitespace() && !c.is_ascii_punctuation())
            {
                out.push(c.to_string());
            }
            let _ = chars.peek();
        }
        flush(&mut current, &mut out);
    }
    out
}

fn flush(current: &mut String, out: &mut Vec<String>) {
    let token = current.trim_matches('\'');
    if !token.is_empty() {
        if token.starts_with('@') && token.len() > 1 {
            out.push("<user>".to_owned());
        } else {
            out.push(token.to_owned());
        }
    }
    current.clear();
}

/// Builds a head's input from a text and its embedding.
pub fn featurize(config: &FeatureConfig, text: &str, embedding: &[f32]) -> Features {
    let mut dense = embedding.to_vec();
    if config.vader {
        let scores = crate::baseline::vader_scores(text);
        dense.extend(scores.iter().map(|score| *score as f32));
    }
    let mut sparse = Vec::new();
    if config.hash_dim > 0 {
        let words = tokens(text);
        let mut counts: std::collections::BTreeMap<u32, f32> = std::collections::BTreeMap::new();
        for n in 1..=config.max_ngram.max(1) {
            for window in words.windows(n) {
                let slot = fnv1a(window.join(" ").as_bytes()) % config.hash_dim;
                *counts.entry(slot).or_default() += 1.0;
            }
        }
        let values: Vec<(u32, f32)> = counts.into_iter().map(|(slot, count)| (slot, 1.0 + count.ln())).collect();
        let norm = values.iter().map(|(_, v)| v * v).sum::<f32>().sqrt().max(1e-12);
        sparse = values.into_iter().map(|(slot, value)| (slot, config.ngram_weight * value / norm)).collect();
    }
    Features { dense, sparse }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenisation() {
        assert_eq!(
            tokens("@AcmeCRM don't you DARE! Visit https://x.y/z #fail 😡 v2.0?"),
            ["<user>", "don't", "you", "dare", "!", "visit", "<url>", "#fail", "😡", "v2", "0", "?"]
        );
    }

    #[test]
    fn fnv_is_the_reference_function() {
        assert_eq!(fnv1a(b""), 0x811c_9dc5);
        assert_eq!(fnv1a(b"a"), 0xe40c_292c);
        assert_eq!(fnv1a(b"foobar"), 0xbf9c_f968);
    }

    #[test]
    fn sparse_part_is_normalised_and_sorted() {
        let config = FeatureConfig { hash_dim: 1024, max_ngram: 2, ngram_weight: 1.0, vader: false };
        let features = featurize(&config, "refund refund please", &[0.0; 4]);
        assert_eq!(features.dense.len(), 4);
        let norm: f32 = features.sparse.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5);
        assert!(features.sparse.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
