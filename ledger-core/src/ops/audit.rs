//! Checkpoints, proofs and bundles: what auditors run, and what each answer holds.
//!
//! The checks here are the ledger's promise to an auditor: a checkpoint is still a prefix of the
//! ledger, a proof reaches the root it claims (and, when anchored, the root a checkpoint
//! recorded). Reading files, asking for keys and wording hints in terms of flags are a front
//! end's business: a failure says what was found, and [`Remedy`] says what would make a proof
//! that can be checked.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::bundle::{self, Verified};
use crate::canonical;
use crate::chain::{Hash, Head};
use crate::checkpoint::{self, Checkpoint, KeyKind, NoteSignature, SignerKey, VerifierKey};
use crate::error::Error;
use crate::ledger::Ledger;
use crate::merkle;
use crate::seq::Seq;
use crate::view::View;

/// An event named by its position and hash, as checkpoints and bundles name their last event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EventRef {
    /// The event's seq.
    pub seq: Seq,
    /// The event's hash.
    pub hash: Hash,
}

/// A tree size and its root, as a checkpoint records them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TreeRef {
    /// The number of events in the tree.
    pub size: u64,
    /// The Merkle root of those events.
    pub root: Hash,
}

/// Why an auditor's check did not pass, or could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The check was made and failed: what was found, and what would make a checkable proof.
    #[error("verification failed: {what}")]
    Failed {
        /// What the check found.
        what: String,
        /// A proof that could be checked against the given checkpoints, when one could be made.
        remedy: Option<Remedy>,
    },
    /// The ledger could not answer.
    #[error(transparent)]
    Ledger(#[from] Error),
}

impl AuditError {
    fn failed(what: impl Into<String>) -> Self {
        AuditError::Failed { what: what.into(), remedy: None }
    }
}

/// The proof to make instead, when a proof and the checkpoints it was checked against are of
/// different tree sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// An inclusion proof of event `seq` in the tree of `size` events.
    Inclusion {
        /// The event.
        seq: Seq,
        /// The tree size of the checkpoint.
        size: u64,
    },
    /// A consistency proof from the tree of `old` events to the tree of `size`.
    Consistency {
        /// The older tree size.
        old: u64,
        /// The newer tree size.
        size: u64,
    },
    /// The event was recorded after the checkpoint: check against a later one.
    LaterCheckpoint {
        /// The event.
        seq: Seq,
    },
    /// The checkpoint is older than the proof's older tree.
    NoneFromThatCheckpoint {
        /// The proof's older tree size.
        old: u64,
    },
}

/// A checkpoint read from somewhere: `name` says where (a file name), for messages.
#[derive(Debug, Clone)]
pub struct Anchor {
    /// Where the checkpoint came from.
    pub name: String,
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// The note's signatures.
    pub signatures: Vec<NoteSignature>,
}

impl Anchor {
    /// Parses a checkpoint note read from `name`.
    pub fn parse(name: &str, note: &str) -> Result<Self, AuditError> {
        let (checkpoint, signatures) =
            Checkpoint::parse(note).map_err(|e| AuditError::failed(format!("{name}: {e}")))?;
        Ok(Anchor { name: name.to_owned(), checkpoint, signatures })
    }

    /// Checks the note's signature by `key`, when a key is given.
    fn check_signature(&self, key: Option<&VerifierKey>) -> Result<(), AuditError> {
        match key {
            Some(k) => k
                .verify(&self.checkpoint, &self.signatures)
                .map_err(|e| AuditError::failed(format!("{}: {e}", self.name))),
            None => Ok(()),
        }
    }
}

/// `checkpoint`: the ledger's checkpoint now, as a signed note and its parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CheckpointOutput {
    /// The ledger's name (the note's origin line).
    pub origin: String,
    /// The number of events in the tree.
    pub size: u64,
    /// The Merkle root of those events.
    pub root: Hash,
    /// The last event, as the note's extension line names it.
    pub head: Option<EventRef>,
    /// Whether the note is signed.
    pub signed: bool,
    /// The name of the key that signed it.
    pub key: Option<String>,
    /// The note's text, as `verify --checkpoint` reads it.
    pub note: String,
}

/// The checkpoint of the ledger now, signed by `key` when one is given.
pub fn checkpoint(view: &View, key: Option<&SignerKey>) -> Result<CheckpointOutput, Error> {
    let (cp, note) = bundle::checkpoint(view, key)?;
    Ok(CheckpointOutput {
        head: cp.head().map(|(seq, hash)| EventRef { seq, hash }),
        origin: cp.origin,
        size: cp.size,
        root: cp.root,
        signed: key.is_some(),
        key: key.map(|k| k.name().to_owned()),
        note,
    })
}

