//! The answer of an import, as `ledger import --format json` prints it: a compatibility promise,
//! described by `schemas/import.schema.json` ([`crate::schema`]).

use ledger_core::chain::Head;
use ledger_core::event::InputEvent;
use ledger_core::time::Date;

use crate::Format;
use crate::changes::{HandEntered, KeyChange};
use crate::format::Parsed;
use crate::reconcile::{ImportPlan, Summary};

/// What an import read, what it appended (or, in a dry run, would append), and the head after it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct ImportOutput {
    /// The list's layout.
    pub list: Format,
    /// The file as it was named (a path, `-` for standard input; for ofac-csv, the directory or
    /// files given, space-separated).
    pub file: String,
    /// BLAKE3 of the file's bytes, lowercase hex (for ofac-csv, of the manifest of its files).
    pub blake3: String,
    /// The file's size in bytes (for ofac-csv, the files' total).
    pub size: u64,
    /// The list's authority (`UK`, `UN`, `EU`, `OFAC`).
    pub authority: String,
    /// The list's report date.
    pub report_date: Date,
    /// Whether nothing was written (`--dry-run`).
    pub dry_run: bool,
    /// The events by type and by regime.
    pub summary: Summary,
    /// The ledger's head after the import; `null` in a dry run.
    pub head: Option<Head>,
    /// The events it would append, in order: only in a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<InputEvent>>,
    /// What it does to each designation, field by field, in words (the events' order).
    pub changes: Vec<KeyChange>,
    /// The values entered by hand that it overwrites, removes or reverses (only with
    /// `--override-manual`: without it such an import is refused).
    pub hand_entered: Vec<HandEntered>,
}

/// A series of dated lists of one layout imported in report-date order (`ledger import FORMAT
/// FILE FILE...` or `--series DIR`), one reconciliation and one batch each.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct SeriesOutput {
    /// Each list's import, in report-date order (without the field-by-field changes, which a
    /// list of its own prints).
    pub imports: Vec<ImportOutput>,
    /// How many lists were imported.
    pub lists: usize,
    /// How many events they appended in all.
    pub events: usize,
    /// The ledger's head after the last.
    pub head: Option<Head>,
}

impl ImportOutput {
    /// How many events the import appended (or, in a dry run, would append).
    pub fn events(&self) -> usize {
        self.summary.designations + self.summary.amendments + self.summary.delistings
    }

    /// The answer for `parsed` (named `file`), planned as `plan`: appended with `head` as the new
    /// head, or, without one, a dry run that lists the planned events.
    pub fn new(file: &str, parsed: &Parsed, plan: &ImportPlan, head: Option<Head>) -> Self {
        let dry_run = head.is_none();
        let snapshot = &parsed.snapshot;
        ImportOutput {
            list: snapshot.format,
            file: file.to_owned(),
            blake3: parsed.source.blake3.clone(),
            size: parsed.source.size,
            authority: snapshot.authority.clone(),
            report_date: snapshot.report_date,
            dry_run,
            summary: plan.summary.clone(),
            head,
            events: dry_run.then(|| plan.events.iter().map(|n| n.event.clone()).collect()),
            changes: plan.changes.clone(),
            hand_entered: plan.hand_entered.clone(),
        }
    }
}
