//! What the words of an author's posts say about who they are and where they work.
//!
//! Each post is cut into clauses (sentences, bracketed asides, the parts either side of a
//! dash) and each clause into tokens: words (lower-case, accent-free, remembering whether
//! they were capitalised), email addresses, web domains and links, and handles (`@jane`,
//! `u/jane`, `jane.bsky.social`, `@jane@fosstodon.org`, profile links). A signature at the
//! end of a post (`— Jane, Acme Inc.`, `Cheers, Jane Doe (Acme)`) becomes a clause of its
//! own, and a self-introduction ("I'm Jane Doe", "my name is ...") gives a name.
//!
//! The matcher then asks two kinds of question:
//!
//! - how the author relates to an organisation named at some place in a clause
//!   ([`Analysis::relation_at`]): their own ("I work at", "our team at", "At Globex we", a
//!   signature), named without a stated relation, or someone else's: a former employer, a
//!   competitor, a vendor they evaluated or buy from, a client or partner, or a third
//!   party's ("my friend at", "their team at");
//! - whether an address or handle written in a post is given as the author's own ("reach me
//!   at", "my email is", "I'm @jane on Twitter") or as someone else's ("cc jane@...",
//!   "jane@..., who owns our rollout").
//!
//! Cues are read in a small window around the organisation, bounded by other organisations
//! named in the same clause, and the nearest cue wins; a relation that contradicts
//! membership wins a tie with one that asserts it.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use hark_core::contact::{normalize_domain, normalize_email};
use hark_index::customers::text::{self, Folder};
use hark_index::customers::{PLATFORM_DOMAINS, WEBMAIL_DOMAINS};

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokKind {
    Word,
    /// A normalised email address.
    Email(String),
    /// A normalised web domain (from a bare domain or a link that is not a profile).
    Domain(String),
    /// A handle; `kind` is known from its form or a profile link, else from the words near it.
    Handle {
        kind: Option<&'static str>,
        handle: String,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Tok {
    /// Lower-case, accent-free text of a word; the address, domain or handle otherwise.
    pub norm: String,
    /// Whether the word was written with a capital letter.
    pub cap: bool,
    pub kind: TokKind,
    /// Index of the whitespace-separated word it came from, in [`Clause::words`].
    pub word: usize,
}

impl Tok {
    fn is_word(&self, norm: &str) -> bool {
        self.kind == TokKind::Word && self.norm == norm
    }
}

/// A sentence or part of one.
#[derive(Debug, Clone)]
pub(crate) struct Clause {
    /// The clause as written, for evidence.
    pub text: String,
    pub toks: Vec<Tok>,
    /// The raw words, as split on whitespace and stripped of surrounding punctuation.
    pub words: Vec<String>,
    /// A signature line: whatever organisation it names is the author's own.
    pub signature: bool,
    /// Index of the author's mention it belongs to.
    pub mention: usize,
    /// Tokens that look like organisations (capitalised words, domains, known company
    /// names): they bound the windows cues are read in.
    org_like: Vec<bool>,
}

/// How the author relates to an organisation named in a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Relation {
    /// They belong to it.
    Own,
    /// Named, with no stated relation.
    Named,
    Former,
    Competitor,
    Vendor,
    Client,
    /// Someone else's organisation ("my friend at", "their team at", "she works at").
    ThirdParty,
}

impl Relation {
    /// Whether the relation says the author does not belong to the organisation.
    pub fn contradicts(self) -> bool {
        !matches!(self, Relation::Own | Relation::Named)
    }

    /// "as a former employer", for evidence.
    pub fn as_role(self) -> &'static str {
        match self {
            Relation::Own => "as their own organisation",
            Relation::Named => "without saying how they relate to it",
            Relation::Former => "as a former employer",
            Relation::Competitor => "as a competitor",
            Relation::Vendor => "as a vendor they evaluated or buy from",
            Relation::Client => "as a client or partner",
            Relation::ThirdParty => "as someone else's organisation",
        }
    }
}

/// Whose an address or handle written in a post is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Person {
    /// The author gives it as their own ("reach me at").
    Own,
    /// Someone else's ("cc", "my colleague", "who owns our rollout").
    Other,
    Unknown,
}

/// A cue: words that, written just before (prefix) or after (suffix) an organisation,
/// say how the author relates to it.
struct Cue {
    words: &'static [&'static str],
    relation: Relation,
    /// How many other words may stand between the cue and the organisation.
    gap: usize,
    /// Membership cues that need the author in the clause before them (`work at` in "I
    /// currently work at", not in "she used to work at").
    first_person: bool,
}

const fn cue(words: &'static [&'static str], relation: Relation, gap: usize) -> Cue {
    Cue { words, relation, gap, first_person: false }
}

const fn own_if_first_person(words: &'static [&'static str], gap: usize) -> Cue {
    Cue { words, relation: Relation::Own, gap, first_person: true }
}

use Relation as R;

