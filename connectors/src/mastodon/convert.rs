//! Mastodon statuses → mentions, status id ordering and `Link` header parsing (pure).

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use hark_core::text::html_to_text;
use hark_core::{Author, Engagement, Mention, SourceKind, handle, url};

use super::api::{SearchResponse, Status};
use crate::ConnectorError;

const KIND: &str = "mastodon";

/// Longest status id accepted (snowflakes have 18-19 digits; Pleroma flake ids 18 characters).
const MAX_ID_LEN: usize = 64;

fn malformed(detail: impl Into<String>) -> ConnectorError {
    ConnectorError::malformed(KIND, detail)
}

/// Whether `id` can be a status id: 1 to 64 ASCII letters or digits. Anything else cannot be
/// ordered or sent back as `since_id`/`max_id`.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Orders status ids by time: snowflakes are integers written in decimal (Pleroma's flake
/// ids are fixed-width strings), so a longer id is newer and equal lengths compare as text.
/// Leading zeros are ignored.
pub fn compare_ids(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// An id that servers write as a string or a number.
fn id_text(value: Option<&serde_json::Value>) -> Option<String> {
    let text = match value? {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.clone(),
        _ => return None,
    };
    is_valid_id(&text).then_some(text)
}

/// What the conversion needs besides the status.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub source_id: &'a str,
    /// The polled server's host, for the handles of its own accounts (`acct` without domain)
    /// when the account's profile URL does not name one.
    pub instance: &'a str,
    pub fetched_at: DateTime<Utc>,
}

/// The statuses of one response.
#[derive(Debug, Clone, PartialEq)]
pub struct Statuses {
    /// Each readable status's id on the polled server (its timeline position) and its mention.
    pub entries: Vec<(String, Mention)>,
    /// The ids of every item with a usable id, mentions or not: they bound the page.
    pub ids: Vec<String>,
    /// Items in the response, readable or not.
    pub total: usize,
    /// Items without a usable id, or with nothing public to read.
    pub skipped: usize,
}

/// Parses a timeline (`/api/v1/timelines/...`): a JSON array of statuses.
pub fn parse_timeline(body: &[u8], context: Context<'_>) -> Result<Statuses, ConnectorError> {
    let items: Vec<serde_json::Value> =
        serde_json::from_slice(body).map_err(|err| malformed(format!("timeline: {err}{}", error_hint(body))))?;
    Ok(read_statuses(&items, context))
}

/// Parses a v2 search response: `{"statuses": [...], ...}`.
pub fn parse_search(body: &[u8], context: Context<'_>) -> Result<Statuses, ConnectorError> {
    let response: SearchResponse =
        serde_json::from_slice(body).map_err(|err| malformed(format!("search: {err}{}", error_hint(body))))?;
    Ok(read_statuses(&response.statuses, context))
}

/// `; the server said "..."` when a body is Mastodon's error envelope `{"error": "..."}`.
pub fn error_hint(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Envelope {
        error: String,
    }
    match serde_json::from_slice::<Envelope>(body) {
        Ok(envelope) => format!("; the server said {:?}", envelope.error.chars().take(200).collect::<String>()),
        Err(_) => String::new(),
    }
}

fn read_statuses(items: &[serde_json::Value], context: Context<'_>) -> Statuses {
    let mut statuses = Statuses { entries: Vec::new(), ids: Vec::new(), total: items.len(), skipped: 0 };
    for raw in items {
        let Ok(status) = serde_json::from_value::<Status>(raw.clone()) else {
            statuses.skipped += 1;
            continue;
        };
        let Some(id) = id_text(Some(&status.id)) else {
            statuses.skipped += 1;
            continue;
        };
        statuses.ids.push(id.clone());
        match status_to_mention(&status, raw, context) {
            Some(mention) => statuses.entries.push((id, mention)),
            None => statuses.skipped += 1,
        }
    }
    statuses
}

/// The host of an `http(s)` URL.
fn host_of(raw: &str) -> Option<String> {
    let parsed = reqwest::Url::parse(raw).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| parsed.host_str().map(str::to_owned)).flatten()
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|value| !value.is_empty())
}

