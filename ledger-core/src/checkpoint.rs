//! Checkpoints: the C2SP tlog-checkpoint text (origin, tree size, base64 root, extension lines) as
//! a C2SP signed note, Ed25519-signed when a key is given, with keys in the note formats
//! (`PRIVATE+KEY+name+hash+data` and `name+hash+data`); and witnesses' cosignatures of them
//! (C2SP tlog-cosignature, timestamped Ed25519: keys of algorithm byte 0x04).
//!
//! ```
//! use ledger_core::checkpoint::{Checkpoint, SignerKey};
//! use ledger_core::chain::Hash;
//! let key = SignerKey::from_seed("example.org/ledger", [7; 32]);
//! let cp = Checkpoint { origin: "example.org/ledger".into(), size: 39, root: Hash([1; 32]), extensions: vec![] };
//! let note = cp.sign(Some(&key));
//! let (parsed, sigs) = Checkpoint::parse(&note).unwrap();
//! assert_eq!(parsed, cp);
//! assert!(key.verifier().verify(&parsed, &sigs).is_ok());
//! ```

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signer, Verifier};
use sha2::{Digest, Sha256};

use crate::chain::Hash;
use crate::seq::Seq;

/// Ed25519's algorithm byte in note keys and key IDs.
const ED25519: u8 = 0x01;
/// The algorithm byte of timestamped Ed25519 cosignatures (C2SP tlog-cosignature v1).
const COSIGNATURE_V1: u8 = 0x04;

/// What a key signs: a log's checkpoints (its notes), or as a witness, cosignatures of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// A note signer (Ed25519, algorithm byte 0x01): the log's own key.
    Note,
    /// A cosigner (timestamped Ed25519, algorithm byte 0x04): a witness's key.
    Cosigner,
}

impl KeyKind {
    fn byte(self) -> u8 {
        match self {
            KeyKind::Note => ED25519,
            KeyKind::Cosigner => COSIGNATURE_V1,
        }
    }

    fn of(byte: u8) -> Option<KeyKind> {
        match byte {
            ED25519 => Some(KeyKind::Note),
            COSIGNATURE_V1 => Some(KeyKind::Cosigner),
            _ => None,
        }
    }
}

/// A checkpoint: what a ledger's tree was at one size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The ledger's name.
    pub origin: String,
    /// The number of events in the tree.
    pub size: u64,
    /// The Merkle root of those events.
    pub root: Hash,
    /// Extension lines (this ledger writes `head SEQ HASH`).
    pub extensions: Vec<String>,
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key's name.
    pub name: String,
    /// The key ID: the first 4 bytes of SHA-256(name || "\n" || algorithm byte || public key).
    pub key_id: [u8; 4],
    /// The signature bytes (for a cosignature: the 8-byte big-endian timestamp, then the
    /// Ed25519 signature).
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// The note's line for it: `— NAME base64(key ID || signature)` and a line feed.
    pub fn line(&self) -> String {
        let mut blob = self.key_id.to_vec();
        blob.extend_from_slice(&self.signature);
        format!("\u{2014} {} {}\n", self.name, B64.encode(blob))
    }

    /// The timestamp of a cosignature (its first 8 bytes), if it is long enough to hold one.
    pub fn timestamp(&self) -> Option<u64> {
        (self.signature.len() == 72).then(|| u64::from_be_bytes(self.signature[..8].try_into().unwrap_or([0; 8])))
    }

    /// Parses one signature line (without its line feed): `— NAME base64(key ID || signature)`.
    /// A witness answers with such lines alone, without the note they sign.
    pub fn parse_line(line: &str) -> Result<NoteSignature, NoteError> {
        let not_a_signature = || NoteError::SignatureLine { line: line.to_owned() };
        let rest = line.strip_prefix("\u{2014} ").ok_or_else(not_a_signature)?;
        let (name, blob) = rest.rsplit_once(' ').ok_or_else(not_a_signature)?;
        let blob = B64.decode(blob).map_err(|_| NoteError::SignatureBase64 { name: name.to_owned() })?;
        if blob.len() < 5 {
            return Err(NoteError::SignatureShort { name: name.to_owned() });
        }
        Ok(NoteSignature {
            name: name.to_owned(),
            key_id: [blob[0], blob[1], blob[2], blob[3]],
            signature: blob[4..].to_vec(),
        })
    }

    /// Whether two lines are by the same key (name and key ID).
    pub fn same_key(&self, other: &NoteSignature) -> bool {
        self.name == other.name && self.key_id == other.key_id
    }
}

