//! Query syntax tree → tantivy query.
//!
//! - Bare words: the English analyser's term in `text` (BM25); a word the analyser splits
//!   (`acme-crm`) becomes a phrase in `exact`.
//! - Phrases: a phrase query on `exact` (no stemming).
//! - Prefixes: a regex over the term dictionary of `exact` (`pric*` → `pric.*`); a prefix of
//!   several tokens (`acme-cr*`) is a phrase-prefix query.
//! - `NEAR/n` and `ONEAR/n`: [`super::near::NearQuery`], an exact positions check (tantivy's
//!   phrase slop lets a reversed pair through at slop ≥ 2, so it cannot express ordered
//!   proximity, and it spends the slop across a phrase's own words).
//! - Field filters: term and range queries with a constant score of 0, so that they filter
//!   without moving the ranking.
//! - `NOT x` inside AND is a must-not clause; alone (or under OR) it is `* AND NOT x`.

use std::ops::Bound;

use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, EmptyQuery, Occur, PhrasePrefixQuery, PhraseQuery, RangeQuery, RegexQuery,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Index, Term};

use super::Fields;
use super::near::NearQuery;
use crate::query::{Comparison, DateRange, Filter, Operand, Query, TextValue};

type Boxed = Box<dyn tantivy::query::Query>;

pub(super) fn compile(query: &Query, fields: Fields, index: &Index) -> Boxed {
    Compiler { fields, index }.query(query)
}

struct Compiler<'a> {
    fields: Fields,
    index: &'a Index,
}

fn filter(query: Boxed) -> Boxed {
    Box::new(ConstScoreQuery::new(query, 0.0))
}

fn term_query(term: Term) -> Boxed {
    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
}

fn nothing() -> Boxed {
    Box::new(EmptyQuery)
}

