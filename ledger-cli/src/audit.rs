//! The auditor's toolkit: keys, checkpoints, proofs and bundles.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;

use ledger_core::bundle::{self, Checks};
use ledger_core::checkpoint::{KeyFormatError, KeyKind, SignerKey, VerifierKey};
use ledger_core::ops::audit::{
    self as ops, Anchor, AuditError, BundleCheck, CheckpointCheck, CheckpointOutput, ExportOutput, PolicyError, Proof,
    ProofAnchors, Remedy, RestoreOutput, WitnessCheck, WitnessPolicy,
};
use ledger_core::progress::Progress;
use ledger_core::seq::Seq;
use ledger_core::view::View;
use ledger_core::{Error, Ledger};

use crate::cli::{Format, WitnessArgs};
use crate::remote::Remote;
use crate::{Failure, exit, progress};

fn read_text(path: &Path) -> Result<String, Failure> {
    if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        return Ok(s);
    }
    std::fs::read_to_string(path)
        .map_err(|e| Failure::new(exit::NO_LEDGER, format!("cannot read {}: {e}", path.display())))
}

/// A log's private key from its file.
pub(crate) fn signer(path: &Path) -> Result<SignerKey, Failure> {
    signer_of(path, KeyKind::Note)
}

/// A private key of `kind` from its file.
pub(crate) fn signer_of(path: &Path, kind: KeyKind) -> Result<SignerKey, Failure> {
    SignerKey::parse_kind(&read_text(path)?, kind)
        .map_err(|e| Failure::new(exit::DATA, format!("{}: {e}", path.display())))
}

/// A verifier key given inline (NAME+HASH+DATA) or as a file holding it.
fn verifier(key: &str) -> Result<VerifierKey, Failure> {
    verifier_for("--key", key, None)
}

/// A verifier key given to `flag`, inline (NAME+HASH+DATA) or as a file holding it; of `kind`,
/// when one is asked for (a usage error otherwise: the wrong key was given).
pub(crate) fn verifier_for(flag: &str, key: &str, kind: Option<KeyKind>) -> Result<VerifierKey, Failure> {
    let parse = |text: &str| match kind {
        Some(kind) => VerifierKey::parse_kind(text, kind),
        None => VerifierKey::parse(text),
    };
    let wrong_kind = |e: &KeyFormatError| matches!(e, KeyFormatError::Kind(_));
    match parse(key) {
        Ok(k) => Ok(k),
        Err(e) if wrong_kind(&e) => Err(Failure::new(exit::USAGE, format!("{flag}: {e}"))),
        Err(inline) => {
            let path = Path::new(key);
            if !path.is_file() {
                return Err(Failure::new(exit::USAGE, format!("{flag}: {inline} (and no file `{key}` exists)")));
            }
            parse(&read_text(path)?).map_err(|e| {
                let code = if wrong_kind(&e) { exit::USAGE } else { exit::DATA };
                Failure::new(code, format!("{flag} {key}: {e}"))
            })
        }
    }
}

/// The witness policy of `--witness` and `--min-witnesses`, if witnesses are given.
pub(crate) fn witness_policy(args: &WitnessArgs) -> Result<Option<WitnessPolicy>, Failure> {
    if args.witnesses.is_empty() {
        return Ok(None);
    }
    let keys = args
        .witnesses
        .iter()
        .map(|w| verifier_for("--witness", w, Some(KeyKind::Cosigner)))
        .collect::<Result<Vec<_>, _>>()?;
    WitnessPolicy::new(keys, args.min_witnesses).map(Some).map_err(|e| {
        let flag = match e {
            PolicyError::Minimum { min, .. } => format!("--min-witnesses {min}"),
            _ => "--witness".to_owned(),
        };
        Failure::new(exit::USAGE, format!("{flag}: {e}"))
    })
}

/// The line saying which witnesses cosigned a checkpoint, and when.
pub fn print_witnesses(out: &mut impl Write, check: &WitnessCheck) -> Result<(), Failure> {
    let given = check.cosigned.len() + check.not_cosigned.len();
    let who: Vec<String> = check.cosigned.iter().map(|c| format!("{} at {}", c.witness, c.time)).collect();
    let not =
        if check.not_cosigned.is_empty() { String::new() } else { format!("; not {}", check.not_cosigned.join(", ")) };
    writeln!(
        out,
        "witnessed: {} of {given} witnesses cosigned the checkpoint (at least {} required): {}{not}",
        check.cosigned.len(),
        check.required,
        who.join(", ")
    )?;
    Ok(())
}

