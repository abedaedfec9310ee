//! OFAC's Specially Designated Nationals list in its legacy CSV layout ([`parse_csv`]): four
//! headerless files, `-0-` for an empty cell.
//!
//! | file | columns |
//! |---|---|
//! | `sdn.csv` (`cons_prim.csv`) | ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks |
//! | `add.csv` | ent_num, Add_num, Address, City/State/Province/Postal Code, Country, Add_remarks |
//! | `alt.csv` | ent_num, alt_num, alt_type, alt_name, alt_remarks |
//! | `sdn_comments.csv` | ent_num, Remarks (the continuation of a remark too long for `sdn.csv`) |
//!
//! Mapping of each `sdn.csv` row:
//! - the id is `ent_num`; the files carry no date at all, so the report date is the publication
//!   date the operator gives, and a new entry takes effect on it (`other.effective_from` says so,
//!   without the date, so that the record does not change from one list to the next);
//! - `Program` lists the programmes (`SDGT] [IFSR`): programmes are regimes, so the regime code is
//!   the first (characters other than letters, digits, `_` and `-` become `-`) and all of them go
//!   into `other.programs`; the measure of an SDN listing is `asset_freeze` (blocking);
//! - `SDN_Type` gives the kind: `individual`, `vessel` → ship, empty → entity, `aircraft` → entity
//!   with `other.sdn_type`;
//! - the name is `SDN_Name`; `alt.csv` rows add aliases (`fka` ones also to
//!   `other.formerly_known_as`); the remarks' `a.k.a. 'X'` (OFAC's weak aliases) are low-quality
//!   aliases;
//! - the remarks, whole, go into `other.remarks`; from them `DOB`, `POB`, `nationality`,
//!   `citizen`, `Gender`, `Passport`, `National ID No.`, `Registration Number`/`ID` and
//!   `Vessel Registration Identification IMO` fill the subject, and `Linked To:` goes into
//!   `other.linked_to`;
//! - `Title` is the title; the vessel columns go into `other`; `add.csv` rows are addresses.
//!
//! Each row must have exactly its file's number of columns: a file of another layout is refused,
//! naming the file, the line and the columns found. Rows of `add.csv`, `alt.csv` and
//! `sdn_comments.csv` for an `ent_num` that `sdn.csv` lacks describe nothing listed and are skipped.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::check;
use crate::reconcile::SourceFile;
use crate::text::{Notes, collapse, push_distinct, utf8};
use crate::{Format, Listed, ParseError, Snapshot};
use ledger_core::event::{
    Address, AliasQuality, DateOfBirth, Designation, Identifier, Name, NameType, Place, Regime, Subject, SubjectKind,
    check_id,
};
use ledger_core::time::{Date, Effective};

/// The authority of OFAC's lists.
const AUTHORITY: &str = "OFAC";

/// The measures of an SDN listing: its property and interests in property are blocked.
const MEASURES: [&str; 1] = ["asset_freeze"];

/// What one file of the legacy CSV layout holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvRole {
    /// `sdn.csv` or `cons_prim.csv`: one row per entry.
    Main,
    /// `add.csv`: addresses.
    Addresses,
    /// `alt.csv`: aliases.
    Aliases,
    /// `sdn_comments.csv`: remarks continued.
    Comments,
}

impl CsvRole {
    /// The role of a file, from its name: the stem ends in `sdn` or `prim`, `add`, `alt`, or
    /// `comments` (`sdn.csv`, `cons_add.csv`, `2026-05-01_sdn_comments.csv`).
    pub fn of(file_name: &str) -> Option<CsvRole> {
        let stem = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name).to_ascii_lowercase();
        let stem = stem.strip_suffix(".csv").unwrap_or(&stem);
        [
            ("comments", CsvRole::Comments),
            ("sdn", CsvRole::Main),
            ("prim", CsvRole::Main),
            ("add", CsvRole::Addresses),
            ("alt", CsvRole::Aliases),
        ]
        .into_iter()
        .find(|(end, _)| stem.ends_with(end))
        .map(|(_, role)| role)
    }

    /// How many columns its rows have.
    fn columns(self) -> usize {
        match self {
            CsvRole::Main => 12,
            CsvRole::Addresses => 6,
            CsvRole::Aliases => 5,
            CsvRole::Comments => 2,
        }
    }

    /// The columns' names, for messages.
    fn header(self) -> &'static str {
        match self {
            CsvRole::Main => {
                "ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks"
            }
            CsvRole::Addresses => "ent_num, Add_num, Address, City/State/Province/Postal Code, Country, Add_remarks",
            CsvRole::Aliases => "ent_num, alt_num, alt_type, alt_name, alt_remarks",
            CsvRole::Comments => "ent_num, Remarks",
        }
    }
}

