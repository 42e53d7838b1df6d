//! `hark queue list|show|move|assign|note`: the follow-up queues from the terminal.

use std::process::ExitCode;

use hark_app::queue::{self, ItemDetail, ItemView, ListItems, Transition};
use hark_app::{App, Caller};

use crate::cli::QueueCommand;
use crate::commands::snippet;
use crate::output::{print_json, print_table};

pub async fn run(app: &App, json: bool, command: QueueCommand) -> anyhow::Result<ExitCode> {
    let caller = Caller::local();
    match command {
        QueueCommand::List { queue, state, assignee, source, signal, limit } => {
            let request = ListItems { queue, state, assignee, source, signal, limit: Some(limit), offset: None };
            let items = queue::list(app, &caller, &request).await?;
            if json {
                print_json(&items)?;
            } else {
                print_items(&items)?;
            }
        }
        QueueCommand::Show { id } => print_detail(json, &queue::show(app, &caller, id).await?)?,
        QueueCommand::Move { id, state, reason } => {
            let request = Transition { state, reason, version: None };
            print_detail(json, &queue::transition(app, &caller, id, &request).await?)?;
        }
        QueueCommand::Assign { id, user } => {
            let user = Some(user).filter(|name| name != "-");
            print_detail(json, &queue::assign(app, &caller, id, user.as_deref(), None).await?)?;
        }
        QueueCommand::Note { id, text } => print_detail(json, &queue::note(app, &caller, id, &text).await?)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn print_items(items: &[ItemView]) -> anyhow::Result<()> {
    if items.is_empty() {
        println!("no items: routing fills the queues as mentions are ingested or pulled");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|item| {
            vec![
                item.item_id.to_string(),
                item.queue.clone(),
                item.state.clone(),
                item.priority.to_string(),
                item.due_at.map_or_else(|| "-".to_owned(), |due| due.format("%Y-%m-%d %H:%M").to_string())
                    + if item.overdue { " !" } else { "" },
                item.assignee.clone().unwrap_or_else(|| "-".to_owned()),
                snippet(&item.reason, 40),
                snippet(&item.mention.text, 50),
            ]
        })
        .collect();
    print_table(&["ID", "QUEUE", "STATE", "PRIO", "DUE (UTC)", "ASSIGNEE", "REASON", "TEXT"], &rows)?;
    Ok(())
}

fn print_detail(json: bool, detail: &ItemDetail) -> anyhow::Result<()> {
    if json {
        return print_json(detail);
    }
    let item = &detail.item;
    let mention = &item.mention;
    println!(
        "item {}  {} queue, {}  priority {}  version {}",
        item.item_id, item.queue, item.state, item.priority, item.version
    );
    println!("reason    {}", item.reason);
    if let Some(due) = item.due_at {
        println!("due       {}{}", due.format("%Y-%m-%d %H:%M UTC"), if item.overdue { "  (overdue)" } else { "" });
    }
    println!("assignee  {}", item.assignee.as_deref().unwrap_or("-"));
    let author = mention.author.handle.as_deref().or(mention.author.name.as_deref()).unwrap_or("-");
    let published = mention
        .published_at
        .map_or_else(|| "an unknown date".to_owned(), |at| at.format("%Y-%m-%d %H:%M UTC").to_string());
    println!("post      {} by {author} on {published}", mention.source);
    if let Some(url) = &mention.url {
        println!("          {url}");
    }
    if let Some(customer) = &mention.customer {
        println!(
            "customer  {} ({}) {} by {} at {:.2}",
            customer.name, customer.crm_ref, customer.state, customer.method, customer.confidence
        );
    }
    if let Some(signals) = &mention.signals {
        println!(
            "signals   {} complaint {:.2} intent {:.2}{}",
            signals.sentiment,
            signals.complaint,
            signals.intent,
            if signals.cues.is_empty() { String::new() } else { format!("  cues: {}", signals.cues.join("; ")) }
        );
    }
    println!();
    println!("{}", mention.text.trim());
    println!();
    for entry in &detail.history {
        let change = match (&entry.from, &entry.to) {
            (Some(from), Some(to)) => format!("{from} → {to}"),
            (None, Some(to)) => to.clone(),
            _ => String::new(),
        };
        let reason = entry.reason.as_deref().map(|reason| format!(" ({reason})")).unwrap_or_default();
        println!("{}  {:<10} {:<9} {change}{reason}", entry.at.format("%Y-%m-%d %H:%M"), entry.actor, entry.action);
    }
    for note in &detail.notes {
        println!("{}  {:<10} note      {}", note.at.format("%Y-%m-%d %H:%M"), note.author, note.text);
    }
    Ok(())
}
