//! The command line: flags, commands and their help texts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::logging::LogFormat;

#[derive(Debug, Parser)]
#[command(
    name = "hark",
    version,
    about = "Self-hosted social listening and prospect discovery",
    long_about = "hark pulls public posts about your brand, scores them (sentiment, complaint, buying intent), \
links their authors to your CRM customers and puts each one in front of the right team.\n\n\
Start with `hark init`, then `hark import customers crm.csv` and `hark ingest posts.jsonl`; \
`hark status` shows what hark holds.",
    after_help = "Exit codes: 0 success, 1 error, 2 bad usage, 3 partly done (e.g. some input lines skipped)."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Configuration file [default: hark.toml; a missing default file means no sources yet]
    #[arg(long, global = true, env = "HARK_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where hark keeps its database and index
    #[arg(long, global = true, env = "HARK_DATA_DIR", default_value = "hark-data", value_name = "DIR")]
    pub data_dir: PathBuf,
    /// Print machine-readable JSON on stdout instead of tables
    #[arg(long, global = true)]
    pub json: bool,
    /// More log output (-v debug, -vv trace)
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Only errors on stderr; no progress bars
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Log line format on stderr
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human, value_name = "FORMAT")]
    pub log_format: LogFormat,
}

impl GlobalArgs {
    pub fn verbosity(&self) -> i8 {
        if self.quiet { -1 } else { i8::try_from(self.verbose).unwrap_or(i8::MAX) }
    }

