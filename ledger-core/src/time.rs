//! The two time axes and the clock.
//!
//! Legal effect (`effective`) is given by the operator as a date or an RFC 3339 instant; a date orders
//! as the start of that day. Knowledge (`recorded_at`) is assigned by the ledger from a [`Clock`], at
//! microsecond precision, strictly increasing along the chain. Queries take a date as the *end* of
//! that day. Every instant is UTC and is handled as microseconds since the Unix epoch.

use std::fmt;
use std::sync::Mutex;

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Microseconds since 1970-01-01T00:00:00Z.
pub type Micros = i64;

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// The earliest year accepted anywhere: older dates are typing errors, not sanctions.
const MIN_YEAR: i32 = 1900;
/// The latest year accepted anywhere.
const MAX_YEAR: i32 = 2999;

/// A legal-effect time as the operator wrote it: a whole day or an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effective {
    /// A calendar day; orders as its first microsecond.
    Date(NaiveDate),
    /// An instant, kept in UTC at microsecond precision.
    Instant(Micros),
}

impl Effective {
    /// The instant this effective time orders at.
    pub fn micros(self) -> Micros {
        match self {
            Effective::Date(d) => day_start(d),
            Effective::Instant(m) => m,
        }
    }

    /// Parses `2025-10-22` or an RFC 3339 instant (converted to UTC) of the form the schema
    /// gives: `T` between date and time, at most six fractional digits, no leap second.
    pub fn parse(s: &str) -> Result<Self, TimeError> {
        let not_effective = |why| TimeError::NotEffective { text: s.to_owned(), why };
        if is_date_shape(s.as_bytes()) {
            let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| not_effective(Some("no such day")))?;
            check_year(d.year())?;
            return Ok(Effective::Date(d));
        }
        // chrono also reads forms the schema does not allow (a space for the `T`, a leap second
        // `:60`, more than six fractional digits): the shape is checked first.
        if let Some(reason) = instant_shape_error(s) {
            let looks_like_an_instant = s.len() > 10 && is_date_shape(&s.as_bytes()[..10]);
            return Err(not_effective(looks_like_an_instant.then_some(reason)));
        }
        match DateTime::parse_from_rfc3339(s) {
            Ok(t) => {
                let t = t.with_timezone(&Utc);
                check_year(t.year())?;
                if t.timestamp_subsec_nanos() % 1000 != 0 {
                    return Err(TimeError::TooPrecise { text: s.to_owned() });
                }
                Ok(Effective::Instant(t.timestamp_micros()))
            }
            Err(_) => Err(not_effective(None)),
        }
    }
}

impl fmt::Display for Effective {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Effective::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Effective::Instant(m) => f.write_str(&format_instant(*m)),
        }
    }
}

impl Serialize for Effective {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Effective {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Effective::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Effective {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Effective".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Legal effect: a date (YYYY-MM-DD, ordered as the start of that day, UTC) or an RFC 3339 instant.",
            "type": "string",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,6})?([Zz]|[+-][0-9]{2}:[0-9]{2}))?$"
        })
    }
}

/// Whether `s` has the form `YYYY-MM-DD` (digits and dashes only where they belong).
fn is_date_shape(b: &[u8]) -> bool {
    b.len() == 10 && b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() })
}

/// Why `s` is not an instant of the form `YYYY-MM-DDThh:mm:ss[.f{1,6}](Z|±hh:mm)` (the schema's
/// pattern), or `None` when it has that form. Values (month 13, hour 25) are chrono's to check,
/// except the leap second `:60`, which the ledger's microsecond arithmetic has no place for.
fn instant_shape_error(s: &str) -> Option<&'static str> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if b.len() < 20 || !is_date_shape(&b[..10]) {
        return Some("expected YYYY-MM-DD first");
    }
    if !matches!(b[10], b'T' | b't') {
        return Some("the date and the time are separated by `T`");
    }
    if !(digits(11..13) && b[13] == b':' && digits(14..16) && b[16] == b':' && digits(17..19)) {
        return Some("expected hh:mm:ss after the `T`");
    }
    if &b[17..19] == b"60" {
        return Some("a leap second (:60) is not accepted");
    }
    let mut i = 19;
    if b[i] == b'.' {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start || i - start > 6 {
            return Some("1 to 6 fractional digits (microseconds at most)");
        }
    }
    match &b[i..] {
        [b'Z' | b'z'] => None,
        [b'+' | b'-', _, _, b':', _, _] if digits(i + 1..i + 3) && digits(i + 4..i + 6) => None,
        _ => Some("expected Z or a ±hh:mm offset at the end"),
    }
}

