//! Follow-up queues: one item per mention whatever routing does, people's changes checked
//! (transitions, versions) and recorded (history, audit), dashboard figures.

use chrono::{DateTime, Duration, TimeZone, Utc};
use hark_core::{CustomerId, Mention, MentionId, Queue, QueueState, SourceKind};
use hark_store::{
    HistoryAction, LabelError, LabelWrite, QueueError, QueueFilter, RouteOutcome, RouteWrite, Store, TransitionRequest,
};

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().expect("a valid time") + Duration::minutes(minutes)
}

async fn store_with(dir: &tempfile::TempDir, count: usize) -> (Store, Vec<MentionId>) {
    let store = Store::open_in(dir.path()).await.expect("the store opens");
    let kind = SourceKind::parse("reddit").expect("a valid kind");
    let mentions: Vec<Mention> = (0..count)
        .map(|i| {
            let mut mention = Mention::new(kind.clone(), "r", format!("t3_{i}"), format!("post {i}"), at(0));
            mention.published_at = Some(at(-24 * 60 * (i as i64 % 3)));
            mention
        })
        .collect();
    let saved = store.save_page_at("r", &mentions, None, at(0)).await.expect("the page saves");
    (store, saved.inserted)
}

fn write<'a>(mention: &'a MentionId, queue: Queue, reason: &'a str, tags: &'a [String]) -> RouteWrite<'a> {
    RouteWrite {
        mention_id: mention,
        queue,
        reason,
        priority: 50,
        due_at: Some(at(60)),
        tags,
        customer_id: None,
        actor: "routing",
        cause: None,
        now: at(0),
    }
}

fn transition(id: i64, to: QueueState, expected_version: Option<i64>, minutes: i64) -> TransitionRequest<'static> {
    TransitionRequest { id, to, actor: "alice", reason: Some("on it"), expected_version, now: at(minutes) }
}

#[tokio::test]
async fn one_item_per_mention_over_reroutes() {
    let dir = tempfile::tempdir().unwrap();
    let (store, ids) = store_with(&dir, 1).await;
    let mention = &ids[0];
    let none: Vec<String> = Vec::new();

    let created = store.route_item(&write(mention, Queue::Community, "complaint 0.91 by a non-customer", &none)).await;
    let RouteOutcome::Created(id) = created.unwrap() else { panic!("expected a new item") };
    let again = store.route_item(&write(mention, Queue::Community, "complaint 0.91 by a non-customer", &none)).await;
    assert_eq!(again.unwrap(), RouteOutcome::Unchanged(id));
    assert_eq!(store.queue_item(id).await.unwrap().unwrap().version, 1);

    // A person starts working it; then a customer match is confirmed and routing moves it.
    store.transition_item(&transition(id, QueueState::Assigned, Some(1), 5)).await.unwrap().unwrap();
    let customer = CustomerId::for_crm_ref("CRM-0004");
    let reroute = RouteWrite {
        customer_id: Some(&customer),
        due_at: Some(at(70)),
        actor: "alice",
        cause: Some("customer match confirmed by alice"),
        now: at(10),
        ..write(mention, Queue::Service, "complaint 0.91 by customer CRM-0004 (Jane Doe)", &none)
    };
    assert_eq!(store.route_item(&reroute).await.unwrap(), RouteOutcome::Rerouted { id, from: Queue::Community });
    let item = store.queue_item_for_mention(mention).await.unwrap().unwrap();
    // The service team has not seen it: it starts over as new and unassigned there.
    assert_eq!((item.id, item.queue, item.state, item.version), (id, Queue::Service, QueueState::New, 3));
    assert_eq!(item.assignee, None);
    assert_eq!((item.customer_id.as_ref(), item.due_at), (Some(&customer), Some(at(70))));

    // Same queue, new tags and priority: updated in place, the SLA clock kept.
    let tags = vec!["competitor".to_owned()];
    let update = RouteWrite { priority: 80, customer_id: Some(&customer), due_at: Some(at(500)), ..reroute };
    let update = RouteWrite { tags: &tags, ..update };
    assert_eq!(store.route_item(&update).await.unwrap(), RouteOutcome::Updated(id));
    let item = store.queue_item(id).await.unwrap().unwrap();
    assert_eq!((item.priority, item.tags.as_slice(), item.due_at, item.version), (80, &tags[..], Some(at(70)), 4));
    assert_eq!(store.route_item(&update).await.unwrap(), RouteOutcome::Unchanged(id));

    let counts = store.queue_counts().await.unwrap();
    assert_eq!(counts.iter().map(|c| c.count).sum::<i64>(), 1, "{counts:?}");

    let history = store.item_history(id).await.unwrap();
    let actions: Vec<HistoryAction> = history.iter().map(|h| h.action).collect();
    assert_eq!(actions, [HistoryAction::Created, HistoryAction::Moved, HistoryAction::Rerouted]);
    let rerouted = &history[2];
    assert_eq!((rerouted.from_value.as_deref(), rerouted.to_value.as_deref()), (Some("community"), Some("service")));
    assert_eq!(
        rerouted.reason.as_deref(),
        Some(
            "customer match confirmed by alice: complaint 0.91 by customer CRM-0004 (Jane Doe) \
             (was assigned; reopened as new for the service queue)"
        )
    );
    assert_eq!(rerouted.actor, "alice");

    // One creation event, however often the item is routed; the move is announced too.
    let targets = vec!["hook".to_owned()];
    let events = store.due_deliveries(&targets, at(100), 10).await.unwrap();
    let topics: Vec<&str> = events.iter().map(|d| d.topic.as_str()).collect();
    assert_eq!(topics, ["item.created", "item.rerouted"]);
    assert_eq!(events[0].payload["id"], id);
    assert_eq!(events[0].payload["queue"], "community");
    assert_eq!(events[0].payload["mention_id"], mention.as_str());
    assert_eq!(events[0].idempotency_key.as_deref(), Some(format!("item.created:{id}").as_str()));
}

