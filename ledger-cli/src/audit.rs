//! The auditor's toolkit: keys, checkpoints, proofs and bundles.

use std::io::{BufReader, Read, Write};
use std::path::Path;

use ledger_core::bundle::{self, Checks};
use ledger_core::chain::Hash;
use ledger_core::checkpoint::{Checkpoint, NoteSignature, SignerKey, VerifierKey};
use ledger_core::merkle;
use ledger_core::progress::Progress;
use ledger_core::{Error, Ledger};
use serde_json::{Value, json};

use crate::cli::Format;
use crate::{Failure, exit, output, progress};

fn read_text(path: &Path) -> Result<String, Failure> {
    if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        return Ok(s);
    }
    std::fs::read_to_string(path)
        .map_err(|e| Failure::new(exit::NO_LEDGER, format!("cannot read {}: {e}", path.display())))
}

fn signer(path: &Path) -> Result<SignerKey, Failure> {
    SignerKey::parse(&read_text(path)?).map_err(|e| Failure::new(exit::DATA, format!("{}: {e}", path.display())))
}

/// A verifier key given inline (NAME+HASH+DATA) or as a file holding it.
fn verifier(key: &str) -> Result<VerifierKey, Failure> {
    match VerifierKey::parse(key) {
        Ok(k) => Ok(k),
        Err(inline) => {
            let path = Path::new(key);
            if !path.is_file() {
                return Err(Failure::new(exit::USAGE, format!("--key: {inline} (and no file `{key}` exists)")));
            }
            VerifierKey::parse(&read_text(path)?).map_err(|e| Failure::new(exit::DATA, format!("{key}: {e}")))
        }
    }
}

fn failed(what: String) -> Failure {
    Failure::new(exit::FAILED, format!("verification failed: {what}"))
}

fn parse_checkpoint(path: &Path) -> Result<(Checkpoint, Vec<NoteSignature>), Failure> {
    Checkpoint::parse(&read_text(path)?).map_err(|e| failed(format!("{}: {e}", path.display())))
}

/// `ledger keygen`.
pub fn keygen(out: &mut impl Write, file: &Path, name: &str) -> Result<u8, Failure> {
    let key = SignerKey::generate(name).map_err(|e| Failure::new(exit::USAGE, e))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(file).map_err(|e| {
        let code = if e.kind() == std::io::ErrorKind::AlreadyExists { exit::USAGE } else { exit::IO };
        Failure::new(code, format!("cannot create {}: {e}", file.display()))
    })?;
    writeln!(f, "{}", key.to_note_format()).and_then(|()| f.sync_all())?;
    writeln!(out, "{}", key.verifier().to_note_format())?;
    Ok(exit::OK)
}

/// `ledger checkpoint`.
pub fn checkpoint(ledger: &Ledger, out: &mut impl Write, sign: Option<&Path>) -> Result<u8, Failure> {
    let key = sign.map(signer).transpose()?;
    let (_, note) = bundle::checkpoint(ledger, key.as_ref())?;
    write!(out, "{note}")?;
    Ok(exit::OK)
}

