//! `/dashboard`: volume per day by source, the sentiment trend, share of voice against
//! competitors, open items and SLA breaches per queue, and time to first response. Charts are
//! drawn on the server as SVG with plotters and served as images, so the page needs no
//! script and the Content-Security-Policy stays strict; every chart has a table beside it
//! for people who would rather read (and for screen readers).

use std::collections::BTreeSet;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{Html, IntoResponse};
use hark_app::stats::{self, DaySentiment, Stats};
use maud::html;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::Deserialize;

use crate::ServerState;
use crate::web::layout::{self, Shell};
use crate::web::session::WebUser;
use crate::web::{WebError, WebResult};

#[derive(Debug, Default, Deserialize)]
pub struct Period {
    days: Option<i64>,
}

const CHARTS: [(&str, &str); 5] = [
    ("volume", "Mentions per day by source"),
    ("sentiment", "Sentiment trend (mean probability)"),
    ("share-of-voice", "Share of voice"),
    ("queues", "Open items and SLA breaches per queue"),
    ("first-response", "Median time to first response (hours)"),
];

pub async fn page(
    State(state): State<ServerState>,
    user: WebUser,
    headers: HeaderMap,
    Query(period): Query<Period>,
) -> WebResult {
    let days = period.days.unwrap_or(30);
    let figures =
        stats::stats(&state.app, &user.caller, days).await.map_err(|error| WebError::new(error, &user, &headers))?;
    let counts = hark_app::queue::counts(&state.app, &user.caller)
        .await
        .map_err(|error| WebError::new(error, &user, &headers))?;
    let shell = Shell { title: "Dashboard", caller: Some(&user.caller), csrf: Some(&user.csrf), section: "dashboard" };
    let body = html! {
        h1 { "Dashboard" }
        form.filters method="get" action="/dashboard" {
            label for="days" { "Days" }
            input #days type="number" name="days" min="1" max="366" value=(days);
            button type="submit" { "Show" }
        }
        div.charts {
            @for (name, title) in CHARTS {
                figure.chart {
                    img src=(format!("/dashboard/{name}.svg?days={days}")) alt=(title) width="640" height="320";
                    figcaption { (title) }
                }
            }
        }
        h2 { "Queues" }
        table.items {
            thead { tr { th scope="col" { "Queue" } th scope="col" { "Open" } th scope="col" { "SLA breaches" } th scope="col" { "Answered" } th scope="col" { "Median first response" } } }
            tbody { @for queue in &figures.queues {
                @let open: i64 = counts.queues.get(&queue.queue).map_or(0, |states| ["new", "assigned", "contacted"].iter().map(|state| states.get(*state).copied().unwrap_or(0)).sum());
                tr { td { (queue.queue) } td { (open) } td { (queue.sla_breaches) } td { (queue.responded) }
                    td { (queue.median_first_response_seconds.map_or("—".to_owned(), |seconds| format!("{:.1} h", seconds / 3600.0))) } }
            } }
        }
        h2 { "Share of voice" }
        table.items {
            thead { tr { th scope="col" { "Brand" } th scope="col" { "Mentions" } th scope="col" { "Share" } } }
            tbody { @for voice in &figures.share_of_voice {
                tr { td { (voice.name) @if voice.ours { " (us)" } } td { (voice.mentions) } td { (format!("{:.0}%", voice.share * 100.0)) } }
            } }
        }
        p.hint { "Since " (layout::time(Some(figures.since))) "." }
    };
    Ok(Html(layout::page(&shell, &body).into_string()).into_response())
}

pub async fn chart(
    State(state): State<ServerState>,
    user: WebUser,
    headers: HeaderMap,
    Path(file): Path<String>,
    Query(period): Query<Period>,
) -> WebResult {
    let name = file.strip_suffix(".svg").unwrap_or(&file);
    let figures = stats::stats(&state.app, &user.caller, period.days.unwrap_or(30))
        .await
        .map_err(|error| WebError::new(error, &user, &headers))?;
    let open: Vec<(String, i64)> = {
        let counts = hark_app::queue::counts(&state.app, &user.caller)
            .await
            .map_err(|error| WebError::new(error, &user, &headers))?;
        counts
            .queues
            .iter()
            .map(|(queue, states)| {
                (
                    queue.clone(),
                    ["new", "assigned", "contacted"].iter().map(|s| states.get(*s).copied().unwrap_or(0)).sum(),
                )
            })
            .collect()
    };
    let svg = draw(name, &figures, &open).map_err(|message| {
        WebError::new(hark_app::AppError::not_found("chart", format!("{name:?} ({message})")), &user, &headers)
    })?;
    Ok(([(CONTENT_TYPE, "image/svg+xml"), (CACHE_CONTROL, "private, max-age=60")], svg).into_response())
}

