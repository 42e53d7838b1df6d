//! Output helpers: JSON on stdout for machines, aligned tables for people, progress bars on
//! stderr.

use std::io::Write;

use hark_app::{Progress, Unit};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

pub use hark_core::text::thousands;

/// Prints `value` as pretty JSON on stdout.
pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, value)?;
    writeln!(stdout)?;
    Ok(())
}

/// A plain text table: a header row and left-aligned columns.
pub fn print_table(headers: &[&str], rows: &[Vec<String>]) -> std::io::Result<()> {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut stdout = std::io::stdout().lock();
    let mut render = |cells: Vec<&str>| {
        let line: Vec<String> = cells.iter().zip(&widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        writeln!(stdout, "{}", line.join("  ").trim_end())
    };
    render(headers.to_vec())?;
    for row in rows {
        render(row.iter().map(String::as_str).collect())?;
    }
    Ok(())
}

/// A byte-based progress bar for reading a file of `len` bytes, hidden when not wanted.
pub fn file_progress(len: u64, what: &str, visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    let style = ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({eta} left)")
        .expect("the template is valid")
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(what.to_owned());
    bar
}

/// A progress bar counting `total` items, hidden when not wanted.
pub fn count_progress(total: u64, what: &str, visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    let style = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({per_sec}, {eta} left)")
        .expect("the template is valid")
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(what.to_owned());
    bar
}

/// An application's progress as a bar on stderr (hidden when not `visible`); notes are
/// printed above the bar, the first `notes_shown` of them.
#[derive(Debug)]
pub struct Bar {
    visible: bool,
    bar: Option<ProgressBar>,
    notes_shown: usize,
    notes: usize,
}

impl Bar {
    pub fn new(visible: bool) -> Self {
        Self { visible, bar: None, notes_shown: usize::MAX, notes: 0 }
    }

    /// Prints at most `shown` notes (0: none).
    #[must_use]
    pub fn with_notes(mut self, shown: usize) -> Self {
        self.notes_shown = shown;
        self
    }
}

impl Progress for Bar {
    fn start(&mut self, what: &str, total: u64, unit: Unit) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        self.bar = Some(match unit {
            Unit::Bytes => file_progress(total, what, self.visible),
            Unit::Items => count_progress(total, what, self.visible),
        });
    }

    fn set(&mut self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        }
    }

    fn advance(&mut self, delta: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(delta);
        }
    }

    fn note(&mut self, message: &str) {
        self.notes += 1;
        if self.notes > self.notes_shown {
            return;
        }
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{message}")),
            None => eprintln!("{message}"),
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
