//! A witness (C2SP tlog-witness, <https://c2sp.org/tlog-witness>): for each log it knows, it
//! keeps the size and root of the latest checkpoint it cosigned, and cosigns a new checkpoint
//! (C2SP tlog-cosignature) only when the log's key signed it and a consistency proof shows that it
//! extends that one. A log that showed one history to some readers and another to others could
//! not have both cosigned by the same witness: two parties running one each keep each other's
//! logs honest.
//!
//! [`AddCheckpoint`] is the request's body, read by the witness and written by the client;
//! [`Witness`] is the witness's side: its checks, in the spec's order, and its state, a file
//! replaced atomically before any answer goes out, the old size's check and the update made under
//! one lock. The HTTP server is a front end's (`ledger-server`); the client's side is
//! `ops::witness`.
//!
//! ```
//! use ledger_core::checkpoint::{Checkpoint, KeyKind, SignerKey};
//! use ledger_core::merkle::{self, Leaves};
//! use ledger_core::witness::{AddCheckpoint, Witness};
//! let dir = tempfile::tempdir().unwrap();
//! let log = SignerKey::from_seed("example.org/log", [1; 32]);
//! let w = SignerKey::of_kind("witness.example/w1", [2; 32], KeyKind::Cosigner);
//! let witness = Witness::open(w, vec![log.verifier()], &dir.path().join("state")).unwrap();
//! let mut tree = Leaves::new((0..5u8).map(|i| merkle::leaf_hash(&[i])).collect());
//! let cp = Checkpoint { origin: "example.org/log".into(), size: 5, root: merkle::root(&mut tree, 5).unwrap(), extensions: vec![] };
//! let request = AddCheckpoint { old: 0, proof: vec![], note: cp.sign(Some(&log)) };
//! let cosigned = witness.add_checkpoint(request.body().as_bytes(), 1_768_467_600).unwrap();
//! assert!(cosigned.lines.starts_with("— witness.example/w1 "));
//! assert_eq!(witness.add_checkpoint(request.body().as_bytes(), 1).unwrap_err().witnessed_size(), Some(5));
//! ```

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use crate::chain::Hash;
use crate::checkpoint::{Checkpoint, KeyKind, NoteError, NoteSignature, SignerKey, VerifierKey};
use crate::merkle;

/// The most consistency proof lines a request may carry (the spec's limit: a proof between trees
/// of at most 2^64 leaves has fewer).
pub const MAX_PROOF_LINES: usize = 63;

/// The largest request body a witness reads: a checkpoint, its signatures and 63 proof lines
/// take a few kilobytes.
pub const MAX_REQUEST_BYTES: usize = 64 << 10;

/// The content type of a 409 answer that carries the size the witness last cosigned.
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// The longest part of a malformed line quoted back in a refusal.
const QUOTED: usize = 80;

/// An `add-checkpoint` request: the old size, the consistency proof from it, and the
/// checkpoint (a signed note).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size of the checkpoint the client believes the witness cosigned last (0: none).
    pub old: u64,
    /// The RFC 6962 consistency proof from `old` to the checkpoint's size (empty from 0).
    pub proof: Vec<Hash>,
    /// The checkpoint, as a signed note.
    pub note: String,
}

/// Why a request body was refused as malformed (400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The body is not UTF-8.
    #[error("the request body is not UTF-8 text")]
    NotText,
    /// The body is longer than a witness reads.
    #[error("the request body is over {MAX_REQUEST_BYTES} bytes")]
    TooLong,
    /// The first line is not `old SIZE`.
    #[error(
        "the first line `{line}` is not an old size line: `old`, a space, and the size in decimal without leading zeros"
    )]
    OldSize {
        /// The line (its start).
        line: String,
    },
    /// A consistency proof line is not one base64 SHA-256 hash.
    #[error("consistency proof line {n} `{line}` is not one base64 32-byte hash")]
    ProofLine {
        /// Its number (1 for the first proof line).
        n: usize,
        /// The line (its start).
        line: String,
    },
    /// More proof lines than the spec allows.
    #[error("more than {MAX_PROOF_LINES} consistency proof lines")]
    TooManyProofLines,
    /// No empty line after the proof.
    #[error("no empty line ends the consistency proof (every line ends in a line feed)")]
    NoBlankLine,
    /// The checkpoint after the empty line does not parse.
    #[error("the checkpoint: {0}")]
    Checkpoint(NoteError),
}

