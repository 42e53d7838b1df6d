//! Recursive-descent parser: tokens → [`Query`], or an error with its column.
//!
//! Grammar (precedence from loosest to tightest):
//! ```text
//! query   := or END
//! or      := and ("OR" and)*
//! and     := unary (["AND"] unary)*          -- juxtaposition is AND
//! unary   := ("NOT" | "-") unary | near
//! near    := primary [("NEAR/n" | "ONEAR/n") primary]   -- operands: a word or a "phrase"
//! primary := "(" or ")" | "phrase" | word | word* | * | field:value | field:"phrase"
//! ```

use chrono::{DateTime, Days, NaiveDate, Utc};

use super::lexer::{Kind, Token, tokenize};
use super::{Comparison, DateRange, Filter, MentionType, Operand, Query, QueryError, Signal, TextValue};

const FIELDS: &str =
    "source, author, title, site, lang, type, published, after, before, complaint, intent, sentiment, customer";

/// Parses a query; see the [module documentation](super) for the language.
///
/// Errors name the 1-based character column and what was expected there, e.g.
/// `expected ')' to close '(' at column 6, found end of query at column 19`.
pub fn parse(query: &str) -> Result<Query, QueryError> {
    let tokens = tokenize(query)?;
    let end_column = query.chars().count() + 1;
    let mut parser = Parser { tokens, position: 0, end_column };
    if parser.tokens.is_empty() {
        return Err(parser.error(1, "expected a search term or '*' (every mention), found an empty query at column 1"));
    }
    let parsed = parser.or()?;
    if let Some(token) = parser.peek() {
        let token = token.clone();
        return Err(match token.kind {
            Kind::RParen => parser.error(token.column, &format!("unmatched ')' at column {}", token.column)),
            _ => parser.error(
                token.column,
                &format!("expected AND, OR or end of query, found {} at column {}", token.describe(), token.column),
            ),
        });
    }
    Ok(parsed)
}

struct Parser {
    tokens: Vec<Token>,
    position: usize,
    end_column: usize,
}

