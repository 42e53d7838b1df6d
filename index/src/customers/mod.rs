//! The customer lookup behind matching: every way a post can point at a CRM record, indexed
//! once per set of customers.
//!
//! Exact keys (a handle on a source, an email address, a web domain) are hash maps; names go
//! into an in-memory tantivy index so that a misspelt or differently accented display name
//! still finds its candidates (fuzzy terms, edit distance 1), which are then scored by
//! [`text::name_similarity`]. Company names and products are kept as token phrases, ready to
//! be looked for in a post. Like every index here it is derived: rebuilt from the store's
//! customers whenever they change.
//!
//! Domains of webmail providers (gmail.com...) are never indexed: an address there says
//! nothing about an employer.

pub mod text;

use std::collections::{HashMap, HashSet};

use hark_core::Customer;
use hark_core::contact::normalize_domain;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, FuzzyTermQuery, Occur, Query};
use tantivy::schema::{FAST, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{AsciiFoldingFilter, LowerCaser, SimpleTokenizer, TextAnalyzer};
use tantivy::{Index, IndexReader, Term, doc};

/// Webmail and consumer mail providers: their domains identify no company.
pub const WEBMAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "hotmail.co.uk",
    "live.com",
    "msn.com",
    "yahoo.com",
    "yahoo.co.uk",
    "ymail.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "pm.me",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "mail.com",
    "yandex.com",
    "yandex.ru",
    "zoho.com",
    "fastmail.com",
    "hey.com",
    "qq.com",
    "163.com",
    "126.com",
    "mail.ru",
    "tutanota.com",
];

/// Hosts of social platforms and code forges: a profile there says nothing about an employer.
pub const PLATFORM_DOMAINS: &[&str] = &[
    "reddit.com",
    "old.reddit.com",
    "news.ycombinator.com",
    "ycombinator.com",
    "twitter.com",
    "x.com",
    "bsky.app",
    "mastodon.social",
    "fosstodon.org",
    "stackoverflow.com",
    "stackexchange.com",
    "github.com",
    "gitlab.com",
    "linkedin.com",
    "medium.com",
    "substack.com",
    "youtube.com",
    "facebook.com",
    "instagram.com",
    "tiktok.com",
    "threads.net",
    "dev.to",
];

/// Whether `domain` is a mail or social platform rather than an organisation.
pub fn is_shared_provider(domain: &str) -> bool {
    WEBMAIL_DOMAINS.contains(&domain) || PLATFORM_DOMAINS.contains(&domain)
}

#[derive(Debug, thiserror::Error)]
pub enum CustomerIndexError {
    #[error("building the customer name index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
}

/// A customer's position in [`CustomerIndex::customers`].
pub type CustomerOrd = u32;

/// Name candidates with their similarity to the queried name.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NameHit {
    pub customer: CustomerOrd,
    pub similarity: f32,
}

/// Lookups over one set of customers.
pub struct CustomerIndex {
    customers: Vec<Customer>,
    names: Vec<Vec<String>>,
    companies: Vec<Vec<String>>,
    products: Vec<Vec<Vec<String>>>,
    by_handle: HashMap<(String, String), Vec<CustomerOrd>>,
    by_email: HashMap<String, Vec<CustomerOrd>>,
    by_domain: HashMap<String, Vec<CustomerOrd>>,
    name_reader: IndexReader,
    name_field: tantivy::schema::Field,
}

impl std::fmt::Debug for CustomerIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerIndex")
            .field("customers", &self.customers.len())
            .field("handles", &self.by_handle.len())
            .field("emails", &self.by_email.len())
            .field("domains", &self.by_domain.len())
            .finish_non_exhaustive()
    }
}

const NAME_TOKENIZER: &str = "person_name";

impl CustomerIndex {
    /// Indexes `customers` (a few thousand take a few tens of milliseconds).
    pub fn build(customers: Vec<Customer>) -> Result<Self, CustomerIndexError> {
        let mut schema = Schema::builder();
        let name_options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default().set_tokenizer(NAME_TOKENIZER).set_index_option(IndexRecordOption::Basic),
        );
        let name_field = schema.add_text_field("name", name_options);
        let ord_field = schema.add_u64_field("ord", FAST | STORED | INDEXED);
        let index = Index::create_in_ram(schema.build());
        index.tokenizers().register(
            NAME_TOKENIZER,
            TextAnalyzer::builder(SimpleTokenizer::default()).filter(LowerCaser).filter(AsciiFoldingFilter).build(),
        );
        let mut writer = index.writer_with_num_threads(1, 15_000_000)?;

