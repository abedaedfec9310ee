//! OFAC's lists in the advanced XML schema (`sdn_advanced.xml`, `cons_advanced.xml`)
//! ([`parse_xml`]).
//!
//! The file is a set of tables joined by ID: `ReferenceValueSets` (the codes), `Locations`,
//! `IDRegDocuments`, `DistinctParties` (the people, entities and vessels) and `SanctionsEntries`
//! (a party's entry on a list: its date and programmes). The reader hands over each of these
//! sections whole, so memory grows with the largest one (`DistinctParties`).
//!
//! Mapping of each `DistinctParty` with its `SanctionsEntry`s:
//! - the id is the profile's `ID` (OFAC's entity number, the legacy CSV's `ent_num`, so that the
//!   same party has the same key in both layouts);
//! - the effective date is the earliest entry's `EntryEvent` date (the only designation date the
//!   file gives); the update dates are the other entries' dates (a later listing on another list);
//! - programmes (a `SanctionsMeasure` of type `Program`) are regimes: the regime code is the first
//!   programme of the earliest entry, all of them go into `other.programs`, the lists into
//!   `other.lists` and the legal bases into `other.legal_bases`; the measures are `asset_freeze`
//!   for a `Block`, `financial` for any other sanctions type (`Reject`, a sectoral directive),
//!   whose labels go into `other.sanctions_types`;
//! - `PartySubType` gives the kind (an individual; a vessel → ship; an entity, an aircraft or
//!   anything else → entity, an aircraft with `other.party_type`);
//! - the names are the primary identity's aliases (type `Name` → primary, `A.K.A.`, `F.K.A.`,
//!   `N.K.A.` → aliases, `LowQuality` → low quality, else good); a name whose first part is a last
//!   name reads `LAST, First` as in the legacy list; a name in another script than Latin is a
//!   variation with its script;
//! - features: `Birthdate` (a period reduced to its precision: a whole year is `1962`),
//!   `Place of Birth`, `Citizenship Country`/`Nationality Country`, `Gender` and `Location`
//!   (addresses) fill the subject; every other feature goes into `other.features` as
//!   `Type: value`; `IDRegDocuments` of the identity are its identifiers.
//!
//! A missing section, a code not defined in `ReferenceValueSets`, a party without a profile or
//! a primary name, an entry without a profile, a date or a known party is refused, naming it.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use crate::check;
use crate::text::{collapse, push_distinct, snake_code};
use crate::xml::{self, Node};
use crate::{Format, Listed, ParseError, Snapshot};
use ledger_core::event::{
    Address, AliasQuality, DateOfBirth, Identifier, Name, NameType, Place, Subject, SubjectKind, check_id,
};
use ledger_core::time::Date;

/// The authority of OFAC's lists.
const AUTHORITY: &str = "OFAC";

/// The namespaces of the advanced XML: the original one and the Sanctions List Service's.
const NAMESPACES: [&str; 2] = [
    "http://www.un.org/sanctions/1.0",
    "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML",
];

/// The codes of `ReferenceValueSets`: for each value set's element (`AliasType`, `Country`...),
/// its IDs' texts and attributes.
#[derive(Default)]
struct Codes {
    sets: HashMap<String, HashMap<String, Node>>,
}

impl Codes {
    fn read(section: &Node) -> Codes {
        let mut codes = Codes::default();
        for set in &section.children {
            for value in &set.children {
                if let Some(id) = value.attr("ID") {
                    let id = id.trim().to_owned();
                    let node = Node {
                        name: value.name.clone(),
                        attrs: value.attrs.clone(),
                        text: collapse(&value.text),
                        children: Vec::new(),
                        line: value.line,
                    };
                    codes.sets.entry(value.name.clone()).or_default().insert(id, node);
                }
            }
        }
        codes
    }

    /// The value `id` of the set whose elements are named `kind`.
    fn get(&self, kind: &str, id: &str, here: &str) -> Result<&Node, ParseError> {
        self.sets
            .get(kind)
            .and_then(|s| s.get(id.trim()))
            .ok_or_else(|| ParseError::new(here, format!("{kind} ID `{id}` is not defined in ReferenceValueSets")))
    }

