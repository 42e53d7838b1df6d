//! The search query language: its syntax tree, its normalised text form, and the parser.
//!
//! The language follows what listening tools (Syften, Brandwatch, Talkwalker) taught their
//! users; this module is pure (no tantivy), so the index, the CLI and the server share one
//! definition. Summary (README-level detail lives in [`parse`]'s doc):
//!
//! | syntax | meaning |
//! |---|---|
//! | `acme pricing`, `acme AND pricing` | both (implicit AND) |
//! | `acme OR pipedrive` | either |
//! | `NOT churn`, `-churn`, `-"free trial"` | without |
//! | `( ... )` | grouping; precedence is NOT, then NEAR, then AND, then OR |
//! | `"exact phrase"` | the words in that order, unstemmed |
//! | `acme NEAR/5 pricing` | both, at most 5 words apart, either order |
//! | `acme ONEAR/5 pricing` | `acme` first, then `pricing` at most 5 words later |
//! | `pric*` | words starting with `pric` (2 characters at least) |
//! | `source:reddit` | source kind or configured source id |
//! | `author:jdoe`, `author:"Jane Doe"` | author handle or display name |
//! | `title:pricing` | in the title |
//! | `site:example.com` | host of the URL, subdomains included |
//! | `lang:en`, `type:post`, `type:comment` | language, post or comment |
//! | `published:2026-01-01..2026-02-01` | published on those days (both included); either end may be left open |
//! | `after:2026-01-01`, `before:2026-02-01` | strictly after / before that day |
//! | `complaint:>0.7`, `intent:>=0.6` | signal scores (`>`, `>=`, `<`, `<=`; a bare number means `>=`) |
//! | `sentiment:negative`, `customer:yes` | sentiment label; author matched to a customer or not |
//! | `*` | every mention |

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use hark_core::Sentiment;

mod lexer;
mod parser;
#[cfg(test)]
mod tests;

pub use parser::parse;

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    /// `*`: every mention.
    All,
    /// A bare word, as typed; the index analyses it (stemming, folding).
    Word(String),
    /// `pric*`: the prefix without its `*`.
    Prefix(String),
    /// `"exact phrase"`: the text between the quotes.
    Phrase(String),
    /// `a NEAR/n b` (unordered) or `a ONEAR/n b` (ordered): at most `distance` words between.
    Near {
        left: Operand,
        right: Operand,
        distance: u32,
        ordered: bool,
    },
    Filter(Filter),
    Not(Box<Query>),
    And(Vec<Query>),
    Or(Vec<Query>),
}

/// One side of a proximity operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    Word(String),
    Phrase(String),
}

/// The value of a text field operator (`title:`, `author:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextValue {
    Word(String),
    Phrase(String),
    Prefix(String),
}

/// Post or comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MentionType {
    Post,
    Comment,
}

impl MentionType {
    pub fn as_str(self) -> &'static str {
        match self {
            MentionType::Post => "post",
            MentionType::Comment => "comment",
        }
    }
}

/// A signal score with a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Complaint,
    Intent,
}

impl Signal {
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Complaint => "complaint",
            Signal::Intent => "intent",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
}

impl Comparison {
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Greater => ">",
            Comparison::GreaterOrEqual => ">=",
            Comparison::Less => "<",
            Comparison::LessOrEqual => "<=",
        }
    }
}

/// A half-open time range `[from, to)`; either end may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DateRange {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// A field operator.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Source kind or configured source id, lower case.
    Source(String),
    Author(TextValue),
    Title(TextValue),
    /// Host, lower case, without `www.`.
    Site(String),
    /// Language tag, lower case.
    Lang(String),
    Type(MentionType),
    Published(DateRange),
    Score {
        signal: Signal,
        comparison: Comparison,
        value: f32,
    },
    Sentiment(Sentiment),
    Customer(bool),
}

impl Query {
    /// Whether the query has words to rank by (BM25); queries of only filters and `*` are
    /// ordered by date instead.
    pub fn is_ranked(&self) -> bool {
        match self {
            Query::All => false,
            Query::Word(_) | Query::Prefix(_) | Query::Phrase(_) | Query::Near { .. } => true,
            Query::Filter(Filter::Author(_) | Filter::Title(_)) => true,
            Query::Filter(_) => false,
            Query::Not(_) => false,
            Query::And(children) | Query::Or(children) => children.iter().any(Query::is_ranked),
        }
    }

    /// `self AND other`, flattening nested ANDs.
    #[must_use]
    pub fn and(self, other: Query) -> Query {
        let mut children = Vec::new();
        for part in [self, other] {
            match part {
                Query::And(inner) => children.extend(inner),
                Query::All => {}
                other => children.push(other),
            }
        }
        match children.len() {
            0 => Query::All,
            1 => children.pop().unwrap_or(Query::All),
            _ => Query::And(children),
        }
    }
}

fn timestamp(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

impl fmt::Display for TextValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextValue::Word(word) => f.write_str(word),
            TextValue::Phrase(phrase) => write!(f, "\"{phrase}\""),
            TextValue::Prefix(prefix) => write!(f, "{prefix}*"),
        }
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Word(word) => f.write_str(word),
            Operand::Phrase(phrase) => write!(f, "\"{phrase}\""),
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Source(source) => write!(f, "source:{source}"),
            Filter::Author(value) => write!(f, "author:{value}"),
            Filter::Title(value) => write!(f, "title:{value}"),
            Filter::Site(site) => write!(f, "site:{site}"),
            Filter::Lang(lang) => write!(f, "lang:{lang}"),
            Filter::Type(kind) => write!(f, "type:{}", kind.as_str()),
            Filter::Published(range) => {
                let from = range.from.as_ref().map(timestamp).unwrap_or_default();
                let to = range.to.as_ref().map(timestamp).unwrap_or_default();
                write!(f, "published:[{from}..{to})")
            }
            Filter::Score { signal, comparison, value } => {
                write!(f, "{}:{}{value}", signal.as_str(), comparison.as_str())
            }
            Filter::Sentiment(sentiment) => write!(f, "sentiment:{sentiment}"),
            Filter::Customer(yes) => write!(f, "customer:{}", if *yes { "yes" } else { "no" }),
        }
    }
}

/// The normalised form: an S-expression with every operator explicit, e.g.
/// `(AND acme (OR pricing "free trial") (NOT source:reddit))`.
impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, name: &str, children: &[Query]| {
            write!(f, "({name}")?;
            for child in children {
                write!(f, " {child}")?;
            }
            f.write_str(")")
        };
        match self {
            Query::All => f.write_str("*"),
            Query::Word(word) => f.write_str(word),
            Query::Prefix(prefix) => write!(f, "{prefix}*"),
            Query::Phrase(phrase) => write!(f, "\"{phrase}\""),
            Query::Near { left, right, distance, ordered } => {
                let name = if *ordered { "ONEAR" } else { "NEAR" };
                write!(f, "({name}/{distance} {left} {right})")
            }
            Query::Filter(filter) => filter.fmt(f),
            Query::Not(inner) => write!(f, "(NOT {inner})"),
            Query::And(children) => list(f, "AND", children),
            Query::Or(children) => list(f, "OR", children),
        }
    }
}

/// A query that does not parse: where, and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct QueryError {
    /// 1-based character column the error points at (one past the end for "end of query").
    pub column: usize,
    /// The whole message, column included.
    pub message: String,
}

impl QueryError {
    /// The query with a caret under the column, for terminals.
    pub fn pointer(&self, query: &str) -> String {
        format!("  {query}\n  {}^", " ".repeat(self.column.saturating_sub(1)))
    }
}
