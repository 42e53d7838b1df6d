//! `hark search QUERY`: mentions from the index, shown with their signals and customer.

use std::process::ExitCode;

use hark_app::Caller;
use hark_app::search::{self, SearchRequest, SearchResponse, Sort};

use crate::cli::SortArg;
use crate::context::Context;
use crate::output::{print_json, print_table};

/// The flags that narrow a query.
#[derive(Debug, Default)]
pub struct Filters {
    pub source: Option<String>,
    pub since: Option<String>,
}

pub async fn run(
    context: &Context,
    query: &str,
    filters: Filters,
    limit: usize,
    collapse: bool,
    sort: Option<SortArg>,
) -> anyhow::Result<ExitCode> {
    let request = SearchRequest {
        query: query.to_owned(),
        source: filters.source,
        since: filters.since,
        limit,
        collapse,
        sort: sort.map(|sort| match sort {
            SortArg::Relevance => Sort::Relevance,
            SortArg::Newest => Sort::Newest,
        }),
    };
    let mut progress = context.progress();
    let response = search::search_with_progress(&context.app, &Caller::local(), &request, &mut progress).await?;
    context.app.close().await;
    if context.json() {
        print_json(&response.hits)?;
    } else {
        print_results(&response)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_results(response: &SearchResponse) -> anyhow::Result<()> {
    if response.hits.is_empty() {
        println!("no mentions match");
        return Ok(());
    }
    let table: Vec<Vec<String>> = response
        .hits
        .iter()
        .map(|hit| {
            let mention = &hit.mention;
            let flags = mention.signals.as_ref().map_or_else(
                || "-".to_owned(),
                |signals| format!("{} c{:.2} i{:.2}", signals.sentiment, signals.complaint, signals.intent),
            );
            let published = mention.published_at.map_or_else(|| "-".to_owned(), |at| at.format("%Y-%m-%d").to_string());
            let author = mention.author.handle.as_deref().or(mention.author.name.as_deref()).unwrap_or("-");
            let customer = mention.customer.as_ref().map_or("-", |customer| customer.name.as_str());
            let mut text = super::snippet(&mention.text, 70);
            if let Some(size) = hit.cluster_size.filter(|size| *size > 1) {
                text = format!("[+{}] {text}", size - 1);
            }
            vec![published, mention.source.clone(), author.to_owned(), customer.to_owned(), flags, text]
        })
        .collect();
    print_table(&["published", "source", "author", "customer", "signals", "text"], &table)?;
    let order = match response.order {
        Sort::Relevance => "by relevance",
        Sort::Newest => "newest first",
    };
    println!("{} of {} matching mentions, {order}", response.hits.len(), response.total);
    Ok(())
}