    /// The text of value `id` of set `kind`.
    fn text(&self, kind: &str, id: &str, here: &str) -> Result<String, ParseError> {
        self.get(kind, id, here).map(|n| n.text.clone())
    }
}

/// A `Year`/`Month`/`Day` date.
fn ymd(node: &Node) -> Option<(i32, u32, u32)> {
    let y = node.leaf("Year").parse().ok()?;
    let m = if node.leaf("Month").is_empty() { 1 } else { node.leaf("Month").parse().ok()? };
    let d = if node.leaf("Day").is_empty() { 1 } else { node.leaf("Day").parse().ok()? };
    Some((y, m, d))
}

fn date_of(node: &Node, here: &str) -> Result<Date, ParseError> {
    ymd(node)
        .and_then(|(y, m, d)| chrono::NaiveDate::from_ymd_opt(y, m, d))
        .map(Date)
        .ok_or_else(|| ParseError::new(here, format!("<{}> is not a Year/Month/Day date", node.name)))
}

/// A birth date from a `DatePeriod`, at the precision it has: the same day, a whole month or a
/// whole year (or a range of whole years).
fn period(p: &Node) -> Option<DateOfBirth> {
    let start = p.child("Start")?.child("From").and_then(ymd)?;
    let end = p.child("End").and_then(|e| e.child("To").or_else(|| e.child("From"))).and_then(ymd).unwrap_or(start);
    let approximate = ["Start", "End"]
        .iter()
        .filter_map(|n| p.child(n))
        .any(|n| n.attr("Approximate").is_some_and(|a| a.trim() == "true"));
    let (sy, sm, sd) = start;
    let (ey, em, ed) = end;
    let last_day = |y: i32, m: u32| {
        chrono::NaiveDate::from_ymd_opt(y, m + 1, 1)
            .or_else(|| chrono::NaiveDate::from_ymd_opt(y + 1, 1, 1))
            .and_then(|d| d.pred_opt())
            .map(|d| chrono::Datelike::day(&d))
    };
    let (date, to) = if start == end {
        (format!("{sy:04}-{sm:02}-{sd:02}"), None)
    } else if sm == 1 && sd == 1 && em == 12 && ed == 31 {
        (format!("{sy:04}"), (ey != sy).then(|| format!("{ey:04}")))
    } else if sy == ey && sm == em && sd == 1 && Some(ed) == last_day(ey, em) {
        (format!("{sy:04}-{sm:02}"), None)
    } else {
        (format!("{sy:04}-{sm:02}-{sd:02}"), Some(format!("{ey:04}-{em:02}-{ed:02}")))
    };
    Some(DateOfBirth { date, to, approximate })
}

/// A location: its address and the text it reads as.
fn address_of(codes: &Codes, node: &Node, here: &str) -> Result<Address, ParseError> {
    let mut address = Address { lines: Vec::new(), town: None, region: None, postal_code: None, country: None };
    for part in node.children_named("LocationPart") {
        let kind = codes.text("LocPartType", part.attr("LocPartTypeID").unwrap_or(""), here)?;
        let value = part
            .children_named("LocationPartValue")
            .find(|v| v.attr("Primary").is_none_or(|p| p.trim() == "true"))
            .map(|v| collapse(v.leaf("Value")))
            .unwrap_or_default();
        if value.is_empty() {
            continue;
        }
        match kind.as_str() {
            "CITY" => address.town = Some(value),
            "STATE/PROVINCE" | "REGION" => {
                address.region = Some(match address.region.take() {
                    Some(r) => format!("{r}, {value}"),
                    None => value,
                })
            }
            "POSTAL CODE" => address.postal_code = Some(value),
            _ => address.lines.push(value),
        }
    }
    if let Some(c) = node.child("LocationCountry").and_then(|c| c.attr("CountryID")) {
        address.country = Some(codes.text("Country", c, here)?);
    } else if let Some(a) = node.child("LocationAreaCode").and_then(|c| c.attr("AreaCodeID")) {
        address.country = codes.get("AreaCode", a, here)?.attr("Description").map(collapse);
    }
    Ok(address)
}

