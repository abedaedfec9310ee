//! Writing results: aligned tables, CSV and JSON, to a stdout that may close early.

use std::io::{self, Write};

/// One cell of a table: its text, and the colour the ledger gives it (a status word).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    text: String,
    /// An SGR colour code (`32`), used only when the table is written as text.
    colour: Option<&'static str>,
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell { text, colour: None }
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell { text: text.to_owned(), colour: None }
    }
}

/// A table of text cells with a header row.
pub struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A table with these column names.
    pub fn new(header: &[&'static str]) -> Self {
        Table { header: header.to_vec(), rows: Vec::new() }
    }

    /// Adds a row (as many cells as the header).
    pub fn row<C: Into<Cell>>(&mut self, cells: Vec<C>) {
        debug_assert_eq!(cells.len(), self.header.len());
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }

    /// Writes aligned columns for a terminal. Every cell's text is escaped ([`escape`]) before it
    /// is measured and coloured: a name or reason cannot move the cursor, fake a row or recolour
    /// the terminal, and the ledger's own colours still work.
    pub fn write_text(&self, out: &mut impl Write) -> io::Result<()> {
        let rows: Vec<Vec<(String, Option<&str>)>> =
            self.rows.iter().map(|r| r.iter().map(|c| (escape(&c.text), c.colour)).collect()).collect();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &rows {
            for (w, (c, _)) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.chars().count());
            }
        }
        let line = |out: &mut dyn Write, cells: &mut dyn Iterator<Item = (&str, Option<&str>)>| -> io::Result<()> {
            let mut s = String::new();
            for (i, ((c, colour), w)) in cells.zip(&widths).enumerate() {
                if i > 0 {
                    s.push_str("  ");
                }
                match colour {
                    Some(code) => s.push_str(&format!("\x1b[{code}m{c}\x1b[0m")),
                    None => s.push_str(c),
                }
                if i + 1 < widths.len() {
                    s.extend(std::iter::repeat_n(' ', w.saturating_sub(c.chars().count())));
                }
            }
            writeln!(out, "{}", s.trim_end())
        };
        // A key-value listing has a blank header: print none.
        if self.header.iter().any(|h| !h.is_empty()) {
            line(out, &mut self.header.iter().map(|h| (*h, None)))?;
        }
        for row in &rows {
            line(out, &mut row.iter().map(|(c, colour)| (c.as_str(), *colour)))?;
        }
        Ok(())
    }

    /// Writes RFC 4180 CSV, without colours. A cell that a spreadsheet would read as a formula
    /// (one that begins with `=`, `+`, `-`, `@`, a tab or a carriage return) is written with a
    /// single quote before it, as OWASP advises for CSV injection: sanctions lists are opened in
    /// spreadsheets, and a designated name is chosen by whoever was designated. The rule holds
    /// for every cell, so a negative number in a diff's `old`/`new` column reads `'-5`.
    pub fn write_csv(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(out, "{}", self.header.iter().map(|h| csv_field(h)).collect::<Vec<_>>().join(","))?;
        for row in &self.rows {
            writeln!(out, "{}", row.iter().map(|c| csv_field(&c.text)).collect::<Vec<_>>().join(","))?;
        }
        Ok(())
    }
}

/// One CSV field: neutralised if a spreadsheet would take it for a formula, then quoted if it
/// holds a separator, a quote or a line break.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

/// Whether a terminal could act on `c` rather than show it: C0 and C1 control characters, DEL,
/// the bidirectional embeddings, overrides and isolates (which reorder what follows them on the
/// line), and the Unicode line and paragraph separators.
fn dangerous(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

/// Text for a terminal: every dangerous character ([`dangerous`]) written as an escape, `\n`,
/// `\r`, `\t`, `\x1b` for the other C0 controls and DEL, `\u{202e}` for the rest. Backslashes are
/// left alone: text that spells an escape is shown as it is, which fakes nothing.
pub fn escape(s: &str) -> String {
    if !s.chars().any(dangerous) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if dangerous(c) && (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if dangerous(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// [`escape`] for text of several lines that the ledger laid out itself (pretty-printed JSON of
/// an event, a message with a hint line): its line breaks are kept, everything else is escaped.
pub fn escape_lines(s: &str) -> String {
    s.split('\n').map(escape).collect::<Vec<_>>().join("\n")
}

/// Writes one JSON document, pretty-printed, and a newline.
pub fn write_json(out: &mut impl Write, v: &impl serde::Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, v).map_err(io::Error::from)?;
    writeln!(out)
}

/// Whether to colour output: stdout is a terminal and `NO_COLOR` is unset.
pub fn colour() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none() && io::stdout().is_terminal()
}

/// A status word, green (active), yellow (delisted) or dim (absent) when colouring (a table
/// written as text to a terminal; never in CSV).
pub fn paint_status(status: ledger_core::projection::Status) -> Cell {
    use ledger_core::projection::Status;
    let colour = colour().then_some(match status {
        Status::Active => "32",
        Status::Delisted => "33",
        Status::Absent | Status::Unknown => "2",
    });
    Cell { text: status.as_str().to_owned(), colour }
}

/// The first `n` characters of a hash, for tables.
pub fn short(hash: &str) -> String {
    hash.chars().take(12).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_would_act_on() {
        assert_eq!(escape("Nusret SEFEROVIĆ"), "Nusret SEFEROVIĆ");
        assert_eq!(escape("a\x1b[31mb\nc\rd\te\u{7f}"), "a\\x1b[31mb\\nc\\rd\\te\\x7f");
        assert_eq!(escape("\u{202e}cba\u{2066}\u{9b}"), "\\u{202e}cba\\u{2066}\\u{9b}");
        assert_eq!(escape_lines("{\n  \"a\u{202e}\"\n}"), "{\n  \"a\\u{202e}\"\n}");
    }

    #[test]
    fn colours_survive_escaping_and_never_reach_csv() {
        let mut t = Table::new(&["status", "name"]);
        t.row(vec![Cell { text: "active".into(), colour: Some("32") }, "\x1b[2Jx".into()]);
        let mut text = Vec::new();
        t.write_text(&mut text).unwrap();
        assert_eq!(String::from_utf8(text).unwrap(), "status  name\n\x1b[32mactive\x1b[0m  \\x1b[2Jx\n");
        let mut csv = Vec::new();
        t.write_csv(&mut csv).unwrap();
        assert_eq!(String::from_utf8(csv).unwrap(), "status,name\nactive,\x1b[2Jx\n");
    }

    #[test]
    fn csv_cells_that_look_like_formulas_are_neutralised() {
        for (cell, want) in [
            ("=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""),
            ("+1+2", "'+1+2"),
            ("-2+3", "'-2+3"),
            ("@SUM(1,2)", "\"'@SUM(1,2)\""),
            ("\t=1", "'\t=1"),
            ("\r=1", "\"'\r=1\""),
            ("a=1", "a=1"),
            ("O'Brien", "O'Brien"),
        ] {
            assert_eq!(csv_field(cell), want, "{cell:?}");
        }
    }
}
