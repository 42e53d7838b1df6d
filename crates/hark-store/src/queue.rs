//! Follow-up queues: the items routing opens and people work.
//!
//! A mention has at most one item (`UNIQUE (mention_id)`): routing again moves the item to
//! another queue ([`RouteOutcome::Rerouted`], whatever its state) or updates it in place; it
//! never opens a second one and never deletes one (when routing later finds no queue for a
//! mention, its item stays: people may be working it). Every change bumps the item's
//! `version`; people's changes name the version they saw and are refused on a mismatch
//! ([`QueueError::Conflict`]), so two people editing one item cannot overwrite each other.
//! Every change writes a history row in the same transaction; people's changes also write an
//! audit event, and a new item an outbox event (`item.created`) for alerts.

use chrono::{DateTime, Utc};
use hark_core::{CustomerId, MentionId, Queue, QueueItem, QueueState};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::audit::{self, AuditEvent};
use crate::{Result, Store, StoreError, outbox, query_error, timestamp};

/// How many items one queue holds in one state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueCount {
    pub queue: Queue,
    pub state: QueueState,
    pub count: i64,
}

/// What routing decided for one mention, to be written.
#[derive(Debug, Clone, Copy)]
pub struct RouteWrite<'a> {
    pub mention_id: &'a MentionId,
    pub queue: Queue,
    /// Why the item is in its queue, for the person who reads it.
    pub reason: &'a str,
    pub priority: i32,
    /// When the SLA runs out; used when the item is created or moves queue.
    pub due_at: Option<DateTime<Utc>>,
    pub tags: &'a [String],
    pub customer_id: Option<&'a CustomerId>,
    /// Who routed: `routing` for the pipeline, a person's name when their decision did.
    pub actor: &'a str,
    /// What made routing run again (e.g. "customer match confirmed by alice"); prefixed to
    /// the reason in the history row of a move.
    pub cause: Option<&'a str>,
    pub now: DateTime<Utc>,
}

/// What [`Store::route_item`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteOutcome {
    /// A new item, with this id.
    Created(i64),
    /// The item moved from another queue.
    Rerouted {
        id: i64,
        from: Queue,
    },
    /// Same queue; reason, priority, tags or customer changed.
    Updated(i64),
    Unchanged(i64),
}

impl RouteOutcome {
    pub fn id(self) -> i64 {
        match self {
            RouteOutcome::Created(id)
            | RouteOutcome::Rerouted { id, .. }
            | RouteOutcome::Updated(id)
            | RouteOutcome::Unchanged(id) => id,
        }
    }
}

/// Why a person's change to an item was refused (nothing was written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    #[error("no queue item {0}")]
    NotFound(i64),
    #[error("an item cannot move from {from} to {to}; from {from} it can move to: {}", allowed(*.from))]
    InvalidTransition { from: QueueState, to: QueueState },
    #[error("the item changed meanwhile (you saw version {expected}, it is now at {actual}); reload it and try again")]
    Conflict { expected: i64, actual: i64 },
}

fn allowed(from: QueueState) -> String {
    let next: Vec<&str> = from.next_states().into_iter().map(QueueState::as_str).collect();
    if next.is_empty() { "nothing".to_owned() } else { next.join(", ") }
}

/// A person's change of an item's state.
#[derive(Debug, Clone, Copy)]
pub struct TransitionRequest<'a> {
    pub id: i64,
    pub to: QueueState,
    pub actor: &'a str,
    pub reason: Option<&'a str>,
    /// The version the person saw; `None` skips the check.
    pub expected_version: Option<i64>,
    pub now: DateTime<Utc>,
}

/// Which items to list. `limit` and `offset` page through them in priority order (highest
/// first), then due date (soonest first, undated last), then id.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueFilter {
    pub queue: Option<Queue>,
    pub state: Option<QueueState>,
    pub assignee: Option<String>,
    pub source_kind: Option<String>,
    /// Only items whose mention's signal reaches a probability.
    pub signal: Option<SignalFilter>,
    pub limit: i64,
    pub offset: i64,
}

/// A signal an item's mention must show.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SignalFilter {
    /// Complaint probability at least this.
    Complaint(f32),
    /// Buying-intent probability at least this.
    Intent(f32),
    /// Negative sentiment (the most probable label).
    Negative,
}

impl Default for QueueFilter {
    fn default() -> Self {
        Self { queue: None, state: None, assignee: None, source_kind: None, signal: None, limit: 100, offset: 0 }
    }
}

/// What happened to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HistoryAction {
    Created,
    Rerouted,
    Moved,
    Assigned,
    Note,
}

impl HistoryAction {
    pub const ALL: [HistoryAction; 5] = [
        HistoryAction::Created,
        HistoryAction::Rerouted,
        HistoryAction::Moved,
        HistoryAction::Assigned,
        HistoryAction::Note,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HistoryAction::Created => "created",
            HistoryAction::Rerouted => "rerouted",
            HistoryAction::Moved => "moved",
            HistoryAction::Assigned => "assigned",
            HistoryAction::Note => "note",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.as_str() == raw)
    }
}

