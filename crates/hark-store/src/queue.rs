//! Queue items: counts for now; routing (hark-pipeline) fills the queues.

use hark_core::{Queue, QueueState};

use crate::{Result, Store, StoreError, query_error};

/// How many items one queue holds in one state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueCount {
    pub queue: Queue,
    pub state: QueueState,
    pub count: i64,
}

impl Store {
    /// Item counts per queue and state; pairs with no items are left out.
    pub async fn queue_counts(&self) -> Result<Vec<QueueCount>> {
        let rows: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT queue, state, COUNT(*) FROM queue_items GROUP BY queue, state")
                .fetch_all(&self.pool)
                .await
                .map_err(query_error("counting queue items"))?;
        rows.into_iter()
            .map(|(queue, state, count)| {
                let queue = Queue::ALL
                    .into_iter()
                    .find(|q| q.as_str() == queue)
                    .ok_or_else(|| StoreError::Corrupt { what: "queue name", detail: queue.clone() })?;
                let state = QueueState::parse(&state)
                    .ok_or_else(|| StoreError::Corrupt { what: "queue state", detail: state })?;
                Ok(QueueCount { queue, state, count })
            })
            .collect()
    }
}