fn key_id(name: &str, kind: KeyKind, public: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([kind.byte()]);
    h.update(public);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// The longest name of a key or a ledger, in bytes.
pub const MAX_NAME_BYTES: usize = 256;

/// Checks the name of a key or of a ledger (the origin line of its checkpoints, which keys are
/// usually named after): 1 to 256 bytes, without spaces, `+` (which separates the parts of a key
/// in note format), control characters or invisible format characters (Unicode category Cf),
/// which would let two names that print alike differ.
pub fn check_name(name: &str) -> Result<(), NameError> {
    if let Some(c) = name.chars().find(|c| c.is_control() || crate::names::is_format(*c)) {
        return Err(NameError::Invisible { name: name.to_owned(), code_point: crate::names::code_point(c) });
    }
    if name.is_empty() || name.len() > MAX_NAME_BYTES || name.contains(['+', ' ']) {
        return Err(NameError::Invalid { name: name.to_owned() });
    }
    Ok(())
}

/// The rule of names, as messages state it.
const NAME_RULE: &str = "(1 to 256 bytes; no spaces, `+`, control or invisible characters)";

/// Why a name of a key or a ledger was refused ([`check_name`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The name contains a control or invisible format character.
    #[error("`{name}` is not a valid name: it contains {code_point} {NAME_RULE}")]
    Invisible {
        /// The name as given.
        name: String,
        /// The character, as `U+XXXX`.
        code_point: String,
    },
    /// The name is empty, too long, or contains a space or `+`.
    #[error("`{name}` is not a valid name {NAME_RULE}")]
    Invalid {
        /// The name as given.
        name: String,
    },
}

/// Why a note was refused as a signed checkpoint ([`Checkpoint::parse`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// No blank line ends the checkpoint.
    #[error("not a signed note: no blank line after the checkpoint")]
    NotSigned,
    /// The first line is empty.
    #[error("the checkpoint has no origin line")]
    Origin,
    /// The second line is not a tree size.
    #[error("the checkpoint's second line is not a tree size")]
    Size,
    /// The third line is not a root hash.
    #[error("the checkpoint's third line is not a base64 32-byte root hash")]
    Root,
    /// An extension line is empty.
    #[error("the checkpoint has an empty extension line")]
    EmptyExtension,
    /// A line after the blank line is not `— NAME BASE64`.
    #[error("`{line}` is not a signature line")]
    SignatureLine {
        /// The line.
        line: String,
    },
    /// A signature is not base64.
    #[error("the signature of `{name}` is not base64")]
    SignatureBase64 {
        /// The signer's name.
        name: String,
    },
    /// A signature is too short to hold a key hash and a signature.
    #[error("the signature of `{name}` is too short")]
    SignatureShort {
        /// The signer's name.
        name: String,
    },
}

