//! The routes: one handler per question or write, each a thin call of one operation of
//! `ledger_core::ops` (or `ledger_import::operation`) on the blocking pool.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use ledger_core::event::{Key, SubjectKind};
use ledger_core::input::{self, ReadError};
use ledger_core::ops::audit::{self, Proof};
use ledger_core::ops::read::{self, HeadOutput};
use ledger_core::ops::{ask, write};
use ledger_core::query::StateFilter;
use ledger_core::seq::Seq;
use ledger_core::time::{AsOf, At, Date, Point};
use ledger_core::view::View;
use ledger_import::operation::{self, ImportError};
use ledger_import::reconcile::{DelistLimit, Options, PlanError};
use serde::Serialize;
use serde_json::Value;

use crate::error::ApiError;
use crate::tokens::{Holder, Role};
use crate::{Shared, log, page, published};

type App = Arc<Shared>;

/// The longest query string accepted.
const MAX_QUERY: usize = 8 << 10;
/// Events or bundle bytes sent to a client at a time.
const CHUNK: usize = 64 << 10;
/// How long a streamed answer waits for a client that has stopped reading.
const STALLED_CLIENT: std::time::Duration = std::time::Duration::from_secs(30);

pub(crate) fn router(app: App) -> Router {
    let max_body = app.config.max_body;
    Router::new()
        .route("/", get(|| async { asset("text/html; charset=utf-8", page::INDEX_HTML) }))
        .route("/app.js", get(|| async { asset("text/javascript; charset=utf-8", page::APP_JS) }))
        .route("/style.css", get(|| async { asset("text/css; charset=utf-8", page::STYLE_CSS) }))
        .route("/healthz", get(healthz))
        .route("/v1/head", get(head))
        .route("/v1/state", get(state))
        .route("/v1/designations/{authority}/{id}", get(show))
        .route("/v1/designations/{authority}/{id}/history", get(history))
        .route("/v1/diff", get(diff))
        .route("/v1/search", get(search))
        .route("/v1/log", get(log))
        .route("/v1/checkpoint", get(checkpoint))
        .route("/v1/proof/inclusion/{seq}", get(prove_inclusion))
        .route("/v1/proof/consistency", get(prove_consistency))
        .route("/v1/export", get(export))
        .route("/v1/events", post(append))
        .route("/v1/import/{format}", post(import))
        .route("/log/checkpoint", get(published::checkpoint))
        .route("/log/tile/{*rest}", get(published::tile))
        .fallback(|| async { ApiError::not_found("no such path (see docs/API.md)", None) })
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")], body).into_response()
}

/// Around every request: the query's length, the token a read needs (with `--read-token`),
/// a time limit for questions, and a log line on stderr.
async fn guard(State(app): State<App>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    let response = if req.uri().query().is_some_and(|q| q.len() > MAX_QUERY) {
        ApiError::new(StatusCode::URI_TOO_LONG, "too_long", format!("the query is over {MAX_QUERY} bytes"))
            .into_response()
    } else if method == Method::POST {
        // The token is checked before the body is read: no one without it makes the server
        // hold a body. A write is not cut short: it ends written or not, and its answer says
        // which.
        match authorize(&app, req.headers(), Role::Operator) {
            Ok(_) => next.run(req).await,
            Err(e) => e.into_response(),
        }
    } else if app.config.read_token && path.starts_with("/v1/") {
        // Every other method (GET, and HEAD, which runs the GET handler) is a question.
        match authorize(&app, req.headers(), Role::Reader) {
            Ok(_) => timed(&app, req, next).await,
            Err(e) => e.into_response(),
        }
    } else {
        timed(&app, req, next).await
    };
    log::write(&log::Line::Request {
        method: method.as_str(),
        path: &path,
        status: response.status().as_u16(),
        ms: (started.elapsed().as_secs_f64() * 1e6).round() / 1e3,
    });
    response
}

async fn timed(app: &App, req: Request, next: Next) -> Response {
    let limit = app.config.timeout;
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(r) => r,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!("the question took longer than {} s; ask a narrower one", limit.as_secs_f64()),
        )
        .into_response(),
    }
}