/// A party's entry on one list.
struct Entry {
    date: Date,
    list: String,
    programs: Vec<String>,
    types: Vec<String>,
    legal_basis: Option<String>,
}

/// The sections of the file the importer reads, by name.
const SECTIONS: [&str; 6] =
    ["DateOfIssue", "ReferenceValueSets", "Locations", "IDRegDocuments", "DistinctParties", "SanctionsEntries"];

/// Parses OFAC's advanced XML (format `ofac-xml`).
pub fn parse_xml(bytes: &[u8]) -> Result<Snapshot, ParseError> {
    let mut sections: BTreeMap<String, Node> = BTreeMap::new();
    xml::read(bytes, check_root, |node| {
        if SECTIONS.contains(&node.name.as_str()) {
            sections.insert(node.name.clone(), node);
        }
        Ok(())
    })?;
    let section = |name: &str| {
        sections.get(name).ok_or_else(|| {
            let seen: Vec<&str> = sections.keys().map(String::as_str).collect();
            ParseError::new(
                "<Sanctions>",
                format!("no <{name}> section, which the importer relies on (sections seen: {})", seen.join(", ")),
            )
        })
    };
    let issue = section("DateOfIssue")?;
    let report_date = date_of(issue, &format!("line {}, element <DateOfIssue>", issue.line))?;
    let tables = Tables::read(section("ReferenceValueSets")?, section("Locations")?, section("IDRegDocuments")?);
    let mut entries = entries_by_profile(&tables.codes, section("SanctionsEntries")?)?;

    let mut designations = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for party in section("DistinctParties")?.children_named("DistinctParty") {
        let here = format!(
            "line {}, element <DistinctParty FixedRef=\"{}\">",
            party.line,
            party.attr("FixedRef").unwrap_or("")
        );
        let profile = party.child("Profile").ok_or_else(|| ParseError::new(&here, "no <Profile>"))?;
        let id = profile.attr("ID").map(str::trim).unwrap_or("").to_owned();
        check_id(&id).map_err(|r| ParseError::new(&here, format!("Profile ID: {r}")))?;
        let location = format!("DistinctParty {id} (line {})", party.line);
        if let Some(first) = seen.insert(id.clone(), location.clone()) {
            return Err(ParseError::new(&here, format!("profile {id} appears again (first at {first})")));
        }
        let Some(mut listed) = entries.remove(&id) else { continue };
        listed.sort_by_key(|e| e.date);
        let listed_here = format!("{here}, profile {id}");
        designations.push(party_record(&tables, party, profile, &id, &listed, &listed_here, location)?);
    }
    if let Some(profile) = entries.keys().min() {
        return Err(ParseError::new(
            "<SanctionsEntries>",
            format!("a SanctionsEntry names ProfileID {profile}, which no DistinctParty has"),
        ));
    }
    Ok(Snapshot { authority: AUTHORITY.to_owned(), format: Format::OfacXml, report_date, designations })
}

/// Refuses a root element other than `<Sanctions>` in one of the advanced XML's namespaces.
fn check_root(root: &Node) -> Result<(), ParseError> {
    let here = format!("line {}, element <{}>", root.line, root.name);
    if root.name != "Sanctions" {
        return Err(ParseError::new(
            here,
            format!("the root element is <{}>, expected <Sanctions> (OFAC advanced XML)", root.name),
        ));
    }
    match root.attr("xmlns").map(str::trim) {
        Some(ns) if NAMESPACES.contains(&ns) => Ok(()),
        ns => Err(ParseError::new(
            here,
            format!("namespace `{}` is none of the advanced XML's ({})", ns.unwrap_or(""), NAMESPACES.join(", ")),
        )),
    }
}

/// The tables a party's record is joined from: the codes, the locations by ID and the documents
/// by the identity they belong to.
struct Tables<'a> {
    codes: Codes,
    locations: HashMap<&'a str, &'a Node>,
    documents: HashMap<&'a str, Vec<&'a Node>>,
}

