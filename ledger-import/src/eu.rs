//! The EU consolidated list of persons, groups and entities subject to financial sanctions, in the
//! XML layout of the Financial Sanctions Files (FSF, schema 1.1) ([`parse_xml`]).
//!
//! Mapping of each `<sanctionEntity>`:
//! - the id is its `euReferenceNumber` (`EU.27.28`): the EU's own reference of the listing, the
//!   one a notice or a screening hit cites, as the UK's `Unique ID` and the UN's reference number
//!   are theirs. The schema makes it optional: an entity without one is keyed by its `logicalId`
//!   (the FSF database's number of the entity, which the schema requires), a plain number that
//!   no reference looks like. `logicalId` (as `logical_id`) and `unitedNationId` go into `other`;
//! - the regime code is the `programme` of its `<regulation>` (`IRQ`, `RUS`; other characters
//!   become `-`), with no regime name; `<subjectType>` gives the kind (`P` person → individual,
//!   `E` enterprise → entity);
//! - the effective date is `designationDate`. Where it is absent, it comes from the acts and
//!   `other.effective_from` says so: the earliest act that introduced any of the entity's details
//!   (by publication date), on its entry into force when that act is the entity's `<regulation>`
//!   (whose `entryIntoForceDate` is known), else on its publication date;
//! - the update dates are the dates of every act it names (the `<regulation>`'s entry into force,
//!   each `regulationSummary`'s publication date);
//! - the measures: `asset_freeze` (the file lists financial sanctions; a travel ban is decided by
//!   a Council decision the file does not carry);
//! - the names are its `nameAlias`es (`wholeName`, else first, middle and last names), whitespace
//!   collapsed. No name is marked primary in the file: the primary is the first of the strong
//!   names in no language or English that has name parts, else the longest of them; the others are
//!   aliases, `strong="false"` → low quality, otherwise good; a name in a non-Latin script is a
//!   variation with its script. `title`, `function` (the position) and `gender` come from the names;
//! - `citizenship` gives nationalities, `birthdate` dates (`birthdate`, else `year` and
//!   `monthOfYear`, else `yearRangeFrom`..`yearRangeTo`; `circa` → approximate) and places of
//!   birth; a date in another calendar than the Gregorian goes into `other.date_of_birth_notes`;
//!   `address` an address (contact details into `other.contact_details`), `identification` an
//!   identifier (`passport`, `id` → `national_id`, `regnumber` → `registration`, `imo`, else the
//!   code in snake_case) whose note holds the issuer, dates and flags (known false, revoked...);
//! - the `<regulation>`'s URL and publication date are the source; its number and type,
//!   `remark`s, `additionalInformation`, `designationDetails` and `delistingDate` go into `other`.
//!
//! An entity whose `delistingDate` is on or before the report date is no longer in force and is
//! left out of the snapshot (so an import delists it, on the report date).
//!
//! A missing element or attribute the mapping relies on (the root `<export>` and its
//! `generationDate`; an entity's `logicalId`, `<regulation>` with its `programme` and dates,
//! `<subjectType>`, a name) is refused, naming it and what the element had instead: a changed
//! format is never read as an empty or different list.

use std::cmp::Reverse;
use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::check;
use crate::text::{Notes, collapse, non_empty, push_distinct, regime_code, snake_code};
use crate::xml::{self, Node, xs_date};
use crate::{Format, Listed, ParseError, Snapshot};
use ledger_core::event::{
    Address, AliasQuality, DateOfBirth, Designation, Identifier, Name, NameType, Place, Regime, Source, Subject,
    SubjectKind, check_id,
};
use ledger_core::time::{Date, Effective};

/// The authority of the EU list.
const AUTHORITY: &str = "EU";

/// The measures of a listing in the Financial Sanctions Files.
const MEASURES: [&str; 1] = ["asset_freeze"];

