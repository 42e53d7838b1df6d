//! The mention index under `<data_dir>/index/mentions`: schema and analysers, search (with
//! near-duplicate collapsing), and the [`Indexer`] that keeps it up to date.
//!
//! Fields:
//! - `text` (title + text) and `title`: English analyser (lower case, ASCII folding, Porter
//!   stemming), positions kept; bare words search `text`.
//! - `exact` (title + text): lower case and ASCII folding, no stemming; phrases, proximity and
//!   prefix searches use it, so `"free trial"` does not match "freeing trials".
//! - `author` (handle and display name, like `exact`), `handle` (the handle as one lower-case
//!   term), `source` (kind and configured id), `site` (the URL's host and its parent domains,
//!   without `www.`), `lang` (the tag and its primary subtag), `type` (`post` or `comment`: a
//!   mention with a parent is a comment), `sentiment` (label), `customer` (`yes`/`no`) and
//!   `customer_id`: single terms.
//! - `published` (date; the fetch time when the source gives none), `complaint`, `intent`:
//!   fast and indexed, for sorting and ranges; mentions without signals have no score values,
//!   so score filters never match them.
//! - `cluster`, `simhash`, `url_key`, `bands`: near-duplicate clustering ([`cluster`]).
//! - `id`: stored, and the term updates delete by.
//!
//! A match update re-indexes one document by id ([`Indexer::upsert`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use hark_core::MentionId;
use tantivy::collector::{Collector, Count, SegmentCollector, TopDocs};
use tantivy::columnar::Column;
use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
};
use tantivy::{DocAddress, DocId, Index, IndexReader, Order, ReloadPolicy, Score, SegmentReader, TantivyDocument};

use crate::query::Query;

pub mod cluster;
mod compile;
mod feed;
mod indexer;
mod near;
#[cfg(test)]
mod tests;

pub use feed::{FeedError, MentionFeed};
pub use indexer::{CommitPolicy, Indexer, Progress};

/// The analyser of `text` and `title`.
pub const ENGLISH: &str = "hark_en";
/// The analyser of `exact` and `author`.
pub const EXACT: &str = "hark_exact";

/// Where the mention index lives inside a data directory.
pub fn index_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("index").join("mentions")
}

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("the index at {path} is being written by another hark process; stop it or try again")]
    Locked { path: PathBuf },
    #[error("index at {path}: {source}")]
    Tantivy {
        path: PathBuf,
        #[source]
        source: tantivy::TantivyError,
    },
    #[error("creating the index directory {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("reading mentions to index: {0}")]
    Feed(#[from] FeedError),
    #[error("index at {path} was written with an older schema; run `hark reindex` to rebuild it")]
    Schema { path: PathBuf },
    #[error("the indexing task stopped: {0}")]
    Task(String),
}

pub type Result<T, E = IndexError> = std::result::Result<T, E>;

/// The schema's fields.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    pub id: Field,
    pub text: Field,
    pub title: Field,
    pub exact: Field,
    pub author: Field,
    pub handle: Field,
    pub source: Field,
    pub site: Field,
    pub lang: Field,
    pub kind: Field,
    pub published: Field,
    pub complaint: Field,
    pub intent: Field,
    pub sentiment: Field,
    pub customer: Field,
    pub customer_id: Field,
    pub cluster: Field,
    pub simhash: Field,
    pub url_key: Field,
    pub bands: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text_options = |analyser: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyser)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let date = DateOptions::default().set_indexed().set_fast().set_precision(DateTimePrecision::Seconds);
    let fields = Fields {
        id: builder.add_text_field("id", STRING | STORED),
        text: builder.add_text_field("text", text_options(ENGLISH)),
        title: builder.add_text_field("title", text_options(ENGLISH)),
        exact: builder.add_text_field("exact", text_options(EXACT)),
        author: builder.add_text_field("author", text_options(EXACT)),
        handle: builder.add_text_field("handle", STRING),
        source: builder.add_text_field("source", STRING),
        site: builder.add_text_field("site", STRING),
        lang: builder.add_text_field("lang", STRING),
        kind: builder.add_text_field("type", STRING),
        published: builder.add_date_field("published", date),
        complaint: builder.add_f64_field("complaint", INDEXED | FAST),
        intent: builder.add_f64_field("intent", INDEXED | FAST),
        sentiment: builder.add_text_field("sentiment", STRING),
        customer: builder.add_text_field("customer", STRING),
        customer_id: builder.add_text_field("customer_id", STRING | FAST),
        cluster: builder.add_u64_field("cluster", FAST),
        simhash: builder.add_u64_field("simhash", FAST),
        url_key: builder.add_u64_field("url_key", INDEXED),
        bands: builder.add_u64_field("bands", INDEXED),
    };
    (builder.build(), fields)
}