    /// The configuration file: `--config`, `HARK_CONFIG`, or `hark.toml`.
    pub fn config_path(&self) -> PathBuf {
        self.config.clone().unwrap_or_else(|| PathBuf::from("hark.toml"))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented hark.toml and create the data directory
    Init {
        /// Overwrite an existing configuration file
        #[arg(long)]
        force: bool,
    },
    /// Counts of mentions, customers and queue items; per source: last run, outcome, coverage gaps
    Status,
    /// Run the pipeline on mentions from a JSONL file (one Mention-shaped object per line)
    #[command(long_about = "Run the pipeline on mentions from a JSONL file: exports, backfills, tests.\n\n\
Each line is one JSON object: {\"source\": \"reddit\", \"external_id\": \"t3_abc\", \"url\": \"...\", \
\"author\": {\"handle\": \"...\", \"name\": \"...\", \"email\": \"...\", \"profile_url\": \"...\"}, \"title\": \"...\", \
\"text\": \"...\", \"published_at\": \"RFC 3339\"}; only source, external_id and text are required. \
HTML in text is stripped. Mentions already stored are skipped, so ingesting a file twice is harmless. \
New mentions in English are scored (sentiment, complaint, buying intent; cues come when someone looks at a post) by the local model before they \
are stored; --no-classify skips that. Bad lines are reported with their numbers and skipped; the rest \
is kept (exit code 3).")]
    Ingest {
        /// The JSONL file (`-` for standard input)
        file: PathBuf,
        /// File the mentions and the run under this source id [default: ingest]
        #[arg(long, value_name = "ID")]
        source: Option<String>,
        /// Mentions per transaction
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        batch_size: u32,
        /// Store the mentions without scoring them (no model needed)
        #[arg(long)]
        no_classify: bool,
    },
    /// Coverage per source: last run, mentions, and the windows it failed or was throttled
    #[command(long_about = "Coverage per source: last run, outcome, mentions stored, whether a cursor is saved, \
and the coverage gaps: windows in which the source failed or was throttled (from the end of the run before \
to the end of the failed one). A gap is `open` until a clean run follows; then `refetched`: cursors only \
move past pages that were saved, so that run read the window, as far back as the source keeps posts.")]
    Sources,
    /// One pass over the configured sources (or those named), then exit
    #[command(long_about = "One pass over the configured sources (or those named with --source): each page of \
new posts goes through the pipeline and is saved with the source's cursor in one transaction, so a \
pass stopped at any point resumes where it left off. Every pass is recorded; a source that failed or \
was throttled, or stopped with pages still waiting, leaves a coverage gap that `hark sources` lists \
(the next clean pass reads it). Requests keep to a polite quota per host (`requests_per_minute` in a \
source overrides it) and to the sources' own rate-limit signals. Exit code 3 when any source failed.")]
    Pull {
        /// A source id from the configuration; repeat for several [default: all]
        #[arg(long = "source", value_name = "ID")]
        sources: Vec<String>,
        /// Store the mentions without scoring them (no model needed)
        #[arg(long)]
        no_classify: bool,
    },
    /// Run the whole pipeline offline on the bundled sample, served by a local replay of each source
    #[command(long_about = "Run the whole pipeline offline on the bundled sample: a fictional company, Acme \
CRM, with 200 CRM customers and about 500 posts about it from every source kind. A local replay server \
(127.0.0.1 only) serves the posts in each source's own format, page by page (sample/replay/), so the real \
connectors run; the sample customers are imported, and every source is pulled three times through the same \
code as `hark pull` (scored by the local model when `make model` has fetched it): once as the sources first \
stand, once after the rest of the posts came out (each connector goes on from its cursor and walks the new \
pages), and once more to show that nothing is stored twice. Prints what each source did, the flags per \
signal, the items per queue, the customers matched, the top posts with their cues, and the seconds the \
pipeline took.\n\n\
It writes to the data directory (--data-dir), which must hold no mentions or customers yet; --fresh \
wipes a hark data directory and starts over. Then it serves the web app (--addr) with a sign-in per role \
(demo-admin, demo-service, demo-sales, demo-community, each with the password <user>-password; on an \
address other than loopback, new random passwords instead). The demo brings its own configuration (the \
brand of sample/hark.toml); --config is not read. Nothing leaves the machine.")]
    Demo {
        /// Wipe the data directory first (only a hark data directory is wiped)
        #[arg(long)]
        fresh: bool,
        /// Store the mentions without scoring them (no model needed)
        #[arg(long)]
        no_classify: bool,
        /// Print the summary and exit instead of serving the web app
        #[arg(long, conflicts_with = "serve_only")]
        no_serve: bool,
        /// Skip the pipeline and serve the demo data already in the data directory
        #[arg(long, conflicts_with_all = ["fresh", "no_classify"])]
        serve_only: bool,
        /// Where the web app listens
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
        addr: std::net::SocketAddr,
    },
    /// The source kinds hark can read, and how to configure them
    #[command(subcommand)]
    Connectors(ConnectorsCommand),
    /// Import data into hark
    #[command(subcommand)]
    Import(ImportCommand),
    /// The imported CRM customer records
    #[command(subcommand)]
    Customers(CustomersCommand),
    /// Customer matches: list, confirm, reject, undo, link by hand; measure on a generated set
    #[command(subcommand)]
    Match(MatchCommand),
    /// Authors who are not customers and show buying intent, best first
    #[command(long_about = "Prospects: authors who are not customers (no automatic or confirmed match), \
aggregated over their mentions: the highest buying intent, the mentions that show it, their topics, when \
they were last seen and their reach. With --topic, ranked by how well their posts match the topic (BM25) \
and their intent; authors whose posts never mention it are left out. With --like-customers, ranked by how \
much their posts read like those of the customers with the most matched mentions. Needs scored mentions: \
mentions ingested with --no-classify carry no intent.")]
    Prospects {
        /// Rank by relevance to this topic (words; all are looked for)
        #[arg(long, value_name = "Q")]
        topic: Option<String>,
        /// Prospects to show
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Rank by resemblance to the posts of the best current customers
        #[arg(long, conflicts_with = "topic")]
        like_customers: bool,
        /// With --topic: rank by words alone (BM25 and intent), without re-ranking by meaning
        #[arg(long, requires = "topic")]
        lexical: bool,
    },
    /// Search mentions: boolean query, phrases, proximity, fields, dates, signals
    #[command(
        long_about = "Search the mentions. Words are matched stemmed (pricing finds prices) and without accents; juxtaposed terms must all match.\n\n\
  acme OR pipedrive, NOT churn, -churn, (a OR b) c     boolean (NOT > NEAR > AND > OR)\n\
  \"free trial\"                                        exact phrase (no stemming)\n\
  acme NEAR/5 pricing, acme ONEAR/5 pricing            at most 5 words apart; ONEAR: in that order\n\
  pric*                                                prefix\n\
  source:reddit author:jdoe author:\"Jane Doe\" title:outage site:example.com lang:en type:post|comment\n\
  published:2026-01-01..2026-02-01 after:2026-01-01 before:2026-02-01\n\
  complaint:>0.7 intent:>=0.6 sentiment:negative customer:yes|no\n\
  *                                                    every mention\n\n\
Queries with words are ranked by relevance (BM25); the others list the newest first. --collapse shows one \
mention per near-duplicate cluster (same URL or nearly the same text) with the cluster's size."
    )]
    Search {
        /// The query (quote it in the shell)
        query: String,
        /// Only this source (kind or configured id)
        #[arg(long, value_name = "ID")]
        source: Option<String>,
        /// Only mentions published on or after this day (YYYY-MM-DD) or time (RFC 3339)
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Results to show
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        limit: u32,
        /// One result per near-duplicate cluster, with its size
        #[arg(long)]
        collapse: bool,
        /// Order: by relevance or newest first [default: relevance for queries with words]
        #[arg(long, value_enum, value_name = "ORDER")]
        sort: Option<SortArg>,
    },
    /// Rebuild the search index from the store
    Reindex,
    /// Score texts: one JSON object per text (sentiment, complaint, intent, cues)
    #[command(long_about = "Score texts with the local model: prints one JSON object per text with sentiment \
