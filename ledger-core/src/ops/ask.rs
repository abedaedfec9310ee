//! The point-in-time questions: `state`, `state --count`, `show`, `history`, `diff`, `search`.
//!
//! Each takes its times as typed points on the two axes ([`At`] for legal effect, [`AsOf`] for
//! knowledge), so that a caller cannot pass one for the other, and answers with the output types
//! of [`crate::query`]. One meaning for "not found": a key the ledger holds is answered with an
//! explicit status; a key it has never held, a search with no match, or a filter naming an
//! authority or regime it has never held is answered all the same, and the answer says so
//! ([`Held`], [`unheld_filter`], [`not_held`]) for the front end to report.

use std::collections::BTreeSet;
use std::fmt;

use crate::error::{Error, Result};
use crate::event::Key;
use crate::projection::When;
use crate::query::{self, CountOutput, DiffOutput, HistoryOutput, SearchOutput, ShowOutput, StateFilter, StateOutput};
use crate::time::{AsOf, At, Micros, Point};
use crate::view::View;

fn when(point: Point) -> When {
    When { at: point.at.0, as_of: point.as_of.0 }
}

/// The point a question answers for: the axes given, the others "now" ([`Point::now`]: the
/// clock's `now`, and on the knowledge axis never before the head).
pub fn point(view: &View, now: Micros, at: Option<At>, as_of: Option<AsOf>) -> Point {
    Point::now(now, view.head().recorded_at).with(at, as_of)
}

/// An answer about a key, and whether the ledger has ever held the key at all.
#[derive(Debug, Clone, PartialEq)]
pub struct Held<T> {
    /// The answer (for a key never held, the empty answer naming the head).
    pub answer: T,
    /// Whether the ledger holds any event of the key.
    pub held: bool,
}

/// The designations in force at a point.
pub fn state(view: &View, point: Point, filter: &StateFilter) -> Result<StateOutput> {
    query::state(view, when(point), filter)
}

/// Most states listed whole in one page of [`state_page`].
pub const MAX_PAGE: usize = 10_000;

/// One page of the designations in force at a point: at most `limit` (at most [`MAX_PAGE`]) in
/// key order after the key `after`; the answer's `next` says where the next page starts.
pub fn state_page(
    view: &View,
    point: Point,
    filter: &StateFilter,
    after: Option<&Key>,
    limit: usize,
) -> Result<StateOutput> {
    query::state_page(view, when(point), filter, after, limit.clamp(1, MAX_PAGE))
}

/// How many designations are in force at a point.
pub fn count(view: &View, point: Point, filter: &StateFilter) -> Result<CountOutput> {
    query::count(view, when(point), filter)
}

/// One designation at a point; a key the ledger has never held has status unknown.
pub fn show(view: &View, key: &Key, point: Point) -> Result<ShowOutput> {
    match query::show(view, key, when(point)) {
        Err(Error::NotFound { .. }) => query::show_unknown(view, key, when(point)),
        other => other,
    }
}

/// Every event of one key recorded by `as_of`.
pub fn history(view: &View, key: &Key, as_of: AsOf) -> Result<Held<HistoryOutput>> {
    match query::history(view, key, as_of.0) {
        Ok(answer) => Ok(Held { answer, held: true }),
        Err(Error::NotFound { .. }) => Ok(Held { answer: query::history_unknown(view, key, as_of.0)?, held: false }),
        Err(e) => Err(e),
    }
}

/// Two legal-effect times, the earlier first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    from: At,
    to: At,
}

/// A span whose start is later than its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reversed;

impl fmt::Display for Reversed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the earlier time must not be later than the later one")
    }
}

impl std::error::Error for Reversed {}

impl Span {
    /// The span from `from` to `to`; refused when `from` is the later.
    pub fn new(from: At, to: At) -> std::result::Result<Span, Reversed> {
        if from > to { Err(Reversed) } else { Ok(Span { from, to }) }
    }

    /// The earlier time.
    pub fn from(self) -> At {
        self.from
    }

    /// The later time.
    pub fn to(self) -> At {
        self.to
    }
}

/// What changed in law over a span, as the ledger knew it `as_of`.
pub fn diff(view: &View, span: Span, as_of: AsOf) -> Result<DiffOutput> {
    query::diff(view, span.from.0, span.to.0, as_of.0)
}

/// A name to search for: it has at least one letter or digit to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchName(String);

/// A search name with nothing to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NothingToMatch {
    /// The name given.
    pub name: String,
}

