//! A customer's company in the forms people write it, and whether an organisation an author
//! names is that company.
//!
//! `Northwind Logistics, Inc.` is also written `Northwind Logistics`, `NORTHWIND LOGISTICS
//! LLC`, `North Wind Logistics`, `NorthwindLogistics`, `northwind-logistics.com` and, by
//! people who work there, `Northwind`; `Smith & Jones Ltd` is `Smith and Jones`. The forms
//! compared are: the company's words without legal forms and fillers (`inc`, `and`, `the`,
//! skipped in the post too), the same words run together (spacing, hyphens, camel case),
//! the company's domains and domains whose name is the company's, and a short form without
//! trailing industry words (`Northwind`) when no other customer company has it.

use std::collections::{HashMap, HashSet};

use hark_core::Customer;
use hark_core::contact::normalize_domain;
use hark_index::customers::text;

use super::cues::{Analysis, Claim, Clause, KnownOrgs, Tok, TokKind, is_shared};

/// Trailing words that say what a company does rather than which it is.
#[rustfmt::skip]
const INDUSTRY_WORDS: &[&str] = &[
    "logistics", "systems", "software", "labs", "lab", "analytics", "health", "healthcare", "foods", "food",
    "capital", "media", "solutions", "technologies", "technology", "tech", "consulting", "services", "partners",
    "energy", "retail", "robotics", "manufacturing", "insurance", "organics", "shipping", "realty", "cloud",
    "legal", "dental", "fitness", "studio", "studios", "networks", "network", "marine", "travel", "industries",
    "international", "global", "digital", "ventures", "enterprises", "interactive", "games", "bank", "financial",
    "finance", "pharma", "pharmaceuticals", "motors", "airlines", "telecom", "communications", "security", "data",
    "ai", "works", "design", "agency", "transport", "construction", "engineering", "electronics", "devices",
    "biotech", "therapeutics", "markets", "brands", "trading", "supply", "apparel", "properties", "investments",
    "advisors", "associates", "law", "hq", "online", "platforms", "payments", "learning", "education",
];

/// Legal forms written run together with a name (`GlobexCorp`, `globexinc.com`).
const GLUED_SUFFIXES: &[&str] = &["inc", "llc", "ltd", "corp", "co", "hq", "gmbh", "group", "ag", "sa", "plc"];

/// Second-level labels under which organisations register (`globex.co.uk`).
const SECOND_LEVEL: &[&str] = &["co", "com", "org", "net", "ac", "gov", "edu", "ltd", "plc", "gob", "or", "ne"];

/// How an organisation was found in a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// The company's name, in any spelling of its words.
    Name,
    /// The short form (`Northwind` for `Northwind Logistics`).
    Short,
    /// One of its domains, or a domain named like it.
    Domain,
    /// A one-word name written in lower case (`apple`, `summit`), which may be an everyday
    /// word rather than the company.
    LowerCase,
}

/// One customer's company and domains, ready to be looked for.
#[derive(Debug, Clone, Default)]
pub(crate) struct CompanyForms {
    /// As the CRM writes it.
    pub display: String,
    pub phrase: Vec<String>,
    pub squashed: String,
    pub short: Option<Vec<String>>,
    short_squashed: Option<String>,
    initials: Option<String>,
    /// Organisation domains (the CRM's domains and those of the customer's addresses),
    /// without mail and social platforms.
    pub domains: Vec<String>,
}

impl CompanyForms {
    fn new(customer: &Customer) -> Self {
        let display = customer.company.clone().unwrap_or_default();
        let phrase = text::phrase_tokens(&display);
        let squashed = phrase.concat();
        let mut domains: Vec<String> = customer
            .domains
            .iter()
            .filter_map(|d| normalize_domain(d))
            .chain(customer.emails.iter().filter_map(|e| e.split_once('@').and_then(|(_, d)| normalize_domain(d))))
            .filter(|d| !is_shared(d))
            .collect();
        domains.sort();
        domains.dedup();
        let initials = (phrase.len() >= 2).then(|| phrase.iter().filter_map(|w| w.chars().next()).collect());
        Self { display, phrase, squashed, short: None, short_squashed: None, initials, domains }
    }

    pub fn is_empty(&self) -> bool {
        self.phrase.is_empty() && self.domains.is_empty()
    }

    /// The company's name for evidence: as the CRM writes it, else its first domain.
    pub fn label(&self) -> String {
        if !self.display.trim().is_empty() {
            self.display.trim().to_owned()
        } else {
            self.domains.first().cloned().unwrap_or_default()
        }
    }

