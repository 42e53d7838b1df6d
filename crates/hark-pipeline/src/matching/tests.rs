//! The matcher's rules, one case each, on a small hand-made CRM.

use std::collections::{BTreeMap, HashSet};

use chrono::Utc;
use hark_core::{Customer, CustomerId, Match, MatchMethod, MatchState, Mention, SourceKind};

use super::*;

fn customer(crm_ref: &str, name: &str, email: Option<&str>, company: &str, domain: Option<&str>) -> Customer {
    Customer {
        id: CustomerId::for_crm_ref(crm_ref),
        crm_ref: crm_ref.to_owned(),
        name: name.to_owned(),
        emails: email.into_iter().map(str::to_owned).collect(),
        company: Some(company.to_owned()),
        domains: domain.into_iter().map(str::to_owned).collect(),
        handles: BTreeMap::new(),
        products: vec!["Acme Inbox".to_owned()],
        tier: None,
        owner: None,
        extra: BTreeMap::new(),
        updated_at: Utc::now(),
    }
}

fn matcher() -> Matcher {
    let mut handled = customer("h", "Hana Handle", None, "Handled Ltd", None);
    handled.handles.insert("reddit".to_owned(), "hana_h".to_owned());
    let mut customers = vec![
        handled,
        customer("js", "John Smith", Some("john.smith@globex.com"), "Globex", Some("globex.com")),
        customer("jon", "Jon Smith", Some("jon@umbrella.io"), "Umbrella", Some("umbrella.io")),
        customer("mm", "Maria Müller", Some("maria.mueller77@gmail.com"), "Northwind Logistics", None),
        customer("solo", "Sam Solo", Some("sam@solo.dev"), "Solo Dev", Some("solo.dev")),
    ];
    let mut ada =
        customer("ada", "Ada Lovelace", Some("ada@analytical.io"), "Analytical Engines, Inc.", Some("analytical.io"));
    ada.handles.insert("twitter".to_owned(), "adal".to_owned());
    customers.extend([
        ada,
        customer(
            "noor",
            "Noor Haddad",
            Some("noor.h@gmail.com"),
            "Bluefield Traders GmbH",
            Some("bluefield-traders.de"),
        ),
        customer("sam", "Sam Jones", Some("sam@smithjones.co.uk"), "Smith & Jones Ltd", None),
        customer("lena", "Léna Fischer", Some("lena@globex.com"), "Globex", Some("globex.com")),
        customer("rita", "Rita Ora Moreno", None, "Vertex Labs", None),
        customer("oc", "Adam O'Connor", None, "Swiftcraft Studio", None),
    ]);
    let firsts = ["Ada", "Ben", "Cleo", "Dev", "Eve", "Finn"];
    let lasts = ["Okafor", "Lindqvist", "Tanaka", "Moreau", "Novak"];
    for (i, (first, last)) in firsts.iter().flat_map(|f| lasts.iter().map(move |l| (f, l))).enumerate() {
        customers.push(customer(
            &format!("init{i}"),
            &format!("{first} {last}"),
            Some(&format!("{}{}@initech.com", &first[..1], last).to_lowercase()),
            "Initech",
            Some("initech.com"),
        ));
    }
    Matcher::new(customers, MatchConfig::default()).unwrap()
}

fn post(handle: Option<&str>, name: Option<&str>, email: Option<&str>, text: &str) -> Mention {
    let mut mention =
        Mention::new(SourceKind::parse("reddit").unwrap(), "r", format!("t3_{text:.12}"), text, Utc::now());
    mention.author.handle = handle.map(str::to_owned);
    mention.author.name = name.map(str::to_owned);
    mention.author.email = email.map(str::to_owned);
    mention
}

fn decide(matcher: &Matcher, mentions: &[Mention]) -> Option<Decision> {
    let refs: Vec<&Mention> = mentions.iter().collect();
    matcher.decide(&refs, &HashSet::new(), &[])
}

fn id(crm_ref: &str) -> CustomerId {
    CustomerId::for_crm_ref(crm_ref)
}

#[track_caller]
fn expect(decision: Option<Decision>, crm_ref: &str, method: MatchMethod, state: MatchState) -> Decision {
    let decision = decision.unwrap_or_else(|| panic!("expected a match with {crm_ref}"));
    assert_eq!((&decision.customer_id, decision.method, decision.state), (&id(crm_ref), method, state), "{decision:?}");
    decision
}

