//! `hark demo`: the whole pipeline, offline, on the bundled sample (the run itself is
//! `hark_app::demo`); this prints what it did.

use std::net::SocketAddr;
use std::process::ExitCode;

use hark_app::Caller;
use hark_app::demo::{self, DemoRequest, DemoSummary, NOT_SCORED_BY_REQUEST};

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
        let logins = demo::logins(&app, &Caller::local()).await?;
        println!();
        println!("the web app: http://{addr}/  (Ctrl-C stops it)");
        let rows: Vec<Vec<String>> = logins
            .iter()
            .map(|login| vec![login.role.to_string(), login.name.clone(), login.password.clone()])
            .collect();
        print_table(&["ROLE", "USER", "PASSWORD (new each time)"], &rows)?;
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
        if pass.pass == 1 {
            println!("pass 1: every source once, through the same code as `hark pull`");
        } else {
            println!("pass {}: the same sources again; nothing is stored twice", pass.pass);
        }
        print_reports(&pass.sources, summary.scored)?;
    }
    println!();
    if summary.scored {
        let f = &summary.flagged;
        println!(
            "flagged    {} complaints ({} by customers: service), {} with buying intent ({} by non-customers: sales)",
            f.complaints, f.complaints_by_customers, f.intents, f.intents_by_non_customers
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
        "mentions   {} stored ({} by customers); {} post seen on two sources linked, not stored twice",
        thousands(t.mentions),
        t.mentions_by_customers,
        t.linked
    );
    println!("customers  {}", thousands(t.customers));
    println!("requests   {} answered by the replay server", t.requests_served);
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
    println!("next: hark --data-dir {dir} search 'acme NEAR/5 sync'   hark --data-dir {dir} prospects");
    println!("      hark --data-dir {dir} match list                 hark --data-dir {dir} customers show CRM-0001");
    Ok(())
}