/// Cues written before the organisation.
#[rustfmt::skip]
const PREFIX_CUES: &[Cue] = &[
    // Membership.
    cue(&["i", "work", "at"], R::Own, 0), cue(&["i", "work", "for"], R::Own, 0),
    cue(&["i", "m", "at"], R::Own, 0), cue(&["im", "at"], R::Own, 0), cue(&["i", "am", "at"], R::Own, 0),
    cue(&["i", "m", "with"], R::Own, 0), cue(&["im", "with"], R::Own, 0), cue(&["i", "am", "with"], R::Own, 0),
    cue(&["i", "m", "from"], R::Own, 0), cue(&["im", "from"], R::Own, 0), cue(&["i", "am", "from"], R::Own, 0),
    cue(&["we", "at"], R::Own, 0), cue(&["us", "at"], R::Own, 0), cue(&["here", "at"], R::Own, 0),
    cue(&["we", "re", "at"], R::Own, 0), cue(&["we", "are", "at"], R::Own, 0),
    own_if_first_person(&["team", "at"], 0), own_if_first_person(&["team", "from"], 0),
    own_if_first_person(&["work", "at"], 0), own_if_first_person(&["work", "for"], 0),
    own_if_first_person(&["working", "at"], 0), own_if_first_person(&["working", "for"], 0),
    own_if_first_person(&["joined"], 0), own_if_first_person(&["employer"], 1),
    own_if_first_person(&["company"], 0),
    cue(&["speaking", "for"], R::Own, 4), cue(&["posting", "for"], R::Own, 4), cue(&["writing", "for"], R::Own, 4),
    cue(&["on", "behalf", "of"], R::Own, 0), cue(&["representing"], R::Own, 1),
    cue(&["employed", "at"], R::Own, 0), cue(&["employed", "by"], R::Own, 0),
    cue(&["employee", "at"], R::Own, 0), cue(&["employee", "of"], R::Own, 0),
    own_if_first_person(&["now", "at"], 0), own_if_first_person(&["now", "with"], 0),
    own_if_first_person(&["currently", "at"], 0), own_if_first_person(&["currently", "with"], 0),
    // A former employer.
    cue(&["used", "to", "work", "at"], R::Former, 0), cue(&["used", "to", "work", "for"], R::Former, 0),
    cue(&["used", "to", "work", "with"], R::Former, 0), cue(&["used", "to", "be", "at"], R::Former, 0),
    cue(&["used", "to", "be", "with"], R::Former, 0), cue(&["formerly"], R::Former, 1), cue(&["previously"], R::Former, 1),
    cue(&["ex"], R::Former, 0), cue(&["worked", "at"], R::Former, 0), cue(&["worked", "for"], R::Former, 0),
    cue(&["old", "job", "at"], R::Former, 0), cue(&["previous", "job", "at"], R::Former, 0),
    cue(&["last", "job", "at"], R::Former, 0), cue(&["when", "i", "was", "at"], R::Former, 0),
    cue(&["when", "i", "was", "with"], R::Former, 0), cue(&["while", "i", "was", "at"], R::Former, 0),
    cue(&["left"], R::Former, 0), cue(&["quit"], R::Former, 0),
    cue(&["alum", "of"], R::Former, 0), cue(&["alumni", "of"], R::Former, 0), cue(&["former", "employer"], R::Former, 1),
    cue(&["old", "employer"], R::Former, 1), cue(&["previous", "employer"], R::Former, 1),
    cue(&["ex", "employer"], R::Former, 1), cue(&["former", "colleagues", "at"], R::Former, 0),
    cue(&["ex", "colleagues", "at"], R::Former, 0), cue(&["fired", "from"], R::Former, 0),
    cue(&["resigned", "from"], R::Former, 0), cue(&["retired", "from"], R::Former, 0),
    cue(&["laid", "off", "from"], R::Former, 0), cue(&["laid", "off", "by"], R::Former, 0),
    // A competitor.
    cue(&["competitor"], R::Competitor, 2), cue(&["competitors"], R::Competitor, 3), cue(&["competition"], R::Competitor, 2),
    cue(&["compete", "with"], R::Competitor, 2), cue(&["compete", "against"], R::Competitor, 2),
    cue(&["competes", "with"], R::Competitor, 2), cue(&["competing", "with"], R::Competitor, 2),
    cue(&["competing", "against"], R::Competitor, 2), cue(&["rival"], R::Competitor, 2), cue(&["rivals"], R::Competitor, 3),
    cue(&["up", "against"], R::Competitor, 1), cue(&["lost", "to"], R::Competitor, 1), cue(&["losing", "to"], R::Competitor, 1),
    cue(&["lose", "to"], R::Competitor, 1), cue(&["deals", "to"], R::Competitor, 1), cue(&["beat"], R::Competitor, 1),
    cue(&["beating"], R::Competitor, 1), cue(&["outsell"], R::Competitor, 1),
    // A vendor: evaluated, bought from, moved away from.
    cue(&["evaluated"], R::Vendor, 3), cue(&["evaluating"], R::Vendor, 3), cue(&["evaluate"], R::Vendor, 3),
    cue(&["trialled"], R::Vendor, 2), cue(&["trialed"], R::Vendor, 2), cue(&["trialing"], R::Vendor, 2),
    cue(&["trialling"], R::Vendor, 2), cue(&["piloted"], R::Vendor, 2), cue(&["piloting"], R::Vendor, 2),
    cue(&["tried"], R::Vendor, 1), cue(&["looked", "at"], R::Vendor, 1), cue(&["looking", "at"], R::Vendor, 1),
    cue(&["demo", "from"], R::Vendor, 1), cue(&["demo", "with"], R::Vendor, 1), cue(&["demoed"], R::Vendor, 1),
    cue(&["bought", "from"], R::Vendor, 1), cue(&["buy", "from"], R::Vendor, 1), cue(&["buying", "from"], R::Vendor, 1),
    cue(&["purchased", "from"], R::Vendor, 1), cue(&["quote", "from"], R::Vendor, 1), cue(&["vendor"], R::Vendor, 2),
    cue(&["vendors"], R::Vendor, 3), cue(&["supplier"], R::Vendor, 2), cue(&["suppliers"], R::Vendor, 3),
    cue(&["switched", "from"], R::Vendor, 1), cue(&["switching", "from"], R::Vendor, 1),
    cue(&["moved", "from"], R::Vendor, 1), cue(&["moving", "from"], R::Vendor, 1),
    cue(&["migrated", "from"], R::Vendor, 1), cue(&["migrating", "from"], R::Vendor, 1),
    cue(&["replaced"], R::Vendor, 1), cue(&["replacing"], R::Vendor, 1), cue(&["shortlisted"], R::Vendor, 1),
    cue(&["shortlist"], R::Vendor, 2),
    // A client or partner.
    cue(&["client"], R::Client, 2), cue(&["clients"], R::Client, 3), cue(&["customer"], R::Client, 1),
    cue(&["customers"], R::Client, 2), cue(&["consult", "for"], R::Client, 1), cue(&["consulting", "for"], R::Client, 1),
    cue(&["consultant", "for"], R::Client, 1), cue(&["consultants", "for"], R::Client, 1),
    cue(&["contractor", "for"], R::Client, 1), cue(&["contracting", "for"], R::Client, 1),
    cue(&["agency", "for"], R::Client, 1), cue(&["work", "with"], R::Client, 1), cue(&["working", "with"], R::Client, 1),
    cue(&["worked", "with"], R::Client, 1), cue(&["partner"], R::Client, 1), cue(&["partners"], R::Client, 2),
    cue(&["partnered", "with"], R::Client, 1), cue(&["partnering", "with"], R::Client, 1),
    cue(&["sell", "to"], R::Client, 1), cue(&["selling", "to"], R::Client, 1), cue(&["sold", "to"], R::Client, 1),
    // Someone else's.
    cue(&["friend", "at"], R::ThirdParty, 0), cue(&["friends", "at"], R::ThirdParty, 0),
    cue(&["friend", "from"], R::ThirdParty, 0), cue(&["someone", "at"], R::ThirdParty, 0),
    cue(&["someone", "from"], R::ThirdParty, 0), cue(&["somebody", "at"], R::ThirdParty, 0),
    cue(&["folks", "at"], R::ThirdParty, 0), cue(&["folks", "from"], R::ThirdParty, 0),
    cue(&["people", "at"], R::ThirdParty, 0), cue(&["people", "from"], R::ThirdParty, 0),
    cue(&["guys", "at"], R::ThirdParty, 0), cue(&["guy", "at"], R::ThirdParty, 0), cue(&["contact", "at"], R::ThirdParty, 0),
    cue(&["rep", "at"], R::ThirdParty, 0), cue(&["rep", "from"], R::ThirdParty, 0), cue(&["reps", "from"], R::ThirdParty, 0),
    cue(&["recruiter", "at"], R::ThirdParty, 0), cue(&["recruiter", "from"], R::ThirdParty, 0),
    cue(&["works", "at"], R::ThirdParty, 0), cue(&["works", "for"], R::ThirdParty, 0),
    cue(&["their"], R::ThirdParty, 0), cue(&["his"], R::ThirdParty, 0), cue(&["her"], R::ThirdParty, 0),
    cue(&["your"], R::ThirdParty, 0), cue(&["their", "team", "at"], R::ThirdParty, 0),
    cue(&["your", "team", "at"], R::ThirdParty, 0), cue(&["interviewed", "at"], R::ThirdParty, 0),
    cue(&["interviewing", "at"], R::ThirdParty, 0), cue(&["interviewing", "with"], R::ThirdParty, 0),
    cue(&["applied", "to"], R::ThirdParty, 0), cue(&["applied", "at"], R::ThirdParty, 0),
    cue(&["thanks", "to"], R::ThirdParty, 3), cue(&["shoutout", "to"], R::ThirdParty, 3),
    cue(&["shout", "out", "to"], R::ThirdParty, 3), cue(&["kudos", "to"], R::ThirdParty, 3),
    cue(&["wife", "works"], R::ThirdParty, 2), cue(&["husband", "works"], R::ThirdParty, 2),
];

