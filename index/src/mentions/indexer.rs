//! Writing the mention index: incremental catch-up from a [`MentionFeed`] (the store, through
//! the pipeline's adapter), the commit policy, match updates by id, and rebuilding from scratch.
//!
//! The index follows the feed's insertion order (the store's `inserted_seq`). Each commit records the
//! highest sequence number it holds (tantivy's commit payload), so after a crash, a failed
//! index stage, or a store written by another process, [`Indexer::catch_up`] indexes exactly
//! what is missing, and a rebuild is a catch-up into an empty directory.
//!
//! Commit policy: new documents are committed when [`CommitPolicy::interval`] has passed
//! since the last commit (checked after each batch and by a background thread, so a quiet
//! source's last page is searchable within that interval too), when
//! [`CommitPolicy::max_pending`] documents wait, and on [`Indexer::commit`] / drop.

use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hark_core::{Mention, MentionId, SequencedMention};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocSet, IndexWriter, Searcher, TERMINATED, TantivyDocument, Term};

use super::cluster::{self, bands, near, simhash, url_key};
use super::feed::MentionFeed;
use super::{Fields, IndexError, MentionIndex, Result, tantivy_error};

/// When new documents become searchable.
#[derive(Debug, Clone, Copy)]
pub struct CommitPolicy {
    /// Longest time a new document waits before it is searchable.
    pub interval: Duration,
    /// Commit as soon as this many documents wait.
    pub max_pending: usize,
    /// Indexing memory budget of the writer, in bytes.
    pub writer_memory: usize,
}

impl Default for CommitPolicy {
    fn default() -> Self {
        Self { interval: Duration::from_secs(1), max_pending: 100_000, writer_memory: 128 << 20 }
    }
}

/// How far a catch-up or rebuild has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub indexed: u64,
    pub total: u64,
}

/// Mentions read from the store per batch.
const BATCH: i64 = 2_000;

/// Near-duplicate keys of documents added since the last commit (not yet visible to the
/// searcher that cluster lookups use).
#[derive(Default)]
struct Scratch {
    urls: HashMap<u64, u64>,
    bands: HashMap<u64, Vec<(u64, u64)>>,
}

struct State {
    writer: IndexWriter,
    /// The searcher as of the last commit, for cluster lookups.
    searcher: Searcher,
    scratch: Scratch,
    indexed_seq: i64,
    pending: usize,
    last_commit: Instant,
}

struct Shared {
    index: MentionIndex,
    policy: CommitPolicy,
    state: Mutex<State>,
}

/// The one writer of a mention index (tantivy allows one per directory, across processes).
pub struct Indexer {
    shared: Arc<Shared>,
    stop: Option<mpsc::Sender<()>>,
    committer: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Indexer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Indexer").field("index", &self.shared.index).finish_non_exhaustive()
    }
}

impl Indexer {
    /// Opens (creating if needed) the index in `dir` for writing. Fails with
    /// [`IndexError::Locked`] while another process writes it.
    pub fn open(dir: &Path, policy: CommitPolicy) -> Result<Self> {
        let index = MentionIndex::open(dir)?;
        let writer = index.index().writer(policy.writer_memory).map_err(tantivy_error(dir))?;
        let indexed_seq = index.indexed_seq()?;
        index.reload()?;
        let state = State {
            writer,
            searcher: index.reader.searcher(),
            scratch: Scratch::default(),
            indexed_seq,
            pending: 0,
            last_commit: Instant::now(),
        };
        let shared = Arc::new(Shared { index, policy, state: Mutex::new(state) });
        let (stop, stopped) = mpsc::channel::<()>();
        let background = Arc::clone(&shared);
        let committer = std::thread::Builder::new()
            .name("hark-index-commit".to_owned())
            .spawn(move || {
                let tick = (background.policy.interval / 2).max(Duration::from_millis(10));
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(tick) {
                    let mut state = background.lock();
                    if state.pending > 0 && state.last_commit.elapsed() >= background.policy.interval {
                        if let Err(err) = background.commit(&mut state) {
                            tracing::warn!(error = %err, "committing the mention index");
                        }
                    }
                }
            })
            .map_err(|source| IndexError::Io { path: dir.to_owned(), source })?;
        Ok(Self { shared, stop: Some(stop), committer: Some(committer) })
    }

