//! Bluesky post views → mentions, sort times, permalinks and link facets (pure).

use chrono::{DateTime, Utc};
use hark_core::{Author, Engagement, Mention, SourceKind, handle, url};

use super::api::{Facet, PostView, SearchResponse, XrpcError};
use crate::ConnectorError;

const KIND: &str = "bluesky";

/// Longest API cursor kept (they are short offsets or timestamps today).
const MAX_CURSOR_LEN: usize = 1024;

fn malformed(detail: impl Into<String>) -> ConnectorError {
    ConnectorError::malformed(KIND, detail)
}

/// What the conversion needs besides the post.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub source_id: &'a str,
    pub fetched_at: DateTime<Utc>,
}

/// A post with the time `sort=latest` orders it by.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    pub at: DateTime<Utc>,
    pub mention: Mention,
}

/// What one search response holds.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage {
    pub posts: Vec<Post>,
    /// Sort times of every post with a usable uri and time, mentions or not: they place the
    /// page in time.
    pub times: Vec<DateTime<Utc>>,
    /// The cursor of the next (older) page; `None` on the last page.
    pub cursor: Option<String>,
    /// Posts that could not be read, or had nothing to read.
    pub skipped: usize,
}

fn parse_time(raw: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw?.trim()).ok().map(|at| at.with_timezone(&Utc))
}

/// The time `sort=latest` orders a post by: the earlier of `createdAt` (client-set) and
/// `indexedAt` (server time), so that a post dated in the future does not stay on top.
pub fn sort_time(created_at: Option<&str>, indexed_at: Option<&str>) -> Option<DateTime<Utc>> {
    match (parse_time(created_at), parse_time(indexed_at)) {
        (Some(created), Some(indexed)) => Some(created.min(indexed)),
        (created, indexed) => created.or(indexed),
    }
}

/// Parses a `searchPosts` response body.
pub fn parse_search(body: &[u8], context: Context<'_>) -> Result<SearchPage, ConnectorError> {
    let response: SearchResponse = serde_json::from_slice(body).map_err(|err| {
        let said = xrpc_error(body).map(|said| format!("; the server said {said}")).unwrap_or_default();
        malformed(format!("searchPosts response: {err}{said}"))
    })?;
    let cursor = match &response.cursor {
        Some(serde_json::Value::String(cursor)) => Some(cursor.clone()),
        Some(serde_json::Value::Number(cursor)) => Some(cursor.to_string()),
        _ => None,
    }
    .filter(|cursor| !cursor.is_empty() && cursor.len() <= MAX_CURSOR_LEN);
    let mut page = SearchPage { posts: Vec::new(), times: Vec::new(), cursor, skipped: 0 };
    for raw in &response.posts {
        let Ok(view) = serde_json::from_value::<PostView>(raw.clone()) else {
            page.skipped += 1;
            continue;
        };
        let record = view.record.as_ref();
        let Some(at) = sort_time(record.and_then(|r| r.created_at.as_deref()), view.indexed_at.as_deref()) else {
            page.skipped += 1;
            continue;
        };
        if parse_post_uri(&view.uri).is_none() {
            page.skipped += 1;
            continue;
        }
        page.times.push(at);
        match post_to_mention(&view, raw, context) {
            Some(mention) => page.posts.push(Post { at, mention }),
            None => page.skipped += 1,
        }
    }
    Ok(page)
}

/// `error: message` from an XRPC error envelope, shortened; `None` when the body is not one.
pub fn xrpc_error(body: &[u8]) -> Option<String> {
    let envelope: XrpcError = serde_json::from_slice(body).ok()?;
    let error = envelope.error.filter(|error| !error.is_empty())?;
    let text = match envelope.message.filter(|message| !message.is_empty()) {
        Some(message) => format!("{error}: {message}"),
        None => error,
    };
    Some(text.chars().take(300).collect())
}

/// The error name of an XRPC error envelope (`ExpiredToken`, `BadQueryString`...).
pub fn xrpc_error_name(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<XrpcError>(body).ok()?.error
}

/// `(authority, rkey)` of `at://<authority>/app.bsky.feed.post/<rkey>`.
pub fn parse_post_uri(uri: &str) -> Option<(&str, &str)> {
    let mut parts = uri.strip_prefix("at://")?.split('/');
    let (authority, collection, rkey) = (parts.next()?, parts.next()?, parts.next()?);
    let plain = |text: &str| {
        !text.is_empty()
            && text.len() <= 512
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':' | b'~'))
    };
    (parts.next().is_none() && collection == "app.bsky.feed.post" && plain(authority) && plain(rkey))
        .then_some((authority, rkey))
}

/// A handle that can go into a URL path, in lower case (handles are case-insensitive);
/// `handle.invalid` and odd values are not one.
fn usable_handle(raw: Option<&str>) -> Option<String> {
    let raw = raw?.trim().trim_start_matches('@');
    let valid = !raw.is_empty()
        && raw.len() <= 253
        && raw != "handle.invalid"
        && raw.contains('.')
        && raw.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'));
    valid.then(|| raw.to_ascii_lowercase())
}

/// The post's page on bsky.app.
pub fn permalink(uri: &str, handle: Option<&str>) -> Option<String> {
    let (authority, rkey) = parse_post_uri(uri)?;
    let actor = usable_handle(handle).unwrap_or_else(|| authority.to_owned());
    url::canonicalize(&format!("https://bsky.app/profile/{actor}/post/{rkey}")).ok()
}

