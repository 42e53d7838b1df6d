//! Customer matching: who, among the CRM's customers, wrote a mention.
//!
//! Matching works per author, not per post: all the mentions of one author (one handle on
//! one source kind, or one email address where the source gives no handle) are read
//! together, so an email address in one post or a company named in another identifies the
//! author's every post. For each author [`Matcher::decide`] gathers candidates by every
//! method, keeps every reason for and against each, and chooses the best:
//!
//! | method | evidence | confidence |
//! |---|---|---|
//! | handle | the CRM's handle for this source kind | 1.0 (0.8 if several customers share it) |
//! | handle | a profile link to another network, or a handle there the author gives as theirs ("I'm @jane on Twitter"), and no name that disagrees | 0.97 |
//! | email | an address from the author's profile | 0.99 |
//! | email | an address the author gives as theirs in a post ("reach me at"), and no name that disagrees (a first name may agree) | 0.97 |
//! | email | an address written in a post, not said to be theirs, and the display name agrees | 0.97 (0.75 with no name) |
//! | domain | the author's organisation domain (profile email or link, or a domain or address they give as theirs in a post) and the full name agree | 0.97 |
//! | domain | the domain of a one-customer company, no name given | 0.70 |
//! | name_company | full name equal and the author says the customer's company is theirs ("I work at", "our team at", a signature) | 0.97 |
//! | name_company | full name equal and the customer's company named (in any written form) | 0.96 |
//! | name_company | full name equal and only the company's short form named (`Northwind`) | 0.90 |
//! | name_company | full name close (Jon / John) and the company named | 0.85 |
//! | name_company | full name equal and one of the customer's products named | 0.70 |
//! | manual | a person confirmed or linked another mention of the author | 0.99 |
//!
//! Evidence against a customer keeps the match from being automatic (at most a proposal,
//! at most 0.85, less with each further reason): the author names the customer's company as
//! a competitor, a former employer, a vendor they evaluated or buy from, a client or
//! someone else's ([`cues`] reads how); says they belong to another organisation ("I'm at
//! Initech", a signature, an address at another company); writes the customer's address
//! as someone else's ("cc jane@..."); or gives a name that does not fit. Every decision
//! keeps its reasons, for and against, as readable text ([`evidence`]).
//!
//! Webmail domains never count, a domain shared by several customers needs the name to
//! agree, a first name alone never matches, and a full name alone is not enough. At or above
//! [`MatchConfig::auto_threshold`] a match is `auto`; down to
//! [`MatchConfig::propose_threshold`] it is `proposed`; below, there is none. When two
//! customers come within [`MatchConfig::ambiguity_margin`] of each other the best is only
//! proposed. Customers a person rejected for the author are never candidates, and a
//! person's confirmation is never contradicted.
//!
//! [`MatchingStage`] runs this after mentions are stored (new authors and those with new
//! posts) and over everything after a customer import, writing the machine's matches and the
//! authors' prospect records through the store. People's decisions (confirm, reject, link,
//! undo) go through [`decide`] and re-evaluate the author at once.

pub mod eval;
pub mod evidence;

mod company;
mod cues;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use hark_core::contact::{normalize_domain, normalize_email};
use hark_core::{Customer, CustomerId, Match, MatchMethod, MatchState, Mention, MentionId};
use hark_index::customers::text::{self, TokenText};
use hark_index::customers::{CustomerIndex, CustomerIndexError, CustomerOrd, is_shared_provider};
use hark_store::{AuthorRef, DecisionResult, Store, StoreError};

use self::company::{Companies, CompanyForms, Form};
use self::cues::{Analysis, Claim, Person, Relation};
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
    /// The best method's fields, and the readable reasons for and against
    /// ([`evidence::reasons`] reads them back).
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

    /// The readable reasons: (for, against).
    pub fn reasons(&self) -> (Vec<String>, Vec<String>) {
        evidence::reasons(&self.evidence)
    }
}

/// Confidence a match keeps at most when evidence contradicts it: a proposal, lower with
/// each further contradiction (never below a proposal's floor).
const CONTRADICTED_CAP: f32 = 0.85;

#[derive(Debug, Clone)]
struct Candidate {
    customer: CustomerOrd,
    method: MatchMethod,
    confidence: f32,
    /// The best method's fields.
    fields: BTreeMap<String, String>,
    reasons: Vec<String>,
    against: Vec<String>,
    /// The confidence before evidence against lowered it.
    uncontradicted: f32,
}

