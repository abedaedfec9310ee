//! `ledger serve`: one process that owns the ledger and answers a team over HTTP (docs/API.md).
//!
//! A second front end over `ledger_core::ops`, as the command line is: it parses a request,
//! calls one operation, and writes its typed answer as JSON, the same answer `--format json`
//! prints. What it adds is sharing:
//! - one writer: appends and imports are applied one batch at a time, under [`Shared::writer`];
//!   each is acknowledged once durable, and only then becomes the head that questions see;
//! - readers that never queue behind it: each question runs on the blocking pool through a
//!   [`View`] pinned at the last acknowledged head ([`Shared::view`]), so that its answer is the
//!   ledger at that head even while the next batch lands; questions that scan every key take
//!   turns, as many at a time as there are cores, and questions of one key never wait;
//! - tokens with roles ([`tokens`]), limits (body size, query length, a time limit for
//!   questions), request logs on stderr, and a graceful shutdown that lets in-flight writes end.
//!
//! [`witness`] is the crate's other server, `ledger witness serve`: a C2SP tlog-witness that
//! cosigns other logs' checkpoints (no ledger behind it), with the same runtime, shutdown and log.

pub mod error;
pub mod log;
pub mod page;
mod published;
mod routes;
pub mod tokens;
pub mod witness;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use ledger_core::Ledger;
use ledger_core::chain::Head;
use ledger_core::checkpoint::SignerKey;
use ledger_core::time::Clock;
use ledger_core::view::View;

pub use error::ApiError;
pub use tokens::{Role, Tokens};

/// How the server runs.
pub struct Config {
    /// The address to listen on (`127.0.0.1:8080`; port 0 picks a free one).
    pub listen: String,
    /// The tokens that may write (and read, with `read_token`); `None`: no writes at all.
    pub tokens: Option<Tokens>,
    /// Reads need a token too.
    pub read_token: bool,
    /// The largest request body accepted, in bytes.
    pub max_body: usize,
    /// How long a question may take before it is answered 503.
    pub timeout: Duration,
    /// The key that signs checkpoints and exported bundles (and the published log's checkpoint).
    pub sign: Option<SignerKey>,
    /// Keep the log published in this directory at the acknowledged head, and serve it under
    /// `/log/` (needs `sign`).
    pub publish: Option<std::path::PathBuf>,
    /// The clock that stamps appended events.
    pub clock: Arc<dyn Clock>,
}

impl Config {
    /// The defaults of `ledger serve`, with this clock.
    pub fn new(clock: Arc<dyn Clock>) -> Config {
        Config {
            listen: "127.0.0.1:8080".into(),
            tokens: None,
            read_token: false,
            max_body: 256 << 20,
            timeout: Duration::from_secs(30),
            sign: None,
            publish: None,
            clock,
        }
    }
}

/// What the handlers share: the ledger, its acknowledged head, and the one writer's lock.
pub struct Shared {
    ledger: Ledger,
    /// The head of the last durable, acknowledged append: what questions are pinned at.
    head: RwLock<Head>,
    /// Held while a batch is checked and written: appends and imports one at a time.
    writer: Mutex<()>,
    /// The turns of questions that scan every key or the log: as many as the machine has cores.
    scans: Arc<tokio::sync::Semaphore>,
    /// Asks the publishing thread for a run (with `--publish`).
    publisher: Arc<published::Publisher>,
    config: Config,
}

impl Shared {
    /// The last acknowledged head.
    pub fn head(&self) -> Head {
        *self.head.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The ledger at the last acknowledged head.
    pub fn view(&self) -> View<'_> {
        View::at(&self.ledger, self.head())
    }

    /// The ledger at an earlier head, event `seq` (at most the acknowledged head): what later
    /// pages of one answer are read at. `None` when there is no such event.
    pub fn view_at(&self, seq: ledger_core::seq::Seq) -> Result<Option<View<'_>>, ledger_core::Error> {
        if seq > self.head().seq {
            return Ok(None);
        }
        let Some(event) = self.ledger.event(seq)? else { return Ok(None) };
        let head = Head { seq: event.seq, hash: event.hash, recorded_at: event.recorded_at };
        Ok(Some(View::at(&self.ledger, head)))
    }

    /// Notes a durable append's head as acknowledged (never moving the head back), and asks
    /// for the log to be published at it.
    fn acknowledge(&self, head: Head) {
        let moved = {
            let mut h = self.head.write().unwrap_or_else(|e| e.into_inner());
            let moved = head.seq > h.seq;
            if moved {
                *h = head;
            }
            moved
        };
        if moved && self.config.publish.is_some() {
            self.publisher.request();
        }
    }
}

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The ledger could not be read.
    #[error(transparent)]
    Ledger(#[from] ledger_core::Error),
    /// The address could not be listened on.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// The runtime failed.
    #[error("the server failed: {0}")]
    Runtime(std::io::Error),
    /// The log could not be published (`--publish`) when the server started.
    #[error("--publish: {0}")]
    Publish(#[from] ledger_core::publish::PublishError),
}

/// Serves `ledger` until SIGTERM or Ctrl-C; `ready` is called with the address listened on once
/// requests are accepted. In-flight requests (writes included) are finished before it returns
/// and the ledger (and its lock) is released.
pub fn serve(ledger: Ledger, config: Config, ready: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    let head = ledger.head()?;
    let listen = config.listen.clone();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let scans = Arc::new(tokio::sync::Semaphore::new(cores.max(2)));
    let publish = config.publish.clone();
    let publisher = Arc::new(published::Publisher::default());
    let shared = Arc::new(Shared { ledger, head: RwLock::new(head), writer: Mutex::new(()), scans, publisher, config });
    if let Some(dir) = publish {
        let key = shared.config.sign.as_ref().ok_or_else(|| {
            ledger_core::Error::Refused("--publish needs the key that signs the log's checkpoints (--sign)".into())
        })?;
        published::publish_now(&shared, &dir, key)?;
        published::start(&shared, dir);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ledger-serve")
        .build()
        .map_err(ServeError::Runtime)?;
    let result = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .map_err(|source| ServeError::Listen { addr: listen.clone(), source })?;
        let addr = listener.local_addr().map_err(ServeError::Runtime)?;
        ready(addr);
        axum::serve(listener, routes::router(shared.clone()))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(ServeError::Runtime)
    });
    // Questions past their time limit may still be running on the blocking pool; they hold no
    // writes, so they are given a moment and then left.
    runtime.shutdown_timeout(Duration::from_secs(5));
    result
}

/// SIGTERM or Ctrl-C.
pub(crate) async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    log::write(&log::Line::Shutdown);
}