/// One row of an item's history. `from_value`/`to_value` hold queues (created, rerouted),
/// states (moved), assignees (assigned) or the note's id (note).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub id: i64,
    pub item_id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: HistoryAction,
    pub from_value: Option<String>,
    pub to_value: Option<String>,
    pub reason: Option<String>,
}

/// A note a person left on an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub id: i64,
    pub item_id: i64,
    pub at: DateTime<Utc>,
    pub author: String,
    pub text: String,
}

fn parse_queue(raw: &str) -> Result<Queue> {
    Queue::parse(raw).ok_or_else(|| StoreError::Corrupt { what: "queue name", detail: raw.to_owned() })
}

fn parse_queue_state(raw: &str) -> Result<QueueState> {
    QueueState::parse(raw).ok_or_else(|| StoreError::Corrupt { what: "queue state", detail: raw.to_owned() })
}

fn tags_json(tags: &[String]) -> String {
    serde_json::to_string(tags).expect("string lists always serialise")
}

fn item_from_row(row: &AnyRow) -> Result<QueueItem> {
    let tags: String = row.get("tags");
    Ok(QueueItem {
        id: row.get("id"),
        mention_id: MentionId::from_raw(row.get::<String, _>("mention_id")),
        queue: parse_queue(&row.get::<String, _>("queue"))?,
        reason: row.get("reason"),
        priority: row.get("priority"),
        state: parse_queue_state(&row.get::<String, _>("state"))?,
        assignee: row.get("assignee"),
        notes: row.get("notes"),
        due_at: timestamp::decode_opt(row.get::<Option<String>, _>("due_at").as_deref())?,
        created_at: timestamp::decode(&row.get::<String, _>("created_at"))?,
        updated_at: timestamp::decode(&row.get::<String, _>("updated_at"))?,
        version: row.get("version"),
        tags: serde_json::from_str(&tags)
            .map_err(|err| StoreError::Corrupt { what: "queue item tags", detail: err.to_string() })?,
        customer_id: row.get::<Option<String>, _>("customer_id").map(CustomerId::from_raw),
        first_response_at: timestamp::decode_opt(row.get::<Option<String>, _>("first_response_at").as_deref())?,
    })
}

async fn load_item(conn: &mut AnyConnection, id: i64) -> Result<Option<QueueItem>> {
    let row = sqlx::query("SELECT * FROM queue_items WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
        .map_err(query_error("reading a queue item"))?;
    row.as_ref().map(item_from_row).transpose()
}

/// One history row to append.
struct History<'a> {
    item_id: i64,
    at: DateTime<Utc>,
    actor: &'a str,
    action: HistoryAction,
    from: Option<&'a str>,
    to: Option<&'a str>,
    reason: Option<&'a str>,
}

async fn append_history(conn: &mut AnyConnection, entry: &History<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO queue_history (item_id, at, actor, action, from_value, to_value, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(entry.item_id)
    .bind(timestamp::encode(entry.at))
    .bind(entry.actor)
    .bind(entry.action.as_str())
    .bind(entry.from)
    .bind(entry.to)
    .bind(entry.reason)
    .execute(conn)
    .await
    .map_err(query_error("writing queue item history"))?;
    Ok(())
}

/// Reads an item for a person's change and checks the version they saw.
async fn open_change(
    conn: &mut AnyConnection,
    id: i64,
    expected_version: Option<i64>,
) -> Result<std::result::Result<QueueItem, QueueError>> {
    let Some(item) = load_item(conn, id).await? else { return Ok(Err(QueueError::NotFound(id))) };
    if let Some(expected) = expected_version {
        if expected != item.version {
            return Ok(Err(QueueError::Conflict { expected, actual: item.version }));
        }
    }
    Ok(Ok(item))
}

/// Writes a new state (and assignee) of an item, bumping its version; `first_response_at` is
/// set the first time the item leaves `new`.
async fn write_state(
    conn: &mut AnyConnection,
    item: &QueueItem,
    state: QueueState,
    assignee: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let first_response = (item.first_response_at.is_none() && state != QueueState::New).then_some(now);
    sqlx::query(
        "UPDATE queue_items SET state = $1, assignee = $2, version = version + 1, updated_at = $3,
            first_response_at = COALESCE(first_response_at, $4)
         WHERE id = $5 AND version = $6",
    )
    .bind(state.as_str())
    .bind(assignee)
    .bind(timestamp::encode(now))
    .bind(first_response.map(timestamp::encode))
    .bind(item.id)
    .bind(item.version)
    .execute(conn)
    .await
    .map_err(query_error("updating a queue item"))?;
    Ok(())
}

fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 { values[middle] } else { (values[middle - 1] + values[middle]) / 2.0 }
}

