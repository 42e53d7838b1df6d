//! Hacker News, through the Algolia HN Search API (no key needed).
//!
//! Collects stories and comments matching keyword queries from
//! `GET {base_url}/api/v1/search_by_date?query=…&tags=(story,comment)&numericFilters=created_at_i>=…`.
//! The cursor is time, not page (Algolia reaches only the first 1,000 hits of a query): for each
//! query the newest `created_at_i` seen, re-queried inclusively and de-duplicated on
//! `objectID`. Rate limit: 10,000 requests per hour per IP, no headers. When Algolia fails,
//! the pass walks the official Firebase API instead ([`firebase`]). Example:
//!
//! ```toml
//! [[sources]]
//! id = "hn"
//! kind = "hackernews"
//! queries = ["acme crm", "acmecrm"]
//! interval = "5m"
//! ```

pub mod api;
pub mod convert;
pub mod firebase;
#[cfg(test)]
pub(crate) mod tests;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::contract::{Connector, Named, Pass, Settings, Source};
use crate::http::HttpClient;
use crate::window::Window;
use crate::{ConnectorError, Fields, Kind, Page};

pub const KIND: Kind = Kind {
    name: "hackernews",
    folder: "hackernews",
    description: "Hacker News stories and comments matching keyword queries (Algolia HN Search API, no key)",
    example: "[[sources]]\nid = \"hn\"\nkind = \"hackernews\"\nqueries = [\"acme crm\"]\ninterval = \"5m\"\n",
    fields: Fields { allowed: &["queries", "fallback_base_url"], needs_one_of: &["queries"], required: &[] },
    quotas: &[("hn.algolia.com", 160), ("hacker-news.firebaseio.com", 600), ("*", 60)],
    build,
};

fn build(settings: &Settings) -> Result<Box<dyn Connector>, String> {
    let mut source = HackerNews::new(settings.base_url.as_deref(), settings.strings("queries"));
    // The fallback goes to the real Firebase API only when Algolia is the real one too; a
    // source pointed at a mirror (or a test server) names its fallback explicitly.
    source.fallback = match (settings.string("fallback_base_url"), &settings.base_url) {
        (Some(url), _) => Some(url.trim_end_matches('/').to_owned()),
        (None, None) => Some(firebase::DEFAULT_BASE_URL.to_owned()),
        (None, Some(_)) => None,
    };
    Ok(Named::boxed(&settings.id, source))
}

/// The default address of the API; `base_url` overrides it.
pub const DEFAULT_BASE_URL: &str = "https://hn.algolia.com";

/// Hits asked for per request (Algolia allows up to 1,000).
const HITS_PER_PAGE: u32 = 100;

/// A configured Hacker News source.
#[derive(Debug, Clone)]
pub struct HackerNews {
    base_url: String,
    queries: Vec<String>,
    /// The Firebase API's address, when falling back to it is on.
    pub fallback: Option<String>,
}

/// The whole cursor: per query the Algolia time cursor, and where the Firebase walk stands
/// while Algolia is down (reset once Algolia answers again).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Cursor {
    #[serde(default)]
    queries: BTreeMap<String, QueryCursor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    firebase_after: Option<u64>,
}

/// Cursors as first written (the query map alone) still read.
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredCursor {
    Current(Cursor),
    QueriesOnly(BTreeMap<String, QueryCursor>),
}

/// Per query: the newest `created_at_i` taken and the ids taken at that second (the window
/// is re-queried inclusively, so those are skipped, not repeated). While a window holds more
/// than one page, `paging` walks it page by page (newest first, pages numbered from 0) before
/// `since` advances, so a burst of posts between two polls is read whole, not just its newest
/// page.
type QueryCursor = Window<String>;