fn flatten(kind: fn(Vec<Query>) -> Query, parts: Vec<Query>, unwrap: fn(Query) -> Result<Vec<Query>, Query>) -> Query {
    let mut children = Vec::with_capacity(parts.len());
    for part in parts {
        match unwrap(part) {
            Ok(inner) => children.extend(inner),
            Err(other) => children.push(other),
        }
    }
    if children.len() == 1 { children.pop().unwrap_or(Query::All) } else { kind(children) }
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.position).cloned();
        self.position += 1;
        token
    }

    fn error(&self, column: usize, message: &str) -> QueryError {
        QueryError { column, message: message.to_owned() }
    }

    /// "found X at column N" for the next token (or the end).
    fn found(&self) -> (usize, String) {
        match self.peek() {
            Some(token) => (token.column, format!("found {} at column {}", token.describe(), token.column)),
            None => (self.end_column, format!("found end of query at column {}", self.end_column)),
        }
    }

    fn expected(&self, what: &str) -> QueryError {
        let (column, found) = self.found();
        self.error(column, &format!("expected {what}, {found}"))
    }

    fn or(&mut self) -> Result<Query, QueryError> {
        let mut parts = vec![self.and()?];
        while self.peek().is_some_and(|token| token.kind == Kind::Or) {
            self.next();
            if !self.starts_term() {
                return Err(self.expected("a search term after 'OR'"));
            }
            parts.push(self.and()?);
        }
        Ok(flatten(Query::Or, parts, |query| match query {
            Query::Or(inner) => Ok(inner),
            other => Err(other),
        }))
    }

    fn starts_term(&self) -> bool {
        self.peek().is_some_and(|token| {
            matches!(
                token.kind,
                Kind::LParen | Kind::Minus | Kind::Not | Kind::Phrase(_) | Kind::FieldPhrase { .. } | Kind::Word(_)
            )
        })
    }

    fn and(&mut self) -> Result<Query, QueryError> {
        let mut parts = vec![self.unary()?];
        loop {
            match self.peek().map(|token| &token.kind) {
                Some(Kind::And) => {
                    self.next();
                    if !self.starts_term() {
                        return Err(self.expected("a search term after 'AND'"));
                    }
                }
                _ if self.starts_term() => {}
                _ => break,
            }
            parts.push(self.unary()?);
        }
        Ok(flatten(Query::And, parts, |query| match query {
            Query::And(inner) => Ok(inner),
            other => Err(other),
        }))
    }

    fn unary(&mut self) -> Result<Query, QueryError> {
        match self.peek().map(|token| &token.kind) {
            Some(Kind::Not | Kind::Minus) => {
                let token = self.next().expect("peeked");
                if !self.starts_term() {
                    return Err(self.expected(&format!("a search term after {}", token.describe())));
                }
                let inner = self.unary()?;
                Ok(match inner {
                    Query::Not(double) => *double,
                    other => Query::Not(Box::new(other)),
                })
            }
            _ => self.near(),
        }
    }

    fn near(&mut self) -> Result<Query, QueryError> {
        let start = self.peek().cloned();
        let left = self.primary()?;
        let Some(Token { kind: Kind::Near { distance, ordered }, column, .. }) = self.peek().cloned() else {
            return Ok(left);
        };
        let name = if ordered { "ONEAR" } else { "NEAR" };
        let shown = left.to_string();
        let left = operand(left).ok_or_else(|| {
            let at = start.map_or(column, |token| token.column);
            self.error(
                at,
                &format!(
                    "expected a word or a \"phrase\" before '{name}/{distance}' at column {column}, found {shown} at column {at}"
                ),
            )
        })?;
        self.next();
        let what = format!("a word or a \"phrase\" after '{name}/{distance}'");
        let right_column = match self.peek() {
            Some(Token { kind: Kind::Word(_) | Kind::Phrase(_), column, .. }) => *column,
            _ => return Err(self.expected(&what)),
        };
        let right = self.primary()?;
        let shown = right.to_string();
        let right = operand(right).ok_or_else(|| {
            self.error(right_column, &format!("expected {what}, found {shown} at column {right_column}"))
        })?;
        if let Some(Token { kind: Kind::Near { .. }, column: again, .. }) = self.peek() {
            return Err(self.error(
                *again,
                &format!(
                    "expected AND, OR or end of query, found a second proximity operator at column {again}: \
                     combine pairs with AND, e.g. (a NEAR/3 b) AND (b NEAR/3 c)"
                ),
            ));
        }
        Ok(Query::Near { left, right, distance, ordered })
    }

    fn primary(&mut self) -> Result<Query, QueryError> {
        let Some(token) = self.peek().cloned() else {
            return Err(self.expected("a search term"));
        };
        match token.kind {
            Kind::LParen => {
                self.next();
                if self.peek().is_some_and(|next| next.kind == Kind::RParen) {
                    return Err(self.expected("a search term inside '(' ')'"));
                }
                let inner = self.or()?;
                match self.peek() {
                    Some(Token { kind: Kind::RParen, .. }) => {
                        self.next();
                        Ok(inner)
                    }
                    _ => {
                        let (column, found) = self.found();
                        Err(self
                            .error(column, &format!("expected ')' to close '(' at column {}, {found}", token.column)))
                    }
                }
            }
            Kind::Phrase(phrase) => {
                self.next();
                check_phrase(&phrase, token.column)?;
                Ok(Query::Phrase(phrase))
            }
            Kind::FieldPhrase { name, phrase } => {
                self.next();
                let value_column = token.column + name.chars().count() + 1;
                check_phrase(&phrase, value_column)?;
                field(&name, Value::Phrase(phrase), token.column, value_column)
            }
            Kind::Word(word) => {
                self.next();
                word_query(&word, token.column)
            }
            _ => Err(self.expected("a search term")),
        }
    }
}

fn operand(query: Query) -> Option<Operand> {
    match query {
        Query::Word(word) => Some(Operand::Word(word)),
        Query::Phrase(phrase) => Some(Operand::Phrase(phrase)),
        _ => None,
    }
}

fn check_phrase(phrase: &str, column: usize) -> Result<(), QueryError> {
    if phrase.chars().any(char::is_alphanumeric) {
        Ok(())
    } else {
        Err(QueryError {
            column,
            message: format!("expected letters or digits inside the quotes, found \"{phrase}\" at column {column}"),
        })
    }
}

enum Value {
    Word(String),
    Phrase(String),
}

/// A word token: `*`, a prefix, a field operator, or a plain word.
fn word_query(word: &str, column: usize) -> Result<Query, QueryError> {
    if word == "*" {
        return Ok(Query::All);
    }
    if let Some((name, value)) = word.split_once(':') {
        let is_field_name = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphabetic());
        // `https://...` and `10:30` are words, not fields.
        if is_field_name && !value.starts_with("//") {
            let value_column = column + name.chars().count() + 1;
            return field(name, Value::Word(value.to_owned()), column, value_column);
        }
    }
    text_value(word, column).map(|value| match value {
        TextValue::Word(word) => Query::Word(word),
        TextValue::Prefix(prefix) => Query::Prefix(prefix),
        TextValue::Phrase(phrase) => Query::Phrase(phrase),
    })
}

