//! Checkpoints: the C2SP tlog-checkpoint text (origin, tree size, base64 root, extension lines) as
//! a C2SP signed note, Ed25519-signed when a key is given, with keys in the note formats
//! (`PRIVATE+KEY+name+hash+data` and `name+hash+data`).
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
    /// The key ID: the first 4 bytes of SHA-256(name || "\n" || 0x01 || public key).
    pub key_id: [u8; 4],
    /// The signature bytes.
    pub signature: Vec<u8>,
}

fn key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ED25519]);
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
    #[error("the key is not an Ed25519 key")]
    NotEd25519,
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

    /// The signed note: the body, a blank line, and a signature line when `key` is given.
    pub fn sign(&self, key: Option<&SignerKey>) -> String {
        let body = self.body();
        let mut note = body.clone();
        note.push('\n');
        if let Some(k) = key {
            let sig = k.key.sign(body.as_bytes());
            let mut blob = k.key_id.to_vec();
            blob.extend_from_slice(&sig.to_bytes());
            note.push_str(&format!("\u{2014} {} {}\n", k.name, B64.encode(blob)));
        }
        note
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
        let mut signatures = Vec::new();
        for line in sigs.lines() {
            let not_a_signature = || NoteError::SignatureLine { line: line.to_owned() };
            let rest = line.strip_prefix("\u{2014} ").ok_or_else(not_a_signature)?;
            let (name, blob) = rest.rsplit_once(' ').ok_or_else(not_a_signature)?;
            let blob = B64.decode(blob).map_err(|_| NoteError::SignatureBase64 { name: name.to_owned() })?;
            if blob.len() < 5 {
                return Err(NoteError::SignatureShort { name: name.to_owned() });
            }
            signatures.push(NoteSignature {
                name: name.to_owned(),
                key_id: [blob[0], blob[1], blob[2], blob[3]],
                signature: blob[4..].to_vec(),
            });
        }
        Ok((Checkpoint { origin, size, root, extensions }, signatures))
    }
}

/// An Ed25519 signing key with its note name.
pub struct SignerKey {
    name: String,
    key_id: [u8; 4],
    key: ed25519_dalek::SigningKey,
}

impl SignerKey {
    /// The key with this 32-byte seed.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Self {
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        SignerKey { name: name.to_owned(), key_id: key_id(name, key.verifying_key().as_bytes()), key }
    }

    /// A new key from the operating system's randomness.
    pub fn generate(name: &str) -> Result<Self, KeyFormatError> {
        check_name(name)?;
        let mut seed = [0u8; 32];
        let mut f = std::fs::File::open("/dev/urandom").map_err(KeyFormatError::NoRandomness)?;
        std::io::Read::read_exact(&mut f, &mut seed).map_err(KeyFormatError::NoRandomness)?;
        Ok(SignerKey::from_seed(name, seed))
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The private key in note format: `PRIVATE+KEY+name+hash+base64(0x01 || seed)`.
    pub fn to_note_format(&self) -> String {
        let mut data = vec![ED25519];
        data.extend_from_slice(&self.key.to_bytes());
        format!("PRIVATE+KEY+{}+{}+{}", self.name, hex8(&self.key_id), B64.encode(data))
    }

    /// Parses the private key format.
    pub fn parse(text: &str) -> Result<Self, KeyFormatError> {
        let rest = text.trim().strip_prefix("PRIVATE+KEY+").ok_or(KeyFormatError::NotPrivate)?;
        let (name, id, data) = split_key(rest)?;
        let seed: [u8; 32] = data.try_into().map_err(|_| KeyFormatError::PrivateLength)?;
        let key = SignerKey::from_seed(name, seed);
        if key.key_id != id {
            return Err(KeyFormatError::PrivateHash);
        }
        Ok(key)
    }

    /// The matching verifier.
    pub fn verifier(&self) -> VerifierKey {
        VerifierKey { name: self.name.clone(), key_id: self.key_id, key: self.key.verifying_key() }
    }
}

/// An Ed25519 verifier key with its note name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    key_id: [u8; 4],
    key: ed25519_dalek::VerifyingKey,
}

fn hex8(id: &[u8; 4]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

fn split_key(s: &str) -> Result<(&str, [u8; 4], Vec<u8>), KeyFormatError> {
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
    match data.split_first() {
        Some((&ED25519, key)) => Ok((name, id, key.to_vec())),
        _ => Err(KeyFormatError::NotEd25519),
    }
}

impl VerifierKey {
    /// The verifier key in note format: `name+hash+base64(0x01 || public key)`.
    pub fn to_note_format(&self) -> String {
        let mut data = vec![ED25519];
        data.extend_from_slice(self.key.as_bytes());
        format!("{}+{}+{}", self.name, hex8(&self.key_id), B64.encode(data))
    }

    /// Parses the verifier key format.
    pub fn parse(text: &str) -> Result<Self, KeyFormatError> {
        let (name, id, data) = split_key(text.trim())?;
        let bytes: [u8; 32] = data.try_into().map_err(|_| KeyFormatError::PublicLength)?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes).map_err(|_| KeyFormatError::PublicInvalid)?;
        if key_id(name, &bytes) != id {
            return Err(KeyFormatError::PublicHash);
        }
        Ok(VerifierKey { name: name.to_owned(), key_id: id, key })
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Checks that one of `signatures` is this key's valid signature of `checkpoint`.
    pub fn verify(&self, checkpoint: &Checkpoint, signatures: &[NoteSignature]) -> Result<(), SignatureError> {
        let mine: Vec<&NoteSignature> =
            signatures.iter().filter(|s| s.name == self.name && s.key_id == self.key_id).collect();
        if mine.is_empty() {
            return Err(SignatureError::NotSigned { key: self.to_note_format() });
        }
        let body = checkpoint.body();
        for s in mine {
            if let Ok(sig) = ed25519_dalek::Signature::from_slice(&s.signature)
                && self.key.verify(body.as_bytes(), &sig).is_ok()
            {
                return Ok(());
            }
        }
        Err(SignatureError::Invalid { name: self.name.clone() })
    }
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
    fn malformed_notes() {
        for bad in ["", "origin\n", "o\nx\nAAAA\n\n", "o\n1\nnot base64\n\n", "o\n01\nAAAA\n\n"] {
            assert!(Checkpoint::parse(bad).is_err(), "{bad:?}");
        }
    }
}
