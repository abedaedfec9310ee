//! Bundles: an exported copy of a ledger that an auditor verifies without any store.
//!
//! A bundle is JSON Lines: every recorded event in seq order (each with its `hash`), then one
//! line `{"checkpoint": NOTE}` holding the signed checkpoint of the whole tree. Verifying it
//! re-derives everything from the events alone: hashes, links, seqs, times, lifecycle rules, the
//! Merkle root, and the checkpoint's signature; and, given an older checkpoint, that the bundle
//! extends it.
//!
//! A bundle has one encoding, byte for byte: each line is the RFC 8785 canonical JSON of its
//! object, ended by `\n`, and each event is in the one form the ledger writes it (every time value
//! included). Anything else is refused, naming the line and the member: a bundle that verifies is
//! exactly what `export` writes for the ledger it restores.

use std::io::{BufRead, Write};
use std::path::Path;

use crate::chain::Hash;
use crate::checkpoint::{Checkpoint, NoteSignature, SignerKey, VerifierKey};
use crate::error::{Error, Result};
use crate::event::{Event, RecordedEvent};
use crate::ledger::Ledger;
use crate::lifecycle::KeyIndex;
use crate::merkle::{self, Leaves};
use crate::store::{self, BLOCK_EVENTS, Commit, Head, Store};
use crate::tree::StoreTree;
use crate::verify::{ChainIndex, Indexed, check_event};

/// The checkpoint of the ledger as it stands, signed when `key` is given.
pub fn checkpoint(ledger: &Ledger, key: Option<&SignerKey>) -> Result<(Checkpoint, String)> {
    let head = ledger.head()?;
    let size = head.seq + 1;
    let cp = Checkpoint {
        origin: ledger.name()?,
        size,
        root: ledger.tree_root(size)?,
        extensions: vec![Checkpoint::head_extension(head.seq, &head.hash)],
    };
    let note = cp.sign(key);
    Ok((cp, note))
}

/// Writes the bundle of every event and a checkpoint.
pub fn export(ledger: &Ledger, out: &mut impl Write, key: Option<&SignerKey>) -> Result<Checkpoint> {
    let io = |e: std::io::Error| Error::Io { path: "the bundle".into(), source: e };
    let (cp, note) = checkpoint(ledger, key)?;
    // Canonical JSON, not serde_json's: its member order differs from RFC 8785's for names that
    // mix characters above U+FFFF with U+E000..U+FFFF, and a bundle must be canonical.
    let mut line = Vec::new();
    for e in ledger.events(0).take(cp.size as usize) {
        line.clear();
        crate::canonical::write(&e?.to_value(), &mut line).map_err(|e| Error::Internal(e.to_string()))?;
        line.push(b'\n');
        out.write_all(&line).map_err(io)?;
    }
    line.clear();
    crate::canonical::write(&serde_json::json!({ "checkpoint": note }), &mut line)
        .map_err(|e| Error::Internal(e.to_string()))?;
    line.push(b'\n');
    out.write_all(&line).map_err(io)?;
    out.flush().map_err(io)?;
    Ok(cp)
}

/// The longest bundle line: an input line at its limit, with the envelope the ledger adds.
pub const MAX_BUNDLE_LINE: usize = crate::validate::limits::MAX_RECORDED_EVENT_BYTES;

/// Why a bundle does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{what}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct BundleError {
    /// The bundle line to blame (1-based), if one is.
    pub line: Option<usize>,
    /// What failed.
    pub what: String,
}

fn fail<T>(line: Option<usize>, what: impl Into<String>) -> Result<T, BundleError> {
    Err(BundleError { line, what: what.into() })
}

/// A bundle that verified.
#[derive(Debug)]
pub struct Verified {
    /// The number of events.
    pub events: u64,
    /// The last event's seq and hash.
    pub head: (u64, Hash),
    /// The checkpoint it carries.
    pub checkpoint: Checkpoint,
    /// The name of the key whose signature was checked, if one was.
    pub signed_by: Option<String>,
    /// The size of the older checkpoint it was shown to extend, if one was given.
    pub extends: Option<u64>,
    /// The events with their canonical bytes (kept only when asked for).
    pub kept: Vec<(Vec<u8>, RecordedEvent)>,
}

/// What to check a bundle against.
#[derive(Default)]
pub struct Checks<'a> {
    /// The key that must have signed the bundle's checkpoint (and the older one, if given).
    pub key: Option<&'a VerifierKey>,
    /// An older checkpoint the bundle must extend.
    pub older: Option<(Checkpoint, Vec<NoteSignature>)>,
    /// Keep the events (to restore a ledger from them).
    pub keep: bool,
}

