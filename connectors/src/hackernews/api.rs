//! Wire types of the Algolia HN Search API (no logic). Every field is optional or lenient:
//! responses from 2014 to now differ in which keys they carry.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct SearchResponse {
    pub hits: Vec<serde_json::Value>,
    #[serde(default, rename = "nbPages")]
    pub pages: Option<u64>,
    #[serde(default)]
    pub page: Option<u64>,
}

/// One story or comment. Read from a `serde_json::Value` so that one odd hit is skipped
/// rather than failing the page.
#[derive(Debug, Deserialize)]
pub struct Hit {
    #[serde(rename = "objectID")]
    pub object_id: String,
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub story_text: Option<String>,
    #[serde(default)]
    pub comment_text: Option<String>,
    #[serde(default)]
    pub story_title: Option<String>,
    pub created_at_i: i64,
    #[serde(default)]
    pub parent_id: Option<serde_json::Value>,
    #[serde(default)]
    pub story_id: Option<serde_json::Value>,
    #[serde(default)]
    pub points: Option<i64>,
    #[serde(default)]
    pub num_comments: Option<i64>,
}