#[tokio::test]
async fn invalid_transitions_and_stale_versions_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (store, ids) = store_with(&dir, 1).await;
    let id = store.route_item(&write(&ids[0], Queue::Sales, "buying intent 0.88", &[])).await.unwrap().id();
    let audit_before = store.audit_events(100).await.unwrap().len();

    let refused = store.transition_item(&transition(id, QueueState::New, None, 1)).await.unwrap();
    assert_eq!(refused, Err(QueueError::InvalidTransition { from: QueueState::New, to: QueueState::New }));
    let message = refused.unwrap_err().to_string();
    assert!(message.contains("from new it can move to: assigned, contacted, resolved, dismissed"), "{message}");

    let resolved = store.transition_item(&transition(id, QueueState::Resolved, Some(1), 2)).await.unwrap().unwrap();
    assert_eq!((resolved.state, resolved.version), (QueueState::Resolved, 2));
    assert_eq!(resolved.first_response_at, Some(at(2)));
    let refused = store.transition_item(&transition(id, QueueState::Contacted, Some(2), 3)).await.unwrap();
    assert!(matches!(refused, Err(QueueError::InvalidTransition { from: QueueState::Resolved, .. })));

    let stale = store.transition_item(&transition(id, QueueState::New, Some(1), 4)).await.unwrap();
    assert_eq!(stale, Err(QueueError::Conflict { expected: 1, actual: 2 }));
    let stale_assign = store.assign_item(id, Some("bob"), "bob", Some(1), at(4)).await.unwrap();
    assert_eq!(stale_assign, Err(QueueError::Conflict { expected: 1, actual: 2 }));
    let missing = store.transition_item(&transition(999, QueueState::Resolved, None, 4)).await.unwrap();
    assert_eq!(missing, Err(QueueError::NotFound(999)));

    let item = store.queue_item(id).await.unwrap().unwrap();
    assert_eq!((item.state, item.version, item.assignee), (QueueState::Resolved, 2, None));
    assert_eq!(store.item_history(id).await.unwrap().len(), 2, "created and one move");
    let audit = store.audit_events(100).await.unwrap();
    assert_eq!(audit.len(), audit_before + 1);
    assert_eq!((audit[0].action.as_str(), audit[0].actor.as_str()), ("queue.move", "alice"));
    assert_eq!(audit[0].subject, format!("item:{id}"));
    assert_eq!(audit[0].detail["to"], "resolved");

    // Reopening keeps the first response time.
    let reopened = store.transition_item(&transition(id, QueueState::New, Some(2), 5)).await.unwrap().unwrap();
    assert_eq!((reopened.state, reopened.first_response_at), (QueueState::New, Some(at(2))));
}