/// `ledger verify --checkpoint`: the ledger still has the tree the checkpoint recorded.
pub fn verify_checkpoint(
    ledger: &Ledger,
    out: &mut impl Write,
    format: Format,
    file: &Path,
    key: Option<&str>,
) -> Result<u8, Failure> {
    let (cp, sigs) = parse_checkpoint(file)?;
    let name = file.display();
    if let Some(k) = key {
        verifier(k)?.verify(&cp, &sigs).map_err(|e| failed(format!("{name}: {e}")))?;
    }
    let ledger_name = ledger.name()?;
    if cp.origin != ledger_name {
        return Err(failed(format!("{name} is a checkpoint of `{}`, not of this ledger (`{ledger_name}`)", cp.origin)));
    }
    let head = ledger.head()?;
    let size = head.seq + 1;
    if cp.size == 0 || cp.size > size {
        return Err(failed(format!(
            "{name} records {} events; this ledger holds {size}: events were removed",
            cp.size
        )));
    }
    let old_root = ledger.tree_root(cp.size)?;
    if old_root != cp.root {
        return Err(failed(format!(
            "{name}: the ledger's tree of its first {} events has root {old_root}, the checkpoint recorded {}: history was rewritten",
            cp.size, cp.root
        )));
    }
    if let Some((seq, hash)) = cp.head() {
        let event = ledger.event(seq)?.map(|e| e.hash);
        if event != Some(hash) {
            return Err(failed(format!("{name}: event {seq} is not the head the checkpoint names ({hash})")));
        }
    }
    let root = ledger.tree_root(size)?;
    let proof = ledger.consistency_proof(cp.size, size)?;
    if !merkle::verify_consistency(cp.size, size, &cp.root, &root, &proof) {
        return Err(failed(format!("{name}: today's tree is not consistent with the checkpoint")));
    }
    let signed = key.map(|_| ", signature checked").unwrap_or(", signature not checked (no --key)");
    match format {
        Format::Json => output::write_json(
            out,
            &json!({"ok": true, "checkpoint": {"size": cp.size, "root": cp.root.to_hex()}, "size": size, "root": root.to_hex(), "signature_checked": key.is_some()}),
        )?,
        _ => writeln!(
            out,
            "ok: the ledger of {size} events extends the checkpoint of {} events (root {}{signed})",
            cp.size, cp.root
        )?,
    }
    Ok(exit::OK)
}

/// `ledger prove`.
pub fn prove(
    ledger: &Ledger,
    out: &mut impl Write,
    seq: Option<u64>,
    size: Option<u64>,
    old: Option<u64>,
) -> Result<u8, Failure> {
    let refused = |e: Error| match e {
        Error::Refused(r) => Failure::new(exit::USAGE, r),
        e => e.into(),
    };
    let size = match size {
        Some(s) => s,
        None => ledger.head()?.seq + 1,
    };
    let hex = |p: &[Hash]| p.iter().map(Hash::to_hex).collect::<Vec<_>>();
    let ledger_name = ledger.name()?;
    let v = match (seq, old) {
        (Some(seq), _) => {
            let path = ledger.inclusion_proof(seq, size).map_err(refused)?;
            let event = ledger.event(seq)?.ok_or_else(|| Failure::new(exit::FAILED, format!("no event {seq}")))?;
            json!({
                "type": "inclusion", "ledger": ledger_name, "seq": seq, "size": size,
                "event_hash": event.hash.to_hex(), "leaf_hash": merkle::leaf_hash(&event.hash).to_hex(),
                "root": ledger.tree_root(size).map_err(refused)?.to_hex(), "path": hex(&path),
            })
        }
        (None, Some(old)) => {
            let path = ledger.consistency_proof(old, size).map_err(refused)?;
            json!({
                "type": "consistency", "ledger": ledger_name, "old_size": old, "size": size,
                "old_root": ledger.tree_root(old).map_err(refused)?.to_hex(), "root": ledger.tree_root(size).map_err(refused)?.to_hex(),
                "path": hex(&path),
            })
        }
        (None, None) => return Err(Failure::new(exit::USAGE, "give an event SEQ or --consistency OLD_SIZE")),
    };
    output::write_json(out, &v)?;
    Ok(exit::OK)
}

fn hash_field(v: &Value, field: &str) -> Result<Hash, Failure> {
    v.get(field)
        .and_then(Value::as_str)
        .and_then(|s| Hash::from_hex(s).ok())
        .ok_or_else(|| failed(format!("the proof's `{field}` is not a hash")))
}

fn u64_field(v: &Value, field: &str) -> Result<u64, Failure> {
    v.get(field).and_then(Value::as_u64).ok_or_else(|| failed(format!("the proof's `{field}` is not a number")))
}