#[test]
fn a_crm_handle_on_the_same_source_is_certain() {
    let m = matcher();
    let decision =
        expect(decide(&m, &[post(Some("hana_h"), None, None, "hello")]), "h", MatchMethod::Handle, MatchState::Auto);
    assert_eq!(decision.confidence, 1.0);
    assert_eq!(decision.evidence["handle"], "reddit:hana_h");
    let mut elsewhere = post(Some("hana_h"), None, None, "hello");
    elsewhere.source_kind = SourceKind::parse("hackernews").unwrap();
    assert!(decide(&m, &[elsewhere]).is_none(), "a handle counts only on its own source");
}

#[test]
fn a_display_name_that_repeats_the_handle_says_nothing_about_the_name() {
    let m = matcher();
    // Reddit and Hacker News give the handle as the display name.
    for shown in ["hana_h", "Hana_H", "u/hana_h"] {
        let decision = expect(
            decide(&m, &[post(Some("hana_h"), Some(shown), None, "hello")]),
            "h",
            MatchMethod::Handle,
            MatchState::Auto,
        );
        assert_eq!(decision.confidence, 1.0, "{shown}: {:?}", decision.evidence);
    }
    assert!(echoes_handle("chloe", Some("chloe.bsky.social")));
    assert!(!echoes_handle("Chloe Martin", Some("chloemartin_")));
    assert!(!echoes_handle("", Some("x")));
}

#[test]
fn a_profile_email_matches_even_on_webmail() {
    let m = matcher();
    let decision = expect(
        decide(&m, &[post(Some("x1"), None, Some("Maria.Mueller77@gmail.com"), "hi")]),
        "mm",
        MatchMethod::Email,
        MatchState::Auto,
    );
    assert!(decision.confidence >= 0.97);
    // A different gmail address says nothing: webmail domains never count.
    assert!(decide(&m, &[post(Some("x2"), Some("Maria Muller"), Some("someone@gmail.com"), "hi")]).is_none());
}

#[test]
fn an_email_in_a_post_needs_the_name_to_agree() {
    let m = matcher();
    let own = post(Some("x3"), Some("John Smith"), None, "reach me at john.smith@globex.com");
    expect(decide(&m, &[own]), "js", MatchMethod::Email, MatchState::Auto);
    let colleague = post(Some("x4"), Some("Pat Doe"), None, "cc john.smith@globex.com, who owns it");
    assert!(decide(&m, &[colleague]).is_none());
    let anonymous = post(Some("x5"), None, None, "mail john.smith@globex.com");
    expect(decide(&m, &[anonymous]), "js", MatchMethod::Email, MatchState::Proposed);
}

#[test]
fn name_and_company_tell_look_alikes_apart() {
    let m = matcher();
    let john = post(Some("x6"), Some("John Smith"), None, "We use Acme Inbox at Globex.");
    expect(decide(&m, &[john]), "js", MatchMethod::NameCompany, MatchState::Auto);
    let jon = post(Some("x7"), Some("Jon Smith"), None, "Umbrella runs on Acme now.");
    expect(decide(&m, &[jon]), "jon", MatchMethod::NameCompany, MatchState::Auto);
    // A near name with the company is only a proposal.
    let near = post(Some("x8"), Some("Jon Smith"), None, "Globex moved to Acme.");
    expect(decide(&m, &[near]), "js", MatchMethod::NameCompany, MatchState::Proposed);
    // A name with only a product everyone talks about is a proposal, a name alone nothing.
    let product = post(Some("x9"), Some("John Smith"), None, "Acme Inbox is slow today");
    expect(decide(&m, &[product]), "js", MatchMethod::NameCompany, MatchState::Proposed);
    assert!(decide(&m, &[post(Some("x10"), Some("John Smith"), None, "nice weather")]).is_none());
    // First names alone never match.
    assert!(decide(&m, &[post(Some("x11"), Some("John"), None, "At Globex we love Acme Inbox")]).is_none());
}

#[test]
fn evidence_from_any_post_of_the_author_counts_for_all() {
    let m = matcher();
    let posts = [
        post(Some("regular"), Some("Maria Müller"), None, "Acme sync broke again"),
        post(Some("regular"), Some("Maria Müller"), None, "our team at Northwind Logistics is switching"),
    ];
    expect(decide(&m, &posts), "mm", MatchMethod::NameCompany, MatchState::Auto);
}

