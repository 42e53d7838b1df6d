//! Customer matching: who, among the CRM's customers, wrote a mention.
//!
//! Matching works per author, not per post: all the mentions of one author (one handle on
//! one source kind, or one email address where the source gives no handle) are read
//! together, so an email address in one post or a company named in another identifies the
//! author's every post. For each author [`Matcher::decide`] gathers candidates by every
//! method and keeps the best:
//!
//! | method | evidence | confidence |
//! |---|---|---|
//! | handle | the CRM's handle for this source kind | 1.0 (0.8 if several customers share it) |
//! | email | an address from the author's profile | 0.99 |
//! | email | an address written in a post, and the display name agrees | 0.97 (0.75 with no name) |
//! | domain | the author's organisation domain (profile email or URL) and the full name agree | 0.97 |
//! | domain | the domain of a one-customer company, no name given | 0.70 |
//! | name_company | full name equal and the customer's company named in a post or profile | 0.96 |
//! | name_company | full name close (Jon / John) and the company named | 0.85 |
//! | name_company | full name equal and one of the customer's products named | 0.70 |
//! | manual | a person confirmed or linked another mention of the author | 0.99 |
//!
//! Webmail domains never count, a domain shared by several customers needs the name to
//! agree, a first name alone never matches, and a full name alone is not enough. At or above
//! [`MatchConfig::auto_threshold`] a match is `auto`; down to
//! [`MatchConfig::propose_threshold`] it is `proposed`; below, there is none. When two
//! customers come within [`MatchConfig::ambiguity_margin`] of each other the best is only
//! proposed. Customers a person rejected for the author are never candidates.
//!
//! [`MatchingStage`] runs this after mentions are stored (new authors and those with new
//! posts) and over everything after a customer import, writing the machine's matches and the
//! authors' prospect records through the store. People's decisions (confirm, reject, link,
//! undo) go through [`decide`] and re-evaluate the author at once.

pub mod eval;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use hark_core::contact::{normalize_domain, normalize_email};
use hark_core::{Customer, CustomerId, Match, MatchMethod, MatchState, Mention, MentionId};
use hark_index::customers::text::{self, TokenText};
use hark_index::customers::{CustomerIndex, CustomerIndexError, CustomerOrd, is_shared_provider};
use hark_store::{AuthorRef, DecisionResult, Store, StoreError};

use crate::prospects::{self, ProspectConfig};

/// Thresholds of the matcher.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchConfig {
    /// At or above: the match is automatic.
    pub auto_threshold: f32,
    /// At or above (and below `auto_threshold`): proposed for a person to confirm.
    pub propose_threshold: f32,
    /// A runner-up this close to the best makes the best only a proposal.
    pub ambiguity_margin: f32,
}

impl Default for MatchConfig {
    fn default() -> Self {
        Self { auto_threshold: 0.95, propose_threshold: 0.6, ambiguity_margin: 0.05 }
    }
}

/// The key matching files an author under: the handle on that source kind; without one the
/// email address (`email:...`); without that the display name (`name:...`, never grouped);
/// else the mention itself (`mention:...`).
pub fn author_ref(mention: &Mention) -> AuthorRef {
    let source_kind = mention.source_kind.as_str().to_owned();
    let author = &mention.author;
    let key = if let Some(handle) = author.handle.as_deref().filter(|handle| !handle.is_empty()) {
        handle.to_owned()
    } else if let Some(email) = author.email.as_deref().and_then(normalize_email) {
        format!("email:{email}")
    } else {
        let name = author.name.as_deref().map(text::name_tokens).unwrap_or_default();
        if name.is_empty() { format!("mention:{}", mention.id) } else { format!("name:{}", name.join(" ")) }
    };
    AuthorRef { source_kind, key }
}

/// Whether mentions filed under this key belong to one identifiable person (a handle or an
/// email), so that they are matched together.
pub fn groups_mentions(author: &AuthorRef) -> bool {
    !author.key.starts_with("name:") && !author.key.starts_with("mention:")
}