    /// Deletes whatever is in `dir` and opens an empty index there.
    pub fn recreate(dir: &Path, policy: CommitPolicy) -> Result<Self> {
        if dir.exists() {
            // Take the writer lock first, so a running writer is not pulled from under.
            drop(Self::open(dir, policy)?);
            std::fs::remove_dir_all(dir).map_err(|source| IndexError::Io { path: dir.to_owned(), source })?;
        }
        Self::open(dir, policy)
    }

    /// The index this writer writes, for searching.
    pub fn index(&self) -> &MentionIndex {
        &self.shared.index
    }

    /// The highest store sequence number added (committed or not).
    pub fn indexed_seq(&self) -> i64 {
        self.shared.lock().indexed_seq
    }

    /// Adds stored mentions (replacing any document with the same id); they become
    /// searchable by the commit policy.
    pub fn add(&self, mentions: &[SequencedMention]) -> Result<()> {
        self.shared.add(mentions)
    }

    /// Re-indexes one mention with its (new) customer link, e.g. after a match decision.
    pub fn upsert(&self, mention: &Mention, customer_id: Option<&str>) -> Result<()> {
        let mut state = self.shared.lock();
        self.shared.write(&mut state, mention, customer_id)?;
        state.pending += 1;
        Ok(())
    }

    /// Removes a mention from the index.
    pub fn delete(&self, id: &MentionId) {
        let mut state = self.shared.lock();
        state.writer.delete_term(Term::from_field_text(self.shared.index.fields.id, id.as_str()));
        state.pending += 1;
    }

    /// Makes everything added so far searchable and durable.
    pub fn commit(&self) -> Result<()> {
        let mut state = self.shared.lock();
        self.shared.commit(&mut state)
    }

    /// Indexes the mentions the feed holds beyond [`Indexer::indexed_seq`], in insertion
    /// order, reporting progress after each batch, then re-indexes those whose customer link
    /// changed; returns how many documents were written.
    pub async fn catch_up(&self, feed: &impl MentionFeed, mut progress: impl FnMut(Progress)) -> Result<u64> {
        let start = self.indexed_seq();
        let total = u64::try_from(feed.max_seq().await? - start).unwrap_or(0);
        let mut indexed = 0u64;
        let mut after = start;
        loop {
            let batch = feed.mentions_after(after, BATCH).await?;
            let Some(last) = batch.last() else { break };
            after = last.seq;
            indexed += batch.len() as u64;
            self.add_and_clear(feed, batch).await?;
            progress(Progress { indexed, total: total.max(indexed) });
        }
        let refreshed = self.refresh_links(feed).await?;
        Ok(indexed + refreshed)
    }

    /// Re-indexes the mentions whose customer link changed since they were indexed (the
    /// store queues them whenever a match is written, decided or removed).
    async fn refresh_links(&self, feed: &impl MentionFeed) -> Result<u64> {
        let mut refreshed = 0;
        loop {
            let batch = feed.mentions_to_refresh(self.indexed_seq(), BATCH).await?;
            if batch.is_empty() {
                return Ok(refreshed);
            }
            refreshed += batch.len() as u64;
            self.add_and_clear(feed, batch).await?;
        }
    }

    /// Indexes `batch` off the async runtime, then takes it off the feed's refresh queue:
    /// it now carries each mention's current customer link.
    async fn add_and_clear(&self, feed: &impl MentionFeed, batch: Vec<SequencedMention>) -> Result<()> {
        let ids: Vec<MentionId> = batch.iter().map(|stored| stored.mention.id.clone()).collect();
        let shared = Arc::clone(&self.shared);
        tokio::task::spawn_blocking(move || shared.add(&batch))
            .await
            .map_err(|err| IndexError::Task(err.to_string()))??;
        feed.clear_refresh(&ids.iter().collect::<Vec<_>>()).await?;
        Ok(())
    }
}

