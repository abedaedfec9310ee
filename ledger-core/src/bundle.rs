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

use std::borrow::Cow;

use crate::chain::{Hash, Head};
use crate::checkpoint::{Checkpoint, NoteSignature, SignerKey, VerifierKey};
use crate::error::{Error, Result};
use crate::event::{Event, RecordedEvent};
use crate::ledger::Ledger;
use crate::lifecycle::KeyIndex;
use crate::merkle::{self, Leaves};
use crate::seq::Seq;
use crate::store::{Commit, SealedEvent, Store};
use crate::tree::StoreTree;
use crate::verify::{ChainIndex, EventProblem, Indexed, check_event};
use crate::view::View;

/// The checkpoint of the ledger at the view's head, signed when `key` is given.
pub fn checkpoint(view: &View, key: Option<&SignerKey>) -> Result<(Checkpoint, String)> {
    checkpoint_at(view, view.head().seq.size(), key)
}

/// The checkpoint of the tree of the first `size` events (at most the view's head), signed when
/// `key` is given: its `head` extension names event `size - 1`.
pub fn checkpoint_at(view: &View, size: u64, key: Option<&SignerKey>) -> Result<(Checkpoint, String)> {
    let ledger = view.ledger();
    let head = view.head();
    let last = match size.checked_sub(1).map(Seq::new) {
        Some(seq) if seq <= head.seq => seq,
        _ => {
            return Err(Error::Refused(format!("the tree size must be between 1 and {}, not {size}", head.seq.size())));
        }
    };
    let hash = if last == head.seq {
        head.hash
    } else {
        ledger.event(last)?.map(|e| e.hash).ok_or_else(|| Error::Internal(format!("event {last} is missing")))?
    };
    let keys = view.key_map(size)?.commitment();
    let cp = Checkpoint {
        origin: ledger.name()?,
        size,
        root: ledger.tree_root(size)?,
        extensions: vec![Checkpoint::head_extension(last, &hash), Checkpoint::keys_extension(keys.keys, &keys.root)],
    };
    let note = cp.sign(key);
    Ok((cp, note))
}

/// Writes the bundle of every event up to the view's head and its checkpoint.
pub fn export(view: &View, out: &mut impl Write, key: Option<&SignerKey>) -> Result<Checkpoint> {
    let io = |e: std::io::Error| Error::Io { path: "the bundle".into(), source: e };
    let (cp, note) = checkpoint(view, key)?;
    let ledger = view.ledger();
    // Canonical JSON, not serde_json's: its member order differs from RFC 8785's for names that
    // mix characters above U+FFFF with U+E000..U+FFFF, and a bundle must be canonical.
    let mut line = Vec::new();
    for e in ledger.events(Seq::GENESIS).take(cp.size as usize) {
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
    /// The last event.
    pub head: Head,
    /// The checkpoint it carries.
    pub checkpoint: Checkpoint,
    /// The tree whose root the checkpoint names.
    pub tree: TreeKind,
    /// The key map the checkpoint names, which the events were shown to make (`None`: the
    /// checkpoint names none, as an earlier build's did not).
    pub key_map: Option<crate::keymap::Commitment>,
    /// The name of the key whose signature was checked, if one was.
    pub signed_by: Option<String>,
    /// The size of the older checkpoint it was shown to extend, if one was given.
    pub extends: Option<u64>,
    /// The events with their canonical bytes (kept only when asked for).
    pub kept: Vec<(Vec<u8>, RecordedEvent)>,
}

/// The Merkle tree a bundle's checkpoint names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeKind {
    /// RFC 6962 with SHA-256 over the entries: what this build writes (store layout 3 and later).
    Rfc6962,
    /// The BLAKE3 tree over event hashes of store layout 2 ([`merkle::layout2`]): a bundle
    /// exported by an earlier build, read to restore it.
    Layout2,
}

impl TreeKind {
    /// Its name in answers.
    pub fn name(self) -> &'static str {
        match self {
            TreeKind::Rfc6962 => "rfc6962-sha256",
            TreeKind::Layout2 => "layout2-blake3",
        }
    }
}

/// The trees a bundle's events make, for checking an older checkpoint against the one its
/// checkpoint names.
struct Trees<'a> {
    kind: TreeKind,
    leaves: &'a mut Leaves,
    event_hashes: &'a [Hash],
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
    let read = read_lines(input, checks.keep)?;
    let Some(note) = read.note else {
        let what = match read.seq.checked_sub(1) {
            Some(last) => format!("the bundle ends after event {last} without its checkpoint: truncated?"),
            None => "the bundle holds no events and no checkpoint: an empty file is not a bundle".to_owned(),
        };
        return fail(None, what);
    };
    let Lines { mut index, mut tree, event_hashes, kept, origin, seq, prev, last_recorded, .. } = read;
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
    let (root, tree_kind) = check_checkpoint(&cp, &origin, &mut tree, &event_hashes, seq, &prev)?;
    let key_map = check_key_map(&cp, &index, "the checkpoint")?;
    let extends = match checks.older {
        Some((old, old_sigs)) => {
            check_key_map(&old, &index, "the older checkpoint")?;
            let trees = Trees { kind: tree_kind, leaves: &mut tree, event_hashes: &event_hashes };
            Some(check_extends(&cp, &root, old, &old_sigs, checks.key, trees, seq)?)
        }
        None => None,
    };
    let head = Head { seq: Seq::new(seq - 1), hash: prev, recorded_at: crate::time::Timestamp(last_recorded) };
    Ok(Verified { events: seq, head, checkpoint: cp, tree: tree_kind, key_map, signed_by, extends, kept })
}