#[test]
fn a_domain_shared_by_many_customers_needs_the_name() {
    let m = matcher();
    let colleague = post(Some("x12"), Some("Alex Other"), Some("alex@initech.com"), "hi");
    assert!(decide(&m, &[colleague]).is_none(), "30 customers share initech.com");
    let nameless = post(Some("x13"), None, Some("who@initech.com"), "hi");
    assert!(decide(&m, &[nameless]).is_none(), "no single person to propose");
    // init7 is Ben Tanaka.
    let known = post(Some("x14"), Some("Ben Tanaka"), Some("ben.t@initech.com"), "hi");
    expect(decide(&m, &[known]), "init7", MatchMethod::Domain, MatchState::Auto);
    // A one-customer company's domain without a name is only a proposal.
    let solo = post(Some("x15"), None, Some("ops@solo.dev"), "hi");
    expect(decide(&m, &[solo]), "solo", MatchMethod::Domain, MatchState::Proposed);
}

#[test]
fn rejected_customers_are_never_chosen_and_confirmations_carry_over() {
    let m = matcher();
    let mention = post(Some("x16"), Some("John Smith"), None, "At Globex we use Acme Inbox");
    let rejected = HashSet::from([id("js")]);
    assert!(m.decide(&[&mention], &rejected, &[]).is_none());
    let confirmed = Match {
        mention_id: MentionId::from_raw("m_other"),
        customer_id: id("jon"),
        method: MatchMethod::Manual,
        confidence: 1.0,
        evidence: BTreeMap::new(),
        state: MatchState::Confirmed,
    };
    let decision = m.decide(&[&mention], &rejected, &[confirmed]).unwrap();
    assert_eq!((decision.customer_id, decision.state), (id("jon"), MatchState::Auto));
    assert_eq!(decision.evidence["confirmed_on"], "m_other");
}

#[test]
fn authors_are_grouped_by_handle_then_email() {
    let a = post(Some("same"), None, None, "one");
    let b = post(Some("same"), None, None, "two");
    let c = post(None, None, Some("X@Y.com"), "three");
    let d = post(None, None, Some("x@y.com"), "four");
    let e = post(None, Some("John Smith"), None, "five");
    let f = post(None, Some("John Smith"), None, "six");
    let groups = group_by_author(&[a, b, c, d, e, f]);
    let shapes: Vec<(&str, Vec<usize>)> =
        groups.iter().map(|(author, idx)| (author.key.as_str(), idx.clone())).collect();
    assert_eq!(
        shapes,
        vec![
            ("same", vec![0, 1]),
            ("email:x@y.com", vec![2, 3]),
            ("name:john smith", vec![4]),
            ("name:john smith", vec![5]),
        ]
    );
}

/// A decision as text: the customer, state, method and confidence, then every reason.
fn render(m: &Matcher, posts: &[Mention], decision: Option<&Decision>) -> String {
    let mut out = String::new();
    for post in posts {
        let author = &post.author;
        out.push_str(&format!(
            "post by {} / {} / {} / {}: {}\n",
            author.handle.as_deref().unwrap_or("-"),
            author.name.as_deref().unwrap_or("-"),
            author.email.as_deref().unwrap_or("-"),
            author.profile_url.as_deref().unwrap_or("-"),
            post.text
        ));
    }
    let Some(decision) = decision else {
        out.push_str("no match\n");
        return out;
    };
    let customer = m.customers().iter().find(|c| c.id == decision.customer_id).unwrap();
    out.push_str(&format!(
        "{} ({}): {} by {} at {:.2}\n",
        customer.name,
        customer.crm_ref,
        decision.state.as_str(),
        decision.method.as_str(),
        decision.confidence
    ));
    let (reasons_for, against) = decision.reasons();
    for reason in reasons_for {
        out.push_str(&format!("  for: {reason}\n"));
    }
    for reason in against {
        out.push_str(&format!("  against: {reason}\n"));
    }
    out
}

fn by(handle: &str, name: Option<&str>, email: Option<&str>, url: Option<&str>, texts: &[&str]) -> Vec<Mention> {
    texts
        .iter()
        .map(|text| {
            let mut mention = post(Some(handle), name, email, text);
            mention.author.profile_url = url.map(str::to_owned);
            mention
        })
        .collect()
}