/// `verify --checkpoint`: the ledger still holds the tree a checkpoint recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CheckpointCheck {
    /// Always true: a failed check is an error, not an answer.
    pub ok: bool,
    /// The tree the checkpoint recorded.
    pub checkpoint: TreeRef,
    /// The number of events the ledger holds now.
    pub size: u64,
    /// The Merkle root of the ledger now.
    pub root: Hash,
    /// Whether the checkpoint's signature was checked.
    pub signature_checked: bool,
    /// The key map the checkpoint names, which the ledger's first `size` events were shown to
    /// make (null: the checkpoint names none).
    pub key_map: Option<crate::keymap::Commitment>,
    /// With `--witness`: the witnesses that cosigned the checkpoint, and when (null without).
    pub witnesses: Option<WitnessCheck>,
}

/// A witness's valid cosignature of a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct WitnessCosignature {
    /// The witness's key name.
    pub witness: String,
    /// The witness's verifier key, in note format.
    pub key: String,
    /// When it cosigned: the cosignature's timestamp, POSIX seconds.
    pub timestamp: u64,
    /// The same instant in RFC 3339 (UTC).
    pub time: String,
}

impl WitnessCosignature {
    /// The cosignature of `key` at `timestamp`.
    pub fn new(key: &VerifierKey, timestamp: u64) -> Self {
        let time = i64::try_from(timestamp)
            .ok()
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default();
        WitnessCosignature { witness: key.name().to_owned(), key: key.to_note_format(), timestamp, time }
    }
}

/// A checkpoint's check against a witness policy (`--witness`, `--min-witnesses`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct WitnessCheck {
    /// The witnesses given whose valid cosignature the checkpoint carries, in the order given.
    pub cosigned: Vec<WitnessCosignature>,
    /// The names of the witnesses given that did not cosign it.
    pub not_cosigned: Vec<String>,
    /// How many of them had to (`--min-witnesses`; all of them by default).
    pub required: u64,
}

/// Which witnesses a checkpoint must be cosigned by: at least `min` of `keys`.
#[derive(Debug, Clone)]
pub struct WitnessPolicy {
    keys: Vec<VerifierKey>,
    min: usize,
}

/// Why a witness policy cannot be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// A key that is not a witness's.
    #[error("{name} is a log's note key (algorithm 0x01), not a witness's cosigner key (0x04)")]
    NotCosigner {
        /// The key's name.
        name: String,
    },
    /// Two keys of one name: a witness is known by its name, and counts once.
    #[error("two witness keys are named {name}: a witness counts once, whatever keys it has")]
    SameName {
        /// The name.
        name: String,
    },
    /// A minimum of none, or more than the witnesses given.
    #[error("at least {min} witnesses of {given}: the minimum must be 1 to the number of witnesses given")]
    Minimum {
        /// The minimum asked for.
        min: usize,
        /// How many witnesses were given.
        given: usize,
    },
}

impl WitnessPolicy {
    /// At least `min` of the cosigner keys `keys` (all of them when `min` is `None`).
    pub fn new(keys: Vec<VerifierKey>, min: Option<usize>) -> Result<WitnessPolicy, PolicyError> {
        for (i, k) in keys.iter().enumerate() {
            if k.kind() != KeyKind::Cosigner {
                return Err(PolicyError::NotCosigner { name: k.name().to_owned() });
            }
            if keys[..i].iter().any(|o| o.name() == k.name()) {
                return Err(PolicyError::SameName { name: k.name().to_owned() });
            }
        }
        let min = min.unwrap_or(keys.len());
        if min == 0 || min > keys.len() {
            return Err(PolicyError::Minimum { min, given: keys.len() });
        }
        Ok(WitnessPolicy { keys, min })
    }
}

/// Checks that `anchor` carries valid cosignatures of at least the policy's minimum of its
/// witnesses: which did, and when.
pub fn check_witnesses(anchor: &Anchor, policy: &WitnessPolicy) -> Result<WitnessCheck, AuditError> {
    let cosigned = checkpoint::check_witnesses(&anchor.checkpoint, &anchor.signatures, &policy.keys, policy.min)
        .map_err(|e| AuditError::failed(format!("{}: {e}", anchor.name)))?;
    let key_of = |name: &str| policy.keys.iter().find(|k| k.name() == name);
    Ok(WitnessCheck {
        cosigned: cosigned
            .iter()
            .filter_map(|c| key_of(&c.name).map(|k| WitnessCosignature::new(k, c.timestamp)))
            .collect(),
        not_cosigned: policy
            .keys
            .iter()
            .filter(|k| !cosigned.iter().any(|c| c.name == k.name()))
            .map(|k| k.name().to_owned())
            .collect(),
        required: policy.min as u64,
    })
}

