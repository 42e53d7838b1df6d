//! A labelled evaluation set for customer matching, generated from a seed, and the figures
//! the matcher reaches on it (`hark match eval`).
//!
//! The generator builds a CRM and the mentions of a listening feed whose true authors are
//! known, with the cases that make matching hard, in stated proportions
//! ([`Composition`] counts them in every generated set):
//!
//! - names drawn from skewed first- and last-name pools, so full names repeat across
//!   customers the way "John Smith" does (about one customer in six shares a full name with
//!   another, more than in most CRMs), plus look-alike pairs (Jon / John Smith, Steven /
//!   Stephen) at different companies (3% of customers);
//! - one company domain shared by many customers (1 in 15 customers work at Initech, whose
//!   other employees also post) and many small companies;
//! - a quarter of customers on webmail addresses, a tenth with none;
//! - posting customers (about 60% of customers, half of all mentions) who identify
//!   themselves in different ways: the CRM holds their current handle (48%), an old handle
//!   from before they changed it (10%, found again through a profile email or name and
//!   company), no handle but a profile email (12%), a real name and their company named in a
//!   post (12%), a real name and a company email alias or website in the profile (6%), an
//!   email written in a post (4%), a real name and only the products they use (3%: a
//!   proposal at best), and nothing at all (5%: pseudonymous);
//! - non-customer authors who resemble customers: same or look-alike full name (12%, a few
//!   naming that customer's company as a former employer or a vendor they evaluated, most
//!   its products), employees of the shared-domain company (10%) and of other customer
//!   companies (8%), webmail users (15%), first names only (10%), others (45%); and posts
//!   that write a customer's email address without being theirs ("cc jane@...");
//! - then the text cases ([`TEXT_CUSTOMER_CASES`], [`TEXT_OTHER_CASES`]: one mention more
//!   for every five above, half by customers, from a random stream of their own so that the
//!   cases above stay as they were for every seed), where what tells who the author is, or
//!   who they are not, is in the words: customers who give their company's domain
//!   ("posting for our team at northwind.io", 14%), their address in the first person with
//!   a first name only (12%) or no name (10%), their company written another way (legal
//!   forms, capitals, hyphens, run together, split, short: 18%), a signature (14%), their
//!   handle on another network (12%), their company beside a rival's (10%), their name
//!   written another way (no accents, capitals, last name first: 10%); and namesakes of
//!   customers who work elsewhere ("I'm at Hooli; Northwind is our biggest competitor",
//!   24%), used to work at the customer's company (14%), name it as a rival (14%), a vendor
//!   (12%) or a client (10%), or have an address at another organisation (14%), and posts
//!   that give a customer's address as someone else's (12%).
//!
//! Everything is deterministic for a seed: the same set, the same figures. The report gives
//! the figures overall and per case type ([`EvalReport::by_case`], [`EvalReport::case_table`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use hark_core::{Customer, CustomerId, MatchState, Mention, MentionId, SourceKind};
use hark_index::customers::CustomerIndexError;
use serde::Serialize;

use super::{MatchConfig, Matcher, group_by_author};

/// SplitMix64: small, fast, and the same on every platform.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Skewed towards the front of the list (index ~ u^skew), like name frequencies.
    pub fn pick_skewed<'a, T>(&mut self, items: &'a [T], skew: f64) -> &'a T {
        let index = (self.unit().powf(skew) * items.len() as f64) as usize;
        &items[index.min(items.len() - 1)]
    }
}

/// Spelling variants that are different people's names.
const LOOKALIKE_FIRST: &[(&str, &str)] = &[
    ("John", "Jon"),
    ("Steven", "Stephen"),
    ("Katherine", "Catherine"),
    ("Sarah", "Sara"),
    ("Eric", "Erik"),
    ("Geoffrey", "Jeffrey"),
    ("Ann", "Anne"),
    ("Philip", "Phillip"),
    ("Brian", "Bryan"),
    ("Alan", "Allan"),
    ("Mark", "Marc"),
    ("Carl", "Karl"),
    ("Kirsten", "Kristen"),
    ("Teresa", "Theresa"),
    ("Aaron", "Aron"),
];

#[rustfmt::skip]
const FIRST: &[&str] = &[
    "John", "Michael", "David", "Sarah", "James", "Maria", "Robert", "Jennifer", "William", "Linda", "Mark",
    "Steven", "Anna", "Daniel", "Laura", "Thomas", "Emily", "Chris", "Jessica", "Paul", "Karen", "Eric", "Lisa",
    "Brian", "Nancy", "Kevin", "Susan", "Jason", "Karen", "Ryan", "Michelle", "Alan", "Ann", "Peter", "Katherine",
    "Philip", "Rachel", "Carl", "Julia", "Geoffrey", "Teresa", "Aaron", "Kirsten", "Oliver", "Sofia", "Lucas",
    "Emma", "Noah", "Mia", "Liam", "Chloe", "Ethan", "Grace", "Mateo", "Priya", "Arjun", "Wei", "Mei", "Hiroshi",
    "Yuki", "Ahmed", "Fatima", "Omar", "Leila", "Ivan", "Olga", "Pierre", "Camille", "Hans", "Greta", "Luca",
    "Giulia", "Diego", "Lucia", "Sven", "Ingrid", "Kwame", "Amara", "Tomasz", "Zofia", "Raj", "Ananya", "Jorge",
    "Carmen", "Niklas", "Freya", "Marco", "Elena", "Samuel", "Hannah", "Victor", "Nora", "Felix", "Clara", "Adam",
    "Eva", "Simon", "Ruth", "Oscar", "Iris",
];

#[rustfmt::skip]
const LAST: &[&str] = &[
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris",
    "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams",
    "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Carter", "Phillips", "Evans", "Turner", "Torres",
    "Parker", "Collins", "Edwards", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan", "Peterson", "Cooper",
    "Reed", "Bailey", "Bell", "Gomez", "Kelly", "Howard", "Ward", "Cox", "Diaz", "Richardson", "Wood", "Watson",
    "Brooks", "Bennett", "Gray", "James", "Reyes", "Cruz", "Hughes", "Price", "Myers", "Long", "Foster", "Sanders",
    "Ross", "Morales", "Powell", "Sullivan", "Russell", "Ortiz", "Jenkins", "Gutierrez", "Perry", "Butler",
    "Barnes", "Fisher", "Henderson", "Coleman", "Simmons", "Patterson", "Jordan", "Reynolds", "Hamilton", "Graham",
    "Kim", "Gonzales", "Alexander", "Ramos", "Wallace", "Griffin", "West", "Cole", "Hayes", "Chavez", "Gibson",
    "Bryant", "Ellis", "Stevens", "Murray", "Ford", "Marshall", "Owens", "McDonald", "Harrison", "Müller",
    "Schmidt", "Schneider", "Fischer", "Weber", "Dubois", "Lefèvre", "Rossi", "Bianchi", "Kowalski", "Nowak",
    "Novák", "Andersson", "Nilsson", "Hansen", "Jensen", "Tanaka", "Suzuki", "Watanabe", "Wang", "Li", "Zhang",
    "Chen", "Liu", "Singh", "Kumar", "Patel", "Sharma", "Khan", "Ali", "Hassan", "O'Brien", "O'Connor", "Murphy",
    "Ivanov", "Petrov", "Silva", "Santos", "Oliveira", "Pereira", "Costa", "Fernández", "López", "Hernández",
];

#[rustfmt::skip]
const COMPANY_PREFIX: &[&str] = &[
    "North", "Blue", "Bright", "Iron", "Silver", "Green", "Red", "Swift", "Clear", "True", "Deep", "High", "Summit",
    "Harbor", "Pine", "Cedar", "Maple", "Granite", "Coral", "Amber", "Orbit", "Nova", "Apex", "Vertex", "Quantum",
    "Polar", "Solar", "Lunar", "Stone", "River", "Lake", "Falcon", "Eagle", "Otter", "Fox", "Wolf", "Bear", "Hawk",
    "Crane", "Lark",
];

#[rustfmt::skip]
const COMPANY_SUFFIX: &[&str] = &[
    "wind Logistics", "gate Systems", "field Foods", "line Health", "works Labs", "point Analytics",
    "stone Capital", "bridge Software", "path Travel", "light Energy", "ridge Retail", "wave Media",
    "spark Robotics", "forge Manufacturing", "crest Insurance", "leaf Organics", "port Shipping", "view Realty",
    "scale Cloud", "mark Legal", "side Dental", "well Fitness", "craft Studio", "cast Networks", "shore Marine",
];

