//! The UN Security Council Consolidated List in its XML layout ([`parse_xml`]).
//!
//! Mapping of each `<INDIVIDUAL>` and `<ENTITY>`:
//! - the id is `REFERENCE_NUMBER` (`CDi.001`), the effective date `LISTED_ON`, the update dates
//!   the `LAST_DAY_UPDATED/VALUE`s (sorted, latest last);
//! - the regime code is `UN_LIST_TYPE` (`DRC`, `Al-Qaida`; other characters become `-`), with no
//!   regime name;
//! - the primary name is `FIRST_NAME`..`FOURTH_NAME` joined; `NAME_ORIGINAL_SCRIPT` is a variation
//!   (script unset); each non-empty `ALIAS_NAME` an alias, `QUALITY` `Good` → good, `Low` → low,
//!   anything else (`a.k.a.`, `f.k.a.`, empty) no quality; names have their whitespace collapsed;
//! - the measures are those of UN listings: asset freeze, travel ban (individuals) and arms embargo;
//! - `COMMENTS1` is the reason (trimmed, line breaks kept); `TITLE`, `DESIGNATION` (the position),
//!   `GENDER`, `NATIONALITY`, dates and places of birth, addresses and documents fill the subject;
//! - `DATAID` and `VERSIONNUM` go into `other`, with the notes that have no place in the record
//!   (`address_notes`, `alias_notes`, `date_of_birth_notes`, `place_of_birth_notes`,
//!   `documents_without_number`) and the `formerly_known_as` aliases (`f.k.a.`), as strings.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::check;
use crate::text::{Notes, collapse, non_empty, push_distinct, regime_code, snake_code};
use crate::xml::{self, Node, xs_date};
use crate::{Format, Listed, ParseError, Snapshot};
use ledger_core::event::{
    Address, AliasQuality, DateOfBirth, Designation, Identifier, Name, NameType, Place, Regime, Subject, SubjectKind,
    check_id,
};
use ledger_core::time::{Date, Effective};

/// The authority of the UN list.
const AUTHORITY: &str = "UN";

/// The measures a UN listing imposes on an individual.
const INDIVIDUAL_MEASURES: [&str; 3] = ["asset_freeze", "travel_ban", "arms_embargo"];
/// The measures a UN listing imposes on an entity.
const ENTITY_MEASURES: [&str; 2] = ["asset_freeze", "arms_embargo"];

/// Parses the UN Consolidated List XML (format `un-xml`): `<CONSOLIDATED_LIST dateGenerated="…">`
/// with `<INDIVIDUALS>`/`<INDIVIDUAL>` and `<ENTITIES>`/`<ENTITY>`. Designations come in the file's
/// order; unknown elements are ignored; malformed or truncated XML, a bad date, a missing
/// `REFERENCE_NUMBER` or a repeated one are refused.
pub fn parse_xml(bytes: &[u8]) -> Result<Snapshot, ParseError> {
    let mut report_date: Option<Date> = None;
    let mut designations: Vec<Listed> = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    let (mut individuals, mut entities) = (0usize, 0usize);
    xml::read(
        bytes,
        |root| {
            let here = format!("line {}, element <{}>", root.line, root.name);
            if root.name != "CONSOLIDATED_LIST" {
                return Err(ParseError::new(here, "the root element is not <CONSOLIDATED_LIST>"));
            }
            let generated = root.attr("dateGenerated").unwrap_or("").trim();
            let date = generated.get(..10).and_then(|d| Date::parse(d).ok()).ok_or_else(|| {
                ParseError::new(here, format!("dateGenerated `{generated}` does not start with a date"))
            })?;
            report_date = Some(date);
            Ok(())
        },
        |section| {
            let (tag, kind, counter) = match section.name.as_str() {
                "INDIVIDUALS" => ("INDIVIDUAL", SubjectKind::Individual, &mut individuals),
                "ENTITIES" => ("ENTITY", SubjectKind::Entity, &mut entities),
                _ => return Ok(()),
            };
            for node in section.children_named(tag) {
                *counter += 1;
                let listed = record(node, kind, *counter)?;
                if let Some(first) = seen.get(&listed.designation.id) {
                    return Err(ParseError::new(
                        listed.location.clone(),
                        format!("REFERENCE_NUMBER {} appears again (first at {first})", listed.designation.id),
                    ));
                }
                seen.insert(listed.designation.id.clone(), listed.location.clone());
                designations.push(listed);
            }
            Ok(())
        },
    )?;
    let report_date = report_date.ok_or_else(|| ParseError::new("<CONSOLIDATED_LIST>", "no report date"))?;
    Ok(Snapshot { authority: AUTHORITY.to_owned(), format: Format::UnXml, report_date, designations })
}

