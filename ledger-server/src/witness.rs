//! `ledger witness serve`: a witness (C2SP tlog-witness) over HTTP, a front end of
//! `ledger_core::witness`. It answers one endpoint, `POST /add-checkpoint`: the body is read
//! (up to a limit), handed to the witness on the blocking pool (its state is written and
//! flushed before the answer), and the answer is the witness's cosignature lines, or its
//! refusal as text with the status the spec gives it (a stale old size: 409 with the witness's
//! size, as `text/x.tlog.size`). Every request gets one log line on stderr.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use ledger_core::time::Clock;
use ledger_core::witness::{MAX_REQUEST_BYTES, SIZE_CONTENT_TYPE, Witness};

use crate::{ServeError, log};

/// How the witness runs.
pub struct Config {
    /// The address to listen on (`127.0.0.1:8081`; port 0 picks a free one).
    pub listen: String,
    /// The witness: its key, the logs it knows, its state.
    pub witness: Witness,
    /// The clock of the cosignatures' timestamps.
    pub clock: Arc<dyn Clock>,
    /// The largest request body read, in bytes.
    pub max_body: usize,
}

impl Config {
    /// The defaults of `ledger witness serve` for this witness and clock.
    pub fn new(witness: Witness, clock: Arc<dyn Clock>) -> Config {
        Config { listen: "127.0.0.1:8081".into(), witness, clock, max_body: MAX_REQUEST_BYTES }
    }
}

struct App {
    witness: Witness,
    clock: Arc<dyn Clock>,
    max_body: usize,
}

/// What a request was about, for its log line: set by the handler on its response.
#[derive(Clone, Default)]
struct Seen {
    origin: Option<String>,
    old: Option<u64>,
    size: Option<u64>,
    refused: Option<String>,
}

/// Serves the witness until SIGTERM or Ctrl-C; `ready` is called with the address once requests
/// are accepted. Requests in flight are finished before it returns.
pub fn serve(config: Config, ready: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    let Config { listen, witness, clock, max_body } = config;
    let app = Arc::new(App { witness, clock, max_body });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ledger-witness")
        .build()
        .map_err(ServeError::Runtime)?;
    let result = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .map_err(|source| ServeError::Listen { addr: listen.clone(), source })?;
        let addr = listener.local_addr().map_err(ServeError::Runtime)?;
        ready(addr);
        axum::serve(listener, router(app))
            .with_graceful_shutdown(crate::shutdown_signal())
            .await
            .map_err(ServeError::Runtime)
    });
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    result
}

fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .fallback(|| async {
            text(StatusCode::NOT_FOUND, "no such path: this witness answers POST /add-checkpoint (C2SP tlog-witness)")
        })
        .layer(middleware::from_fn(request_log))
        .with_state(app)
}

/// A text answer, ending in a line feed.
fn text(status: StatusCode, message: impl Into<String>) -> Response {
    let mut body = message.into();
    if !body.ends_with('\n') {
        body.push('\n');
    }
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// One log line per request: what it was about and how it was answered.
async fn request_log(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    let response = next.run(req).await;
    let seen = response.extensions().get::<Seen>().cloned().unwrap_or_default();
    log::write(&log::Line::WitnessRequest {
        method: method.as_str(),
        path: &path,
        status: response.status().as_u16(),
        ms: (started.elapsed().as_secs_f64() * 1e6).round() / 1e3,
        origin: seen.origin.as_deref(),
        old: seen.old,
        size: seen.size,
        refused: seen.refused.as_deref(),
    });
    response
}

/// How far past the limit a body is read before it is refused: a server that answers before it
/// has read the body closes the connection on unread bytes, and the client may see the reset
/// instead of the answer. A little too much is read and refused cleanly; far too much, cut off.
const DRAINED: usize = 16;

/// `POST /add-checkpoint`.
async fn add_checkpoint(State(app): State<Arc<App>>, body: Body) -> Response {
    let too_large = || {
        text(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is over this witness's limit of {} bytes", app.max_body),
        )
    };
    let body = match axum::body::to_bytes(body, app.max_body.saturating_mul(DRAINED)).await {
        Ok(b) if b.len() > app.max_body => return too_large(),
        Ok(b) => b,
        // Over the bound read, or cut short (a client that went away reads no answer).
        Err(_) => return too_large(),
    };
    // A clock before 1970 stamps 0 rather than failing: the cosignature still binds the tree.
    let timestamp = u64::try_from(app.clock.now().div_euclid(1_000_000)).unwrap_or(0);
    let work = Arc::clone(&app);
    let done = tokio::task::spawn_blocking(move || {
        let attempt = Witness::attempt(&body);
        (work.witness.add_checkpoint(&body, timestamp), attempt)
    })
    .await;
    let Ok((outcome, attempt)) = done else {
        return text(StatusCode::INTERNAL_SERVER_ERROR, "the witness failed on this request (a bug): see its log");
    };
    let mut seen = Seen {
        origin: attempt.as_ref().map(|a| a.origin.clone()),
        old: attempt.as_ref().map(|a| a.old),
        size: attempt.as_ref().map(|a| a.size),
        refused: None,
    };
    let mut response = match outcome {
        Ok(cosigned) => {
            (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], cosigned.lines).into_response()
        }
        Err(refusal) => {
            seen.refused = Some(refusal.to_string());
            let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            match refusal.witnessed_size() {
                Some(size) => {
                    (status, [(header::CONTENT_TYPE, SIZE_CONTENT_TYPE)], format!("{size}\n")).into_response()
                }
                None => text(status, refusal.to_string()),
            }
        }
    };
    response.extensions_mut().insert(seen);
    response
}
