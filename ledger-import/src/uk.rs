//! The UK Sanctions List as the FCDO publishes it, in its CSV layout ([`parse_csv`]) and its XML
//! layout ([`parse_xml`]). Both layouts of the same list parse to the same [`Snapshot`] apart from
//! `format` and each entry's `location`.
//!
//! The CSV has one row per name: the rows of a designation share its `Unique ID` and are grouped
//! into one [`Listed`], in the order of their first appearance. Columns are found by their header
//! name. Columns that describe the designation as a whole (`Date Designated`, `Regime Name`,
//! `Designation Type`, `Sanctions Imposed`, `OFSI Group ID`, `UN Reference Number`,
//! `Designation source`, `Other Information`, `UK Statement of Reasons`) must not disagree between
//! the rows of a group; every other column is collected across the rows, distinct values in order
//! of appearance, `|`-separated lists split.
//!
//! Mapping, for both layouts:
//! - the id is `Unique ID`; the regime code its leading ASCII letters (`GIM0030` → `GIM`), the
//!   regime name `Regime Name`; `Designation Type` gives the subject kind;
//! - a name is `Name 1`..`Name 5` then `Name 6`, whitespace collapsed; `Name type` gives its type
//!   and `Alias strength` its quality; a non-Latin name is an extra `variation` with its script
//!   (the XML keeps non-Latin names apart from the name rows, so the CSV row's type is not used);
//! - `Sanctions Imposed` gives the measures: each label as the code of the ledger's vocabulary it
//!   means (`Asset freeze` → `asset_freeze`, `Trust services sanctions` → `trust_services`,
//!   `Charter of ships` → `charter_ban`), another as `custom:` and its snake_case code;
//! - `Date Designated` is the effective date, `Last Updated` the entry's update date;
//! - `D.O.B` keeps its precision: `dd/mm/1975` and `00/00/1975` → `1975`, `00/03/1975` → `1975-03`;
//! - passports, national identifiers, business registration and IMO numbers become identifiers of
//!   kind `passport`, `national_id`, `registration` and `imo`;
//! - `OFSI Group ID`, `UN Reference Number`, `Other Information`, `Designation source` (when not
//!   `UK`), contact details, entity and ship details go into `other` as strings, several values
//!   joined with `|`.

use std::collections::HashMap;
use std::fmt;

use serde_json::{Map, Value};

use crate::text::{BadValue, collapse, push_distinct, snake_code, utf8};
use crate::xml;
use crate::{Format, Listed, ParseError, Snapshot, check};
use ledger_core::event::{
    Address, AliasQuality, DateOfBirth, Designation, Identifier, Name, NameType, Place, Regime, Subject, SubjectKind,
};
use ledger_core::time::{Date, Effective};

/// The authority of the UK Sanctions List.
const AUTHORITY: &str = "UK";

/// The longest regime code the ledger accepts.
const MAX_REGIME_CODE: usize = 32;

/// Parses the UK Sanctions List in its CSV layout (format `uk-csv`): UTF-8 with an optional
/// byte-order mark, line 1 `Report Date: 29-Apr-2026`, line 2 the header, then one row per name.
///
/// Errors name the physical line (line 1 is the report date) and, for a cell, its column.
pub fn parse_csv(bytes: &[u8]) -> Result<Snapshot, ParseError> {
    let text = utf8(bytes)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let report_date = parse_report_date(first.trim())
        .map_err(|reason| ParseError::new("line 1", format!("{reason} (expected `Report Date: dd-Mon-yyyy`)")))?;

    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::None).from_reader(rest.as_bytes());
    let mut lines = LineCounter { text: rest.as_bytes(), pos: 0, newlines: 0 };
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return Err(csv_error(&e)),
        None => return Err(ParseError::new("line 2", "no header line")),
    };
    let header_line = lines.line(header.position());
    let headers: Vec<String> = header.iter().map(|h| h.trim().to_owned()).collect();
    let columns = csv_columns(&headers, header_line)?;

    let mut groups = Groups::default();
    for record in records {
        let record = record.map_err(|e| csv_error(&e))?;
        let line = lines.line(record.position());
        if record.len() != headers.len() {
            return Err(ParseError::new(
                format!("line {line}"),
                format!("expected {} fields as in the header, found {}", headers.len(), record.len()),
            ));
        }
        let cells: Vec<String> = record.iter().map(clean).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        csv_row(&mut groups, &columns, &headers, &cells, line)?;
    }
    groups.finish(Format::UkCsv, report_date)
}

/// Parses the UK Sanctions List in its XML layout (format `uk-xml`): `<Designations>` holding
/// `<DateGenerated>dd/mm/yyyy</DateGenerated>` and one `<Designation>` per target. Unknown elements
/// are ignored; malformed or truncated XML is refused with the line where it breaks.
pub fn parse_xml(bytes: &[u8]) -> Result<Snapshot, ParseError> {
    let mut groups = Groups::default();
    let mut report_date: Option<Date> = None;
    let mut count = 0usize;
    xml::read(
        bytes,
        |root| {
            if root.name == "Designations" {
                Ok(())
            } else {
                Err(ParseError::new(
                    format!("line {}", root.line),
                    format!("the root element is <{}>, expected <Designations>", root.name),
                ))
            }
        },
        |node| match node.name.as_str() {
            "DateGenerated" => {
                let value = node.text.trim();
                let date = parse_uk_date(value).map_err(|reason| {
                    ParseError::new(format!("line {}, element <DateGenerated>", node.line), reason)
                })?;
                report_date = Some(date);
                Ok(())
            }
            "Designation" => {
                count += 1;
                xml_designation(&mut groups, &node, count)
            }
            _ => Ok(()),
        },
    )?;
    let report_date = report_date.ok_or_else(|| ParseError::new("<Designations>", "no <DateGenerated> element"))?;
    groups.finish(Format::UkXml, report_date)
}

// ------------------------------------------------------------------------------------------------
// Where a value came from

/// The place of one value: a CSV cell or an XML element.
#[derive(Debug, Clone, Copy)]
struct Loc<'a> {
    line: usize,
    label: &'a str,
    xml: bool,
}

impl fmt::Display for Loc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.xml {
            write!(f, "line {}, element <{}>", self.line, self.label)
        } else {
            write!(f, "line {}, column \"{}\"", self.line, self.label)
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Fields shared by both layouts

/// A value-carrying field of a designation, named after its CSV column.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Field {
    LastUpdated,
    UniqueId,
    DateDesignated,
    DesignationType,
    Single(Single),
    Title,
    Dob,
    Nationality,
    Position,
    Gender,
    Registration,
    Imo,
    /// A column with no home in the record: kept in `other` under this key.
    Extra(String),
}

/// A text field that must be the same on every row of a designation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Single {
    OfsiGroupId,
    UnReference,
    RegimeName,
    DesignationSource,
    SanctionsImposed,
    OtherInformation,
    Reason,
}

impl Single {
    const ALL: usize = 7;

    fn index(self) -> usize {
        self as usize
    }
}

