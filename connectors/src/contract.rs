//! The connector contract: (validated config, cursor) → a page of mentions plus the next
//! cursor, and nothing else. A source kind implements [`Source`] and its `build` returns it
//! [`Named`]; sources with one cursor per search or feed keep them in [`KeyedCursors`].

use std::collections::BTreeMap;

use hark_core::Mention;
use serde::Serialize;
use serde::de::DeserializeOwned;

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

/// What a source kind implements: one pass of a configured source, given the client, the
/// source's id and the time ([`Pass`]). [`Named`] puts a source and its id behind
/// [`Connector`].
pub trait Source: Send + Sync {
    /// One page from `cursor` (`None`: the first pass), as [`Connector::fetch`].
    fn fetch(&self, pass: Pass<'_>, cursor: Option<&str>) -> impl Future<Output = Result<Page, ConnectorError>> + Send;
}

/// A [`Source`] with the id of its `[[sources]]` entry: the [`Connector`] a kind's `build`
/// returns.
#[derive(Debug)]
pub struct Named<S> {
    id: String,
    source: S,
}

impl<S: Source + 'static> Named<S> {
    /// `source` as the connector of the entry called `id`.
    pub fn boxed(id: &str, source: S) -> Box<dyn Connector> {
        Box::new(Self { id: id.to_owned(), source })
    }
}

impl<S: Source> Connector for Named<S> {
    fn fetch<'a>(
        &'a self,
        http: &'a crate::http::HttpClient,
        cursor: Option<&'a str>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> BoxFuture<'a, Result<Page, ConnectorError>> {
        Box::pin(self.source.fetch(Pass { http, source_id: &self.id, now }, cursor))
    }
}

/// What the requests of one pass share: the client, the source's id (it goes into every
/// mention) and the time of the pass.
#[derive(Debug, Clone, Copy)]
pub struct Pass<'a> {
    pub http: &'a crate::http::HttpClient,
    pub source_id: &'a str,
    pub now: chrono::DateTime<chrono::Utc>,
}

/// The cursor of a source that keeps one per part (search, listing, feed) under the part's
/// key, as a JSON map. Parts no longer configured drop out of the next cursor.
#[derive(Debug)]
pub struct KeyedCursors<C> {
    previous: BTreeMap<String, C>,
    next: BTreeMap<String, C>,
}

impl<C: Serialize + DeserializeOwned + Default> KeyedCursors<C> {
    /// Reads the map (empty on the first pass).
    pub fn parse(source_kind: &'static str, cursor: Option<&str>) -> Result<Self, ConnectorError> {
        Ok(Self { previous: parse_cursor(source_kind, cursor)?, next: BTreeMap::new() })
    }

    /// The previous cursor of the part `key` (the default on its first pass).
    pub fn take(&mut self, key: &str) -> C {
        self.previous.remove(key).unwrap_or_default()
    }

    /// Sets the next cursor of the part `key`.
    pub fn put(&mut self, key: String, cursor: C) {
        self.next.insert(key, cursor);
    }

    /// The next cursor: the map of what [`Self::put`] was given.
    pub fn finish(self) -> String {
        serde_json::to_string(&self.next).expect("cursors serialise")
    }
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

    /// Settles one part of a pass whose parts fail alone (one feed of several): the part's
    /// next cursor when it worked; when it failed, `log` sees the error, which joins
    /// `failures`, and the part keeps its `previous` cursor, to be retried next pass.
    pub fn tolerate<C>(
        &mut self,
        result: Result<C, ConnectorError>,
        previous: C,
        log: impl FnOnce(&ConnectorError),
    ) -> C {
        result.unwrap_or_else(|err| {
            log(&err);
            self.failures.push(err);
            previous
        })
    }

    /// The page of a pass over `parts` parts settled with [`Self::tolerate`], unless every
    /// part failed: then the pass fails with the first error.
    pub fn unless_all_failed(mut self, parts: usize) -> Result<Self, ConnectorError> {
        if parts > 0 && self.failures.len() == parts {
            return Err(self.failures.swap_remove(0));
        }
        Ok(self)
    }
}

/// A JSON cursor of type `T` (its default when there is none yet).
pub fn parse_cursor<T: DeserializeOwned + Default>(
    source_kind: &'static str,
    cursor: Option<&str>,
) -> Result<T, ConnectorError> {
    match cursor {
        None => Ok(T::default()),
        Some(raw) => serde_json::from_str(raw).map_err(|err| ConnectorError::cursor(source_kind, raw, err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_cursors_start_at_the_default_and_drop_parts_no_longer_read() {
        let mut cursors: KeyedCursors<u32> = KeyedCursors::parse("test", Some(r#"{"a": 3, "gone": 9}"#)).unwrap();
        assert_eq!((cursors.take("a"), cursors.take("new")), (3, 0));
        cursors.put("a".to_owned(), 4);
        cursors.put("new".to_owned(), 1);
        assert_eq!(cursors.finish(), r#"{"a":4,"new":1}"#);
        assert!(matches!(KeyedCursors::<u32>::parse("test", Some("[")), Err(ConnectorError::Cursor { .. })));
    }

    #[test]
    fn a_pass_fails_only_when_every_part_failed() {
        let failure = |detail: &str| ConnectorError::Http { source_kind: "test", detail: detail.to_owned() };
        let mut page = Page::empty();
        let mut logged = Vec::new();
        assert_eq!(page.tolerate(Ok(2), 1, |_| logged.push(())), 2);
        assert_eq!(page.tolerate(Err(failure("first")), 1, |_| logged.push(())), 1, "the old cursor stays");
        assert_eq!((logged.len(), page.failures.len()), (1, 1));
        assert_eq!(page.clone().unless_all_failed(2).unwrap().failures, [failure("first")]);
        page.tolerate(Err(failure("second")), 0, |_| {});
        assert_eq!(page.unless_all_failed(2).unwrap_err(), failure("first"));
        assert!(Page::empty().unless_all_failed(0).is_ok());
    }
}
