//! Stable ids. A mention's id depends only on its source kind and the id the source gave it,
//! so the same post fetched twice (overlapping pages, restarts, search and listing) has the
//! same id everywhere, in every process, forever.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::mention::SourceKind;

/// 128 bits of SHA-256, hex encoded: short enough to read, far from colliding at any scale
/// hark will see.
pub(crate) fn stable_hash(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        // Length-prefix every part so that ("ab", "c") and ("a", "bc") differ.
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    digest[..16].iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The id of a mention: `m_` and a stable hash of (source kind, external id).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MentionId(String);

impl MentionId {
    pub fn new(kind: &SourceKind, external_id: &str) -> Self {
        Self(format!("m_{}", stable_hash(&[kind.as_str(), external_id])))
    }

    /// Wraps an id read back from storage or from a user.
    pub fn from_raw(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MentionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The id of a customer: `c_` and a stable hash of the record's CRM reference, so that a
/// re-import of the same CRM record lands on the same customer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CustomerId(String);

impl CustomerId {
    pub fn for_crm_ref(crm_ref: &str) -> Self {
        Self(format!("c_{}", stable_hash(&["crm", crm_ref])))
    }

    pub fn from_raw(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CustomerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn mention_id_is_stable_across_releases() {
        // Pinned: changing the hash would orphan every stored mention.
        let kind = SourceKind::parse("reddit").unwrap();
        assert_eq!(MentionId::new(&kind, "t3_abc").as_str(), "m_a29d3d3b27ba276c20d31c4c74e3e931");
        assert_eq!(MentionId::new(&kind, "t3_abc"), MentionId::new(&kind, "t3_abc"));
    }

    proptest! {
        #[test]
        fn different_inputs_give_different_ids(a in "[a-z0-9_]{1,12}", b in "[a-z0-9_]{1,12}") {
            let reddit = SourceKind::parse("reddit").unwrap();
            let hn = SourceKind::parse("hackernews").unwrap();
            prop_assert_ne!(MentionId::new(&reddit, &a), MentionId::new(&hn, &a));
            if a != b {
                prop_assert_ne!(MentionId::new(&reddit, &a), MentionId::new(&reddit, &b));
            }
        }
    }
}
