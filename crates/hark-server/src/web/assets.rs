//! The web app's own script and stylesheet, compiled into the binary and served by hark
//! itself (no CDN, no build step). Their URLs carry a hash of their content, so browsers may
//! cache them for a year and still never run a stale copy.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// (name, content type, content).
const ASSETS: &[(&str, &str, &str)] = &[
    ("app.js", "text/javascript; charset=utf-8", include_str!("../../static/app.js")),
    ("app.css", "text/css; charset=utf-8", include_str!("../../static/app.css")),
];

fn hashes() -> &'static Vec<(&'static str, String)> {
    static HASHES: OnceLock<Vec<(&'static str, String)>> = OnceLock::new();
    HASHES.get_or_init(|| {
        ASSETS.iter().map(|(name, _, content)| (*name, hex::encode(&Sha256::digest(content.as_bytes())[..6]))).collect()
    })
}

/// The URL of an asset, with its content hash.
pub fn path(name: &str) -> String {
    let hash = hashes().iter().find(|(known, _)| *known == name).map_or("", |(_, hash)| hash.as_str());
    format!("/static/{hash}/{name}")
}

pub async fn serve(Path((hash, name)): Path<(String, String)>) -> Response {
    let Some((_, content_type, content)) = ASSETS.iter().find(|(known, _, _)| *known == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let current = hashes().iter().any(|(known, known_hash)| *known == name && *known_hash == hash);
    let cache = if current { "public, max-age=31536000, immutable" } else { "no-cache" };
    ([(CONTENT_TYPE, *content_type), (CACHE_CONTROL, cache)], *content).into_response()
}