/// A calendar date (`YYYY-MM-DD`), used for publication dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub NaiveDate);

impl Date {
    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Self, TimeError> {
        match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) if is_date_shape(s.as_bytes()) => {
                check_year(d.year())?;
                Ok(Date(d))
            }
            _ => Err(TimeError::NotDate { text: s.to_owned() }),
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Date::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Date {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Date".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A calendar date, YYYY-MM-DD.",
            "type": "string",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
        })
    }
}

/// A knowledge-axis instant (`recorded_at`): always written with six fractional digits and `Z`,
/// so that its text sorts as its time does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub Micros);

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match Utc.timestamp_micros(self.0).single() {
            Some(t) => write!(f, "{}", t.to_rfc3339_opts(SecondsFormat::Micros, true)),
            None => write!(f, "<invalid time {}>", self.0),
        }
    }
}

impl Timestamp {
    /// Parses the fixed form `YYYY-MM-DDThh:mm:ss.ffffffZ`.
    pub fn parse(s: &str) -> Result<Self, TimeError> {
        let bad = || TimeError::NotTimestamp { text: s.to_owned() };
        // Exactly the form Display writes: `T`, six digits, `Z`, no leap second.
        if s.len() != 27 || !s.ends_with('Z') || s.as_bytes()[10] != b'T' || instant_shape_error(s).is_some() {
            return Err(bad());
        }
        let t = DateTime::parse_from_rfc3339(s).map_err(|_| bad())?;
        Ok(Timestamp(t.with_timezone(&Utc).timestamp_micros()))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Timestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A UTC instant with microsecond precision, YYYY-MM-DDThh:mm:ss.ffffffZ.",
            "type": "string",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$"
        })
    }
}

/// A query time on either axis. A date means the end of that day (its last microsecond), so that
/// `--at 2025-10-22` includes everything effective on the 22nd.
pub fn parse_query_time(s: &str) -> Result<Micros, TimeError> {
    match Effective::parse(s) {
        Ok(Effective::Date(d)) => Ok(day_start(d) + MICROS_PER_DAY - 1),
        Ok(Effective::Instant(m)) => Ok(m),
        Err(_) => {
            // Say what is wrong with something that is nearly an instant (`2025-10-22 14:05:00Z`).
            let why = match instant_shape_error(s) {
                Some(reason) if s.len() > 10 && is_date_shape(&s.as_bytes()[..10]) => Some(reason),
                _ => None,
            };
            Err(TimeError::NotQueryTime { text: s.to_owned(), why })
        }
    }
}

/// A point on the legal-effect axis: what was in force at this instant (`--at`, `--from`, `--to`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct At(pub Micros);

/// A point on the knowledge axis: what the ledger had recorded by this instant (`--as-of`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AsOf(pub Micros);

impl At {
    /// A query time ([`parse_query_time`]: a date means the end of that day) on the legal-effect axis.
    pub fn parse(s: &str) -> Result<At, TimeError> {
        parse_query_time(s).map(At)
    }
}

impl AsOf {
    /// A query time ([`parse_query_time`]) on the knowledge axis.
    pub fn parse(s: &str) -> Result<AsOf, TimeError> {
        parse_query_time(s).map(AsOf)
    }

    /// Everything the ledger holds, whenever it was recorded.
    pub const EVERYTHING: AsOf = AsOf(Micros::MAX);
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_instant(self.0))
    }
}

impl fmt::Display for AsOf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_instant(self.0))
    }
}

/// A point on both axes: in force at `at`, as the ledger knew it `as_of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    /// Legal effect.
    pub at: At,
    /// Knowledge.
    pub as_of: AsOf,
}

