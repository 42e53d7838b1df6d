//! CRM customer records and the links between mentions and customers.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{CustomerId, MentionId};

/// A customer record imported from a CRM. hark does not own these: the CRM does, and a
/// re-import with the same `crm_ref` updates the record in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub id: CustomerId,
    /// The record's id in the source CRM (HubSpot "Record ID", Salesforce "Contact ID"...).
    pub crm_ref: String,
    pub name: String,
    /// Lower case, trimmed.
    pub emails: Vec<String>,
    pub company: Option<String>,
    /// Lower case, without scheme, `www.` or path.
    pub domains: Vec<String>,
    /// Handle per source kind (`reddit` → `spez`), normalised by [`crate::handle::normalize`].
    pub handles: BTreeMap<String, String>,
    pub products: Vec<String>,
    pub tier: Option<String>,
    pub owner: Option<String>,
    /// Columns of the import that hark has no field for, kept as they were.
    pub extra: BTreeMap<String, String>,
    pub updated_at: DateTime<Utc>,
}

impl Customer {
    /// A hash of everything the record says, ignoring when it was written: equal fingerprints
    /// mean a re-import has nothing to change.
    pub fn content_fingerprint(&self) -> String {
        let content = serde_json::json!([
            self.crm_ref,
            self.name,
            self.emails,
            self.company,
            self.domains,
            self.handles,
            self.products,
            self.tier,
            self.owner,
            self.extra,
        ]);
        crate::id::stable_hash(&[&content.to_string()])
    }
}

/// How a mention's author was linked to a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchMethod {
    Handle,
    Email,
    Domain,
    NameCompany,
    Manual,
}

impl MatchMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchMethod::Handle => "handle",
            MatchMethod::Email => "email",
            MatchMethod::Domain => "domain",
            MatchMethod::NameCompany => "name_company",
            MatchMethod::Manual => "manual",
        }
    }
}

/// Where a match stands: the machine proposes, people decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchState {
    /// Confident enough to act on without a person.
    Auto,
    /// Waiting for a person to confirm or reject.
    Proposed,
    Confirmed,
    /// A person said no; never proposed again for the same pair.
    Rejected,
}

impl MatchState {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchState::Auto => "auto",
            MatchState::Proposed => "proposed",
            MatchState::Confirmed => "confirmed",
            MatchState::Rejected => "rejected",
        }
    }
}

/// A link between a mention and the customer who (probably) wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    pub mention_id: MentionId,
    pub customer_id: CustomerId,
    pub method: MatchMethod,
    pub confidence: f32,
    /// Which fields agreed, e.g. `{"handle": "spez"}`.
    pub evidence: BTreeMap<String, String>,
    pub state: MatchState,
}
