//! Matches between mentions and customers, and the decisions people make about them.
//!
//! Two kinds of rows share the `matches` table: the machine's (state `auto` or `proposed`),
//! which matching replaces freely, and people's (`confirmed`, `rejected`, and manual links,
//! which are `confirmed` with method `manual`), which only a person changes. A rejection is
//! also remembered per author in `match_rejections`, so that the same author is never
//! proposed as the same customer again. Every human decision is written to the audit log in
//! the same transaction.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use hark_core::{CustomerId, Match, MatchMethod, MatchState, Mention, MentionId};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};

use crate::audit::{self, AuditEvent};
use crate::mentions::mention_from_row;
use crate::{Result, Store, StoreError, query_error, timestamp};

/// Mention columns for matching and prospects: everything but the raw payload.
pub(crate) const MENTION_COLUMNS: &str =
    "id, source_kind, source_id, external_id, url, author_handle, author_name, author_email,
    author_profile_url, author_reach, title, text, lang, published_at, fetched_at, thread_id, parent_id, score,
    replies, NULL AS raw_deflate, signals";

/// Who wrote a mention, as matching keys it: a source kind and the author's key there.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AuthorRef {
    pub source_kind: String,
    pub key: String,
}

/// Why a person's decision could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    #[error("no mention {0}")]
    NoMention(String),
    #[error("no customer {0}")]
    NoCustomer(String),
    #[error("mention {mention} has no match with customer {customer}; `hark match link` links them by hand")]
    NoMatch { mention: String, customer: String },
    #[error("the match is already {0}")]
    Already(&'static str),
    #[error("the match of mention {mention} with customer {customer} is {state}: {hint}")]
    NotAllowed { mention: String, customer: String, state: &'static str, hint: &'static str },
}

/// A decision's result: the store worked, but the decision may not apply.
pub type DecisionResult = std::result::Result<Match, DecisionError>;

/// What writing the machine's matches changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MachineWriteSummary {
    /// Mentions whose machine match was created, changed or removed.
    pub changed: usize,
    pub unchanged: usize,
    /// Mentions left alone because a person confirmed or linked them.
    pub human: usize,
}

/// A match with what a list needs to show it.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchListing {
    pub matched: Match,
    pub updated_at: DateTime<Utc>,
    pub customer_name: String,
    pub customer_crm_ref: String,
    pub source_kind: String,
    pub author_handle: Option<String>,
    pub author_name: Option<String>,
    pub text: String,
}

fn parse_method(raw: &str) -> Result<MatchMethod> {
    Ok(match raw {
        "handle" => MatchMethod::Handle,
        "email" => MatchMethod::Email,
        "domain" => MatchMethod::Domain,
        "name_company" => MatchMethod::NameCompany,
        "manual" => MatchMethod::Manual,
        other => return Err(StoreError::Corrupt { what: "match", detail: format!("unknown method {other:?}") }),
    })
}

/// Reads a match state name (`auto`, `proposed`, `confirmed`, `rejected`).
pub fn parse_state(raw: &str) -> Option<MatchState> {
    [MatchState::Auto, MatchState::Proposed, MatchState::Confirmed, MatchState::Rejected]
        .into_iter()
        .find(|state| state.as_str() == raw)
}

fn match_from_row(row: &AnyRow) -> Result<Match> {
    let evidence: String = row.get("evidence");
    let state: String = row.get("state");
    Ok(Match {
        mention_id: MentionId::from_raw(row.get::<String, _>("mention_id")),
        customer_id: CustomerId::from_raw(row.get::<String, _>("customer_id")),
        method: parse_method(&row.get::<String, _>("method"))?,
        confidence: row.get::<f64, _>("confidence") as f32,
        evidence: serde_json::from_str(&evidence)
            .map_err(|err| StoreError::Corrupt { what: "match evidence", detail: err.to_string() })?,
        state: parse_state(&state)
            .ok_or_else(|| StoreError::Corrupt { what: "match", detail: format!("unknown state {state:?}") })?,
    })
}