/// Cues written after the organisation ("Globex is our biggest competitor").
#[rustfmt::skip]
const SUFFIX_CUES: &[Cue] = &[
    cue(&["where", "i", "work"], R::Own, 2), cue(&["is", "my", "employer"], R::Own, 1),
    cue(&["pays", "my", "bills"], R::Own, 1), cue(&["my", "employer"], R::Own, 1), cue(&["my", "company"], R::Own, 1),
    cue(&["my", "workplace"], R::Own, 1), cue(&["my", "team"], R::Own, 1),
    cue(&["competitor"], R::Competitor, 6), cue(&["competitors"], R::Competitor, 6), cue(&["rival"], R::Competitor, 6),
    cue(&["rivals"], R::Competitor, 6), cue(&["competition"], R::Competitor, 3),
    cue(&["competes", "with", "us"], R::Competitor, 1), cue(&["competing", "with", "us"], R::Competitor, 1),
    cue(&["vendor"], R::Vendor, 6), cue(&["vendors"], R::Vendor, 6), cue(&["supplier"], R::Vendor, 6),
    cue(&["suppliers"], R::Vendor, 6), cue(&["pitched", "us"], R::Vendor, 1), cue(&["demoed"], R::Vendor, 1),
    cue(&["sold", "us"], R::Vendor, 1), cue(&["shortlist"], R::Vendor, 4),
    cue(&["client"], R::Client, 6), cue(&["clients"], R::Client, 6), cue(&["customer", "of", "ours"], R::Client, 3),
    cue(&["our", "customers"], R::Client, 3), cue(&["our", "customer"], R::Client, 3), cue(&["partner"], R::Client, 3),
    cue(&["used", "to", "work"], R::Former, 3), cue(&["i", "left"], R::Former, 2), cue(&["we", "left"], R::Former, 2),
    cue(&["my", "old"], R::Former, 3), cue(&["my", "former"], R::Former, 3), cue(&["my", "previous"], R::Former, 3),
    cue(&["former", "employer"], R::Former, 3), cue(&["laid", "me", "off"], R::Former, 2),
    cue(&["alum"], R::Former, 2), cue(&["alumni"], R::Former, 2),
];

/// A verb and the preposition that introduces the organisation, with a few words between
/// them: "we buy our hardware from Globex", "we compete directly with Globex", "I spent
/// five years at Globex".
struct VerbCue {
    verbs: &'static [&'static str],
    prepositions: &'static [&'static str],
    relation: Relation,
    /// Membership needs the author before the verb.
    first_person: bool,
}

#[rustfmt::skip]
const VERB_CUES: &[VerbCue] = &[
    VerbCue {
        verbs: &["buy", "bought", "buying", "buys", "purchase", "purchased", "purchasing", "order", "ordered",
            "ordering", "source", "sourced", "license", "licensed", "licence", "rent", "rented", "lease", "leased",
            "switched", "switching", "moved", "moving", "migrated", "migrating", "quote", "quotes", "demo", "invoice",
            "invoices"],
        prepositions: &["from"],
        relation: R::Vendor,
        first_person: false,
    },
    VerbCue {
        verbs: &["compete", "competes", "competing", "competed"],
        prepositions: &["with", "against"],
        relation: R::Competitor,
        first_person: false,
    },
    VerbCue {
        verbs: &["work", "works", "working", "worked", "partner", "partnered", "partnering", "collaborate",
            "collaborating"],
        prepositions: &["with", "alongside"],
        relation: R::Client,
        first_person: false,
    },
    VerbCue {
        verbs: &["worked", "spent", "was", "were", "interned"],
        prepositions: &["at", "for", "with"],
        relation: R::Former,
        first_person: true,
    },
    VerbCue {
        // "after five years at Globex".
        verbs: &["after"],
        prepositions: &["at", "with"],
        relation: R::Former,
        first_person: false,
    },
    VerbCue {
        verbs: &["work", "working"],
        prepositions: &["at", "for"],
        relation: R::Own,
        first_person: true,
    },
];

type CueIndex = HashMap<&'static str, Vec<&'static Cue>>;

fn index_cues(cues: &'static [Cue]) -> CueIndex {
    let mut index: CueIndex = HashMap::new();
    for cue in cues {
        index.entry(cue.words[0]).or_default().push(cue);
    }
    index
}

static PREFIX_BY_FIRST: LazyLock<CueIndex> = LazyLock::new(|| index_cues(PREFIX_CUES));
static SUFFIX_BY_FIRST: LazyLock<CueIndex> = LazyLock::new(|| index_cues(SUFFIX_CUES));
static CUE_WORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    PREFIX_CUES
        .iter()
        .chain(SUFFIX_CUES)
        .flat_map(|cue| cue.words.iter().copied())
        .chain(FIRST_PERSON.iter().copied())
        .collect()
});

fn cues_starting(index: &'static CueIndex, word: &str) -> &'static [&'static Cue] {
    index.get(word).map_or(&[], Vec::as_slice)
}

/// Words after a place that say it is a visit, not an employer.
const VISIT_WORDS: &[&str] =
    &["this", "today", "tonight", "tomorrow", "next", "until", "right", "for", "booth", "conference", "summit"];

/// Words that start a sign-off line rather than a name ("Sent from my phone").
const NOT_SIGNATURE_NAMES: &[&str] =
    &["sent", "posted", "written", "thanks", "cheers", "regards", "best", "edit", "update", "source", "via", "ps"];

/// Last words of the membership cues that may stand right before an organisation.
const CLAIM_CUE_ENDS: &[&str] =
    &["at", "for", "with", "from", "of", "by", "joined", "representing", "employer", "company", "team"];

/// The author, in a clause.
const FIRST_PERSON: &[&str] = &["i", "im", "we", "my", "our", "me", "us", "ours", "mine", "myself", "ourselves"];

/// Someone else, before an address or handle.
const OTHER_PERSON: &[&str] = &[
    "cc",
    "bcc",
    "ask",
    "contact",
    "colleague",
    "colleagues",
    "coworker",
    "coworkers",
    "boss",
    "manager",
    "him",
    "her",
    "them",
    "his",
    "their",
    "he",
    "she",
    "they",
    "cto",
    "ceo",
    "cfo",
    "admin",
    "team",
    "folks",
    "support",
    "sales",
    "loop",
    "forward",
    "forwarded",
    "ping",
    "tag",
    "tagging",
];

/// Capitalised words that are not organisations.
#[rustfmt::skip]
const NOT_ORGS: &[&str] = &[
    "i", "im", "a", "an", "and", "or", "but", "so", "we", "you", "he", "she", "they", "it", "my", "our", "your",
    "their", "this", "that", "these", "those", "there", "here", "hi", "hello", "hey", "thanks", "thank", "cheers",
    "yes", "no", "ok", "okay", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "january", "february", "march", "april", "june", "july", "august", "september", "october", "november",
    "december", "today", "tomorrow", "yesterday", "christmas", "easter", "thanksgiving", "home", "work", "lunch",
    "night", "first", "last", "least", "all", "some", "any", "one", "two", "s", "t", "re", "ve", "ll", "d", "m",
];

/// Words that may stand between a name and the organisation in a self-introduction.
const INTRO_CUES: &[&[&str]] =
    &[&["i", "m"], &["im"], &["i", "am"], &["my", "name", "is"], &["this", "is"], &["name", "s"]];

/// Sign-offs before a signature.
const SIGN_OFFS: &[&str] = &[
    "thanks",
    "thank you",
    "cheers",
    "best",
    "regards",
    "best regards",
    "kind regards",
    "warm regards",
    "thx",
    "many thanks",
    "all the best",
    "br",
];

/// Words naming other networks, for handles written beside them.
const NETWORKS: &[(&str, &str)] = &[
    ("twitter", "twitter"),
    ("x", "twitter"),
    ("bluesky", "bluesky"),
    ("bsky", "bluesky"),
    ("mastodon", "mastodon"),
    ("fediverse", "mastodon"),
    ("reddit", "reddit"),
    ("hn", "hackernews"),
    ("hackernews", "hackernews"),
];

/// File extensions that look like top-level domains (`node.js`, `notes.md`).
const NOT_TLDS: &[&str] = &[
    "js", "ts", "py", "rs", "md", "txt", "json", "csv", "yml", "yaml", "toml", "html", "htm", "png", "jpg", "jpeg",
    "gif", "pdf", "exe", "zip", "gz", "sh", "go", "rb", "java", "php", "sql", "xml", "doc", "docx", "xls", "xlsx",
    "ppt", "pptx", "log", "cfg", "ini", "lock", "tsx", "jsx", "css", "svg", "mp4", "mov", "dll",
];

/// Abbreviations whose full stop does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "inc", "ltd", "co", "corp", "llc", "plc", "bv", "st", "dr", "mr", "mrs", "ms", "jr", "sr", "vs", "etc", "eg", "ie",
    "e.g", "i.e", "no", "approx",
];

