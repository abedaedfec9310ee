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

/// `ledger checkpoint`: the note, or with `--format json` an object holding its parts and the
/// note's text (for tools that file checkpoints; the note itself is what `--checkpoint` reads).
pub fn checkpoint(ledger: &Ledger, out: &mut impl Write, format: Format, sign: Option<&Path>) -> Result<u8, Failure> {
    crate::queries::no_csv(format, "checkpoint")?;
    let key = sign.map(signer).transpose()?;
    let (cp, note) = bundle::checkpoint(ledger, key.as_ref())?;
    match format {
        Format::Json => {
            let head = cp.head().map(|(seq, hash)| json!({"seq": seq, "hash": hash.to_hex()}));
            let v = json!({
                "origin": cp.origin,
                "size": cp.size,
                "root": cp.root.to_hex(),
                "head": head,
                "signed": key.is_some(),
                "key": key.as_ref().map(|k| k.name()),
                "note": note,
            });
            output::write_json(out, &v)?;
        }
        Format::Table | Format::Csv => write!(out, "{note}")?,
    }
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

/// A checkpoint file a proof is checked against: its signature checked when `key` is given, and
/// refused when it is of another ledger than the proof.
fn proof_anchor(file: &Path, key: Option<&VerifierKey>, ledger: &str, which: &str) -> Result<Checkpoint, Failure> {
    let (cp, sigs) = parse_checkpoint(file)?;
    if let Some(k) = key {
        k.verify(&cp, &sigs).map_err(|e| failed(format!("{}: {e}", file.display())))?;
    }
    if cp.origin != ledger {
        return Err(failed(format!(
            "{which} {} is of the ledger `{}`; the proof is of the ledger `{ledger}`",
            file.display(),
            cp.origin
        )));
    }
    Ok(cp)
}

/// `ledger verify-proof`: an inclusion proof against a checkpoint, or a consistency proof against
/// the newer checkpoint and the older one. The answer says what the proof was anchored to and
/// what was not checked.
pub fn verify_proof(
    out: &mut impl Write,
    format: Format,
    file: &Path,
    checkpoint: Option<&Path>,
    old_checkpoint: Option<&Path>,
    key: Option<&str>,
) -> Result<u8, Failure> {
    if key.is_some() && checkpoint.is_none() && old_checkpoint.is_none() {
        return Err(Failure::new(
            exit::USAGE,
            "--key checks a checkpoint's signature: give the checkpoint with --checkpoint FILE",
        ));
    }
    let key = key.map(verifier).transpose()?;
    let v = ledger_core::canonical::parse_unique(read_text(file)?.as_bytes())
        .map_err(|e| failed(format!("{}: not a proof: {e}", file.display())))?;
    let path: Vec<Hash> = v
        .get("path")
        .and_then(Value::as_array)
        .ok_or_else(|| failed("the proof has no `path`".into()))?
        .iter()
        .map(|h| h.as_str().and_then(|s| Hash::from_hex(s).ok()))
        .collect::<Option<_>>()
        .ok_or_else(|| failed("the proof's path holds something that is not a hash".into()))?;
    let ledger = v
        .get("ledger")
        .and_then(Value::as_str)
        .ok_or_else(|| failed("the proof does not name its ledger (`ledger`)".into()))?;
    let consistency = match v.get("type").and_then(Value::as_str) {
        Some("inclusion") => false,
        Some("consistency") => true,
        _ => return Err(failed("the proof's `type` is neither inclusion nor consistency".into())),
    };
    if old_checkpoint.is_some() && !consistency {
        return Err(Failure::new(
            exit::USAGE,
            "--old-checkpoint is for a consistency proof; this is an inclusion proof: give its checkpoint with --checkpoint",
        ));
    }
    let anchor = checkpoint.map(|f| proof_anchor(f, key.as_ref(), ledger, "the checkpoint")).transpose()?;
    let old_anchor =
        old_checkpoint.map(|f| proof_anchor(f, key.as_ref(), ledger, "the older checkpoint")).transpose()?;
    let size = u64_field(&v, "size")?;
    let mut root = hash_field(&v, "root")?;
    let (what, old_root) = if consistency {
        let old = u64_field(&v, "old_size")?;
        let mut old_root = hash_field(&v, "old_root")?;
        // The command that makes the proof these checkpoints can check.
        let remake =
            |old: u64, size: u64| format!("make the proof with `ledger prove --consistency {old} --size {size}`");
        if let (Some(cp), Some(file)) = (&old_anchor, old_checkpoint) {
            if cp.size != old {
                let size = anchor.as_ref().map_or(size, |a| a.size);
                return Err(failed(format!(
                    "the proof starts from the tree of {old} events; the older checkpoint {} records {}: {}",
                    file.display(),
                    cp.size,
                    remake(cp.size, size)
                )));
            }
            old_root = cp.root;
        }
        if let (Some(cp), Some(file)) = (&anchor, checkpoint) {
            if cp.size != size {
                let hint = if old <= cp.size {
                    remake(old, cp.size)
                } else {
                    format!("that is fewer than the proof's old size ({old})")
                };
                return Err(failed(format!(
                    "the proof is for the tree of {size} events; the checkpoint {} records {}: {hint}",
                    file.display(),
                    cp.size
                )));
            }
            root = cp.root;
        }
        if !merkle::verify_consistency(old, size, &old_root, &root, &path) {
            return Err(failed(format!(
                "the proof does not show the tree of {old} events (root {old_root}) to be a prefix of the tree of {size} (root {root})"
            )));
        }
        (format!("the tree of {old} events is a prefix of the tree of {size}"), Some(old_root))
    } else {
        let seq = u64_field(&v, "seq")?;
        if let (Some(cp), Some(file)) = (&anchor, checkpoint) {
            if cp.size != size {
                let hint = if seq < cp.size {
                    format!("make the proof against it with `ledger prove {seq} --size {}`", cp.size)
                } else {
                    format!("event {seq} was recorded after it: check the proof against a later checkpoint")
                };
                return Err(failed(format!(
                    "the proof is for the tree of {size} events; the checkpoint {} records {}: {hint}",
                    file.display(),
                    cp.size
                )));
            }
            root = cp.root;
        }
        let leaf = merkle::leaf_hash(&hash_field(&v, "event_hash")?);
        if !merkle::verify_inclusion(seq, size, &leaf, &path, &root) {
            return Err(failed(format!(
                "the proof does not put event {seq} in the tree of {size} events with root {root}"
            )));
        }
        (format!("event {seq} is in the tree of {size} events"), None)
    };
    // What the proof was checked against, and what it was not: an unanchored "ok" proves only
    // that the proof agrees with itself, and an unchecked signature that anyone could have
    // written the checkpoint.
    let mut against = Vec::new();
    let mut unchecked = Vec::new();
    match (&anchor, &old_anchor) {
        (None, None) => unchecked
            .push("not anchored: no --checkpoint given; this proves only that the proof is self-consistent".to_owned()),
        (None, Some(_)) => {
            against.push("the older checkpoint's root".to_owned());
            unchecked.push("the newer root is the proof's own: no --checkpoint given".to_owned());
        }
        (Some(_), None) if consistency => {
            against.push("the checkpoint's root".to_owned());
            unchecked.push("the older root is the proof's own: no --old-checkpoint given".to_owned());
        }
        (Some(_), None) => against.push("the checkpoint's root".to_owned()),
        (Some(_), Some(_)) => against.push("the roots of both checkpoints".to_owned()),
    }
    let anchored = anchor.is_some() || old_anchor.is_some();
    match (&key, anchored) {
        (Some(k), true) => against.push(format!("signed by {}", k.name())),
        (None, true) => unchecked.push("signature not checked: no --key given".to_owned()),
        _ => {}
    }
    let roots = match old_root {
        Some(old) => format!("with roots {old} and {root}"),
        None => format!("with root {root}"),
    };
    match format {
        Format::Json => output::write_json(
            out,
            &json!({
                "ok": true, "what": what, "root": root.to_hex(), "old_root": old_root.map(|r| r.to_hex()),
                "anchored": anchor.is_some(), "old_anchored": old_anchor.is_some(),
                "signature_checked": key.is_some() && anchored,
                "checked_against": against, "not_checked": unchecked,
            }),
        )?,
        _ => {
            let ok = if unchecked.is_empty() { "ok".to_owned() } else { format!("ok ({})", unchecked.join("; ")) };
            let against =
                if against.is_empty() { String::new() } else { format!(", checked against {}", against.join(", ")) };
            writeln!(out, "{ok}: {what}, {roots}{against}")?;
        }
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
    check_export_target(file)?;
    let mut tmp = file.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = std::path::PathBuf::from(tmp);
    check_export_target(&tmp)?;
    // A `.partial` left by an export that died is ours to replace; `create_new` then never opens
    // anything another process put there meanwhile (a link, a FIFO).
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(Failure::new(exit::IO, format!("cannot replace {}: {e}", tmp.display())));
        }
        _ => {}
    }
    let f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| Failure::new(exit::IO, format!("cannot create {}: {e}", tmp.display())))?;
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