/// What a CSV column holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Col {
    Field(Field),
    NamePart(usize),
    NameType,
    AliasStrength,
    NonLatinName,
    NonLatinType,
    NonLatinLanguage,
    AddressLine(usize),
    PostalCode,
    AddressCountry,
    NationalIdNumber,
    NationalIdInfo,
    PassportNumber,
    PassportInfo,
    TownOfBirth,
    CountryOfBirth,
}

fn extra(key: &str) -> Field {
    Field::Extra(key.to_owned())
}

/// The column a CSV header names (matched without regard to case or spacing).
fn csv_column(header: &str) -> Col {
    let key = header.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_lowercase();
    match key.as_str() {
        "last updated" => Col::Field(Field::LastUpdated),
        "unique id" => Col::Field(Field::UniqueId),
        "ofsi group id" => Col::Field(Field::Single(Single::OfsiGroupId)),
        "un reference number" => Col::Field(Field::Single(Single::UnReference)),
        "name 1" => Col::NamePart(0),
        "name 2" => Col::NamePart(1),
        "name 3" => Col::NamePart(2),
        "name 4" => Col::NamePart(3),
        "name 5" => Col::NamePart(4),
        "name 6" => Col::NamePart(5),
        "name type" => Col::NameType,
        "alias strength" => Col::AliasStrength,
        "title" => Col::Field(Field::Title),
        "name non-latin script" => Col::NonLatinName,
        "non-latin script type" => Col::NonLatinType,
        "non-latin script language" => Col::NonLatinLanguage,
        "regime name" => Col::Field(Field::Single(Single::RegimeName)),
        "designation type" | "individual, entity, ship" => Col::Field(Field::DesignationType),
        "designation source" => Col::Field(Field::Single(Single::DesignationSource)),
        "sanctions imposed" => Col::Field(Field::Single(Single::SanctionsImposed)),
        "other information" => Col::Field(Field::Single(Single::OtherInformation)),
        "uk statement of reasons" => Col::Field(Field::Single(Single::Reason)),
        "address line 1" => Col::AddressLine(0),
        "address line 2" => Col::AddressLine(1),
        "address line 3" => Col::AddressLine(2),
        "address line 4" => Col::AddressLine(3),
        "address line 5" => Col::AddressLine(4),
        "address line 6" => Col::AddressLine(5),
        "address postal code" => Col::PostalCode,
        "address country" => Col::AddressCountry,
        "phone number" => Col::Field(extra("phone_number")),
        "website" => Col::Field(extra("website")),
        "email address" => Col::Field(extra("email_address")),
        "date designated" => Col::Field(Field::DateDesignated),
        "d.o.b" | "dob" => Col::Field(Field::Dob),
        "nationality(/ies)" | "nationality" => Col::Field(Field::Nationality),
        "national identifier number" => Col::NationalIdNumber,
        "national identifier additional information" => Col::NationalIdInfo,
        "passport number" => Col::PassportNumber,
        "passport additional information" => Col::PassportInfo,
        "position" => Col::Field(Field::Position),
        "gender" => Col::Field(Field::Gender),
        "town of birth" => Col::TownOfBirth,
        "country of birth" => Col::CountryOfBirth,
        "type of entity" => Col::Field(extra("type_of_entity")),
        "subsidiaries" => Col::Field(extra("subsidiaries")),
        "parent company" => Col::Field(extra("parent_company")),
        "business registration number (s)" | "business registration number(s)" | "business registration number" => {
            Col::Field(Field::Registration)
        }
        "imo number" => Col::Field(Field::Imo),
        "current owner/operator (s)" => Col::Field(extra("current_owner_operator")),
        "previous owner/operator (s)" => Col::Field(extra("previous_owner_operator")),
        "current believed flag of ship" => Col::Field(extra("current_flag")),
        "previous flags" => Col::Field(extra("previous_flags")),
        "type of ship" => Col::Field(extra("type_of_ship")),
        "tonnage of ship" => Col::Field(extra("tonnage_of_ship")),
        "length of ship" => Col::Field(extra("length_of_ship")),
        "year built" => Col::Field(extra("year_built")),
        "hull identification number (hin)" => Col::Field(extra("hull_identification_number")),
        _ => Col::Field(Field::Extra(snake_key(header))),
    }
}

/// The field an XML leaf element carries, if it is one the importer knows.
fn xml_field(element: &str) -> Option<Field> {
    Some(match element {
        "LastUpdated" => Field::LastUpdated,
        "UniqueID" => Field::UniqueId,
        "DateDesignated" => Field::DateDesignated,
        "IndividualEntityShip" | "DesignationType" => Field::DesignationType,
        "OFSIGroupID" => Field::Single(Single::OfsiGroupId),
        "UNReferenceNumber" => Field::Single(Single::UnReference),
        "RegimeName" => Field::Single(Single::RegimeName),
        "DesignationSource" => Field::Single(Single::DesignationSource),
        "SanctionsImposed" => Field::Single(Single::SanctionsImposed),
        "OtherInformation" => Field::Single(Single::OtherInformation),
        "UKStatementofReasons" | "UKStatementOfReasons" => Field::Single(Single::Reason),
        "Title" => Field::Title,
        "DOB" => Field::Dob,
        "Nationality" => Field::Nationality,
        "Position" => Field::Position,
        "Gender" => Field::Gender,
        "BusinessRegistrationNumber" => Field::Registration,
        "IMONumber" => Field::Imo,
        "PhoneNumber" => extra("phone_number"),
        "Website" => extra("website"),
        "EmailAddress" => extra("email_address"),
        "TypeOfEntity" => extra("type_of_entity"),
        "Subsidiary" => extra("subsidiaries"),
        "ParentCompany" => extra("parent_company"),
        "CurrentOwnerOperator" => extra("current_owner_operator"),
        "PreviousOwnerOperator" => extra("previous_owner_operator"),
        "CurrentBelievedFlagOfShip" => extra("current_flag"),
        "PreviousFlag" => extra("previous_flags"),
        "TypeOfShip" => extra("type_of_ship"),
        "TonnageOfShip" => extra("tonnage_of_ship"),
        "LengthOfShip" => extra("length_of_ship"),
        "YearBuilt" => extra("year_built"),
        "HullIdentificationNumber" | "HullIdentificationNumberHIN" | "HIN" => extra("hull_identification_number"),
        _ => return None,
    })
}

// ------------------------------------------------------------------------------------------------
// CSV

