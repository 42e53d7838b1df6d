//! Routing through the whole pipeline on a real store: pages land in the right queues with
//! their customer, people's match decisions move items, and nothing is routed twice.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use hark_core::{
    Customer, CustomerId, ManualClock, Mention, Queue, QueueState, Sentiment, SentimentScores, Signals, SourceKind,
};
use hark_pipeline::Pipeline;
use hark_pipeline::matching::HumanDecision;
use hark_pipeline::routing::{RoutingConfig, RoutingStage};
use hark_store::{HistoryAction, QueueFilter, Store};

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().expect("a valid time")
}

fn customer(crm_ref: &str, name: &str, email: &str, tier: &str) -> Customer {
    Customer {
        id: CustomerId::for_crm_ref(crm_ref),
        crm_ref: crm_ref.to_owned(),
        name: name.to_owned(),
        emails: vec![email.to_owned()],
        company: None,
        domains: vec![],
        handles: BTreeMap::new(),
        products: vec![],
        tier: Some(tier.to_owned()),
        owner: None,
        extra: BTreeMap::new(),
        updated_at: start(),
    }
}

fn post(external_id: &str, handle: &str, text: &str, complaint: f32, intent: f32) -> Mention {
    let kind = SourceKind::parse("reddit").expect("a valid kind");
    let mut mention = Mention::new(kind, "r", external_id, text, start());
    mention.author.handle = Some(handle.to_owned());
    mention.signals = Some(Signals {
        sentiment: Sentiment::Negative,
        sentiment_scores: SentimentScores { negative: 0.6, neutral: 0.3, positive: 0.1 },
        complaint,
        intent,
        cues: vec![],
        model_version: "test".to_owned(),
    });
    mention
}

async fn setup(dir: &tempfile::TempDir) -> (Store, Pipeline) {
    let store = Store::open_in(dir.path()).await.expect("the store opens");
    let mut jane = customer("CRM-0004", "Jane Doe", "jane@doe.example", "Enterprise");
    jane.handles.insert("reddit".to_owned(), "jane_d".to_owned());
    let customers = [
        jane,
        customer("CRM-0006", "Sam Solo", "sam@solo.dev", "Silver"),
        customer("CRM-0007", "Kim Park", "kim@park.io", "Gold"),
    ];
    store.apply_customer_import(&customers, "test", "crm.csv", false, start()).await.expect("the import applies");
    let clock = Arc::new(ManualClock::new(start()));
    let config =
        RoutingConfig { complaint_threshold: Some(0.8), intent_threshold: Some(0.7), ..RoutingConfig::default() };
    let pipeline = Pipeline::new(store.clone(), clock).with_routing(RoutingStage::new(config));
    (store, pipeline)
}

fn page() -> Vec<Mention> {
    vec![
        // Matched by handle: a customer.
        post("t3_jane", "jane_d", "Sync lost all my contacts again", 0.93, 0.1),
        // An address in a post, no name: only a proposed match.
        post("t3_sam", "sam_s", "Which CRM for a small team? write to sam@solo.dev", 0.1, 0.9),
        post("t3_kim", "kimp", "Your inbox broke again, kim@park.io if you need details", 0.91, 0.1),
        post("t3_lead", "lee", "Looking for a CRM with a good API, pricing?", 0.05, 0.88),
        post("t3_quiet", "quinn", "Nice weather for a release", 0.05, 0.05),
    ]
}

