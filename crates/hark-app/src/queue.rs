//! Follow-up queues: what each team works on. Listing, one item with its history and notes,
//! and the actions people take (move, assign, note), with the rules of who may touch which
//! queue. A dismissal with a reason becomes a training label; "wrong customer" also rejects
//! the customer match, which re-routes the item.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use hark_core::{MentionId, Queue, QueueItem, QueueState};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::App;
use crate::access::{Caller, Permission};
use crate::error::{AppError, AppResult, Context};
use crate::views::{MentionView, mention_views};

/// Items per page at most.
pub const MAX_LIMIT: i64 = 500;

/// A queue item with its mention, as `hark queue list --json` prints it: the mention's
/// fields (`id` is the mention's id) plus the item's.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ItemView {
    #[serde(flatten)]
    pub mention: MentionView,
    /// The queue item's id (the one `/api/v1/items/{id}` and `hark queue show` take).
    pub item_id: i64,
    /// service, sales or community.
    pub queue: String,
    /// new, assigned, contacted, resolved or dismissed.
    pub state: String,
    /// Why routing put it here ("complaint 0.93 by customer CRM-0004").
    pub reason: String,
    /// 0 to 100, higher first.
    pub priority: i32,
    pub tags: Vec<String>,
    pub assignee: Option<String>,
    /// When the queue's service level runs out.
    pub due_at: Option<DateTime<Utc>>,
    /// Whether the item is still open past `due_at`, or was first answered after it.
    pub overdue: bool,
    /// Bumped on every change; send it back to refuse to overwrite someone else's change.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One change in an item's life.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryView {
    pub at: DateTime<Utc>,
    pub actor: String,
    /// created, rerouted, moved, assigned or note.
    pub action: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoteView {
    pub at: DateTime<Utc>,
    pub author: String,
    pub text: String,
}

/// An item with everything a person needs to act on it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemDetail {
    #[serde(flatten)]
    pub item: ItemView,
    pub history: Vec<HistoryView>,
    pub notes: Vec<NoteView>,
}

/// Counts per queue and state, for the queues the caller may see.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueCounts {
    /// queue → state → count; every state present.
    pub queues: BTreeMap<String, BTreeMap<String, i64>>,
}

/// Which items to list.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListItems {
    /// service, sales or community; all the caller may see when absent.
    pub queue: Option<String>,
    pub state: Option<String>,
    pub assignee: Option<String>,
    /// A source kind (reddit, hackernews, ...).
    pub source: Option<String>,
    /// complaint or intent (flagged at the routing threshold), or negative (sentiment).
    pub signal: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Why an item is dismissed; each but `other` teaches the classifier or the matcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DismissReason {
    NotAComplaint,
    NotBuyingIntent,
    WrongCustomer,
    Spam,
}

impl DismissReason {
    pub const ALL: [DismissReason; 4] = [
        DismissReason::NotAComplaint,
        DismissReason::NotBuyingIntent,
        DismissReason::WrongCustomer,
        DismissReason::Spam,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DismissReason::NotAComplaint => "not a complaint",
            DismissReason::NotBuyingIntent => "not buying intent",
            DismissReason::WrongCustomer => "wrong customer",
            DismissReason::Spam => "spam",
        }
    }

    /// Reads "not a complaint", "not_a_complaint" or "not-a-complaint".
    pub fn parse(raw: &str) -> Option<Self> {
        let normal = raw.trim().to_lowercase().replace(['_', '-'], " ");
        Self::ALL.into_iter().find(|reason| reason.as_str() == normal)
    }

    /// The training labels (task, label) this dismissal teaches.
    fn labels(self) -> &'static [(&'static str, &'static str)] {
        match self {
            DismissReason::NotAComplaint => &[("complaint", "not_complaint")],
            DismissReason::NotBuyingIntent => &[("intent", "no_intent")],
            DismissReason::WrongCustomer => &[],
            DismissReason::Spam => &[("complaint", "not_complaint"), ("intent", "no_intent")],
        }
    }
}

