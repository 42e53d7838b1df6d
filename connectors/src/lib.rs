//! hark-connectors: turning a source's responses into mentions and a next cursor.
//!
//! It owns the connector contract ([`contract`]), the registry of source kinds ([`registry`])
//! and one folder per source (`src/<kind>/`: `mod.rs` with the module doc, `api.rs` with the
//! wire types, `convert.rs` turning them into mentions, `tests.rs`). Adding a source touches its
//! folder and one line of [`registry`]; a test fails if a folder is not registered.
//!
//! Each folder implements [`contract::Source`]; cursor pieces several sources share live in
//! [`contract`], [`window`] (creation-time windows) and [`documents`] (feeds and pages);
//! [`keywords`] matches queries locally where a listing cannot be searched.
//! [`http`] is the one HTTP client (quota per host and credential, retries with jitter,
//! `Retry-After`, the sources' own rate-limit signals, auth errors, capped bodies). `hark pull`
//! and `hark demo` drive the connectors. Connectors must not touch the store, the index or the
//! classifier, nor sleep or spawn on their own: waiting happens only inside the HTTP client.

pub mod bluesky;
#[cfg(test)]
mod conformance;
pub mod contract;
pub mod dates;
pub mod documents;
pub mod hackernews;
pub mod http;
pub mod keywords;
pub mod mastodon;
pub mod reddit;
pub mod rss;
pub mod stackexchange;
#[cfg(test)]
pub(crate) mod testing;
pub mod web;
pub mod window;

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
    /// The kind's own `[[sources]]` fields, checked by the configuration loader.
    pub fields: Fields,
    /// Polite request rates, per minute, for the hosts the kind talks to by default; `"*"` is
    /// the rate for any other host a source of this kind names (`base_url`, feeds, pages).
    /// A source's `requests_per_minute` overrides them for the hosts it names.
    pub quotas: &'static [(&'static str, u32)],
    /// Makes a connector from a validated `[[sources]]` entry; an error says what is missing
    /// (an unset credential variable, an unusable selector).
    pub build: fn(&Settings) -> Result<Box<dyn Connector>, String>,
}

/// The fields a kind accepts beyond the shared ones (`id`, `kind`, `base_url`, `interval`,
/// `requests_per_minute`).
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub allowed: &'static [&'static str],
    /// At least one of these lists must be non-empty.
    pub needs_one_of: &'static [&'static str],
    /// Fields the kind requires (`base_url` included where it has no default).
    pub required: &'static [&'static str],
}

/// Every source kind, one line each.
pub fn registry() -> &'static [Kind] {
    &[reddit::KIND, hackernews::KIND, mastodon::KIND, bluesky::KIND, stackexchange::KIND, rss::KIND, web::KIND]
}

/// The kind called `name`.
pub fn find(name: &str) -> Option<&'static Kind> {
    registry().iter().find(|kind| kind.name == name)
}

/// The fields of a source that hold URLs it fetches from (beyond `base_url`).
pub const URL_FIELDS: &[&str] = &["feeds", "pages"];

impl Kind {
    /// The quota of every host `settings` will reach: the kind's named hosts, and the hosts of
    /// `base_url` and the URL fields at the kind's `"*"` rate (or `requests_per_minute`).
    pub fn host_quotas(&self, settings: &Settings, requests_per_minute: Option<u32>) -> Vec<(String, u32)> {
        let mut quotas: Vec<(String, u32)> = self
            .quotas
            .iter()
            .filter(|(host, _)| *host != "*")
            .map(|(host, rate)| ((*host).to_owned(), *rate))
            .collect();
        let other = self.quotas.iter().find(|(host, _)| *host == "*").map_or(60, |(_, rate)| *rate);
        let named =
            settings.base_url.iter().cloned().chain(URL_FIELDS.iter().flat_map(|field| settings.strings(field)));
        for url in named {
            let Some(host) = http::host_of(&url) else { continue };
            let rate = requests_per_minute.unwrap_or(other);
            quotas.retain(|(known, _)| *known != host);
            quotas.push((host, rate));
        }
        quotas
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_hosts_get_the_kinds_rates_and_overrides_win() {
        let reddit = find("reddit").unwrap();
        let plain = reddit.host_quotas(&Settings::new("r"), None);
        assert!(
            plain.contains(&("oauth.reddit.com".to_owned(), 100)) && plain.contains(&("www.reddit.com".to_owned(), 10))
        );
        let mirrored = reddit.host_quotas(&Settings::new("r").with_base_url("http://127.0.0.1:9/x"), Some(600));
        assert!(mirrored.contains(&("127.0.0.1".to_owned(), 600)));
        let feeds =
            Settings::new("f").with("feeds", serde_json::json!(["https://a.example/feed", "https://b.example/x"]));
        let quotas = find("rss").unwrap().host_quotas(&feeds, None);
        assert_eq!(quotas, [("a.example".to_owned(), 30), ("b.example".to_owned(), 30)]);
        for kind in registry() {
            assert!(kind.quotas.iter().all(|(_, rate)| *rate > 0), "{}", kind.name);
        }
    }

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
