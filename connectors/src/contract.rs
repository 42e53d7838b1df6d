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
    /// Parts of the pass that failed while others worked (one feed of several): their cursors
    /// stay where they were, and the run is recorded as partial, a coverage gap.
    pub failures: Vec<ConnectorError>,
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

    /// A cursor that does not parse.
    pub fn cursor(source_kind: &'static str, cursor: &str, detail: impl std::fmt::Display) -> Self {
        Self::Cursor { source_kind, cursor: cursor.to_owned(), detail: detail.to_string() }
    }

    /// A response that does not parse.
    pub fn malformed(source_kind: &'static str, detail: impl Into<String>) -> Self {
        Self::Malformed { source_kind, detail: detail.into() }
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

/// A boxed future, so connectors can sit behind `dyn Connector`.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A configured source, ready to fetch. Built once per pass from [`Settings`] by its kind's
/// [`crate::Kind::build`].
pub trait Connector: Send + Sync {
    /// One page from `cursor` (`None`: the first pass). The returned page's `next_cursor` is
    /// what the next call receives once the page is stored. Waiting happens only inside `http`.
    fn fetch<'a>(
        &'a self,
        http: &'a crate::http::HttpClient,
        cursor: Option<&'a str>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> BoxFuture<'a, Result<Page, ConnectorError>>;
}

/// One `[[sources]]` entry as a connector sees it: the shared fields, and the kind's own
/// fields as JSON values (already validated by the configuration loader).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    pub id: String,
    pub base_url: Option<String>,
    pub fields: serde_json::Map<String, serde_json::Value>,
}

impl Settings {
    pub fn new(id: &str) -> Self {
        Self { id: id.to_owned(), ..Self::default() }
    }

    /// Adds a field (builder style, for tests and examples).
    #[must_use]
    pub fn with(mut self, name: &str, value: serde_json::Value) -> Self {
        self.fields.insert(name.to_owned(), value);
        self
    }

    #[must_use]
    pub fn with_base_url(mut self, base_url: &str) -> Self {
        self.base_url = Some(base_url.to_owned());
        self
    }

    /// A list of strings (`queries = ["a", "b"]`); empty when absent.
    pub fn strings(&self, name: &str) -> Vec<String> {
        self.fields
            .get(name)
            .and_then(serde_json::Value::as_array)
            .map(|items| items.iter().filter_map(|item| item.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    }

    /// A single string field.
    pub fn string(&self, name: &str) -> Option<String> {
        self.fields.get(name).and_then(serde_json::Value::as_str).map(str::to_owned)
    }

    /// The secret held by the environment variable that field `name` (e.g. `token_env`) names.
    /// `Ok(None)` when the field is absent; an error names the variable, never a value.
    pub fn secret(&self, name: &str) -> Result<Option<String>, String> {
        let Some(variable) = self.string(name) else { return Ok(None) };
        match std::env::var(&variable) {
            Ok(value) if !value.trim().is_empty() => Ok(Some(value)),
            _ => Err(format!("{}: environment variable {variable} (named by {name}) is not set", self.id)),
        }
    }

    /// `base_url` without a trailing slash, or `default`.
    pub fn base_url_or(&self, default: &str) -> String {
        self.base_url.as_deref().unwrap_or(default).trim_end_matches('/').to_owned()
    }
}

/// An empty page that made `requests` requests and waited `waited`; connectors fill it.
impl Page {
    pub fn empty() -> Self {
        Self {
            mentions: Vec::new(),
            next_cursor: None,
            more: false,
            skipped: 0,
            requests: 0,
            waited: std::time::Duration::ZERO,
            failures: Vec::new(),
        }
    }

    /// Adds a response's request count and wait to the page's.
    pub fn count(&mut self, fetched: &crate::http::Fetched) {
        self.requests += fetched.attempts;
        self.waited += fetched.waited;
    }
}

/// A JSON cursor of type `T` (its default when there is none yet).
pub fn parse_cursor<T: serde::de::DeserializeOwned + Default>(
    source_kind: &'static str,
    cursor: Option<&str>,
) -> Result<T, ConnectorError> {
    match cursor {
        None => Ok(T::default()),
        Some(raw) => serde_json::from_str(raw).map_err(|err| ConnectorError::cursor(source_kind, raw, err)),
    }
}