/// Parses the EU Financial Sanctions Files XML (format `eu-xml`): `<export generationDate="…">`
/// holding one `<sanctionEntity>` per listing, read one entity at a time. Designations come in
/// the file's order; unknown elements and attributes are ignored; malformed or truncated XML, a
/// bad date, a missing element or attribute the mapping relies on, or a repeated `logicalId` or
/// `euReferenceNumber` are refused.
pub fn parse_xml(bytes: &[u8]) -> Result<Snapshot, ParseError> {
    let mut report_date: Option<Date> = None;
    let mut entities: Vec<(Listed, Option<Date>)> = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut seen_logical: HashMap<String, String> = HashMap::new();
    let mut count = 0usize;
    xml::read(
        bytes,
        |root| {
            let here = format!("line {}, element <{}>", root.line, root.name);
            if root.name != "export" {
                return Err(ParseError::new(
                    here,
                    format!("the root element is <{}>, expected <export> (EU Financial Sanctions Files)", root.name),
                ));
            }
            let generated = required(root, "generationDate", &here)?;
            let date = generated.get(..10).and_then(|d| xs_date(d).ok()).ok_or_else(|| {
                ParseError::new(&here, format!("generationDate `{generated}` does not start with a date"))
            })?;
            report_date = Some(date);
            Ok(())
        },
        |node| {
            if node.name != "sanctionEntity" {
                return Ok(());
            }
            count += 1;
            let (listed, delisted) = entity(&node, count)?;
            let logical_id = attr(&node, "logicalId");
            if let Some(first) = seen_logical.get(&logical_id) {
                return Err(ParseError::new(
                    listed.location.clone(),
                    format!("logicalId {logical_id} appears again (first at {first})"),
                ));
            }
            if let Some(first) = seen.get(&listed.designation.id) {
                return Err(ParseError::new(
                    listed.location.clone(),
                    format!("the id {} appears again (first at {first})", listed.designation.id),
                ));
            }
            seen_logical.insert(logical_id, listed.location.clone());
            seen.insert(listed.designation.id.clone(), listed.location.clone());
            entities.push((listed, delisted));
            Ok(())
        },
    )?;
    let report_date = report_date.ok_or_else(|| ParseError::new("<export>", "no report date"))?;
    let designations =
        entities.into_iter().filter(|(_, delisted)| delisted.is_none_or(|d| d > report_date)).map(|(l, _)| l).collect();
    Ok(Snapshot { authority: AUTHORITY.to_owned(), format: Format::EuXml, report_date, designations })
}

/// What `node` has instead of what was looked for: its attributes and child elements.
fn seen(node: &Node) -> String {
    let attrs: Vec<&str> = node.attrs.iter().map(|(k, _)| k.as_str()).collect();
    let mut children: Vec<&str> = Vec::new();
    for c in &node.children {
        if !children.contains(&c.name.as_str()) && children.len() < 16 {
            children.push(&c.name);
        }
    }
    let list = |v: &[&str]| if v.is_empty() { "none".to_owned() } else { v.join(", ") };
    format!("attributes seen: {}; child elements seen: {}", list(&attrs), list(&children))
}

/// The trimmed, non-empty attribute `name` of `node`, or a refusal naming it and what was there.
fn required<'a>(node: &'a Node, name: &str, here: &str) -> Result<&'a str, ParseError> {
    match node.attr(name).map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(ParseError::new(
            here,
            format!("<{}> has no `{name}` attribute, which the importer relies on ({})", node.name, seen(node)),
        )),
    }
}

/// The collapsed attribute `name` (empty if absent).
fn attr(node: &Node, name: &str) -> String {
    collapse(node.attr(name).unwrap_or(""))
}

/// An `xs:boolean`: `true`/`1` or `false`/`0`; `default` when absent or anything else.
fn flag(node: &Node, name: &str, default: bool) -> bool {
    match node.attr(name).map(str::trim) {
        Some("true" | "1") => true,
        Some("false" | "0") => false,
        _ => default,
    }
}

/// A country description, unless it is the file's placeholder for none (`UNKNOWN`, code `00`).
fn country(node: &Node) -> Option<String> {
    let description = attr(node, "countryDescription");
    let code = attr(node, "countryIso2Code");
    if description.is_empty() || description.eq_ignore_ascii_case("UNKNOWN") || code == "00" {
        None
    } else {
        Some(description)
    }
}

/// The date attribute `name` of `node`, if present and not blank.
fn date_attr(node: &Node, name: &str, here: &str) -> Result<Option<Date>, ParseError> {
    match node.attr(name).map(str::trim) {
        Some(v) if !v.is_empty() => {
            xs_date(v).map(Some).map_err(|r| ParseError::new(here, format!("<{}> {name}: {r}", node.name)))
        }
        _ => Ok(None),
    }
}

/// The date attribute `name` of `node`, which the mapping needs.
fn required_date(node: &Node, name: &str, here: &str) -> Result<Date, ParseError> {
    required(node, name, here)?;
    date_attr(node, name, here)?.ok_or_else(|| ParseError::new(here, format!("<{}> has no {name}", node.name)))
}

/// The script of a name written outside the Latin script, if it is one of those the lists use.
fn script(name: &str) -> Option<&'static str> {
    name.chars().find_map(|c| match c as u32 {
        0x0370..=0x03FF | 0x1F00..=0x1FFF => Some("Greek"),
        0x0400..=0x052F => Some("Cyrillic"),
        0x0530..=0x058F => Some("Armenian"),
        0x0590..=0x05FF => Some("Hebrew"),
        0x0600..=0x06FF | 0x0750..=0x077F | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF => Some("Arabic"),
        0x10A0..=0x10FF => Some("Georgian"),
        0x1100..=0x11FF | 0xAC00..=0xD7AF => Some("Hangul"),
        0x3040..=0x30FF => Some("Japanese"),
        0x4E00..=0x9FFF => Some("Han"),
        _ => None,
    })
}