/// One piece of support for a customer.
struct Support {
    method: MatchMethod,
    confidence: f32,
    fields: BTreeMap<String, String>,
    reasons: Vec<String>,
    against: Vec<String>,
}

impl Support {
    fn new(method: MatchMethod, confidence: f32, fields: &[(&str, String)], reason: String) -> Self {
        let fields = fields.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
        Self { method, confidence, fields, reasons: vec![reason], against: Vec::new() }
    }

    fn because(mut self, reason: String) -> Self {
        if !reason.is_empty() {
            evidence::add(&mut self.reasons, reason);
        }
        self
    }

    fn despite(mut self, reason: String) -> Self {
        evidence::add(&mut self.against, reason);
        self
    }
}

/// A name the author goes by, and where it was seen.
struct SeenName {
    tokens: Vec<String>,
    /// `the display name “John Smith”`, `the signature “— John Smith, Globex”`.
    source: String,
}

/// What an author's mentions say about who they are.
struct AuthorEvidence<'a> {
    kind: &'a str,
    handle: Option<&'a str>,
    /// Names of two words or more: display names, signatures, self-introductions.
    names: Vec<SeenName>,
    /// Display names (or signatures) of one word: a first name.
    first_names: Vec<SeenName>,
    /// (email, mention) from the author's profile.
    profile_emails: Vec<(String, &'a MentionId)>,
    /// (organisation domain, where, mention): profile email and link, and domains the
    /// author gives as their organisation's in a post.
    domains: Vec<(String, &'static str, &'a MentionId)>,
    /// (kind, handle, mention) from profile links to other networks.
    profile_handles: Vec<(&'static str, String, &'a MentionId)>,
    /// Products are looked for here.
    text: TokenText,
    analysis: Analysis,
    /// Organisations the author says they belong to.
    claims: Vec<Claim>,
    mention_ids: Vec<&'a MentionId>,
}

