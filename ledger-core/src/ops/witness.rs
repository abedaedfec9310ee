//! `witness add-checkpoint DIR`: a published log's checkpoint cosigned by a witness (C2SP
//! tlog-witness) and the cosignature kept in the checkpoint, where every reader of DIR finds it.
//!
//! The request names the size the witness cosigned last and carries the consistency proof from
//! it, computed from DIR's own tiles: the client starts from old size 0 (it keeps no record of
//! the witness), and a 409 that names the witness's size is answered once more with that size and
//! its proof. The conversation is the front end's transport ([`Reply`], one `POST` per call);
//! what is sent, how each answer is read and what is kept are here. The witness's cosignatures
//! are verified with its key before they are kept; each replaces an earlier one of the same key,
//! under DIR's lock (the one `publish` takes), and only if the checkpoint did not change meanwhile.

use std::fs::File;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::chain::Hash;
use crate::checkpoint::{Checkpoint, NoteError, NoteSignature, VerifierKey};
use crate::merkle;
use crate::ops::audit::WitnessCosignature;
use crate::publish::CHECKPOINT_FILE;
use crate::tlog::{DirSource, TiledTree};
use crate::witness::{self, AddCheckpoint, SIZE_CONTENT_TYPE};

/// A witness's answer to one `POST add-checkpoint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type`, if the answer had one.
    pub content_type: Option<String>,
    /// The body, as text.
    pub body: String,
}

/// `witness add-checkpoint DIR`: the checkpoint now in DIR and the cosignatures added to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct WitnessedOutput {
    /// The directory of the published log.
    pub dir: String,
    /// The witness's URL (its submission prefix).
    pub url: String,
    /// The log's origin (the ledger's name).
    pub origin: String,
    /// The size of the checkpoint cosigned.
    pub size: u64,
    /// Its root.
    pub root: Hash,
    /// The old size of the request that was cosigned: the size the witness had cosigned before.
    pub old_size: u64,
    /// Whether the first request was answered 409 with the witness's size and sent again.
    pub retried: bool,
    /// The witness's cosignatures kept in the checkpoint (verified with its key).
    pub cosignatures: Vec<WitnessCosignature>,
    /// The checkpoint now in DIR, as a signed note with its cosignatures.
    pub checkpoint: String,
}

/// Why a checkpoint was not cosigned, or its cosignature not kept. `E` is the transport's error.
#[derive(Debug, thiserror::Error)]
pub enum AddError<E: std::fmt::Display> {
    /// A file of DIR could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// DIR has no checkpoint.
    #[error("{path} does not exist: publish the log there first (`ledger publish DIR --sign KEYFILE`)")]
    NoCheckpoint {
        /// The checkpoint's path.
        path: PathBuf,
    },
    /// DIR's checkpoint does not parse.
    #[error("{path} is not a checkpoint: {error}")]
    NotACheckpoint {
        /// The checkpoint's path.
        path: PathBuf,
        /// Why.
        error: NoteError,
    },
    /// The consistency proof could not be computed from DIR's tiles.
    #[error("the consistency proof from {old} to {size} events could not be read from the tiles of {dir}: {what}")]
    Tiles {
        /// The directory.
        dir: PathBuf,
        /// The old size.
        old: u64,
        /// The checkpoint's size.
        size: u64,
        /// What failed.
        what: String,
    },
    /// The witness could not be asked (the transport's failure).
    #[error("{0}")]
    Transport(E),
    /// The witness refused the checkpoint: its status, in words, and what it said.
    #[error("the witness at {url} {what} (HTTP {status}): it said: {said}")]
    Refused {
        /// The witness's URL.
        url: String,
        /// The status.
        status: u16,
        /// What the status means here.
        what: String,
        /// The witness's own words (its answer's start).
        said: String,
    },
    /// The witness has cosigned a larger tree of the log than DIR's checkpoint.
    #[error(
        "the witness at {url} has cosigned `{origin}` at {witnessed} events, more than the {size} of {path}: the published log is behind what the witness saw (an older copy, or a log rolled back)"
    )]
    Behind {
        /// The witness's URL.
        url: String,
        /// The origin.
        origin: String,
        /// The size the witness cosigned.
        witnessed: u64,
        /// DIR's checkpoint's size.
        size: u64,
        /// The checkpoint's path.
        path: PathBuf,
    },
    /// The answer was not one a witness gives.
    #[error("the witness at {url} answered {status} with what a witness does not answer: {said}")]
    BadReply {
        /// The witness's URL.
        url: String,
        /// The status.
        status: u16,
        /// Its answer's start.
        said: String,
    },
    /// The answer held no valid cosignature of the witness's key.
    #[error("the witness at {url} answered with no valid cosignature of the key {key} ({lines}): nothing was kept")]
    NoCosignature {
        /// The witness's URL.
        url: String,
        /// The witness key expected, in note format.
        key: String,
        /// What its lines were, in words.
        lines: String,
    },
    /// DIR's checkpoint changed while the witness cosigned it (a `publish` ran meanwhile).
    #[error(
        "{path} changed while the witness cosigned it (a `ledger publish` ran meanwhile): the cosignature is of the checkpoint before; nothing was kept: run `ledger witness add-checkpoint` again"
    )]
    Changed {
        /// The checkpoint's path.
        path: PathBuf,
    },
}