(label and probabilities), complaint and buying-intent probabilities, whether each is flagged at its \
threshold, and the cues (phrases) behind each flag. Texts come from the arguments, or from --input \
(JSONL with a \"text\" field per line, or - for standard input).")]
    Classify {
        /// Texts to score
        texts: Vec<String>,
        /// JSONL file with a "text" field per line
        #[arg(long, value_name = "FILE", conflicts_with = "texts")]
        input: Option<PathBuf>,
    },
    /// Train a head on labelled JSONL and print its validation metrics
    #[command(long_about = "Train a head (sentiment, complaint or intent) on the frozen encoder. Labelled JSONL: \
{\"text\": ..., \"label\": ...} per line (see README.md). The decision threshold of a binary head is chosen on \
the validation file (best F1). The head is written to --out (default: the models' heads directory) with a model \
card, unless a head already there is better on the same validation file (then --force replaces it).")]
    Train(TrainArgs),
    /// Metrics of a head (or the lexicon baseline) on labelled JSONL
    Eval {
        #[arg(long, value_enum)]
        task: TaskArg,
        /// Labelled JSONL
        #[arg(long, value_name = "FILE")]
        data: PathBuf,
        /// Score with the lexicon baseline (VADER, phrase rules) instead of the model
        #[arg(long)]
        baseline: bool,
        /// Heads directory [default: models/heads]
        #[arg(long, value_name = "DIR")]
        heads: Option<PathBuf>,
        /// Embed with the int8 graph (models/all-MiniLM-L6-v2/model.int8.onnx)
        #[arg(long, conflicts_with = "baseline")]
        int8: bool,
    },
    /// Built-in throughput figures
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Follow-up queues: list, show, move, assign and annotate items
    #[command(
        subcommand,
        long_about = "Follow-up queues. Routing puts each flagged mention in one queue: \
service (complaints by known customers), sales (buying intent; `expansion` when by a customer) or community \
(complaints by strangers, competitor talk, uncertain matches, scores near a threshold). Items move \
new → assigned → contacted → resolved | dismissed; finished items reopen to new. A dismissal with a \
reason (\"not a complaint\", \"not buying intent\", \"wrong customer\", \"spam\") becomes a training label; \
\"wrong customer\" also rejects the customer match and re-routes the item."
    )]
    Queue(QueueCommand),
    /// Users of the API and the web app: add, list, disable, enable, new tokens
    #[command(subcommand)]
    User(UserCommand),
    /// Training labels from people's triage decisions
    #[command(subcommand)]
    Labels(LabelsCommand),
    /// Outbound webhooks: deliver now, list dead letters, replay them
    #[command(subcommand)]
    Alerts(crate::commands::AlertsCommand),
    /// Export a queue or the prospects as CSV or JSONL for a CRM
    #[command(subcommand)]
    Export(ExportCommand),
    /// Serve the API until stopped (SIGINT or SIGTERM finish the requests in flight)
    #[command(long_about = "Serve the API until stopped: /api/v1 (JSON; every route needs \
`Authorization: Bearer TOKEN`, made by `hark user add`), /healthz, /readyz and the OpenAPI document at \
/api/v1/openapi.json. Alerts in the outbox are delivered to the configured webhooks meanwhile. \
SIGINT or SIGTERM stop accepting connections and finish the requests in flight.")]
    Serve {
        /// Address to listen on (keep it on loopback unless a TLS proxy fronts it)
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
        addr: std::net::SocketAddr,
    },
    /// Run hark as a service: every source on its schedule through the pipeline, alerts, and the web app and API
    #[command(long_about = "Run hark as a service until stopped: every [[sources]] entry is pulled on its \