/// One file of the list: its name (for messages) and bytes.
#[derive(Debug, Clone, Copy)]
pub struct CsvFile<'a> {
    /// The file's name.
    pub name: &'a str,
    /// What it holds.
    pub role: CsvRole,
    /// Its bytes.
    pub bytes: &'a [u8],
}

/// The provenance of the files: their names in the given order, their total size, and the
/// BLAKE3 of the manifest `b3sum` prints for them (`<hex>  <name>` lines), so that
/// `b3sum sdn.csv add.csv alt.csv sdn_comments.csv | b3sum` gives it again.
pub fn source(files: &[CsvFile]) -> SourceFile {
    let manifest: String = files.iter().map(|f| format!("{}  {}\n", blake3::hash(f.bytes).to_hex(), f.name)).collect();
    SourceFile {
        name: files.iter().map(|f| f.name).collect::<Vec<_>>().join(", "),
        blake3: blake3::hash(manifest.as_bytes()).to_hex().to_string(),
        size: files.iter().map(|f| f.bytes.len() as u64).sum(),
    }
}

/// A row's cells, with `-0-` read as empty, and where it is.
struct Row {
    cells: Vec<String>,
    location: String,
}

/// Reads the rows of one file, each with exactly the role's number of columns.
fn rows(file: &CsvFile) -> Result<Vec<Row>, ParseError> {
    let text = utf8(file.bytes).map_err(|e| ParseError::new(format!("{} {}", file.name, e.location), e.reason))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            ParseError::new(format!("{} line {line}", file.name), format!("not CSV: {e}"))
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let location = format!("{} line {line}", file.name);
        // The files end with a DOS end-of-file character on a line of its own.
        if record.iter().all(|c| c.trim().trim_matches('\u{1a}').is_empty()) {
            continue;
        }
        let want = file.role.columns();
        if record.len() != want {
            return Err(ParseError::new(
                location,
                format!(
                    "{} columns, expected {want} ({}); the row seen: {}",
                    record.len(),
                    file.role.header(),
                    record.iter().map(|c| c.chars().take(40).collect::<String>()).collect::<Vec<_>>().join(" | ")
                ),
            ));
        }
        let cells = record.iter().map(|c| {
            let c = c.trim();
            if c == "-0-" { String::new() } else { c.to_owned() }
        });
        out.push(Row { cells: cells.collect(), location });
    }
    Ok(out)
}

/// An entry being assembled.
struct Entry {
    row: Row,
    id: String,
    comments: String,
    aliases: Vec<(String, String, String)>,
    addresses: Vec<Row>,
}