impl Store {
    /// Item counts per queue and state; pairs with no items are left out.
    pub async fn queue_counts(&self) -> Result<Vec<QueueCount>> {
        let rows: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT queue, state, COUNT(*) FROM queue_items GROUP BY queue, state")
                .fetch_all(&self.pool)
                .await
                .map_err(query_error("counting queue items"))?;
        rows.into_iter()
            .map(|(queue, state, count)| {
                Ok(QueueCount { queue: parse_queue(&queue)?, state: parse_queue_state(&state)?, count })
            })
            .collect()
    }

    /// Writes what routing decided for a mention, in one transaction:
    /// - no item yet: one is created in state `new` (history `created`), with an outbox
    ///   event `item.created` (idempotency key `item.created:<id>`);
    /// - an item in another queue: it moves there, whatever its state (history `rerouted`,
    ///   from → to, with the reason and `cause`); queue, reason, priority, due date, tags and
    ///   customer change, state and assignee stay; an outbox event `item.rerouted`;
    /// - an item in the same queue: reason, priority, tags and customer are updated if they
    ///   differ (the due date stays: the SLA clock started when the item entered the queue).
    ///
    /// Every change bumps the version; an unchanged item is not written at all.
    pub async fn route_item(&self, write: &RouteWrite<'_>) -> Result<RouteOutcome> {
        let mut tx = self.begin_write("starting to route an item").await?;
        let outcome = route_in(&mut tx, write).await?;
        tx.commit().await.map_err(query_error("committing a routed item"))?;
        Ok(outcome)
    }

    /// [`Store::route_item`] for several mentions in one transaction, all or none, outcomes in
    /// the order of `writes`: what routing a page does (one commit instead of one per post).
    pub async fn route_items(&self, writes: &[RouteWrite<'_>]) -> Result<Vec<RouteOutcome>> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_write("starting to route items").await?;
        let mut outcomes = Vec::with_capacity(writes.len());
        for write in writes {
            outcomes.push(route_in(&mut tx, write).await?);
        }
        tx.commit().await.map_err(query_error("committing routed items"))?;
        Ok(outcomes)
    }

    pub async fn queue_item(&self, id: i64) -> Result<Option<QueueItem>> {
        let mut conn = self.pool.acquire().await.map_err(query_error("reading a queue item"))?;
        load_item(&mut conn, id).await
    }

    pub async fn queue_item_for_mention(&self, mention: &MentionId) -> Result<Option<QueueItem>> {
        let row = sqlx::query("SELECT * FROM queue_items WHERE mention_id = $1")
            .bind(mention.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(query_error("reading a mention's queue item"))?;
        row.as_ref().map(item_from_row).transpose()
    }

    /// Items matching `filter`, highest priority first, then soonest due (undated last), then
    /// oldest. Each combination of queue and state is served by an index in that order.
    pub async fn list_queue_items(&self, filter: &QueueFilter) -> Result<Vec<QueueItem>> {
        let mut conditions: Vec<String> = Vec::new();
        let mut next = 0;
        let mut param = || {
            next += 1;
            format!("${next}")
        };
        if filter.queue.is_some() {
            conditions.push(format!("q.queue = {}", param()));
        }
        if filter.state.is_some() {
            conditions.push(format!("q.state = {}", param()));
        }
        if filter.assignee.is_some() {
            conditions.push(format!("q.assignee = {}", param()));
        }
        let on_mention =
            |condition: String| format!("EXISTS (SELECT 1 FROM mentions m WHERE m.id = q.mention_id AND {condition})");
        if filter.source_kind.is_some() {
            conditions.push(on_mention(format!("m.source_kind = {}", param())));
        }
        let engine = self.engine;
        match filter.signal {
            Some(SignalFilter::Complaint(_)) => {
                conditions.push(on_mention(format!("{} >= {}", engine.json_number("m.signals", "complaint"), param())));
            }
            Some(SignalFilter::Intent(_)) => {
                conditions.push(on_mention(format!("{} >= {}", engine.json_number("m.signals", "intent"), param())));
            }
            Some(SignalFilter::Negative) => {
                conditions.push(on_mention(format!("{} = 'negative'", engine.json_text("m.signals", "sentiment"))));
            }
            None => {}
        }
        let (limit, offset) = (param(), param());
        let where_clause =
            if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        // Only fixed conditions with numbered placeholders are spliced in; every value is bound.
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT q.* FROM queue_items q {where_clause}
             ORDER BY q.priority DESC, q.due_at IS NULL, q.due_at, q.id LIMIT {limit} OFFSET {offset}"
        ));
        let mut query = sqlx::query(sql);
        if let Some(queue) = filter.queue {
            query = query.bind(queue.as_str());
        }
        if let Some(state) = filter.state {
            query = query.bind(state.as_str());
        }
        if let Some(assignee) = &filter.assignee {
            query = query.bind(assignee);
        }
        if let Some(kind) = &filter.source_kind {
            query = query.bind(kind);
        }
        if let Some(SignalFilter::Complaint(at_least) | SignalFilter::Intent(at_least)) = filter.signal {
            query = query.bind(f64::from(at_least));
        }
        let rows = query
            .bind(filter.limit)
            .bind(filter.offset)
            .fetch_all(&self.pool)
            .await
            .map_err(query_error("listing queue items"))?;
        rows.iter().map(item_from_row).collect()
    }

