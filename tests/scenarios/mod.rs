mod cli;
mod customers;
mod ingest;
mod pull;
mod restart;
mod train;