/// Parses OFAC's legacy CSV files (format `ofac-csv`) published on `published`: exactly one
/// [`CsvRole::Main`] file and at most one of each other role. Entries come in `sdn.csv`'s order.
pub fn parse_csv(files: &[CsvFile], published: Date) -> Result<Snapshot, ParseError> {
    let mut main: Option<&CsvFile> = None;
    let mut others: Vec<&CsvFile> = Vec::new();
    for f in files {
        if let Some(other) = files.iter().take_while(|o| !std::ptr::eq(*o, f)).find(|o| o.role == f.role) {
            return Err(ParseError::new(f.name, format!("{} and {} are both {:?} files", other.name, f.name, f.role)));
        }
        if f.role == CsvRole::Main {
            main = Some(f);
        } else {
            others.push(f);
        }
    }
    let given = || files.iter().map(|f| f.name).collect::<Vec<_>>().join(", ");
    let main = main.ok_or_else(|| ParseError::new(given(), "no sdn.csv (or cons_prim.csv) among the files"))?;
    // Without its aliases or addresses the list would read as if every entry had lost them.
    let missing: Vec<&str> =
        [(CsvRole::Addresses, "add.csv"), (CsvRole::Aliases, "alt.csv"), (CsvRole::Comments, "sdn_comments.csv")]
            .into_iter()
            .filter(|(role, _)| !files.iter().any(|f| f.role == *role))
            .map(|(_, name)| name)
            .collect();
    if !missing.is_empty() {
        return Err(ParseError::new(
            given(),
            format!(
                "the list is four files, and {} {} missing",
                missing.join(", "),
                if missing.len() == 1 { "is" } else { "are" }
            ),
        ));
    }

    let mut entries: Vec<Entry> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for row in rows(main)? {
        let id = row.cells[0].clone();
        check_id(&id).map_err(|r| ParseError::new(format!("{}, column ent_num", row.location), r))?;
        if let Some(&first) = index.get(&id) {
            let first: &Entry = &entries[first];
            return Err(ParseError::new(
                row.location.clone(),
                format!("ent_num {id} appears again (first at {})", first.row.location),
            ));
        }
        index.insert(id.clone(), entries.len());
        entries.push(Entry { row, id, comments: String::new(), aliases: Vec::new(), addresses: Vec::new() });
    }
    for f in others {
        for row in rows(f)? {
            let Some(&i) = index.get(&row.cells[0]) else { continue };
            let e = &mut entries[i];
            match f.role {
                CsvRole::Comments => e.comments.push_str(&row.cells[1]),
                CsvRole::Aliases => {
                    let c = &row.cells;
                    e.aliases.push((c[2].clone(), collapse(&c[3]), c[4].clone()))
                }
                CsvRole::Addresses => e.addresses.push(row),
                CsvRole::Main => {}
            }
        }
    }
    let designations = entries.into_iter().map(|e| entry(e, published)).collect::<Result<Vec<_>, _>>()?;
    Ok(Snapshot { authority: AUTHORITY.to_owned(), format: Format::OfacCsv, report_date: published, designations })
}

fn non_empty(s: &str) -> Option<String> {
    let s = collapse(s);
    if s.is_empty() { None } else { Some(s) }
}

/// An OFAC designation (of either layout): in force from `effective`, its regime `code`,
/// with no reason or source (neither layout gives one) and what else the list says in `other`.
pub(crate) fn designation(
    id: String,
    effective: Date,
    code: String,
    subject: Subject,
    measures: Vec<String>,
    other: Map<String, Value>,
) -> Designation {
    Designation {
        authority: AUTHORITY.to_owned(),
        id,
        effective: Effective::Date(effective.0),
        regime: Regime { code, name: None },
        subject,
        measures,
        reason: None,
        source: None,
        other: Some(other),
        published: None,
        note: None,
        import: None,
    }
}

/// A regime code for a programme: letters, digits, `_` and `-`, other runs one `-`, at most 32.
pub(crate) fn regime_code(program: &str) -> String {
    let mut out = String::new();
    for c in program.trim().chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').chars().take(32).collect()
}

/// `28 Jul 1963` → `1963-07-28`, `Jul 1963` → `1963-07`, `1963` → `1963`.
fn ofac_date(s: &str) -> Option<String> {
    const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    let year = |y: &str| (y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit())).then(|| y.to_owned());
    let month = |m: &str| MONTHS.iter().position(|n| m.to_ascii_lowercase().starts_with(n)).map(|i| i + 1);
    match s.split_whitespace().collect::<Vec<_>>().as_slice() {
        [y] => year(y),
        [m, y] => Some(format!("{}-{:02}", year(y)?, month(m)?)),
        [d, m, y] => {
            let date = format!("{}-{:02}-{:02}", year(y)?, month(m)?, d.parse::<u32>().ok()?);
            chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d").is_ok().then_some(date)
        }
        _ => None,
    }
}

