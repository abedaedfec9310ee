//! The event model: what an operator writes (input events), the designation record that
//! amendments patch, and the recorded envelope the ledger adds and hashes.
//!
//! These types are the one serialized boundary of the ledger: their JSON is hashed, exported and
//! described by the schemas in `schemas/`. Every struct rejects unknown fields.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::hash::Hash;
use crate::seq::Seq;
use crate::time::{Date, Effective, Timestamp};

/// The version of the recorded-event format, written in the genesis event.
pub const FORMAT_VERSION: u32 = 1;

/// The measures the ledger knows, with what each means. A measure is one of these codes or
/// `custom:CODE` (CODE snake_case) for another, so that a reader can tell a measure of the
/// vocabulary from one an operator or importer named ([`check_measure`]).
pub const KNOWN_MEASURES: &[(&str, &str)] = &[
    ("asset_freeze", "funds and economic resources frozen"),
    ("travel_ban", "entry to or transit through the territory refused"),
    ("arms_embargo", "no arms or related materiel supplied"),
    ("targeted_arms_embargo", "an arms embargo aimed at this target"),
    ("trust_services", "no trust services provided"),
    ("director_disqualification", "disqualified from acting as a company director"),
    ("shipping", "ship sanctions: port entry, registration, specification"),
    ("charter_ban", "no chartering of ships or aircraft"),
    ("financial", "restrictions on financial services and investment"),
    ("trade", "restrictions on trade in goods or technology"),
];

/// The prefix of a measure outside [`KNOWN_MEASURES`]: `custom:port_ban`.
pub const CUSTOM_MEASURE_PREFIX: &str = "custom:";

/// The JSON Schema pattern of a measure: the known codes or `custom:CODE`. Kept in step with
/// [`KNOWN_MEASURES`] and [`check_measure`] by a test.
pub const MEASURE_PATTERN: &str = "^(asset_freeze|travel_ban|arms_embargo|targeted_arms_embargo|trust_services|director_disqualification|shipping|charter_ban|financial|trade|custom:[a-z][a-z0-9_]{0,63})$";

/// Checks a measure: a code of [`KNOWN_MEASURES`], or `custom:CODE` where CODE is a snake_case
/// code (1 to 64 of a-z, 0-9 and `_`, starting with a letter).
pub fn check_measure(m: &str) -> Result<(), MeasureError> {
    if KNOWN_MEASURES.iter().any(|(code, _)| *code == m) {
        return Ok(());
    }
    if let Some(code) = m.strip_prefix(CUSTOM_MEASURE_PREFIX) {
        let snake = (1..=64).contains(&code.len())
            && code.as_bytes()[0].is_ascii_lowercase()
            && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        return if snake { Ok(()) } else { Err(MeasureError::CustomCode { measure: m.to_owned() }) };
    }
    Err(MeasureError::Unknown { measure: m.to_owned() })
}

/// Why a measure was refused ([`check_measure`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeasureError {
    /// `custom:` is not followed by a snake_case code.
    #[error("`{measure}`: after `custom:` comes a snake_case code (a-z, 0-9, _), e.g. custom:port_ban")]
    CustomCode {
        /// The measure as given.
        measure: String,
    },
    /// Neither a code of [`KNOWN_MEASURES`] nor `custom:CODE`.
    #[error(
        "`{measure}` is not a known measure ({}); record another as custom:CODE with a snake_case CODE, e.g. custom:port_ban",
        known_measures()
    )]
    Unknown {
        /// The measure as given.
        measure: String,
    },
}

/// The codes of [`KNOWN_MEASURES`], comma-separated.
fn known_measures() -> String {
    KNOWN_MEASURES.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")
}

/// The message, where a reason is text (a field's or a list row's refusal).
impl From<MeasureError> for String {
    fn from(e: MeasureError) -> String {
        e.to_string()
    }
}

/// The fields of a designation record that an amendment may patch.
pub const PATCHABLE_FIELDS: &[&str] = &["regime", "subject", "measures", "reason", "source", "other"];

/// A designation key: the designating authority and its own identifier (`UK/GIM0030`).
///
/// The fields are private: a key is made by [`Key::new`] or [`Key::parse`], which check both
/// parts, so every `Key` holds a valid authority and id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    authority: String,
    id: String,
}

