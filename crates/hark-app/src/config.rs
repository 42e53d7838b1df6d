//! `hark.toml`: read raw, then validated as a whole.
//!
//! Parsing (TOML syntax, field types) fails fast with the parser's own location. Validation
//! then checks everything else and collects every problem with its path
//! (`sources[2].subreddits: must not be empty`) before failing, so a user fixes their file
//! in one go. Secrets never live in the file: fields ending in `_env` name the environment
//! variables that hold them.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use hark_core::SourceKind;
use serde::Deserialize;

/// The whole configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub brand: Option<Brand>,
    #[serde(default)]
    pub competitors: Vec<Competitor>,
    #[serde(default)]
    pub sources: Vec<SourceConfig>,
    #[serde(default)]
    pub matching: Matching,
}

/// `[matching]`: how sure customer matching must be to link an author by itself, and to
/// propose a link for a person to confirm.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Matching {
    /// Confidence at or above which a match is automatic.
    #[serde(default = "default_auto")]
    pub auto: f32,
    /// Confidence at or above which (and below `auto`) a match is proposed.
    #[serde(default = "default_propose")]
    pub propose: f32,
}

fn default_auto() -> f32 {
    hark_pipeline::matching::MatchConfig::default().auto_threshold
}

fn default_propose() -> f32 {
    hark_pipeline::matching::MatchConfig::default().propose_threshold
}

impl Default for Matching {
    fn default() -> Self {
        Self { auto: default_auto(), propose: default_propose() }
    }
}

impl Matching {
    /// The matching stage's settings.
    pub fn match_config(self) -> hark_pipeline::matching::MatchConfig {
        hark_pipeline::matching::MatchConfig {
            auto_threshold: self.auto,
            propose_threshold: self.propose,
            ..hark_pipeline::matching::MatchConfig::default()
        }
    }
}

/// The brand being listened for, named once for every stage.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Brand {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub products: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Competitor {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// One `[[sources]]` entry: the fields every kind shares, plus the kind's own fields, which
/// are checked against the kind's list in the connector registry.
#[derive(Debug, Clone, Deserialize)]
pub struct SourceConfig {
    pub id: String,
    pub kind: String,
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub interval: Option<String>,
    /// Requests per minute to this source's `base_url` host, for every source sharing it
    /// (defaults to the kind's documented limit).
    #[serde(default)]
    pub requests_per_minute: Option<std::num::NonZeroU32>,
    #[serde(flatten)]
    pub fields: BTreeMap<String, toml::Value>,
}

/// One problem in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub path: String,
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every problem found in a file, shown one per line.
#[derive(Debug, thiserror::Error)]
#[error("{} has {} problem{}:\n{}", .file.display(), .problems.len(), if .problems.len() == 1 { "" } else { "s" },
    .problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
pub struct InvalidConfig {
    pub file: PathBuf,
    pub problems: Vec<ConfigProblem>,
}

/// Where the configuration came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigOrigin {
    File,
    /// No file at the default path: an empty configuration.
    Default,
}