const WEBMAIL: &[&str] = &["gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "proton.me"];

const PRODUCTS: &[&str] = &["Acme Inbox", "Acme Sync", "Acme Insights", "Acme Mobile"];

const COMPETITORS: &[&str] = &["Pipedrive", "HubSpot", "Salesforce", "Zoho", "Freshsales"];

const SOURCES: &[(&str, f64)] =
    &[("reddit", 0.35), ("hackernews", 0.2), ("mastodon", 0.15), ("bluesky", 0.15), ("twitter", 0.15)];

#[rustfmt::skip]
const HANDLE_WORDS: &[&str] = &[
    "pixel", "nomad", "coder", "rider", "otter", "maple", "quiet", "rapid", "lunar", "cobalt", "tiger", "panda",
    "vector", "delta", "ember", "frost", "orbit", "ranger", "sparrow", "walnut", "zephyr", "indigo", "juniper",
    "kernel", "lambda", "matrix", "nebula", "onyx", "prism", "quartz",
];

/// Generator sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EvalConfig {
    pub customers: usize,
    pub mentions: usize,
    pub seed: u64,
}

impl Default for EvalConfig {
    fn default() -> Self {
        Self { customers: 3000, mentions: 30_000, seed: 42 }
    }
}

/// What a generated set is made of.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Composition {
    pub customers: usize,
    pub companies: usize,
    /// Customers at the one company whose domain many customers share.
    pub shared_domain_customers: usize,
    /// Customers whose name is a spelling variant of another customer's (Jon / John Smith).
    pub lookalike_customers: usize,
    /// Customers whose exact full name another customer also has.
    pub customers_sharing_full_name: usize,
    pub webmail_customers: usize,
    pub customers_without_email: usize,
    /// Posting customers by how they can be identified.
    pub customer_authors: BTreeMap<&'static str, usize>,
    /// Non-customer authors by the case they stand for.
    pub other_authors: BTreeMap<&'static str, usize>,
    pub customer_mentions: usize,
    pub other_mentions: usize,
    /// Mentions that write someone else's email address in the text.
    pub mentions_with_someone_elses_email: usize,
}

/// A generated CRM and feed with the true author of every mention.
#[derive(Debug, Clone)]
pub struct LabelledSet {
    pub customers: Vec<Customer>,
    pub mentions: Vec<Mention>,
    /// The customer who wrote each mention; mentions by non-customers are absent.
    pub truth: HashMap<MentionId, CustomerId>,
    /// Mentions by customers who leave no identifying evidence anywhere.
    pub unidentifiable: HashSet<MentionId>,
    /// The case each mention's author stands for (`customer:...` or `other:...`).
    pub cases: HashMap<MentionId, &'static str>,
    pub composition: Composition,
}

struct Company {
    name: String,
    domain: String,
}

struct Writer<'a> {
    rng: &'a mut Rng,
    mentions: Vec<Mention>,
    base: DateTime<Utc>,
    handles: HashSet<String>,
    handle_counter: usize,
}

/// How one author presents themself on every post.
#[derive(Default, Clone)]
struct Persona {
    kind: &'static str,
    handle: Option<String>,
    display: Option<String>,
    email: Option<String>,
    profile_url: Option<String>,
    /// Company named in the first post, and in others with `company_rate`.
    company: Option<String>,
    company_rate: f64,
    /// Written into one post ("reach me at ...").
    email_in_post: Option<String>,
    /// Someone else's address, written into one post.
    other_email_in_post: Option<String>,
    products: Vec<String>,
    /// The company is named as someone else's (a former employer, a vendor), not theirs.
    company_not_theirs: bool,
    /// Sentences written into the first post.
    first_lines: Vec<String>,
    /// Sentences written into later posts, one at a time, each post with `lines_rate`.
    later_lines: Vec<String>,
    lines_rate: f64,
    /// Closes the first post, and later ones with `lines_rate`.
    signature: Option<String>,
}

impl Writer<'_> {
    fn handle(&mut self, kind: &str) -> String {
        loop {
            self.handle_counter += 1;
            let word = self.rng.pick(HANDLE_WORDS);
            let second = self.rng.pick(HANDLE_WORDS);
            let handle = match kind {
                "mastodon" => format!("{word}{second}{}@mastodon.social", self.handle_counter % 997),
                "bluesky" => format!("{word}{second}{}.bsky.social", self.handle_counter % 997),
                _ => format!("{word}_{second}{}", self.handle_counter % 9973),
            };
            if self.handles.insert(format!("{kind}/{handle}")) {
                return handle;
            }
        }
    }

    fn text(&mut self, persona: &Persona, index: usize) -> String {
        let rng = &mut *self.rng;
        let product = if !persona.products.is_empty() && rng.chance(0.5) {
            rng.pick(&persona.products).clone()
        } else {
            (*rng.pick(PRODUCTS)).to_owned()
        };
        let competitor = rng.pick(COMPETITORS);
        let mut text = match rng.below(8) {
            0 => format!(
                "Has anyone moved from {competitor} to Acme CRM? Wondering how {product} handles shared inboxes."
            ),
            1 => format!("{product} keeps dropping sync with our calendar since the last update. Anyone else?"),
            2 => format!("Really happy with {product} so far, onboarding took an afternoon."),
            3 => format!("Comparing Acme CRM and {competitor} for a 20 person sales team, pricing looks similar."),
            4 => format!("Tip: {product} lets you bulk-assign leads from the pipeline view."),
            5 => format!("Support for {product} answered in ten minutes, impressed."),
            6 => format!("Is there an API limit on {product}? Our nightly export hits 429s."),
            _ => format!("Thinking about replacing {competitor} with Acme CRM next quarter."),
        };
        if let Some(company) = &persona.company {
            if index == 0 || rng.chance(persona.company_rate) {
                let which = rng.below(4);
                let phrase = if persona.company_not_theirs {
                    // "We evaluated Globex's setup", "I used to work at Globex".
                    match which {
                        0 => format!(" We evaluated {company}'s setup before choosing Acme."),
                        1 => format!(" I used to work at {company}, they ran Acme too."),
                        2 => format!(" Back when I was at {company} we used it across three teams."),
                        _ => format!(" {company} was on our vendor shortlist last year."),
                    }
                } else {
                    match which {
                        0 => format!(" We use it at {company} across three teams."),
                        1 => format!(" (Speaking for the ops team at {company}.)"),
                        2 => format!(" At {company} we rolled it out last month."),
                        _ => format!(" Our {company} setup has about 40 seats."),
                    }
                };
                text.push_str(&phrase);
            }
        }
        if index == 0 {
            if let Some(email) = &persona.email_in_post {
                text.push_str(&format!(" Happy to compare notes, reach me at {email}."));
            }
        }
        if index == 1 || (index == 0 && persona.other_email_in_post.is_some() && persona.email_in_post.is_none()) {
            if let Some(email) = &persona.other_email_in_post {
                text.push_str(&format!(" cc {email}, who owns our rollout."));
            }
        }
        // The text cases draw only when they have lines, so the cases above stay as they were.
        if index == 0 {
            for line in &persona.first_lines {
                text.push(' ');
                text.push_str(line);
            }
        } else if !persona.later_lines.is_empty() && rng.chance(persona.lines_rate) {
            text.push(' ');
            let line = rng.pick(&persona.later_lines).clone();
            text.push_str(&line);
        }
        if let Some(signature) = &persona.signature {
            if index == 0 || rng.chance(persona.lines_rate) {
                text.push_str(signature);
            }
        }
        text
    }

    fn write(&mut self, persona: &Persona, count: usize) -> Vec<MentionId> {
        let mut ids = Vec::with_capacity(count);
        for index in 0..count {
            let text = self.text(persona, index);
            let n = self.mentions.len();
            let at = self.base + Duration::minutes(n as i64 * 7);
            let kind = SourceKind::parse(persona.kind).expect("generator source kinds are valid");
            let mut mention = Mention::new(kind, persona.kind, format!("gen-{n}"), text, at);
            mention.published_at = Some(at);
            mention.author.handle = persona.handle.clone();
            mention.author.name = persona.display.clone();
            mention.author.email = persona.email.clone();
            mention.author.profile_url = persona.profile_url.clone();
            ids.push(mention.id.clone());
            self.mentions.push(mention);
        }
        ids
    }
}

fn posts_count(rng: &mut Rng) -> usize {
    // Mostly a few posts, a long tail of regulars: mean about 8.
    let draw = -(1.0 - rng.unit()).ln() * 8.0;
    1 + (draw as usize).min(39)
}

fn pick_source(rng: &mut Rng) -> &'static str {
    let mut roll = rng.unit();
    for (kind, share) in SOURCES {
        if roll < *share {
            return kind;
        }
        roll -= share;
    }
    SOURCES[0].0
}