impl<'a> Tables<'a> {
    fn read(reference_values: &Node, locations: &'a Node, documents: &'a Node) -> Tables<'a> {
        let mut tables =
            Tables { codes: Codes::read(reference_values), locations: HashMap::new(), documents: HashMap::new() };
        for l in locations.children_named("Location") {
            tables.locations.insert(l.attr("ID").unwrap_or("").trim(), l);
        }
        for d in documents.children_named("IDRegDocument") {
            tables.documents.entry(d.attr("IdentityID").unwrap_or("").trim()).or_default().push(d);
        }
        tables
    }
}

/// The `SanctionsEntries`, by the profile each is an entry of.
fn entries_by_profile(codes: &Codes, section: &Node) -> Result<HashMap<String, Vec<Entry>>, ParseError> {
    let mut entries: HashMap<String, Vec<Entry>> = HashMap::new();
    for e in section.children_named("SanctionsEntry") {
        let (profile, entry) = sanctions_entry(codes, e)?;
        entries.entry(profile.to_owned()).or_default().push(entry);
    }
    Ok(entries)
}

/// One `SanctionsEntry`: the profile it is an entry of, and its date, list, programmes,
/// sanctions types and legal basis.
fn sanctions_entry<'a>(codes: &Codes, e: &'a Node) -> Result<(&'a str, Entry), ParseError> {
    let here = format!("line {}, element <SanctionsEntry ID=\"{}\">", e.line, e.attr("ID").unwrap_or(""));
    let profile = e
        .attr("ProfileID")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ParseError::new(&here, "no ProfileID, which the importer relies on"))?;
    let event = e.child("EntryEvent").ok_or_else(|| ParseError::new(&here, "no <EntryEvent>: no designation date"))?;
    let date = date_of(event.child("Date").ok_or_else(|| ParseError::new(&here, "no <EntryEvent><Date>"))?, &here)?;
    let list = codes.text("List", e.attr("ListID").unwrap_or(""), &here)?;
    let legal_basis = match event.attr("LegalBasisID") {
        Some(id) => codes.get("LegalBasis", id, &here)?.attr("LegalBasisShortRef").map(collapse),
        None => None,
    };
    let (mut programs, mut types) = (Vec::new(), Vec::new());
    for m in e.children_named("SanctionsMeasure") {
        let kind = codes.text("SanctionsType", m.attr("SanctionsTypeID").unwrap_or(""), &here)?;
        if kind == "Program" {
            let p = collapse(m.leaf("Comment"));
            if !p.is_empty() {
                push_distinct(&mut programs, p);
            }
        } else {
            push_distinct(&mut types, kind);
        }
    }
    Ok((profile, Entry { date, list, programs, types, legal_basis }))
}

/// A party's record, joined from its profile, its identity's documents and its entries (the
/// earliest first).
fn party_record(
    tables: &Tables,
    party: &Node,
    profile: &Node,
    id: &str,
    entries: &[Entry],
    here: &str,
    location: String,
) -> Result<Listed, ParseError> {
    let codes = &tables.codes;
    let mut other = Map::new();
    let kind = kind_of(codes, profile, here, &mut other)?;

    // Names, from the primary identity.
    let identity = profile
        .children_named("Identity")
        .find(|i| i.attr("Primary").is_some_and(|p| p.trim() == "true"))
        .or_else(|| profile.child("Identity"))
        .ok_or_else(|| ParseError::new(here, "no <Identity>"))?;
    let (names, formerly) = names(codes, identity, here)?;

    // Features.
    let Features { dates_of_birth, places_of_birth, nationalities, addresses, gender, features } =
        features(codes, &tables.locations, profile, here)?;

    // Documents.
    let identity_id = identity.attr("ID").unwrap_or("").trim();
    let identifiers = identifiers(codes, tables.documents.get(identity_id).into_iter().flatten().copied(), here)?;

    // The entries.
    let programmes = Programmes::of(entries);
    let code = programmes.regime_code(here)?;
    let measures = measures(&programmes.types);
    programmes.into_other(&mut other);
    let strings = |v: Vec<String>| Value::Array(v.into_iter().map(Value::String).collect());
    if !features.is_empty() {
        other.insert("features".into(), Value::Array(features));
    }
    if !formerly.is_empty() {
        other.insert("formerly_known_as".into(), strings(formerly));
    }
    let comment = collapse(party.leaf("Comment"));
    if !comment.is_empty() {
        other.insert("remarks".into(), Value::String(comment));
    }
    let last_updated = last_updated(entries);

    let subject = Subject {
        kind,
        names,
        title: None,
        dates_of_birth,
        places_of_birth,
        nationalities,
        gender,
        position: None,
        addresses,
        identifiers,
    };
    let designation = crate::ofac::designation(id.to_owned(), entries[0].date, code, subject, measures, other);
    check(&designation, here)?;
    Ok(Listed { designation, last_updated, location })
}