`interval` (default 15m) with ±10% jitter, at most --max-concurrent passes at a time; pages flow through \
bounded channels from fetching to scoring (batched, on the classifier thread) to saving (page and cursor \
in one transaction), matching, routing and indexing, so a slow stage slows the fetchers instead of \
filling memory. A source that fails, panics or stalls is recorded in the run ledger (`hark sources`) \
and retried with backoff (30s, doubling, capped at 1h or its interval) while the others go on. \
Alerts are delivered to the webhooks meanwhile. The web app, the API, /healthz, /readyz and /metrics \
(Prometheus) are served on --addr unless --no-serve.\n\n\
SIGINT or SIGTERM: no new fetches, the pages already fetched are saved with their cursors, runs are \
closed, and hark exits 0 (1 if that takes longer than --grace). A second signal exits at once; that is \
safe too, since each page and its cursor are saved in one transaction. One service per data directory \
(run.lock); runs a killed service left open are closed on start as coverage gaps.\n\n\
--once pulls every source once and exits (for cron or a systemd timer): exit code 3 when a source failed.\n\n\
Several processes (--role), sharing a PostgreSQL store ([store] url / HARK_STORE_URL) and a NATS JetStream \
server ([bus] url / HARK_BUS_URL): `fetch` runs the sources and publishes each page to the stream, saving the \
cursor once the stream has it (each source is fetched by one fetcher at a time, under a lease); `process` \
(any number) takes pages from the stream through classify, persist, match and route, acknowledging each \
once committed, so a killed worker's page is delivered again; `serve` serves the web app and the API and \
delivers alerts. `all` (the default) is everything in this one process. See deploy/OPERATIONS.md.")]
    Run {
        /// Which part of the service this process runs
        #[arg(long, value_enum, default_value = "all")]
        role: RunRole,
        /// Address to serve the web app, the API and /metrics on
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
        addr: std::net::SocketAddr,
        /// Do not serve: only pull, process and deliver alerts
        #[arg(long)]
        no_serve: bool,
        /// With --role fetch or process: serve /healthz and this process's /metrics on this
        /// address (e.g. 0.0.0.0:9090 for Prometheus); they serve nothing otherwise
        #[arg(long, value_name = "ADDR")]
        metrics_addr: Option<std::net::SocketAddr>,
        /// One pass of every source, then exit (nothing is served)
        #[arg(long)]
        once: bool,
        /// Store new mentions unscored (no model needed)
        #[arg(long)]
        no_classify: bool,
        /// Source passes running at once at most
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
        max_concurrent: u16,
        /// Pages waiting between stages at most (back-pressure on the fetchers)
        #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1024))]
        channel_pages: u16,
        /// After SIGINT or SIGTERM, how long the pages in flight may take to be saved
        #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = parse_duration)]
        grace: std::time::Duration,
        /// A fetch without an answer for this long counts as a stalled source
        #[arg(long, default_value = "5m", value_name = "DURATION", value_parser = parse_duration)]
        stall_after: std::time::Duration,
    },
    /// Copy the store and the configuration into a new directory, while hark keeps running
    #[command(long_about = "Copy the store (a consistent snapshot: SQLite's VACUUM INTO, taken while \
`hark run` keeps going) and the configuration file into DIR, which must be new or empty, with a \
manifest.json (hark and schema versions, counts, sha256 of each file) written last. The search index is \
not copied: `hark restore` rebuilds it. Secrets are not in the backup (they live in the environment).")]
    Backup {
        /// A new or empty directory
        dir: PathBuf,
    },
    /// Restore a backup made by `hark backup` into the data directory (stop `hark run` first)
    #[command(long_about = "Restore a backup made by `hark backup` into the data directory: the manifest, \