/// Why a signer or verifier key could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyFormatError {
    /// The key's name breaks the rule of names.
    #[error("{0}")]
    Name(#[from] NameError),
    /// The operating system gave no randomness for a new key.
    #[error("no randomness: {0}")]
    NoRandomness(std::io::Error),
    /// The text does not start as a private key does.
    #[error("not a private key (PRIVATE+KEY+...)")]
    NotPrivate,
    /// The private key's data is not 32 bytes.
    #[error("the private key is not 32 bytes")]
    PrivateLength,
    /// The private key's hash does not match its name and key.
    #[error("the private key's hash does not match its name and key")]
    PrivateHash,
    /// The text is not `NAME+HASH+DATA`.
    #[error("a key is NAME+HASH+DATA")]
    Form,
    /// The key hash is not 8 hex digits.
    #[error("the key hash is not 8 hex digits")]
    HashDigits,
    /// The key data is not base64.
    #[error("the key data is not base64")]
    Base64,
    /// The key is of another algorithm.
    #[error("the key is not an Ed25519 key (algorithm 0x01) or Ed25519 cosignature key (0x04)")]
    NotEd25519,
    /// A key of the other kind than the one asked for.
    #[error("{0}")]
    Kind(String),
    /// The public key's data is not 32 bytes.
    #[error("the public key is not 32 bytes")]
    PublicLength,
    /// The bytes are not an Ed25519 public key.
    #[error("not a valid Ed25519 public key")]
    PublicInvalid,
    /// The public key's hash does not match its name and key.
    #[error("the key hash does not match its name and key")]
    PublicHash,
}

/// Why a checkpoint's signature did not check ([`VerifierKey::verify`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No cosignature of the witness's key.
    #[error("the checkpoint is not cosigned by the witness {key}")]
    NotCosigned {
        /// The key, in note format.
        key: String,
    },
    /// Fewer witnesses cosigned than the policy asks.
    #[error("{valid} of the {given} witnesses given cosigned the checkpoint; at least {min} must{missing}")]
    TooFewWitnesses {
        /// How many valid cosignatures.
        valid: usize,
        /// How many witness keys were given.
        given: usize,
        /// How many are required.
        min: usize,
        /// Which did not, as `: NAME, NAME`.
        missing: String,
    },
    /// No signature of the key.
    #[error("the checkpoint is not signed by the key {key}")]
    NotSigned {
        /// The key, in note format.
        key: String,
    },
    /// The key's signatures do not verify.
    #[error("the signature of {name} does not verify: the checkpoint was altered or signed by another key")]
    Invalid {
        /// The key's name.
        name: String,
    },
}

impl Checkpoint {
    /// The `head SEQ HASH` extension line.
    pub fn head_extension(seq: Seq, hash: &Hash) -> String {
        format!("head {seq} {hash}")
    }

    /// The `keys COUNT ROOT` extension line: the key map's commitment ([`crate::keymap`]).
    pub fn keys_extension(keys: u64, root: &Hash) -> String {
        format!("keys {keys} {}", B64.encode(root.0))
    }

    /// The key map's commitment (number of keys, root) this checkpoint's extension names, if it
    /// names one.
    pub fn keys(&self) -> Option<(u64, Hash)> {
        self.extensions.iter().find_map(|l| {
            let mut parts = l.split(' ');
            (parts.next()? == "keys").then_some(())?;
            let n: u64 = parts.next().filter(|n| *n == "0" || !n.starts_with('0'))?.parse().ok()?;
            let root = B64.decode(parts.next()?).ok().and_then(|b| <[u8; 32]>::try_from(b).ok())?;
            parts.next().is_none().then_some((n, Hash(root)))
        })
    }

    /// Whether an extension line says `keys ...`, well formed or not.
    pub fn names_keys(&self) -> bool {
        self.extensions.iter().any(|l| l.starts_with("keys "))
    }

    /// The head this checkpoint's extension names, if it names one.
    pub fn head(&self) -> Option<(Seq, Hash)> {
        self.extensions.iter().find_map(|l| {
            let mut parts = l.split(' ');
            (parts.next()? == "head").then_some(())?;
            let seq = parts.next()?.parse().ok()?;
            let hash = Hash::from_hex(parts.next()?).ok()?;
            Some((seq, hash))
        })
    }

    /// The checkpoint body: the signed text.
    pub fn body(&self) -> String {
        let mut s = format!("{}\n{}\n{}\n", self.origin, self.size, B64.encode(self.root.0));
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }

    /// The signed note: the body, a blank line, and a signature line when `key` is given (a
    /// note key's: a cosigner's key signs with [`Checkpoint::cosign`]).
    pub fn sign(&self, key: Option<&SignerKey>) -> String {
        let signature = key.map(|k| NoteSignature {
            name: k.name.clone(),
            key_id: k.key_id,
            signature: k.key.sign(self.body().as_bytes()).to_bytes().to_vec(),
        });
        self.note(signature.as_slice())
    }