/// The trimmed, whitespace-collapsed text of `node`'s first child `name`.
fn text(node: &Node, name: &str) -> String {
    collapse(node.leaf(name))
}

/// The collapsed, non-empty `VALUE`s under every child `name` of `node`.
fn values(node: &Node, name: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for list in node.children_named(name) {
        for v in list.children_named("VALUE") {
            let t = collapse(&v.text);
            if !t.is_empty() {
                out.push((t, v.line));
            }
        }
    }
    out
}

/// Reads one `<INDIVIDUAL>` or `<ENTITY>`, the `index`-th of its kind.
fn record(node: &Node, kind: SubjectKind, index: usize) -> Result<Listed, ParseError> {
    let tag = node.name.as_str();
    let id = text(node, "REFERENCE_NUMBER");
    if id.is_empty() {
        return Err(ParseError::new(
            format!("element {tag} {index} (line {})", node.line),
            missing(node, "REFERENCE_NUMBER"),
        ));
    }
    let here = format!("element {tag} {index} (REFERENCE_NUMBER {id})");
    let at = |child: &str| format!("{here}, {child} (line {})", node.child(child).map_or(node.line, |c| c.line));
    check_id(&id).map_err(|r| ParseError::new(at("REFERENCE_NUMBER"), r))?;

    let effective = listed_on(node, &at)?;
    let last_updated = last_updated(node, &here)?;

    let code = regime_code(&text(node, "UN_LIST_TYPE"));
    if code.is_empty() {
        return Err(ParseError::new(at("UN_LIST_TYPE"), missing(node, "UN_LIST_TYPE")));
    }

    let mut notes = Notes::default();
    let names = names(node, &mut notes)
        .ok_or_else(|| ParseError::new(at("FIRST_NAME"), missing(node, "name (FIRST_NAME..FOURTH_NAME)")))?;
    let dates_of_birth = dates_of_birth(node, &here, &mut notes)?;
    let places_of_birth = places_of_birth(node, &mut notes);
    let addresses = addresses(node, &mut notes);
    let identifiers = identifiers(node, &mut notes);

    // The rest.
    let nationalities = distinct_values(node, "NATIONALITY");
    let joined = |name: &str| non_empty(distinct_values(node, name).join("; "));
    let other = other(node, notes);
    let comments = node.leaf("COMMENTS1");
    let measures: &[&str] = if kind == SubjectKind::Individual { &INDIVIDUAL_MEASURES } else { &ENTITY_MEASURES };

    let designation = Designation {
        authority: AUTHORITY.to_owned(),
        id,
        effective: Effective::Date(effective.0),
        regime: Regime { code, name: None },
        subject: Subject {
            kind,
            names,
            title: joined("TITLE"),
            dates_of_birth,
            places_of_birth,
            nationalities,
            gender: non_empty(text(node, "GENDER")),
            position: joined("DESIGNATION"),
            addresses,
            identifiers,
        },
        measures: measures.iter().map(|m| (*m).to_owned()).collect(),
        reason: if comments.is_empty() { None } else { Some(comments.to_owned()) },
        source: None,
        other: if other.is_empty() { None } else { Some(other) },
        published: None,
        note: None,
        import: None,
    };
    check(&designation, &here)?;
    Ok(Listed { designation, last_updated, location: format!("{tag} {index} (line {})", node.line) })
}

/// The record's `LISTED_ON`: an xs:date, which may carry a time zone (`2012-12-31-05:00`).
fn listed_on(node: &Node, at: &dyn Fn(&str) -> String) -> Result<Date, ParseError> {
    let listed_on = text(node, "LISTED_ON");
    if listed_on.is_empty() {
        return Err(ParseError::new(at("LISTED_ON"), missing(node, "LISTED_ON")));
    }
    xs_date(&listed_on).map_err(|r| ParseError::new(at("LISTED_ON"), format!("LISTED_ON: {r}")))
}

