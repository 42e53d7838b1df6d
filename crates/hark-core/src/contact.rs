//! Email addresses and web domains, normalised the one way every importer and matcher uses.

/// Lower-cases an address and checks its shape (`local@domain.tld`, no spaces); accepts a
/// `mailto:` prefix.
pub fn normalize_email(raw: &str) -> Option<String> {
    let lower = raw.trim().to_lowercase();
    let email = lower.strip_prefix("mailto:").unwrap_or(&lower);
    let (local, domain) = email.split_once('@')?;
    let valid = !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '(' | ')' | ',' | ';' | '"'));
    valid.then(|| email.to_owned())
}

/// `https://www.Acme.com/about` → `acme.com`; `None` when no host name can be read.
pub fn normalize_domain(raw: &str) -> Option<String> {
    let lower = raw.trim().to_lowercase();
    let without_scheme = lower.split_once("://").map_or(lower.as_str(), |(_, rest)| rest);
    let host = without_scheme.split(['/', '?', '#']).next()?;
    let host = host.rsplit_once('@').map_or(host, |(_, host)| host);
    let host = host.split(':').next()?;
    let host = host.strip_prefix("www.").unwrap_or(host).trim_end_matches('.');
    let valid = host.contains('.')
        && host.split('.').all(|label| !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-'));
    valid.then(|| host.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_and_emails() {
        assert_eq!(normalize_domain("https://www.Acme.com:8443/x?y").as_deref(), Some("acme.com"));
        assert_eq!(normalize_domain("acme"), None);
        assert_eq!(normalize_domain("not a domain.com"), None);
        assert_eq!(normalize_email(" Mailto:Jo@Acme.COM ").as_deref(), Some("jo@acme.com"));
        for bad in ["jo", "jo@", "@acme.com", "jo@acme", "jo@@acme.com", "jo doe@acme.com", "jo@acme..com"] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
    }
}
