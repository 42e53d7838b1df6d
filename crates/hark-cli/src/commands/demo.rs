//! `hark demo`: the whole pipeline, offline, on the bundled sample.
//!
//! A loopback replay server (`hark-replay`) serves the sample recordings under
//! `sample/replay/<kind>/`, one small file per source kind in that source's own wire format
//! (plus the forum's robots.txt). The demo configuration is the brand of `sample/hark.toml`
//! with one `[[sources]]` entry per kind pointed at that server, validated like any
//! `hark.toml`. The sample customers are imported, every source is pulled once through the
//! code `hark pull` runs ([`pull::pull_sources`]), scored when the model is there, then pulled
//! a second time to show that nothing is stored twice; a summary of what happened follows.
//! The sample files are compiled in, so the demo runs from any directory, and it refuses a
//! data directory that already holds data unless told to wipe it (`--fresh`).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::Utc;
use hark_classifier::ModelPaths;
use hark_connectors::http::{HttpClient, HttpConfig};
use hark_core::{Mention, Signals};
use hark_pipeline::Pipeline;
use hark_pipeline::crm_import::{CrmFormat, parse_customers};
use hark_replay::{ReplayServer, Reply};
use serde::Serialize;

use super::import::whoami;
use super::pull::{self, SourceReport, print_reports};
use crate::cli::GlobalArgs;
use crate::commands::EXIT_PARTIAL;
use crate::config::{Config, ConfigOrigin, SourceConfig};
use crate::context::AppContext;
use crate::output::{print_json, print_table, thousands};

/// The sample's brand and competitors.
const SAMPLE_CONFIG: &str = include_str!("../../../../sample/hark.toml");

/// The sample CRM export.
const SAMPLE_CUSTOMERS: &str = include_str!("../../../../sample/customers.csv");

/// Why posts were not scored when the user asked so.
const NOT_SCORED_BY_REQUEST: &str = "--no-classify";

/// Flagged posts shown in the summary, best first.
const TOP_FLAGGED: usize = 5;

/// Characters of a post shown in the summary.
const EXCERPT_CHARS: usize = 160;

/// One file the replay server serves.
struct Served {
    /// The path prefix it answers.
    route: &'static str,
    body: &'static str,
    content_type: &'static str,
}

/// One source kind of the demo: what the replay serves for it and its `[[sources]]` entry.
struct DemoSource {
    kind: &'static str,
    served: &'static [Served],
    /// The `[[sources]]` entry's own fields (`kind`, `base_url` and the pace are added);
    /// `{base}` stands for the replay server's address.
    entry: &'static str,
}

