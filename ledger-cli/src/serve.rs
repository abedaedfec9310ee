//! `ledger serve` and `ledger token`: the ledger as a shared service (crate `ledger-server`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ledger_core::checkpoint::SignerKey;
use ledger_server::tokens::{self, Role, Tokens};
use ledger_server::{Config, ServeError};

use crate::cli::Cli;
use crate::{Failure, exit};

/// The file beside the store that names the URL of the `ledger serve` holding it, so that a
/// command finding the ledger locked can say where to ask instead.
const SERVING: &str = "ledger.serving";

/// The URL of the `ledger serve` holding the ledger at `path`, if one said so and its process
/// is still running (a server that was killed leaves its note behind).
pub fn serving(path: &Path) -> Option<String> {
    let note = std::fs::read_to_string(path.join(SERVING)).ok()?;
    let mut parts = note.split_whitespace();
    let (url, pid) = (parts.next()?, parts.next()?);
    let pid: u32 = pid.parse().ok()?;
    let running = !cfg!(target_os = "linux") || Path::new(&format!("/proc/{pid}")).exists();
    let plausible = url.starts_with("http://") && url.len() < 200 && url.chars().all(|c| c.is_ascii_graphic());
    (running && plausible).then(|| url.to_owned())
}

/// Writes the note of the URL this process serves at, beside the store: a new file, never
/// through a link planted in its place.
fn note_serving(marker: &Path, url: &str) {
    let _ = std::fs::remove_file(marker);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(marker)
        .and_then(|mut f| writeln!(f, "{url} {}", std::process::id()));
    if let Err(e) = written {
        eprintln!("ledger: could not note the server's address in {}: {e}", marker.display());
    }
}

/// What `ledger serve` was asked for.
pub struct Options<'a> {
    /// `--listen`.
    pub listen: &'a str,
    /// `--tokens`.
    pub tokens: Option<&'a Path>,
    /// `--read-token`.
    pub read_token: bool,
    /// `--max-body`.
    pub max_body: usize,
    /// `--timeout`.
    pub timeout: f64,
    /// `--sign`.
    pub sign: Option<&'a Path>,
    /// `--publish`.
    pub publish: Option<&'a Path>,
}

/// `ledger serve`: prints `listening on http://ADDR` once it accepts requests, then serves
/// until SIGTERM or Ctrl-C.
pub fn run(cli: &Cli, out: &mut impl Write, opts: &Options) -> Result<u8, Failure> {
    let usage = |m: String| Failure::new(exit::USAGE, m);
    let timeout = Duration::try_from_secs_f64(opts.timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .ok_or_else(|| usage(format!("--timeout {}: expected a number of seconds above 0", opts.timeout)))?;
    let tokens = opts
        .tokens
        .map(|p| Tokens::read(p).map_err(|e| Failure::new(exit::DATA, format!("--tokens: {e}"))))
        .transpose()?;
    let sign = match opts.sign {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| Failure::new(exit::NO_LEDGER, format!("cannot read {}: {e}", p.display())))?;
            let key = SignerKey::parse_kind(&text, ledger_core::checkpoint::KeyKind::Note);
            Some(key.map_err(|e| Failure::new(exit::DATA, format!("{}: {e}", p.display())))?)
        }
        None => None,
    };
    let writers = tokens.as_ref().map_or(0, Tokens::len);
    let ledger = crate::open(cli)?;
    let mut config = Config::new(Arc::from(crate::clock()?));
    config.listen = opts.listen.to_owned();
    config.tokens = tokens;
    config.read_token = opts.read_token;
    config.max_body = opts.max_body;
    config.timeout = timeout;
    config.sign = sign;
    config.publish = opts.publish.map(Path::to_owned);
    let marker: PathBuf = cli.ledger.join(SERVING);
    let mut printed = Ok(());
    let served = ledger_server::serve(ledger, config, |addr| {
        let url = format!("http://{addr}");
        printed = writeln!(out, "listening on {url}").and_then(|()| out.flush());
        note_serving(&marker, &url);
        ledger_server::log::write(&ledger_server::log::Line::Listening {
            url: &url,
            ledger: &cli.ledger.display().to_string(),
            tokens: writers,
            read_token: opts.read_token,
        });
    });
    let _ = std::fs::remove_file(&marker);
    printed?;
    match served {
        Ok(()) => Ok(exit::OK),
        Err(ServeError::Ledger(e)) => Err(e.into()),
        Err(e @ ServeError::Listen { .. }) => Err(Failure::new(exit::USAGE, e.to_string())),
        Err(ServeError::Publish(e)) => {
            let f = Failure::from(e);
            Err(Failure::new(f.code(), format!("--publish: {}", f.message())))
        }
        Err(e) => Err(Failure::new(exit::IO, e.to_string())),
    }
}

/// `ledger token NAME --role ROLE [--add FILE]`.
pub fn token(out: &mut impl Write, name: &str, role: &str, add: Option<&Path>) -> Result<u8, Failure> {
    let role =
        Role::parse(role).ok_or_else(|| Failure::new(exit::USAGE, format!("--role {role}: operator or reader")))?;
    let made = tokens::generate(name, role).map_err(|e| Failure::new(exit::USAGE, e.to_string()))?;
    if let Some(file) = add {
        // The file holds hashes, yet who may write is no one else's business: owner only.
        let mut options = std::fs::OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f =
            options.open(file).map_err(|e| Failure::new(exit::IO, format!("cannot write {}: {e}", file.display())))?;
        writeln!(f, "{}", made.line).and_then(|()| f.sync_all())?;
        writeln!(out, "{}", made.token)?;
        eprintln!(
            "ledger: the token of {name} ({role}) is above, shown only now; its line was added to {}",
            file.display()
        );
    } else {
        writeln!(out, "{}", made.token)?;
        eprintln!("ledger: the token of {name} ({role}) is above, shown only now; add this line to the tokens file:");
        eprintln!("{}", made.line);
    }
    Ok(exit::OK)
}
