//! The routing stage: which follow-up queue, if any, a mention goes to, and why.
//!
//! [`route`] is a pure function of the mention, its signals, the customer its author is
//! linked to, the configuration and the thresholds. It follows DESIGN.md's routing table,
//! first rule that applies wins (τc, τi: the complaint and intent thresholds; "customer": a
//! match that is automatic or confirmed; "possible customer": a proposed match):
//!
//! | # | condition | queue | tags |
//! |---|---|---|---|
//! | 1 | complaint ≥ τc by a customer | service | `competitor` when one is named (churn risk) |
//! | 2 | intent ≥ τi by a customer, complaint below τc − band | sales | `expansion` (never a prospect) |
//! | 3 | intent ≥ τi by a customer, complaint within the band below τc | community | a person checks before any offer |
//! | 4 | complaint ≥ τc or intent ≥ τi by a possible customer | community | `possible-customer`: confirm or reject the match |
//! | 5 | intent ≥ τi by a non-customer, no complaint | sales | a prospect; `competitor` when one is named |
//! | 6 | intent ≥ τi and complaint ≥ τc by a non-customer, a competitor named and not the brand | sales | unhappy with a competitor: `competitor` |
//! | 7 | complaint ≥ τc by a non-customer (with or without intent) | community | |
//! | 8 | negative sentiment and a competitor named | community | `competitor` |
//! | 9 | complaint or intent within `uncertainty_band` below its threshold | community | human triage decides |
//! | – | otherwise | no item | |
//!
//! Priority is an integer from 0 to 100, the sum of (clamped):
//! - the queue's base: service 40, sales 30, community 20;
//! - the customer's tier (customers only): high 25 (enterprise, platinum, gold, premium,
//!   strategic, vip, key, high), mid 15 (silver, pro, professional, business, growth, plus,
//!   standard, mid, medium), any other tier 5, none 0;
//! - 10 × the deciding score (complaint for service, intent for sales, the higher of the two
//!   in community);
//! - 15 × the negative sentiment probability;
//! - the author's reach: 0 under 100 followers, 3 under 1,000, 6 under 10,000, 8 under
//!   100,000, else 10;
//! - 10 when a competitor is named.
//!
//! The SLA (`due_at` = when routed + SLA) is the queue's (`[routing.sla]`), except for
//! service items of customers whose tier has its own (`[routing.tier_sla]`).
//!
//! [`RoutingStage`] applies `route` to stored mentions and writes the outcome with
//! [`Store::route_item`]: one item per mention, moved between queues as the inputs change
//! (a person confirms or rejects a match, a customer import changes who is a customer),
//! never deleted by routing. Routing the same inputs again changes nothing.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use hark_core::{Customer, CustomerId, MatchState, Mention, MentionId, Queue, Sentiment, Signals};
use hark_store::{RouteOutcome, RouteWrite, Store, StoreError};
use serde::Deserialize;

/// A competitor's name and the other ways people write it (from `[[competitors]]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompetitorNames {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
}

impl CompetitorNames {
    fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// A length of time in the configuration: a number and a unit (`90s`, `30m`, `4h`, `2d`,
/// `1w`), or several (`1h30m`); see [`parse_duration`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaSpan(pub Duration);

impl<'de> Deserialize<'de> for SlaSpan {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        parse_duration(&raw).map(SlaSpan).map_err(serde::de::Error::custom)
    }
}

/// Reads a duration such as `90s`, `30m`, `4h`, `2d`, `1w` or `1h30m` (units: s, m, h, d,
/// w); it must be longer than zero.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let invalid = || format!("invalid duration {raw:?}: write a number and a unit, e.g. 30m, 4h or 2d (s, m, h, d, w)");
    let text = raw.trim();
    if text.is_empty() {
        return Err(invalid());
    }
    let mut total = Duration::zero();
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return Err(invalid());
        }
        let amount: i64 = rest[..digits].parse().map_err(|_| invalid())?;
        let unit = rest[digits..].chars().next().ok_or_else(invalid)?;
        let seconds_per_unit = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(invalid()),
        };
        let seconds = amount.checked_mul(seconds_per_unit).ok_or_else(invalid)?;
        total = total.checked_add(&Duration::try_seconds(seconds).ok_or_else(invalid)?).ok_or_else(invalid)?;
        rest = &rest[digits + unit.len_utf8()..];
    }
    if total <= Duration::zero() {
        return Err(format!("invalid duration {raw:?}: it must be longer than zero"));
    }
    Ok(total)
}