/// Checks that the ledger extends the checkpoint `anchor`: same ledger, the tree it recorded is
/// the ledger's tree of that size, the head it names is that event, and today's tree is
/// consistent with it. Its signature is checked when `key` is given, and its cosignatures when
/// `witnesses` is.
pub fn verify_checkpoint(
    ledger: &Ledger,
    anchor: &Anchor,
    key: Option<&VerifierKey>,
    witnesses: Option<&WitnessPolicy>,
) -> Result<CheckpointCheck, AuditError> {
    let (cp, name) = (&anchor.checkpoint, &anchor.name);
    anchor.check_signature(key)?;
    let witnesses = witnesses.map(|p| check_witnesses(anchor, p)).transpose()?;
    let ledger_name = ledger.name()?;
    if cp.origin != ledger_name {
        return Err(AuditError::failed(format!(
            "{name} is a checkpoint of `{}`, not of this ledger (`{ledger_name}`)",
            cp.origin
        )));
    }
    let size = ledger.head()?.seq.size();
    if cp.size == 0 || cp.size > size {
        return Err(AuditError::failed(format!(
            "{name} records {} events; this ledger holds {size}: events were removed",
            cp.size
        )));
    }
    let old_root = ledger.tree_root(cp.size)?;
    if old_root != cp.root {
        return Err(AuditError::failed(format!(
            "{name}: the ledger's tree of its first {} events has root {old_root}, the checkpoint recorded {}: history was rewritten",
            cp.size, cp.root
        )));
    }
    if let Some((seq, hash)) = cp.head()
        && ledger.event(seq)?.map(|e| e.hash) != Some(hash)
    {
        return Err(AuditError::failed(format!("{name}: event {seq} is not the head the checkpoint names ({hash})")));
    }
    let root = ledger.tree_root(size)?;
    let proof = ledger.consistency_proof(cp.size, size)?;
    if !merkle::verify_consistency(cp.size, size, &cp.root, &root, &proof) {
        return Err(AuditError::failed(format!("{name}: today's tree is not consistent with the checkpoint")));
    }
    let key_map = match cp.keys() {
        Some((keys, stated)) => {
            let made = View::now(ledger)?.key_map(cp.size)?.commitment();
            if (made.keys, made.root) != (keys, stated) {
                return Err(AuditError::failed(format!(
                    "{name} names a key map of {keys} keys with root {stated}; the ledger's first {} events make {} keys with root {}",
                    cp.size, made.keys, made.root
                )));
            }
            Some(made)
        }
        None if cp.names_keys() => {
            return Err(AuditError::failed(format!("{name}: its `keys` line is not `keys COUNT BASE64-ROOT`")));
        }
        None => None,
    };
    Ok(CheckpointCheck {
        ok: true,
        checkpoint: TreeRef { size: cp.size, root: cp.root },
        size,
        root,
        signature_checked: key.is_some(),
        key_map,
        witnesses,
    })
}

/// A proof file (docs/FORMAT.md, "The Merkle tree"), as `prove` writes it and `verify-proof`
/// reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Proof {
    /// Event `seq` is in the tree of `size` events.
    Inclusion(InclusionProof),
    /// The tree of `old_size` events is a prefix of the tree of `size`.
    Consistency(ConsistencyProof),
}

/// An RFC 9162 inclusion proof (audit path) of one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct InclusionProof {
    /// The ledger's name.
    pub ledger: String,
    /// The event's seq (its leaf index).
    pub seq: Seq,
    /// The size of the tree the proof is for.
    pub size: u64,
    /// The event's hash.
    pub event_hash: Hash,
    /// The event's leaf hash, `SHA-256(0x00 || entry)`: written by `prove`. A proof that also
    /// gives the entry must give that entry's leaf.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaf_hash: Option<Hash>,
    /// The event's entry: its canonical JSON with its `hash` (a bundle's line), from which the
    /// leaf is computed and whose `hash` must be `event_hash`. Written by `prove`; without it
    /// the proof shows only that the leaf hash is in the tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    /// The root of the tree of `size` events.
    pub root: Hash,
    /// The audit path, leaf to root.
    pub path: Vec<Hash>,
}

/// An RFC 9162 consistency proof between two sizes of the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ConsistencyProof {
    /// The ledger's name.
    pub ledger: String,
    /// The older tree's size.
    pub old_size: u64,
    /// The newer tree's size.
    pub size: u64,
    /// The older tree's root.
    pub old_root: Hash,
    /// The newer tree's root.
    pub root: Hash,
    /// The consistency path.
    pub path: Vec<Hash>,
}

/// Why a proof file was refused ([`Proof::parse`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofFileError {
    /// The text is not JSON naming each member once, or not a proof of its type (the reason).
    #[error("not a proof: {0}")]
    NotAProof(String),
    /// The `type` is missing or another.
    #[error("the proof's `type` is neither inclusion nor consistency")]
    Type,
}