/// The kind of subject a profile's `PartySubType` says; a kind of entity that is neither
/// unknown nor a vessel goes into `other.party_type`.
fn kind_of(
    codes: &Codes,
    profile: &Node,
    here: &str,
    other: &mut Map<String, Value>,
) -> Result<SubjectKind, ParseError> {
    let subtype = codes.get("PartySubType", profile.attr("PartySubTypeID").unwrap_or(""), here)?;
    let party_type = codes.text("PartyType", subtype.attr("PartyTypeID").unwrap_or(""), here)?;
    Ok(match (party_type.as_str(), subtype.text.as_str()) {
        ("Individual", _) => SubjectKind::Individual,
        (_, "Vessel") => SubjectKind::Ship,
        (_, sub) => {
            if sub != "Unknown" {
                other.insert("party_type".into(), Value::String(sub.to_ascii_lowercase()));
            }
            SubjectKind::Entity
        }
    })
}

/// What a party's entries list, each distinct, in the order met: its programmes, the lists it
/// is on, their legal bases and the sanctions types other than a programme.
struct Programmes {
    programs: Vec<String>,
    lists: Vec<String>,
    bases: Vec<String>,
    types: Vec<String>,
}

impl Programmes {
    fn of(entries: &[Entry]) -> Programmes {
        let (mut programs, mut lists, mut bases, mut types) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for e in entries {
            for p in &e.programs {
                push_distinct(&mut programs, p.clone());
            }
            push_distinct(&mut lists, e.list.clone());
            if let Some(b) = &e.legal_basis {
                push_distinct(&mut bases, b.clone());
            }
            for t in &e.types {
                push_distinct(&mut types, t.clone());
            }
        }
        Programmes { programs, lists, bases, types }
    }

    /// The regime code: of the first programme (refused without one).
    fn regime_code(&self, here: &str) -> Result<String, ParseError> {
        self.programs.first().map(|p| crate::ofac::regime_code(p)).filter(|c| !c.is_empty()).ok_or_else(|| {
            ParseError::new(here, "no programme: no SanctionsMeasure of type Program with a Comment in its entries")
        })
    }

    /// Puts them into `other`: `programs` and `lists`, and `legal_bases` and `sanctions_types`
    /// when there are any.
    fn into_other(self, other: &mut Map<String, Value>) {
        let strings = |v: Vec<String>| Value::Array(v.into_iter().map(Value::String).collect());
        other.insert("programs".into(), strings(self.programs));
        other.insert("lists".into(), strings(self.lists));
        if !self.bases.is_empty() {
            other.insert("legal_bases".into(), strings(self.bases));
        }
        if !self.types.is_empty() {
            other.insert("sanctions_types".into(), strings(self.types));
        }
    }
}

/// The dates of a party's later entries (after the first, which is its designation), distinct
/// and in order.
fn last_updated(entries: &[Entry]) -> Vec<Date> {
    let mut last_updated = Vec::new();
    for e in &entries[1..] {
        push_distinct(&mut last_updated, e.date);
    }
    last_updated.sort();
    last_updated.dedup();
    last_updated
}

/// The measures of the sanctions types: `asset_freeze` for a `Block` (and when there is no
/// type), `financial` for any other; `asset_freeze` first.
fn measures(types: &[String]) -> Vec<String> {
    let mut measures = Vec::new();
    for t in types {
        push_distinct(&mut measures, if t == "Block" { "asset_freeze".to_owned() } else { "financial".to_owned() });
    }
    if measures.is_empty() {
        measures.push("asset_freeze".to_owned());
    }
    measures.sort_by_key(|m| m != "asset_freeze");
    measures
}

