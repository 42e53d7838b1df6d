mod cli;
mod customers;
mod ingest;
mod train;
