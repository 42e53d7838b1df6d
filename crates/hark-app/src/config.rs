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
    /// `[routing]`: which flagged mention goes to which queue, and each queue's SLA.
    #[serde(default)]
    pub routing: hark_pipeline::routing::RoutingConfig,
    /// `[[webhooks]]`: where alerts are POSTed.
    #[serde(default)]
    pub webhooks: Vec<WebhookConfig>,
    /// `[alerts]`: retries, delivery cadence and spike alerts.
    #[serde(default)]
    pub alerts: AlertsConfig,
    /// `[store]`: where the system of record lives.
    #[serde(default)]
    pub store: StoreConfig,
    /// `[bus]`: the page stream between fetchers and process workers.
    #[serde(default)]
    pub bus: BusConfig,
}

/// `[bus]`: the NATS JetStream server that carries pages from `hark run --role fetch` to
/// `hark run --role process` when hark runs as several processes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusConfig {
    /// `nats://host:4222`; `HARK_BUS_URL` overrides it.
    #[serde(default)]
    pub url: Option<String>,
    /// How long a post a process worker saved may stay unrouted before another worker routes
    /// it (its worker died between saving and routing); default 2m. Shorter settles a killed
    /// worker's posts sooner and repeats more of a live worker's routing (harmless, but work).
    #[serde(default)]
    pub settle_after: Option<String>,
}

impl BusConfig {
    /// How long saved posts wait unrouted before another process settles them.
    pub fn settle_after(&self) -> Duration {
        duration_or(
            self.settle_after.as_deref(),
            hark_pipeline::LEFTOVER_AGE.to_std().unwrap_or(Duration::from_secs(120)),
        )
    }

    /// The bus URL in effect: `HARK_BUS_URL` when set, else `url`.
    pub fn effective_url(&self) -> Option<String> {
        std::env::var(hark_bus::BUS_URL_ENV)
            .ok()
            .filter(|url| !url.trim().is_empty())
            .or_else(|| self.url.clone().filter(|url| !url.trim().is_empty()))
    }
}

/// `[store]`: the data directory's SQLite file (the default), or a PostgreSQL database shared
/// by several hark processes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// `postgres://user:password@host:port/database`; `HARK_STORE_URL` overrides it.
    #[serde(default)]
    pub url: Option<String>,
    /// Set by `hark demo`, which always runs on a SQLite file of its own: the URL and
    /// `HARK_STORE_URL` are ignored.
    #[serde(skip)]
    pub embedded_only: bool,
}

