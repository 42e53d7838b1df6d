//! The routing table, one case per row, and the priority, SLA and configuration rules.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use hark_core::{Customer, CustomerId, MatchState, Mention, Queue, Sentiment, SentimentScores, Signals, SourceKind};

use super::*;

fn config() -> RoutingConfig {
    RoutingConfig {
        competitors: vec![CompetitorNames { name: "Pipedrive".into(), aliases: vec!["pipe drive".into()] }],
        brand_names: vec!["Acme CRM".into(), "acmecrm".into()],
        ..RoutingConfig::default()
    }
}

const THRESHOLDS: Thresholds = Thresholds { complaint: 0.8, intent: 0.7 };

fn jane(tier: Option<&str>) -> Customer {
    Customer {
        id: CustomerId::for_crm_ref("CRM-0004"),
        crm_ref: "CRM-0004".into(),
        name: "Jane Doe".into(),
        emails: vec![],
        company: None,
        domains: vec![],
        handles: BTreeMap::new(),
        products: vec![],
        tier: tier.map(str::to_owned),
        owner: None,
        extra: BTreeMap::new(),
        updated_at: Utc::now(),
    }
}

/// Who wrote the post, as matching left it.
#[derive(Clone, Copy)]
enum Author {
    Stranger,
    Customer(MatchState),
}

/// One row of the table: the scores, the sentiment's negative probability (the label is
/// negative from 0.5), who wrote it and what it says.
#[derive(Clone, Copy)]
struct Input {
    complaint: f32,
    intent: f32,
    negative: f32,
    author: Author,
    text: &'static str,
}

const QUIET: Input = Input { complaint: 0.1, intent: 0.1, negative: 0.1, author: Author::Stranger, text: "hello" };

fn signals(input: Input) -> Signals {
    let rest = (1.0 - input.negative) / 2.0;
    let scores = SentimentScores { negative: input.negative, neutral: rest, positive: rest };
    Signals {
        sentiment: if input.negative >= 0.5 { Sentiment::Negative } else { scores.label() },
        sentiment_scores: scores,
        complaint: input.complaint,
        intent: input.intent,
        cues: vec![],
        model_version: "test".into(),
    }
}

fn decide(input: Input, tier: Option<&str>) -> Option<RouteDecision> {
    let mention = Mention::new(SourceKind::parse("reddit").unwrap(), "r", "t3_x", input.text, Utc::now());
    let link = match input.author {
        Author::Stranger => None,
        Author::Customer(state) => Some(CustomerLink { customer: jane(tier), state, confidence: 0.85 }),
    };
    route(&mention, &signals(input), link.as_ref(), &config(), THRESHOLDS)
}

#[track_caller]
fn check(input: Input, expected: Option<(Queue, &str, &[&str])>) {
    let decision = decide(input, Some("Enterprise"));
    let got = decision.as_ref().map(|d| (d.queue, d.reason.as_str(), d.tags.iter().map(String::as_str).collect()));
    let expected = expected.map(|(queue, reason, tags)| (queue, reason, tags.to_vec()));
    assert_eq!(got, expected);
}

const AUTO: Author = Author::Customer(MatchState::Auto);
const CONFIRMED: Author = Author::Customer(MatchState::Confirmed);
const PROPOSED: Author = Author::Customer(MatchState::Proposed);
const REJECTED: Author = Author::Customer(MatchState::Rejected);

#[test]
fn complaints_by_customers_go_to_service() {
    check(
        Input { complaint: 0.93, author: AUTO, ..QUIET },
        Some((Queue::Service, "complaint 0.93 by customer CRM-0004 (Jane Doe)", &[])),
    );
    check(
        Input { complaint: 0.93, intent: 0.9, author: CONFIRMED, text: "moving to pipedrive if this goes on", ..QUIET },
        Some((
            Queue::Service,
            "complaint 0.93 by customer CRM-0004 (Jane Doe); names competitor Pipedrive (churn risk)",
            &["competitor"],
        )),
    );
}

