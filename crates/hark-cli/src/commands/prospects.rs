//! `hark prospects`: authors who are not customers and show buying intent, best first.

use std::process::ExitCode;

use hark_app::Caller;
use hark_app::prospects::{self, ProspectsRequest};

use crate::context::Context;
use crate::output::{print_json, print_table};

pub async fn run(
    context: &Context,
    topic: Option<&str>,
    limit: usize,
    like_customers: bool,
    lexical: bool,
) -> anyhow::Result<ExitCode> {
    let request =
        ProspectsRequest { topic: topic.map(str::to_owned), limit, like_customers, lexical, min_intent: None };
    let ranked = prospects::prospects(&context.app, &Caller::local(), &request).await?;
    context.app.close().await;
    if context.json() {
        print_json(&ranked)?;
    } else if ranked.is_empty() {
        println!(
            "no prospects{}: they are authors who are not customers and whose mentions show buying intent",
            topic.map(|t| format!(" for {t:?}")).unwrap_or_default()
        );
    } else {
        let rows: Vec<Vec<String>> = ranked
            .iter()
            .map(|p| {
                vec![
                    p.author.clone(),
                    p.source.clone(),
                    format!("{:.2}", p.intent),
                    format!("{:.2}", p.score),
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
