//! Hostile input to the list importers (`uk::parse_csv`, `uk::parse_xml`, `un::parse_xml`,
//! `eu::parse_xml`, `ofac::parse_csv`, `ofac_xml::parse_xml`): arbitrary bytes, token grammars and
//! mutations of the real files. Each must return, without panicking, either a snapshot whose
//! designations pass the record rules or an error that says where and why.
//!
//! Property tests run with proptest at a fixed seed and case count and without failure files, so
//! a run is deterministic and bounded.
//!
//! The last tests hold inputs on which the parsers once crashed the process (deep XML nesting
//! overflowed the stack) or slowed down quadratically. Those that would take the whole test
//! binary down (a stack overflow aborts the process) or burn CPU for long run in a child process
//! of this binary, with a deadline.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ledger_core::event::InputEvent;
use ledger_core::input;
use ledger_core::validate;
use ledger_import::ofac::{self, CsvFile, CsvRole};
use ledger_import::{ParseError, Snapshot, eu, ofac_xml, uk, un};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::TestCaseError;

// The mutations of real files, shared with the core's hostile tests.
#[path = "../../ledger-core/tests/common/mutations.rs"]
mod mutations;
use mutations::{CELLS, XML_TOKENS, config, mutate, op};

const UK_CSV: &[u8] = include_bytes!("../../tests/fixtures/lists/uk-gim/UK-Sanctions-List-GIM-2026-04-29.csv");
const UK_XML: &[u8] = include_bytes!("../../tests/fixtures/lists/uk-gim/UK-Sanctions-List-GIM-2026-04-29.xml");
const UN_XML: &[u8] = include_bytes!("../../tests/fixtures/lists/un-sample/UN-consolidated-excerpt-2026-02-27.xml");
const EU_XML: &[u8] = include_bytes!("../../tests/fixtures/lists/eu-fsf/eu-fsf-2020-04-15-first7.xml");
const OFAC_XML: &[u8] = include_bytes!("../../tests/fixtures/lists/ofac-advanced/cons_advanced-2020-03-17.xml");
const OFAC_SDN: &[u8] = include_bytes!("../../tests/fixtures/lists/ofac-csv/sdn.csv");
const OFAC_ADD: &[u8] = include_bytes!("../../tests/fixtures/lists/ofac-csv/add.csv");
const OFAC_ALT: &[u8] = include_bytes!("../../tests/fixtures/lists/ofac-csv/alt.csv");
const OFAC_COMMENTS: &[u8] = include_bytes!("../../tests/fixtures/lists/ofac-csv/sdn_comments.csv");

/// The OFAC legacy CSV files with `bytes` as sdn.csv and the real others.
fn ofac_csv(bytes: &[u8]) -> Result<Snapshot, ParseError> {
    let files = [
        CsvFile { name: "sdn.csv", role: CsvRole::Main, bytes },
        CsvFile { name: "add.csv", role: CsvRole::Addresses, bytes: OFAC_ADD },
        CsvFile { name: "alt.csv", role: CsvRole::Aliases, bytes: OFAC_ALT },
        CsvFile { name: "sdn_comments.csv", role: CsvRole::Comments, bytes: OFAC_COMMENTS },
    ];
    ofac::parse_csv(&files, ledger_core::time::Date::parse("2025-05-16").expect("a date"))
}

// ================================================================================================
// The list importers