/// A name the author gives in a post (a signature or a self-introduction).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TextName {
    /// From [`text::name_tokens`]; one token when only a first name is given.
    pub tokens: Vec<String>,
    /// "signature" or "self-introduction".
    pub source: &'static str,
    pub snippet: String,
}

/// An address or handle written in a post, and whose it is.
#[derive(Debug, Clone)]
pub(crate) struct Written {
    pub value: String,
    /// For handles: the network, where known.
    pub kind: Option<&'static str>,
    pub person: Person,
    pub snippet: String,
    /// Index of the author's mention it was written in.
    pub mention: usize,
}

/// An organisation the author says they belong to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Claim {
    /// Phrase tokens without legal forms (empty for a domain).
    pub phrase: Vec<String>,
    pub domain: Option<String>,
    /// The organisation as written.
    pub written: String,
    /// Where it was said, for evidence.
    pub snippet: String,
    /// Index of the author's mention it was said in.
    pub mention: usize,
}

/// Everything the text of one author's posts says.
#[derive(Debug, Default)]
pub(crate) struct Analysis {
    pub clauses: Vec<Clause>,
    pub names: Vec<TextName>,
    pub emails: Vec<Written>,
    pub handles: Vec<Written>,
    /// Every token run together, to rule out quickly what is not there.
    joined: String,
}

/// Decides whether a position starts a known company name; the matcher knows its customers'
/// companies, so that a lower-case "globex" bounds a window like "Globex" does.
pub(crate) trait KnownOrgs {
    /// The end of a known company name starting at `start`, if one does.
    fn known_at(&self, toks: &[Tok], start: usize) -> Option<usize>;
    /// Whether `token` starts some known company name.
    fn starts_known(&self, token: &str) -> bool;
}

impl Analysis {
    /// Reads `texts`: (index of the mention, text, whether it is a post's body rather than
    /// its title; only bodies end in signatures).
    pub fn new<'a>(texts: impl IntoIterator<Item = (usize, &'a str, bool)>, known: &dyn KnownOrgs) -> Self {
        let mut folder = Folder::default();
        let mut analysis = Analysis::default();
        for (mention, raw, body) in texts {
            if raw.trim().is_empty() {
                continue;
            }
            let raw = deobfuscate(raw);
            let raw = raw.as_ref();
            for part in split_clauses(raw) {
                let clause = make_clause(part, false, mention, &mut folder, known);
                if clause.toks.is_empty() {
                    continue;
                }
                analysis.read_clause(&clause, mention);
                analysis.clauses.push(clause);
            }
            if let Some(signature) = signature(raw).filter(|_| body) {
                if let Some(name) = signature.name.as_deref() {
                    let tokens = text::name_tokens(name);
                    if !tokens.is_empty() {
                        analysis.names.push(TextName {
                            tokens,
                            source: "signature",
                            snippet: signature.snippet.clone(),
                        });
                    }
                }
                if let Some(org) = signature.org.as_deref() {
                    let mut clause = make_clause(org, true, mention, &mut folder, known);
                    clause.text = signature.snippet.clone();
                    for tok in &clause.toks {
                        if let TokKind::Email(email) = &tok.kind {
                            analysis.emails.push(Written {
                                value: email.clone(),
                                kind: None,
                                person: Person::Own,
                                snippet: signature.snippet.clone(),
                                mention,
                            });
                        }
                    }
                    analysis.clauses.push(clause);
                }
            }
        }
        for clause in &analysis.clauses {
            for tok in &clause.toks {
                analysis.joined.push_str(&tok.norm);
            }
            analysis.joined.push(' ');
        }
        analysis
    }

    /// Whether `squashed` occurs within words run together (a quick test before a search).
    pub fn has_run(&self, squashed: &str) -> bool {
        self.joined.contains(squashed)
    }

    fn read_clause(&mut self, clause: &Clause, mention: usize) {
        for (index, tok) in clause.toks.iter().enumerate() {
            match &tok.kind {
                TokKind::Email(email) => {
                    let person = person_at(clause, index);
                    self.emails.push(Written {
                        value: email.clone(),
                        kind: None,
                        person,
                        snippet: snippet(&clause.text),
                        mention,
                    });
                }
                TokKind::Handle { kind, handle } => {
                    let kind = kind.or_else(|| network_near(clause, index));
                    self.handles.push(Written {
                        value: handle.clone(),
                        kind,
                        person: person_at(clause, index),
                        snippet: snippet(&clause.text),
                        mention,
                    });
                }
                _ => {}
            }
        }
        // "I'm jsmith on HN", "as jo_doe on Reddit": a handle written without its @.
        let words = &clause.words;
        for i in 1..words.len().saturating_sub(2) {
            let network = words[i + 2].to_lowercase();
            let Some((_, kind)) = NETWORKS.iter().find(|(word, _)| *word == network && network != "x") else {
                continue;
            };
            let before = words[i - 1].to_lowercase().replace('’', "'");
            let person = match before.as_str() {
                "i'm" | "im" | "am" => Person::Own,
                "as" | "handle" | "username" | "user" => Person::Unknown,
                _ => continue,
            };
            let raw = words[i].as_str();
            let valid = !raw.starts_with('@')
                && raw.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
                && words[i + 1].eq_ignore_ascii_case("on");
            if valid {
                if let Some(handle) = hark_core::handle::normalize(kind, raw) {
                    let snippet = snippet(&clause.text);
                    self.handles.push(Written { value: handle, kind: Some(kind), person, snippet, mention });
                }
            }
        }
        if let Some(name) = introduction(clause) {
            self.names.push(name);
        }
    }

    /// How the author relates to the organisation at `start..end` of `clause`, with the
    /// strength of a membership: `true` when said in so many words ("I work at"), `false`
    /// when read from a first person nearby ("We use it at ...").
    pub fn relation_at(clause: &Clause, start: usize, end: usize) -> (Relation, bool) {
        if clause.signature {
            return (Relation::Own, true);
        }
        let toks = &clause.toks;
        let lo = window_start(clause, start);
        let hi = window_end(clause, end);
        // (gap, against first, cue length, relation, strong)
        let mut best: Option<(usize, bool, usize, Relation, bool)> = None;
        let mut consider = |gap: usize, relation: Relation, length: usize, strong: bool| {
            let key = (gap, !relation.contradicts(), usize::MAX - length);
            let better = match &best {
                None => true,
                Some((g, own, l, _, _)) => key < (*g, !*own, usize::MAX - *l),
            };
            if better {
                best = Some((gap, relation.contradicts(), length, relation, strong));
            }
        };
        for position in lo..start {
            for cue in cues_starting(&PREFIX_BY_FIRST, &toks[position].norm) {
                let length = cue.words.len();
                if position + length > start {
                    continue;
                }
                let gap = start - position - length;
                if gap > cue.gap || !matches_at(toks, position, cue.words) {
                    continue;
                }
                if cue.first_person && !first_person_before(toks, position) {
                    continue;
                }
                consider(gap, cue.relation, length, !cue.first_person || gap == 0);
            }
        }
        for position in end..hi {
            for cue in cues_starting(&SUFFIX_BY_FIRST, &toks[position].norm) {
                let length = cue.words.len();
                let gap = position - end;
                if position + length <= hi && gap <= cue.gap && matches_at(toks, position, cue.words) {
                    consider(gap, cue.relation, length, true);
                }
            }
        }
        // A verb, a few words, and the preposition: "we buy our hardware from Globex".
        for cue in VERB_CUES {
            for preposition in (lo..start).rev().take(2) {
                if !cue.prepositions.contains(&toks[preposition].norm.as_str()) {
                    continue;
                }
                let verb = (lo..preposition).rev().take(4).find(|&v| cue.verbs.contains(&toks[v].norm.as_str()));
                let Some(verb) = verb else { continue };
                if cue.first_person && !first_person_before(toks, verb) {
                    continue;
                }
                // "when I was at" is former; "I was at the office" is not about an employer
                // unless the clause says so: only a past verb with years or a role counts.
                if cue.relation == Relation::Former
                    && matches!(toks[verb].norm.as_str(), "was" | "were")
                    && preposition - verb < 2
                {
                    continue;
                }
                consider(start - preposition - 1, cue.relation, 2, true);
            }
        }
        // "We use it at Globex", "our Globex setup", "At Globex we ...".
        let before = start.checked_sub(1).map(|i| toks[i].norm.as_str());
        let after = toks.get(end).map(|tok| tok.norm.as_str());
        if before == Some("at") && first_person_before(toks, start - 1) {
            let plural = toks[..start].iter().any(|t| matches!(t.norm.as_str(), "we" | "our" | "us"));
            consider(0, Relation::Own, 1, plural);
        }
        if matches!(before, Some("our" | "my")) {
            consider(0, Relation::Own, 1, false);
        }
        if matches!(before, Some("at" | "in" | "for")) && matches!(after, Some("we" | "our" | "i" | "my" | "us")) {
            consider(0, Relation::Own, 2, true);
        }
        // "Jane Doe from Globex here".
        if before == Some("from") && start >= 3 && toks[start - 3..start - 1].iter().all(|t| t.cap) {
            consider(0, Relation::Own, 1, true);
        }
        best.map_or((Relation::Named, false), |(_, _, _, relation, strong)| (relation, strong))
    }

    /// Organisations the author says they belong to: a name after a membership cue, a
    /// signature's organisation, a known company or a domain read as their own, and the
    /// domains of addresses they give as their own; `known` finds known company names.
    pub fn claims(&self, known: &dyn KnownOrgs) -> Vec<Claim> {
        let mut claims: Vec<Claim> = Vec::new();
        let mut push = |claim: Claim| {
            if !claims.iter().any(|c| c.phrase == claim.phrase && c.domain == claim.domain) {
                claims.push(claim);
            }
        };
        for clause in &self.clauses {
            let toks = &clause.toks;
            if clause.signature {
                let domain = toks.iter().find_map(|t| match &t.kind {
                    TokKind::Domain(d) => Some(d.clone()),
                    TokKind::Email(e) => e.split_once('@').and_then(|(_, d)| normalize_domain(d)),
                    _ => None,
                });
                let domain = domain.filter(|d| !is_shared(d));
                let phrase = org_phrase(toks, 0, toks.len());
                if domain.is_some() || !phrase.is_empty() {
                    let written = clause.words.join(" ");
                    push(Claim { phrase, domain, written, snippet: clause.text.clone(), mention: clause.mention });
                }
                continue;
            }
            let mut index = 0;
            while index < toks.len() {
                let span = match &toks[index].kind {
                    TokKind::Domain(domain) if !is_shared(domain) => Some((index + 1, None, Some(domain.clone()))),
                    TokKind::Word => known.known_at(toks, index).map(|end| (end, None, None)).or_else(|| {
                        // An unknown name counts only right after a membership cue.
                        let after_cue = toks[index.saturating_sub(2)..index]
                            .iter()
                            .any(|t| CLAIM_CUE_ENDS.contains(&t.norm.as_str()));
                        let end = if after_cue { capitalised_run(clause, index) } else { index };
                        (end > index).then_some((end, Some(()), None))
                    }),
                    _ => None,
                };
                let Some((end, unknown, domain)) = span else {
                    index += 1;
                    continue;
                };
                let (relation, strong) = Self::relation_at(clause, index, end);
                // An unknown capitalised name counts only when said in so many words, and
                // not when it is where they are this week ("I'm at SaaStr this week").
                // Nor "I'm with Sarah on this": after "with", only known companies and domains.
                let visiting = unknown.is_some()
                    && (toks[end..].iter().take(2).any(|t| VISIT_WORDS.contains(&t.norm.as_str()))
                        || toks[index - 1].norm == "with");
                if relation == Relation::Own && (strong || unknown.is_none()) && !visiting {
                    let written = clause.words[toks[index].word..=toks[end - 1].word].join(" ");
                    let phrase = if domain.is_some() { Vec::new() } else { org_phrase(toks, index, end) };
                    if domain.is_some() || !phrase.is_empty() {
                        push(Claim {
                            phrase,
                            domain,
                            written,
                            snippet: snippet(&clause.text),
                            mention: clause.mention,
                        });
                    }
                }
                index = end;
            }
        }
        for email in self.emails.iter().filter(|e| e.person == Person::Own) {
            if let Some(domain) = email.value.split_once('@').and_then(|(_, d)| normalize_domain(d)) {
                if !is_shared(&domain) {
                    push(Claim {
                        phrase: Vec::new(),
                        domain: Some(domain),
                        written: email.value.clone(),
                        snippet: email.snippet.clone(),
                        mention: email.mention,
                    });
                }
            }
        }
        claims
    }
}