/// One author's posts, with the customer, method and state the rule should give.
struct Rule {
    name: &'static str,
    posts: Vec<Mention>,
    expected: Option<(&'static str, MatchMethod, MatchState)>,
}

fn rule(name: &'static str, posts: Vec<Mention>, expected: Option<(&'static str, MatchMethod, MatchState)>) -> Rule {
    Rule { name, posts, expected }
}

fn check_rules(m: &Matcher, rules: Vec<Rule>, prefix: &str) {
    for rule in rules {
        let decision = decide(m, &rule.posts);
        let got = decision.as_ref().map(|d| (d.customer_id.clone(), d.method, d.state));
        let want = rule.expected.map(|(crm_ref, method, state)| (id(crm_ref), method, state));
        let text = render(m, &rule.posts, decision.as_ref());
        assert_eq!(got, want, "{}: {text}", rule.name);
        insta::assert_snapshot!(format!("{prefix}_{}", rule.name), text);
    }
}

#[test]
fn evidence_for_each_rule() {
    use MatchMethod as M;
    use MatchState as S;
    let m = matcher();
    let confirmed = Match {
        mention_id: MentionId::from_raw("m_confirmed"),
        customer_id: id("jon"),
        method: MatchMethod::Manual,
        confidence: 1.0,
        evidence: BTreeMap::new(),
        state: MatchState::Confirmed,
    };
    let manual_post = post(Some("x_manual"), None, None, "Acme Inbox question");
    let manual = m.decide(&[&manual_post], &HashSet::new(), &[confirmed]);
    assert_eq!(manual.as_ref().map(|d| (d.method, d.state)), Some((M::Manual, S::Auto)));
    insta::assert_snapshot!("for_manual", render(&m, &[manual_post], manual.as_ref()));

    let rules = vec![
        rule(
            "handle",
            by("hana_h", None, None, None, &["Acme Sync keeps dropping our calendar."]),
            Some(("h", M::Handle, S::Auto)),
        ),
        rule(
            "handle_on_another_network",
            by("ada_on_reddit", None, None, None, &["Loving Acme Inbox. (I'm @AdaL on Twitter.)"]),
            Some(("ada", M::Handle, S::Auto)),
        ),
        rule(
            "handle_in_profile_link",
            by("ada_l", Some("Ada"), None, Some("https://twitter.com/AdaL"), &["Acme Inbox is great"]),
            Some(("ada", M::Handle, S::Auto)),
        ),
        rule(
            "profile_email",
            by("x1", None, Some("Maria.Mueller77@gmail.com"), None, &["hi"]),
            Some(("mm", M::Email, S::Auto)),
        ),
        rule(
            "email_given_as_own_with_a_first_name",
            by("x2", Some("John"), None, None, &["Happy to compare notes, reach me at john.smith@globex.com."]),
            Some(("js", M::Email, S::Auto)),
        ),
        rule(
            "email_given_as_own_without_a_name",
            by("x3", None, None, None, &["My email is sam@smithjones.co.uk if you want the details."]),
            Some(("sam", M::Email, S::Auto)),
        ),
        rule(
            "email_written_and_the_name_agrees",
            by("x4", Some("John Smith"), None, None, &["Details: john.smith@globex.com"]),
            Some(("js", M::Email, S::Auto)),
        ),
        rule(
            "profile_domain_and_name",
            by("x5", Some("Ben Tanaka"), Some("ben.t@initech.com"), None, &["hi"]),
            Some(("init7", M::Domain, S::Auto)),
        ),
        rule(
            "domain_given_in_a_post_and_name",
            by("x6", Some("Sam Solo"), None, None, &["Posting for our team at solo.dev."]),
            Some(("solo", M::Domain, S::Auto)),
        ),
        rule(
            "says_they_work_at_the_company",
            by("x7", Some("John Smith"), None, None, &["I work at Globex, we love Acme Inbox."]),
            Some(("js", M::NameCompany, S::Auto)),
        ),
        rule(
            "names_the_company",
            by("x8", Some("Jon Smith"), None, None, &["Umbrella runs on Acme now."]),
            Some(("jon", M::NameCompany, S::Auto)),
        ),
        rule(
            "company_written_another_way",
            by("x9", Some("Ada Lovelace"), None, None, &["We use it at ANALYTICAL ENGINES LLC across three teams."]),
            Some(("ada", M::NameCompany, S::Auto)),
        ),
        rule(
            "company_with_and_for_ampersand",
            by("x10", Some("Sam Jones"), None, None, &["At Smith and Jones we rolled it out last month."]),
            Some(("sam", M::NameCompany, S::Auto)),
        ),
        rule(
            "company_in_domain_form",
            by("x11", Some("Noor Haddad"), None, None, &["Our team at bluefieldtraders.com moved to Acme."]),
            Some(("noor", M::NameCompany, S::Auto)),
        ),
        rule(
            "company_short_form",
            by("x12", Some("Maria Müller"), None, None, &["At Northwind we rolled it out last month."]),
            Some(("mm", M::NameCompany, S::Auto)),
        ),
        rule(
            "signature",
            by("x13", None, None, None, &["Great support this week.\n— Noor Haddad, Bluefield Traders GmbH"]),
            Some(("noor", M::NameCompany, S::Auto)),
        ),
        rule(
            "self_introduction",
            by("x14", None, None, None, &["Hi, I'm Rita Ora Moreno from Vertex Labs. Question about Acme Sync."]),
            Some(("rita", M::NameCompany, S::Auto)),
        ),
        rule(
            "name_without_accents",
            by("x15", Some("Lena Fischer"), None, None, &["At Globex we moved support to Acme."]),
            Some(("lena", M::NameCompany, S::Auto)),
        ),
        rule(
            "name_last_name_first",
            by("x16", Some("Müller, Maria"), None, None, &["Our team at Northwind Logistics is switching."]),
            Some(("mm", M::NameCompany, S::Auto)),
        ),
        rule(
            "name_and_a_product_only",
            by("x17", Some("John Smith"), None, None, &["Acme Inbox is slow today"]),
            Some(("js", M::NameCompany, S::Proposed)),
        ),
    ];
    check_rules(&m, rules, "for");
}