/// A date of birth as OFAC writes it: `28 Jul 1963`, `circa 1963`, `1960 to 1962`.
fn date_of_birth(s: &str) -> Option<DateOfBirth> {
    let (approximate, s) = match s.strip_prefix("circa ") {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (from, to) = match s.split_once(" to ") {
        Some((a, b)) => (ofac_date(a)?, Some(ofac_date(b)?)),
        None => (ofac_date(s)?, None),
    };
    Some(DateOfBirth { date: from, to, approximate })
}

/// `P0017003 (Belize) expires 2030` → (`P0017003`, `Belize`, `expires 2030`).
fn number_country(s: &str) -> (String, Option<String>, Option<String>) {
    match s.split_once(" (") {
        Some((value, rest)) => match rest.split_once(')') {
            Some((country, after)) => (value.trim().to_owned(), non_empty(country), non_empty(after)),
            None => (s.trim().to_owned(), None, None),
        },
        None => (s.trim().to_owned(), None, None),
    }
}

/// The text between the first pair of single quotes: OFAC quotes an alias in its remarks.
fn quoted(s: &str) -> Option<String> {
    let start = s.find('\'')? + 1;
    let end = s.rfind('\'')?;
    (end > start).then(|| collapse(&s[start..end])).filter(|n| !n.is_empty())
}

fn entry(e: Entry, published: Date) -> Result<Listed, ParseError> {
    let c = &e.row.cells;
    let here = format!("{} (ent_num {})", e.row.location, e.id);
    let at = |column: &str| format!("{here}, column {column}");
    let primary = non_empty(&c[1]).ok_or_else(|| ParseError::new(at("SDN_Name"), "no name"))?;
    let programs: Vec<String> =
        c[3].split(']').flat_map(|p| p.split('[')).map(collapse).filter(|p| !p.is_empty()).collect();
    let code = programs
        .first()
        .map(|p| regime_code(p))
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ParseError::new(at("Program"), format!("no programme (`{}`)", c[3])))?;
    let mut other = Map::new();
    let kind = kind_of(&c[2], &at("SDN_Type"), &mut other)?;

    let mut notes = Notes::default();
    let mut names = names(primary, &e.aliases, &mut notes);

    // The remarks, and what they say of the subject.
    let remarks = collapse(&format!("{}{}", c[11], e.comments));
    let Remarks { dates_of_birth, places_of_birth, nationalities, identifiers, gender } =
        read_remarks(&remarks, &mut names, &mut notes);

    let addresses = addresses(&e.addresses, &mut notes);

    vessel(c, &mut other);
    other.insert(
        "effective_from".into(),
        Value::String(
            "no designation date in the legacy CSV: the publication date of the first list imported that shows it"
                .into(),
        ),
    );
    other.insert("programs".into(), Value::Array(programs.into_iter().map(Value::String).collect()));
    if !remarks.is_empty() {
        other.insert("remarks".into(), Value::String(remarks));
    }
    notes.into_other(&mut other);

    let subject = Subject {
        kind,
        names,
        title: non_empty(&c[4]),
        dates_of_birth,
        places_of_birth,
        nationalities,
        gender,
        position: None,
        addresses,
        identifiers,
    };
    let measures = MEASURES.iter().map(|m| (*m).to_owned()).collect();
    let designation = designation(e.id.clone(), published, code, subject, measures, other);
    check(&designation, &here)?;
    Ok(Listed { designation, last_updated: Vec::new(), location: e.row.location })
}

/// The kind of subject an `SDN_Type` says (an aircraft, an entity, with `other.sdn_type`).
fn kind_of(sdn_type: &str, here: &str, other: &mut Map<String, Value>) -> Result<SubjectKind, ParseError> {
    match collapse(sdn_type).to_ascii_lowercase().as_str() {
        "individual" => Ok(SubjectKind::Individual),
        "vessel" => Ok(SubjectKind::Ship),
        "" => Ok(SubjectKind::Entity),
        "aircraft" => {
            other.insert("sdn_type".into(), Value::String("aircraft".into()));
            Ok(SubjectKind::Entity)
        }
        t => Err(ParseError::new(
            here,
            format!("SDN_Type `{t}` is none of individual, vessel, aircraft or empty (an entity)"),
        )),
    }
}