#[test]
fn buying_intent_goes_to_sales_as_prospect_or_expansion() {
    check(Input { intent: 0.88, ..QUIET }, Some((Queue::Sales, "buying intent 0.88 by a non-customer", &[])));
    check(
        Input { intent: 0.88, text: "Pipedrive or something else for a team of 5?", ..QUIET },
        Some((Queue::Sales, "buying intent 0.88 by a non-customer; names competitor Pipedrive", &["competitor"])),
    );
    // Whole words only: "pipedrivers" is not Pipedrive.
    check(
        Input { intent: 0.88, text: "any pipedrivers here?", ..QUIET },
        Some((Queue::Sales, "buying intent 0.88 by a non-customer", &[])),
    );
    check(
        Input { intent: 0.81, author: AUTO, ..QUIET },
        Some((Queue::Sales, "expansion: buying intent 0.81 by customer CRM-0004 (Jane Doe)", &["expansion"])),
    );
    // Never a pitch to a customer who may be complaining.
    check(
        Input { intent: 0.81, complaint: 0.7, author: CONFIRMED, ..QUIET },
        Some((
            Queue::Community,
            "buying intent 0.81 by customer CRM-0004 (Jane Doe), but complaint 0.70 is near its threshold 0.80: \
             check before any offer",
            &[],
        )),
    );
    // Unhappy with a competitor and shopping: a lead. Unhappy with us too: a person decides.
    check(
        Input { intent: 0.8, complaint: 0.85, text: "Pipe  Drive keeps losing my deals, what else?", ..QUIET },
        Some((
            Queue::Sales,
            "buying intent 0.80 and complaint 0.85 by a non-customer; names competitor Pipedrive",
            &["competitor"],
        )),
    );
    check(
        Input { intent: 0.8, complaint: 0.85, text: "acmecrm or pipedrive? both crash", ..QUIET },
        Some((
            Queue::Community,
            "complaint 0.85 and buying intent 0.80 by a non-customer; names competitor Pipedrive",
            &["competitor"],
        )),
    );
}

#[test]
fn uncertain_cases_go_to_community() {
    check(
        Input { complaint: 0.91, author: PROPOSED, ..QUIET },
        Some((
            Queue::Community,
            "complaint 0.91 by a possible customer CRM-0004 (Jane Doe) (match proposed, confidence 0.85): \
             confirm or reject the match",
            &["possible-customer"],
        )),
    );
    check(
        Input { intent: 0.9, author: PROPOSED, ..QUIET },
        Some((
            Queue::Community,
            "buying intent 0.90 by a possible customer CRM-0004 (Jane Doe) (match proposed, confidence 0.85): \
             confirm or reject the match",
            &["possible-customer"],
        )),
    );
    check(Input { complaint: 0.85, ..QUIET }, Some((Queue::Community, "complaint 0.85 by a non-customer", &[])));
    // A rejected match is no customer.
    check(
        Input { complaint: 0.9, author: REJECTED, ..QUIET },
        Some((Queue::Community, "complaint 0.90 by a non-customer", &[])),
    );
    check(
        Input { negative: 0.8, text: "Pipedrive support is useless", ..QUIET },
        Some((Queue::Community, "negative mention of competitor Pipedrive (negative 0.80)", &["competitor"])),
    );
    check(
        Input { complaint: 0.7, ..QUIET },
        Some((Queue::Community, "uncertain: complaint 0.70 (threshold 0.80) within 0.15 below the threshold", &[])),
    );
    check(
        Input { complaint: 0.66, intent: 0.6, author: AUTO, ..QUIET },
        Some((
            Queue::Community,
            "uncertain: complaint 0.66 (threshold 0.80) and buying intent 0.60 (threshold 0.70) within 0.15 below \
             the threshold, by customer CRM-0004 (Jane Doe)",
            &[],
        )),
    );
    check(
        Input { intent: 0.6, author: PROPOSED, ..QUIET },
        Some((
            Queue::Community,
            "uncertain: buying intent 0.60 (threshold 0.70) within 0.15 below the threshold, by a possible customer \
             CRM-0004 (Jane Doe)",
            &["possible-customer"],
        )),
    );
}