/// The holder of the request's bearer token, if it may do what `need` allows.
fn authorize(app: &Shared, headers: &HeaderMap, need: Role) -> Result<Holder, ApiError> {
    let Some(tokens) = &app.config.tokens else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this server accepts no writes: it was started without --tokens",
        ));
    };
    let unauthorized = |why: &str| {
        let mut r = ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", why.to_owned());
        r.www_authenticate();
        r
    };
    let token = match headers.get(header::AUTHORIZATION).map(HeaderValue::to_str) {
        None => return Err(unauthorized("a bearer token is needed (Authorization: Bearer TOKEN)")),
        Some(Ok(v)) => {
            v.split_once(' ').filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer")).map(|(_, t)| t.trim())
        }
        Some(Err(_)) => None,
    };
    let token = token.ok_or_else(|| unauthorized("the Authorization header must be `Bearer TOKEN`"))?;
    let holder = tokens.holder(token).ok_or_else(|| unauthorized("the token is not one this server knows"))?;
    if need == Role::Operator && holder.role != Role::Operator {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("the token of {} has the role reader, which may not write", holder.name),
        ));
    }
    Ok(holder.clone())
}

/// What a question costs: reading a few keys, or scanning every key (or the log).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cost {
    /// One key, a proof, the head: answered at once, never queued.
    Key,
    /// Every key or every event (`state`, `search`, `diff`, the log, a bundle): as many at a
    /// time as the machine has cores; the others wait their turn (within the time limit), so
    /// that many of them at once neither starve the writer nor all finish late together.
    Scan,
}

/// A turn for a question of `cost`: for a scan, one of the scan permits, held until the work
/// on the blocking pool ends (even if its client has gone).
async fn turn(app: &App, cost: Cost) -> Result<Option<tokio::sync::OwnedSemaphorePermit>, ApiError> {
    if cost == Cost::Key {
        return Ok(None);
    }
    app.scans.clone().acquire_owned().await.map(Some).map_err(|_| ApiError::internal("the server is stopping"))
}

/// Runs a question on the blocking pool, on the ledger at the last acknowledged head.
async fn ask_view<T: Send + 'static>(
    app: App,
    cost: Cost,
    question: impl FnOnce(&Shared, &View) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let permit = turn(&app, cost).await?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let view = app.view();
        question(&app, &view)
    })
    .await
    .map_err(|_| ApiError::internal("a question failed (a bug): see the server's log"))?
}

/// A query string, its names checked against those the endpoint takes.
struct Params(Vec<(String, String)>);

impl Params {
    fn new(q: Result<Query<Vec<(String, String)>>, QueryRejection>, known: &[&str]) -> Result<Params, ApiError> {
        let Query(pairs) = q.map_err(|e| ApiError::bad_request(format!("the query does not parse: {e}")))?;
        for (name, _) in &pairs {
            if !known.contains(&name.as_str()) {
                return Err(ApiError::bad_request(format!(
                    "unknown parameter `{name}`; this endpoint takes {}",
                    if known.is_empty() { "none".to_owned() } else { known.join(", ") }
                )));
            }
        }
        Ok(Params(pairs))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }

    fn parse<T, E: std::fmt::Display>(
        &self,
        name: &str,
        f: impl Fn(&str) -> Result<T, E>,
    ) -> Result<Option<T>, ApiError> {
        self.get(name).map(|v| f(v).map_err(|e| ApiError::bad_request(format!("{name}={v}: {e}")))).transpose()
    }

    fn flag(&self, name: &str) -> Result<bool, ApiError> {
        Ok(self
            .parse(name, |v| match v {
                "true" | "1" | "yes" => Ok(true),
                "false" | "0" | "no" => Ok(false),
                _ => Err("expected true or false"),
            })?
            .unwrap_or(false))
    }

    fn number(&self, name: &str) -> Result<Option<u64>, ApiError> {
        self.parse(name, |v| v.parse::<u64>().map_err(|_| "expected a whole number, 0 or more"))
    }

    fn at(&self) -> Result<Option<At>, ApiError> {
        self.parse("at", At::parse)
    }

    fn as_of(&self) -> Result<Option<AsOf>, ApiError> {
        self.parse("as_of", AsOf::parse)
    }
}