fn failed(what: String) -> Failure {
    Failure::new(exit::FAILED, format!("verification failed: {what}"))
}

/// `ledger keygen`: a log's key, or with `witness` a witness's cosigner key.
pub fn keygen(out: &mut impl Write, file: &Path, name: &str, witness: bool) -> Result<u8, Failure> {
    let kind = if witness { KeyKind::Cosigner } else { KeyKind::Note };
    let key = SignerKey::generate_kind(name, kind).map_err(|e| Failure::new(exit::USAGE, e.to_string()))?;
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

/// Prints a typed answer as JSON.
fn json(out: &mut impl Write, v: &impl serde::Serialize) -> Result<(), Failure> {
    serde_json::to_writer_pretty(&mut *out, v).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
}

/// An auditor's check that failed (exit 1), with the command that makes a checkable proof.
impl From<AuditError> for Failure {
    fn from(e: AuditError) -> Self {
        match e {
            AuditError::Ledger(e) => e.into(),
            AuditError::Failed { what, remedy } => match remedy {
                None => failed(what),
                Some(r) => failed(format!("{what}: {}", remedy_hint(r))),
            },
        }
    }
}

/// The `ledger prove` command that makes a proof these checkpoints can check.
fn remedy_hint(r: Remedy) -> String {
    match r {
        Remedy::Inclusion { seq, size } => format!("make the proof against it with `ledger prove {seq} --size {size}`"),
        Remedy::Consistency { old, size } => {
            format!("make the proof with `ledger prove --consistency {old} --size {size}`")
        }
        Remedy::LaterCheckpoint { seq } => {
            format!("event {seq} was recorded after it: check the proof against a later checkpoint")
        }
        Remedy::NoneFromThatCheckpoint { old } => format!("that is fewer than the proof's old size ({old})"),
    }
}

fn anchor(path: &Path) -> Result<Anchor, Failure> {
    Ok(Anchor::parse(&path.display().to_string(), &read_text(path)?)?)
}

/// `ledger checkpoint`: the note, or with `--format json` an object holding its parts and the
/// note's text (for tools that file checkpoints; the note itself is what `--checkpoint` reads).
pub fn checkpoint(ledger: &Ledger, out: &mut impl Write, format: Format, sign: Option<&Path>) -> Result<u8, Failure> {
    crate::queries::no_csv(format, "checkpoint")?;
    let key = sign.map(signer).transpose()?;
    print_checkpoint(out, format, &ops::checkpoint(&View::now(ledger)?, key.as_ref())?)
}

/// `ledger --remote URL checkpoint`: the server's checkpoint, signed with the server's key if it
/// was started with one.
pub fn checkpoint_remote(r: &Remote, out: &mut impl Write, format: Format, sign: Option<&Path>) -> Result<u8, Failure> {
    crate::queries::no_csv(format, "checkpoint")?;
    if sign.is_some() {
        return Err(server_signs("checkpoint"));
    }
    print_checkpoint(out, format, &r.checkpoint()?)
}

/// `--sign` with `--remote`: refused.
fn server_signs(command: &str) -> Failure {
    Failure::new(
        exit::USAGE,
        format!(
            "`ledger {command} --sign` signs with a local key; through --remote, the server signs with the key it was started with (`ledger serve --sign KEYFILE`): leave --sign out"
        ),
    )
}

fn print_checkpoint(out: &mut impl Write, format: Format, cp: &CheckpointOutput) -> Result<u8, Failure> {
    match format {
        Format::Json => json(out, cp)?,
        Format::Table | Format::Csv => write!(out, "{}", cp.note)?,
    }
    Ok(exit::OK)
}

/// `ledger verify --checkpoint`: the ledger still has the tree the checkpoint recorded (and the
/// checkpoint carries the cosignatures `witnesses` asks for). A check that fails is an error
/// (exit 1).
pub fn verify_checkpoint(
    ledger: &Ledger,
    file: &Path,
    key: Option<&str>,
    witnesses: Option<&WitnessPolicy>,
) -> Result<CheckpointCheck, Failure> {
    let anchor = anchor(file)?;
    let key = key.map(verifier).transpose()?;
    Ok(ops::verify_checkpoint(ledger, &anchor, key.as_ref(), witnesses)?)
}

/// The line saying that the ledger extends the checkpoint.
pub fn print_checkpoint_check(out: &mut impl Write, check: &CheckpointCheck) -> Result<(), Failure> {
    let signed = if check.signature_checked { ", signature checked" } else { ", signature not checked (no --key)" };
    writeln!(
        out,
        "ok: the ledger of {} events extends the checkpoint of {} events (root {}{signed})",
        check.size, check.checkpoint.size, check.checkpoint.root
    )?;
    if let Some(w) = &check.witnesses {
        print_witnesses(out, w)?;
    }
    Ok(())
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
    let proof = match (seq, old) {
        (Some(seq), _) => Proof::Inclusion(
            ops::prove_inclusion(&View::now(ledger)?, Seq::new(seq), size)
                .map_err(refused)?
                .ok_or_else(|| Failure::new(exit::FAILED, format!("no event {seq}")))?,
        ),
        (None, Some(old)) => {
            Proof::Consistency(ops::prove_consistency(&View::now(ledger)?, old, size).map_err(refused)?)
        }
        (None, None) => return Err(Failure::new(exit::USAGE, "give an event SEQ or --consistency OLD_SIZE")),
    };
    print_proof(out, &proof)
}

/// Prints a proof (JSON, whatever the format: it is a file for `verify-proof`).
pub fn print_proof(out: &mut impl Write, proof: &Proof) -> Result<u8, Failure> {
    json(out, proof)?;
    Ok(exit::OK)
}

/// What `ledger prove SEQ --tlog-proof` was asked for.
pub struct TlogRequest<'a> {
    /// The event.
    pub seq: u64,
    /// `--size`.
    pub size: Option<u64>,
    /// `--checkpoint`: the checkpoint to carry, verbatim.
    pub checkpoint: Option<&'a Path>,
    /// `--sign`: the key of a new checkpoint.
    pub sign: Option<&'a Path>,
}