/// Whether a domain is a mail or social platform, or a Mastodon-like instance.
pub(crate) fn is_shared(domain: &str) -> bool {
    WEBMAIL_DOMAINS.contains(&domain)
        || PLATFORM_DOMAINS.contains(&domain)
        || domain.ends_with(".bsky.social")
        || domain.contains("mastodon")
}

/// The organisation phrase of `toks[start..end]`: its words without legal forms and fillers.
fn org_phrase(toks: &[Tok], start: usize, end: usize) -> Vec<String> {
    let mut words: Vec<&Tok> = toks[start..end].iter().filter(|t| t.kind == TokKind::Word).collect();
    // "CTO at Globex": the organisation follows the last "at".
    if let Some(at) = words.iter().rposition(|t| t.norm == "at") {
        words.drain(..=at);
    }
    words.into_iter().map(|t| t.norm.clone()).filter(|w| !text::is_company_noise(w)).collect()
}

/// The end of a run of capitalised words starting at `start` (an organisation written out),
/// or `start` when there is none.
fn capitalised_run(clause: &Clause, start: usize) -> usize {
    let toks = &clause.toks;
    let is_name = |tok: &Tok| tok.kind == TokKind::Word && tok.cap && !NOT_ORGS.contains(&tok.norm.as_str());
    if start == 0 || !is_name(&toks[start]) {
        return start;
    }
    let mut end = start;
    let mut index = start;
    while index < toks.len() && index - start < 6 {
        let tok = &toks[index];
        if is_name(tok) || (tok.kind == TokKind::Word && text::is_company_noise(&tok.norm) && tok.cap) {
            index += 1;
            end = index;
        } else if matches!(tok.norm.as_str(), "and" | "of" | "de" | "s")
            && index + 1 < toks.len()
            && is_name(&toks[index + 1])
        {
            index += 1;
        } else {
            break;
        }
    }
    end
}

fn matches_at(toks: &[Tok], position: usize, words: &[&str]) -> bool {
    words.iter().enumerate().all(|(offset, word)| toks.get(position + offset).is_some_and(|tok| tok.is_word(word)))
}

fn first_person_before(toks: &[Tok], position: usize) -> bool {
    let possessed_by_other =
        position > 0 && matches!(toks[position - 1].norm.as_str(), "their" | "your" | "his" | "her" | "its");
    !possessed_by_other && toks[..position].iter().any(|tok| FIRST_PERSON.contains(&tok.norm.as_str()))
}

/// Where the window before an organisation at `start` begins: up to eight tokens back,
/// stopping after another organisation (but reading through lists: "Initech and Globex").
fn window_start(clause: &Clause, start: usize) -> usize {
    let mut lo = start;
    while lo > 0 && start - lo < 8 {
        if clause.org_like[lo - 1] {
            // Skip a listed organisation: "competitors Initech and Globex".
            let mut probe = lo - 1;
            while probe > 0 && clause.org_like[probe - 1] {
                probe -= 1;
            }
            let joined = lo < start && matches!(clause.toks[lo].norm.as_str(), "and" | "or" | "nor");
            if joined && probe > 0 {
                lo = probe;
                continue;
            }
            break;
        }
        lo -= 1;
    }
    lo
}

