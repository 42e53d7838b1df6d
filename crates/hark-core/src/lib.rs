//! hark-core: the vocabulary every other hark crate speaks.
//!
//! It owns the data model of DESIGN.md (mentions and their authors, signals, CRM customers,
//! matches, queue items, prospects and runs), the stable ids derived from them, the two text
//! hygiene rules every source shares (URL canonicalisation and safe HTML-to-text), handle
//! normalisation per source, the language of a post and which languages are scored ([`lang`]),
//! the injectable [`Clock`], and [`error_chain`], the one-line form of an error with its causes.
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

/// An error with its causes on one line, `outer: cause: root`, for logs and messages that
/// must say why without a backtrace.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn error_chain_names_every_cause_in_order() {
        #[derive(Debug)]
        struct Opening(std::io::Error);
        impl std::fmt::Display for Opening {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("opening the store")
            }
        }
        impl std::error::Error for Opening {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let chained = Opening(std::io::Error::other("connection refused"));
        assert_eq!(super::error_chain(&chained), "opening the store: connection refused");
    }
}