/// A birth year: four digits.
fn year(s: &str) -> Option<String> {
    (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.to_owned())
}

/// One name of an entity, before the primary is chosen.
struct Candidate {
    name: String,
    strong: bool,
    english: bool,
    parts: bool,
}

/// Reads one `<sanctionEntity>`, the `index`-th; with its `delistingDate`.
fn entity(node: &Node, index: usize) -> Result<(Listed, Option<Date>), ParseError> {
    let (logical_id, id) = ids(node, index)?;
    let here = format!("element sanctionEntity {index} (logicalId {logical_id})");
    let at = |child: &Node| format!("{here}, <{}> (line {})", child.name, child.line);
    let child = |name: &str| {
        node.child(name).ok_or_else(|| {
            ParseError::new(
                format!("{here} (line {})", node.line),
                format!("no <{name}> element, which the importer relies on ({})", seen(node)),
            )
        })
    };

    // The act, the regime and the kind.
    let regulation = child("regulation")?;
    let act = Regulation::read(regulation, &at(regulation))?;
    let subject_type = child("subjectType")?;
    let kind = kind_of(subject_type, &at(subject_type))?;

    let first = (act.published, act.number.clone(), act.in_force);
    let acts = acts(node, first.clone(), &at)?;
    let last_updated = dates_of_effect(&acts);

    let (effective, effective_from) = match date_attr(node, "designationDate", &format!("{here} (line {})", node.line))?
    {
        Some(d) => (d, None),
        None => {
            let (effect, how) = earliest_act(&first, &acts);
            (effect, Some(how))
        }
    };
    let delisted = date_attr(node, "delistingDate", &format!("{here} (line {})", node.line))?;

    let Names { names, titles, functions, genders } = names(node, &here)?;
    let mut notes = Notes::default();
    let nationalities = nationalities(node);
    let (dates_of_birth, places_of_birth) = births(node, &at, &mut notes)?;
    let addresses = addresses(node, &mut notes);
    let identifiers = identifiers(node, &mut notes);

    let other = other(node, effective_from, logical_id, &act, delisted, notes);

    let designation = Designation {
        authority: AUTHORITY.to_owned(),
        id,
        effective: Effective::Date(effective.0),
        regime: Regime { code: act.code, name: None },
        subject: Subject {
            kind,
            names,
            title: non_empty(titles.join("; ")),
            dates_of_birth,
            places_of_birth,
            nationalities,
            gender: non_empty(genders.join("; ")),
            position: non_empty(functions.join("; ")),
            addresses,
            identifiers,
        },
        measures: MEASURES.iter().map(|m| (*m).to_owned()).collect(),
        reason: None,
        source: Some(Source { url: non_empty(act.url), published: Some(act.published), document_hash: None }),
        other: if other.is_empty() { None } else { Some(other) },
        published: None,
        note: None,
        import: None,
    };
    check(&designation, &here)?;
    Ok((
        Listed { designation, last_updated, location: format!("sanctionEntity {index} (line {})", node.line) },
        delisted,
    ))
}

/// The dates of effect of an entity's acts, distinct and in order.
fn dates_of_effect(acts: &[(Date, String, Date)]) -> Vec<Date> {
    let mut dates = Vec::new();
    for (_, _, effect) in acts {
        push_distinct(&mut dates, *effect);
    }
    dates.sort();
    dates
}

/// The countries of an entity's `<citizenship>`s, distinct.
fn nationalities(node: &Node) -> Vec<String> {
    let mut nationalities = Vec::new();
    for c in node.children_named("citizenship") {
        if let Some(country) = country(c) {
            push_distinct(&mut nationalities, country);
        }
    }
    nationalities
}

/// An entity's `logicalId`, and the id of its key: its `euReferenceNumber`, else its `logicalId`.
fn ids(node: &Node, index: usize) -> Result<(String, String), ParseError> {
    let start = format!("element sanctionEntity {index} (line {})", node.line);
    let logical_id = required(node, "logicalId", &start)?.to_owned();
    let reference = attr(node, "euReferenceNumber");
    let id = if reference.is_empty() { logical_id.clone() } else { reference };
    check_id(&id).map_err(|r| ParseError::new(&start, r))?;
    Ok((logical_id, id))
}

/// What else an entity says, for `other`: how its date of effect was chosen (without a
/// `designationDate`), its ids, its act, its delisting date, its remarks and the `notes` its
/// parts left.
fn other(
    node: &Node,
    effective_from: Option<String>,
    logical_id: String,
    act: &Regulation,
    delisted: Option<Date>,
    mut notes: Notes,
) -> Map<String, Value> {
    let mut other = Map::new();
    if let Some(how) = effective_from {
        put(&mut other, "effective_from", how);
    }
    remarks(node, &mut notes);
    put(&mut other, "logical_id", logical_id);
    put(&mut other, "un_reference_number", attr(node, "unitedNationId"));
    put(&mut other, "designation_details", attr(node, "designationDetails"));
    act.put_into(&mut other);
    if let Some(d) = delisted {
        put(&mut other, "delisting_date", d.to_string());
    }
    notes.into_other(&mut other);
    other
}