/// `ledger prove SEQ --tlog-proof`: a C2SP tlog-proof (text, whatever the format: it is a file
/// for `verify-proof`).
pub fn prove_tlog(ledger: &Ledger, out: &mut impl Write, req: &TlogRequest) -> Result<u8, Failure> {
    let text = req.checkpoint.map(read_text).transpose()?;
    let given = match (req.checkpoint, &text) {
        (Some(p), Some(t)) => Some(Anchor::parse(&p.display().to_string(), t)?),
        _ => None,
    };
    let key = req.sign.map(signer).transpose()?;
    let checkpoint = match (&given, &text, &key) {
        (Some(a), Some(t), _) => ops::TlogCheckpoint::Given(t, a),
        (_, _, Some(k)) => ops::TlogCheckpoint::Signed(k),
        _ => ops::TlogCheckpoint::Unsigned,
    };
    let view = View::now(ledger)?;
    let proof = ops::prove_tlog(&view, Seq::new(req.seq), req.size, checkpoint).map_err(|e| match e {
        AuditError::Ledger(Error::Refused(r)) => Failure::new(exit::USAGE, r),
        e => e.into(),
    })?;
    let proof = proof.ok_or_else(|| Failure::new(exit::FAILED, format!("no event {}", req.seq)))?;
    write!(out, "{}", proof.render())?;
    Ok(exit::OK)
}

/// What `ledger verify-proof` was asked for.
pub struct ProofRequest<'a> {
    /// The proof's file.
    pub file: &'a Path,
    /// `--checkpoint`.
    pub checkpoint: Option<&'a Path>,
    /// `--old-checkpoint`.
    pub old_checkpoint: Option<&'a Path>,
    /// `--key`.
    pub key: Option<&'a str>,
    /// `--witness`, each.
    pub witnesses: &'a [String],
    /// `--min-witnesses`.
    pub min_witnesses: Option<usize>,
}

