//! Prospects: authors who are not customers and show buying intent, best first: by intent, by
//! relevance to a topic (words, then meaning when the model is here), or by likeness to the
//! best customers.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use hark_classifier::{Encoder, EncoderOptions, ModelPaths};
use hark_pipeline::matching::author_mentions;
use hark_pipeline::prospects::{self, Ranked, Ranking};
use hark_store::{AuthorRef, Store};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::App;
use crate::access::{Caller, Permission};
use crate::error::{AppError, AppResult, Context};

/// Topic candidates re-ranked by meaning, per prospect shown.
const RERANK_POOL: usize = 3;
/// Posts per prospect compared with the topic.
const POSTS_COMPARED: usize = 20;

#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(default)]
pub struct ProspectsRequest {
    /// Rank by relevance to this topic (words; all are looked for).
    pub topic: Option<String>,
    /// Prospects to return.
    pub limit: usize,
    /// Rank by resemblance to the posts of the best current customers (not with a topic).
    pub like_customers: bool,
    /// With a topic: rank by words alone, without re-ranking by meaning.
    pub lexical: bool,
    /// Only prospects whose buying intent reaches this probability.
    pub min_intent: Option<f32>,
}

impl Default for ProspectsRequest {
    fn default() -> Self {
        Self { topic: None, limit: 20, like_customers: false, lexical: false, min_intent: None }
    }
}

/// A prospect as `hark prospects --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ProspectView {
    pub author: String,
    /// The source kind.
    pub source: String,
    /// The highest buying-intent probability among their mentions.
    pub intent: f32,
    pub topics: Vec<String>,
    /// The mentions that carry the intent (ids).
    pub evidence: Vec<String>,
    pub last_seen: DateTime<Utc>,
    pub reach: Option<i64>,
    /// BM25 of their posts for the topic (0 without one), or similarity to the customers.
    pub relevance: f32,
    /// Cosine similarity of the topic to their closest post, when re-ranked by meaning.
    pub similarity: Option<f32>,
    pub score: f32,
}

impl From<Ranked> for ProspectView {
    fn from(ranked: Ranked) -> Self {
        let p = ranked.prospect;
        Self {
            author: p.author,
            source: p.source,
            intent: p.intent,
            topics: p.topics,
            evidence: p.evidence.iter().map(|id| id.as_str().to_owned()).collect(),
            last_seen: p.last_seen,
            reach: p.reach,
            relevance: ranked.relevance,
            similarity: ranked.similarity,
            score: ranked.score,
        }
    }
}

/// Prospects, best first.
pub async fn prospects(app: &App, caller: &Caller, request: &ProspectsRequest) -> AppResult<Vec<ProspectView>> {
    caller.require(Permission::Prospects)?;
    let topic = request.topic.as_deref().map(str::trim).filter(|topic| !topic.is_empty());
    if topic.is_some() && request.like_customers {
        return Err(AppError::invalid("invalid_ranking", "rank by a topic or by likeness to customers, not both"));
    }
    let store = app.store().await?;
    let ranking = match (topic, request.like_customers) {
        (Some(topic), _) => Ranking::Topic(topic),
        (None, true) => Ranking::LikeCustomers,
        (None, false) => Ranking::Intent,
    };
    let limit = request.limit;
    // By meaning too, when the model is here (it scored the mentions) and not turned off.
    let semantic = matches!(ranking, Ranking::Topic(_)) && !request.lexical && ModelPaths::locate().is_ok();
    let pool = if semantic { limit.saturating_mul(RERANK_POOL).max(limit) } else { limit };
    let mut ranked = prospects::list(store, ranking, pool).await.internal("reading prospects")?;
    if let (true, Ranking::Topic(topic)) = (semantic, ranking) {
        let similarity = similarities(store, &ranked, topic).await.internal("re-ranking prospects by meaning")?;
        ranked = prospects::rerank_by_meaning(ranked, &similarity);
    }
    if let Some(min_intent) = request.min_intent {
        ranked.retain(|candidate| candidate.prospect.intent >= min_intent);
    }
    ranked.truncate(limit);
    Ok(ranked.into_iter().map(ProspectView::from).collect())
}

/// The cosine similarity of `topic` to each prospect's closest post (the encoder's embeddings
/// are unit length, so a dot product).
async fn similarities(store: &Store, ranked: &[Ranked], topic: &str) -> anyhow::Result<Vec<f32>> {
    let mut posts = Vec::with_capacity(ranked.len());
    for candidate in ranked {
        let author =
            AuthorRef { source_kind: candidate.prospect.source.clone(), key: candidate.prospect.author.clone() };
        let mentions = author_mentions(store, &author).await?;
        let texts: Vec<String> = mentions
            .into_iter()
            .take(POSTS_COMPARED)
            .map(|mention| match mention.title {
                Some(title) => format!("{title}\n{}", mention.text),
                None => mention.text,
            })
            .collect();
        posts.push(texts);
    }
    let topic = topic.to_owned();
    tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<f32>> {
        let paths = ModelPaths::locate()?;
        let mut encoder = Encoder::load(&paths, EncoderOptions::default()).context("loading the encoder")?;
        let query = encoder.embed(&[topic.as_str()])?.remove(0);
        posts
            .iter()
            .map(|texts| {
                let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                let embedded = if refs.is_empty() { Vec::new() } else { encoder.embed(&refs)? };
                Ok(embedded
                    .iter()
                    .map(|post| post.iter().zip(&query).map(|(a, b)| a * b).sum::<f32>())
                    .fold(0.0_f32, f32::max))
            })
            .collect()
    })
    .await?
}
