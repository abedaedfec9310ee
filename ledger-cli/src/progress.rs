//! Progress bars on stderr for long work (`append`, `verify`, `export`, `import-bundle`,
//! `import`): drawn only when stderr is a terminal and `--quiet` was not given, and cleared when
//! the work ends, so that what stays on screen is the command's answer.

use std::io::{self, IsTerminal, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

static QUIET: AtomicBool = AtomicBool::new(false);

/// Turns progress bars off for this process (`--quiet`).
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Whether notes (not errors or warnings) may go to stderr.
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// A progress bar, or nothing when no one is watching.
pub struct Bar(Option<ProgressBar>);

impl Bar {
    /// A bar on stderr when it is a terminal and the command is not `--quiet`; else nothing.
    pub fn new() -> Bar {
        if quiet() || !io::stderr().is_terminal() {
            return Bar(None);
        }
        Bar(Some(ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())))
    }

    /// Whether anything is drawn.
    pub fn shown(&self) -> bool {
        self.0.is_some()
    }

    fn start(&self, what: &str, total: Option<u64>, unit: Unit) {
        let Some(bar) = &self.0 else { return };
        let (counted, template) = match (total, unit) {
            (Some(_), Unit::Items) => (true, "{msg} [{bar:30}] {human_pos}/{human_len} ({elapsed}, {eta} left)"),
            (Some(_), Unit::Bytes) => (true, "{msg} [{bar:30}] {bytes}/{total_bytes} ({elapsed}, {eta} left)"),
            (None, Unit::Items) => (false, "{spinner} {msg} ({elapsed})"),
            (None, Unit::Bytes) => (false, "{spinner} {msg} {bytes} ({elapsed})"),
        };
        let style = ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style.progress_chars("=> "));
        bar.set_length(total.unwrap_or(0));
        bar.set_position(0);
        bar.reset_eta();
        bar.reset_elapsed();
        bar.set_message(what.to_owned());
        if counted {
            bar.disable_steady_tick();
        } else {
            bar.enable_steady_tick(Duration::from_millis(120));
        }
        bar.tick();
    }

    /// A phase measured in bytes (reading a file).
    pub fn bytes(&self, what: &str, total: Option<u64>) {
        self.start(what, total, Unit::Bytes);
    }

    /// Reads through `inner`, counting its bytes on the bar.
    pub fn reader<R: Read>(&self, inner: R) -> Counting<'_, R> {
        Counting { inner, bar: self, lines: false }
    }

    /// Writes through `inner`, counting its lines (one per event) on the bar.
    pub fn line_writer<W: Write>(&self, inner: W) -> Counting<'_, W> {
        Counting { inner, bar: self, lines: true }
    }

    /// Runs `f` with the bar hidden (to print a warning or ask a question).
    pub fn suspend<T>(&self, f: impl FnOnce() -> T) -> T {
        match &self.0 {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    /// Clears the bar.
    pub fn done(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl Default for Bar {
    fn default() -> Self {
        Bar::new()
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.done();
    }
}

#[derive(Clone, Copy)]
enum Unit {
    Items,
    Bytes,
}

impl ledger_core::progress::Progress for Bar {
    fn phase(&self, what: &str, total: Option<u64>) {
        self.start(what, total, Unit::Items);
    }

    fn advance(&self, n: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(n);
        }
    }
}

/// A reader or writer that moves a bar on as bytes (or lines) pass through it.
pub struct Counting<'a, T> {
    inner: T,
    bar: &'a Bar,
    lines: bool,
}

impl<T> Counting<'_, T> {
    fn count(&self, bytes: &[u8]) {
        let Some(bar) = &self.bar.0 else { return };
        if self.lines {
            bar.inc(bytes.iter().filter(|b| **b == b'\n').count() as u64);
        } else {
            bar.inc(bytes.len() as u64);
        }
    }
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count(&buf[..n]);
        Ok(n)
    }
}

impl<W: Write> Write for Counting<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