fn key_of(authority: &str, id: &str) -> Result<Key, ApiError> {
    Key::parse(&format!("{authority}/{id}")).map_err(|e| ApiError::bad_request(format!("{authority}/{id}: {e}")))
}

fn point(app: &Shared, view: &View, at: Option<At>, as_of: Option<AsOf>) -> Point {
    ask::point(view, app.config.clock.now(), at, as_of)
}

fn json_value(v: &impl Serialize) -> Option<Value> {
    serde_json::to_value(v).ok()
}

/// `GET /healthz`: the server answers, and its acknowledged head.
#[derive(Serialize)]
struct Health {
    ok: bool,
    head: ledger_core::chain::Head,
}

async fn healthz(State(app): State<App>) -> Json<Health> {
    Json(Health { ok: true, head: app.head() })
}

async fn head(
    State(app): State<App>,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<HeadOutput>, ApiError> {
    Params::new(q, &[])?;
    ask_view(app, Cost::Key, |app, view| Ok(HeadOutput::new(&app.ledger, view.head()))).await.map(Json)
}

async fn state(
    State(app): State<App>,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let known = ["at", "as_of", "authority", "regime", "kind", "include_delisted", "count", "after", "limit", "head"];
    let p = Params::new(q, &known)?;
    let (at, as_of, count) = (p.at()?, p.as_of()?, p.flag("count")?);
    let kind = p.parse("kind", |k| {
        [SubjectKind::Individual, SubjectKind::Entity, SubjectKind::Ship]
            .into_iter()
            .find(|s| s.as_str() == k)
            .ok_or("expected individual, entity or ship")
    })?;
    let filter = StateFilter {
        authority: p.get("authority").map(str::to_owned),
        regime: p.get("regime").map(str::to_owned),
        kind,
        include_delisted: p.flag("include_delisted")?,
    };
    let after = p.parse("after", Key::parse)?;
    let limit = p.number("limit")?.map_or(1000, |n| usize::try_from(n).unwrap_or(usize::MAX));
    if count && (after.is_some() || p.get("limit").is_some()) {
        return Err(ApiError::bad_request("count=true answers with a number: it takes no after or limit"));
    }
    // The later pages of one answer are asked at the first page's head.
    let head = p.number("head")?.map(Seq::new);
    ask_view(app, Cost::Scan, move |app, latest| {
        let earlier = match head {
            Some(seq) => Some(app.view_at(seq)?.ok_or_else(|| {
                ApiError::bad_request(format!("head={seq}: the ledger has no such event acknowledged"))
            })?),
            None => None,
        };
        let view = earlier.as_ref().unwrap_or(latest);
        let point = point(app, view, at, as_of);
        let (answer, listed) = if count {
            let c = ask::count(view, point, &filter)?;
            (json_value(&c), c.count)
        } else {
            let s = ask::state_page(view, point, &filter, after.as_ref(), limit)?;
            let n = s.count;
            (json_value(&s), n + usize::from(after.is_some()))
        };
        match ask::unheld_filter(view, &filter, listed)? {
            Some(message) => Err(ApiError::not_found(message, answer)),
            None => Ok(Json(answer).into_response()),
        }
    })
    .await
}

async fn show(
    State(app): State<App>,
    Path((authority, id)): Path<(String, String)>,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let p = Params::new(q, &["at", "as_of"])?;
    let (key, at, as_of) = (key_of(&authority, &id)?, p.at()?, p.as_of()?);
    let asked = key.clone();
    let answer =
        ask_view(app.clone(), Cost::Key, move |app, view| Ok(ask::show(view, &asked, point(app, view, at, as_of))?))
            .await?;
    if answer.status == ledger_core::projection::Status::Unknown {
        return Err(not_held(app, key, json_value(&answer)).await);
    }
    Ok(Json(answer).into_response())
}

/// The 404 of a key never held: what the ledger holds near it (the authority's keys, read in a
/// scan's turn).
async fn not_held(app: App, key: Key, answer: Option<Value>) -> ApiError {
    match ask_view(app, Cost::Scan, move |_, view| Ok(ask::not_held(view, &key)?)).await {
        Ok(message) => ApiError::not_found(message, answer),
        Err(e) => e,
    }
}

async fn history(
    State(app): State<App>,
    Path((authority, id)): Path<(String, String)>,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let p = Params::new(q, &["as_of"])?;
    let (key, as_of) = (key_of(&authority, &id)?, p.as_of()?);
    let asked = key.clone();
    let h = ask_view(app.clone(), Cost::Key, move |app, view| {
        Ok(ask::history(view, &asked, point(app, view, None, as_of).as_of)?)
    })
    .await?;
    if !h.held {
        return Err(not_held(app, key, json_value(&h.answer)).await);
    }
    Ok(Json(h.answer).into_response())
}

async fn diff(
    State(app): State<App>,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let p = Params::new(q, &["from", "to", "as_of"])?;
    let from =
        p.parse("from", At::parse)?.ok_or_else(|| ApiError::bad_request("from= is needed: a date or instant"))?;
    let to = p.parse("to", At::parse)?.ok_or_else(|| ApiError::bad_request("to= is needed: a date or instant"))?;
    let span = ask::Span::new(from, to).map_err(|_| ApiError::bad_request("from must not be later than to"))?;
    let as_of = p.as_of()?;
    ask_view(app, Cost::Scan, move |app, view| {
        let as_of = point(app, view, None, as_of).as_of;
        Ok(Json(ask::diff(view, span, as_of)?).into_response())
    })
    .await
}

async fn search(
    State(app): State<App>,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let p = Params::new(q, &["q", "at", "as_of"])?;
    let name = p.get("q").ok_or_else(|| ApiError::bad_request("q= is needed: a name to search for"))?;
    let name = ask::SearchName::new(name).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let (at, as_of) = (p.at()?, p.as_of()?);
    ask_view(app, Cost::Scan, move |app, view| {
        let answer = ask::search(view, &name, point(app, view, at, as_of))?;
        if answer.matches.is_empty() {
            return Err(ApiError::not_found(ask::no_match(&answer, &name), json_value(&answer)));
        }
        Ok(Json(answer).into_response())
    })
    .await
}

async fn checkpoint(
    State(app): State<App>,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    Params::new(q, &[])?;
    ask_view(app, Cost::Key, |app, view| Ok(Json(audit::checkpoint(view, app.config.sign.as_ref())?).into_response()))
        .await
}

async fn prove_inclusion(
    State(app): State<App>,
    Path(seq): Path<String>,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let p = Params::new(q, &["size"])?;
    let seq = seq.parse::<u64>().map_err(|_| ApiError::bad_request(format!("{seq}: a seq is a whole number")))?;
    let size = p.number("size")?;
    ask_view(app, Cost::Key, move |_, view| {
        let size = checked_size(view, size)?;
        match audit::prove_inclusion(view, Seq::new(seq), size).map_err(refused)? {
            Some(proof) => Ok(Json(Proof::Inclusion(proof)).into_response()),
            None => Err(ApiError::not_found(format!("event {seq} is not in the ledger"), None)),
        }
    })
    .await
}

async fn prove_consistency(
    State(app): State<App>,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let p = Params::new(q, &["old", "size"])?;
    let old = p.number("old")?.ok_or_else(|| ApiError::bad_request("old= is needed: the older tree's size"))?;
    let size = p.number("size")?;
    ask_view(app, Cost::Key, move |_, view| {
        let size = checked_size(view, size)?;
        Ok(Json(Proof::Consistency(audit::prove_consistency(view, old, size).map_err(refused)?)).into_response())
    })
    .await
}

/// A proof's tree size: at most the acknowledged head's.
fn checked_size(view: &View, size: Option<u64>) -> Result<Option<u64>, ApiError> {
    let head = view.head().seq.size();
    match size {
        Some(s) if s > head => Err(ApiError::bad_request(format!("size={s}: the ledger holds {head} events"))),
        other => Ok(other),
    }
}

/// A proof the ledger cannot make is a bad request, not damage.
fn refused(e: ledger_core::Error) -> ApiError {
    match e {
        ledger_core::Error::Refused(m) => ApiError::bad_request(m),
        e => e.into(),
    }
}

async fn log(
    State(app): State<App>,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let p = Params::new(q, &["from", "limit"])?;
    let from = Seq::new(p.number("from")?.unwrap_or(0));
    let limit = p.number("limit")?;
    stream(app, "application/x-ndjson", move |app, out| {
        let view = app.view();
        for e in read::log(&view, from, limit) {
            serde_json::to_writer(&mut *out, &e?.to_value()).map_err(io::Error::from).map_err(io_error)?;
            out.write_all(b"\n").map_err(io_error)?;
        }
        Ok(())
    })
    .await
}

async fn export(
    State(app): State<App>,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    Params::new(q, &[])?;
    stream(app, "application/x-ndjson", |app, out| {
        ledger_core::bundle::export(&app.view(), out, app.config.sign.as_ref())?;
        Ok(())
    })
    .await
}

fn io_error(e: io::Error) -> ledger_core::Error {
    ledger_core::Error::Io { path: "the response".into(), source: e }
}

/// A body written on the blocking pool as it is produced, a chunk at a time: a large log or
/// bundle is never held whole. A failure half-way ends the body with an error, which the client
/// sees as a broken response, not as a short one that looks complete.
async fn stream(
    app: App,
    content_type: &'static str,
    produce: impl FnOnce(&Shared, &mut ChannelWriter) -> Result<(), ledger_core::Error> + Send + 'static,
) -> Result<Response, ApiError> {
    let permit = turn(&app, Cost::Scan).await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, io::Error>>(4);
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let mut out = ChannelWriter { tx: tx.clone(), buf: Vec::with_capacity(CHUNK) };
        let done = produce(&app, &mut out).and_then(|()| out.flush().map_err(io_error));
        if let Err(e) = done {
            log::write(&log::Line::StreamFailed { detail: e.to_string() });
            let _ = tx.blocking_send(Err(io::Error::other(e.to_string())));
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    Ok(([(header::CONTENT_TYPE, content_type)], Body::from_stream(body)).into_response())
}

struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<Result<Bytes, io::Error>>,
    buf: Vec<u8>,
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let mut chunk = Ok(Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK))));
        // A client that stops reading is given up on after a while: it must not hold a scan's
        // turn, or the shutdown, for ever.
        let deadline = Instant::now() + STALLED_CLIENT;
        loop {
            match self.tx.try_send(chunk) {
                Ok(()) => return Ok(()),
                Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => {
                    return Err(io::Error::new(io::ErrorKind::BrokenPipe, "the client left"));
                }
                Err(tokio::sync::mpsc::error::TrySendError::Full(back)) if Instant::now() < deadline => {
                    chunk = back;
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                Err(tokio::sync::mpsc::error::TrySendError::Full(_)) => {
                    return Err(io::Error::new(io::ErrorKind::TimedOut, "the client stopped reading"));
                }
            }
        }
    }
}