    /// Whether the company may be named somewhere in `analysis` (a quick test; false means
    /// it is not).
    pub fn maybe_in(&self, analysis: &Analysis) -> bool {
        // Every written form holds the first word, the words run together, a domain of the
        // company's, or a domain named like it (`acme-logistics.com`).
        self.phrase.first().is_some_and(|first| analysis.has_run(first))
            || (!self.squashed.is_empty() && analysis.has_run(&self.squashed))
            || self.short_squashed.as_deref().is_some_and(|short| analysis.has_run(short))
            || self.domains.iter().any(|domain| analysis.has_run(domain))
            || (!self.phrase.is_empty() && analysis.has_run(&self.phrase.join("-")))
    }

    /// Where the company is named in `clause`: (start, end, form), in order.
    pub fn occurrences(&self, clause: &Clause) -> Vec<(usize, usize, Form)> {
        let toks = &clause.toks;
        let mut found: Vec<(usize, usize, Form)> = Vec::new();
        let mut push = |start: usize, end: usize, form: Form| {
            if !found.iter().any(|&(s, e, _)| s < end && start < e) {
                found.push((start, end, form));
            }
        };
        for start in 0..toks.len() {
            match &toks[start].kind {
                TokKind::Domain(domain) if self.has_domain(domain) => push(start, start + 1, Form::Domain),
                TokKind::Word => {
                    if let Some(end) = phrase_at(toks, start, &self.phrase) {
                        let lower = self.phrase.len() == 1 && !toks[start].cap && !clause.signature;
                        push(start, end, if lower { Form::LowerCase } else { Form::Name });
                    } else if let Some(end) = squashed_at(toks, start, &self.squashed, self.phrase.len()) {
                        push(start, end, Form::Name);
                    } else if let (Some(short), Some(squashed)) = (&self.short, &self.short_squashed) {
                        let end = phrase_at(toks, start, short).or_else(|| squashed_at(toks, start, squashed, 1));
                        if let Some(end) = end {
                            if toks[start].cap || clause.signature {
                                push(start, end, Form::Short);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        found.sort_unstable_by_key(|&(start, _, _)| start);
        found
    }

    /// Whether `domain` is the company's: one of its domains (or a subdomain), or a domain
    /// whose name is the company's (`acme-logistics.com` for Acme Logistics).
    pub fn has_domain(&self, domain: &str) -> bool {
        if self.domains.iter().any(|own| own == domain || domain.ends_with(&format!(".{own}"))) {
            return true;
        }
        let label = squash(org_label(domain));
        !label.is_empty()
            && (label == self.squashed
                || self.short_squashed.as_deref() == Some(label.as_str())
                || GLUED_SUFFIXES.iter().any(|suffix| label == format!("{}{suffix}", self.squashed)))
    }

    /// Whether a claimed organisation is this company; `None` when the CRM says too little
    /// to tell.
    pub fn same_as(&self, claim: &Claim) -> Option<bool> {
        if self.is_empty() {
            return None;
        }
        if let Some(domain) = &claim.domain {
            if self.has_domain(domain) || self.domains.iter().any(|own| own.ends_with(&format!(".{domain}"))) {
                return Some(true);
            }
            let label = squash(org_label(domain));
            return Some(!self.squashed.is_empty() && self.resembles(&label));
        }
        if self.phrase.is_empty() {
            return None;
        }
        Some(self.resembles(&claim.phrase.concat()))
    }

    /// A generous comparison of a written name with the company: the same name, one
    /// extending the other (`Globex Europe`, `Northwind`), the short form or the initials.
    fn resembles(&self, written: &str) -> bool {
        if written.is_empty() || self.squashed.is_empty() {
            return false;
        }
        written == self.squashed
            || written.starts_with(&self.squashed)
            || (written.len() >= 3 && self.squashed.starts_with(written))
            || self.short_squashed.as_deref().is_some_and(|short| written.starts_with(short))
            || self.initials.as_deref() == Some(written)
    }
}

fn squash(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).collect::<String>().to_lowercase()
}

/// The label an organisation registers its domain under: `globex` for `eu.globex.co.uk`.
fn org_label(domain: &str) -> &str {
    let labels: Vec<&str> = domain.split('.').collect();
    match labels.len() {
        0 | 1 => domain,
        2 => labels[0],
        n if SECOND_LEVEL.contains(&labels[n - 2]) && labels[n - 1].len() == 2 => labels[n - 3],
        n => labels[n - 2],
    }
}

/// The end of `phrase` written at `start`, skipping legal forms and fillers between its
/// words (`Smith and Jones` for `smith jones`).
fn phrase_at(toks: &[Tok], start: usize, phrase: &[String]) -> Option<usize> {
    let first = phrase.first()?;
    if toks[start].kind != TokKind::Word || toks[start].norm != *first {
        return None;
    }
    let mut matched = 1;
    let mut index = start + 1;
    while matched < phrase.len() && index < toks.len() && index - start <= phrase.len() + 3 {
        let tok = &toks[index];
        if tok.kind != TokKind::Word {
            return None;
        }
        if tok.norm == phrase[matched] {
            matched += 1;
        } else if !text::is_company_noise(&tok.norm) {
            return None;
        }
        index += 1;
    }
    (matched == phrase.len()).then_some(index)
}

/// The end of words run together or split differently (`North Wind`, `NorthwindLogistics`,
/// `GlobexCorp`) that spell `squashed`, at `start`.
fn squashed_at(toks: &[Tok], start: usize, squashed: &str, words: usize) -> Option<usize> {
    if squashed.len() < 4 {
        return None;
    }
    let mut joined = String::new();
    for (offset, tok) in toks[start..].iter().take(words + 2).enumerate() {
        if tok.kind != TokKind::Word {
            return None;
        }
        joined.push_str(&tok.norm);
        let end = start + offset + 1;
        if joined == squashed {
            return Some(end);
        }
        if let Some(rest) = joined.strip_prefix(squashed) {
            if GLUED_SUFFIXES.contains(&rest) {
                return Some(end);
            }
        }
        if joined.len() >= squashed.len() + 4 {
            return None;
        }
    }
    None
}

/// Every customer's company forms, and the companies of the CRM as [`KnownOrgs`].
#[derive(Debug, Default)]
pub(crate) struct Companies {
    forms: Vec<CompanyForms>,
    /// First word → the distinct company phrases that start with it, longest first.
    by_first: HashMap<String, Vec<Vec<String>>>,
}

impl Companies {
    pub fn new(customers: &[Customer]) -> Self {
        let mut forms: Vec<CompanyForms> = customers.iter().map(CompanyForms::new).collect();
        // Short forms, where no other company has the same one (or is called that).
        let shorten = |phrase: &[String]| {
            let mut words = phrase.to_vec();
            while words.len() > 1 && words.last().is_some_and(|w| INDUSTRY_WORDS.contains(&w.as_str())) {
                words.pop();
            }
            (words.len() < phrase.len() && words.concat().len() >= 4).then_some(words)
        };
        let mut owners: HashMap<String, HashSet<String>> = HashMap::new();
        for form in &forms {
            if let Some(short) = shorten(&form.phrase) {
                owners.entry(short.concat()).or_default().insert(form.squashed.clone());
            }
            if !form.squashed.is_empty() {
                owners.entry(form.squashed.clone()).or_default().insert(form.squashed.clone());
            }
        }
        for form in &mut forms {
            if let Some(short) = shorten(&form.phrase) {
                if owners.get(&short.concat()).is_some_and(|o| o.len() == 1) {
                    form.short_squashed = Some(short.concat());
                    form.short = Some(short);
                }
            }
        }
        let mut by_first: HashMap<String, Vec<Vec<String>>> = HashMap::new();
        for form in &forms {
            if let Some(first) = form.phrase.first() {
                let phrases = by_first.entry(first.clone()).or_default();
                if !phrases.contains(&form.phrase) {
                    phrases.push(form.phrase.clone());
                }
            }
        }
        for phrases in by_first.values_mut() {
            phrases.sort_by_key(|p| std::cmp::Reverse(p.len()));
        }
        Self { forms, by_first }
    }

    pub fn of(&self, ord: usize) -> &CompanyForms {
        &self.forms[ord]
    }
}

impl KnownOrgs for Companies {
    fn known_at(&self, toks: &[Tok], start: usize) -> Option<usize> {
        let tok = toks.get(start)?;
        if tok.kind != TokKind::Word {
            return None;
        }
        self.by_first.get(&tok.norm)?.iter().find_map(|phrase| {
            // One-word names that are everyday words ("summit") count only capitalised.
            if phrase.len() == 1 && !tok.cap {
                return None;
            }
            phrase_at(toks, start, phrase)
        })
    }

    fn starts_known(&self, token: &str) -> bool {
        self.by_first.contains_key(token)
    }
}