/// A bare word or `prefix*`, checked.
fn text_value(word: &str, column: usize) -> Result<TextValue, QueryError> {
    if let Some(star) = word.find('*') {
        let prefix = &word[..star];
        if star + 1 != word.len() {
            return Err(QueryError {
                column,
                message: format!(
                    "expected '*' only at the end of a word (prefix search, e.g. pric*), found '{word}' at column {column}"
                ),
            });
        }
        let letters = prefix.chars().filter(|c| c.is_alphanumeric()).count();
        if letters < 2 || !prefix.chars().next().is_some_and(char::is_alphanumeric) {
            return Err(QueryError {
                column,
                message: format!(
                    "expected at least 2 letters or digits before '*' (e.g. pric*), found '{word}' at column {column}"
                ),
            });
        }
        return Ok(TextValue::Prefix(prefix.to_owned()));
    }
    if !word.chars().any(char::is_alphanumeric) {
        return Err(QueryError {
            column,
            message: format!("expected a word with letters or digits, found '{word}' at column {column}"),
        });
    }
    Ok(TextValue::Word(word.to_owned()))
}

fn value_error(field: &str, what: &str, found: &str, column: usize) -> QueryError {
    let found = match found {
        "" => "nothing".to_owned(),
        quoted if quoted.starts_with('"') => quoted.to_owned(),
        word => format!("'{word}'"),
    };
    QueryError { column, message: format!("expected {what} after '{field}:', found {found} at column {column}") }
}

fn field(name: &str, value: Value, column: usize, value_column: usize) -> Result<Query, QueryError> {
    let lower = name.to_ascii_lowercase();
    let field = lower.as_str();
    let word = match &value {
        Value::Word(word) => Some(word.as_str()),
        Value::Phrase(_) => None,
    };
    // Fields whose value is one word.
    let single = |what: &str| -> Result<&str, QueryError> {
        match word {
            Some(word) if !word.is_empty() => Ok(word),
            Some(word) => Err(value_error(field, what, word, value_column)),
            None => {
                let phrase = match &value {
                    Value::Phrase(phrase) => format!("\"{phrase}\""),
                    Value::Word(_) => String::new(),
                };
                Err(value_error(field, what, &phrase, value_column))
            }
        }
    };
    let filter = match field {
        "source" => {
            let value = single("a source kind or id (e.g. reddit)")?;
            Filter::Source(value.to_lowercase())
        }
        "author" | "title" => {
            let text = match value {
                Value::Phrase(phrase) => TextValue::Phrase(phrase),
                Value::Word(word) if word.is_empty() => {
                    return Err(value_error(field, "a word or a \"phrase\"", "", value_column));
                }
                Value::Word(word) => text_value(&word, value_column)?,
            };
            if field == "author" { Filter::Author(text) } else { Filter::Title(text) }
        }
        "site" => {
            let raw = single("a host name (e.g. example.com)")?;
            Filter::Site(
                parse_site(raw)
                    .ok_or_else(|| value_error(field, "a host name (e.g. example.com)", raw, value_column))?,
            )
        }
        "lang" => {
            let raw = single("a language code (e.g. en)")?;
            let valid = (2..=12).contains(&raw.len())
                && raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && raw.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
            if !valid {
                return Err(value_error(field, "a language code (e.g. en)", raw, value_column));
            }
            Filter::Lang(raw.to_ascii_lowercase())
        }
        "type" => match single("post or comment")?.to_ascii_lowercase().as_str() {
            "post" => Filter::Type(MentionType::Post),
            "comment" => Filter::Type(MentionType::Comment),
            _ => return Err(value_error(field, "post or comment", word.unwrap_or_default(), value_column)),
        },
        "published" => {
            let what = "a date range (e.g. 2026-01-01..2026-02-01, 2026-01-01.. or a single day)";
            Filter::Published(parse_range(single(what)?, value_column, field, what)?)
        }
        "after" | "before" => {
            let what = "a date (YYYY-MM-DD) or an RFC 3339 time";
            let raw = single(what)?;
            let when = parse_when(raw).ok_or_else(|| value_error(field, what, raw, value_column))?;
            Filter::Published(if field == "after" {
                // Strictly after: from the next day (or the next second of a timestamp).
                DateRange { from: Some(when.after()), to: None }
            } else {
                DateRange { from: None, to: Some(when.start()) }
            })
        }
        "complaint" | "intent" => {
            let signal = if field == "complaint" { Signal::Complaint } else { Signal::Intent };
            let what = "a score from 0 to 1 with >, >=, < or <= (e.g. >0.7)";
            let raw = single(what)?;
            let (comparison, number) = if let Some(rest) = raw.strip_prefix(">=") {
                (Comparison::GreaterOrEqual, rest)
            } else if let Some(rest) = raw.strip_prefix("<=") {
                (Comparison::LessOrEqual, rest)
            } else if let Some(rest) = raw.strip_prefix('>') {
                (Comparison::Greater, rest)
            } else if let Some(rest) = raw.strip_prefix('<') {
                (Comparison::Less, rest)
            } else {
                (Comparison::GreaterOrEqual, raw)
            };
            match number.parse::<f32>() {
                Ok(value) if (0.0..=1.0).contains(&value) => Filter::Score { signal, comparison, value },
                _ => return Err(value_error(field, what, raw, value_column)),
            }
        }
        "sentiment" => {
            let what = "negative, neutral or positive";
            let raw = single(what)?;
            Filter::Sentiment(raw.parse().map_err(|_| value_error(field, what, raw, value_column))?)
        }
        "customer" => match single("yes or no")?.to_ascii_lowercase().as_str() {
            "yes" | "true" => Filter::Customer(true),
            "no" | "false" => Filter::Customer(false),
            _ => return Err(value_error(field, "yes or no", word.unwrap_or_default(), value_column)),
        },
        _ => {
            return Err(QueryError {
                column,
                message: format!("unknown field '{name}:' at column {column}: expected one of {FIELDS}"),
            });
        }
    };
    Ok(Query::Filter(filter))
}