/// Generates a labelled set.
pub fn generate(config: EvalConfig) -> LabelledSet {
    let mut rng = Rng::new(config.seed);
    let mut composition = Composition::default();

    // Companies: one large shared-domain employer and many small ones.
    let company_count = (config.customers / 4).max(8);
    let mut companies = vec![Company { name: "Initech".to_owned(), domain: "initech.com".to_owned() }];
    let mut used_names = HashSet::new();
    while companies.len() < company_count {
        let prefix = rng.pick(COMPANY_PREFIX);
        let suffix = rng.pick(COMPANY_SUFFIX);
        let name = format!("{prefix}{suffix}");
        if !used_names.insert(name.clone()) {
            if used_names.len() >= COMPANY_PREFIX.len() * COMPANY_SUFFIX.len() {
                break;
            }
            continue;
        }
        let tld = *rng.pick(&["com", "com", "io", "co", "net"]);
        let domain = format!("{}.{tld}", name.split_whitespace().next().unwrap_or(&name).to_lowercase());
        companies.push(Company { name, domain });
    }
    composition.companies = companies.len();

    // Customers.
    let shared = (config.customers / 15).max(1);
    let now = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).single().expect("a valid date");
    let mut customers: Vec<Customer> = Vec::with_capacity(config.customers);
    let mut customer_company: Vec<usize> = Vec::with_capacity(config.customers);
    let mut emails_taken = HashSet::new();
    let mut pending_lookalike: Option<(String, usize)> = None;
    for i in 0..config.customers {
        let company = if i < shared { 0 } else { 1 + (rng.unit().powf(1.8) * (companies.len() - 1) as f64) as usize };
        let company = company.min(companies.len() - 1);
        let (mut first, last) = ((*rng.pick_skewed(FIRST, 1.15)).to_owned(), (*rng.pick_skewed(LAST, 1.2)).to_owned());
        let mut company_index = company;
        let name = if let Some((name, model_company)) = pending_lookalike.take() {
            // The second of a look-alike pair (Jon Smith beside John Smith), elsewhere.
            if company_index == model_company {
                company_index = 1 + company_index % (companies.len() - 1);
            }
            composition.lookalike_customers += 2;
            name
        } else {
            if rng.chance(0.015) {
                let (a, b) = *rng.pick(LOOKALIKE_FIRST);
                let (a, b) = if rng.chance(0.5) { (a, b) } else { (b, a) };
                first = a.to_owned();
                pending_lookalike = Some((format!("{b} {last}"), company_index));
            }
            format!("{first} {last}")
        };
        push_customer(
            &mut rng,
            &mut customers,
            &mut emails_taken,
            &mut composition,
            i,
            &name,
            &companies[company_index],
            now,
        );
        customer_company.push(company_index);
    }
    composition.customers = customers.len();
    composition.shared_domain_customers = customer_company.iter().filter(|&&c| c == 0).count();
    let mut name_counts: HashMap<&str, usize> = HashMap::new();
    for customer in &customers {
        *name_counts.entry(customer.name.as_str()).or_default() += 1;
    }
    composition.customers_sharing_full_name = customers.iter().filter(|c| name_counts[c.name.as_str()] > 1).count();

    let mut writer = Writer {
        rng: &mut rng,
        mentions: Vec::with_capacity(config.mentions),
        base: now,
        handles: HashSet::new(),
        handle_counter: 0,
    };
    let mut truth = HashMap::new();
    let mut unidentifiable = HashSet::new();
    let mut cases: HashMap<MentionId, &'static str> = HashMap::new();

    // Posting customers: half the mentions.
    let customer_budget = config.mentions / 2;
    let mut order: Vec<usize> = (0..customers.len()).collect();
    for i in (1..order.len()).rev() {
        let j = writer.rng.below(i + 1);
        order.swap(i, j);
    }
    let mut cursor = 0;
    while writer.mentions.len() < customer_budget && cursor < order.len() {
        let index = order[cursor];
        cursor += 1;
        let kind = pick_source(writer.rng);
        let handle = writer.handle(kind);
        let customer = &customers[index];
        let company = &companies[customer_company[index]];
        let email = customer.emails.first().cloned();
        let corporate = email.as_deref().is_some_and(|e| e.ends_with(&company.domain));
        let roll = writer.rng.unit();
        let mut category = match roll {
            r if r < 0.48 => "crm_handle",
            r if r < 0.58 => "changed_handle",
            r if r < 0.70 => "profile_email",
            r if r < 0.82 => "name_and_company",
            r if r < 0.88 => "name_and_company_domain",
            r if r < 0.92 => "email_in_post",
            r if r < 0.95 => "name_and_product",
            _ => "unidentifiable",
        };
        if matches!(category, "profile_email" | "email_in_post") && email.is_none() {
            category = "name_and_company";
        }
        if category == "name_and_company_domain" && !corporate && customer.domains.is_empty() {
            category = "name_and_company";
        }
        let mut persona = Persona {
            kind,
            handle: Some(handle.clone()),
            products: customer.products.clone(),
            company_rate: 0.3,
            ..Persona::default()
        };
        let real_name = customer.name.clone();
        let first_name = real_name.split(' ').next().unwrap_or(&real_name).to_owned();
        let casual_display = |rng: &mut Rng| match rng.below(20) {
            0..=11 => Some(real_name.clone()),
            12..=14 => Some(first_name.clone()),
            _ => None,
        };
        let customer = &mut customers[index];
        match category {
            "crm_handle" => {
                customer.handles.insert(kind.to_owned(), handle);
                persona.display = casual_display(writer.rng);
                if writer.rng.chance(0.3) {
                    persona.company = Some(company.name.clone());
                }
            }
            "changed_handle" => {
                let old = writer.handle(kind);
                customer.handles.insert(kind.to_owned(), old);
                if email.is_some() && writer.rng.chance(0.5) {
                    persona.email = email.clone();
                    persona.display = casual_display(writer.rng);
                } else {
                    persona.display = Some(real_name.clone());
                    persona.company = Some(company.name.clone());
                }
            }
            "profile_email" => {
                persona.email = email.clone();
                persona.display = casual_display(writer.rng);
            }
            "name_and_company" => {
                persona.display = Some(real_name.clone());
                persona.company = Some(company.name.clone());
            }
            "name_and_company_domain" => {
                persona.display = Some(real_name.clone());
                let tokens = hark_index::customers::text::name_tokens(&real_name);
                if writer.rng.chance(0.5) {
                    // Another alias at the company than the one the CRM holds.
                    let alias = format!(
                        "{}{}@{}",
                        tokens.first().and_then(|t| t.chars().next()).unwrap_or('x'),
                        tokens.last().cloned().unwrap_or_default(),
                        company.domain
                    );
                    persona.email = Some(alias);
                } else {
                    persona.profile_url = Some(format!("https://www.{}/team/{}", company.domain, tokens.join("-")));
                }
            }
            "email_in_post" => {
                persona.display = Some(real_name.clone());
                persona.email_in_post = email.clone();
            }
            "name_and_product" => {
                // Says who they are and what they use, never where they work.
                persona.display = Some(real_name.clone());
            }
            _ => {
                persona.display = None;
                persona.products = vec![];
            }
        }
        // Now and then, a colleague's address in a post.
        if writer.rng.chance(0.04) {
            let colleague = (0..customers.len()).find(|&other| {
                other != index
                    && customer_company[other] == customer_company[index]
                    && !customers[other].emails.is_empty()
            });
            if let Some(colleague) = colleague {
                persona.other_email_in_post = customers[colleague].emails.first().cloned();
                composition.mentions_with_someone_elses_email += 1;
            }
        }
        *composition.customer_authors.entry(category).or_default() += 1;
        let count = posts_count(writer.rng).min(customer_budget.saturating_sub(writer.mentions.len()).max(1));
        for id in writer.write(&persona, count) {
            if category == "unidentifiable" {
                unidentifiable.insert(id.clone());
            }
            cases.insert(id.clone(), category);
            truth.insert(id, customers[index].id.clone());
        }
    }
    composition.customer_mentions = writer.mentions.len();

    // Everyone else.
    while writer.mentions.len() < config.mentions {
        let kind = pick_source(writer.rng);
        let handle = writer.handle(kind);
        let mut persona = Persona { kind, handle: Some(handle), company_rate: 0.3, ..Persona::default() };
        let random_name = |rng: &mut Rng| format!("{} {}", rng.pick_skewed(FIRST, 1.15), rng.pick_skewed(LAST, 1.2));
        let roll = writer.rng.unit();
        let category = match roll {
            r if r < 0.12 => "lookalike_of_customer",
            r if r < 0.22 => "shared_domain_employee",
            r if r < 0.30 => "colleague_of_customer",
            r if r < 0.45 => "webmail",
            r if r < 0.55 => "first_name_only",
            _ => "other",
        };
        match category {
            "lookalike_of_customer" => {
                let model_index = writer.rng.below(customers.len());
                let model = &customers[model_index];
                let model_company = &companies[customer_company[model_index]];
                let (model_first, model_last) = model.name.split_once(' ').unwrap_or((&model.name, ""));
                let variant = LOOKALIKE_FIRST
                    .iter()
                    .find_map(|(a, b)| (*a == model_first).then_some(*b).or_else(|| (*b == model_first).then_some(*a)));
                persona.display = match variant {
                    Some(variant) if writer.rng.chance(0.3) => Some(format!("{variant} {model_last}")),
                    _ => Some(model.name.clone()),
                };
                persona.products = model.products.clone();
                persona.company = if writer.rng.chance(0.06) {
                    // "We evaluated Globex's setup", "I used to work at Globex".
                    persona.company_not_theirs = true;
                    Some(model_company.name.clone())
                } else if writer.rng.chance(0.4) {
                    Some(companies[writer.rng.below(companies.len())].name.clone())
                } else {
                    None
                };
                persona.company_rate = 0.2;
            }
            "shared_domain_employee" => {
                let name = random_name(writer.rng);
                let tokens = hark_index::customers::text::name_tokens(&name);
                if writer.rng.chance(0.4) {
                    let email =
                        format!("{}.{}{}@initech.com", tokens[0], tokens[tokens.len() - 1], writer.rng.below(90));
                    persona.email = Some(email);
                }
                persona.display = writer.rng.chance(0.8).then_some(name);
                if writer.rng.chance(0.5) {
                    persona.company = Some("Initech".to_owned());
                }
            }
            "colleague_of_customer" => {
                let company = &companies[customer_company[writer.rng.below(customers.len())]];
                let name = random_name(writer.rng);
                let tokens = hark_index::customers::text::name_tokens(&name);
                if writer.rng.chance(0.4) {
                    persona.email = Some(format!("{}.{}.x@{}", tokens[0], tokens[tokens.len() - 1], company.domain));
                } else if writer.rng.chance(0.15) {
                    persona.profile_url = Some(format!("https://{}/people/{}", company.domain, tokens.join("-")));
                }
                persona.display = writer.rng.chance(0.8).then_some(name);
                if writer.rng.chance(0.5) {
                    persona.company = Some(company.name.clone());
                }
            }
            "webmail" => {
                let name = random_name(writer.rng);
                let tokens = hark_index::customers::text::name_tokens(&name);
                let provider = writer.rng.pick(WEBMAIL);
                persona.email =
                    Some(format!("{}{}{}@{provider}", tokens[0], tokens[tokens.len() - 1], writer.rng.below(999)));
                persona.display = Some(name);
            }
            "first_name_only" => {
                persona.display = Some((*writer.rng.pick_skewed(FIRST, 1.15)).to_owned());
                if writer.rng.chance(0.3) {
                    persona.company = Some(companies[writer.rng.below(companies.len())].name.clone());
                }
            }
            _ => {
                persona.display = writer.rng.chance(0.5).then(|| random_name(writer.rng));
                if writer.rng.chance(0.2) {
                    persona.company = Some(companies[writer.rng.below(companies.len())].name.clone());
                }
            }
        }
        if writer.rng.chance(0.01) {
            let someone = &customers[writer.rng.below(customers.len())];
            if let Some(email) = someone.emails.first() {
                persona.other_email_in_post = Some(email.clone());
                composition.mentions_with_someone_elses_email += 1;
            }
        }
        *composition.other_authors.entry(category).or_default() += 1;
        let count = posts_count(writer.rng).min(config.mentions - writer.mentions.len());
        for id in writer.write(&persona, count) {
            cases.insert(id, category);
        }
    }

    // The text cases, after all the others and from their own random stream, so that every
    // seed still gives the cases above as they were.
    let Writer { mentions, handles, handle_counter, .. } = writer;
    let mut text_rng = Rng::new(config.seed ^ TEXT_CASES_STREAM);
    let mut writer = Writer { rng: &mut text_rng, mentions, base: now, handles, handle_counter };
    let mut text_cases = TextCases {
        customers: &mut customers,
        companies: &companies,
        customer_company: &customer_company,
        truth: &mut truth,
        cases: &mut cases,
        composition: &mut composition,
    };
    text_cases.generate(&mut writer, &order[cursor..], config.mentions / TEXT_CASES_DIVISOR);
    composition.customer_mentions = truth.len();
    composition.other_mentions = writer.mentions.len() - truth.len();
    let mentions = writer.mentions;
    LabelledSet { customers, mentions, truth, unidentifiable, cases, composition }
}