#[tokio::test]
async fn pages_are_routed_once_and_decisions_move_items() {
    let dir = tempfile::tempdir().unwrap();
    let (store, pipeline) = setup(&dir).await;
    let ids: Vec<_> = page().iter().map(|mention| mention.id.clone()).collect();

    let outcome = pipeline.process_page("r", page(), Some("c1")).await.unwrap();
    let routed = outcome.routed;
    assert_eq!((routed.created, routed.no_queue), (4, 1), "{routed:?}");
    assert_eq!((routed.service, routed.sales, routed.community), (1, 1, 2), "{routed:?}");

    let jane = store.queue_item_for_mention(&ids[0]).await.unwrap().unwrap();
    assert_eq!(jane.queue, Queue::Service);
    assert_eq!(jane.reason, "complaint 0.93 by customer CRM-0004 (Jane Doe)");
    assert_eq!(jane.customer_id, Some(CustomerId::for_crm_ref("CRM-0004")));
    assert_eq!(jane.due_at, Some(start() + Duration::hours(4)));
    assert_eq!(jane.state, QueueState::New);
    let lead = store.queue_item_for_mention(&ids[3]).await.unwrap().unwrap();
    assert_eq!((lead.queue, lead.reason.as_str()), (Queue::Sales, "buying intent 0.88 by a non-customer"));
    assert!(store.queue_item_for_mention(&ids[4]).await.unwrap().is_none());
    let sam = store.queue_item_for_mention(&ids[1]).await.unwrap().unwrap();
    assert_eq!((sam.queue, sam.tags.as_slice()), (Queue::Community, &["possible-customer".to_owned()][..]));

    // The same page again: nothing new, no second item; routing everything again changes
    // nothing either.
    let again = pipeline.process_page("r", page(), Some("c1")).await.unwrap();
    assert!(again.new_mentions.is_empty());
    assert_eq!(again.routed, Default::default());
    let all = pipeline.route_all().await.unwrap();
    assert_eq!((all.unchanged, all.no_queue, all.created), (4, 1, 0), "{all:?}");
    let items = store.list_queue_items(&QueueFilter { limit: 100, ..QueueFilter::default() }).await.unwrap();
    assert_eq!(items.len(), 4);
    assert!(items.iter().all(|item| item.version == 1));

    // Rejecting Sam's proposed match: a non-customer shopping, so sales.
    let rejected = pipeline.decide_match(HumanDecision::Reject, &ids[1], "CRM-0006", "alice").await.unwrap();
    assert!(rejected.is_ok(), "{rejected:?}");
    let sam = store.queue_item_for_mention(&ids[1]).await.unwrap().unwrap();
    assert_eq!(
        (sam.queue, sam.reason.as_str(), sam.customer_id.as_ref()),
        (Queue::Sales, "buying intent 0.90 by a non-customer", None)
    );
    let history = store.item_history(sam.id).await.unwrap();
    let last = history.last().unwrap();
    assert_eq!((last.action, last.actor.as_str()), (HistoryAction::Rerouted, "alice"));
    assert_eq!(last.reason.as_deref(), Some("customer match rejected by alice: buying intent 0.90 by a non-customer"));

    // Confirming Kim's: a customer's complaint, so service, with the customer's record.
    let confirmed = pipeline.decide_match(HumanDecision::Confirm, &ids[2], "CRM-0007", "alice").await.unwrap();
    assert!(confirmed.is_ok(), "{confirmed:?}");
    let kim = store.queue_item_for_mention(&ids[2]).await.unwrap().unwrap();
    assert_eq!((kim.queue, kim.reason.as_str()), (Queue::Service, "complaint 0.91 by customer CRM-0007 (Kim Park)"));
    assert_eq!(kim.customer_id, Some(CustomerId::for_crm_ref("CRM-0007")));
    let history = store.item_history(kim.id).await.unwrap();
    let moves: Vec<(Option<&str>, Option<&str>)> =
        history.iter().map(|entry| (entry.from_value.as_deref(), entry.to_value.as_deref())).collect();
    assert_eq!(moves, [(None, Some("community")), (Some("community"), Some("service"))]);
    assert!(history[1].reason.as_deref().unwrap().starts_with("customer match confirmed by alice: "));

    // Still one item per mention; the new ones and the moves were announced.
    let items = store.list_queue_items(&QueueFilter { limit: 100, ..QueueFilter::default() }).await.unwrap();
    assert_eq!(items.len(), 4);
    let events = store.due_deliveries(&["hook".to_owned()], start() + Duration::days(1), 100).await.unwrap();
    let topics: Vec<&str> = events.iter().map(|event| event.topic.as_str()).collect();
    assert_eq!(topics.iter().filter(|topic| **topic == "item.created").count(), 4);
    assert_eq!(topics.iter().filter(|topic| **topic == "item.rerouted").count(), 2);
}

#[tokio::test]
async fn a_new_post_that_reveals_the_author_reroutes_their_earlier_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (store, pipeline) = setup(&dir).await;
    // Buying intent from someone unknown: a prospect.
    let first = post("t3_a", "jdoe42", "Which CRM has the best mobile app?", 0.05, 0.85);
    pipeline.process_page("r", vec![first.clone()], None).await.unwrap();
    assert_eq!(store.queue_item_for_mention(&first.id).await.unwrap().unwrap().queue, Queue::Sales);

    // The same author's profile email says who they are: a customer, so expansion.
    let mut second = post("t3_b", "jdoe42", "thanks all", 0.05, 0.05);
    second.author.email = Some("jane@doe.example".to_owned());
    let outcome = pipeline.process_page("r", vec![second], None).await.unwrap();
    assert_eq!(outcome.routed.rerouted, 0, "same queue, new reason: {:?}", outcome.routed);
    assert_eq!(outcome.routed.updated, 1, "{:?}", outcome.routed);
    let item = store.queue_item_for_mention(&first.id).await.unwrap().unwrap();
    assert_eq!(item.reason, "expansion: buying intent 0.85 by customer CRM-0004 (Jane Doe)");
    assert_eq!(item.tags, ["expansion"]);
}