/// What reading a bundle's lines gives: its events checked in chain order, and its checkpoint.
struct Lines {
    index: ChainIndex,
    tree: Leaves,
    /// The events' hashes, for a checkpoint of the tree layout 2 stores made ([`merkle::layout2`]).
    event_hashes: Vec<Hash>,
    kept: Vec<(Vec<u8>, RecordedEvent)>,
    note: Option<String>,
    /// The ledger's name, from the genesis event.
    origin: String,
    /// The events read.
    seq: u64,
    /// The last event's hash and time.
    prev: Hash,
    last_recorded: i64,
}

/// Reads a bundle's lines: each event checked (hash, canonical form, position) and indexed,
/// then the checkpoint line.
fn read_lines(mut input: impl BufRead, keep: bool) -> Result<Lines, BundleError> {
    let mut out = Lines {
        index: ChainIndex::default(),
        tree: Leaves::new(Vec::new()),
        event_hashes: Vec::new(),
        kept: Vec::new(),
        note: None,
        origin: String::new(),
        seq: 0,
        prev: Hash::ZERO,
        last_recorded: i64::MIN,
    };
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
        if out.note.is_some() {
            return fail(n, "text after the checkpoint");
        }
        if std::str::from_utf8(text).is_err() {
            return fail(n, "not UTF-8");
        }
        let members =
            crate::canonical::members(text).map_err(|e| BundleError { line: n, what: refusal(text, e.to_string()) })?;
        if members.iter().any(|(name, _)| name == "checkpoint") {
            let [(_, raw)] = members.as_slice() else {
                return fail(n, "the checkpoint line must hold only the member `checkpoint`");
            };
            let text: String = serde_json::from_slice(raw)
                .map_err(|_| BundleError { line: n, what: "the checkpoint is not a string".into() })?;
            out.note = Some(text);
            continue;
        }
        out.add_event(n, text, &members, keep)?;
    }
    Ok(out)
}

impl Lines {
    /// Checks the event on line `n` (its members given), in chain order, and indexes it.
    fn add_event(
        &mut self,
        n: Option<usize>,
        text: &[u8],
        members: &crate::canonical::Members<'_>,
        keep: bool,
    ) -> Result<(), BundleError> {
        let seq = self.seq;
        let stated = match members.iter().find(|(name, _)| name == "hash") {
            Some((_, raw)) => serde_json::from_slice::<String>(raw)
                .map_err(|e| e.to_string())
                .and_then(|s| Hash::from_hex(&s).map_err(|e| e.to_string()))
                .map_err(|e| BundleError { line: n, what: format!("event {seq}: `hash`: {e}") })?,
            None => return fail(n, format!("event {seq}: no `hash`")),
        };
        let bytes = crate::entry::without_hash(members, text.len());
        let (rec, ix) = check_event(Seq::new(seq), &self.prev, self.last_recorded, &stated, &bytes)
            .map_err(|what| BundleError { line: n, what: format!("event {seq}: {what}") })?;
        self.index.add(ix).map_err(|what| BundleError { line: n, what: format!("event {seq}: {what}") })?;
        if let Event::Genesis(g) = &rec.event {
            self.origin = g.ledger.clone();
        }
        // The line is the event's entry: its leaf is the hash of the line's bytes.
        self.tree.push(merkle::leaf_hash(text));
        self.event_hashes.push(rec.hash);
        self.prev = rec.hash;
        self.last_recorded = rec.recorded_at.0;
        self.seq += 1;
        if keep {
            self.kept.push((bytes, rec));
        }
        Ok(())
    }
}