/// A move of one item to another state.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    /// new, assigned, contacted, resolved or dismissed.
    pub state: String,
    /// Free text, or for `dismissed` one of: not a complaint, not buying intent, wrong customer, spam.
    pub reason: Option<String>,
    /// The item's `version` as the caller saw it; a newer one means someone else changed it.
    pub version: Option<i64>,
}

/// `complaint` and `intent` mean flagged at the thresholds routing uses; `negative` the
/// sentiment label.
fn signal_filter(app: &App, raw: &str) -> AppResult<hark_store::SignalFilter> {
    let thresholds = app.config().routing_config().thresholds(hark_classifier::classifier::head_thresholds());
    match raw.trim().to_lowercase().as_str() {
        "complaint" => Ok(hark_store::SignalFilter::Complaint(thresholds.complaint)),
        "intent" => Ok(hark_store::SignalFilter::Intent(thresholds.intent)),
        "negative" => Ok(hark_store::SignalFilter::Negative),
        _ => Err(AppError::invalid(
            "invalid_signal",
            format!("unknown signal {raw:?}: expected complaint, intent or negative"),
        )),
    }
}

pub fn parse_queue(raw: &str) -> AppResult<Queue> {
    Queue::ALL.into_iter().find(|queue| queue.as_str() == raw.trim().to_lowercase()).ok_or_else(|| {
        AppError::invalid("invalid_queue", format!("unknown queue {raw:?}: expected service, sales or community"))
    })
}

pub fn parse_state(raw: &str) -> AppResult<QueueState> {
    QueueState::parse(raw.trim().to_lowercase().as_str()).ok_or_else(|| {
        AppError::invalid(
            "invalid_state",
            format!("unknown state {raw:?}: expected new, assigned, contacted, resolved or dismissed"),
        )
    })
}

fn is_open(state: QueueState) -> bool {
    matches!(state, QueueState::New | QueueState::Assigned | QueueState::Contacted)
}

fn overdue(item: &QueueItem, now: DateTime<Utc>) -> bool {
    let Some(due) = item.due_at else { return false };
    match item.first_response_at {
        Some(answered) => answered > due,
        None => is_open(item.state) && now > due,
    }
}

async fn views(app: &App, items: Vec<QueueItem>) -> AppResult<Vec<ItemView>> {
    let store = app.store().await.internal("opening the store")?;
    let ids: Vec<MentionId> = items.iter().map(|item| item.mention_id.clone()).collect();
    let mut mentions: HashMap<String, MentionView> =
        mention_views(store, &ids).await?.into_iter().map(|view| (view.id.clone(), view)).collect();
    let now = app.clock().now();
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Some(mention) = mentions.remove(item.mention_id.as_str()) else {
            // The mention was deleted under the item (cascade pending); nothing to show.
            continue;
        };
        out.push(ItemView {
            mention,
            item_id: item.id,
            queue: item.queue.as_str().to_owned(),
            state: item.state.as_str().to_owned(),
            overdue: overdue(&item, now),
            reason: item.reason,
            priority: item.priority,
            tags: item.tags,
            assignee: item.assignee,
            due_at: item.due_at,
            version: item.version,
            created_at: item.created_at,
            updated_at: item.updated_at,
        });
    }
    Ok(out)
}

/// The item, if the caller may work its queue: `not_found` when it does not exist, and also
/// when the caller may not see that queue (so ids do not leak what other teams hold).
async fn visible_item(app: &App, caller: &Caller, id: i64) -> AppResult<QueueItem> {
    let store = app.store().await.internal("opening the store")?;
    let item = store.queue_item(id).await.internal("reading a queue item")?;
    match item {
        Some(item) if caller.may(Permission::Queue(item.queue)) => Ok(item),
        Some(item) => Err(AppError::forbidden(format!(
            "the {} role may not work the {} queue (item {id})",
            caller.role,
            item.queue.as_str()
        ))),
        None => Err(AppError::not_found("queue item", id)),
    }
}

