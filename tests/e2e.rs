//! End-to-end scenarios, one test binary: each runs the real `hark` binary in a scratch
//! directory and checks what a user would see (exit codes, messages, JSON output, the store).

mod scenarios;
mod support;
