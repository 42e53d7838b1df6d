//! URL canonicalisation: one post, one URL, however it was shared.
//!
//! The rules: only `http` and `https`; scheme and host in lower case (the `url` crate does
//! this); default ports dropped; tracking parameters (`utm_*`, `fbclid`, `gclid` and their
//! kin) removed, other parameters kept in their order; an empty query dropped; a trailing
//! slash dropped from any path but the root. Fragments are kept: forums address single
//! posts with them.

use url::Url;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalUrlError {
    #[error("not a URL: {input:?} ({reason})")]
    Invalid { input: String, reason: String },
    #[error("unsupported URL scheme {scheme:?} in {input:?}: only http and https")]
    Scheme { input: String, scheme: String },
}

/// Query parameters that only say where a click came from.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "twclid",
    "ttclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "ref_src",
    "ref_url",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "wickedid",
    "_ga",
    "_gl",
    "spm",
    "share_id",
    "si",
];

fn is_tracking_param(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("utm_") || lower.starts_with("pk_") || TRACKING_PARAMS.contains(&lower.as_str())
}

/// Keeps the query parameters `keep` accepts, in order; drops the query when none is left.
pub fn retain_query(url: &mut Url, keep: impl Fn(&str, &str) -> bool) {
    if url.query().is_none() {
        return;
    }
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(name, value)| keep(name, value))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
}

/// Returns the canonical form of `input`, or why it has none.
pub fn canonicalize(input: &str) -> Result<String, CanonicalUrlError> {
    let trimmed = input.trim();
    let mut url = Url::parse(trimmed)
        .map_err(|err| CanonicalUrlError::Invalid { input: input.to_owned(), reason: err.to_string() })?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(CanonicalUrlError::Scheme { input: input.to_owned(), scheme: url.scheme().to_owned() });
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(CanonicalUrlError::Invalid { input: input.to_owned(), reason: "no host".to_owned() });
    }

    retain_query(&mut url, |name, _| !is_tracking_param(name));

    let path = url.path().to_owned();
    let trimmed_path = path.trim_end_matches('/');
    if trimmed_path.len() != path.len() {
        url.set_path(if trimmed_path.is_empty() { "/" } else { trimmed_path });
    }
    if url.fragment() == Some("") {
        url.set_fragment(None);
    }
    Ok(url.into())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn check(input: &str, expected: &str) {
        assert_eq!(canonicalize(input).unwrap(), expected, "canonicalize({input:?})");
    }

    #[test]
    fn examples() {
        check("https://Example.COM/a/b/?utm_source=x&id=3&fbclid=abc", "https://example.com/a/b?id=3");
        check("HTTPS://www.Reddit.com/r/crm/comments/abc/title/", "https://www.reddit.com/r/crm/comments/abc/title");
        check("https://news.ycombinator.com/item?id=123", "https://news.ycombinator.com/item?id=123");
        check("https://example.com:443/", "https://example.com/");
        check("http://example.com:8080/x?gclid=1", "http://example.com:8080/x");
        check("https://example.com/?", "https://example.com/");
        check("https://example.com/post#comment-4", "https://example.com/post#comment-4");
        check("https://example.com/post#", "https://example.com/post");
        check("  https://example.com/a//  ", "https://example.com/a");
        check("https://example.com/s?q=a+b&UTM_Medium=email", "https://example.com/s?q=a+b");
    }

    #[test]
    fn rejects_what_is_not_a_web_url() {
        assert!(matches!(canonicalize("not a url"), Err(CanonicalUrlError::Invalid { .. })));
        assert!(matches!(canonicalize("ftp://example.com/x"), Err(CanonicalUrlError::Scheme { .. })));
        assert!(matches!(canonicalize("javascript:alert(1)"), Err(CanonicalUrlError::Scheme { .. })));
    }

    fn url_strategy() -> impl Strategy<Value = String> {
        let host = "[a-zA-Z][a-zA-Z0-9]{0,8}(\\.[a-zA-Z]{2,4}){1,2}";
        let segment = "[a-zA-Z0-9._~-]{0,6}";
        let param = prop_oneof![
            Just("utm_source".to_owned()),
            Just("utm_campaign".to_owned()),
            Just("fbclid".to_owned()),
            Just("gclid".to_owned()),
            "[a-z]{1,5}",
        ];
        (
            prop_oneof![Just("http"), Just("https"), Just("HTTPS")],
            host,
            prop::collection::vec(segment, 0..4),
            any::<bool>(),
            prop::collection::vec((param, "[a-zA-Z0-9]{0,5}"), 0..5),
        )
            .prop_map(|(scheme, host, segments, slash, params)| {
                let mut url = format!("{scheme}://{host}/{}", segments.join("/"));
                if slash {
                    url.push('/');
                }
                if !params.is_empty() {
                    let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    url.push('?');
                    url.push_str(&query.join("&"));
                }
                url
            })
    }

    proptest! {
        #[test]
        fn canonical_form_is_a_fixed_point(input in url_strategy()) {
            let once = canonicalize(&input).unwrap();
            prop_assert_eq!(canonicalize(&once).unwrap(), once);
        }

        #[test]
        fn no_tracking_survives_and_host_is_lower_case(input in url_strategy()) {
            let canonical = canonicalize(&input).unwrap();
            let parsed = Url::parse(&canonical).unwrap();
            prop_assert!(parsed.query_pairs().all(|(k, _)| !is_tracking_param(&k)));
            let host = parsed.host_str().unwrap();
            prop_assert_eq!(host, host.to_ascii_lowercase());
            prop_assert!(parsed.path() == "/" || !parsed.path().ends_with('/'));
        }

        #[test]
        fn other_parameters_survive_in_order(input in url_strategy()) {
            let before: Vec<(String, String)> = Url::parse(&input).unwrap().query_pairs()
                .filter(|(k, _)| !is_tracking_param(k)).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
            let after: Vec<(String, String)> = Url::parse(&canonicalize(&input).unwrap()).unwrap().query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
            prop_assert_eq!(before, after);
        }

        #[test]
        fn never_panics(input in ".{0,64}") {
            let _ = canonicalize(&input);
        }
    }
}
