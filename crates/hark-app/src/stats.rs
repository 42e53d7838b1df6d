//! The figures behind the dashboard: volume per day and source, the sentiment trend, share of
//! voice (the brand against its competitors, from `[brand]` and `[[competitors]]`), and per
//! queue the time to first response and the SLA breaches.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use hark_index::mentions::{MentionIndex, SearchOptions};
use serde::Serialize;
use utoipa::ToSchema;

use crate::App;
use crate::access::{Caller, Permission};
use crate::error::{AppError, AppResult, Context};

/// Days a dashboard looks back at most.
pub const MAX_DAYS: i64 = 366;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Stats {
    /// The first day counted (UTC).
    pub since: DateTime<Utc>,
    pub volume: Vec<DayVolume>,
    pub sentiment: Vec<DaySentiment>,
    pub share_of_voice: Vec<Voice>,
    pub queues: Vec<QueueStats>,
}

/// Mentions published on one UTC day, per source kind.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayVolume {
    /// YYYY-MM-DD
    pub day: String,
    pub total: i64,
    pub by_source: BTreeMap<String, i64>,
}

/// Mean sentiment probabilities of one day's scored mentions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DaySentiment {
    pub day: String,
    pub negative: f64,
    pub positive: f64,
    pub mentions: i64,
}

/// Mentions naming one brand (ours or a competitor) in the period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Voice {
    pub name: String,
    /// true for the brand of `[brand]`.
    pub ours: bool,
    pub mentions: u64,
    /// Of all brand and competitor mentions counted, 0 to 1.
    pub share: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueStats {
    pub queue: String,
    /// Items open past their due time, or first answered after it.
    pub sla_breaches: i64,
    /// Items that have had a first response.
    pub responded: i64,
    /// Median seconds from an item's creation to its first response.
    pub median_first_response_seconds: Option<f64>,
}

/// The dashboard's figures over the last `days` days.
pub async fn stats(app: &App, caller: &Caller, days: i64) -> AppResult<Stats> {
    caller.require(Permission::ReadPublic)?;
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(AppError::invalid("invalid_days", format!("days must be 1 to {MAX_DAYS}")));
    }
    let store = app.store().await.internal("opening the store")?;
    let now = app.clock().now();
    let since = (now - Duration::days(days - 1)).date_naive().and_hms_opt(0, 0, 0).map_or(now, |start| start.and_utc());

    let mut volume: BTreeMap<String, DayVolume> = BTreeMap::new();
    for (day, source, count) in store.volume_per_day(since).await.internal("counting mentions per day")? {
        let entry =
            volume.entry(day.clone()).or_insert_with(|| DayVolume { day, total: 0, by_source: BTreeMap::new() });
        entry.total += count;
        entry.by_source.insert(source, count);
    }
    let sentiment = store
        .sentiment_per_day(since)
        .await
        .internal("reading the sentiment trend")?
        .into_iter()
        .map(|(day, negative, positive, mentions)| DaySentiment { day, negative, positive, mentions })
        .collect();

    let breaches = store.sla_breaches(now).await.internal("counting SLA breaches")?;
    let responses = store.first_response_times().await.internal("reading first responses")?;
    let queues = caller
        .queues()
        .into_iter()
        .map(|queue| {
            let response = responses.iter().find(|(q, _, _)| *q == queue);
            QueueStats {
                queue: queue.as_str().to_owned(),
                sla_breaches: breaches.iter().find(|(q, _)| *q == queue).map_or(0, |(_, n)| *n),
                responded: response.map_or(0, |(_, n, _)| *n),
                median_first_response_seconds: response.map(|(_, _, median)| *median),
            }
        })
        .collect();

    Ok(Stats {
        since,
        volume: volume.into_values().collect(),
        sentiment,
        share_of_voice: share_of_voice(app, since).await?,
        queues,
    })
}

/// A search-language query matching any of `names` as a phrase.
fn any_of(names: &[String]) -> Option<String> {
    let phrases: Vec<String> = names
        .iter()
        .map(|name| name.replace('"', " ").trim().to_owned())
        .filter(|name| !name.is_empty())
        .map(|name| format!("\"{name}\""))
        .collect();
    (!phrases.is_empty()).then(|| phrases.join(" OR "))
}

async fn share_of_voice(app: &App, since: DateTime<Utc>) -> AppResult<Vec<Voice>> {
    let config = app.config();
    let mut brands: Vec<(String, bool, Vec<String>)> = Vec::new();
    if let Some(brand) = &config.brand {
        let mut names = vec![brand.name.clone()];
        names.extend(brand.aliases.iter().cloned());
        brands.push((brand.name.clone(), true, names));
    }
    for competitor in &config.competitors {
        let mut names = vec![competitor.name.clone()];
        names.extend(competitor.aliases.iter().cloned());
        brands.push((competitor.name.clone(), false, names));
    }
    if brands.is_empty() {
        return Ok(Vec::new());
    }
    let index_dir = app.index_dir();
    let since_day = since.format("%Y-%m-%d").to_string();
    let counts = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<(String, bool, u64)>> {
        let index = MentionIndex::open(&index_dir)?;
        index.reload()?;
        let mut counts = Vec::new();
        for (name, ours, names) in brands {
            let Some(query) = any_of(&names) else { continue };
            let query = hark_index::query::parse(&format!("({query}) AND published:{since_day}.."))
                .map_err(|err| anyhow::anyhow!("share of voice query for {name}: {err}"))?;
            let found = index.search(&query, &SearchOptions { limit: 1, collapse: false, order: None })?;
            counts.push((name, ours, found.total as u64));
        }
        Ok(counts)
    })
    .await
    .internal("counting brand mentions")?
    .internal("counting brand mentions in the index")?;
    let all: u64 = counts.iter().map(|(_, _, n)| n).sum();
    Ok(counts
        .into_iter()
        .map(|(name, ours, mentions)| Voice {
            name,
            ours,
            mentions,
            share: if all == 0 { 0.0 } else { mentions as f64 / all as f64 },
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brand_names_become_a_phrase_query() {
        assert_eq!(any_of(&["Acme CRM".into(), "acmecrm".into()]).as_deref(), Some("\"Acme CRM\" OR \"acmecrm\""));
        assert_eq!(any_of(&["say \"hi\"".into()]).as_deref(), Some("\"say  hi\""));
        assert_eq!(any_of(&["  ".into()]), None);
    }
}