pub async fn counts(app: &App, caller: &Caller) -> AppResult<QueueCounts> {
    let store = app.store().await.internal("opening the store")?;
    let visible = caller.queues();
    let mut queues: BTreeMap<String, BTreeMap<String, i64>> = visible
        .iter()
        .map(|queue| {
            (queue.as_str().to_owned(), QueueState::ALL.iter().map(|state| (state.as_str().to_owned(), 0)).collect())
        })
        .collect();
    for count in store.queue_counts().await.internal("counting queue items")? {
        if let Some(states) = queues.get_mut(count.queue.as_str()) {
            states.insert(count.state.as_str().to_owned(), count.count);
        }
    }
    Ok(QueueCounts { queues })
}

pub async fn list(app: &App, caller: &Caller, request: &ListItems) -> AppResult<Vec<ItemView>> {
    let queue = request.queue.as_deref().map(parse_queue).transpose()?;
    let state = request.state.as_deref().map(parse_state).transpose()?;
    let limit = request.limit.unwrap_or(100);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::invalid("invalid_limit", format!("limit must be 1 to {MAX_LIMIT}")));
    }
    let offset = request.offset.unwrap_or(0);
    if offset < 0 {
        return Err(AppError::invalid("invalid_offset", "offset must not be negative"));
    }
    let signal = request.signal.as_deref().map(|raw| signal_filter(app, raw)).transpose()?;
    let queues = match queue {
        Some(queue) => {
            caller.require(Permission::Queue(queue))?;
            vec![Some(queue)]
        }
        None if caller.queues().len() == Queue::ALL.len() => vec![None],
        None => caller.queues().into_iter().map(Some).collect(),
    };
    let store = app.store().await.internal("opening the store")?;
    let mut items = Vec::new();
    for queue in queues {
        let filter = hark_store::QueueFilter {
            queue,
            state,
            assignee: request.assignee.clone(),
            source_kind: request.source.as_ref().map(|source| source.trim().to_lowercase()),
            signal,
            limit,
            offset,
        };
        items.extend(store.list_queue_items(&filter).await.internal("listing queue items")?);
    }
    views(app, items).await
}

pub async fn show(app: &App, caller: &Caller, id: i64) -> AppResult<ItemDetail> {
    let item = visible_item(app, caller, id).await?;
    detail(app, item).await
}

/// The item with its mention, history and notes, without a permission check: for callers
/// that just passed one (an item re-routed by its own transition leaves the caller's queue,
/// and they still see where it went).
async fn detail(app: &App, item: QueueItem) -> AppResult<ItemDetail> {
    let id = item.id;
    let store = app.store().await.internal("opening the store")?;
    let history = store
        .item_history(id)
        .await
        .internal("reading an item's history")?
        .into_iter()
        .map(|entry| HistoryView {
            at: entry.at,
            actor: entry.actor,
            action: entry.action.as_str().to_owned(),
            from: entry.from_value,
            to: entry.to_value,
            reason: entry.reason,
        })
        .collect();
    let notes = store
        .item_notes(id)
        .await
        .internal("reading an item's notes")?
        .into_iter()
        .map(|note| NoteView { at: note.at, author: note.author, text: note.text })
        .collect();
    let item = views(app, vec![item]).await?.pop().ok_or_else(|| AppError::not_found("queue item", id))?;
    Ok(ItemDetail { item, history, notes })
}

