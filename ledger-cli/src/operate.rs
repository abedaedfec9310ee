//! The operator commands: `designate`, `amend`, `delist` and `retract`. Each builds the same input
//! event that `append` takes from its flags, has the core check it and project its effect
//! ([`ledger_core::ops::operate::preview`]), shows both, asks, and appends it.

use std::io::{BufRead, IsTerminal, Write};

use ledger_core::event::{
    DateOfBirth, Delisting, Designation, InputEvent, Name, NameType, Regime, Retraction, Source, Subject,
};
use ledger_core::ops::operate::{self, AmendRequest, OperateError, PatchError, Preview};
use ledger_core::seq::Seq;
use ledger_core::time::Clock;
use ledger_core::{Error, Ledger};

use crate::cli::{AmendArgs, DelistArgs, DesignateArgs, Format, RetractArgs, WriteArgs};
use crate::output;
use crate::queries::print_designation;
use crate::{Failure, exit};

/// Who and when: what every write needs to prepare its event.
pub struct Context<'a> {
    /// The open ledger.
    pub ledger: &'a Ledger,
    /// The recorded actor.
    pub actor: &'a str,
    /// The clock.
    pub clock: &'a dyn Clock,
    /// The output format.
    pub format: Format,
}

/// The failure for an operator's event that was not built or not appended: a measure outside
/// the vocabulary is a usage error (`--measure`); what the ledger refused is bad data, and
/// nothing was written.
fn failure(e: OperateError) -> Failure {
    match e {
        e @ OperateError::Refused { error: Error::Input(_), .. } => {
            Failure::new(exit::DATA, format!("{e}\n  nothing was written"))
        }
        OperateError::Ledger(e) | OperateError::Refused { error: e, .. } => e.into(),
        OperateError::Measure(reason) => Failure::new(exit::USAGE, format!("--measure {reason}")),
        e => Failure::new(exit::DATA, format!("{e}\n  nothing was written")),
    }
}

fn read_file(path: &std::path::Path) -> Result<String, Failure> {
    std::fs::read_to_string(path)
        .map_err(|e| Failure::new(exit::NO_LEDGER, format!("cannot read {}: {e}", path.display())))
}

/// `ledger designate`.
pub fn designate(cx: &Context, out: &mut impl Write, a: &DesignateArgs) -> Result<Pending, Failure> {
    let reason = match (&a.reason, &a.reason_file) {
        (Some(r), _) => Some(r.clone()),
        (None, Some(path)) => Some(read_file(path)?.trim_end().to_owned()),
        (None, None) => None,
    };
    let name = |name: &str, name_type| Name { name: name.to_owned(), name_type, quality: None, script: None };
    let mut names = vec![name(&a.name, NameType::Primary)];
    names.extend(a.name_variation.iter().map(|n| name(n, NameType::Variation)));
    names.extend(a.alias.iter().map(|n| name(n, NameType::Alias)));
    let d = Designation {
        authority: a.key.authority().to_owned(),
        id: a.key.id().to_owned(),
        effective: a.effective,
        regime: Regime { code: a.regime.clone(), name: a.regime_name.clone() },
        subject: Subject {
            kind: a.kind.into(),
            names,
            title: None,
            dates_of_birth: a
                .dob
                .iter()
                .map(|d| DateOfBirth { date: d.clone(), to: None, approximate: false })
                .collect(),
            places_of_birth: Vec::new(),
            nationalities: a.nationality.clone(),
            gender: None,
            position: None,
            addresses: Vec::new(),
            identifiers: Vec::new(),
        },
        measures: a.measure.iter().map(|m| operate::measure(m)).collect::<Result<_, _>>().map_err(failure)?,
        reason,
        source: a.source_url.as_ref().map(|url| Source {
            url: Some(url.clone()),
            published: None,
            document_hash: None,
        }),
        other: None,
        published: a.published,
        note: a.write.note.clone(),
        import: None,
    };
    prepare(cx, out, InputEvent::Designation(d), &a.write)
}

/// `ledger amend`.
pub fn amend(cx: &Context, out: &mut impl Write, a: &AmendArgs) -> Result<Pending, Failure> {
    let patch = match &a.patch {
        None => Default::default(),
        Some(path) => operate::parse_patch(read_file(path)?.as_bytes()).map_err(|e| {
            let nothing = if matches!(e, PatchError::Malformed(_)) { "\n  nothing was written" } else { "" };
            Failure::new(exit::DATA, format!("{}: {e}{nothing}", path.display()))
        })?,
    };
    let request = AmendRequest {
        patch,
        add_alias: a.add_alias.clone(),
        remove_name: a.remove_name.clone(),
        add_measure: a.add_measure.clone(),
        remove_measure: a.remove_measure.clone(),
        set_reason: a.set_reason.clone(),
    };
    let amendment =
        operate::amendment(cx.ledger, &a.key, a.effective, &request, a.reason.clone(), a.write.note.clone())
            .map_err(failure)?;
    prepare(cx, out, InputEvent::Amendment(amendment), &a.write)
}