/// Seeds the text cases' random stream (with the set's seed).
const TEXT_CASES_STREAM: u64 = 0x7E47_CA5E_5EED_0002;

/// The text cases add one mention for every this many of the others.
const TEXT_CASES_DIVISOR: usize = 5;

/// Organisations outside the CRM that namesakes work at.
const OUTSIDE: &[(&str, &str)] = &[
    ("Vandelay Industries", "vandelay.com"),
    ("Hooli", "hooli.xyz"),
    ("Pied Piper", "piedpiper.com"),
    ("Dunder Mifflin", "dundermifflin.com"),
    ("Stark Industries", "starkindustries.com"),
    ("Wayne Enterprises", "wayne-enterprises.com"),
    ("Cyberdyne Systems", "cyberdyne.io"),
    ("Soylent Corp", "soylent.co"),
    ("Wonka Industries", "wonka.com"),
    ("Tyrell Corporation", "tyrell.com"),
    ("Oscorp", "oscorp.com"),
    ("Massive Dynamic", "massivedynamic.com"),
    ("Aperture Science", "aperture.io"),
    ("Gekko & Co", "gekko.co"),
    ("Sterling Cooper", "sterlingcooper.com"),
];

/// Posting customers of the text cases, by how the text identifies them, with their shares.
const TEXT_CUSTOMER_CASES: &[(&str, f64)] = &[
    ("domain_in_post", 0.14),
    ("email_in_post_first_name", 0.12),
    ("email_in_post_no_name", 0.10),
    ("company_variant", 0.18),
    ("signature", 0.14),
    ("handle_elsewhere", 0.12),
    ("names_rival", 0.10),
    ("name_variant", 0.10),
];

/// Authors of the text cases who are not customers, with their shares: namesakes of a
/// customer who say they are not at the customer's company, and posts that give a
/// customer's address as someone else's.
const TEXT_OTHER_CASES: &[(&str, f64)] = &[
    ("works_elsewhere", 0.24),
    ("former_employee", 0.14),
    ("rival_mention", 0.14),
    ("vendor_mention", 0.12),
    ("client_mention", 0.10),
    ("other_domain_namesake", 0.14),
    ("third_party_email", 0.12),
];

/// The text-case categories whose authors say, one way or another, that they are not at
/// the customer's company: automatic matches there must be none.
pub const WORKS_ELSEWHERE_CASES: &[&str] = &[
    "works_elsewhere",
    "former_employee",
    "rival_mention",
    "vendor_mention",
    "client_mention",
    "other_domain_namesake",
];