impl Config {
    /// Loads and validates `path`. A missing file is an error only when the user named it
    /// (`explicit`); at the default path it means "no sources yet".
    pub fn load(path: &Path, explicit: bool) -> anyhow::Result<(Self, ConfigOrigin)> {
        if !path.exists() && !explicit {
            return Ok((Self::default(), ConfigOrigin::Default));
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading configuration {} (create one with `hark init`)", path.display()))?;
        let config = Self::parse(&text, path)?;
        Ok((config, ConfigOrigin::File))
    }

    /// Parses and validates configuration text; `file` is only used in messages.
    pub fn parse(text: &str, file: &Path) -> anyhow::Result<Self> {
        let config: Config =
            toml::from_str(text).with_context(|| format!("{} is not a valid hark configuration", file.display()))?;
        let problems = config.validate();
        if !problems.is_empty() {
            return Err(InvalidConfig { file: file.to_owned(), problems }.into());
        }
        Ok(config)
    }

    /// Every problem in the configuration, in file order.
    pub fn validate(&self) -> Vec<ConfigProblem> {
        let mut problems = Problems::default();
        if let Some(brand) = &self.brand {
            if brand.name.trim().is_empty() {
                problems.push("brand.name", "must not be empty");
            }
            check_list(&mut problems, "brand.aliases", &brand.aliases);
            check_list(&mut problems, "brand.products", &brand.products);
        }
        for (index, competitor) in self.competitors.iter().enumerate() {
            if competitor.name.trim().is_empty() {
                problems.push(format!("competitors[{index}].name"), "must not be empty");
            }
            check_list(&mut problems, &format!("competitors[{index}].aliases"), &competitor.aliases);
        }
        let Matching { auto, propose } = self.matching;
        if !(auto > 0.0 && auto <= 1.0) {
            problems.push("matching.auto", "must be above 0 and at most 1");
        }
        if !(propose > 0.0 && propose <= auto) {
            problems.push("matching.propose", "must be above 0 and at most matching.auto");
        }
        let mut seen_ids = HashSet::new();
        for (index, source) in self.sources.iter().enumerate() {
            source.validate(&format!("sources[{index}]"), &mut seen_ids, &mut problems);
        }
        problems.0
    }
}

#[derive(Debug, Default)]
struct Problems(Vec<ConfigProblem>);

impl Problems {
    fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(ConfigProblem { path: path.into(), message: message.into() });
    }
}

fn check_list(problems: &mut Problems, path: &str, items: &[String]) {
    for (index, item) in items.iter().enumerate() {
        if item.trim().is_empty() {
            problems.push(format!("{path}[{index}]"), "must not be empty");
        }
    }
}

impl SourceConfig {
    fn validate(&self, path: &str, seen_ids: &mut HashSet<String>, problems: &mut Problems) {
        let id_ok = !self.id.is_empty()
            && self.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
        if !id_ok {
            problems.push(format!("{path}.id"), "must be letters, digits, '-', '_' or '.', and not empty");
        } else if !seen_ids.insert(self.id.clone()) {
            problems.push(format!("{path}.id"), format!("{:?} is used by another source; ids must be unique", self.id));
        }
        let Some(fields) = hark_connectors::find(&self.kind).map(|kind| kind.fields) else {
            problems.push(
                format!("{path}.kind"),
                format!("unknown kind {:?}; expected one of: {}", self.kind, SourceKind::KNOWN.join(", ")),
            );
            return;
        };
        if let Some(base_url) = &self.base_url
            && !(base_url.starts_with("http://") || base_url.starts_with("https://"))
        {
            problems.push(format!("{path}.base_url"), "must be an http:// or https:// URL");
        }
        if let Some(interval) = &self.interval {
            match parse_interval(interval) {
                Ok(duration) if duration < Duration::from_secs(10) => {
                    problems
                        .push(format!("{path}.interval"), "must be at least 10s: sources ban clients that poll faster");
                }
                Ok(_) => {}
                Err(message) => problems.push(format!("{path}.interval"), message),
            }
        }
        for (name, value) in &self.fields {
            let field_path = format!("{path}.{name}");
            if !fields.allowed.contains(&name.as_str()) {
                problems.push(
                    field_path,
                    format!("unknown field for kind {:?}; expected one of: {}", self.kind, fields.allowed.join(", ")),
                );
                continue;
            }
            check_field_value(name, value, &field_path, problems);
        }
        for required in fields.required {
            let present = match *required {
                "base_url" => self.base_url.is_some(),
                other => self.fields.contains_key(other),
            };
            if !present {
                problems.push(format!("{path}.{required}"), format!("is required for kind {:?}", self.kind));
            }
        }
        let has_entries = |name: &str| match self.fields.get(name) {
            Some(toml::Value::Array(items)) => !items.is_empty(),
            _ => false,
        };
        if !fields.needs_one_of.iter().any(|name| has_entries(name)) {
            // Name the field the user wrote (if any), so the message points at their line.
            let named = fields
                .needs_one_of
                .iter()
                .find(|name| self.fields.contains_key(**name))
                .unwrap_or(&fields.needs_one_of[0]);
            let message = if fields.needs_one_of.len() == 1 {
                "must not be empty".to_owned()
            } else {
                format!("must not be empty (set at least one of: {})", fields.needs_one_of.join(", "))
            };
            problems.push(format!("{path}.{named}"), message);
        }
    }
}