/// The record's `LAST_DAY_UPDATED` dates, distinct and in order.
fn last_updated(node: &Node, here: &str) -> Result<Vec<Date>, ParseError> {
    let mut last_updated = Vec::new();
    for (v, line) in values(node, "LAST_DAY_UPDATED") {
        let d = xs_date(&v).map_err(|r| ParseError::new(format!("{here}, LAST_DAY_UPDATED (line {line})"), r))?;
        push_distinct(&mut last_updated, d);
    }
    last_updated.sort();
    Ok(last_updated)
}

/// The distinct `VALUE`s under every child `name` of `node`.
fn distinct_values(node: &Node, name: &str) -> Vec<String> {
    let mut distinct = Vec::new();
    for (v, _) in values(node, name) {
        push_distinct(&mut distinct, v);
    }
    distinct
}

/// What else a record says, for `other`: its `DATAID` and `VERSIONNUM`, and the `notes` its
/// parts left.
fn other(node: &Node, notes: Notes) -> Map<String, Value> {
    let mut other = Map::new();
    for key in ["DATAID", "VERSIONNUM"] {
        let v = text(node, key);
        if !v.is_empty() {
            other.insert(key.to_ascii_lowercase(), Value::String(v));
        }
    }
    notes.into_other(&mut other);
    other
}

/// Why a record lacking `element`, one the mapping relies on, is refused: a changed format,
/// named with what the record holds instead.
fn missing(node: &Node, element: &str) -> String {
    let mut names: Vec<&str> = Vec::new();
    for c in node.children.iter().take(64) {
        if !names.contains(&c.name.as_str()) {
            names.push(&c.name);
        }
    }
    format!("no {element}, which the importer relies on (child elements seen: {})", names.join(", "))
}

/// The names: the primary from FIRST_NAME..FOURTH_NAME (`None` without one), the original
/// script's as a variation, then the aliases (an alias's `NOTE`, and `f.k.a.`, as notes).
fn names(node: &Node, notes: &mut Notes) -> Option<Vec<Name>> {
    let primary = ["FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME"]
        .iter()
        .map(|n| text(node, n))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if primary.is_empty() {
        return None;
    }
    let mut names = vec![Name { name: primary, name_type: NameType::Primary, quality: None, script: None }];
    let original = text(node, "NAME_ORIGINAL_SCRIPT");
    if !original.is_empty() {
        push_distinct(&mut names, Name { name: original, name_type: NameType::Variation, quality: None, script: None });
    }
    for alias in node.children.iter().filter(|c| c.name == "INDIVIDUAL_ALIAS" || c.name == "ENTITY_ALIAS") {
        let name = text(alias, "ALIAS_NAME");
        if name.is_empty() {
            continue;
        }
        let quality_text = text(alias, "QUALITY");
        let quality = match quality_text.to_ascii_lowercase().as_str() {
            "good" => Some(AliasQuality::Good),
            "low" => Some(AliasQuality::Low),
            _ => None,
        };
        if quality_text.eq_ignore_ascii_case("f.k.a.") {
            notes.add("formerly_known_as", name.clone());
        }
        let alias_note = text(alias, "NOTE");
        if !alias_note.is_empty() {
            notes.add("alias_notes", format!("{name}: {alias_note}"));
        }
        push_distinct(&mut names, Name { name, name_type: NameType::Alias, quality, script: None });
    }
    Some(names)
}

/// The dates of birth (`DATE`, else `YEAR`, else `FROM_YEAR`..`TO_YEAR`); their `NOTE`s as notes.
/// `here` names the record in errors.
fn dates_of_birth(node: &Node, here: &str, notes: &mut Notes) -> Result<Vec<DateOfBirth>, ParseError> {
    let mut dates_of_birth = Vec::new();
    for dob in node.children_named("INDIVIDUAL_DATE_OF_BIRTH") {
        let dob_at = |child: &str| format!("{here}, {child} (line {})", dob.child(child).map_or(dob.line, |c| c.line));
        let date = [("DATE", text(dob, "DATE")), ("YEAR", text(dob, "YEAR")), ("FROM_YEAR", text(dob, "FROM_YEAR"))]
            .into_iter()
            .find(|(_, v)| !v.is_empty());
        let to = text(dob, "TO_YEAR");
        let dob_note = text(dob, "NOTE");
        if !dob_note.is_empty() {
            notes.add("date_of_birth_notes", dob_note);
        }
        let Some((element, date)) = date else {
            continue;
        };
        if !is_partial_date(&date) {
            return Err(ParseError::new(dob_at(element), format!("`{date}` is not YYYY, YYYY-MM or YYYY-MM-DD")));
        }
        if !to.is_empty() && !is_partial_date(&to) {
            return Err(ParseError::new(dob_at("TO_YEAR"), format!("`{to}` is not a year")));
        }
        let approximate = text(dob, "TYPE_OF_DATE").eq_ignore_ascii_case("APPROXIMATELY");
        let to = if to.is_empty() || to == date { None } else { Some(to) };
        push_distinct(&mut dates_of_birth, DateOfBirth { date, to, approximate });
    }
    Ok(dates_of_birth)
}