    /// The note of this checkpoint with these signature lines (in this order).
    pub fn note(&self, signatures: &[NoteSignature]) -> String {
        let mut note = self.body();
        note.push('\n');
        for sig in signatures {
            note.push_str(&sig.line());
        }
        note
    }

    /// The message a cosigner signs: `cosignature/v1`, `time T`, then the body.
    fn cosigned_message(&self, timestamp: u64) -> String {
        format!("cosignature/v1\ntime {timestamp}\n{}", self.body())
    }

    /// A witness's cosignature of this checkpoint at `timestamp` (POSIX seconds), by a
    /// [`KeyKind::Cosigner`] key. A note key makes no cosignature: `None`.
    pub fn cosign(&self, key: &SignerKey, timestamp: u64) -> Option<NoteSignature> {
        if key.kind != KeyKind::Cosigner {
            return None;
        }
        let sig = key.key.sign(self.cosigned_message(timestamp).as_bytes());
        let mut signature = timestamp.to_be_bytes().to_vec();
        signature.extend_from_slice(&sig.to_bytes());
        Some(NoteSignature { name: key.name.clone(), key_id: key.key_id, signature })
    }

    /// Parses a note: the checkpoint and its signature lines.
    pub fn parse(note: &str) -> Result<(Checkpoint, Vec<NoteSignature>), NoteError> {
        let (body, sigs) = match note.find("\n\n") {
            Some(i) => (&note[..=i], &note[i + 2..]),
            None => return Err(NoteError::NotSigned),
        };
        let mut lines = body.lines();
        let origin = lines.next().filter(|o| !o.is_empty()).ok_or(NoteError::Origin)?.to_owned();
        let size = lines
            .next()
            .and_then(|s| (!s.starts_with('+') && !s.starts_with('0') || s == "0").then_some(s))
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or(NoteError::Size)?;
        let root = lines
            .next()
            .and_then(|r| B64.decode(r).ok())
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .map(Hash)
            .ok_or(NoteError::Root)?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(NoteError::EmptyExtension);
        }
        let signatures = sigs.lines().map(NoteSignature::parse_line).collect::<Result<Vec<_>, _>>()?;
        Ok((Checkpoint { origin, size, root, extensions }, signatures))
    }
}

/// An Ed25519 signing key with its note name: a log's (its checkpoints) or a witness's (its
/// cosignatures), as its [`KeyKind`] says.
pub struct SignerKey {
    name: String,
    key_id: [u8; 4],
    key: ed25519_dalek::SigningKey,
    kind: KeyKind,
}