impl Proof {
    /// Reads a proof file: JSON naming no member twice, of one of the two types.
    pub fn parse(text: &[u8]) -> Result<Proof, ProofFileError> {
        let v = canonical::parse_unique(text).map_err(|e| ProofFileError::NotAProof(e.to_string()))?;
        match v.get("type").and_then(serde_json::Value::as_str) {
            Some("inclusion" | "consistency") => {}
            _ => return Err(ProofFileError::Type),
        }
        serde_json::from_value(v).map_err(|e| ProofFileError::NotAProof(e.to_string()))
    }

    /// The ledger the proof is of.
    pub fn ledger(&self) -> &str {
        match self {
            Proof::Inclusion(p) => &p.ledger,
            Proof::Consistency(p) => &p.ledger,
        }
    }
}

/// The size a proof is for: `size`, or the whole ledger.
fn size_or_head(view: &View, size: Option<u64>) -> u64 {
    size.unwrap_or(view.head().seq.size())
}

/// `prove SEQ`: the inclusion proof of event `seq` in the tree of `size` events (the whole ledger
/// by default). A size or seq the ledger cannot prove is refused ([`Error::Refused`]); an event
/// that is not there is [`Error::NotFound`]-like: `None`.
pub fn prove_inclusion(view: &View, seq: Seq, size: Option<u64>) -> Result<Option<InclusionProof>, Error> {
    let (ledger, size) = (view.ledger(), size_or_head(view, size));
    let path = ledger.inclusion_proof(seq, size)?;
    let Some((event_hash, entry)) = ledger.entry(seq)? else { return Ok(None) };
    Ok(Some(InclusionProof {
        ledger: ledger.name()?,
        seq,
        size,
        event_hash,
        leaf_hash: Some(merkle::leaf_hash(&entry)),
        entry: Some(String::from_utf8(entry).map_err(|_| Error::Internal(format!("event {seq} is not UTF-8")))?),
        root: ledger.tree_root(size)?,
        path,
    }))
}

/// `prove --consistency OLD`: the consistency proof from the tree of `old` events to the tree of
/// `size` (the whole ledger by default).
pub fn prove_consistency(view: &View, old: u64, size: Option<u64>) -> Result<ConsistencyProof, Error> {
    let (ledger, size) = (view.ledger(), size_or_head(view, size));
    let path = ledger.consistency_proof(old, size)?;
    Ok(ConsistencyProof {
        ledger: ledger.name()?,
        old_size: old,
        size,
        old_root: ledger.tree_root(old)?,
        root: ledger.tree_root(size)?,
        path,
    })
}

/// What a proof may be checked against: the checkpoint of its tree, the older checkpoint (for a
/// consistency proof) and the key that must have signed them.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProofAnchors<'a> {
    /// The checkpoint of the tree the proof reaches (its `size`).
    pub checkpoint: Option<&'a Anchor>,
    /// The checkpoint of the older tree of a consistency proof (its `old_size`).
    pub old_checkpoint: Option<&'a Anchor>,
    /// The key that signed the checkpoints.
    pub key: Option<&'a VerifierKey>,
    /// The witnesses that must have cosigned the checkpoint of the proof's tree.
    pub witnesses: Option<&'a WitnessPolicy>,
}

/// What a checked proof was not checked against, so that an "ok" never claims more than it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotChecked {
    /// No checkpoint at all: the proof agrees only with itself.
    NotAnchored,
    /// The newer root is the proof's own: no checkpoint of the newer tree.
    NewerRootOwn,
    /// The older root is the proof's own: no checkpoint of the older tree.
    OlderRootOwn,
    /// The checkpoints' signatures were not checked: no key.
    Signature,
    /// The event itself: an inclusion proof that gives only its leaf hash, not its entry.
    Entry,
}

impl NotChecked {
    /// How an answer says it. The words name the `ledger` command's options, which the JSON
    /// answers have always carried.
    pub fn describe(self) -> &'static str {
        match self {
            NotChecked::NotAnchored => {
                "not anchored: no --checkpoint given; this proves only that the proof is self-consistent"
            }
            NotChecked::NewerRootOwn => "the newer root is the proof's own: no --checkpoint given",
            NotChecked::OlderRootOwn => "the older root is the proof's own: no --old-checkpoint given",
            NotChecked::Signature => "signature not checked: no --key given",
            NotChecked::Entry => "the event itself not checked: the proof gives its leaf hash, not its entry",
        }
    }
}

/// What a checked proof was checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckedAgainst {
    /// The root of the checkpoint of its tree.
    CheckpointRoot,
    /// The root of the older checkpoint.
    OlderCheckpointRoot,
    /// The roots of both checkpoints.
    BothRoots,
    /// The checkpoints' signatures, by this key.
    SignedBy(String),
    /// The checkpoint's cosignatures, by these witnesses.
    CosignedBy(Vec<String>),
}