/// Non-empty location and reason on refusal; on success, every designation passes the record
/// rules, names the authority, has a location, and — unless it exceeds an input limit — is
/// accepted as an input event; a `line N` location is within the file.
fn check_list(bytes: &[u8], r: Result<Snapshot, ParseError>, authority: &str) -> Result<(), TestCaseError> {
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
    match r {
        Ok(s) => {
            prop_assert_eq!(s.authority.as_str(), authority);
            for l in &s.designations {
                prop_assert!(!l.location.trim().is_empty());
                prop_assert_eq!(l.designation.authority.as_str(), authority);
                if let Err(e) = validate::check_record(&l.designation.record()) {
                    prop_assert!(false, "{}: the importer let through {:?}", l.location, e);
                }
                prop_assert!(l.last_updated.windows(2).all(|w| w[0] < w[1]), "{:?}", l.last_updated);
                let v = serde_json::to_value(InputEvent::Designation(l.designation.clone())).expect("serializes");
                if let Err(e) = input::parse_value(1, v)
                    && !is_limit(&e.reason)
                {
                    prop_assert!(false, "{}: an imported designation is not a valid input event: {}", l.location, e);
                }
            }
        }
        Err(e) => {
            prop_assert!(!e.location.trim().is_empty(), "{:?}", e);
            prop_assert!(!e.reason.trim().is_empty(), "{:?}", e);
            if let Some(n) = e.location.strip_prefix("line ").and_then(|r| r.split([',', ' ']).next()) {
                let n: usize = n.parse().map_err(|_| TestCaseError::fail(format!("location {:?}", e.location)))?;
                prop_assert!(n >= 1 && n <= lines, "{:?} in a file of {} lines", e, lines);
            }
        }
    }
    Ok(())
}

fn is_limit(reason: &str) -> bool {
    ["exceeds the limit", "more than", "nested deeper", "member name too long"].iter().any(|w| reason.contains(w))
}

fn check_all_parsers(bytes: &[u8]) -> Result<(), TestCaseError> {
    check_list(bytes, uk::parse_csv(bytes), "UK")?;
    check_list(bytes, uk::parse_xml(bytes), "UK")?;
    check_list(bytes, un::parse_xml(bytes), "UN")?;
    check_list(bytes, eu::parse_xml(bytes), "EU")?;
    check_list(bytes, ofac_xml::parse_xml(bytes), "OFAC")?;
    check_ofac(bytes, ofac_csv(bytes))
}

/// As [`check_list`]; an OFAC location names the file (`sdn.csv line 3`), not only a line.
fn check_ofac(bytes: &[u8], r: Result<Snapshot, ParseError>) -> Result<(), TestCaseError> {
    match r {
        Err(e) => {
            prop_assert!(!e.location.trim().is_empty() && !e.reason.trim().is_empty(), "{:?}", e);
            Ok(())
        }
        ok => check_list(bytes, ok, "OFAC"),
    }
}

fn xml_token_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(select(XML_TOKENS), 0..80).prop_map(|t| t.concat())
}

/// Element names of the two XML layouts.
#[rustfmt::skip]
const ELEMENTS: &[&str] = &[
    "Designation", "UniqueID", "LastUpdated", "DateDesignated", "Names", "Name", "Name1", "Name6", "NameType",
    "AliasStrength", "NonLatinNames", "NonLatinName", "NameNonLatinScript", "NonLatinScriptType", "RegimeName",
    "IndividualEntityShip", "SanctionsImposed", "DOB", "Nationality", "Addresses", "Address", "AddressLine1",
    "AddressCountry", "PassportDetails", "Passport", "PassportNumber", "Location", "TownOfBirth", "Title",
    "OtherInformation", "IMONumber", "UKStatementofReasons", "INDIVIDUAL", "ENTITY", "REFERENCE_NUMBER", "LISTED_ON",
    "UN_LIST_TYPE", "FIRST_NAME", "SECOND_NAME", "NAME_ORIGINAL_SCRIPT", "INDIVIDUAL_ALIAS", "ENTITY_ALIAS",
    "ALIAS_NAME", "QUALITY", "INDIVIDUAL_DATE_OF_BIRTH", "DATE", "YEAR", "FROM_YEAR", "TO_YEAR", "TYPE_OF_DATE",
    "INDIVIDUAL_PLACE_OF_BIRTH", "CITY", "COUNTRY", "INDIVIDUAL_DOCUMENT", "TYPE_OF_DOCUMENT", "NUMBER",
    "NATIONALITY", "VALUE", "LAST_DAY_UPDATED", "COMMENTS1", "DESIGNATION", "TITLE", "NOTE", "ENTITY_ADDRESS",
    "STREET", "Unknown",
];