/// Where the window after an organisation ending at `end` ends: up to seven tokens on,
/// stopping before another organisation (reading through lists).
fn window_end(clause: &Clause, end: usize) -> usize {
    let toks = &clause.toks;
    let mut hi = end;
    while hi < toks.len() && hi - end < 7 {
        if clause.org_like[hi] {
            let joined = hi > end && matches!(toks[hi - 1].norm.as_str(), "and" | "or" | "nor") && hi - end == 1;
            if joined {
                while hi < toks.len() && clause.org_like[hi] {
                    hi += 1;
                }
                continue;
            }
            break;
        }
        hi += 1;
    }
    hi
}

/// Whose an address or handle at `index` is.
fn person_at(clause: &Clause, index: usize) -> Person {
    if clause.signature {
        return Person::Own;
    }
    let toks = &clause.toks;
    let after: Vec<&str> = toks[index + 1..].iter().take(4).map(|t| t.norm.as_str()).collect();
    if after.starts_with(&["that", "s", "me"]) || after.starts_with(&["is", "me"]) || after.starts_with(&["is", "mine"])
    {
        return Person::Own;
    }
    // "jo@globex.com is my work address", not "is my colleague".
    if after.starts_with(&["is", "my"]) && after.get(2).is_none_or(|w| !OTHER_PERSON.contains(w)) {
        return Person::Own;
    }
    if after.first().is_some_and(|w| matches!(*w, "who" | "he" | "she" | "they" | "owns" | "runs" | "handles")) {
        return Person::Other;
    }
    // "jo@globex.com (my boss)".
    if after.iter().take(3).any(|w| OTHER_PERSON.contains(w) && !matches!(*w, "team" | "support" | "sales")) {
        return Person::Other;
    }
    for (back, tok) in toks[..index].iter().enumerate().rev().take(7) {
        let word = tok.norm.as_str();
        if !matches!(tok.kind, TokKind::Word) {
            // Another address or handle listed before this one: the same person's or
            // people's ("I'm @jo on Twitter and u/jo on Reddit", "cc a@x and b@x").
            return person_at(clause, back);
        }
        if FIRST_PERSON.contains(&word) {
            return Person::Own;
        }
        if OTHER_PERSON.contains(&word) {
            return Person::Other;
        }
    }
    // "email Jane at jane@...", "reach Jane at": someone named, not the author.
    let named_someone = toks[..index].iter().rev().take(3).any(|t| t.cap && t.kind == TokKind::Word && t.norm != "i");
    let verb_before =
        toks[..index].iter().rev().take(4).any(|t| matches!(t.norm.as_str(), "email" | "mail" | "reach" | "write"));
    if named_someone && verb_before { Person::Other } else { Person::Unknown }
}

/// The network named next to a handle ("@jane on Twitter", "Bluesky: @jane").
fn network_near(clause: &Clause, index: usize) -> Option<&'static str> {
    let toks = &clause.toks;
    let lo = index.saturating_sub(3);
    let hi = (index + 4).min(toks.len());
    for tok in &toks[lo..hi] {
        if tok.kind != TokKind::Word {
            continue;
        }
        if let Some((_, kind)) = NETWORKS.iter().find(|(word, _)| *word == tok.norm) {
            // A lone "x" is only the network when written as "on X".
            if tok.norm == "x" && !tok.cap {
                continue;
            }
            return Some(kind);
        }
    }
    None
}

/// "I'm Jane Doe", "my name is Jane Doe", "this is Jane Doe from ...".
fn introduction(clause: &Clause) -> Option<TextName> {
    let toks = &clause.toks;
    for cue in INTRO_CUES {
        for position in 0..toks.len() {
            if !matches_at(toks, position, cue) {
                continue;
            }
            let start = position + cue.len();
            let mut words: Vec<usize> = Vec::new();
            for tok in &toks[start..] {
                let plain = tok.kind == TokKind::Word && tok.cap && !NOT_ORGS.contains(&tok.norm.as_str());
                if !plain || words.len() == 3 {
                    break;
                }
                if words.last() != Some(&tok.word) {
                    words.push(tok.word);
                }
            }
            if words.len() < 2 {
                continue;
            }
            let raw: Vec<&str> = words.iter().map(|&w| clause.words[w].as_str()).collect();
            let looks_like_name = raw.iter().all(|word| {
                let letters: Vec<char> = word.chars().filter(|c| c.is_alphabetic()).collect();
                letters.len() >= 2 && letters[1..].iter().any(|c| c.is_lowercase())
            });
            if !looks_like_name {
                continue;
            }
            let tokens = text::name_tokens(&raw.join(" "));
            if tokens.len() >= 2 {
                return Some(TextName { tokens, source: "self-introduction", snippet: snippet(&clause.text) });
            }
        }
    }
    None
}

/// A signature: the name and organisation an author signs a post with.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Signature {
    pub name: Option<String>,
    pub org: Option<String>,
    pub snippet: String,
}

/// The signature at the end of a post, if it has one: `— Jane, Acme Inc.`, `-- Jane Doe |
/// Acme`, `Cheers, Jane (Acme Logistics)`, or a sign-off line followed by name and
/// organisation lines.
pub(crate) fn signature(raw: &str) -> Option<Signature> {
    let lines: Vec<&str> = raw.trim().lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let last = *lines.last()?;
    let sign_off = |line: &str| {
        let lower = line.trim_end_matches([',', '!', '.']).to_lowercase();
        SIGN_OFFS.contains(&lower.as_str())
    };
    let (body, marker) = if let Some(rest) = ["—", "–", "--", "-", "~"].iter().find_map(|m| last.strip_prefix(m)) {
        (rest.trim().to_owned(), last[..last.len() - rest.len()].to_owned())
    } else if let Some((at, marker)) =
        [" — ", " – ", " -- ", " - ", " —", " –"].iter().filter_map(|m| last.rfind(m).map(|at| (at, *m))).max()
    {
        (last[at + marker.len()..].trim().to_owned(), marker.trim().to_owned())
    } else if lines.len() >= 3 && sign_off(lines[lines.len() - 3]) {
        (format!("{}, {}", lines[lines.len() - 2], last), String::new())
    } else if lines.len() >= 2 && sign_off(lines[lines.len() - 2]) {
        (last.to_owned(), String::new())
    } else {
        let lower = last.to_lowercase();
        let off = SIGN_OFFS.iter().filter(|off| lower.starts_with(&format!("{off},"))).max_by_key(|off| off.len())?;
        (last[off.len() + 1..].trim().to_owned(), String::new())
    };
    let body = body.trim().trim_end_matches(['.', '!']).trim().to_owned();
    if body.is_empty() || body.chars().count() > 80 {
        return None;
    }
    let separators = [",", " | ", "|", " / ", " @ ", " at ", " from ", " of ", "("];
    let split = separators.iter().filter_map(|sep| body.find(sep).map(|at| (at, sep.len()))).min();
    let (name_part, org_part) = match split {
        Some((at, len)) => (body[..at].trim(), Some(body[at + len..].trim().trim_end_matches(')').trim())),
        None => (body.as_str(), None),
    };
    let name_words: Vec<&str> = name_part.split_whitespace().collect();
    let valid_name = (1..=4).contains(&name_words.len())
        && name_words.iter().all(|word| {
            word.chars().next().is_some_and(char::is_uppercase)
                && word.chars().all(|c| c.is_alphabetic() || matches!(c, '\'' | '’' | '-' | '.'))
                && word.chars().count() <= 20
        });
    let first_word = name_words.first().map(|w| w.to_lowercase()).unwrap_or_default();
    if !valid_name || NOT_SIGNATURE_NAMES.contains(&first_word.as_str()) {
        return None;
    }
    let org = org_part.filter(|org| {
        let words = org.split_whitespace().count();
        // "Jane, Acme Inc." or "jane, acme logistics", but not "Sent from my phone".
        let first = org.split_whitespace().next().unwrap_or("");
        let pronoun = ["my", "the", "a", "an", "our", "your", "this", "that", "his", "her", "their"].contains(&first);
        (1..=8).contains(&words) && !pronoun && !org.ends_with('?')
    });
    if org_part.is_some() && org.is_none() {
        return None;
    }
    let snippet = if marker.is_empty() { body.clone() } else { format!("{marker} {body}") };
    Some(Signature { name: Some(name_part.to_owned()), org: org.map(str::to_owned), snippet })
}