/// The start of a line, to quote it.
fn quote(line: &str) -> String {
    line.chars().take(QUOTED).collect()
}

/// The next line of `rest` (without its line feed), if a line feed ends one.
fn next_line<'a>(rest: &mut &'a str) -> Option<&'a str> {
    let (line, after) = rest.split_once('\n')?;
    *rest = after;
    Some(line)
}

/// A size in decimal without leading zeros (`0` alone for zero).
pub fn parse_size(s: &str) -> Option<u64> {
    let canonical = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    canonical.then(|| s.parse().ok()).flatten()
}

impl AddCheckpoint {
    /// The request's body: `old N`, a line per proof hash (base64), an empty line, the note.
    pub fn body(&self) -> String {
        let mut s = format!("old {}\n", self.old);
        for h in &self.proof {
            s.push_str(&B64.encode(h.0));
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&self.note);
        s
    }

    /// Reads a request's body, refusing anything that is not exactly the spec's form.
    pub fn parse(body: &[u8]) -> Result<AddCheckpoint, RequestError> {
        if body.len() > MAX_REQUEST_BYTES {
            return Err(RequestError::TooLong);
        }
        let text = std::str::from_utf8(body).map_err(|_| RequestError::NotText)?;
        let mut rest = text;
        let first = next_line(&mut rest).ok_or_else(|| RequestError::OldSize { line: quote(text) })?;
        let old = first
            .strip_prefix("old ")
            .and_then(parse_size)
            .ok_or_else(|| RequestError::OldSize { line: quote(first) })?;
        let mut proof = Vec::new();
        loop {
            let line = next_line(&mut rest).ok_or(RequestError::NoBlankLine)?;
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_LINES {
                return Err(RequestError::TooManyProofLines);
            }
            let hash = B64
                .decode(line)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or_else(|| RequestError::ProofLine { n: proof.len() + 1, line: quote(line) })?;
            proof.push(Hash(hash));
        }
        Checkpoint::parse(rest).map_err(RequestError::Checkpoint)?;
        Ok(AddCheckpoint { old, proof, note: rest.to_owned() })
    }

    /// The checkpoint and its signatures.
    pub fn checkpoint(&self) -> Result<(Checkpoint, Vec<NoteSignature>), NoteError> {
        Checkpoint::parse(&self.note)
    }
}

/// A log's tree as the witness last cosigned it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Witnessed {
    /// The tree size.
    pub size: u64,
    /// Its root.
    pub root: Hash,
}

/// The state file: per origin, the latest tree cosigned. JSON, for an operator to read.
#[derive(Debug, Default, Serialize, Deserialize)]
struct StateFile {
    /// The file's layout (1).
    version: u32,
    /// By origin.
    logs: BTreeMap<String, Witnessed>,
}

/// The layout of the state file this build writes.
const STATE_VERSION: u32 = 1;

/// Why a witness could not start.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The witness's own key is a log's note key.
    #[error("the key {name} is a log's note key; a witness cosigns with a cosigner key (`ledger keygen --witness`)")]
    NotCosigner {
        /// The key's name.
        name: String,
    },
    /// A log's key is a witness's cosigner key.
    #[error("the log key {name} is a witness's cosigner key; a log signs its checkpoints with a note key (0x01)")]
    LogKey {
        /// The key's name.
        name: String,
    },
    /// No log to witness.
    #[error("no log to witness: give at least one log's key")]
    NoLogs,
    /// The state (or its lock) could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// Another process witnesses with the same state.
    #[error(
        "{path} is held by another witness process: two witnesses sharing one state could each roll back the other's"
    )]
    Busy {
        /// The lock file.
        path: PathBuf,
    },
    /// The state file is not one this build reads.
    #[error("{path} is not a witness state file: {what}")]
    State {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
}

