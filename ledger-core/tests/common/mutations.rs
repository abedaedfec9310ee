//! Mutations of real list files for the hostile-input tests: tokens of the XML layouts, hostile
//! cell values, and edits (insert, delete, replace a value) applied at random places. Included by
//! the core's and the importers' hostile tests (`#[path]`), so that both mutate files alike; and
//! the proptest configuration both run with.

use ledger_core::validate::limits;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::{Config, RngSeed};

/// A deterministic, bounded proptest configuration: `cases` cases from a fixed seed, no failure
/// files, shrinking capped at 30 s.
pub fn config(cases: u32, seed: u64) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        max_shrink_time: 30_000,
        ..Config::default()
    }
}

/// Tokens of the two XML layouts and of XML itself.
#[rustfmt::skip]
pub const XML_TOKENS: &[&str] = &[
    "<Designations>", "</Designations>", "<Designation>", "</Designation>",
    "<DateGenerated>29/04/2026</DateGenerated>", "<DateGenerated>", "</DateGenerated>",
    "<UniqueID>GIM0001</UniqueID>", "<UniqueID>", "</UniqueID>", "GIM0001",
    "<Names><Name><Name6>X</Name6><NameType>Primary Name</NameType></Name></Names>", "<Name>", "</Name>", "<Name6>",
    "</Name6>", "<NameType>", "</NameType>", "Alias", "Primary Name",
    "<IndividualEntityShip>Individual</IndividualEntityShip>", "<DateDesignated>23/07/2025</DateDesignated>",
    "<RegimeName>R</RegimeName>", "<DOB>", "</DOB>", "dd/mm/1975", "00/13/1975", "<Address><AddressLine1>",
    "</AddressLine1></Address>", "<CONSOLIDATED_LIST dateGenerated=\"2026-02-27T00:00:09Z\">", "<CONSOLIDATED_LIST>",
    "</CONSOLIDATED_LIST>", "<INDIVIDUALS>", "</INDIVIDUALS>", "<ENTITIES>", "</ENTITIES>", "<INDIVIDUAL>",
    "</INDIVIDUAL>", "<ENTITY>", "</ENTITY>", "<REFERENCE_NUMBER>CDi.001</REFERENCE_NUMBER>",
    "<LISTED_ON>2012-12-31</LISTED_ON>", "<UN_LIST_TYPE>DRC</UN_LIST_TYPE>", "<FIRST_NAME>ERIC</FIRST_NAME>",
    "<INDIVIDUAL_DATE_OF_BIRTH><YEAR>1971</YEAR><TO_YEAR>19</TO_YEAR></INDIVIDUAL_DATE_OF_BIRTH>",
    "<INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>A</ALIAS_NAME></INDIVIDUAL_ALIAS>",
    "<NATIONALITY><VALUE>X</VALUE></NATIONALITY>", "<VALUE>", "</VALUE>", "<a>", "</a>", "<a/>", "<x:y xmlns:x='u'>",
    "</x:y>", "&amp;", "&lt;", "&#0;", "&#x110000;", "&#65;", "&#xD800;", "&bogus;", "&", "<![CDATA[", "]]>", "<!--",
    "-->", "<?xml version=\"1.0\"?>", "<!DOCTYPE d [<!ENTITY e \"v\">]>", "&e;", "<", ">", "/", "\"", "'", "=",
    " a='1'", " a=\"&lt;\"", "\n", " ", "\u{feff}", "é", "\r\n", "|", "\0",
    "<export generationDate=\"2020-04-15T15:29:22.497+02:00\">", "<export>", "</export>",
    "<sanctionEntity logicalId=\"13\">", "<sanctionEntity>", "</sanctionEntity>",
    "<regulation programme=\"IRQ\" publicationDate=\"2003-07-08\" entryIntoForceDate=\"2003-07-07\"/>",
    "<subjectType code=\"person\" classificationCode=\"P\"/>", "<subjectType classificationCode=\"X\"/>",
    "<nameAlias wholeName=\"A\" strong=\"false\"/>", "<nameAlias firstName=\" \"/>",
    "<birthdate year=\"19\" circa=\"true\"/>", "<birthdate birthdate=\"1937-04-28+25:00\"/>",
    "<birthdate yearRangeFrom=\"1960\" yearRangeTo=\"x\" calendarType=\"ISLAMIC\"/>",
    "<regulationSummary publicationDate=\"2003-02-30\"/>", " designationDate=\"2001-10-06\"",
    " delistingDate=\"2020-01-01\"", "<identification number=\"1\" identificationTypeCode=\"id\"/>",
    "<Sanctions xmlns=\"http://www.un.org/sanctions/1.0\">", "</Sanctions>",
    "<DateOfIssue><Year>2020</Year><Month>3</Month><Day>17</Day></DateOfIssue>", "<ReferenceValueSets/>",
    "<Locations/>", "<IDRegDocuments/>", "<DistinctParties>", "</DistinctParties>", "<SanctionsEntries>",
    "</SanctionsEntries>", "<DistinctParty><Profile ID=\"1\" PartySubTypeID=\"4\"/></DistinctParty>",
    "<SanctionsEntry ProfileID=\"1\" ListID=\"1\"><EntryEvent><Date><Year>2020</Year></Date></EntryEvent></SanctionsEntry>",
];