/// `ledger verify-proof`: an inclusion proof against a checkpoint, or a consistency proof against
/// the newer checkpoint and the older one; or a tlog-proof against the checkpoint it carries. The
/// answer says what the proof was anchored to and what was not checked.
pub fn verify_proof(out: &mut impl Write, format: Format, req: &ProofRequest) -> Result<u8, Failure> {
    let text = read_text(req.file)?;
    let tlog = ops::TlogProof::is_one(text.as_bytes());
    if req.key.is_some() && req.checkpoint.is_none() && req.old_checkpoint.is_none() && !tlog {
        return Err(Failure::new(
            exit::USAGE,
            "--key checks a checkpoint's signature: give the checkpoint with --checkpoint FILE",
        ));
    }
    if tlog && (req.checkpoint.is_some() || req.old_checkpoint.is_some()) {
        return Err(Failure::new(
            exit::USAGE,
            "a tlog-proof carries its checkpoint: check it with --key (and --witness), not --checkpoint",
        ));
    }
    let key = req.key.map(verifier).transpose()?;
    let policy = witness_policy(&WitnessArgs { witnesses: req.witnesses.to_vec(), min_witnesses: req.min_witnesses })?;
    let name = req.file.display().to_string();
    let (proof, carried) = if tlog {
        let parsed = ops::TlogProof::parse(&text).map_err(|e| failed(format!("{name}: {e}")))?;
        let (proof, anchor) = parsed.to_inclusion(&name)?;
        (Proof::Inclusion(proof), Some(anchor))
    } else {
        (Proof::parse(text.as_bytes()).map_err(|e| failed(format!("{name}: {e}")))?, None)
    };
    if req.old_checkpoint.is_some() && matches!(proof, Proof::Inclusion(_)) {
        return Err(Failure::new(
            exit::USAGE,
            "--old-checkpoint is for a consistency proof; this is an inclusion proof: give its checkpoint with --checkpoint",
        ));
    }
    let newer = match carried {
        Some(a) => Some(a),
        None => req.checkpoint.map(anchor).transpose()?,
    };
    let older = req.old_checkpoint.map(anchor).transpose()?;
    let anchors = ProofAnchors {
        checkpoint: newer.as_ref(),
        old_checkpoint: older.as_ref(),
        key: key.as_ref(),
        witnesses: policy.as_ref(),
    };
    let check = ops::verify_proof(&proof, anchors)?;
    match format {
        Format::Json => json(out, &check)?,
        _ => {
            let (unchecked, against) = (&check.not_checked, &check.checked_against);
            let ok = if unchecked.is_empty() { "ok".to_owned() } else { format!("ok ({})", unchecked.join("; ")) };
            let against =
                if against.is_empty() { String::new() } else { format!(", checked against {}", against.join(", ")) };
            let roots = match check.old_root {
                Some(old) => format!("with roots {old} and {}", check.root),
                None => format!("with root {}", check.root),
            };
            writeln!(out, "{ok}: {}, {roots}{against}", check.what)?;
            if let Some(w) = &check.witnesses {
                print_witnesses(out, w)?;
            }
        }
    }
    Ok(exit::OK)
}

/// What an export wrote: the bundle's checkpoint.
struct Exported {
    size: u64,
    root: ledger_core::hash::Hash,
    signed: bool,
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
    bar.phase("exporting events", Some(ledger.head()?.seq.size()));
    let view = View::now(ledger)?;
    write_bundle(out, format, file, &bar, |w| {
        let cp = bundle::export(&view, &mut bar.line_writer(w), key.as_ref())?;
        Ok(Exported { size: cp.size, root: cp.root, signed: key.is_some() })
    })
}

/// `ledger --remote URL export`: the server's bundle, written as it streams in.
pub fn export_remote(
    r: &Remote,
    out: &mut impl Write,
    format: Format,
    file: &Path,
    sign: Option<&Path>,
) -> Result<u8, Failure> {
    if sign.is_some() {
        return Err(server_signs("export"));
    }
    let bar = progress::Bar::new();
    bar.bytes(&format!("exporting from {}", r.url()), None);
    let mut input = BufReader::with_capacity(1 << 16, bar.reader(r.export()?));
    write_bundle(out, format, file, &bar, |w| {
        let broken = |e: std::io::Error| Failure::new(exit::IO, format!("reading the bundle from {}: {e}", r.url()));
        let (mut line, mut last) = (Vec::new(), Vec::new());
        loop {
            line.clear();
            if input.read_until(b'\n', &mut line).map_err(broken)? == 0 {
                break;
            }
            w.write_all(&line)?;
            std::mem::swap(&mut line, &mut last);
        }
        // The last line is the bundle's checkpoint: `{"checkpoint": NOTE}`.
        let note = serde_json::from_slice::<serde_json::Value>(&last)
            .ok()
            .and_then(|v| v.get("checkpoint").and_then(|n| n.as_str()).map(str::to_owned));
        let parsed = note.as_deref().map(ledger_core::checkpoint::Checkpoint::parse);
        match parsed {
            Some(Ok((cp, signatures))) => Ok(Exported { size: cp.size, root: cp.root, signed: !signatures.is_empty() }),
            _ => Err(Failure::new(
                exit::IO,
                format!("the bundle from {} does not end with its checkpoint: it was cut short", r.url()),
            )),
        }
    })
}

