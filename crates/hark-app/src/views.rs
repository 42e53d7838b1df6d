//! The shapes people and tools see: a mention with its signals and customer, as printed by
//! `hark search --json` and `hark queue list --json` and served by `/api/v1` (DESIGN.md
//! "`--json` outputs"). Field names are stable; fields may be added.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hark_core::{MatchState, Mention, MentionId};
use hark_store::Store;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppResult, Context};

/// A mention as people see it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MentionView {
    pub id: String,
    /// The source kind (reddit, hackernews, ...).
    pub source: String,
    /// The configured source id it came from.
    pub source_id: String,
    pub external_id: String,
    pub url: Option<String>,
    pub author: AuthorView,
    pub title: Option<String>,
    pub text: String,
    pub published_at: Option<DateTime<Utc>>,
    pub signals: Option<SignalsView>,
    /// The author's customer, when matched (never a rejected match).
    pub customer: Option<CustomerLinkView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AuthorView {
    pub handle: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SignalsView {
    /// negative, neutral or positive.
    pub sentiment: String,
    pub sentiment_scores: SentimentScoresView,
    pub complaint: f32,
    pub intent: f32,
    /// The phrases behind the flags.
    pub cues: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct SentimentScoresView {
    pub negative: f32,
    pub neutral: f32,
    pub positive: f32,
}

/// The customer a mention's author is linked to.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CustomerLinkView {
    pub id: String,
    pub crm_ref: String,
    pub name: String,
    pub confidence: f32,
    /// auto, proposed or confirmed.
    pub state: String,
    /// handle, email, domain, name_company or manual.
    pub method: String,
    /// Why the match was made (the evidence for it), in words.
    pub evidence_for: Vec<String>,
    /// What speaks against it (a match with any is proposed at most), in words.
    pub evidence_against: Vec<String>,
}

impl MentionView {
    pub fn new(mention: &Mention, customer: Option<CustomerLinkView>) -> Self {
        Self {
            id: mention.id.as_str().to_owned(),
            source: mention.source_kind.as_str().to_owned(),
            source_id: mention.source_id.clone(),
            external_id: mention.external_id.clone(),
            url: mention.url.clone(),
            author: AuthorView { handle: mention.author.handle.clone(), name: mention.author.name.clone() },
            title: mention.title.clone(),
            text: mention.text.clone(),
            published_at: mention.published_at,
            signals: mention.signals.as_ref().map(|signals| SignalsView {
                sentiment: signals.sentiment.as_str().to_owned(),
                sentiment_scores: SentimentScoresView {
                    negative: signals.sentiment_scores.negative,
                    neutral: signals.sentiment_scores.neutral,
                    positive: signals.sentiment_scores.positive,
                },
                complaint: signals.complaint,
                intent: signals.intent,
                cues: signals.cues.clone(),
            }),
            customer,
        }
    }
}

/// The best customer link of each mention: confirmed before automatic before proposed, then
/// by confidence; rejected links are never shown.
pub async fn customer_links(store: &Store, ids: &[MentionId]) -> AppResult<HashMap<MentionId, CustomerLinkView>> {
    let rank = |state: MatchState| match state {
        MatchState::Confirmed => 0,
        MatchState::Auto => 1,
        MatchState::Proposed => 2,
        MatchState::Rejected => 3,
    };
    let mut best: HashMap<MentionId, hark_core::Match> = HashMap::new();
    for found in store.matches_for_mentions(ids).await.internal("reading customer matches")? {
        if found.state == MatchState::Rejected {
            continue;
        }
        let better = best
            .get(&found.mention_id)
            .is_none_or(|current| (rank(found.state), -found.confidence) < (rank(current.state), -current.confidence));
        if better {
            best.insert(found.mention_id.clone(), found);
        }
    }
    // Many mentions share a customer: each record is read once.
    let mut records: HashMap<String, Option<hark_core::Customer>> = HashMap::new();
    for found in best.values() {
        let key = found.customer_id.as_str();
        if !records.contains_key(key) {
            let record = store.customer(key).await.internal("reading a customer")?;
            records.insert(key.to_owned(), record);
        }
    }
    let mut out = HashMap::new();
    for (mention_id, found) in best {
        let (evidence_for, evidence_against) = hark_pipeline::matching::evidence::reasons(&found.evidence);
        let Some(Some(customer)) = records.get(found.customer_id.as_str()).cloned() else {
            continue;
        };
        out.insert(
            mention_id,
            CustomerLinkView {
                id: customer.id.as_str().to_owned(),
                crm_ref: customer.crm_ref,
                name: customer.name,
                confidence: found.confidence,
                state: found.state.as_str().to_owned(),
                method: found.method.as_str().to_owned(),
                evidence_for,
                evidence_against,
            },
        );
    }
    Ok(out)
}

/// The views of `ids`, in that order; ids the store does not hold are left out.
pub async fn mention_views(store: &Store, ids: &[MentionId]) -> AppResult<Vec<MentionView>> {
    let mut customers = customer_links(store, ids).await?;
    // One query for the page, then back into the caller's order.
    let mut mentions: HashMap<MentionId, Mention> = store
        .mentions_by_ids(ids)
        .await
        .internal("reading mentions")?
        .into_iter()
        .map(|mention| (mention.id.clone(), mention))
        .collect();
    Ok(ids
        .iter()
        .filter_map(|id| mentions.remove(id).map(|mention| MentionView::new(&mention, customers.remove(id))))
        .collect())
}