fn pick_case(rng: &mut Rng, cases: &[(&'static str, f64)]) -> &'static str {
    let mut roll = rng.unit();
    for (case, share) in cases {
        if roll < *share {
            return case;
        }
        roll -= share;
    }
    cases[cases.len() - 1].0
}

/// Cases where what identifies the author, or tells against a customer, is in the text:
///
/// - customers (half the mentions) who give their company's domain as their team's
///   ("posting for our team at northwind.io"), their address in the first person with only
///   a first name or no display name, their company written another way (`Northwind
///   Logistics Inc.`, `NORTHWIND LOGISTICS`, `North Wind Logistics`, `northwind-logistics`,
///   `Northwind`), a signature (`— Jane Doe, Northwind Logistics`), their handle on another
///   network ("I'm @jane on Twitter", a profile link), their own company beside a rival's,
///   and their name written another way (without accents, in capitals, `Doe, Jane`);
/// - namesakes of customers (the same full name) who work elsewhere ("I'm at Hooli;
///   Northwind is our biggest competitor"), used to work at the customer's company, name it
///   as a rival, a vendor or a client, or have an address at another company; and posts
///   that give a customer's address as someone else's ("cc jane@...").
struct TextCases<'a> {
    customers: &'a mut Vec<Customer>,
    companies: &'a [Company],
    customer_company: &'a [usize],
    truth: &'a mut HashMap<MentionId, CustomerId>,
    cases: &'a mut HashMap<MentionId, &'static str>,
    composition: &'a mut Composition,
}

impl TextCases<'_> {
    fn generate(&mut self, writer: &mut Writer<'_>, unused: &[usize], budget: usize) {
        let start = writer.mentions.len();
        let customer_end = start + budget / 2;
        let mut unused = unused.iter();
        while writer.mentions.len() < customer_end {
            let Some(&index) = unused.next() else { break };
            let category = pick_case(writer.rng, TEXT_CUSTOMER_CASES);
            let (category, persona) = self.customer_persona(writer, index, category);
            *self.composition.customer_authors.entry(category).or_default() += 1;
            let count = posts_count(writer.rng).min(customer_end - writer.mentions.len()).max(1);
            for id in writer.write(&persona, count) {
                self.cases.insert(id.clone(), category);
                self.truth.insert(id, self.customers[index].id.clone());
            }
        }
        let end = start + budget;
        while writer.mentions.len() < end {
            let category = pick_case(writer.rng, TEXT_OTHER_CASES);
            let persona = self.other_persona(writer, category);
            *self.composition.other_authors.entry(category).or_default() += 1;
            let count = posts_count(writer.rng).min(end - writer.mentions.len()).max(1);
            for id in writer.write(&persona, count) {
                self.cases.insert(id, category);
            }
        }
    }

    /// The domain the CRM knows for a customer's company, if it knows one.
    fn known_domain(&self, index: usize) -> Option<String> {
        let domain = &self.companies[self.customer_company[index]].domain;
        let customer = &self.customers[index];
        let known =
            customer.domains.contains(domain) || customer.emails.iter().any(|e| e.ends_with(&format!("@{domain}")));
        known.then(|| domain.clone())
    }

    fn customer_persona(
        &mut self,
        writer: &mut Writer<'_>,
        index: usize,
        category: &'static str,
    ) -> (&'static str, Persona) {
        let kind = pick_source(writer.rng);
        let handle = writer.handle(kind);
        let customer = &self.customers[index];
        let company = &self.companies[self.customer_company[index]];
        let real_name = customer.name.clone();
        let first_name = real_name.split(' ').next().unwrap_or(&real_name).to_owned();
        let email = customer.emails.first().cloned();
        let domain = self.known_domain(index);
        let mut category = category;
        if category.starts_with("email_in_post") && email.is_none() || category == "domain_in_post" && domain.is_none()
        {
            category = "company_variant";
        }
        let mut persona = Persona {
            kind,
            handle: Some(handle),
            products: customer.products.clone(),
            company_rate: 0.3,
            lines_rate: 0.3,
            ..Persona::default()
        };
        let rng = &mut *writer.rng;
        match category {
            "domain_in_post" => {
                let domain = domain.unwrap_or_default();
                persona.display = Some(real_name);
                persona.first_lines = vec![match rng.below(4) {
                    0 => format!("Posting for our team at {domain}."),
                    1 => format!("I'm with {domain}, happy to share our setup."),
                    2 => format!("Our team at {domain} moved to Acme last quarter."),
                    _ => format!("We run it at {domain} for the whole sales floor."),
                }];
            }
            "email_in_post_first_name" | "email_in_post_no_name" => {
                let email = email.unwrap_or_default();
                persona.display = (category == "email_in_post_first_name").then_some(first_name);
                persona.first_lines = vec![match rng.below(4) {
                    0 => format!("Happy to compare notes, reach me at {email}."),
                    1 => format!("My email is {email} if you want the details."),
                    2 => format!("Drop me a line at {email}."),
                    _ => format!("You can write to me at {email}."),
                }];
            }
            "company_variant" => {
                persona.display = Some(real_name);
                persona.company = Some(company_variant(rng, &company.name));
            }
            "signature" => {
                persona.display = match rng.below(5) {
                    0..=2 => None,
                    _ => Some(first_name),
                };
                let written = company_variant(rng, &company.name);
                persona.signature = Some(match rng.below(4) {
                    0 => format!("\n\n— {real_name}, {written}"),
                    1 => format!("\n-- {real_name} | {}", company.name),
                    2 => format!("\n\nCheers,\n{real_name}\n{}", company.name),
                    _ => match &domain {
                        Some(domain) => format!(" — {real_name}, {domain}"),
                        None => format!(" — {real_name}, {}", company.name),
                    },
                });
            }
            "handle_elsewhere" => {
                let other_kind = *rng.pick(&["twitter", "bluesky", "mastodon"]);
                let elsewhere = writer.handle(other_kind);
                self.customers[index].handles.insert(other_kind.to_owned(), elsewhere.clone());
                let rng = &mut *writer.rng;
                persona.display = match rng.below(3) {
                    0 => None,
                    1 => Some(first_name),
                    _ => Some(real_name),
                };
                let network = match other_kind {
                    "twitter" => "Twitter",
                    "bluesky" => "Bluesky",
                    _ => "Mastodon",
                };
                if rng.chance(0.4) {
                    persona.profile_url = Some(match other_kind {
                        "twitter" => format!("https://twitter.com/{elsewhere}"),
                        "bluesky" => format!("https://bsky.app/profile/{elsewhere}"),
                        _ => {
                            let (user, host) = elsewhere.split_once('@').unwrap_or((&elsewhere, "mastodon.social"));
                            format!("https://{host}/@{user}")
                        }
                    });
                } else {
                    persona.first_lines = vec![match rng.below(3) {
                        0 => format!("(I'm @{elsewhere} on {network}.)"),
                        1 => format!("Find me on {network}: @{elsewhere}"),
                        _ => format!("More from me on {network} as @{elsewhere}."),
                    }];
                }
            }
            "names_rival" => {
                persona.display = Some(real_name);
                persona.company = Some(company.name.clone());
                let own = self.customer_company[index];
                let mut other = rng.below(self.companies.len());
                if other == own {
                    other = (other + 1) % self.companies.len();
                }
                let rival = &self.companies[other].name;
                persona.later_lines = vec![match rng.below(4) {
                    0 => format!("{rival} is our biggest competitor and they just moved to Acme too."),
                    1 => format!("We evaluated {rival} as a vendor but stayed in-house."),
                    2 => format!("I used to work at {rival}, the setup there was a mess."),
                    _ => format!("We keep losing deals to {rival}."),
                }];
                persona.first_lines = persona.later_lines.clone();
            }
            _ => {
                // name_variant: the name written without accents, in capitals, or last name first.
                let folded = hark_index::customers::text::tokens(&real_name);
                let capitalised: Vec<String> = folded
                    .iter()
                    .map(|word| {
                        let mut chars = word.chars();
                        chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
                    })
                    .collect();
                persona.display = Some(match rng.below(3) {
                    0 => capitalised.join(" "),
                    1 => real_name.to_uppercase(),
                    _ => match real_name.rsplit_once(' ') {
                        Some((first, last)) => format!("{last}, {first}"),
                        None => real_name.clone(),
                    },
                });
                persona.company = Some(company.name.clone());
            }
        }
        (category, persona)
    }

    fn other_persona(&mut self, writer: &mut Writer<'_>, category: &'static str) -> Persona {
        let kind = pick_source(writer.rng);
        let handle = writer.handle(kind);
        let rng = &mut *writer.rng;
        let model_index = rng.below(self.customers.len());
        let model = &self.customers[model_index];
        let model_company = self.customer_company[model_index];
        let theirs = self.companies[model_company].name.clone();
        let mut persona = Persona {
            kind,
            handle: Some(handle),
            display: Some(model.name.clone()),
            products: model.products.clone(),
            company_rate: 0.3,
            lines_rate: 0.3,
            ..Persona::default()
        };
        // Where the namesake works: outside the CRM, or at another customer company where
        // no customer has their name.
        let (elsewhere, elsewhere_domain) = {
            let candidate = rng.below(self.companies.len());
            let taken = (0..self.customers.len())
                .any(|c| self.customer_company[c] == candidate && self.customers[c].name == model.name);
            if rng.chance(0.3) && candidate != model_company && !taken {
                (self.companies[candidate].name.clone(), self.companies[candidate].domain.clone())
            } else {
                let (name, domain) = rng.pick(OUTSIDE);
                ((*name).to_owned(), (*domain).to_owned())
            }
        };
        let neutral = vec![
            format!("{theirs} rolled out Acme last month, curious how it went."),
            format!("{theirs} still runs on Acme as far as I know."),
            format!("Saw {theirs} at the Acme conference."),
        ];
        match category {
            "works_elsewhere" => {
                persona.first_lines = vec![match rng.below(5) {
                    0 => format!("I'm at {elsewhere}; {theirs} is our biggest competitor."),
                    1 => format!("I work at {elsewhere}, and we compete with {theirs} every day."),
                    2 => format!("Posting for our team at {elsewhere_domain}. {theirs} uses Acme too."),
                    3 => format!("Disclosure: I work for {elsewhere}. {theirs} is a rival of ours."),
                    _ => format!("Here at {elsewhere} we benchmarked against {theirs}."),
                }];
                if rng.chance(0.5) {
                    persona.company = Some(elsewhere);
                }
                persona.later_lines = neutral;
            }
            "former_employee" => {
                persona.first_lines = vec![match rng.below(4) {
                    0 => format!("I used to work at {theirs}, now I'm at {elsewhere}."),
                    1 => format!("Back when I was at {theirs} we ran Acme too."),
                    2 => format!("Ex-{theirs} here, still a fan of the product."),
                    _ => format!("I left {theirs} last year but still use Acme."),
                }];
                persona.later_lines = neutral;
            }
            "rival_mention" => {
                persona.first_lines = vec![match rng.below(4) {
                    0 => format!("{theirs} is our biggest competitor, and they use Acme too."),
                    1 => format!("We keep losing deals to {theirs}."),
                    2 => format!("Our main rival, {theirs}, just moved to Acme."),
                    _ => format!("We compete with {theirs} in the same market."),
                }];
                if rng.chance(0.5) {
                    persona.company = Some(elsewhere);
                }
                persona.later_lines = neutral;
            }
            "vendor_mention" => {
                persona.first_lines = vec![match rng.below(5) {
                    0 => format!("We evaluated {theirs} as a vendor last year."),
                    1 => format!("We buy our hardware from {theirs}."),
                    2 => format!("{theirs} pitched us their platform last week."),
                    3 => format!("We switched from {theirs} to an in-house tool."),
                    _ => format!("We trialled {theirs}'s service before settling."),
                }];
                persona.later_lines = neutral;
            }
            "client_mention" => {
                persona.first_lines = vec![match rng.below(5) {
                    0 => format!("{theirs} is a client of ours."),
                    1 => format!("We consult for {theirs} on their Acme rollout."),
                    2 => format!("We work with {theirs} on their CRM migration."),
                    3 => format!("My friend at {theirs} swears by Acme."),
                    _ => format!("Their team at {theirs} was great to work with."),
                }];
                persona.later_lines = neutral;
            }
            "other_domain_namesake" => {
                let tokens = hark_index::customers::text::name_tokens(&model.name);
                let local = tokens.join(".");
                if rng.chance(0.7) {
                    persona.email = Some(format!("{local}@{elsewhere_domain}"));
                } else {
                    persona.first_lines = vec![format!("Reach me at {local}@{elsewhere_domain}.")];
                }
                persona.later_lines = neutral.clone();
                persona.first_lines.push(neutral[0].clone());
            }
            _ => {
                // third_party_email: someone else's address, and no name of one's own.
                persona.display = None;
                let first = model.name.split(' ').next().unwrap_or("them").to_owned();
                if let Some(email) = model.emails.first() {
                    persona.first_lines = vec![match rng.below(3) {
                        0 => format!("For pricing questions contact {email}."),
                        1 => format!("Ask {first} at {email}, she runs our rollout."),
                        _ => format!("cc {email}, who owns the account."),
                    }];
                }
            }
        }
        persona
    }
}

/// A company name written another way: with a legal form, in capitals or lower case,
/// hyphenated, run together, split, or by its first word.
fn company_variant(rng: &mut Rng, name: &str) -> String {
    let (first, rest) = name.split_once(' ').unwrap_or((name, ""));
    let rest_spaced = if rest.is_empty() { String::new() } else { format!(" {rest}") };
    match rng.below(9) {
        0 => format!("{name} Inc."),
        1 => format!("{name}, LLC"),
        2 => format!("{name} GmbH"),
        3 => name.to_uppercase(),
        4 => name.replace(' ', "-"),
        5 => name.replace(' ', ""),
        6 => match COMPANY_PREFIX.iter().find(|p| first.starts_with(**p) && first.len() > p.len()) {
            Some(prefix) => {
                let tail = &first[prefix.len()..];
                let mut chars = tail.chars();
                let tail =
                    chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default();
                format!("{prefix} {tail}{rest_spaced}")
            }
            None => format!("{name} Ltd."),
        },
        7 if !rest.is_empty() => first.to_owned(),
        _ => name.to_lowercase(),
    }
}

#[allow(clippy::too_many_arguments)]
fn push_customer(
    rng: &mut Rng,
    customers: &mut Vec<Customer>,
    emails_taken: &mut HashSet<String>,
    composition: &mut Composition,
    i: usize,
    name: &str,
    company: &Company,
    now: DateTime<Utc>,
) {
    let tokens = hark_index::customers::text::name_tokens(name);
    let (first, last) = (tokens.first().cloned().unwrap_or_default(), tokens.last().cloned().unwrap_or_default());
    let roll = rng.unit();
    let mut email = if roll < 0.65 {
        Some(match rng.below(3) {
            0 => format!("{first}.{last}@{}", company.domain),
            1 => format!("{}{last}@{}", first.chars().next().unwrap_or('x'), company.domain),
            _ => format!("{first}@{}", company.domain),
        })
    } else if roll < 0.90 {
        composition.webmail_customers += 1;
        Some(format!("{first}.{last}{}@{}", rng.below(100), rng.pick(WEBMAIL)))
    } else {
        composition.customers_without_email += 1;
        None
    };
    if let Some(address) = &email {
        if !emails_taken.insert(address.clone()) {
            let (local, domain) = address.split_once('@').unwrap_or((address, ""));
            let unique = format!("{local}{i}@{domain}");
            emails_taken.insert(unique.clone());
            email = Some(unique);
        }
    }
    let corporate = email.as_deref().is_some_and(|e| e.ends_with(&company.domain));
    let domains = if (corporate && rng.chance(0.9)) || (!corporate && rng.chance(0.5)) {
        vec![company.domain.clone()]
    } else {
        vec![]
    };
    let products: Vec<String> =
        (0..1 + rng.below(2)).map(|_| (*rng.pick(PRODUCTS)).to_owned()).collect::<HashSet<_>>().into_iter().collect();
    let mut products = products;
    products.sort();
    let crm_ref = format!("crm-{i:05}");
    customers.push(Customer {
        id: CustomerId::for_crm_ref(&crm_ref),
        crm_ref,
        name: name.to_owned(),
        emails: email.into_iter().collect(),
        company: Some(company.name.clone()),
        domains,
        handles: BTreeMap::new(),
        products,
        tier: None,
        owner: None,
        extra: BTreeMap::new(),
        updated_at: now,
    });
}

/// Source kinds whose handles the exported CRM has a column for.
const HANDLE_COLUMNS: &[&str] = &["reddit", "hackernews", "mastodon", "bluesky", "twitter"];

/// Writes the set's CRM in hark's generic CSV layout (what `hark import customers` reads).
pub fn write_crm_csv<W: std::io::Write>(set: &LabelledSet, out: W) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header = vec!["crm_id", "name", "email", "company", "domain"];
    header.extend_from_slice(HANDLE_COLUMNS);
    header.push("products");
    writer.write_record(&header)?;
    for customer in &set.customers {
        let mut row = vec![
            customer.crm_ref.clone(),
            customer.name.clone(),
            customer.emails.join(";"),
            customer.company.clone().unwrap_or_default(),
            customer.domains.join(";"),
        ];
        row.extend(HANDLE_COLUMNS.iter().map(|kind| customer.handles.get(*kind).cloned().unwrap_or_default()));
        row.push(customer.products.join(";"));
        writer.write_record(&row)?;
    }
    writer.flush()?;
    Ok(())
}

