mod cli;
mod customers;
mod ingest;