const WIDTH: u32 = 640;
const HEIGHT: u32 = 320;
const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// One chart as SVG text.
pub fn draw(name: &str, figures: &Stats, open: &[(String, i64)]) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|err| err.to_string())?;
        match name {
            "volume" => volume(&root, figures),
            "sentiment" => sentiment(&root, figures),
            "share-of-voice" => bars(
                &root,
                &figures.share_of_voice.iter().map(|v| (v.name.clone(), v.mentions as f64)).collect::<Vec<_>>(),
                "mentions",
            ),
            "queues" => queues(&root, figures, open),
            "first-response" => bars(
                &root,
                &figures
                    .queues
                    .iter()
                    .map(|q| (q.queue.clone(), q.median_first_response_seconds.unwrap_or(0.0) / 3600.0))
                    .collect::<Vec<_>>(),
                "hours",
            ),
            _ => return Err("unknown chart".to_owned()),
        }
        .map_err(|err| err.to_string())?;
        root.present().map_err(|err| err.to_string())?;
    }
    Ok(svg)
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;
type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Every day from `since` to the last day with data (or today), as `YYYY-MM-DD`.
fn every_day(figures: &Stats) -> Vec<String> {
    let first = figures.since.date_naive();
    let last_with_data =
        figures.volume.iter().filter_map(|day| chrono::NaiveDate::parse_from_str(&day.day, "%Y-%m-%d").ok()).max();
    let last = last_with_data.unwrap_or_else(|| chrono::Utc::now().date_naive()).max(first);
    first.iter_days().take_while(|day| *day <= last).map(|day| day.format("%Y-%m-%d").to_string()).collect()
}

fn volume(root: &Area<'_>, figures: &Stats) -> DrawResult {
    // Days without mentions are zeros on the line, not skipped.
    let days = every_day(figures);
    let count = |day: &str, source: &str| {
        figures
            .volume
            .iter()
            .find(|volume| volume.day == day)
            .and_then(|volume| volume.by_source.get(source).copied())
            .unwrap_or(0)
    };
    let sources: BTreeSet<&str> =
        figures.volume.iter().flat_map(|day| day.by_source.keys().map(String::as_str)).collect();
    let top = figures.volume.iter().map(|day| day.total).max().unwrap_or(0).max(1);
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(40)
        .build_cartesian_2d(0..days.len().max(2) - 1, 0..top + top / 10 + 1)?;
    chart
        .configure_mesh()
        .x_labels(6)
        .x_label_formatter(&|index| days.get(*index).map_or(String::new(), |day| day[5..].to_owned()))
        .draw()?;
    for (index, source) in sources.iter().enumerate() {
        let color = PALETTE[index % PALETTE.len()];
        let points: Vec<(usize, i64)> = days.iter().enumerate().map(|(at, day)| (at, count(day, source))).collect();
        chart.draw_series(points.iter().map(|point| Circle::new(*point, 2, color.filled())))?;
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))?
            .label(*source)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2)));
    }
    if !sources.is_empty() {
        chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK.mix(0.3)).draw()?;
    }
    Ok(())
}

fn sentiment(root: &Area<'_>, figures: &Stats) -> DrawResult {
    let days: Vec<&str> = figures.sentiment.iter().map(|day| day.day.as_str()).collect();
    // Half a day of room on both sides, so a single day is a visible point, not an edge.
    let right = days.len().max(1) as f64 - 0.5;
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(40)
        .build_cartesian_2d(-0.5..right, 0.0..1.0)?;
    chart
        .configure_mesh()
        .x_labels(days.len().clamp(1, 6))
        .x_label_formatter(&|x| {
            let index = x.round();
            if (x - index).abs() > 0.01 || index < 0.0 {
                return String::new();
            }
            days.get(index as usize).map_or(String::new(), |day| day[5..].to_owned())
        })
        .draw()?;
    for (label, color, pick) in [
        ("negative", PALETTE[3], (|day: &DaySentiment| day.negative) as fn(&DaySentiment) -> f64),
        ("positive", PALETTE[2], |day: &DaySentiment| day.positive),
    ] {
        let points: Vec<(f64, f64)> =
            figures.sentiment.iter().enumerate().map(|(index, day)| (index as f64, pick(day))).collect();
        chart.draw_series(points.iter().map(|point| Circle::new(*point, 4, color.filled())))?;
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2)));
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK.mix(0.3)).draw()?;
    Ok(())
}

