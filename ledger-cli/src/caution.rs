//! Warnings about input that breaks no rule but looks mistyped (an effective date more than a
//! year ahead, or before 1945), and what they call for: at a terminal a question; elsewhere a
//! refusal (exit 4, nothing written) unless `--yes` accepts them. A ledger cannot forget an
//! event (a retraction withdraws it, but both stay), so an unattended job does not record a
//! probable typo on its own.

use std::io::{BufRead, IsTerminal, Write};

use ledger_core::caution::{Caution, unusual_dates};
use ledger_core::event::InputEvent;
use ledger_core::input::Numbered;
use ledger_core::time::Micros;

use crate::cli::WriteArgs;
use crate::{Failure, exit};

/// How many warnings are printed before the rest are counted.
const SHOWN: usize = 10;

fn warn(cautions: &[Caution], line: impl Fn(&Caution) -> String) {
    for c in cautions.iter().take(SHOWN) {
        eprintln!("ledger: warning: {}", line(c));
    }
    if cautions.len() > SHOWN {
        eprintln!("ledger: warning: and {} more", cautions.len() - SHOWN);
    }
}

fn unconfirmed(what: &str, n: usize) -> Failure {
    let dates = if n == 1 {
        "an effective date looks mistyped (see the warning above)".to_owned()
    } else {
        format!("{n} effective dates look mistyped (see the warnings above)")
    };
    Failure::new(
        exit::UNCONFIRMED,
        format!(
            "{what}: {dates}, and with no terminal to ask at, nothing was written\n  hint: correct {}, or run again with --yes to record {} as written",
            if n == 1 { "it" } else { "them" },
            if n == 1 { "it" } else { "them" }
        ),
    )
}

/// For `append`: warns about the batch read from `source`, and says whether to go on: yes with
/// `--yes`; the operator's answer where one can be asked (stdin is a terminal and not the batch);
/// otherwise a refusal.
pub fn settle_batch(batch: &[Numbered<InputEvent>], source: &str, now: Micros, yes: bool) -> Result<bool, Failure> {
    let cautions = unusual_dates(batch, now);
    if cautions.is_empty() {
        return Ok(true);
    }
    warn(&cautions, |c| format!("{source}: {c}"));
    if yes {
        return Ok(true);
    }
    if source == "-" || !std::io::stdin().is_terminal() {
        return Err(unconfirmed(source, cautions.len()));
    }
    let n = batch.len();
    eprint!(
        "append {n} event{} as {}? [y/N] ",
        if n == 1 { "" } else { "s" },
        if n == 1 { "it is" } else { "they are" }
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}

/// For `designate`, `amend` and `delist`: warns about the event, and refuses it where no one can
/// be asked (stdin is not a terminal) unless `--yes` or `--dry-run` was given. At a terminal the
/// command's own question follows the warning.
pub fn settle_event(
    out: &mut impl Write,
    batch: &[Numbered<InputEvent>],
    now: Micros,
    w: &WriteArgs,
) -> Result<(), Failure> {
    let cautions = unusual_dates(batch, now);
    if cautions.is_empty() {
        return Ok(());
    }
    // What was printed of the event first, then the warning under it.
    out.flush()?;
    warn(&cautions, |c| format!("{}: {}", c.key, c.reason));
    if w.yes || w.dry_run || std::io::stdin().is_terminal() {
        return Ok(());
    }
    Err(unconfirmed(&cautions[0].key, cautions.len()))
}