impl CheckedAgainst {
    /// How an answer says it.
    pub fn describe(&self) -> String {
        match self {
            CheckedAgainst::CheckpointRoot => "the checkpoint's root".into(),
            CheckedAgainst::OlderCheckpointRoot => "the older checkpoint's root".into(),
            CheckedAgainst::BothRoots => "the roots of both checkpoints".into(),
            CheckedAgainst::SignedBy(k) => format!("signed by {k}"),
            CheckedAgainst::CosignedBy(w) => format!("cosigned by {}", w.join(", ")),
        }
    }
}

/// `verify-proof`: the proof holds, and what it was anchored to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProofCheck {
    /// Always true: a proof that does not hold is an error, not an answer.
    pub ok: bool,
    /// What the proof shows, in words.
    pub what: String,
    /// The root the proof was checked to reach.
    pub root: Hash,
    /// The older root (a consistency proof).
    pub old_root: Option<Hash>,
    /// Whether the root came from a checkpoint (not from the proof itself).
    pub anchored: bool,
    /// Whether the older root came from a checkpoint.
    pub old_anchored: bool,
    /// Whether the checkpoints' signatures were checked.
    pub signature_checked: bool,
    /// What the proof was checked against, in words ([`CheckedAgainst`]).
    pub checked_against: Vec<String>,
    /// What it was not checked against, in words ([`NotChecked`]).
    pub not_checked: Vec<String>,
    /// With `--witness`: the witnesses that cosigned the checkpoint, and when (null without).
    pub witnesses: Option<WitnessCheck>,
}

/// Checks a proof, against the checkpoints given: each checkpoint's signature (when a key is
/// given), that it is of the proof's ledger and of the proof's tree size, and then the proof
/// itself, reaching the checkpoints' roots instead of the proof's own.
pub fn verify_proof(proof: &Proof, anchors: ProofAnchors) -> Result<ProofCheck, AuditError> {
    let anchor = |a: Option<&Anchor>, which: &str| -> Result<Option<Checkpoint>, AuditError> {
        let Some(a) = a else { return Ok(None) };
        a.check_signature(anchors.key)?;
        if a.checkpoint.origin != proof.ledger() {
            return Err(AuditError::failed(format!(
                "{which} {} is of the ledger `{}`; the proof is of the ledger `{}`",
                a.name,
                a.checkpoint.origin,
                proof.ledger()
            )));
        }
        Ok(Some(a.checkpoint.clone()))
    };
    let newer = anchor(anchors.checkpoint, "the checkpoint")?;
    let older = anchor(anchors.old_checkpoint, "the older checkpoint")?;
    let witnessed = match (anchors.checkpoint, anchors.witnesses) {
        (_, None) => None,
        (None, Some(_)) => return Err(AuditError::failed("witnesses cosign a checkpoint: none was given")),
        (Some(a), Some(policy)) => Some(check_witnesses(a, policy)?),
    };
    let name = |a: Option<&Anchor>| a.map(|a| a.name.clone()).unwrap_or_default();
    let (what, root, old_root) = match proof {
        Proof::Consistency(p) => {
            let (old_root, root) = check_consistency(
                p,
                (older.as_ref(), &name(anchors.old_checkpoint)),
                (newer.as_ref(), &name(anchors.checkpoint)),
            )?;
            (format!("the tree of {} events is a prefix of the tree of {}", p.old_size, p.size), root, Some(old_root))
        }
        Proof::Inclusion(p) => {
            let root = check_inclusion(p, newer.as_ref(), &name(anchors.checkpoint))?;
            (format!("event {} is in the tree of {} events", p.seq, p.size), root, None)
        }
    };
    let consistency = matches!(proof, Proof::Consistency(_));
    let (mut against, mut unchecked) = (Vec::new(), Vec::new());
    match (&newer, &older) {
        (None, None) => unchecked.push(NotChecked::NotAnchored),
        (None, Some(_)) => {
            against.push(CheckedAgainst::OlderCheckpointRoot);
            unchecked.push(NotChecked::NewerRootOwn);
        }
        (Some(_), None) if consistency => {
            against.push(CheckedAgainst::CheckpointRoot);
            unchecked.push(NotChecked::OlderRootOwn);
        }
        (Some(_), None) => against.push(CheckedAgainst::CheckpointRoot),
        (Some(_), Some(_)) => against.push(CheckedAgainst::BothRoots),
    }
    if let Proof::Inclusion(p) = proof
        && p.entry.is_none()
    {
        unchecked.push(NotChecked::Entry);
    }
    let anchored = newer.is_some() || older.is_some();
    match (anchors.key, anchored) {
        (Some(k), true) => against.push(CheckedAgainst::SignedBy(k.name().to_owned())),
        (None, true) => unchecked.push(NotChecked::Signature),
        _ => {}
    }
    if let Some(w) = &witnessed {
        against.push(CheckedAgainst::CosignedBy(w.cosigned.iter().map(|c| c.witness.clone()).collect()));
    }
    Ok(ProofCheck {
        ok: true,
        what,
        root,
        old_root,
        anchored: newer.is_some(),
        old_anchored: older.is_some(),
        signature_checked: anchors.key.is_some() && anchored,
        checked_against: against.iter().map(CheckedAgainst::describe).collect(),
        not_checked: unchecked.iter().map(|n| n.describe().to_owned()).collect(),
        witnesses: witnessed,
    })
}

