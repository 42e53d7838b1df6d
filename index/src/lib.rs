//! hark-index: tantivy indexes of mentions and customers under the data dir. Derived data:
//! always rebuildable from the store, never the source of truth.
//!
//! - [`query`]: the search query language (pure: syntax tree, normalised form, parser with
//!   positioned errors);
//! - [`mentions`]: the mention index (schema, analysers, query compilation, search with
//!   near-duplicate collapsing) and its [`mentions::Indexer`] (incremental indexing from the
//!   store in insertion order, commit policy, rebuild);
//! - [`customers`]: the customer lookup used for matching (exact handle, email and domain
//!   keys, fuzzy names in an in-memory tantivy index, company and product phrases);
//! - [`synthetic`]: a deterministic generator of realistic mentions for benchmarks and tests.

pub mod customers;
pub mod mentions;
pub mod query;
pub mod synthetic;