        let mut names = Vec::with_capacity(customers.len());
        let mut companies = Vec::with_capacity(customers.len());
        let mut products = Vec::with_capacity(customers.len());
        let mut by_handle: HashMap<(String, String), Vec<CustomerOrd>> = HashMap::new();
        let mut by_email: HashMap<String, Vec<CustomerOrd>> = HashMap::new();
        let mut by_domain: HashMap<String, Vec<CustomerOrd>> = HashMap::new();
        for (position, customer) in customers.iter().enumerate() {
            let ord = position as CustomerOrd;
            let name = text::name_tokens(&customer.name);
            writer.add_document(doc!(name_field => name.join(" "), ord_field => u64::from(ord)))?;
            names.push(name);
            companies.push(customer.company.as_deref().map(text::phrase_tokens).unwrap_or_default());
            products.push(
                customer
                    .products
                    .iter()
                    .map(|product| text::phrase_tokens(product))
                    .filter(|p| !p.is_empty())
                    .collect(),
            );
            for (kind, handle) in &customer.handles {
                by_handle.entry((kind.clone(), handle.clone())).or_default().push(ord);
            }
            let mut domains = HashSet::new();
            for email in &customer.emails {
                by_email.entry(email.clone()).or_default().push(ord);
                if let Some(domain) = email.split_once('@').and_then(|(_, domain)| normalize_domain(domain)) {
                    domains.insert(domain);
                }
            }
            domains.extend(customer.domains.iter().cloned());
            for domain in domains {
                if !is_shared_provider(&domain) {
                    by_domain.entry(domain).or_default().push(ord);
                }
            }
        }
        writer.commit()?;
        let name_reader = index.reader()?;
        Ok(Self { customers, names, companies, products, by_handle, by_email, by_domain, name_reader, name_field })
    }

    pub fn customers(&self) -> &[Customer] {
        &self.customers
    }

    pub fn customer(&self, ord: CustomerOrd) -> &Customer {
        &self.customers[ord as usize]
    }

    pub fn len(&self) -> usize {
        self.customers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.customers.is_empty()
    }

    /// Customers whose CRM record gives `handle` (normalised) on source kind `kind`.
    pub fn by_handle(&self, kind: &str, handle: &str) -> &[CustomerOrd] {
        self.by_handle.get(&(kind.to_owned(), handle.to_owned())).map_or(&[], Vec::as_slice)
    }

    /// Customers with this (normalised) email address.
    pub fn by_email(&self, email: &str) -> &[CustomerOrd] {
        self.by_email.get(email).map_or(&[], Vec::as_slice)
    }

    /// Customers at this organisation domain (from their CRM domains or email addresses);
    /// always empty for webmail and platform domains. Subdomains count for their parent
    /// (`eu.globex.com` finds `globex.com`).
    pub fn by_domain(&self, domain: &str) -> &[CustomerOrd] {
        let mut candidate = domain;
        loop {
            if let Some(found) = self.by_domain.get(candidate) {
                return found;
            }
            match candidate.split_once('.') {
                Some((_, parent)) if parent.contains('.') => candidate = parent,
                _ => return &[],
            }
        }
    }

    /// A customer's name tokens (see [`text::name_tokens`]).
    pub fn name_tokens(&self, ord: CustomerOrd) -> &[String] {
        &self.names[ord as usize]
    }

    /// A customer's company as a phrase (empty when unknown).
    pub fn company_tokens(&self, ord: CustomerOrd) -> &[String] {
        &self.companies[ord as usize]
    }

    /// The customer's products as phrases.
    pub fn product_tokens(&self, ord: CustomerOrd) -> &[Vec<String>] {
        &self.products[ord as usize]
    }

    /// Customers whose name resembles `name` (tokens from [`text::name_tokens`]), best first,
    /// with similarity at least `min_similarity`. Names of fewer than two words find nothing.
    pub fn by_name(&self, name: &[String], min_similarity: f32, limit: usize) -> Vec<NameHit> {
        if name.len() < 2 || self.customers.is_empty() {
            return Vec::new();
        }
        let clauses: Vec<(Occur, Box<dyn Query>)> = name
            .iter()
            .take(4)
            .map(|token| {
                let distance = if token.chars().count() >= 4 { 1 } else { 0 };
                let term = Term::from_field_text(self.name_field, token);
                (Occur::Should, Box::new(FuzzyTermQuery::new(term, distance, true)) as Box<dyn Query>)
            })
            .collect();
        let query = BooleanQuery::new(clauses);
        let searcher = self.name_reader.searcher();
        // Common surnames (Smith) have many holders: look deep enough to see them all.
        let Ok(top) = searcher.search(&query, &TopDocs::with_limit(limit.max(1) * 8)) else {
            return Vec::new();
        };
        let mut hits = Vec::new();
        for (_, address) in top {
            let segment = searcher.segment_reader(address.segment_ord);
            let Some(ord) = segment.fast_fields().u64("ord").ok().and_then(|column| column.first(address.doc_id))
            else {
                continue;
            };
            let Ok(ord) = CustomerOrd::try_from(ord) else { continue };
            let similarity = text::name_similarity(name, &self.names[ord as usize]);
            if similarity >= min_similarity {
                hits.push(NameHit { customer: ord, similarity });
            }
        }
        hits.sort_by(|a, b| b.similarity.total_cmp(&a.similarity).then(a.customer.cmp(&b.customer)));
        hits.truncate(limit);
        hits
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::Utc;
    use hark_core::CustomerId;

    use super::*;

    fn customer(crm_ref: &str, name: &str, email: &str, company: &str) -> Customer {
        Customer {
            id: CustomerId::for_crm_ref(crm_ref),
            crm_ref: crm_ref.to_owned(),
            name: name.to_owned(),
            emails: if email.is_empty() { vec![] } else { vec![email.to_owned()] },
            company: Some(company.to_owned()),
            domains: vec![],
            handles: BTreeMap::from([("reddit".to_owned(), format!("user_{crm_ref}"))]),
            products: vec!["Acme Inbox".to_owned()],
            tier: None,
            owner: None,
            extra: BTreeMap::new(),
            updated_at: Utc::now(),
        }
    }

    fn index() -> CustomerIndex {
        CustomerIndex::build(vec![
            customer("1", "John Smith", "john.smith@globex.com", "Globex"),
            customer("2", "Jon Smith", "jon@initech.com", "Initech"),
            customer("3", "Maria Müller", "maria.m@gmail.com", "Umbrella Corp"),
            customer("4", "John Jones", "jj@eu.initech.com", "Initech"),
        ])
        .unwrap()
    }

    #[test]
    fn exact_keys() {
        let index = index();
        assert_eq!(index.by_handle("reddit", "user_2"), &[1]);
        assert!(index.by_handle("hackernews", "user_2").is_empty());
        assert_eq!(index.by_email("john.smith@globex.com"), &[0]);
        assert_eq!(index.by_domain("initech.com"), &[1]);
        assert_eq!(index.by_domain("eu.initech.com"), &[3]);
        assert_eq!(index.by_domain("sales.globex.com"), &[0], "a subdomain counts for its parent");
        assert!(index.by_domain("gmail.com").is_empty(), "webmail is never a company");
        assert_eq!(index.company_tokens(2), &["umbrella".to_owned()]);
    }

    #[test]
    fn fuzzy_names_find_look_alikes_but_rank_the_exact_one_first() {
        let index = index();
        let hits = index.by_name(&text::name_tokens("John Smith"), 0.8, 5);
        assert_eq!(hits.iter().map(|hit| hit.customer).collect::<Vec<_>>(), vec![0, 1]);
        assert!((hits[0].similarity - 1.0).abs() < 1e-6);
        assert!(hits[1].similarity < 0.99);
        let accented = index.by_name(&text::name_tokens("maria muller"), 0.9, 5);
        assert_eq!(accented[0].customer, 2);
        let typo = index.by_name(&text::name_tokens("Maria Mueller"), 0.9, 5);
        assert_eq!(typo.first().map(|hit| hit.customer), Some(2), "{typo:?}");
        assert!(index.by_name(&text::name_tokens("John"), 0.0, 5).is_empty(), "first names alone find nobody");
    }
}
