//! hark-bus: the durable stream between fetching and processing, on NATS JetStream.
//!
//! When hark runs as several processes (`hark run --role fetch|process`), a fetcher publishes
//! each page it fetched, with the source's cursor after it, to the stream `HARK_PAGES`
//! (subject `hark.pages.<source id>`), and advances the cursor only once the stream has
//! acknowledged the page. Every message carries a `Nats-Msg-Id` derived from the page (source,
//! cursor, external ids), so a page published twice within the stream's duplicate window is
//! stored once in the stream; beyond it, the store's idempotent save makes the repeat harmless.
//!
//! Process workers share one durable pull consumer (`process`) with explicit acknowledgement:
//! a worker acknowledges a page only after classify, persist, match and route have committed,
//! so a worker killed at any point leaves the page to be redelivered (to it or another) after
//! the acknowledgement wait.
//!
//! This crate knows the stream's layout and the message format; what to do with a page is the
//! application's business.

use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use hark_core::Mention;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The environment variable that points hark at a NATS server (`nats://host:4222`), like
/// `[bus] url` in `hark.toml`.
pub const BUS_URL_ENV: &str = "HARK_BUS_URL";
/// The stream that holds fetched pages until a process worker has committed them.
pub const STREAM: &str = "HARK_PAGES";
/// Pages of source `s` are published on `hark.pages.s`.
pub const SUBJECT_PREFIX: &str = "hark.pages";
/// The durable consumer every process worker reads through.
pub const CONSUMER: &str = "process";
/// Within this window the stream drops a page whose message id it has seen.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(20 * 60);
/// Tries at creating the stream or the consumer when another process creates it at the same
/// moment.
const CREATE_ATTEMPTS: u32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("cannot connect to NATS at {url}: {detail}")]
    Connect { url: String, detail: String },
    #[error("NATS JetStream: {context}: {detail}")]
    Stream { context: &'static str, detail: String },
    #[error("a message on {subject} is not a page: {detail}")]
    BadMessage { subject: String, detail: String },
}

fn stream_error(context: &'static str) -> impl FnOnce(&dyn std::fmt::Display) -> BusError {
    move |err| BusError::Stream { context, detail: err.to_string() }
}

/// One fetched page on its way from a fetcher to a process worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageMessage {
    pub source_id: String,
    pub mentions: Vec<Mention>,
    /// The source's cursor after this page (what the fetcher saves once the stream has it).
    pub cursor: Option<String>,
    pub fetched_at: DateTime<Utc>,
}

impl PageMessage {
    /// The page's message id: the same page fetched again (same source, cursor and posts)
    /// gets the same id, so the stream keeps it once.
    pub fn message_id(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.source_id.as_bytes());
        hasher.update([0]);
        hasher.update(self.cursor.as_deref().unwrap_or("").as_bytes());
        for mention in &self.mentions {
            hasher.update([0]);
            hasher.update(mention.id.as_str().as_bytes());
        }
        hasher.finalize().iter().take(16).map(|byte| format!("{byte:02x}")).collect()
    }

    /// The subject this page is published on (source ids are made of letters, digits, `-`
    /// and `_`; anything else becomes `_`).
    pub fn subject(&self) -> String {
        let clean: String = self
            .source_id
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
            .collect();
        format!("{SUBJECT_PREFIX}.{clean}")
    }
}

/// What the stream said about a published page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    pub sequence: u64,
    /// The stream already held a page with this id: this one was dropped.
    pub duplicate: bool,
}

/// A connection to the stream.
#[derive(Clone)]
pub struct Bus {
    jetstream: jetstream::Context,
    url: String,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus").field("url", &self.url).finish_non_exhaustive()
    }
}

impl Bus {
    /// Connects to the NATS server at `url` and makes sure the stream exists (created on
    /// first use: file storage, kept until consumed by the process workers).
    pub async fn connect(url: &str) -> Result<Self, BusError> {
        let client = async_nats::ConnectOptions::new()
            .name("hark")
            .connection_timeout(Duration::from_secs(10))
            // Reconnect for ever: a NATS restart pauses the work, it does not end it.
            .retry_on_initial_connect()
            .connect(url)
            .await
            .map_err(|err| BusError::Connect { url: url.to_owned(), detail: err.to_string() })?;
        let jetstream = jetstream::new(client);
        let config = stream::Config {
            name: STREAM.to_owned(),
            subjects: vec![format!("{SUBJECT_PREFIX}.>")],
            storage: stream::StorageType::File,
            retention: stream::RetentionPolicy::WorkQueue,
            duplicate_window: DUPLICATE_WINDOW,
            ..stream::Config::default()
        };
        // Processes started together (a fetcher and its workers) race to create the stream:
        // the loser's create fails ("subjects overlap"), and looking again finds it.
        get_or_create("creating the page stream", || jetstream.get_or_create_stream(config.clone())).await?;
        Ok(Self { jetstream, url: url.to_owned() })
    }