/// The names: the primary, then the aliases of `alt.csv` (`(type, name, remarks)`); a former
/// name (`fka`) and an alias's remarks as notes.
fn names(primary: String, aliases: &[(String, String, String)], notes: &mut Notes) -> Vec<Name> {
    let mut names = vec![Name { name: primary, name_type: NameType::Primary, quality: None, script: None }];
    for (alt_type, name, remarks) in aliases {
        if name.is_empty() {
            continue;
        }
        if alt_type.trim().eq_ignore_ascii_case("fka") {
            notes.add("formerly_known_as", name.clone());
        }
        if let Some(r) = non_empty(remarks) {
            notes.add("alias_notes", format!("{name}: {r}"));
        }
        push_distinct(
            &mut names,
            Name { name: name.clone(), name_type: NameType::Alias, quality: Some(AliasQuality::Good), script: None },
        );
    }
    names
}

/// A vessel's columns (call sign, type, tonnages, flag, owner), into `other`.
fn vessel(c: &[String], other: &mut Map<String, Value>) {
    for (i, key) in [
        (5, "call_sign"),
        (6, "vessel_type"),
        (7, "tonnage"),
        (8, "gross_registered_tonnage"),
        (9, "vessel_flag"),
        (10, "vessel_owner"),
    ] {
        if let Some(v) = non_empty(&c[i]) {
            other.insert(key.into(), Value::String(v));
        }
    }
}

/// What the remarks say of the subject: `DOB`, `POB`, `nationality`/`citizen`, `Gender`, the
/// documents; `Linked To:` and undated dates of birth as notes; quoted `a.k.a.`s as names.
struct Remarks {
    dates_of_birth: Vec<DateOfBirth>,
    places_of_birth: Vec<Place>,
    nationalities: Vec<String>,
    identifiers: Vec<Identifier>,
    gender: Option<String>,
}

/// Reads the `; `-separated items of an entry's remarks, adding the names they give to `names`.
fn read_remarks(remarks: &str, names: &mut Vec<Name>, notes: &mut Notes) -> Remarks {
    let (mut dates_of_birth, mut places_of_birth, mut nationalities, mut identifiers) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut gender = None;
    for item in remarks.split("; ") {
        let item = item.trim().trim_end_matches('.').trim();
        let item = item.strip_prefix("alt. ").unwrap_or(item);
        if let Some(d) = item.strip_prefix("DOB ") {
            match date_of_birth(d.trim()) {
                Some(d) => push_distinct(&mut dates_of_birth, d),
                None => notes.add("date_of_birth_notes", d.trim().to_owned()),
            }
        } else if let Some(p) = item.strip_prefix("POB ") {
            let place = match p.rsplit_once(", ") {
                Some((town, country)) => Place { town: non_empty(town), region: None, country: non_empty(country) },
                None => Place { town: None, region: None, country: non_empty(p) },
            };
            push_distinct(&mut places_of_birth, place);
        } else if let Some(n) = item.strip_prefix("nationality ").or_else(|| item.strip_prefix("citizen ")) {
            if let Some(n) = non_empty(n) {
                push_distinct(&mut nationalities, n);
            }
        } else if let Some(g) = item.strip_prefix("Gender ") {
            gender = non_empty(g);
        } else if let Some((kind, rest)) = [
            ("Passport ", "passport"),
            ("National ID No. ", "national_id"),
            ("Registration Number ", "registration"),
            ("Registration ID ", "registration"),
            ("Vessel Registration Identification IMO ", "imo"),
        ]
        .iter()
        .find_map(|(prefix, kind)| item.strip_prefix(prefix).map(|rest| (*kind, rest)))
        {
            let (value, country, detail) = number_country(rest);
            if !value.is_empty() {
                push_distinct(&mut identifiers, Identifier { kind: kind.to_owned(), value, country, note: detail });
            }
        } else if let Some(l) = item.strip_prefix("Linked To: ") {
            if let Some(l) = non_empty(l) {
                notes.add("linked_to", l);
            }
        } else if let Some((prefix, rest)) =
            ["a.k.a. ", "f.k.a. ", "n.k.a. "].iter().find_map(|p| item.strip_prefix(p).map(|r| (*p, r)))
            && let Some(name) = quoted(rest)
        {
            if prefix == "f.k.a. " {
                notes.add("formerly_known_as", name.clone());
            }
            push_distinct(
                names,
                Name { name, name_type: NameType::Alias, quality: Some(AliasQuality::Low), script: None },
            );
        }
    }
    Remarks { dates_of_birth, places_of_birth, nationalities, identifiers, gender }
}