impl<E: std::fmt::Display> AddError<E> {
    /// The status of a refusal, if the witness refused.
    pub fn status(&self) -> Option<u16> {
        match self {
            AddError::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// The start of a witness's answer, to quote it.
fn said(body: &str) -> String {
    let text = body.trim();
    let mut s: String = text.chars().take(500).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    if s.is_empty() { "nothing".to_owned() } else { s }
}

/// DIR's checkpoint, as read.
struct Published {
    path: PathBuf,
    checkpoint: Checkpoint,
}

fn read_checkpoint<E: std::fmt::Display>(path: &Path) -> Result<(Checkpoint, Vec<NoteSignature>), AddError<E>> {
    let note = match std::fs::read_to_string(path) {
        Ok(n) => n,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(AddError::NoCheckpoint { path: path.to_owned() });
        }
        Err(source) => return Err(AddError::Io { path: path.to_owned(), source }),
    };
    Checkpoint::parse(&note).map_err(|error| AddError::NotACheckpoint { path: path.to_owned(), error })
}

/// The request from `old` to the checkpoint's size, the proof read from DIR's tiles.
fn request<E: std::fmt::Display>(dir: &Path, p: &Published, note: &str, old: u64) -> Result<String, AddError<E>> {
    let size = p.checkpoint.size;
    let proof = if old == 0 || old >= size {
        Vec::new()
    } else {
        let mut tree = TiledTree::new(DirSource::new(dir), size);
        merkle::consistency_path(&mut tree, old, size).map_err(|e| AddError::Tiles {
            dir: dir.to_owned(),
            old,
            size,
            what: e.to_string(),
        })?
    };
    Ok(AddCheckpoint { old, proof, note: note.to_owned() }.body())
}

/// Asks the witness at `url` (through `post`, which sends one request body and returns the
/// answer) to cosign the checkpoint of the log published in `dir`, and keeps its cosignatures,
/// verified with `witness`, in `dir`'s checkpoint.
pub fn add_checkpoint<E: std::fmt::Display>(
    dir: &Path,
    witness: &VerifierKey,
    url: &str,
    mut post: impl FnMut(&str) -> Result<Reply, E>,
) -> Result<WitnessedOutput, AddError<E>> {
    let path = dir.join(CHECKPOINT_FILE);
    let (checkpoint, signatures) = read_checkpoint(&path)?;
    // Sent as read, the log's signatures and any earlier cosignatures with it (the witness
    // ignores the lines of keys it does not know).
    let note = checkpoint.note(&signatures);
    let published = Published { path: path.clone(), checkpoint };
    let cp = &published.checkpoint;
    let mut old = 0;
    let mut reply = post(&request(dir, &published, &note, old)?).map_err(AddError::Transport)?;
    let mut retried = false;
    if let Some(witnessed) = stale_size(&reply, url)? {
        if witnessed > cp.size {
            return Err(AddError::Behind {
                url: url.to_owned(),
                origin: cp.origin.clone(),
                witnessed,
                size: cp.size,
                path,
            });
        }
        old = witnessed;
        retried = true;
        reply = post(&request(dir, &published, &note, old)?).map_err(AddError::Transport)?;
    }
    if reply.status != 200 {
        return Err(refused(url, &reply, cp, old, retried, &path));
    }
    let cosignatures = verified(url, &reply.body, cp, witness)?;
    let kept = merge(&published, &cosignatures)?;
    Ok(WitnessedOutput {
        dir: dir.display().to_string(),
        url: url.to_owned(),
        origin: cp.origin.clone(),
        size: cp.size,
        root: cp.root,
        old_size: old,
        retried,
        cosignatures: cosignatures.iter().map(|(_, t)| WitnessCosignature::new(witness, *t)).collect(),
        checkpoint: kept,
    })
}

/// The witness's size, if the answer is a 409 that names it.
fn stale_size<E: std::fmt::Display>(reply: &Reply, url: &str) -> Result<Option<u64>, AddError<E>> {
    let sized = reply
        .content_type
        .as_deref()
        .is_some_and(|t| t.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case(SIZE_CONTENT_TYPE)));
    if reply.status != 409 || !sized {
        return Ok(None);
    }
    reply.body.strip_suffix('\n').and_then(witness::parse_size).map(Some).ok_or_else(|| AddError::BadReply {
        url: url.to_owned(),
        status: 409,
        said: said(&reply.body),
    })
}

/// A refusal in words: what the status means for this checkpoint.
fn refused<E: std::fmt::Display>(
    url: &str,
    reply: &Reply,
    cp: &Checkpoint,
    old: u64,
    retried: bool,
    path: &Path,
) -> AddError<E> {
    let origin = &cp.origin;
    let what = match reply.status {
        404 => format!(
            "does not witness the log `{origin}` (a witness knows the logs whose keys it was started with: `ledger witness serve --log`)"
        ),
        403 => format!(
            "does not trust the key that signed {} for `{origin}` (it checks the log's signature with the keys it was given)",
            path.display()
        ),
        422 => format!(
            "refused the consistency proof from {old} to {} events read from the published tiles: the log does not extend what the witness cosigned",
            cp.size
        ),
        409 if retried => format!(
            "answered 409 again after the retry from its own size {old}: the log is not consistent with what the witness cosigned (a fork), or another client moved it meanwhile"
        ),
        409 => format!("has cosigned another tree of {} events for `{origin}` (a fork of what it witnessed)", cp.size),
        400 => "refused the request as malformed".to_owned(),
        413 => "refused the request as too large".to_owned(),
        status => {
            return AddError::BadReply { url: url.to_owned(), status, said: said(&reply.body) };
        }
    };
    AddError::Refused { url: url.to_owned(), status: reply.status, what, said: said(&reply.body) }
}

/// The answer's valid cosignatures by `witness`, each with its timestamp (the first of each key
/// kept). Lines of other keys are ignored, as the spec asks; none valid is a failure.
fn verified<E: std::fmt::Display>(
    url: &str,
    body: &str,
    cp: &Checkpoint,
    witness: &VerifierKey,
) -> Result<Vec<(NoteSignature, u64)>, AddError<E>> {
    let (mut lines, mut others, mut invalid) = (0, 0, 0);
    let mut valid: Vec<(NoteSignature, u64)> = Vec::new();
    for line in body.lines().filter(|l| !l.is_empty()) {
        lines += 1;
        let Ok(sig) = NoteSignature::parse_line(line) else {
            invalid += 1;
            continue;
        };
        if !witness.names(&sig) {
            others += 1;
            continue;
        }
        match witness.verified(cp, std::slice::from_ref(&sig)) {
            Ok(Some(t)) if !valid.iter().any(|(s, _)| s.same_key(&sig)) => valid.push((sig, t)),
            Ok(_) => {}
            Err(_) => invalid += 1,
        }
    }
    if valid.is_empty() {
        return Err(AddError::NoCosignature {
            url: url.to_owned(),
            key: witness.to_note_format(),
            lines: format!(
                "{lines} lines: {others} of other keys, {invalid} not valid cosignatures of this checkpoint by it"
            ),
        });
    }
    Ok(valid)
}

/// Keeps the cosignatures in DIR's checkpoint, under DIR's lock: the checkpoint read again and
/// refused if its body changed, each earlier cosignature of the same key replaced, the file
/// replaced atomically. Returns the note now in DIR.
fn merge<E: std::fmt::Display>(p: &Published, cosignatures: &[(NoteSignature, u64)]) -> Result<String, AddError<E>> {
    let dir = match p.path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| AddError::Io { path, source }
    };
    // `publish` holds this lock while it writes; waiting for it is waiting for its run to end.
    let lock = File::open(dir).map_err(io(dir))?;
    lock.lock().map_err(io(dir))?;
    let (now, mut signatures) = read_checkpoint(&p.path)?;
    if now.body() != p.checkpoint.body() {
        return Err(AddError::Changed { path: p.path.clone() });
    }
    signatures.retain(|s| !cosignatures.iter().any(|(c, _)| c.same_key(s)));
    signatures.extend(cosignatures.iter().map(|(c, _)| c.clone()));
    let note = now.note(&signatures);
    witness::replace_file(&p.path, note.as_bytes()).map_err(io(&p.path))?;
    Ok(note)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::{KeyKind, SignerKey};
    use crate::input::{Numbered, parse_value};
    use crate::ledger::Ledger;
    use crate::time::FixedClock;
    use crate::view::View;
    use crate::witness::Witness;