/// `https://www.Example.com/path` or `example.com` → `example.com`.
fn parse_site(raw: &str) -> Option<String> {
    let without_scheme = raw.split_once("://").map_or(raw, |(_, rest)| rest);
    let host = without_scheme.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).trim_end_matches('.').to_owned();
    let valid = !host.is_empty()
        && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && !host.starts_with('.')
        && !host.contains("..");
    valid.then_some(host)
}

/// A day or an instant.
#[derive(Debug, Clone, Copy)]
enum When {
    Day(NaiveDate),
    Instant(DateTime<Utc>),
}

impl When {
    fn start(self) -> DateTime<Utc> {
        match self {
            When::Day(day) => day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
            When::Instant(at) => at,
        }
    }

    /// The first instant after this day (or after this second).
    fn after(self) -> DateTime<Utc> {
        match self {
            When::Day(day) => When::Day(day.checked_add_days(Days::new(1)).unwrap_or(day)).start(),
            When::Instant(at) => at + chrono::Duration::seconds(1),
        }
    }
}

fn parse_when(raw: &str) -> Option<When> {
    if let Ok(day) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Some(When::Day(day));
    }
    DateTime::parse_from_rfc3339(raw).ok().map(|at| When::Instant(at.with_timezone(&Utc)))
}

/// `A..B` (both days included), `A..`, `..B`, or one day `A`.
fn parse_range(raw: &str, column: usize, field: &str, what: &str) -> Result<DateRange, QueryError> {
    let (from, to) = match raw.split_once("..") {
        Some((from, to)) => (from, to),
        None => (raw, raw),
    };
    if from.is_empty() && to.is_empty() {
        return Err(value_error(field, what, raw, column));
    }
    let from_when = if from.is_empty() {
        None
    } else {
        Some(parse_when(from).ok_or_else(|| value_error(field, what, from, column))?)
    };
    let to_when = if to.is_empty() {
        None
    } else {
        let to_column = column + raw.chars().count() - to.chars().count();
        Some(parse_when(to).ok_or_else(|| value_error(field, what, to, to_column))?)
    };
    let range = DateRange {
        from: from_when.map(When::start),
        // The end day is included; an end instant is exclusive.
        to: to_when.map(|when| match when {
            When::Day(_) => when.after(),
            When::Instant(at) => at,
        }),
    };
    if let (Some(from), Some(to)) = (range.from, range.to) {
        if from >= to {
            return Err(QueryError {
                column,
                message: format!("expected the start of '{raw}' before its end, at column {column}"),
            });
        }
    }
    Ok(range)
}