fn body_of(body: Result<Bytes, BytesRejection>, max: usize) -> Result<Bytes, ApiError> {
    body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the body is over the server's limit of {max} bytes (serve --max-body); nothing was written"),
        ),
        _ => ApiError::bad_request(format!("the body could not be read: {e}")),
    })
}

/// `POST /v1/events`: `append` over HTTP.
async fn append(
    State(app): State<App>,
    headers: HeaderMap,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let holder = authorize(&app, &headers, Role::Operator)?;
    let p = Params::new(q, &["confirm"])?;
    let confirm = p.flag("confirm")?;
    let body = body_of(body, app.config.max_body)?;
    let batch = input::read_batch(&body[..]).map_err(|e| match e {
        ReadError::Line(l) => ApiError::line(&l, "the request body"),
        ReadError::Io(e) => ApiError::bad_request(format!("the body could not be read: {e}")),
    })?;
    let cautions = ledger_core::caution::unusual_dates(&batch, app.config.clock.now());
    if !cautions.is_empty() && !confirm {
        let list: Vec<String> = cautions.iter().take(10).map(ToString::to_string).collect();
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unconfirmed",
            format!(
                "{} effective date{} look{} mistyped ({}); nothing was written. Correct {}, or send the batch again with ?confirm=true to record {} as written",
                cautions.len(),
                if cautions.len() == 1 { "" } else { "s" },
                if cautions.len() == 1 { "s" } else { "" },
                list.join("; "),
                if cautions.len() == 1 { "it" } else { "them" },
                if cautions.len() == 1 { "it" } else { "them" },
            ),
        ));
    }
    write_batch(app, move |app| {
        let out = write::append(&app.ledger, &batch, &holder.name, app.config.clock.as_ref(), &())?;
        Ok((Some(out.head), Json(out).into_response()))
    })
    .await
}