impl Source for HackerNews {
    /// One pass over every query: the new stories and comments and the next cursor. When
    /// Algolia fails (server errors, garbage, rate limits) and the fallback is on, the pass
    /// walks the Firebase API instead, leaving the Algolia cursors where they were.
    async fn fetch(&self, pass: Pass<'_>, cursor: Option<&str>) -> Result<Page, ConnectorError> {
        let Pass { http, source_id, now } = pass;
        let mut state = match cursor {
            Some(raw) => match serde_json::from_str::<StoredCursor>(raw) {
                Ok(StoredCursor::Current(state)) => state,
                Ok(StoredCursor::QueriesOnly(queries)) => Cursor { queries, firebase_after: None },
                Err(err) => return Err(ConnectorError::cursor(KIND.name, raw, err)),
            },
            None => Cursor::default(),
        };
        let searched = self.search(http, source_id, state.queries.clone(), now).await;
        let (page, queries) = match searched {
            Ok(found) => {
                state.firebase_after = None;
                found
            }
            Err(
                err @ (ConnectorError::Http { .. }
                | ConnectorError::Malformed { .. }
                | ConnectorError::RateLimited { .. }),
            ) => {
                let Some(fallback) = &self.fallback else { return Err(err) };
                tracing::warn!(error = %err, "Algolia failed; walking the Firebase API instead");
                let walked = firebase::walk(http, fallback, source_id, &self.queries, state.firebase_after, now).await;
                let (page, last) = walked.map_err(|fallback_err| {
                    tracing::warn!(error = %fallback_err, "the Firebase fallback failed too");
                    err
                })?;
                state.firebase_after = Some(last);
                (page, state.queries.clone())
            }
            Err(err) => return Err(err),
        };
        state.queries = queries;
        let mut page = page;
        page.next_cursor = Some(serde_json::to_string(&state).expect("cursors serialise"));
        Ok(page)
    }
}

impl HackerNews {
    pub fn new(base_url: Option<&str>, queries: Vec<String>) -> Self {
        let base_url = base_url.unwrap_or(DEFAULT_BASE_URL).trim_end_matches('/').to_owned();
        Self { base_url, queries, fallback: None }
    }

    /// One Algolia search per query; the page and the queries' next cursors.
    async fn search(
        &self,
        http: &HttpClient,
        source_id: &str,
        mut cursors: BTreeMap<String, QueryCursor>,
        now: DateTime<Utc>,
    ) -> Result<(Page, BTreeMap<String, QueryCursor>), ConnectorError> {
        let mut page = Page::empty();
        for query in &self.queries {
            let previous = cursors.remove(query);
            let mut params = vec![
                ("query", query.clone()),
                ("tags", "(story,comment)".to_owned()),
                ("hitsPerPage", HITS_PER_PAGE.to_string()),
            ];
            if let Some(previous) = previous.as_ref().filter(|p| p.since != i64::MIN) {
                params.push(("numericFilters", format!("created_at_i>={}", previous.since)));
            }
            let paging = previous.as_ref().and_then(|p| p.paging.clone());
            if let Some(paging) = &paging {
                params.push(("page", paging.page.to_string()));
            }
            let url = reqwest::Url::parse_with_params(&format!("{}/api/v1/search_by_date", self.base_url), &params)
                .map_err(|err| ConnectorError::Http { source_kind: KIND.name, detail: err.to_string() })?;
            let fetched =
                http.get(url.as_str(), None, &[]).await.map_err(|err| ConnectorError::from_http(KIND.name, err))?;
            page.count(&fetched);
            let found = convert::parse_search(&fetched.body, source_id, now)?;
            page.skipped += found.skipped;

            // The cursor so far; on a query's first pass, from the beginning of time.
            let first = previous.is_none();
            let window = previous.unwrap_or(QueryCursor { since: i64::MIN, seen: Vec::new(), paging: None });
            let mut newest = window.newest_from(i64::MIN);
            for mention in found.mentions {
                let at = mention.published_at.map_or(0, |at| at.timestamp());
                let repeated = !first && window.taken(at, &mention.external_id);
                newest.see(at, &mention.external_id);
                if !repeated {
                    page.mentions.push(mention);
                }
            }
            let next = if found.more {
                page.more = true;
                window.walking(paging.as_ref().map_or(1, |p| p.page + 1), newest)
            } else if newest.at == i64::MIN {
                // Nothing in the window: the cursor stays (nowhere yet, on a first pass).
                if first { QueryCursor::default() } else { QueryCursor { paging: None, ..window } }
            } else {
                window.closed(newest)
            };
            cursors.insert(query.clone(), next);
        }
        Ok((page, cursors))
    }
}