impl Key {
    /// The key of `authority` and `id`, both checked ([`check_authority`], [`check_id`]).
    pub fn new(authority: impl Into<String>, id: impl Into<String>) -> Result<Key, KeyError> {
        let (authority, id) = (authority.into(), id.into());
        check_authority(&authority)?;
        check_id(&id)?;
        Ok(Key { authority, id })
    }

    /// A key whose parts are not checked again: taken from an event that passed validation when
    /// it was appended (a recorded event, a key of the store's index). Not for text from outside:
    /// that goes through [`Key::new`] or [`Key::parse`].
    pub(crate) fn new_unchecked(authority: String, id: String) -> Key {
        Key { authority, id }
    }

    /// Parses `AUTHORITY/ID`.
    pub fn parse(s: &str) -> Result<Key, KeyError> {
        let Some((authority, id)) = s.split_once('/') else {
            return Err(KeyError::Form { text: s.to_owned() });
        };
        Key::new(authority, id)
    }

    /// The designating authority, e.g. `UK`, `UN`, `OFAC`, `EU`.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// The authority's identifier of the designation, e.g. `GIM0030`.
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.authority, self.id)
    }
}

/// The rule of an authority code, as messages state it.
const AUTHORITY_RULE: &str = "must be 1 to 16 characters of A-Z, 0-9, _ or -";
/// The rule of a designation id, as messages state it.
const ID_RULE: &str = "must be 1 to 64 printable characters without spaces or `/`";

/// Why a designation key, an authority or an id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The text is not `AUTHORITY/ID`.
    #[error("`{text}` is not a designation key of the form AUTHORITY/ID (e.g. UK/GIM0030)")]
    Form {
        /// The text as given.
        text: String,
    },
    /// The authority contains an invisible character.
    #[error("authority `{authority}` contains {code_point}, an invisible character; it {AUTHORITY_RULE}")]
    AuthorityInvisible {
        /// The authority as given.
        authority: String,
        /// The character, as `U+XXXX`.
        code_point: String,
    },
    /// The authority would be valid in upper case.
    #[error("authority `{authority}` must be upper case: `{}` ({AUTHORITY_RULE})", authority.to_ascii_uppercase())]
    AuthorityCase {
        /// The authority as given.
        authority: String,
    },
    /// The authority breaks the rule otherwise.
    #[error("authority `{authority}` {AUTHORITY_RULE}")]
    Authority {
        /// The authority as given.
        authority: String,
    },
    /// The id contains an invisible format character.
    #[error(
        "id `{id}` contains {code_point}, an invisible format character; an id {ID_RULE} and no invisible characters"
    )]
    IdInvisible {
        /// The id as given.
        id: String,
        /// The character, as `U+XXXX`.
        code_point: String,
    },
    /// The id contains a control character.
    #[error("id `{id}` contains the control character {code_point}; an id {ID_RULE}")]
    IdControl {
        /// The id as given.
        id: String,
        /// The character, as `U+XXXX`.
        code_point: String,
    },
    /// The id breaks the rule otherwise.
    #[error("id `{id}` {ID_RULE}")]
    Id {
        /// The id as given.
        id: String,
    },
}

/// The message, where a reason is text (a field's or a list row's refusal).
impl From<KeyError> for String {
    fn from(e: KeyError) -> String {
        e.to_string()
    }
}

/// Checks an authority code: 1 to 16 of `A-Z`, `0-9`, `_`, `-`.
pub fn check_authority(a: &str) -> Result<(), KeyError> {
    let allowed = |c: char| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '-';
    // An invisible character is named by its code point: the code as printed looks right.
    if let Some(c) = a.chars().find(|c| crate::names::is_format(*c) || c.is_control()) {
        return Err(KeyError::AuthorityInvisible { authority: a.to_owned(), code_point: code_point(c) });
    }
    if (1..=16).contains(&a.len()) && a.chars().all(allowed) {
        Ok(())
    } else if a != a.to_ascii_uppercase() && check_authority(&a.to_ascii_uppercase()).is_ok() {
        Err(KeyError::AuthorityCase { authority: a.to_owned() })
    } else {
        Err(KeyError::Authority { authority: a.to_owned() })
    }
}