/// Why a checkpoint was not cosigned, with the status the spec gives each reason.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The body is malformed (400).
    #[error("{0}")]
    Malformed(RequestError),
    /// The checkpoint's origin is not a log the witness knows (404).
    #[error("unknown log `{origin}`: this witness witnesses {known}")]
    UnknownLog {
        /// The origin.
        origin: String,
        /// The logs it knows, as `a, b`.
        known: String,
    },
    /// No signature of a key trusted for the origin verifies (403).
    #[error("the checkpoint of `{origin}` is not signed by a key this witness trusts for it ({keys})")]
    Untrusted {
        /// The origin.
        origin: String,
        /// The trusted keys, in note format.
        keys: String,
    },
    /// The old size is beyond the checkpoint's (400).
    #[error("old size {old} is larger than the checkpoint's size {size}")]
    OldBeyondSize {
        /// The old size.
        old: u64,
        /// The checkpoint's size.
        size: u64,
    },
    /// The old size is not the size the witness last cosigned (409, the size in the body).
    #[error("old size {old} is not the size this witness last cosigned for `{origin}`, {witnessed}")]
    Stale {
        /// The origin.
        origin: String,
        /// The old size sent.
        old: u64,
        /// The size last cosigned (0: none).
        witnessed: u64,
    },
    /// The same size as last cosigned, with another root: a fork (409).
    #[error(
        "`{origin}` at {size} events has the root {witnessed} this witness cosigned, not {root}: the log shows two histories (a fork)"
    )]
    Fork {
        /// The origin.
        origin: String,
        /// The size.
        size: u64,
        /// The root cosigned.
        witnessed: Hash,
        /// The root sent.
        root: Hash,
    },
    /// The consistency proof does not verify (422).
    #[error("{0}")]
    BadProof(String),
    /// The state could not be written: nothing was cosigned (500).
    #[error("the witness's state could not be written ({path}: {source}): nothing was cosigned")]
    Persist {
        /// The state file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
}

impl Refusal {
    /// The HTTP status the spec gives the refusal.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::Malformed(RequestError::TooLong) => 413,
            Refusal::Malformed(_) | Refusal::OldBeyondSize { .. } => 400,
            Refusal::Untrusted { .. } => 403,
            Refusal::UnknownLog { .. } => 404,
            Refusal::Stale { .. } | Refusal::Fork { .. } => 409,
            Refusal::BadProof(_) => 422,
            Refusal::Persist { .. } => 500,
        }
    }

    /// For a stale old size, the size last cosigned: the body of the 409 answer is this size in
    /// decimal and a line feed, of type [`SIZE_CONTENT_TYPE`].
    pub fn witnessed_size(&self) -> Option<u64> {
        match self {
            Refusal::Stale { witnessed, .. } => Some(*witnessed),
            _ => None,
        }
    }
}

/// A checkpoint cosigned: what the answer carries, and what a log line says of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosigned {
    /// The log.
    pub origin: String,
    /// The old size of the request.
    pub old: u64,
    /// The checkpoint's size.
    pub size: u64,
    /// The answer's body: the witness's cosignature lines.
    pub lines: String,
}

/// What a refused request was about, when it got that far: for the witness's log (the spec
/// suggests keeping refusals of signed checkpoints, which may prove a log's misbehaviour).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The checkpoint's origin.
    pub origin: String,
    /// The old size of the request.
    pub old: u64,
    /// The checkpoint's size.
    pub size: u64,
}

/// The witness: its key, the logs it knows (by origin, each with the keys trusted for it), and
/// its state.
pub struct Witness {
    key: SignerKey,
    logs: BTreeMap<String, Vec<VerifierKey>>,
    path: PathBuf,
    /// The latest tree cosigned per origin, as the state file holds it. Held from the old size's
    /// check until the file is replaced, so that no two requests interleave (the spec's race: a
    /// smaller checkpoint checked first and stored last would roll the log back).
    state: Mutex<BTreeMap<String, Witnessed>>,
    /// The lock on `STATE.lock`, held while the witness runs.
    _lock: File,
}