/// The places of birth; their `NOTE`s as notes.
fn places_of_birth(node: &Node, notes: &mut Notes) -> Vec<Place> {
    let mut places_of_birth = Vec::new();
    for pob in node.children_named("INDIVIDUAL_PLACE_OF_BIRTH") {
        let mut town = Vec::new();
        for part in [text(pob, "STREET"), text(pob, "CITY")] {
            if !part.is_empty() {
                push_distinct(&mut town, part);
            }
        }
        let place = Place {
            town: non_empty(town.join(", ")),
            region: non_empty(text(pob, "STATE_PROVINCE")),
            country: non_empty(text(pob, "COUNTRY")),
        };
        let pob_note = text(pob, "NOTE");
        if !pob_note.is_empty() {
            notes.add("place_of_birth_notes", pob_note);
        }
        if place.town.is_some() || place.region.is_some() || place.country.is_some() {
            push_distinct(&mut places_of_birth, place);
        }
    }
    places_of_birth
}

/// The addresses; their `NOTE`s as notes, after the address they belong to.
fn addresses(node: &Node, notes: &mut Notes) -> Vec<Address> {
    let mut addresses = Vec::new();
    for a in node.children.iter().filter(|c| c.name == "INDIVIDUAL_ADDRESS" || c.name == "ENTITY_ADDRESS") {
        let address = Address {
            lines: non_empty(text(a, "STREET")).into_iter().collect(),
            town: non_empty(text(a, "CITY")),
            region: non_empty(text(a, "STATE_PROVINCE")),
            postal_code: non_empty(text(a, "ZIP_CODE")),
            country: non_empty(text(a, "COUNTRY")),
        };
        let summary: Vec<&str> = address
            .lines
            .iter()
            .map(String::as_str)
            .chain(
                [&address.town, &address.region, &address.postal_code, &address.country]
                    .into_iter()
                    .flatten()
                    .map(String::as_str),
            )
            .collect();
        let address_note = text(a, "NOTE");
        if !address_note.is_empty() {
            let prefix = if summary.is_empty() { String::new() } else { format!("{}: ", summary.join(", ")) };
            notes.add("address_notes", format!("{prefix}{address_note}"));
        }
        if !summary.is_empty() {
            push_distinct(&mut addresses, address);
        }
    }
    addresses
}

/// The documents with a number as identifiers (type, issue date and city, note as the
/// identifier's note); those without one described in a note.
fn identifiers(node: &Node, notes: &mut Notes) -> Vec<Identifier> {
    let mut identifiers = Vec::new();
    for doc in node.children_named("INDIVIDUAL_DOCUMENT") {
        let (type1, type2) = (text(doc, "TYPE_OF_DOCUMENT"), text(doc, "TYPE_OF_DOCUMENT2"));
        let kind = document_kind(if type1.is_empty() { &type2 } else { &type1 });
        let mut details = Vec::new();
        if !type1.is_empty() && !type2.is_empty() {
            details.push(type2.clone());
        }
        let issued = text(doc, "DATE_OF_ISSUE");
        if !issued.is_empty() {
            details.push(format!("date of issue {issued}"));
        }
        let city = text(doc, "CITY_OF_ISSUE");
        if !city.is_empty() {
            details.push(format!("city of issue {city}"));
        }
        let doc_note = text(doc, "NOTE");
        if !doc_note.is_empty() {
            details.push(doc_note);
        }
        let country = non_empty(text(doc, "ISSUING_COUNTRY")).or_else(|| non_empty(text(doc, "COUNTRY_OF_ISSUE")));
        let number = text(doc, "NUMBER");
        if number.is_empty() {
            if !type1.is_empty() || !type2.is_empty() || country.is_some() || !details.is_empty() {
                let described: Vec<String> = [non_empty(type1), country].into_iter().flatten().chain(details).collect();
                notes.add("documents_without_number", described.join("; "));
            }
            continue;
        }
        push_distinct(
            &mut identifiers,
            Identifier { kind, value: number, country, note: non_empty(details.join("; ")) },
        );
    }
    identifiers
}