#[test]
fn evidence_against_each_rule() {
    use MatchMethod as M;
    use MatchState as S;
    let m = matcher();
    let neutral = "Globex rolled out Acme last month.";
    let rules = vec![
        rule(
            "named_as_a_competitor",
            by("y1", Some("John Smith"), None, None, &["I'm at Initech; Globex is our biggest competitor.", neutral]),
            Some(("js", M::NameCompany, S::Proposed)),
        ),
        rule(
            "named_as_a_former_employer",
            by("y2", Some("John Smith"), None, None, &["I used to work at Globex, they ran Acme too.", neutral]),
            Some(("js", M::NameCompany, S::Proposed)),
        ),
        rule(
            "named_as_a_vendor",
            by("y3", Some("John Smith"), None, None, &["We evaluated Globex as a vendor last year.", neutral]),
            Some(("js", M::NameCompany, S::Proposed)),
        ),
        rule(
            "named_as_a_client",
            by("y4", Some("John Smith"), None, None, &["Globex is a client of ours.", neutral]),
            Some(("js", M::NameCompany, S::Proposed)),
        ),
        rule(
            "named_as_someone_elses",
            by("y5", Some("John Smith"), None, None, &["My friend at Globex swears by Acme Inbox.", neutral]),
            Some(("js", M::NameCompany, S::Proposed)),
        ),
        rule(
            "says_they_work_elsewhere",
            by("y6", Some("John Smith"), None, None, &["I work at Vandelay Industries.", neutral]),
            Some(("js", M::NameCompany, S::Proposed)),
        ),
        rule(
            "signs_for_another_organisation",
            by("y7", Some("John Smith"), None, None, &[neutral, "Thanks!\n-- John Smith | Vandelay Industries"]),
            Some(("js", M::NameCompany, S::Proposed)),
        ),
        rule(
            "address_given_at_another_organisation",
            by("y11", Some("John Smith"), None, None, &[neutral, "Reach me at john.smith@vandelay.com"]),
            Some(("js", M::NameCompany, S::Proposed)),
        ),
        rule(
            "profile_email_at_another_organisation",
            by("y8", Some("John Smith"), Some("john@vandelay.com"), None, &[neutral]),
            Some(("js", M::NameCompany, S::Proposed)),
        ),
        rule(
            "customer_address_written_as_someone_elses",
            by("y9", Some("John Smith"), None, None, &["At Globex we use it. cc john.smith@globex.com, who owns it."]),
            Some(("js", M::NameCompany, S::Proposed)),
        ),
        rule(
            "name_does_not_fit_the_address",
            by("y10", Some("Pat"), None, None, &["Reach me at john.smith@globex.com"]),
            Some(("js", M::Email, S::Proposed)),
        ),
        rule(
            "another_customer_fits_as_well",
            by("hana_h", None, Some("john.smith@globex.com"), None, &["hello"]),
            Some(("js", M::Email, S::Proposed)),
        ),
    ];
    check_rules(&m, rules, "against");
}

