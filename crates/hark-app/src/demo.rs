//! The demo (`hark demo`): the whole pipeline, offline, on the bundled sample.
//!
//! A loopback replay server (`hark-replay`) serves the sample recordings under
//! `sample/replay/<kind>/`, one small file per source kind in that source's own wire format
//! (plus the forum's robots.txt). The demo configuration is the brand of `sample/hark.toml`
//! with one `[[sources]]` entry per kind pointed at that server, validated like any
//! `hark.toml`. The sample customers are imported, every source is pulled once through the
//! code `hark pull` runs ([`pull_sources`]), scored when the model is there, then pulled
//! a second time to show that nothing is stored twice; a summary of what happened follows.
//! The sample files are compiled in, so the demo runs from any directory, and it refuses a
//! data directory that already holds data unless told to wipe it (`--fresh`). Printing the
//! summary is the front end's business.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use hark_classifier::ModelPaths;
use hark_connectors::http::{HttpClient, HttpConfig};
use hark_core::text::thousands;
use hark_core::{Mention, Signals};
use hark_pipeline::Pipeline;
use hark_pipeline::crm_import::{CrmFormat, parse_customers};
use hark_pipeline::pull::{SourceReport, pull_sources};
use hark_replay::{ReplayServer, Reply};
use serde::Serialize;

use crate::access::{Caller, Permission};
use crate::config::{Config, ConfigOrigin};
use crate::error::{AppError, AppResult, Context};
use crate::{App, AppOptions};

/// The sample's brand and competitors.
const SAMPLE_CONFIG: &str = include_str!("../../../sample/hark.toml");

/// The sample CRM export.
const SAMPLE_CUSTOMERS: &str = include_str!("../../../sample/customers.csv");