/// Puts `value` into `other` under `key`, unless it is empty.
fn put(other: &mut Map<String, Value>, key: &str, value: String) {
    if !value.is_empty() {
        other.insert(key.to_owned(), Value::String(value));
    }
}

/// An entity's `<regulation>`: the act that lists it, under a programme (the regime).
struct Regulation {
    /// The regime code: the programme, letters, digits, `_` and `-`, anything else `-`, at most 32.
    code: String,
    /// Its number and title (`numberTitle`).
    number: String,
    published: Date,
    in_force: Date,
    /// `regulationType`.
    kind: String,
    /// `publicationUrl`.
    url: String,
}

impl Regulation {
    fn read(regulation: &Node, here: &str) -> Result<Regulation, ParseError> {
        let programme = required(regulation, "programme", here)?;
        let code = regime_code(programme);
        let number = attr(regulation, "numberTitle");
        let published = required_date(regulation, "publicationDate", here)?;
        let in_force = required_date(regulation, "entryIntoForceDate", here)?;
        let kind = attr(regulation, "regulationType");
        let url = collapse(regulation.leaf("publicationUrl"));
        Ok(Regulation { code, number, published, in_force, kind, url })
    }

    /// Puts its number, type and entry into force into `other`.
    fn put_into(&self, other: &mut Map<String, Value>) {
        put(other, "regulation", self.number.clone());
        put(other, "regulation_type", self.kind.clone());
        put(other, "regulation_entry_into_force", self.in_force.to_string());
    }
}

/// An entity's `<remark>`s and `<additionalInformation>` (`key: value`), as notes.
fn remarks(node: &Node, notes: &mut Notes) {
    for remark in node.children_named("remark") {
        let r = collapse(&remark.text);
        if !r.is_empty() {
            notes.add("remarks", r);
        }
    }
    for info in node.children_named("additionalInformation") {
        let (key, value) = (attr(info, "key"), attr(info, "value"));
        if !value.is_empty() {
            notes.add("additional_information", if key.is_empty() { value } else { format!("{key}: {value}") });
        }
    }
}

/// Every act an entity names, as (publication date, number, date of effect): its `<regulation>`
/// (`regulation`, in force on its entry into force), then each `regulationSummary` of its details
/// (in force on its publication, unless it is that regulation).
fn acts(
    node: &Node,
    regulation: (Date, String, Date),
    at: &dyn Fn(&Node) -> String,
) -> Result<Vec<(Date, String, Date)>, ParseError> {
    let (published, act, in_force) = regulation.clone();
    let mut acts = vec![regulation];
    for detail in &node.children {
        for summary in detail.children_named("regulationSummary") {
            let date = required_date(summary, "publicationDate", &at(summary))?;
            let number = attr(summary, "numberTitle");
            let effect = if number == act && date == published { in_force } else { date };
            acts.push((date, number, effect));
        }
    }
    Ok(acts)
}

/// The date of effect of the earliest act (by publication) of `acts`, which include the entity's
/// `regulation`, and what `other.effective_from` says of it.
fn earliest_act(regulation: &(Date, String, Date), acts: &[(Date, String, Date)]) -> (Date, String) {
    let (published, act, in_force) = regulation;
    let (first_published, first_act, effect) =
        acts.iter().min_by_key(|(p, _, _)| *p).cloned().unwrap_or_else(|| regulation.clone());
    let how = if first_act == *act && first_published == *published && effect == *in_force {
        "entry into force"
    } else {
        "publication"
    };
    let name = if first_act.is_empty() { "an unnumbered act".to_owned() } else { first_act };
    (effect, format!("no designationDate: the {how} ({effect}) of {name}, the earliest act naming it"))
}

/// The subject kind of a `<subjectType>` (`P` person → individual, `E` enterprise → entity).
fn kind_of(subject_type: &Node, here: &str) -> Result<SubjectKind, ParseError> {
    match (attr(subject_type, "classificationCode").as_str(), attr(subject_type, "code").as_str()) {
        ("P", _) | ("", "person") => Ok(SubjectKind::Individual),
        ("E", _) | ("", "enterprise") => Ok(SubjectKind::Entity),
        (class, code) => Err(ParseError::new(
            here,
            format!(
                "subjectType classificationCode `{class}`, code `{code}` is neither a person (P) nor an enterprise (E) ({})",
                seen(subject_type)
            ),
        )),
    }
}