    fn designations(from: usize, n: usize) -> Vec<Numbered<crate::event::InputEvent>> {
        (from..from + n)
            .map(|i| {
                let v = serde_json::json!({"type": "designation", "authority": "UK", "id": format!("T{i:06}"),
                    "effective": "2025-01-01", "regime": {"code": "GIM"},
                    "subject": {"kind": "entity", "names": [{"name": format!("NAME {i}"), "type": "primary"}]}});
                Numbered { line: i + 1, event: parse_value(i + 1, v).unwrap() }
            })
            .collect()
    }

    /// The witness in the same process, as the transport.
    fn through(w: &Witness, timestamp: u64) -> impl FnMut(&str) -> Result<Reply, std::convert::Infallible> + '_ {
        move |body| {
            Ok(match w.add_checkpoint(body.as_bytes(), timestamp) {
                Ok(c) => Reply { status: 200, content_type: None, body: c.lines },
                Err(e) => Reply {
                    status: e.status(),
                    content_type: e.witnessed_size().map(|_| SIZE_CONTENT_TYPE.to_owned()),
                    body: e.witnessed_size().map_or_else(|| e.to_string(), |n| format!("{n}\n")),
                },
            })
        }
    }

    #[test]
    fn a_published_checkpoint_is_cosigned_retried_from_the_witnesses_size_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let clock = FixedClock::new(1_750_000_000_000_000);
        let ledger = Ledger::init(&dir.path().join("l.sled"), "example.org/log", "tester", &clock).unwrap();
        let key = SignerKey::from_seed("example.org/log", [3; 32]);
        let wkey = SignerKey::of_kind("witness.example/w1", [4; 32], KeyKind::Cosigner);
        let wv = wkey.verifier();
        let w = Witness::open(wkey, vec![key.verifier()], &dir.path().join("w.state")).unwrap();
        let out = dir.path().join("log");
        ledger.append(&designations(0, 300), "tester", &clock).unwrap();
        crate::publish::publish(&View::now(&ledger).unwrap(), &out, &key, &()).unwrap();
        let first = add_checkpoint(&out, &wv, "http://w", through(&w, 100)).unwrap();
        assert_eq!((first.size, first.old_size, first.retried), (301, 0, false));
        assert_eq!(first.cosignatures[0].timestamp, 100);
        // Cosigned again at the same size: the earlier cosignature is replaced, not added to.
        let again = add_checkpoint(&out, &wv, "http://w", through(&w, 200)).unwrap();
        assert_eq!((again.old_size, again.retried), (301, true));
        let note = std::fs::read_to_string(out.join(CHECKPOINT_FILE)).unwrap();
        let (cp, sigs) = Checkpoint::parse(&note).unwrap();
        assert_eq!(sigs.len(), 2, "{note}");
        assert_eq!(wv.verified(&cp, &sigs), Ok(Some(200)));
        key.verifier().verify(&cp, &sigs).unwrap();
        // The log grows: the witness's size is learnt from its 409 and the proof read from tiles.
        ledger.append(&designations(300, 100), "tester", &clock).unwrap();
        crate::publish::publish(&View::now(&ledger).unwrap(), &out, &key, &()).unwrap();
        let grown = add_checkpoint(&out, &wv, "http://w", through(&w, 300)).unwrap();
        assert_eq!((grown.size, grown.old_size, grown.retried), (401, 301, true));
        // Another witness's lines are ignored; an answer without the witness's own is refused.
        let other = SignerKey::of_kind("witness.example/w2", [5; 32], KeyKind::Cosigner);
        let (cp, _) = Checkpoint::parse(&grown.checkpoint).unwrap();
        let foreign = cp.cosign(&other, 1).unwrap().line();
        let e = add_checkpoint(&out, &wv, "http://w", |_| {
            Ok::<_, std::convert::Infallible>(Reply { status: 200, content_type: None, body: foreign.clone() })
        })
        .unwrap_err()
        .to_string();
        assert!(e.contains("no valid cosignature") && e.contains("1 of other keys"), "{e}");
        // A witness that has seen more than DIR holds: the log is behind it.
        let behind = add_checkpoint(&out, &wv, "http://w", |_| {
            Ok::<_, std::convert::Infallible>(Reply {
                status: 409,
                content_type: Some("text/x.tlog.size".into()),
                body: "9999\n".into(),
            })
        });
        assert!(matches!(behind, Err(AddError::Behind { witnessed: 9999, size: 401, .. })), "{behind:?}");
    }
}