/// A mismatch between a proof's tree size and a checkpoint's.
fn size_mismatch(proof_size: u64, file: &str, cp_size: u64, remedy: Remedy) -> AuditError {
    AuditError::Failed {
        what: format!("the proof is for the tree of {proof_size} events; the checkpoint {file} records {cp_size}"),
        remedy: Some(remedy),
    }
}

/// Checks a consistency proof, reaching the checkpoints' roots where given: (old root, root).
fn check_consistency(
    p: &ConsistencyProof,
    (older, older_name): (Option<&Checkpoint>, &str),
    (newer, newer_name): (Option<&Checkpoint>, &str),
) -> Result<(Hash, Hash), AuditError> {
    let (old, size) = (p.old_size, p.size);
    let (mut old_root, mut root) = (p.old_root, p.root);
    if let Some(cp) = older {
        if cp.size != old {
            return Err(AuditError::Failed {
                what: format!(
                    "the proof starts from the tree of {old} events; the older checkpoint {older_name} records {}",
                    cp.size
                ),
                remedy: Some(Remedy::Consistency { old: cp.size, size: newer.map_or(size, |a| a.size) }),
            });
        }
        old_root = cp.root;
    }
    if let Some(cp) = newer {
        if cp.size != size {
            let remedy = if old <= cp.size {
                Remedy::Consistency { old, size: cp.size }
            } else {
                Remedy::NoneFromThatCheckpoint { old }
            };
            return Err(size_mismatch(size, newer_name, cp.size, remedy));
        }
        root = cp.root;
    }
    if !merkle::verify_consistency(old, size, &old_root, &root, &p.path) {
        return Err(AuditError::failed(format!(
            "the proof does not show the tree of {old} events (root {old_root}) to be a prefix of the tree of {size} (root {root})"
        )));
    }
    Ok((old_root, root))
}

/// Checks an inclusion proof, reaching the checkpoint's root when given: the root reached.
fn check_inclusion(p: &InclusionProof, newer: Option<&Checkpoint>, newer_name: &str) -> Result<Hash, AuditError> {
    let (seq, size) = (p.seq, p.size);
    let mut root = p.root;
    if let Some(cp) = newer {
        if cp.size != size {
            let remedy = if seq.within(cp.size) {
                Remedy::Inclusion { seq, size: cp.size }
            } else {
                Remedy::LaterCheckpoint { seq }
            };
            return Err(size_mismatch(size, newer_name, cp.size, remedy));
        }
        root = cp.root;
    }
    let leaf = proof_leaf(p)?;
    if !merkle::verify_inclusion(seq.get(), size, &leaf, &p.path, &root) {
        return Err(AuditError::failed(format!(
            "the proof does not put event {seq} in the tree of {size} events with root {root}"
        )));
    }
    Ok(root)
}

/// The leaf an inclusion proof is for: its entry's, when it carries the entry (whose `hash` must
/// be the proof's `event_hash` and whose leaf must be any `leaf_hash` it also gives), else its
/// `leaf_hash`.
fn proof_leaf(p: &InclusionProof) -> Result<Hash, AuditError> {
    let Some(entry) = &p.entry else {
        return p.leaf_hash.ok_or_else(|| {
            AuditError::failed(
                "the proof holds neither the event's entry nor its leaf hash: a leaf is the hash of the whole event (docs/FORMAT.md)",
            )
        });
    };
    let leaf = merkle::leaf_hash(entry.as_bytes());
    let (hash, _) =
        crate::entry::check(entry.as_bytes()).map_err(|e| AuditError::failed(format!("the proof's entry is {e}")))?;
    if hash != p.event_hash {
        return Err(AuditError::failed(format!(
            "the proof's entry is not the event {} names: its `hash` is {hash}",
            p.event_hash
        )));
    }
    let seq = canonical::members(entry.as_bytes()).ok().and_then(|m| {
        m.iter().find(|(name, _)| name == "seq").and_then(|(_, raw)| serde_json::from_slice::<u64>(raw).ok())
    });
    if seq != Some(p.seq.get()) {
        return Err(AuditError::failed(format!(
            "the proof is for event {}, but its entry is event {}",
            p.seq,
            seq.map_or_else(|| "without a seq".to_owned(), |s| s.to_string())
        )));
    }
    if let Some(given) = p.leaf_hash
        && given != leaf
    {
        return Err(AuditError::failed(format!(
            "the proof's leaf_hash {given} is not the leaf of its entry (that is {leaf})"
        )));
    }
    Ok(leaf)
}

