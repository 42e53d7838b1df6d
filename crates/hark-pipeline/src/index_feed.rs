//! The store as the index's [`MentionFeed`]: the index follows stored mentions without
//! depending on the store, and this adapter is the one place the two meet.

use hark_core::{MentionId, SequencedMention};
use hark_index::mentions::{FeedError, MentionFeed};
use hark_store::Store;

/// `store` as what the indexer follows: `indexer.catch_up(&StoreFeed(&store), ...)`.
#[derive(Debug, Clone, Copy)]
pub struct StoreFeed<'a>(pub &'a Store);

impl MentionFeed for StoreFeed<'_> {
    async fn max_seq(&self) -> Result<i64, FeedError> {
        self.0.max_inserted_seq().await.map_err(FeedError::new)
    }

    async fn mentions_after(&self, after: i64, limit: i64) -> Result<Vec<SequencedMention>, FeedError> {
        self.0.mentions_after(after, limit).await.map_err(FeedError::new)
    }

    async fn mentions_to_refresh(&self, up_to: i64, limit: i64) -> Result<Vec<SequencedMention>, FeedError> {
        self.0.mentions_to_refresh(up_to, limit).await.map_err(FeedError::new)
    }

    async fn clear_refresh(&self, ids: &[&MentionId]) -> Result<(), FeedError> {
        self.0.clear_refresh(ids).await.map_err(FeedError::new)
    }
}