/// XML elements of the lists' names, nested, with the cell values as texts; now and then an
/// empty element or a closing tag that does not match.
fn xml_element() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        8 => (select(ELEMENTS), select(CELLS)).prop_map(|(n, t)| format!("<{n}>{t}</{n}>")),
        1 => select(ELEMENTS).prop_map(|n| format!("<{n}/>")),
        1 => (select(ELEMENTS), select(ELEMENTS), select(CELLS)).prop_map(|(n, m, t)| format!("<{n}>{t}</{m}>")),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        (select(ELEMENTS), proptest::collection::vec(inner, 0..6))
            .prop_map(|(n, children)| format!("<{n}>\n{}\n</{n}>", children.concat()))
    })
}

/// A list file of either layout: its root and report date, and records (each opened with the
/// fields a record needs, some of them dropped or wrong) of random elements.
fn xml_list() -> impl Strategy<Value = (bool, String)> {
    let date = select(&["29/04/2026", "2026-02-27", "2026-02-27T00:00:09.554Z", "31/02/2026", ""][..]);
    let core = (
        select(&["GIM0001", "GIM0002", "CDi.001", "CDi.002", "", "a b", "123"][..]),
        select(&["23/07/2025", "2012-12-31", "31/02/2025", ""][..]),
        select(&["Individual", "Entity", "Ship", "DRC", "Al-Qaida", "x"][..]),
        select(&["Primary Name", "Alias", "DOE", ""][..]),
        proptest::collection::vec(any::<bool>(), 4),
    );
    let record = (core, proptest::collection::vec(xml_element(), 0..6));
    (any::<bool>(), date, proptest::collection::vec(record, 0..5)).prop_map(|(uk, date, records)| {
        let mut s = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        if uk {
            s.push_str(&format!("<Designations>\n<DateGenerated>{date}</DateGenerated>\n"));
        } else {
            s.push_str(&format!("<CONSOLIDATED_LIST dateGenerated=\"{date}\">\n<INDIVIDUALS>\n"));
        }
        for ((id, listed, kind, name, keep), elements) in records {
            let fields = if uk {
                [
                    format!("<UniqueID>{id}</UniqueID>"),
                    format!("<DateDesignated>{listed}</DateDesignated><RegimeName>R</RegimeName>"),
                    format!("<IndividualEntityShip>{kind}</IndividualEntityShip>"),
                    format!("<Names><Name><Name6>{name}</Name6><NameType>Primary Name</NameType></Name></Names>"),
                ]
            } else {
                [
                    format!("<REFERENCE_NUMBER>{id}</REFERENCE_NUMBER>"),
                    format!("<LISTED_ON>{listed}</LISTED_ON>"),
                    format!("<UN_LIST_TYPE>{kind}</UN_LIST_TYPE>"),
                    format!("<FIRST_NAME>{name}</FIRST_NAME>"),
                ]
            };
            let tag = if uk { "Designation" } else { "INDIVIDUAL" };
            s.push_str(&format!("<{tag}>\n"));
            for (f, k) in fields.iter().zip(keep) {
                if k {
                    s.push_str(f);
                }
            }
            s.push_str(&elements.concat());
            s.push_str(&format!("\n</{tag}>\n"));
        }
        s.push_str(if uk { "</Designations>\n" } else { "</INDIVIDUALS>\n</CONSOLIDATED_LIST>\n" });
        (uk, s)
    })
}

/// A CSV row: its Unique ID, and cells to set by column (index into the header) to a value.
fn csv_row() -> impl Strategy<Value = (&'static str, Vec<(Index, String)>)> {
    let value = prop_oneof![4 => select(CELLS).prop_map(str::to_owned), 1 => "[\\s\\S]{0,12}"];
    let id = prop_oneof![8 => select(&["GIM0001", "GIM0002", "GIM0003"][..]), 1 => select(&["", "0001", "G/1"][..])];
    (id, proptest::collection::vec((any::<Index>(), value), 0..6))
}