/// Cuts a text into clauses: at sentence ends, semicolons, line breaks, bars and dashes
/// standing alone. Brackets stay in their sentence: "(I'm @jo on Twitter)" is about the
/// author of the sentence around it.
fn split_clauses(raw: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = raw.char_indices().collect();
    for (i, &(position, c)) in chars.iter().enumerate() {
        let next = chars.get(i + 1).map(|&(_, c)| c);
        let previous = i.checked_sub(1).map(|j| chars[j].1);
        let ends = |next: Option<char>| next.is_none_or(|n| n.is_whitespace() || matches!(n, '"' | '\'' | ')' | '”'));
        let boundary = match c {
            ';' | '\n' | '|' | '—' | '–' => true,
            '!' | '?' => ends(next),
            '.' => ends(next) && !abbreviation_before(&raw[start..position]),
            '-' => previous.is_some_and(char::is_whitespace) && next.is_none_or(char::is_whitespace),
            _ => false,
        };
        if boundary {
            parts.push(&raw[start..position]);
            start = position + c.len_utf8();
        }
    }
    parts.push(&raw[start..]);
    parts.into_iter().map(str::trim).filter(|p| !p.is_empty()).collect()
}

fn abbreviation_before(text: &str) -> bool {
    let word = text.rsplit(|c: char| c.is_whitespace()).next().unwrap_or("").to_lowercase();
    let word = word.trim_start_matches(|c: char| !c.is_alphanumeric());
    ABBREVIATIONS.contains(&word) || (word.chars().count() == 1 && word.chars().all(char::is_alphabetic))
}

const LEADING: &[char] = &['"', '\'', '“', '”', '‘', '’', '(', '[', '{', '<', '*', '_', ',', ':', '¿', '¡', '>', '.'];
const TRAILING: &[char] =
    &['"', '\'', '“', '”', '‘', '’', ')', ']', '}', '>', '*', '_', ',', '.', ':', ';', '!', '?', '…', '<'];

fn make_clause(raw: &str, signature: bool, mention: usize, folder: &mut Folder, known: &dyn KnownOrgs) -> Clause {
    let mut toks = Vec::new();
    let mut words = Vec::new();
    for piece in raw.split_whitespace() {
        let word = piece.trim_start_matches(LEADING).trim_end_matches(TRAILING);
        if word.is_empty() {
            continue;
        }
        let index = words.len();
        words.push(word.to_owned());
        if let Some((norm, kind)) = special(word) {
            toks.push(Tok { norm, cap: false, kind, word: index });
            continue;
        }
        for run in word.split(|c: char| !c.is_alphanumeric()).filter(|r| !r.is_empty()) {
            let cap = run.chars().next().is_some_and(char::is_uppercase);
            for norm in folder.tokens(run) {
                toks.push(Tok { norm, cap, kind: TokKind::Word, word: index });
            }
        }
    }
    let mut org_like = vec![false; toks.len()];
    let mut index = 0;
    while index < toks.len() {
        let tok = &toks[index];
        if let Some(end) = known.known_at(&toks, index) {
            org_like[index..end].iter_mut().for_each(|flag| *flag = true);
            index = end;
            continue;
        }
        org_like[index] = match &tok.kind {
            TokKind::Word => {
                (tok.cap && index > 0 && !NOT_ORGS.contains(&tok.norm.as_str()) && !is_cue_word(&tok.norm))
                    || (tok.norm.len() >= 4 && known.starts_known(&tok.norm) && !is_cue_word(&tok.norm))
            }
            TokKind::Domain(_) => true,
            TokKind::Email(_) | TokKind::Handle { .. } => true,
        };
        index += 1;
    }
    Clause { text: raw.trim().to_owned(), toks, words, signature, mention, org_like }
}

fn is_cue_word(word: &str) -> bool {
    CUE_WORDS.contains(word)
}

/// Addresses, domains, links and handles, which are kept whole.
fn special(word: &str) -> Option<(String, TokKind)> {
    let lower = word.to_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("www.") {
        return link(&lower);
    }
    if let Some(rest) = lower.strip_prefix('@') {
        if rest.contains('@') {
            let handle = hark_core::handle::normalize("mastodon", &lower)?;
            return Some((handle.clone(), TokKind::Handle { kind: Some("mastodon"), handle }));
        }
        let valid = !rest.is_empty() && rest.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !valid {
            return None;
        }
        let kind = rest.ends_with(".bsky.social").then_some("bluesky");
        return Some((rest.to_owned(), TokKind::Handle { kind, handle: rest.to_owned() }));
    }
    if let Some(rest) = lower.strip_prefix("u/").or_else(|| lower.strip_prefix("/u/")) {
        let handle = hark_core::handle::normalize("reddit", rest)?;
        return Some((handle.clone(), TokKind::Handle { kind: Some("reddit"), handle }));
    }
    if lower.contains('@') {
        return normalize_email(&lower).map(|email| (email.clone(), TokKind::Email(email)));
    }
    let host = lower.split('/').next().unwrap_or("");
    if !domain_like(host) {
        return None;
    }
    if lower.contains('/') {
        return link(&format!("https://{lower}"));
    }
    if host.ends_with(".bsky.social") {
        return Some((host.to_owned(), TokKind::Handle { kind: Some("bluesky"), handle: host.to_owned() }));
    }
    normalize_domain(host).map(|domain| (domain.clone(), TokKind::Domain(domain)))
}

fn domain_like(host: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    let Some(tld) = labels.last() else { return false };
    labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'))
        && (2..=24).contains(&tld.len())
        && tld.chars().all(char::is_alphabetic)
        && labels[0].chars().count() >= 2
        && !NOT_TLDS.contains(tld)
}

/// A link: a profile on a network becomes a handle, anything else its domain.
fn link(url: &str) -> Option<(String, TokKind)> {
    let domain = normalize_domain(url)?;
    let url = if url.starts_with("www.") { format!("https://{url}") } else { url.to_owned() };
    let profile = match domain.as_str() {
        "twitter.com" | "x.com" | "mobile.twitter.com" => {
            let handle = hark_core::handle::normalize("twitter", &url)?;
            let reserved = ["home", "search", "i", "intent", "hashtag", "share", "explore", "settings"];
            (!reserved.contains(&handle.as_str())).then_some(("twitter", handle))
        }
        "bsky.app" => hark_core::handle::normalize("bluesky", &url).map(|h| ("bluesky", h)),
        "reddit.com" | "old.reddit.com" | "new.reddit.com" => {
            hark_core::handle::normalize("reddit", &url).map(|h| ("reddit", h))
        }
        "news.ycombinator.com" => hark_core::handle::normalize("hackernews", &url).map(|h| ("hackernews", h)),
        _ if url.contains("/@") => hark_core::handle::normalize("mastodon", &url).map(|h| ("mastodon", h)),
        _ => None,
    };
    if let Some((kind, handle)) = profile {
        return Some((handle.clone(), TokKind::Handle { kind: Some(kind), handle }));
    }
    (!is_shared(&domain)).then(|| (domain.clone(), TokKind::Domain(domain)))
}

