//! What sources that poll documents (feeds, web pages) rather than search APIs share: the
//! configured document URLs, conditional GET validators kept in the cursor, a bounded memory
//! of the entries already returned, stable short fingerprints, and decoding bodies from the
//! character set they declare.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::contract::Settings;

/// The URLs listed in the field `field` of `settings`, in order, each as written (made
/// absolute: an entry starting with `/` is taken relative to `base_url`) and parsed. An error
/// names the entry that is relative without a `base_url`, or not an http(s) URL.
pub fn document_urls(settings: &Settings, field: &str) -> Result<Vec<(String, url::Url)>, String> {
    let base = settings.base_url.as_deref().map(|base| base.trim_end_matches('/'));
    let mut urls = Vec::new();
    for (index, entry) in settings.strings(field).iter().enumerate() {
        let entry = entry.trim();
        let absolute = match (entry.starts_with('/'), base) {
            (true, Some(base)) => format!("{base}{entry}"),
            (true, None) => {
                return Err(format!(
                    "{}: {field}[{index}] {entry:?} is relative; set base_url or give a full URL",
                    settings.id
                ));
            }
            (false, _) => entry.to_owned(),
        };
        match url::Url::parse(&absolute) {
            Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host_str().is_some() => {
                urls.push((absolute, parsed));
            }
            _ => return Err(format!("{}: {field}[{index}] {entry:?} is not an http(s) URL", settings.id)),
        }
    }
    Ok(urls)
}

/// A document's `ETag` and `Last-Modified`, sent back verbatim as `If-None-Match` and
/// `If-Modified-Since` (some servers answer 304 only to the exact string they sent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validators {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

impl Validators {
    /// The validators a 200 response carries (none when it sends neither).
    pub fn from_headers(headers: &reqwest::header::HeaderMap) -> Self {
        let text = |name: reqwest::header::HeaderName| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::trim)
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
        };
        Self { etag: text(reqwest::header::ETAG), last_modified: text(reqwest::header::LAST_MODIFIED) }
    }

    /// The conditional request headers to send.
    pub fn request_headers(&self) -> Vec<(&'static str, &str)> {
        let mut headers = Vec::new();
        if let Some(etag) = &self.etag {
            headers.push(("If-None-Match", etag.as_str()));
        }
        if let Some(last_modified) = &self.last_modified {
            headers.push(("If-Modified-Since", last_modified.as_str()));
        }
        headers
    }

    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// A short, stable fingerprint of `parts` (64 bits of SHA-256, hex): entry ids in cursors,
/// ids of posts that have none of their own.
pub fn fingerprint<T: AsRef<[u8]>>(parts: &[T]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_ref());
        hasher.update([0u8]);
    }
    hasher.finalize().iter().take(8).map(|byte| format!("{byte:02x}")).collect()
}

/// The ids of entries already returned, newest first, as fingerprints, at most `cap` of them:
/// documents repeat their entries on every fetch, and entries without dates can only be told
/// apart by id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SeenIds(Vec<String>);

impl SeenIds {
    pub fn contains(&self, id: &str) -> bool {
        let print = fingerprint(&[id]);
        self.0.contains(&print)
    }

    /// Remembers `ids` (those of the latest document, in document order) ahead of the older
    /// ones, keeping at most `cap`.
    pub fn remember<'a>(&mut self, ids: impl IntoIterator<Item = &'a str>, cap: usize) {
        let mut fresh: Vec<String> = Vec::new();
        for id in ids {
            let print = fingerprint(&[id]);
            if !fresh.contains(&print) {
                fresh.push(print);
            }
        }
        let older: Vec<String> =
            std::mem::take(&mut self.0).into_iter().filter(|print| !fresh.contains(print)).collect();
        fresh.extend(older);
        fresh.truncate(cap);
        self.0 = fresh;
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The `charset` parameter of a `Content-Type` header.
pub fn content_type_charset(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let value = headers.get(reqwest::header::CONTENT_TYPE)?.to_str().ok()?;
    value.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim().eq_ignore_ascii_case("charset").then(|| value.trim().trim_matches(['"', '\'']).to_owned())
    })
}