/// The names of a party's primary identity, the primary first (refused without one), and the
/// names it was formerly known as.
fn names(codes: &Codes, identity: &Node, here: &str) -> Result<(Vec<Name>, Vec<String>), ParseError> {
    let mut groups: HashMap<&str, String> = HashMap::new();
    if let Some(g) = identity.child("NamePartGroups") {
        for m in g.children_named("MasterNamePartGroup") {
            for n in m.children_named("NamePartGroup") {
                let t = codes.text("NamePartType", n.attr("NamePartTypeID").unwrap_or(""), here)?;
                groups.insert(n.attr("ID").unwrap_or("").trim(), t);
            }
        }
    }
    let mut names: Vec<Name> = Vec::new();
    let mut formerly = Vec::new();
    for alias in identity.children_named("Alias") {
        let alias_type = codes.text("AliasType", alias.attr("AliasTypeID").unwrap_or(""), here)?;
        let primary = alias.attr("Primary").is_some_and(|p| p.trim() == "true");
        let low = alias.attr("LowQuality").is_some_and(|p| p.trim() == "true");
        for doc in alias.children_named("DocumentedName") {
            let parts: Vec<(&Node, String)> = doc
                .children_named("DocumentedNamePart")
                .filter_map(|p| p.child("NamePartValue"))
                .map(|v| (v, collapse(&v.text)))
                .filter(|(_, t)| !t.is_empty())
                .collect();
            let Some((first, _)) = parts.first() else { continue };
            let last_first = parts.len() > 1
                && groups.get(first.attr("NamePartGroupID").unwrap_or("").trim()).is_some_and(|t| t == "Last Name");
            let texts: Vec<&str> = parts.iter().map(|(_, t)| t.as_str()).collect();
            let name = if last_first { format!("{}, {}", texts[0], texts[1..].join(" ")) } else { texts.join(" ") };
            let script = match first.attr("ScriptID") {
                Some(sid) => codes.get("Script", sid, here)?.attr("ScriptCode").map(collapse).filter(|c| c != "Latin"),
                None => None,
            };
            if alias_type == "F.K.A." {
                push_distinct(&mut formerly, name.clone());
            }
            let name = if script.is_some() {
                Name { name, name_type: NameType::Variation, quality: None, script }
            } else if primary && names.iter().all(|n| n.name_type != NameType::Primary) {
                Name { name, name_type: NameType::Primary, quality: None, script: None }
            } else {
                let quality = Some(if low { AliasQuality::Low } else { AliasQuality::Good });
                Name { name, name_type: NameType::Alias, quality, script: None }
            };
            push_distinct(&mut names, name);
        }
    }
    let Some(p) = names.iter().position(|n| n.name_type == NameType::Primary) else {
        return Err(ParseError::new(here, "no primary name (an <Alias Primary=\"true\"> with a name)"));
    };
    let primary = names.remove(p);
    names.insert(0, primary);
    Ok((names, formerly))
}

/// What a profile's features give: dates and places of birth, nationalities, addresses, gender,
/// and every other feature as `Kind: value`.
#[derive(Default)]
struct Features {
    dates_of_birth: Vec<DateOfBirth>,
    places_of_birth: Vec<Place>,
    nationalities: Vec<String>,
    addresses: Vec<Address>,
    gender: Option<String>,
    features: Vec<Value>,
}

/// Reads a profile's `<Feature>`s, their locations from `locations`.
fn features(
    codes: &Codes,
    locations: &HashMap<&str, &Node>,
    profile: &Node,
    here: &str,
) -> Result<Features, ParseError> {
    let mut features = Features::default();
    for f in profile.children_named("Feature") {
        let kind = codes.text("FeatureType", f.attr("FeatureTypeID").unwrap_or(""), here)?;
        for v in f.children_named("FeatureVersion") {
            let details = Details::read(codes, locations, v, here)?;
            features.add(&kind, v, details);
        }
    }
    Ok(features)
}