/// The checkpoint must be of this ledger, of all its events, with their Merkle root, and name
/// their last event (when it names a head). Returns the root, and which tree it is the root of:
/// a bundle exported by a build of store layout 2 names the root of that layout's tree.
fn check_checkpoint(
    cp: &Checkpoint,
    origin: &str,
    tree: &mut Leaves,
    event_hashes: &[Hash],
    seq: u64,
    prev: &Hash,
) -> Result<(Hash, TreeKind), BundleError> {
    if cp.origin != origin {
        return fail(
            None,
            format!("the checkpoint is for the ledger `{}`, the bundle's genesis names `{origin}`", cp.origin),
        );
    }
    if cp.size != seq {
        return fail(None, format!("the checkpoint is for {} events; the bundle holds {seq}", cp.size));
    }
    let mut root = merkle::root(tree, seq).map_err(|m| BundleError { line: None, what: format!("tree {m:?}") })?;
    let mut kind = TreeKind::Rfc6962;
    if root != cp.root {
        if merkle::layout2::root(event_hashes) != cp.root {
            return fail(
                None,
                format!("the bundle's events make the Merkle root {root}; the checkpoint says {}", cp.root),
            );
        }
        (root, kind) = (cp.root, TreeKind::Layout2);
    }
    if let Some((head_seq, head_hash)) = cp.head()
        && (head_seq.size() != seq || head_hash != *prev)
    {
        return fail(
            None,
            format!("the checkpoint names head {head_seq} {head_hash}; the bundle's last event is {} {prev}", seq - 1),
        );
    }
    Ok((root, kind))
}

/// The key map a checkpoint names must be the one the events up to its size make; a `keys` line
/// that does not read is refused. Returns the map checked, if the checkpoint names one.
fn check_key_map(
    cp: &Checkpoint,
    index: &ChainIndex,
    which: &str,
) -> Result<Option<crate::keymap::Commitment>, BundleError> {
    let Some((keys, root)) = cp.keys() else {
        if cp.names_keys() {
            return fail(None, format!("{which}'s `keys` line is not `keys COUNT BASE64-ROOT`"));
        }
        return Ok(None);
    };
    let made = index.key_map(cp.size).commitment();
    if (made.keys, made.root) != (keys, root) {
        return fail(
            None,
            format!(
                "{which} names a key map of {keys} keys with root {root}; the first {} events make {} keys with root {}",
                cp.size, made.keys, made.root
            ),
        );
    }
    Ok(Some(made))
}

/// The bundle must extend the older checkpoint (signed by `key`, when given): same ledger, and
/// its first `old.size` events make the older root. Returns the older size.
fn check_extends(
    cp: &Checkpoint,
    root: &Hash,
    old: Checkpoint,
    old_sigs: &[NoteSignature],
    key: Option<&VerifierKey>,
    trees: Trees<'_>,
    seq: u64,
) -> Result<u64, BundleError> {
    if let Some(key) = key {
        key.verify(&old, old_sigs)
            .map_err(|e| BundleError { line: None, what: format!("the older checkpoint: {e}") })?;
    }
    if old.origin != cp.origin {
        return fail(None, format!("the older checkpoint is of the ledger `{}`, not `{}`", old.origin, cp.origin));
    }
    if old.size == 0 || old.size > seq {
        return fail(
            None,
            format!("the older checkpoint is of {} events; the bundle holds {seq}: it does not extend it", old.size),
        );
    }
    let consistent = match trees.kind {
        TreeKind::Rfc6962 => {
            let proof = merkle::consistency_path(trees.leaves, old.size, seq)
                .map_err(|m| BundleError { line: None, what: format!("tree {m:?}") })?;
            merkle::verify_consistency(old.size, seq, &old.root, root, &proof)
        }
        TreeKind::Layout2 => merkle::layout2::root(&trees.event_hashes[..old.size as usize]) == old.root,
    };
    if !consistent {
        return fail(
            None,
            format!(
                "the bundle does not extend the older checkpoint: its first {} events do not make the root {}; history was rewritten",
                old.size, old.root
            ),
        );
    }
    Ok(old.size)
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
    for (_, rec) in &bundle.kept {
        Indexed::of(rec)
            .and_then(|ix| index.add(ix).map_err(EventProblem::from))
            .map_err(|e| Error::Refused(format!("event {}: {e}", rec.seq)))?;
    }
    if let Some(f) = index.check() {
        return Err(Error::Refused(format!("event {}: {}", f.seq, f.what)));
    }
    index.fold_records().map_err(|f| Error::Refused(format!("event {}: {}", f.seq, f.what)))?;
    let keys: Vec<(crate::event::Key, KeyIndex)> = index.into_keys().into_iter().collect();
    let records = keys.iter().map(|(k, i)| (k.clone(), i.record.clone())).collect();
    let leaves = bundle
        .kept
        .iter()
        .map(|(bytes, rec)| crate::entry::leaf(&rec.hash, bytes))
        .collect::<Option<Vec<Hash>>>()
        .ok_or_else(|| Error::Internal("a verified event is not a JSON object".into()))?;
    let nodes = StoreTree::new(&store).complete(0, &leaves)?;
    let events =
        bundle.kept.iter().map(|(bytes, rec)| SealedEvent { hash: rec.hash, bytes: Cow::Borrowed(&bytes[..]) });
    store.commit(Commit {
        events: events.collect(),
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