/// How long each queue has before an item is overdue: `sla = { service = "4h", sales =
/// "24h", community = "48h" }` (the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueueSla {
    pub service: SlaSpan,
    pub sales: SlaSpan,
    pub community: SlaSpan,
}

impl Default for QueueSla {
    fn default() -> Self {
        Self {
            service: SlaSpan(Duration::hours(4)),
            sales: SlaSpan(Duration::hours(24)),
            community: SlaSpan(Duration::hours(48)),
        }
    }
}

impl QueueSla {
    pub fn for_queue(&self, queue: Queue) -> Duration {
        match queue {
            Queue::Service => self.service.0,
            Queue::Sales => self.sales.0,
            Queue::Community => self.community.0,
        }
    }
}

/// The `[routing]` table of `hark.toml`. Every field has a default:
///
/// ```toml
/// [routing]
/// complaint_threshold = 0.8      # default: the complaint head's own threshold (else 0.5)
/// intent_threshold = 0.7         # default: the intent head's own threshold (else 0.5)
/// uncertainty_band = 0.15        # scores this close below a threshold go to community
/// sla = { service = "4h", sales = "24h", community = "48h" }
/// tier_sla = { enterprise = "1h", gold = "2h" }   # service items of these CRM tiers
/// ```
///
/// Competitors and the brand's names come from `[[competitors]]` and `[brand]`, which every
/// stage shares; the configuration loader fills them in.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoutingConfig {
    pub complaint_threshold: Option<f32>,
    pub intent_threshold: Option<f32>,
    pub uncertainty_band: f32,
    pub sla: QueueSla,
    /// SLA of service items by customer tier (keys compared case-insensitively with the
    /// CRM's tier, whole or one of its words: `enterprise` covers "Enterprise Plus").
    pub tier_sla: BTreeMap<String, SlaSpan>,
    #[serde(skip)]
    pub competitors: Vec<CompetitorNames>,
    /// The brand's name and aliases.
    #[serde(skip)]
    pub brand_names: Vec<String>,
}

impl Default for RoutingConfig {
    fn default() -> Self {
        Self {
            complaint_threshold: None,
            intent_threshold: None,
            uncertainty_band: 0.15,
            sla: QueueSla::default(),
            tier_sla: BTreeMap::new(),
            competitors: Vec::new(),
            brand_names: Vec::new(),
        }
    }
}

impl RoutingConfig {
    /// What is wrong with the values, as (field, problem) pairs; empty when all is well.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        for (field, value) in
            [("complaint_threshold", self.complaint_threshold), ("intent_threshold", self.intent_threshold)]
        {
            if let Some(value) = value {
                if !(value > 0.0 && value <= 1.0) {
                    problems.push((field.to_owned(), format!("must be above 0 and at most 1, not {value}")));
                }
            }
        }
        if !(0.0..0.5).contains(&self.uncertainty_band) {
            problems.push((
                "uncertainty_band".to_owned(),
                format!("must be at least 0 and below 0.5, not {}", self.uncertainty_band),
            ));
        }
        for key in self.tier_sla.keys() {
            if key.trim().is_empty() {
                problems.push(("tier_sla".to_owned(), "tier names must not be empty".to_owned()));
            }
        }
        problems
    }

    /// The thresholds to route by: the configured ones, else the classifier heads' own
    /// (`heads`: complaint, intent), else 0.5.
    pub fn thresholds(&self, heads: Option<(f32, f32)>) -> Thresholds {
        Thresholds {
            complaint: self.complaint_threshold.or(heads.map(|heads| heads.0)).unwrap_or(0.5),
            intent: self.intent_threshold.or(heads.map(|heads| heads.1)).unwrap_or(0.5),
        }
    }

    fn service_sla(&self, tier: Option<&str>) -> Duration {
        let tier = tier.map(str::trim).map(str::to_lowercase).unwrap_or_default();
        if tier.is_empty() {
            return self.sla.service.0;
        }
        let words: Vec<&str> = tier.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
        let matches = |key: &str| {
            let key = key.trim().to_lowercase();
            key == tier || words.contains(&key.as_str())
        };
        // An exact tier name wins over a word of it ("gold plus" before "gold").
        let exact = self.tier_sla.iter().find(|(key, _)| key.trim().to_lowercase() == tier);
        exact
            .or_else(|| self.tier_sla.iter().find(|(key, _)| matches(key)))
            .map_or(self.sla.service.0, |(_, span)| span.0)
    }
}