impl Drop for Indexer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(committer) = self.committer.take() {
            let _ = committer.join();
        }
        let mut state = self.shared.lock();
        if state.pending > 0 {
            if let Err(err) = self.shared.commit(&mut state) {
                tracing::warn!(error = %err, "committing the mention index on close");
            }
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves nothing half-written that a commit would
        // expose (tantivy commits are atomic), so the state stays usable.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn add(&self, mentions: &[SequencedMention]) -> Result<()> {
        let mut state = self.lock();
        for stored in mentions {
            self.write(&mut state, &stored.mention, stored.customer_id.as_ref().map(|id| id.as_str()))?;
            state.indexed_seq = state.indexed_seq.max(stored.seq);
        }
        state.pending += mentions.len();
        if state.pending >= self.policy.max_pending || state.last_commit.elapsed() >= self.policy.interval {
            self.commit(&mut state)?;
        }
        Ok(())
    }

    fn commit(&self, state: &mut State) -> Result<()> {
        let path = &self.index.path;
        let mut prepared = state.writer.prepare_commit().map_err(tantivy_error(path))?;
        prepared.set_payload(&state.indexed_seq.to_string());
        prepared.commit().map_err(tantivy_error(path))?;
        self.index.reload()?;
        state.searcher = self.index.reader.searcher();
        state.scratch = Scratch::default();
        state.pending = 0;
        state.last_commit = Instant::now();
        Ok(())
    }

    fn write(&self, state: &mut State, mention: &Mention, customer_id: Option<&str>) -> Result<()> {
        let fields = self.index.fields;
        state.writer.delete_term(Term::from_field_text(fields.id, mention.id.as_str()));
        let url = mention.url.as_deref().map(url_key);
        let text = match &mention.title {
            Some(title) => format!("{title}\n{}", mention.text),
            None => mention.text.clone(),
        };
        let hash = simhash(&text);
        let cluster = assign_cluster(state, fields, url, hash, &mention.id);
        let document = document(fields, mention, customer_id, &text, cluster, url, hash);
        state.writer.add_document(document).map_err(tantivy_error(&self.index.path))?;
        Ok(())
    }
}

/// The cluster a new document joins: the cluster of an indexed document with the same URL,
/// else of one with a near-identical SimHash, else a new one.
fn assign_cluster(state: &mut State, fields: Fields, url: Option<u64>, hash: Option<u64>, id: &MentionId) -> u64 {
    let found = url
        .and_then(|key| state.scratch.urls.get(&key).copied().or_else(|| lookup_url(&state.searcher, fields, key)))
        .or_else(|| {
            let hash = hash?;
            bands(hash).into_iter().find_map(|band| {
                let pending = state.scratch.bands.get(&band).and_then(|candidates| {
                    candidates.iter().find(|(other, _)| near(hash, *other)).map(|(_, cluster)| *cluster)
                });
                pending.or_else(|| lookup_band(&state.searcher, fields, band, hash))
            })
        });
    let cluster = found.or(url).or(hash).unwrap_or_else(|| cluster::fnv1a(id.as_str().as_bytes()));
    if let Some(key) = url {
        state.scratch.urls.insert(key, cluster);
    }
    if let Some(hash) = hash {
        for band in bands(hash) {
            state.scratch.bands.entry(band).or_default().push((hash, cluster));
        }
    }
    cluster
}

/// Calls `visit` with (segment, doc) of each live document holding `term`, until it returns
/// `Some`.
fn find_doc<T>(
    searcher: &Searcher,
    term: &Term,
    mut visit: impl FnMut(&tantivy::SegmentReader, u32) -> Option<T>,
) -> Option<T> {
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(term.field()).ok()?;
        let Ok(Some(mut postings)) = inverted.read_postings(term, IndexRecordOption::Basic) else {
            continue;
        };
        let alive = segment.alive_bitset();
        let mut doc = postings.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|bits| bits.is_alive(doc)) {
                if let Some(found) = visit(segment, doc) {
                    return Some(found);
                }
            }
            doc = postings.advance();
        }
    }
    None
}