impl<'a> AuthorEvidence<'a> {
    fn gather(mentions: &[&'a Mention], companies: &Companies, index: &CustomerIndex) -> Self {
        let first = mentions[0];
        let mut names: Vec<SeenName> = Vec::new();
        let mut first_names: Vec<SeenName> = Vec::new();
        let mut profile_emails = Vec::new();
        let mut domains = Vec::new();
        let mut profile_handles = Vec::new();
        let mut seen_emails = HashSet::new();
        let mut seen_domains = HashSet::new();
        let mut parts: Vec<&str> = Vec::new();
        let mut texts: Vec<(usize, &str, bool)> = Vec::new();
        let mut profile_claims: Vec<Claim> = Vec::new();
        for (position, mention) in mentions.iter().enumerate() {
            let author = &mention.author;
            // A display name that only repeats the handle (Reddit and Hacker News give no
            // other) says nothing about the person's name.
            if let Some(name) = author.name.as_deref().filter(|name| !echoes_handle(name, author.handle.as_deref())) {
                let tokens = text::name_tokens(&display_name_order(name));
                let source = format!("the display name {}", evidence::quote(name));
                for tokens in name_spellings(tokens) {
                    let list = if tokens.len() >= 2 { &mut names } else { &mut first_names };
                    if !tokens.is_empty() && !list.iter().any(|seen| seen.tokens == tokens) {
                        list.push(SeenName { tokens, source: source.clone() });
                    }
                }
            }
            if let Some(email) = author.email.as_deref().and_then(normalize_email) {
                if seen_emails.insert(email.clone()) {
                    if let Some(domain) = email.split_once('@').and_then(|(_, d)| normalize_domain(d)) {
                        if !is_shared_provider(&domain) {
                            profile_claims.push(Claim {
                                phrase: Vec::new(),
                                domain: Some(domain.clone()),
                                written: email.clone(),
                                snippet: format!("profile email {email}"),
                                mention: position,
                            });
                            if seen_domains.insert(domain.clone()) {
                                domains.push((domain, "email", &mention.id));
                            }
                        }
                    }
                    profile_emails.push((email, &mention.id));
                }
            }
            if let Some(url) = author.profile_url.as_deref() {
                if let Some((kind, handle)) = cues::profile_handle(url) {
                    if !profile_handles.iter().any(|(k, h, _)| *k == kind && *h == handle) {
                        profile_handles.push((kind, handle, &mention.id));
                    }
                } else if let Some(domain) = normalize_domain(url) {
                    if !is_shared_provider(&domain) && seen_domains.insert(domain.clone()) {
                        // A personal site says nothing against a customer; another customer
                        // company's site does.
                        if !index.by_domain(&domain).is_empty() {
                            profile_claims.push(Claim {
                                phrase: Vec::new(),
                                domain: Some(domain.clone()),
                                written: domain.clone(),
                                snippet: format!("profile link {url}"),
                                mention: position,
                            });
                        }
                        domains.push((domain, "profile_url", &mention.id));
                    }
                }
                parts.push(url);
            }
            for (source, body) in [(mention.title.as_deref().unwrap_or(""), false), (mention.text.as_str(), true)] {
                parts.push(source);
                texts.push((position, source, body));
            }
        }
        let analysis = Analysis::new(texts, companies);
        for name in &analysis.names {
            let source = format!("the {} {}", name.source, evidence::quote(&name.snippet));
            let list = if name.tokens.len() >= 2 { &mut names } else { &mut first_names };
            if !list.iter().any(|seen| seen.tokens == name.tokens) {
                list.push(SeenName { tokens: name.tokens.clone(), source });
            }
        }
        let mut claims = analysis.claims(companies);
        for claim in &claims {
            if let Some(domain) = &claim.domain {
                if seen_domains.insert(domain.clone()) {
                    domains.push((domain.clone(), "post", &mentions[claim.mention.min(mentions.len() - 1)].id));
                }
            }
        }
        claims.extend(profile_claims);
        Self {
            kind: first.source_kind.as_str(),
            handle: first.author.handle.as_deref().filter(|handle| !handle.is_empty()),
            names,
            first_names,
            profile_emails,
            domains,
            profile_handles,
            text: TokenText::new(parts),
            analysis,
            claims,
            mention_ids: mentions.iter().map(|m| &m.id).collect(),
        }
    }

    /// The author's name closest to the customer's, with its similarity.
    fn best_name(&self, index: &CustomerIndex, customer: CustomerOrd) -> Option<(&SeenName, f32)> {
        self.names
            .iter()
            .map(|name| (name, text::name_similarity(&name.tokens, index.name_tokens(customer))))
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }

    fn best_name_similarity(&self, index: &CustomerIndex, customer: CustomerOrd) -> f32 {
        self.best_name(index, customer).map_or(0.0, |(_, similarity)| similarity)
    }

    /// How the author's names fit the customer's: agreeing (a full name at least 0.9 alike,
    /// or a first name alike), disagreeing (with the name that disagrees), or none given.
    fn name_fit(&self, index: &CustomerIndex, customer: CustomerOrd) -> NameFit {
        let tokens = index.name_tokens(customer);
        if let Some((name, similarity)) = self.best_name(index, customer) {
            return if similarity >= 0.9 {
                NameFit::Agrees(name_reason(name, similarity, index.customer(customer)))
            } else {
                NameFit::Disagrees(name.source.clone())
            };
        }
        let Some(first) = tokens.first() else { return NameFit::Unknown };
        for name in &self.first_names {
            let given = &name.tokens[0];
            let alike = given == first
                || (given.chars().count() > 1 && first_names_alike(given, first))
                || (given.chars().count() == 1 && first.starts_with(given.as_str()));
            if alike {
                return NameFit::Agrees(format!("{} is the customer's first name", name.source));
            }
        }
        match self.first_names.first() {
            Some(name) => NameFit::Disagrees(name.source.clone()),
            None => NameFit::Unknown,
        }
    }
}

/// Whether a display name is the handle again (`chloemartin` for `chloemartin`, `u/chloe_m`
/// for `chloe_m`, `chloe` for `chloe.bsky.social`): one word, letters and digits compared
/// without case.
fn echoes_handle(name: &str, handle: Option<&str>) -> bool {
    let Some(handle) = handle else { return false };
    // Words separated by spaces are a name someone wrote, even when they spell the handle.
    if name.trim().contains(char::is_whitespace) {
        return false;
    }
    let squash = |text: &str| -> String {
        text.chars().filter(char::is_ascii_alphanumeric).flat_map(char::to_lowercase).collect()
    };
    let name = squash(name.trim_start_matches("u/").trim_start_matches('@'));
    if name.is_empty() {
        return false;
    }
    let handle = handle.trim_start_matches('@');
    let local = handle.split(['@', '.']).next().unwrap_or(handle);
    name == squash(handle) || name == squash(local)
}

/// A display name written last name first (`Doe, Jane`, `Doe, Jane M.`) in the usual
/// order; anything else as it is.
fn display_name_order(name: &str) -> String {
    if let Some((last, first)) = name.split_once(',') {
        let (last, first) = (last.trim(), first.trim());
        let last_words = last.split_whitespace().count();
        let first_words = first.split_whitespace().count();
        if last_words == 1 && (1..=2).contains(&first_words) && !first.contains(',') {
            return format!("{first} {last}");
        }
    }
    name.to_owned()
}

/// A name's tokens, and the same name with a short particle joined to the word after it
/// (`adam o connor` is also `adam oconnor`, as the CRM writes `O'Connor`; `mc donald`).
fn name_spellings(tokens: Vec<String>) -> Vec<Vec<String>> {
    let particle = (1..tokens.len().saturating_sub(1)).find(|&i| tokens[i].chars().count() <= 3);
    let Some(i) = particle else { return vec![tokens] };
    let mut joined = tokens.clone();
    let next = joined.remove(i + 1);
    joined[i].push_str(&next);
    vec![tokens, joined]
}

/// Whether two first names are spellings of one (Jon / John): compared as full names with
/// the same last name, they score 0.95 or more.
fn first_names_alike(a: &str, b: &str) -> bool {
    let a = [a.to_owned(), "x".to_owned()];
    let b = [b.to_owned(), "x".to_owned()];
    text::name_similarity(&a, &b) >= 0.95
}

enum NameFit {
    Agrees(String),
    Disagrees(String),
    Unknown,
}

/// How the author's posts name a customer's company.
#[derive(Debug, Default)]
struct CompanyFinding {
    /// Where the author says it is theirs.
    own: Option<String>,
    /// Where they name it without saying how they relate to it.
    named: Option<String>,
    /// Named only by its short form, without saying it is theirs.
    short_named: Option<String>,
    /// A one-word name named only in lower case, without saying it is theirs.
    lower_named: Option<String>,
    /// Where they say it is someone else's (a competitor, a former employer ...).
    against: Vec<(Relation, String)>,
}

impl CompanyFinding {
    fn of(analysis: &Analysis, forms: &CompanyForms) -> Self {
        let mut finding = Self::default();
        if forms.is_empty() || !forms.maybe_in(analysis) {
            return finding;
        }
        for clause in &analysis.clauses {
            for (start, end, form) in forms.occurrences(clause) {
                let (relation, _) = Analysis::relation_at(clause, start, end);
                let quoted = evidence::quote(&clause.text);
                match relation {
                    Relation::Own => {
                        finding.own.get_or_insert(quoted);
                    }
                    Relation::Named if form == Form::Short => {
                        finding.short_named.get_or_insert(quoted);
                    }
                    Relation::Named if form == Form::LowerCase => {
                        finding.lower_named.get_or_insert(quoted);
                    }
                    Relation::Named => {
                        finding.named.get_or_insert(quoted);
                    }
                    other => {
                        if !finding.against.iter().any(|(r, _)| *r == other) {
                            finding.against.push((other, quoted));
                        }
                    }
                }
            }
        }
        finding
    }
}

/// Decides who authors are, against one set of customers.
#[derive(Debug)]
pub struct Matcher {
    index: CustomerIndex,
    companies: Companies,
    config: MatchConfig,
    ords: HashMap<CustomerId, CustomerOrd>,
}

impl Matcher {
    pub fn new(customers: Vec<Customer>, config: MatchConfig) -> Result<Self, CustomerIndexError> {
        let companies = Companies::new(&customers);
        let index = CustomerIndex::build(customers)?;
        let ords = index.customers().iter().enumerate().map(|(ord, c)| (c.id.clone(), ord as CustomerOrd)).collect();
        Ok(Self { index, companies, config, ords })
    }

