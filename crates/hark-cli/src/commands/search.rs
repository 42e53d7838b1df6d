//! `hark search QUERY`: mentions from the index, shown with their signals and customer.

use std::collections::HashMap;
use std::process::ExitCode;

use anyhow::{Context, bail};
use hark_core::{MatchState, Mention, MentionId};
use hark_index::mentions::{MentionIndex, SearchOptions, SearchResults, SortOrder};
use hark_index::query::{self, Filter, Query};
use hark_store::Store;
use serde_json::{Value, json};

use crate::cli::SortArg;
use crate::context::AppContext;
use crate::output::{count_progress, print_json, print_table};

/// The flags that narrow a query.
#[derive(Debug, Default)]
pub struct Filters {
    pub source: Option<String>,
    pub since: Option<String>,
}

/// The query with the flags ANDed in.
fn build_query(raw: &str, filters: &Filters) -> anyhow::Result<Query> {
    let mut parsed = query::parse(raw).map_err(|err| anyhow::anyhow!("invalid query: {err}\n{}", err.pointer(raw)))?;
    if let Some(source) = &filters.source {
        parsed = parsed.and(Query::Filter(Filter::Source(source.to_lowercase())));
    }
    if let Some(since) = &filters.since {
        let range = query::parse(&format!("published:{since}.."))
            .map_err(|_| anyhow::anyhow!("--since {since:?}: expected a day (YYYY-MM-DD) or an RFC 3339 time"))?;
        parsed = parsed.and(range);
    }
    Ok(parsed)
}

/// Brings the index up to date with the store when this process may write it, and returns
/// it for searching.
pub async fn up_to_date_index(context: &AppContext, store: &Store) -> anyhow::Result<MentionIndex> {
    let Some(indexer) = context.indexer()? else {
        let index = MentionIndex::open(&context.index_dir())?;
        index.reload()?;
        return Ok(index);
    };
    let behind = store.max_inserted_seq().await? - indexer.indexed_seq();
    let bar = count_progress(behind.max(0) as u64, "indexing", context.show_progress() && behind > 0);
    let written = indexer
        .catch_up(store, |progress| bar.set_position(progress.indexed))
        .await
        .context("bringing the index up to date")?;
    bar.finish_and_clear();
    if written > 0 {
        indexer.commit()?;
        tracing::info!(written, "indexed mentions (new, or whose customer link changed)");
    }
    Ok(indexer.index().clone())
}

