//! hark-pipeline: what happens to a page of mentions after a connector (or `hark ingest`)
//! produced it.
//!
//! Every way into hark goes through [`Pipeline::process_page`], so a mention pulled from a
//! source and one ingested from a file take the same path. Today the path is: dedupe within
//! the page → give each mention its language (the source's tag, else detection;
//! [`hark_core::lang`]) → classify the mentions not stored yet that are in a language the
//! model reads (when a classifier is attached; it runs on its own thread,
//! [`classify::ClassifierWorker`]; mentions in other languages get no signals, so they are
//! never flagged or routed) → persist the page, with signals, and the cursor in one
//! transaction → match the new mentions' authors to customers and refresh their prospect
//! records ([`matching::MatchingStage`]) → route the new mentions (and the
//! earlier ones of authors whose customer match changed) to the follow-up queues
//! ([`routing::RoutingStage`]) → index what the store holds beyond the index (when attached,
//! [`Pipeline::with_index`]). People's match decisions go through [`Pipeline::decide_match`],
//! which re-routes the author's mentions, and [`Pipeline::rematch_and_route_all`] follows a
//! customer import.
//!
//! The pipeline also keeps the run ledger: [`Pipeline::start_run`] and [`RunHandle::finish`]
//! record how each pass over a source went, which is what coverage gaps are made of.
//!
//! It speaks no HTTP and writes no SQL: storage goes through `hark-store`.

use std::collections::HashSet;
use std::sync::Arc;

use hark_core::{Clock, Mention, MentionId, Run, RunOutcome, lang};
use hark_store::{Store, StoreError};

use crate::classify::ClassifierWorker;
use crate::matching::{HumanDecision, MatchSummary, MatchingError, MatchingStage};
use crate::routing::{RouteTrigger, RoutingStage, RoutingSummary, Thresholds};