/// `ledger delist`.
pub fn delist(cx: &Context, out: &mut impl Write, a: &DelistArgs) -> Result<Pending, Failure> {
    let event = InputEvent::Delisting(Delisting {
        authority: a.key.authority().to_owned(),
        id: a.key.id().to_owned(),
        effective: a.effective,
        reason: Some(a.reason.clone()),
        published: None,
        note: a.write.note.clone(),
        import: None,
    });
    prepare(cx, out, event, &a.write)
}

/// `ledger retract`.
pub fn retract(cx: &Context, out: &mut impl Write, a: &RetractArgs) -> Result<Pending, Failure> {
    let event = InputEvent::Retraction(Retraction {
        target: Seq::new(a.seq),
        reason: a.reason.clone(),
        published: None,
        note: a.write.note.clone(),
    });
    prepare(cx, out, event, &a.write)
}

/// An event checked against the ledger and shown with its effect, waiting to be appended.
pub struct Pending {
    preview: Preview,
    dry_run: bool,
    yes: bool,
}

/// Checks the event against the ledger and shows it and its effect: everything that needs the
/// ledger before the question is asked.
fn prepare(cx: &Context, out: &mut impl Write, event: InputEvent, w: &WriteArgs) -> Result<Pending, Failure> {
    let preview = operate::preview(cx.ledger, event, cx.actor, cx.clock).map_err(failure)?;
    match cx.format {
        Format::Json => {}
        Format::Table | Format::Csv => {
            // As a JSON value, so that its members are listed in order of name.
            let input =
                serde_json::to_value(preview.event()).map_err(|e| Failure::new(exit::INTERNAL, e.to_string()))?;
            writeln!(out, "event {} to append:", preview.seq)?;
            // JSON escapes control characters but not bidi overrides: escape for the terminal.
            writeln!(out, "{}", output::escape_lines(&serde_json::to_string_pretty(&input).unwrap_or_default()))?;
            if let Some(a) = &preview.after {
                writeln!(out, "\n{} as it will stand at {}, once event {} is recorded:", a.key, a.at, preview.seq)?;
                print_designation(out, a)?;
            }
        }
    }
    crate::caution::settle_event(out, &preview.batch, cx.clock.now(), w)?;
    Ok(Pending { preview, dry_run: w.dry_run, yes: w.yes })
}

impl Pending {
    /// Asks (at a terminal) and appends. The question is asked with the ledger closed, so that an
    /// operator who walks away from it locks no one out; the ledger is then opened again and the
    /// event checked again against its head, as every append is, before it is written.
    pub fn finish(
        self,
        ledger: Ledger,
        reopen: impl FnOnce() -> Result<Ledger, Failure>,
        actor: &str,
        clock: &dyn Clock,
        format: Format,
        out: &mut impl Write,
    ) -> Result<u8, Failure> {
        let mut appended = None;
        if !self.dry_run {
            out.flush()?;
            let ledger = if !self.yes && std::io::stdin().is_terminal() {
                drop(ledger);
                if !confirm()? {
                    writeln!(out, "not appended: nothing was written")?;
                    return Ok(exit::OK);
                }
                reopen()?
            } else {
                ledger
            };
            let head = ledger.head()?;
            if head != self.preview.checked_at && format != Format::Json {
                writeln!(
                    out,
                    "the ledger changed while the event waited (head {} → {}): it is checked again against the new head",
                    self.preview.checked_at.seq, head.seq
                )?;
            }
            let head = self.preview.append(&ledger, actor, clock).map_err(failure)?;
            crate::committed(&head);
            appended = Some(head);
        }
        match format {
            Format::Json => output::write_json(out, &self.preview.output(self.dry_run, appended))?,
            Format::Table | Format::Csv => match appended {
                Some(h) => writeln!(out, "\nappended event {}; head {} {}", h.seq, h.seq, h.hash)?,
                None => writeln!(out, "\ndry run: nothing was written")?,
            },
        }
        Ok(exit::OK)
    }
}

fn confirm() -> Result<bool, Failure> {
    eprint!("append this event? [y/N] ");
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}