/// The real header and `rows`, each with the cells a designation needs (as in [`uk_csv`]) and
/// then its own cells, quoted as CSV requires.
fn uk_csv_rows(rows: &[(&str, Vec<(Index, String)>)]) -> Vec<u8> {
    let text = String::from_utf8_lossy(UK_CSV).into_owned();
    let header = text.lines().nth(1).expect("a header line").to_owned();
    let columns: Vec<&str> = header.split(',').collect();
    let mut out = format!("Report Date: 29-Apr-2026\r\n{header}\r\n");
    for (id, cells) in rows {
        let mut row: Vec<String> = columns
            .iter()
            .map(|c| {
                match *c {
                    "Unique ID" => *id,
                    "Name 6" => "DOE",
                    "Name type" => "Primary Name",
                    "Regime Name" => "Test Regulations",
                    "Designation Type" => "Individual",
                    "Date Designated" => "23/07/2025",
                    _ => "",
                }
                .to_owned()
            })
            .collect();
        for (i, v) in cells {
            row[i.index(columns.len())] = v.clone();
        }
        let quoted: Vec<String> =
            row.iter()
                .map(|v| {
                    if v.contains([',', '"', '\n', '\r']) {
                        format!("\"{}\"", v.replace('"', "\"\""))
                    } else {
                        v.clone()
                    }
                })
                .collect();
        out.push_str(&quoted.join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

proptest! {
    #![proptest_config(config(8000, 0x5eed_0008))]

    /// Arbitrary bytes, to each of the six parsers.
    #[test]
    fn list_parsers_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        check_all_parsers(&bytes)?;
    }

    /// Text from a grammar of the lists' XML tokens, to each of the six parsers.
    #[test]
    fn list_parsers_xml_tokens(text in xml_token_text()) {
        check_all_parsers(text.as_bytes())?;
    }

    /// List files of both XML layouts built from their element names, records right and wrong.
    #[test]
    fn list_parsers_xml_structure((is_uk, text) in xml_list()) {
        let bytes = text.as_bytes();
        if is_uk {
            check_list(bytes, uk::parse_xml(bytes), "UK")?;
        } else {
            check_list(bytes, un::parse_xml(bytes), "UN")?;
        }
    }

    /// Well-formed CSV rows under the real header: the required cells filled in, then a few
    /// cells replaced by right and wrong values; rows of the same Unique ID are one designation.
    #[test]
    fn uk_csv_wrong_cells(rows in proptest::collection::vec(csv_row(), 1..6)) {
        let bytes = uk_csv_rows(&rows);
        check_list(&bytes, uk::parse_csv(&bytes), "UK")?;
    }
}

proptest! {
    #![proptest_config(config(3000, 0x5eed_0009))]

    /// The real UK CSV with 1 to 4 mutations.
    #[test]
    fn uk_csv_mutations(ops in proptest::collection::vec(op(), 1..5)) {
        let bytes = mutate(UK_CSV.to_vec(), &ops, true);
        check_list(&bytes, uk::parse_csv(&bytes), "UK")?;
    }

    /// The real UK XML with 1 to 4 mutations.
    #[test]
    fn uk_xml_mutations(ops in proptest::collection::vec(op(), 1..5)) {
        let bytes = mutate(UK_XML.to_vec(), &ops, false);
        check_list(&bytes, uk::parse_xml(&bytes), "UK")?;
    }

    /// The real UN XML with 1 to 4 mutations.
    #[test]
    fn un_xml_mutations(ops in proptest::collection::vec(op(), 1..5)) {
        let bytes = mutate(UN_XML.to_vec(), &ops, false);
        check_list(&bytes, un::parse_xml(&bytes), "UN")?;
    }

    /// The real OFAC sdn.csv with 1 to 4 mutations, beside the real other three files.
    #[test]
    fn ofac_csv_mutations(ops in proptest::collection::vec(op(), 1..5)) {
        let bytes = mutate(OFAC_SDN.to_vec(), &ops, true);
        check_ofac(&bytes, ofac_csv(&bytes))?;
    }

    /// The real EU XML with 1 to 4 mutations.
    #[test]
    fn eu_xml_mutations(ops in proptest::collection::vec(op(), 1..5)) {
        let bytes = mutate(EU_XML.to_vec(), &ops, false);
        check_list(&bytes, eu::parse_xml(&bytes), "EU")?;
    }
}

#[test]
fn real_lists_parse() {
    assert_eq!(uk::parse_csv(UK_CSV).expect("the UK CSV").designations.len(), 38);
    assert_eq!(uk::parse_xml(UK_XML).expect("the UK XML").designations.len(), 38);
    assert_eq!(un::parse_xml(UN_XML).expect("the UN XML").designations.len(), 25);
    assert_eq!(eu::parse_xml(EU_XML).expect("the EU XML").designations.len(), 7);
    assert_eq!(ofac_csv(OFAC_SDN).expect("the OFAC CSV").designations.len(), 17);
    assert_eq!(ofac_xml::parse_xml(OFAC_XML).expect("the OFAC XML").designations.len(), 375);
}

proptest! {
    // The whole list is 2.7 MB: fewer cases.
    #![proptest_config(config(40, 0x5eed_000a))]

    /// The real OFAC advanced XML with 1 to 4 mutations.
    #[test]
    fn ofac_xml_mutations(ops in proptest::collection::vec(op(), 1..5)) {
        let bytes = mutate(OFAC_XML.to_vec(), &ops, false);
        check_list(&bytes, ofac_xml::parse_xml(&bytes), "OFAC")?;
    }
}

// ================================================================================================
// Findings that crash the process or run for long: each runs in a child process of this binary.

/// Set in a child process: run the case itself.
const CHILD: &str = "HOSTILE_RS_CHILD";

/// Runs `f` in a child process (this test binary, running only the test `name`) on an 8 MiB
/// stack, like a program's main thread; fails if the child crashes, fails, or is not done within
/// `deadline` (it is then killed).
fn in_child(name: &str, deadline: Duration, f: impl FnOnce() + Send + 'static) {
    if std::env::var_os(CHILD).is_some() {
        let t = std::thread::Builder::new().stack_size(8 << 20).spawn(f).expect("a thread");
        t.join().expect("the case's thread panicked");
        return;
    }
    let exe = std::env::current_exe().expect("this test binary");
    let mut child = Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("a child process");
    // Drain the child's output as it comes, so that a full pipe never stalls it.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_string(&mut text);
            }
            text
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child's status") {
            break Some(status);
        }
        if started.elapsed() > deadline {
            // It may have just exited: then there is nothing to kill.
            let _ = child.kill();
            child.wait().expect("reap the child");
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = stdout.join().expect("the child's output");
    let stderr = stderr.join().expect("the child's errors");
    let tail = |s: &str| s.lines().rev().take(6).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
    match status {
        None => panic!("{name}: not done after {deadline:?} (killed)"),
        Some(s) if !s.success() => {
            panic!("{name}: the child process failed ({s}):\n{}\n{}", tail(&stdout), tail(&stderr))
        }
        Some(_) => assert!(stdout.contains("1 passed"), "{name}: the child ran no test:\n{stdout}"),
    }
}

fn nested(open: &str, depth: usize, close: &str) -> String {
    let mut s = String::with_capacity(depth * 7 + open.len() + close.len());
    s.push_str(open);
    for _ in 0..depth {
        s.push_str("<a>");
    }
    for _ in 0..depth {
        s.push_str("</a>");
    }
    s.push_str(close);
    s
}

/// The refusal or snapshot of a list parser, checked as the property tests do.
fn assert_list(bytes: &[u8], r: Result<Snapshot, ParseError>, authority: &str) {
    if let Err(e) = check_list(bytes, r, authority) {
        panic!("{e}");
    }
}

/// FINDING: stack overflow (the process aborts) in `uk::parse_xml` on unknown elements nested
/// inside a `<Designation>`: `xml_walk` (uk.rs, the `None if !child.children.is_empty()` arm)
/// recurses once per level. About 4,000 levels (28 KB) overflow a 2 MiB thread stack, about
/// 16,000 (110 KB) the 8 MiB main thread. Here 100,000 levels, 700 KB.
#[test]
fn uk_xml_deep_nesting_in_a_designation_is_refused() {
    in_child("uk_xml_deep_nesting_in_a_designation_is_refused", Duration::from_secs(60), || {
        let text = nested(
            "<Designations><DateGenerated>29/04/2026</DateGenerated><Designation><UniqueID>GIM0001</UniqueID>",
            100_000,
            "</Designation></Designations>",
        );
        assert_list(text.as_bytes(), uk::parse_xml(text.as_bytes()), "UK");
    });
}

/// FINDING: stack overflow (the process aborts) when a deeply nested element tree is dropped:
/// `xml::Node` owns its children, and its drop recurses once per level. `un::parse_xml` drops
/// each section of the root (here `<INDIVIDUALS>`) after reading it: about 33,000 levels
/// (230 KB) overflow a 2 MiB stack, about 131,000 (920 KB) the 8 MiB main thread. Here
/// 1,000,000 levels, 7 MB.
#[test]
fn un_xml_deep_nesting_is_refused() {
    in_child("un_xml_deep_nesting_is_refused", Duration::from_secs(60), || {
        let text = nested(
            "<CONSOLIDATED_LIST dateGenerated=\"2026-02-27\"><INDIVIDUALS>",
            1_000_000,
            "</INDIVIDUALS></CONSOLIDATED_LIST>",
        );
        assert_list(text.as_bytes(), un::parse_xml(text.as_bytes()), "UN");
    });
}

/// FINDING: the same drop recursion in `uk::parse_xml`, for a deep tree under any child of
/// the root that is not a `<Designation>` (it is dropped unread).
#[test]
fn uk_xml_deep_nesting_outside_designations_is_refused() {
    in_child("uk_xml_deep_nesting_outside_designations_is_refused", Duration::from_secs(60), || {
        let text = nested(
            "<Designations><DateGenerated>29/04/2026</DateGenerated><Other>",
            1_000_000,
            "</Other></Designations>",
        );
        assert_list(text.as_bytes(), uk::parse_xml(text.as_bytes()), "UK");
    });
}

/// The 58-column header of the UK CSV, and a row of it with the required cells and `cells`.
fn uk_csv(cells: &[(&str, String)]) -> Vec<u8> {
    let text = String::from_utf8_lossy(UK_CSV).into_owned();
    let header = text.lines().nth(1).expect("a header line").to_owned();
    let base = [
        ("Unique ID", "GIM0099"),
        ("Name 6", "DOE"),
        ("Name type", "Primary Name"),
        ("Regime Name", "Test Regulations"),
        ("Designation Type", "Individual"),
        ("Date Designated", "23/07/2025"),
    ];
    let row: Vec<String> = header
        .split(',')
        .map(|h| {
            cells
                .iter()
                .find(|(k, _)| *k == h)
                .map(|(_, v)| v.clone())
                .or_else(|| base.iter().find(|(k, _)| *k == h).map(|(_, v)| (*v).to_owned()))
                .unwrap_or_default()
        })
        .collect();
    format!("Report Date: 29-Apr-2026\n{header}\n{}\n", row.join(",")).into_bytes()
}

/// FINDING: quadratic time in the importers: `push_distinct` (uk.rs, shared with un.rs) scans the
/// whole list for each new value. One CSV cell of 100,000 distinct `|`-separated values (690 KB)
/// takes 25–30 s on a busy 2-core machine (40,000: 1.4 s; 160,000, 1.2 MB: 18 s, unloaded) where
/// a linear pass takes milliseconds; the deadline here is 3 s. The same holds for rows of one Unique ID (names) and for the UN parser's
/// `<VALUE>` lists. (The designation read has 100,000 nationalities, beyond `MAX_ITEMS` too.)
#[test]
fn uk_csv_many_distinct_values_in_one_cell_are_quick() {
    in_child("uk_csv_many_distinct_values_in_one_cell_are_quick", Duration::from_secs(3), || {
        let cell = (0..100_000).map(|i| format!("n{i}")).collect::<Vec<_>>().join("|");
        let bytes = uk_csv(&[("Nationality(/ies)", cell)]);
        let r = uk::parse_csv(&bytes);
        assert!(r.is_ok() || r.is_err());
    });
}

/// FINDING: the same quadratic `push_distinct`, in `un::parse_xml`: 100,000 `<VALUE>`s (2 MB)
/// under one `<NATIONALITY>` take 25–30 s on a busy 2-core machine (40,000: 1.6 s, unloaded).
#[test]
fn un_xml_many_values_are_quick() {
    in_child("un_xml_many_values_are_quick", Duration::from_secs(3), || {
        let values: String = (0..100_000).map(|i| format!("<VALUE>n{i}</VALUE>")).collect();
        let text = format!(
            "<CONSOLIDATED_LIST dateGenerated=\"2026-02-27\"><INDIVIDUALS><INDIVIDUAL><REFERENCE_NUMBER>X.1</REFERENCE_NUMBER><LISTED_ON>2020-01-01</LISTED_ON><UN_LIST_TYPE>A</UN_LIST_TYPE><FIRST_NAME>A</FIRST_NAME><NATIONALITY>{values}</NATIONALITY></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>"
        );
        let r = un::parse_xml(text.as_bytes());
        assert!(r.is_ok() || r.is_err());
    });
}

/// FINDING: quadratic time on the root element's attributes, read by both XML parsers
/// (`xml::open` with `with_attrs` for the root): quick-xml's duplicate-attribute check compares
/// each attribute with every earlier one. 100,000 attributes (1 MB) take about 25 s on a busy
/// 2-core machine (40,000: 1.6 s, unloaded).
#[test]
fn xml_root_with_many_attributes_is_quick() {
    in_child("xml_root_with_many_attributes_is_quick", Duration::from_secs(3), || {
        let attrs: String = (0..100_000).map(|i| format!(" a{i}=\"\"")).collect();
        let text = format!("<Designations{attrs}><DateGenerated>29/04/2026</DateGenerated></Designations>");
        let r = uk::parse_xml(text.as_bytes());
        assert!(r.is_ok() || r.is_err());
    });
}

/// FINDING (not a crash, so ignored): the importers do not apply the input limits. A UK CSV
/// name of 70,000 bytes, or a cell of 5,000 nationalities, is imported; the designation it
/// makes is refused as an input event (string and item limits), yet `import` appends it,
/// since imported events are checked by `check_record` only.
#[test]
fn importers_apply_the_input_limits() {
    for cells in [
        vec![("Name 6", "N".repeat(70_000))],
        vec![("Nationality(/ies)", (0..5_000).map(|i| format!("n{i}")).collect::<Vec<_>>().join("|"))],
    ] {
        let bytes = uk_csv(&cells);
        let r = uk::parse_csv(&bytes);
        if let Ok(s) = r {
            let v = serde_json::to_value(InputEvent::Designation(s.designations[0].designation.clone()))
                .expect("serializes");
            let refused = input::parse_value(1, v).err();
            assert!(
                refused.is_none(),
                "imported, yet refused as input: {}",
                refused.map(|e| e.to_string()).unwrap_or_default()
            );
        }
    }
}
