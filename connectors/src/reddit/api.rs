//! Wire types of Reddit's listings (`/r/<sub>/new`, `/r/<sub>/comments`, `/search`) and of
//! the application-only token endpoint (no logic). Children are kept as `serde_json::Value`
//! so that one odd item is skipped rather than failing the page; numbers that Reddit writes as
//! floats or integers (`created_utc`, `score`) are read leniently.

use serde::Deserialize;

/// `{"kind": "Listing", "data": {...}}`.
#[derive(Debug, Deserialize)]
pub struct Listing {
    pub data: ListingData,
}

#[derive(Debug, Deserialize)]
pub struct ListingData {
    pub children: Vec<serde_json::Value>,
    /// Fullname of the last child: the next (older) page starts after it.
    #[serde(default)]
    pub after: Option<String>,
}

/// `{"kind": "t1" | "t3", "data": {...}}`.
#[derive(Debug, Deserialize)]
pub struct Child {
    pub kind: String,
    pub data: serde_json::Value,
}

/// A submission (`t3`) or comment (`t1`): the fields hark reads.
#[derive(Debug, Deserialize)]
pub struct Thing {
    /// The fullname, `t3_<id>` or `t1_<id>`.
    pub name: String,
    /// Unix seconds, written as a float.
    pub created_utc: f64,
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub selftext: Option<String>,
    #[serde(default)]
    pub selftext_html: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub body_html: Option<String>,
    #[serde(default)]
    pub permalink: Option<String>,
    /// The submission a comment belongs to (`t3_…`).
    #[serde(default)]
    pub link_id: Option<String>,
    /// The comment's parent: the submission or another comment.
    #[serde(default)]
    pub parent_id: Option<String>,
    #[serde(default)]
    pub score: Option<serde_json::Value>,
    #[serde(default)]
    pub num_comments: Option<serde_json::Value>,
    /// Set on submissions removed by moderators, Reddit or their author.
    #[serde(default)]
    pub removed_by_category: Option<serde_json::Value>,
}

/// The answer of `POST /api/v1/access_token`.
#[derive(Debug, Deserialize)]
pub struct Token {
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<serde_json::Value>,
    /// Set instead of a token when the grant is refused (`invalid_grant`, `unsupported_grant_type`).
    #[serde(default)]
    pub error: Option<serde_json::Value>,
}

/// The JSON body of a 403/404 on a community: `{"reason": "quarantined", ...}`.
#[derive(Debug, Deserialize)]
pub struct Refusal {
    #[serde(default)]
    pub reason: Option<String>,
}
