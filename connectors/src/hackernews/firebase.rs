//! The official Firebase API as a fallback when Algolia fails: no search there, so the walk
//! reads every new item id from the last one seen up to `/v0/maxitem.json` and keeps those
//! whose title or text holds every word of a query (Algolia's rule). Item ids are the same in
//! both APIs, so posts read either way are the same mentions; Algolia, once back, re-reads its
//! window from its unmoved time cursor and anything the walk missed comes then.

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use hark_core::Mention;
use serde::Deserialize;

use super::KIND;
use super::convert::{Item, item_to_mention};
use crate::http::HttpClient;
use crate::{ConnectorError, Page};

/// The default address of the Firebase API; `fallback_base_url` overrides it.
pub const DEFAULT_BASE_URL: &str = "https://hacker-news.firebaseio.com";
/// Items read per pass at most (the rest next pass: `more` is set).
const ITEMS_PER_PASS: u64 = 300;
/// Where a first walk starts: this many items below the newest.
const FIRST_WALK_BACK: u64 = 300;
/// Item requests in flight at once (the API has no published limit; stay gentle).
const CONCURRENCY: usize = 6;

/// One item of `/v0/item/<id>.json`. Deleted and dead items lack `by` and `text`.
#[derive(Debug, Deserialize)]
pub struct FirebaseItem {
    pub id: u64,
    #[serde(default)]
    pub by: Option<String>,
    #[serde(default)]
    pub time: Option<i64>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub parent: Option<u64>,
    #[serde(default)]
    pub score: Option<i64>,
    #[serde(default)]
    pub descendants: Option<i64>,
    #[serde(default)]
    pub deleted: bool,
    #[serde(default)]
    pub dead: bool,
}

/// Whether `mention` holds every word of one of `queries` (case-insensitive).
pub fn matches_any(mention: &Mention, queries: &[String]) -> bool {
    let haystack = format!("{} {}", mention.title.as_deref().unwrap_or(""), mention.text).to_lowercase();
    queries.iter().any(|query| {
        let mut words = query.split_whitespace().peekable();
        words.peek().is_some() && words.all(|word| haystack.contains(&word.to_lowercase()))
    })
}

/// Parses one item body: `Ok(None)` for `null` (no such id yet), deleted, dead or empty items.
pub fn parse_item(body: &[u8], source_id: &str, fetched_at: DateTime<Utc>) -> Result<Option<Mention>, ConnectorError> {
    let raw: serde_json::Value = serde_json::from_slice(body)
        .map_err(|err| ConnectorError::malformed(KIND.name, format!("Firebase item: {err}")))?;
    if raw.is_null() {
        return Ok(None);
    }
    let item: FirebaseItem = serde_json::from_value(raw.clone())
        .map_err(|err| ConnectorError::malformed(KIND.name, format!("Firebase item: {err}")))?;
    if item.deleted || item.dead {
        return Ok(None);
    }
    let fields = Item {
        id: item.id.to_string(),
        author: item.by.as_deref(),
        title: item.title.as_deref(),
        body: item.text.as_deref(),
        created_at: item.time.unwrap_or(0),
        thread_id: None,
        parent_id: item.parent.map(|parent| parent.to_string()),
        points: item.score,
        replies: item.descendants,
    };
    Ok(item_to_mention(fields, &raw, source_id, fetched_at))
}

/// One walk of at most [`ITEMS_PER_PASS`] items after `after` (`None`: start near the newest).
/// Returns the page and the last item id read.
pub async fn walk(
    http: &HttpClient,
    base_url: &str,
    source_id: &str,
    queries: &[String],
    after: Option<u64>,
    now: DateTime<Utc>,
) -> Result<(Page, u64), ConnectorError> {
    let mut page = Page::empty();
    let fetched = http
        .get(&format!("{base_url}/v0/maxitem.json"), None, &[])
        .await
        .map_err(|err| ConnectorError::from_http(KIND.name, err))?;
    page.count(&fetched);
    let newest: u64 = serde_json::from_slice(&fetched.body)
        .map_err(|err| ConnectorError::malformed(KIND.name, format!("maxitem: {err}")))?;
    let start = after.map_or_else(|| newest.saturating_sub(FIRST_WALK_BACK) + 1, |after| after + 1);
    if start > newest {
        return Ok((page, after.unwrap_or(newest)));
    }
    let end = newest.min(start + ITEMS_PER_PASS - 1);
    let mut responses = futures_util::stream::iter(start..=end)
        .map(|id| async move { (id, http.get(&format!("{base_url}/v0/item/{id}.json"), None, &[]).await) })
        .buffered(CONCURRENCY);
    while let Some((id, response)) = responses.next().await {
        let fetched = response.map_err(|err| ConnectorError::from_http(KIND.name, err))?;
        page.count(&fetched);
        match parse_item(&fetched.body, source_id, now) {
            Ok(Some(mention)) if matches_any(&mention, queries) => page.mentions.push(mention),
            Ok(_) => {}
            Err(err) => {
                tracing::debug!(id, error = %err, "skipping an unreadable Firebase item");
                page.skipped += 1;
            }
        }
    }
    page.more = end < newest;
    Ok((page, end))
}