/// Verifies a bundle without any store. Every line must be canonical JSON ended by `\n`, and
/// every event in the one form the ledger writes it (see the module's documentation).
pub fn verify(input: impl BufRead, checks: Checks) -> Result<Verified, BundleError> {
    let mut prev = Hash::ZERO;
    let mut last_recorded = i64::MIN;
    let mut index = ChainIndex::default();
    let mut tree = Leaves::new(Vec::new());
    let mut kept = Vec::new();
    let mut note: Option<String> = None;
    let mut origin = String::new();
    let mut seq = 0u64;
    let mut input = input;
    let mut buf = Vec::new();
    for i in 0.. {
        let n = Some(i + 1);
        buf.clear();
        // A line is read only up to the longest an event can be: a bundle cannot make us buffer more.
        let read = std::io::Read::take(&mut input, MAX_BUNDLE_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| BundleError { line: n, what: format!("unreadable: {e}") })?;
        if read == 0 {
            break;
        }
        if buf.len() > MAX_BUNDLE_LINE {
            return fail(n, format!("a line longer than {MAX_BUNDLE_LINE} bytes: not a bundle"));
        }
        let Some(text) = buf.strip_suffix(b"\n") else {
            return fail(n, "the last line has no line end: a damaged or truncated bundle");
        };
        if text.is_empty() {
            return fail(n, "a blank line: a bundle holds one JSON object per line and nothing else");
        }
        if note.is_some() {
            return fail(n, "text after the checkpoint");
        }
        if std::str::from_utf8(text).is_err() {
            return fail(n, "not UTF-8");
        }
        let members = crate::canonical::members(text).map_err(|e| BundleError { line: n, what: refusal(text, e) })?;
        if members.iter().any(|(name, _)| name == "checkpoint") {
            let [(_, raw)] = members.as_slice() else {
                return fail(n, "the checkpoint line must hold only the member `checkpoint`");
            };
            let text: String = serde_json::from_slice(raw)
                .map_err(|_| BundleError { line: n, what: "the checkpoint is not a string".into() })?;
            note = Some(text);
            continue;
        }
        let stated = match members.iter().find(|(name, _)| name == "hash") {
            Some((_, raw)) => serde_json::from_slice::<String>(raw)
                .map_err(|e| e.to_string())
                .and_then(|s| Hash::from_hex(&s))
                .map_err(|e| BundleError { line: n, what: format!("event {seq}: `hash`: {e}") })?,
            None => return fail(n, format!("event {seq}: no `hash`")),
        };
        // The line without its `hash` member: still canonical, and what the hash is over.
        let mut bytes = Vec::with_capacity(text.len());
        bytes.push(b'{');
        for (name, raw) in members.iter().filter(|(name, _)| name != "hash") {
            if bytes.len() > 1 {
                bytes.push(b',');
            }
            crate::canonical::write_str(name, &mut bytes);
            bytes.push(b':');
            bytes.extend_from_slice(raw);
        }
        bytes.push(b'}');
        let (rec, ix) = check_event(seq, &prev, last_recorded, &stated, &bytes)
            .map_err(|what| BundleError { line: n, what: format!("event {seq}: {what}") })?;
        index.add(ix).map_err(|what| BundleError { line: n, what: format!("event {seq}: {what}") })?;
        if let Event::Genesis(g) = &rec.event {
            origin = g.ledger.clone();
        }
        tree.push(&rec.hash);
        prev = rec.hash;
        last_recorded = rec.recorded_at.0;
        seq += 1;
        if checks.keep {
            kept.push((bytes, rec));
        }
    }
    let Some(note) = note else {
        let what = match seq.checked_sub(1) {
            Some(last) => format!("the bundle ends after event {last} without its checkpoint: truncated?"),
            None => "the bundle holds no events and no checkpoint: an empty file is not a bundle".to_owned(),
        };
        return fail(None, what);
    };
    if seq == 0 {
        return fail(None, "the bundle holds no events");
    }
    if let Some(f) = index.check() {
        return fail(None, format!("event {}: breaks a lifecycle rule: {}", f.seq, f.what));
    }
    let (cp, sigs) =
        Checkpoint::parse(&note).map_err(|e| BundleError { line: None, what: format!("the checkpoint: {e}") })?;
    let mut signed_by = None;
    if let Some(key) = checks.key {
        key.verify(&cp, &sigs)
            .map_err(|e| BundleError { line: None, what: format!("the bundle's checkpoint: {e}") })?;
        signed_by = Some(key.name().to_owned());
    }
    if cp.origin != origin {
        return fail(
            None,
            format!("the checkpoint is for the ledger `{}`, the bundle's genesis names `{origin}`", cp.origin),
        );
    }
    if cp.size != seq {
        return fail(None, format!("the checkpoint is for {} events; the bundle holds {seq}", cp.size));
    }
    let root = merkle::root(&mut tree, seq).map_err(|m| BundleError { line: None, what: format!("tree {m:?}") })?;
    if root != cp.root {
        return fail(None, format!("the bundle's events make the Merkle root {root}; the checkpoint says {}", cp.root));
    }
    if let Some((head_seq, head_hash)) = cp.head()
        && (head_seq != seq - 1 || head_hash != prev)
    {
        return fail(
            None,
            format!("the checkpoint names head {head_seq} {head_hash}; the bundle's last event is {} {prev}", seq - 1),
        );
    }
    let mut extends = None;
    if let Some((old, old_sigs)) = checks.older {
        if let Some(key) = checks.key {
            key.verify(&old, &old_sigs)
                .map_err(|e| BundleError { line: None, what: format!("the older checkpoint: {e}") })?;
        }
        if old.origin != cp.origin {
            return fail(None, format!("the older checkpoint is of the ledger `{}`, not `{}`", old.origin, cp.origin));
        }
        if old.size == 0 || old.size > seq {
            return fail(
                None,
                format!(
                    "the older checkpoint is of {} events; the bundle holds {seq}: it does not extend it",
                    old.size
                ),
            );
        }
        let proof = merkle::consistency_path(&mut tree, old.size, seq)
            .map_err(|m| BundleError { line: None, what: format!("tree {m:?}") })?;
        if !merkle::verify_consistency(old.size, seq, &old.root, &root, &proof) {
            return fail(
                None,
                format!(
                    "the bundle does not extend the older checkpoint: its first {} events do not make the root {}; history was rewritten",
                    old.size, old.root
                ),
            );
        }
        extends = Some(old.size);
    }
    Ok(Verified { events: seq, head: (seq - 1, prev), checkpoint: cp, signed_by, extends, kept })
}

