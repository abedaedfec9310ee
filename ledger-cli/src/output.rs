//! Writing results: aligned tables, CSV and JSON, to a stdout that may close early.

use std::io::{self, Write};

use serde_json::Value;

/// A table of text cells with a header row.
pub struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column names.
    pub fn new(header: &[&'static str]) -> Self {
        Table { header: header.to_vec(), rows: Vec::new() }
    }

    /// Adds a row (as many cells as the header).
    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.header.len());
        self.rows.push(cells);
    }

    /// Writes aligned columns.
    pub fn write_text(&self, out: &mut impl Write) -> io::Result<()> {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(visible_len(c));
            }
        }
        let line = |out: &mut dyn Write, cells: &mut dyn Iterator<Item = &str>| -> io::Result<()> {
            let mut s = String::new();
            for (i, (c, w)) in cells.zip(&widths).enumerate() {
                if i > 0 {
                    s.push_str("  ");
                }
                s.push_str(c);
                if i + 1 < widths.len() {
                    s.extend(std::iter::repeat_n(' ', w.saturating_sub(visible_len(c))));
                }
            }
            writeln!(out, "{}", s.trim_end())
        };
        // A key-value listing has a blank header: print none.
        if self.header.iter().any(|h| !h.is_empty()) {
            line(out, &mut self.header.iter().copied())?;
        }
        for row in &self.rows {
            line(out, &mut row.iter().map(String::as_str))?;
        }
        Ok(())
    }

    /// Writes RFC 4180 CSV.
    pub fn write_csv(&self, out: &mut impl Write) -> io::Result<()> {
        let field = |s: &str| {
            if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
        };
        writeln!(out, "{}", self.header.iter().map(|h| field(h)).collect::<Vec<_>>().join(","))?;
        for row in &self.rows {
            writeln!(out, "{}", row.iter().map(|c| field(c)).collect::<Vec<_>>().join(","))?;
        }
        Ok(())
    }
}

/// Characters a cell shows, not counting colour escapes.
fn visible_len(s: &str) -> usize {
    let mut n = 0;
    let mut in_escape = false;
    for c in s.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) => n += 1,
        }
    }
    n
}

/// Writes one JSON document, pretty-printed, and a newline.
pub fn write_json(out: &mut impl Write, v: &Value) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, v).map_err(io::Error::from)?;
    writeln!(out)
}

/// Whether to colour output: stdout is a terminal and `NO_COLOR` is unset.
pub fn colour() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none() && io::stdout().is_terminal()
}

/// A status word, green (active), yellow (delisted) or dim (absent) when colouring.
pub fn paint_status(status: ledger_core::projection::Status) -> String {
    use ledger_core::projection::Status;
    let text = status.as_str();
    if !colour() {
        return text.to_owned();
    }
    let code = match status {
        Status::Active => "32",
        Status::Delisted => "33",
        Status::Absent | Status::Unknown => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// The first `n` characters of a hash, for tables.
pub fn short(hash: &str) -> String {
    hash.chars().take(12).collect()
}