impl Witness {
    /// The witness with cosigner key `key`, trusting `logs` (note keys, each for the origin of its
    /// name), keeping its state in the file `state` (read if it exists, written on the first
    /// cosignature). `STATE.lock` beside it is held while the witness runs.
    pub fn open(key: SignerKey, logs: Vec<VerifierKey>, state: &Path) -> Result<Witness, OpenError> {
        if key.kind() != KeyKind::Cosigner {
            return Err(OpenError::NotCosigner { name: key.name().to_owned() });
        }
        if logs.is_empty() {
            return Err(OpenError::NoLogs);
        }
        let mut by_origin: BTreeMap<String, Vec<VerifierKey>> = BTreeMap::new();
        for k in logs {
            if k.kind() != KeyKind::Note {
                return Err(OpenError::LogKey { name: k.name().to_owned() });
            }
            let keys = by_origin.entry(k.name().to_owned()).or_default();
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        let mut lock_path = state.as_os_str().to_owned();
        lock_path.push(".lock");
        let lock_path = PathBuf::from(lock_path);
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|source| OpenError::Io { path: lock_path.clone(), source })?;
        lock.try_lock().map_err(|_| OpenError::Busy { path: lock_path.clone() })?;
        let witnessed = read_state(state)?;
        Ok(Witness { key, logs: by_origin, path: state.to_owned(), state: Mutex::new(witnessed), _lock: lock })
    }

    /// The witness's key name.
    pub fn name(&self) -> &str {
        self.key.name()
    }

    /// The witness's verifier key, in note format.
    pub fn verifier(&self) -> String {
        self.key.verifier().to_note_format()
    }

    /// The origins it witnesses.
    pub fn origins(&self) -> Vec<&str> {
        self.logs.keys().map(String::as_str).collect()
    }

    /// The latest tree cosigned for `origin`, if any.
    pub fn witnessed(&self, origin: &str) -> Option<Witnessed> {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).get(origin).copied()
    }

    /// Reads the request's origin and sizes, if it is well-formed enough to have them.
    pub fn attempt(body: &[u8]) -> Option<Attempt> {
        let request = AddCheckpoint::parse(body).ok()?;
        let (cp, _) = request.checkpoint().ok()?;
        Some(Attempt { origin: cp.origin, old: request.old, size: cp.size })
    }

    /// Handles an `add-checkpoint` request's body: the checks in the spec's order, then the new
    /// state written (replacing the file, flushed, before this returns), then the cosignature at
    /// `timestamp` (POSIX seconds).
    pub fn add_checkpoint(&self, body: &[u8], timestamp: u64) -> Result<Cosigned, Refusal> {
        let request = AddCheckpoint::parse(body).map_err(Refusal::Malformed)?;
        let (cp, signatures) = request.checkpoint().map_err(|e| Refusal::Malformed(RequestError::Checkpoint(e)))?;
        let Some(trusted) = self.logs.get(&cp.origin) else {
            return Err(Refusal::UnknownLog { origin: cp.origin, known: self.origins().join(", ") });
        };
        if !trusted.iter().any(|k| k.verify(&cp, &signatures).is_ok()) {
            let keys = trusted.iter().map(VerifierKey::to_note_format).collect::<Vec<_>>().join(", ");
            return Err(Refusal::Untrusted { origin: cp.origin, keys });
        }
        let (old, size) = (request.old, cp.size);
        if old > size {
            return Err(Refusal::OldBeyondSize { old, size });
        }
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let seen = state.get(&cp.origin).copied();
        let witnessed = seen.map_or(0, |w| w.size);
        if old != witnessed {
            return Err(Refusal::Stale { origin: cp.origin, old, witnessed });
        }
        check_proof(&cp, seen, &request.proof)?;
        if seen.is_none_or(|w| w.size != size) {
            let mut next = state.clone();
            next.insert(cp.origin.clone(), Witnessed { size, root: cp.root });
            write_state(&self.path, &next).map_err(|source| Refusal::Persist { path: self.path.clone(), source })?;
            *state = next;
        }
        drop(state);
        let lines = cp.cosign(&self.key, timestamp).map(|s| s.line()).unwrap_or_default();
        Ok(Cosigned { origin: cp.origin, old, size, lines })
    }
}

