//! Reading the chain: `head`, `log` and the whole-ledger `verify`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::chain::Head;
use crate::error::Result;
use crate::event::RecordedEvent;
use crate::ledger::Ledger;
use crate::progress::Progress;
use crate::seq::Seq;
use crate::view::View;

/// A ledger and its head: the answer of `ledger head`, and of `ledger init` (the genesis event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(
    title = "Head",
    description = "A ledger's last event: `ledger head --format json` and `ledger init --format json`."
)]
pub struct HeadOutput {
    /// The last event of the chain.
    pub head: Head,
    /// The ledger's directory, as given.
    pub ledger: String,
}

impl HeadOutput {
    /// The ledger's head now.
    pub fn of(ledger: &Ledger) -> Result<HeadOutput> {
        Ok(HeadOutput::new(ledger, ledger.head()?))
    }

    /// The ledger with this head.
    pub fn new(ledger: &Ledger, head: Head) -> HeadOutput {
        HeadOutput { head, ledger: ledger.path().display().to_string() }
    }
}

/// `ledger head`: the last event.
pub fn head(ledger: &Ledger) -> Result<HeadOutput> {
    HeadOutput::of(ledger)
}

/// `ledger log`: the recorded events from seq `from` on to the view's head, at most `limit` of
/// them. Each is written as [`RecordedEvent::to_value`] gives it (its members in canonical
/// order), one a line.
pub fn log<'a>(view: &View<'a>, from: Seq, limit: Option<u64>) -> impl Iterator<Item = Result<RecordedEvent>> + 'a {
    let to_head = view.head().seq.get().saturating_add(1).saturating_sub(from.get());
    let n = limit.unwrap_or(u64::MAX).min(to_head);
    view.ledger().events(from).take(usize::try_from(n).unwrap_or(usize::MAX))
}

pub use crate::verify::Failure as VerifyFailure;

/// The report of a whole-ledger verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(
    title = "Verify",
    description = "Every hash, link, seq, lifecycle rule, the index and the Merkle tree re-checked: `ledger verify --format json`."
)]
pub struct VerifyOutput {
    /// How many events were checked (up to the failure, if there is one).
    pub checked: u64,
    /// The first thing found wrong; null when the ledger verified.
    pub failure: Option<VerifyFailure>,
    /// The head the ledger claims.
    pub head: Head,
    /// Whether everything verified (`failure` is null).
    pub ok: bool,
    /// With `--checkpoint`: the ledger extends that checkpoint (null without one, or when the
    /// verification failed before it was checked).
    pub checkpoint: Option<crate::ops::audit::CheckpointCheck>,
}

/// `ledger verify`: re-reads the whole log and re-derives everything the store holds.
pub fn verify(ledger: &Ledger, progress: &dyn Progress) -> Result<VerifyOutput> {
    let report = crate::verify::verify_with(ledger, progress)?;
    Ok(VerifyOutput {
        checked: report.checked,
        ok: report.failure.is_none(),
        failure: report.failure,
        head: report.head,
        checkpoint: None,
    })
}
