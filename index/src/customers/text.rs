//! Text normalisation for customer matching and prospect ranking: person names, company
//! and product phrases, email addresses found in free text, and stemmed terms.
//!
//! Every comparison between a CRM record and a post goes through these functions, so that
//! `José O'Brien`, `jose obrien` and `JOSE O BRIEN` meet in one form.

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer, TokenStream,
};

use hark_core::contact::normalize_email;

/// Honorifics and generational suffixes that say nothing about who someone is.
const NAME_NOISE: &[&str] =
    &["mr", "mrs", "ms", "miss", "dr", "prof", "sir", "jr", "sr", "ii", "iii", "iv", "phd", "md"];

/// Legal forms and fillers dropped from company names (`Globex, Inc.` → `globex`).
const COMPANY_NOISE: &[&str] = &[
    "inc",
    "llc",
    "ltd",
    "limited",
    "gmbh",
    "ag",
    "sa",
    "sas",
    "bv",
    "plc",
    "co",
    "corp",
    "corporation",
    "company",
    "the",
    "and",
    "group",
    "holdings",
];

/// Words too common to be topics or to rank posts by.
const STOP_WORDS: &[&str] = &[
    "a", "about", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but",
    "by", "can", "could", "did", "do", "does", "for", "from", "get", "got", "had", "has", "have", "he", "her", "here",
    "him", "his", "how", "i", "if", "im", "in", "into", "is", "it", "its", "just", "like", "me", "more", "my", "no",
    "not", "now", "of", "on", "one", "or", "our", "out", "over", "she", "so", "some", "than", "that", "the", "their",
    "them", "then", "there", "they", "this", "to", "too", "up", "us", "use", "using", "very", "was", "we", "were",
    "what", "when", "which", "who", "why", "will", "with", "would", "you", "your", "http", "https", "www", "com",
];

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(60))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Lower-case, accent-free word tokens of `text`.
pub fn tokens(text: &str) -> Vec<String> {
    let mut analyzer = analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// [`tokens`] with one analyzer kept for many calls (word by word over long texts).
pub struct Folder(TextAnalyzer);

impl Default for Folder {
    fn default() -> Self {
        Self(analyzer())
    }
}

impl std::fmt::Debug for Folder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Folder")
    }
}

impl Folder {
    /// Lower-case, accent-free word tokens of `text`, as [`tokens`] gives them.
    pub fn tokens(&mut self, text: &str) -> Vec<String> {
        let mut stream = self.0.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }
}

/// Whether a (lower-case) token is a legal form or filler of company names (`inc`, `and`,
/// `the`...), which [`phrase_tokens`] drops.
pub fn is_company_noise(token: &str) -> bool {
    COMPANY_NOISE.contains(&token)
}

/// The tokens of a person's name without honorifics; `O'Brien` becomes `obrien`.
pub fn name_tokens(name: &str) -> Vec<String> {
    // Apostrophes and dots inside a name belong to the word (O'Brien, St.John).
    let joined: String = name.chars().filter(|c| !matches!(c, '\'' | '’' | '.')).collect();
    tokens(&joined).into_iter().filter(|token| !NAME_NOISE.contains(&token.as_str())).collect()
}

/// The distinctive tokens of a company or product name, or an empty list when nothing
/// distinctive is left (a company called "The Company").
pub fn phrase_tokens(phrase: &str) -> Vec<String> {
    let joined: String = phrase.chars().filter(|c| !matches!(c, '\'' | '’')).collect();
    tokens(&joined).into_iter().filter(|token| !COMPANY_NOISE.contains(&token.as_str())).collect()
}

/// Text prepared for phrase lookups: tokens joined by single spaces, with a space at each end.
#[derive(Debug, Clone, Default)]
pub struct TokenText(String);

impl TokenText {
    pub fn new<'a>(parts: impl IntoIterator<Item = &'a str>) -> Self {
        let mut joined = String::from(" ");
        for part in parts {
            let cleaned: String = part.chars().map(|c| if matches!(c, '\'' | '’') { ' ' } else { c }).collect();
            for token in tokens(&cleaned) {
                joined.push_str(&token);
                joined.push(' ');
            }
        }
        Self(joined)
    }

    /// Whether the tokens of `phrase` occur here, in order and next to each other.
    pub fn contains_phrase(&self, phrase: &[String]) -> bool {
        if phrase.is_empty() {
            return false;
        }
        let needle = format!(" {} ", phrase.join(" "));
        self.0.contains(&needle)
    }
}

/// Email addresses written anywhere in `text`, normalised, in order of appearance.
pub fn emails_in(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '(' | ')' | ',' | ';' | '"' | '\'')) {
        if !word.contains('@') {
            continue;
        }
        let trimmed = word.trim_matches(|c: char| !c.is_alphanumeric());
        if let Some(email) = normalize_email(trimmed) {
            if !found.contains(&email) {
                found.push(email);
            }
        }
    }
    found
}