pub mod classify;
pub mod crm_import;
pub mod index_feed;
pub mod matching;
pub mod mention_file;
pub mod notify;
pub mod prospects;
pub mod pull;
pub mod routing;
pub mod service;

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("saving a page from source {source_id:?}")]
    Persist {
        source_id: String,
        #[source]
        source: StoreError,
    },
    #[error("classifying mentions: {0}")]
    Classify(String),
    #[error("matching the authors of new mentions from source {source_id:?} to customers")]
    Match {
        source_id: String,
        #[source]
        source: MatchingError,
    },
    #[error(
        "indexing new mentions from source {source_id:?} (they are saved; the next page or `hark reindex` indexes them)"
    )]
    Index {
        source_id: String,
        #[source]
        source: hark_index::mentions::IndexError,
    },
    #[error("recording a run of source {source_id:?}")]
    Ledger {
        source_id: String,
        #[source]
        source: StoreError,
    },
    #[error(
        "routing new mentions from source {source_id:?} to the follow-up queues (they are saved; the next customer import re-routes them)"
    )]
    Route {
        source_id: String,
        #[source]
        source: StoreError,
    },
    #[error("re-routing mentions to the follow-up queues")]
    Reroute(#[source] StoreError),
    /// A fetcher could not hand a page to the stream between fetchers and process workers
    /// (its cursor was not advanced: the page is fetched again).
    #[error("publishing a page from source {source_id:?} to the page stream: {detail}")]
    Publish { source_id: String, detail: String },
    #[error("applying a customer match decision")]
    Decide(#[source] MatchingError),
    #[error("matching every author to the customers again")]
    Rematch(#[source] MatchingError),
}

/// How old a saved but unrouted mention must be before any process settles it: younger ones
/// may still be on their way through the process that saved them.
pub const LEFTOVER_AGE: chrono::Duration = chrono::Duration::minutes(2);

/// What processing one page did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageOutcome {
    pub new_mentions: Vec<MentionId>,
    /// New mentions flagged as complaints, and as buying intent (0 without a classifier).
    pub complaints: usize,
    pub intents: usize,
    /// Mentions already stored, or repeated within the page.
    pub duplicates: usize,
    /// Of the duplicates: posts whose URL was already stored from another source kind, linked
    /// to that mention instead of stored again.
    pub linked: usize,
    /// What routing did with the new mentions (and earlier ones of authors whose customer
    /// match changed).
    pub routed: RoutingSummary,
}

/// The stages, wired to a store and a clock.
#[derive(Debug, Clone)]
pub struct Pipeline {
    store: Store,
    clock: Arc<dyn Clock>,
    classifier: Option<ClassifierWorker>,
    matching: MatchingStage,
    routing: RoutingStage,
    /// The complaint and intent heads' thresholds, when known.
    head_thresholds: Option<(f32, f32)>,
    index: Option<Arc<hark_index::mentions::Indexer>>,
    /// How old an unrouted mention must be before a page commit settles it.
    leftover_age: chrono::Duration,
}

impl Pipeline {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            classifier: None,
            matching: MatchingStage::default(),
            routing: RoutingStage::default(),
            head_thresholds: None,
            index: None,
            leftover_age: LEFTOVER_AGE,
        }
    }

    /// How long a saved but unrouted mention waits before a process other than the one that
    /// saved it settles it ([`LEFTOVER_AGE`] unless set).
    #[must_use]
    pub fn with_leftover_age(mut self, age: chrono::Duration) -> Self {
        self.leftover_age = age;
        self
    }

    pub fn leftover_age(&self) -> chrono::Duration {
        self.leftover_age
    }

    /// Adds the index stage: after each page, the index catches up with the store (in
    /// insertion order, customer links included), so new mentions are searchable within the
    /// indexer's commit interval.
    #[must_use]
    pub fn with_index(mut self, indexer: Arc<hark_index::mentions::Indexer>) -> Self {
        self.index = Some(indexer);
        self
    }

    /// The index stage's writer, when attached.
    pub fn indexer(&self) -> Option<&Arc<hark_index::mentions::Indexer>> {
        self.index.as_ref()
    }

    /// Adds the classify stage: new mentions get their signals before they are saved. Its
    /// heads' thresholds become routing's defaults.
    #[must_use]
    pub fn with_classifier(mut self, worker: ClassifierWorker) -> Self {
        self.head_thresholds = Some(worker.thresholds());
        self.classifier = Some(worker);
        self
    }

    /// The classifier heads' thresholds (complaint, intent) for routing when no classifier is
    /// attached (e.g. read from the heads' metadata), so that re-routing after a person's
    /// decision judges scores as the first routing did.
    #[must_use]
    pub fn with_head_thresholds(mut self, complaint: f32, intent: f32) -> Self {
        self.head_thresholds = Some((complaint, intent));
        self
    }

    /// Replaces the routing stage (its settings come from the configuration).
    #[must_use]
    pub fn with_routing(mut self, routing: RoutingStage) -> Self {
        self.routing = routing;
        self
    }

    pub fn routing(&self) -> &RoutingStage {
        &self.routing
    }

    /// The thresholds routing uses: the configured ones, else the heads'.
    pub fn routing_thresholds(&self) -> Thresholds {
        self.routing.config().thresholds(self.head_thresholds)
    }

    /// The classify stage's worker, when attached (its thresholds say what is flagged).
    pub fn classifier(&self) -> Option<&ClassifierWorker> {
        self.classifier.as_ref()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Replaces the matching stage (its thresholds come from the configuration).
    #[must_use]
    pub fn with_matching(mut self, matching: MatchingStage) -> Self {
        self.matching = matching;
        self
    }

    /// The customer matching stage (also used after imports and for people's decisions).
    pub fn matching(&self) -> &MatchingStage {
        &self.matching
    }

    /// Runs one page through every stage. The page and `cursor` are persisted together: if
    /// this returns [`PipelineError::Persist`] or [`PipelineError::Classify`], neither was
    /// saved and the caller may retry the page; later errors (match, route, index) come
    /// after the page was saved.
    pub async fn process_page(
        &self,
        source_id: &str,
        mentions: Vec<Mention>,
        cursor: Option<&str>,
    ) -> Result<PageOutcome, PipelineError> {
        let mut page = self.prepare_page(source_id, mentions).await?;
        self.score_pages(std::slice::from_mut(&mut page)).await?;
        self.commit_page(source_id, page, cursor).await
    }

    /// The first step of [`Pipeline::process_page`]: dedupes the page, gives each mention its
    /// language ([`hark_core::lang::resolve`]: the source's tag, else detection) and finds the
    /// mentions the classifier has to score: those not stored yet, not scored already, and in
    /// a language the model reads ([`hark_core::lang::is_scored`]). A mention in another
    /// language gets no signals, not even ones it arrived with, so it is never flagged or
    /// routed. `hark run` calls the three steps as stages of its own, so that it can score
    /// several pages in one batch while the previous ones are saved.
    pub async fn prepare_page(&self, source_id: &str, mentions: Vec<Mention>) -> Result<PreparedPage, PipelineError> {
        let before = mentions.len();
        let mut unique = dedupe_within_page(mentions);
        let repeated_in_page = before - unique.len();
        for mention in &mut unique {
            mention.lang = lang::resolve(mention.lang.as_deref(), mention.title.as_deref(), &mention.text);
            if !lang::is_scored(mention.lang.as_deref()) {
                mention.signals = None;
            }
        }
        let mut unscored = Vec::new();
        if self.classifier.is_some() {
            // Only mentions not stored yet are worth the encoder's time.
            let ids: Vec<MentionId> = unique.iter().map(|mention| mention.id.clone()).collect();
            let stored = self
                .store
                .stored_ids(&ids)
                .await
                .map_err(|source| PipelineError::Persist { source_id: source_id.to_owned(), source })?;
            // Mentions that arrive with scores (a mention file from an earlier run) keep them.
            unscored = (0..unique.len())
                .filter(|index| {
                    let mention = &unique[*index];
                    !stored.contains(&mention.id)
                        && mention.signals.is_none()
                        && lang::is_scored(mention.lang.as_deref())
                })
                .collect();
        }
        Ok(PreparedPage { mentions: unique, unscored, repeated_in_page, complaints: 0, intents: 0 })
    }

    /// Scores what [`Pipeline::prepare_page`] left unscored in `pages`, in one batch for the
    /// classifier (nothing without one).
    pub async fn score_pages(&self, pages: &mut [PreparedPage]) -> Result<(), PipelineError> {
        let Some(worker) = &self.classifier else { return Ok(()) };
        let texts: Vec<String> = pages
            .iter()
            .flat_map(|page| page.unscored.iter().map(|index| classify::text_for(&page.mentions[*index])))
            .collect();
        if texts.is_empty() {
            return Ok(());
        }
        let count = texts.len();
        let started = std::time::Instant::now();
        let mut signals = worker.classify(texts).await?.into_iter();
        metrics::histogram!("hark_classify_batch_seconds").record(started.elapsed().as_secs_f64());
        metrics::histogram!("hark_classify_batch_texts").record(count as f64);
        for page in pages {
            for index in std::mem::take(&mut page.unscored) {
                let Some(scored) = signals.next() else {
                    return Err(PipelineError::Classify(format!("the classifier answered fewer than {count} texts")));
                };
                let (complaint, intent) = worker.flags(&scored);
                page.complaints += usize::from(complaint);
                page.intents += usize::from(intent);
                page.mentions[index].signals = Some(scored);
            }
        }
        Ok(())
    }

    /// The rest of [`Pipeline::process_page`]: persists the prepared page with `cursor` in
    /// one transaction, then matches, routes and indexes what was new.
    pub async fn commit_page(
        &self,
        source_id: &str,
        page: PreparedPage,
        cursor: Option<&str>,
    ) -> Result<PageOutcome, PipelineError> {
        let PreparedPage { mentions: unique, repeated_in_page, complaints, intents, .. } = page;
        let saved = self
            .store
            .save_page_at(source_id, &unique, cursor, self.clock.now())
            .await
            .map_err(|source| PipelineError::Persist { source_id: source_id.to_owned(), source })?;
        let source = source_id.to_owned();
        metrics::counter!("hark_pages_total", "source" => source.clone(), "stage" => "persisted").increment(1);
        metrics::counter!("hark_mentions_total", "source" => source.clone(), "stage" => "new")
            .increment(saved.inserted.len() as u64);
        metrics::counter!("hark_mentions_total", "source" => source, "stage" => "duplicate")
            .increment((saved.duplicates + repeated_in_page) as u64);
        tracing::debug!(
            source_id,
            new = saved.inserted.len(),
            duplicates = saved.duplicates + repeated_in_page,
            "page saved"
        );
        // Match stage: the authors of new mentions, over everything they wrote, and their
        // prospect records. The page is saved by now: an error here is returned as
        // `PipelineError::Match`, and the full re-match after the next customer import
        // covers these mentions.
        let inserted: HashSet<&MentionId> = saved.inserted.iter().collect();
        let new_mentions: Vec<&Mention> = unique.iter().filter(|mention| inserted.contains(&mention.id)).collect();
        let matched = self
            .matching
            .after_save(&self.store, &new_mentions, self.clock.now())
            .await
            .map_err(|source| PipelineError::Match { source_id: source_id.to_owned(), source })?;
        // Route stage: the new mentions, and when matching changed who someone is, the
        // earlier mentions of the same authors too.
        let routed = self
            .route_after_save(&new_mentions, &matched)
            .await
            .map_err(|source| PipelineError::Route { source_id: source_id.to_owned(), source })?;
        self.store
            .mark_settled(&saved.inserted, self.clock.now())
            .await
            .map_err(|source| PipelineError::Route { source_id: source_id.to_owned(), source })?;
        // Mentions a process that died left saved but unmatched and unrouted: settled here
        // once they are old enough not to be on their way through another process.
        if let Err(err) = self.settle_leftovers(Some(self.leftover_age)).await {
            tracing::warn!(error = %err, "settling mentions a stopped process left unrouted (tried again with the next page)");
        }
        // Index stage, after matching so that customer links go in with the document. It
        // follows the store's insertion order, so whatever an earlier failure left out is
        // picked up here too.
        if let Some(indexer) = &self.index {
            indexer
                .catch_up(&index_feed::StoreFeed(&self.store), |_| {})
                .await
                .map_err(|source| PipelineError::Index { source_id: source_id.to_owned(), source })?;
        }
        Ok(PageOutcome {
            new_mentions: saved.inserted,
            complaints,
            intents,
            duplicates: saved.duplicates + repeated_in_page,
            linked: saved.linked,
            routed,
        })
    }

    /// Matches and routes mentions that were saved but never settled (their process died
    /// between saving a page and routing it), oldest first, up to 500 per call; with
    /// `min_age`, only those fetched at least that long ago. Returns how many it settled.
    /// Routing is idempotent (one item per mention, one event per cause), so settling a
    /// mention that another process is settling at the same moment changes nothing.
    pub async fn settle_leftovers(&self, min_age: Option<chrono::Duration>) -> Result<usize, PipelineError> {
        let now = self.clock.now();
        let leftovers =
            self.store.unsettled_mentions(min_age.map(|age| now - age), 500).await.map_err(PipelineError::Reroute)?;
        if leftovers.is_empty() {
            return Ok(0);
        }
        let mentions: Vec<&Mention> = leftovers.iter().collect();
        let matched = self
            .matching
            .after_save(&self.store, &mentions, now)
            .await
            .map_err(|source| PipelineError::Match { source_id: "(leftovers)".to_owned(), source })?;
        self.route_after_save(&mentions, &matched).await.map_err(PipelineError::Reroute)?;
        let ids: Vec<MentionId> = leftovers.iter().map(|mention| mention.id.clone()).collect();
        self.store.mark_settled(&ids, now).await.map_err(PipelineError::Reroute)?;
        tracing::info!(mentions = ids.len(), "settled mentions a stopped process had saved but not routed");
        Ok(ids.len())
    }

    /// [`Pipeline::settle_leftovers`] until none are left; returns how many it settled.
    pub async fn settle_all_leftovers(&self, min_age: Option<chrono::Duration>) -> Result<usize, PipelineError> {
        let mut total = 0;
        loop {
            match self.settle_leftovers(min_age).await? {
                0 => return Ok(total),
                settled => total += settled,
            }
        }
    }

    async fn route_after_save(
        &self,
        new_mentions: &[&Mention],
        matched: &MatchSummary,
    ) -> Result<RoutingSummary, StoreError> {
        let mut ids: Vec<MentionId> = new_mentions.iter().map(|mention| mention.id.clone()).collect();
        if matched.changed > 0 {
            let mut seen: HashSet<MentionId> = ids.iter().cloned().collect();
            let mut authors = HashSet::new();
            for mention in new_mentions {
                let author = matching::author_ref(mention);
                if matching::groups_mentions(&author) && authors.insert(author.clone()) {
                    for earlier in matching::author_mentions(&self.store, &author).await? {
                        if earlier.signals.is_some() && seen.insert(earlier.id.clone()) {
                            ids.push(earlier.id);
                        }
                    }
                }
            }
        }
        self.routing.route_mentions(&self.store, &ids, self.routing_thresholds(), self.clock.now()).await
    }

    /// A person's decision about a customer match ([`matching::decide`]), then the author's
    /// mentions re-routed at once, the items' history saying why (e.g. "customer match
    /// confirmed by alice": a complaint waiting in community moves to service).
    pub async fn decide_match(
        &self,
        decision: HumanDecision,
        mention: &MentionId,
        customer: &str,
        actor: &str,
    ) -> Result<hark_store::DecisionResult, PipelineError> {
        let now = self.clock.now();
        let result = matching::decide(&self.matching, &self.store, decision, mention, customer, actor, now)
            .await
            .map_err(PipelineError::Decide)?;
        if result.is_ok() {
            let verb = match decision {
                HumanDecision::Confirm => "confirmed",
                HumanDecision::Reject => "rejected",
                HumanDecision::Link => "linked",
                HumanDecision::Undo => "decision undone",
            };
            let cause = format!("customer match {verb} by {actor}");
            let ids = self.author_mention_ids(mention).await.map_err(PipelineError::Reroute)?;
            let trigger = RouteTrigger { actor, cause: Some(&cause) };
            self.routing
                .route_mentions_for(&self.store, &ids, self.routing_thresholds(), trigger, now)
                .await
                .map_err(PipelineError::Reroute)?;
        }
        Ok(result)
    }

    /// The mention and every other stored mention of its author (when the author is known
    /// by handle or email).
    async fn author_mention_ids(&self, mention: &MentionId) -> Result<Vec<MentionId>, StoreError> {
        let Some(stored) = self.store.mention(mention).await? else { return Ok(Vec::new()) };
        let author = matching::author_ref(&stored);
        if !matching::groups_mentions(&author) {
            return Ok(vec![stored.id]);
        }
        let mut ids: Vec<MentionId> =
            matching::author_mentions(&self.store, &author).await?.into_iter().map(|mention| mention.id).collect();
        if !ids.contains(&stored.id) {
            ids.push(stored.id);
        }
        Ok(ids)
    }

    /// Routes every mention with signals (after the configuration or the customers changed);
    /// items whose inputs did not change are left as they are.
    pub async fn route_all(&self) -> Result<RoutingSummary, PipelineError> {
        let ids = self.store.mention_ids_with_signals().await.map_err(PipelineError::Reroute)?;
        self.routing
            .route_mentions(&self.store, &ids, self.routing_thresholds(), self.clock.now())
            .await
            .map_err(PipelineError::Reroute)
    }

    /// After a customer import: every author matched again ([`MatchingStage::rematch_all`]),
    /// then every mention with signals routed again, so that new customers' complaints move
    /// to service and their buying intent becomes expansion.
    pub async fn rematch_and_route_all(&self) -> Result<(MatchSummary, RoutingSummary), PipelineError> {
        let matched = self.matching.rematch_all(&self.store, self.clock.now()).await.map_err(PipelineError::Rematch)?;
        let routed = self.route_all().await?;
        Ok((matched, routed))
    }

    /// Opens a run in the ledger for `source_id`.
    pub async fn start_run(&self, source_id: &str) -> Result<RunHandle, PipelineError> {
        let started_at = self.clock.now();
        let id = self
            .store
            .start_run(source_id, started_at)
            .await
            .map_err(|source| PipelineError::Ledger { source_id: source_id.to_owned(), source })?;
        Ok(RunHandle {
            run: Run {
                id,
                source_id: source_id.to_owned(),
                started_at,
                finished_at: None,
                pages: 0,
                new_mentions: 0,
                duplicates: 0,
                outcome: RunOutcome::Running,
                error_kind: None,
                error: None,
                rate_limit_wait_ms: 0,
            },
        })
    }
}