/// Writes a bundle to `file` (or standard output for `-`) with `write`, then says what was
/// exported. A file appears whole or not at all.
fn write_bundle(
    out: &mut impl Write,
    format: Format,
    file: &Path,
    bar: &progress::Bar,
    write: impl FnOnce(&mut dyn Write) -> Result<Exported, Failure>,
) -> Result<u8, Failure> {
    if file.as_os_str() == "-" {
        write(out)?;
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
    let cp = write(&mut w)?;
    let f = w.into_inner().map_err(|e| Failure::new(exit::IO, format!("writing {}: {e}", file.display())))?;
    f.sync_all()?;
    // The bundle appears whole or not at all.
    std::fs::rename(&tmp, file).map_err(|e| Failure::new(exit::IO, format!("writing {}: {e}", file.display())))?;
    bar.done();
    match format {
        Format::Json => json(
            out,
            &ExportOutput { file: file.display().to_string(), size: cp.size, root: cp.root, signed: cp.signed },
        )?,
        _ => writeln!(
            out,
            "exported {} events to {} (root {}{})",
            cp.size,
            file.display(),
            cp.root,
            if cp.signed { ", signed" } else { "" }
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

/// `ledger verify-bundle`: the bundle on its own, that it extends the older checkpoint given,
/// and that this checkpoint carries the cosignatures `witnesses` asks for.
pub fn verify_bundle(
    out: &mut impl Write,
    format: Format,
    file: &Path,
    older: Option<&Path>,
    key: Option<&str>,
    witnesses: &WitnessArgs,
) -> Result<u8, Failure> {
    let key = key.map(verifier).transpose()?;
    let policy = witness_policy(witnesses)?;
    let older = older.map(anchor).transpose()?;
    // The cosignatures are checked first: a few signatures, before a whole bundle is read.
    let witnessed = match (&policy, &older) {
        (Some(p), Some(a)) => Some(ops::check_witnesses(a, p)?),
        _ => None,
    };
    let older = older.map(|a| (a.checkpoint, a.signatures));
    let bar = progress::Bar::new();
    let b = read_bundle(file, Checks { key: key.as_ref(), older, keep: false }, &bar)?;
    bar.done();
    // Without a key, "ok" says only that the bundle agrees with itself: anyone could have written
    // it and its checkpoint. The first line says so.
    let check = BundleCheck { witnesses: witnessed, ..BundleCheck::new(&b) };
    let unchecked = check.not_checked.as_deref();
    match format {
        Format::Json => json(out, &check)?,
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
            if let Some(w) = &check.witnesses {
                print_witnesses(out, w)?;
            }
            if b.tree == bundle::TreeKind::Layout2 {
                writeln!(out, "{LAYOUT2_NOTE}")?;
            }
        }
    }
    Ok(exit::OK)
}

/// What a bundle of layout 2's tree means for its reader.
const LAYOUT2_NOTE: &str = "its checkpoint is of the BLAKE3 tree of store layout 2 (an earlier build exported it): `ledger import-bundle` restores it into a ledger with the RFC 6962 tree, whose checkpoints are the ones to keep from now on";

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
        Format::Json => json(out, &RestoreOutput { ledger: path.display().to_string(), events: b.events, head })?,
        _ => {
            writeln!(out, "restored {} events into {}; head {} {}", b.events, path.display(), head.seq, head.hash)?;
            if b.tree == bundle::TreeKind::Layout2 {
                let root = ledger.tree_root(head.seq.size())?;
                writeln!(
                    out,
                    "the bundle's checkpoint was of the BLAKE3 tree of store layout 2; the restored ledger's tree is RFC 6962 (SHA-256), root {root}: take a new checkpoint (`ledger checkpoint --sign KEY`)"
                )?;
            }
        }
    }
    Ok(exit::OK)
}