/// `ledger verify-proof`.
pub fn verify_proof(
    out: &mut impl Write,
    format: Format,
    file: &Path,
    checkpoint: Option<&Path>,
    key: Option<&str>,
) -> Result<u8, Failure> {
    let v: Value =
        serde_json::from_str(&read_text(file)?).map_err(|e| failed(format!("{}: not JSON: {e}", file.display())))?;
    let path: Vec<Hash> = v
        .get("path")
        .and_then(Value::as_array)
        .ok_or_else(|| failed("the proof has no `path`".into()))?
        .iter()
        .map(|h| h.as_str().and_then(|s| Hash::from_hex(s).ok()))
        .collect::<Option<_>>()
        .ok_or_else(|| failed("the proof's path holds something that is not a hash".into()))?;
    let anchor = match checkpoint {
        Some(cp_file) => {
            let (cp, sigs) = parse_checkpoint(cp_file)?;
            if let Some(k) = key {
                verifier(k)?.verify(&cp, &sigs).map_err(|e| failed(format!("{}: {e}", cp_file.display())))?;
            }
            Some(cp)
        }
        None => None,
    };
    let size = u64_field(&v, "size")?;
    let mut root = hash_field(&v, "root")?;
    if let Some(cp) = &anchor {
        if cp.size != size {
            return Err(failed(format!(
                "the proof is for a tree of {size} events; the checkpoint records {}",
                cp.size
            )));
        }
        root = cp.root;
    }
    let what = match v.get("type").and_then(Value::as_str) {
        Some("inclusion") => {
            let seq = u64_field(&v, "seq")?;
            let leaf = merkle::leaf_hash(&hash_field(&v, "event_hash")?);
            if !merkle::verify_inclusion(seq, size, &leaf, &path, &root) {
                return Err(failed(format!(
                    "the proof does not put event {seq} in the tree of {size} events with root {root}"
                )));
            }
            format!("event {seq} is in the tree of {size} events")
        }
        Some("consistency") => {
            let old = u64_field(&v, "old_size")?;
            let old_root = hash_field(&v, "old_root")?;
            if !merkle::verify_consistency(old, size, &old_root, &root, &path) {
                return Err(failed(format!(
                    "the proof does not show the tree of {old} events to be a prefix of the tree of {size}"
                )));
            }
            format!("the tree of {old} events is a prefix of the tree of {size}")
        }
        _ => return Err(failed("the proof's `type` is neither inclusion nor consistency".into())),
    };
    let anchored = if anchor.is_some() {
        "the checkpoint's root"
    } else {
        "the proof's own root (give --checkpoint to anchor it)"
    };
    match format {
        Format::Json => output::write_json(
            out,
            &json!({"ok": true, "what": what, "root": root.to_hex(), "anchored": anchor.is_some()}),
        )?,
        _ => writeln!(out, "ok: {what}, with root {root}, checked against {anchored}")?,
    }
    Ok(exit::OK)
}

/// `ledger export`.
pub fn export(
    ledger: &Ledger,
    out: &mut impl Write,
    format: Format,
    file: &Path,
    sign: Option<&Path>,
) -> Result<u8, Failure> {
    let key = sign.map(signer).transpose()?;
    let bar = progress::Bar::new();
    bar.phase("exporting events", Some(ledger.head()?.seq + 1));
    if file.as_os_str() == "-" {
        bundle::export(ledger, &mut bar.line_writer(&mut *out), key.as_ref())?;
        return Ok(exit::OK);
    }
    let mut tmp = file.as_os_str().to_owned();
    tmp.push(".partial");
    let f = std::fs::File::create(&tmp)
        .map_err(|e| Failure::new(exit::IO, format!("cannot create {}: {e}", file.display())))?;
    let mut w = std::io::BufWriter::new(f);
    let cp = bundle::export(ledger, &mut bar.line_writer(&mut w), key.as_ref())?;
    let f = w.into_inner().map_err(|e| Failure::new(exit::IO, format!("writing {}: {e}", file.display())))?;
    f.sync_all()?;
    // The bundle appears whole or not at all.
    std::fs::rename(&tmp, file).map_err(|e| Failure::new(exit::IO, format!("writing {}: {e}", file.display())))?;
    bar.done();
    match format {
        Format::Json => output::write_json(
            out,
            &json!({"file": file.display().to_string(), "size": cp.size, "root": cp.root.to_hex(), "signed": key.is_some()}),
        )?,
        _ => writeln!(
            out,
            "exported {} events to {} (root {}{})",
            cp.size,
            file.display(),
            cp.root,
            if key.is_some() { ", signed" } else { "" }
        )?,
    }
    Ok(exit::OK)
}

