//! Keyword queries checked locally, for listings the source cannot search itself (Reddit's
//! comment listings, Mastodon's public timeline): words, `"quoted phrases"`, `OR` and
//! exclusions (`-term`, `NOT term`), matched case-insensitively as substrings of the text.

/// Whether `text` matches a keyword query: alternatives separated by `OR`, each a list of
/// terms that must all occur (case-insensitive); `"quoted phrases"` stay whole, `AND` is
/// implied, a term prefixed with `-` or `NOT` must not occur. Field prefixes (`title:`) are
/// dropped. An empty query, or one of exclusions only, matches nothing.
pub fn matches_query(text: &str, query: &str) -> bool {
    let text = text.to_lowercase();
    let mut alternatives: Vec<Vec<(bool, String)>> = vec![Vec::new()];
    let mut negate_next = false;
    for token in tokens(query) {
        match token.as_str() {
            "OR" | "|" => {
                alternatives.push(Vec::new());
                continue;
            }
            "AND" | "&&" => continue,
            "NOT" => {
                negate_next = true;
                continue;
            }
            _ => {}
        }
        let (negated, term) = match token.strip_prefix('-') {
            Some(rest) if !rest.is_empty() => (true, rest.to_owned()),
            _ => (negate_next, token),
        };
        negate_next = false;
        let term = match term.split_once(':') {
            Some((field, rest)) if field.chars().all(|c| c.is_ascii_alphabetic()) && !rest.is_empty() => rest,
            _ => term.as_str(),
        };
        let term = term.trim_matches('"').to_lowercase();
        if !term.is_empty() {
            alternatives.last_mut().expect("never empty").push((negated, term));
        }
    }
    alternatives.iter().filter(|terms| !terms.is_empty()).any(|terms| {
        terms.iter().all(|(negated, term)| text.contains(term.as_str()) != *negated)
            && terms.iter().any(|(negated, _)| !negated)
    })
}

/// Whether `text` matches at least one of `queries` (none when `queries` is empty).
pub fn matches_any<Q: AsRef<str>>(text: &str, queries: &[Q]) -> bool {
    queries.iter().any(|query| matches_query(text, query.as_ref()))
}

/// Whitespace-separated tokens, keeping `"quoted phrases"` (quotes included) together.
fn tokens(query: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in query.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{matches_any, matches_query};

    #[test]
    fn keyword_queries_match_locally() {
        let text = "Switching from Pipedrive to Acme CRM next month; the \"acme sync\" add-on looks good";
        assert!(matches_query(text, "acme crm"));
        assert!(matches_query(text, "ACME AND pipedrive"));
        assert!(matches_query(text, "\"acme sync\""));
        assert!(!matches_query(text, "\"sync acme\""));
        assert!(matches_query(text, "hubspot OR pipedrive"));
        assert!(!matches_query(text, "acme -pipedrive"));
        assert!(!matches_query(text, "acme NOT pipedrive"));
        assert!(matches_query(text, "title:acme"));
        assert!(!matches_query(text, "hubspot"));
        assert!(!matches_query(text, ""));
        assert!(!matches_query(text, "-hubspot"), "a query of exclusions only matches nothing");
    }

    #[test]
    fn any_of_several_queries() {
        let text = "Vögel sind still geworden";
        assert!(matches_any(text, &["hubspot", "VÖGEL still"]));
        assert!(!matches_any(text, &["hubspot", "vögel -still"]));
        assert!(!matches_any::<&str>(text, &[]));
    }
}