/// Why posts were not scored when the user asked so.
pub const NOT_SCORED_BY_REQUEST: &str = "--no-classify";

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
            body: include_str!("../../../sample/replay/reddit/search.json"),
            content_type: "application/json; charset=UTF-8",
        }],
        entry: "id = \"reddit\"\nsubreddits = [\"CRM\", \"sales\"]\nqueries = [\"acme\"]\n",
    },
    DemoSource {
        kind: "hackernews",
        served: &[Served {
            route: "/api/v1/search_by_date",
            body: include_str!("../../../sample/replay/hackernews/search_by_date.json"),
            content_type: "application/json",
        }],
        entry: "id = \"hackernews\"\nqueries = [\"acme crm\"]\n",
    },
    DemoSource {
        kind: "mastodon",
        served: &[Served {
            route: "/api/v1/timelines/tag/acmecrm",
            body: include_str!("../../../sample/replay/mastodon/tag_acmecrm.json"),
            content_type: "application/json; charset=utf-8",
        }],
        entry: "id = \"fosstodon\"\ntags = [\"acmecrm\"]\n",
    },
    DemoSource {
        kind: "bluesky",
        served: &[Served {
            route: "/xrpc/app.bsky.feed.searchPosts",
            body: include_str!("../../../sample/replay/bluesky/search_posts.json"),
            content_type: "application/json; charset=utf-8",
        }],
        entry: "id = \"bluesky\"\nqueries = [\"acme crm\"]\n",
    },
    DemoSource {
        kind: "stackexchange",
        served: &[Served {
            route: "/2.3/search/advanced",
            body: include_str!("../../../sample/replay/stackexchange/search_advanced.json"),
            content_type: "application/json; charset=utf-8",
        }],
        entry: "id = \"stackoverflow\"\nsite = \"stackoverflow\"\nqueries = [\"acme crm\"]\n",
    },
    DemoSource {
        kind: "rss",
        served: &[Served {
            route: "/alerts/feeds/10429847562019384756/4411923311",
            body: include_str!("../../../sample/replay/rss/google_alerts.xml"),
            content_type: "application/atom+xml; charset=utf-8",
        }],
        entry: "id = \"google-alerts\"\nfeeds = [\"{base}/alerts/feeds/10429847562019384756/4411923311\"]\n",
    },
    DemoSource {
        kind: "web",
        served: &[
            Served {
                route: "/community/threads/acme-sync-creating-duplicate-contacts.4411",
                body: include_str!("../../../sample/replay/web/thread.html"),
                content_type: "text/html; charset=utf-8",
            },
            Served {
                route: "/robots.txt",
                body: include_str!("../../../sample/replay/web/robots.txt"),
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
pub fn demo_config(base: &str) -> anyhow::Result<Config> {
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
async fn start_replay() -> AppResult<ReplayServer> {
    let routes: Vec<(&str, Vec<Reply>)> = SOURCES
        .iter()
        .flat_map(|source| source.served)
        .map(|served| (served.route, vec![Reply::new(200, served.body).header("Content-Type", served.content_type)]))
        .collect();
    ReplayServer::start(routes).await.internal("starting the local replay server on 127.0.0.1")
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
pub async fn prepare_data_dir(dir: &Path, fresh: bool) -> AppResult<()> {
    let create =
        |dir: &Path| std::fs::create_dir_all(dir).internal(&format!("creating the data directory {}", dir.display()));
    if !dir.exists() {
        return create(dir);
    }
    if !dir.is_dir() {
        return Err(AppError::invalid(
            "invalid_data_dir",
            format!("{} is not a directory; choose a data directory with --data-dir", dir.display()),
        ));
    }
    if fresh {
        if !is_hark_data_dir(dir).described()? {
            return Err(AppError::invalid(
                "invalid_data_dir",
                format!(
                    "{} holds files but no hark.db, so it is not a hark data directory; --fresh only wipes hark data \
                     directories: choose another with --data-dir",
                    dir.display()
                ),
            ));
        }
        std::fs::remove_dir_all(dir).internal(&format!("wiping {}", dir.display()))?;
        return create(dir);
    }
    if !dir.join("hark.db").is_file() {
        return Ok(());
    }
    let store =
        hark_store::Store::open_in(dir).await.internal(&format!("opening the data directory {}", dir.display()))?;
    let counted = (store.count_mentions().await, store.count_customers().await);
    store.close().await;
    let (mentions, customers) = (counted.0.internal("counting mentions")?, counted.1.internal("counting customers")?);
    if mentions > 0 || customers > 0 {
        return Err(AppError::conflict(
            "data_dir_in_use",
            format!(
                "{} already holds {} mentions and {} customers; the demo runs on a data directory of its own. \
             Run `hark --data-dir {} demo --fresh` to wipe it and start over, or choose another directory \
             with --data-dir",
                dir.display(),
                thousands(mentions),
                thousands(customers),
                dir.display()
            ),
        ));
    }
    Ok(())
}

/// What the demo did, printed as tables or (`--json`) as one JSON object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemoSummary {
    pub data_dir: String,
    /// The replay server's address (it stops when the demo ends).
    pub replay: String,
    /// Whether new mentions were scored by the local model.
    pub scored: bool,
    /// Why they were not, when they were not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_scored: Option<String>,
    pub customers_imported: usize,
    /// Pass 1 reads every source; pass 2 reads them again and stores nothing new.
    pub passes: Vec<Pass>,
    pub flagged: Flagged,
    /// The flagged posts with the highest scores.
    pub top: Vec<FlaggedPost>,
    pub totals: Totals,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pass {
    pub pass: u8,
    pub sources: Vec<SourceReport>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Flagged {
    pub complaints: usize,
    /// Of the complaints: by authors matched to a customer (service's queue).
    pub complaints_by_customers: usize,
    pub intents: usize,
    /// Of the buying-intent posts: by authors who are not customers (sales' queue).
    pub intents_by_non_customers: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlaggedPost {
    pub id: String,
    pub source: String,
    pub kind: String,
    pub author: Option<String>,
    pub customer: Option<CustomerRef>,
    /// `complaint`, `intent` or both.
    pub flags: Vec<&'static str>,
    pub complaint: f32,
    pub intent: f32,
    pub sentiment: &'static str,
    pub cues: Vec<String>,
    pub excerpt: String,
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerRef {
    pub crm_id: String,
    pub name: String,
    pub company: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Totals {
    pub mentions: i64,
    pub customers: i64,
    /// Mentions whose author is matched to a customer.
    pub mentions_by_customers: usize,
    /// Posts seen on a second source under the same URL, linked rather than stored again.
    pub linked: usize,
    /// Requests the replay server answered over both passes.
    pub requests_served: usize,
    pub sources: Vec<SourceTotal>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceTotal {
    pub id: String,
    pub kind: Option<String>,
    pub mentions: i64,
    pub outcome: Option<&'static str>,
    pub gaps: i64,
}

/// Where the demo writes, and whether it scores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoRequest {
    pub data_dir: PathBuf,
    /// Wipe the data directory first (only a hark data directory is wiped).
    pub fresh: bool,
    /// Score the posts (when the model is there).
    pub classify: bool,
}

impl DemoSummary {
    /// Whether any source failed in either pass.
    pub fn failed(&self) -> bool {
        self.passes.iter().flat_map(|pass| &pass.sources).any(SourceReport::failed)
    }
}

/// Runs the demo on its own data directory and configuration: replay server, sample
/// customers, two pull passes, then the summary.
pub async fn demo(caller: &Caller, request: &DemoRequest) -> AppResult<DemoSummary> {
    caller.require(Permission::Admin)?;
    prepare_data_dir(&request.data_dir, request.fresh).await?;
    let server = start_replay().await?;
    let config = demo_config(server.base_url())?;
    let options = AppOptions {
        config_path: PathBuf::from("sample/hark.toml"),
        config_explicit: true,
        data_dir: request.data_dir.clone(),
    };
    let app = App::with_config(options, config, ConfigOrigin::File);
    let summary = run(&app, caller, &server, request.classify).await;
    app.close().await;
    summary
}

async fn run(app: &App, caller: &Caller, server: &ReplayServer, classify: bool) -> AppResult<DemoSummary> {
    let not_scored = if classify {
        ModelPaths::locate().err().map(|missing| format!("{missing}; the posts are stored unscored"))
    } else {
        Some(NOT_SCORED_BY_REQUEST.to_owned())
    };
    let pipeline = app.pipeline(not_scored.is_none()).await?;
    let customers_imported = import_sample_customers(&pipeline, &caller.name).await?;

    let http = HttpClient::new(HttpConfig::default()).internal("starting the HTTP client")?;
    let sources: Vec<_> = app.config().sources.iter().map(crate::pull::pull_source).collect();
    let mut passes = Vec::new();
    for pass in 1..=2 {
        let reports = pull_sources(&pipeline, &http, &sources).await.described()?;
        passes.push(Pass { pass, sources: reports });
    }
    if let Some(indexer) = pipeline.indexer() {
        indexer.commit().internal("committing the mention index")?;
    }

    let (flagged, top, mentions_by_customers) = flagged_posts(&pipeline).await?;
    let store = pipeline.store();
    let sources = crate::sources::collect(app, store, false)
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
        mentions: store.count_mentions().await.internal("counting mentions")?,
        customers: store.count_customers().await.internal("counting customers")?,
        mentions_by_customers,
        linked: passes.iter().flat_map(|pass| &pass.sources).map(|report| report.linked).sum(),
        requests_served: server.requests().len(),
        sources,
    };
    Ok(DemoSummary {
        data_dir: app.data_dir().display().to_string(),
        replay: server.base_url().to_owned(),
        scored: not_scored.is_none(),
        not_scored,
        customers_imported,
        passes,
        flagged,
        top,
        totals,
    })
}

/// Imports the sample CRM export into the pipeline's store; the number of customers.
async fn import_sample_customers(pipeline: &Pipeline, actor: &str) -> AppResult<usize> {
    let now = pipeline.clock().now();
    let parsed = parse_customers(SAMPLE_CUSTOMERS.as_bytes(), CrmFormat::Auto, now)
        .internal("reading the bundled sample/customers.csv")?;
    pipeline
        .store()
        .apply_customer_import(&parsed.customers, actor, "sample/customers.csv", false, now)
        .await
        .internal("importing the sample customers")?;
    Ok(parsed.customers.len())
}

/// The flagged counts, the top flagged posts and the number of mentions by customers, from
/// what the store holds (flags at the loaded heads' thresholds).
async fn flagged_posts(pipeline: &Pipeline) -> AppResult<(Flagged, Vec<FlaggedPost>, usize)> {
    let store = pipeline.store();
    let mut flagged = Flagged::default();
    let mut candidates = Vec::new();
    let mut by_customers = 0;
    let mut after = 0;
    loop {
        let batch = store.mentions_after(after, 1000).await.internal("reading mentions")?;
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
        let customer =
            match &stored.customer_id {
                Some(id) => store.customer(id.as_str()).await.internal("reading a customer")?.map(|customer| {
                    CustomerRef { crm_id: customer.crm_ref, name: customer.name, company: customer.company }
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

/// A demo sign-in, printed for the person trying hark.
#[derive(Debug, Clone, Serialize)]
pub struct DemoLogin {
    pub name: String,
    pub role: crate::Role,
    pub password: String,
}

/// The application over a demo data directory, for serving it: the sample's brand and
/// competitors (the dashboard's share of voice); its sources are shown, not pulled.
pub fn serving_app(data_dir: &Path) -> AppResult<App> {
    let config = demo_config("http://127.0.0.1")?;
    let options = AppOptions {
        config_path: PathBuf::from("sample/hark.toml"),
        config_explicit: true,
        data_dir: data_dir.to_owned(),
    };
    Ok(App::with_config(options, config, ConfigOrigin::File))
}

/// One sign-in per role (`demo-admin`, `demo-service`, ...), each with a fresh random
/// password: created the first time, given a new password after that.
pub async fn logins(app: &App, caller: &Caller) -> AppResult<Vec<DemoLogin>> {
    caller.require(Permission::Admin)?;
    let store = app.store().await.internal("opening the store")?;
    if store.count_mentions().await.internal("counting mentions")? == 0 {
        return Err(AppError::invalid(
            "no_demo_data",
            format!("{} holds no demo data: run `hark demo` first", app.data_dir().display()),
        ));
    }
    let mut logins = Vec::new();
    for role in crate::Role::ALL {
        let name = format!("demo-{}", role.as_str());
        let password = crate::users::reset_or_add(app, caller, &name, role).await?;
        logins.push(DemoLogin { name, role, password });
    }
    Ok(logins)
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

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
