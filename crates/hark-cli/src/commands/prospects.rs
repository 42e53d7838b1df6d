//! `hark prospects`: authors who are not customers and show buying intent, best first.

use std::process::ExitCode;

use hark_pipeline::prospects::{self, Ranking};
use serde_json::json;

use crate::context::AppContext;
use crate::output::{print_json, print_table};

pub async fn run(
    context: &AppContext,
    topic: Option<&str>,
    limit: usize,
    like_customers: bool,
) -> anyhow::Result<ExitCode> {
    let store = context.store().await?;
    let ranking = match (topic.map(str::trim).filter(|t| !t.is_empty()), like_customers) {
        (Some(topic), _) => Ranking::Topic(topic),
        (None, true) => Ranking::LikeCustomers,
        (None, false) => Ranking::Intent,
    };
    let ranked = prospects::list(&store, ranking, limit).await?;
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