#[tokio::test]
async fn assignment_notes_and_history_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (store, ids) = store_with(&dir, 1).await;
    let id = store.route_item(&write(&ids[0], Queue::Service, "complaint", &[])).await.unwrap().id();

    let assigned = store.assign_item(id, Some("bob"), "alice", Some(1), at(3)).await.unwrap().unwrap();
    assert_eq!(
        (assigned.state, assigned.assignee.as_deref(), assigned.version),
        (QueueState::Assigned, Some("bob"), 2)
    );
    assert_eq!(assigned.first_response_at, Some(at(3)));
    // The same assignee again changes nothing.
    let same = store.assign_item(id, Some("bob"), "alice", None, at(4)).await.unwrap().unwrap();
    assert_eq!(same.version, 2);
    let note = store.add_note(id, "bob", "called the customer back", at(5)).await.unwrap().unwrap();
    assert_eq!(store.queue_item(id).await.unwrap().unwrap().version, 2, "notes do not bump the version");
    store.transition_item(&transition(id, QueueState::Contacted, Some(2), 6)).await.unwrap().unwrap();
    let unassigned = store.assign_item(id, None, "bob", Some(3), at(7)).await.unwrap().unwrap();
    assert_eq!((unassigned.state, unassigned.assignee), (QueueState::Contacted, None));
    assert_eq!(store.add_note(404, "bob", "x", at(8)).await.unwrap(), Err(QueueError::NotFound(404)));

    let history = store.item_history(id).await.unwrap();
    let rows: Vec<(HistoryAction, Option<&str>, Option<&str>)> =
        history.iter().map(|h| (h.action, h.from_value.as_deref(), h.to_value.as_deref())).collect();
    let note_ref = note.id.to_string();
    assert_eq!(
        rows,
        [
            (HistoryAction::Created, None, Some("service")),
            (HistoryAction::Assigned, None, Some("bob")),
            (HistoryAction::Moved, Some("new"), Some("assigned")),
            (HistoryAction::Note, None, Some(note_ref.as_str())),
            (HistoryAction::Moved, Some("assigned"), Some("contacted")),
            (HistoryAction::Assigned, Some("bob"), None),
        ]
    );
    assert!(history.windows(2).all(|pair| pair[0].at <= pair[1].at));
    let notes = store.item_notes(id).await.unwrap();
    assert_eq!(notes, [note]);
    assert_eq!(notes[0].text, "called the customer back");
}

#[tokio::test]
async fn a_hundred_items_list_by_priority_then_due_date() {
    let dir = tempfile::tempdir().unwrap();
    let (store, ids) = store_with(&dir, 100).await;
    for (i, mention) in ids.iter().enumerate() {
        let queue = Queue::ALL[i % 3];
        let due_at = (i % 4 != 0).then(|| at(1000 - i as i64));
        let route = RouteWrite { priority: (i % 5) as i32 * 10, due_at, ..write(mention, queue, "r", &[]) };
        store.route_item(&route).await.unwrap();
    }
    let all = store.list_queue_items(&QueueFilter { limit: 1000, ..QueueFilter::default() }).await.unwrap();
    assert_eq!(all.len(), 100);
    for pair in all.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let key = |item: &hark_core::QueueItem| (-item.priority, item.due_at.is_none(), item.due_at, item.id);
        assert!(key(a) < key(b), "{:?} before {:?}", key(a), key(b));
    }

    let page = QueueFilter { queue: Some(Queue::Sales), limit: 10, offset: 5, ..QueueFilter::default() };
    let sales: Vec<i64> =
        all.iter().filter(|item| item.queue == Queue::Sales).skip(5).take(10).map(|item| item.id).collect();
    let listed: Vec<i64> = store.list_queue_items(&page).await.unwrap().into_iter().map(|item| item.id).collect();
    assert_eq!(listed, sales);

    let first = all[0].id;
    store.assign_item(first, Some("carol"), "carol", None, at(1)).await.unwrap().unwrap();
    let mine = QueueFilter { assignee: Some("carol".into()), state: Some(QueueState::Assigned), ..Default::default() };
    let mine = store.list_queue_items(&mine).await.unwrap();
    assert_eq!(mine.iter().map(|item| item.id).collect::<Vec<_>>(), [first]);
    let by_kind = QueueFilter { source_kind: Some("reddit".into()), limit: 1000, ..QueueFilter::default() };
    assert_eq!(store.list_queue_items(&by_kind).await.unwrap().len(), 100);
    let other_kind = QueueFilter { source_kind: Some("rss".into()), ..QueueFilter::default() };
    assert!(store.list_queue_items(&other_kind).await.unwrap().is_empty());
}

