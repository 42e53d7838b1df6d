//! `hark demo`: the whole pipeline, offline, on the bundled sample (the run itself is
//! `hark_app::demo`); this prints what it did.

use std::net::SocketAddr;
use std::process::ExitCode;

use hark_app::Caller;
use hark_app::demo::{self, DemoPasswords, DemoRequest, DemoSummary, NOT_SCORED_BY_REQUEST};

use super::pull::print_reports;
use crate::cli::GlobalArgs;
use crate::commands::EXIT_PARTIAL;
use crate::output::{print_json, print_table, thousands};

pub async fn run(
    global: GlobalArgs,
    fresh: bool,
    classify: bool,
    serve: Option<SocketAddr>,
    serve_only: bool,
) -> anyhow::Result<ExitCode> {
    if let Some(config) = &global.config {
        tracing::warn!(config = %config.display(), "the demo brings its own configuration; this file is not read");
    }
    let mut code = ExitCode::SUCCESS;
    if !serve_only {
        let request = DemoRequest { data_dir: global.data_dir.clone(), fresh, classify };
        let summary = demo::demo(&Caller::local(), &request).await?;
        if global.json {
            print_json(&summary)?;
        } else {
            print_summary(&summary)?;
        }
        if summary.failed() {
            code = ExitCode::from(EXIT_PARTIAL);
        }
    }
    if let Some(addr) = serve {
        let app = demo::serving_app(&global.data_dir)?;
        // Known passwords only where nobody else can reach the demo.
        let passwords = if addr.ip().is_loopback() { DemoPasswords::Known } else { DemoPasswords::Random };
        let logins = demo::logins(&app, &Caller::local(), passwords).await?;
        println!();
        println!("the web app: http://{addr}/  (Ctrl-C stops it); sign in as any of these demo users:");
        let rows: Vec<Vec<String>> = logins
            .iter()
            .map(|login| {
                vec![format!("http://{addr}/login"), login.role.to_string(), login.name.clone(), login.password.clone()]
            })
            .collect();
        let password = match passwords {
            DemoPasswords::Known => "PASSWORD",
            DemoPasswords::Random => "PASSWORD (new each time: the address is not loopback)",
        };
        print_table(&["URL", "ROLE", "USER", password], &rows)?;
        super::serve::run(&app, addr).await?;
    }
    Ok(code)
}

fn print_summary(summary: &DemoSummary) -> anyhow::Result<()> {
    println!("hark demo: the bundled sample, served by a local replay of each source at {}", summary.replay);
    println!("data dir   {}", summary.data_dir);
    println!("customers  {} imported from sample/customers.csv", summary.customers_imported);
    match &summary.not_scored {
        None => println!("scoring    the local model (sentiment, complaint, buying intent)"),
        Some(reason) => println!("scoring    off: {reason}"),
    }
    for pass in &summary.passes {
        println!();
        match pass.pass {
            1 => println!("pass 1: every source once, as it first stands, through the same code as `hark pull`"),
            2 => println!(
                "pass 2: the sources again, after more posts came out: each connector goes on from its cursor and \
                 walks the new pages"
            ),
            n => println!("pass {n}: the same sources once more; nothing is stored twice"),
        }
        print_reports(&pass.sources, summary.scored)?;
    }
    println!();
    if summary.scored {
        let f = &summary.flagged;
        println!(
            "flagged    {} complaints ({} by customers), {} with buying intent ({} by non-customers), {} negative",
            f.complaints, f.complaints_by_customers, f.intents, f.intents_by_non_customers, f.negative
        );
        if !summary.top.is_empty() {
            println!();
            println!("top flagged posts (highest scores first)");
        }
        for (rank, post) in summary.top.iter().enumerate() {
            let who = post.author.as_deref().unwrap_or("(no author)");
            let customer = post.customer.as_ref().map_or_else(
                || "not a customer".to_owned(),
                |c| match &c.company {
                    Some(company) => format!("customer {} ({company}, {})", c.name, c.crm_id),
                    None => format!("customer {} ({})", c.name, c.crm_id),
                },
            );
            let flags: Vec<String> = post
                .flags
                .iter()
                .map(|flag| format!("{flag} {:.2}", if *flag == "complaint" { post.complaint } else { post.intent }))
                .collect();
            println!("{}. {} · {who} on {} · {customer}", rank + 1, flags.join(" + "), post.source);
            println!("   \"{}\"", post.excerpt);
            let cues = if post.cues.is_empty() { String::new() } else { format!("; cues: {}", post.cues.join(", ")) };
            println!(
                "   complaint {:.2}, intent {:.2}, sentiment {}{cues}",
                post.complaint, post.intent, post.sentiment
            );
            if let Some(url) = &post.url {
                println!("   {url}");
            }
        }
    } else {
        let how = if summary.not_scored.as_deref() == Some(NOT_SCORED_BY_REQUEST) {
            "drop --no-classify"
        } else {
            "run `make model`, then `hark demo --fresh`"
        };
        println!("flagged    nothing: the posts were not scored ({how} to see complaints and buying intent)");
    }
    let t = &summary.totals;
    println!();
    println!(
        "mentions   {} stored ({} by customers); {} seen on a second source under the same URL: linked, not stored \
         twice",
        thousands(t.mentions),
        t.mentions_by_customers,
        t.linked
    );
    let queue = |name: &str| summary.queues.get(name).copied().unwrap_or_default();
    println!(
        "queues     {} service, {} sales, {} community (hark --data-dir {} queue list)",
        queue("service"),
        queue("sales"),
        queue("community"),
        summary.data_dir
    );
    let matches = &summary.matched.matches;
    let state = |name: &str| matches.get(name).copied().unwrap_or_default();
    println!(
        "customers  {} in the CRM; {} matched to authors ({} automatic and {} proposed matches)",
        thousands(t.customers),
        summary.matched.customers,
        state("auto"),
        state("proposed")
    );
    println!("requests   {} answered by the replay server", t.requests_served);
    println!(
        "time       {:.1} s for the pipeline: import, three pulls, scoring, matching, routing, indexing",
        summary.seconds
    );
    let rows: Vec<Vec<String>> = t
        .sources
        .iter()
        .map(|s| {
            vec![
                s.id.clone(),
                s.kind.clone().unwrap_or_else(|| "-".to_owned()),
                thousands(s.mentions),
                s.outcome.unwrap_or("-").to_owned(),
                s.gaps.to_string(),
            ]
        })
        .collect();
    print_table(&["SOURCE", "KIND", "MENTIONS", "OUTCOME", "GAPS"], &rows)?;
    let dir = &summary.data_dir;
    println!();
    println!("next: hark --data-dir {dir} queue list --queue service   hark --data-dir {dir} prospects");
    println!(
        "      hark --data-dir {dir} search 'acme NEAR/5 sync'     hark --data-dir {dir} match list --state proposed"
    );
    println!("      hark --data-dir {dir} customers show CRM-0003");
    Ok(())
}
