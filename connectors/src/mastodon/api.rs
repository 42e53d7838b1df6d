//! Wire types of the Mastodon REST API (no logic): statuses, their accounts and the v2 search
//! response. Every field is optional or lenient (Mastodon, Pleroma, GoToSocial and older
//! servers differ in what they send); ids stay `serde_json::Value` because servers write them
//! as strings or numbers. Items are read one by one from a `serde_json::Value` so that one odd
//! status is skipped rather than failing the page.

use serde::Deserialize;

/// `GET /api/v2/search`: only `statuses` is read (`type=statuses` asks for nothing else).
#[derive(Debug, Deserialize)]
pub struct SearchResponse {
    pub statuses: Vec<serde_json::Value>,
}

/// One status (a post, or a boost wrapping one in `reblog`).
#[derive(Debug, Deserialize)]
pub struct Status {
    /// The id on the polled server: a 64-bit snowflake written as a string, sortable by time.
    pub id: serde_json::Value,
    /// The ActivityPub id: the same on every server.
    #[serde(default)]
    pub uri: Option<String>,
    /// The HTML page of the post on its home server.
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub in_reply_to_id: Option<serde_json::Value>,
    /// Content warning: plain text shown in place of the content.
    #[serde(default)]
    pub spoiler_text: Option<String>,
    /// HTML.
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    /// `public`, `unlisted`, `private` or `direct`.
    #[serde(default)]
    pub visibility: Option<String>,
    #[serde(default)]
    pub replies_count: Option<i64>,
    #[serde(default)]
    pub favourites_count: Option<i64>,
    #[serde(default)]
    pub reblog: Option<Box<Status>>,
    #[serde(default)]
    pub account: Option<Account>,
    #[serde(default)]
    pub media_attachments: Option<Vec<Media>>,
}

/// The author of a status.
#[derive(Debug, Deserialize)]
pub struct Account {
    #[serde(default)]
    pub username: Option<String>,
    /// `user` for accounts of the polled server, `user@domain` for remote ones.
    #[serde(default)]
    pub acct: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    /// The profile page on the account's home server.
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub followers_count: Option<i64>,
}

/// An attachment; only its description (alt text) is read.
#[derive(Debug, Deserialize)]
pub struct Media {
    #[serde(default)]
    pub description: Option<String>,
}