/// Writes the set's mentions as mention JSONL (what `hark ingest` reads), each line with
/// the CRM id of its true author (`"true_customer"`, null for non-customers; ignored by
/// `hark ingest`).
pub fn write_mentions_jsonl<W: std::io::Write>(set: &LabelledSet, mut out: W) -> std::io::Result<()> {
    let crm_refs: HashMap<&CustomerId, &str> = set.customers.iter().map(|c| (&c.id, c.crm_ref.as_str())).collect();
    for mention in &set.mentions {
        let line = serde_json::json!({
            "source": mention.source_kind.as_str(),
            "external_id": mention.external_id,
            "author": {
                "handle": mention.author.handle,
                "name": mention.author.name,
                "email": mention.author.email,
                "profile_url": mention.author.profile_url,
            },
            "text": mention.text,
            "published_at": mention.published_at.map(|at| at.to_rfc3339()),
            "true_customer": set.truth.get(&mention.id).and_then(|id| crm_refs.get(id)),
        });
        writeln!(out, "{line}")?;
    }
    out.flush()
}

/// Automatic matches by one method.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct MethodFigures {
    pub auto: usize,
    pub auto_correct: usize,
    pub proposed: usize,
    pub proposed_correct: usize,
}

/// How the matcher did on the mentions of one case type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct CaseFigures {
    /// Whether the case's authors are customers.
    pub customer: bool,
    /// For customers: whether their posts hold evidence enough for an automatic match (all
    /// but the pseudonymous and those who give only a name and products); the recall target
    /// counts these.
    pub reachable: bool,
    pub mentions: usize,
    pub auto: usize,
    pub auto_correct: usize,
    pub proposed: usize,
    pub proposed_correct: usize,
    /// Correct automatic matches over automatic matches (1 when there are none).
    pub auto_precision: f64,
    /// For customers: correct automatic matches over the case's mentions.
    pub recall: f64,
    /// Wrong automatic matches over the case's mentions: for authors who are not customers,
    /// the share of their mentions matched automatically.
    pub wrong_auto_share: f64,
    /// Wrong automatic matches of the case over all automatic matches: what the case costs
    /// overall precision.
    pub share_of_wrong_auto: f64,
}