/// What an entity's `nameAlias`es give: its names (the primary chosen), and the titles,
/// functions and genders they carry.
struct Names {
    names: Vec<Name>,
    titles: Vec<String>,
    functions: Vec<String>,
    genders: Vec<String>,
}

/// Reads the `nameAlias`es of `node` (`here` names it); refuses an entity with no name.
fn names(node: &Node, here: &str) -> Result<Names, ParseError> {
    let mut candidates: Vec<Candidate> = Vec::new();
    let (mut titles, mut functions, mut genders) = (Vec::new(), Vec::new(), Vec::new());
    for alias in node.children_named("nameAlias") {
        let parts: Vec<String> =
            ["firstName", "middleName", "lastName"].iter().map(|p| attr(alias, p)).filter(|p| !p.is_empty()).collect();
        let whole = attr(alias, "wholeName");
        let name = if whole.is_empty() { parts.join(" ") } else { whole };
        for (list, key) in [(&mut titles, "title"), (&mut functions, "function")] {
            let v = attr(alias, key);
            if !v.is_empty() {
                push_distinct(list, v);
            }
        }
        match attr(alias, "gender").as_str() {
            "M" => push_distinct(&mut genders, "Male".to_owned()),
            "F" => push_distinct(&mut genders, "Female".to_owned()),
            _ => {}
        }
        if name.is_empty() {
            continue;
        }
        let language = attr(alias, "nameLanguage");
        candidates.push(Candidate {
            name,
            strong: flag(alias, "strong", true),
            english: language.is_empty() || language.eq_ignore_ascii_case("EN"),
            parts: !parts.is_empty(),
        });
    }
    let primary = candidates
        .iter()
        .enumerate()
        .max_by_key(|(i, c)| (c.strong, c.english, c.parts, c.name.chars().count(), Reverse(*i)))
        .map(|(i, _)| i)
        .ok_or_else(|| {
            ParseError::new(
                format!("{here} (line {})", node.line),
                format!("no name: no <nameAlias> with a wholeName or name parts ({})", seen(node)),
            )
        })?;
    let mut names = vec![Name {
        name: candidates[primary].name.clone(),
        name_type: NameType::Primary,
        quality: None,
        script: None,
    }];
    for (i, c) in candidates.into_iter().enumerate() {
        if i == primary || names.iter().any(|n| n.name == c.name) {
            continue;
        }
        let name = match script(&c.name) {
            Some(s) => Name { name: c.name, name_type: NameType::Variation, quality: None, script: Some(s.to_owned()) },
            None => Name {
                name: c.name,
                name_type: NameType::Alias,
                quality: Some(if c.strong { AliasQuality::Good } else { AliasQuality::Low }),
                script: None,
            },
        };
        push_distinct(&mut names, name);
    }

    Ok(Names { names, titles, functions, genders })
}

/// The dates and places of birth of the `birthdate`s; a date in another calendar as a note.
fn births(
    node: &Node,
    at: &dyn Fn(&Node) -> String,
    notes: &mut Notes,
) -> Result<(Vec<DateOfBirth>, Vec<Place>), ParseError> {
    let (mut dates_of_birth, mut places_of_birth) = (Vec::new(), Vec::new());
    for b in node.children_named("birthdate") {
        let here = at(b);
        let approximate = flag(b, "circa", false);
        let full = date_attr(b, "birthdate", &here)?.map(|d| d.to_string());
        let (y, month) = (attr(b, "year"), attr(b, "monthOfYear"));
        let (from, to) = (attr(b, "yearRangeFrom"), attr(b, "yearRangeTo"));
        let bad_year = |name: &str, v: &str| ParseError::new(&here, format!("<birthdate> {name} `{v}` is not a year"));
        let date = if let Some(full) = full {
            Some((full, None))
        } else if !y.is_empty() {
            let y = year(&y).ok_or_else(|| bad_year("year", &y))?;
            match month.parse::<u32>() {
                Ok(m) if (1..=12).contains(&m) => Some((format!("{y}-{m:02}"), None)),
                _ => Some((y, None)),
            }
        } else if !from.is_empty() {
            let from = year(&from).ok_or_else(|| bad_year("yearRangeFrom", &from))?;
            let to = if to.is_empty() { None } else { Some(year(&to).ok_or_else(|| bad_year("yearRangeTo", &to))?) };
            Some((from.clone(), to.filter(|t| *t != from)))
        } else {
            None
        };
        if let Some((date, to)) = date {
            let calendar = attr(b, "calendarType");
            if calendar.is_empty() || calendar.eq_ignore_ascii_case("GREGORIAN") {
                push_distinct(&mut dates_of_birth, DateOfBirth { date, to, approximate });
            } else {
                let range = to.map(|t| format!("..{t}")).unwrap_or_default();
                notes.add("date_of_birth_notes", format!("{date}{range} ({calendar} calendar)"));
            }
        }
        let mut town = Vec::new();
        for part in [attr(b, "city"), attr(b, "place")] {
            if !part.is_empty() {
                push_distinct(&mut town, part);
            }
        }
        let place =
            Place { town: non_empty(town.join(", ")), region: non_empty(attr(b, "region")), country: country(b) };
        if place.town.is_some() || place.region.is_some() || place.country.is_some() {
            push_distinct(&mut places_of_birth, place);
        }
    }

    Ok((dates_of_birth, places_of_birth))
}