/// The addresses of an entry's add.csv rows; their remarks as notes.
fn addresses(rows: &[Row], notes: &mut Notes) -> Vec<Address> {
    let mut addresses = Vec::new();
    for row in rows {
        let a = &row.cells;
        let address = Address {
            lines: non_empty(&a[2]).into_iter().collect(),
            town: non_empty(&a[3]),
            region: None,
            postal_code: None,
            country: non_empty(&a[4]),
        };
        if let Some(r) = non_empty(&a[5]) {
            notes.add("address_notes", r);
        }
        if !address.lines.is_empty() || address.town.is_some() || address.country.is_some() {
            push_distinct(&mut addresses, address);
        }
    }
    addresses
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDN: &[u8] = include_bytes!("../../tests/fixtures/lists/ofac-csv/sdn.csv");
    const ADD: &[u8] = include_bytes!("../../tests/fixtures/lists/ofac-csv/add.csv");
    const ALT: &[u8] = include_bytes!("../../tests/fixtures/lists/ofac-csv/alt.csv");
    const COMMENTS: &[u8] = include_bytes!("../../tests/fixtures/lists/ofac-csv/sdn_comments.csv");

    fn files() -> Vec<CsvFile<'static>> {
        [("sdn.csv", SDN), ("add.csv", ADD), ("alt.csv", ALT), ("sdn_comments.csv", COMMENTS)]
            .into_iter()
            .map(|(name, bytes)| CsvFile { name, role: CsvRole::of(name).unwrap(), bytes })
            .collect()
    }

    fn day(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn find<'a>(s: &'a Snapshot, id: &str) -> &'a Designation {
        &s.designations.iter().find(|l| l.designation.id == id).unwrap().designation
    }

    #[test]
    fn roles_from_names() {
        assert_eq!(CsvRole::of("sdn.csv"), Some(CsvRole::Main));
        assert_eq!(CsvRole::of("dir/watchman_ofactest_sdn.csv"), Some(CsvRole::Main));
        assert_eq!(CsvRole::of("SDN_COMMENTS.CSV"), Some(CsvRole::Comments));
        assert_eq!(CsvRole::of("cons_prim.csv"), Some(CsvRole::Main));
        assert_eq!(CsvRole::of("cons_add.csv"), Some(CsvRole::Addresses));
        assert_eq!(CsvRole::of("alt.csv"), Some(CsvRole::Aliases));
        assert_eq!(CsvRole::of("notes.csv"), None);
    }

    #[test]
    fn the_real_rows_read_17_entries() {
        let s = parse_csv(&files(), day("2025-05-16")).unwrap();
        assert_eq!((s.authority.as_str(), s.format.name(), s.report_date), ("OFAC", "ofac-csv", day("2025-05-16")));
        assert_eq!(s.designations.len(), 17);
        for l in &s.designations {
            ledger_core::validate::check_record(&l.designation.record()).unwrap();
            assert_eq!(l.designation.measures, ["asset_freeze"]);
            assert_eq!(l.designation.effective.to_string(), "2025-05-16");
        }
        let logan = find(&s, "10278");
        assert_eq!(logan.regime.code, "SDNT");
        assert_eq!(logan.subject.kind, SubjectKind::Individual);
        assert_eq!(logan.subject.names[0].name, "LOGAN MOREY, Elvis Angus");
        assert_eq!(
            logan.subject.names[1],
            Name {
                name: "BURTON BURGESS".into(),
                name_type: NameType::Alias,
                quality: Some(AliasQuality::Low),
                script: None
            }
        );
        assert_eq!(
            logan.subject.dates_of_birth,
            [DateOfBirth { date: "1963-07-28".into(), to: None, approximate: false }]
        );
        assert_eq!(
            logan.subject.places_of_birth,
            [Place { town: Some("Toledo District".into()), region: None, country: Some("Belize".into()) }]
        );
        assert_eq!(
            logan.subject.identifiers[0],
            Identifier {
                kind: "passport".into(),
                value: "P0017003".into(),
                country: Some("Belize".into()),
                note: None
            }
        );

        let hesa = find(&s, "11195");
        assert_eq!(hesa.regime.code, "NPWMD");
        assert_eq!(hesa.subject.kind, SubjectKind::Entity);
        assert_eq!(hesa.other.as_ref().unwrap()["programs"], serde_json::json!(["NPWMD", "IFSR", "IRAN-CON-ARMS-EO"]));
        assert_eq!(hesa.subject.addresses.len(), 5);
        assert!(
            hesa.subject.names.iter().any(|n| n.name == "HESA TRADE CENTER" && n.quality == Some(AliasQuality::Good))
        );
        assert!(hesa.subject.identifiers.iter().any(|i| i.kind == "national_id" && i.value == "10100722073"));

        let aircraft = find(&s, "20540");
        assert_eq!(aircraft.subject.kind, SubjectKind::Entity);
        assert_eq!(aircraft.other.as_ref().unwrap()["sdn_type"], "aircraft");

        // sdn_comments.csv continues 33151's remarks.
        let remarks = find(&s, "33151").other.as_ref().unwrap()["remarks"].as_str().unwrap().to_owned();
        assert!(remarks.contains("SUCCESSFUL EXCHANGE"), "{remarks}");
        assert!(find(&s, "33151").subject.names.iter().any(|n| n.name == "SUCCESSFUL EXCHANGE"));
    }

    #[test]
    fn refusals() {
        let day = day("2025-05-16");
        let sdn = String::from_utf8(SDN.to_vec()).unwrap();
        let one = |text: &str| {
            let mut files = files();
            files[0].bytes = text.as_bytes();
            parse_csv(&files, day)
        };
        let e = one(&sdn.replacen(",-0- ,\"DOB 28 Jul 1963", ",\"DOB 28 Jul 1963", 1)).unwrap_err();
        assert_eq!(e.location, "sdn.csv line 1");
        assert!(e.reason.contains("11 columns, expected 12 (ent_num, SDN_Name"), "{e}");
        let e = one(&sdn.replacen("15102,", "10278,", 1)).unwrap_err();
        assert!(e.reason.contains("appears again"), "{e}");
        let e = one(&sdn.replacen("\"individual\",\"SDNT\"", "\"person\",\"SDNT\"", 1)).unwrap_err();
        assert!(e.reason.contains("SDN_Type `person`"), "{e}");
        let e = parse_csv(&files()[1..], day).unwrap_err();
        assert!(e.reason.contains("no sdn.csv"), "{e}");
        let e = parse_csv(&files()[..2], day).unwrap_err();
        assert_eq!(e.location, "sdn.csv, add.csv");
        assert!(e.reason.contains("alt.csv, sdn_comments.csv are missing"), "{e}");
        let mut wrong = files();
        wrong[2].bytes = ADD;
        let e = parse_csv(&wrong, day).unwrap_err();
        assert_eq!(e.location, "alt.csv line 1");
        assert!(e.reason.contains("6 columns, expected 5"), "{e}");
        let mut twice = files();
        twice[3] = CsvFile { name: "alt2.csv", role: CsvRole::Aliases, bytes: ALT };
        assert!(parse_csv(&twice, day).unwrap_err().reason.contains("are both"));
        assert!(one("\u{1a}").unwrap().designations.is_empty());
    }

    #[test]
    fn dates() {
        assert_eq!(ofac_date("28 Jul 1963").as_deref(), Some("1963-07-28"));
        assert_eq!(ofac_date("Jul 1963").as_deref(), Some("1963-07"));
        assert_eq!(ofac_date("1963").as_deref(), Some("1963"));
        assert_eq!(ofac_date("31 Feb 1963"), None);
        assert_eq!(
            date_of_birth("circa 1960 to 1962"),
            Some(DateOfBirth { date: "1960".into(), to: Some("1962".into()), approximate: true })
        );
        assert_eq!(regime_code("CAATSA - RUSSIA"), "CAATSA-RUSSIA");
    }
}
