//! The lifecycle rules of one designation key.
//!
//! Ordered by (`effective`, `seq`), the non-retracted events of a key must read
//! `designation amendment* (delisting designation amendment*)* delisting?`.

use std::fmt;

use crate::event::SubjectKind;
use crate::seq::Seq;
use crate::time::Micros;

/// What an event does to its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Act {
    /// Designates (or relists).
    Designation,
    /// Varies the record.
    Amendment,
    /// Ends the designation.
    Delisting,
}

impl Act {
    /// The event type name.
    pub fn as_str(self) -> &'static str {
        match self {
            Act::Designation => "designation",
            Act::Amendment => "amendment",
            Act::Delisting => "delisting",
        }
    }
}

/// One event of a key, as the per-key index holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyEntry {
    /// The event's seq.
    pub seq: Seq,
    /// Its legal effect, in microseconds.
    pub effective: Micros,
    /// When it was recorded, in microseconds.
    pub recorded_at: Micros,
    /// What it does.
    pub act: Act,
    /// Whether its legal effect was given as a date (rather than an instant).
    pub date: bool,
    /// The retraction that withdrew it.
    pub retracted_by: Option<RetractedBy>,
}

/// The retraction that withdrew an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetractedBy {
    /// The retraction's seq.
    pub seq: Seq,
    /// When the retraction was recorded, in microseconds.
    pub recorded_at: Micros,
}

impl KeyEntry {
    /// Whether the entry counts for a reader who knows what was recorded up to `as_of`.
    pub fn known_as_of(&self, as_of: Micros) -> bool {
        self.recorded_at <= as_of && self.retracted_by.is_none_or(|r| r.recorded_at > as_of)
    }
}

/// What the index holds for one designation key: the parts of its record that never change
/// (amendments and relistings must keep them), and every event of the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyIndex {
    /// The regime code the key is designated under.
    pub regime: String,
    /// The kind of subject.
    pub kind: SubjectKind,
    /// The record as all the key's events not retracted leave it (canonical JSON): what a query
    /// of the latest state reads instead of folding events.
    pub record: Option<Vec<u8>>,
    /// The key's events, in (`effective`, `seq`) order.
    pub entries: Vec<KeyEntry>,
}

impl KeyIndex {
    /// Whether the index holds an event after `head` (or a retraction after it of an earlier one).
    pub fn beyond(&self, head: Seq) -> bool {
        self.entries.iter().any(|e| e.seq > head || e.retracted_by.is_some_and(|r| r.seq > head))
    }

    /// The index as it stood when `head` was the ledger's last event: the events after it, and
    /// the retractions after it, left out. Entries up to a head never change afterwards (a later
    /// event only adds entries, or marks an earlier one retracted by a later seq), so this is a
    /// function of the head alone, whenever the index is read.
    pub fn pin(&mut self, head: Seq) {
        self.entries.retain(|e| e.seq <= head);
        for e in &mut self.entries {
            if e.retracted_by.is_some_and(|r| r.seq > head) {
                e.retracted_by = None;
            }
        }
    }

    /// Whether the events that count at (`at`, `as_of`) are all the key's events not retracted,
    /// so that the stored record is the answer.
    pub fn latest_at(&self, at: Micros, as_of: Micros) -> bool {
        self.entries.iter().all(|e| match e.retracted_by {
            None => e.effective <= at && e.recorded_at <= as_of,
            Some(r) => r.recorded_at <= as_of,
        })
    }
}

impl KeyEntry {
    /// The legal effect as it was written: a date or an instant.
    pub fn effective_text(&self) -> String {
        if self.date {
            crate::time::format_instant(self.effective).get(..10).unwrap_or_default().to_owned()
        } else {
            crate::time::format_instant(self.effective)
        }
    }
}

/// A broken lifecycle rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// A designation while the key is in force.
    DesignatedInForce,
    /// An amendment while the key is not in force.
    AmendedNotInForce,
    /// A delisting while the key is not in force.
    DelistedNotInForce,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Rule::DesignatedInForce => "designation of a key already in force (a relisting must follow a delisting)",
            Rule::AmendedNotInForce => {
                "amendment of a key not in force (before its designation or after its delisting)"
            }
            Rule::DelistedNotInForce => "delisting of a key not in force (not yet designated, or already delisted)",
        })
    }
}

/// The first event, in (`effective`, `seq`) order, that breaks a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Violation {
    /// The offending event.
    pub seq: Seq,
    /// The rule it breaks.
    pub rule: Rule,
}

/// Sorts entries into the order the rules and projections read them in.
pub fn sort(entries: &mut [KeyEntry]) {
    entries.sort_unstable_by_key(|e| (e.effective, e.seq));
}

/// Checks the entries of one key, counting those not retracted (by any retraction recorded).
/// `entries` must be sorted with [`sort`].
pub fn check(entries: &[KeyEntry]) -> Result<(), Violation> {
    let mut in_force = false;
    for e in entries.iter().filter(|e| e.retracted_by.is_none()) {
        let rule = match (e.act, in_force) {
            (Act::Designation, false) => {
                in_force = true;
                continue;
            }
            (Act::Amendment, true) => continue,
            (Act::Delisting, true) => {
                in_force = false;
                continue;
            }
            (Act::Designation, true) => Rule::DesignatedInForce,
            (Act::Amendment, false) => Rule::AmendedNotInForce,
            (Act::Delisting, false) => Rule::DelistedNotInForce,
        };
        return Err(Violation { seq: e.seq, rule });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Act::*;

    fn run(acts: &[(Act, i64)]) -> Result<(), Violation> {
        let mut entries: Vec<KeyEntry> = acts
            .iter()
            .enumerate()
            .map(|(i, &(act, effective))| KeyEntry {
                seq: Seq::new(i as u64 + 1),
                effective,
                recorded_at: i as i64,
                act,
                date: true,
                retracted_by: None,
            })
            .collect();
        sort(&mut entries);
        check(&entries)
    }

    #[test]
    fn the_grammar() {
        type Case = (&'static [(Act, i64)], Option<(u64, Rule)>);
        let cases: &[Case] = &[
            (&[(Designation, 1)], None),
            (&[(Designation, 1), (Amendment, 2), (Delisting, 3), (Designation, 4), (Amendment, 5)], None),
            (&[(Amendment, 1)], Some((1, Rule::AmendedNotInForce))),
            (&[(Delisting, 1)], Some((1, Rule::DelistedNotInForce))),
            (&[(Designation, 1), (Designation, 2)], Some((2, Rule::DesignatedInForce))),
            (&[(Designation, 1), (Delisting, 2), (Delisting, 3)], Some((3, Rule::DelistedNotInForce))),
            (&[(Designation, 1), (Delisting, 2), (Amendment, 3)], Some((3, Rule::AmendedNotInForce))),
            // Backdated: a delisting recorded first but effective after a later-recorded designation.
            (&[(Delisting, 5), (Designation, 1)], None),
            // Same effective time: seq decides.
            (&[(Designation, 1), (Delisting, 1)], None),
            (&[(Delisting, 1), (Designation, 1)], Some((1, Rule::DelistedNotInForce))),
        ];
        for (acts, want) in cases {
            let got = run(acts).err().map(|v| (v.seq.get(), v.rule));
            assert_eq!(&got, want, "{acts:?}");
        }
    }
}