/// Checks a designation id: 1 to 64 printable characters without spaces, `/` or invisible format
/// characters (Unicode category Cf: zero-width spaces, soft hyphens, direction marks and
/// overrides, ...), which would make two ids that print alike different keys.
pub fn check_id(id: &str) -> Result<(), KeyError> {
    if let Some(c) = id.chars().find(|c| crate::names::is_format(*c)) {
        return Err(KeyError::IdInvisible { id: id.to_owned(), code_point: code_point(c) });
    }
    if let Some(c) = id.chars().find(|c| c.is_control()) {
        return Err(KeyError::IdControl { id: id.to_owned(), code_point: code_point(c) });
    }
    if (1..=64).contains(&id.chars().count()) && id.chars().all(|c| !c.is_whitespace() && c != '/') {
        Ok(())
    } else {
        Err(KeyError::Id { id: id.to_owned() })
    }
}

fn code_point(c: char) -> String {
    crate::names::code_point(c)
}

/// An event as an operator writes it: one JSON object per line of an append batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
// Events are built once and moved rarely; boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[serde(tag = "type", rename_all = "snake_case")]
#[schemars(title = "Input event", description = "One line of a `ledger append` batch.")]
pub enum InputEvent {
    /// A designation, or a relisting of a delisted key.
    Designation(Designation),
    /// A variation of a designation in force.
    Amendment(Amendment),
    /// The end of a designation.
    Delisting(Delisting),
    /// A statement that an earlier event was recorded in error.
    Retraction(Retraction),
}

/// Every event of the chain: the input events and the genesis event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[allow(clippy::large_enum_variant)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// Event 0, written by `init`.
    Genesis(Genesis),
    /// A designation, or a relisting of a delisted key.
    Designation(Designation),
    /// A variation of a designation in force.
    Amendment(Amendment),
    /// The end of a designation.
    Delisting(Delisting),
    /// A statement that an earlier event was recorded in error.
    Retraction(Retraction),
}

impl InputEvent {
    /// The designation key this event acts on (none for retractions). Its parts are checked when
    /// the event is validated; before that, it may name a key no lookup finds.
    pub fn key(&self) -> Option<Key> {
        let (authority, id) = match self {
            InputEvent::Designation(d) => (&d.authority, &d.id),
            InputEvent::Amendment(a) => (&a.authority, &a.id),
            InputEvent::Delisting(d) => (&d.authority, &d.id),
            InputEvent::Retraction(_) => return None,
        };
        Some(Key::new_unchecked(authority.clone(), id.clone()))
    }
}

impl From<InputEvent> for Event {
    fn from(e: InputEvent) -> Event {
        match e {
            InputEvent::Designation(d) => Event::Designation(d),
            InputEvent::Amendment(a) => Event::Amendment(a),
            InputEvent::Delisting(d) => Event::Delisting(d),
            InputEvent::Retraction(r) => Event::Retraction(r),
        }
    }
}

impl Event {
    /// The designation key this event acts on (none for genesis and retractions). Recorded
    /// events passed validation, so their keys are valid.
    pub fn key(&self) -> Option<Key> {
        let (authority, id) = match self {
            Event::Designation(d) => (&d.authority, &d.id),
            Event::Amendment(a) => (&a.authority, &a.id),
            Event::Delisting(d) => (&d.authority, &d.id),
            Event::Genesis(_) | Event::Retraction(_) => return None,
        };
        Some(Key::new_unchecked(authority.clone(), id.clone()))
    }

    /// The legal-effect time (none for genesis and retractions).
    pub fn effective(&self) -> Option<Effective> {
        match self {
            Event::Designation(d) => Some(d.effective),
            Event::Amendment(a) => Some(a.effective),
            Event::Delisting(d) => Some(d.effective),
            Event::Genesis(_) | Event::Retraction(_) => None,
        }
    }

    /// The list an event was imported from (none for an event entered by hand, genesis and
    /// retractions).
    pub fn import(&self) -> Option<&Provenance> {
        match self {
            Event::Designation(d) => d.import.as_ref(),
            Event::Amendment(a) => a.import.as_ref(),
            Event::Delisting(d) => d.import.as_ref(),
            Event::Genesis(_) | Event::Retraction(_) => None,
        }
    }