/// Mentions grouped by author, in first-seen order; authors known only by name are one
/// group per mention.
pub fn group_by_author(mentions: &[Mention]) -> Vec<(AuthorRef, Vec<usize>)> {
    let mut groups: Vec<(AuthorRef, Vec<usize>)> = Vec::new();
    let mut position: HashMap<AuthorRef, usize> = HashMap::new();
    for (index, mention) in mentions.iter().enumerate() {
        let author = author_ref(mention);
        if !groups_mentions(&author) {
            groups.push((author, vec![index]));
            continue;
        }
        match position.get(&author) {
            Some(&group) => groups[group].1.push(index),
            None => {
                position.insert(author.clone(), groups.len());
                groups.push((author, vec![index]));
            }
        }
    }
    groups
}

/// The matcher's conclusion about one author.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub customer_id: CustomerId,
    pub method: MatchMethod,
    pub confidence: f32,
    pub evidence: BTreeMap<String, String>,
    pub state: MatchState,
}

impl Decision {
    /// The match this decision means for one of the author's mentions.
    pub fn for_mention(&self, mention: &MentionId) -> Match {
        Match {
            mention_id: mention.clone(),
            customer_id: self.customer_id.clone(),
            method: self.method,
            confidence: self.confidence,
            evidence: self.evidence.clone(),
            state: self.state,
        }
    }
}

#[derive(Debug, Clone)]
struct Candidate {
    customer: CustomerOrd,
    method: MatchMethod,
    confidence: f32,
    evidence: BTreeMap<String, String>,
}

/// What an author's mentions say about who they are.
struct AuthorEvidence<'a> {
    kind: &'a str,
    handle: Option<&'a str>,
    /// Display names of two words or more, as tokens.
    names: Vec<Vec<String>>,
    /// (email, where, mention)
    emails: Vec<(String, &'static str, &'a MentionId)>,
    /// (organisation domain, where, mention)
    domains: Vec<(String, &'static str, &'a MentionId)>,
    text: TokenText,
}

impl<'a> AuthorEvidence<'a> {
    fn gather(mentions: &[&'a Mention]) -> Self {
        let first = mentions[0];
        let mut names: Vec<Vec<String>> = Vec::new();
        let mut emails = Vec::new();
        let mut domains = Vec::new();
        let mut seen_emails = HashSet::new();
        let mut seen_domains = HashSet::new();
        let mut parts: Vec<&str> = Vec::new();
        for mention in mentions {
            let author = &mention.author;
            if let Some(name) = author.name.as_deref() {
                let tokens = text::name_tokens(name);
                if tokens.len() >= 2 && !names.contains(&tokens) {
                    names.push(tokens);
                }
            }
            if let Some(email) = author.email.as_deref().and_then(normalize_email) {
                if seen_emails.insert(email.clone()) {
                    emails.push((email, "profile", &mention.id));
                }
            }
            if let Some(domain) = author.profile_url.as_deref().and_then(normalize_domain) {
                if !is_shared_provider(&domain) && seen_domains.insert(domain.clone()) {
                    domains.push((domain, "profile_url", &mention.id));
                }
            }
            for source in [mention.text.as_str(), mention.title.as_deref().unwrap_or("")] {
                for email in text::emails_in(source) {
                    if seen_emails.insert(email.clone()) {
                        emails.push((email, "post", &mention.id));
                    }
                }
                parts.push(source);
            }
            if let Some(url) = author.profile_url.as_deref() {
                parts.push(url);
            }
        }
        for (email, place, mention) in &emails {
            if *place != "profile" {
                continue;
            }
            if let Some(domain) = email.split_once('@').and_then(|(_, domain)| normalize_domain(domain)) {
                if !is_shared_provider(&domain) && seen_domains.insert(domain.clone()) {
                    domains.push((domain, "email", mention));
                }
            }
        }
        Self {
            kind: first.source_kind.as_str(),
            handle: first.author.handle.as_deref().filter(|handle| !handle.is_empty()),
            names,
            emails,
            domains,
            text: TokenText::new(parts),
        }
    }

    fn best_name_similarity(&self, index: &CustomerIndex, customer: CustomerOrd) -> f32 {
        self.names.iter().map(|name| text::name_similarity(name, index.name_tokens(customer))).fold(0.0, f32::max)
    }
}

/// Decides who authors are, against one set of customers.
#[derive(Debug)]
pub struct Matcher {
    index: CustomerIndex,
    config: MatchConfig,
    ords: HashMap<CustomerId, CustomerOrd>,
}

impl Matcher {
    pub fn new(customers: Vec<Customer>, config: MatchConfig) -> Result<Self, CustomerIndexError> {
        let index = CustomerIndex::build(customers)?;
        let ords = index.customers().iter().enumerate().map(|(ord, c)| (c.id.clone(), ord as CustomerOrd)).collect();
        Ok(Self { index, config, ords })
    }