/// Maps the header to columns, refusing duplicates and a missing required column.
fn csv_columns(headers: &[String], line: usize) -> Result<Vec<Col>, ParseError> {
    let columns: Vec<Col> = headers.iter().map(|h| csv_column(h)).collect();
    for (i, c) in columns.iter().enumerate() {
        if !headers[i].is_empty() && columns[..i].contains(c) {
            return Err(ParseError::new(
                format!("line {line}, column \"{}\"", headers[i]),
                "the column appears twice in the header",
            ));
        }
    }
    let required = [
        ("Unique ID", Col::Field(Field::UniqueId)),
        ("Name 6", Col::NamePart(5)),
        ("Name type", Col::NameType),
        ("Regime Name", Col::Field(Field::Single(Single::RegimeName))),
        ("Designation Type", Col::Field(Field::DesignationType)),
        ("Date Designated", Col::Field(Field::DateDesignated)),
    ];
    for (name, col) in required {
        if !columns.contains(&col) {
            return Err(ParseError::new(
                format!("line {line}"),
                format!(
                    "the header has no column \"{name}\", which the importer relies on (is this the UK Sanctions List CSV?); the header seen: {}",
                    headers.iter().take(80).map(|h| format!("\"{h}\"")).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    Ok(columns)
}

/// Reads one row into its designation's group.
fn csv_row(
    groups: &mut Groups,
    columns: &[Col],
    headers: &[String],
    cells: &[String],
    line: usize,
) -> Result<(), ParseError> {
    let loc = |i: usize| Loc { line, label: headers[i].as_str(), xml: false };
    let find = |want: &Col| columns.iter().position(|c| c == want);
    let cell = |want: &Col| find(want).map_or("", |i| cells[i].as_str());
    let cell_loc = |want: &Col| find(want).map_or(Loc { line, label: "", xml: false }, loc);

    let id_index = find(&Col::Field(Field::UniqueId)).unwrap_or(0);
    let id = cells[id_index].as_str();
    if id.is_empty() {
        return Err(ParseError::new(loc(id_index).to_string(), "empty Unique ID in a row that is not empty"));
    }
    let acc = groups.get(id, || format!("line {line}"));

    for (i, col) in columns.iter().enumerate() {
        if let Col::Field(field) = col {
            acc.cell(field, &cells[i], loc(i))?;
        }
    }

    let parts: [&str; 6] = std::array::from_fn(|k| cell(&Col::NamePart(k)));
    acc.name(
        &parts,
        cell(&Col::NameType),
        cell(&Col::AliasStrength),
        cell_loc(&Col::NameType),
        cell_loc(&Col::AliasStrength),
    )?;
    acc.non_latin(cell(&Col::NonLatinName), cell(&Col::NonLatinType), cell(&Col::NonLatinLanguage));
    let lines: [&str; 6] = std::array::from_fn(|k| cell(&Col::AddressLine(k)));
    acc.address(&lines, cell(&Col::PostalCode), cell(&Col::AddressCountry));
    acc.identifier("passport", cell(&Col::PassportNumber), cell(&Col::PassportInfo));
    acc.identifier("national_id", cell(&Col::NationalIdNumber), cell(&Col::NationalIdInfo));
    acc.place(cell(&Col::TownOfBirth), cell(&Col::CountryOfBirth));
    Ok(())
}

/// Line numbers of the file for byte offsets into the text after line 1, moving forward.
///
/// (The csv crate's own line count lags by one after a CRLF line end, so lines are counted here.)
struct LineCounter<'a> {
    text: &'a [u8],
    pos: usize,
    newlines: usize,
}

impl LineCounter<'_> {
    /// The file's line of the record starting at `p`: line 1 is the report date, so the text
    /// after it starts on line 2.
    fn line(&mut self, p: Option<&csv::Position>) -> usize {
        let Some(p) = p else { return 0 };
        let mut start = usize::try_from(p.byte()).unwrap_or(usize::MAX).min(self.text.len());
        // A record's position can point at the line end that closed the previous one.
        while start < self.text.len() && matches!(self.text[start], b'\r' | b'\n') {
            start += 1;
        }
        if start < self.pos {
            self.pos = 0;
            self.newlines = 0;
        }
        self.newlines += self.text[self.pos..start].iter().filter(|&&b| b == b'\n').count();
        self.pos = start;
        self.newlines + 2
    }
}

fn csv_error(e: &csv::Error) -> ParseError {
    let location = e.position().map_or_else(|| "file".to_owned(), |p| format!("line {}", p.line() + 1));
    ParseError::new(location, format!("unreadable CSV: {e}"))
}

// ------------------------------------------------------------------------------------------------
// XML

/// Reads one `<Designation>` element into its group.
fn xml_designation(groups: &mut Groups, node: &xml::Node, index: usize) -> Result<(), ParseError> {
    let id = node.child("UniqueID").map_or("", |c| c.text.trim());
    if id.is_empty() {
        return Err(ParseError::new(
            format!("line {}, element <Designation> {index}", node.line),
            "no <UniqueID> in the designation",
        ));
    }
    let acc = groups.get(id, || format!("Designation {index} (line {})", node.line));
    xml_walk(acc, node)
}

/// Reads the fields under `node`, descending through containers (`Names`, `IndividualDetails`, ...).
fn xml_walk(acc: &mut Acc, node: &xml::Node) -> Result<(), ParseError> {
    for child in &node.children {
        let loc = Loc { line: child.line, label: child.name.as_str(), xml: true };
        match child.name.as_str() {
            "Name" => {
                let parts: [&str; 6] = std::array::from_fn(|k| child.leaf(&format!("Name{}", k + 1)));
                let type_loc =
                    child.child("NameType").map_or(loc, |n| Loc { line: n.line, label: "NameType", xml: true });
                let strength_loc = child.child("AliasStrength").map_or(loc, |n| Loc {
                    line: n.line,
                    label: "AliasStrength",
                    xml: true,
                });
                acc.name(&parts, child.leaf("NameType"), child.leaf("AliasStrength"), type_loc, strength_loc)?;
                if let Some(title) = child.child("Title") {
                    acc.cell(&Field::Title, &clean(&title.text), Loc { line: title.line, label: "Title", xml: true })?;
                }
            }
            "NonLatinName" => acc.non_latin(
                child.leaf("NameNonLatinScript"),
                child.leaf("NonLatinScriptType"),
                child.leaf("NonLatinScriptLanguage"),
            ),
            "Address" => {
                let lines: [&str; 6] = std::array::from_fn(|k| child.leaf(&format!("AddressLine{}", k + 1)));
                acc.address(&lines, child.leaf("AddressPostalCode"), child.leaf("AddressCountry"));
            }
            "Passport" => {
                acc.identifier("passport", child.leaf("PassportNumber"), child.leaf("PassportAdditionalInformation"))
            }
            "NationalIdentifier" => acc.identifier(
                "national_id",
                child.leaf("NationalIdentifierNumber"),
                child.leaf("NationalIdentifierAdditionalInformation"),
            ),
            "Location" => acc.place(child.leaf("TownOfBirth"), child.leaf("CountryOfBirth")),
            name => match xml_field(name) {
                Some(field) => acc.cell(&field, &clean(&child.text), loc)?,
                None if !child.children.is_empty() => xml_walk(acc, child)?,
                None => {}
            },
        }
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------------
// Grouping and assembling

/// The designations read so far, in order of first appearance.
#[derive(Default)]
struct Groups {
    order: Vec<Acc>,
    index: HashMap<String, usize>,
}

impl Groups {
    /// The group of `id`, created (with its location) on first sight.
    fn get(&mut self, id: &str, location: impl FnOnce() -> String) -> &mut Acc {
        let i = match self.index.get(id) {
            Some(&i) => i,
            None => {
                self.order.push(Acc { id: id.to_owned(), location: location(), ..Acc::default() });
                self.index.insert(id.to_owned(), self.order.len() - 1);
                self.order.len() - 1
            }
        };
        &mut self.order[i]
    }

    fn finish(self, format: Format, report_date: Date) -> Result<Snapshot, ParseError> {
        let designations = self.order.into_iter().map(Acc::finish).collect::<Result<Vec<_>, _>>()?;
        Ok(Snapshot { authority: AUTHORITY.to_owned(), format, report_date, designations })
    }
}

/// One designation as read so far, from its rows or its element.
#[derive(Default)]
struct Acc {
    id: String,
    location: String,
    last_updated: Vec<Date>,
    date_designated: Option<(Date, String, String)>,
    kind: Option<(SubjectKind, String, String)>,
    singles: [Option<(String, String)>; Single::ALL],
    names: Vec<Name>,
    non_latin: Vec<Name>,
    titles: Vec<String>,
    nationalities: Vec<String>,
    positions: Vec<String>,
    genders: Vec<String>,
    dobs: Vec<DateOfBirth>,
    places: Vec<Place>,
    addresses: Vec<Address>,
    identifiers: Vec<Identifier>,
    extras: Vec<(String, Vec<String>)>,
}

impl Acc {
    /// Takes one (trimmed) value of `field`; empty values are absent.
    fn cell(&mut self, field: &Field, value: &str, loc: Loc<'_>) -> Result<(), ParseError> {
        if value.is_empty() {
            return Ok(());
        }
        match field {
            Field::UniqueId => {}
            Field::LastUpdated => {
                let d = parse_uk_date(value).map_err(|r| ParseError::new(loc.to_string(), r))?;
                if let Err(at) = self.last_updated.binary_search(&d) {
                    self.last_updated.insert(at, d);
                }
            }
            Field::DateDesignated => {
                let d = parse_uk_date(value).map_err(|r| ParseError::new(loc.to_string(), r))?;
                match &self.date_designated {
                    Some((old, raw, at)) if *old != d => return Err(self.conflict(loc, value, raw, at)),
                    Some(_) => {}
                    None => self.date_designated = Some((d, value.to_owned(), loc.to_string())),
                }
            }
            Field::DesignationType => {
                let kind = match value.to_ascii_lowercase().as_str() {
                    "individual" => SubjectKind::Individual,
                    "entity" => SubjectKind::Entity,
                    "ship" => SubjectKind::Ship,
                    _ => {
                        return Err(ParseError::new(
                            loc.to_string(),
                            format!("`{value}` is not a designation type (Individual, Entity or Ship)"),
                        ));
                    }
                };
                match &self.kind {
                    Some((old, raw, at)) if *old != kind => return Err(self.conflict(loc, value, raw, at)),
                    Some(_) => {}
                    None => self.kind = Some((kind, value.to_owned(), loc.to_string())),
                }
            }
            Field::Single(s) => match &self.singles[s.index()] {
                Some((old, at)) if old != value => return Err(self.conflict(loc, value, old, at)),
                Some(_) => {}
                None => self.singles[s.index()] = Some((value.to_owned(), loc.to_string())),
            },
            Field::Title => split_into(&mut self.titles, value),
            Field::Nationality => split_into(&mut self.nationalities, value),
            Field::Position => split_into(&mut self.positions, value),
            Field::Gender => split_into(&mut self.genders, value),
            Field::Dob => {
                for part in split_list(value) {
                    let date = parse_dob(part).map_err(|r| ParseError::new(loc.to_string(), r))?;
                    if let Some(date) = date {
                        push_distinct(&mut self.dobs, DateOfBirth { date, to: None, approximate: false });
                    }
                }
            }
            Field::Registration => self.identifier("registration", value, ""),
            Field::Imo => self.identifier("imo", value, ""),
            Field::Extra(key) => self.extra(key, value),
        }
        Ok(())
    }

    fn conflict(&self, loc: Loc<'_>, value: &str, old: &str, at: &str) -> ParseError {
        ParseError::new(loc.to_string(), format!("`{value}` disagrees with `{old}` given for {} at {at}", self.id))
    }

    fn extra(&mut self, key: &str, value: &str) {
        let slot = match self.extras.iter().position(|(k, _)| k == key) {
            Some(i) => &mut self.extras[i].1,
            None => {
                self.extras.push((key.to_owned(), Vec::new()));
                let last = self.extras.len() - 1;
                &mut self.extras[last].1
            }
        };
        split_into(slot, value);
    }

    /// Takes one name: its parts (`Name 1`..`Name 5`, `Name 6`), type and alias strength.
    fn name(
        &mut self,
        parts: &[&str; 6],
        name_type: &str,
        strength: &str,
        type_loc: Loc<'_>,
        strength_loc: Loc<'_>,
    ) -> Result<(), ParseError> {
        let full = collapse(&parts.join(" "));
        if full.is_empty() {
            return Ok(());
        }
        let name_type = match collapse(name_type).to_ascii_lowercase().as_str() {
            "primary name" => NameType::Primary,
            "primary name variation" => NameType::Variation,
            "alias" => NameType::Alias,
            _ => {
                return Err(ParseError::new(
                    type_loc.to_string(),
                    format!("`{name_type}` is not a name type (Primary Name, Primary Name Variation or Alias)"),
                ));
            }
        };
        let strength_key = strength.to_ascii_lowercase();
        let quality = if strength_key.is_empty() {
            None
        } else if strength_key.starts_with("good") {
            Some(AliasQuality::Good)
        } else if strength_key.starts_with("low") {
            Some(AliasQuality::Low)
        } else {
            return Err(ParseError::new(
                strength_loc.to_string(),
                format!("`{strength}` is not an alias strength (Good quality a.k.a or Low quality a.k.a)"),
            ));
        };
        push_distinct(&mut self.names, Name { name: full, name_type, quality, script: None });
        Ok(())
    }

    /// Takes a non-Latin name: a variation in its script.
    fn non_latin(&mut self, name: &str, script: &str, language: &str) {
        let name = collapse(name);
        if name.is_empty() {
            return;
        }
        let script = non_empty(script);
        push_distinct(&mut self.non_latin, Name { name, name_type: NameType::Variation, quality: None, script });
        if !language.is_empty() {
            self.extra("non_latin_script_language", language);
        }
    }

    fn address(&mut self, lines: &[&str; 6], postal_code: &str, country: &str) {
        let address = Address {
            lines: lines.iter().filter(|l| !l.is_empty()).map(|l| (*l).to_owned()).collect(),
            town: None,
            region: None,
            postal_code: non_empty(postal_code),
            country: non_empty(country),
        };
        if !address.lines.is_empty() || address.postal_code.is_some() || address.country.is_some() {
            push_distinct(&mut self.addresses, address);
        }
    }

    /// Takes identifiers of `kind`: `|`-separated numbers, paired with `|`-separated notes when
    /// there are as many, else each with the whole note.
    fn identifier(&mut self, kind: &str, numbers: &str, info: &str) {
        let values = split_list(numbers);
        if values.is_empty() {
            if !info.is_empty() {
                let key = if kind == "passport" {
                    "passport_additional_information"
                } else {
                    "national_identifier_additional_information"
                };
                self.extra(key, info);
            }
            return;
        }
        let notes = split_list(info);
        for (i, value) in values.iter().enumerate() {
            let note = if notes.len() == values.len() { notes.get(i).copied() } else { Some(info) };
            push_distinct(
                &mut self.identifiers,
                Identifier {
                    kind: kind.to_owned(),
                    value: (*value).to_owned(),
                    country: None,
                    note: note.and_then(non_empty),
                },
            );
        }
    }

    fn place(&mut self, towns: &str, countries: &str) {
        let (t, c) = (split_list(towns), split_list(countries));
        let pairs: Vec<(&str, &str)> =
            if t.len() == c.len() && t.len() > 1 { t.into_iter().zip(c).collect() } else { vec![(towns, countries)] };
        for (town, country) in pairs {
            let place = Place { town: non_empty(town), region: None, country: non_empty(country) };
            if place.town.is_some() || place.country.is_some() {
                push_distinct(&mut self.places, place);
            }
        }
    }

    fn single(&self, s: Single) -> Option<&str> {
        self.singles[s.index()].as_ref().map(|(v, _)| v.as_str())
    }

    /// The names, then the non-Latin ones.
    fn all_names(&self) -> Vec<Name> {
        let mut names = self.names.clone();
        for n in &self.non_latin {
            push_distinct(&mut names, n.clone());
        }
        names
    }

    /// The measures of the sanctions imposed, by code, each once.
    fn measures(&self) -> Vec<String> {
        let mut measures = Vec::new();
        for m in self.single(Single::SanctionsImposed).map(split_list).unwrap_or_default() {
            if let Some(code) = measure(m) {
                push_distinct(&mut measures, code);
            }
        }
        measures
    }

    /// What else the record says, for `other`: its OFSI group and UN reference, its designation
    /// source (unless the UK), its other information and the columns of no field.
    fn other(&self) -> Map<String, Value> {
        let mut other = Map::new();
        let mut put = |key: &str, value: Option<&str>| {
            if let Some(v) = value {
                other.insert(key.to_owned(), Value::String(v.to_owned()));
            }
        };
        put("ofsi_group_id", self.single(Single::OfsiGroupId));
        put("un_reference_number", self.single(Single::UnReference));
        put(
            "designation_source",
            self.single(Single::DesignationSource).filter(|s| !s.eq_ignore_ascii_case(AUTHORITY)),
        );
        put("other_information", self.single(Single::OtherInformation));
        for (key, values) in &self.extras {
            if !values.is_empty() {
                put(key, Some(&values.join("|")));
            }
        }
        other
    }

    /// The identifiers, which come from several columns, ordered by kind so that both layouts
    /// agree.
    fn identifiers_by_kind(&self) -> Vec<Identifier> {
        let rank =
            |k: &str| ["passport", "national_id", "registration", "imo"].iter().position(|x| *x == k).unwrap_or(4);
        let mut identifiers = self.identifiers.clone();
        identifiers.sort_by_key(|i| rank(&i.kind));
        identifiers
    }

    fn finish(self) -> Result<Listed, ParseError> {
        let at = |reason: String| ParseError::new(self.location.clone(), format!("{}: {reason}", self.id));
        let kind = self.kind.as_ref().map(|k| k.0).ok_or_else(|| at("no Designation Type".into()))?;
        let effective = self.date_designated.as_ref().map(|d| d.0).ok_or_else(|| at("no Date Designated".into()))?;
        let code: String = self.id.chars().take_while(char::is_ascii_alphabetic).take(MAX_REGIME_CODE).collect();
        if code.is_empty() {
            return Err(at("the Unique ID does not start with a regime code (e.g. GIM0030)".into()));
        }
        let names = self.all_names();
        if names.is_empty() {
            return Err(at("no name".into()));
        }
        let measures = self.measures();
        let other = self.other();
        let identifiers = self.identifiers_by_kind();

        let joined = |v: &[String]| if v.is_empty() { None } else { Some(v.join("; ")) };
        let designation = Designation {
            authority: AUTHORITY.to_owned(),
            id: self.id.clone(),
            effective: Effective::Date(effective.0),
            regime: Regime { code, name: self.single(Single::RegimeName).map(str::to_owned) },
            subject: Subject {
                kind,
                names,
                title: joined(&self.titles),
                dates_of_birth: self.dobs.clone(),
                places_of_birth: self.places.clone(),
                nationalities: self.nationalities.clone(),
                gender: joined(&self.genders),
                position: joined(&self.positions),
                addresses: self.addresses.clone(),
                identifiers,
            },
            measures,
            reason: self.single(Single::Reason).map(str::to_owned),
            source: None,
            other: if other.is_empty() { None } else { Some(other) },
            published: None,
            note: None,
            import: None,
        };
        check(&designation, &self.location)?;
        Ok(Listed { designation, last_updated: self.last_updated, location: self.location })
    }
}

// ------------------------------------------------------------------------------------------------
// Values

/// Parses `Report Date: 29-Apr-2026`.
fn parse_report_date(line: &str) -> Result<Date, BadValue> {
    let bad = || BadValue::ReportDateLine(line.to_owned());
    let rest = line
        .get(..12)
        .filter(|p| p.eq_ignore_ascii_case("report date:"))
        .and_then(|_| line.get(12..))
        .ok_or_else(bad)?
        .trim();
    let mut parts = rest.split('-');
    let (Some(d), Some(m), Some(y), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    let m = m.to_ascii_lowercase();
    let month = MONTHS.iter().position(|x| m.starts_with(x) && m.len() >= 3).ok_or_else(bad)? + 1;
    let (Ok(d), Ok(y)) = (d.parse::<u32>(), y.parse::<u32>()) else {
        return Err(bad());
    };
    Date::parse(&format!("{y:04}-{month:02}-{d:02}")).map_err(|_| bad())
}

/// Parses a `dd/mm/yyyy` date.
pub(crate) fn parse_uk_date(s: &str) -> Result<Date, BadValue> {
    let bad = || BadValue::UkDate(s.to_owned());
    let parts: Vec<&str> = s.split('/').collect();
    let [d, m, y] = parts.as_slice() else {
        return Err(bad());
    };
    let digits =
        |p: &str, len: std::ops::RangeInclusive<usize>| len.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    if !(digits(d, 1..=2) && digits(m, 1..=2) && digits(y, 4..=4)) {
        return Err(bad());
    }
    Date::parse(&format!("{y}-{m:0>2}-{d:0>2}")).map_err(|_| bad())
}

/// Parses a date of birth with placeholders into `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; a date with
/// no known part at all (`dd/mm/yyyy`) is `None`.
fn parse_dob(s: &str) -> Result<Option<String>, BadValue> {
    let bad = || BadValue::DateOfBirth(s.to_owned());
    let unknown =
        |p: &str| p.eq_ignore_ascii_case("dd") || p.eq_ignore_ascii_case("mm") || p.bytes().all(|b| b == b'0');
    let number = |p: &str, max: u32| {
        p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u32>().is_ok_and(|n| (1..=max).contains(&n))
    };
    let parts: Vec<&str> = s.split('/').map(str::trim).collect();
    let (d, m, y) = match parts.as_slice() {
        [y] => ("00", "00", *y),
        [m, y] => ("00", *m, *y),
        [d, m, y] => (*d, *m, *y),
        _ => return Err(bad()),
    };
    if y.eq_ignore_ascii_case("yyyy") && unknown(m) && unknown(d) {
        return Ok(None);
    }
    if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if unknown(m) {
        return if unknown(d) { Ok(Some(y.to_owned())) } else { Err(bad()) };
    }
    if !number(m, 12) {
        return Err(bad());
    }
    if unknown(d) {
        return Ok(Some(format!("{y}-{m:0>2}")));
    }
    if !number(d, 31) {
        return Err(bad());
    }
    let full = format!("{y}-{m:0>2}-{d:0>2}");
    match chrono::NaiveDate::parse_from_str(&full, "%Y-%m-%d") {
        Ok(_) => Ok(Some(full)),
        Err(_) => Err(bad()),
    }
}

/// Splits a `|`-separated list into its trimmed, non-empty items.
fn split_list(s: &str) -> Vec<&str> {
    s.split('|').map(str::trim).filter(|p| !p.is_empty()).collect()
}

fn split_into(into: &mut Vec<String>, value: &str) {
    for part in split_list(value) {
        push_distinct(into, part.to_owned());
    }
}

/// A trimmed cell with its line ends normalised to `\n`.
fn clean(s: &str) -> String {
    let s = s.trim();
    if s.contains('\r') { s.replace("\r\n", "\n").replace('\r', "\n") } else { s.to_owned() }
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() { None } else { Some(s.to_owned()) }
}

/// The published `Sanctions Imposed` labels that name a measure of the ledger's vocabulary, as
/// their snake_case codes. The list spells some labels in more than one way (capitals vary), and
/// the charter bans on ships and on aircraft are one measure of the vocabulary.
const UK_MEASURES: &[(&str, &str)] = &[
    ("trust_services_sanctions", "trust_services"),
    ("director_disqualification_sanction", "director_disqualification"),
    ("charter_of_ships", "charter_ban"),
    ("charter_of_aircraft", "charter_ban"),
];

/// A measure for a published label: a code of the ledger's vocabulary where the label means one
/// (`Asset freeze` → `asset_freeze`, `Trust services sanctions` → `trust_services`), else
/// `custom:` and the label's snake_case code (`Port entry ban` → `custom:port_entry_ban`), so that
/// every imported measure is one the ledger accepts. `None` for a label with no letters or digits.
fn measure(label: &str) -> Option<String> {
    let code = snake_code(label)?;
    if let Some((_, known)) = UK_MEASURES.iter().find(|(published, _)| *published == code) {
        return Some((*known).to_owned());
    }
    if ledger_core::event::KNOWN_MEASURES.iter().any(|(known, _)| *known == code) {
        return Some(code);
    }
    Some(format!("{}{code}", ledger_core::event::CUSTOM_MEASURE_PREFIX))
}

/// A column header as an `other` key: `Type of entity` → `type_of_entity`.
fn snake_key(header: &str) -> String {
    snake_code(header).unwrap_or_else(|| "column".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger_core::event::InputEvent;

    const CSV: &[u8] = include_bytes!("../../tests/fixtures/lists/uk-gim/UK-Sanctions-List-GIM-2026-04-29.csv");
    const XML: &[u8] = include_bytes!("../../tests/fixtures/lists/uk-gim/UK-Sanctions-List-GIM-2026-04-29.xml");
    const EXPECTED: &str = include_str!("../../examples/uk-gim-2025.jsonl");

    /// The 58-column header of the FCDO CSV.
    const HEADER: &str = "Last Updated,Unique ID,OFSI Group ID,UN Reference Number,Name 6,Name 1,Name 2,Name 3,Name 4,Name 5,Name type,Alias strength,Title,Name non-latin script,Non-latin script type,Non-latin script language,Regime Name,Designation Type,Designation source,Sanctions Imposed,Other Information,UK Statement of Reasons,Address Line 1,Address Line 2,Address Line 3,Address Line 4,Address Line 5,Address Line 6,Address Postal Code,Address Country,Phone number,Website,Email address,Date Designated,D.O.B,Nationality(/ies),National Identifier number,National Identifier additional information,Passport number,Passport additional information,Position,Gender,Town of birth,Country of birth,Type of entity,Subsidiaries,Parent company,Business registration number (s),IMO number,Current owner/operator (s),Previous owner/operator (s),Current believed flag of ship,Previous flags,Type of ship,Tonnage of ship,Length of ship,Year Built,Hull identification number (HIN)";

    /// A CSV row with `cells` set by column name and the basics filled in.
    fn row(cells: &[(&str, &str)]) -> String {
        let base = [
            ("Last Updated", "23/07/2025"),
            ("Unique ID", "GIM0099"),
            ("Name 6", "DOE"),
            ("Name 1", "John"),
            ("Name type", "Primary Name"),
            ("Regime Name", "Test Regulations"),
            ("Designation Type", "Individual"),
            ("Sanctions Imposed", "Asset freeze|Travel Ban"),
            ("Date Designated", "23/07/2025"),
        ];
        HEADER
            .split(',')
            .map(|h| {
                let v = cells.iter().chain(base.iter()).find(|(k, _)| *k == h).map_or("", |(_, v)| *v);
                if v.contains(',') || v.contains('"') {
                    format!("\"{}\"", v.replace('"', "\"\""))
                } else {
                    v.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    fn csv_of(rows: &[String]) -> Vec<u8> {
        format!("Report Date: 29-Apr-2026\r\n{HEADER}\r\n{}\r\n", rows.join("\r\n")).into_bytes()
    }

    fn dobs(cell: &str) -> Vec<DateOfBirth> {
        let s = parse_csv(&csv_of(&[row(&[("D.O.B", cell)])])).unwrap();
        s.designations[0].designation.subject.dates_of_birth.clone()
    }

    #[test]
    fn gim_csv_and_xml_read_38_designations_alike() {
        let csv = parse_csv(CSV).unwrap();
        let xml = parse_xml(XML).unwrap();
        assert_eq!((csv.format.name(), xml.format.name()), ("uk-csv", "uk-xml"));
        assert_eq!(csv.authority, "UK");
        assert_eq!(csv.report_date, Date::parse("2026-04-29").unwrap());
        assert_eq!(csv.designations.len(), 38);
        assert_eq!(xml.designations.len(), 38);
        assert_eq!(csv.report_date, xml.report_date);
        assert_eq!(csv.authority, xml.authority);
        for (c, x) in csv.designations.iter().zip(&xml.designations) {
            assert_eq!(c.designation, x.designation);
            assert_eq!(c.last_updated, x.last_updated);
        }
        assert_eq!(csv.designations[0].location, "line 3");
        assert_eq!(xml.designations[0].location, "Designation 1 (line 4)");
        let g7 = &csv.designations[6];
        assert_eq!(
            (g7.designation.id.as_str(), g7.last_updated.clone()),
            ("GIM0007", vec![Date::parse("2025-08-13").unwrap()])
        );
    }

    #[test]
    fn gim_records_equal_the_example_events() {
        let expected: Vec<Designation> = EXPECTED
            .lines()
            .map(|l| match serde_json::from_str::<InputEvent>(l).unwrap() {
                InputEvent::Designation(d) => d,
                other => panic!("not a designation: {other:?}"),
            })
            .collect();
        assert_eq!(expected.len(), 38);
        for snapshot in [parse_csv(CSV).unwrap(), parse_xml(XML).unwrap()] {
            for (listed, want) in snapshot.designations.iter().zip(&expected) {
                assert_eq!(&listed.designation, want, "{} ({})", want.id, snapshot.format);
                ledger_core::validate::check_record(&listed.designation.record()).unwrap();
            }
        }
    }

    #[test]
    fn gim_name_types() {
        let s = parse_csv(CSV).unwrap();
        let find = |id: &str| s.designations.iter().find(|l| l.designation.id == id).unwrap();
        let count =
            |id: &str, t: NameType| find(id).designation.subject.names.iter().filter(|n| n.name_type == t).count();
        assert_eq!((count("GIM0005", NameType::Primary), count("GIM0005", NameType::Alias)), (1, 2));
        assert_eq!(find("GIM0005").designation.subject.names.len(), 3);
        assert_eq!((count("GIM0014", NameType::Primary), count("GIM0014", NameType::Variation)), (1, 3));
        assert_eq!(find("GIM0014").designation.subject.names.len(), 4);
        // Trailing spaces in cells are trimmed.
        assert_eq!(find("GIM0005").designation.subject.names[0].name, "Kazawi Gang");
    }

    #[test]
    fn placeholder_dates_of_birth() {
        let d = |date: &str| DateOfBirth { date: date.into(), to: None, approximate: false };
        assert_eq!(dobs("dd/mm/1975"), vec![d("1975")]);
        assert_eq!(dobs("00/00/1975"), vec![d("1975")]);
        assert_eq!(dobs("00/03/1975"), vec![d("1975-03")]);
        assert_eq!(dobs("dd/03/1975"), vec![d("1975-03")]);
        assert_eq!(dobs("12/03/1975"), vec![d("1975-03-12")]);
        assert_eq!(dobs("12/03/1975|00/00/1976"), vec![d("1975-03-12"), d("1976")]);
        // Several rows of a group: distinct values collected.
        let s = parse_csv(&csv_of(&[
            row(&[("D.O.B", "12/03/1975")]),
            row(&[("Name 6", "DOH"), ("Name type", "Alias"), ("D.O.B", "00/00/1975")]),
            row(&[("Name 6", "DOW"), ("Name type", "Alias"), ("D.O.B", "12/03/1975")]),
        ]))
        .unwrap();
        assert_eq!(s.designations.len(), 1);
        assert_eq!(s.designations[0].designation.subject.dates_of_birth, vec![d("1975-03-12"), d("1975")]);
        let e = parse_csv(&csv_of(&[row(&[("D.O.B", "31/02/1975")])])).unwrap_err();
        assert_eq!(e.location, "line 3, column \"D.O.B\"");
    }

    /// A row with a value in every kind of column the parser maps.
    const FULL_ROW: &[(&str, &str)] = &[
        ("Title", "Dr"),
        ("Name non-latin script", "Джон Доу"),
        ("Non-latin script type", "Cyrillic"),
        ("Non-latin script language", "Russian"),
        ("Designation source", "UN"),
        ("UN Reference Number", "QDi.001"),
        ("UK Statement of Reasons", "Because, reasons."),
        ("Address Line 1", "1 High St"),
        ("Address Country", "Ruritania"),
        ("Passport number", "P1|P2"),
        ("Passport additional information", "issued 2001|issued 2002"),
        ("Nationality(/ies)", "Ruritania|Freedonia"),
        ("Position", "Minister"),
        ("Gender", "Male"),
        ("Town of birth", "Streslau"),
        ("Country of birth", "Ruritania"),
        ("Phone number", "+1 555"),
        ("Tonnage of ship", "7078"),
    ];

    #[test]
    fn full_row_maps_every_column() {
        let s = parse_csv(&csv_of(&[row(FULL_ROW)])).unwrap();
        let d = &s.designations[0].designation;
        assert_eq!(d.subject.names.len(), 2);
        assert_eq!(d.subject.names[1].script.as_deref(), Some("Cyrillic"));
        assert_eq!(d.subject.names[1].name_type, NameType::Variation);
        assert_eq!(d.subject.title.as_deref(), Some("Dr"));
        assert_eq!(d.reason.as_deref(), Some("Because, reasons."));
        assert_eq!(d.subject.addresses[0].lines, vec!["1 High St".to_owned()]);
        assert_eq!(d.subject.identifiers.len(), 2);
        assert_eq!(d.subject.identifiers[1].note.as_deref(), Some("issued 2002"));
        assert_eq!(d.subject.nationalities, vec!["Ruritania".to_owned(), "Freedonia".to_owned()]);
        assert_eq!(d.subject.places_of_birth[0].town.as_deref(), Some("Streslau"));
        let other = d.other.as_ref().unwrap();
        assert_eq!(other["designation_source"], "UN");
        assert_eq!(other["tonnage_of_ship"], "7078");
        assert_eq!(other["non_latin_script_language"], "Russian");
        assert_eq!(d.measures, vec!["asset_freeze".to_owned(), "travel_ban".to_owned()]);
    }

    #[test]
    fn bad_date_names_line_and_column() {
        let e = parse_csv(&csv_of(&[row(&[]), row(&[("Unique ID", "GIM0100"), ("Date Designated", "2025-07-23")])]))
            .unwrap_err();
        assert_eq!(e.location, "line 4, column \"Date Designated\"");
        assert!(e.reason.contains("2025-07-23"), "{e}");
    }

    #[test]
    fn disagreeing_rows_are_refused() {
        let e = parse_csv(&csv_of(&[row(&[]), row(&[("Name type", "Alias"), ("Date Designated", "24/07/2025")])]))
            .unwrap_err();
        assert_eq!(e.location, "line 4, column \"Date Designated\"");
        assert!(e.reason.contains("line 3"), "{e}");
    }

    #[test]
    fn header_problems_are_refused() {
        let no_id = String::from_utf8(CSV.to_vec()).unwrap().replacen("Unique ID", "Unique Id No", 1);
        let e = parse_csv(no_id.as_bytes()).unwrap_err();
        assert_eq!(e.location, "line 2");
        assert!(e.reason.contains("Unique ID"), "{e}");
        assert!(parse_csv(b"Report Date: 29-Apr-2026\r\na,b,c\r\n1,2,3\r\n").is_err());
        assert_eq!(parse_csv(b"Last Updated,Unique ID\r\n").unwrap_err().location, "line 1");
        // The columns are found by name, not position.
        let mut cols: Vec<&str> = HEADER.split(',').collect();
        cols.reverse();
        let reversed = |r: String| {
            let mut cells: Vec<String> = r.split(',').map(str::to_owned).collect();
            cells.reverse();
            cells.join(",")
        };
        let text = format!("Report Date: 29-Apr-2026\n{}\n{}\n", cols.join(","), reversed(row(&[])));
        assert_eq!(parse_csv(text.as_bytes()).unwrap().designations[0].designation.subject.names[0].name, "John DOE");
    }

    #[test]
    fn not_utf8_is_refused() {
        let mut bytes = csv_of(&[row(&[])]);
        let at = bytes.iter().rposition(|&b| b == b'J').unwrap();
        bytes[at] = 0xff;
        let e = parse_csv(&bytes).unwrap_err();
        assert_eq!(e.location, "line 3");
        assert!(e.reason.contains("UTF-8"));
        let mut xml = XML.to_vec();
        xml[300] = 0xc3;
        xml[301] = b'x';
        assert!(parse_xml(&xml).unwrap_err().reason.contains("UTF-8"));
    }

    #[test]
    fn truncated_or_malformed_xml_is_refused() {
        let e = parse_xml(&XML[..XML.len() / 2]).unwrap_err();
        assert!(e.reason.contains("ends inside"), "{e}");
        let broken = String::from_utf8(XML.to_vec()).unwrap().replacen("</Name6>", "</Name7>", 1);
        let e = parse_xml(broken.as_bytes()).unwrap_err();
        assert!(e.location.starts_with("line "), "{e}");
        assert!(e.reason.contains("Name6"), "{e}");
        let bad_date = String::from_utf8(XML.to_vec()).unwrap().replacen(
            "<DateDesignated>23/07/2025",
            "<DateDesignated>23/13/2025",
            1,
        );
        let e = parse_xml(bad_date.as_bytes()).unwrap_err();
        assert_eq!(e.location, "line 6, element <DateDesignated>");
        assert!(parse_xml(b"<Other/>").is_err());
        assert!(parse_xml(b"").is_err());
    }

    #[test]
    fn xml_details_match_csv_columns() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<Designations><DateGenerated>29/04/2026</DateGenerated>
<Designation>
  <LastUpdated>23/07/2025</LastUpdated><DateDesignated>23/07/2025</DateDesignated><UniqueID>GIM0099</UniqueID>
  <Names><Name><Name1>John</Name1><Name6>DOE</Name6><NameType>Primary Name</NameType></Name></Names>
  <NonLatinNames><NonLatinName><NameNonLatinScript>Джон Доу</NameNonLatinScript><NonLatinScriptType>Cyrillic</NonLatinScriptType><NonLatinScriptLanguage>Russian</NonLatinScriptLanguage></NonLatinName></NonLatinNames>
  <Titles><Title>Dr</Title></Titles>
  <RegimeName>Test Regulations</RegimeName><IndividualEntityShip>Individual</IndividualEntityShip>
  <DesignationSource>UN</DesignationSource><UNReferenceNumber>QDi.001</UNReferenceNumber>
  <SanctionsImposed>Asset freeze|Travel Ban</SanctionsImposed>
  <SanctionsImposedIndicators><AssetFreeze>true</AssetFreeze></SanctionsImposedIndicators>
  <UKStatementofReasons>Because, reasons.</UKStatementofReasons>
  <Addresses><Address><AddressLine1>1 High St</AddressLine1><AddressCountry>Ruritania</AddressCountry></Address></Addresses>
  <PhoneNumbers><PhoneNumber>+1 555</PhoneNumber></PhoneNumbers>
  <IndividualDetails><Individual>
    <Nationalities><Nationality>Ruritania</Nationality><Nationality>Freedonia</Nationality></Nationalities>
    <PassportDetails><Passport><PassportNumber>P1</PassportNumber><PassportAdditionalInformation>issued 2001</PassportAdditionalInformation></Passport>
      <Passport><PassportNumber>P2</PassportNumber><PassportAdditionalInformation>issued 2002</PassportAdditionalInformation></Passport></PassportDetails>
    <Positions><Position>Minister</Position></Positions><Genders><Gender>Male</Gender></Genders>
    <BirthDetails><Location><TownOfBirth>Streslau</TownOfBirth><CountryOfBirth>Ruritania</CountryOfBirth></Location></BirthDetails>
    <SomethingNew>ignored</SomethingNew>
  </Individual></IndividualDetails>
  <ShipDetails><Ship><TonnageOfShipDetails><TonnageOfShip>7078</TonnageOfShip></TonnageOfShipDetails></Ship></ShipDetails>
</Designation></Designations>"#;
        let csv = csv_of(&[row(FULL_ROW)]);
        let (a, b) = (parse_xml(xml.as_bytes()).unwrap(), parse_csv(&csv).unwrap());
        assert_eq!(a.designations[0].designation, b.designations[0].designation);
    }

    #[test]
    fn helpers() {
        assert_eq!(snake_code("Trust services sanctions").as_deref(), Some("trust_services_sanctions"));
        let cases = [
            ("Asset freeze", "asset_freeze"),
            ("Travel Ban", "travel_ban"),
            ("Trust services sanctions", "trust_services"),
            ("Director disqualification sanction", "director_disqualification"),
            ("Director Disqualification Sanction", "director_disqualification"),
            ("Arms embargo", "arms_embargo"),
            ("Targeted arms embargo", "targeted_arms_embargo"),
            ("Charter of ships", "charter_ban"),
            ("Charter of aircraft", "charter_ban"),
            ("Port entry ban", "custom:port_entry_ban"),
            ("2024 measure", "custom:x_2024_measure"),
        ];
        for (label, code) in cases {
            assert_eq!(measure(label).as_deref(), Some(code), "{label}");
            ledger_core::event::check_measure(code).unwrap();
        }
        assert_eq!(measure("--"), None);
        assert_eq!(snake_code(" Travel Ban ").as_deref(), Some("travel_ban"));
        assert_eq!(snake_code("--").as_deref(), None);
        assert_eq!(parse_report_date("Report Date: 29-Apr-2026").unwrap(), Date::parse("2026-04-29").unwrap());
        assert!(parse_report_date("Report Date: 29-Foo-2026").is_err());
        assert_eq!(parse_uk_date("1/2/2025").unwrap(), Date::parse("2025-02-01").unwrap());
        assert!(parse_uk_date("29/02/2025").is_err());
    }
}