    pub fn config(&self) -> &MatchConfig {
        &self.config
    }

    pub fn customers(&self) -> &[Customer] {
        self.index.customers()
    }

    fn forms(&self, customer: CustomerOrd) -> &CompanyForms {
        self.companies.of(customer as usize)
    }

    /// The best customer for the author of `mentions` (all by one author), or `None` when no
    /// candidate reaches the proposal threshold. `rejected` customers are never chosen;
    /// `human` holds the confirmed matches people made on any of these mentions.
    pub fn decide(&self, mentions: &[&Mention], rejected: &HashSet<CustomerId>, human: &[Match]) -> Option<Decision> {
        if mentions.is_empty() {
            return None;
        }
        let index = &self.index;
        let author = AuthorEvidence::gather(mentions, &self.companies, index);
        let mut candidates: HashMap<CustomerOrd, Candidate> = HashMap::new();
        let mut offer = |customer: CustomerOrd, support: Support| {
            if rejected.contains(&index.customer(customer).id) {
                return;
            }
            let candidate = candidates.entry(customer).or_insert_with(|| Candidate {
                customer,
                method: support.method,
                confidence: f32::MIN,
                fields: BTreeMap::new(),
                reasons: Vec::new(),
                against: Vec::new(),
                uncontradicted: f32::MIN,
            });
            for reason in support.reasons {
                evidence::add(&mut candidate.reasons, reason);
            }
            for reason in support.against {
                evidence::add(&mut candidate.against, reason);
            }
            if support.confidence > candidate.confidence {
                candidate.method = support.method;
                candidate.confidence = support.confidence;
                candidate.fields = support.fields;
            }
        };

        for matched in human.iter().filter(|matched| matched.state == MatchState::Confirmed) {
            if let Some(&customer) = self.ords.get(&matched.customer_id) {
                let reason = format!("a person confirmed this customer on {}", matched.mention_id);
                let fields = [("confirmed_on", matched.mention_id.to_string())];
                offer(customer, Support::new(MatchMethod::Manual, 0.99, &fields, reason));
            }
        }

        // The CRM's handle on this source.
        if let Some(handle) = author.handle {
            let hits = index.by_handle(author.kind, handle);
            for &customer in hits {
                let confidence = if hits.len() == 1 { 1.0 } else { 0.8 };
                let mut reason = format!("the author's {} handle {handle} is the customer's", author.kind);
                if hits.len() > 1 {
                    reason.push_str(&format!(" (and {} other customers')", hits.len() - 1));
                }
                let fields = [("handle", format!("{}:{handle}", author.kind))];
                offer(customer, Support::new(MatchMethod::Handle, confidence, &fields, reason));
            }
        }

        // Handles on other networks: profile links, and handles written in posts.
        for (kind, handle, mention) in &author.profile_handles {
            for &customer in index.by_handle(kind, handle) {
                let reason = format!("the author's profile links the {kind} handle {handle}, the customer's");
                let fields = [
                    ("handle", format!("{kind}:{handle}")),
                    ("field", "profile_url".to_owned()),
                    ("mention", mention.to_string()),
                ];
                let support = Support::new(MatchMethod::Handle, 0.97, &fields, reason);
                offer(customer, self.with_name_check(&author, customer, support, 0.8));
            }
        }
        for written in &author.analysis.handles {
            let kinds: Vec<&str> = match written.kind {
                Some(kind) => vec![kind],
                None => HANDLE_KINDS.to_vec(),
            };
            for kind in kinds {
                let Some(handle) = hark_core::handle::normalize(kind, &written.value) else { continue };
                if kind == author.kind && Some(handle.as_str()) == author.handle {
                    continue;
                }
                for &customer in index.by_handle(kind, &handle) {
                    let fields = [
                        ("handle", format!("{kind}:{handle}")),
                        ("field", "post".to_owned()),
                        ("mention", author.mention_ids[written.mention].to_string()),
                    ];
                    let quoted = evidence::quote(&written.snippet);
                    let support = match (written.person, written.kind.is_some()) {
                        (Person::Own, true) => {
                            let reason = format!(
                                "the author gives the {kind} handle {handle}, the customer's, as their own: {quoted}"
                            );
                            self.with_name_check(
                                &author,
                                customer,
                                Support::new(MatchMethod::Handle, 0.97, &fields, reason),
                                0.8,
                            )
                        }
                        (Person::Other, _) => continue,
                        _ => {
                            // Someone's handle, maybe not the author's: the name must agree.
                            let NameFit::Agrees(agrees) = author.name_fit(index, customer) else { continue };
                            let reason = format!("a post writes the {kind} handle {handle}, the customer's: {quoted}");
                            Support::new(MatchMethod::Handle, 0.7, &fields, reason).because(agrees)
                        }
                    };
                    offer(customer, support);
                }
            }
        }

        // Email addresses: the profile's, and those written in posts.
        for (email, mention) in &author.profile_emails {
            let hits = index.by_email(email);
            for &customer in hits {
                let fields =
                    [("email", email.clone()), ("field", "profile".to_owned()), ("mention", mention.to_string())];
                let reason = format!("the author's profile email {email} is the customer's");
                let confidence = if hits.len() > 1 { 0.8 } else { 0.99 };
                offer(customer, Support::new(MatchMethod::Email, confidence, &fields, reason));
            }
        }
        for (email, written) in self.post_emails(&author) {
            let hits = index.by_email(email);
            for &customer in hits {
                let quoted = evidence::quote(&written.snippet);
                let fields = [
                    ("email", email.to_owned()),
                    ("field", "post".to_owned()),
                    ("mention", author.mention_ids[written.mention].to_string()),
                ];
                let mut support = match written.person {
                    Person::Own => {
                        let reason =
                            format!("the author gives {email}, the customer's address, as their own: {quoted}");
                        self.with_name_check(
                            &author,
                            customer,
                            Support::new(MatchMethod::Email, 0.97, &fields, reason),
                            0.8,
                        )
                    }
                    Person::Other => continue,
                    Person::Unknown => {
                        // An address in a post may be someone else's: the name has to agree.
                        let reason = format!("a post writes {email}, the customer's address: {quoted}");
                        let similarity = author.best_name_similarity(index, customer);
                        let support = Support::new(MatchMethod::Email, 0.97, &fields, reason);
                        if similarity >= 0.9 {
                            let mut support = self.with_name_check(&author, customer, support, 0.8);
                            support.fields.insert("name_similarity".to_owned(), format!("{similarity:.2}"));
                            support
                        } else if author.names.is_empty() {
                            Support { confidence: 0.75, ..support }.because("no name to check it against".to_owned())
                        } else {
                            continue;
                        }
                    }
                };
                if hits.len() > 1 {
                    support.confidence = support.confidence.min(0.8);
                    support = support.because(format!("(but {} customers share {email})", hits.len()));
                }
                offer(customer, support);
            }
        }

        // Organisation domains: the profile's, and those the author gives in posts.
        for (domain, place, mention) in &author.domains {
            let hits = index.by_domain(domain);
            let similar: Vec<(CustomerOrd, f32)> =
                hits.iter().map(|&customer| (customer, author.best_name_similarity(index, customer))).collect();
            let exact = similar.iter().filter(|(_, similarity)| *similarity >= 0.97).count();
            for &(customer, similarity) in &similar {
                let confidence = if similarity >= 0.97 {
                    if exact == 1 { 0.97 } else { 0.85 }
                } else if similarity >= 0.9 {
                    0.85
                } else if hits.len() == 1 && author.names.is_empty() {
                    0.7
                } else {
                    continue;
                };
                let mut fields = vec![
                    ("domain", domain.clone()),
                    ("field", (*place).to_owned()),
                    ("mention", mention.to_string()),
                    ("customers_at_domain", hits.len().to_string()),
                ];
                if similarity > 0.0 {
                    fields.push(("name_similarity", format!("{similarity:.2}")));
                }
                let there = if hits.len() > 1 { format!(" ({} customers there)", hits.len()) } else { String::new() };
                let reason = match *place {
                    "email" => {
                        format!("the author's profile email is at {domain}, the customer's company domain{there}")
                    }
                    "profile_url" => {
                        format!("the author's profile links {domain}, the customer's company domain{there}")
                    }
                    _ => {
                        let claim = author.claims.iter().find(|c| c.domain.as_deref() == Some(domain.as_str()));
                        let quoted = claim.map(|c| format!(": {}", evidence::quote(&c.snippet))).unwrap_or_default();
                        format!("the author gives {domain}, the customer's company domain{there}, as theirs{quoted}")
                    }
                };
                let mut support = Support::new(MatchMethod::Domain, confidence, &fields, reason);
                match author.best_name(index, customer) {
                    Some((name, similarity)) if similarity >= 0.9 => {
                        support = support.because(name_reason(name, similarity, index.customer(customer)));
                    }
                    _ => {}
                }
                if exact > 1 && similarity >= 0.97 {
                    support = support.because(format!("(but {exact} customers at {domain} have this name)"));
                }
                offer(customer, support);
            }
        }

        // A full name and the customer's company (or a product).
        for name in &author.names {
            for hit in index.by_name(&name.tokens, 0.9, 12) {
                let customer = hit.customer;
                let forms = self.forms(customer);
                let finding = CompanyFinding::of(&author.analysis, forms);
                let exact = hit.similarity >= 0.99;
                let company = forms.label();
                let product = index.product_tokens(customer).iter().find(|p| author.text.contains_phrase(p));
                let named_any = finding.own.is_some() || finding.named.is_some();
                let (confidence, what, value, reason) = if let (Some(own), true) = (&finding.own, exact) {
                    (0.97, "company", forms.phrase.join(" "), format!("says they work at {company}: {own}"))
                } else if let (Some(named), true) = (&finding.named, exact) {
                    (
                        0.96,
                        "company",
                        forms.phrase.join(" "),
                        format!("names the customer's company {company}: {named}"),
                    )
                } else if named_any {
                    let quoted = finding.own.as_ref().or(finding.named.as_ref()).cloned().unwrap_or_default();
                    (
                        0.85,
                        "company",
                        forms.phrase.join(" "),
                        format!("names the customer's company {company}: {quoted}"),
                    )
                } else if let (Some(short), true) = (&finding.short_named, exact) {
                    let short_form = forms.short.as_ref().map(|s| s.join(" ")).unwrap_or_default();
                    let reason = format!("names “{short_form}”, short for the customer's company {company}: {short}");
                    (0.9, "company", forms.phrase.join(" "), reason)
                } else if let (Some(lower), true) = (&finding.lower_named, exact) {
                    let reason = format!(
                        "names the customer's company {company}, in lower case (maybe an everyday word): {lower}"
                    );
                    (0.9, "company", forms.phrase.join(" "), reason)
                } else if let (Some(product), true) = (product, exact) {
                    let written = index
                        .customer(customer)
                        .products
                        .iter()
                        .find(|p| text::phrase_tokens(p) == *product)
                        .cloned()
                        .unwrap_or_else(|| product.join(" "));
                    let reason = format!("names one of the customer's products, {written}");
                    (0.7, "product", product.join(" "), reason)
                } else if let (Some(_), true) = (finding.against.first(), exact) {
                    // Named, but as someone else's: the name alone, shown with why not.
                    (0.7, "company", forms.phrase.join(" "), String::new())
                } else {
                    continue;
                };
                let fields = [
                    ("name", name.tokens.join(" ")),
                    ("name_similarity", format!("{:.2}", hit.similarity)),
                    (what, value),
                ];
                let name_reason = name_reason(name, hit.similarity, index.customer(customer));
                let support = Support::new(MatchMethod::NameCompany, confidence, &fields, name_reason).because(reason);
                offer(customer, support);
            }
        }

        // What contradicts each candidate, and a cap for those contradicted.
        for candidate in candidates.values_mut() {
            if candidate.method == MatchMethod::Manual {
                continue;
            }
            self.contradictions(&author, candidate);
            candidate.uncontradicted = candidate.confidence;
            if !candidate.against.is_empty() {
                let cap = (CONTRADICTED_CAP - 0.1 * (candidate.against.len() - 1) as f32).max(0.6);
                candidate.confidence = candidate.confidence.min(cap);
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
        if state == MatchState::Auto && !best.against.is_empty() && best.method != MatchMethod::Manual {
            state = MatchState::Proposed;
        }
        // A runner-up close to the best makes it a proposal; another customer's own handle or
        // address does even when the text speaks against them (identifiers of two people).
        let close = |other: &Candidate| {
            let identified = matches!(other.method, MatchMethod::Handle | MatchMethod::Email);
            let strength = if identified { other.uncontradicted.max(other.confidence) } else { other.confidence };
            (strength >= best.confidence - self.config.ambiguity_margin).then_some(strength)
        };
        if state == MatchState::Auto {
            if let Some((other, strength)) = ranked.find_map(|other| close(&other).map(|strength| (other, strength))) {
                state = MatchState::Proposed;
                let other = self.index.customer(other.customer);
                best.fields.insert("ambiguous_with".to_owned(), other.id.to_string());
                best.against.push(format!(
                    "another customer fits almost as well: {} ({}, {strength:.2})",
                    other.name, other.crm_ref
                ));
            }
        }
        let mut fields = best.fields;
        evidence::write(&mut fields, &best.reasons, &best.against);
        Some(Decision {
            customer_id: self.index.customer(best.customer).id.clone(),
            method: best.method,
            confidence: best.confidence,
            evidence: fields,
            state,
        })
    }

    /// Addresses written in posts, each once, with the most telling way it was written:
    /// as the author's own, else unknown, else as someone else's.
    fn post_emails<'e>(&self, author: &'e AuthorEvidence<'_>) -> Vec<(&'e str, &'e cues::Written)> {
        let mut out: Vec<(&str, &cues::Written)> = Vec::new();
        let rank = |person: Person| match person {
            Person::Own => 0,
            Person::Unknown => 1,
            Person::Other => 2,
        };
        for written in &author.analysis.emails {
            if author.profile_emails.iter().any(|(email, _)| *email == written.value) {
                continue;
            }
            match out.iter_mut().find(|(email, _)| *email == written.value) {
                Some(slot) if rank(written.person) < rank(slot.1.person) => slot.1 = written,
                Some(_) => {}
                None => out.push((written.value.as_str(), written)),
            }
        }
        out
    }

    /// Support from an address or handle the author gives as their own, checked against
    /// their name: a name that does not fit lowers it to `lowered` and says so.
    fn with_name_check(
        &self,
        author: &AuthorEvidence<'_>,
        customer: CustomerOrd,
        support: Support,
        lowered: f32,
    ) -> Support {
        match author.name_fit(&self.index, customer) {
            NameFit::Agrees(reason) => support.because(reason),
            NameFit::Disagrees(source) => {
                let name = &self.index.customer(customer).name;
                Support { confidence: support.confidence.min(lowered), ..support }
                    .despite(format!("{source} does not fit the customer's name {name}"))
            }
            NameFit::Unknown => support,
        }
    }

    /// Adds what the author's posts say for and against `candidate`'s company: the company
    /// named as theirs or not, named as someone else's (a competitor, a former employer, a
    /// vendor, a client), another organisation they say they belong to, and the customer's
    /// address written as someone else's.
    fn contradictions(&self, author: &AuthorEvidence<'_>, candidate: &mut Candidate) {
        let forms = self.forms(candidate.customer);
        let company = forms.label();
        let finding = CompanyFinding::of(&author.analysis, forms);
        if candidate.method != MatchMethod::NameCompany {
            if let Some(own) = &finding.own {
                evidence::add(&mut candidate.reasons, format!("says they work at {company}: {own}"));
            }
        }
        for (relation, quoted) in &finding.against {
            let reason = format!("names {company}, the customer's company, {}: {quoted}", relation.as_role());
            evidence::add(&mut candidate.against, reason);
        }
        for claim in &author.claims {
            if forms.same_as(claim) == Some(false) {
                let quoted = evidence::quote(&claim.snippet);
                let reason = if claim.snippet.starts_with("profile ") {
                    format!(
                        "the author's {} is at another organisation than the customer's company {company}",
                        claim.snippet
                    )
                } else if claim.written.contains('@') {
                    format!(
                        "gives {} as their own address, at another organisation than the customer's company \
                         {company}: {quoted}",
                        claim.written
                    )
                } else {
                    format!("says they belong to {}, not to the customer's company {company}: {quoted}", claim.written)
                };
                evidence::add(&mut candidate.against, reason);
            }
        }
        let emails = &self.index.customer(candidate.customer).emails;
        for (email, written) in self.post_emails(author) {
            if written.person == Person::Other && emails.iter().any(|own| own == email) {
                let quoted = evidence::quote(&written.snippet);
                evidence::add(
                    &mut candidate.against,
                    format!("writes {email}, the customer's address, as someone else's: {quoted}"),
                );
            }
        }
    }
}

/// Source kinds a handle written without its network is tried on.
const HANDLE_KINDS: &[&str] = &["twitter", "bluesky", "mastodon", "reddit", "hackernews"];

fn name_reason(name: &SeenName, similarity: f32, customer: &Customer) -> String {
    if similarity >= 0.99 {
        format!("{} is the customer's name", name.source)
    } else {
        format!("{} is close to the customer's name {} ({similarity:.2})", name.source, customer.name)
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