/// The identifier kind of a `TYPE_OF_DOCUMENT`: `passport`, `national_id`, else its snake_case.
fn document_kind(label: &str) -> String {
    let key = label.to_ascii_lowercase();
    if key.contains("passport") {
        "passport".to_owned()
    } else if key.starts_with("national identification") || key.starts_with("national identity") {
        "national_id".to_owned()
    } else {
        snake_code(label).unwrap_or_else(|| "document".to_owned())
    }
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, each part in range.
fn is_partial_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        [y] => digits(y, 4),
        [y, m] => digits(y, 4) && digits(m, 2) && m.parse::<u32>().is_ok_and(|m| (1..=12).contains(&m)),
        [y, m, d] => {
            digits(y, 4) && digits(m, 2) && digits(d, 2) && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXCERPT: &[u8] =
        include_bytes!("../../tests/fixtures/lists/un-sample/UN-consolidated-excerpt-2026-02-27.xml");

    fn find<'a>(s: &'a Snapshot, id: &str) -> &'a Designation {
        &s.designations.iter().find(|l| l.designation.id == id).unwrap().designation
    }

    #[test]
    fn excerpt_reads_25_records() {
        let s = parse_xml(EXCERPT).unwrap();
        assert_eq!((s.authority.as_str(), s.format.name()), ("UN", "un-xml"));
        assert_eq!(s.report_date, Date::parse("2026-02-27").unwrap());
        assert_eq!(s.designations.len(), 25);
        let kinds = |k| s.designations.iter().filter(|l| l.designation.subject.kind == k).count();
        assert_eq!((kinds(SubjectKind::Individual), kinds(SubjectKind::Entity)), (18, 7));
        let ids: Vec<&str> = s.designations.iter().map(|l| l.designation.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "CDi.001", "CDi.007", "CDi.016", "CDi.030", "CFi.001", "CFi.002", "CFi.006", "CFi.008", "CFi.012",
                "CFi.013", "IQi.005", "IRi.021", "KPi.059", "QDi.075", "QDi.271", "QDi.371", "SOi.016", "TAi.091",
                "CDe.001", "IRe.047", "KPe.004", "KPe.016", "KPe.028", "KPe.037", "QDe.098",
            ]
        );
        let listed: Vec<String> = s.designations.iter().map(|l| l.designation.effective.to_string()).collect();
        assert_eq!(
            listed,
            [
                "2012-12-31",
                "2005-11-01",
                "2005-11-01",
                "2005-11-01",
                "2014-05-09",
                "2014-05-09",
                "2015-08-20",
                "2015-12-17",
                "2017-05-17",
                "2020-04-20",
                "2003-06-27",
                "2006-12-23",
                "2017-08-05",
                "2002-09-03",
                "2009-06-29",
                "2016-02-29",
                "2018-03-08",
                "2001-02-23",
                "2014-06-30",
                "2010-06-09",
                "2009-07-16",
                "2013-01-22",
                "2016-03-02",
                "2016-11-30",
                "2003-02-24",
            ]
        );
        for l in &s.designations {
            ledger_core::validate::check_record(&l.designation.record()).unwrap();
        }
        assert_eq!(s.designations[0].location, "INDIVIDUAL 1 (line 4)");
    }

    #[test]
    fn record_details() {
        let s = parse_xml(EXCERPT).unwrap();
        let d = find(&s, "CDi.030");
        assert_eq!(d.regime, Regime { code: "DRC".into(), name: None });
        assert_eq!(d.subject.names[0].name, "BOSCO TAGANDA");
        assert_eq!(d.subject.names.len(), 9);
        assert_eq!(d.subject.names[1].quality, Some(AliasQuality::Good));
        assert_eq!(d.subject.names[4].quality, Some(AliasQuality::Low));
        assert_eq!(
            d.subject.dates_of_birth,
            vec![DateOfBirth { date: "1973".into(), to: Some("1974".into()), approximate: false }]
        );
        assert_eq!(d.measures, ["asset_freeze", "travel_ban", "arms_embargo"]);
        let l = s.designations.iter().find(|l| l.designation.id == "CDi.030").unwrap();
        assert_eq!(l.last_updated.last(), Some(&Date::parse("2023-03-01").unwrap()));

        let bozize = find(&s, "CFi.001");
        assert_eq!(bozize.subject.names[0].name, "FRANÇOIS YANGOUVONDA BOZIZÉ");
        assert_eq!(bozize.subject.title.as_deref(), Some("Former Head of State Central African Republic; Professor"));
        assert_eq!(bozize.subject.nationalities, ["Central African Republic", "South Sudan"]);
        assert_eq!(bozize.subject.identifiers[0].kind, "passport");
        assert_eq!(bozize.subject.identifiers[1].kind, "national_id");
        assert!(bozize.subject.identifiers[0].note.as_deref().unwrap().contains("Expires on 11 Jun. 2017"));

        let adam = find(&s, "CFi.002");
        assert!(
            adam.subject.position.as_deref().unwrap().contains("Extraordinary Committee for the Defence of Democratic")
        );

        let janan = find(&s, "TAi.091");
        assert_eq!(janan.regime.code, "Taliban");
        assert_eq!(
            janan.subject.names[1],
            Name { name: "جانان آغا".into(), name_type: NameType::Variation, quality: None, script: None }
        );
        assert!(janan.subject.dates_of_birth.iter().all(|d| d.approximate));

        let adf = find(&s, "CDe.001");
        assert_eq!(adf.measures, ["asset_freeze", "arms_embargo"]);
        assert_eq!(adf.subject.names.len(), 5);
        assert!(adf.subject.names.iter().all(|n| n.quality.is_none()));
        assert_eq!(adf.other.as_ref().unwrap()["formerly_known_as"].as_array().unwrap().len(), 3);
        assert_eq!(adf.subject.addresses[0].region.as_deref(), Some("North Kivu"));

        let q = find(&s, "QDe.098");
        assert_eq!(q.regime.code, "Al-Qaida");
        let comments = find(&s, "CFi.013").reason.as_deref().unwrap();
        assert!(comments.starts_with("Martin Koumtamadji founded") && comments.contains('\n'));
    }

    #[test]
    fn refusals() {
        let text = String::from_utf8(EXCERPT.to_vec()).unwrap();
        let e = parse_xml(&EXCERPT[..EXCERPT.len() - 200]).unwrap_err();
        assert!(e.reason.contains("ends inside"), "{e}");
        let e = parse_xml(text.replacen("<LISTED_ON>2012-12-31", "<LISTED_ON>31/12/2012", 1).as_bytes()).unwrap_err();
        assert_eq!(e.location, "element INDIVIDUAL 1 (REFERENCE_NUMBER CDi.001), LISTED_ON (line 11)");
        let e = parse_xml(text.replacen("<LISTED_ON>2012-12-31", "<LISTED_ON>2012-12-31+01:00", 1).as_bytes()).unwrap();
        assert_eq!(e.designations[0].designation.effective.to_string(), "2012-12-31", "an xs:date with a time zone");
        let e =
            parse_xml(text.replacen("<LISTED_ON>2012-12-31</LISTED_ON>", "<LISTED>2012-12-31</LISTED>", 1).as_bytes())
                .unwrap_err();
        assert!(
            e.reason.starts_with(
                "no LISTED_ON, which the importer relies on (child elements seen: DATAID, VERSIONNUM, FIRST_NAME"
            ),
            "{e}"
        );
        assert!(e.reason.contains("LISTED,"), "{e}");
        let e = parse_xml(text.replacen("CDi.007", "CDi.001", 1).as_bytes()).unwrap_err();
        assert!(e.reason.contains("appears again"), "{e}");
        assert!(
            parse_xml(text.replacen("<FIRST_NAME>ERIC</FIRST_NAME>", "<FIRST_NAME>ERIC</FIRST>", 1).as_bytes())
                .is_err()
        );
        assert!(parse_xml(b"<CONSOLIDATED_LIST/>").is_err());
        assert!(parse_xml(b"\xff<x/>").unwrap_err().reason.contains("UTF-8"));
    }

    #[test]
    fn document_kinds() {
        assert_eq!(document_kind("Passport"), "passport");
        assert_eq!(document_kind("National Identification Number"), "national_id");
        assert_eq!(document_kind("Other Identification Number"), "other_identification_number");
        assert_eq!(document_kind("Résidence card"), "r_sidence_card");
    }
}
