//! Mention search: the query language over the index, each hit shown with its signals and
//! customer.

use std::collections::HashMap;

use hark_core::MentionId;
use hark_index::mentions::{MentionIndex, SearchOptions, SortOrder};
use hark_index::query::{self, Filter, Query};
use hark_pipeline::index_feed::StoreFeed;
use hark_store::Store;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::App;
use crate::access::{Caller, Permission};
use crate::error::{AppError, AppResult, Context, ErrorKind};
use crate::progress::{NoProgress, Progress, Unit};
use crate::views::{MentionView, mention_views};

/// Results per search at most.
pub const MAX_LIMIT: usize = 10_000;

/// The order of results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// BM25 score, best first.
    Relevance,
    /// Publication time, newest first.
    Newest,
}

/// A search: the query and the filters ANDed into it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(default)]
pub struct SearchRequest {
    /// The query (`*` matches everything).
    pub query: String,
    /// Only this source (kind or configured id).
    pub source: Option<String>,
    /// Only mentions published on or after this day (YYYY-MM-DD) or time (RFC 3339).
    pub since: Option<String>,
    /// Results to return, 1 to 10,000.
    pub limit: usize,
    /// One result per near-duplicate cluster, with the cluster's size.
    pub collapse: bool,
    /// `None`: by relevance when the query has words, else newest first.
    pub sort: Option<Sort>,
}

impl Default for SearchRequest {
    fn default() -> Self {
        Self { query: "*".to_owned(), source: None, since: None, limit: 20, collapse: false, sort: None }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SearchResponse {
    /// Matching mentions (before collapsing and the limit).
    pub total: usize,
    pub order: Sort,
    pub hits: Vec<SearchHit>,
}

/// One result: the mention as people see it, with its score.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SearchHit {
    #[serde(flatten)]
    pub mention: MentionView,
    /// BM25 score when ordered by relevance.
    pub score: Option<f32>,
    /// With `collapse`: how many matching mentions the cluster holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_size: Option<u64>,
}

/// Searches the mentions, catching the index up first.
pub async fn search(app: &App, caller: &Caller, request: &SearchRequest) -> AppResult<SearchResponse> {
    search_with_progress(app, caller, request, &mut NoProgress).await
}

/// [`search`], reporting the index catch-up to `progress`.
pub async fn search_with_progress(
    app: &App,
    caller: &Caller,
    request: &SearchRequest,
    progress: &mut dyn Progress,
) -> AppResult<SearchResponse> {
    caller.require(Permission::ReadPublic)?;
    if !(1..=MAX_LIMIT).contains(&request.limit) {
        return Err(AppError::invalid("invalid_limit", format!("limit must be 1 to {MAX_LIMIT}")));
    }
    let parsed = build_query(&request.query, request.source.as_deref(), request.since.as_deref())?;
    let store = app.store().await?;
    let index = up_to_date_index(app, store, progress).await?;
    let order = request.sort.map(|sort| match sort {
        Sort::Relevance => SortOrder::Relevance,
        Sort::Newest => SortOrder::Newest,
    });
    // Searching is CPU work: off the async runtime, so one search never stalls other requests.
    let options = SearchOptions { limit: request.limit, collapse: request.collapse, order };
    let results = tokio::task::spawn_blocking(move || index.search(&parsed, &options))
        .await
        .internal("searching the mention index")?
        .internal("searching the mention index")?;
    let ids: Vec<MentionId> = results.hits.iter().map(|hit| hit.id.clone()).collect();
    let mut views: HashMap<String, MentionView> =
        mention_views(store, &ids).await?.into_iter().map(|view| (view.id.clone(), view)).collect();
    let mut hits = Vec::with_capacity(results.hits.len());
    for hit in &results.hits {
        let Some(mention) = views.remove(hit.id.as_str()) else {
            return Err(AppError::new(
                ErrorKind::Internal,
                "index_out_of_date",
                format!("the index holds mention {} that the store does not: run `hark reindex`", hit.id.as_str()),
            ));
        };
        hits.push(SearchHit { mention, score: hit.score, cluster_size: hit.cluster_size });
    }
    let order = match results.order {
        SortOrder::Relevance => Sort::Relevance,
        SortOrder::Newest => Sort::Newest,
    };
    Ok(SearchResponse { total: results.total, order, hits })
}

/// The query with the filters ANDed in. A malformed query is `invalid_query`, its message
/// pointing at the column.
pub fn build_query(raw: &str, source: Option<&str>, since: Option<&str>) -> AppResult<Query> {
    let mut parsed = query::parse(raw)
        .map_err(|err| AppError::invalid("invalid_query", format!("invalid query: {err}\n{}", err.pointer(raw))))?;
    if let Some(source) = source {
        parsed = parsed.and(Query::Filter(Filter::Source(source.to_lowercase())));
    }
    if let Some(since) = since {
        let range = query::parse(&format!("published:{since}..")).map_err(|_| {
            AppError::invalid(
                "invalid_since",
                format!("since {since:?}: expected a day (YYYY-MM-DD) or an RFC 3339 time"),
            )
        })?;
        parsed = parsed.and(range);
    }
    Ok(parsed)
}

/// Brings the index up to date with the store when this process may write it (reporting
/// the catch-up to `progress`), and returns it for searching.
pub async fn up_to_date_index(app: &App, store: &Store, progress: &mut dyn Progress) -> AppResult<MentionIndex> {
    let Some(indexer) = app.indexer()? else {
        let index = MentionIndex::open(&app.index_dir()).internal("opening the mention index")?;
        index.reload().internal("opening the mention index")?;
        return Ok(index);
    };
    let behind = store.max_inserted_seq().await.internal("reading the store")? - indexer.indexed_seq();
    if behind > 0 {
        progress.start("indexing", u64::try_from(behind).unwrap_or(0), Unit::Items);
    }
    let written = indexer.catch_up(&StoreFeed(store), |done| progress.set(done.indexed)).await;
    progress.finish();
    let written = written.internal("bringing the index up to date")?;
    if written > 0 {
        indexer.commit().internal("committing the mention index")?;
        tracing::info!(written, "indexed mentions (new, or whose customer link changed)");
    }
    Ok(indexer.index().clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_anded_into_the_query() {
        let query = build_query("acme OR pipedrive", Some("Reddit"), Some("2026-01-01")).unwrap();
        assert_eq!(query.to_string(), "(AND (OR acme pipedrive) source:reddit published:[2026-01-01T00:00:00Z..))");
        let err = build_query("acme", None, Some("yesterday")).unwrap_err();
        assert_eq!(err.code, "invalid_since");
        assert!(err.message.contains("since \"yesterday\""), "{err}");
        let err = build_query("acme (", None, None).unwrap_err();
        assert_eq!(err.code, "invalid_query");
        assert!(err.message.starts_with("invalid query: expected a search term"), "{err}");
        assert!(err.message.ends_with("  acme (\n        ^"), "the column pointer: {err}");
    }
}