#[test]
fn everything_else_needs_no_one() {
    check(QUIET, None);
    check(Input { complaint: 0.64, intent: 0.54, ..QUIET }, None);
    check(Input { negative: 0.1, text: "Pipedrive is fine", ..QUIET }, None);
    check(Input { negative: 0.9, text: "I hate Mondays", ..QUIET }, None);
    check(Input { author: AUTO, negative: 0.9, ..QUIET }, None);
}

#[test]
fn priority_follows_tier_scores_negativity_reach_and_competitors() {
    let mut mention = Mention::new(SourceKind::parse("reddit").unwrap(), "r", "t3_p", "text", Utc::now());
    let customer = |tier: Option<&str>| CustomerLink { customer: jane(tier), state: MatchState::Auto, confidence: 1.0 };
    let priority = |mention: &Mention, input: Input, link: Option<&CustomerLink>| {
        route(mention, &signals(input), link, &config(), THRESHOLDS).map(|d| d.priority)
    };
    mention.author.reach = Some(5_000);
    let enterprise = customer(Some("Enterprise"));
    // 40 + 25 (tier) + 9 (0.93) + 12 (0.8 negative) + 6 (reach).
    let complaint = Input { complaint: 0.93, negative: 0.8, ..QUIET };
    assert_eq!(priority(&mention, complaint, Some(&enterprise)), Some(92));
    let bronze = customer(Some("Bronze"));
    assert_eq!(priority(&mention, complaint, Some(&bronze)), Some(72));
    mention.author.reach = None;
    let prospect = Input { intent: 0.88, negative: 0.2, ..QUIET };
    assert_eq!(priority(&mention, prospect, None), Some(30 + 9 + 3));
    mention.text = "pipedrive vs the rest".into();
    assert_eq!(priority(&mention, prospect, None), Some(30 + 9 + 3 + 10), "a competitor raises it");
    mention.author.reach = Some(2_000_000);
    let loudest = Input { complaint: 1.0, negative: 1.0, ..QUIET };
    assert_eq!(priority(&mention, loudest, Some(&enterprise)), Some(100), "clamped");

    assert_eq!(tier_points(Some("Enterprise Plus")), 25);
    assert_eq!(tier_points(Some("GOLD")), 25);
    assert_eq!(tier_points(Some("silver")), 15);
    assert_eq!(tier_points(Some("Business")), 15);
    assert_eq!(tier_points(Some("bronze")), 5);
    assert_eq!(tier_points(Some(" ")), 0);
    assert_eq!(tier_points(None), 0);
}