#[test]
fn evidence_against_never_overrides_a_person() {
    use MatchMethod as M;
    use MatchState as S;
    let m = matcher();
    let mention = post(Some("z1"), Some("John Smith"), None, "I used to work at Globex.");
    let confirmed = Match {
        mention_id: MentionId::from_raw("m_other"),
        customer_id: id("js"),
        method: MatchMethod::Manual,
        confidence: 1.0,
        evidence: BTreeMap::new(),
        state: MatchState::Confirmed,
    };
    let decision = m.decide(&[&mention], &HashSet::new(), &[confirmed]).unwrap();
    assert_eq!((decision.customer_id, decision.method, decision.state), (id("js"), M::Manual, S::Auto));
    // A rejection still sticks whatever the text says.
    let rejected = HashSet::from([id("js")]);
    let own = post(Some("z2"), Some("John Smith"), None, "I work at Globex.");
    assert!(m.decide(&[&own], &rejected, &[]).is_none());
}

#[test]
fn organisations_and_addresses_that_are_not_the_authors_give_nothing() {
    let m = matcher();
    // Someone else's address, no name of one's own.
    for text in ["For pricing questions contact john.smith@globex.com.", "Ask John at john.smith@globex.com."] {
        assert!(decide(&m, &[post(Some("z3"), None, None, text)]).is_none(), "{text}");
    }
    // A handle on another network written as someone else's.
    assert!(decide(&m, &[post(Some("z4"), None, None, "cc @adal on Twitter, who runs it")]).is_none());
    // Webmail in a post is no organisation, and a first name with a company is no one.
    assert!(decide(&m, &[post(Some("z5"), Some("John"), None, "I work at Globex, mail me at jj@gmail.com")]).is_none());
}