#[tokio::test]
async fn sla_breaches_and_first_response_times() {
    let dir = tempfile::tempdir().unwrap();
    let (store, ids) = store_with(&dir, 4).await;
    let item = |i: usize, queue: Queue, due: i64| {
        let mention = ids[i].clone();
        let store = store.clone();
        async move {
            let route = RouteWrite { due_at: Some(at(due)), ..write(&mention, queue, "r", &[]) };
            store.route_item(&route).await.unwrap().id()
        }
    };
    let late_open = item(0, Queue::Service, 30).await;
    let answered_late = item(1, Queue::Service, 30).await;
    let answered_in_time = item(2, Queue::Sales, 600).await;
    let _not_due = item(3, Queue::Community, 600).await;
    store.transition_item(&transition(answered_late, QueueState::Contacted, None, 45)).await.unwrap().unwrap();
    store.transition_item(&transition(answered_in_time, QueueState::Dismissed, None, 15)).await.unwrap().unwrap();
    let _ = late_open;

    let breaches = store.sla_breaches(at(60)).await.unwrap();
    assert_eq!(breaches, [(Queue::Service, 2), (Queue::Sales, 0), (Queue::Community, 0)]);
    let times = store.first_response_times().await.unwrap();
    assert_eq!(times, [(Queue::Service, 1, 45.0 * 60.0), (Queue::Sales, 1, 15.0 * 60.0)]);
}

#[tokio::test]
async fn volume_and_sentiment_per_day() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in(dir.path()).await.unwrap();
    let kind = |name: &str| SourceKind::parse(name).unwrap();
    let signals = |negative: f32, positive: f32| hark_core::Signals {
        sentiment: hark_core::Sentiment::Neutral,
        sentiment_scores: hark_core::SentimentScores { negative, neutral: 1.0 - negative - positive, positive },
        complaint: 0.1,
        intent: 0.1,
        cues: vec![],
        model_version: "test".into(),
    };
    let mut mentions = Vec::new();
    for (i, (source, day, scores)) in [
        ("reddit", 0, Some((0.8, 0.1))),
        ("reddit", 0, Some((0.4, 0.3))),
        ("rss", 0, None),
        ("reddit", 1, Some((0.2, 0.6))),
        ("reddit", -3, Some((0.9, 0.0))),
    ]
    .into_iter()
    .enumerate()
    {
        let mut mention = Mention::new(kind(source), source, format!("x{i}"), "text", at(0));
        mention.published_at = Some(at(day * 24 * 60));
        mention.signals = scores.map(|(n, p)| signals(n, p));
        mentions.push(mention);
    }
    store.save_page_at("mixed", &mentions, None, at(0)).await.unwrap();

    let volume = store.volume_per_day(at(-60)).await.unwrap();
    assert_eq!(
        volume,
        [
            ("2026-03-02".to_owned(), "reddit".to_owned(), 2),
            ("2026-03-02".to_owned(), "rss".to_owned(), 1),
            ("2026-03-03".to_owned(), "reddit".to_owned(), 1),
        ]
    );
    let sentiment = store.sentiment_per_day(at(-60)).await.unwrap();
    assert_eq!(sentiment.len(), 2);
    let (day, negative, positive, n) = &sentiment[0];
    assert_eq!((day.as_str(), *n), ("2026-03-02", 2));
    assert!((negative - 0.6).abs() < 1e-6 && (positive - 0.2).abs() < 1e-6, "{negative} {positive}");
}