    pub fn config(&self) -> &MatchConfig {
        &self.config
    }

    pub fn customers(&self) -> &[Customer] {
        self.index.customers()
    }

    /// The best customer for the author of `mentions` (all by one author), or `None` when no
    /// candidate reaches the proposal threshold. `rejected` customers are never chosen;
    /// `human` holds the confirmed matches people made on any of these mentions.
    pub fn decide(&self, mentions: &[&Mention], rejected: &HashSet<CustomerId>, human: &[Match]) -> Option<Decision> {
        if mentions.is_empty() {
            return None;
        }
        let evidence = AuthorEvidence::gather(mentions);
        let mut candidates: HashMap<CustomerOrd, Candidate> = HashMap::new();
        let mut offer = |candidate: Candidate| {
            if rejected.contains(&self.index.customer(candidate.customer).id) {
                return;
            }
            match candidates.get(&candidate.customer) {
                Some(existing) if existing.confidence >= candidate.confidence => {}
                _ => {
                    candidates.insert(candidate.customer, candidate);
                }
            }
        };
        let index = &self.index;

        for matched in human.iter().filter(|matched| matched.state == MatchState::Confirmed) {
            if let Some(&customer) = self.ords.get(&matched.customer_id) {
                let evidence = BTreeMap::from([("confirmed_on".to_owned(), matched.mention_id.to_string())]);
                offer(Candidate { customer, method: MatchMethod::Manual, confidence: 0.99, evidence });
            }
        }

        if let Some(handle) = evidence.handle {
            let hits = index.by_handle(evidence.kind, handle);
            for &customer in hits {
                let confidence = if hits.len() == 1 { 1.0 } else { 0.8 };
                let found = BTreeMap::from([("handle".to_owned(), format!("{}:{handle}", evidence.kind))]);
                offer(Candidate { customer, method: MatchMethod::Handle, confidence, evidence: found });
            }
        }

        for (email, place, mention) in &evidence.emails {
            let hits = index.by_email(email);
            for &customer in hits {
                let mut found = BTreeMap::from([
                    ("email".to_owned(), email.clone()),
                    ("field".to_owned(), (*place).to_owned()),
                    ("mention".to_owned(), mention.to_string()),
                ]);
                let mut confidence: f32 = if *place == "profile" {
                    0.99
                } else {
                    // An address in a post may be someone else's ("cc jane@..."): the
                    // author's name has to agree.
                    let similarity = evidence.best_name_similarity(index, customer);
                    if similarity >= 0.9 {
                        found.insert("name_similarity".to_owned(), format!("{similarity:.2}"));
                        0.97
                    } else if evidence.names.is_empty() {
                        0.75
                    } else {
                        continue;
                    }
                };
                if hits.len() > 1 {
                    confidence = confidence.min(0.8);
                }
                offer(Candidate { customer, method: MatchMethod::Email, confidence, evidence: found });
            }
        }

        for (domain, place, mention) in &evidence.domains {
            let hits = index.by_domain(domain);
            let similar: Vec<(CustomerOrd, f32)> =
                hits.iter().map(|&customer| (customer, evidence.best_name_similarity(index, customer))).collect();
            let exact = similar.iter().filter(|(_, similarity)| *similarity >= 0.97).count();
            for &(customer, similarity) in &similar {
                let confidence = if similarity >= 0.97 {
                    if exact == 1 { 0.97 } else { 0.85 }
                } else if similarity >= 0.9 {
                    0.85
                } else if hits.len() == 1 && evidence.names.is_empty() {
                    0.7
                } else {
                    continue;
                };
                let mut found = BTreeMap::from([
                    ("domain".to_owned(), domain.clone()),
                    ("field".to_owned(), (*place).to_owned()),
                    ("mention".to_owned(), mention.to_string()),
                    ("customers_at_domain".to_owned(), hits.len().to_string()),
                ]);
                if similarity > 0.0 {
                    found.insert("name_similarity".to_owned(), format!("{similarity:.2}"));
                }
                offer(Candidate { customer, method: MatchMethod::Domain, confidence, evidence: found });
            }
        }

        for name in &evidence.names {
            for hit in index.by_name(name, 0.9, 12) {
                let company = index.company_tokens(hit.customer);
                let company_named = evidence.text.contains_phrase(company);
                let product = index.product_tokens(hit.customer).iter().find(|p| evidence.text.contains_phrase(p));
                let (confidence, what, value) = if company_named && hit.similarity >= 0.99 {
                    (0.96, "company", company.join(" "))
                } else if company_named {
                    (0.85, "company", company.join(" "))
                } else if let (Some(product), true) = (product, hit.similarity >= 0.99) {
                    (0.7, "product", product.join(" "))
                } else {
                    continue;
                };
                let found = BTreeMap::from([
                    ("name".to_owned(), name.join(" ")),
                    ("name_similarity".to_owned(), format!("{:.2}", hit.similarity)),
                    (what.to_owned(), value),
                ]);
                offer(Candidate {
                    customer: hit.customer,
                    method: MatchMethod::NameCompany,
                    confidence,
                    evidence: found,
                });
            }
        }

        let mut ranked: Vec<Candidate> = candidates.into_values().collect();
        ranked.sort_by(|a, b| b.confidence.total_cmp(&a.confidence).then(a.customer.cmp(&b.customer)));
        let mut ranked = ranked.into_iter();
        let mut best = ranked.next()?;
        let mut state = if best.confidence >= self.config.auto_threshold {
            MatchState::Auto
        } else if best.confidence >= self.config.propose_threshold {
            MatchState::Proposed
        } else {
            return None;
        };
        if let Some(runner_up) = ranked.next() {
            if state == MatchState::Auto && runner_up.confidence >= best.confidence - self.config.ambiguity_margin {
                state = MatchState::Proposed;
                best.evidence
                    .insert("ambiguous_with".to_owned(), self.index.customer(runner_up.customer).id.to_string());
            }
        }
        Some(Decision {
            customer_id: self.index.customer(best.customer).id.clone(),
            method: best.method,
            confidence: best.confidence,
            evidence: best.evidence,
            state,
        })
    }
}

/// What a matching pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MatchSummary {
    pub authors: usize,
    pub mentions: usize,
    pub auto: usize,
    pub proposed: usize,
    /// Mentions a person confirmed or linked (left as they are).
    pub confirmed: usize,
    /// Mention matches created, changed or removed.
    pub changed: usize,
    pub prospects: usize,
}