impl Compiler<'_> {
    /// The tokens the field's analyser makes of `text`.
    fn tokens(&self, field: Field, text: &str) -> Vec<Term> {
        let Ok(mut analyser) = self.index.tokenizer_for_field(field) else {
            return Vec::new();
        };
        let mut stream = analyser.token_stream(text);
        let mut terms = Vec::new();
        while stream.advance() {
            terms.push(Term::from_field_text(field, &stream.token().text));
        }
        terms
    }

    /// A phrase of `text` in `field` (one token: a term query).
    fn phrase(&self, field: Field, text: &str) -> Boxed {
        let mut terms = self.tokens(field, text);
        match terms.len() {
            0 => nothing(),
            1 => term_query(terms.remove(0)),
            _ => Box::new(PhraseQuery::new(terms)),
        }
    }

    fn word(&self, stemmed: Field, exact: Field, word: &str) -> Boxed {
        let mut terms = self.tokens(stemmed, word);
        match terms.len() {
            0 => nothing(),
            1 => term_query(terms.remove(0)),
            _ => self.phrase(exact, word),
        }
    }

    fn prefix(&self, field: Field, prefix: &str) -> Boxed {
        let mut terms = self.tokens(field, prefix);
        match terms.len() {
            0 => nothing(),
            1 => {
                let text = terms.remove(0).value().as_str().unwrap_or_default().to_owned();
                let pattern = format!("{}.*", regex_escape(&text));
                match RegexQuery::from_pattern(&pattern, field) {
                    Ok(query) => Box::new(query),
                    Err(_) => nothing(),
                }
            }
            _ => Box::new(PhrasePrefixQuery::new(terms)),
        }
    }

    fn operand(&self, operand: &Operand) -> Vec<Term> {
        match operand {
            Operand::Word(text) | Operand::Phrase(text) => self.tokens(self.fields.exact, text),
        }
    }

    fn query(&self, query: &Query) -> Boxed {
        let fields = self.fields;
        match query {
            Query::All => Box::new(AllQuery),
            Query::Word(word) => self.word(fields.text, fields.exact, word),
            Query::Prefix(prefix) => self.prefix(fields.exact, prefix),
            Query::Phrase(phrase) => self.phrase(fields.exact, phrase),
            Query::Near { left, right, distance, ordered } => {
                let (left, right) = (self.operand(left), self.operand(right));
                if left.is_empty() || right.is_empty() {
                    return nothing();
                }
                Box::new(NearQuery::new(fields.exact, left, right, *distance, *ordered))
            }
            Query::Filter(condition) => self.filter(condition),
            Query::Not(inner) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, Box::new(AllQuery) as Boxed),
                (Occur::MustNot, self.query(inner)),
            ])),
            Query::And(children) => {
                let mut clauses: Vec<(Occur, Boxed)> = children
                    .iter()
                    .map(|child| match child {
                        Query::Not(inner) => (Occur::MustNot, self.query(inner)),
                        other => (Occur::Must, self.query(other)),
                    })
                    .collect();
                if clauses.iter().all(|(occur, _)| *occur == Occur::MustNot) {
                    clauses.push((Occur::Must, Box::new(AllQuery)));
                }
                Box::new(BooleanQuery::new(clauses))
            }
            Query::Or(children) => {
                Box::new(BooleanQuery::new(children.iter().map(|child| (Occur::Should, self.query(child))).collect()))
            }
        }
    }

    fn filter(&self, condition: &Filter) -> Boxed {
        let fields = self.fields;
        let term = |field: Field, value: &str| filter(term_query(Term::from_field_text(field, value)));
        match condition {
            Filter::Source(source) => term(fields.source, source),
            Filter::Author(value) => {
                let by_name = match value {
                    TextValue::Word(word) => self.phrase(fields.author, word),
                    TextValue::Phrase(phrase) => self.phrase(fields.author, phrase),
                    TextValue::Prefix(prefix) => self.prefix(fields.author, prefix),
                };
                let mut clauses = vec![(Occur::Should, by_name)];
                if let TextValue::Word(word) = value {
                    clauses
                        .push((Occur::Should, term_query(Term::from_field_text(fields.handle, &word.to_lowercase()))));
                }
                Box::new(BooleanQuery::new(clauses))
            }
            Filter::Title(value) => match value {
                TextValue::Word(word) => self.word(fields.title, fields.title, word),
                TextValue::Phrase(phrase) => self.phrase(fields.title, phrase),
                TextValue::Prefix(prefix) => self.prefix(fields.title, prefix),
            },
            Filter::Site(site) => term(fields.site, site),
            Filter::Lang(lang) => term(fields.lang, lang),
            Filter::Type(kind) => term(fields.kind, kind.as_str()),
            Filter::Published(range) => filter(date_range(fields.published, *range)),
            Filter::Score { signal, comparison, value } => {
                let field = match signal {
                    crate::query::Signal::Complaint => fields.complaint,
                    crate::query::Signal::Intent => fields.intent,
                };
                // Scores are stored as f64 of the f32 the classifier gave; compare the same way.
                let value = Term::from_field_f64(field, f64::from(*value));
                let (lower, upper) = match comparison {
                    Comparison::Greater => (Bound::Excluded(value), Bound::Unbounded),
                    Comparison::GreaterOrEqual => (Bound::Included(value), Bound::Unbounded),
                    Comparison::Less => (Bound::Unbounded, Bound::Excluded(value)),
                    Comparison::LessOrEqual => (Bound::Unbounded, Bound::Included(value)),
                };
                filter(Box::new(RangeQuery::new(lower, upper)))
            }
            Filter::Sentiment(sentiment) => term(fields.sentiment, sentiment.as_str()),
            Filter::Customer(yes) => term(fields.customer, if *yes { "yes" } else { "no" }),
        }
    }
}

fn date_range(field: Field, range: DateRange) -> Boxed {
    let bound = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map(|at| Term::from_field_date(field, tantivy::DateTime::from_timestamp_secs(at.timestamp())))
    };
    let lower = bound(range.from).map_or(Bound::Unbounded, Bound::Included);
    let upper = bound(range.to).map_or(Bound::Unbounded, Bound::Excluded);
    if matches!((&lower, &upper), (Bound::Unbounded, Bound::Unbounded)) {
        return Box::new(AllQuery);
    }
    Box::new(RangeQuery::new(lower, upper))
}

fn regex_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if !c.is_alphanumeric() {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}
