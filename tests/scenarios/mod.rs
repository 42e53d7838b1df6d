//! The end-to-end scenarios, one module per area.
mod cli;
mod customers;
mod demo;
mod ingest;
mod matching;
mod migrate_store;
mod pull;
mod restart;
mod routing;
mod scaled;
mod search;
mod service;
mod train;
