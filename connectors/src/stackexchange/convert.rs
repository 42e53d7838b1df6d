//! Stack Exchange responses → mentions (pure): questions with their HTML decoded, the quota and
//! `backoff` fields of the wrapper, and error bodies.

use chrono::{DateTime, Utc};
use hark_core::text::html_to_text;
use hark_core::{Author, Engagement, Mention, SourceKind, handle, url};

use super::api::{ErrorBody, Question, Wrapper};
use crate::ConnectorError;

const KIND: &str = "stackexchange";

/// One readable question.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub question_id: u64,
    /// `creation_date`, Unix seconds.
    pub created: i64,
    pub mention: Mention,
}

/// What one response holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub items: Vec<Item>,
    pub has_more: bool,
    pub quota_remaining: Option<i64>,
    pub quota_max: Option<i64>,
    /// Seconds to leave the method alone (`backoff`), when the API asked for it.
    pub backoff: Option<u64>,
    /// Items that could not be read (no id, no date, wrong types, no text).
    pub skipped: usize,
}

/// The site as it appears in external ids: `stackoverflow`, `unix`, `meta.stackoverflow`
/// whether the configuration says `stackoverflow`, `stackoverflow.com` or
/// `unix.stackexchange.com`.
pub fn site_key(site: &str) -> String {
    let site = site.trim().to_ascii_lowercase();
    let site = site.strip_suffix(".stackexchange.com").or_else(|| site.strip_suffix(".com")).unwrap_or(&site);
    site.to_owned()
}

/// A question's external id: `<site>/q/<question_id>`, since ids are only unique per site.
pub fn question_external_id(site_key: &str, question_id: u64) -> String {
    format!("{site_key}/q/{question_id}")
}

/// Parses a 200 answer of `/search/advanced` (or any method returning questions).
pub fn parse_response(
    body: &[u8],
    site_key: &str,
    source_id: &str,
    fetched_at: DateTime<Utc>,
) -> Result<Response, ConnectorError> {
    let wrapper: Wrapper = serde_json::from_slice(body)
        .map_err(|err| ConnectorError::malformed(KIND, format!("response wrapper: {err}")))?;
    let mut response = Response {
        items: Vec::new(),
        has_more: wrapper.has_more.unwrap_or(false),
        quota_remaining: wrapper.quota_remaining,
        quota_max: wrapper.quota_max,
        backoff: wrapper.backoff.and_then(|seconds| u64::try_from(seconds).ok()).filter(|seconds| *seconds > 0),
        skipped: 0,
    };
    for raw in &wrapper.items {
        let item = serde_json::from_value::<Question>(raw.clone())
            .ok()
            .and_then(|question| question_to_item(&question, raw, site_key, source_id, fetched_at));
        match item {
            Some(item) => response.items.push(item),
            None => response.skipped += 1,
        }
    }
    Ok(response)
}

/// Decoded text of an HTML field, `None` when empty.
fn decoded(html: Option<&str>) -> Option<String> {
    html.map(html_to_text).map(|text| text.trim().to_owned()).filter(|text| !text.is_empty())
}

/// One question as a mention; `None` without a usable date or any text.
pub fn question_to_item(
    question: &Question,
    raw: &serde_json::Value,
    site_key: &str,
    source_id: &str,
    fetched_at: DateTime<Utc>,
) -> Option<Item> {
    let published_at = DateTime::from_timestamp(question.creation_date, 0)?;
    let title = decoded(question.title.as_deref());
    let text = decoded(question.body.as_deref()).or_else(|| title.clone())?;
    let kind = SourceKind::parse(KIND).expect("the kind name is valid");
    let external_id = question_external_id(site_key, question.question_id);
    let mut mention = Mention::new(kind, source_id, external_id.clone(), text, fetched_at);
    mention.url = question.link.as_deref().and_then(|link| url::canonicalize(link).ok());
    mention.title = title;
    if let Some(owner) = &question.owner {
        let handle = owner.user_id.filter(|id| *id > 0).and_then(|id| handle::normalize(KIND, &id.to_string()));
        mention.author = Author {
            profile_url: handle.as_ref().and(owner.link.as_deref()).and_then(|link| url::canonicalize(link).ok()),
            handle,
            name: decoded(owner.display_name.as_deref()),
            email: None,
            reach: owner.reputation,
        };
    }
    mention.published_at = Some(published_at);
    mention.thread_id = Some(external_id);
    mention.engagement = Engagement { score: question.score, replies: question.answer_count };
    mention.raw = Some(raw.clone());
    Some(Item { question_id: question.question_id, created: question.creation_date, mention })
}

/// An error body (`error_id`, `error_name`, `error_message`), if `body` is one.
pub fn parse_error(body: &str) -> Option<ErrorBody> {
    serde_json::from_str(body).ok()
}

/// The wait a `throttle_violation` message names ("more requests available in 67194 seconds").
pub fn throttle_wait(message: &str) -> Option<u64> {
    let words: Vec<&str> = message.split_whitespace().collect();
    words.windows(2).find(|pair| pair[1].starts_with("second")).and_then(|pair| pair[0].parse().ok())
}