/// The decision thresholds of the complaint and intent signals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub complaint: f32,
    pub intent: f32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self { complaint: 0.5, intent: 0.5 }
    }
}

/// The customer a mention's author is linked to, and how surely.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerLink {
    pub customer: Customer,
    /// `auto` or `confirmed`: a customer; `proposed`: possibly; `rejected`: not.
    pub state: MatchState,
    pub confidence: f32,
}

/// Where a mention goes and why.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteDecision {
    pub queue: Queue,
    pub reason: String,
    /// 0 to 100 (see the module documentation).
    pub priority: i32,
    /// Sorted.
    pub tags: Vec<String>,
    /// The customer (or, with the `possible-customer` tag, the proposed one).
    pub customer_id: Option<CustomerId>,
    /// How long until the item is overdue.
    pub sla: Duration,
}

impl RouteDecision {
    pub fn due_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + self.sla
    }
}

/// Tier words, most valuable first.
const HIGH_TIERS: &[&str] = &["enterprise", "platinum", "gold", "premium", "strategic", "vip", "key", "high"];
const MID_TIERS: &[&str] =
    &["silver", "pro", "professional", "business", "growth", "plus", "standard", "mid", "medium"];

/// Priority points of a CRM tier: high 25, mid 15, other 5, none 0.
pub fn tier_points(tier: Option<&str>) -> i32 {
    let Some(tier) = tier.map(str::to_lowercase).filter(|tier| !tier.trim().is_empty()) else { return 0 };
    let words: Vec<&str> = tier.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    if words.iter().any(|word| HIGH_TIERS.contains(word)) {
        25
    } else if words.iter().any(|word| MID_TIERS.contains(word)) {
        15
    } else {
        5
    }
}