#[test]
fn sla_by_queue_and_service_tier() {
    let mut config = config();
    config.tier_sla = BTreeMap::from([
        ("enterprise".to_owned(), SlaSpan(Duration::hours(1))),
        ("gold".to_owned(), SlaSpan(Duration::hours(2))),
        ("Gold Plus".to_owned(), SlaSpan(Duration::minutes(30))),
    ]);
    let mention = Mention::new(SourceKind::parse("reddit").unwrap(), "r", "t3_s", "text", Utc::now());
    let sla = |input: Input, tier: Option<&str>| {
        let link = CustomerLink { customer: jane(tier), state: MatchState::Confirmed, confidence: 1.0 };
        let linked = matches!(input.author, Author::Customer(_)).then_some(&link);
        route(&mention, &signals(input), linked, &config, THRESHOLDS).map(|d| d.sla)
    };
    let complaint = Input { complaint: 0.9, author: CONFIRMED, ..QUIET };
    assert_eq!(sla(complaint, Some("Enterprise")), Some(Duration::hours(1)));
    assert_eq!(sla(complaint, Some("gold")), Some(Duration::hours(2)));
    assert_eq!(sla(complaint, Some("gold plus")), Some(Duration::minutes(30)), "the exact tier wins");
    assert_eq!(sla(complaint, Some("Silver")), Some(Duration::hours(4)));
    assert_eq!(sla(complaint, None), Some(Duration::hours(4)));
    assert_eq!(sla(Input { intent: 0.9, author: CONFIRMED, ..QUIET }, Some("Enterprise")), Some(Duration::hours(24)));
    assert_eq!(sla(Input { complaint: 0.9, ..QUIET }, None), Some(Duration::hours(48)));

    let now = Utc::now();
    let decision = decide(Input { complaint: 0.9, author: AUTO, ..QUIET }, None).unwrap();
    assert_eq!(decision.due_at(now), now + Duration::hours(4));
    assert_eq!(decision.customer_id, Some(CustomerId::for_crm_ref("CRM-0004")));
}

#[test]
fn durations_read_like_the_rest_of_the_configuration() {
    assert_eq!(parse_duration("5m"), Ok(Duration::minutes(5)));
    assert_eq!(parse_duration(" 4h "), Ok(Duration::hours(4)));
    assert_eq!(parse_duration("2d"), Ok(Duration::days(2)));
    assert_eq!(parse_duration("1w"), Ok(Duration::weeks(1)));
    assert_eq!(parse_duration("1h30m"), Ok(Duration::minutes(90)));
    assert_eq!(parse_duration("90s"), Ok(Duration::seconds(90)));
    for bad in ["", "4", "h", "4x", "4 h", "-1h", "1.5h", "99999999999999999999d"] {
        let err = parse_duration(bad).unwrap_err();
        assert!(err.contains("e.g. 30m, 4h or 2d"), "{bad:?}: {err}");
    }
    assert!(parse_duration("0m").unwrap_err().contains("longer than zero"));
}

#[test]
fn configuration_reads_with_defaults_and_refuses_unknown_fields() {
    let config: RoutingConfig = serde_json::from_value(serde_json::json!({
        "complaint_threshold": 0.75,
        "sla": {"service": "2h"},
        "tier_sla": {"enterprise": "30m"}
    }))
    .unwrap();
    assert_eq!(config.complaint_threshold, Some(0.75));
    assert_eq!(config.uncertainty_band, 0.15);
    assert_eq!(config.sla.service, SlaSpan(Duration::hours(2)));
    assert_eq!(config.sla.sales, SlaSpan(Duration::hours(24)));
    assert_eq!(config.tier_sla["enterprise"], SlaSpan(Duration::minutes(30)));
    assert!(config.problems().is_empty());

    for bad in [
        serde_json::json!({"competitors": []}),
        serde_json::json!({"sla": {"support": "1h"}}),
        serde_json::json!({"sla": {"service": "soon"}}),
        serde_json::json!({"treshold": 0.5}),
    ] {
        assert!(serde_json::from_value::<RoutingConfig>(bad.clone()).is_err(), "{bad}");
    }

    let wrong = RoutingConfig { intent_threshold: Some(1.5), uncertainty_band: 0.7, ..RoutingConfig::default() };
    let fields: Vec<String> = wrong.problems().into_iter().map(|(field, _)| field).collect();
    assert_eq!(fields, ["intent_threshold", "uncertainty_band"]);
}

#[test]
fn thresholds_come_from_the_configuration_then_the_heads() {
    let config = RoutingConfig { intent_threshold: Some(0.9), ..RoutingConfig::default() };
    assert_eq!(config.thresholds(Some((0.42, 0.6))), Thresholds { complaint: 0.42, intent: 0.9 });
    assert_eq!(config.thresholds(None), Thresholds { complaint: 0.5, intent: 0.9 });
}
