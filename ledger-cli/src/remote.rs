//! `--remote URL`: the command line as a client of `ledger serve` (docs/API.md).
//!
//! A question is sent as the `GET` its endpoint takes and its answer read into the same typed
//! output the local command computes, for the same printing; a write is sent as its `POST`. A
//! refusal is mapped to the exit code the local command gives for the same reason (docs/API.md,
//! "Errors"); a 404 that carries the (empty) answer is given back with it, so that "not found"
//! prints as it does locally. Plain `http://` only: this build has no TLS, so an `https://`
//! server is reached through a local TLS proxy (or a build with ureq's `rustls` feature).

use std::io::{self, Read};

use std::io::BufRead;

use ledger_core::event::{Key, RecordedEvent};
use ledger_core::ops::ask::{SearchName, Span};
use ledger_core::ops::audit::{CheckpointOutput, Proof};
use ledger_core::ops::read::HeadOutput;
use ledger_core::query::{CountOutput, DiffOutput, HistoryOutput, SearchOutput, ShowOutput, StateFilter, StateOutput};
use ledger_core::time::{AsOf, At};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::queries::Found;
use crate::{Failure, exit};

/// A server to ask, and the token to ask it with.
pub struct Remote {
    agent: ureq::Agent,
    /// The URL as given, without a trailing `/`.
    base: String,
    token: Option<String>,
}

/// A query string's pairs, the empty values left out.
pub type Query<'a> = Vec<(&'a str, String)>;

/// A refusal of the server, read from its body.
#[derive(Debug)]
struct Refusal {
    status: u16,
    code: String,
    message: String,
    answer: Option<Value>,
}

/// Whether a request failed before reaching the server at all (so that nothing was asked of it).
pub(crate) fn unreachable(e: &ureq::Error) -> bool {
    matches!(
        e,
        ureq::Error::ConnectionFailed
            | ureq::Error::HostNotFound
            | ureq::Error::BadUri(_)
            | ureq::Error::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve)
    ) || matches!(e, ureq::Error::Io(io) if matches!(
        io.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::AddrNotAvailable
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
    ))
}

impl Remote {
    /// The server at `url` (`http://HOST:PORT`, with or without a path prefix).
    pub fn new(url: &str, token: Option<&str>) -> Result<Remote, Failure> {
        let base = url.trim().trim_end_matches('/').to_owned();
        if base.starts_with("https://") {
            return Err(Failure::new(
                exit::USAGE,
                format!(
                    "--remote {url}: this build of ledger speaks plain http only; reach an https server through a local TLS proxy (e.g. `stunnel` or `socat`) at an http:// address"
                ),
            ));
        }
        if !base.starts_with("http://") || base.len() <= "http://".len() {
            return Err(Failure::new(
                exit::USAGE,
                format!("--remote {url}: expected the server's address as http://HOST:PORT"),
            ));
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(std::time::Duration::from_secs(10)))
            .user_agent(concat!("ledger/", env!("CARGO_PKG_VERSION")))
            .build();
        let token = token.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
        Ok(Remote { agent: ureq::Agent::new_with_config(config), base, token })
    }

    /// The server's URL, as given.
    pub fn url(&self) -> &str {
        &self.base
    }

