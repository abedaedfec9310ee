//! The published log (`serve --publish DIR`): the server keeps DIR published at its last
//! acknowledged head (C2SP tlog-tiles, `ledger_core::publish`) and serves it read-only under
//! `/log/`, with the spec's content types and cache headers.
//!
//! Publishing runs on a thread of its own, after the write that made a new head has been
//! answered: a write never waits for it, and heads that land while a run is going are published
//! together by the next one. The checkpoint is replaced last, so a reader fetching `/log/` sees
//! either the log before a run or after it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, Weak};

use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use ledger_core::checkpoint::SignerKey;
use ledger_core::publish::{self, CHECKPOINT_FILE};
use ledger_core::tlog;

use crate::{Shared, log};

/// The checkpoint changes with every publishing run: cached a few seconds at most.
const CHECKPOINT_CACHE: &str = "public, max-age=5";
/// A tile or entry bundle never changes once written.
const TILE_CACHE: &str = "public, max-age=31536000, immutable";

/// What asks the publishing thread for a run: set, and the thread wakes.
#[derive(Default)]
pub(crate) struct Publisher {
    wanted: Mutex<bool>,
    wake: Condvar,
}

impl Publisher {
    /// Asks for a run at the acknowledged head (several asks before it starts make one run).
    pub(crate) fn request(&self) {
        *self.wanted.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.wake.notify_one();
    }

    /// Waits until a run is asked for.
    fn wait(&self) {
        let mut wanted = self.wanted.lock().unwrap_or_else(|e| e.into_inner());
        while !*wanted {
            wanted = self.wake.wait(wanted).unwrap_or_else(|e| e.into_inner());
        }
        *wanted = false;
    }
}

/// Publishes the ledger at its acknowledged head into `dir`: the first run, before the server
/// listens (a directory that is not this ledger's log stops the server from starting).
pub(crate) fn publish_now(shared: &Shared, dir: &Path, key: &SignerKey) -> Result<u64, publish::PublishError> {
    let published = publish::publish(&shared.view(), dir, key, &())?;
    log::write(&log::Line::Published { dir: &dir.display().to_string(), size: published.size, files: published.files });
    Ok(published.size)
}

/// Starts the publishing thread. It holds the server only weakly, and ends with it.
pub(crate) fn start(shared: &Arc<Shared>, dir: PathBuf) {
    let weak: Weak<Shared> = Arc::downgrade(shared);
    let publisher = shared.publisher.clone();
    let shown = dir.display().to_string();
    let spawned = std::thread::Builder::new().name("ledger-publish".into()).spawn(move || {
        loop {
            publisher.wait();
            let Some(shared) = weak.upgrade() else { return };
            let Some(key) = shared.config.sign.as_ref() else { return };
            if let Err(e) = publish_now(&shared, &dir, key) {
                log::write(&log::Line::PublishFailed { dir: &dir.display().to_string(), detail: e.to_string() });
            }
        }
    });
    if let Err(e) = spawned {
        log::write(&log::Line::PublishFailed { dir: &shown, detail: e.to_string() });
    }
}

/// `GET /log/checkpoint`.
pub(crate) async fn checkpoint(State(app): State<Arc<Shared>>) -> Response {
    serve_file(&app, CHECKPOINT_FILE.to_owned(), "text/plain; charset=utf-8", CHECKPOINT_CACHE).await
}

/// `GET /log/tile/...`: a hash tile or an entry bundle, by the spec's path only.
pub(crate) async fn tile(State(app): State<Arc<Shared>>, UrlPath(rest): UrlPath<String>) -> Response {
    let path = format!("tile/{rest}");
    if tlog::parse_path(&path).is_none() {
        return not_found(&format!("/log/{path} is not a tile of the C2SP tlog-tiles layout"));
    }
    serve_file(&app, path, "application/octet-stream", TILE_CACHE).await
}

async fn serve_file(app: &Shared, rel: String, content_type: &'static str, cache: &'static str) -> Response {
    let Some(dir) = app.config.publish.clone() else {
        return not_found("this server publishes no log: start it with --publish DIR --sign KEYFILE");
    };
    let file = dir.join(&rel);
    match tokio::task::spawn_blocking(move || std::fs::read(file)).await {
        Ok(Ok(bytes)) => {
            ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, cache)], bytes).into_response()
        }
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            not_found(&format!("/log/{rel}: the published log has no such file"))
        }
        Ok(Err(e)) => (StatusCode::INTERNAL_SERVER_ERROR, format!("/log/{rel}: {e}\n")).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "a read failed (a bug)\n").into_response(),
    }
}

/// A plain-text 404: the log's files are read by tlog clients, not by the JSON API's.
fn not_found(why: &str) -> Response {
    (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("{why}\n")).into_response()
}
