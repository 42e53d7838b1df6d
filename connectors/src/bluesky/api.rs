//! Wire types of the Bluesky XRPC methods used here (no logic): `app.bsky.feed.searchPosts`,
//! `com.atproto.server.createSession` and the XRPC error envelope. Every field is optional or
//! lenient (the lexicons grow, and records are written by any client); posts are read one by
//! one from a `serde_json::Value` so that one odd post is skipped rather than failing the page.

use serde::Deserialize;

/// `app.bsky.feed.searchPosts` output.
#[derive(Debug, Deserialize)]
pub struct SearchResponse {
    pub posts: Vec<serde_json::Value>,
    /// Opaque; absent on the last page. Read leniently (a string, or a number from an odd
    /// server).
    #[serde(default)]
    pub cursor: Option<serde_json::Value>,
    #[serde(default, rename = "hitsTotal")]
    pub hits_total: Option<serde_json::Value>,
}

/// `app.bsky.feed.defs#postView`.
#[derive(Debug, Deserialize)]
pub struct PostView {
    /// `at://<did>/app.bsky.feed.post/<rkey>`.
    pub uri: String,
    #[serde(default)]
    pub author: Option<ProfileView>,
    /// The post record as its author's client wrote it.
    #[serde(default)]
    pub record: Option<PostRecord>,
    /// When the AppView indexed the post (server time).
    #[serde(default, rename = "indexedAt")]
    pub indexed_at: Option<String>,
    #[serde(default, rename = "replyCount")]
    pub reply_count: Option<i64>,
    #[serde(default, rename = "likeCount")]
    pub like_count: Option<i64>,
}

/// `app.bsky.actor.defs#profileViewBasic` (and the larger views, which add counts).
#[derive(Debug, Deserialize)]
pub struct ProfileView {
    #[serde(default)]
    pub did: Option<String>,
    /// `handle.invalid` when the handle no longer resolves.
    #[serde(default)]
    pub handle: Option<String>,
    #[serde(default, rename = "displayName")]
    pub display_name: Option<String>,
    #[serde(default, rename = "followersCount")]
    pub followers_count: Option<i64>,
}

/// `app.bsky.feed.post`.
#[derive(Debug, Deserialize)]
pub struct PostRecord {
    #[serde(default)]
    pub text: Option<String>,
    /// Client-set: may be wrong or far in the past.
    #[serde(default, rename = "createdAt")]
    pub created_at: Option<String>,
    #[serde(default)]
    pub langs: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    pub reply: Option<ReplyRef>,
    /// Rich-text annotations over UTF-8 byte ranges of `text`; read one by one.
    #[serde(default)]
    pub facets: Option<Vec<serde_json::Value>>,
    /// Images, link card, quote...; only alt texts and card titles are read.
    #[serde(default)]
    pub embed: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub struct ReplyRef {
    #[serde(default)]
    pub root: Option<StrongRef>,
    #[serde(default)]
    pub parent: Option<StrongRef>,
}

/// `com.atproto.repo.strongRef`.
#[derive(Debug, Deserialize)]
pub struct StrongRef {
    #[serde(default)]
    pub uri: Option<String>,
}

/// `app.bsky.richtext.facet`.
#[derive(Debug, Deserialize)]
pub struct Facet {
    pub index: ByteSlice,
    #[serde(default)]
    pub features: Vec<serde_json::Value>,
}

/// A range of UTF-8 bytes of the post text, end exclusive.
#[derive(Debug, Deserialize)]
pub struct ByteSlice {
    #[serde(rename = "byteStart")]
    pub byte_start: u64,
    #[serde(rename = "byteEnd")]
    pub byte_end: u64,
}

/// `com.atproto.server.createSession` output (the other fields are not needed).
#[derive(Debug, Deserialize)]
pub struct Session {
    #[serde(rename = "accessJwt")]
    pub access_jwt: String,
}

/// The XRPC error envelope: `{"error": "BadQueryString", "message": "..."}`.
#[derive(Debug, Deserialize)]
pub struct XrpcError {
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}