impl SignerKey {
    /// The note key with this 32-byte seed.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Self {
        SignerKey::of_kind(name, seed, KeyKind::Note)
    }

    /// The key of `kind` with this 32-byte seed.
    pub fn of_kind(name: &str, seed: [u8; 32], kind: KeyKind) -> Self {
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        SignerKey { name: name.to_owned(), key_id: key_id(name, kind, key.verifying_key().as_bytes()), key, kind }
    }

    /// A new note key from the operating system's randomness.
    pub fn generate(name: &str) -> Result<Self, KeyFormatError> {
        SignerKey::generate_kind(name, KeyKind::Note)
    }

    /// A new key of `kind` from the operating system's randomness.
    pub fn generate_kind(name: &str, kind: KeyKind) -> Result<Self, KeyFormatError> {
        check_name(name)?;
        let mut seed = [0u8; 32];
        let mut f = std::fs::File::open("/dev/urandom").map_err(KeyFormatError::NoRandomness)?;
        std::io::Read::read_exact(&mut f, &mut seed).map_err(KeyFormatError::NoRandomness)?;
        Ok(SignerKey::of_kind(name, seed, kind))
    }

    /// What the key signs.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The private key in note format: `PRIVATE+KEY+name+hash+base64(algorithm byte || seed)`.
    pub fn to_note_format(&self) -> String {
        let mut data = vec![self.kind.byte()];
        data.extend_from_slice(&self.key.to_bytes());
        format!("PRIVATE+KEY+{}+{}+{}", self.name, hex8(&self.key_id), B64.encode(data))
    }

    /// Parses the private key format (a note key or a cosigner key).
    pub fn parse(text: &str) -> Result<Self, KeyFormatError> {
        let rest = text.trim().strip_prefix("PRIVATE+KEY+").ok_or(KeyFormatError::NotPrivate)?;
        let (name, id, kind, data) = split_key(rest)?;
        let seed: [u8; 32] = data.try_into().map_err(|_| KeyFormatError::PrivateLength)?;
        let key = SignerKey::of_kind(name, seed, kind);
        if key.key_id != id {
            return Err(KeyFormatError::PrivateHash);
        }
        Ok(key)
    }

    /// Parses the private key format, refusing a key of another kind than `kind`.
    pub fn parse_kind(text: &str, kind: KeyKind) -> Result<Self, KeyFormatError> {
        let key = SignerKey::parse(text)?;
        check_kind(key.kind, kind)?;
        Ok(key)
    }

    /// The matching verifier.
    pub fn verifier(&self) -> VerifierKey {
        VerifierKey { name: self.name.clone(), key_id: self.key_id, key: self.key.verifying_key(), kind: self.kind }
    }
}

fn check_kind(found: KeyKind, wanted: KeyKind) -> Result<(), KeyFormatError> {
    match (found, wanted) {
        (a, b) if a == b => Ok(()),
        (KeyKind::Cosigner, KeyKind::Note) => Err(KeyFormatError::Kind(
            "a witness's cosigner key (algorithm 0x04), where a log's note key (0x01) belongs".into(),
        )),
        _ => Err(KeyFormatError::Kind(
            "a log's note key (algorithm 0x01), where a witness's cosigner key (0x04) belongs".into(),
        )),
    }
}

/// An Ed25519 verifier key with its note name: a log's, or a witness's ([`KeyKind`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    key_id: [u8; 4],
    key: ed25519_dalek::VerifyingKey,
    kind: KeyKind,
}

fn hex8(id: &[u8; 4]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

/// A key's parts in note format: name, key ID, kind and key bytes.
type KeyParts<'a> = (&'a str, [u8; 4], KeyKind, Vec<u8>);

fn split_key(s: &str) -> Result<KeyParts<'_>, KeyFormatError> {
    let mut parts = s.splitn(3, '+');
    let (Some(name), Some(hash), Some(data)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(KeyFormatError::Form);
    };
    check_name(name)?;
    let id = u32::from_str_radix(hash, 16).map_err(|_| KeyFormatError::HashDigits)?.to_be_bytes();
    if hash.len() != 8 {
        return Err(KeyFormatError::HashDigits);
    }
    let data = B64.decode(data).map_err(|_| KeyFormatError::Base64)?;
    match data.split_first().and_then(|(&b, key)| Some((KeyKind::of(b)?, key))) {
        Some((kind, key)) => Ok((name, id, kind, key.to_vec())),
        None => Err(KeyFormatError::NotEd25519),
    }
}

impl VerifierKey {
    /// The verifier key in note format: `name+hash+base64(algorithm byte || public key)`.
    pub fn to_note_format(&self) -> String {
        let mut data = vec![self.kind.byte()];
        data.extend_from_slice(self.key.as_bytes());
        format!("{}+{}+{}", self.name, hex8(&self.key_id), B64.encode(data))
    }

