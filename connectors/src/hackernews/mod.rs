//! Hacker News, through the Algolia HN Search API (no key needed).
//!
//! Collects stories and comments matching keyword queries from
//! `GET {base_url}/api/v1/search_by_date?query=…&tags=(story,comment)&numericFilters=created_at_i>=…`.
//! The cursor is time, not page (Algolia reaches only the first 1,000 hits of a query): for each
//! query the newest `created_at_i` seen, re-queried inclusively and de-duplicated on
//! `objectID`. Rate limit: 10,000 requests per hour per IP, no headers. Example:
//!
//! ```toml
//! [[sources]]
//! id = "hn"
//! kind = "hackernews"
//! queries = ["acme crm", "acmecrm"]
//! interval = "5m"
//! ```

pub mod api;
pub mod convert;
#[cfg(test)]
mod tests;

use crate::Kind;

pub const KIND: Kind = Kind {
    name: "hackernews",
    folder: "hackernews",
    description: "Hacker News stories and comments matching keyword queries (Algolia HN Search API, no key)",
    example: "[[sources]]\nid = \"hn\"\nkind = \"hackernews\"\nqueries = [\"acme crm\"]\ninterval = \"5m\"\n",
};

/// The default address of the API; `base_url` overrides it.
pub const DEFAULT_BASE_URL: &str = "https://hn.algolia.com";