    /// A person moves an item to another state. Refused, with nothing written, when the item
    /// does not exist, the version they saw is not the current one, or the move is not
    /// allowed ([`QueueState::can_move_to`]). Writes history `moved` and an audit event.
    pub async fn transition_item(
        &self,
        request: &TransitionRequest<'_>,
    ) -> Result<std::result::Result<QueueItem, QueueError>> {
        let TransitionRequest { id, to, actor, reason, expected_version, now } = *request;
        let mut tx = self.begin_write("starting an item move").await?;
        let item = match open_change(&mut tx, id, expected_version).await? {
            Ok(item) => item,
            Err(err) => return Ok(Err(err)),
        };
        if !item.state.can_move_to(to) {
            return Ok(Err(QueueError::InvalidTransition { from: item.state, to }));
        }
        write_state(&mut tx, &item, to, item.assignee.as_deref(), now).await?;
        let history = History {
            item_id: id,
            at: now,
            actor,
            action: HistoryAction::Moved,
            from: Some(item.state.as_str()),
            to: Some(to.as_str()),
            reason,
        };
        append_history(&mut tx, &history).await?;
        let detail = serde_json::json!({
            "queue": item.queue,
            "mention": item.mention_id,
            "from": item.state,
            "to": to,
            "reason": reason,
        });
        let subject = format!("item:{id}");
        audit::append(&mut tx, &AuditEvent { at: now, actor, action: "queue.move", subject: &subject, detail }).await?;
        let moved = load_item(&mut tx, id).await?.ok_or(StoreError::Corrupt {
            what: "queue item",
            detail: format!("item {id} vanished while it was moved"),
        })?;
        tx.commit().await.map_err(query_error("committing an item move"))?;
        Ok(Ok(moved))
    }