pub async fn run(
    context: &AppContext,
    raw: &str,
    filters: Filters,
    limit: usize,
    collapse: bool,
    sort: Option<SortArg>,
) -> anyhow::Result<ExitCode> {
    let parsed = build_query(raw, &filters)?;
    let store = context.store().await?;
    let index = up_to_date_index(context, &store).await?;
    let order = sort.map(|sort| match sort {
        SortArg::Relevance => SortOrder::Relevance,
        SortArg::Newest => SortOrder::Newest,
    });
    let results = index.search(&parsed, &SearchOptions { limit, collapse, order })?;
    let rows = results_with_mentions(&store, &results).await?;
    store.close().await;
    if context.global.json {
        print_json(&rows)?;
    } else {
        print_results(&results, &rows)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The best customer link of each mention: confirmed before automatic before proposed, then
/// by confidence; rejected links are never shown.
async fn customers(store: &Store, ids: &[MentionId]) -> anyhow::Result<HashMap<MentionId, Value>> {
    let rank = |state: MatchState| match state {
        MatchState::Confirmed => 0,
        MatchState::Auto => 1,
        MatchState::Proposed => 2,
        MatchState::Rejected => 3,
    };
    let mut best: HashMap<MentionId, hark_core::Match> = HashMap::new();
    for found in store.matches_for_mentions(ids).await? {
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
    let mut out = HashMap::new();
    for (mention_id, found) in best {
        let Some(customer) = store.customer(found.customer_id.as_str()).await? else { continue };
        out.insert(
            mention_id,
            json!({
                "id": customer.id.as_str(),
                "crm_ref": customer.crm_ref,
                "name": customer.name,
                "confidence": found.confidence,
                "state": found.state.as_str(),
                "method": found.method.as_str(),
            }),
        );
    }
    Ok(out)
}

fn mention_json(mention: &Mention, customer: Option<&Value>, hit: &hark_index::mentions::SearchHit) -> Value {
    let mut row = json!({
        "id": mention.id.as_str(),
        "source": mention.source_kind.as_str(),
        "source_id": mention.source_id,
        "external_id": mention.external_id,
        "url": mention.url,
        "author": {"handle": mention.author.handle, "name": mention.author.name},
        "title": mention.title,
        "text": mention.text,
        "published_at": mention.published_at,
        "signals": mention.signals.as_ref().map(|signals| json!({
            "sentiment": signals.sentiment,
            "sentiment_scores": signals.sentiment_scores,
            "complaint": signals.complaint,
            "intent": signals.intent,
            "cues": signals.cues,
        })),
        "customer": customer,
        "score": hit.score,
    });
    if let Some(size) = hit.cluster_size {
        row["cluster_size"] = json!(size);
    }
    row
}

async fn results_with_mentions(store: &Store, results: &SearchResults) -> anyhow::Result<Vec<Value>> {
    let ids: Vec<MentionId> = results.hits.iter().map(|hit| hit.id.clone()).collect();
    let customers = customers(store, &ids).await?;
    let mut rows = Vec::with_capacity(results.hits.len());
    for hit in &results.hits {
        let Some(mention) = store.mention(&hit.id).await? else {
            bail!("the index holds mention {} that the store does not: run `hark reindex`", hit.id.as_str());
        };
        rows.push(mention_json(&mention, customers.get(&hit.id), hit));
    }
    Ok(rows)
}

fn snippet(text: &str, width: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= width {
        flat
    } else {
        format!("{}…", flat.chars().take(width - 1).collect::<String>())
    }
}

fn print_results(results: &SearchResults, rows: &[Value]) -> anyhow::Result<()> {
    if rows.is_empty() {
        println!("no mentions match");
        return Ok(());
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let signals = &row["signals"];
            let flags = if signals.is_null() {
                "-".to_owned()
            } else {
                format!(
                    "{} c{:.2} i{:.2}",
                    signals["sentiment"].as_str().unwrap_or("?"),
                    signals["complaint"].as_f64().unwrap_or_default(),
                    signals["intent"].as_f64().unwrap_or_default()
                )
            };
            let published = row["published_at"].as_str().map_or("-".to_owned(), |at| at.chars().take(10).collect());
            let author = row["author"]["handle"].as_str().or(row["author"]["name"].as_str()).unwrap_or("-");
            let customer = row["customer"]["name"].as_str().unwrap_or("-");
            let mut text = snippet(row["text"].as_str().unwrap_or_default(), 70);
            if let Some(size) = row["cluster_size"].as_u64().filter(|size| *size > 1) {
                text = format!("[+{}] {text}", size - 1);
            }
            vec![
                published,
                row["source"].as_str().unwrap_or_default().to_owned(),
                author.to_owned(),
                customer.to_owned(),
                flags,
                text,
            ]
        })
        .collect();
    print_table(&["published", "source", "author", "customer", "signals", "text"], &table)?;
    let order = match results.order {
        SortOrder::Relevance => "by relevance",
        SortOrder::Newest => "newest first",
    };
    println!("{} of {} matching mentions, {order}", rows.len(), results.total);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_anded_into_the_query() {
        let filters = Filters { source: Some("Reddit".into()), since: Some("2026-01-01".into()) };
        let query = build_query("acme OR pipedrive", &filters).unwrap();
        assert_eq!(query.to_string(), "(AND (OR acme pipedrive) source:reddit published:[2026-01-01T00:00:00Z..))");
        let err = build_query("acme", &Filters { since: Some("yesterday".into()), ..Filters::default() }).unwrap_err();
        assert!(err.to_string().contains("--since \"yesterday\""), "{err}");
        let err = build_query("acme (", &Filters::default()).unwrap_err();
        assert!(err.to_string().starts_with("invalid query: expected a search term"), "{err}");
    }
}
