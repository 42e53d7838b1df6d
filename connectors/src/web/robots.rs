//! robots.txt (RFC 9309): the group for our product token (else `*`), `Allow`/`Disallow`
//! with `*` and `$` patterns decided by the longest match (`Allow` wins a tie), and the
//! non-standard but common `Crawl-delay`.

use std::time::Duration;

/// The product token hark looks for in `User-agent` lines.
pub const AGENT: &str = "hark";

/// Bytes of a robots.txt read; RFC 9309 asks crawlers to parse at least 500 KiB.
pub const MAX_BYTES: usize = 512 * 1024;

/// Longest crawl delay honoured; a larger one is capped (with a warning by the caller).
pub const MAX_CRAWL_DELAY: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, PartialEq)]
struct Rule {
    allow: bool,
    pattern: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Group {
    agents: Vec<String>,
    rules: Vec<Rule>,
    crawl_delay: Option<Duration>,
}

/// The rules that apply to one user agent on one host.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules {
    rules: Vec<Rule>,
    pub crawl_delay: Option<Duration>,
}

impl Rules {
    /// No robots.txt (404 and other 4xx): everything is allowed.
    pub fn allow_all() -> Self {
        Self::default()
    }

    /// Whether `path` (path and query, as requested) may be fetched.
    pub fn allows(&self, path: &str) -> bool {
        if path == "/robots.txt" {
            return true;
        }
        let mut best: Option<(usize, bool)> = None;
        for rule in &self.rules {
            if matches(&rule.pattern, path) {
                let length = rule.pattern.len();
                best = match best {
                    Some((best_length, best_allow))
                        if best_length > length || (best_length == length && best_allow) =>
                    {
                        Some((best_length, best_allow))
                    }
                    _ => Some((length, rule.allow)),
                };
            }
        }
        best.is_none_or(|(_, allow)| allow)
    }
}

/// Parses a robots.txt and picks the rules for `agent` (a product token such as `hark`):
/// every group naming it, else every `*` group, else nothing (all allowed).
pub fn rules_for(text: &str, agent: &str) -> Rules {
    let text = if text.len() > MAX_BYTES {
        let mut end = MAX_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        &text[..end]
    } else {
        text
    };
    let groups = parse(text);
    let agent = agent.to_ascii_lowercase();
    let named = |group: &&Group| {
        group.agents.iter().any(|name| name == &agent || name.split('/').next() == Some(agent.as_str()))
    };
    let mut chosen: Vec<&Group> = groups.iter().filter(named).collect();
    if chosen.is_empty() {
        chosen = groups.iter().filter(|group| group.agents.iter().any(|name| name == "*")).collect();
    }
    Rules {
        rules: chosen.iter().flat_map(|group| group.rules.iter().cloned()).collect(),
        crawl_delay: chosen.iter().filter_map(|group| group.crawl_delay).max(),
    }
}

fn parse(text: &str) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    // Whether the current group has seen a rule line, so the next user-agent starts a new one.
    let mut in_rules = true;
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let Some((key, value)) = line.split_once(':') else { continue };
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim();
        match key.as_str() {
            "user-agent" => {
                if in_rules || groups.is_empty() {
                    groups.push(Group::default());
                    in_rules = false;
                }
                if let Some(group) = groups.last_mut() {
                    group.agents.push(value.to_ascii_lowercase());
                }
            }
            "allow" | "disallow" => {
                in_rules = true;
                let Some(group) = groups.last_mut() else { continue };
                // An empty Disallow allows everything: no rule.
                if !value.is_empty() {
                    group.rules.push(Rule { allow: key == "allow", pattern: value.to_owned() });
                }
            }
            "crawl-delay" => {
                in_rules = true;
                let Some(group) = groups.last_mut() else { continue };
                if let Ok(seconds) = value.parse::<f64>()
                    && seconds.is_finite()
                    && seconds >= 0.0
                {
                    group.crawl_delay = Some(Duration::from_secs_f64(seconds.min(86_400.0)));
                }
            }
            _ => {}
        }
    }
    groups
}

/// Whether `pattern` (with `*` for any run and a final `$` for the end) matches the start of
/// `path`. Iterative with one backtrack point, so hostile patterns stay linear-ish.
fn matches(pattern: &str, path: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(pattern) => (pattern, true),
        None => (pattern, false),
    };
    let pattern = pattern.as_bytes();
    let path = path.as_bytes();
    let (mut p, mut s) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p == pattern.len() {
            if !anchored || s == path.len() {
                return true;
            }
        } else if pattern[p] == b'*' {
            star = Some((p, s));
            p += 1;
            continue;
        } else if s < path.len() && pattern[p] == path[s] {
            p += 1;
            s += 1;
            continue;
        }
        // Mismatch (or anchored end not reached): let the last `*` swallow one more byte.
        match star {
            Some((star_p, star_s)) if star_s < path.len() => {
                star = Some((star_p, star_s + 1));
                p = star_p + 1;
                s = star_s + 1;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_chosen_by_product_token_then_star() {
        let text = "# comment\nUser-agent: *\nDisallow: /\n\nUser-agent: Googlebot\nUser-agent: HARK/2.0\nDisallow: /private/ # no\nAllow: /private/open\nCrawl-delay: 2.5\n";
        let ours = rules_for(text, AGENT);
        assert!(ours.allows("/threads/1"));
        assert!(!ours.allows("/private/x"));
        assert!(ours.allows("/private/open/page"), "the longer Allow wins");
        assert_eq!(ours.crawl_delay, Some(Duration::from_millis(2500)));
        let others = rules_for(text, "otherbot");
        assert!(!others.allows("/threads/1"));
        assert!(others.allows("/robots.txt"));
        assert_eq!(rules_for("", AGENT), Rules::allow_all());
        assert!(rules_for("User-agent: *\nDisallow:\n", AGENT).allows("/anything"), "empty Disallow");
        assert!(rules_for("Disallow: /\n", AGENT).allows("/x"), "rules outside any group are ignored");
    }

    #[test]
    fn wildcards_anchors_and_ties() {
        let rules = rules_for(
            "User-agent: *\nDisallow: /*.php$\nDisallow: /search*q=\nAllow: /page\nDisallow: /page\nDisallow: /a*b*c\n",
            AGENT,
        );
        assert!(!rules.allows("/index.php"));
        assert!(rules.allows("/index.php?x=1"), "$ anchors the end");
        assert!(!rules.allows("/search?lang=de&q=acme"));
        assert!(rules.allows("/search?lang=de"));
        assert!(rules.allows("/page/2"), "Allow wins a tie");
        assert!(!rules.allows("/a-b-c"));
        assert!(rules.allows("/a-b"));
        // A hostile pattern against a long path finishes.
        let hostile = rules_for(&format!("User-agent: *\nDisallow: /{}x$\n", "*a".repeat(200)), AGENT);
        assert!(hostile.allows(&format!("/{}", "a".repeat(5000))));
    }

    #[test]
    fn crawl_delay_of_several_groups_takes_the_longest_and_ignores_junk() {
        let rules =
            rules_for("User-agent: hark\nCrawl-delay: 1\n\nUser-agent: hark\nCrawl-delay: 3\nCrawl-delay: -1\n", AGENT);
        assert_eq!(rules.crawl_delay, Some(Duration::from_secs(3)));
        assert_eq!(rules_for("User-agent: *\nCrawl-delay: soon\n", AGENT).crawl_delay, None);
    }
}