    /// The `type` tag.
    pub fn type_name(&self) -> &'static str {
        match self {
            Event::Genesis(_) => "genesis",
            Event::Designation(_) => "designation",
            Event::Amendment(_) => "amendment",
            Event::Delisting(_) => "delisting",
            Event::Retraction(_) => "retraction",
        }
    }
}

/// The genesis event: names the ledger and its format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// The ledger's name; also the origin line of its checkpoints.
    pub ledger: String,
    /// The recorded-event format version ([`FORMAT_VERSION`]).
    pub format: u32,
}

/// A designation: the whole record of one designated person, entity or ship.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Designation {
    /// The designating authority (`UK`, `UN`, `OFAC`, `EU`, ...).
    pub authority: String,
    /// The authority's identifier of the designation.
    pub id: String,
    /// When the designation took legal effect.
    pub effective: Effective,
    /// The sanctions regime it is made under.
    pub regime: Regime,
    /// Who or what is designated.
    pub subject: Subject,
    /// The measures imposed: codes of the ledger's vocabulary (`asset_freeze`, `travel_ban`,
    /// ...) or `custom:CODE` for another (`custom:port_ban`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("items" = {"type": "string", "pattern": MEASURE_PATTERN}))]
    pub measures: Vec<String>,
    /// The statement of reasons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Where the designation was published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Anything else the authority publishes, free-form (integers only, no floating point).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<Map<String, Value>>,
    /// When the authority published this act.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<Date>,
    /// An operator's note; not part of the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Provenance, when the event was derived from a published list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<Provenance>,
}

impl Designation {
    /// The key designated. Its parts are checked when the event is validated; before that, it
    /// may name a key no lookup finds.
    pub fn key(&self) -> Key {
        Key::new_unchecked(self.authority.clone(), self.id.clone())
    }

    /// The record this designation establishes.
    pub fn record(&self) -> Record {
        Record {
            authority: self.authority.clone(),
            id: self.id.clone(),
            regime: self.regime.clone(),
            subject: self.subject.clone(),
            measures: self.measures.clone(),
            reason: self.reason.clone(),
            source: self.source.clone(),
            other: self.other.clone(),
        }
    }
}

/// A variation of a designation: an RFC 7396 JSON Merge Patch over its [`Record`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Amendment {
    /// The designating authority.
    pub authority: String,
    /// The authority's identifier of the designation.
    pub id: String,
    /// When the variation took legal effect.
    pub effective: Effective,
    /// The merge patch over the record; may touch `regime`, `subject`, `measures`, `reason`,
    /// `source` and `other`, never `authority` or `id`.
    #[schemars(extend("minProperties" = 1, "propertyNames" = {"enum": PATCHABLE_FIELDS}))]
    pub patch: Map<String, Value>,
    /// Why the designation was varied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the authority published this act.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<Date>,
    /// An operator's note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Provenance, when the event was derived from a published list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<Provenance>,
}

/// The end of a designation. A later designation of the same key is a relisting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Delisting {
    /// The designating authority.
    pub authority: String,
    /// The authority's identifier of the designation.
    pub id: String,
    /// When the delisting took legal effect.
    pub effective: Effective,
    /// Why the designation ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the authority published this act.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<Date>,
    /// An operator's note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Provenance, when the event was derived from a published list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<Provenance>,
}

/// A statement that event `target` was recorded in error. Nothing is edited or deleted: as of
/// the retraction's `recorded_at`, the target no longer counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retraction {
    /// The seq of the retracted event: a designation, amendment or delisting.
    pub target: Seq,
    /// Why the target was recorded in error.
    pub reason: String,
    /// When the authority published the correction, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<Date>,
    /// An operator's note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The designation record: what a designation states and amendments vary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The designating authority.
    pub authority: String,
    /// The authority's identifier of the designation.
    pub id: String,
    /// The sanctions regime.
    pub regime: Regime,
    /// Who or what is designated.
    pub subject: Subject,
    /// The measures imposed: known codes or `custom:CODE`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("items" = {"type": "string", "pattern": MEASURE_PATTERN}))]
    pub measures: Vec<String>,
    /// The statement of reasons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Where it was published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Anything else, free-form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<Map<String, Value>>,
}