fn lookup_url(searcher: &Searcher, fields: Fields, key: u64) -> Option<u64> {
    find_doc(searcher, &Term::from_field_u64(fields.url_key, key), |segment, doc| {
        segment.fast_fields().u64("cluster").ok()?.first(doc)
    })
}

fn lookup_band(searcher: &Searcher, fields: Fields, band: u64, hash: u64) -> Option<u64> {
    find_doc(searcher, &Term::from_field_u64(fields.bands, band), |segment, doc| {
        let fast = segment.fast_fields();
        let other = fast.u64("simhash").ok()?.first(doc)?;
        if near(hash, other) { fast.u64("cluster").ok()?.first(doc) } else { None }
    })
}

/// The host of a URL and its parent domains, without `www.`: `old.reddit.com`, `reddit.com`.
fn sites(url: &str) -> Vec<String> {
    let Some(host) = url::Url::parse(url).ok().and_then(|parsed| parsed.host_str().map(str::to_ascii_lowercase)) else {
        return Vec::new();
    };
    let host = host.strip_prefix("www.").unwrap_or(&host).to_owned();
    let labels: Vec<&str> = host.split('.').collect();
    (0..labels.len().saturating_sub(1).max(1)).map(|skip| labels[skip..].join(".")).collect()
}

fn document(
    fields: Fields,
    mention: &Mention,
    customer_id: Option<&str>,
    text: &str,
    cluster: u64,
    url: Option<u64>,
    hash: Option<u64>,
) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(fields.id, mention.id.as_str());
    doc.add_text(fields.text, text);
    doc.add_text(fields.exact, text);
    if let Some(title) = &mention.title {
        doc.add_text(fields.title, title);
    }
    if let Some(handle) = &mention.author.handle {
        doc.add_text(fields.author, handle);
        doc.add_text(fields.handle, handle.to_lowercase());
    }
    if let Some(name) = &mention.author.name {
        doc.add_text(fields.author, name);
    }
    doc.add_text(fields.source, mention.source_kind.as_str());
    if !mention.source_id.eq_ignore_ascii_case(mention.source_kind.as_str()) {
        doc.add_text(fields.source, mention.source_id.to_lowercase());
    }
    for site in mention.url.as_deref().map(sites).unwrap_or_default() {
        doc.add_text(fields.site, site);
    }
    if let Some(lang) = &mention.lang {
        let lang = lang.to_ascii_lowercase();
        if let Some((primary, _)) = lang.split_once(['-', '_']) {
            doc.add_text(fields.lang, primary);
        }
        doc.add_text(fields.lang, lang);
    }
    doc.add_text(fields.kind, if mention.parent_id.is_some() { "comment" } else { "post" });
    let published = mention.published_at.unwrap_or(mention.fetched_at);
    doc.add_date(fields.published, tantivy::DateTime::from_timestamp_secs(published.timestamp()));
    if let Some(signals) = &mention.signals {
        doc.add_f64(fields.complaint, f64::from(signals.complaint));
        doc.add_f64(fields.intent, f64::from(signals.intent));
        doc.add_text(fields.sentiment, signals.sentiment.as_str());
    }
    doc.add_text(fields.customer, if customer_id.is_some() { "yes" } else { "no" });
    if let Some(customer) = customer_id {
        doc.add_text(fields.customer_id, customer);
    }
    doc.add_u64(fields.cluster, cluster);
    if let Some(key) = url {
        doc.add_u64(fields.url_key, key);
    }
    if let Some(hash) = hash {
        doc.add_u64(fields.simhash, hash);
        for band in bands(hash) {
            doc.add_u64(fields.bands, band);
        }
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sites_include_parent_domains_without_www() {
        assert_eq!(sites("https://old.reddit.com/r/crm"), ["old.reddit.com", "reddit.com"]);
        assert_eq!(sites("https://www.example.co.uk/x"), ["example.co.uk", "co.uk"]);
        assert_eq!(sites("http://localhost:8080/x"), ["localhost"]);
        assert!(sites("not a url").is_empty());
    }
}