    fn uri(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request that got no answer: exit 69 when the server could not be reached at all (so
    /// nothing was asked of it), else 74; a write then may or may not have been made.
    fn unanswered(&self, e: ureq::Error, write: bool) -> Failure {
        if unreachable(&e) {
            Failure::new(exit::UNAVAILABLE, format!("cannot reach the server at {}: {e}", self.base))
        } else if write {
            Failure::new(
                exit::IO,
                format!(
                    "the server at {} did not answer ({e}): the batch may or may not have been written; `ledger --remote {} head` shows the head",
                    self.base, self.base
                ),
            )
        } else {
            Failure::new(exit::IO, format!("the server at {} did not answer: {e}", self.base))
        }
    }

    fn send(
        &self,
        path: &str,
        query: &Query,
        body: Option<&[u8]>,
    ) -> Result<ureq::http::Response<ureq::Body>, Failure> {
        let pairs = query.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (*k, v.as_str()));
        let response = match body {
            None => {
                let mut r = self.agent.get(self.uri(path)).query_pairs(pairs);
                if let Some(t) = &self.token {
                    r = r.header("Authorization", format!("Bearer {t}"));
                }
                r.call()
            }
            Some(bytes) => {
                let mut r = self.agent.post(self.uri(path)).query_pairs(pairs);
                if let Some(t) = &self.token {
                    r = r.header("Authorization", format!("Bearer {t}"));
                }
                r.content_type("application/octet-stream").send(bytes)
            }
        };
        response.map_err(|e| self.unanswered(e, body.is_some()))
    }

    /// `GET path?query`: the answer, or for a 404 that carries one, the answer and the message.
    pub fn get<T: DeserializeOwned>(&self, path: &str, query: &Query) -> Result<Found<T>, Failure> {
        let response = self.send(path, query, None)?;
        self.answer(response)
    }

    /// `POST path?query` with `body`: the answer.
    pub fn post<T: DeserializeOwned>(&self, path: &str, query: &Query, body: &[u8]) -> Result<T, Failure> {
        let response = self.send(path, query, Some(body))?;
        let found = self.answer(response)?;
        match found.missing {
            None => Ok(found.answer),
            Some(m) => Err(Failure::new(exit::FAILED, m)),
        }
    }

    /// `GET path?query` whose answer is a stream (JSON Lines): its body, to read.
    pub fn stream(&self, path: &str, query: &Query) -> Result<impl Read + use<>, Failure> {
        let response = self.send(path, query, None)?;
        if response.status().is_success() {
            return Ok(response.into_body().into_reader());
        }
        Err(self.refused(self.refusal(response)))
    }

    fn answer<T: DeserializeOwned>(&self, response: ureq::http::Response<ureq::Body>) -> Result<Found<T>, Failure> {
        if response.status().is_success() {
            let reader = response.into_body().into_reader();
            let answer = serde_json::from_reader(io::BufReader::new(reader)).map_err(|e| self.bad_answer(e))?;
            return Ok(Found::ok(answer));
        }
        let refusal = self.refusal(response);
        if refusal.status == 404
            && let Some(answer) = refusal.answer
        {
            let answer = serde_json::from_value(answer).map_err(|e| self.bad_answer(e))?;
            return Ok(Found { answer, missing: Some(refusal.message) });
        }
        Err(self.refused(refusal))
    }

    fn bad_answer(&self, e: serde_json::Error) -> Failure {
        if e.is_io() {
            return Failure::new(exit::IO, format!("reading the answer of the server at {}: {e}", self.base));
        }
        Failure::new(
            exit::IO,
            format!(
                "the server at {} answered with something this ledger does not read ({e}): is it `ledger serve`, of the same version?",
                self.base
            ),
        )
    }

    /// The refusal a response carries (docs/API.md, "Errors"), or its status and first line when
    /// it is not one (a proxy's page).
    fn refusal(&self, response: ureq::http::Response<ureq::Body>) -> Refusal {
        let status = response.status().as_u16();
        let mut text = String::new();
        let _ = response.into_body().into_reader().take(1 << 20).read_to_string(&mut text);
        #[derive(serde::Deserialize)]
        struct Body {
            error: Detail,
            #[serde(default)]
            answer: Option<Value>,
        }
        #[derive(serde::Deserialize)]
        struct Detail {
            code: String,
            message: String,
        }
        match serde_json::from_str::<Body>(&text) {
            Ok(b) => Refusal { status, code: b.error.code, message: b.error.message, answer: b.answer },
            Err(_) => {
                let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("").chars().take(200);
                Refusal {
                    status,
                    code: String::new(),
                    message: format!("the server at {} answered {status}: {}", self.base, line.collect::<String>()),
                    answer: None,
                }
            }
        }
    }

    /// The failure for a refusal: the exit code of its class, the server's message.
    fn refused(&self, r: Refusal) -> Failure {
        let Refusal { status, code, mut message, .. } = r;
        let code = match (status, code.as_str()) {
            (401, _) => {
                message.push_str(if self.token.is_some() {
                    "\n  hint: the server does not know the token given (--token or LEDGER_TOKEN); `ledger token` makes one for its tokens file"
                } else {
                    "\n  hint: give a token with --token TOKEN (or set LEDGER_TOKEN); `ledger token` makes one"
                });
                exit::NOPERM
            }
            (403, _) => {
                if message.contains("role") {
                    message.push_str(
                        "\n  hint: writes need a token of the role operator (`ledger token NAME --role operator`)",
                    );
                }
                exit::NOPERM
            }
            (404, _) => exit::FAILED,
            (422, "unconfirmed") => exit::UNCONFIRMED,
            (409 | 413 | 422, code) => {
                // As the local command says it: how to lift a guard, then on a line of its own.
                let told = message.strip_suffix("; nothing was written").map(str::to_owned);
                let hint = crate::import::plan_hint(code);
                message = format!("{}{hint}\n  nothing was written", told.as_deref().unwrap_or(&message));
                exit::DATA
            }
            (503, "damaged") => exit::DAMAGED,
            (500, "unacknowledged") => exit::WRITTEN,
            (500, _) => exit::INTERNAL,
            (400..=499, _) => exit::USAGE,
            _ => exit::IO,
        };
        Failure::new(code, message)
    }
}

/// The two axes of a question, as the query string takes them.
fn times(at: Option<At>, as_of: Option<AsOf>) -> Query<'static> {
    vec![
        ("at", at.map(|t| t.to_string()).unwrap_or_default()),
        ("as_of", as_of.map(|t| t.to_string()).unwrap_or_default()),
    ]
}

