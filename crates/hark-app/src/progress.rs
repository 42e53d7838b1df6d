//! How long-running actions (ingesting a file, catching the index up, rebuilding it) report
//! progress: the command line draws a bar, the server ignores it.

/// What a unit of progress counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Bytes,
    Items,
}

/// Receives progress reports; every method does nothing by default.
pub trait Progress: Send {
    /// Work of `total` units begins (`total` may be 0 when unknown).
    fn start(&mut self, _what: &str, _total: u64, _unit: Unit) {}
    /// `done` units are done so far.
    fn set(&mut self, _done: u64) {}
    /// `delta` more units are done.
    fn advance(&mut self, _delta: u64) {}
    /// Something the person watching should read now (a skipped line of a file).
    fn note(&mut self, _message: &str) {}
    /// The work is over (successfully or not).
    fn finish(&mut self) {}
}

/// Reports nowhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}