/// A feature version's details: its texts (a detail's text, or the reference it names) and its
/// locations.
struct Details {
    texts: Vec<String>,
    places: Vec<Address>,
}

impl Details {
    fn read(codes: &Codes, locations: &HashMap<&str, &Node>, v: &Node, here: &str) -> Result<Details, ParseError> {
        let mut texts = Vec::new();
        let mut places = Vec::new();
        for d in v.children_named("VersionDetail") {
            let t = collapse(&d.text);
            if !t.is_empty() {
                texts.push(t);
            } else if let Some(r) = d.attr("DetailReferenceID") {
                texts.push(codes.text("DetailReference", r, here)?);
            }
        }
        for l in v.children_named("VersionLocation") {
            let lid = l.attr("LocationID").unwrap_or("").trim();
            let node = locations
                .get(lid)
                .ok_or_else(|| ParseError::new(here, format!("LocationID `{lid}` is not among the <Locations>")))?;
            places.push(address_of(codes, node, here)?);
        }
        Ok(Details { texts, places })
    }
}

impl Features {
    /// Adds feature version `v` of type `kind`, with its details, where its type says.
    fn add(&mut self, kind: &str, v: &Node, Details { texts, places }: Details) {
        match kind {
            "Birthdate" => {
                if let Some(d) = v.child("DatePeriod").and_then(period) {
                    push_distinct(&mut self.dates_of_birth, d);
                }
            }
            "Place of Birth" => self.add_places_of_birth(texts, places),
            "Citizenship Country" | "Nationality Country" => {
                for c in places.into_iter().filter_map(|a| a.country).chain(texts) {
                    push_distinct(&mut self.nationalities, c);
                }
            }
            "Gender" => self.gender = texts.into_iter().next(),
            "Location" => {
                for a in places {
                    push_distinct(&mut self.addresses, a);
                }
            }
            _ => {
                let mut values = texts;
                values.extend(places.into_iter().map(|a| {
                    let parts: Vec<String> = a
                        .lines
                        .into_iter()
                        .chain([a.town, a.region, a.postal_code, a.country].into_iter().flatten())
                        .collect();
                    parts.join(", ")
                }));
                if let Some(d) = v.child("DatePeriod").and_then(period) {
                    values.push(d.date);
                }
                for value in values.into_iter().filter(|v| !v.is_empty()) {
                    push_distinct(&mut self.features, Value::String(format!("{kind}: {value}")));
                }
            }
        }
    }

    /// Places of birth: a text `town, country` (or a town), and a location's lines (or town),
    /// region and country.
    fn add_places_of_birth(&mut self, texts: Vec<String>, places: Vec<Address>) {
        for t in &texts {
            let place = match t.rsplit_once(", ") {
                Some((town, country)) => {
                    Place { town: Some(town.to_owned()), region: None, country: Some(country.to_owned()) }
                }
                None => Place { town: Some(t.clone()), region: None, country: None },
            };
            push_distinct(&mut self.places_of_birth, place);
        }
        for a in places {
            let town = (!a.lines.is_empty()).then(|| a.lines.join(", ")).or(a.town);
            push_distinct(&mut self.places_of_birth, Place { town, region: a.region, country: a.country });
        }
    }
}