/// Runs a write under the one writer's lock on the blocking pool; its head, once durable, is
/// acknowledged for the questions that follow.
async fn write_batch(
    app: App,
    work: impl FnOnce(&Shared) -> Result<(Option<ledger_core::chain::Head>, Response), ApiError> + Send + 'static,
) -> Result<Response, ApiError> {
    tokio::task::spawn_blocking(move || {
        let _writer = app.writer.lock().unwrap_or_else(|e| e.into_inner());
        match work(&app) {
            Ok((head, response)) => {
                if let Some(head) = head {
                    app.acknowledge(head);
                }
                Ok(response)
            }
            Err(e) => {
                // Durable, though recording that beside the store failed: the events are in the
                // ledger, as the answer says, and the questions that follow see them.
                if e.code() == "unacknowledged"
                    && let Ok(head) = app.ledger.head()
                {
                    app.acknowledge(head);
                }
                Err(e)
            }
        }
    })
    .await
    .map_err(|_| {
        ApiError::internal("a write failed (a bug): see the server's log; `ledger verify` checks the ledger")
    })?
}

/// `POST /v1/import/{format}`: `import` over HTTP, the list file as the body.
async fn import(
    State(app): State<App>,
    headers: HeaderMap,
    Path(format): Path<String>,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let holder = authorize(&app, &headers, Role::Operator)?;
    let known = ["published", "dry_run", "max_delist", "max_amend", "allow_older", "override_manual", "name"];
    let p = Params::new(q, &known)?;
    let list = ledger_import::Format::from_name(&format).ok_or_else(|| {
        let names: Vec<&str> = ledger_import::Format::ALL.iter().map(|f| f.name()).collect();
        ApiError::bad_request(format!("{format}: not a list layout; the layouts are {}", names.join(", ")))
    })?;
    if list.is_several_files() {
        return Err(ApiError::bad_request(format!(
            "a {list} list is several files, which one request body cannot carry: import it with the command line, or import OFAC's XML list (ofac-xml)"
        )));
    }
    let published = p.parse("published", Date::parse)?;
    let limit =
        |name: &str, default: DelistLimit| Ok::<_, ApiError>(p.parse(name, DelistLimit::parse)?.unwrap_or(default));
    let options = Options {
        max_delist: limit("max_delist", DelistLimit::DEFAULT)?,
        max_amend: limit("max_amend", DelistLimit::DEFAULT_AMEND)?,
        allow_older: p.flag("allow_older")?,
        override_manual: p.flag("override_manual")?,
    };
    let dry_run = p.flag("dry_run")?;
    let name = p.get("name").unwrap_or("the request body").to_owned();
    let body = body_of(body, app.config.max_body)?;
    write_batch(app, move |app| {
        let parsed = ledger_import::parse_reader(list, &name, &body[..], published).map_err(|e| match e {
            ledger_import::ReadError::Parse(e) => ApiError::invalid(format!("{name}: {e}; nothing was written")),
            e => ApiError::bad_request(e.to_string()),
        })?;
        let request = operation::Request { name: &name, options: &options, dry_run };
        let out = operation::import(&app.ledger, &parsed, request, &holder.name, app.config.clock.as_ref(), &())
            .map_err(|e| match e {
                ImportError::Plan(e) => match *e {
                    PlanError::Ledger(e) => e.into(),
                    e => ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        e.code(),
                        format!("{name}: {e}; nothing was written"),
                    ),
                },
                ImportError::Refused { .. } => ApiError::invalid(format!("{name}: {e}; nothing was written")),
                ImportError::Ledger(e) => e.into(),
            })?;
        Ok((out.head, Json(out).into_response()))
    })
    .await
}
