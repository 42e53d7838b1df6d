//! What hark holds and how each source is doing (`hark status`).

use std::collections::BTreeMap;

use hark_core::{Queue, QueueState, Run, lang};
use serde::Serialize;
use utoipa::ToSchema;

use crate::App;
use crate::access::{Caller, Permission};
use crate::error::{AppResult, Context};

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Status {
    pub mentions: i64,
    /// Mentions stored without signals because the classifier does not read their language
    /// (only English is scored), by primary language subtag (`und`: clearly not English,
    /// language undetermined).
    pub not_scored_language: BTreeMap<String, i64>,
    pub customers: i64,
    /// queue → state → count, every queue and state present.
    pub queues: BTreeMap<&'static str, BTreeMap<&'static str, i64>>,
    /// Customer matches by state: auto, proposed (waiting for a person), confirmed, rejected.
    pub matches: BTreeMap<&'static str, i64>,
    pub sources: Vec<SourceStatus>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SourceStatus {
    pub id: String,
    /// `null` for mentions filed by `hark ingest` under a name with no configured source.
    pub kind: Option<String>,
    pub configured: bool,
    pub mentions: i64,
    #[schema(value_type = Option<Object>)]
    pub last_run: Option<Run>,
    pub outcome: Option<&'static str>,
    /// Failed or partial runs since the last clean one.
    pub gaps: i64,
}

/// Counts of mentions (and of those not scored for their language), customers, queue items
/// and matches; per source: last run, outcome and open coverage gaps.
pub async fn status(app: &App, caller: &Caller) -> AppResult<Status> {
    caller.require(Permission::ReadPublic)?;
    let store = app.store().await?;
    let mut queues: BTreeMap<&'static str, BTreeMap<&'static str, i64>> = Queue::ALL
        .iter()
        .map(|queue| (queue.as_str(), QueueState::ALL.iter().map(|state| (state.as_str(), 0)).collect()))
        .collect();
    for count in store.queue_counts().await.internal("counting queue items")? {
        queues.entry(count.queue.as_str()).or_default().insert(count.state.as_str(), count.count);
    }
    let sources = crate::sources::collect(app, store, false)
        .await?
        .into_iter()
        .map(|source| SourceStatus {
            id: source.id,
            kind: source.kind,
            configured: source.configured,
            mentions: source.mentions,
            last_run: source.last_run,
            outcome: source.outcome,
            gaps: source.open_gaps,
        })
        .collect();
    let mut matches: BTreeMap<&'static str, i64> =
        ["auto", "proposed", "confirmed", "rejected"].into_iter().map(|state| (state, 0)).collect();
    for (state, count) in store.count_matches_by_state().await.internal("counting matches")? {
        if let Some(slot) = matches.iter_mut().find(|(known, _)| **known == state) {
            *slot.1 = count;
        }
    }
    let mut not_scored_language: BTreeMap<String, i64> = BTreeMap::new();
    let unscored = store.count_unscored_by_lang().await.internal("counting mentions without signals by language")?;
    for (tag, count) in unscored {
        if !lang::is_scored(tag.as_deref()) {
            let primary = lang::primary_subtag(tag.as_deref().unwrap_or_default());
            let key = if primary.is_empty() { lang::UNDETERMINED.to_owned() } else { primary };
            *not_scored_language.entry(key).or_default() += count;
        }
    }
    Ok(Status {
        mentions: store.count_mentions().await.internal("counting mentions")?,
        not_scored_language,
        customers: store.count_customers().await.internal("counting customers")?,
        queues,
        matches,
        sources,
    })
}