/// Decodes `body` to text: a byte order mark wins; then the first of `labels` (in the
/// caller's order of trust) that names a known encoding; otherwise UTF-8 when the bytes are
/// valid UTF-8, else windows-1252 (what browsers assume for old pages). A UTF-16 label
/// without a byte order mark is taken for UTF-8, as browsers do. Never fails: bytes that do
/// not decode become U+FFFD. Returns the text and the encoding used.
pub fn decode<'a>(body: &'a [u8], labels: &[Option<&str>]) -> (Cow<'a, str>, &'static encoding_rs::Encoding) {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(body) {
        let (text, _) = encoding.decode_without_bom_handling(&body[bom..]);
        return (text, encoding);
    }
    let declared = labels.iter().flatten().find_map(|label| encoding_rs::Encoding::for_label(label.trim().as_bytes()));
    let encoding = match declared {
        Some(encoding) if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE => encoding_rs::UTF_8,
        Some(encoding) => encoding,
        None if std::str::from_utf8(body).is_ok() => encoding_rs::UTF_8,
        None => encoding_rs::WINDOWS_1252,
    };
    let (text, _) = encoding.decode_without_bom_handling(body);
    (text, encoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_urls_are_resolved_against_base_url_and_checked() {
        let settings = Settings::new("s").with("feeds", serde_json::json!([" /feed ", "https://b.example/x"]));
        let err = document_urls(&settings, "feeds").unwrap_err();
        assert_eq!(err, "s: feeds[0] \"/feed\" is relative; set base_url or give a full URL");
        let urls = document_urls(&settings.with_base_url("https://a.example/"), "feeds").unwrap();
        let written: Vec<&str> = urls.iter().map(|(absolute, _)| absolute.as_str()).collect();
        assert_eq!(written, ["https://a.example/feed", "https://b.example/x"]);
        let ftp = Settings::new("s").with("pages", serde_json::json!(["ftp://c.example/"]));
        assert_eq!(document_urls(&ftp, "pages").unwrap_err(), "s: pages[0] \"ftp://c.example/\" is not an http(s) URL");
    }

    #[test]
    fn validators_round_trip_through_headers() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("etag", "W/\"abc\"".parse().unwrap());
        headers.insert("last-modified", "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap());
        let validators = Validators::from_headers(&headers);
        assert_eq!(
            validators.request_headers(),
            vec![("If-None-Match", "W/\"abc\""), ("If-Modified-Since", "Wed, 21 Oct 2015 07:28:00 GMT")]
        );
        assert!(Validators::from_headers(&reqwest::header::HeaderMap::new()).is_empty());
    }

    #[test]
    fn seen_ids_are_bounded_newest_first() {
        let mut seen = SeenIds::default();
        seen.remember(["a", "b", "c"], 4);
        seen.remember(["d", "a", "e"], 4);
        assert!(seen.contains("d") && seen.contains("a") && seen.contains("e") && seen.contains("b"));
        assert!(!seen.contains("c"), "the oldest id falls out");
        assert_eq!(seen.len(), 4);
        assert_eq!(fingerprint(&["a", "b"]), fingerprint(&["a", "b"]));
        assert_ne!(fingerprint(&["ab", ""]), fingerprint(&["a", "b"]));
    }

    #[test]
    fn decoding_follows_bom_then_labels_then_content() {
        let (text, encoding) = decode(b"\xef\xbb\xbfcaf\xc3\xa9", &[Some("iso-8859-1")]);
        assert_eq!((text.as_ref(), encoding), ("café", encoding_rs::UTF_8));
        let (text, _) = decode(b"caf\xe9", &[None, Some("ISO-8859-1")]);
        assert_eq!(text, "café");
        let (text, _) = decode(b"caf\xe9", &[]);
        assert_eq!(text, "café", "not UTF-8, no label: windows-1252");
        let (text, _) = decode("café".as_bytes(), &[Some("utf-16")]);
        assert_eq!(text, "café");
        let (text, _) = decode(b"\xc4\xe3\xba\xc3", &[Some("gb2312")]);
        assert_eq!(text, "你好");
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("content-type", "text/html; charset=\"ISO-8859-1\"".parse().unwrap());
        assert_eq!(content_type_charset(&headers).as_deref(), Some("ISO-8859-1"));
    }
}