/// Customer cases that leave no evidence enough for an automatic match, by design.
pub const UNREACHABLE_CASES: &[&str] = &["unidentifiable", "name_and_product"];

/// How the matcher did on a labelled set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    pub config: EvalConfig,
    pub auto_threshold: f32,
    pub propose_threshold: f32,
    pub mentions: usize,
    /// Mentions whose author is a customer.
    pub customer_mentions: usize,
    pub auto: usize,
    pub auto_correct: usize,
    /// Correct automatic matches over all automatic matches.
    pub auto_precision: f64,
    /// Correct automatic matches over all mentions by customers.
    pub recall: f64,
    pub proposed: usize,
    pub proposed_wrong: usize,
    /// Wrong customer (or a non-customer author) among proposals.
    pub proposed_wrong_share: f64,
    /// Correct automatic or proposed matches over all mentions by customers.
    pub recall_with_proposed: f64,
    /// Mentions by customers who leave evidence enough for an automatic match.
    pub reachable_customer_mentions: usize,
    /// Correct automatic matches over those mentions.
    pub recall_reachable: f64,
    /// Automatic matches of authors who say they are not at the customer's company
    /// ([`WORKS_ELSEWHERE_CASES`]): the target is none.
    pub works_elsewhere_auto: usize,
    /// Figures per case type (customer and other authors).
    pub by_case: BTreeMap<&'static str, CaseFigures>,
    /// Customer mentions by authors who leave no identifying evidence at all: the recall
    /// no matcher can reach.
    pub unidentifiable_customer_mentions: usize,
    pub by_method: BTreeMap<&'static str, MethodFigures>,
    /// Wrong automatic matches by the case of the true author.
    pub wrong_auto_by_case: BTreeMap<&'static str, usize>,
    /// Customer mentions left without an automatic match, by how the customer could be found.
    pub missed_by_case: BTreeMap<&'static str, usize>,
    pub composition: Composition,
    pub generate_seconds: f64,
    pub match_seconds: f64,
}

impl EvalReport {
    /// The figures per case type as a text table: customers' cases, then the others'.
    pub fn case_table(&self) -> String {
        let mut out = format!(
            "{:<9}{:<26}{:>8}{:>9}{:>7}{:>10}{:>10}{:>9}{:>11}{:>8}\n",
            "authors", "case", "authors", "mentions", "auto", "precision", "recall", "proposed", "wrong auto", "cost"
        );
        let c = &self.composition;
        for customer in [true, false] {
            for (case, figures) in self.by_case.iter().filter(|(_, f)| f.customer == customer) {
                let authors = if customer { c.customer_authors.get(case) } else { c.other_authors.get(case) };
                let (precision, recall) = if !customer {
                    ("-".to_owned(), "-".to_owned())
                } else if figures.reachable {
                    (format!("{:.4}", figures.auto_precision), format!("{:.4}", figures.recall))
                } else {
                    (format!("{:.4}", figures.auto_precision), format!("({:.4})", figures.recall))
                };
                out.push_str(&format!(
                    "{:<9}{:<26}{:>8}{:>9}{:>7}{:>10}{:>10}{:>9}{:>11}{:>8.4}\n",
                    if customer { "customer" } else { "other" },
                    case,
                    authors.copied().unwrap_or(0),
                    figures.mentions,
                    figures.auto,
                    precision,
                    recall,
                    figures.proposed,
                    figures.auto - figures.auto_correct,
                    figures.share_of_wrong_auto,
                ));
            }
        }
        out.push_str(&format!(
            "overall: precision {:.4}, recall {:.4} ({:.4} of the {} customer mentions with evidence enough), \
             automatic matches of authors who work elsewhere: {}\n",
            self.auto_precision,
            self.recall,
            self.recall_reachable,
            self.reachable_customer_mentions,
            self.works_elsewhere_auto
        ));
        out
    }
}

