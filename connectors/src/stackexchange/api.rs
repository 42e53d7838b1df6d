//! Wire types of the Stack Exchange API 2.3 (no logic): the common wrapper every method
//! answers with, its error shape, and a question as `filter=withbody` returns it. Items are kept
//! as `serde_json::Value` so that one odd question is skipped rather than failing the page.

use serde::Deserialize;

/// The wrapper: `{"items": [...], "has_more", "quota_max", "quota_remaining", "backoff"?}`.
#[derive(Debug, Deserialize)]
pub struct Wrapper {
    pub items: Vec<serde_json::Value>,
    #[serde(default)]
    pub has_more: Option<bool>,
    #[serde(default)]
    pub quota_max: Option<i64>,
    #[serde(default)]
    pub quota_remaining: Option<i64>,
    /// Seconds before the same method may be called again.
    #[serde(default)]
    pub backoff: Option<i64>,
}

/// An error answer: `{"error_id": 400, "error_name": "bad_parameter", "error_message": "..."}`.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    pub error_id: i64,
    #[serde(default)]
    pub error_name: Option<String>,
    #[serde(default)]
    pub error_message: Option<String>,
}

/// A question (`filter=withbody` adds `body`).
#[derive(Debug, Deserialize)]
pub struct Question {
    pub question_id: u64,
    /// Unix seconds.
    pub creation_date: i64,
    #[serde(default)]
    pub title: Option<String>,
    /// HTML.
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub link: Option<String>,
    #[serde(default)]
    pub owner: Option<Owner>,
    #[serde(default)]
    pub score: Option<i64>,
    #[serde(default)]
    pub answer_count: Option<i64>,
}

/// A post's owner; deleted accounts have `user_type: "does_not_exist"` and no `user_id`.
#[derive(Debug, Deserialize)]
pub struct Owner {
    #[serde(default)]
    pub user_id: Option<i64>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub link: Option<String>,
    #[serde(default)]
    pub reputation: Option<i64>,
}