/// A matcher and the customers' version it was built from.
type CachedMatcher = (String, Arc<Matcher>);

/// The matching stage: keeps a [`Matcher`] for the store's current customers (rebuilt when
/// they change) and writes matches and prospects.
#[derive(Debug, Clone, Default)]
pub struct MatchingStage {
    config: MatchConfig,
    prospects: ProspectConfig,
    cached: Arc<tokio::sync::Mutex<Option<CachedMatcher>>>,
}

impl MatchingStage {
    pub fn new(config: MatchConfig, prospects: ProspectConfig) -> Self {
        Self { config, prospects, cached: Arc::default() }
    }

    /// The matcher for the store's customers as they are now.
    pub async fn matcher(&self, store: &Store) -> Result<Arc<Matcher>, MatchingError> {
        let version = store.customers_version().await?;
        let mut cached = self.cached.lock().await;
        if let Some((cached_version, matcher)) = cached.as_ref() {
            if *cached_version == version {
                return Ok(Arc::clone(matcher));
            }
        }
        let customers = store.list_customers().await?;
        let config = self.config;
        let matcher = tokio::task::spawn_blocking(move || Matcher::new(customers, config))
            .await
            .map_err(|err| MatchingError::Worker(err.to_string()))??;
        let matcher = Arc::new(matcher);
        *cached = Some((version, Arc::clone(&matcher)));
        Ok(matcher)
    }