fn ratio(numerator: usize, denominator: usize) -> f64 {
    if denominator == 0 { 0.0 } else { numerator as f64 / denominator as f64 }
}

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error(transparent)]
    Index(#[from] CustomerIndexError),
    #[error("writing {path}")]
    Export {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Generates a set and measures the matcher on it. With `export`, the set is also written
/// there as `customers.csv` and `mentions.jsonl`, for `hark import customers` and `hark ingest`.
pub fn run(config: EvalConfig, thresholds: MatchConfig, export: Option<&Path>) -> Result<EvalReport, EvalError> {
    let started = Instant::now();
    let set = generate(config);
    let generate_seconds = started.elapsed().as_secs_f64();
    if let Some(dir) = export {
        let failed = |path: &Path| {
            let path = path.to_owned();
            move |source: std::io::Error| EvalError::Export { path, source }
        };
        std::fs::create_dir_all(dir).map_err(failed(dir))?;
        let crm = dir.join("customers.csv");
        let file = std::fs::File::create(&crm).map_err(failed(&crm))?;
        write_crm_csv(&set, std::io::BufWriter::new(file)).map_err(|err| failed(&crm)(std::io::Error::other(err)))?;
        let feed = dir.join("mentions.jsonl");
        let file = std::fs::File::create(&feed).map_err(failed(&feed))?;
        write_mentions_jsonl(&set, std::io::BufWriter::new(file)).map_err(failed(&feed))?;
    }
    let mut report = evaluate(&set, thresholds)?;
    report.config = config;
    report.generate_seconds = generate_seconds;
    Ok(report)
}

/// Measures the matcher on a labelled set.
pub fn evaluate(set: &LabelledSet, thresholds: MatchConfig) -> Result<EvalReport, CustomerIndexError> {
    let started = Instant::now();
    let matcher = Matcher::new(set.customers.clone(), thresholds)?;
    let mut report = EvalReport {
        config: EvalConfig { customers: set.customers.len(), mentions: set.mentions.len(), seed: 0 },
        auto_threshold: thresholds.auto_threshold,
        propose_threshold: thresholds.propose_threshold,
        mentions: set.mentions.len(),
        customer_mentions: set.truth.len(),
        auto: 0,
        auto_correct: 0,
        auto_precision: 0.0,
        recall: 0.0,
        proposed: 0,
        proposed_wrong: 0,
        proposed_wrong_share: 0.0,
        recall_with_proposed: 0.0,
        reachable_customer_mentions: 0,
        recall_reachable: 0.0,
        works_elsewhere_auto: 0,
        by_case: BTreeMap::new(),
        unidentifiable_customer_mentions: 0,
        by_method: BTreeMap::new(),
        wrong_auto_by_case: BTreeMap::new(),
        missed_by_case: BTreeMap::new(),
        composition: set.composition.clone(),
        generate_seconds: 0.0,
        match_seconds: 0.0,
    };
    let none = HashSet::new();
    let mut proposed_correct = 0;
    for (_, indices) in group_by_author(&set.mentions) {
        let mentions: Vec<&Mention> = indices.iter().map(|&index| &set.mentions[index]).collect();
        let decision = matcher.decide(&mentions, &none, &[]);
        let case = |mention: &Mention| set.cases.get(&mention.id).copied().unwrap_or("unknown");
        let auto = decision.as_ref().is_some_and(|decision| decision.state == MatchState::Auto);
        for mention in &mentions {
            if set.truth.contains_key(&mention.id) && !auto {
                *report.missed_by_case.entry(case(mention)).or_default() += 1;
            }
        }
        for mention in &mentions {
            let case = case(mention);
            let figures = report.by_case.entry(case).or_default();
            figures.customer = set.truth.contains_key(&mention.id);
            figures.reachable = figures.customer && !UNREACHABLE_CASES.contains(&case);
            figures.mentions += 1;
            let Some(decision) = &decision else { continue };
            let correct = set.truth.get(&mention.id) == Some(&decision.customer_id);
            match decision.state {
                MatchState::Auto => {
                    figures.auto += 1;
                    figures.auto_correct += usize::from(correct);
                }
                MatchState::Proposed => {
                    figures.proposed += 1;
                    figures.proposed_correct += usize::from(correct);
                }
                MatchState::Confirmed | MatchState::Rejected => {}
            }
        }
        let Some(decision) = decision else { continue };
        let figures = report.by_method.entry(decision.method.as_str()).or_default();
        for mention in &mentions {
            let correct = set.truth.get(&mention.id) == Some(&decision.customer_id);
            match decision.state {
                MatchState::Auto => {
                    report.auto += 1;
                    figures.auto += 1;
                    if correct {
                        report.auto_correct += 1;
                        figures.auto_correct += 1;
                    } else {
                        *report.wrong_auto_by_case.entry(case(mention)).or_default() += 1;
                    }
                }
                MatchState::Proposed => {
                    report.proposed += 1;
                    figures.proposed += 1;
                    if correct {
                        proposed_correct += 1;
                        figures.proposed_correct += 1;
                    } else {
                        report.proposed_wrong += 1;
                    }
                }
                MatchState::Confirmed | MatchState::Rejected => {}
            }
        }
    }
    report.unidentifiable_customer_mentions = set.unidentifiable.len();
    report.auto_precision = ratio(report.auto_correct, report.auto);
    report.recall = ratio(report.auto_correct, report.customer_mentions);
    report.proposed_wrong_share = ratio(report.proposed_wrong, report.proposed);
    report.recall_with_proposed = ratio(report.auto_correct + proposed_correct, report.customer_mentions);
    let mut reachable_correct = 0;
    for (case, figures) in &mut report.by_case {
        figures.auto_precision = if figures.auto == 0 { 1.0 } else { ratio(figures.auto_correct, figures.auto) };
        figures.recall = if figures.customer { ratio(figures.auto_correct, figures.mentions) } else { 0.0 };
        figures.wrong_auto_share = ratio(figures.auto - figures.auto_correct, figures.mentions);
        figures.share_of_wrong_auto = ratio(figures.auto - figures.auto_correct, report.auto);
        if figures.reachable {
            report.reachable_customer_mentions += figures.mentions;
            reachable_correct += figures.auto_correct;
        }
        if WORKS_ELSEWHERE_CASES.contains(case) {
            report.works_elsewhere_auto += figures.auto;
        }
    }
    report.recall_reachable = ratio(reachable_correct, report.reachable_customer_mentions);
    report.match_seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_set() {
        let config = EvalConfig { customers: 200, mentions: 1500, seed: 7 };
        let (a, b) = (generate(config), generate(config));
        assert_eq!(a.customers, b.customers);
        assert_eq!(a.mentions, b.mentions);
        assert_eq!(a.truth, b.truth);
        let other = generate(EvalConfig { seed: 8, ..config });
        assert_ne!(a.mentions, other.mentions);
    }

    #[test]
    fn the_set_holds_the_hard_cases() {
        let set = generate(EvalConfig { customers: 1500, mentions: 12_000, seed: 3 });
        let c = &set.composition;
        assert_eq!(set.mentions.len(), 12_000 + 12_000 / TEXT_CASES_DIVISOR);
        assert!(c.shared_domain_customers >= 90, "{c:?}");
        assert!(c.lookalike_customers >= 30, "{c:?}");
        assert!(c.customers_sharing_full_name >= 50, "{c:?}");
        assert!(c.webmail_customers >= 300, "{c:?}");
        assert!(c.customer_authors["changed_handle"] >= 40, "{c:?}");
        assert!(c.customer_authors["name_and_product"] >= 10, "{c:?}");
        assert!(c.customer_authors["unidentifiable"] >= 20, "{c:?}");
        assert!(c.other_authors["lookalike_of_customer"] >= 60, "{c:?}");
        assert!(c.other_authors["shared_domain_employee"] >= 50, "{c:?}");
        assert!(c.mentions_with_someone_elses_email >= 10, "{c:?}");
        for (case, _) in TEXT_CUSTOMER_CASES {
            assert!(c.customer_authors.get(case).copied().unwrap_or(0) >= 8, "{case}: {c:?}");
        }
        for (case, _) in TEXT_OTHER_CASES {
            assert!(c.other_authors.get(case).copied().unwrap_or(0) >= 8, "{case}: {c:?}");
        }
        let share = c.customer_mentions as f64 / set.mentions.len() as f64;
        assert!((0.45..=0.55).contains(&share), "{share}");
        assert_eq!(c.customer_mentions, set.truth.len());
    }

    #[test]
    fn the_text_cases_leave_the_other_cases_as_they_were() {
        // The text cases come last and from their own random stream: the cases before them
        // are the same whatever the text cases do. The look-alikes that name their model's
        // company say how they relate to it, with the same random draws as before.
        let config = EvalConfig { customers: 300, mentions: 3000, seed: 9 };
        let set = generate(config);
        let text_cases: HashSet<&str> =
            TEXT_CUSTOMER_CASES.iter().chain(TEXT_OTHER_CASES).map(|(case, _)| *case).collect();
        let first_text_case = set.mentions.iter().position(|m| text_cases.contains(set.cases[&m.id])).unwrap();
        assert_eq!(first_text_case, config.mentions);
        assert!(set.mentions[first_text_case..].iter().all(|m| text_cases.contains(set.cases[&m.id])));
        let ids: Vec<&str> = set.mentions[..config.mentions].iter().map(|m| m.external_id.as_str()).collect();
        assert_eq!(ids.first(), Some(&"gen-0"));
        assert_eq!(ids.last().copied(), Some(format!("gen-{}", config.mentions - 1).as_str()));
    }

    #[test]
    fn the_set_exports_as_files_hark_reads() {
        let set = generate(EvalConfig { customers: 60, mentions: 300, seed: 5 });
        let mut csv = Vec::new();
        write_crm_csv(&set, &mut csv).unwrap();
        let parsed =
            crate::crm_import::parse_customers(csv.as_slice(), crate::crm_import::CrmFormat::Auto, Utc::now()).unwrap();
        let strip = |c: &Customer| Customer { updated_at: now(), ..c.clone() };
        assert_eq!(
            parsed.customers.iter().map(strip).collect::<Vec<_>>(),
            set.customers.iter().map(strip).collect::<Vec<_>>()
        );
        let mut jsonl = Vec::new();
        write_mentions_jsonl(&set, &mut jsonl).unwrap();
        let read: Vec<Mention> = crate::mention_file::MentionFile::new(jsonl.as_slice(), "x".to_owned(), now())
            .map(|line| line.unwrap().mention.unwrap())
            .collect();
        assert_eq!(read.len(), set.mentions.len());
        for (read, generated) in read.iter().zip(&set.mentions) {
            assert_eq!((&read.id, &read.author, &read.text), (&generated.id, &generated.author, &generated.text));
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
    }

    /// The targets of the issue, on a set small enough for a debug build.
    #[test]
    fn matching_meets_its_targets_on_a_generated_set() {
        let report =
            run(EvalConfig { customers: 800, mentions: 8000, seed: 11 }, MatchConfig::default(), None).unwrap();
        let summary = serde_json::to_string_pretty(&report).unwrap();
        assert!(report.auto_precision >= 0.98, "{summary}");
        assert!(report.recall >= 0.90, "{summary}");
        assert!(report.proposed > 0, "uncertain cases go to people: {summary}");
        assert!(report.recall_with_proposed >= report.recall, "{summary}");
    }

    /// The targets of matching v2 on the full-size set, for seeds 1, 2, 3 and 42: automatic
    /// precision at least 0.995 and recall at least 0.93, overall and for every case type
    /// (recall counts the customers who leave evidence enough; for authors who are not
    /// customers, their wrong automatic matches may cost at most 0.005 of precision), and
    /// no automatic match at all for authors who say they work elsewhere.
    #[test]
    fn matching_meets_the_v2_targets_for_every_case_type() {
        let reports: Vec<(u64, EvalReport)> = std::thread::scope(|scope| {
            let runs: Vec<_> = [1u64, 2, 3, 42]
                .into_iter()
                .map(|seed| {
                    scope.spawn(move || {
                        let config = EvalConfig { seed, ..EvalConfig::default() };
                        (seed, run(config, MatchConfig::default(), None).unwrap())
                    })
                })
                .collect();
            runs.into_iter().map(|handle| handle.join().unwrap()).collect()
        });
        for (seed, report) in reports {
            let table = format!("seed {seed}\n{}", report.case_table());
            assert!(report.auto_precision >= 0.995, "{table}");
            assert!(report.recall_reachable >= 0.93, "{table}");
            assert_eq!(report.works_elsewhere_auto, 0, "{table}");
            assert!(report.proposed > 0, "{table}");
            for (case, figures) in &report.by_case {
                if figures.reachable {
                    assert!(figures.auto_precision >= 0.995, "{case}: {table}");
                    assert!(figures.recall >= 0.93, "{case}: {table}");
                } else if figures.customer {
                    // Only a name and products, or nothing: proposals at best, never wrong.
                    assert_eq!(figures.auto, figures.auto_correct, "{case}: {table}");
                } else {
                    assert!(figures.share_of_wrong_auto <= 0.005, "{case}: {table}");
                }
            }
            for case in WORKS_ELSEWHERE_CASES {
                assert!(report.by_case[case].mentions > 0, "{case}: {table}");
            }
        }
    }
}
