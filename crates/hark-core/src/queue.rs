//! Follow-up queues and prospects: what people work on.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{CustomerId, MentionId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Queue {
    Service,
    Sales,
    Community,
}

impl Queue {
    pub const ALL: [Queue; 3] = [Queue::Service, Queue::Sales, Queue::Community];

    pub fn as_str(self) -> &'static str {
        match self {
            Queue::Service => "service",
            Queue::Sales => "sales",
            Queue::Community => "community",
        }
    }
}

/// new → assigned → contacted → resolved | dismissed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QueueState {
    New,
    Assigned,
    Contacted,
    Resolved,
    Dismissed,
}

impl QueueState {
    pub const ALL: [QueueState; 5] =
        [QueueState::New, QueueState::Assigned, QueueState::Contacted, QueueState::Resolved, QueueState::Dismissed];

    pub fn as_str(self) -> &'static str {
        match self {
            QueueState::New => "new",
            QueueState::Assigned => "assigned",
            QueueState::Contacted => "contacted",
            QueueState::Resolved => "resolved",
            QueueState::Dismissed => "dismissed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == raw)
    }

    /// Whether a person may move an item from `self` to `next`. Finished items can be
    /// reopened (back to `new`), nothing else skips backwards.
    pub fn can_move_to(self, next: QueueState) -> bool {
        use QueueState::*;
        match (self, next) {
            (a, b) if a == b => false,
            (Resolved | Dismissed, New) => true,
            (Resolved | Dismissed, _) => false,
            (_, Resolved | Dismissed) => true,
            (New, Assigned | Contacted) | (Assigned, Contacted | New) | (Contacted, Assigned) => true,
            _ => false,
        }
    }
}

/// One mention waiting for a person in one queue. A mention has at most one item: routing
/// again moves it to another queue rather than opening a second one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueItem {
    pub id: i64,
    pub mention_id: MentionId,
    pub queue: Queue,
    pub reason: String,
    /// 0 (lowest) to 100.
    pub priority: i32,
    pub state: QueueState,
    pub assignee: Option<String>,
    pub notes: Option<String>,
    /// When the SLA runs out.
    pub due_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Bumped by every change; a person's edit names the version it saw.
    pub version: i64,
    /// E.g. `expansion`, `competitor`.
    pub tags: Vec<String>,
    /// The customer routing took the author for, if any.
    pub customer_id: Option<CustomerId>,
    /// When the item first left `new` (assigned, contacted, resolved or dismissed).
    pub first_response_at: Option<DateTime<Utc>>,
}

impl QueueState {
    /// Whether people still have to act on the item.
    pub fn is_open(self) -> bool {
        matches!(self, QueueState::New | QueueState::Assigned | QueueState::Contacted)
    }

    /// The states a person may move an item in this state to.
    pub fn next_states(self) -> Vec<QueueState> {
        Self::ALL.into_iter().filter(|next| self.can_move_to(*next)).collect()
    }
}

impl Queue {
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|queue| queue.as_str() == raw)
    }
}

impl std::fmt::Display for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for QueueState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An author who is not a customer, aggregated over their mentions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prospect {
    pub author: String,
    pub source: String,
    /// The highest buying-intent probability among their mentions.
    pub intent: f32,
    pub topics: Vec<String>,
    /// Mentions that carry the intent.
    pub evidence: Vec<MentionId>,
    pub last_seen: DateTime<Utc>,
    pub reach: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::QueueState::*;

    #[test]
    fn queue_state_transitions() {
        assert!(New.can_move_to(Assigned));
        assert!(Assigned.can_move_to(Contacted));
        assert!(Contacted.can_move_to(Resolved));
        assert!(New.can_move_to(Dismissed));
        assert!(Resolved.can_move_to(New));
        assert!(!Resolved.can_move_to(Contacted));
        assert!(!New.can_move_to(New));
    }
}