impl Point {
    /// "Now" on both axes, a query's default: `at` is the clock's now; `as_of` is now too, or the
    /// head's `recorded_at` if that is later (after the clock stepped back), so that "as of now"
    /// always means everything the ledger holds.
    pub fn now(now: Micros, head_recorded_at: Timestamp) -> Point {
        Point { at: At(now), as_of: AsOf(now.max(head_recorded_at.0)) }
    }

    /// This point with the axes given instead of its own.
    pub fn with(self, at: Option<At>, as_of: Option<AsOf>) -> Point {
        Point { at: at.unwrap_or(self.at), as_of: as_of.unwrap_or(self.as_of) }
    }
}

/// Why a time does not parse. The messages quote the text and say which forms are accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeError {
    /// Not a legal-effect time (a date or an RFC 3339 instant); `why`, when it nearly is one.
    NotEffective {
        /// The text given.
        text: String,
        /// What is wrong with it, when it is nearly of the form.
        why: Option<&'static str>,
    },
    /// Not a query time (a date meaning the end of its day, or an instant).
    NotQueryTime {
        /// The text given.
        text: String,
        /// What is wrong with it, when it is nearly of the form.
        why: Option<&'static str>,
    },
    /// Not a calendar date `YYYY-MM-DD`.
    NotDate {
        /// The text given.
        text: String,
    },
    /// Not a `recorded_at` timestamp of the one form the ledger writes.
    NotTimestamp {
        /// The text given.
        text: String,
    },
    /// An instant with more than six fractional digits that are not zero.
    TooPrecise {
        /// The text given.
        text: String,
    },
    /// A year outside the years the ledger accepts.
    Year {
        /// The year given.
        year: i32,
    },
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeError::NotEffective { text, why } => {
                write!(f, "`{text}` is not a date (YYYY-MM-DD) or an RFC 3339 instant (YYYY-MM-DDThh:mm:ssZ)")?;
                why.map_or(Ok(()), |why| write!(f, ": {why}"))
            }
            TimeError::NotQueryTime { text, why } => {
                write!(
                    f,
                    "`{text}` is not a date (YYYY-MM-DD, meaning the end of that day, UTC) or an RFC 3339 instant (e.g. 2025-10-22T14:05:00Z)"
                )?;
                why.map_or(Ok(()), |why| write!(f, ": {why}"))
            }
            TimeError::NotDate { text } => write!(f, "`{text}` is not a date (YYYY-MM-DD)"),
            TimeError::NotTimestamp { text } => {
                write!(f, "`{text}` is not a recorded_at timestamp (YYYY-MM-DDThh:mm:ss.ffffffZ)")
            }
            TimeError::TooPrecise { text } => write!(f, "`{text}` is more precise than a microsecond"),
            TimeError::Year { year } => write!(f, "year {year} is outside {MIN_YEAR}..={MAX_YEAR}"),
        }
    }
}

impl std::error::Error for TimeError {}

/// Formats an instant as RFC 3339 UTC, with only as many fractional digits as it needs.
pub fn format_instant(m: Micros) -> String {
    match Utc.timestamp_micros(m).single() {
        Some(t) => t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        None => format!("<invalid time {m}>"),
    }
}

fn day_start(d: NaiveDate) -> Micros {
    d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_micros()).unwrap_or(i64::MIN)
}

fn check_year(y: i32) -> Result<(), TimeError> {
    if (MIN_YEAR..=MAX_YEAR).contains(&y) { Ok(()) } else { Err(TimeError::Year { year: y }) }
}

/// Where the ledger reads the current time from. The core never reads the system clock itself.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> Micros;
}

/// The system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Micros {
        Utc::now().timestamp_micros()
    }
}

/// A clock that reads a set time until it is moved: for tests and reproducible runs.
#[derive(Debug)]
pub struct FixedClock(Mutex<Micros>);

impl FixedClock {
    /// A clock stopped at `at`.
    pub fn new(at: Micros) -> Self {
        FixedClock(Mutex::new(at))
    }