fn register_analysers(index: &Index) {
    let english = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build();
    let exact = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build();
    index.tokenizers().register(ENGLISH, english);
    index.tokenizers().register(EXACT, exact);
}

/// An open mention index, for searching. Cheap to clone.
#[derive(Clone)]
pub struct MentionIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    path: PathBuf,
}

impl std::fmt::Debug for MentionIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MentionIndex").field("path", &self.path).finish_non_exhaustive()
    }
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    /// BM25 score, best first.
    Relevance,
    /// Publication time, newest first.
    Newest,
}

#[derive(Debug, Clone)]
pub struct SearchOptions {
    pub limit: usize,
    /// One hit per near-duplicate cluster (the best of it), with the cluster's size.
    pub collapse: bool,
    /// `None`: by relevance when the query has words, else newest first.
    pub order: Option<SortOrder>,
}

impl Default for SearchOptions {
    fn default() -> Self {
        Self { limit: 20, collapse: false, order: None }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub id: MentionId,
    /// BM25 score when ordered by relevance.
    pub score: Option<f32>,
    pub published: DateTime<Utc>,
    pub cluster: u64,
    /// With `collapse`: how many matching mentions the cluster holds.
    pub cluster_size: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    /// Matching mentions (before collapsing).
    pub total: usize,
    pub order: SortOrder,
    pub hits: Vec<SearchHit>,
}

fn tantivy_error(path: &Path) -> impl FnOnce(tantivy::TantivyError) -> IndexError + '_ {
    move |source| match source {
        tantivy::TantivyError::LockFailure(..) => IndexError::Locked { path: path.to_owned() },
        source => IndexError::Tantivy { path: path.to_owned(), source },
    }
}

