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