fn evidence_json(evidence: &BTreeMap<String, String>) -> String {
    serde_json::to_string(evidence).expect("string maps always serialise")
}

async fn insert_match(conn: &mut AnyConnection, matched: &Match, now: DateTime<Utc>) -> Result<()> {
    sqlx::query(
        "INSERT INTO matches (mention_id, customer_id, method, confidence, evidence, state, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (mention_id, customer_id) DO UPDATE SET method = excluded.method,
            confidence = excluded.confidence, evidence = excluded.evidence, state = excluded.state,
            updated_at = excluded.updated_at",
    )
    .bind(matched.mention_id.as_str())
    .bind(matched.customer_id.as_str())
    .bind(matched.method.as_str())
    .bind(f64::from(matched.confidence))
    .bind(evidence_json(&matched.evidence))
    .bind(matched.state.as_str())
    .bind(timestamp::encode(now))
    .execute(conn)
    .await
    .map_err(query_error("writing a match"))?;
    Ok(())
}

async fn find_match(conn: &mut AnyConnection, mention: &MentionId, customer: &CustomerId) -> Result<Option<Match>> {
    let row = sqlx::query("SELECT * FROM matches WHERE mention_id = $1 AND customer_id = $2")
        .bind(mention.as_str())
        .bind(customer.as_str())
        .fetch_optional(conn)
        .await
        .map_err(query_error("reading a match"))?;
    row.as_ref().map(match_from_row).transpose()
}

async fn check_subjects(
    conn: &mut AnyConnection,
    mention: &MentionId,
    customer: &CustomerId,
) -> Result<Option<DecisionError>> {
    let mention_exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM mentions WHERE id = $1")
        .bind(mention.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(query_error("looking up a mention"))?;
    if mention_exists.is_none() {
        return Ok(Some(DecisionError::NoMention(mention.to_string())));
    }
    let customer_exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM customers WHERE id = $1")
        .bind(customer.as_str())
        .fetch_optional(conn)
        .await
        .map_err(query_error("looking up a customer"))?;
    Ok(customer_exists.is_none().then(|| DecisionError::NoCustomer(customer.to_string())))
}

/// Who decides what about which pair, and when.
#[derive(Debug, Clone, Copy)]
pub struct DecisionRequest<'a> {
    pub mention: &'a MentionId,
    pub customer: &'a CustomerId,
    pub author: &'a AuthorRef,
    pub actor: &'a str,
    pub now: DateTime<Utc>,
}

impl DecisionRequest<'_> {
    fn no_match(&self) -> DecisionError {
        DecisionError::NoMatch { mention: self.mention.to_string(), customer: self.customer.to_string() }
    }
}

/// A decision about to be recorded: the audit action, the match as decided, and what it was.
struct Decided<'a> {
    action: &'static str,
    decided: &'a Match,
    previous: Option<&'a Match>,
}

/// Audits a decision and commits its transaction.
async fn close_decision(
    mut tx: Transaction<'static, Any>,
    decision: Decided<'_>,
    author: &AuthorRef,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let detail = audit_detail(decision.decided, author, decision.previous);
    let subject = decision.decided.mention_id.as_str();
    audit::append(&mut tx, &AuditEvent { at: now, actor, action: decision.action, subject, detail }).await?;
    tx.commit().await.map_err(query_error("committing a match decision"))
}

/// Forgets a person's rejection of `customer` for `author`.
async fn forget_rejection(conn: &mut AnyConnection, author: &AuthorRef, customer: &CustomerId) -> Result<()> {
    sqlx::query("DELETE FROM match_rejections WHERE source_kind = $1 AND author_key = $2 AND customer_id = $3")
        .bind(&author.source_kind)
        .bind(&author.key)
        .bind(customer.as_str())
        .execute(conn)
        .await
        .map_err(query_error("forgetting a rejection"))?;
    Ok(())
}