/// Values for CSV cells and XML texts: dates, kinds, name types, separators, quotes, odd
/// characters, and one longer than the string limit.
#[rustfmt::skip]
pub const CELLS: &[&str] = &[
    "", " ", "00/00/0000", "31/02/2025", "29/02/2024", "dd/mm/yyyy", "00/03/1975", "1/1/1899", "01/01/3000",
    "2025-07-23", "Individual", "Ship", "ENTITY", "Vessel", "Primary Name", "Alias", "primary name variation",
    "Good quality a.k.a", "bad", "a|b||c", "|||", "\"", "\"\"", "x\"y", "\"a,b\"", ",", "\n", "\r", "GIM0001",
    "GIM0002", "0001", "G", "X/Y", "a b", "é", "Джон", "\u{0}", "\u{feff}", "12/03/1975|00/00/1976", "&amp;",
    "&bogus;", "<", "]]>", "<a>b</a>", "CDi.001", "2012-12-31", "DRC", "Al-Qaida", "$$$", "1975", "1975-13", "Low",
];

#[derive(Debug, Clone)]
pub enum Op {
    Flip(Index, u8),
    Truncate(Index),
    DeleteLine(Index),
    DuplicateLine(Index),
    SwapLines(Index, Index),
    Insert(Index, &'static str),
    /// Replace a cell of a CSV line, or an XML text between tags.
    Value(Index, Index, &'static str),
    /// Replace with a string over the string limit.
    Long(Index, Index),
}

pub fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (any::<Index>(), 1u8..=255).prop_map(|(i, x)| Op::Flip(i, x)),
        1 => any::<Index>().prop_map(Op::Truncate),
        2 => any::<Index>().prop_map(Op::DeleteLine),
        2 => any::<Index>().prop_map(Op::DuplicateLine),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Op::SwapLines(a, b)),
        2 => (any::<Index>(), select(XML_TOKENS)).prop_map(|(i, t)| Op::Insert(i, t)),
        6 => (any::<Index>(), any::<Index>(), select(CELLS)).prop_map(|(a, b, v)| Op::Value(a, b, v)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Op::Long(a, b)),
    ]
}

/// The byte ranges of a file's values: CSV cells (split at commas, quotes ignored) or XML texts
/// (between `>` and `<`), in line `line` for CSV.
fn value_spans(bytes: &[u8], csv: bool, line: Index) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    if csv {
        let starts: Vec<usize> = std::iter::once(0)
            .chain(bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i + 1))
            .collect();
        let start = starts[line.index(starts.len())];
        let end = bytes[start..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |p| start + p);
        let mut from = start;
        for (i, &b) in bytes.iter().enumerate().take(end).skip(start) {
            if b == b',' {
                spans.push((from, i));
                from = i + 1;
            }
        }
        spans.push((from, end));
    } else {
        let mut open = None;
        for (i, &b) in bytes.iter().enumerate() {
            match b {
                b'>' => open = Some(i + 1),
                b'<' => {
                    if let Some(s) = open.take() {
                        spans.push((s, i));
                    }
                }
                _ => {}
            }
        }
    }
    spans
}

pub fn mutate(mut bytes: Vec<u8>, ops: &[Op], csv: bool) -> Vec<u8> {
    let lines_of = |b: &[u8]| -> Vec<Vec<u8>> { b.split_inclusive(|&c| c == b'\n').map(<[u8]>::to_vec).collect() };
    for op in ops {
        let len = bytes.len();
        match op {
            Op::Flip(i, x) if len > 0 => bytes[i.index(len)] ^= x,
            Op::Truncate(i) => bytes.truncate(i.index(len + 1)),
            Op::DeleteLine(i) | Op::DuplicateLine(i) if len > 0 => {
                let mut lines = lines_of(&bytes);
                let at = i.index(lines.len());
                if matches!(op, Op::DeleteLine(_)) {
                    lines.remove(at);
                } else {
                    let copy = lines[at].clone();
                    lines.insert(at, copy);
                }
                bytes = lines.concat();
            }
            Op::SwapLines(a, b) if len > 0 => {
                let mut lines = lines_of(&bytes);
                let n = lines.len();
                lines.swap(a.index(n), b.index(n));
                bytes = lines.concat();
            }
            Op::Insert(i, t) => {
                let at = i.index(len + 1);
                bytes.splice(at..at, t.bytes());
            }
            Op::Value(line, cell, _) | Op::Long(line, cell) => {
                let spans = value_spans(&bytes, csv, *line);
                if spans.is_empty() {
                    continue;
                }
                let (s, e) = spans[cell.index(spans.len())];
                let value = match op {
                    Op::Value(_, _, v) => (*v).to_owned(),
                    _ => "L".repeat(limits::MAX_STRING_BYTES + 10),
                };
                bytes.splice(s..e, value.bytes());
            }
            _ => {}
        }
    }
    bytes
}
