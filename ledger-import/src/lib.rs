//! Importing published lists: the adapters between the lists the authorities publish and the
//! ledger. A parser turns a list file into a [`Snapshot`]: what the authority says is in force
//! on its report date; [`parse`] is the one entry point, for any [`Format`]. Reconciliation
//! ([`reconcile::plan`]) compares a snapshot with the ledger, through the ledger's public API, and
//! derives the designations, amendments and delistings to append.
//!
//! Modules: [`uk`], [`un`], [`eu`], [`ofac`] (legacy CSV) and [`ofac_xml`] (advanced XML), one
//! parser each; `xml` (a streaming reader, one child of the root at a time) and `text`
//! (helpers every parser uses); [`reconcile`]; [`output`] (the import command's answer) and
//! [`schema`] (its JSON Schema).

pub mod changes;
pub mod eu;
mod format;
pub mod ofac;
pub mod ofac_xml;
pub mod operation;
pub mod output;
pub mod reconcile;
pub mod schema;
mod text;
pub mod uk;
pub mod un;
mod xml;

pub use format::{Format, ListFile, Parsed, ReadError, UnknownFormat, parse, parse_reader};
use ledger_core::event::Designation;
use ledger_core::time::Date;
use ledger_core::validate::{self, FieldError};

/// A published list as of its report date.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The authority (`UK`, `UN`, `EU`, `OFAC`).
    pub authority: String,
    /// The layout it was read from.
    pub format: Format,
    /// The date the list was generated.
    pub report_date: Date,
    /// Every designation it lists, in the file's order.
    pub designations: Vec<Listed>,
}

/// One designation as a list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    /// The designation, effective on its designation date, without provenance (`import` unset).
    pub designation: Designation,
    /// The dates on which the authority says it last updated the entry (latest last).
    pub last_updated: Vec<Date>,
    /// Where it is in the file (`line 12`, `INDIVIDUAL 3`), for messages.
    pub location: String,
}

/// Why a list file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {reason}")]
pub struct ParseError {
    /// Where: `line 12, column "Date Designated"`, `element INDIVIDUAL 3 (REFERENCE_NUMBER CDi.001)`.
    pub location: String,
    /// What is wrong.
    pub reason: String,
}

impl ParseError {
    /// A parse error at `location`.
    pub fn new(location: impl Into<String>, reason: impl Into<String>) -> Self {
        ParseError { location: location.into(), reason: reason.into() }
    }
}

/// Checks a parsed designation against the ledger's record rules and the limits every input
/// event meets (string sizes, item counts, nesting).
pub(crate) fn check(designation: &Designation, location: &str) -> Result<(), ParseError> {
    let refuse = |e: FieldError| {
        ParseError::new(
            location,
            format!("{} {}: field `{}`: {}", designation.authority, designation.id, e.field, e.reason),
        )
    };
    validate::check_record(&designation.record()).map_err(refuse)?;
    let value = serde_json::to_value(designation)
        .map_err(|e| ParseError::new(location, format!("{} {}: {e}", designation.authority, designation.id)))?;
    validate::check_limits(&value).map_err(refuse)
}