    /// A person assigns an item (or, with `None`, unassigns it). A `new` item assigned to
    /// someone moves to `assigned`; an `assigned` item unassigned goes back to `new`. History
    /// `assigned` (and `moved` when the state changes) and an audit event. Assigning to the
    /// current assignee writes nothing.
    pub async fn assign_item(
        &self,
        id: i64,
        assignee: Option<&str>,
        actor: &str,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<QueueItem, QueueError>> {
        let mut tx = self.begin_write("starting an assignment").await?;
        let item = match open_change(&mut tx, id, expected_version).await? {
            Ok(item) => item,
            Err(err) => return Ok(Err(err)),
        };
        if item.assignee.as_deref() == assignee {
            return Ok(Ok(item));
        }
        let state = match (item.state, assignee) {
            (QueueState::New, Some(_)) => QueueState::Assigned,
            (QueueState::Assigned, None) => QueueState::New,
            (state, _) => state,
        };
        write_state(&mut tx, &item, state, assignee, now).await?;
        let history = History {
            item_id: id,
            at: now,
            actor,
            action: HistoryAction::Assigned,
            from: item.assignee.as_deref(),
            to: assignee,
            reason: None,
        };
        append_history(&mut tx, &history).await?;
        if state != item.state {
            let history = History {
                item_id: id,
                at: now,
                actor,
                action: HistoryAction::Moved,
                from: Some(item.state.as_str()),
                to: Some(state.as_str()),
                reason: Some(if assignee.is_some() { "assigned" } else { "unassigned" }),
            };
            append_history(&mut tx, &history).await?;
        }
        let detail = serde_json::json!({
            "queue": item.queue,
            "mention": item.mention_id,
            "from": item.assignee,
            "to": assignee,
            "state": state,
        });
        let subject = format!("item:{id}");
        audit::append(&mut tx, &AuditEvent { at: now, actor, action: "queue.assign", subject: &subject, detail })
            .await?;
        let assigned = load_item(&mut tx, id).await?.ok_or(StoreError::Corrupt {
            what: "queue item",
            detail: format!("item {id} vanished while it was assigned"),
        })?;
        tx.commit().await.map_err(query_error("committing an assignment"))?;
        Ok(Ok(assigned))
    }

    /// A person leaves a note on an item (history `note`). Notes do not change the item, so
    /// they do not bump its version and never conflict with other changes.
    pub async fn add_note(
        &self,
        id: i64,
        author: &str,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<Note, QueueError>> {
        let mut tx = self.begin_write("starting a note").await?;
        if load_item(&mut tx, id).await?.is_none() {
            return Ok(Err(QueueError::NotFound(id)));
        }
        let note_id: i64 = sqlx::query_scalar(
            "INSERT INTO queue_notes (item_id, at, author, text) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(id)
        .bind(timestamp::encode(now))
        .bind(author)
        .bind(text)
        .fetch_one(&mut *tx)
        .await
        .map_err(query_error("writing a note"))?;
        let note_ref = note_id.to_string();
        let history = History {
            item_id: id,
            at: now,
            actor: author,
            action: HistoryAction::Note,
            from: None,
            to: Some(&note_ref),
            reason: None,
        };
        append_history(&mut tx, &history).await?;
        tx.commit().await.map_err(query_error("committing a note"))?;
        Ok(Ok(Note { id: note_id, item_id: id, at: now, author: author.to_owned(), text: text.to_owned() }))
    }

    /// An item's history, oldest first.
    pub async fn item_history(&self, id: i64) -> Result<Vec<HistoryEntry>> {
        let rows = sqlx::query("SELECT * FROM queue_history WHERE item_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&self.pool)
            .await
            .map_err(query_error("reading queue item history"))?;
        rows.iter()
            .map(|row| {
                let action: String = row.get("action");
                Ok(HistoryEntry {
                    id: row.get("id"),
                    item_id: row.get("item_id"),
                    at: timestamp::decode(&row.get::<String, _>("at"))?,
                    actor: row.get("actor"),
                    action: HistoryAction::parse(&action)
                        .ok_or(StoreError::Corrupt { what: "queue history action", detail: action })?,
                    from_value: row.get("from_value"),
                    to_value: row.get("to_value"),
                    reason: row.get("reason"),
                })
            })
            .collect()
    }

    /// An item's notes, oldest first.
    pub async fn item_notes(&self, id: i64) -> Result<Vec<Note>> {
        let rows: Vec<(i64, i64, String, String, String)> =
            sqlx::query_as("SELECT id, item_id, at, author, text FROM queue_notes WHERE item_id = $1 ORDER BY id")
                .bind(id)
                .fetch_all(&self.pool)
                .await
                .map_err(query_error("reading notes"))?;
        rows.into_iter()
            .map(|(id, item_id, at, author, text)| Ok(Note { id, item_id, at: timestamp::decode(&at)?, author, text }))
            .collect()
    }

    /// Items past their SLA per queue (every queue, zeros included): open items (new,
    /// assigned, contacted) due before `now`, and items whose first response came after
    /// their due date.
    pub async fn sla_breaches(&self, now: DateTime<Utc>) -> Result<Vec<(Queue, i64)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT queue, COUNT(*) FROM queue_items
             WHERE due_at IS NOT NULL AND (
                (state IN ('new', 'assigned', 'contacted') AND due_at < $1)
                OR (first_response_at IS NOT NULL AND first_response_at > due_at))
             GROUP BY queue",
        )
        .bind(timestamp::encode(now))
        .fetch_all(&self.pool)
        .await
        .map_err(query_error("counting SLA breaches"))?;
        let mut counts: Vec<(Queue, i64)> = Queue::ALL.into_iter().map(|queue| (queue, 0)).collect();
        for (queue, count) in rows {
            let queue = parse_queue(&queue)?;
            if let Some(slot) = counts.iter_mut().find(|(q, _)| *q == queue) {
                slot.1 = count;
            }
        }
        Ok(counts)
    }

    /// Time from an item's creation to its first response, per queue: how many items had one
    /// and the median in seconds: `(queue, count, median_seconds)`. Queues without any are
    /// left out.
    pub async fn first_response_times(&self) -> Result<Vec<(Queue, i64, f64)>> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT queue, created_at, first_response_at FROM queue_items WHERE first_response_at IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(query_error("reading first responses"))?;
        let mut seconds: Vec<(Queue, Vec<f64>)> = Queue::ALL.into_iter().map(|queue| (queue, Vec::new())).collect();
        for (queue, created, responded) in rows {
            let queue = parse_queue(&queue)?;
            let elapsed = timestamp::decode(&responded)? - timestamp::decode(&created)?;
            if let Some((_, values)) = seconds.iter_mut().find(|(q, _)| *q == queue) {
                values.push(elapsed.num_milliseconds() as f64 / 1000.0);
            }
        }
        Ok(seconds
            .into_iter()
            .filter(|(_, values)| !values.is_empty())
            .map(|(queue, mut values)| (queue, values.len() as i64, median(&mut values)))
            .collect())
    }

    /// Mentions per UTC day (`YYYY-MM-DD`, by publication time, else fetch time) and source
    /// kind since `since`, oldest day first.
    pub async fn volume_per_day(&self, since: DateTime<Utc>) -> Result<Vec<(String, String, i64)>> {
        sqlx::query_as(
            "SELECT substr(COALESCE(published_at, fetched_at), 1, 10) AS day, source_kind, COUNT(*)
             FROM mentions WHERE COALESCE(published_at, fetched_at) >= $1
             GROUP BY day, source_kind ORDER BY day, source_kind",
        )
        .bind(timestamp::encode(since))
        .fetch_all(&self.pool)
        .await
        .map_err(query_error("counting mentions per day"))
    }

    /// Mean negative and positive sentiment probabilities per UTC day since `since`, over
    /// the mentions with signals, with how many there were; oldest day first.
    pub async fn sentiment_per_day(&self, since: DateTime<Utc>) -> Result<Vec<(String, f64, f64, i64)>> {
        let (negative, positive) = (
            self.engine.json_number2("signals", "sentiment_scores", "negative"),
            self.engine.json_number2("signals", "sentiment_scores", "positive"),
        );
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT substr(COALESCE(published_at, fetched_at), 1, 10) AS day,
                CAST(AVG({negative}) AS DOUBLE PRECISION), CAST(AVG({positive}) AS DOUBLE PRECISION), COUNT(*)
             FROM mentions WHERE signals IS NOT NULL AND COALESCE(published_at, fetched_at) >= $1
             GROUP BY day ORDER BY day"
        )))
        .bind(timestamp::encode(since))
        .fetch_all(&self.pool)
        .await
        .map_err(query_error("averaging sentiment per day"))
    }

    /// A person undoes their own last change to an item (a move, or an assignment with the
    /// move it caused), in one transaction: the change must be the item's latest (notes aside,
    /// they change nothing), made by `actor` no longer than `max_age` ago, and not itself an
    /// undo. The item goes back to the state and assignee it had before, whatever
    /// [`QueueState::can_move_to`] says, and loses its first response if that change gave it
    /// one. History `assigned` and/or `moved` with reason `undo`, and an audit event
    /// `queue.undo`. Refused, with nothing written, otherwise ([`UndoError`]).
    pub async fn undo_item(&self, request: &UndoRequest<'_>) -> Result<std::result::Result<QueueItem, UndoError>> {
        let UndoRequest { id, actor, expected_version, max_age, now } = *request;
        let mut tx = self.begin_write("starting an undo").await?;
        let item = match open_change(&mut tx, id, expected_version).await? {
            Ok(item) => item,
            Err(err) => return Ok(Err(UndoError::Queue(err))),
        };
        let rows =
            sqlx::query("SELECT * FROM queue_history WHERE item_id = $1 AND action <> 'note' ORDER BY id DESC LIMIT 2")
                .bind(id)
                .fetch_all(&mut *tx)
                .await
                .map_err(query_error("reading queue item history"))?;
        let latest: Vec<HistoryEntry> = rows.iter().map(history_from_row).collect::<Result<_>>()?;
        let Some(last) = latest.first() else { return Ok(Err(UndoError::NothingOfYours)) };
        if last.actor != actor {
            let yours: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM queue_history WHERE item_id = $1 AND actor = $2 AND action IN ('moved', 'assigned')
                 LIMIT 1",
            )
            .bind(id)
            .bind(actor)
            .fetch_optional(&mut *tx)
            .await
            .map_err(query_error("reading queue item history"))?;
            return Ok(Err(match yours {
                Some(_) => UndoError::ChangedSince { by: last.actor.clone(), at: last.at },
                None => UndoError::NothingOfYours,
            }));
        }
        if !matches!(last.action, HistoryAction::Moved | HistoryAction::Assigned) {
            return Ok(Err(UndoError::NothingOfYours));
        }
        if last.reason.as_deref() == Some(UNDO_REASON) {
            return Ok(Err(UndoError::AlreadyUndone));
        }
        if now - last.at > max_age {
            return Ok(Err(UndoError::TooOld { at: last.at }));
        }
        // An assignment writes `assigned` then, when it changes the state, `moved` ("assigned"
        // or "unassigned") at the same instant: both are one change.
        let assignment = match (last.action, latest.get(1)) {
            (HistoryAction::Assigned, _) => Some(last),
            (HistoryAction::Moved, Some(before))
                if before.action == HistoryAction::Assigned
                    && before.actor == actor
                    && before.at == last.at
                    && matches!(last.reason.as_deref(), Some("assigned" | "unassigned")) =>
            {
                Some(before)
            }
            _ => None,
        };
        let moved = (last.action == HistoryAction::Moved).then_some(last);
        // What the change left must still be what the item holds.
        let state_holds = moved.is_none_or(|entry| entry.to_value.as_deref() == Some(item.state.as_str()));
        let assignee_holds = assignment.is_none_or(|entry| entry.to_value == item.assignee);
        if !state_holds || !assignee_holds {
            return Ok(Err(UndoError::ChangedSince { by: "hark".to_owned(), at: item.updated_at }));
        }
        let state = match moved {
            Some(entry) => parse_queue_state(entry.from_value.as_deref().unwrap_or_default())?,
            None => item.state,
        };
        let assignee = match assignment {
            Some(entry) => entry.from_value.clone(),
            None => item.assignee.clone(),
        };
        let first_response_at = match item.first_response_at {
            Some(at) if state == QueueState::New && at == last.at => None,
            kept => kept,
        };
        sqlx::query(
            "UPDATE queue_items SET state = $1, assignee = $2, first_response_at = $3, version = version + 1,
                updated_at = $4
             WHERE id = $5 AND version = $6",
        )
        .bind(state.as_str())
        .bind(assignee.as_deref())
        .bind(first_response_at.map(timestamp::encode))
        .bind(timestamp::encode(now))
        .bind(item.id)
        .bind(item.version)
        .execute(&mut *tx)
        .await
        .map_err(query_error("undoing a change to a queue item"))?;
        if assignment.is_some() {
            let history = History {
                item_id: id,
                at: now,
                actor,
                action: HistoryAction::Assigned,
                from: item.assignee.as_deref(),
                to: assignee.as_deref(),
                reason: Some(UNDO_REASON),
            };
            append_history(&mut tx, &history).await?;
        }
        if state != item.state {
            let history = History {
                item_id: id,
                at: now,
                actor,
                action: HistoryAction::Moved,
                from: Some(item.state.as_str()),
                to: Some(state.as_str()),
                reason: Some(UNDO_REASON),
            };
            append_history(&mut tx, &history).await?;
        }
        let detail = serde_json::json!({
            "queue": item.queue,
            "mention": item.mention_id,
            "from": {"state": item.state, "assignee": item.assignee},
            "to": {"state": state, "assignee": assignee},
            "undone": last.id,
        });
        let subject = format!("item:{id}");
        audit::append(&mut tx, &AuditEvent { at: now, actor, action: "queue.undo", subject: &subject, detail }).await?;
        let undone = load_item(&mut tx, id).await?.ok_or(StoreError::Corrupt {
            what: "queue item",
            detail: format!("item {id} vanished while a change was undone"),
        })?;
        tx.commit().await.map_err(query_error("committing an undo"))?;
        Ok(Ok(undone))
    }
}