/// Every source kind, each with the paths its connector requests (see the connector's module
/// doc). A test checks that every kind of the connector registry is here.
const SOURCES: &[DemoSource] = &[
    DemoSource {
        kind: "reddit",
        served: &[Served {
            route: "/r/crm+sales/search.json",
            body: include_str!("../../../../sample/replay/reddit/search.json"),
            content_type: "application/json; charset=UTF-8",
        }],
        entry: "id = \"reddit\"\nsubreddits = [\"CRM\", \"sales\"]\nqueries = [\"acme\"]\n",
    },
    DemoSource {
        kind: "hackernews",
        served: &[Served {
            route: "/api/v1/search_by_date",
            body: include_str!("../../../../sample/replay/hackernews/search_by_date.json"),
            content_type: "application/json",
        }],
        entry: "id = \"hackernews\"\nqueries = [\"acme crm\"]\n",
    },
    DemoSource {
        kind: "mastodon",
        served: &[Served {
            route: "/api/v1/timelines/tag/acmecrm",
            body: include_str!("../../../../sample/replay/mastodon/tag_acmecrm.json"),
            content_type: "application/json; charset=utf-8",
        }],
        entry: "id = \"fosstodon\"\ntags = [\"acmecrm\"]\n",
    },
    DemoSource {
        kind: "bluesky",
        served: &[Served {
            route: "/xrpc/app.bsky.feed.searchPosts",
            body: include_str!("../../../../sample/replay/bluesky/search_posts.json"),
            content_type: "application/json; charset=utf-8",
        }],
        entry: "id = \"bluesky\"\nqueries = [\"acme crm\"]\n",
    },
    DemoSource {
        kind: "stackexchange",
        served: &[Served {
            route: "/2.3/search/advanced",
            body: include_str!("../../../../sample/replay/stackexchange/search_advanced.json"),
            content_type: "application/json; charset=utf-8",
        }],
        entry: "id = \"stackoverflow\"\nsite = \"stackoverflow\"\nqueries = [\"acme crm\"]\n",
    },
    DemoSource {
        kind: "rss",
        served: &[Served {
            route: "/alerts/feeds/10429847562019384756/4411923311",
            body: include_str!("../../../../sample/replay/rss/google_alerts.xml"),
            content_type: "application/atom+xml; charset=utf-8",
        }],
        entry: "id = \"google-alerts\"\nfeeds = [\"{base}/alerts/feeds/10429847562019384756/4411923311\"]\n",
    },
    DemoSource {
        kind: "web",
        served: &[
            Served {
                route: "/community/threads/acme-sync-creating-duplicate-contacts.4411",
                body: include_str!("../../../../sample/replay/web/thread.html"),
                content_type: "text/html; charset=utf-8",
            },
            Served {
                route: "/robots.txt",
                body: include_str!("../../../../sample/replay/web/robots.txt"),
                content_type: "text/plain",
            },
        ],
        entry: "id = \"acme-forum\"\n\
                pages = [\"{base}/community/threads/acme-sync-creating-duplicate-contacts.4411/\"]\n\
                selectors = { item = \"article.message\", body = \".message-body\", author = \".message-author\", \
                date = \"time\", link = \"a.message-permalink\" }\nmax_pages = 1\n",
    },
];

/// The whole demo configuration: the sample's brand, then every source pointed at `base`. The
/// replay is local, so no source is paced.
fn demo_config(base: &str) -> anyhow::Result<Config> {
    let mut text = SAMPLE_CONFIG.to_owned();
    for source in SOURCES {
        text.push_str(&format!(
            "\n[[sources]]\nkind = \"{}\"\nbase_url = \"{base}\"\nrequests_per_minute = 60000\n",
            source.kind
        ));
        text.push_str(&source.entry.replace("{base}", base));
    }
    Config::parse(&text, Path::new("sample/hark.toml + the demo's sources"))
}

/// Every file of [`SOURCES`], served from one loopback server.
async fn start_replay() -> anyhow::Result<ReplayServer> {
    let routes: Vec<(&str, Vec<Reply>)> = SOURCES
        .iter()
        .flat_map(|source| source.served)
        .map(|served| (served.route, vec![Reply::new(200, served.body).header("Content-Type", served.content_type)]))
        .collect();
    ReplayServer::start(routes).await.context("starting the local replay server on 127.0.0.1")
}

/// Files a hark data directory holds (the store, its WAL, the index).
fn is_hark_data_dir(dir: &Path) -> anyhow::Result<bool> {
    if dir.join("hark.db").is_file() {
        return Ok(true);
    }
    let mut entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    Ok(entries.next().is_none())
}

/// Makes sure the demo writes to an empty data directory: wipes a hark data directory with
/// `fresh`, refuses one that holds data without it.
async fn prepare_data_dir(dir: &Path, fresh: bool) -> anyhow::Result<()> {
    if !dir.exists() {
        return std::fs::create_dir_all(dir).with_context(|| format!("creating the data directory {}", dir.display()));
    }
    if !dir.is_dir() {
        bail!("{} is not a directory; choose a data directory with --data-dir", dir.display());
    }
    if fresh {
        if !is_hark_data_dir(dir)? {
            bail!(
                "{} holds files but no hark.db, so it is not a hark data directory; --fresh only wipes hark data \
                 directories: choose another with --data-dir",
                dir.display()
            );
        }
        std::fs::remove_dir_all(dir).with_context(|| format!("wiping {}", dir.display()))?;
        return std::fs::create_dir_all(dir).with_context(|| format!("creating the data directory {}", dir.display()));
    }
    if !dir.join("hark.db").is_file() {
        return Ok(());
    }
    let store = hark_store::Store::open_in(dir)
        .await
        .with_context(|| format!("opening the data directory {}", dir.display()))?;
    let (mentions, customers) = (store.count_mentions().await?, store.count_customers().await?);
    store.close().await;
    if mentions > 0 || customers > 0 {
        bail!(
            "{} already holds {} mentions and {} customers; the demo runs on a data directory of its own. \
             Run `hark --data-dir {} demo --fresh` to wipe it and start over, or choose another directory \
             with --data-dir",
            dir.display(),
            thousands(mentions),
            thousands(customers),
            dir.display()
        );
    }
    Ok(())
}

