//! `import` as one operation: a parsed list reconciled with the ledger and, unless it is a dry
//! run, appended as one batch; the answer a front end prints or serves.

use ledger_core::input::LineError;
use ledger_core::progress::Progress;
use ledger_core::time::Clock;
use ledger_core::{Error, Ledger};

use crate::Parsed;
use crate::output::ImportOutput;
use crate::reconcile::{self, ImportPlan, Options, PlanError};

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Reconciliation refused the list (a guard, an older list, the ledger failing).
    #[error(transparent)]
    Plan(Box<PlanError>),
    /// The ledger refused an event of the plan: `place` names where it came from in the list.
    #[error("{place}{reason}")]
    Refused {
        /// `INDIVIDUAL 3 (UN/QDi.001), field `measures`: `, or empty when no event is to blame.
        place: String,
        /// Why.
        reason: String,
    },
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] Error),
}

impl From<PlanError> for ImportError {
    fn from(e: PlanError) -> Self {
        ImportError::Plan(Box::new(e))
    }
}

/// What to do with a parsed list.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The name messages give the list (its file's name).
    pub name: &'a str,
    /// The guards.
    pub options: &'a Options,
    /// Plan only: write nothing.
    pub dry_run: bool,
}

/// Reconciles `parsed` with the ledger and appends the plan as one batch marking the authority's
/// import (nothing when `dry_run`); the answer names the head appended at.
pub fn import(
    ledger: &Ledger,
    parsed: &Parsed,
    req: Request,
    actor: &str,
    clock: &dyn Clock,
    progress: &dyn Progress,
) -> Result<ImportOutput, ImportError> {
    let snapshot = &parsed.snapshot;
    progress.phase(&format!("reconciling {} listed designations", snapshot.designations.len()), None);
    let plan = reconcile::plan(ledger, snapshot, &parsed.source, req.options, clock)?;
    let head = if req.dry_run {
        None
    } else {
        let appended =
            ledger.append_with(&plan.events, actor, clock, Some(plan.mark.clone()), progress).map_err(|e| match e {
                Error::Input(l) => refused(&plan, &l),
                e => ImportError::Ledger(e),
            })?;
        Some(appended.head)
    };
    Ok(ImportOutput::new(req.name, parsed, &plan, head))
}

/// An event of the plan the ledger refuses. `line` is the event's position in the plan: the
/// message names where it came from in the list instead, and nothing when no event is to blame.
fn refused(plan: &ImportPlan, l: &LineError) -> ImportError {
    let at = l.line.checked_sub(1).and_then(|i| plan.locations.get(i));
    let key = l.key.as_deref();
    let field = l.field.as_ref().map(|f| format!(", field `{f}`")).unwrap_or_default();
    let place = match (at, key) {
        (Some(at), Some(key)) => format!("{at} ({key}){field}: "),
        (Some(at), None) => format!("{at}{field}: "),
        (None, Some(key)) => format!("{key}{field}: "),
        (None, None) => String::new(),
    };
    ImportError::Refused { place, reason: l.reason.clone() }
}