fn queue_error(error: &hark_store::QueueError) -> AppError {
    use hark_store::QueueError;
    match *error {
        QueueError::NotFound(id) => AppError::not_found("queue item", id),
        QueueError::InvalidTransition { from, to } => AppError::conflict(
            "invalid_transition",
            format!(
                "an item in state {} cannot move to {}{}",
                from.as_str(),
                to.as_str(),
                if matches!(from, QueueState::Resolved | QueueState::Dismissed) {
                    " (reopen it first: move it to new)"
                } else {
                    ""
                }
            ),
        ),
        QueueError::Conflict { expected, actual } => AppError::conflict(
            "version_conflict",
            format!("the item changed since you loaded it (version {expected}, now {actual}); reload it and try again"),
        ),
    }
}

/// Moves an item to another state. Dismissing with a known reason writes training labels;
/// "wrong customer" rejects the customer match, which re-routes the item.
pub async fn transition(app: &App, caller: &Caller, id: i64, request: &Transition) -> AppResult<ItemDetail> {
    let to = parse_state(&request.state)?;
    visible_item(app, caller, id).await?;
    let reason = request.reason.as_deref().map(str::trim).filter(|reason| !reason.is_empty());
    if reason.is_some_and(|reason| reason.chars().count() > 500) {
        return Err(AppError::invalid("invalid_reason", "a reason is at most 500 characters"));
    }
    let dismissal = match (to, reason) {
        (QueueState::Dismissed, Some(reason)) => DismissReason::parse(reason),
        _ => None,
    };
    let store = app.store().await.internal("opening the store")?;
    let now = app.clock().now();
    let moved = store
        .transition_item(&hark_store::TransitionRequest {
            id,
            to,
            actor: &caller.name,
            reason,
            expected_version: request.version,
            now,
        })
        .await
        .internal("moving a queue item")?
        .map_err(|err| queue_error(&err))?;
    if let Some(dismissal) = dismissal {
        learn_from_dismissal(app, caller, &moved, dismissal).await?;
    }
    let item = store
        .queue_item(id)
        .await
        .internal("reading a queue item")?
        .ok_or_else(|| AppError::not_found("queue item", id))?;
    detail(app, item).await
}

async fn learn_from_dismissal(app: &App, caller: &Caller, item: &QueueItem, reason: DismissReason) -> AppResult<()> {
    let store = app.store().await.internal("opening the store")?;
    let now = app.clock().now();
    let mention = store
        .mention(&item.mention_id)
        .await
        .internal("reading a mention")?
        .ok_or_else(|| AppError::not_found("mention", &item.mention_id))?;
    for (task, label) in reason.labels() {
        store
            .add_label(&hark_store::LabelWrite {
                mention_id: Some(&item.mention_id),
                text: &hark_pipeline::classify::text_for(&mention),
                task,
                label,
                origin: "triage",
                actor: Some(&caller.name),
                now,
            })
            .await
            .internal("saving a training label")?
            .map_err(|err| AppError::invalid("invalid_label", err.to_string()))?;
    }
    if reason == DismissReason::WrongCustomer {
        let Some(customer) = item.customer_id.as_ref() else {
            return Err(AppError::invalid(
                "no_customer",
                "this item has no customer match to reject; dismiss it with another reason",
            ));
        };
        let pipeline = app.pipeline(false).await.internal("opening the pipeline")?;
        pipeline
            .decide_match(
                hark_pipeline::matching::HumanDecision::Reject,
                &item.mention_id,
                customer.as_str(),
                &caller.name,
            )
            .await
            .internal("rejecting the customer match")?
            .map_err(|err| AppError::conflict("match_decision", err.to_string()))?;
    }
    Ok(())
}

/// Assigns an item (to `assignee`, or to nobody); a new item becomes assigned.
pub async fn assign(
    app: &App,
    caller: &Caller,
    id: i64,
    assignee: Option<&str>,
    version: Option<i64>,
) -> AppResult<ItemDetail> {
    visible_item(app, caller, id).await?;
    let assignee = assignee.map(str::trim).filter(|name| !name.is_empty());
    let store = app.store().await.internal("opening the store")?;
    if let Some(name) = assignee {
        if store.user_by_name(name).await.internal("reading a user")?.is_none() {
            return Err(AppError::invalid("unknown_user", format!("no user named {name:?} (`hark user list`)")));
        }
    }
    store
        .assign_item(id, assignee, &caller.name, version, app.clock().now())
        .await
        .internal("assigning a queue item")?
        .map_err(|err| queue_error(&err))?;
    show(app, caller, id).await
}