    /// Parses the verifier key format (a log's note key or a witness's cosigner key).
    pub fn parse(text: &str) -> Result<Self, KeyFormatError> {
        let (name, id, kind, data) = split_key(text.trim())?;
        let bytes: [u8; 32] = data.try_into().map_err(|_| KeyFormatError::PublicLength)?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes).map_err(|_| KeyFormatError::PublicInvalid)?;
        if key_id(name, kind, &bytes) != id {
            return Err(KeyFormatError::PublicHash);
        }
        Ok(VerifierKey { name: name.to_owned(), key_id: id, key, kind })
    }

    /// Parses the verifier key format, refusing a key of another kind than `kind`.
    pub fn parse_kind(text: &str, kind: KeyKind) -> Result<Self, KeyFormatError> {
        let key = VerifierKey::parse(text)?;
        check_kind(key.kind, kind)?;
        Ok(key)
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the key verifies.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// Whether a signature line names this key (its name and key ID), valid or not.
    pub fn names(&self, signature: &NoteSignature) -> bool {
        signature.name == self.name && signature.key_id == self.key_id
    }

    /// Checks that one of `signatures` is this key's valid signature of `checkpoint`: a note
    /// key's signature of its body, or a cosigner's timestamped cosignature (any timestamp).
    pub fn verify(&self, checkpoint: &Checkpoint, signatures: &[NoteSignature]) -> Result<(), SignatureError> {
        self.verified(checkpoint, signatures).map(|_| ())
    }

    /// Like [`VerifierKey::verify`], returning a cosignature's timestamp (`None` for a note key).
    pub fn verified(
        &self,
        checkpoint: &Checkpoint,
        signatures: &[NoteSignature],
    ) -> Result<Option<u64>, SignatureError> {
        let mine: Vec<&NoteSignature> = signatures.iter().filter(|s| self.names(s)).collect();
        if mine.is_empty() {
            let key = self.to_note_format();
            return Err(match self.kind {
                KeyKind::Note => SignatureError::NotSigned { key },
                KeyKind::Cosigner => SignatureError::NotCosigned { key },
            });
        }
        for s in mine {
            let (message, sig, timestamp) = match self.kind {
                KeyKind::Note => (checkpoint.body(), &s.signature[..], None),
                KeyKind::Cosigner => {
                    let Some(t) = s.timestamp() else { continue };
                    (checkpoint.cosigned_message(t), &s.signature[8..], Some(t))
                }
            };
            if let Ok(sig) = ed25519_dalek::Signature::from_slice(sig)
                && self.key.verify(message.as_bytes(), &sig).is_ok()
            {
                return Ok(timestamp);
            }
        }
        Err(SignatureError::Invalid { name: self.name.clone() })
    }
}

/// A witness that cosigned a checkpoint, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosigned {
    /// The witness's key name.
    pub name: String,
    /// The cosignature's timestamp (POSIX seconds).
    pub timestamp: u64,
}