/// A sanctions regime.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Regime {
    /// The regime's short code, e.g. `GIM`.
    pub code: String,
    /// The regime's full name, e.g. the regulations' title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// What kind of subject is designated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// A person.
    Individual,
    /// A company, group or other organisation.
    Entity,
    /// A ship.
    Ship,
}

impl SubjectKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Individual => "individual",
            SubjectKind::Entity => "entity",
            SubjectKind::Ship => "ship",
        }
    }
}

/// The designated person, entity or ship.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    /// Individual, entity or ship.
    pub kind: SubjectKind,
    /// Its names: at least one, normally one `primary`.
    #[schemars(length(min = 1))]
    pub names: Vec<Name>,
    /// A person's title (Mr, Dr, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Dates of birth as published, with their precision.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dates_of_birth: Vec<DateOfBirth>,
    /// Places of birth.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub places_of_birth: Vec<Place>,
    /// Nationalities as published.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nationalities: Vec<String>,
    /// Gender as published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// Position or role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    /// Addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<Address>,
    /// Passports, national identifiers, IMO numbers, registration numbers, ...
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifiers: Vec<Identifier>,
}

/// One name of a subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Name {
    /// The full name as published.
    pub name: String,
    /// Primary name, a variation of it, or an alias.
    #[serde(rename = "type")]
    pub name_type: NameType,
    /// The strength of an alias, where the authority gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<AliasQuality>,
    /// The script of a non-Latin name (e.g. `Cyrillic`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
}

/// The type of a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NameType {
    /// The primary name.
    Primary,
    /// A variation of the primary name (spelling, transliteration).
    Variation,
    /// An alias (a.k.a.).
    Alias,
}

impl NameType {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            NameType::Primary => "primary",
            NameType::Variation => "variation",
            NameType::Alias => "alias",
        }
    }
}

/// The strength of an alias.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AliasQuality {
    /// A good-quality a.k.a.
    Good,
    /// A low-quality a.k.a.
    Low,
}

/// A date of birth as published: `1975-03-12`, `1975-03` or `1975` (the precision is the form).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DateOfBirth {
    /// The date, or its start when `to` is given.
    #[schemars(regex(pattern = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"))]
    pub date: String,
    /// The end of a range of possible dates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"))]
    pub to: Option<String>,
    /// The authority gives it as approximate (circa).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub approximate: bool,
}

/// A place (of birth).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Place {
    /// Town or city.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub town: Option<String>,
    /// Region, state or province.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// Street lines, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<String>,
    /// Town or city.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub town: Option<String>,
    /// Region, state or province.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// An identifying document or number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Identifier {
    /// What it is, snake_case: `passport`, `national_id`, `imo`, `registration`, ...
    pub kind: String,
    /// The number as published.
    pub value: String,
    /// The issuing country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Further details as published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Where a designation was published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The notice's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The notice's publication date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<Date>,
    /// A hash of the notice document, as `algorithm:hex`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_hash: Option<String>,
}

/// Where an imported event came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// The list format (`uk-csv`, `uk-xml`, `un-xml`, `eu-xml`, ...).
    pub format: String,
    /// The file's name, without its directory (OFAC's legacy CSV: its files' names).
    pub file: String,
    /// BLAKE3 of the file's bytes, lowercase hex.
    pub blake3: String,
    /// The file's size in bytes (absent in events imported before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// The report date the list carries.
    pub report_date: Date,
    /// The importer's name and version.
    pub importer: String,
}

/// A recorded event: an [`Event`] in the envelope the ledger assigns.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedEvent {
    /// Position in the chain; 0 is the genesis event.
    pub seq: Seq,
    /// Hash of event `seq - 1` (64 zeros for the genesis event).
    pub prev: Hash,
    /// When the ledger recorded it (the knowledge axis).
    pub recorded_at: Timestamp,
    /// Who appended it.
    pub actor: String,
    /// The event itself.
    pub event: Event,
    /// Hash of the canonical form of everything above.
    pub hash: Hash,
}