fn read_bundle(file: &Path, checks: Checks, bar: &progress::Bar) -> Result<bundle::Verified, Failure> {
    let result = if file.as_os_str() == "-" {
        bar.bytes("verifying the bundle on standard input", None);
        bundle::verify(BufReader::new(bar.reader(std::io::stdin().lock())), checks)
    } else {
        let f = std::fs::File::open(file)
            .map_err(|e| Failure::new(exit::NO_LEDGER, format!("cannot read {}: {e}", file.display())))?;
        bar.bytes(&format!("verifying {}", file.display()), f.metadata().ok().map(|m| m.len()));
        bundle::verify(BufReader::new(bar.reader(f)), checks)
    };
    result.map_err(|e| failed(format!("{}: {e}", file.display())))
}

/// `ledger verify-bundle`.
pub fn verify_bundle(
    out: &mut impl Write,
    format: Format,
    file: &Path,
    older: Option<&Path>,
    key: Option<&str>,
) -> Result<u8, Failure> {
    let key = key.map(verifier).transpose()?;
    let older = older.map(parse_checkpoint).transpose()?;
    let bar = progress::Bar::new();
    let b = read_bundle(file, Checks { key: key.as_ref(), older, keep: false }, &bar)?;
    bar.done();
    match format {
        Format::Json => output::write_json(
            out,
            &json!({"ok": true, "events": b.events, "head": {"seq": b.head.0, "hash": b.head.1.to_hex()}, "root": b.checkpoint.root.to_hex(), "signed_by": b.signed_by, "extends": b.extends}),
        )?,
        _ => {
            writeln!(
                out,
                "ok: {} events of `{}` (hashes, links, lifecycle rules, Merkle root {}); head {} {}",
                b.events, b.checkpoint.origin, b.checkpoint.root, b.head.0, b.head.1
            )?;
            match &b.signed_by {
                Some(k) => writeln!(out, "signed by {k}")?,
                None => writeln!(out, "signature not checked (no --key)")?,
            }
            if let Some(old) = b.extends {
                writeln!(out, "extends the older checkpoint of {old} events")?;
            }
        }
    }
    Ok(exit::OK)
}

/// `ledger import-bundle`.
pub fn import_bundle(
    path: &Path,
    out: &mut impl Write,
    format: Format,
    file: &Path,
    key: Option<&str>,
) -> Result<u8, Failure> {
    let key = key.map(verifier).transpose()?;
    let bar = progress::Bar::new();
    let b = read_bundle(file, Checks { key: key.as_ref(), older: None, keep: true }, &bar)?;
    bar.phase(&format!("writing {} events to {}", b.events, path.display()), None);
    let ledger = bundle::restore(path, &b)?;
    bar.done();
    let head = ledger.head()?;
    match format {
        Format::Json => output::write_json(
            out,
            &json!({"ledger": path.display().to_string(), "events": b.events, "head": {"seq": head.seq, "hash": head.hash.to_hex()}}),
        )?,
        _ => writeln!(out, "restored {} events into {}; head {} {}", b.events, path.display(), head.seq, head.hash)?,
    }
    Ok(exit::OK)
}