/// A page between [`Pipeline::prepare_page`] and [`Pipeline::commit_page`]: deduped, and
/// scored once [`Pipeline::score_pages`] ran.
#[derive(Debug, Clone)]
pub struct PreparedPage {
    mentions: Vec<Mention>,
    /// Indexes of the mentions still to be scored.
    unscored: Vec<usize>,
    repeated_in_page: usize,
    complaints: usize,
    intents: usize,
}

impl PreparedPage {
    /// Mentions the classifier still has to score.
    pub fn unscored(&self) -> usize {
        self.unscored.len()
    }
}

/// Keeps the first of any mentions that share an id within one page.
fn dedupe_within_page(mentions: Vec<Mention>) -> Vec<Mention> {
    let mut seen = HashSet::with_capacity(mentions.len());
    mentions.into_iter().filter(|mention| seen.insert(mention.id.clone())).collect()
}

/// A run in progress; counts pages as they are processed.
#[derive(Debug)]
pub struct RunHandle {
    run: Run,
}

impl RunHandle {
    pub fn id(&self) -> i64 {
        self.run.id
    }

    pub fn record_page(&mut self, outcome: &PageOutcome) {
        self.run.pages += 1;
        self.run.new_mentions += outcome.new_mentions.len() as i64;
        self.run.duplicates += outcome.duplicates as i64;
    }