/// The first line of a C2SP tlog-proof.
pub const TLOG_PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";

/// The most proof lines a tlog-proof may hold: a tree of 2^63 leaves needs no more.
const MAX_PATH: usize = 63;

/// An inclusion proof as one small text file, C2SP tlog-proof (<https://c2sp.org/tlog-proof>):
/// the header, `extra` (this ledger writes the event's entry there, base64), `index SEQ`, the
/// audit path (base64, one hash a line), a blank line, and the checkpoint of the tree, with its
/// signature and any witnesses' cosignatures, verbatim. It travels alone: checking it needs only
/// the log's key (and the witnesses').
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlogProof {
    /// The extra data: the event's entry, in proofs this ledger writes.
    pub extra: Option<Vec<u8>>,
    /// The event's seq (its leaf index).
    pub index: u64,
    /// The audit path, leaf to root.
    pub path: Vec<Hash>,
    /// The checkpoint, as its note's text.
    pub checkpoint: String,
}

impl TlogProof {
    /// Whether `text` is a tlog-proof (its first line is the header).
    pub fn is_one(text: &[u8]) -> bool {
        text.strip_prefix(TLOG_PROOF_HEADER.as_bytes()).is_some_and(|rest| rest.starts_with(b"\n"))
    }

    /// The proof's text.
    pub fn render(&self) -> String {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut s = format!("{TLOG_PROOF_HEADER}\n");
        if let Some(extra) = &self.extra {
            s.push_str(&format!("extra {}\n", b64.encode(extra)));
        }
        s.push_str(&format!("index {}\n", self.index));
        for h in &self.path {
            s.push_str(&b64.encode(h.0));
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&self.checkpoint);
        s
    }

    /// Reads a tlog-proof, refusing anything but its one form.
    pub fn parse(text: &str) -> Result<TlogProof, ProofFileError> {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let bad = |what: &str| ProofFileError::NotAProof(format!("a C2SP tlog-proof: {what}"));
        let rest = text.strip_prefix(TLOG_PROOF_HEADER).and_then(|r| r.strip_prefix('\n'));
        let rest = rest.ok_or_else(|| bad("its first line must be `c2sp.org/tlog-proof@v1`"))?;
        let (head, checkpoint) = rest.split_once("\n\n").ok_or_else(|| bad("no blank line before its checkpoint"))?;
        let mut lines = head.split('\n').peekable();
        let extra = match lines.peek().and_then(|l| l.strip_prefix("extra ")) {
            Some(data) => {
                let bytes = b64.decode(data).map_err(|_| bad("its `extra` line is not base64"))?;
                lines.next();
                Some(bytes)
            }
            None => None,
        };
        let index = lines
            .next()
            .and_then(|l| l.strip_prefix("index "))
            .filter(|n| *n == "0" || !n.starts_with('0'))
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| bad("no `index N` line (a decimal without leading zeros)"))?;
        let mut path = Vec::new();
        for line in lines {
            let hash = b64.decode(line).ok().and_then(|b| <[u8; 32]>::try_from(b).ok()).ok_or_else(|| {
                bad(&format!("`{}` is not a base64 SHA-256 hash", line.chars().take(60).collect::<String>()))
            })?;
            path.push(Hash(hash));
            if path.len() > MAX_PATH {
                return Err(bad("more than 63 proof lines"));
            }
        }
        Ok(TlogProof { extra, index, path, checkpoint: checkpoint.to_owned() })
    }

    /// The proof as an inclusion proof of its entry, and its checkpoint as the anchor it must
    /// reach (named `name` in messages).
    pub fn to_inclusion(&self, name: &str) -> Result<(InclusionProof, Anchor), AuditError> {
        let anchor = Anchor::parse(&format!("{name}'s checkpoint"), &self.checkpoint)?;
        let entry = self.extra.as_ref().ok_or_else(|| {
            AuditError::failed(format!(
                "{name} carries no entry (`extra`): a proof of this ledger's tree needs the event it proves"
            ))
        })?;
        let entry = String::from_utf8(entry.clone())
            .map_err(|_| AuditError::failed(format!("{name}: its entry is not UTF-8")))?;
        let (event_hash, _) = crate::entry::check(entry.as_bytes())
            .map_err(|e| AuditError::failed(format!("{name}: its entry is {e}")))?;
        let cp = &anchor.checkpoint;
        let proof = InclusionProof {
            ledger: cp.origin.clone(),
            seq: Seq::new(self.index),
            size: cp.size,
            event_hash,
            leaf_hash: None,
            entry: Some(entry),
            root: cp.root,
            path: self.path.clone(),
        };
        Ok((proof, anchor))
    }
}