/// The reason written on the history rows of an undo.
pub const UNDO_REASON: &str = "undo";

/// A person's undo of their own last change to an item.
#[derive(Debug, Clone, Copy)]
pub struct UndoRequest<'a> {
    pub id: i64,
    pub actor: &'a str,
    /// The version the person saw; `None` skips the check.
    pub expected_version: Option<i64>,
    /// How old a change may be and still be undone.
    pub max_age: chrono::Duration,
    pub now: DateTime<Utc>,
}

/// Why an undo was refused (nothing was written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UndoError {
    #[error(transparent)]
    Queue(QueueError),
    /// The item's latest change is not a move or an assignment by this person.
    #[error("the item's latest change is not a move or an assignment of yours")]
    NothingOfYours,
    /// Someone else (or routing) changed the item after this person's last change.
    #[error("{by} changed the item since, at {at}")]
    ChangedSince { by: String, at: DateTime<Utc> },
    /// The change is older than the undo window.
    #[error("the change was made at {at}, too long ago to undo")]
    TooOld { at: DateTime<Utc> },
    /// The latest change is an undo already.
    #[error("the latest change is an undo already")]
    AlreadyUndone,
}

fn history_from_row(row: &AnyRow) -> Result<HistoryEntry> {
    let action: String = row.get("action");
    Ok(HistoryEntry {
        id: row.get("id"),
        item_id: row.get("item_id"),
        at: timestamp::decode(&row.get::<String, _>("at"))?,
        actor: row.get("actor"),
        action: HistoryAction::parse(&action)
            .ok_or(StoreError::Corrupt { what: "queue history action", detail: action })?,
        from_value: row.get("from_value"),
        to_value: row.get("to_value"),
        reason: row.get("reason"),
    })
}

