//! Customer matches: the list people review, their decisions (confirm, reject, undo, link by
//! hand), and the matcher's figures on a generated labelled set.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use hark_core::{MatchState, MentionId};
use hark_pipeline::matching::eval::{self, EvalConfig};
use hark_pipeline::matching::{HumanDecision, evidence};
use hark_store::DecisionError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use hark_pipeline::matching::eval::EvalReport;

use crate::App;
use crate::access::{Caller, Permission};
use crate::error::{AppError, AppResult, Context, ErrorKind};
use crate::views::AuthorView;

/// Which matches to list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(default)]
pub struct MatchListRequest {
    /// Only matches in this state (auto, proposed, confirmed, rejected).
    #[schema(value_type = Option<String>)]
    pub state: Option<MatchState>,
    pub limit: i64,
}

impl Default for MatchListRequest {
    fn default() -> Self {
        Self { state: None, limit: 50 }
    }
}

/// A match with its customer, author and the post.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MatchView {
    pub mention_id: String,
    pub customer: MatchCustomer,
    /// handle, email, domain, name_company or manual.
    pub method: &'static str,
    pub confidence: f32,
    /// Which fields agreed, e.g. `{"handle": "spez"}`.
    pub evidence: BTreeMap<String, String>,
    /// Why this customer, in words, e.g. "the display name “Jane Doe” is the customer's name".
    pub evidence_for: Vec<String>,
    /// What speaks against it, in words (a competitor named, another employer, a name that
    /// does not fit); any of these keeps a match from being automatic.
    pub evidence_against: Vec<String>,
    /// auto, proposed, confirmed or rejected.
    pub state: &'static str,
    /// The source kind of the mention.
    pub source: String,
    pub author: AuthorView,
    pub text: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MatchCustomer {
    pub id: String,
    pub crm_ref: String,
    pub name: String,
}

/// A person's decision about a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Confirm a match the machine made or proposed.
    Confirm,
    /// The author is not this customer; never proposed again for the author.
    Reject,
    /// Take back a confirmation, rejection or manual link; the machine re-evaluates.
    Undo,
    /// Link a mention to a customer by hand.
    Link,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
pub struct DecideRequest {
    pub decision: Decision,
    /// Mention id (`m_...`).
    pub mention: String,
    /// Customer: hark id (`c_...`), CRM id or email.
    pub customer: String,
}

/// The match after the decision.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DecisionResponse {
    pub mention_id: String,
    pub customer_id: String,
    pub method: &'static str,
    pub confidence: f32,
    pub state: &'static str,
    /// Whether the decision was an undo.
    pub undone: bool,
}

/// The generated labelled set to measure the matcher on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchEvalRequest {
    pub customers: usize,
    pub mentions: usize,
    pub seed: u64,
    /// Also write the set there as customers.csv and mentions.jsonl.
    pub export: Option<PathBuf>,
}

/// Matches with their customer, author and state, most recently changed first.
pub async fn list(app: &App, caller: &Caller, request: &MatchListRequest) -> AppResult<Vec<MatchView>> {
    caller.require(Permission::Matches)?;
    let store = app.store().await?;
    let listings = store.list_matches(request.state, request.limit.max(0)).await.internal("reading matches")?;
    Ok(listings
        .into_iter()
        .map(|listing| {
            let matched = listing.matched;
            let (evidence_for, evidence_against) = evidence::reasons(&matched.evidence);
            MatchView {
                mention_id: matched.mention_id.as_str().to_owned(),
                customer: MatchCustomer {
                    id: matched.customer_id.as_str().to_owned(),
                    crm_ref: listing.customer_crm_ref,
                    name: listing.customer_name,
                },
                method: matched.method.as_str(),
                confidence: matched.confidence,
                evidence: evidence::fields(&matched.evidence),
                evidence_for,
                evidence_against,
                state: matched.state.as_str(),
                source: listing.source_kind,
                author: AuthorView { handle: listing.author_handle, name: listing.author_name },
                text: listing.text,
                updated_at: listing.updated_at,
            }
        })
        .collect())
}

/// Records a person's decision about (mention, customer) in the audit log, re-evaluates the
/// author and re-routes their mentions, so the machine's view follows at once.
pub async fn decide(app: &App, caller: &Caller, request: &DecideRequest) -> AppResult<DecisionResponse> {
    caller.require(Permission::Matches)?;
    let decision = match request.decision {
        Decision::Confirm => HumanDecision::Confirm,
        Decision::Reject => HumanDecision::Reject,
        Decision::Undo => HumanDecision::Undo,
        Decision::Link => HumanDecision::Link,
    };
    let mention = MentionId::from_raw(request.mention.trim());
    // The pipeline re-evaluates the author and re-routes their mentions at once.
    let pipeline = app.pipeline(false).await?;
    let result = pipeline
        .decide_match(decision, &mention, request.customer.trim(), &caller.name)
        .await
        .internal("recording the decision")?;
    let matched = result.map_err(|err| decision_error(&err))?;
    Ok(DecisionResponse {
        mention_id: matched.mention_id.as_str().to_owned(),
        customer_id: matched.customer_id.as_str().to_owned(),
        method: matched.method.as_str(),
        confidence: matched.confidence,
        state: matched.state.as_str(),
        undone: request.decision == Decision::Undo,
    })
}

fn decision_error(err: &DecisionError) -> AppError {
    let (kind, code) = match err {
        DecisionError::NoMention(_) | DecisionError::NoCustomer(_) => (ErrorKind::NotFound, "not_found"),
        DecisionError::NoMatch { .. } => (ErrorKind::Conflict, "no_match"),
        DecisionError::Already(_) => (ErrorKind::Conflict, "already_decided"),
        DecisionError::NotAllowed { .. } => (ErrorKind::Conflict, "decision_not_allowed"),
    };
    AppError::new(kind, code, format!("{err}; `hark match list` shows the matches"))
}

/// Precision and recall of automatic matching, with the configured thresholds, on a
/// generated CRM and feed whose true authors are known.
pub async fn eval(app: &App, caller: &Caller, request: &MatchEvalRequest) -> AppResult<EvalReport> {
    caller.require(Permission::Admin)?;
    if request.customers == 0 || request.mentions == 0 {
        return Err(AppError::invalid("invalid_size", "--customers and --mentions must be at least 1"));
    }
    let config = EvalConfig { customers: request.customers, mentions: request.mentions, seed: request.seed };
    // The configured thresholds, so a change to `[matching]` can be measured before it is used.
    let thresholds = app.config().matching.match_config();
    let export = request.export.clone();
    tokio::task::spawn_blocking(move || eval::run(config, thresholds, export.as_deref()))
        .await
        .internal("the evaluation stopped")?
        .described()
}