/// The identity's documents with a number as identifiers.
fn identifiers<'a>(
    codes: &Codes,
    documents: impl Iterator<Item = &'a Node>,
    here: &str,
) -> Result<Vec<Identifier>, ParseError> {
    let mut identifiers = Vec::new();
    for d in documents {
        let label = codes.text("IDRegDocType", d.attr("IDRegDocTypeID").unwrap_or(""), here)?;
        let value = collapse(d.leaf("IDRegistrationNo"));
        if value.is_empty() {
            continue;
        }
        let kind = match label.as_str() {
            "Passport" | "Diplomatic Passport" => "passport".to_owned(),
            "National ID No." | "Identification Number" => "national_id".to_owned(),
            l if l.contains("IMO") => "imo".to_owned(),
            l if l.contains("Registration") => "registration".to_owned(),
            l => snake_code(l).unwrap_or_else(|| "document".to_owned()),
        };
        let country = match d.attr("IssuedBy-CountryID") {
            Some(c) => Some(codes.text("Country", c, here)?),
            None => None,
        };
        let notes: Vec<String> = [
            (kind != snake_code(&label).unwrap_or_default()).then(|| label.clone()),
            Some(collapse(d.leaf("IssuingAuthority"))),
            Some(collapse(d.leaf("Comment"))),
        ]
        .into_iter()
        .flatten()
        .filter(|n| !n.is_empty())
        .collect();
        let note = (!notes.is_empty()).then(|| notes.join("; "));
        push_distinct(&mut identifiers, Identifier { kind, value, country, note });
    }
    Ok(identifiers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger_core::event::Designation;

    const LIST: &[u8] = include_bytes!("../../tests/fixtures/lists/ofac-advanced/cons_advanced-2020-03-17.xml");

    fn find<'a>(s: &'a Snapshot, id: &str) -> &'a Designation {
        &s.designations.iter().find(|l| l.designation.id == id).unwrap().designation
    }

    #[test]
    fn the_whole_real_list_reads_375_parties() {
        let s = parse_xml(LIST).unwrap();
        assert_eq!((s.authority.as_str(), s.format.name()), ("OFAC", "ofac-xml"));
        assert_eq!(s.report_date, Date::parse("2020-03-17").unwrap());
        assert_eq!(s.designations.len(), 375);
        let kinds = |k| s.designations.iter().filter(|l| l.designation.subject.kind == k).count();
        assert_eq!(kinds(SubjectKind::Individual), 82);
        for l in &s.designations {
            ledger_core::validate::check_record(&l.designation.record()).unwrap();
            assert!(l.last_updated.windows(2).all(|w| w[0] < w[1]));
        }
        let haniya = find(&s, "9639");
        assert_eq!(haniya.subject.names[0].name, "HANIYA, Ismail Abdul Salah");
        assert_eq!(haniya.regime.code, "NS-PLC");
        assert_eq!(haniya.effective.to_string(), "2006-04-12", "the earliest entry");
        assert_eq!(haniya.subject.dates_of_birth[0], DateOfBirth { date: "1962".into(), to: None, approximate: false });
        let other = haniya.other.as_ref().unwrap();
        assert_eq!(
            other["lists"],
            serde_json::json!(["Non-SDN Palestinian Legislative Council List", "Consolidated List"])
        );
        let l = s.designations.iter().find(|l| l.designation.id == "9639").unwrap();
        assert_eq!(l.last_updated, [Date::parse("2014-10-10").unwrap()]);
    }

    #[test]
    fn refusals() {
        let text = String::from_utf8(LIST.to_vec()).unwrap();
        let e =
            parse_xml(text.replacen("<Locations>", "<Places>", 1).replacen("</Locations>", "</Places>", 1).as_bytes())
                .unwrap_err();
        assert!(e.reason.contains("no <Locations> section") && e.reason.contains("sections seen: DateOfIssue"), "{e}");
        let e = parse_xml(
            text.replacen(
                "<SanctionsEntry ID=\"70009639\" ProfileID=\"9639\"",
                "<SanctionsEntry ID=\"70009639\" ProfileID=\"1\"",
                1,
            )
            .as_bytes(),
        )
        .unwrap_err();
        assert!(e.reason.contains("ProfileID 1, which no DistinctParty has"), "{e}");
        let e = parse_xml(text.replacen("PartySubTypeID=\"4\"", "PartySubTypeID=\"99\"", 1).as_bytes()).unwrap_err();
        assert!(e.reason.contains("PartySubType ID `99` is not defined"), "{e}");
        let e =
            parse_xml(text.replacen("xmlns=\"http://www.un.org/sanctions/1.0\"", "xmlns=\"urn:other\"", 1).as_bytes())
                .unwrap_err();
        assert!(e.reason.contains("namespace `urn:other`"), "{e}");
        let sls = text.replacen(
            "xmlns=\"http://www.un.org/sanctions/1.0\"",
            "xmlns=\"https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML\"",
            1,
        );
        assert_eq!(parse_xml(sls.as_bytes()).unwrap().designations.len(), 375);
    }
}