fn reach_points(reach: Option<i64>) -> i32 {
    match reach.unwrap_or(0) {
        ..100 => 0,
        100..1_000 => 3,
        1_000..10_000 => 6,
        10_000..100_000 => 8,
        _ => 10,
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `haystack` (lower case, whitespace collapsed) names `term` as a whole word or
/// phrase, case-insensitively.
fn names_term(haystack: &str, term: &str) -> bool {
    let term = normalize_text(term);
    if term.is_empty() {
        return false;
    }
    let mut from = 0;
    while let Some(found) = haystack[from..].find(&term) {
        let start = from + found;
        let end = start + term.len();
        let clear_before = haystack[..start].chars().next_back().is_none_or(|c| !is_word_char(c));
        let clear_after = haystack[end..].chars().next().is_none_or(|c| !is_word_char(c));
        if clear_before && clear_after {
            return true;
        }
        from = start + term.chars().next().map_or(1, char::len_utf8);
    }
    false
}

fn normalize_text(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// The first configured competitor the mention names (title or text).
fn competitor_named<'a>(mention: &Mention, config: &'a RoutingConfig) -> Option<&'a CompetitorNames> {
    if config.competitors.is_empty() {
        return None;
    }
    let text = normalize_text(&format!("{} {}", mention.title.as_deref().unwrap_or(""), mention.text));
    config.competitors.iter().find(|competitor| competitor.names().any(|name| names_term(&text, name)))
}

fn brand_named(mention: &Mention, config: &RoutingConfig) -> bool {
    if config.brand_names.is_empty() {
        return false;
    }
    let text = normalize_text(&format!("{} {}", mention.title.as_deref().unwrap_or(""), mention.text));
    config.brand_names.iter().any(|name| names_term(&text, name))
}

fn who(customer: &Customer) -> String {
    format!("{} ({})", customer.crm_ref, customer.name)
}

/// Routes one mention (see the module documentation for the rules, priority and SLA).
pub fn route(
    mention: &Mention,
    signals: &Signals,
    customer: Option<&CustomerLink>,
    config: &RoutingConfig,
    thresholds: Thresholds,
) -> Option<RouteDecision> {
    let band = config.uncertainty_band;
    let (c, i) = (signals.complaint, signals.intent);
    let (complaint, intent) = (c >= thresholds.complaint, i >= thresholds.intent);
    let near_complaint = !complaint && c >= thresholds.complaint - band;
    let near_intent = !intent && i >= thresholds.intent - band;
    let known = customer.filter(|link| matches!(link.state, MatchState::Auto | MatchState::Confirmed));
    let possible = customer.filter(|link| link.state == MatchState::Proposed);
    let competitor = competitor_named(mention, config);
    let negative = signals.sentiment == Sentiment::Negative;

    let mut tags: Vec<&str> = Vec::new();
    let (queue, mut reason, score) = if let (true, Some(link)) = (complaint, known) {
        (Queue::Service, format!("complaint {c:.2} by customer {}", who(&link.customer)), c)
    } else if let (true, Some(link)) = (intent, known) {
        if near_complaint {
            let reason = format!(
                "buying intent {i:.2} by customer {}, but complaint {c:.2} is near its threshold {:.2}: check before any offer",
                who(&link.customer),
                thresholds.complaint
            );
            (Queue::Community, reason, i.max(c))
        } else {
            tags.push("expansion");
            (Queue::Sales, format!("expansion: buying intent {i:.2} by customer {}", who(&link.customer)), i)
        }
    } else if let (true, Some(link)) = (complaint || intent, possible) {
        tags.push("possible-customer");
        let flagged = flagged_scores(complaint.then_some(c), intent.then_some(i));
        let reason = format!(
            "{flagged} by a possible customer {} (match proposed, confidence {:.2}): confirm or reject the match",
            who(&link.customer),
            link.confidence
        );
        (Queue::Community, reason, c.max(i))
    } else if intent && !complaint {
        (Queue::Sales, format!("buying intent {i:.2} by a non-customer"), i)
    } else if intent && complaint && competitor.is_some() && !brand_named(mention, config) {
        (Queue::Sales, format!("buying intent {i:.2} and complaint {c:.2} by a non-customer"), i)
    } else if complaint {
        let flagged = flagged_scores(Some(c), intent.then_some(i));
        (Queue::Community, format!("{flagged} by a non-customer"), c.max(i))
    } else if let (true, Some(named)) = (negative, competitor) {
        let reason = format!(
            "negative mention of competitor {} (negative {:.2})",
            named.name, signals.sentiment_scores.negative
        );
        (Queue::Community, reason, c.max(i))
    } else if near_complaint || near_intent {
        let mut parts = Vec::new();
        if near_complaint {
            parts.push(format!("complaint {c:.2} (threshold {:.2})", thresholds.complaint));
        }
        if near_intent {
            parts.push(format!("buying intent {i:.2} (threshold {:.2})", thresholds.intent));
        }
        let mut reason = format!("uncertain: {} within {band:.2} below the threshold", parts.join(" and "));
        if let Some(link) = known {
            let _ = write!(reason, ", by customer {}", who(&link.customer));
        } else if let Some(link) = possible {
            tags.push("possible-customer");
            let _ = write!(reason, ", by a possible customer {}", who(&link.customer));
        }
        (Queue::Community, reason, c.max(i))
    } else {
        return None;
    };

    if let Some(named) = competitor {
        tags.push("competitor");
        if !reason.contains(&named.name) {
            let _ = write!(reason, "; names competitor {}", named.name);
            if queue == Queue::Service {
                reason.push_str(" (churn risk)");
            }
        }
    }
    let routed_customer = match queue {
        Queue::Community if tags.contains(&"possible-customer") => possible,
        _ => known,
    };
    let tier = known.and_then(|link| link.customer.tier.as_deref());
    let base = match queue {
        Queue::Service => 40,
        Queue::Sales => 30,
        Queue::Community => 20,
    };
    let priority = base
        + tier_points(tier)
        + (10.0 * score.clamp(0.0, 1.0)).round() as i32
        + (15.0 * signals.sentiment_scores.negative.clamp(0.0, 1.0)).round() as i32
        + reach_points(mention.author.reach)
        + if competitor.is_some() { 10 } else { 0 };
    let sla = match queue {
        Queue::Service => config.service_sla(tier),
        other => config.sla.for_queue(other),
    };
    let mut tags: Vec<String> = tags.into_iter().map(str::to_owned).collect();
    tags.sort();
    tags.dedup();
    Some(RouteDecision {
        queue,
        reason,
        priority: priority.clamp(0, 100),
        tags,
        customer_id: routed_customer.map(|link| link.customer.id.clone()),
        sla,
    })
}

/// "complaint 0.91", "buying intent 0.80", or both joined by "and".
fn flagged_scores(complaint: Option<f32>, intent: Option<f32>) -> String {
    let parts: Vec<String> = complaint
        .map(|c| format!("complaint {c:.2}"))
        .into_iter()
        .chain(intent.map(|i| format!("buying intent {i:.2}")))
        .collect();
    parts.join(" and ")
}

/// What a routing pass did, counted per mention.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoutingSummary {
    /// New items.
    pub created: usize,
    /// Items moved to another queue.
    pub rerouted: usize,
    /// Items whose reason, priority, tags or customer changed in the same queue.
    pub updated: usize,
    pub unchanged: usize,
    /// Mentions routing sends nowhere (an existing item is left as it is).
    pub no_queue: usize,
    /// Mentions without signals, not routed.
    pub unscored: usize,
    /// Mentions routed to each queue in this pass.
    pub service: usize,
    pub sales: usize,
    pub community: usize,
}