/// What the demo did, printed as tables or (`--json`) as one JSON object.
#[derive(Debug, Serialize)]
struct Summary {
    data_dir: String,
    /// The replay server's address (it stops when the demo ends).
    replay: String,
    /// Whether new mentions were scored by the local model.
    scored: bool,
    /// Why they were not, when they were not.
    #[serde(skip_serializing_if = "Option::is_none")]
    not_scored: Option<String>,
    customers_imported: usize,
    /// Pass 1 reads every source; pass 2 reads them again and stores nothing new.
    passes: Vec<Pass>,
    flagged: Flagged,
    /// The flagged posts with the highest scores.
    top: Vec<FlaggedPost>,
    totals: Totals,
}

#[derive(Debug, Serialize)]
struct Pass {
    pass: u8,
    sources: Vec<SourceReport>,
}

#[derive(Debug, Default, Serialize)]
struct Flagged {
    complaints: usize,
    /// Of the complaints: by authors matched to a customer (service's queue).
    complaints_by_customers: usize,
    intents: usize,
    /// Of the buying-intent posts: by authors who are not customers (sales' queue).
    intents_by_non_customers: usize,
}

#[derive(Debug, Serialize)]
struct FlaggedPost {
    id: String,
    source: String,
    kind: String,
    author: Option<String>,
    customer: Option<CustomerRef>,
    /// `complaint`, `intent` or both.
    flags: Vec<&'static str>,
    complaint: f32,
    intent: f32,
    sentiment: &'static str,
    cues: Vec<String>,
    excerpt: String,
    url: Option<String>,
}

#[derive(Debug, Serialize)]
struct CustomerRef {
    crm_id: String,
    name: String,
    company: Option<String>,
}

#[derive(Debug, Serialize)]
struct Totals {
    mentions: i64,
    customers: i64,
    /// Mentions whose author is matched to a customer.
    mentions_by_customers: usize,
    /// Posts seen on a second source under the same URL, linked rather than stored again.
    linked: usize,
    /// Requests the replay server answered over both passes.
    requests_served: usize,
    sources: Vec<SourceTotal>,
}

#[derive(Debug, Serialize)]
struct SourceTotal {
    id: String,
    kind: Option<String>,
    mentions: i64,
    outcome: Option<&'static str>,
    gaps: i64,
}

pub async fn run(global: GlobalArgs, fresh: bool, classify: bool) -> anyhow::Result<ExitCode> {
    if let Some(config) = &global.config {
        tracing::warn!(config = %config.display(), "the demo brings its own configuration; this file is not read");
    }
    prepare_data_dir(&global.data_dir, fresh).await?;
    let server = start_replay().await?;
    let config = demo_config(server.base_url())?;
    let context = AppContext { global, config, config_origin: ConfigOrigin::File };

    let not_scored = if classify {
        ModelPaths::locate().err().map(|missing| format!("{missing}; the posts are stored unscored"))
    } else {
        Some(NOT_SCORED_BY_REQUEST.to_owned())
    };
    let pipeline = context.pipeline(not_scored.is_none()).await?;
    let customers_imported = import_sample_customers(&pipeline).await?;

    let http = HttpClient::new(HttpConfig::default())?;
    let sources: Vec<&SourceConfig> = context.config.sources.iter().collect();
    let mut passes = Vec::new();
    for pass in 1..=2 {
        let reports = pull::pull_sources(&pipeline, &http, &sources).await?;
        passes.push(Pass { pass, sources: reports });
    }
    if let Some(indexer) = pipeline.indexer() {
        indexer.commit().context("committing the mention index")?;
    }

    let (flagged, top, mentions_by_customers) = flagged_posts(&pipeline).await?;
    let store = pipeline.store();
    let sources = super::sources::overview(&context, store, false)
        .await?
        .into_iter()
        .map(|source| SourceTotal {
            id: source.id,
            kind: source.kind,
            mentions: source.mentions,
            outcome: source.outcome,
            gaps: source.open_gaps,
        })
        .collect();
    let totals = Totals {
        mentions: store.count_mentions().await?,
        customers: store.count_customers().await?,
        mentions_by_customers,
        linked: passes.iter().flat_map(|pass| &pass.sources).map(|report| report.linked).sum(),
        requests_served: server.requests().len(),
        sources,
    };
    store.close().await;
    let summary = Summary {
        data_dir: context.global.data_dir.display().to_string(),
        replay: server.base_url().to_owned(),
        scored: not_scored.is_none(),
        not_scored,
        customers_imported,
        passes,
        flagged,
        top,
        totals,
    };
    let failed = summary
        .passes
        .iter()
        .flat_map(|pass| &pass.sources)
        .any(|report| report.outcome == "failed" || report.outcome == "partial");
    if context.global.json {
        print_json(&summary)?;
    } else {
        print_summary(&summary)?;
    }
    Ok(if failed { ExitCode::from(EXIT_PARTIAL) } else { ExitCode::SUCCESS })
}