the checksums, SQLite's integrity check and the schema version are checked first (a backup from a newer \
hark is refused). Refused while `hark run` uses the data directory. A store already there is never \
deleted: with --force it is kept beside as hark.db.before-restore-<time>. The configuration is restored \
where --config points if no file is there. The search index is rebuilt from the restored store.")]
    Restore {
        /// A directory written by `hark backup`
        dir: PathBuf,
        /// Replace a store that is already there (it is kept beside, renamed)
        #[arg(long)]
        force: bool,
    },
    /// Copy the data directory's SQLite store into an empty PostgreSQL database, checked
    #[command(
        name = "migrate-store",
        long_about = "Copy the data directory's SQLite store (every table, row for row) into an empty \
PostgreSQL database in one transaction, then compare each table's row count and SHA-256 on both sides; \
any difference fails the command. Stop `hark run` first. The SQLite file is only read and stays: hark \
uses the new database once `[store] url` in hark.toml (or HARK_STORE_URL) names it. The search index \
is not copied; it stays in the data directory (`hark reindex` rebuilds it elsewhere).",
        after_help = "Example:\n  createdb hark\n  hark migrate-store --to postgres://hark:secret@db.internal:5432/hark\n  \
export HARK_STORE_URL=postgres://hark:secret@db.internal:5432/hark"
    )]
    MigrateStore {
        /// The PostgreSQL database to copy into: postgres://user:password@host:port/database
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

/// `hark run --role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RunRole {
    /// Everything in this process
    All,
    /// Run the sources; pages go to the stream
    Fetch,
    /// Pages from the stream through classify, persist, match, route
    Process,
    /// The web app, the API and alert delivery
    Serve,
}