impl RoutingSummary {
    /// Mentions routed to `queue` in this pass.
    pub fn to_queue(&self, queue: Queue) -> usize {
        match queue {
            Queue::Service => self.service,
            Queue::Sales => self.sales,
            Queue::Community => self.community,
        }
    }

    /// Adds another pass's counts.
    pub fn absorb(&mut self, other: &RoutingSummary) {
        self.created += other.created;
        self.rerouted += other.rerouted;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.no_queue += other.no_queue;
        self.unscored += other.unscored;
        self.service += other.service;
        self.sales += other.sales;
        self.community += other.community;
    }

    fn count(&mut self, queue: Queue, outcome: RouteOutcome) {
        match queue {
            Queue::Service => self.service += 1,
            Queue::Sales => self.sales += 1,
            Queue::Community => self.community += 1,
        }
        match outcome {
            RouteOutcome::Created(_) => self.created += 1,
            RouteOutcome::Rerouted { .. } => self.rerouted += 1,
            RouteOutcome::Updated(_) => self.updated += 1,
            RouteOutcome::Unchanged(_) => self.unchanged += 1,
        }
    }
}

/// Who routes and why, for the items' history.
#[derive(Debug, Clone, Copy)]
pub struct RouteTrigger<'a> {
    /// `routing` for the pipeline, a person's name when their decision re-routes.
    pub actor: &'a str,
    /// E.g. "customer match confirmed by alice".
    pub cause: Option<&'a str>,
}

impl RouteTrigger<'_> {
    /// The pipeline routing what it just stored.
    pub const PIPELINE: RouteTrigger<'static> = RouteTrigger { actor: "routing", cause: None };
}

/// How much a match says the author is the customer: confirmed, then automatic, then
/// proposed.
fn link_rank(state: MatchState) -> u8 {
    match state {
        MatchState::Confirmed => 3,
        MatchState::Auto => 2,
        MatchState::Proposed => 1,
        MatchState::Rejected => 0,
    }
}