    pub fn add_rate_limit_wait(&mut self, millis: i64) {
        self.run.rate_limit_wait_ms += millis;
    }

    pub fn run(&self) -> &Run {
        &self.run
    }

    /// Closes the run. `error` is `(kind, message)` when it failed; a failure after at least
    /// one page is `partial`, before any is `failed`.
    pub async fn finish(mut self, pipeline: &Pipeline, error: Option<(&str, String)>) -> Result<Run, PipelineError> {
        self.run.finished_at = Some(pipeline.clock.now());
        self.run.outcome = match (&error, self.run.pages) {
            (None, _) => RunOutcome::Ok,
            (Some(_), 0) => RunOutcome::Failed,
            (Some(_), _) => RunOutcome::Partial,
        };
        if let Some((kind, message)) = error {
            self.run.error_kind = Some(kind.to_owned());
            self.run.error = Some(message);
        }
        pipeline
            .store
            .finish_run(&self.run)
            .await
            .map_err(|source| PipelineError::Ledger { source_id: self.run.source_id.clone(), source })?;
        Ok(self.run)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use hark_core::{SourceKind, SystemClock};

    use super::*;

    fn mention(external_id: &str) -> Mention {
        Mention::new(SourceKind::parse("reddit").unwrap(), "r", external_id, "text", Utc::now())
    }

    #[tokio::test]
    async fn repeated_posts_are_stored_once_and_counted_as_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in(dir.path()).await.unwrap();
        let pipeline = Pipeline::new(store.clone(), Arc::new(SystemClock));
        let first =
            pipeline.process_page("r", vec![mention("a"), mention("b"), mention("a")], Some("c1")).await.unwrap();
        assert_eq!(first.new_mentions.len(), 2);
        assert_eq!(first.duplicates, 1);
        let second = pipeline.process_page("r", vec![mention("b"), mention("c")], Some("c2")).await.unwrap();
        assert_eq!(second.new_mentions.len(), 1);
        assert_eq!(second.duplicates, 1);
        assert_eq!(store.count_mentions().await.unwrap(), 3);
        assert_eq!(store.cursor("r").await.unwrap().as_deref(), Some("c2"));
    }

    #[tokio::test]
    async fn a_failed_run_after_pages_is_partial_and_leaves_a_gap() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in(dir.path()).await.unwrap();
        let pipeline = Pipeline::new(store.clone(), Arc::new(SystemClock));
        let mut run = pipeline.start_run("r").await.unwrap();
        let page = pipeline.process_page("r", vec![mention("a")], None).await.unwrap();
        run.record_page(&page);
        let finished = run.finish(&pipeline, Some(("rate_limited", "429 from upstream".into()))).await.unwrap();
        assert_eq!(finished.outcome, RunOutcome::Partial);
        let summaries = store.source_run_summaries().await.unwrap();
        assert_eq!(summaries[0].open_gaps, 1);

        let clean = pipeline.start_run("r").await.unwrap().finish(&pipeline, None).await.unwrap();
        assert_eq!(clean.outcome, RunOutcome::Ok);
        assert_eq!(store.source_run_summaries().await.unwrap()[0].open_gaps, 0);
    }
}
