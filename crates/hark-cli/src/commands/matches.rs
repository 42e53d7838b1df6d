//! `hark match list|confirm|reject|undo|link|eval`: customer matches and people's decisions
//! about them, and the matcher's figures on a generated labelled set.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::Utc;
use hark_core::{MatchState, MentionId};
use hark_pipeline::matching::eval::{self, EvalConfig};
use hark_pipeline::matching::{self, HumanDecision};
use serde_json::json;

use crate::cli::{MatchCommand, MatchPair, MatchStateArg};
use crate::commands::import::whoami;
use crate::context::AppContext;
use crate::output::{print_json, print_table};

pub async fn run(context: &AppContext, command: MatchCommand) -> anyhow::Result<ExitCode> {
    match command {
        MatchCommand::List { state, limit } => list(context, state, limit).await,
        MatchCommand::Confirm(pair) => decide(context, HumanDecision::Confirm, pair).await,
        MatchCommand::Reject(pair) => decide(context, HumanDecision::Reject, pair).await,
        MatchCommand::Undo(pair) => decide(context, HumanDecision::Undo, pair).await,
        MatchCommand::Link(pair) => decide(context, HumanDecision::Link, pair).await,
        MatchCommand::Eval { customers, mentions, seed, export } => {
            evaluate(context, EvalConfig { customers, mentions, seed }, export).await
        }
    }
}

fn state(arg: MatchStateArg) -> MatchState {
    match arg {
        MatchStateArg::Auto => MatchState::Auto,
        MatchStateArg::Proposed => MatchState::Proposed,
        MatchStateArg::Confirmed => MatchState::Confirmed,
        MatchStateArg::Rejected => MatchState::Rejected,
    }
}

fn snippet(text: &str, chars: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= chars {
        flat
    } else {
        format!("{}…", flat.chars().take(chars - 1).collect::<String>())
    }
}

