//! Splits a query into tokens, each with the 1-based character column where it starts.

use super::QueryError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Kind {
    LParen,
    RParen,
    /// `-` directly before a word, phrase or `(`.
    Minus,
    And,
    Or,
    Not,
    /// `NEAR/n` or `ONEAR/n`.
    Near {
        distance: u32,
        ordered: bool,
    },
    Phrase(String),
    /// `name:"a phrase"`: a field with a quoted value.
    FieldPhrase {
        name: String,
        phrase: String,
    },
    Word(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token {
    pub kind: Kind,
    pub column: usize,
    /// Column just past the token.
    pub end: usize,
}

impl Token {
    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::LParen => "'('".to_owned(),
            Kind::RParen => "')'".to_owned(),
            Kind::Minus => "'-'".to_owned(),
            Kind::And => "'AND'".to_owned(),
            Kind::Or => "'OR'".to_owned(),
            Kind::Not => "'NOT'".to_owned(),
            Kind::Near { distance, ordered } => {
                format!("'{}/{distance}'", if *ordered { "ONEAR" } else { "NEAR" })
            }
            Kind::Phrase(phrase) => format!("\"{phrase}\""),
            Kind::FieldPhrase { name, phrase } => format!("'{name}:\"{phrase}\"'"),
            Kind::Word(word) => format!("'{word}'"),
        }
    }
}

fn is_boundary(c: char) -> bool {
    c.is_whitespace() || c == '(' || c == ')' || c == '"'
}

/// Reads a quoted phrase starting at `chars[start]` (the opening quote); returns the text and
/// the index after the closing quote.
fn read_phrase(chars: &[char], start: usize) -> Result<(String, usize), QueryError> {
    let mut index = start + 1;
    while index < chars.len() && chars[index] != '"' {
        index += 1;
    }
    if index == chars.len() {
        return Err(QueryError {
            column: chars.len() + 1,
            message: format!(
                "expected '\"' to close '\"' at column {}, found end of query at column {}",
                start + 1,
                chars.len() + 1
            ),
        });
    }
    Ok((chars[start + 1..index].iter().collect(), index + 1))
}

fn operator(word: &str, column: usize) -> Result<Option<Kind>, QueryError> {
    match word {
        "AND" | "&&" => return Ok(Some(Kind::And)),
        "OR" | "||" => return Ok(Some(Kind::Or)),
        "NOT" => return Ok(Some(Kind::Not)),
        _ => {}
    }
    let (ordered, rest) = if let Some(rest) = word.strip_prefix("ONEAR") {
        (true, rest)
    } else if let Some(rest) = word.strip_prefix("NEAR") {
        (false, rest)
    } else {
        return Ok(None);
    };
    let name = if ordered { "ONEAR" } else { "NEAR" };
    let Some(number) = rest.strip_prefix('/') else {
        return Err(QueryError {
            column: column + name.len(),
            message: format!(
                "expected '/' and a distance after '{name}' (e.g. {name}/5), found {} at column {}",
                if rest.is_empty() { "nothing".to_owned() } else { format!("'{rest}'") },
                column + name.len()
            ),
        });
    };
    match number.parse::<u32>() {
        Ok(distance) if distance <= 100 => Ok(Some(Kind::Near { distance, ordered })),
        _ => {
            let at = column + name.len() + 1;
            Err(QueryError {
                column: at,
                message: format!(
                    "expected a distance from 0 to 100 after '{name}/', found {} at column {at}",
                    if number.is_empty() { "nothing".to_owned() } else { format!("'{number}'") }
                ),
            })
        }
    }
}

pub(super) fn tokenize(query: &str) -> Result<Vec<Token>, QueryError> {
    let chars: Vec<char> = query.chars().collect();
    let mut tokens = Vec::new();
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        let column = index + 1;
        if c.is_whitespace() {
            index += 1;
            continue;
        }
        let single = |kind| Token { kind, column, end: column + 1 };
        match c {
            '(' => {
                tokens.push(single(Kind::LParen));
                index += 1;
            }
            ')' => {
                tokens.push(single(Kind::RParen));
                index += 1;
            }
            '"' => {
                let (phrase, next) = read_phrase(&chars, index)?;
                tokens.push(Token { kind: Kind::Phrase(phrase), column, end: next + 1 });
                index = next;
            }
            '-' if chars.get(index + 1).is_some_and(|next| !next.is_whitespace() && *next != ')') => {
                tokens.push(single(Kind::Minus));
                index += 1;
            }
            _ => {
                let start = index;
                while index < chars.len() && !is_boundary(chars[index]) {
                    index += 1;
                }
                let word: String = chars[start..index].iter().collect();
                if word.ends_with(':') && chars.get(index) == Some(&'"') {
                    let (phrase, next) = read_phrase(&chars, index)?;
                    let name = word.trim_end_matches(':').to_owned();
                    tokens.push(Token { kind: Kind::FieldPhrase { name, phrase }, column, end: next + 1 });
                    index = next;
                    continue;
                }
                let kind = operator(&word, column)?.unwrap_or(Kind::Word(word));
                tokens.push(Token { kind, column, end: index + 1 });
            }
        }
    }
    Ok(tokens)
}
