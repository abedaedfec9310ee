//! Input that breaks no rule but looks like a typing error: an effective date more than a year
//! after today, or before 1945. The CLI shows each one and asks before appending (or refuses
//! where it cannot ask, unless told `--yes`); the library only finds them.

use std::fmt;

use chrono::{DateTime, Datelike, Months, NaiveDate};

use crate::event::InputEvent;
use crate::input::Numbered;
use crate::time::Micros;

/// The first day of the year before which an effective date is taken for a typing error.
pub const EARLIEST_USUAL_YEAR: i32 = 1945;

/// How far ahead of today an effective date may lie before it is taken for a typing error.
pub const LATEST_USUAL_MONTHS: u32 = 12;

/// One input event that looks mistyped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caution {
    /// The line of the batch (1-based).
    pub line: usize,
    /// The event's key, `AUTHORITY/ID`.
    pub key: String,
    /// What looks wrong.
    pub reason: String,
}

impl fmt::Display for Caution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {} ({}): {}", self.line, self.key, self.reason)
    }
}

fn day_of(m: Micros) -> Option<NaiveDate> {
    DateTime::from_timestamp_micros(m).map(|t| t.date_naive())
}

/// The events of `batch` whose effective date is more than a year after `now`'s day (UTC), or
/// before 1 January 1945.
pub fn unusual_dates(batch: &[Numbered<InputEvent>], now: Micros) -> Vec<Caution> {
    let today = day_of(now);
    let latest = today.and_then(|d| d.checked_add_months(Months::new(LATEST_USUAL_MONTHS)));
    let mut out = Vec::new();
    for n in batch {
        let (kind, authority, id, effective) = match &n.event {
            InputEvent::Designation(d) => ("designation", &d.authority, &d.id, d.effective),
            InputEvent::Amendment(a) => ("amendment", &a.authority, &a.id, a.effective),
            InputEvent::Delisting(d) => ("delisting", &d.authority, &d.id, d.effective),
            InputEvent::Retraction(_) => continue,
        };
        let Some(day) = day_of(effective.micros()) else { continue };
        let reason = if let (Some(latest), Some(today)) = (latest, today)
            && day > latest
        {
            let years = (day - today).num_days() / 365;
            let ahead = if years >= 2 { format!("{years} years") } else { "more than a year".to_owned() };
            format!("the {kind} is effective {effective}, {ahead} after today ({today})")
        } else if day.year() < EARLIEST_USUAL_YEAR {
            format!("the {kind} is effective {effective}, before {EARLIEST_USUAL_YEAR}")
        } else {
            continue;
        };
        out.push(Caution { line: n.line, key: format!("{authority}/{id}"), reason });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::read_batch;
    use crate::time::Effective;

    fn batch(dates: &[&str]) -> Vec<Numbered<InputEvent>> {
        let text: String = dates
            .iter()
            .enumerate()
            .map(|(i, d)| {
                format!(
                    r#"{{"type":"designation","authority":"UK","id":"X{i}","effective":"{d}","regime":{{"code":"GIM"}},"subject":{{"kind":"entity","names":[{{"name":"N","type":"primary"}}]}}}}"#
                ) + "\n"
            })
            .collect();
        read_batch(text.as_bytes()).unwrap()
    }

    #[test]
    fn dates_more_than_a_year_ahead_or_before_1945() {
        let now = Effective::parse("2026-01-15T09:00:00Z").unwrap().micros();
        let dates = [
            "2025-10-22",
            "2027-01-15",
            "2027-01-16",
            "2052-10-22",
            "1945-01-01",
            "1944-12-31T23:59:59Z",
            "1925-10-22",
            "2026-06-01T12:00:00+02:00",
        ];
        let got: Vec<(usize, String)> =
            unusual_dates(&batch(&dates), now).into_iter().map(|c| (c.line, c.reason)).collect();
        assert_eq!(
            got,
            vec![
                (3, "the designation is effective 2027-01-16, more than a year after today (2026-01-15)".to_owned()),
                (4, "the designation is effective 2052-10-22, 26 years after today (2026-01-15)".to_owned()),
                (6, "the designation is effective 1944-12-31T23:59:59Z, before 1945".to_owned()),
                (7, "the designation is effective 1925-10-22, before 1945".to_owned()),
            ]
        );
    }
}
