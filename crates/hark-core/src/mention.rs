//! A mention: one public post or comment, as every stage after the connectors sees it.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::MentionId;
use crate::signals::Signals;

/// The kind of source a mention came from (`reddit`, `hackernews`, `rss`...).
///
/// A validated name rather than a closed enum: the connector registry is the list of kinds,
/// and adding a connector must not mean editing this crate. Names are lower-case ASCII
/// letters, digits, `-` and `_`, 1 to 32 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SourceKind(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid source kind {0:?}: use 1-32 lower-case letters, digits, '-' or '_' (e.g. \"reddit\")")]
pub struct SourceKindError(pub String);

impl SourceKind {
    /// The kinds hark ships connectors for; `hark ingest` accepts any valid name.
    pub const KNOWN: &'static [&'static str] =
        &["reddit", "hackernews", "mastodon", "bluesky", "stackexchange", "rss", "web"];

    pub fn parse(raw: &str) -> Result<Self, SourceKindError> {
        let valid = (1..=32).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if valid { Ok(Self(raw.to_owned())) } else { Err(SourceKindError(raw.to_owned())) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SourceKind {
    type Error = SourceKindError;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<SourceKind> for String {
    fn from(kind: SourceKind) -> Self {
        kind.0
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who wrote a mention, as far as the source tells.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    /// The handle on that source, normalised (see [`crate::handle`]).
    pub handle: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// An email address, when the source or an export provides one.
    pub email: Option<String>,
    pub profile_url: Option<String>,
    /// Followers or karma, where the source gives it.
    pub reach: Option<i64>,
}

/// Score and reply counts where the source gives them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Engagement {
    pub score: Option<i64>,
    pub replies: Option<i64>,
}

/// One public post or comment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mention {
    pub id: MentionId,
    pub source_kind: SourceKind,
    /// The configured source (`[[sources]] id`) that fetched it.
    pub source_id: String,
    /// The id the source gave the post; with `source_kind` it identifies the mention.
    pub external_id: String,
    /// Canonical URL (tracking parameters stripped), when there is one.
    pub url: Option<String>,
    pub author: Author,
    pub title: Option<String>,
    /// Plain text: HTML already stripped.
    pub text: String,
    pub lang: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub fetched_at: DateTime<Utc>,
    pub thread_id: Option<String>,
    pub parent_id: Option<String>,
    pub engagement: Engagement,
    /// The source's own payload for this post, kept for re-processing.
    pub raw: Option<serde_json::Value>,
    /// Filled by the classify stage.
    pub signals: Option<Signals>,
}

impl Mention {
    /// A mention with the required fields and everything else empty; connectors and
    /// importers fill in the rest.
    pub fn new(
        source_kind: SourceKind,
        source_id: impl Into<String>,
        external_id: impl Into<String>,
        text: impl Into<String>,
        fetched_at: DateTime<Utc>,
    ) -> Self {
        let external_id = external_id.into();
        Self {
            id: MentionId::new(&source_kind, &external_id),
            source_kind,
            source_id: source_id.into(),
            external_id,
            url: None,
            author: Author::default(),
            title: None,
            text: text.into(),
            lang: None,
            published_at: None,
            fetched_at,
            thread_id: None,
            parent_id: None,
            engagement: Engagement::default(),
            raw: None,
            signals: None,
        }
    }
}

/// A stored mention with its place in the store's insertion order and the customer its
/// author is linked to (an automatic or confirmed match), for incremental consumers such as
/// the index.
#[derive(Debug, Clone, PartialEq)]
pub struct SequencedMention {
    pub seq: i64,
    pub mention: Mention,
    pub customer_id: Option<crate::id::CustomerId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_kinds_are_validated() {
        for good in ["reddit", "hackernews", "my-forum_2"] {
            assert!(SourceKind::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "Reddit", "has space", "ünï", &"x".repeat(33)] {
            let err = SourceKind::parse(bad).unwrap_err();
            assert!(err.to_string().contains("lower-case"), "{bad}: {err}");
        }
    }

    #[test]
    fn mention_id_follows_kind_and_external_id() {
        let now = Utc::now();
        let kind = SourceKind::parse("reddit").unwrap();
        let a = Mention::new(kind.clone(), "r-crm", "t3_1", "hello", now);
        let b = Mention::new(kind, "another-config-name", "t3_1", "changed text", now);
        assert_eq!(a.id, b.id);
    }
}