/// Checks a witness policy: at least `min` of `witnesses` (cosigner keys) validly cosigned
/// `checkpoint`. Returns those that did, in the order given.
pub fn check_witnesses(
    checkpoint: &Checkpoint,
    signatures: &[NoteSignature],
    witnesses: &[VerifierKey],
    min: usize,
) -> Result<Vec<Cosigned>, SignatureError> {
    let mut valid = Vec::new();
    let mut missing = Vec::new();
    for w in witnesses {
        match w.verified(checkpoint, signatures) {
            Ok(t) => valid.push(Cosigned { name: w.name.clone(), timestamp: t.unwrap_or_default() }),
            Err(_) => missing.push(w.name.clone()),
        }
    }
    if valid.len() < min {
        let missing = if missing.is_empty() { String::new() } else { format!(": not {}", missing.join(", ")) };
        return Err(SignatureError::TooFewWitnesses { valid: valid.len(), given: witnesses.len(), min, missing });
    }
    Ok(valid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cp() -> Checkpoint {
        Checkpoint {
            origin: "example.org/ledger".into(),
            size: 39,
            root: Hash([9; 32]),
            extensions: vec![Checkpoint::head_extension(Seq::new(38), &Hash([3; 32]))],
        }
    }

    #[test]
    fn keys_round_trip_in_note_format() {
        let k = SignerKey::from_seed("example.org/ledger", [5; 32]);
        let again = SignerKey::parse(&k.to_note_format()).unwrap();
        assert_eq!(again.verifier(), k.verifier());
        let v = VerifierKey::parse(&k.verifier().to_note_format()).unwrap();
        assert_eq!(v, k.verifier());
        assert!(VerifierKey::parse("example.org/ledger+00000000+AQ==").is_err());
    }

    #[test]
    fn signatures_catch_every_change() {
        let k = SignerKey::from_seed("example.org/ledger", [5; 32]);
        let note = cp().sign(Some(&k));
        let (parsed, sigs) = Checkpoint::parse(&note).unwrap();
        assert_eq!(parsed.head(), Some((Seq::new(38), Hash([3; 32]))));
        k.verifier().verify(&parsed, &sigs).unwrap();
        let mut bigger = parsed.clone();
        bigger.size += 1;
        assert!(k.verifier().verify(&bigger, &sigs).is_err());
        let other = SignerKey::from_seed("example.org/ledger", [6; 32]);
        assert!(other.verifier().verify(&parsed, &sigs).is_err());
        let unsigned = Checkpoint::parse(&cp().sign(None)).unwrap();
        assert!(unsigned.1.is_empty());
        assert!(k.verifier().verify(&unsigned.0, &unsigned.1).is_err());
    }

    #[test]
    fn cosignatures_are_timestamped_and_bound_to_the_checkpoint() {
        let witness = SignerKey::of_kind("witness.example/w1", [8; 32], KeyKind::Cosigner);
        let log = SignerKey::from_seed("example.org/ledger", [5; 32]);
        let cp = cp();
        assert!(cp.cosign(&log, 1).is_none(), "a note key makes no cosignature");
        let cosig = cp.cosign(&witness, 1_679_315_147).expect("a cosignature");
        assert_eq!(cosig.timestamp(), Some(1_679_315_147));
        let mut note = cp.sign(Some(&log));
        note.push_str(&cosig.line());
        let (parsed, sigs) = Checkpoint::parse(&note).unwrap();
        let v = witness.verifier();
        assert_eq!(v.verified(&parsed, &sigs), Ok(Some(1_679_315_147)));
        log.verifier().verify(&parsed, &sigs).unwrap();
        assert_eq!(VerifierKey::parse(&v.to_note_format()).unwrap(), v);
        assert!(v.to_note_format().starts_with("witness.example/w1+"));
        assert_eq!(SignerKey::parse(&witness.to_note_format()).unwrap().kind(), KeyKind::Cosigner);
        // Bound to the body, the timestamp and the key kind.
        let mut other = parsed.clone();
        other.size += 1;
        assert!(v.verify(&other, &sigs).is_err());
        let mut later = sigs.clone();
        later[1].signature[7] ^= 1;
        assert!(v.verify(&parsed, &later).is_err(), "another timestamp");
        assert!(VerifierKey::parse_kind(&v.to_note_format(), KeyKind::Note).is_err());
        assert!(VerifierKey::parse_kind(&log.verifier().to_note_format(), KeyKind::Cosigner).is_err());
        // The same seed as a note key has another key ID: it does not verify cosignatures.
        let as_note = SignerKey::from_seed("witness.example/w1", [8; 32]).verifier();
        assert!(as_note.verify(&parsed, &sigs).is_err());
        // A policy.
        let w2 = SignerKey::of_kind("witness.example/w2", [9; 32], KeyKind::Cosigner);
        let both = [v.clone(), w2.verifier()];
        assert_eq!(check_witnesses(&parsed, &sigs, &both, 1).unwrap().len(), 1);
        let e = check_witnesses(&parsed, &sigs, &both, 2).unwrap_err().to_string();
        assert!(e.contains("1 of the 2 witnesses") && e.contains("not witness.example/w2"), "{e}");
    }

    #[test]
    fn malformed_notes() {
        for bad in ["", "origin\n", "o\nx\nAAAA\n\n", "o\n1\nnot base64\n\n", "o\n01\nAAAA\n\n"] {
            assert!(Checkpoint::parse(bad).is_err(), "{bad:?}");
        }
    }
}