/// Imports the sample CRM export into the pipeline's store; the number of customers.
async fn import_sample_customers(pipeline: &Pipeline) -> anyhow::Result<usize> {
    let parsed = parse_customers(SAMPLE_CUSTOMERS.as_bytes(), CrmFormat::Auto, Utc::now())
        .context("reading the bundled sample/customers.csv")?;
    pipeline
        .store()
        .apply_customer_import(&parsed.customers, &whoami(), "sample/customers.csv", false, Utc::now())
        .await
        .context("importing the sample customers")?;
    Ok(parsed.customers.len())
}

/// The flagged counts, the top flagged posts and the number of mentions by customers, from
/// what the store holds (flags at the loaded heads' thresholds).
async fn flagged_posts(pipeline: &Pipeline) -> anyhow::Result<(Flagged, Vec<FlaggedPost>, usize)> {
    let store = pipeline.store();
    let mut flagged = Flagged::default();
    let mut candidates = Vec::new();
    let mut by_customers = 0;
    let mut after = 0;
    loop {
        let batch = store.mentions_after(after, 1000).await?;
        let Some(last) = batch.last() else { break };
        after = last.seq;
        for stored in batch {
            by_customers += usize::from(stored.customer_id.is_some());
            let (Some(worker), Some(signals)) = (pipeline.classifier(), stored.mention.signals.as_ref()) else {
                continue;
            };
            let (complaint, intent) = worker.flags(signals);
            let customer = stored.customer_id.is_some();
            flagged.complaints += usize::from(complaint);
            flagged.complaints_by_customers += usize::from(complaint && customer);
            flagged.intents += usize::from(intent);
            flagged.intents_by_non_customers += usize::from(intent && !customer);
            if complaint || intent {
                candidates.push((stored, complaint, intent));
            }
        }
    }
    let strength = |signals: Option<&Signals>| signals.map_or(0.0, |s| s.complaint.max(s.intent));
    candidates
        .sort_by(|a, b| strength(b.0.mention.signals.as_ref()).total_cmp(&strength(a.0.mention.signals.as_ref())));
    let mut top = Vec::new();
    for (stored, complaint, intent) in candidates.into_iter().take(TOP_FLAGGED) {
        let customer = match &stored.customer_id {
            Some(id) => store.customer(id.as_str()).await?.map(|customer| CustomerRef {
                crm_id: customer.crm_ref,
                name: customer.name,
                company: customer.company,
            }),
            None => None,
        };
        top.push(flagged_post(stored.mention, customer, complaint, intent));
    }
    Ok((flagged, top, by_customers))
}

