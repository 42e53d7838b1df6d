//! hark-core: the vocabulary every other hark crate speaks.
//!
//! It owns the data model of DESIGN.md (mentions and their authors, signals, CRM customers,
//! matches, queue items, prospects and runs), the stable ids derived from them, the two text
//! hygiene rules every source shares (URL canonicalisation and safe HTML-to-text), handle
//! normalisation per source, the language of a post and which languages are scored ([`lang`]),
//! and the injectable [`Clock`].
//!
//! It does no IO: no files, no network, no async runtime. Everything here is a pure function
//! or a plain data type, so every other crate can depend on it and test it cheaply.

pub mod clock;
pub mod contact;
pub mod customer;
pub mod handle;
pub mod id;
pub mod lang;
pub mod mention;
pub mod queue;
pub mod run;
pub mod signals;
pub mod text;
pub mod url;

pub use clock::{Clock, ManualClock, SystemClock};
pub use customer::{Customer, Match, MatchMethod, MatchState};
pub use id::{CustomerId, MentionId};
pub use mention::{Author, Engagement, Mention, SequencedMention, SourceKind, SourceKindError};
pub use queue::{Prospect, Queue, QueueItem, QueueState};
pub use run::{Run, RunOutcome};
pub use signals::{Sentiment, SentimentScores, Signals};