#[tokio::test]
async fn labels_and_views_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let (store, ids) = store_with(&dir, 1).await;
    let label = LabelWrite {
        mention_id: Some(&ids[0]),
        text: "post 0",
        task: "complaint",
        label: "not_complaint",
        origin: "triage",
        actor: Some("alice"),
        now: at(1),
    };
    let id = store.add_label(&label).await.unwrap().unwrap();
    store.add_label(&LabelWrite { task: "intent", label: "intent", ..label }).await.unwrap().unwrap();
    let bad = store.add_label(&LabelWrite { task: "spam", ..label }).await.unwrap();
    assert_eq!(bad, Err(LabelError::UnknownTask("spam".into())));
    let complaints = store.list_labels(Some("complaint")).await.unwrap();
    assert_eq!(complaints.len(), 1);
    assert_eq!((complaints[0].id, complaints[0].label.as_str()), (id, "not_complaint"));
    assert_eq!(complaints[0].mention_id.as_ref(), Some(&ids[0]));
    assert_eq!(store.list_labels(None).await.unwrap().len(), 2);

    store.record_view("bob", "customer:c_1", "contact details", at(2)).await.unwrap();
    let audit = store.audit_events(1).await.unwrap();
    assert_eq!(
        (audit[0].actor.as_str(), audit[0].action.as_str(), audit[0].subject.as_str()),
        ("bob", "view", "customer:c_1")
    );
    assert_eq!(audit[0].detail["what"], "contact details");
    assert_eq!(store.audit_log(1).await.unwrap()[0].2, "view", "the tuple form still works");
}

#[tokio::test]
async fn routing_a_page_in_one_transaction_gives_what_one_by_one_gives_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (store, ids) = store_with(&dir, 3).await;
    let none: Vec<String> = Vec::new();
    let writes: Vec<RouteWrite<'_>> = vec![
        write(&ids[0], Queue::Service, "complaint", &none),
        write(&ids[1], Queue::Sales, "buying intent", &none),
        write(&ids[2], Queue::Community, "uncertain", &none),
    ];
    let outcomes = store.route_items(&writes).await.unwrap();
    assert!(outcomes.iter().all(|outcome| matches!(outcome, RouteOutcome::Created(_))), "{outcomes:?}");
    // The same decisions again change nothing; a different one moves only its item.
    let again = store.route_items(&writes).await.unwrap();
    let unchanged: Vec<RouteOutcome> = outcomes.iter().map(|outcome| RouteOutcome::Unchanged(outcome.id())).collect();
    assert_eq!(again, unchanged);
    let moved = store
        .route_items(&[
            write(&ids[0], Queue::Service, "complaint", &none),
            write(&ids[2], Queue::Sales, "intent", &none),
        ])
        .await
        .unwrap();
    assert_eq!(moved[0], RouteOutcome::Unchanged(outcomes[0].id()));
    assert_eq!(moved[1], RouteOutcome::Rerouted { id: outcomes[2].id(), from: Queue::Community });

    // A write that fails (its mention is not stored) takes the whole batch with it.
    let missing = MentionId::new(&SourceKind::parse("reddit").unwrap(), "t3_missing");
    let three = [write(&ids[1], Queue::Service, "complaint", &none), write(&missing, Queue::Sales, "intent", &none)];
    assert!(store.route_items(&three).await.is_err(), "a queue item for a mention that is not stored");
    let item = store.queue_item(outcomes[1].id()).await.unwrap().unwrap();
    assert_eq!(item.queue, Queue::Sales, "the first write of the failed batch was rolled back");
    assert!(store.route_items(&[]).await.unwrap().is_empty());
}