fn audit_detail(matched: &Match, author: &AuthorRef, previous: Option<&Match>) -> serde_json::Value {
    serde_json::json!({
        "mention": matched.mention_id,
        "customer": matched.customer_id,
        "method": matched.method.as_str(),
        "confidence": matched.confidence,
        "state": matched.state.as_str(),
        "previous_state": previous.map(|previous| previous.state.as_str()),
        "source_kind": author.source_kind,
        "author": author.key,
    })
}

impl Store {
    /// Matches by state (`auto`, `proposed`, `confirmed`, `rejected`), states without any left out.
    pub async fn count_matches_by_state(&self) -> Result<Vec<(String, i64)>> {
        sqlx::query_as("SELECT state, COUNT(*) FROM matches GROUP BY state ORDER BY state")
            .fetch_all(&self.pool)
            .await
            .map_err(query_error("counting matches"))
    }

    /// Every match row of these mentions.
    pub async fn matches_for_mentions(&self, ids: &[MentionId]) -> Result<Vec<Match>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let placeholders = crate::dialect::placeholders(1, chunk.len());
            // Only numbered placeholders are spliced in; every value is bound.
            let sql = sqlx::AssertSqlSafe(format!("SELECT * FROM matches WHERE mention_id IN ({placeholders})"));
            let mut query = sqlx::query(sql);
            for id in chunk {
                query = query.bind(id.as_str());
            }
            let rows = query.fetch_all(&self.pool).await.map_err(query_error("reading matches"))?;
            for row in &rows {
                out.push(match_from_row(row)?);
            }
        }
        Ok(out)
    }

    /// Every match row in the store (reports and evaluation).
    pub async fn all_matches(&self) -> Result<Vec<Match>> {
        let rows =
            sqlx::query("SELECT * FROM matches").fetch_all(&self.pool).await.map_err(query_error("reading matches"))?;
        rows.iter().map(match_from_row).collect()
    }

    /// Customers people rejected for this author.
    pub async fn match_rejections(&self, author: &AuthorRef) -> Result<Vec<CustomerId>> {
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT customer_id FROM match_rejections WHERE source_kind = $1 AND author_key = $2")
                .bind(&author.source_kind)
                .bind(&author.key)
                .fetch_all(&self.pool)
                .await
                .map_err(query_error("reading match rejections"))?;
        Ok(ids.into_iter().map(CustomerId::from_raw).collect())
    }

    /// Every rejection: author → customers people said it is not.
    pub async fn all_match_rejections(&self) -> Result<HashMap<AuthorRef, Vec<CustomerId>>> {
        let rows: Vec<(String, String, String)> =
            sqlx::query_as("SELECT source_kind, author_key, customer_id FROM match_rejections")
                .fetch_all(&self.pool)
                .await
                .map_err(query_error("reading match rejections"))?;
        let mut out: HashMap<AuthorRef, Vec<CustomerId>> = HashMap::new();
        for (source_kind, key, customer) in rows {
            out.entry(AuthorRef { source_kind, key }).or_default().push(CustomerId::from_raw(customer));
        }
        Ok(out)
    }

    /// Replaces the machine's match of each mention with `decision` (or with none), in one
    /// transaction. Mentions a person confirmed or linked keep exactly what the person said;
    /// a pair a person rejected is never written back. Unchanged rows keep their
    /// `updated_at`.
    pub async fn write_machine_matches(
        &self,
        decisions: &[(MentionId, Option<Match>)],
        now: DateTime<Utc>,
    ) -> Result<MachineWriteSummary> {
        let ids: Vec<MentionId> = decisions.iter().map(|(id, _)| id.clone()).collect();
        let existing = self.matches_for_mentions(&ids).await?;
        let mut by_mention: HashMap<&MentionId, Vec<&Match>> = HashMap::new();
        for row in &existing {
            by_mention.entry(&row.mention_id).or_default().push(row);
        }
        let mut summary = MachineWriteSummary::default();
        let mut tx = self.begin_write("starting to write matches").await?;
        for (mention, decision) in decisions {
            let rows = by_mention.get(mention).map_or(&[][..], Vec::as_slice);
            if rows.iter().any(|row| row.state == MatchState::Confirmed) {
                summary.human += 1;
                continue;
            }
            let decision = decision.as_ref().filter(|decision| {
                !rows.iter().any(|row| row.customer_id == decision.customer_id && row.state == MatchState::Rejected)
            });
            let machine: Vec<&&Match> =
                rows.iter().filter(|row| matches!(row.state, MatchState::Auto | MatchState::Proposed)).collect();
            let same = match (decision, machine.as_slice()) {
                (None, []) => true,
                (Some(decision), [only]) => {
                    only.customer_id == decision.customer_id
                        && only.state == decision.state
                        && only.method == decision.method
                        && (only.confidence - decision.confidence).abs() < 1e-4
                        && only.evidence == decision.evidence
                }
                _ => false,
            };
            if same {
                summary.unchanged += 1;
                continue;
            }
            summary.changed += 1;
            sqlx::query("DELETE FROM matches WHERE mention_id = $1 AND state IN ('auto', 'proposed')")
                .bind(mention.as_str())
                .execute(&mut *tx)
                .await
                .map_err(query_error("clearing machine matches"))?;
            if let Some(decision) = decision {
                insert_match(&mut tx, decision, now).await?;
            }
        }
        tx.commit().await.map_err(query_error("committing matches"))?;
        Ok(summary)
    }

    /// Opens a decision on (mention, customer): a transaction, both subjects checked to exist,
    /// and the pair's current match if any.
    async fn open_decision(
        &self,
        mention: &MentionId,
        customer: &CustomerId,
    ) -> Result<std::result::Result<(Transaction<'static, Any>, Option<Match>), DecisionError>> {
        let mut tx = self.begin_write("starting a match decision").await?;
        if let Some(err) = check_subjects(&mut tx, mention, customer).await? {
            return Ok(Err(err));
        }
        let previous = find_match(&mut tx, mention, customer).await?;
        Ok(Ok((tx, previous)))
    }

    /// A person confirms a match the machine made or proposed.
    pub async fn confirm_match(&self, request: &DecisionRequest<'_>) -> Result<DecisionResult> {
        let DecisionRequest { mention, customer, author, actor, now } = *request;
        let (mut tx, previous) = match self.open_decision(mention, customer).await? {
            Ok(opened) => opened,
            Err(err) => return Ok(Err(err)),
        };
        let Some(previous) = previous else { return Ok(Err(request.no_match())) };
        match previous.state {
            MatchState::Confirmed => return Ok(Err(DecisionError::Already("confirmed"))),
            MatchState::Rejected => {
                return Ok(Err(DecisionError::NotAllowed {
                    mention: mention.to_string(),
                    customer: customer.to_string(),
                    state: "rejected",
                    hint: "undo the rejection first (`hark match undo`)",
                }));
            }
            MatchState::Auto | MatchState::Proposed => {}
        }
        let confirmed = Match { state: MatchState::Confirmed, ..previous.clone() };
        // One person-approved customer per mention: other machine guesses go.
        sqlx::query(
            "DELETE FROM matches WHERE mention_id = $1 AND state IN ('auto', 'proposed') AND customer_id != $2",
        )
        .bind(mention.as_str())
        .bind(customer.as_str())
        .execute(&mut *tx)
        .await
        .map_err(query_error("clearing other machine matches"))?;
        insert_match(&mut tx, &confirmed, now).await?;
        close_decision(
            tx,
            Decided { action: "match.confirm", decided: &confirmed, previous: Some(&previous) },
            author,
            actor,
            now,
        )
        .await?;
        Ok(Ok(confirmed))
    }

    /// A person says this author is not this customer: the match is kept as `rejected`
    /// (created if the machine never proposed it) and the pair is remembered for the author.
    pub async fn reject_match(&self, request: &DecisionRequest<'_>) -> Result<DecisionResult> {
        let DecisionRequest { mention, customer, author, actor, now } = *request;
        let (mut tx, previous) = match self.open_decision(mention, customer).await? {
            Ok(opened) => opened,
            Err(err) => return Ok(Err(err)),
        };
        if previous.as_ref().is_some_and(|previous| previous.state == MatchState::Rejected) {
            return Ok(Err(DecisionError::Already("rejected")));
        }
        let rejected = match &previous {
            Some(previous) => Match { state: MatchState::Rejected, ..previous.clone() },
            None => Match {
                mention_id: mention.clone(),
                customer_id: customer.clone(),
                method: MatchMethod::Manual,
                confidence: 0.0,
                evidence: BTreeMap::new(),
                state: MatchState::Rejected,
            },
        };
        insert_match(&mut tx, &rejected, now).await?;
        sqlx::query(
            "INSERT INTO match_rejections (source_kind, author_key, customer_id, mention_id, actor, rejected_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(&author.source_kind)
        .bind(&author.key)
        .bind(customer.as_str())
        .bind(mention.as_str())
        .bind(actor)
        .bind(timestamp::encode(now))
        .execute(&mut *tx)
        .await
        .map_err(query_error("remembering a rejection"))?;
        close_decision(
            tx,
            Decided { action: "match.reject", decided: &rejected, previous: previous.as_ref() },
            author,
            actor,
            now,
        )
        .await?;
        Ok(Ok(rejected))
    }

    /// A person links a mention to a customer by hand (method `manual`, state `confirmed`);
    /// a rejection of the same pair for this author is lifted.
    pub async fn link_match(&self, request: &DecisionRequest<'_>) -> Result<DecisionResult> {
        let DecisionRequest { mention, customer, author, actor, now } = *request;
        let (mut tx, previous) = match self.open_decision(mention, customer).await? {
            Ok(opened) => opened,
            Err(err) => return Ok(Err(err)),
        };
        if previous.as_ref().is_some_and(|previous| previous.state == MatchState::Confirmed) {
            return Ok(Err(DecisionError::Already("confirmed")));
        }
        let linked = Match {
            mention_id: mention.clone(),
            customer_id: customer.clone(),
            method: MatchMethod::Manual,
            confidence: 1.0,
            evidence: BTreeMap::from([("linked_by".to_owned(), actor.to_owned())]),
            state: MatchState::Confirmed,
        };
        sqlx::query("DELETE FROM matches WHERE mention_id = $1 AND state IN ('auto', 'proposed')")
            .bind(mention.as_str())
            .execute(&mut *tx)
            .await
            .map_err(query_error("clearing machine matches"))?;
        forget_rejection(&mut tx, author, customer).await?;
        insert_match(&mut tx, &linked, now).await?;
        close_decision(
            tx,
            Decided { action: "match.link", decided: &linked, previous: previous.as_ref() },
            author,
            actor,
            now,
        )
        .await?;
        Ok(Ok(linked))
    }

    /// Takes back a person's decision (a confirmation, a rejection or a manual link): the row
    /// goes, a rejection is forgotten for the author, and the machine may match again.
    /// Returns the decision that was undone.
    pub async fn undo_match(&self, request: &DecisionRequest<'_>) -> Result<DecisionResult> {
        let DecisionRequest { mention, customer, author, actor, now } = *request;
        let (mut tx, previous) = match self.open_decision(mention, customer).await? {
            Ok(opened) => opened,
            Err(err) => return Ok(Err(err)),
        };
        let Some(previous) = previous else { return Ok(Err(request.no_match())) };
        if matches!(previous.state, MatchState::Auto | MatchState::Proposed) {
            return Ok(Err(DecisionError::NotAllowed {
                mention: mention.to_string(),
                customer: customer.to_string(),
                state: previous.state.as_str(),
                hint: "no person decided it, so there is nothing to undo; `hark match reject` removes it for good",
            }));
        }
        sqlx::query("DELETE FROM matches WHERE mention_id = $1 AND customer_id = $2")
            .bind(mention.as_str())
            .bind(customer.as_str())
            .execute(&mut *tx)
            .await
            .map_err(query_error("removing a decision"))?;
        if previous.state == MatchState::Rejected {
            forget_rejection(&mut tx, author, customer).await?;
        }
        close_decision(
            tx,
            Decided { action: "match.undo", decided: &previous, previous: Some(&previous) },
            author,
            actor,
            now,
        )
        .await?;
        Ok(Ok(previous))
    }

    /// Matches with their customer and mention, most recently changed first.
    pub async fn list_matches(&self, state: Option<MatchState>, limit: i64) -> Result<Vec<MatchListing>> {
        let rows = sqlx::query(
            "SELECT matches.*, customers.name AS customer_name, customers.crm_ref AS customer_crm_ref,
                mentions.source_kind, mentions.author_handle, mentions.author_name, mentions.text
             FROM matches JOIN customers ON customers.id = matches.customer_id
                JOIN mentions ON mentions.id = matches.mention_id
             WHERE $1 IS NULL OR matches.state = $1
             ORDER BY matches.updated_at DESC, matches.mention_id, matches.customer_id
             LIMIT $2",
        )
        .bind(state.map(MatchState::as_str))
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(query_error("listing matches"))?;
        rows.iter()
            .map(|row| {
                Ok(MatchListing {
                    matched: match_from_row(row)?,
                    updated_at: timestamp::decode(&row.get::<String, _>("updated_at"))?,
                    customer_name: row.get("customer_name"),
                    customer_crm_ref: row.get("customer_crm_ref"),
                    source_kind: row.get("source_kind"),
                    author_handle: row.get("author_handle"),
                    author_name: row.get("author_name"),
                    text: row.get("text"),
                })
            })
            .collect()
    }

    /// Mentions by one author handle on one source kind, oldest first (no raw payloads).
    pub async fn mentions_by_author_handle(&self, source_kind: &str, handle: &str) -> Result<Vec<Mention>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {MENTION_COLUMNS} FROM mentions WHERE source_kind = $1 AND author_handle = $2 ORDER BY inserted_seq"
        ));
        let rows = sqlx::query(sql)
            .bind(source_kind)
            .bind(handle)
            .fetch_all(&self.pool)
            .await
            .map_err(query_error("reading an author's mentions"))?;
        rows.iter().map(mention_from_row).collect()
    }

    /// Mentions with no author handle but this author email, on one source kind.
    pub async fn mentions_by_author_email(&self, source_kind: &str, email: &str) -> Result<Vec<Mention>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {MENTION_COLUMNS} FROM mentions WHERE source_kind = $1 AND author_email = $2 AND author_handle IS NULL
             ORDER BY inserted_seq"
        ));
        let rows = sqlx::query(sql)
            .bind(source_kind)
            .bind(email)
            .fetch_all(&self.pool)
            .await
            .map_err(query_error("reading an author's mentions"))?;
        rows.iter().map(mention_from_row).collect()
    }

    /// Every mention without its raw payload, in insertion order: the input of a full
    /// re-match.
    pub async fn mentions_without_raw(&self) -> Result<Vec<Mention>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {MENTION_COLUMNS} FROM mentions ORDER BY inserted_seq"));
        let rows = sqlx::query(sql).fetch_all(&self.pool).await.map_err(query_error("reading mentions"))?;
        rows.iter().map(mention_from_row).collect()
    }

    /// Changes whenever the customer set changes (count and latest update), so that
    /// derived lookups know when to rebuild.
    pub async fn customers_version(&self) -> Result<String> {
        let (count, latest): (i64, Option<String>) = sqlx::query_as("SELECT COUNT(*), MAX(updated_at) FROM customers")
            .fetch_one(&self.pool)
            .await
            .map_err(query_error("reading the customers' version"))?;
        Ok(format!("{count}/{}", latest.unwrap_or_default()))
    }
}
