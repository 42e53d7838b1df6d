//! hark-connectors: turning a source's responses into mentions and a next cursor.
//!
//! It owns the connector contract ([`contract`]), the registry of source kinds ([`registry`])
//! and one folder per source (`src/<kind>/`: `mod.rs` with the module doc, `api.rs` with the
//! wire types, `convert.rs` turning them into mentions, `tests.rs`). Adding a source touches its
//! folder and one line of [`registry`]; a test fails if a folder is not registered.
//!
//! [`http`] is the one HTTP client (quota per host and credential, retries with jitter,
//! `Retry-After`, auth errors, capped bodies). So far one source is here,
//! Hacker News; `hark pull` drives it. Connectors must not touch the store, the index or the
//! classifier, nor sleep or spawn on their own: waiting happens only inside the HTTP client.

pub mod bluesky;
#[cfg(test)]
mod conformance;
pub mod contract;
pub mod hackernews;
pub mod http;
pub mod mastodon;
pub mod reddit;
pub mod rss;
pub mod stackexchange;
pub mod web;

pub use contract::{BoxFuture, Connector, ConnectorError, Page, Settings};

/// A source kind hark can read.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    /// The `kind` written in `hark.toml`.
    pub name: &'static str,
    /// The module folder under `src/`.
    pub folder: &'static str,
    pub description: &'static str,
    /// A `[[sources]]` entry showing the kind's fields.
    pub example: &'static str,
    /// Makes a connector from a validated `[[sources]]` entry; an error says what is missing
    /// (an unset credential variable, an unusable selector).
    pub build: fn(&Settings) -> Result<Box<dyn Connector>, String>,
}

/// Every source kind, one line each.
pub fn registry() -> &'static [Kind] {
    &[reddit::KIND, hackernews::KIND, mastodon::KIND, bluesky::KIND, stackexchange::KIND, rss::KIND, web::KIND]
}

/// The kind called `name`.
pub fn find(name: &str) -> Option<&'static Kind> {
    registry().iter().find(|kind| kind.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Folders under `src/` that hold shared machinery, not a source.
    const SHARED_FOLDERS: &[&str] = &["http"];

    #[test]
    fn every_connector_folder_is_registered() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let registered: Vec<&str> = registry().iter().map(|kind| kind.folder).collect();
        for entry in std::fs::read_dir(src).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().into_string().unwrap();
            if entry.file_type().unwrap().is_dir() && !SHARED_FOLDERS.contains(&name.as_str()) {
                assert!(registered.contains(&name.as_str()), "src/{name}/ is not in registry()");
            }
        }
    }

    #[test]
    fn kinds_are_valid_and_unique() {
        let mut names: Vec<&str> = registry().iter().map(|kind| kind.name).collect();
        for name in &names {
            assert!(hark_core::SourceKind::parse(name).is_ok(), "{name}");
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), registry().len());
    }
}