impl fmt::Display for NothingToMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "search `{}`: a name needs at least one letter or digit to match", self.name)
    }
}

impl std::error::Error for NothingToMatch {}

impl SearchName {
    /// A name, refused when it has no letter or digit.
    pub fn new(name: &str) -> std::result::Result<SearchName, NothingToMatch> {
        if crate::names::tokens(name).is_empty() {
            return Err(NothingToMatch { name: name.to_owned() });
        }
        Ok(SearchName(name.to_owned()))
    }

    /// The name as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The names and aliases matching `name` at a point. An empty answer is for the front end to
/// report as "nothing found" ([`no_match`]).
pub fn search(view: &View, name: &SearchName, point: Point) -> Result<SearchOutput> {
    query::search(view, &name.0, when(point))
}

/// What to say of a search that matched nothing.
pub fn no_match(answer: &SearchOutput, name: &SearchName) -> String {
    format!(
        "no designation in force or delisted at {}, as recorded by {}, has a name matching `{}`",
        answer.at, answer.as_of, name.0
    )
}

/// What to say of a key the ledger has never held, suggesting the key meant when only the case
/// of its id differs.
pub fn not_held(view: &View, key: &Key) -> Result<String> {
    let near = query::near(view, key)?;
    let mut message = format!("{key} is not in the ledger: no event of it was ever recorded");
    if !near.same_but_case.is_empty() {
        let keys: Vec<String> = near.same_but_case.iter().map(Key::to_string).collect();
        message.push_str(&format!("; did you mean {}?", keys.join(" or ")));
    } else if !near.authority_held {
        message.push_str(&format!("; the ledger holds no designation of authority {}", key.authority()));
    }
    Ok(message)
}

/// After a `state` answer listing `listed` designations: when it is empty and its authority or
/// regime filter names something no designation in the ledger has ever had (a typo, most
/// likely), what to say of it; `None` otherwise.
pub fn unheld_filter(view: &View, filter: &StateFilter, listed: usize) -> Result<Option<String>> {
    let (authority, regime) = (filter.authority.as_deref(), filter.regime.as_deref());
    if listed > 0 || (authority.is_none() && regime.is_none()) {
        return Ok(None);
    }
    let pairs = query::held_regimes(view)?;
    let authority_ok = |a: &str| authority.is_none_or(|x| x.eq_ignore_ascii_case(a));
    let regime_ok = |r: &str| regime.is_none_or(|x| x.eq_ignore_ascii_case(r));
    if pairs.iter().any(|(a, r)| authority_ok(a) && regime_ok(r)) {
        return Ok(None);
    }
    let authorities: BTreeSet<&str> = pairs.iter().map(|(a, _)| a.as_str()).collect();
    let regimes: BTreeSet<&str> = pairs.iter().filter(|(a, _)| authority_ok(a)).map(|(_, r)| r.as_str()).collect();
    Ok(match (authority, regime) {
        (Some(a), _) if !authorities.iter().any(|x| authority_ok(x)) => {
            Some(format!("no designation in the ledger has authority `{a}`; it holds {}", listing(&authorities)))
        }
        (Some(a), Some(r)) => Some(format!(
            "no designation of authority {} in the ledger has regime `{r}`; its regimes are {}",
            a.to_ascii_uppercase(),
            listing(&regimes)
        )),
        (None, Some(r)) => {
            Some(format!("no designation in the ledger has regime `{r}`; it holds {}", listing(&regimes)))
        }
        (_, None) => None,
    })
}

/// Some codes, for a message.
fn listing(codes: &BTreeSet<&str>) -> String {
    const SHOWN: usize = 20;
    if codes.is_empty() {
        return "none (it holds no designation at all)".to_owned();
    }
    let mut s = codes.iter().take(SHOWN).copied().collect::<Vec<_>>().join(", ");
    if codes.len() > SHOWN {
        s.push_str(&format!(" and {} more", codes.len() - SHOWN));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_runs_forward_and_a_search_name_has_something_to_match() {
        assert_eq!(Span::new(At(2), At(1)), Err(Reversed));
        let span = Span::new(At(1), At(1)).unwrap();
        assert_eq!((span.from(), span.to()), (At(1), At(1)));
        assert_eq!(
            SearchName::new(" -- ").unwrap_err().to_string(),
            "search ` -- `: a name needs at least one letter or digit to match"
        );
        assert_eq!(SearchName::new("Alpa").unwrap().as_str(), "Alpa");
    }
}