/// Mentions read per batch.
const BATCH: usize = 500;

/// The routing stage: [`route`] over stored mentions, written to the queues.
#[derive(Debug, Clone, Default)]
pub struct RoutingStage {
    config: Arc<RoutingConfig>,
}

impl RoutingStage {
    pub fn new(config: RoutingConfig) -> Self {
        Self { config: Arc::new(config) }
    }

    pub fn config(&self) -> &RoutingConfig {
        &self.config
    }

    /// Routes the mentions `ids` (those without signals are skipped) by the pipeline.
    pub async fn route_mentions(
        &self,
        store: &Store,
        ids: &[MentionId],
        thresholds: Thresholds,
        now: DateTime<Utc>,
    ) -> Result<RoutingSummary, StoreError> {
        self.route_mentions_for(store, ids, thresholds, RouteTrigger::PIPELINE, now).await
    }

    /// Routes the mentions `ids`, recording `trigger` in the history of items that move.
    /// Each mention's customer is its best match: confirmed, else automatic (a customer),
    /// else proposed (a possible customer); rejected matches count for nothing.
    pub async fn route_mentions_for(
        &self,
        store: &Store,
        ids: &[MentionId],
        thresholds: Thresholds,
        trigger: RouteTrigger<'_>,
        now: DateTime<Utc>,
    ) -> Result<RoutingSummary, StoreError> {
        let mut summary = RoutingSummary::default();
        let mut customers: HashMap<CustomerId, Option<Customer>> = HashMap::new();
        for chunk in ids.chunks(BATCH) {
            let mentions = store.mentions_by_ids(chunk).await?;
            let scored: Vec<MentionId> =
                mentions.iter().filter(|mention| mention.signals.is_some()).map(|mention| mention.id.clone()).collect();
            summary.unscored += mentions.len() - scored.len();
            let mut best: HashMap<MentionId, (MatchState, f32, CustomerId)> = HashMap::new();
            for found in store.matches_for_mentions(&scored).await? {
                if found.state == MatchState::Rejected {
                    continue;
                }
                let candidate = (link_rank(found.state), found.confidence);
                let better = match best.get(&found.mention_id) {
                    None => true,
                    Some((state, confidence, customer)) => {
                        let current = (link_rank(*state), *confidence);
                        candidate > current || (candidate == current && found.customer_id < *customer)
                    }
                };
                if better {
                    best.insert(found.mention_id.clone(), (found.state, found.confidence, found.customer_id));
                }
            }
            let mut decided = Vec::new();
            for mention in &mentions {
                let Some(signals) = &mention.signals else { continue };
                let link = match best.get(&mention.id) {
                    Some((state, confidence, customer_id)) => {
                        if !customers.contains_key(customer_id) {
                            let record = store.customer(customer_id.as_str()).await?;
                            customers.insert(customer_id.clone(), record);
                        }
                        customers.get(customer_id).cloned().flatten().map(|customer| CustomerLink {
                            customer,
                            state: *state,
                            confidence: *confidence,
                        })
                    }
                    None => None,
                };
                let Some(decision) = route(mention, signals, link.as_ref(), &self.config, thresholds) else {
                    summary.no_queue += 1;
                    continue;
                };
                decided.push((&mention.id, decision));
            }
            // The chunk's decisions in one transaction.
            let writes: Vec<RouteWrite<'_>> = decided
                .iter()
                .map(|(mention_id, decision)| RouteWrite {
                    mention_id,
                    queue: decision.queue,
                    reason: &decision.reason,
                    priority: decision.priority,
                    due_at: Some(decision.due_at(now)),
                    tags: &decision.tags,
                    customer_id: decision.customer_id.as_ref(),
                    actor: trigger.actor,
                    cause: trigger.cause,
                    now,
                })
                .collect();
            for ((_, decision), outcome) in decided.iter().zip(store.route_items(&writes).await?) {
                summary.count(decision.queue, outcome);
            }
        }
        Ok(summary)
    }
}

#[cfg(test)]
mod tests;