/// Addresses written to fool harvesters, made plain: `jo [at] globex [dot] com`,
/// `jo(at)globex(dot)com`, `jo {at} globex.com`.
fn deobfuscate(raw: &str) -> Cow<'_, str> {
    const MARKS: [(&str, char); 6] =
        [("[at]", '@'), ("(at)", '@'), ("{at}", '@'), ("[dot]", '.'), ("(dot)", '.'), ("{dot}", '.')];
    let lower = raw.to_ascii_lowercase();
    if !MARKS.iter().any(|(mark, _)| lower.contains(mark)) {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    'scan: while !rest.is_empty() {
        for (mark, plain) in MARKS {
            if rest.get(..mark.len()).is_some_and(|head| head.eq_ignore_ascii_case(mark)) {
                while out.ends_with(' ') {
                    out.pop();
                }
                out.push(plain);
                rest = rest[mark.len()..].trim_start_matches(' ');
                continue 'scan;
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

/// A clause shortened for evidence.
pub(crate) fn snippet(text: &str) -> String {
    let mut text = text.trim();
    // A bracket the clause cut from its other half.
    if text.starts_with('(') && !text.contains(')') {
        text = text[1..].trim_start();
    }
    if text.ends_with(')') && !text.contains('(') {
        text = text[..text.len() - 1].trim_end();
    }
    if text.chars().count() <= 100 {
        return text.to_owned();
    }
    let cut: String = text.chars().take(99).collect();
    format!("{}…", cut.trim_end())
}

/// A profile link's handle on another network (`https://twitter.com/jane`), if it is one.
pub(crate) fn profile_handle(url: &str) -> Option<(&'static str, String)> {
    match link(&url.trim().to_lowercase())? {
        (_, TokKind::Handle { kind: Some(kind), handle }) => Some((kind, handle)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoOrgs;

    impl KnownOrgs for NoOrgs {
        fn known_at(&self, _: &[Tok], _: usize) -> Option<usize> {
            None
        }
        fn starts_known(&self, _: &str) -> bool {
            false
        }
    }

    fn analyse(text: &str) -> Analysis {
        Analysis::new([(0, text, true)], &NoOrgs)
    }

    /// The relation to the first occurrence of `org` (one word) in the text.
    fn relation(text: &str, org: &str) -> Relation {
        let analysis = analyse(text);
        for clause in &analysis.clauses {
            if let Some(at) = clause.toks.iter().position(|t| t.norm == org) {
                return Analysis::relation_at(clause, at, at + 1).0;
            }
        }
        panic!("{org} not in {text}");
    }

    #[test]
    fn relations_are_read_from_the_nearest_cue() {
        use Relation::*;
        let cases = [
            ("I work at Globex and love it", Own),
            ("We use it at globex across three teams", Own),
            ("At Globex we rolled it out last month", Own),
            ("Our Globex setup has 40 seats", Own),
            ("(Speaking for the ops team at Globex.)", Own),
            ("posting for our team at globex.com", Own),
            ("I'm at Initech; Globex is our biggest competitor", Competitor),
            ("I'm at Initech, and Globex is our biggest competitor", Competitor),
            ("Our biggest competitor, Globex, just raised prices", Competitor),
            ("At Initech we compete with Globex every day", Competitor),
            ("I used to work at Globex, now I'm elsewhere", Former),
            ("Back when I was at Globex we used it", Former),
            ("ex-Globex here", Former),
            ("We evaluated Globex's setup last year", Vendor),
            ("We switched from Globex to Acme", Vendor),
            ("Globex is a client of ours", Client),
            ("We consult for Globex on their rollout", Client),
            ("My friend at Globex swears by it", ThirdParty),
            ("Their team at Globex was great", ThirdParty),
            ("Globex rolled out Acme last month", Named),
            ("Competitors Initech and Globex both use it", Competitor),
        ];
        for (text, expected) in cases {
            let org = if text.contains("globex.com") { "globex.com" } else { "globex" };
            assert_eq!(relation(text, org), expected, "{text}");
        }
        assert_eq!(relation("At Globex we compete with Initech", "globex"), Own);
        assert_eq!(relation("At Globex we compete with Initech", "initech"), Competitor);
    }

    #[test]
    fn addresses_and_handles_are_the_authors_or_someone_elses() {
        let person = |text: &str| analyse(text).emails.first().map(|e| e.person);
        assert_eq!(person("Happy to compare notes, reach me at jo@globex.com."), Some(Person::Own));
        assert_eq!(person("My email is jo@globex.com"), Some(Person::Own));
        assert_eq!(person("jo@globex.com, that's me"), Some(Person::Own));
        assert_eq!(person("cc jo@globex.com, who owns our rollout."), Some(Person::Other));
        assert_eq!(person("my colleague's address is jo@globex.com"), Some(Person::Other));
        assert_eq!(person("You can reach John at jo@globex.com"), Some(Person::Other));
        assert_eq!(person("mail jo@globex.com"), Some(Person::Unknown));
        let handles = analyse("I'm @jo_doe on Twitter, and u/jodoe on reddit").handles;
        let found: Vec<(Option<&str>, &str, Person)> =
            handles.iter().map(|h| (h.kind, h.value.as_str(), h.person)).collect();
        assert_eq!(
            found,
            vec![(Some("twitter"), "jo_doe", Person::Own), (Some("reddit"), "jodoe", Person::Own)],
            "{handles:?}"
        );
        let linked = analyse("find me at https://bsky.app/profile/jo.bsky.social").handles;
        assert_eq!((linked[0].kind, linked[0].value.as_str()), (Some("bluesky"), "jo.bsky.social"));
    }

    #[test]
    fn signatures_and_introductions_give_names_and_organisations() {
        let sig = |text: &str| signature(text).map(|s| (s.name.unwrap_or_default(), s.org.unwrap_or_default()));
        let pair = |a: &str, b: &str| Some((a.to_owned(), b.to_owned()));
        assert_eq!(sig("Great tool. — Jane, Acme Inc."), pair("Jane", "Acme Inc"));
        assert_eq!(sig("Great tool.\n-- Jane Doe | Acme Logistics"), pair("Jane Doe", "Acme Logistics"));
        assert_eq!(
            sig("Works for us.\nCheers,\nJane Doe\nAcme Logistics GmbH"),
            pair("Jane Doe", "Acme Logistics GmbH")
        );
        assert_eq!(sig("Cheers, Jane (acme-logistics.com)"), pair("Jane", "acme-logistics.com"));
        assert_eq!(sig("Nice - Globex is a competitor"), None);
        assert_eq!(sig("Acme CRM vs Zoho - which one?"), None);
        assert_eq!(sig("Great app.\n— Sent from my iPhone"), None);
        let names = analyse("Hi, I'm José García from Globex. Question below").names;
        assert_eq!(names[0].tokens, vec!["jose", "garcia"]);
        assert!(analyse("I'm at Globex").names.is_empty());
    }

    #[test]
    fn claims_are_organisations_the_author_says_are_theirs() {
        let claims =
            analyse("I'm at Vandelay Industries; Globex is our biggest competitor. Reach me at art@vandelay.com")
                .claims(&NoOrgs);
        let written: Vec<&str> = claims.iter().map(|c| c.written.as_str()).collect();
        assert_eq!(written, vec!["Vandelay Industries", "art@vandelay.com"], "{claims:?}");
        assert_eq!(claims[0].phrase, vec!["vandelay", "industries"]);
        assert!(analyse("We presented at the meetup, I'm at home now").claims(&NoOrgs).is_empty());
    }

    #[test]
    fn obfuscated_addresses_are_read() {
        let emails = |text: &str| analyse(text).emails.into_iter().map(|e| e.value).collect::<Vec<_>>();
        assert_eq!(emails("reach me at jo [at] globex [dot] com"), vec!["jo@globex.com"]);
        assert_eq!(emails("Mail: JO(at)globex(dot)co(dot)uk."), vec!["jo@globex.co.uk"]);
        assert!(emails("we met at the office").is_empty());
    }

    #[test]
    fn clauses_keep_domains_emails_and_legal_forms_whole() {
        let analysis = analyse("We moved to Globex Inc. last year. Mail jo@globex.com or see globex.com/about!");
        let texts: Vec<&str> = analysis.clauses.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, vec!["We moved to Globex Inc. last year", "Mail jo@globex.com or see globex.com/about"]);
        let kinds: Vec<&TokKind> = analysis.clauses[1].toks.iter().map(|t| &t.kind).collect();
        assert!(kinds.contains(&&TokKind::Email("jo@globex.com".to_owned())));
        assert!(kinds.contains(&&TokKind::Domain("globex.com".to_owned())));
    }
}