fn check_field_value(name: &str, value: &toml::Value, path: &str, problems: &mut Problems) {
    if name.ends_with("_env") {
        let valid = value.as_str().is_some_and(|var| {
            !var.is_empty()
                && var.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                && !var.starts_with(|c: char| c.is_ascii_digit())
        });
        if !valid {
            problems.push(
                path,
                "must name an environment variable (e.g. \"HARK_REDDIT_SECRET\"), never hold the secret itself",
            );
        }
        return;
    }
    match (name, value) {
        ("selectors", toml::Value::Table(table)) => {
            if !table.contains_key("item") {
                problems.push(format!("{path}.item"), "is required: the CSS selector of one post");
            }
            if !table.contains_key("body") {
                problems.push(format!("{path}.body"), "is required: the CSS selector of a post's text");
            }
        }
        ("selectors", _) => {
            problems.push(path, "must be a table of CSS selectors (item, title, body, author, date, link, next)");
        }
        ("site" | "user_agent", toml::Value::String(text)) if !text.trim().is_empty() => {}
        ("site" | "user_agent", _) => problems.push(path, "must be a non-empty string"),
        ("comments", toml::Value::Boolean(_)) => {}
        ("comments", _) => problems.push(path, "must be true or false"),
        ("max_pages", toml::Value::Integer(n)) if *n > 0 => {}
        ("max_pages", _) => problems.push(path, "must be a positive whole number"),
        (_, toml::Value::Array(items)) => {
            for (index, item) in items.iter().enumerate() {
                match item.as_str() {
                    Some(text) if !text.trim().is_empty() => {
                        if matches!(name, "feeds" | "pages")
                            && !(text.starts_with("http://") || text.starts_with("https://"))
                        {
                            problems.push(format!("{path}[{index}]"), "must be an http:// or https:// URL");
                        }
                    }
                    _ => problems.push(format!("{path}[{index}]"), "must be a non-empty string"),
                }
            }
        }
        _ => problems.push(path, "must be a list of strings"),
    }
}

/// Parses `30s`, `5m`, `1h`, `1h30m`, `1d`.
pub fn parse_interval(raw: &str) -> Result<Duration, String> {
    let error = || format!("{raw:?} is not a duration; write e.g. \"30s\", \"5m\", \"1h30m\"");
    let mut total = 0u64;
    let mut number = String::new();
    let mut saw_unit = false;
    for c in raw.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(error()),
        };
        let value: u64 = number.parse().map_err(|_| error())?;
        total = total.checked_add(value.checked_mul(unit).ok_or_else(error)?).ok_or_else(error)?;
        number.clear();
        saw_unit = true;
    }
    if !number.is_empty() || !saw_unit {
        return Err(error());
    }
    Ok(Duration::from_secs(total))
}