/// The checkpoint a tlog-proof carries.
pub enum TlogCheckpoint<'a> {
    /// One read from a file (a published log's, with its cosignatures), kept verbatim: its
    /// text and its parse. The proof is for its tree size.
    Given(&'a str, &'a Anchor),
    /// A new one of the proof's tree size, signed by this key.
    Signed(&'a SignerKey),
    /// A new one, unsigned.
    Unsigned,
}

/// `prove SEQ --tlog-proof`: the inclusion proof of event `seq` as a C2SP tlog-proof, for the
/// tree of the given checkpoint (which must be this ledger's) or of `size` events (default: the
/// whole ledger). `None` if the ledger has no event `seq`.
pub fn prove_tlog(
    view: &View,
    seq: Seq,
    size: Option<u64>,
    checkpoint: TlogCheckpoint,
) -> Result<Option<TlogProof>, AuditError> {
    let ledger = view.ledger();
    let size = match &checkpoint {
        TlogCheckpoint::Given(_, a) => {
            let cp = &a.checkpoint;
            let name = ledger.name()?;
            if cp.origin != name {
                return Err(AuditError::failed(format!(
                    "{} is a checkpoint of `{}`, not of this ledger (`{name}`)",
                    a.name, cp.origin
                )));
            }
            if size.is_some_and(|s| s != cp.size) {
                return Err(AuditError::failed(format!(
                    "{} is of the tree of {} events: a proof against it is for that size",
                    a.name, cp.size
                )));
            }
            let held = view.head().seq.size();
            if cp.size == 0 || cp.size > held {
                return Err(AuditError::failed(format!(
                    "{} records {} events; this ledger holds {held}",
                    a.name, cp.size
                )));
            }
            if ledger.tree_root(cp.size)? != cp.root {
                return Err(AuditError::failed(format!(
                    "{}: this ledger's tree of {} events has another root: it is not this ledger's history",
                    a.name, cp.size
                )));
            }
            cp.size
        }
        _ => size_or_head(view, size),
    };
    let path = ledger.inclusion_proof(seq, size)?;
    let Some((_, entry)) = ledger.entry(seq)? else { return Ok(None) };
    let note = match checkpoint {
        TlogCheckpoint::Given(text, _) => text.to_owned(),
        TlogCheckpoint::Signed(key) => bundle::checkpoint_at(view, size, Some(key))?.1,
        TlogCheckpoint::Unsigned => bundle::checkpoint_at(view, size, None)?.1,
    };
    Ok(Some(TlogProof { extra: Some(entry), index: seq.get(), path, checkpoint: note }))
}

/// `export` to a file: what was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ExportOutput {
    /// The bundle's file.
    pub file: String,
    /// The number of events exported.
    pub size: u64,
    /// The Merkle root of those events (the bundle's checkpoint's).
    pub root: Hash,
    /// Whether the bundle's checkpoint is signed.
    pub signed: bool,
}

/// `verify-bundle`: a bundle checked on its own, without a store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BundleCheck {
    /// Always true: a bundle that fails is an error, not an answer.
    pub ok: bool,
    /// The number of events.
    pub events: u64,
    /// The last event.
    pub head: Head,
    /// The Merkle root of the events (the bundle's checkpoint's).
    pub root: Hash,
    /// The name of the key whose signature was checked.
    pub signed_by: Option<String>,
    /// Whether the checkpoint's signature was checked.
    pub signature_checked: bool,
    /// What was not checked, in words: the signature, without a key ([`NotChecked::Signature`]).
    pub not_checked: Option<String>,
    /// The size of the older checkpoint the bundle was shown to extend.
    pub extends: Option<u64>,
    /// The key map the checkpoint names, which the bundle's events were shown to make (null: it
    /// names none).
    pub key_map: Option<crate::keymap::Commitment>,
    /// The tree the checkpoint's root is of: `rfc6962-sha256`, or `layout2-blake3` for a bundle
    /// an earlier build exported (restore it with `import-bundle`, whose ledger has the RFC 6962
    /// tree).
    pub tree: String,
    /// With `--witness`: the witnesses that cosigned the older checkpoint (`--checkpoint`), and
    /// when (null without).
    pub witnesses: Option<WitnessCheck>,
}

impl BundleCheck {
    /// The answer for a verified bundle.
    pub fn new(b: &Verified) -> Self {
        BundleCheck {
            ok: true,
            events: b.events,
            head: b.head,
            root: b.checkpoint.root,
            signed_by: b.signed_by.clone(),
            signature_checked: b.signed_by.is_some(),
            not_checked: b.signed_by.is_none().then(|| NotChecked::Signature.describe().to_owned()),
            extends: b.extends,
            key_map: b.key_map,
            tree: b.tree.name().to_owned(),
            witnesses: None,
        }
    }
}

/// `import-bundle`: the ledger restored from a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RestoreOutput {
    /// Where the ledger was written.
    pub ledger: String,
    /// The number of events restored.
    pub events: u64,
    /// The restored ledger's head.
    pub head: Head,
}
