//! Writing the chain: `init` and `append`.

use std::path::Path;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::chain::Head;
use crate::error::{Error, Result};
use crate::event::InputEvent;
use crate::input::Numbered;
use crate::ledger::{DEFAULT_NAME, Ledger};
use crate::ops::read::HeadOutput;
use crate::progress::Progress;
use crate::time::Clock;

/// `ledger init`: creates a ledger with its genesis event, and answers with its head.
pub fn init(path: &Path, name: &str, actor: &str, clock: &dyn Clock, wait: Duration) -> Result<(Ledger, HeadOutput)> {
    let ledger = Ledger::init_waiting(path, name, actor, clock, wait)?;
    let head = HeadOutput::of(&ledger)?;
    Ok((ledger, head))
}

/// Opens the ledger at `path` to append to it; with `init`, creates it (with the default name)
/// when there is none.
pub fn open_to_append(path: &Path, init: bool, actor: &str, clock: &dyn Clock, wait: Duration) -> Result<Ledger> {
    match Ledger::open_waiting(path, wait) {
        Err(Error::NoLedger { .. }) if init => Ledger::init_waiting(path, DEFAULT_NAME, actor, clock, wait),
        other => other,
    }
}

/// What an append wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "Append", description = "A batch appended: `ledger append --format json`.")]
pub struct AppendOutput {
    /// How many events the batch appended.
    pub appended: usize,
    /// The head after the append (its last event).
    pub head: Head,
    /// The ledger's directory, as given.
    pub ledger: String,
}

/// `ledger append`: the whole batch, checked and written in one durable step, or nothing.
pub fn append(
    ledger: &Ledger,
    batch: &[Numbered<InputEvent>],
    actor: &str,
    clock: &dyn Clock,
    progress: &dyn Progress,
) -> Result<AppendOutput> {
    let done = ledger.append_with(batch, actor, clock, None, progress)?;
    Ok(AppendOutput { appended: done.count, head: done.head, ledger: ledger.path().display().to_string() })
}