/// An export writes a regular file: a new path, or one that is a regular file now. It never
/// replaces a device, a FIFO, a socket, a directory or a symbolic link (the bundle is written
/// beside the path and renamed over it, which would replace the node itself).
fn check_export_target(file: &Path) -> Result<(), Failure> {
    let meta = match std::fs::symlink_metadata(file) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Failure::new(exit::IO, format!("cannot write {}: {e}", file.display()))),
    };
    let t = meta.file_type();
    if t.is_file() {
        return Ok(());
    }
    let what = if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
        "a directory"
    } else {
        "a device, FIFO or socket"
    };
    Err(Failure::new(
        exit::USAGE,
        format!(
            "refusing to export to {}: it is {what}; export writes a regular file (a new path, or a regular file it replaces), or `-` for standard output",
            file.display()
        ),
    ))
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
    // Without a key, "ok" says only that the bundle agrees with itself: anyone could have written
    // it and its checkpoint. The first line says so.
    let unchecked = b.signed_by.is_none().then_some("signature not checked: no --key given");
    match format {
        Format::Json => output::write_json(
            out,
            &json!({"ok": true, "events": b.events, "head": {"seq": b.head.seq, "hash": b.head.hash.to_hex()}, "root": b.checkpoint.root.to_hex(), "signed_by": b.signed_by, "signature_checked": b.signed_by.is_some(), "not_checked": unchecked, "extends": b.extends}),
        )?,
        _ => {
            writeln!(
                out,
                "{}: {} events of `{}` (hashes, links, lifecycle rules, Merkle root {}); head {} {}",
                unchecked.map_or("ok".to_owned(), |u| format!("ok ({u})")),
                b.events,
                b.checkpoint.origin,
                b.checkpoint.root,
                b.head.seq,
                b.head.hash
            )?;
            if let Some(k) = &b.signed_by {
                writeln!(out, "signed by {k}")?;
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
    crate::committed(&head);
    match format {
        Format::Json => output::write_json(
            out,
            &json!({"ledger": path.display().to_string(), "events": b.events, "head": {"seq": head.seq, "hash": head.hash.to_hex()}}),
        )?,
        _ => writeln!(out, "restored {} events into {}; head {} {}", b.events, path.display(), head.seq, head.hash)?,
    }
    Ok(exit::OK)
}
