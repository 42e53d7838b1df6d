//! `hark match list|confirm|reject|undo|link|eval`: customer matches and people's decisions
//! about them, and the matcher's figures on a generated labelled set.

use std::process::ExitCode;

use hark_app::Caller;
use hark_app::matches::{self, DecideRequest, Decision, MatchEvalRequest, MatchListRequest};
use hark_core::MatchState;

use crate::cli::{MatchCommand, MatchPair, MatchStateArg};
use crate::context::Context;
use crate::output::{print_json, print_table};

pub async fn run(context: &Context, command: MatchCommand) -> anyhow::Result<ExitCode> {
    let code = match command {
        MatchCommand::List { state, limit } => list(context, state, limit).await,
        MatchCommand::Confirm(pair) => decide(context, Decision::Confirm, pair).await,
        MatchCommand::Reject(pair) => decide(context, Decision::Reject, pair).await,
        MatchCommand::Undo(pair) => decide(context, Decision::Undo, pair).await,
        MatchCommand::Link(pair) => decide(context, Decision::Link, pair).await,
        MatchCommand::Eval { customers, mentions, seed, export } => {
            evaluate(context, MatchEvalRequest { customers, mentions, seed, export }).await
        }
    };
    context.app.close().await;
    code
}

fn state(arg: MatchStateArg) -> MatchState {
    match arg {
        MatchStateArg::Auto => MatchState::Auto,
        MatchStateArg::Proposed => MatchState::Proposed,
        MatchStateArg::Confirmed => MatchState::Confirmed,
        MatchStateArg::Rejected => MatchState::Rejected,
    }
}

async fn list(context: &Context, filter: Option<MatchStateArg>, limit: i64) -> anyhow::Result<ExitCode> {
    let request = MatchListRequest { state: filter.map(state), limit };
    let listings = matches::list(&context.app, &Caller::local(), &request).await?;
    if context.json() {
        print_json(&listings)?;
    } else if listings.is_empty() {
        println!("no matches{}", filter.map(|s| format!(" in state {}", state(s).as_str())).unwrap_or_default());
    } else {
        let rows: Vec<Vec<String>> = listings
            .iter()
            .map(|listing| {
                let author = listing.author.handle.clone().or_else(|| listing.author.name.clone()).unwrap_or_default();
                vec![
                    listing.state.to_owned(),
                    format!("{:.2}", listing.confidence),
                    listing.method.to_owned(),
                    format!("{} ({})", listing.customer.name, listing.customer.crm_ref),
                    format!("{}:{author}", listing.source),
                    listing.mention_id.clone(),
                    super::snippet(&listing.text, 40),
                ]
            })
            .collect();
        print_table(&["STATE", "CONF", "METHOD", "CUSTOMER", "AUTHOR", "MENTION", "TEXT"], &rows)?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn decide(context: &Context, decision: Decision, pair: MatchPair) -> anyhow::Result<ExitCode> {
    let request = DecideRequest { decision, mention: pair.mention, customer: pair.customer };
    let matched = matches::decide(&context.app, &Caller::local(), &request).await?;
    if context.json() {
        print_json(&matched)?;
    } else {
        let verb = match decision {
            Decision::Confirm => "confirmed",
            Decision::Reject => "rejected (never proposed again for this author)",
            Decision::Link => "linked",
            Decision::Undo => "undid the decision on",
        };
        println!("{verb}: {} → {}", matched.mention_id, matched.customer_id);
    }
    Ok(ExitCode::SUCCESS)
}

async fn evaluate(context: &Context, request: MatchEvalRequest) -> anyhow::Result<ExitCode> {
    let seed = request.seed;
    let report = matches::eval(&context.app, &Caller::local(), &request).await?;
    if context.json() {
        print_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    let c = &report.composition;
    println!(
        "generated (seed {}): {} customers at {} companies ({} share one domain, {} look-alike names, {} share a \
         full name, {} on webmail, {} without email); {} mentions, {} by customers",
        seed,
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