/// The proof's check: from `seen` (the tree last cosigned; `None`: none, old size 0) to `cp`.
fn check_proof(cp: &Checkpoint, seen: Option<Witnessed>, proof: &[Hash]) -> Result<(), Refusal> {
    let size = cp.size;
    match seen {
        Some(w) if w.size == size => {
            if w.root != cp.root {
                return Err(Refusal::Fork { origin: cp.origin.clone(), size, witnessed: w.root, root: cp.root });
            }
            if !proof.is_empty() {
                return Err(Refusal::BadProof(format!(
                    "a consistency proof from {size} to the same size is empty; {} lines were sent",
                    proof.len()
                )));
            }
        }
        Some(w) => {
            if !merkle::verify_consistency(w.size, size, &w.root, &cp.root, proof) {
                return Err(Refusal::BadProof(format!(
                    "the consistency proof from {} to {size} events does not verify: the checkpoint does not extend the tree this witness cosigned for `{}` (root {})",
                    w.size, cp.origin, w.root
                )));
            }
        }
        None => {
            if !proof.is_empty() {
                return Err(Refusal::BadProof(format!(
                    "a consistency proof from old size 0 is empty; {} lines were sent",
                    proof.len()
                )));
            }
            if size == 0 && cp.root != merkle::empty_root() {
                return Err(Refusal::BadProof(format!(
                    "the root of the empty tree is {}, not {}",
                    merkle::empty_root(),
                    cp.root
                )));
            }
        }
    }
    Ok(())
}

fn read_state(path: &Path) -> Result<BTreeMap<String, Witnessed>, OpenError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(source) => return Err(OpenError::Io { path: path.to_owned(), source }),
    };
    let state = |what: String| OpenError::State { path: path.to_owned(), what };
    let file: StateFile = serde_json::from_str(&text).map_err(|e| state(e.to_string()))?;
    if file.version != STATE_VERSION {
        return Err(state(format!("its layout is version {}; this build reads version {STATE_VERSION}", file.version)));
    }
    Ok(file.logs)
}

fn write_state(path: &Path, logs: &BTreeMap<String, Witnessed>) -> std::io::Result<()> {
    let file = StateFile { version: STATE_VERSION, logs: logs.clone() };
    let mut text = serde_json::to_string_pretty(&file).map_err(std::io::Error::other)?;
    text.push('\n');
    replace_file(path, text.as_bytes())
}

