//! Reddit listings → mentions (pure): submissions (`t3`) and comments (`t1`), removed and
//! deleted items told apart from unreadable ones, and the token endpoint's answer.

use chrono::{DateTime, Utc};
use hark_core::text::html_to_text;
use hark_core::{Author, Engagement, Mention, SourceKind, handle, url};

use super::api::{Child, Listing, Thing, Token};
use crate::ConnectorError;

const KIND: &str = "reddit";

/// Where permalinks point: the public site, whichever host the API was read from.
const SITE: &str = "https://www.reddit.com";

fn malformed(detail: impl Into<String>) -> ConnectorError {
    ConnectorError::malformed(KIND, detail)
}

/// One readable item of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The fullname (`t3_…`, `t1_…`): the external id.
    pub fullname: String,
    /// Creation time, Unix seconds.
    pub created: i64,
    /// `None` when the item was removed or deleted (or has no text at all).
    pub mention: Option<Mention>,
}

/// What one listing response holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingPage {
    /// In the listing's order (newest first for `new`, `comments` and `sort=new` searches).
    pub entries: Vec<Entry>,
    /// The fullname to ask `after=` for the next (older) page; `None` at the end.
    pub after: Option<String>,
    /// Children that could not be read at all (no fullname, no time, unknown kind).
    pub unreadable: usize,
}

/// Parses a listing body (`/r/<sub>/new`, `/r/<sub>/comments`, `/search`).
pub fn parse_listing(body: &[u8], source_id: &str, fetched_at: DateTime<Utc>) -> Result<ListingPage, ConnectorError> {
    let listing: Listing = serde_json::from_slice(body).map_err(|err| malformed(format!("listing: {err}")))?;
    let mut page =
        ListingPage { entries: Vec::new(), after: listing.data.after.filter(|a| !a.is_empty()), unreadable: 0 };
    for raw in &listing.data.children {
        match read_child(raw, source_id, fetched_at) {
            Some(entry) => page.entries.push(entry),
            None => page.unreadable += 1,
        }
    }
    Ok(page)
}

fn read_child(raw: &serde_json::Value, source_id: &str, fetched_at: DateTime<Utc>) -> Option<Entry> {
    let child = serde_json::from_value::<Child>(raw.clone()).ok()?;
    if child.kind != "t1" && child.kind != "t3" {
        return None;
    }
    let thing = serde_json::from_value::<Thing>(child.data.clone()).ok()?;
    let id = thing.name.strip_prefix(child.kind.as_str()).and_then(|rest| rest.strip_prefix('_'))?;
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let published_at = timestamp(thing.created_utc)?;
    let mention = thing_to_mention(&child.kind, &thing, &child.data, published_at, source_id, fetched_at);
    Some(Entry { fullname: thing.name, created: published_at.timestamp(), mention })
}

/// `created_utc` (float seconds) as a time; `None` when it is not a usable number.
fn timestamp(seconds: f64) -> Option<DateTime<Utc>> {
    if !seconds.is_finite() || seconds.abs() > 1e12 {
        return None;
    }
    let whole = seconds.floor();
    let nanos = ((seconds - whole) * 1e9) as u32;
    DateTime::from_timestamp(whole as i64, nanos.min(999_999_999))
}

/// What Reddit writes in place of text that is gone.
fn is_gone(text: &str) -> bool {
    matches!(text.trim(), "[removed]" | "[deleted]")
}

/// Plain text from the rendered HTML when there is some, else the markdown as sent
/// (`raw_json=1` leaves it unescaped).
fn body_text(markdown: Option<&str>, html: Option<&str>) -> String {
    if let Some(html) = html.filter(|html| !html.trim().is_empty()) {
        let text = html_to_text(html);
        if !text.trim().is_empty() {
            return text.trim().to_owned();
        }
    }
    markdown.map(str::trim).unwrap_or_default().to_owned()
}

/// A number Reddit writes as an integer or a float.
fn count(value: Option<&serde_json::Value>) -> Option<i64> {
    let value = value?;
    value.as_i64().or_else(|| value.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
}

/// One submission or comment as a mention; `None` when it was removed or deleted, or has no
/// text.
pub fn thing_to_mention(
    kind_prefix: &str,
    thing: &Thing,
    raw: &serde_json::Value,
    published_at: DateTime<Utc>,
    source_id: &str,
    fetched_at: DateTime<Utc>,
) -> Option<Mention> {
    let is_post = kind_prefix == "t3";
    let (markdown, html) = if is_post {
        (thing.selftext.as_deref(), thing.selftext_html.as_deref())
    } else {
        (thing.body.as_deref(), thing.body_html.as_deref())
    };
    let removed = is_post && thing.removed_by_category.as_ref().is_some_and(|category| !category.is_null());
    if removed || markdown.is_some_and(is_gone) {
        return None;
    }
    let body = body_text(markdown, html);
    if is_gone(&body) {
        return None;
    }
    let title = if is_post { thing.title.as_deref().map(html_to_text).filter(|t| !t.trim().is_empty()) } else { None };
    let text = if body.is_empty() { title.clone()? } else { body };
    let kind = SourceKind::parse(KIND).expect("the kind name is valid");
    let mut mention = Mention::new(kind, source_id, thing.name.clone(), text, fetched_at);
    mention.url = thing
        .permalink
        .as_deref()
        .filter(|path| path.starts_with('/'))
        .and_then(|path| url::canonicalize(&format!("{SITE}{path}")).ok());
    mention.title = title;
    let author = thing.author.as_deref().map(str::trim).filter(|a| !a.is_empty() && !is_gone(a));
    let handle = author.and_then(|author| handle::normalize(KIND, author));
    mention.author = Author {
        profile_url: handle.as_ref().map(|handle| format!("{SITE}/user/{handle}")),
        handle,
        name: author.map(str::to_owned),
        email: None,
        reach: None,
    };
    mention.published_at = Some(published_at);
    if is_post {
        mention.thread_id = Some(thing.name.clone());
        mention.engagement =
            Engagement { score: count(thing.score.as_ref()), replies: count(thing.num_comments.as_ref()) };
    } else {
        mention.thread_id = thing.link_id.clone().filter(|id| !id.is_empty());
        mention.parent_id = thing.parent_id.clone().filter(|id| !id.is_empty());
        mention.engagement = Engagement { score: count(thing.score.as_ref()), replies: None };
    }
    mention.raw = Some(raw.clone());
    Some(mention)
}

/// The answer of the token endpoint: the access token and its lifetime in seconds. A body
/// with `error` (a refused grant) is an auth error; the token never appears in errors.
pub fn parse_token(status: u16, body: &[u8]) -> Result<(String, Option<u64>), ConnectorError> {
    let token: Token = serde_json::from_slice(body).map_err(|_| malformed("the token endpoint did not answer JSON"))?;
    if let Some(error) = token.error.filter(|error| !error.is_null()) {
        tracing::warn!(error = %error, "reddit refused the client credentials grant");
        return Err(ConnectorError::Auth { source_kind: "reddit", status });
    }
    let access = token
        .access_token
        .filter(|t| !t.trim().is_empty() && t.chars().all(|c| c.is_ascii_graphic()))
        .ok_or_else(|| malformed("the token endpoint answered without a usable access_token"))?;
    let lifetime = token.expires_in.as_ref().and_then(|v| v.as_u64().or_else(|| v.as_f64().map(|f| f as u64)));
    Ok((access, lifetime))
}