fn flagged_post(mention: Mention, customer: Option<CustomerRef>, complaint: bool, intent: bool) -> FlaggedPost {
    let signals = mention.signals.clone();
    let flags = [(complaint, "complaint"), (intent, "intent")]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
    let whole = match &mention.title {
        Some(title) if !mention.text.starts_with(title.as_str()) => format!("{title}: {}", mention.text),
        _ => mention.text.clone(),
    };
    FlaggedPost {
        id: mention.id.as_str().to_owned(),
        source: mention.source_id.clone(),
        kind: mention.source_kind.as_str().to_owned(),
        author: author_label(&mention.author),
        customer,
        flags,
        complaint: signals.as_ref().map_or(0.0, |s| s.complaint),
        intent: signals.as_ref().map_or(0.0, |s| s.intent),
        sentiment: signals.as_ref().map_or("unknown", |s| s.sentiment.as_str()),
        cues: signals.map(|s| s.cues).unwrap_or_default(),
        excerpt: excerpt(&whole),
        url: mention.url,
    }
}

/// `Name (handle)`, or whichever of the two is known.
fn author_label(author: &hark_core::Author) -> Option<String> {
    match (author.name.as_deref(), author.handle.as_deref()) {
        (Some(name), Some(handle)) if !name.eq_ignore_ascii_case(handle) => Some(format!("{name} ({handle})")),
        (_, Some(handle)) => Some(handle.to_owned()),
        (Some(name), None) => Some(name.to_owned()),
        (None, None) => None,
    }
}

/// The first [`EXCERPT_CHARS`] characters of `text` on one line, with an ellipsis when cut.
fn excerpt(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= EXCERPT_CHARS {
        return line;
    }
    let cut: String = line.chars().take(EXCERPT_CHARS).collect();
    format!("{}…", cut.trim_end())
}

fn print_summary(summary: &Summary) -> anyhow::Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_kind_has_a_demo_source() {
        for kind in hark_connectors::registry() {
            assert!(
                SOURCES.iter().any(|source| source.kind == kind.name),
                "{} has no replay in sample/replay/ and no entry in the demo",
                kind.name
            );
        }
    }

    #[test]
    fn the_demo_configuration_is_valid_and_builds_every_connector() {
        let config = demo_config("http://127.0.0.1:9").unwrap();
        assert_eq!(config.brand.as_ref().unwrap().name, "Acme CRM");
        assert_eq!(config.sources.len(), SOURCES.len());
        for (source, demo) in config.sources.iter().zip(SOURCES) {
            assert_eq!(source.kind, demo.kind);
            assert_eq!(source.base_url.as_deref(), Some("http://127.0.0.1:9"));
            let kind = hark_connectors::find(&source.kind).unwrap();
            let mut settings = hark_connectors::Settings::new(&source.id).with_base_url("http://127.0.0.1:9");
            for (name, value) in &source.fields {
                settings = settings.with(name, serde_json::to_value(value).unwrap());
            }
            assert!((kind.build)(&settings).is_ok(), "{}", source.id);
        }
    }

    #[test]
    fn excerpts_are_one_line_and_cut_on_characters() {
        assert_eq!(excerpt("a\n b\tc"), "a b c");
        let long = "é".repeat(EXCERPT_CHARS + 10);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
        assert!(cut.ends_with('…'));
    }

    #[tokio::test]
    async fn a_data_dir_with_data_is_refused_and_only_hark_dirs_are_wiped() {
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path().join("data");
        prepare_data_dir(&dir, false).await.unwrap();
        assert!(dir.is_dir(), "a missing data directory is created");

        let store = hark_store::Store::open_in(&dir).await.unwrap();
        let mention = Mention::new(
            hark_core::SourceKind::parse("reddit").unwrap(),
            "reddit",
            "t3_x".to_owned(),
            "Acme CRM".to_owned(),
            Utc::now(),
        );
        store.save_page("reddit", &[mention], None).await.unwrap();
        store.close().await;
        let refused = prepare_data_dir(&dir, false).await.unwrap_err().to_string();
        assert!(refused.contains("already holds 1 mentions") && refused.contains("--fresh"), "{refused}");

        prepare_data_dir(&dir, true).await.unwrap();
        assert!(!dir.join("hark.db").exists(), "--fresh wipes the store");

        let elsewhere = scratch.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        std::fs::write(elsewhere.join("notes.txt"), "mine").unwrap();
        let kept = prepare_data_dir(&elsewhere, true).await.unwrap_err().to_string();
        assert!(kept.contains("not a hark data directory"), "{kept}");
        assert!(elsewhere.join("notes.txt").exists());
    }
}