/// The work of [`Store::route_item`] inside the caller's transaction.
async fn route_in(conn: &mut AnyConnection, write: &RouteWrite<'_>) -> Result<RouteOutcome> {
    let existing = sqlx::query("SELECT * FROM queue_items WHERE mention_id = $1")
        .bind(write.mention_id.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(query_error("reading a mention's queue item"))?
        .as_ref()
        .map(item_from_row)
        .transpose()?;
    let now = timestamp::encode(write.now);
    let customer = write.customer_id.map(CustomerId::as_str);
    let outcome = match existing {
        None => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO queue_items (mention_id, queue, reason, priority, state, due_at, created_at,
                    updated_at, version, tags, customer_id)
                 VALUES ($1, $2, $3, $4, 'new', $5, $6, $7, 1, $8, $9) RETURNING id",
            )
            .bind(write.mention_id.as_str())
            .bind(write.queue.as_str())
            .bind(write.reason)
            .bind(write.priority)
            .bind(write.due_at.map(timestamp::encode))
            .bind(&now)
            .bind(&now)
            .bind(tags_json(write.tags))
            .bind(customer)
            .fetch_one(&mut *conn)
            .await
            .map_err(query_error("creating a queue item"))?;
            let history = History {
                item_id: id,
                at: write.now,
                actor: write.actor,
                action: HistoryAction::Created,
                from: None,
                to: Some(write.queue.as_str()),
                reason: Some(write.reason),
            };
            append_history(&mut *conn, &history).await?;
            let payload = serde_json::json!({
                "id": id,
                "queue": write.queue,
                "reason": write.reason,
                "priority": write.priority,
                "mention_id": write.mention_id,
                "due_at": write.due_at,
                "tags": write.tags,
                "customer_id": write.customer_id,
            });
            let key = format!("item.created:{id}");
            outbox::enqueue(&mut *conn, "item.created", &payload, &key, write.now).await?;
            RouteOutcome::Created(id)
        }
        Some(item) if item.queue != write.queue => {
            sqlx::query(
                // The new queue's team has not seen it: it starts over as new, unassigned,
                // on the new queue's clock.
                "UPDATE queue_items SET queue = $1, reason = $2, priority = $3, due_at = $4, tags = $5,
                    customer_id = $6, state = 'new', assignee = NULL, first_response_at = NULL,
                    version = version + 1, updated_at = $7
                 WHERE id = $8",
            )
            .bind(write.queue.as_str())
            .bind(write.reason)
            .bind(write.priority)
            .bind(write.due_at.map(timestamp::encode))
            .bind(tags_json(write.tags))
            .bind(customer)
            .bind(&now)
            .bind(item.id)
            .execute(&mut *conn)
            .await
            .map_err(query_error("moving a queue item"))?;
            let mut reason = match write.cause {
                Some(cause) => format!("{cause}: {}", write.reason),
                None => write.reason.to_owned(),
            };
            if item.state != QueueState::New || item.assignee.is_some() {
                reason.push_str(&format!(
                    " (was {}; reopened as new for the {} queue)",
                    item.state.as_str(),
                    write.queue.as_str()
                ));
            }
            let history = History {
                item_id: item.id,
                at: write.now,
                actor: write.actor,
                action: HistoryAction::Rerouted,
                from: Some(item.queue.as_str()),
                to: Some(write.queue.as_str()),
                reason: Some(&reason),
            };
            append_history(&mut *conn, &history).await?;
            let payload = serde_json::json!({
                "id": item.id,
                "from": item.queue,
                "queue": write.queue,
                "reason": reason,
                "priority": write.priority,
                "mention_id": write.mention_id,
                "due_at": write.due_at,
                "state": item.state,
                "tags": write.tags,
                "customer_id": write.customer_id,
            });
            let key = format!("item.rerouted:{}:{}", item.id, item.version + 1);
            outbox::enqueue(&mut *conn, "item.rerouted", &payload, &key, write.now).await?;
            RouteOutcome::Rerouted { id: item.id, from: item.queue }
        }
        Some(item) => {
            let same = item.reason == write.reason
                && item.priority == write.priority
                && item.tags == write.tags
                && item.customer_id.as_ref() == write.customer_id;
            if same {
                return Ok(RouteOutcome::Unchanged(item.id));
            }
            sqlx::query(
                "UPDATE queue_items SET reason = $1, priority = $2, tags = $3, customer_id = $4,
                    version = version + 1, updated_at = $5
                 WHERE id = $6",
            )
            .bind(write.reason)
            .bind(write.priority)
            .bind(tags_json(write.tags))
            .bind(customer)
            .bind(&now)
            .bind(item.id)
            .execute(&mut *conn)
            .await
            .map_err(query_error("updating a queue item"))?;
            RouteOutcome::Updated(item.id)
        }
    };
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::median;
    use crate::Store;

    /// The inboxes (a queue and a state, or a state, or nothing) are read in index order:
    /// no sorting of a whole queue, however long it grows.
    #[tokio::test]
    async fn listings_are_served_by_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in(dir.path()).await.unwrap();
        let filters =
            ["WHERE q.queue = 'service' AND q.state = 'new'", "WHERE q.queue = 'sales'", "WHERE q.state = 'new'", ""];
        for filter in filters {
            let sql = format!(
                "EXPLAIN QUERY PLAN SELECT q.* FROM queue_items q {filter}
                 ORDER BY q.priority DESC, q.due_at IS NULL, q.due_at, q.id LIMIT 50 OFFSET 0"
            );
            let rows: Vec<(i64, i64, i64, String)> =
                sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&store.pool).await.unwrap();
            let plan: Vec<&str> = rows.iter().map(|row| row.3.as_str()).collect();
            assert!(plan.iter().any(|step| step.contains("USING INDEX")), "{filter}: {plan:?}");
            assert!(!plan.iter().any(|step| step.contains("TEMP B-TREE")), "{filter}: {plan:?}");
        }
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut []), 0.0);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
    }
}