    /// Publishes `page` and waits until the stream has stored it (or says it had it).
    pub async fn publish(&self, page: &PageMessage) -> Result<Published, BusError> {
        let body = serde_json::to_vec(page).map_err(|err| stream_error("encoding a page")(&err))?;
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", page.message_id().as_str());
        let ack = self
            .jetstream
            .publish_with_headers(page.subject(), headers, body.into())
            .await
            .map_err(|err| stream_error("publishing a page")(&err))?
            .await
            .map_err(|err| stream_error("waiting for the stream to store a page")(&err))?;
        Ok(Published { sequence: ack.sequence, duplicate: ack.duplicate })
    }

    /// The pages for process workers, through the shared durable consumer. A page not
    /// acknowledged within `ack_wait` is delivered again.
    pub async fn pages(&self, ack_wait: Duration) -> Result<Pages, BusError> {
        let stream =
            self.jetstream.get_stream(STREAM).await.map_err(|err| stream_error("opening the page stream")(&err))?;
        let config = consumer::pull::Config {
            durable_name: Some(CONSUMER.to_owned()),
            ack_policy: consumer::AckPolicy::Explicit,
            ack_wait,
            ..consumer::pull::Config::default()
        };
        // Workers started together race to create the consumer, as processes do the stream.
        let consumer =
            get_or_create("opening the process consumer", || stream.get_or_create_consumer(CONSUMER, config.clone()))
                .await?;
        let messages = consumer.messages().await.map_err(|err| stream_error("reading pages")(&err))?;
        Ok(Pages { messages })
    }

    /// Pages in the stream not yet acknowledged by a process worker.
    pub async fn pending(&self) -> Result<u64, BusError> {
        let mut stream =
            self.jetstream.get_stream(STREAM).await.map_err(|err| stream_error("opening the page stream")(&err))?;
        let info = stream.info().await.map_err(|err| stream_error("reading the stream's state")(&err))?;
        Ok(info.state.messages)
    }
}

/// `attempt()` (a get-or-create), tried again a moment later when another process was
/// creating the same thing, up to [`CREATE_ATTEMPTS`] times.
async fn get_or_create<T, E, F>(what: &'static str, mut attempt: impl FnMut() -> F) -> Result<T, BusError>
where
    F: Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let mut tries = 1;
    loop {
        match attempt().await {
            Ok(found) => return Ok(found),
            Err(err) if tries < CREATE_ATTEMPTS => {
                tracing::debug!(error = %err, tries, "{what}; looking again");
                tokio::time::sleep(Duration::from_millis(200)).await;
                tries += 1;
            }
            Err(err) => return Err(stream_error(what)(&err)),
        }
    }
}

/// Pages as they arrive for this worker.
pub struct Pages {
    messages: consumer::pull::Stream,
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages").finish_non_exhaustive()
    }
}

/// One delivered page; acknowledge it once it is committed.
pub struct Delivered {
    pub page: PageMessage,
    /// How many times this page was delivered (1 the first time).
    pub delivered: i64,
    message: jetstream::Message,
}

impl std::fmt::Debug for Delivered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivered")
            .field("source_id", &self.page.source_id)
            .field("mentions", &self.page.mentions.len())
            .field("delivered", &self.delivered)
            .finish_non_exhaustive()
    }
}

impl Delivered {
    /// The page is committed: the stream forgets it.
    pub async fn ack(&self) -> Result<(), BusError> {
        self.message.ack().await.map_err(|err| stream_error("acknowledging a page")(&err))
    }

    /// The page could not be committed now: deliver it again after `delay`.
    pub async fn retry_after(&self, delay: Duration) -> Result<(), BusError> {
        self.message
            .ack_with(jetstream::AckKind::Nak(Some(delay)))
            .await
            .map_err(|err| stream_error("handing a page back")(&err))
    }
}

impl Pages {
    /// The next page; `None` when the stream ends (the connection was closed for good).
    pub async fn next(&mut self) -> Option<Result<Delivered, BusError>> {
        let message = match self.messages.next().await? {
            Ok(message) => message,
            Err(err) => return Some(Err(stream_error("receiving a page")(&err))),
        };
        let delivered = message.info().map(|info| info.delivered).unwrap_or(1);
        match serde_json::from_slice::<PageMessage>(&message.payload) {
            Ok(page) => Some(Ok(Delivered { page, delivered, message })),
            Err(err) => {
                let subject = message.subject.to_string();
                // A message that is not a page can never be processed: terminate it so that
                // it is not redelivered for ever, and say so.
                if let Err(ack) = message.ack_with(jetstream::AckKind::Term).await {
                    tracing::warn!(%subject, error = %ack, "terminating a message that is not a page");
                }
                Some(Err(BusError::BadMessage { subject, detail: err.to_string() }))
            }
        }
    }
}