/// Why a bundle line that is not canonical JSON was refused: a repeated member, JSON that does
/// not parse, or where it leaves the canonical form (`scan`, from [`crate::canonical::members`]).
fn refusal(text: &[u8], scan: String) -> String {
    match crate::canonical::parse_unique(text) {
        Err(e @ crate::canonical::JsonError::Duplicate { .. }) => e.to_string(),
        Err(e) => format!("not valid JSON ({e}): a damaged or truncated bundle"),
        Ok(_) => format!("{scan} (a bundle line is the RFC 8785 canonical form of its object)"),
    }
}

/// Builds a new ledger at `path` from a verified bundle's events (kept with [`Checks::keep`]).
pub fn restore(path: &Path, bundle: &Verified) -> Result<Ledger> {
    let (Some((_, first)), Some((_, last))) = (bundle.kept.first(), bundle.kept.last()) else {
        return Err(Error::Refused("the bundle's events were not kept".into()));
    };
    let Event::Genesis(genesis) = &first.event else {
        return Err(Error::Refused("the bundle does not start with a genesis event".into()));
    };
    let store = Store::create(path, std::time::Duration::ZERO)?;
    let mut index = ChainIndex::folding();
    let mut blocks: Vec<(u64, Vec<u8>)> = Vec::new();
    for (i, (bytes, rec)) in bundle.kept.iter().enumerate() {
        let n = i as u64 / BLOCK_EVENTS;
        if blocks.last().is_none_or(|(b, _)| *b != n) {
            blocks.push((n, Vec::new()));
        }
        if let Some((_, block)) = blocks.last_mut() {
            store::push_event(block, &rec.hash, bytes);
        }
        Indexed::of(rec).and_then(|ix| index.add(ix)).map_err(|e| Error::Refused(format!("event {}: {e}", rec.seq)))?;
    }
    if let Some(f) = index.check() {
        return Err(Error::Refused(format!("event {}: {}", f.seq, f.what)));
    }
    index.fold_records().map_err(|f| Error::Refused(format!("event {}: {}", f.seq, f.what)))?;
    let keys: Vec<(crate::event::Key, KeyIndex)> = index.into_keys().into_iter().collect();
    let records = keys.iter().map(|(k, i)| (k.clone(), i.record.clone())).collect();
    let nodes = StoreTree::new(&store).complete(&blocks)?;
    store.commit(Commit {
        blocks,
        keys,
        records,
        head: Some(Head { seq: last.seq, hash: last.hash, recorded_at: last.recorded_at }),
        name: Some(genesis.ledger.clone()),
        import: None,
        nodes,
    })?;
    drop(store);
    Ledger::open(path)
}