/// Adds a note to an item.
pub async fn note(app: &App, caller: &Caller, id: i64, text: &str) -> AppResult<ItemDetail> {
    visible_item(app, caller, id).await?;
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 10_000 {
        return Err(AppError::invalid("invalid_note", "a note needs 1 to 10,000 characters"));
    }
    let store = app.store().await.internal("opening the store")?;
    store
        .add_note(id, &caller.name, text, app.clock().now())
        .await
        .internal("saving a note")?
        .map_err(|err| queue_error(&err))?;
    show(app, caller, id).await
}

/// The open items (new, assigned, contacted) on `mentions`, in the queues the caller works.
pub async fn open_items_for_mentions(app: &App, caller: &Caller, mentions: &[MentionId]) -> AppResult<Vec<ItemView>> {
    let store = app.store().await.internal("opening the store")?;
    let mut items = Vec::new();
    for mention in mentions {
        if let Some(item) = store.queue_item_for_mention(mention).await.internal("reading a queue item")? {
            if is_open(item.state) && caller.may(Permission::Queue(item.queue)) {
                items.push(item);
            }
        }
    }
    views(app, items).await
}

/// How long after a change its author may still undo it.
pub const UNDO_WINDOW: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// Undoes the caller's own last change to an item (a move, or an assignment with the move it
/// caused) when it is still the item's latest change and at most [`UNDO_WINDOW`] old: the
/// item goes back to its previous state and assignee, even where a move there would be
/// refused (resolved → contacted), and an item that first left `new` by that change has no
/// first response again. The history says `undo`. Refused with `nothing_to_undo` otherwise.
pub async fn undo(app: &App, caller: &Caller, id: i64, version: Option<i64>) -> AppResult<ItemDetail> {
    undo_at(app, caller, id, version, app.clock().now()).await
}

