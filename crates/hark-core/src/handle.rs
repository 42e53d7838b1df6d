//! Handles per source, normalised so that a CRM's `@Spez`, `u/spez` and
//! `https://www.reddit.com/user/spez/` all mean the same Reddit user, and match the handle a
//! connector reads off a post.

/// Normalises a handle for a source kind. Accepts the bare handle, the `@`/`u/` forms and
/// profile URLs. Returns `None` for an empty or unusable value.
pub fn normalize(kind: &str, raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let handle = match kind {
        "reddit" => reddit(raw),
        "hackernews" => hackernews(raw),
        "mastodon" => mastodon(raw),
        "bluesky" => bluesky(raw),
        "stackexchange" => stackexchange(raw),
        "twitter" | "x" => twitter(raw),
        _ => raw.trim_start_matches('@').to_owned(),
    };
    let handle = handle.trim().to_lowercase();
    (!handle.is_empty() && !handle.contains(char::is_whitespace)).then_some(handle)
}

/// The part of a URL path after `marker`, up to the next `/`, `?` or `#`.
fn path_after<'a>(raw: &'a str, marker: &str) -> Option<&'a str> {
    let start = raw.find(marker)? + marker.len();
    let rest = &raw[start..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&rest[..end])
}

fn is_url(raw: &str) -> bool {
    raw.starts_with("http://") || raw.starts_with("https://")
}

fn reddit(raw: &str) -> String {
    if is_url(raw) {
        return path_after(raw, "/user/").or_else(|| path_after(raw, "/u/")).unwrap_or("").to_owned();
    }
    raw.trim_start_matches('/').trim_start_matches("u/").trim_start_matches('@').to_owned()
}

fn hackernews(raw: &str) -> String {
    if is_url(raw) {
        return raw.split("id=").nth(1).map(|rest| rest.split('&').next().unwrap_or("")).unwrap_or("").to_owned();
    }
    raw.trim_start_matches('@').to_owned()
}

/// Mastodon handles are `user@instance`; a bare `user` is kept as is (the instance is then
/// unknown, and matching treats it as such).
fn mastodon(raw: &str) -> String {
    if is_url(raw) {
        let without_scheme = raw.split("://").nth(1).unwrap_or("");
        let host = without_scheme.split('/').next().unwrap_or("");
        return match path_after(raw, "/@") {
            Some(user) if !user.is_empty() && !host.is_empty() => format!("{user}@{host}"),
            _ => String::new(),
        };
    }
    raw.trim_start_matches('@').to_owned()
}

fn bluesky(raw: &str) -> String {
    if is_url(raw) {
        return path_after(raw, "/profile/").unwrap_or("").to_owned();
    }
    raw.trim_start_matches('@').to_owned()
}

/// Stack Exchange users are best known by their numeric id; profile URLs carry it.
fn stackexchange(raw: &str) -> String {
    if is_url(raw) {
        return path_after(raw, "/users/").unwrap_or("").to_owned();
    }
    raw.to_owned()
}

fn twitter(raw: &str) -> String {
    if is_url(raw) {
        let without_scheme = raw.split("://").nth(1).unwrap_or("");
        return without_scheme.split('/').nth(1).unwrap_or("").split(['?', '#']).next().unwrap_or("").to_owned();
    }
    raw.trim_start_matches('@').to_owned()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn check(kind: &str, raw: &str, expected: Option<&str>) {
        assert_eq!(normalize(kind, raw).as_deref(), expected, "normalize({kind:?}, {raw:?})");
    }

    #[test]
    fn examples() {
        check("reddit", "Spez", Some("spez"));
        check("reddit", "u/spez", Some("spez"));
        check("reddit", "/u/spez", Some("spez"));
        check("reddit", "https://www.reddit.com/user/Spez/", Some("spez"));
        check("reddit", "https://old.reddit.com/u/spez?x=1", Some("spez"));
        check("hackernews", "https://news.ycombinator.com/user?id=pg", Some("pg"));
        check("hackernews", "pg", Some("pg"));
        check("mastodon", "@Gargron@mastodon.social", Some("gargron@mastodon.social"));
        check("mastodon", "https://mastodon.social/@Gargron", Some("gargron@mastodon.social"));
        check("bluesky", "@jay.bsky.team", Some("jay.bsky.team"));
        check("bluesky", "https://bsky.app/profile/jay.bsky.team", Some("jay.bsky.team"));
        check("stackexchange", "https://stackoverflow.com/users/22656/jon-skeet", Some("22656"));
        check("twitter", "@AcmeCRM", Some("acmecrm"));
        check("twitter", "https://x.com/AcmeCRM?lang=en", Some("acmecrm"));
        check("reddit", "   ", None);
        check("reddit", "two words", None);
        check("reddit", "https://www.reddit.com/r/crm", None);
    }

    proptest! {
        #[test]
        fn normalising_twice_changes_nothing(kind in prop_oneof![Just("reddit"), Just("hackernews"), Just("bluesky"), Just("twitter")], handle in "@?[A-Za-z0-9_.-]{1,20}") {
            if let Some(once) = normalize(kind, &handle) {
                prop_assert_eq!(normalize(kind, &once), Some(once));
            }
        }
    }
}