/// Replaces `path` with `bytes` so that a crash leaves the old file or the new one: written under
/// a temporary name beside it, flushed, renamed over it, and the directory flushed (the rename is
/// durable only then).
pub fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut f = File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)?;
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::Leaves;

    const LOG: &str = "example.org/log";

    fn leaves(n: u64, salt: u8) -> Leaves {
        Leaves::new((0..n).map(|i| merkle::leaf_hash(&[&i.to_be_bytes()[..], &[salt]].concat())).collect())
    }

    fn checkpoint(tree: &mut Leaves, size: u64) -> Checkpoint {
        Checkpoint { origin: LOG.into(), size, root: merkle::root(tree, size).unwrap(), extensions: vec![] }
    }

    fn request(tree: &mut Leaves, old: u64, size: u64, key: &SignerKey) -> Vec<u8> {
        let proof = if old == 0 || old >= size { vec![] } else { merkle::consistency_path(tree, old, size).unwrap() };
        AddCheckpoint { old, proof, note: checkpoint(tree, size).sign(Some(key)) }.body().into_bytes()
    }

    fn witness(dir: &Path) -> (Witness, SignerKey) {
        let log = SignerKey::from_seed(LOG, [1; 32]);
        let w = SignerKey::of_kind("witness.example/w1", [2; 32], KeyKind::Cosigner);
        (Witness::open(w, vec![log.verifier()], &dir.join("state.json")).unwrap(), log)
    }

    #[test]
    fn requests_round_trip_and_malformed_ones_are_named() {
        let mut tree = leaves(10, 0);
        let key = SignerKey::from_seed(LOG, [1; 32]);
        let body = request(&mut tree, 3, 10, &key);
        let parsed = AddCheckpoint::parse(&body).unwrap();
        assert_eq!((parsed.old, parsed.proof.len()), (3, merkle::consistency_path(&mut tree, 3, 10).unwrap().len()));
        assert_eq!(parsed.body().as_bytes(), &body[..]);
        let note = checkpoint(&mut tree, 10).sign(Some(&key));
        let h = B64.encode([7u8; 32]);
        let cases: Vec<(String, &str)> = vec![
            (format!("old 03\n\n{note}"), "not an old size line"),
            (format!("old -1\n\n{note}"), "not an old size line"),
            (format!("old 1\n{h}\n\n"), "the checkpoint"),
            (format!("old 1\n{h}\n"), "no empty line"),
            (format!("old 1\n{h}"), "no empty line"),
            (format!("old 1\nAAAA\n\n{note}"), "proof line 1 `AAAA`"),
            (format!("old 1\n{}\n{note}", format!("{h}\n").repeat(64)), "more than 63"),
            (format!("old 99999999999999999999\n\n{note}"), "not an old size line"),
            ("old 1".into(), "not an old size line"),
            (String::new(), "not an old size line"),
        ];
        for (body, why) in cases {
            let e = AddCheckpoint::parse(body.as_bytes()).unwrap_err().to_string();
            assert!(e.contains(why), "{body:?}: {e}");
        }
        assert_eq!(AddCheckpoint::parse(&[0xff, b'\n']), Err(RequestError::NotText));
        assert_eq!(AddCheckpoint::parse(&vec![b'o'; MAX_REQUEST_BYTES + 1]), Err(RequestError::TooLong));
    }

    #[test]
    fn the_witness_checks_in_the_specs_order_and_keeps_its_state() {
        let dir = tempfile::tempdir().unwrap();
        let (w, log) = witness(dir.path());
        let mut tree = leaves(300, 0);
        let status = |r: Result<Cosigned, Refusal>| r.map(|_| 200).unwrap_or_else(|e| e.status());
        // Unknown origin, untrusted key, old beyond the size.
        let other = SignerKey::from_seed("example.org/other", [1; 32]);
        let mut cp = checkpoint(&mut tree, 5);
        cp.origin = "example.org/other".into();
        let body = AddCheckpoint { old: 0, proof: vec![], note: cp.sign(Some(&other)) }.body();
        assert_eq!(status(w.add_checkpoint(body.as_bytes(), 1)), 404);
        let impostor = SignerKey::from_seed(LOG, [9; 32]);
        assert_eq!(status(w.add_checkpoint(&request(&mut tree, 0, 5, &impostor), 1)), 403);
        let unsigned = AddCheckpoint { old: 0, proof: vec![], note: checkpoint(&mut tree, 5).sign(None) }.body();
        assert_eq!(status(w.add_checkpoint(unsigned.as_bytes(), 1)), 403);
        assert_eq!(status(w.add_checkpoint(&request(&mut tree, 6, 5, &log), 1)), 400);
        // First cosignature, then a stale old size, then the right one with its proof.
        let c = w.add_checkpoint(&request(&mut tree, 0, 100, &log), 1_768_467_600).unwrap();
        let sig = NoteSignature::parse_line(c.lines.trim_end()).unwrap();
        let wk = SignerKey::of_kind("witness.example/w1", [2; 32], KeyKind::Cosigner).verifier();
        assert_eq!(wk.verified(&checkpoint(&mut tree, 100), &[sig]), Ok(Some(1_768_467_600)));
        let stale = w.add_checkpoint(&request(&mut tree, 0, 200, &log), 1).unwrap_err();
        assert_eq!((stale.status(), stale.witnessed_size()), (409, Some(100)));
        assert_eq!(status(w.add_checkpoint(&request(&mut tree, 50, 200, &log), 1)), 409);
        // A forged proof, and a proof from another history.
        let mut forged = AddCheckpoint::parse(&request(&mut tree, 100, 200, &log)).unwrap();
        forged.proof[0].0[0] ^= 1;
        assert_eq!(status(w.add_checkpoint(forged.body().as_bytes(), 1)), 422);
        let mut fork = leaves(300, 1);
        assert_eq!(status(w.add_checkpoint(&request(&mut fork, 100, 200, &log), 1)), 422);
        assert_eq!(status(w.add_checkpoint(&request(&mut tree, 100, 200, &log), 1)), 200);
        // The same size again: cosigned again; with another root: a fork.
        assert_eq!(status(w.add_checkpoint(&request(&mut tree, 200, 200, &log), 2)), 200);
        let e = w.add_checkpoint(&request(&mut fork, 200, 200, &log), 2).unwrap_err();
        assert!(matches!(e, Refusal::Fork { size: 200, .. }) && e.status() == 409 && e.witnessed_size().is_none());
        // The state survives the witness: a new one reads it (once the first has let go).
        assert!(matches!(
            Witness::open(
                SignerKey::of_kind("w", [3; 32], KeyKind::Cosigner),
                vec![log.verifier()],
                &dir.path().join("state.json")
            ),
            Err(OpenError::Busy { .. })
        ));
        drop(w);
        let (again, _) = witness(dir.path());
        assert_eq!(again.witnessed(LOG).map(|s| s.size), Some(200));
        assert_eq!(again.add_checkpoint(&request(&mut tree, 0, 300, &log), 1).unwrap_err().witnessed_size(), Some(200));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    /// The spec's race: many requests at once, of sizes in any order, each with the old size it
    /// read; whatever interleaving, the stored size only grows and ends at the largest cosigned.
    #[test]
    fn concurrent_requests_never_roll_the_state_back() {
        let dir = tempfile::tempdir().unwrap();
        let (w, log) = witness(dir.path());
        let mut tree = leaves(64, 0);
        w.add_checkpoint(&request(&mut tree, 0, 1, &log), 1).unwrap();
        let bodies: Vec<(u64, Vec<u8>)> = (2..=64).map(|size| (size, request(&mut tree, 1, size, &log))).collect();
        let won: Vec<u64> = std::thread::scope(|s| {
            let handles: Vec<_> =
                bodies.iter().map(|(size, body)| s.spawn(|| w.add_checkpoint(body, 1).ok().map(|_| *size))).collect();
            handles.into_iter().filter_map(|h| h.join().unwrap()).collect()
        });
        // All asked from old size 1: exactly one can win, and the state is its size.
        assert_eq!(won.len(), 1, "{won:?}");
        assert_eq!(w.witnessed(LOG).map(|s| s.size), Some(won[0]));
    }

    #[test]
    fn a_state_file_of_another_kind_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let log = SignerKey::from_seed(LOG, [1; 32]).verifier();
        let key = || SignerKey::of_kind("w", [2; 32], KeyKind::Cosigner);
        for (text, why) in [("{\"logs\": 3}", "not a witness state file"), ("{\"version\":2,\"logs\":{}}", "version 2")]
        {
            std::fs::write(&path, text).unwrap();
            let e = Witness::open(key(), vec![log.clone()], &path).err().unwrap().to_string();
            assert!(e.contains(why), "{e}");
        }
        let note_key = SignerKey::from_seed("w", [2; 32]);
        assert!(matches!(Witness::open(note_key, vec![log.clone()], &path), Err(OpenError::NotCosigner { .. })));
        assert!(matches!(Witness::open(key(), vec![], &path), Err(OpenError::NoLogs)));
        let cosigner = key().verifier();
        assert!(matches!(Witness::open(key(), vec![cosigner], &path), Err(OpenError::LogKey { .. })));
    }
}