impl StoreConfig {
    /// The store URL in effect: `HARK_STORE_URL` when set, else `url`; `None` means the data
    /// directory's SQLite file.
    pub fn effective_url(&self) -> Option<String> {
        if self.embedded_only {
            return None;
        }
        std::env::var(hark_store::STORE_URL_ENV)
            .ok()
            .filter(|url| !url.trim().is_empty())
            .or_else(|| self.url.clone().filter(|url| !url.trim().is_empty()))
    }
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
    /// The routing stage's settings, with the brand and competitors named once in the file.
    pub fn routing_config(&self) -> hark_pipeline::routing::RoutingConfig {
        let mut routing = self.routing.clone();
        routing.competitors = self
            .competitors
            .iter()
            .map(|competitor| hark_pipeline::routing::CompetitorNames {
                name: competitor.name.clone(),
                aliases: competitor.aliases.clone(),
            })
            .collect();
        routing.brand_names = self
            .brand
            .iter()
            .flat_map(|brand| std::iter::once(brand.name.clone()).chain(brand.aliases.iter().cloned()))
            .collect();
        routing
    }

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
        for (field, message) in self.routing.problems() {
            problems.push(format!("routing.{field}"), message);
        }
        let mut seen_ids = HashSet::new();
        for (index, source) in self.sources.iter().enumerate() {
            source.validate(&format!("sources[{index}]"), &mut seen_ids, &mut problems);
        }
        validate_alerts(&self.webhooks, &self.alerts, &mut problems);
        check_duration(&mut problems, "bus.settle_after", self.bus.settle_after.as_deref(), Duration::from_secs(1));
        let store_url = self.store.url.as_deref().filter(|url| !url.trim().is_empty());
        if store_url.is_some_and(|url| hark_store::engine_of(url).is_none()) {
            problems.push("store.url", "must start with postgres:// (or sqlite://)");
        }
        let bus_url = self.bus.url.as_deref().filter(|url| !url.trim().is_empty());
        if bus_url.is_some_and(|url| !url.starts_with("nats://") && !url.starts_with("tls://")) {
            problems.push("bus.url", "must start with nats:// (or tls://)");
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
        if !value.as_str().is_some_and(is_env_var_name) {
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

/// Whether `var` is an environment variable's name (`HARK_WEBHOOK_OPS_SECRET`): upper-case
/// letters, digits and `_`, not starting with a digit.
fn is_env_var_name(var: &str) -> bool {
    !var.is_empty()
        && var.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && !var.starts_with(|c: char| c.is_ascii_digit())
}

/// One `[[webhooks]]` entry: where alerts are POSTed, signed with the secret held in the
/// environment variable `secret_env`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Names the webhook's deliveries (`hark alerts replay --target ID`).
    pub id: String,
    pub url: String,
    /// The environment variable holding the signing secret.
    pub secret_env: String,
    /// `json` (default) or `slack`.
    #[serde(default)]
    pub format: Option<String>,
    /// Topics to send (`item.created`, `item.rerouted`, `spike`); empty: all of them.
    #[serde(default)]
    pub topics: Vec<String>,
}

impl WebhookConfig {
    /// The body format (JSON unless `slack`; validation refuses other names).
    pub fn format(&self) -> hark_pipeline::notify::WebhookFormat {
        self.format.as_deref().and_then(hark_pipeline::notify::WebhookFormat::parse).unwrap_or_default()
    }
}

/// `[alerts]`: how webhook deliveries are retried and how often `hark serve` delivers.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    /// The first retry's longest wait (default 30s); each failure doubles it.
    #[serde(default)]
    pub retry_base: Option<String>,
    /// The longest wait between attempts (default 1h).
    #[serde(default)]
    pub retry_max: Option<String>,
    /// Failed attempts before a delivery is a dead letter (default 10).
    #[serde(default)]
    pub max_attempts: Option<u32>,
    /// How often the server delivers what is due (default 10s).
    #[serde(default)]
    pub deliver_every: Option<String>,
    /// `[[alerts.spikes]]`: alerts when mentions matching a query surge.
    #[serde(default)]
    pub spikes: Vec<SpikeConfig>,
}

/// One `[[alerts.spikes]]` entry: a `spike` event when the mentions matching `query` in the
/// last `window` are `factor` times the mean of the 24 windows before (and at least
/// `min_count`), at most once per `cooldown`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpikeConfig {
    pub name: String,
    /// A search query (the `hark search` language).
    pub query: String,
    #[serde(default)]
    pub window: Option<String>,
    #[serde(default)]
    pub factor: Option<f64>,
    #[serde(default)]
    pub min_count: Option<u64>,
    #[serde(default)]
    pub cooldown: Option<String>,
}

/// A duration field: its value, or `default` when unset (or invalid: validation reports it).
fn duration_or(raw: Option<&str>, default: Duration) -> Duration {
    raw.and_then(|raw| parse_interval(raw).ok()).unwrap_or(default)
}

impl AlertsConfig {
    /// The retry policy of webhook deliveries.
    pub fn retry_policy(&self) -> hark_pipeline::notify::RetryPolicy {
        let default = hark_pipeline::notify::RetryPolicy::default();
        hark_pipeline::notify::RetryPolicy {
            base: duration_or(self.retry_base.as_deref(), default.base),
            max: duration_or(self.retry_max.as_deref(), default.max),
            max_attempts: self.max_attempts.unwrap_or(default.max_attempts),
        }
    }

    /// How often the server runs a delivery pass.
    pub fn deliver_every(&self) -> Duration {
        duration_or(self.deliver_every.as_deref(), Duration::from_secs(10))
    }
}

impl SpikeConfig {
    pub fn window(&self) -> Duration {
        duration_or(self.window.as_deref(), Duration::from_secs(3600))
    }

