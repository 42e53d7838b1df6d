//! `hark prospects`: authors who are not customers and show buying intent, best first.

use std::process::ExitCode;

use anyhow::Context;
use hark_classifier::{Encoder, EncoderOptions, ModelPaths};
use hark_pipeline::matching::author_mentions;
use hark_pipeline::prospects::{self, Ranked, Ranking};
use hark_store::{AuthorRef, Store};
use serde_json::json;

use crate::context::AppContext;
use crate::output::{print_json, print_table};

/// Topic candidates re-ranked by meaning, per prospect shown.
const RERANK_POOL: usize = 3;
/// Posts per prospect compared with the topic.
const POSTS_COMPARED: usize = 20;

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

pub async fn run(
    context: &AppContext,
    topic: Option<&str>,
    limit: usize,
    like_customers: bool,
    lexical: bool,
) -> anyhow::Result<ExitCode> {
    let store = context.store().await?;
    let ranking = match (topic.map(str::trim).filter(|t| !t.is_empty()), like_customers) {
        (Some(topic), _) => Ranking::Topic(topic),
        (None, true) => Ranking::LikeCustomers,
        (None, false) => Ranking::Intent,
    };
    // By meaning too, when the model is here (it scored the mentions) and not turned off.
    let semantic = matches!(ranking, Ranking::Topic(_)) && !lexical && ModelPaths::locate().is_ok();
    let pool = if semantic { limit.saturating_mul(RERANK_POOL).max(limit) } else { limit };
    let mut ranked = prospects::list(&store, ranking, pool).await?;
    if let (true, Ranking::Topic(topic)) = (semantic, ranking) {
        let similarity = similarities(&store, &ranked, topic).await.context("re-ranking prospects by meaning")?;
        ranked = prospects::rerank_by_meaning(ranked, &similarity);
    }
    ranked.truncate(limit);
    store.close().await;
    if context.global.json {
        let rows: Vec<serde_json::Value> = ranked
            .iter()
            .map(|ranked| {
                let p = &ranked.prospect;
                json!({
                    "author": p.author,
                    "source": p.source,
                    "intent": p.intent,
                    "topics": p.topics,
                    "evidence": p.evidence,
                    "last_seen": p.last_seen,
                    "reach": p.reach,
                    "relevance": ranked.relevance,
                    "similarity": ranked.similarity,
                    "score": ranked.score,
                })
            })
            .collect();
        print_json(&rows)?;
    } else if ranked.is_empty() {
        println!(
            "no prospects{}: they are authors who are not customers and whose mentions show buying intent",
            topic.map(|t| format!(" for {t:?}")).unwrap_or_default()
        );
    } else {
        let rows: Vec<Vec<String>> = ranked
            .iter()
            .map(|ranked| {
                let p = &ranked.prospect;
                vec![
                    p.author.clone(),
                    p.source.clone(),
                    format!("{:.2}", p.intent),
                    format!("{:.2}", ranked.score),
                    p.last_seen.format("%Y-%m-%d").to_string(),
                    p.evidence.len().to_string(),
                    p.topics.join(", "),
                ]
            })
            .collect();
        print_table(&["AUTHOR", "SOURCE", "INTENT", "SCORE", "LAST SEEN", "POSTS", "TOPICS"], &rows)?;
    }
    Ok(ExitCode::SUCCESS)
}