fn key_path(key: &Key) -> String {
    format!("/v1/designations/{}/{}", segment(key.authority()), segment(key.id()))
}

/// The answer's page size for `state`: the most the server lists in one page.
const PAGE: usize = 10_000;

/// The questions, as the server answers them: each the typed answer of the local command.
impl Remote {
    /// `ledger head`.
    pub fn head(&self) -> Result<HeadOutput, Failure> {
        self.get("/v1/head", &Vec::new()).map(|f| f.answer)
    }

    fn state_query(filter: &StateFilter, at: Option<At>, as_of: Option<AsOf>) -> Query<'static> {
        let mut q = times(at, as_of);
        q.push(("authority", filter.authority.clone().unwrap_or_default()));
        q.push(("regime", filter.regime.clone().unwrap_or_default()));
        q.push(("kind", filter.kind.map(|k| k.as_str().to_owned()).unwrap_or_default()));
        q.push(("include_delisted", if filter.include_delisted { "true".to_owned() } else { String::new() }));
        q
    }

    /// `ledger state --count`.
    pub fn count(
        &self,
        filter: &StateFilter,
        at: Option<At>,
        as_of: Option<AsOf>,
    ) -> Result<Found<CountOutput>, Failure> {
        let mut q = Remote::state_query(filter, at, as_of);
        q.push(("count", "true".to_owned()));
        self.get("/v1/state", &q)
    }

    /// `ledger state`: every page, read at the point and head of the first, as one answer.
    pub fn state(
        &self,
        filter: &StateFilter,
        at: Option<At>,
        as_of: Option<AsOf>,
    ) -> Result<Found<StateOutput>, Failure> {
        let mut q = Remote::state_query(filter, at, as_of);
        q.push(("limit", PAGE.to_string()));
        let mut found: Found<StateOutput> = self.get("/v1/state", &q)?;
        let s = &mut found.answer;
        let mut next = s.next.take();
        while let Some(after) = next {
            // The later pages at the first one's point and head, whatever lands meanwhile.
            let point = (At::parse(&s.at).ok(), AsOf::parse(&s.as_of).ok());
            let mut q = Remote::state_query(filter, point.0.or(at), point.1.or(as_of));
            q.push(("after", after));
            q.push(("limit", PAGE.to_string()));
            q.push(("head", s.head.seq.to_string()));
            let page: Found<StateOutput> = self.get("/v1/state", &q)?;
            if page.answer.head != s.head {
                return Err(Failure::new(
                    exit::IO,
                    format!("the server at {} answered a page at another head than the first's", self.base),
                ));
            }
            s.designations.extend(page.answer.designations);
            next = page.answer.next;
        }
        s.count = s.designations.len();
        Ok(found)
    }

    /// `ledger show KEY`.
    pub fn show(&self, key: &Key, at: Option<At>, as_of: Option<AsOf>) -> Result<Found<ShowOutput>, Failure> {
        self.get(&key_path(key), &times(at, as_of))
    }

    /// `ledger history KEY`.
    pub fn history(&self, key: &Key, as_of: Option<AsOf>) -> Result<Found<HistoryOutput>, Failure> {
        let q = vec![("as_of", as_of.map(|t| t.to_string()).unwrap_or_default())];
        self.get(&format!("{}/history", key_path(key)), &q)
    }

    /// `ledger diff`.
    pub fn diff(&self, span: Span, as_of: Option<AsOf>) -> Result<Found<DiffOutput>, Failure> {
        let q = vec![
            ("from", span.from().to_string()),
            ("to", span.to().to_string()),
            ("as_of", as_of.map(|t| t.to_string()).unwrap_or_default()),
        ];
        self.get("/v1/diff", &q)
    }

    /// `ledger search NAME`.
    pub fn search(
        &self,
        name: &SearchName,
        at: Option<At>,
        as_of: Option<AsOf>,
    ) -> Result<Found<SearchOutput>, Failure> {
        let mut q = times(at, as_of);
        q.push(("q", name.as_str().to_owned()));
        self.get("/v1/search", &q)
    }

    /// `ledger log`: the events, read one line at a time as the server streams them.
    pub fn log(
        &self,
        from: u64,
        limit: Option<u64>,
    ) -> Result<impl Iterator<Item = Result<RecordedEvent, Failure>> + use<>, Failure> {
        let q = vec![("from", from.to_string()), ("limit", limit.map(|n| n.to_string()).unwrap_or_default())];
        let lines = io::BufReader::with_capacity(1 << 16, self.stream("/v1/log", &q)?).lines();
        let base = self.base.clone();
        Ok(lines.map(move |line| {
            let broken = |what: String| Failure::new(exit::IO, format!("reading the log from {base}: {what}"));
            let line = line.map_err(|e| broken(e.to_string()))?;
            let value: Value = serde_json::from_str(&line).map_err(|e| broken(e.to_string()))?;
            RecordedEvent::from_value(value, None).map_err(|e| broken(e.to_string()))
        }))
    }

    /// `ledger checkpoint`: signed by the server's key, if it has one.
    pub fn checkpoint(&self) -> Result<CheckpointOutput, Failure> {
        self.get("/v1/checkpoint", &Vec::new()).map(|f| f.answer)
    }

    /// `ledger prove SEQ` and `ledger prove --consistency OLD`.
    pub fn prove(&self, seq: Option<u64>, size: Option<u64>, old: Option<u64>) -> Result<Proof, Failure> {
        let size = ("size", size.map(|n| n.to_string()).unwrap_or_default());
        let found: Found<Proof> = match (seq, old) {
            (Some(seq), _) => match self.get(&format!("/v1/proof/inclusion/{seq}"), &vec![size]) {
                // As the local command says it.
                Err(f) if f.code == exit::FAILED => return Err(Failure::new(exit::FAILED, format!("no event {seq}"))),
                other => other?,
            },
            (None, Some(old)) => self.get("/v1/proof/consistency", &vec![("old", old.to_string()), size])?,
            (None, None) => return Err(Failure::new(exit::USAGE, "give an event SEQ or --consistency OLD_SIZE")),
        };
        Ok(found.answer)
    }

    /// `ledger export`: the bundle, to read as it streams.
    pub fn export(&self) -> Result<impl Read + use<>, Failure> {
        self.stream("/v1/export", &Vec::new())
    }
}

/// One segment of a path, percent-encoded (all but RFC 3986's unreserved characters).
pub fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded_and_only_http_is_spoken() {
        assert_eq!(segment("GIM0047"), "GIM0047");
        assert_eq!(segment("a b/c%é"), "a%20b%2Fc%25%C3%A9");
        assert!(Remote::new("http://127.0.0.1:8080/", None).is_ok_and(|r| r.url() == "http://127.0.0.1:8080"));
        assert!(Remote::new("https://ledger.example.org", None).is_err_and(|f| f.code == exit::USAGE));
        assert!(Remote::new("ledger.example.org", None).is_err_and(|f| f.code == exit::USAGE));
    }
}