    /// Matches the authors of `new_mentions` (just stored) over all their stored mentions,
    /// and refreshes their prospect records.
    pub async fn after_save(
        &self,
        store: &Store,
        new_mentions: &[&Mention],
        now: DateTime<Utc>,
    ) -> Result<MatchSummary, MatchingError> {
        if new_mentions.is_empty() {
            return Ok(MatchSummary::default());
        }
        let mut authors: Vec<AuthorRef> = Vec::new();
        let mut singles: HashMap<AuthorRef, Vec<Mention>> = HashMap::new();
        for mention in new_mentions {
            let author = author_ref(mention);
            if groups_mentions(&author) {
                if !authors.contains(&author) {
                    authors.push(author);
                }
            } else {
                singles.entry(author).or_default().push((*mention).clone());
            }
        }
        let mut groups: Vec<(AuthorRef, Vec<Mention>)> = Vec::new();
        for author in authors {
            let mentions = load_author(store, &author).await?;
            groups.push((author, mentions));
        }
        for (author, mentions) in singles {
            for mention in mentions {
                groups.push((author.clone(), vec![mention]));
            }
        }
        self.run_groups(store, groups, None, now).await
    }

    /// Re-evaluates every author (after a customer import): new and changed customers are
    /// found, matches to customers that no longer fit are withdrawn; people's decisions
    /// stay as they are.
    pub async fn rematch_all(&self, store: &Store, now: DateTime<Utc>) -> Result<MatchSummary, MatchingError> {
        let mentions = store.mentions_without_raw().await?;
        let rejections = store.all_match_rejections().await?;
        let groups = group_by_author(&mentions);
        let mut slots: Vec<Option<Mention>> = mentions.into_iter().map(Some).collect();
        let groups: Vec<(AuthorRef, Vec<Mention>)> = groups
            .into_iter()
            .map(|(author, indices)| {
                let mentions = indices.into_iter().filter_map(|index| slots[index].take()).collect();
                (author, mentions)
            })
            .collect();
        self.run_groups(store, groups, Some(rejections), now).await
    }

    /// Re-evaluates the author of one mention (after a person's decision).
    pub async fn rematch_author_of(
        &self,
        store: &Store,
        mention: &Mention,
        now: DateTime<Utc>,
    ) -> Result<MatchSummary, MatchingError> {
        let author = author_ref(mention);
        let mentions =
            if groups_mentions(&author) { load_author(store, &author).await? } else { vec![mention.clone()] };
        self.run_groups(store, vec![(author, mentions)], None, now).await
    }

