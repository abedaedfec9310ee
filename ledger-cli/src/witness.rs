//! `ledger witness serve` (a C2SP tlog-witness, `ledger_server::witness`) and `ledger witness
//! add-checkpoint` (its client, `ledger_core::ops::witness`, over ureq: plain http).

use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ledger_core::checkpoint::KeyKind;
use ledger_core::ops::witness::{self as ops, AddError, Reply, WitnessedOutput};
use ledger_core::witness::{OpenError, Witness};
use ledger_server::ServeError;

use crate::audit::{signer_of, verifier_for};
use crate::cli::Format;
use crate::{Failure, exit};

/// The most of a witness's answer read: its cosignature lines, or a refusal's words.
const MAX_ANSWER: u64 = 1 << 20;

/// `ledger witness serve`: prints `listening on http://ADDR` once it accepts requests, then
/// serves until SIGTERM or Ctrl-C.
pub fn serve(out: &mut impl Write, key: &Path, logs: &[String], state: &Path, listen: &str) -> Result<u8, Failure> {
    let key = signer_of(key, KeyKind::Cosigner)?;
    let logs = logs.iter().map(|l| verifier_for("--log", l, Some(KeyKind::Note))).collect::<Result<Vec<_>, _>>()?;
    let witness = Witness::open(key, logs, state).map_err(|e| {
        let code = match &e {
            OpenError::Busy { .. } => exit::LOCKED,
            OpenError::Io { .. } => exit::IO,
            OpenError::State { .. } | OpenError::NotCosigner { .. } | OpenError::LogKey { .. } => exit::DATA,
            OpenError::NoLogs => exit::USAGE,
        };
        Failure::new(code, e.to_string())
    })?;
    let (verifier, origins) = (witness.verifier(), witness.origins().join(" "));
    let mut config = ledger_server::witness::Config::new(witness, Arc::from(crate::clock()?));
    config.listen = listen.to_owned();
    let mut printed = Ok(());
    let served = ledger_server::witness::serve(config, |addr| {
        let url = format!("http://{addr}");
        printed = writeln!(out, "listening on {url}").and_then(|()| out.flush());
        ledger_server::log::write(&ledger_server::log::Line::Witnessing {
            url: &url,
            witness: &verifier,
            logs: origins.split(' ').collect(),
            state: &state.display().to_string(),
        });
    });
    printed?;
    match served {
        Ok(()) => Ok(exit::OK),
        Err(e @ ServeError::Listen { .. }) => Err(Failure::new(exit::USAGE, e.to_string())),
        Err(e) => Err(Failure::new(exit::IO, e.to_string())),
    }
}

/// The witness's `add-checkpoint` URL from the URL given (its submission prefix).
fn endpoint(url: &str) -> Result<String, Failure> {
    let base = url.trim().trim_end_matches('/');
    if base.starts_with("https://") {
        return Err(Failure::new(
            exit::USAGE,
            format!(
                "--url {url}: this build of ledger speaks plain http only; reach an https witness through a local TLS proxy at an http:// address"
            ),
        ));
    }
    if !base.starts_with("http://") || base.len() <= "http://".len() {
        return Err(Failure::new(
            exit::USAGE,
            format!("--url {url}: expected the witness's address as http://HOST:PORT"),
        ));
    }
    Ok(format!("{base}/add-checkpoint"))
}

/// `ledger witness add-checkpoint DIR --url URL --witness-key PUBKEY`.
pub fn add_checkpoint(
    out: &mut impl Write,
    format: Format,
    dir: &Path,
    url: &str,
    witness_key: &str,
) -> Result<u8, Failure> {
    crate::queries::no_csv(format, "witness add-checkpoint")?;
    let key = verifier_for("--witness-key", witness_key, Some(KeyKind::Cosigner))?;
    let endpoint = endpoint(url)?;
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_global(Some(Duration::from_secs(60)))
        .user_agent(concat!("ledger/", env!("CARGO_PKG_VERSION")))
        .build();
    let agent = ureq::Agent::new_with_config(config);
    let post = |body: &str| -> Result<Reply, Failure> {
        let unanswered = |e: ureq::Error| {
            if crate::remote::unreachable(&e) {
                Failure::new(exit::UNAVAILABLE, format!("cannot reach the witness at {url}: {e}"))
            } else {
                Failure::new(exit::IO, format!("the witness at {url} did not answer: {e}"))
            }
        };
        let response = agent
            .post(&endpoint)
            .content_type("text/plain; charset=utf-8")
            .send(body.as_bytes())
            .map_err(unanswered)?;
        let status = response.status().as_u16();
        let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let mut bytes = Vec::new();
        response
            .into_body()
            .into_reader()
            .take(MAX_ANSWER)
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::new(exit::IO, format!("reading the answer of the witness at {url}: {e}")))?;
        Ok(Reply { status, content_type, body: String::from_utf8_lossy(&bytes).into_owned() })
    };
    let done = ops::add_checkpoint(dir, &key, url, post).map_err(failure)?;
    match format {
        Format::Json => crate::output::write_json(out, &done)?,
        _ => print(out, &done)?,
    }
    Ok(exit::OK)
}

/// The exit code of each way a checkpoint is not cosigned, or its cosignature not kept.
fn failure(e: AddError<Failure>) -> Failure {
    if let AddError::Transport(f) = e {
        return f;
    }
    let code = match &e {
        AddError::Io { .. } | AddError::BadReply { .. } => exit::IO,
        AddError::NoCheckpoint { .. } => exit::NO_LEDGER,
        AddError::NotACheckpoint { .. } | AddError::Tiles { .. } => exit::DATA,
        AddError::Refused { .. } | AddError::Behind { .. } | AddError::NoCosignature { .. } => exit::FAILED,
        AddError::Changed { .. } => exit::LOCKED,
        AddError::Transport(_) => exit::INTERNAL,
    };
    Failure::new(code, e.to_string())
}

fn print(out: &mut impl Write, w: &WitnessedOutput) -> Result<(), Failure> {
    let before = if w.old_size == 0 {
        "the first tree of this log it cosigned".to_owned()
    } else if w.old_size == w.size {
        "the same tree it cosigned before".to_owned()
    } else {
        format!("it extends the {} events the witness cosigned before", w.old_size)
    };
    for c in &w.cosignatures {
        writeln!(
            out,
            "{} cosigned the checkpoint of `{}` at {} events (root {}) at {} ({before}); kept in {}",
            c.witness,
            w.origin,
            w.size,
            w.root,
            c.time,
            Path::new(&w.dir).join(ledger_core::publish::CHECKPOINT_FILE).display()
        )?;
    }
    Ok(())
}