/// Phrasings the generator does not use, read the way a person would: `Some(crm_ref)` for an
/// automatic match with that customer, `None` for no automatic match.
#[test]
fn a_hand_made_feed_is_read_the_way_a_person_would() {
    let m = matcher();
    // (the customer matched automatically, display name, profile email, post)
    type Case<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>, &'a str);
    let cases: Vec<Case<'_>> = vec![
        // Who they are, said many ways.
        (Some("js"), Some("John Smith"), None, "We're a 12-person sales team at Globex, loving Acme Inbox."),
        (Some("js"), Some("John Smith"), None, "I'm the ops lead at Globex and Acme Sync saved us hours."),
        (Some("js"), Some("JOHN SMITH"), None, "Globex's support team moved to Acme last month."),
        (None, Some("Jon Smith"), None, "an umbrella would have helped today, Acme Sync is fine though"),
        (Some("js"), Some("John Smith"), None, "Email me: john.smith [at] globex [dot] com"),
        (Some("js"), None, None, "Ping me at john.smith@globex.com if you want our setup."),
        (Some("js"), Some("John"), None, "john.smith@globex.com is my work address, happy to chat."),
        (Some("ada"), None, None, "Bug in Acme Inbox filters. I'm adal on Twitter if you need repro steps."),
        (Some("ada"), Some("A. Lovelace"), None, "DM me on Twitter (@adal), we use Acme at Analytical Engines."),
        (Some("noor"), Some("Noor Haddad"), None, "Bluefield-Traders rolled Acme out to the whole floor."),
        (Some("noor"), Some("Noor"), None, "Thanks for the help!\n\nBest regards,\nNoor Haddad\nBluefield Traders"),
        (Some("sam"), Some("Sam Jones"), None, "Smith & Jones uses Acme Sync for every client file."),
        (Some("mm"), Some("Maria Mueller"), None, "At Northwind Logistics we use Acme Insights daily."),
        (Some("oc"), Some("Adam O Connor"), None, "At Swiftcraft Studio we rolled it out."),
        (Some("noor"), None, None, "Works well for us.\n— Noor Haddad, bluefield traders"),
        (Some("lena"), Some("LÉNA FISCHER"), None, "Our Globex team loves the new Acme dashboard."),
        // Namesakes who are someone else.
        (None, Some("John Smith"), None, "After five years at Globex I moved on. Acme was great there."),
        (None, Some("John Smith"), None, "We're a Globex competitor, and we still picked Acme."),
        (None, Some("John Smith"), None, "Shoutout to the team at Globex for the Acme tips!"),
        (None, Some("John Smith"), None, "My ex-employer Globex runs Acme, I'm now at Initech."),
        (None, Some("John Smith"), None, "I interviewed at Globex last week, they use Acme everywhere."),
        (None, Some("John Smith"), None, "We lost the Globex deal to a competitor. Globex went with Acme."),
        (None, Some("John Smith"), None, "We buy all our laptops from Globex. Acme is our CRM."),
        (None, Some("John Smith"), None, "Globex is one of our clients; we set up Acme for them."),
        (None, Some("Jon Smith"), None, "At Globex we rolled out Acme."),
        (None, Some("John Smith"), Some("john.smith@initech.com"), "Globex uses Acme too, apparently."),
        (None, None, None, "Contact our account manager john.smith@globex.com for pricing."),
        (None, Some("Pat Doe"), None, "You can reach me at john.smith@globex.com (my boss) for approvals."),
        (None, Some("John"), None, "I work at Globex and use Acme Inbox."),
        (None, Some("John Smith"), None, "My wife works at Globex, she says Acme is fine."),
        (None, Some("John Smith"), None, "Our company, Hooli, competes with Globex on price."),
        // Customers whose posts also name other organisations.
        (Some("js"), Some("John Smith"), None, "I used to work at Initech, now at Globex. Acme everywhere."),
        (Some("js"), Some("John Smith"), None, "I'm at the Acme conference this week. Globex, my employer, sent me."),
        (Some("js"), Some("John Smith"), None, "At Globex we compete with Initech, and we both use Acme."),
        (Some("js"), Some("John Smith"), None, "Globex (where I work) moved to Acme.\n— Sent from my iPhone"),
        (Some("js"), Some("John Smith"), None, "We switched from Salesforce to Acme at Globex last spring."),
    ];
    for (expected, name, email, text) in cases {
        let mention = post(Some("hand_made"), name, email, text);
        let decision = decide(&m, std::slice::from_ref(&mention));
        let auto = decision.as_ref().filter(|d| d.state == MatchState::Auto).map(|d| d.customer_id.clone());
        assert_eq!(auto, expected.map(id), "{text}\n{}", render(&m, std::slice::from_ref(&mention), decision.as_ref()));
    }
}

mod stage {
    use std::sync::Arc;

    use hark_core::SystemClock;
    use hark_store::Store;

    use super::*;
    use crate::Pipeline;