/// The commented file `hark init` writes: `hark.example.toml` at the top of the repository.
/// It must stay valid: a test parses it.
pub const TEMPLATE: &str = include_str!("../../../hark.example.toml");

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        let config: Config = toml::from_str(text).unwrap();
        config.validate().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn every_connector_example_is_a_valid_source() {
        for kind in hark_connectors::registry() {
            let config = Config::parse(kind.example, Path::new("example.toml")).unwrap();
            assert_eq!(config.sources[0].kind, kind.name);
        }
    }

    #[test]
    fn the_init_template_is_valid() {
        let config = Config::parse(TEMPLATE, Path::new("hark.toml")).unwrap();
        assert_eq!(config.sources.len(), 2);
        assert_eq!(config.brand.unwrap().name, "Acme CRM");
    }

    #[test]
    fn the_templates_commented_out_settings_are_valid_when_switched_on() {
        // Uncomment every commented setting (`# key = ...`, `# [[sources]]`, `# [matching]`).
        let switched_on: String = TEMPLATE
            .lines()
            .map(|line| match line.strip_prefix("# ") {
                Some(rest)
                    if rest.starts_with('[') || rest.split_once(" = ").is_some_and(|(key, _)| !key.contains(' ')) =>
                {
                    rest.to_owned()
                }
                _ => line.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        let config = Config::parse(&switched_on, Path::new("hark.toml")).unwrap_or_else(|err| panic!("{err}"));
        let mut kinds: Vec<&str> = config.sources.iter().map(|source| source.kind.as_str()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(kinds.len(), hark_connectors::registry().len(), "every kind has an example: {kinds:?}");
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let found = problems(
            r#"
            [[sources]]
            id = "a"
            kind = "hackernews"
            queries = ["x"]

            [[sources]]
            id = "a"
            kind = "rss"
            feeds = ["ftp://nope"]

            [[sources]]
            id = "r"
            kind = "reddit"
            subreddits = []
            interval = "soon"

            [[sources]]
            id = "m"
            kind = "mastodon"
            tags = ["x"]
            token_env = "my-secret-token"
            color = "blue"

            [[sources]]
            id = "z"
            kind = "twitter"
            "#,
        );
        assert_eq!(
            found,
            [
                r#"sources[1].id: "a" is used by another source; ids must be unique"#,
                "sources[1].feeds[0]: must be an http:// or https:// URL",
                r#"sources[2].interval: "soon" is not a duration; write e.g. "30s", "5m", "1h30m""#,
                "sources[2].subreddits: must not be empty (set at least one of: subreddits, queries)",
                r#"sources[3].color: unknown field for kind "mastodon"; expected one of: tags, queries, timelines, token_env"#,
                r#"sources[3].token_env: must name an environment variable (e.g. "HARK_REDDIT_SECRET"), never hold the secret itself"#,
                r#"sources[3].base_url: is required for kind "mastodon""#,
                r#"sources[4].kind: unknown kind "twitter"; expected one of: reddit, hackernews, mastodon, bluesky, stackexchange, rss, web"#,
            ]
        );
    }

    #[test]
    fn invalid_config_lists_every_problem() {
        let err = Config::parse("[[sources]]\nid = \"\"\nkind = \"hackernews\"\n", Path::new("x.toml")).unwrap_err();
        let message = format!("{err:#}");
        assert!(message.contains("x.toml has 2 problems"), "{message}");
        assert!(message.contains("sources[0].id"), "{message}");
        assert!(message.contains("sources[0].queries: must not be empty"), "{message}");
    }

    #[test]
    fn syntax_errors_name_the_file() {
        let err = Config::parse("[[sources]\n", Path::new("broken.toml")).unwrap_err();
        assert!(format!("{err:#}").contains("broken.toml is not a valid hark configuration"));
    }

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_interval("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_interval("2d"), Ok(Duration::from_secs(172_800)));
        for bad in ["", "5", "m", "5 minutes", "-5m", "99999999999999999999d"] {
            assert!(parse_interval(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn matching_thresholds_are_checked() {
        let fine = Config::parse("[matching]\nauto = 0.9\npropose = 0.5\n", Path::new("x.toml")).unwrap();
        assert_eq!(fine.matching.match_config().auto_threshold, 0.9);
        let defaults = Config::parse("", Path::new("x.toml")).unwrap();
        assert_eq!(defaults.matching.match_config().auto_threshold, 0.95);
        let err = Config::parse("[matching]\nauto = 0.5\npropose = 0.7\n", Path::new("x.toml")).unwrap_err();
        assert!(err.to_string().contains("matching.propose: must be above 0 and at most matching.auto"), "{err}");
        let err = Config::parse("[matching]\nauto = 1.5\n", Path::new("x.toml")).unwrap_err();
        assert!(err.to_string().contains("matching.auto: must be above 0 and at most 1"), "{err}");
    }
}