async fn list(context: &AppContext, filter: Option<MatchStateArg>, limit: i64) -> anyhow::Result<ExitCode> {
    let store = context.store().await?;
    let listings = store.list_matches(filter.map(state), limit.max(0)).await?;
    store.close().await;
    if context.global.json {
        let rows: Vec<serde_json::Value> = listings
            .iter()
            .map(|listing| {
                let matched = &listing.matched;
                json!({
                    "mention_id": matched.mention_id,
                    "customer": {
                        "id": matched.customer_id,
                        "crm_ref": listing.customer_crm_ref,
                        "name": listing.customer_name,
                    },
                    "method": matched.method.as_str(),
                    "confidence": matched.confidence,
                    "evidence": matched.evidence,
                    "state": matched.state.as_str(),
                    "source": listing.source_kind,
                    "author": {"handle": listing.author_handle, "name": listing.author_name},
                    "text": listing.text,
                    "updated_at": listing.updated_at,
                })
            })
            .collect();
        print_json(&rows)?;
    } else if listings.is_empty() {
        println!("no matches{}", filter.map(|s| format!(" in state {}", state(s).as_str())).unwrap_or_default());
    } else {
        let rows: Vec<Vec<String>> = listings
            .iter()
            .map(|listing| {
                let matched = &listing.matched;
                let author = listing.author_handle.clone().or_else(|| listing.author_name.clone()).unwrap_or_default();
                vec![
                    matched.state.as_str().to_owned(),
                    format!("{:.2}", matched.confidence),
                    matched.method.as_str().to_owned(),
                    format!("{} ({})", listing.customer_name, listing.customer_crm_ref),
                    format!("{}:{author}", listing.source_kind),
                    matched.mention_id.to_string(),
                    snippet(&listing.text, 40),
                ]
            })
            .collect();
        print_table(&["STATE", "CONF", "METHOD", "CUSTOMER", "AUTHOR", "MENTION", "TEXT"], &rows)?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn decide(context: &AppContext, decision: HumanDecision, pair: MatchPair) -> anyhow::Result<ExitCode> {
    let store = context.store().await?;
    let stage = context.matching_stage();
    let mention = MentionId::from_raw(pair.mention.trim());
    let result = matching::decide(&stage, &store, decision, &mention, pair.customer.trim(), &whoami(), Utc::now())
        .await
        .context("recording the decision")?;
    store.close().await;
    let matched = match result {
        Ok(matched) => matched,
        Err(err) => bail!("{err}; `hark match list` shows the matches"),
    };
    if context.global.json {
        print_json(&json!({
            "mention_id": matched.mention_id,
            "customer_id": matched.customer_id,
            "method": matched.method.as_str(),
            "confidence": matched.confidence,
            "state": matched.state.as_str(),
            "undone": decision == HumanDecision::Undo,
        }))?;
    } else {
        let verb = match decision {
            HumanDecision::Confirm => "confirmed",
            HumanDecision::Reject => "rejected (never proposed again for this author)",
            HumanDecision::Link => "linked",
            HumanDecision::Undo => "undid the decision on",
        };
        println!("{verb}: {} → {}", matched.mention_id, matched.customer_id);
    }
    Ok(ExitCode::SUCCESS)
}

async fn evaluate(context: &AppContext, config: EvalConfig, export: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    if config.customers == 0 || config.mentions == 0 {
        bail!("--customers and --mentions must be at least 1");
    }
    // The configured thresholds, so a change to `[matching]` can be measured before it is used.
    let thresholds = context.config.matching.match_config();
    let report = tokio::task::spawn_blocking(move || eval::run(config, thresholds, export.as_deref()))
        .await
        .context("the evaluation stopped")??;
    if context.global.json {
        print_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    let c = &report.composition;
    println!(
        "generated (seed {}): {} customers at {} companies ({} share one domain, {} look-alike names, {} share a \
         full name, {} on webmail, {} without email); {} mentions, {} by customers",
        config.seed,
        c.customers,
        c.companies,
        c.shared_domain_customers,
        c.lookalike_customers,
        c.customers_sharing_full_name,
        c.webmail_customers,
        c.customers_without_email,
        report.mentions,
        report.customer_mentions
    );
    let authors = |counts: &std::collections::BTreeMap<&str, usize>| {
        let total: usize = counts.values().sum();
        counts
            .iter()
            .map(|(name, count)| format!("{name} {:.0}%", 100.0 * *count as f64 / total.max(1) as f64))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!("customer authors: {}", authors(&c.customer_authors));
    println!("other authors: {}", authors(&c.other_authors));
    println!("thresholds: auto ≥ {:.2}, proposed ≥ {:.2}", report.auto_threshold, report.propose_threshold);
    println!(
        "automatic: {} matches, precision {:.4}, recall {:.4} ({} customer mentions have no identifying evidence)",
        report.auto, report.auto_precision, report.recall, report.unidentifiable_customer_mentions
    );
    println!(
        "proposed: {} ({:.1}% wrong); recall counting proposals {:.4}",
        report.proposed,
        100.0 * report.proposed_wrong_share,
        report.recall_with_proposed
    );
    let rows: Vec<Vec<String>> = report
        .by_method
        .iter()
        .map(|(method, figures)| {
            vec![
                (*method).to_owned(),
                figures.auto.to_string(),
                figures.auto_correct.to_string(),
                figures.proposed.to_string(),
                figures.proposed_correct.to_string(),
            ]
        })
        .collect();
    print_table(&["METHOD", "AUTO", "CORRECT", "PROPOSED", "CORRECT"], &rows)?;
    let cases = |counts: &std::collections::BTreeMap<&str, usize>| {
        counts.iter().map(|(case, count)| format!("{case} {count}")).collect::<Vec<_>>().join(", ")
    };
    println!("wrong automatic matches by true author: {}", cases(&report.wrong_auto_by_case));
    println!("customer mentions not matched automatically: {}", cases(&report.missed_by_case));
    println!("generated in {:.2}s, matched in {:.2}s", report.generate_seconds, report.match_seconds);
    Ok(ExitCode::SUCCESS)
}