    pub fn factor(&self) -> f64 {
        self.factor.unwrap_or(3.0)
    }

    pub fn min_count(&self) -> u64 {
        self.min_count.unwrap_or(5)
    }

    pub fn cooldown(&self) -> Duration {
        duration_or(self.cooldown.as_deref(), Duration::from_secs(6 * 3600))
    }
}

fn check_duration(problems: &mut Problems, path: &str, raw: Option<&str>, min: Duration) {
    let Some(raw) = raw else { return };
    match parse_interval(raw) {
        Ok(duration) if duration < min => problems.push(path, format!("must be at least {}s", min.as_secs())),
        Ok(_) => {}
        Err(message) => problems.push(path, message),
    }
}

fn check_id(problems: &mut Problems, path: &str, id: &str, seen: &mut HashSet<String>, what: &str) {
    let ok = !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if !ok {
        problems.push(path, "must be letters, digits, '-', '_' or '.', and not empty");
    } else if !seen.insert(id.to_owned()) {
        problems.push(path, format!("{id:?} is used by another {what}; names must be unique"));
    }
}

fn validate_alerts(webhooks: &[WebhookConfig], alerts: &AlertsConfig, problems: &mut Problems) {
    let mut seen = HashSet::new();
    for (index, webhook) in webhooks.iter().enumerate() {
        let path = format!("webhooks[{index}]");
        check_id(problems, &format!("{path}.id"), &webhook.id, &mut seen, "webhook");
        let url_ok = (webhook.url.starts_with("http://") || webhook.url.starts_with("https://"))
            && hark_connectors::http::host_of(&webhook.url).is_some();
        if !url_ok {
            problems.push(format!("{path}.url"), "must be an http:// or https:// URL");
        }
        if !is_env_var_name(&webhook.secret_env) {
            problems.push(
                format!("{path}.secret_env"),
                "must name an environment variable (e.g. \"HARK_WEBHOOK_OPS_SECRET\"), never hold the secret itself",
            );
        }
        if let Some(format) = &webhook.format
            && hark_pipeline::notify::WebhookFormat::parse(format).is_none()
        {
            problems.push(format!("{path}.format"), format!("unknown format {format:?}; expected json or slack"));
        }
        for (topic_index, topic) in webhook.topics.iter().enumerate() {
            if !hark_pipeline::notify::TOPICS.contains(&topic.as_str()) {
                problems.push(
                    format!("{path}.topics[{topic_index}]"),
                    format!("unknown topic {topic:?}; expected one of: {}", hark_pipeline::notify::TOPICS.join(", ")),
                );
            }
        }
    }
    check_duration(problems, "alerts.retry_base", alerts.retry_base.as_deref(), Duration::from_secs(1));
    check_duration(problems, "alerts.retry_max", alerts.retry_max.as_deref(), Duration::from_secs(1));
    if alerts.retry_policy().max < alerts.retry_policy().base {
        problems.push("alerts.retry_max", "must be at least alerts.retry_base");
    }
    if alerts.max_attempts == Some(0) {
        problems.push("alerts.max_attempts", "must be at least 1");
    }
    check_duration(problems, "alerts.deliver_every", alerts.deliver_every.as_deref(), Duration::from_secs(1));
    let mut names = HashSet::new();
    for (index, spike) in alerts.spikes.iter().enumerate() {
        let path = format!("alerts.spikes[{index}]");
        check_id(problems, &format!("{path}.name"), &spike.name, &mut names, "spike alert");
        if let Err(err) = hark_index::query::parse(&spike.query) {
            problems.push(format!("{path}.query"), format!("invalid query: {err}"));
        }
        check_duration(problems, &format!("{path}.window"), spike.window.as_deref(), Duration::from_secs(60));
        check_duration(problems, &format!("{path}.cooldown"), spike.cooldown.as_deref(), Duration::ZERO);
        if !(spike.factor() > 1.0 && spike.factor().is_finite()) {
            problems.push(format!("{path}.factor"), "must be a number above 1");
        }
        if spike.min_count() == 0 {
            problems.push(format!("{path}.min_count"), "must be at least 1");
        }
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