    async fn setup(customers: &[Customer]) -> (tempfile::TempDir, Pipeline) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in(dir.path()).await.unwrap();
        store.apply_customer_import(customers, "test", "crm.csv", false, Utc::now()).await.unwrap();
        (dir, Pipeline::new(store, Arc::new(SystemClock)))
    }

    fn state_of(matches: &[Match], customer: &CustomerId) -> Option<MatchState> {
        matches.iter().find(|m| &m.customer_id == customer).map(|m| m.state)
    }

    #[tokio::test]
    async fn ingested_mentions_are_matched_and_people_decide() {
        let john = customer("js", "John Smith", Some("john.smith@globex.com"), "Globex", Some("globex.com"));
        let (_dir, pipeline) = setup(&[john]).await;
        let store = pipeline.store().clone();
        let stage = pipeline.matching().clone();

        // Name and a product only: proposed.
        let first = post(Some("jsmith_new"), Some("John Smith"), None, "Acme Inbox is slow today");
        pipeline.process_page("r", vec![first.clone()], None).await.unwrap();
        let matches = store.matches_for_mentions(std::slice::from_ref(&first.id)).await.unwrap();
        assert_eq!(state_of(&matches, &id("js")), Some(MatchState::Proposed), "{matches:?}");

        // A person rejects; a later post by the same author proposes nothing again.
        let now = Utc::now();
        let rejected = decide_as(&stage, &store, HumanDecision::Reject, &first.id, "js").await;
        assert_eq!(rejected.state, MatchState::Rejected);
        let second = post(Some("jsmith_new"), Some("John Smith"), None, "Acme Inbox sync is fine again");
        pipeline.process_page("r", vec![second.clone()], None).await.unwrap();
        let both = store.matches_for_mentions(&[first.id.clone(), second.id.clone()]).await.unwrap();
        assert_eq!(both.len(), 1, "only the rejection is left: {both:?}");
        stage.rematch_all(&store, now).await.unwrap();
        assert_eq!(store.matches_for_mentions(&[first.id.clone(), second.id.clone()]).await.unwrap().len(), 1);

        // Undo: the machine proposes again, on both mentions.
        decide_as(&stage, &store, HumanDecision::Undo, &first.id, "js").await;
        let both = store.matches_for_mentions(&[first.id.clone(), second.id.clone()]).await.unwrap();
        assert_eq!(both.iter().filter(|m| m.state == MatchState::Proposed).count(), 2, "{both:?}");

        // Confirming one mention carries over to the author's other mentions.
        decide_as(&stage, &store, HumanDecision::Confirm, &first.id, "js").await;
        let second_match = store.matches_for_mentions(std::slice::from_ref(&second.id)).await.unwrap();
        assert_eq!(state_of(&second_match, &id("js")), Some(MatchState::Auto), "{second_match:?}");

        // Every decision is in the audit log.
        let actions: Vec<String> = store.audit_log(10).await.unwrap().into_iter().map(|e| e.2).collect();
        for action in ["match.reject", "match.undo", "match.confirm"] {
            assert!(actions.iter().any(|a| a == action), "{actions:?}");
        }
        // Deciding about a pair that has no match says so.
        let missing =
            super::super::decide(&stage, &store, HumanDecision::Confirm, &second.id, "nobody@x.com", "t", Utc::now())
                .await
                .unwrap();
        assert!(matches!(missing, Err(hark_store::DecisionError::NoCustomer(_))), "{missing:?}");
    }

    async fn decide_as(
        stage: &MatchingStage,
        store: &Store,
        decision: HumanDecision,
        mention: &MentionId,
        crm_ref: &str,
    ) -> Match {
        super::super::decide(stage, store, decision, mention, crm_ref, "tester", Utc::now()).await.unwrap().unwrap()
    }

    #[tokio::test]
    async fn reimporting_customers_re_evaluates_but_keeps_decisions() {
        let ana = customer("ana", "Ana Lima", None, "Lima Labs", None);
        let (_dir, pipeline) = setup(std::slice::from_ref(&ana)).await;
        let store = pipeline.store().clone();
        let stage = pipeline.matching().clone();
        let by_handle = post(Some("ana_l"), None, None, "hello from a new handle");
        let linked = post(Some("someone"), None, None, "a post a person links by hand");
        pipeline.process_page("r", vec![by_handle.clone(), linked.clone()], None).await.unwrap();
        assert!(store.matches_for_mentions(std::slice::from_ref(&by_handle.id)).await.unwrap().is_empty());
        decide_as(&stage, &store, HumanDecision::Link, &linked.id, "ana").await;

        // The CRM learns the handle: the import's re-match finds the author.
        let mut updated = ana.clone();
        updated.handles.insert("reddit".to_owned(), "ana_l".to_owned());
        store.apply_customer_import(&[updated], "test", "crm.csv", false, Utc::now()).await.unwrap();
        let summary = stage.rematch_all(&store, Utc::now()).await.unwrap();
        assert_eq!(summary.auto, 1, "{summary:?}");
        let matched = store.matches_for_mentions(std::slice::from_ref(&by_handle.id)).await.unwrap();
        assert_eq!(matched[0].method, MatchMethod::Handle);
        let kept = store.matches_for_mentions(std::slice::from_ref(&linked.id)).await.unwrap();
        assert_eq!((kept[0].method, kept[0].state), (MatchMethod::Manual, MatchState::Confirmed));

        // And when the CRM drops the handle again, the automatic match goes; the link stays.
        store.apply_customer_import(&[ana], "test", "crm.csv", false, Utc::now()).await.unwrap();
        stage.rematch_all(&store, Utc::now()).await.unwrap();
        assert!(store.matches_for_mentions(std::slice::from_ref(&by_handle.id)).await.unwrap().is_empty());
        assert_eq!(store.matches_for_mentions(std::slice::from_ref(&linked.id)).await.unwrap().len(), 1);
    }
}
