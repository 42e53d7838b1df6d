//! RSS 2.0, RSS 0.9x, RSS 1.0 (RDF) and Atom feeds, Reddit's `.rss` and Google Alerts among
//! them.
//!
//! Each configured feed is fetched once per pass (`GET {feed}`) with a conditional GET: the
//! `ETag` and `Last-Modified` of the last 200 go back verbatim as `If-None-Match` and
//! `If-Modified-Since`, and a 304 costs one request and yields nothing. Many servers ignore
//! validators, so an unchanged body (by fingerprint) is skipped too, and entries are
//! de-duplicated on their id (`guid`, Atom `id`, `rdf:about`; else the canonical link; else
//! a fingerprint of title and text), so entries without dates never come back either.
//!
//! The cursor is a JSON map, per feed URL, of the validators, the body fingerprint and the
//! fingerprints of the most recent entry ids ([`SEEN_CAP`], and never fewer than the latest
//! document holds). The character set comes from the byte order mark, then the XML
//! declaration, then the HTTP `Content-Type` (`gb2312` feeds decode); a document that ends
//! before its root element closes is malformed; undefined HTML entities such as `&nbsp;` are
//! read leniently. Google Alerts links (`https://www.google.com/url?...&url=TARGET`) are
//! unwrapped to the target, and Reddit's `/u/name` authors become handles.
//!
//! A feed that fails (HTTP error, malformed document) fails the pass when every feed failed;
//! otherwise it is logged, counted in `skipped`, and retried next pass with its old cursor.
//! Feeds have no rate-limit standard: poll every 15 to 60 minutes; `Retry-After` is honoured
//! by the HTTP client. Full URLs in `feeds`; with `base_url` set, entries starting with `/`
//! are taken relative to it. Example:
//!
//! ```toml
//! [[sources]]
//! id = "vendor-feeds"
//! kind = "rss"
//! feeds = ["https://status.acme.example/history.atom", "https://www.reddit.com/r/crm/new/.rss"]
//! interval = "15m"
//! ```

pub mod parse;
#[cfg(test)]
pub(crate) mod tests;

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::contract::{Connector, KeyedCursors, Named, Pass, Settings, Source};
use crate::documents::{SeenIds, Validators, content_type_charset, document_urls, fingerprint};
use crate::http::HttpClient;
use crate::{ConnectorError, Fields, Kind, Page};

pub const KIND: Kind = Kind {
    name: "rss",
    folder: "rss",
    description: "RSS, Atom and RDF feeds (blogs, status pages, Reddit .rss, Google Alerts), with conditional GET",
    example: "[[sources]]\nid = \"vendor-feeds\"\nkind = \"rss\"\nfeeds = [\"https://status.acme.example/history.atom\", \"https://www.reddit.com/r/crm/new/.rss\"]\ninterval = \"15m\"\n",
    fields: Fields { allowed: &["feeds"], needs_one_of: &["feeds"], required: &[] },
    quotas: &[("*", DEFAULT_PER_MINUTE)],
    build,
};

/// Requests per minute per feed host: feeds are polled every 15 minutes or more, so this
/// only spreads a source with many feeds on one host.
pub const DEFAULT_PER_MINUTE: u32 = 30;

/// Entry ids remembered per feed (as 16-character fingerprints).
pub const SEEN_CAP: usize = 1000;

fn build(settings: &Settings) -> Result<Box<dyn Connector>, String> {
    if settings.strings("feeds").is_empty() {
        return Err(format!("{}: feeds must list at least one feed URL", settings.id));
    }
    let mut feeds = Vec::new();
    for (absolute, _) in document_urls(settings, "feeds")? {
        if !feeds.contains(&absolute) {
            feeds.push(absolute);
        }
    }
    Ok(Named::boxed(&settings.id, Feeds { feeds }))
}

/// A configured feed source.
#[derive(Debug, Clone)]
pub struct Feeds {
    feeds: Vec<String>,
}

/// What is remembered of one feed between passes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct FeedCursor {
    #[serde(flatten)]
    validators: Validators,
    /// Fingerprint of the last body read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    #[serde(default)]
    seen: SeenIds,
}

impl Source for Feeds {
    /// One pass over every feed: the entries not returned before, and the next cursor.
    async fn fetch(&self, pass: Pass<'_>, cursor: Option<&str>) -> Result<Page, ConnectorError> {
        let Pass { http, source_id, now } = pass;
        let mut cursors = KeyedCursors::parse(KIND.name, cursor)?;
        let mut page = Page::empty();
        for feed in &self.feeds {
            let previous: FeedCursor = cursors.take(feed);
            let fetched = self.fetch_feed(http, source_id, feed, &previous, &mut page, now).await;
            let next = page.tolerate(fetched, previous, |err| {
                tracing::warn!(source = %source_id, feed = %feed, error = %err, "feed skipped this pass");
            });
            cursors.put(feed.clone(), next);
        }
        page.next_cursor = Some(cursors.finish());
        page.unless_all_failed(self.feeds.len())
    }
}

impl Feeds {
    /// Fetches one feed, adds its new entries to `page`, and returns the feed's next cursor.
    async fn fetch_feed(
        &self,
        http: &HttpClient,
        source_id: &str,
        feed: &str,
        previous: &FeedCursor,
        page: &mut Page,
        now: DateTime<Utc>,
    ) -> Result<FeedCursor, ConnectorError> {
        let conditional = previous.validators.request_headers();
        let fetched =
            http.get(feed, None, &conditional).await.map_err(|err| ConnectorError::from_http(KIND.name, err))?;
        page.count(&fetched);
        if fetched.status == 304 {
            return Ok(previous.clone());
        }
        let mut next = FeedCursor {
            validators: Validators::from_headers(&fetched.headers),
            body: Some(fingerprint(&[fetched.body.as_ref()])),
            seen: previous.seen.clone(),
        };
        if previous.body.is_some() && next.body == previous.body {
            return Ok(next);
        }
        let charset = content_type_charset(&fetched.headers);
        let parsed = parse::parse_feed(&fetched.body, charset.as_deref(), feed, source_id, now)?;
        page.skipped += parsed.skipped;
        let ids: Vec<String> = parsed.mentions.iter().map(|mention| mention.external_id.clone()).collect();
        let mut in_document = HashSet::new();
        for mention in parsed.mentions {
            if in_document.insert(mention.external_id.clone()) && !previous.seen.contains(&mention.external_id) {
                page.mentions.push(mention);
            }
        }
        next.seen.remember(ids.iter().map(String::as_str), SEEN_CAP.max(ids.len()));
        Ok(next)
    }
}