/// One status as a mention (a boost as the status it boosts), or `None` when it is not public
/// or has nothing to read.
pub fn status_to_mention(status: &Status, raw: &serde_json::Value, context: Context<'_>) -> Option<Mention> {
    let post = status.reblog.as_deref().unwrap_or(status);
    // Followers-only and direct posts can reach a token's search results: never collect them.
    if matches!(post.visibility.as_deref(), Some("private" | "direct")) {
        return None;
    }
    let uri = non_empty(post.uri.as_deref())?;
    let title = non_empty(post.spoiler_text.as_deref()).map(hark_core::text::fold_whitespace);
    let mut text = non_empty(post.content.as_deref()).map(html_to_text).unwrap_or_default();
    if text.trim().is_empty() {
        // A media-only post: its alt texts are what it says.
        let described: Vec<&str> = post
            .media_attachments
            .iter()
            .flatten()
            .filter_map(|media| non_empty(media.description.as_deref()))
            .collect();
        text = described.join("\n");
    }
    if text.trim().is_empty() {
        text = title.clone()?;
    }
    let kind = SourceKind::parse(KIND).expect("the kind name is valid");
    let mut mention = Mention::new(kind, context.source_id, uri, text, context.fetched_at);
    mention.url = non_empty(post.url.as_deref())
        .and_then(|link| url::canonicalize(link).ok())
        .or_else(|| url::canonicalize(uri).ok());
    mention.title = title;
    if let Some(account) = &post.account {
        let profile_url = non_empty(account.url.as_deref()).and_then(|link| url::canonicalize(link).ok());
        let acct = non_empty(account.acct.as_deref()).or(non_empty(account.username.as_deref()));
        let full = acct.map(|acct| {
            let acct = acct.trim_start_matches('@');
            if acct.contains('@') {
                acct.to_owned()
            } else {
                let host = profile_url.as_deref().and_then(host_of).unwrap_or_else(|| context.instance.to_owned());
                format!("{acct}@{host}")
            }
        });
        mention.author = Author {
            handle: full.as_deref().and_then(|full| handle::normalize(KIND, full)),
            name: non_empty(account.display_name.as_deref())
                .or(non_empty(account.username.as_deref()))
                .map(str::to_owned),
            email: None,
            profile_url,
            reach: account.followers_count.filter(|count| *count >= 0),
        };
    }
    mention.published_at = non_empty(post.created_at.as_deref())
        .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
        .map(|at| at.with_timezone(&Utc));
    mention.lang = non_empty(post.language.as_deref()).map(str::to_owned);
    mention.parent_id = id_text(post.in_reply_to_id.as_ref());
    mention.engagement = Engagement { score: post.favourites_count, replies: post.replies_count };
    mention.raw = Some(raw.clone());
    Some(mention)
}

/// One link of a `Link` header (RFC 8288): its target and relation types (lower case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub target: String,
    pub rels: Vec<String>,
}

/// Parses a `Link` header value: `<url>; rel="next", <url>; rel="prev"`. Quoted parameters
/// may hold `,` and `;`; anything that is not a link is skipped. Never panics.
pub fn parse_link_header(value: &str) -> Vec<Link> {
    let mut links = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        if rest.is_empty() {
            return links;
        }
        let Some(after) = rest.strip_prefix('<') else {
            // Not a link: skip to the next element.
            rest = skip_element(rest).1;
            continue;
        };
        let Some(end) = after.find('>') else { return links };
        let target = after[..end].trim().to_owned();
        let (params, remaining) = skip_element(&after[end + 1..]);
        rest = remaining;
        let mut rels = Vec::new();
        for param in split_unquoted(params, ';') {
            let Some((name, value)) = param.split_once('=') else { continue };
            if name.trim().eq_ignore_ascii_case("rel") {
                rels.extend(unquote(value.trim()).split_whitespace().map(str::to_ascii_lowercase));
            }
        }
        links.push(Link { target, rels });
    }
}

/// Splits `text` at the first `,` outside quotes: (this element, the rest after the comma).
fn skip_element(text: &str) -> (&str, &str) {
    let mut quoted = false;
    let mut escaped = false;
    for (at, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => return (&text[..at], &text[at + 1..]),
            _ => {}
        }
    }
    (text, "")
}

/// Splits `text` at every `separator` outside quotes.
fn split_unquoted(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut escaped = false;
    let mut start = 0;
    for (at, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            _ if c == separator && !quoted => {
                parts.push(&text[start..at]);
                start = at + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// A parameter value without its quotes and escapes.
fn unquote(value: &str) -> String {
    let Some(inner) = value.strip_prefix('"') else { return value.to_owned() };
    let inner = inner.strip_suffix('"').unwrap_or(inner);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The `max_id` of the `rel="next"` link (the next older page) among `Link` header values.
pub fn next_max_id<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let base = reqwest::Url::parse("http://relative.invalid/").expect("a valid URL");
    values
        .into_iter()
        .flat_map(parse_link_header)
        .filter(|link| link.rels.iter().any(|rel| rel == "next"))
        .filter_map(|link| base.join(&link.target).ok())
        .find_map(|target| target.query_pairs().find(|(name, _)| name == "max_id").map(|(_, id)| id.into_owned()))
        .filter(|id| is_valid_id(id))
}
