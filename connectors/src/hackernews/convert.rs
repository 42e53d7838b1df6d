//! Algolia hits → mentions (pure).

use chrono::{DateTime, Utc};
use hark_core::text::html_to_text;
use hark_core::{Author, Engagement, Mention, SourceKind, handle, url};

use super::api::{Hit, SearchResponse};
use crate::ConnectorError;

const KIND: &str = "hackernews";

fn malformed(detail: impl Into<String>) -> ConnectorError {
    ConnectorError::Malformed { source_kind: KIND, detail: detail.into() }
}

/// An id that Algolia writes as a number or a string.
fn id_text(value: Option<&serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// The fields both APIs give for an item, borrowed from either wire type.
#[derive(Debug)]
pub struct Item<'a> {
    pub id: String,
    pub author: Option<&'a str>,
    /// HTML.
    pub title: Option<&'a str>,
    /// HTML.
    pub body: Option<&'a str>,
    pub created_at: i64,
    pub thread_id: Option<String>,
    pub parent_id: Option<String>,
    pub points: Option<i64>,
    pub replies: Option<i64>,
}

/// An item as a mention, or `None` when it has no text to speak of. Both APIs use the same
/// item ids, so a post read through either is the same mention.
pub fn item_to_mention(
    item: Item<'_>,
    raw: &serde_json::Value,
    source_id: &str,
    fetched_at: DateTime<Utc>,
) -> Option<Mention> {
    let body = item.body.map(html_to_text).unwrap_or_default();
    let title = item.title.map(html_to_text).filter(|title| !title.is_empty());
    let text = if body.is_empty() { title.clone()? } else { body };
    let kind = SourceKind::parse(KIND).expect("the kind name is valid");
    let mut mention = Mention::new(kind, source_id, item.id.clone(), text, fetched_at);
    mention.url = url::canonicalize(&format!("https://news.ycombinator.com/item?id={}", item.id)).ok();
    mention.title = title;
    mention.author = Author {
        handle: item.author.and_then(|author| handle::normalize(KIND, author)),
        name: item.author.map(str::to_owned),
        email: None,
        profile_url: item.author.map(|author| format!("https://news.ycombinator.com/user?id={author}")),
        reach: None,
    };
    mention.published_at = DateTime::from_timestamp(item.created_at, 0);
    mention.thread_id = item.thread_id;
    mention.parent_id = item.parent_id;
    mention.engagement = Engagement { score: item.points, replies: item.replies };
    mention.raw = Some(raw.clone());
    Some(mention)
}

/// One Algolia hit as a mention.
pub fn hit_to_mention(
    hit: &Hit,
    raw: &serde_json::Value,
    source_id: &str,
    fetched_at: DateTime<Utc>,
) -> Option<Mention> {
    let item = Item {
        id: hit.object_id.clone(),
        author: hit.author.as_deref(),
        title: hit.title.as_deref(),
        body: hit.comment_text.as_deref().or(hit.story_text.as_deref()),
        created_at: hit.created_at_i,
        thread_id: id_text(hit.story_id.as_ref()),
        parent_id: id_text(hit.parent_id.as_ref()),
        points: hit.points,
        replies: hit.num_comments,
    };
    item_to_mention(item, raw, source_id, fetched_at)
}

/// What one search response holds.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage {
    pub mentions: Vec<Mention>,
    /// The newest `created_at_i` among the hits: the next time cursor.
    pub newest: Option<i64>,
    /// Whether more pages exist for this query and window.
    pub more: bool,
    pub skipped: usize,
}

/// Parses a `search_by_date` response body.
pub fn parse_search(body: &[u8], source_id: &str, fetched_at: DateTime<Utc>) -> Result<SearchPage, ConnectorError> {
    let response: SearchResponse =
        serde_json::from_slice(body).map_err(|err| malformed(format!("search response: {err}")))?;
    let mut page = SearchPage { mentions: Vec::new(), newest: None, more: false, skipped: 0 };
    for raw in &response.hits {
        let Ok(hit) = serde_json::from_value::<Hit>(raw.clone()) else {
            page.skipped += 1;
            continue;
        };
        page.newest = Some(page.newest.map_or(hit.created_at_i, |newest| newest.max(hit.created_at_i)));
        match hit_to_mention(&hit, raw, source_id, fetched_at) {
            Some(mention) => page.mentions.push(mention),
            None => page.skipped += 1,
        }
    }
    page.more = matches!((response.page, response.pages), (Some(current), Some(total)) if current + 1 < total);
    Ok(page)
}