/// The post text with shortened link labels (`example.com/some-lo...`) replaced by the link
/// they stand for (canonical: tracking parameters dropped). Facet offsets are UTF-8 byte offsets; ranges that are out of bounds, not on
/// character boundaries or overlapping are left alone, as are labels that are not a shortened
/// form of their link (a custom label keeps its words).
pub fn expand_links(text: &str, facets: &[serde_json::Value]) -> String {
    let mut links: Vec<(usize, usize, String)> = facets
        .iter()
        .filter_map(|raw| serde_json::from_value::<Facet>(raw.clone()).ok())
        .filter_map(|facet| {
            let start = usize::try_from(facet.index.byte_start).ok()?;
            let end = usize::try_from(facet.index.byte_end).ok()?;
            let link = facet.features.iter().find_map(|feature| {
                let is_link =
                    feature.get("$type").and_then(serde_json::Value::as_str) == Some("app.bsky.richtext.facet#link");
                is_link.then(|| feature.get("uri").and_then(serde_json::Value::as_str)).flatten()
            })?;
            let inside = start < end && end <= text.len() && text.is_char_boundary(start) && text.is_char_boundary(end);
            (inside && (link.starts_with("https://") || link.starts_with("http://")))
                .then(|| (start, end, link.to_owned()))
        })
        .collect();
    links.sort_by_key(|(start, _, _)| *start);
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for (start, end, link) in links {
        if start < done {
            continue;
        }
        let label = text[start..end].trim().trim_end_matches("...").trim_end_matches('…');
        let bare = link.split_once("://").map_or(link.as_str(), |(_, rest)| rest);
        let shortened = !label.is_empty() && (link.starts_with(label) || bare.starts_with(label));
        if shortened {
            out.push_str(&text[done..start]);
            out.push_str(&url::canonicalize(&link).unwrap_or(link));
            done = end;
        }
    }
    out.push_str(&text[done..]);
    out
}

/// Alt texts of images and the title of a link card: what a post without text says.
fn embed_texts(embed: &serde_json::Value) -> Vec<String> {
    let mut texts = Vec::new();
    for holder in [Some(embed), embed.get("media")].into_iter().flatten() {
        if let Some(images) = holder.get("images").and_then(serde_json::Value::as_array) {
            texts
                .extend(images.iter().filter_map(|image| image.get("alt")?.as_str().map(str::trim).map(str::to_owned)));
        }
        if let Some(alt) = holder.get("alt").and_then(serde_json::Value::as_str) {
            texts.push(alt.trim().to_owned());
        }
        if let Some(title) =
            holder.get("external").and_then(|card| card.get("title")).and_then(serde_json::Value::as_str)
        {
            texts.push(title.trim().to_owned());
        }
    }
    texts.retain(|text| !text.is_empty());
    texts
}

/// One post as a mention, or `None` when it has nothing to read.
pub fn post_to_mention(view: &PostView, raw: &serde_json::Value, context: Context<'_>) -> Option<Mention> {
    let record = view.record.as_ref()?;
    let text = record.text.as_deref().unwrap_or_default();
    let mut text = expand_links(text, record.facets.as_deref().unwrap_or_default()).trim().to_owned();
    if text.is_empty() {
        text = record.embed.as_ref().map(embed_texts).unwrap_or_default().join("\n");
    }
    if text.is_empty() {
        return None;
    }
    let kind = SourceKind::parse(KIND).expect("the kind name is valid");
    let mut mention = Mention::new(kind, context.source_id, view.uri.clone(), text, context.fetched_at);
    let author = view.author.as_ref();
    let handle_text = author.and_then(|a| usable_handle(a.handle.as_deref()));
    let handle_text = handle_text.as_deref();
    mention.url = permalink(&view.uri, handle_text);
    let did = author.and_then(|a| a.did.as_deref()).filter(|did| did.starts_with("did:"));
    let actor = handle_text.or(did).or_else(|| parse_post_uri(&view.uri).map(|(authority, _)| authority));
    mention.author = Author {
        handle: actor.and_then(|actor| handle::normalize(KIND, actor)),
        name: author
            .and_then(|a| a.display_name.as_deref())
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .or(handle_text)
            .map(str::to_owned),
        email: None,
        profile_url: actor.and_then(|actor| url::canonicalize(&format!("https://bsky.app/profile/{actor}")).ok()),
        reach: author.and_then(|a| a.followers_count).filter(|count| *count >= 0),
    };
    mention.published_at = parse_time(record.created_at.as_deref()).or_else(|| parse_time(view.indexed_at.as_deref()));
    let reply_uri = |reference: Option<&super::api::StrongRef>| {
        reference.and_then(|r| r.uri.as_deref()).filter(|uri| uri.starts_with("at://")).map(str::to_owned)
    };
    if let Some(reply) = &record.reply {
        mention.thread_id = reply_uri(reply.root.as_ref());
        mention.parent_id = reply_uri(reply.parent.as_ref());
    }
    mention.lang = record
        .langs
        .iter()
        .flatten()
        .find_map(serde_json::Value::as_str)
        .map(str::trim)
        .filter(|lang| !lang.is_empty() && lang.len() <= 64)
        .map(str::to_owned);
    mention.engagement = Engagement { score: view.like_count, replies: view.reply_count };
    mention.raw = Some(raw.clone());
    Some(mention)
}