/// Similarity of two person names in [0, 1]. Both need a first and a last name: a first
/// name alone never identifies anyone, so single-word names score 0. The last names must
/// agree closely; first names may differ by a spelling (Jon / John scores about 0.97, not 1)
/// or be an initial (J. Smith).
pub fn name_similarity(a: &[String], b: &[String]) -> f32 {
    if a.len() < 2 || b.len() < 2 {
        return 0.0;
    }
    let (first_a, last_a) = (&a[0], &a[a.len() - 1]);
    let (first_b, last_b) = (&b[0], &b[b.len() - 1]);
    let last = word_similarity(last_a, last_b);
    let first = if first_a.len() == 1 || first_b.len() == 1 {
        if first_a.chars().next() == first_b.chars().next() { 0.85 } else { 0.0 }
    } else {
        word_similarity(first_a, first_b)
    };
    let score = 0.5 * first + 0.5 * last;
    if last < 0.92 { score * 0.5 } else { score }
}

/// Jaro-Winkler similarity of two name words, also read with umlauts written out
/// (`mueller` and `müller`, folded to `muller`, are the same name).
fn word_similarity(a: &str, b: &str) -> f32 {
    let plain = strsim::jaro_winkler(a, b);
    let fold = |word: &str| word.replace("ue", "u").replace("oe", "o").replace("ae", "a");
    let folded = strsim::jaro_winkler(&fold(a), &fold(b));
    plain.max(folded) as f32
}

/// Stemmed English terms of `text` without stop words or numbers: what BM25 and topic
/// lists count.
pub fn terms(text: &str) -> Vec<String> {
    terms_with_forms(text).into_iter().map(|(stem, _)| stem).collect()
}

/// [`terms`] with the written (lower-case) form of each term beside its stem.
pub fn terms_with_forms(text: &str) -> Vec<(String, String)> {
    let mut analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build();
    let mut stemmer = TextAnalyzer::builder(tantivy::tokenizer::RawTokenizer::default())
        .filter(Stemmer::new(Language::English))
        .build();
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        let word = &stream.token().text;
        if word.len() < 2 || STOP_WORDS.contains(&word.as_str()) || word.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let mut stemmed = stemmer.token_stream(word);
        if stemmed.advance() {
            out.push((stemmed.token().text.clone(), word.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(raw: &str) -> Vec<String> {
        name_tokens(raw)
    }

    #[test]
    fn names_meet_in_one_form() {
        assert_eq!(names("Dr. José O'Brien Jr."), vec!["jose", "obrien"]);
        assert_eq!(names("JOSE OBRIEN"), names("José O’Brien"));
        assert_eq!(phrase_tokens("Globex, Inc."), vec!["globex"]);
        assert_eq!(phrase_tokens("The Smith & Jones Company"), vec!["smith", "jones"]);
    }

    #[test]
    fn similarity_needs_first_and_last_names() {
        let sim = |a: &str, b: &str| name_similarity(&names(a), &names(b));
        assert!((sim("John Smith", "john smith") - 1.0).abs() < 1e-6);
        let jon = sim("Jon Smith", "John Smith");
        assert!(jon > 0.9 && jon < 0.99, "{jon}");
        assert!(sim("J. Smith", "John Smith") > 0.9);
        assert!((sim("Maria Mueller", "Maria Müller") - 1.0).abs() < 1e-6);
        assert_eq!(sim("John", "John Smith"), 0.0, "a first name alone never matches");
        assert!(sim("John Smith", "John Smyth") < 0.99);
        assert!(sim("John Smith", "John Jones") < 0.5);
    }

    #[test]
    fn phrases_match_whole_words_in_order() {
        let text = TokenText::new(["We moved to Globex's new office", "Acme-Inbox is great"]);
        assert!(text.contains_phrase(&phrase_tokens("Globex")));
        assert!(text.contains_phrase(&phrase_tokens("Acme Inbox")));
        assert!(!text.contains_phrase(&phrase_tokens("Glob")));
        assert!(!text.contains_phrase(&phrase_tokens("Inbox Acme")));
        assert!(!text.contains_phrase(&[]));
    }

    #[test]
    fn emails_are_found_in_free_text() {
        assert_eq!(
            emails_in("reach me at <Jo.Doe@Globex.com>, or (ops@globex.com). not@this"),
            vec!["jo.doe@globex.com", "ops@globex.com"]
        );
    }

    #[test]
    fn terms_are_stemmed_without_stop_words() {
        assert_eq!(terms("We are migrating our invoices to 2 new CRMs"), vec!["migrat", "invoic", "new", "crms"]);
    }
}