    async fn run_groups(
        &self,
        store: &Store,
        groups: Vec<(AuthorRef, Vec<Mention>)>,
        rejections: Option<HashMap<AuthorRef, Vec<CustomerId>>>,
        now: DateTime<Utc>,
    ) -> Result<MatchSummary, MatchingError> {
        let everyone = rejections.is_some();
        let matcher = self.matcher(store).await?;
        let ids: Vec<MentionId> =
            groups.iter().flat_map(|(_, mentions)| mentions.iter().map(|m| m.id.clone())).collect();
        let mut human: HashMap<MentionId, Vec<Match>> = HashMap::new();
        for matched in store.matches_for_mentions(&ids).await? {
            if matches!(matched.state, MatchState::Confirmed | MatchState::Rejected) {
                human.entry(matched.mention_id.clone()).or_default().push(matched);
            }
        }
        let mut summary = MatchSummary { authors: groups.len(), mentions: ids.len(), ..MatchSummary::default() };
        let mut writes = Vec::with_capacity(ids.len());
        let mut prospects = Vec::new();
        let mut prospect_authors = Vec::new();
        for (author, mentions) in &groups {
            let rejected: HashSet<CustomerId> = match &rejections {
                Some(all) => all.get(author).cloned().unwrap_or_default().into_iter().collect(),
                None => store.match_rejections(author).await?.into_iter().collect(),
            };
            let decided: Vec<Match> =
                mentions.iter().flat_map(|m| human.get(&m.id).cloned().unwrap_or_default()).collect();
            let refs: Vec<&Mention> = mentions.iter().collect();
            let decision = matcher.decide(&refs, &rejected, &decided);
            for mention in mentions {
                writes.push((mention.id.clone(), decision.as_ref().map(|decision| decision.for_mention(&mention.id))));
                let confirmed =
                    human.get(&mention.id).is_some_and(|rows| rows.iter().any(|m| m.state == MatchState::Confirmed));
                match decision.as_ref().map(|decision| decision.state) {
                    _ if confirmed => summary.confirmed += 1,
                    Some(MatchState::Auto) => summary.auto += 1,
                    Some(MatchState::Proposed) => summary.proposed += 1,
                    _ => {}
                }
            }
            if groups_mentions(author) {
                prospect_authors.push(author.clone());
                let customer = decision.as_ref().is_some_and(|decision| decision.state == MatchState::Auto)
                    || decided.iter().any(|matched| matched.state == MatchState::Confirmed);
                if !customer {
                    if let Some(prospect) = prospects::aggregate(author, &refs, &self.prospects) {
                        prospects.push(prospect);
                    }
                }
            }
        }
        summary.changed = store.write_machine_matches(&writes, now).await?.changed;
        summary.prospects = prospects.len();
        store.replace_prospects(&prospect_authors, &prospects, everyone).await?;
        Ok(summary)
    }
}

/// Every stored mention of an author that groups mentions (a handle or an email key).
pub async fn author_mentions(store: &Store, author: &AuthorRef) -> Result<Vec<Mention>, StoreError> {
    load_author(store, author).await
}

async fn load_author(store: &Store, author: &AuthorRef) -> Result<Vec<Mention>, StoreError> {
    match author.key.strip_prefix("email:") {
        Some(email) => store.mentions_by_author_email(&author.source_kind, email).await,
        None => store.mentions_by_author_handle(&author.source_kind, &author.key).await,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MatchingError {
    #[error("matching customers")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Index(#[from] CustomerIndexError),
    #[error("the matching worker stopped: {0}")]
    Worker(String),
}

/// A person's decision about a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HumanDecision {
    Confirm,
    Reject,
    Link,
    Undo,
}

/// Applies a person's decision about (mention, customer), recorded in the audit log, then
/// re-evaluates the mention's author so that the machine's view follows at once (after a
/// rejection the author's other mentions drop that customer; after an undo the machine may
/// match again). `customer` may be a hark id, a CRM id or an email address.
pub async fn decide(
    stage: &MatchingStage,
    store: &Store,
    decision: HumanDecision,
    mention: &MentionId,
    customer: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<DecisionResult, MatchingError> {
    let Some(stored) = store.mention(mention).await? else {
        return Ok(Err(hark_store::DecisionError::NoMention(mention.to_string())));
    };
    let Some(customer) = store.customer(customer).await? else {
        return Ok(Err(hark_store::DecisionError::NoCustomer(customer.to_owned())));
    };
    let author = author_ref(&stored);
    let request = hark_store::DecisionRequest { mention, customer: &customer.id, author: &author, actor, now };
    let result = match decision {
        HumanDecision::Confirm => store.confirm_match(&request).await?,
        HumanDecision::Reject => store.reject_match(&request).await?,
        HumanDecision::Link => store.link_match(&request).await?,
        HumanDecision::Undo => store.undo_match(&request).await?,
    };
    if result.is_ok() {
        stage.rematch_author_of(store, &stored, now).await?;
    }
    Ok(result)
}

#[cfg(test)]
mod tests;