/// The envelope members of a recorded event, in the order they are documented.
pub const ENVELOPE_FIELDS: &[&str] = &["seq", "prev", "recorded_at", "actor", "hash"];

impl RecordedEvent {
    /// The JSON object of the event without its `hash` member: what is canonicalized and hashed.
    pub fn unhashed_value(seq: Seq, prev: &Hash, recorded_at: Timestamp, actor: &str, event: &Event) -> Value {
        let mut map = match serde_json::to_value(event) {
            Ok(Value::Object(map)) => map,
            // An internally tagged enum of structs always serializes to an object.
            _ => unreachable!("events serialize to JSON objects"),
        };
        map.insert("seq".into(), Value::from(seq.get()));
        map.insert("prev".into(), Value::String(prev.to_hex()));
        map.insert("recorded_at".into(), Value::String(recorded_at.to_string()));
        map.insert("actor".into(), Value::String(actor.to_owned()));
        Value::Object(map)
    }

    /// The full JSON object, `hash` included.
    pub fn to_value(&self) -> Value {
        let mut v = Self::unhashed_value(self.seq, &self.prev, self.recorded_at, &self.actor, &self.event);
        if let Value::Object(map) = &mut v {
            map.insert("hash".into(), Value::String(self.hash.to_hex()));
        }
        v
    }

    /// Reads a recorded event from its JSON object (with or without `hash`; when absent, `hash`
    /// is taken from `hash`). Unknown members are refused.
    pub fn from_value(value: Value, hash: Option<Hash>) -> Result<RecordedEvent, DecodeError> {
        let bad = |what: String| DecodeError(what);
        let Value::Object(mut map) = value else {
            return Err(bad("a recorded event must be a JSON object".into()));
        };
        let not_a_seq = || bad("`seq` must be a non-negative integer".into());
        let seq = match map.remove("seq") {
            Some(Value::Number(n)) => Seq::new(n.as_u64().ok_or_else(not_a_seq)?),
            Some(_) => return Err(not_a_seq()),
            None => return Err(bad("missing field `seq`".into())),
        };
        let mut take_str = |name: &str| match map.remove(name) {
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(bad(format!("`{name}` must be a string"))),
            None => Err(bad(format!("missing field `{name}`"))),
        };
        let prev = Hash::from_hex(&take_str("prev")?).map_err(|e| bad(format!("`prev`: {e}")))?;
        let recorded_at =
            Timestamp::parse(&take_str("recorded_at")?).map_err(|e| bad(format!("`recorded_at`: {e}")))?;
        let actor = take_str("actor")?;
        let stated = match map.remove("hash") {
            Some(Value::String(s)) => Some(Hash::from_hex(&s).map_err(|e| bad(format!("`hash`: {e}")))?),
            Some(_) => return Err(bad("`hash` must be a string".into())),
            None => None,
        };
        let hash = stated.or(hash).ok_or_else(|| bad("missing field `hash`".into()))?;
        let event = Event::from_map(map)?;
        Ok(RecordedEvent { seq, prev, recorded_at, actor, event, hash })
    }
}

impl Event {
    /// Reads an event of type `tag` from the JSON text of its object without the `type` member
    /// (and without the envelope). The same as deserializing an [`Event`]; a refusal names the
    /// field at fault.
    pub fn from_body(tag: &str, body: &[u8]) -> Result<Event, DecodeError> {
        Event::by_tag(tag, Body(body))
    }

    /// Reads an event from its JSON object, `type` member included. The same as deserializing
    /// an [`Event`], without serde's buffering of internally tagged enums: the `type` member
    /// chooses the struct, which is read from the object's remaining members.
    pub fn from_map(mut map: Map<String, Value>) -> Result<Event, DecodeError> {
        let tag = match map.remove("type") {
            Some(Value::String(t)) => t,
            Some(_) => return Err(DecodeError("`type` must be a string".into())),
            None => return Err(DecodeError("missing field `type`".into())),
        };
        Event::by_tag(&tag, map)
    }

