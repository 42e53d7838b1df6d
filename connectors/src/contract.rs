//! The connector contract: (validated config, cursor) → a page of mentions plus the next
//! cursor, and nothing else.

use hark_core::Mention;

/// One page from a source.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub mentions: Vec<Mention>,
    /// Where the next pass starts; saved with the page in one transaction.
    pub next_cursor: Option<String>,
    /// Whether the source has more right now (fetch again before waiting for the interval).
    pub more: bool,
    /// Items in the response that could not be read (missing id, wrong types), skipped.
    pub skipped: usize,
    /// HTTP requests made for this page, retries included.
    pub requests: u32,
    /// Time spent waiting for quotas and `Retry-After`.
    pub waited: std::time::Duration,
}

/// Why a page could not be had. Errors keep what is needed to act: a wait, a credential to
/// fix, a payload to look at.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConnectorError {
    #[error("malformed response from {source_kind}: {detail}")]
    Malformed { source_kind: &'static str, detail: String },
    #[error("{source_kind} refused the credentials (HTTP {status}); check the variables named by *_env")]
    Auth { source_kind: &'static str, status: u16 },
    #[error("{source_kind} is rate limiting; retry after {retry_after_secs} s")]
    RateLimited { source_kind: &'static str, retry_after_secs: u64 },
    #[error("{source_kind}: {detail}")]
    Http { source_kind: &'static str, detail: String },
    #[error("invalid cursor {cursor:?} for {source_kind}: {detail}")]
    Cursor { source_kind: &'static str, cursor: String, detail: String },
}

impl ConnectorError {
    /// A short, stable name for the run ledger (`auth`, `rate_limited`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Malformed { .. } => "malformed",
            Self::Auth { .. } => "auth",
            Self::RateLimited { .. } => "rate_limited",
            Self::Http { .. } => "http",
            Self::Cursor { .. } => "cursor",
        }
    }

    /// Maps a client error for `source_kind`.
    pub fn from_http(source_kind: &'static str, error: crate::http::HttpError) -> Self {
        use crate::http::HttpError;
        match error {
            HttpError::Auth { status, .. } => Self::Auth { source_kind, status },
            HttpError::RateLimited { retry_after, .. } => {
                Self::RateLimited { source_kind, retry_after_secs: retry_after.as_secs() }
            }
            other => Self::Http { source_kind, detail: other.to_string() },
        }
    }
}
