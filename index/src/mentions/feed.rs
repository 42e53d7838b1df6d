//! What the indexer follows: the stored mentions in insertion order, and the queue of mentions
//! whose customer link changed since they were indexed.
//!
//! The index is derived data and does not know where mentions are kept; the pipeline adapts
//! the store to this trait. Futures are `Send`, so a catch-up can run inside spawned tasks.

use std::future::Future;

use hark_core::{MentionId, SequencedMention};

/// Why the feed could not be read; the cause is kept for the message and the log.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FeedError(Box<dyn std::error::Error + Send + Sync>);

impl FeedError {
    pub fn new(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self(source.into())
    }
}

/// The stored mentions, as the indexer reads them.
pub trait MentionFeed: Sync {
    /// The highest insertion sequence number (0 when there are no mentions).
    fn max_seq(&self) -> impl Future<Output = Result<i64, FeedError>> + Send;

    /// Up to `limit` mentions stored after `after`, in insertion order.
    fn mentions_after(
        &self,
        after: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<SequencedMention>, FeedError>> + Send;

    /// Up to `limit` mentions stored at or before `up_to` whose customer link changed since
    /// they were indexed, in insertion order.
    fn mentions_to_refresh(
        &self,
        up_to: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<SequencedMention>, FeedError>> + Send;

    /// Takes `ids` off the refresh queue: they were just indexed with their current link.
    fn clear_refresh(&self, ids: &[&MentionId]) -> impl Future<Output = Result<(), FeedError>> + Send;
}