/// The addresses; their contact details as notes.
fn addresses(node: &Node, notes: &mut Notes) -> Vec<Address> {
    let mut addresses = Vec::new();
    for a in node.children_named("address") {
        let mut lines = Vec::new();
        for part in [attr(a, "street"), attr(a, "place")] {
            if !part.is_empty() {
                push_distinct(&mut lines, part);
            }
        }
        let po_box = attr(a, "poBox");
        if !po_box.is_empty() {
            lines.push(format!("PO Box {po_box}"));
        }
        let address = Address {
            lines,
            town: non_empty(attr(a, "city")),
            region: non_empty(attr(a, "region")),
            postal_code: non_empty(attr(a, "zipCode")),
            country: country(a),
        };
        for contact in a.children_named("contactInfo") {
            let (key, value) = (attr(contact, "key"), attr(contact, "value"));
            if !value.is_empty() {
                notes.add("contact_details", if key.is_empty() { value } else { format!("{key}: {value}") });
            }
        }
        let empty = address.lines.is_empty()
            && address.town.is_none()
            && address.region.is_none()
            && address.postal_code.is_none()
            && address.country.is_none();
        if !empty {
            push_distinct(&mut addresses, address);
        }
    }

    addresses
}

/// The `identification`s with a number as identifiers (issuer, dates and flags as the
/// identifier's note); those without one described in a note.
fn identifiers(node: &Node, notes: &mut Notes) -> Vec<Identifier> {
    let mut identifiers = Vec::new();
    for doc in node.children_named("identification") {
        let code = attr(doc, "identificationTypeCode");
        let description = attr(doc, "identificationTypeDescription");
        let kind = match code.to_ascii_lowercase().as_str() {
            "passport" => "passport".to_owned(),
            "id" => "national_id".to_owned(),
            "regnumber" => "registration".to_owned(),
            "imo" => "imo".to_owned(),
            _ => snake_code(&code).or_else(|| snake_code(&description)).unwrap_or_else(|| "document".to_owned()),
        };
        let mut details = Vec::new();
        if !description.is_empty() && !description.eq_ignore_ascii_case(&code) {
            details.push(description.clone());
        }
        for (key, label) in [
            ("issuedBy", "issued by"),
            ("issueDate", "issued"),
            ("validFrom", "valid from"),
            ("validTo", "valid to"),
            ("nameOnDocument", "name on document"),
            ("region", "region"),
        ] {
            let v = attr(doc, key);
            if !v.is_empty() {
                details.push(format!("{label} {v}"));
            }
        }
        for (key, label) in [
            ("diplomatic", "diplomatic"),
            ("knownExpired", "known expired"),
            ("knownFalse", "known false"),
            ("reportedLost", "reported lost"),
            ("revokedByIssuer", "revoked by issuer"),
        ] {
            if flag(doc, key, false) {
                details.push(label.to_owned());
            }
        }
        for remark in doc.children_named("remark") {
            let r = collapse(&remark.text);
            if !r.is_empty() {
                details.push(r);
            }
        }
        let number = non_empty(attr(doc, "number")).or_else(|| non_empty(attr(doc, "latinNumber")));
        let country = country(doc);
        match number {
            Some(value) => push_distinct(
                &mut identifiers,
                Identifier { kind, value, country, note: non_empty(details.join("; ")) },
            ),
            None => {
                let described: Vec<String> =
                    [non_empty(description), country].into_iter().flatten().chain(details).collect();
                if !described.is_empty() {
                    notes.add("documents_without_number", described.join("; "));
                }
            }
        }
    }

    identifiers
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRST7: &[u8] = include_bytes!("../../tests/fixtures/lists/eu-fsf/eu-fsf-2020-04-15-first7.xml");

    fn find<'a>(s: &'a Snapshot, id: &str) -> &'a Designation {
        &s.designations.iter().find(|l| l.designation.id == id).unwrap().designation
    }

    #[test]
    fn the_real_excerpt_reads_7_entities() {
        let s = parse_xml(FIRST7).unwrap();
        assert_eq!((s.authority.as_str(), s.format.name()), ("EU", "eu-xml"));
        assert_eq!(s.report_date, Date::parse("2020-04-15").unwrap());
        let ids: Vec<&str> = s.designations.iter().map(|l| l.designation.id.as_str()).collect();
        assert_eq!(ids, ["EU.27.28", "EU.39.56", "EU.16.62", "EU.11.43", "EU.22.9", "EU.42.11", "EU.35.2"]);
        for l in &s.designations {
            let d = &l.designation;
            ledger_core::validate::check_record(&d.record()).unwrap();
            assert_eq!(d.regime, Regime { code: "IRQ".into(), name: None });
            assert_eq!(d.subject.kind, SubjectKind::Individual);
            assert_eq!(d.measures, ["asset_freeze"]);
            // No designationDate: the entry into force of the act that lists them.
            assert_eq!(d.effective.to_string(), "2003-07-07");
            let other = d.other.as_ref().unwrap();
            assert_eq!(
                other["effective_from"],
                "no designationDate: the entry into force (2003-07-07) of 1210/2003 (OJ L169), the earliest act naming it"
            );
            assert_eq!(other["regulation"], "1210/2003 (OJ L169)");
            let source = d.source.as_ref().unwrap();
            assert_eq!(source.published, Some(Date::parse("2003-07-08").unwrap()));
            assert!(source.url.as_deref().unwrap().starts_with("http://eur-lex.europa.eu/"));
        }
        assert_eq!(s.designations[0].location, "sanctionEntity 1 (line 3)");
    }

    #[test]
    fn record_details() {
        let s = parse_xml(FIRST7).unwrap();
        let saddam = find(&s, "EU.27.28");
        let names: Vec<(&str, NameType)> =
            saddam.subject.names.iter().map(|n| (n.name.as_str(), n.name_type)).collect();
        assert_eq!(
            names,
            [
                ("Saddam Hussein Al-Tikriti", NameType::Primary),
                ("Abou Ali", NameType::Alias),
                ("Abu Ali", NameType::Alias),
            ]
        );
        assert_eq!(saddam.subject.names[1].quality, Some(AliasQuality::Good));
        assert_eq!(saddam.subject.gender.as_deref(), Some("Male"));
        assert_eq!(saddam.subject.nationalities, ["IRAQ"]);
        assert_eq!(
            saddam.subject.dates_of_birth,
            [DateOfBirth { date: "1937-04-28".into(), to: None, approximate: false }]
        );
        assert_eq!(
            saddam.subject.places_of_birth,
            [Place { town: Some("al-Awja, near Tikrit".into()), region: None, country: Some("IRAQ".into()) }]
        );
        let other = saddam.other.as_ref().unwrap();
        assert_eq!(other["logical_id"], "13");
        assert_eq!(other["remarks"], serde_json::json!(["UNSC RESOLUTION 1483"]));

        let qusay = find(&s, "EU.39.56");
        assert_eq!(qusay.subject.names[0].name, "Qusay Saddam Hussein Al-Tikriti");
        assert_eq!(qusay.subject.names[1].name, "Qoussaï Saddam Hussein Al-Tikriti");
        assert!(qusay.subject.position.as_deref().unwrap().starts_with("Oversaw Special Republican Guard"));
        let years: Vec<&str> = qusay.subject.dates_of_birth.iter().map(|d| d.date.as_str()).collect();
        assert_eq!(years, ["1965", "1966"]);
        // The place UNKNOWN is no country.
        assert_eq!(qusay.subject.places_of_birth[0].country, None);

        let circa = find(&s, "EU.35.2");
        assert!(circa.subject.dates_of_birth.iter().all(|d| d.approximate), "{:?}", circa.subject.dates_of_birth);
        let l = s.designations.iter().find(|l| l.designation.id == "EU.27.28").unwrap();
        assert_eq!(l.last_updated, [Date::parse("2003-07-07").unwrap()]);
    }

    #[test]
    fn a_designation_date_and_later_acts() {
        let text = String::from_utf8(FIRST7.to_vec()).unwrap();
        let text = text
            .replacen(
                "euReferenceNumber=\"EU.27.28\" logicalId=\"13\"",
                "euReferenceNumber=\"EU.27.28\" logicalId=\"13\" designationDate=\"2003-05-22+02:00\"",
                1,
            )
            .replacen(
                "<regulationSummary regulationType=\"regulation\" publicationDate=\"2003-07-08\" numberTitle=\"1210/2003 (OJ L169)\"",
                "<regulationSummary regulationType=\"amendment\" publicationDate=\"2019-03-01\" numberTitle=\"2019/300 (OJ L50)\"",
                1,
            );
        let s = parse_xml(text.as_bytes()).unwrap();
        let l = s.designations.iter().find(|l| l.designation.id == "EU.27.28").unwrap();
        assert_eq!(l.designation.effective.to_string(), "2003-05-22");
        assert!(l.designation.other.as_ref().unwrap().get("effective_from").is_none());
        assert_eq!(l.last_updated, [Date::parse("2003-07-07").unwrap(), Date::parse("2019-03-01").unwrap()]);
    }

    #[test]
    fn delisted_entities_are_left_out() {
        let text = String::from_utf8(FIRST7.to_vec()).unwrap();
        let past = text.replacen("logicalId=\"20\">", "logicalId=\"20\" delistingDate=\"2020-04-01\">", 1);
        let s = parse_xml(past.as_bytes()).unwrap();
        assert_eq!(s.designations.len(), 6);
        let future = text.replacen("logicalId=\"20\">", "logicalId=\"20\" delistingDate=\"2020-05-01\">", 1);
        let s = parse_xml(future.as_bytes()).unwrap();
        assert_eq!(find(&s, "EU.39.56").other.as_ref().unwrap()["delisting_date"], "2020-05-01");
    }

    #[test]
    fn an_entity_without_a_reference_is_keyed_by_its_logical_id() {
        let text = String::from_utf8(FIRST7.to_vec()).unwrap();
        let s = parse_xml(text.replacen(" euReferenceNumber=\"EU.39.56\"", "", 1).as_bytes()).unwrap();
        let ids: Vec<&str> = s.designations.iter().map(|l| l.designation.id.as_str()).take(3).collect();
        assert_eq!(ids, ["EU.27.28", "20", "EU.16.62"]);
        let s = parse_xml(text.replacen("euReferenceNumber=\"EU.39.56\"", "euReferenceNumber=\" \"", 1).as_bytes())
            .unwrap();
        assert_eq!(s.designations[1].designation.id, "20", "a blank reference is none");
    }

    #[test]
    fn refusals_name_what_is_missing() {
        let text = String::from_utf8(FIRST7.to_vec()).unwrap();
        let e = parse_xml(&FIRST7[..text.rfind("</sanctionEntity>").unwrap()]).unwrap_err();
        assert!(e.reason.contains("ends inside"), "{e}");
        let e = parse_xml(text.replacen(" programme=\"IRQ\"", "", 1).as_bytes()).unwrap_err();
        assert_eq!(e.location, "element sanctionEntity 1 (logicalId 13), <regulation> (line 5)");
        assert!(e.reason.contains("no `programme` attribute") && e.reason.contains("numberTitle"), "{e}");
        let e = parse_xml(text.replacen("<subjectType code=\"person\" classificationCode=\"P\"/>", "", 1).as_bytes())
            .unwrap_err();
        assert!(e.reason.contains("no <subjectType> element") && e.reason.contains("nameAlias"), "{e}");
        let e = parse_xml(text.replacen("logicalId=\"13\"", "logicalNumber=\"13\"", 1).as_bytes()).unwrap_err();
        assert!(e.reason.contains("no `logicalId`") && e.reason.contains("logicalNumber"), "{e}");
        let e = parse_xml(text.replacen(" generationDate=", " generated=", 1).as_bytes()).unwrap_err();
        assert!(e.reason.contains("generationDate") && e.reason.contains("generated"), "{e}");
        let e = parse_xml(text.replacen("logicalId=\"20\">", "logicalId=\"13\">", 1).as_bytes()).unwrap_err();
        assert!(e.reason.contains("logicalId 13 appears again"), "{e}");
        let e = parse_xml(text.replacen("\"EU.39.56\"", "\"EU.27.28\"", 1).as_bytes()).unwrap_err();
        assert!(e.reason.contains("the id EU.27.28 appears again"), "{e}");
        let e = parse_xml(
            text.replacen("entryIntoForceDate=\"2003-07-07\"", "entryIntoForceDate=\"07/07/2003\"", 1).as_bytes(),
        )
        .unwrap_err();
        assert!(e.reason.contains("entryIntoForceDate") && e.reason.contains("07/07/2003"), "{e}");
        let e = parse_xml(text.replacen("year=\"1965\"", "year=\"65\"", 1).as_bytes()).unwrap_err();
        assert!(e.reason.contains("not a year"), "{e}");
        assert!(parse_xml(b"<Designations/>").unwrap_err().reason.contains("expected <export>"));
    }

    #[test]
    fn xs_dates() {
        for ok in ["2003-07-08", "2003-07-08Z", "2003-07-08+02:00", "2003-07-08-05:00", "2003-07-08+14:00"] {
            assert_eq!(xs_date(ok).unwrap().to_string(), "2003-07-08", "{ok}");
        }
        for bad in ["2003-07-8", "2003-07-08+2", "2003-07-08+15:00", "2003-02-30", "2003-07-08T00:00", "20é3-07-08"] {
            assert!(xs_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scripts() {
        assert_eq!(script("Владимир"), Some("Cyrillic"));
        assert_eq!(script("Ιωάννης"), Some("Greek"));
        assert_eq!(script("صدام"), Some("Arabic"));
        assert_eq!(script("Qoussaï"), None);
    }
}
