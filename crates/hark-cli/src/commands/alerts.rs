//! `hark alerts deliver|list|replay`: webhook deliveries from the terminal.

use std::process::ExitCode;

use hark_app::alerts::{self, DeadLetterView, DeliverySummary};
use hark_app::{App, Caller};

use crate::output::{print_json, print_table};

/// Outbound webhooks (`[[webhooks]]` in hark.toml). `hark serve` delivers on its own every
/// `[alerts] deliver_every`; these commands are for a pass by hand and for dead letters.
#[derive(Debug, clap::Subcommand)]
pub enum AlertsCommand {
    /// Delivers every alert due now, once each, and says how it went.
    ///
    /// A failed delivery (any answer but 2xx, or a network error) is retried by later passes
    /// after a growing wait (`[alerts] retry_base`, doubling up to `retry_max`); after
    /// `max_attempts` failures it becomes a dead letter.
    Deliver,
    /// Lists dead letters: deliveries given up, most recent first, with their last error.
    List {
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Makes dead letters due again (their attempts start over); the next pass delivers them.
    ///
    /// Without flags, every dead letter. Fix the receiver first: `hark alerts list` shows
    /// why they failed.
    Replay {
        /// Only those of this webhook (its `id` in hark.toml).
        #[arg(long)]
        target: Option<String>,
        /// Only those of this event (the OUTBOX column of `hark alerts list`).
        #[arg(long)]
        id: Option<i64>,
    },
}

pub async fn run(app: &App, json: bool, command: AlertsCommand) -> anyhow::Result<ExitCode> {
    let caller = Caller::local();
    match command {
        AlertsCommand::Deliver => {
            let summary = alerts::deliver(app, &caller).await?;
            if json {
                print_json(&summary)?;
            } else {
                print_summary(&summary);
            }
            // Failures are retried later; a pass that gave deliveries up needs a person.
            if summary.dead > 0 {
                return Ok(ExitCode::FAILURE);
            }
        }
        AlertsCommand::List { limit } => {
            let letters = alerts::dead_letters(app, &caller, limit).await?;
            if json {
                print_json(&letters)?;
            } else {
                print_letters(&letters)?;
            }
        }
        AlertsCommand::Replay { target, id } => {
            let replayed = alerts::replay(app, &caller, target.as_deref(), id).await?;
            if json {
                print_json(&serde_json::json!({ "replayed": replayed }))?;
            } else if replayed == 0 {
                println!("no dead letters matched");
            } else {
                println!("{replayed} dead letter(s) due again: `hark alerts deliver` (or the server) sends them");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_summary(summary: &DeliverySummary) {
    let DeliverySummary { delivered, failed, dead, skipped } = *summary;
    println!(
        "delivered {delivered}, failed {failed} (retried later), dead {dead}, skipped {skipped} (topics not subscribed)"
    );
    if dead > 0 {
        println!("see `hark alerts list`, fix the receiver, then `hark alerts replay`");
    }
}

fn print_letters(letters: &[DeadLetterView]) -> anyhow::Result<()> {
    if letters.is_empty() {
        println!("no dead letters");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = letters
        .iter()
        .map(|letter| {
            vec![
                letter.outbox_id.to_string(),
                letter.target.clone(),
                letter.topic.clone(),
                letter.event_id.clone().unwrap_or_else(|| "-".to_owned()),
                letter.attempts.to_string(),
                letter.dead_at.map_or_else(|| "-".to_owned(), |at| at.format("%Y-%m-%d %H:%M").to_string()),
                letter.last_error.clone().unwrap_or_else(|| "-".to_owned()),
            ]
        })
        .collect();
    print_table(&["OUTBOX", "TARGET", "TOPIC", "EVENT", "ATTEMPTS", "DEAD SINCE", "LAST ERROR"], &rows)?;
    Ok(())
}