    /// The event of type `tag`, its struct read from `members`.
    fn by_tag(tag: &str, members: impl Members) -> Result<Event, DecodeError> {
        Ok(match tag {
            "genesis" => Event::Genesis(members.read()?),
            "designation" => Event::Designation(members.read()?),
            "amendment" => Event::Amendment(members.read()?),
            "delisting" => Event::Delisting(members.read()?),
            "retraction" => Event::Retraction(members.read()?),
            other => {
                return Err(DecodeError(format!(
                    "unknown variant `{other}`, expected one of `genesis`, `designation`, `amendment`, `delisting`, `retraction`"
                )));
            }
        })
    }
}

/// The members of an event's object (without `type`), as text or as a map.
trait Members {
    fn read<T: serde::de::DeserializeOwned>(self) -> Result<T, DecodeError>;
}

struct Body<'a>(&'a [u8]);

impl Members for Body<'_> {
    fn read<T: serde::de::DeserializeOwned>(self) -> Result<T, DecodeError> {
        read_slice(self.0)
    }
}

impl Members for Map<String, Value> {
    fn read<T: serde::de::DeserializeOwned>(self) -> Result<T, DecodeError> {
        serde_path_to_error::deserialize(Value::Object(self)).map_err(|e| DecodeError(describe_serde_error(e)))
    }
}

/// Deserializes JSON text; a refusal is read again, for the path of its problem.
pub(crate) fn read_slice<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    serde_json::from_slice(bytes).map_err(|e| {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        DecodeError(
            serde_path_to_error::deserialize::<_, T>(&mut de).err().map(describe_serde_error).unwrap_or(e.to_string()),
        )
    })
}

/// Deserializes a JSON value found at member `at` of its object (`""`: the value is the whole
/// thing); a refusal is read again, for the path of its problem below `at`.
pub(crate) fn read_value<T: serde::de::DeserializeOwned>(v: &Value, at: &str) -> Result<T, DecodeError> {
    T::deserialize(v).map_err(|e| {
        DecodeError(
            serde_path_to_error::deserialize::<_, T>(v)
                .err()
                .map(|e| describe_serde_error_at(e, at))
                .unwrap_or(e.to_string()),
        )
    })
}

/// Why JSON does not read as an event (or a part of one): serde's reason, naming the field at
/// fault by its path (`field `subject.names[0].type`: unknown variant ...`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(String);

/// Formats a deserialization error with the path of the offending field.
pub(crate) fn describe_serde_error(e: serde_path_to_error::Error<serde_json::Error>) -> String {
    describe_serde_error_at(e, "")
}

/// [`describe_serde_error`] for a value found at member `at` of its object.
fn describe_serde_error_at(e: serde_path_to_error::Error<serde_json::Error>, at: &str) -> String {
    let path = e.path().to_string();
    let inner = e.into_inner().to_string();
    match (at, path.as_str()) {
        ("", "." | "") => inner,
        ("", path) => format!("field `{path}`: {inner}"),
        (at, "." | "") => format!("field `{at}`: {inner}"),
        (at, path) => format!("field `{at}.{path}`: {inner}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_measure_pattern_is_the_vocabulary() {
        let known: Vec<&str> = KNOWN_MEASURES.iter().map(|(c, _)| *c).collect();
        assert_eq!(MEASURE_PATTERN, format!("^({}|custom:[a-z][a-z0-9_]{{0,63}})$", known.join("|")));
    }

    #[test]
    fn measures_are_known_or_custom() {
        for ok in ["asset_freeze", "charter_ban", "custom:port_ban", "custom:x1"] {
            assert!(check_measure(ok).is_ok(), "{ok}");
        }
        let long = format!("custom:{}", "x".repeat(65));
        for bad in ["port_ban", "custom:", "custom:Port", "custom:1x", "custom:port ban", "Asset freeze", &long] {
            assert!(check_measure(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ids_and_authorities_refuse_invisible_characters() {
        let e = check_id("GIM\u{200b}0030").unwrap_err().to_string();
        assert!(e.contains("U+200B"), "{e}");
        for c in ['\u{ad}', '\u{200e}', '\u{202e}', '\u{2066}', '\u{feff}'] {
            assert!(check_id(&format!("GIM{c}1")).is_err(), "{c:?}");
        }
        assert!(check_authority("U\u{200b}K").unwrap_err().to_string().contains("U+200B"));
        assert!(check_id("QDi.001").is_ok());
    }
}
