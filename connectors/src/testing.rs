//! Test support shared by the sources' tests: their recorded responses in
//! `../shared/fixtures/<source>/`, an HTTP client fit for the loopback replay server, and
//! reading what the server was sent.

use std::path::PathBuf;

use hark_replay::{Recorded, Reply};

use crate::contract::Pass;
use crate::http::{HttpClient, HttpConfig};

/// The recorded responses of one source, in `../shared/fixtures/<source>/`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fixtures(pub &'static str);

impl Fixtures {
    /// The path of the fixture `name` (with its extension, or without for a recorded response).
    pub(crate) fn path(self, name: &str) -> PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures").join(self.0).join(name)
    }

    /// The bytes of the fixture file `name` (with its extension).
    pub(crate) fn read(self, name: &str) -> Vec<u8> {
        let path = self.path(name);
        std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    }

    /// The recorded response `name` (headers and body, without extension), to serve.
    pub(crate) fn reply(self, name: &str) -> Reply {
        let path = self.path(name);
        Reply::fixture(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    }

    /// The recorded JSON response `name` with its body changed by `change`.
    pub(crate) fn edited(self, name: &str, change: impl FnOnce(&mut serde_json::Value)) -> Reply {
        let mut reply = self.reply(name);
        let mut body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        change(&mut body);
        reply.body = serde_json::to_vec(&body).unwrap();
        reply
    }
}

/// The client settings for the replay server: `retries` retries, and no pacing beyond
/// 1,000 requests a second (loopback needs no politeness).
pub(crate) fn config(retries: u32) -> HttpConfig {
    HttpConfig {
        max_retries: retries,
        default_per_minute: std::num::NonZeroU32::new(60_000).unwrap(),
        ..HttpConfig::default()
    }
}

/// A client with [`config`].
pub(crate) fn client(retries: u32) -> HttpClient {
    HttpClient::new(config(retries)).unwrap()
}

/// The value of the header `name` (lower case) of a request the server received.
pub(crate) fn header<'a>(request: &'a Recorded, name: &str) -> Option<&'a str> {
    request.headers.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
}

/// A pass of the source `source_id` through `http`, now.
pub(crate) fn pass<'a>(http: &'a HttpClient, source_id: &'a str) -> Pass<'a> {
    Pass { http, source_id, now: chrono::Utc::now() }
}