/// Vertical bars, one per label.
fn bars(root: &Area<'_>, values: &[(String, f64)], unit: &str) -> DrawResult {
    let top = values.iter().map(|(_, value)| *value).fold(0.0_f64, f64::max).max(1.0);
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(50)
        .build_cartesian_2d((0..values.len().max(1) - 1).into_segmented(), 0.0..top * 1.1)?;
    chart
        .configure_mesh()
        .y_desc(unit)
        .x_label_formatter(&|segment| match segment {
            SegmentValue::CenterOf(index) | SegmentValue::Exact(index) => {
                values.get(*index).map_or(String::new(), |(label, _)| label.clone())
            }
            SegmentValue::Last => String::new(),
        })
        .draw()?;
    chart.draw_series(values.iter().enumerate().map(|(index, (_, value))| {
        Rectangle::new(
            [(SegmentValue::Exact(index), 0.0), (SegmentValue::Exact(index + 1), *value)],
            PALETTE[index % PALETTE.len()].filled(),
        )
    }))?;
    Ok(())
}

/// Open items and breaches side by side per queue.
fn queues(root: &Area<'_>, figures: &Stats, open: &[(String, i64)]) -> DrawResult {
    let rows: Vec<(String, i64, i64)> = figures
        .queues
        .iter()
        .map(|queue| {
            let open = open.iter().find(|(name, _)| *name == queue.queue).map_or(0, |(_, count)| *count);
            (queue.queue.clone(), open, queue.sla_breaches)
        })
        .collect();
    let top = rows.iter().map(|(_, open, breaches)| (*open).max(*breaches)).max().unwrap_or(0).max(1) as f64;
    // Room under the baseline for each queue's name, centred under its pair of bars.
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .y_label_area_size(40)
        .build_cartesian_2d(0.0..rows.len().max(1) as f64, -top * 0.12..top * 1.1)?;
    chart.configure_mesh().disable_x_mesh().disable_x_axis().draw()?;
    for (offset, color, label, pick) in [
        (0.1, PALETTE[0], "open", (|row: &(String, i64, i64)| row.1) as fn(&(String, i64, i64)) -> i64),
        (0.5, PALETTE[3], "SLA breaches", |row: &(String, i64, i64)| row.2),
    ] {
        chart
            .draw_series(rows.iter().enumerate().map(|(index, row)| {
                let x = index as f64 + offset;
                Rectangle::new([(x, 0.0), (x + 0.38, pick(row) as f64)], color.filled())
            }))?
            .label(label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    let style = TextStyle::from(("sans-serif", 14).into_font()).pos(Pos::new(HPos::Center, VPos::Center));
    chart.draw_series(
        rows.iter()
            .enumerate()
            .map(|(index, (name, _, _))| Text::new(name.clone(), (index as f64 + 0.5, -top * 0.06), style.clone())),
    )?;
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK.mix(0.3)).draw()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use hark_app::stats::QueueStats;

    use super::*;

    #[test]
    fn every_chart_draws_even_without_data() {
        let empty = Stats {
            since: chrono::Utc::now(),
            volume: Vec::new(),
            sentiment: Vec::new(),
            share_of_voice: Vec::new(),
            queues: Vec::new(),
        };
        for (name, _) in CHARTS {
            let svg = draw(name, &empty, &[]).unwrap();
            assert!(svg.starts_with("<svg"), "{name}");
        }
        assert!(draw("nope", &empty, &[]).is_err());
    }

    #[test]
    fn every_queue_is_named_under_its_bars() {
        let queue = |name: &str| QueueStats {
            queue: name.to_owned(),
            sla_breaches: 1,
            responded: 0,
            median_first_response_seconds: None,
        };
        let figures = Stats {
            since: chrono::Utc::now(),
            volume: Vec::new(),
            sentiment: Vec::new(),
            share_of_voice: Vec::new(),
            queues: vec![queue("service"), queue("sales"), queue("community")],
        };
        let open = [("service".to_owned(), 2), ("sales".to_owned(), 3), ("community".to_owned(), 1)];
        let svg = draw("queues", &figures, &open).unwrap();
        for name in ["service", "sales", "community"] {
            assert!(
                svg.contains(&format!(">\n{name}\n</text>")) || svg.contains(&format!(">{name}</text>")),
                "{name}: {svg}"
            );
        }
    }

    #[test]
    fn a_single_day_of_sentiment_is_drawn_as_points() {
        let figures = Stats {
            since: chrono::Utc::now(),
            volume: Vec::new(),
            sentiment: vec![DaySentiment { day: "2026-12-01".into(), negative: 0.7, positive: 0.1, mentions: 4 }],
            share_of_voice: Vec::new(),
            queues: Vec::new(),
        };
        let svg = draw("sentiment", &figures, &[]).unwrap();
        assert_eq!(svg.matches("<circle").count(), 2, "{svg}");
    }
}