async fn undo_at(
    app: &App,
    caller: &Caller,
    id: i64,
    version: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<ItemDetail> {
    visible_item(app, caller, id).await?;
    let store = app.store().await.internal("opening the store")?;
    let request =
        hark_store::UndoRequest { id, actor: &caller.name, expected_version: version, max_age: UNDO_WINDOW, now };
    let undone = store.undo_item(&request).await.internal("undoing a change to a queue item")?.map_err(|err| {
        use hark_store::UndoError;
        let why = match err {
            UndoError::Queue(err) => return queue_error(&err),
            UndoError::NothingOfYours => "the item's latest change is not a move or an assignment of yours".to_owned(),
            UndoError::ChangedSince { by, at } => format!(
                "{by} changed the item after you (at {} UTC); only your own latest change can be undone",
                at.format("%H:%M:%S")
            ),
            UndoError::TooOld { at } => format!(
                "your last change (at {} UTC) is more than {} minutes old; change the item instead",
                at.format("%H:%M:%S"),
                UNDO_WINDOW.num_minutes()
            ),
            UndoError::AlreadyUndone => "your last change was undone already".to_owned(),
        };
        AppError::conflict("nothing_to_undo", format!("nothing to undo: {why}"))
    })?;
    detail(app, undone).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dismiss_reasons_read_in_any_common_spelling() {
        assert_eq!(DismissReason::parse("Not a complaint"), Some(DismissReason::NotAComplaint));
        assert_eq!(DismissReason::parse("not_buying_intent"), Some(DismissReason::NotBuyingIntent));
        assert_eq!(DismissReason::parse("wrong-customer"), Some(DismissReason::WrongCustomer));
        assert_eq!(DismissReason::parse("duplicate"), None);
    }
}

#[cfg(test)]
mod undo_tests {
    use chrono::TimeDelta;
    use hark_core::{Mention, SourceKind};

    use super::*;
    use crate::access::Role;
    use crate::{AppOptions, Config, ConfigOrigin};

    /// An application with users alice, bob and carol (service) and one new item per
    /// `count` in the service queue; the items' ids.
    async fn app_with_items(dir: &std::path::Path, count: usize) -> (App, Vec<i64>) {
        let options =
            AppOptions { config_path: dir.join("hark.toml"), config_explicit: false, data_dir: dir.join("data") };
        let app = App::with_config(options, Config::default(), ConfigOrigin::Default);
        let store = app.store().await.unwrap();
        let now = app.clock().now() - TimeDelta::hours(1);
        for name in ["alice", "bob", "carol"] {
            store.add_user(name, "service", "not a real hash", now).await.unwrap().unwrap();
        }
        let kind = SourceKind::parse("reddit").unwrap();
        let mentions: Vec<Mention> = (0..count)
            .map(|i| Mention::new(kind.clone(), "r", format!("t3_{i}"), format!("the app broke again {i}"), now))
            .collect();
        let saved = store.save_page_at("r", &mentions, None, now).await.unwrap();
        let mut ids = Vec::new();
        for mention in &saved.inserted {
            let write = hark_store::RouteWrite {
                mention_id: mention,
                queue: Queue::Service,
                reason: "complaint",
                priority: 50,
                due_at: None,
                tags: &[],
                customer_id: None,
                actor: "routing",
                cause: None,
                now,
            };
            ids.push(store.route_item(&write).await.unwrap().id());
        }
        (app, ids)
    }

    fn person(name: &str) -> Caller {
        Caller::new(name, Role::Service)
    }

    fn to(state: &str) -> Transition {
        Transition { state: state.to_owned(), reason: None, version: None }
    }

    async fn item(app: &App, id: i64) -> QueueItem {
        app.store().await.unwrap().queue_item(id).await.unwrap().unwrap()
    }

    fn refusal(result: AppResult<ItemDetail>) -> AppError {
        let err = result.expect_err("refused");
        assert_eq!(err.code, "nothing_to_undo", "{}", err.message);
        err
    }

    #[tokio::test]
    async fn undo_of_resolve_goes_back_where_a_move_may_not() {
        let dir = tempfile::tempdir().unwrap();
        let (app, ids) = app_with_items(dir.path(), 2).await;
        let (alice, id) = (person("alice"), ids[0]);
        transition(&app, &alice, id, &to("contacted")).await.unwrap();
        let answered = item(&app, id).await.first_response_at;
        assert!(answered.is_some());
        let resolved = transition(&app, &alice, id, &to("resolved")).await.unwrap();
        let stale = resolved.item.version - 1;
        assert_eq!(undo(&app, &alice, id, Some(stale)).await.unwrap_err().code, "version_conflict");

        let undone = undo(&app, &alice, id, Some(resolved.item.version)).await.unwrap();
        assert_eq!((undone.item.state.as_str(), undone.item.version), ("contacted", resolved.item.version + 1));
        let last = undone.history.last().unwrap();
        assert_eq!(
            (
                last.actor.as_str(),
                last.action.as_str(),
                last.from.as_deref(),
                last.to.as_deref(),
                last.reason.as_deref()
            ),
            ("alice", "moved", Some("resolved"), Some("contacted"), Some("undo"))
        );
        // Not the first response: it stays.
        assert_eq!(item(&app, id).await.first_response_at, answered);
        // An undo is not undone in turn.
        let again = refusal(undo(&app, &alice, id, None).await);
        assert_eq!(again.message, "nothing to undo: your last change was undone already");

        // Undoing the first response takes it back; notes in between do not matter.
        let other = ids[1];
        transition(&app, &alice, other, &to("contacted")).await.unwrap();
        note(&app, &person("bob"), other, "called them").await.unwrap();
        let undone = undo(&app, &alice, other, None).await.unwrap();
        assert_eq!(undone.item.state, "new");
        assert_eq!(item(&app, other).await.first_response_at, None);
    }

    #[tokio::test]
    async fn undo_is_refused_after_someone_elses_change_too_late_or_without_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let (app, ids) = app_with_items(dir.path(), 2).await;
        let (alice, carol, id) = (person("alice"), person("carol"), ids[0]);
        let nothing = refusal(undo(&app, &alice, id, None).await);
        assert_eq!(
            nothing.message,
            "nothing to undo: the item's latest change is not a move or an assignment of yours"
        );
        transition(&app, &alice, id, &to("contacted")).await.unwrap();
        assert_eq!(
            undo(&app, &Caller::new("dan", Role::Community), id, None).await.unwrap_err().kind,
            crate::ErrorKind::Forbidden
        );
        assign(&app, &carol, id, Some("carol"), None).await.unwrap();
        let refused = refusal(undo(&app, &alice, id, None).await);
        assert!(
            refused.message.starts_with("nothing to undo: carol changed the item after you"),
            "{}",
            refused.message
        );
        let unchanged = item(&app, id).await;
        assert_eq!((unchanged.state, unchanged.assignee.as_deref()), (QueueState::Contacted, Some("carol")));

        let later = ids[1];
        transition(&app, &alice, later, &to("dismissed")).await.unwrap();
        let too_late = app.clock().now() + UNDO_WINDOW + TimeDelta::seconds(1);
        let refused = refusal(undo_at(&app, &alice, later, None, too_late).await);
        assert!(refused.message.contains("more than 10 minutes old"), "{}", refused.message);
        let in_time = app.clock().now() + UNDO_WINDOW - TimeDelta::seconds(5);
        assert_eq!(undo_at(&app, &alice, later, None, in_time).await.unwrap().item.state, "new");
    }

    #[tokio::test]
    async fn undo_of_an_assignment_restores_assignee_and_state() {
        let dir = tempfile::tempdir().unwrap();
        let (app, ids) = app_with_items(dir.path(), 1).await;
        let (alice, id) = (person("alice"), ids[0]);
        let assigned = assign(&app, &alice, id, Some("bob"), None).await.unwrap();
        assert_eq!((assigned.item.state.as_str(), assigned.item.assignee.as_deref()), ("assigned", Some("bob")));
        assert!(item(&app, id).await.first_response_at.is_some());
        let before = assigned.history.len();

        let undone = undo(&app, &alice, id, Some(assigned.item.version)).await.unwrap();
        assert_eq!((undone.item.state.as_str(), undone.item.assignee.as_deref()), ("new", None));
        assert_eq!(item(&app, id).await.first_response_at, None);
        let rows: Vec<_> = undone.history[before..]
            .iter()
            .map(|entry| (entry.action.as_str(), entry.from.as_deref(), entry.to.as_deref(), entry.reason.as_deref()))
            .collect();
        assert_eq!(
            rows,
            [("assigned", Some("bob"), None, Some("undo")), ("moved", Some("assigned"), Some("new"), Some("undo"))]
        );

        // A reassignment that leaves the state alone is undone alone.
        assign(&app, &alice, id, Some("bob"), None).await.unwrap();
        transition(&app, &alice, id, &to("contacted")).await.unwrap();
        let reassigned = assign(&app, &alice, id, Some("carol"), None).await.unwrap();
        let before = reassigned.history.len();
        let undone = undo(&app, &alice, id, None).await.unwrap();
        assert_eq!((undone.item.state.as_str(), undone.item.assignee.as_deref()), ("contacted", Some("bob")));
        assert_eq!(undone.history.len(), before + 1);
        let audit = app.store().await.unwrap().audit_events(1).await.unwrap();
        assert_eq!((audit[0].action.as_str(), audit[0].actor.as_str()), ("queue.undo", "alice"));
    }
}