impl MentionIndex {
    /// Opens the index in `dir`, creating it when absent.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|source| IndexError::Io { path: dir.to_owned(), source })?;
        let (schema, fields) = schema();
        let directory = tantivy::directory::MmapDirectory::open(dir)
            .map_err(|err| tantivy_error(dir)(tantivy::TantivyError::from(err)))?;
        let index = Index::open_or_create(directory, schema).map_err(|err| match err {
            tantivy::TantivyError::SchemaError(_) => IndexError::Schema { path: dir.to_owned() },
            other => tantivy_error(dir)(other),
        })?;
        register_analysers(&index);
        let reader =
            index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().map_err(tantivy_error(dir))?;
        Ok(Self { index, reader, fields, path: dir.to_owned() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Picks up what writers committed since the last call.
    pub fn reload(&self) -> Result<()> {
        self.reader.reload().map_err(tantivy_error(&self.path))
    }

    /// Mentions in the index.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The highest store insertion sequence committed to the index (0 when empty).
    pub fn indexed_seq(&self) -> Result<i64> {
        let metas = self.index.load_metas().map_err(tantivy_error(&self.path))?;
        Ok(metas.payload.as_deref().and_then(|payload| payload.parse().ok()).unwrap_or(0))
    }

    pub(crate) fn index(&self) -> &Index {
        &self.index
    }

    /// Searches with a parsed query.
    pub fn search(&self, query: &Query, options: &SearchOptions) -> Result<SearchResults> {
        let compiled = compile::compile(query, self.fields, &self.index);
        let order = options.order.unwrap_or(if query.is_ranked() { SortOrder::Relevance } else { SortOrder::Newest });
        let searcher = self.reader.searcher();
        let limit = options.limit.max(1);
        let error = tantivy_error(&self.path);
        let (total, found): (usize, Vec<Found>) = if options.collapse {
            let collector = CollapseCollector { limit, order };
            let (total, groups) = searcher.search(&compiled, &(Count, collector)).map_err(error)?;
            (total, groups.into_iter().map(|group| (group.score, group.address, Some(group.size))).collect())
        } else {
            match order {
                SortOrder::Relevance => {
                    let (total, top) =
                        searcher.search(&compiled, &(Count, TopDocs::with_limit(limit))).map_err(error)?;
                    (total, top.into_iter().map(|(score, address)| (Some(score), address, None)).collect())
                }
                SortOrder::Newest => {
                    let collector =
                        TopDocs::with_limit(limit).order_by_fast_field::<tantivy::DateTime>("published", Order::Desc);
                    let (total, top) = searcher.search(&compiled, &(Count, collector)).map_err(error)?;
                    (total, top.into_iter().map(|(_, address)| (None, address, None)).collect())
                }
            }
        };
        let mut hits = Vec::with_capacity(found.len());
        let mut columns: HashMap<u32, (Column<tantivy::DateTime>, Column<u64>)> = HashMap::new();
        for (score, address, cluster_size) in found {
            let document: TantivyDocument = searcher.doc(address).map_err(tantivy_error(&self.path))?;
            let id = document.get_first(self.fields.id).and_then(|value| value.as_str()).unwrap_or_default();
            let segment = searcher.segment_reader(address.segment_ord);
            let (published, cluster) = match columns.entry(address.segment_ord) {
                std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
                std::collections::hash_map::Entry::Vacant(entry) => {
                    let fast = segment.fast_fields();
                    let published = fast.date("published").map_err(tantivy_error(&self.path))?;
                    let cluster = fast.u64("cluster").map_err(tantivy_error(&self.path))?;
                    entry.insert((published, cluster))
                }
            };
            let published = published
                .first(address.doc_id)
                .and_then(|at| DateTime::from_timestamp(at.into_timestamp_secs(), 0))
                .unwrap_or_default();
            hits.push(SearchHit {
                id: MentionId::from_raw(id),
                score,
                published,
                cluster: cluster.first(address.doc_id).unwrap_or_default(),
                cluster_size,
            });
        }
        Ok(SearchResults { total, order, hits })
    }
}

/// A hit before its id is read: score, address, cluster size.
type Found = (Option<f32>, DocAddress, Option<u64>);

/// The best document of one cluster and how many matched.
#[derive(Debug, Clone)]
struct Group {
    key: f64,
    score: Option<f32>,
    address: DocAddress,
    size: u64,
}

/// Collects one hit per cluster (the best by the sort key), counting members.
struct CollapseCollector {
    limit: usize,
    order: SortOrder,
}

struct CollapseSegment {
    segment: u32,
    order: SortOrder,
    published: Column<tantivy::DateTime>,
    cluster: Column<u64>,
    groups: HashMap<u64, Group>,
}

impl Collector for CollapseCollector {
    type Fruit = Vec<Group>;
    type Child = CollapseSegment;

    fn for_segment(&self, segment_local_id: u32, segment: &SegmentReader) -> tantivy::Result<CollapseSegment> {
        let fast = segment.fast_fields();
        Ok(CollapseSegment {
            segment: segment_local_id,
            order: self.order,
            published: fast.date("published")?,
            cluster: fast.u64("cluster")?,
            groups: HashMap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.order == SortOrder::Relevance
    }

    fn merge_fruits(&self, fruits: Vec<HashMap<u64, Group>>) -> tantivy::Result<Vec<Group>> {
        let mut merged: HashMap<u64, Group> = HashMap::new();
        for fruit in fruits {
            for (cluster, group) in fruit {
                match merged.entry(cluster) {
                    std::collections::hash_map::Entry::Occupied(mut entry) => {
                        let existing = entry.get_mut();
                        let size = existing.size + group.size;
                        if group.key > existing.key {
                            *existing = group;
                        }
                        existing.size = size;
                    }
                    std::collections::hash_map::Entry::Vacant(entry) => {
                        entry.insert(group);
                    }
                }
            }
        }
        let mut groups: Vec<Group> = merged.into_values().collect();
        groups.sort_by(|a, b| b.key.total_cmp(&a.key).then(a.address.cmp(&b.address)));
        groups.truncate(self.limit);
        Ok(groups)
    }
}

impl SegmentCollector for CollapseSegment {
    type Fruit = HashMap<u64, Group>;

    fn collect(&mut self, doc: DocId, score: Score) {
        let published = self.published.first(doc).map_or(0, |at| at.into_timestamp_secs());
        let key = match self.order {
            SortOrder::Relevance => f64::from(score),
            SortOrder::Newest => published as f64,
        };
        let address = DocAddress::new(self.segment, doc);
        let score = (self.order == SortOrder::Relevance).then_some(score);
        // Documents without a cluster value (none today) stand alone.
        let cluster = self.cluster.first(doc).unwrap_or(u64::MAX - u64::from(doc));
        self.groups
            .entry(cluster)
            .and_modify(|group| {
                group.size += 1;
                if key > group.key {
                    group.key = key;
                    group.score = score;
                    group.address = address;
                }
            })
            .or_insert(Group { key, score, address, size: 1 });
    }

    fn harvest(self) -> HashMap<u64, Group> {
        self.groups
    }
}