#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// Items by priority, then SLA due time
    List {
        /// service, sales or community [default: every queue]
        #[arg(long)]
        queue: Option<String>,
        /// new, assigned, contacted, resolved or dismissed
        #[arg(long)]
        state: Option<String>,
        /// Only items assigned to this user
        #[arg(long)]
        assignee: Option<String>,
        /// Only mentions from this source kind
        #[arg(long)]
        source: Option<String>,
        /// Only items flagged complaint or intent (at the routing thresholds), or negative
        #[arg(long)]
        signal: Option<String>,
        /// Items to show (1 to 500)
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// One item: the post, signals, customer, history and notes
    Show {
        /// The item id (from `hark queue list`)
        id: i64,
    },
    /// Move an item to another state
    Move {
        id: i64,
        /// new, assigned, contacted, resolved or dismissed
        state: String,
        /// Why; for dismissed: not a complaint, not buying intent, wrong customer or spam
        #[arg(long)]
        reason: Option<String>,
    },
    /// Assign an item to a user (`-` to unassign)
    Assign { id: i64, user: String },
    /// Add a note to an item
    Note { id: i64, text: String },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; prints a one-time password (unless --password-stdin) and an API token
    Add {
        name: String,
        /// admin, community, sales or service
        #[arg(long)]
        role: String,
        /// Read the password (at least 12 characters) from standard input instead
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users with their roles
    List,
    /// Disable a user: their password and tokens stop working at once
    Disable { name: String },
    /// Enable a disabled user again
    Enable { name: String },
    /// Make a new API token for a user (shown once)
    Token {
        name: String,
        /// Revoke the user's older tokens
        #[arg(long)]
        revoke_others: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum LabelsCommand {
    /// Print every label as labelled JSONL (`hark train --train` reads it)
    Export {
        /// complaint, intent or sentiment [default: all]
        #[arg(long)]
        task: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// A queue's items (every open one, or those in --state), one row per author to act on
    Queue {
        /// service, sales or community
        queue: String,
        #[arg(long)]
        state: Option<String>,
        #[command(flatten)]
        shape: ExportShape,
    },
    /// Prospects, best first, as leads
    Prospects {
        /// Rank by relevance to this topic
        #[arg(long)]
        topic: Option<String>,
        #[arg(long, default_value_t = 500)]
        limit: usize,
        #[command(flatten)]
        shape: ExportShape,
    },
}

#[derive(Debug, Args)]
pub struct ExportShape {
    /// csv or jsonl
    #[arg(long, value_enum, default_value_t = ExportFormatArg::Csv)]
    pub format: ExportFormatArg,
    /// Column names: generic, hubspot or salesforce
    #[arg(long, value_enum, default_value_t = CrmArg::Generic)]
    pub crm: CrmArg,
    /// Write to this file instead of standard output
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormatArg {
    Csv,
    Jsonl,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CrmArg {
    Generic,
    Hubspot,
    Salesforce,
}

/// `hark train` flags.
#[derive(Debug, Args)]
pub struct TrainArgs {
    #[arg(long, value_enum)]
    pub task: TaskArg,
    /// Training data (labelled JSONL); repeat to train on several files
    #[arg(long = "train", value_name = "FILE", required = true)]
    pub train_files: Vec<PathBuf>,
    /// Validation data (labelled JSONL)
    #[arg(long = "valid", value_name = "FILE")]
    pub valid_file: PathBuf,
    /// Where to write the head [default: models/heads]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace a head even if it is better on this validation data
    #[arg(long)]
    pub force: bool,
    /// Binary heads: flag at the lowest threshold reaching this precision on the validation
    /// data (the most recall at that precision) instead of the best-F1 threshold
    #[arg(long, value_name = "P", value_parser = parse_fraction)]
    pub target_precision: Option<f64>,
    /// Add the labels people's triage wrote for this task (dismissals with a reason; see
    /// `hark labels export`) to the training data; the new head is kept only if it is better
    /// on the validation data
    #[arg(long)]
    pub labels: bool,
    /// Leave out training texts that also appear in this JSONL file (a "text" field per
    /// line), e.g. posts copied from a dataset whose licence forbids shipping weights trained
    /// on it; repeatable
    #[arg(long, value_name = "FILE")]
    pub exclude: Vec<PathBuf>,
    /// Hidden units (0 = logistic regression)
    #[arg(long)]
    pub hidden: Option<usize>,
    /// Maximum epochs (training stops early when held-out loss stops improving)
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Learning rate
    #[arg(long)]
    pub learning_rate: Option<f32>,
    /// Weight decay
    #[arg(long)]
    pub weight_decay: Option<f32>,
    /// Hashed n-gram slots (0 = embedding and lexicon only)
    #[arg(long)]
    pub hash_dim: Option<u32>,
    /// Weight of the hashed n-gram block relative to the embedding
    #[arg(long)]
    pub ngram_weight: Option<f32>,
    /// Linear heads: models averaged, each with its own held-out split
    #[arg(long)]
    pub ensemble: Option<usize>,
    /// Train on all examples at once for exactly --epochs steps (temperature from 5-fold
    /// out-of-fold logits) instead of mini-batches with early stopping
    #[arg(long)]
    pub full_batch: Option<bool>,
    /// Random seed
    #[arg(long)]
    pub seed: Option<u64>,
}

/// A duration such as `30s`, `5m` or `1h30m`.
fn parse_duration(raw: &str) -> Result<std::time::Duration, String> {
    hark_app::config::parse_interval(raw)
}

fn parse_fraction(raw: &str) -> Result<f64, String> {
    match raw.parse::<f64>() {
        Ok(value) if value > 0.0 && value <= 1.0 => Ok(value),
        _ => Err(format!("{raw:?} is not a fraction in (0, 1], e.g. 0.8")),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TaskArg {
    Sentiment,
    Complaint,
    Intent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortArg {
    Relevance,
    Newest,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Indexing throughput, index size and memory on generated mentions
    Index {
        /// Mentions to generate and index
        #[arg(long, default_value_t = 100_000)]
        count: u64,
    },
    /// Search latency (p50, p99) of typical listening queries over generated mentions
    Search {
        /// Mentions to generate and index
        #[arg(long, default_value_t = 100_000)]
        count: u64,
        /// Runs of each query
        #[arg(long, default_value_t = 50)]
        runs: usize,
    },
    /// Latency of the HTTP API under concurrent clients over a populated store (loopback)
    #[command(long_about = "Latency of the HTTP API under concurrent clients, on this machine.\n\n\
Fills a fresh data directory with generated mentions that carry scores, through the whole pipeline \
(store, matching, routing into queues, index); makes an admin user; serves the API on a loopback port \
in this process; then runs --clients concurrent clients for --seconds, each looping over three requests:\n\
  inbox       GET /api/v1/queues/{queue}/items?state=new&limit=50 (the queue with the most new items)\n\
  transition  POST /api/v1/items/{id}/transition, assigned <-> contacted, on items only that client owns\n\
  search      GET /api/v1/search?q=WORD&limit=20 (one word of a small list after another)\n\n\
Reports per kind and overall: requests, requests/s, p50, p90, p99 and max latency in ms (successful \
requests), and errors (any non-2xx answer or transport error, with the first messages; any error makes \
the exit code 1). Clients and server share the machine's cores, so the figures are what one machine serves \
to itself. The server logs every request as `hark serve` does: send stderr to a file (or set RUST_LOG=warn) \
to keep them off the terminal.\n\n\
The data directory is a scratch one under the system's temporary directory (removed afterwards unless \
--keep), or the --data-dir (HARK_DATA_DIR) given, if it holds no mentions; the default hark-data is never \
used. Build with --release for real figures.")]
    Api {
        /// Mentions to generate and send through the pipeline first
        #[arg(long, default_value_t = 100_000)]
        mentions: u64,
        /// Concurrent clients
        #[arg(long, default_value_t = 50)]
        clients: usize,
        /// How long the clients run
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        /// Keep the scratch data directory afterwards
        #[arg(long)]
        keep: bool,
    },
    /// Whole-pipeline throughput on a mention file, beside the bare encoder on the same texts
    #[command(long_about = "Throughput of the whole pipeline on a mention file (the JSONL that `hark ingest` \
reads; default: the bundled sample): every page goes through what `hark ingest` and `hark run` do to it \
(dedupe, score, save with the cursor, match, route, index), twice, each time in a scratch data directory \
of its own: staged as `hark run` does it (the model scores batches spanning pages while earlier pages are \
saved) and page by page as `hark ingest` does it. Both must store and route the same. Then the bare \
encoder (tokenise + ONNX Runtime session) runs over the same texts in the same process, in one call \
length-sorted across the whole set (its best case). Reports the rates and their ratios to the encoder's: \
how much of the time is the model's. Build with --release for real figures.")]
    Pipeline {
        /// A mention file (JSONL)
        #[arg(long, value_name = "FILE")]
        input: Option<PathBuf>,
        /// Copies of the input sent through, each under other ids
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=1000))]
        copies: u16,
        /// Mentions per page
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u16).range(1..=10_000))]
        page: u16,
        /// Staged: texts the model scores together at most [default: hark run's]
        #[arg(long, value_name = "TEXTS", value_parser = clap::value_parser!(u16).range(1..))]
        batch_texts: Option<u16>,
        /// Staged: pages waiting between stages at most [default: hark run's --channel-pages]
        #[arg(long, value_name = "PAGES", value_parser = clap::value_parser!(u16).range(1..=1024))]
        channel_pages: Option<u16>,
    },
    /// Soak: `hark run` over growing feeds on loopback for a bounded time; memory, metrics and store
    #[command(long_about = "Soak test of the service, on loopback: a replay server in this process \
publishes Atom feeds (--sources of them) that grow at --posts-per-minute in all; a `hark run` child \
process (this binary) in a scratch data directory pulls them every 10 s, scores, saves, routes and \
indexes, and serves /metrics. Every --sample-every seconds its resident memory and metrics are read. \
At the end the feeds stop growing, the service is given time to catch up, its metrics are read once \
more, and it is stopped with SIGTERM. Reports memory at start, middle and end, and checks that no source \
failed, that the metrics agree with the store, that every published post is stored, and that the stop \
exited 0 (exit code 1 otherwise). Build with --release for real figures.")]
    Soak {
        /// How long the feeds grow, in minutes
        #[arg(long, default_value_t = 10.0)]
        minutes: f64,
        /// New posts per minute, over all feeds
        #[arg(long, default_value_t = 400)]
        posts_per_minute: u64,
        /// Feeds (sources)
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
        sources: u64,
        /// Seconds between samples
        #[arg(long, default_value_t = 30)]
        sample_every: u64,
        /// Store posts unscored (no model needed)
        #[arg(long)]
        no_classify: bool,
    },
    /// Posts per second from fetch to store: SQLite, PostgreSQL, and the stream with N workers
    #[command(long_about = "Throughput from fetching to a stored post on this machine, for each layout: \
one `hark run --once` on SQLite (the baseline), the same on PostgreSQL (--store-url), and one fetcher \
with N process workers over NATS JetStream (--bus-url) and PostgreSQL, for each N of --workers. A replay \
server in this process serves --sources Atom feeds of --posts-per-source entries; every layout reads \
them under ids of its own (the PostgreSQL database gains the posts: use a scratch one) and is timed \
from the first process start until the store holds every post. Unscored, so that the model does not \
hide the rest; --model-workers adds stream runs that score. Build with --release for real figures.")]
    Scale {
        /// A scratch PostgreSQL database (posts are added to it)
        #[arg(long, value_name = "URL", env = "HARK_STORE_URL")]
        store_url: String,
        /// The NATS JetStream server
        #[arg(long, value_name = "URL", env = "HARK_BUS_URL")]
        bus_url: String,
        /// Feeds (sources), one page each
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=10_000))]
        sources: u64,
        /// Entries per feed (at most 100)
        #[arg(long, default_value_t = 100)]
        posts_per_source: u64,
        /// Process worker counts to measure, unscored
        #[arg(long, value_delimiter = ',', default_value = "1,2,4")]
        workers: Vec<usize>,
        /// Process worker counts to measure with the model
        #[arg(long, value_delimiter = ',')]
        model_workers: Vec<usize>,
    },
    /// Texts per second through the encoder and heads, beside a bare ONNX Runtime session
    Classify {
        /// Texts to use: JSONL with a "text" field [default: the bundled sample posts]
        #[arg(long, value_name = "FILE")]
        data: Option<PathBuf>,
        /// Texts per batch
        #[arg(long, default_value_t = 32)]
        batch_size: usize,
        /// ONNX Runtime threads (0 = one per core)
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Use the int8 graph (models/all-MiniLM-L6-v2/model.int8.onnx)
        #[arg(long)]
        int8: bool,
        /// Passes over the texts (the figure is the best pass)
        #[arg(long, default_value_t = 3)]
        rounds: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import CRM customers from a CSV export, all or nothing
    #[command(long_about = "Import CRM customers from a CSV export (HubSpot contacts, Salesforce contacts report, \
or hark's generic layout; see README.md). UTF-8 with or without BOM; quoted fields may hold commas, quotes and newlines.\n\n\
All or nothing: if any row is invalid, every bad line is listed with its reason and nothing is written. \
Records are keyed by their CRM id, so importing again updates changed records and leaves the rest alone.")]
    Customers {
        /// The CSV file
        file: PathBuf,
        /// The export's layout
        #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
        format: FormatArg,
        /// Report what would be created or updated without writing anything
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Detect from the header row
    Auto,
    Hubspot,
    Salesforce,
    Generic,
}

#[derive(Debug, Subcommand)]
pub enum ConnectorsCommand {
    /// Every source kind with a connector
    List,
    /// One kind: what it collects and an example [[sources]] entry
    Show {
        /// Kind name, e.g. hackernews
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum MatchCommand {
    /// Matches with their customer, author and state, most recently changed first
    List {
        /// Only matches in this state
        #[arg(long, value_enum)]
        state: Option<MatchStateArg>,
        /// Matches to show
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Confirm a match the machine made or proposed
    Confirm(MatchPair),
    /// Say a mention's author is not this customer; never proposed again for the author
    Reject(MatchPair),
    /// Take back a confirmation, rejection or manual link; the machine re-evaluates
    Undo(MatchPair),
    /// Link a mention to a customer by hand
    Link(MatchPair),
    /// Precision and recall of automatic matching on a generated, labelled CRM and feed
    #[command(long_about = "Generates a CRM and a feed of mentions whose true authors are known (look-alike \
names, shared first names, customers who changed handles, a company domain shared by many customers, \
webmail addresses, non-customers who resemble customers; the proportions are printed) from a seed, runs \
the matcher on it and reports the precision of automatic matches, recall (correct automatic matches over \
all mentions by customers), the proposals, and the share of wrong ones among them.")]
    Eval {
        /// Customers in the generated CRM
        #[arg(long, default_value_t = 3000)]
        customers: usize,
        /// Mentions in the generated feed (half by customers)
        #[arg(long, default_value_t = 30_000)]
        mentions: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Also write the set to DIR as customers.csv and mentions.jsonl (each line names its
        /// true author's CRM id), to run it through `hark import customers` and `hark ingest`
        #[arg(long, value_name = "DIR")]
        export: Option<PathBuf>,
    },
}

/// A mention and a customer.
#[derive(Debug, Args)]
pub struct MatchPair {
    /// Mention id (m_...)
    pub mention: String,
    /// Customer: hark id (c_...), CRM id or email
    pub customer: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MatchStateArg {
    Auto,
    Proposed,
    Confirmed,
    Rejected,
}

#[derive(Debug, Subcommand)]
pub enum CustomersCommand {
    /// List customers (name, company, email, CRM id)
    List,
    /// Show one customer by hark id (c_...), CRM id or email
    Show {
        /// hark id, CRM id or email address
        id: String,
    },
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