    /// Sets the time (backwards too: the ledger must cope with a clock that steps back).
    pub fn set(&self, at: Micros) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Micros {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effective_forms() {
        let d = Effective::parse("2025-10-22").unwrap();
        assert_eq!(d.to_string(), "2025-10-22");
        let i = Effective::parse("2025-10-22T16:05:00+02:00").unwrap();
        assert_eq!(i.to_string(), "2025-10-22T14:05:00Z");
        assert!(d.micros() < i.micros());
        assert_eq!(Effective::parse("2025-10-22T00:00:00Z").unwrap().micros(), d.micros());
        for bad in ["2025-13-01", "22/10/2025", "2025-10-22 14:05", "", "0001-01-01", "2025-1-2"] {
            assert!(Effective::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn instants_have_the_schemas_form() {
        for ok in [
            "2025-10-22T14:05:00Z",
            "2025-10-22t14:05:00z",
            "2025-10-22T14:05:00.5Z",
            "2025-10-22T14:05:00.123456+02:00",
            "2025-10-22T23:59:59-05:30",
        ] {
            assert!(Effective::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "2025-10-22 14:05:00Z",
            "2025-10-22T23:59:60Z",
            "2025-12-31T23:59:60+00:00",
            "2025-10-22T14:05:00.0000000Z",
            "2025-10-22T14:05:00.Z",
            "2025-10-22T14:05Z",
            "2025-10-22T14:05:00",
            "2025-10-22T14:05:00+0200",
            "+2025-10-2",
            "2025-10-22T14:05:00Z ",
        ] {
            assert!(Effective::parse(bad).is_err(), "{bad}");
            assert!(parse_query_time(bad).is_err(), "{bad}");
        }
        assert!(Timestamp::parse("2026-01-02 03:04:05.000007Z").is_err());
        assert!(Timestamp::parse("2026-01-02T23:59:60.000000Z").is_err());
        assert!(Date::parse("+202-01-02").is_err());
    }

    #[test]
    fn query_dates_mean_end_of_day() {
        let end = parse_query_time("2025-10-22").unwrap();
        let start = Effective::parse("2025-10-22").unwrap().micros();
        assert_eq!(end - start, MICROS_PER_DAY - 1);
        assert!(parse_query_time("yesterday").is_err());
    }

    #[test]
    fn a_points_defaults_are_now_and_never_before_the_head() {
        let p = Point::now(100, Timestamp(50));
        assert_eq!(p, Point { at: At(100), as_of: AsOf(100) });
        // The clock stepped back behind the head: "as of now" still means everything recorded.
        assert_eq!(Point::now(100, Timestamp(150)).as_of, AsOf(150));
        assert_eq!(p.with(Some(At(7)), None), Point { at: At(7), as_of: AsOf(100) });
        assert_eq!(p.with(None, Some(AsOf(9))), Point { at: At(100), as_of: AsOf(9) });
        assert_eq!(At::parse("2025-10-22").unwrap().0, parse_query_time("2025-10-22").unwrap());
    }

    #[test]
    fn errors_say_what_was_expected() {
        assert_eq!(
            Effective::parse("2025-02-30").unwrap_err().to_string(),
            "`2025-02-30` is not a date (YYYY-MM-DD) or an RFC 3339 instant (YYYY-MM-DDThh:mm:ssZ): no such day"
        );
        assert_eq!(Effective::parse("1800-01-01").unwrap_err(), TimeError::Year { year: 1800 });
        assert_eq!(Date::parse("x").unwrap_err().to_string(), "`x` is not a date (YYYY-MM-DD)");
        assert!(
            AsOf::parse("2025-10-22 14:05:00Z")
                .unwrap_err()
                .to_string()
                .ends_with(": the date and the time are separated by `T`")
        );
    }

    #[test]
    fn timestamps_round_trip_fixed_width() {
        let t = Timestamp(Effective::parse("2026-01-02T03:04:05Z").unwrap().micros() + 7);
        let s = t.to_string();
        assert_eq!(s, "2026-01-02T03:04:05.000007Z");
        assert_eq!(Timestamp::parse(&s).unwrap(), t);
        assert!(Timestamp::parse("2026-01-02T03:04:05Z").is_err());
    }
}
