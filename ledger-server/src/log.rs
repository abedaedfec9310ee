//! The server's log: one JSON object a line on stderr, for a person tailing it or a collector
//! reading it. Every line is one of these types.

use serde::Serialize;

/// A log line.
#[derive(Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Line<'a> {
    /// The server accepts requests.
    Listening {
        /// Where.
        url: &'a str,
        /// The ledger directory.
        ledger: &'a str,
        /// How many tokens the tokens file holds (0: no writes).
        tokens: usize,
        /// Whether questions need a token.
        read_token: bool,
    },
    /// One request answered.
    Request {
        /// The method.
        method: &'a str,
        /// The path (without its query).
        path: &'a str,
        /// The status answered.
        status: u16,
        /// How long it took, in milliseconds.
        ms: f64,
    },
    /// A streamed answer (a log, a bundle) failed half-way; the client saw a broken response.
    StreamFailed {
        /// Why.
        detail: String,
    },
    /// The log was published (`--publish DIR`) at the acknowledged head.
    Published {
        /// The directory.
        dir: &'a str,
        /// The tree size published.
        size: u64,
        /// Files written (0: it was up to date).
        files: u64,
    },
    /// Publishing the log failed; the server goes on, and the next write tries again.
    PublishFailed {
        /// The directory.
        dir: &'a str,
        /// Why.
        detail: String,
    },
    /// A witness (`ledger witness serve`) accepts requests.
    Witnessing {
        /// Where.
        url: &'a str,
        /// The witness's verifier key, in note format.
        witness: &'a str,
        /// The origins of the logs it witnesses.
        logs: Vec<&'a str>,
        /// Its state file.
        state: &'a str,
    },
    /// One request to a witness answered.
    WitnessRequest {
        /// The method.
        method: &'a str,
        /// The path.
        path: &'a str,
        /// The status answered.
        status: u16,
        /// How long it took, in milliseconds.
        ms: f64,
        /// The checkpoint's origin, when the body was well-formed enough to name it.
        origin: Option<&'a str>,
        /// The request's old size.
        old: Option<u64>,
        /// The checkpoint's size.
        size: Option<u64>,
        /// Why it was not cosigned (null: it was, or the body was not read).
        refused: Option<&'a str>,
    },
    /// SIGTERM or Ctrl-C: the requests in flight are being finished.
    Shutdown,
}

/// Writes one log line to stderr.
pub fn write(line: &Line) {
    if let Ok(text) = serde_json::to_string(line) {
        eprintln!("{text}");
    }
}
