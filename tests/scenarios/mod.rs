mod cli;
mod customers;
mod ingest;
mod pull;
mod train;
