//! The SQLite peer: the hash-chained event table a user would build instead of the ledger, in
//! Rust over the bundled SQLite (rusqlite), doing the same work on the same history in this
//! process, so that every figure of the ledger can be read beside it.
//!
//! The table: `events(seq INTEGER PRIMARY KEY, key TEXT, prev BLOB, hash BLOB, body BLOB)` and one
//! index on `key`, in WAL mode with `synchronous=FULL` (each transaction durable when it commits,
//! as each append of the ledger is). A bulk append is 10k-row transactions; each event is its
//! input JSON with the envelope added (`seq`, `prev`, `recorded_at`, `actor`), its RFC 8785 bytes
//! and their BLAKE3 hash (the ledger's derive-key mode), a retraction keyed by its target's key
//! (looked up in the table). Verification reads every row in seq order, re-hashes its bytes and
//! checks every link. `show` and `history` read one key's rows by the index; `state --count`
//! reads every keyed row in key order and folds each key's lifecycle at the point.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use ledger_core::canonical;
use ledger_core::chain::HASH_CONTEXT;
use ledger_core::time::{Effective, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use crate::history::{History, day_micros};
use crate::measure::ms_since;
use crate::{ACTOR, BATCH, Points, Result};

/// What the peer measured, once.
pub struct PeerRun {
    /// Bulk append, events per second.
    pub append_events_per_s: f64,
    /// Verification (re-hash, links), events per second.
    pub verify_events_per_s: f64,
    /// Bytes on disk per event (the database and its WAL, closed).
    pub disk_bytes_per_event: f64,
    /// One key's state at the point, ms.
    pub show_ms: f64,
    /// One key's events, ms.
    pub history_ms: f64,
    /// The number of designations in force at the point, ms.
    pub state_count_ms: f64,
    /// What `state --count` counted (checked against the ledger's answer).
    pub state_count: u64,
}

fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(format!("SQLite refused WAL mode ({mode})").into());
    }
    conn.execute_batch("PRAGMA synchronous=FULL;")?;
    Ok(conn)
}

fn blake3(bytes: &[u8]) -> [u8; 32] {
    *blake3::Hasher::new_derive_key(HASH_CONTEXT).update(bytes).finalize().as_bytes()
}

/// The `AUTHORITY/ID` of an input event, or the target of a retraction.
fn key_or_target(event: &serde_json::Map<String, Value>) -> (Option<String>, Option<u64>) {
    match (event.get("authority").and_then(Value::as_str), event.get("id").and_then(Value::as_str)) {
        (Some(a), Some(i)) => (Some(format!("{a}/{i}")), None),
        _ => (None, event.get("target").and_then(Value::as_u64)),
    }
}

/// Builds the table from the history, 10k-row transactions, each committed durably; returns the
/// time it took, ms.
fn build(conn: &mut Connection, history: &History) -> Result<f64> {
    conn.execute_batch(
        "CREATE TABLE events (seq INTEGER PRIMARY KEY, key TEXT, prev BLOB, hash BLOB NOT NULL, body BLOB NOT NULL);
         CREATE INDEX events_key ON events(key);",
    )?;
    let t = Instant::now();
    let mut prev = [0u8; 32];
    let mut seq = 1u64;
    for (b, chunk) in history.events.chunks(BATCH).enumerate() {
        let clock = day_micros(history.recorded_day[b * BATCH]) + 12 * 3_600_000_000;
        let tx = conn.transaction()?;
        {
            let mut insert =
                tx.prepare_cached("INSERT INTO events (seq, key, prev, hash, body) VALUES (?1, ?2, ?3, ?4, ?5)")?;
            let mut key_of = tx.prepare_cached("SELECT key FROM events WHERE seq = ?1")?;
            for (i, line) in chunk.iter().enumerate() {
                let Value::Object(mut event) = serde_json::from_slice(line)? else {
                    return Err("an input event is not a JSON object".into());
                };
                let key = match key_or_target(&event) {
                    (Some(k), _) => Some(k),
                    (None, Some(target)) => {
                        key_of.query_row(params![target as i64], |r| r.get(0)).optional()?.flatten()
                    }
                    (None, None) => None,
                };
                event.insert("seq".into(), Value::from(seq));
                event.insert("prev".into(), Value::String(ledger_core::chain::Hash(prev).to_hex()));
                event.insert("recorded_at".into(), Value::String(Timestamp(clock + i as i64).to_string()));
                event.insert("actor".into(), Value::String(ACTOR.into()));
                let body = canonical::to_vec(&Value::Object(event))?;
                let hash = blake3(&body);
                insert.execute(params![seq as i64, key, &prev[..], &hash[..], body])?;
                prev = hash;
                seq += 1;
            }
        }
        tx.commit()?;
    }
    Ok(ms_since(t))
}

/// Re-hashes every row in seq order and checks every link; returns the rows checked and the ms.
fn verify(conn: &Connection) -> Result<(u64, f64)> {
    let t = Instant::now();
    let mut st = conn.prepare("SELECT seq, prev, hash, body FROM events ORDER BY seq")?;
    let mut rows = st.query([])?;
    let (mut expected, mut last) = (1i64, [0u8; 32]);
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(0)?;
        let prev = row.get_ref(1)?.as_blob()?;
        let hash = row.get_ref(2)?.as_blob()?;
        let body = row.get_ref(3)?.as_blob()?;
        if seq != expected || prev != last || blake3(body) != hash {
            return Err(format!("the SQLite peer's verification failed at seq {seq}").into());
        }
        last.copy_from_slice(hash);
        expected += 1;
    }
    Ok(((expected - 1) as u64, ms_since(t)))
}

/// What a fold needs of an event.
#[derive(serde::Deserialize)]
struct Peek {
    #[serde(rename = "type")]
    kind: String,
    effective: Option<Effective>,
    recorded_at: String,
    target: Option<u64>,
}

/// One keyed event as a fold reads it.
struct Entry {
    seq: u64,
    kind: String,
    effective: i64,
    recorded_at: i64,
    body: Vec<u8>,
}

/// One key's rows, and the retractions among them (by target seq: the retraction's recorded_at).
fn fold_key(rows: &[(u64, Vec<u8>)]) -> Result<(Vec<Entry>, HashMap<u64, i64>)> {
    let (mut entries, mut retracted) = (Vec::new(), HashMap::new());
    for (seq, body) in rows {
        let p: Peek = serde_json::from_slice(body)?;
        let recorded_at = Timestamp::parse(&p.recorded_at)?.0;
        match (p.kind.as_str(), p.effective, p.target) {
            ("retraction", _, Some(t)) => {
                retracted.insert(t, recorded_at);
            }
            (_, Some(e), _) => {
                entries.push(Entry { seq: *seq, kind: p.kind, effective: e.micros(), recorded_at, body: body.clone() })
            }
            _ => {}
        }
    }
    entries.sort_by_key(|e| (e.effective, e.seq));
    Ok((entries, retracted))
}

/// Whether the key is in force at the point, and the events of its episode (designation first).
fn standing<'e>(entries: &'e [Entry], retracted: &HashMap<u64, i64>, at: i64, as_of: i64) -> (bool, Vec<&'e Entry>) {
    let (mut active, mut episode) = (false, Vec::new());
    for e in entries {
        let withdrawn = retracted.get(&e.seq).is_some_and(|r| *r <= as_of);
        if e.effective > at || e.recorded_at > as_of || withdrawn {
            continue;
        }
        match (e.kind.as_str(), active) {
            ("designation", _) => {
                active = true;
                episode.clear();
                episode.push(e);
            }
            ("amendment", true) => episode.push(e),
            ("delisting", true) => active = false,
            _ => {}
        }
    }
    (active, episode)
}

fn rows_of(conn: &Connection, key: &str) -> Result<Vec<(u64, Vec<u8>)>> {
    let mut st = conn.prepare_cached("SELECT seq, body FROM events WHERE key = ?1 ORDER BY seq")?;
    let rows = st.query_map(params![key], |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// One key at the point: its standing and its record folded (the designation with the
/// amendments' patches merged), as JSON.
fn show(conn: &Connection, key: &str, at: i64, as_of: i64) -> Result<Vec<u8>> {
    let (entries, retracted) = fold_key(&rows_of(conn, key)?)?;
    let (active, episode) = standing(&entries, &retracted, at, as_of);
    let mut record = Value::Null;
    for e in episode {
        let v: Value = serde_json::from_slice(&e.body)?;
        match (e.kind.as_str(), v) {
            ("designation", v) => record = v,
            (_, Value::Object(mut a)) => {
                if let Some(patch) = a.remove("patch") {
                    ledger_core::patch::merge(&mut record, &patch);
                }
            }
            _ => {}
        }
    }
    Ok(serde_json::to_vec(&serde_json::json!({"key": key, "active": active, "record": record}))?)
}

/// Every key's rows in key order, each key folded at the point: the designations in force.
fn state_count(conn: &Connection, at: i64, as_of: i64) -> Result<u64> {
    let mut st = conn.prepare("SELECT key, seq, body FROM events WHERE key IS NOT NULL ORDER BY key, seq")?;
    let mut rows = st.query([])?;
    let (mut count, mut current, mut group) = (0u64, String::new(), Vec::new());
    let mut finish = |group: &mut Vec<(u64, Vec<u8>)>| -> Result<()> {
        if !group.is_empty() {
            let (entries, retracted) = fold_key(group)?;
            count += u64::from(standing(&entries, &retracted, at, as_of).0);
            group.clear();
        }
        Ok(())
    };
    while let Some(row) = rows.next()? {
        let key = row.get_ref(0)?.as_str()?;
        if key != current {
            finish(&mut group)?;
            current = key.to_owned();
        }
        group.push((row.get::<_, i64>(1)? as u64, row.get_ref(2)?.as_blob()?.to_vec()));
    }
    finish(&mut group)?;
    Ok(count)
}

/// Builds the peer's table under `dir` and measures it once.
pub(crate) fn run(history: &History, p: &Points, dir: &Path) -> Result<PeerRun> {
    let n = history.events.len();
    let per_s = |events: u64, ms: f64| events as f64 / (ms / 1e3);
    let path = dir.join("peer.sqlite");
    let append_ms = {
        let mut conn = open(&path)?;
        build(&mut conn, history)?
    };
    // Closed: the WAL is checkpointed into the database, as a user's table would sit on disk.
    let disk = dir_bytes_of(&path)?;
    let conn = open(&path)?;
    let (checked, verify_ms) = verify(&conn)?;
    if checked != n as u64 {
        return Err(format!("the SQLite peer verified {checked} of {n} events").into());
    }
    let key = p.key.to_string();
    let mut show_ms = Vec::new();
    let mut history_ms = Vec::new();
    for _ in 0..21 {
        let t = Instant::now();
        std::hint::black_box(show(&conn, &key, p.at_micros, p.as_of_micros)?);
        show_ms.push(ms_since(t));
        let t = Instant::now();
        let rows = rows_of(&conn, &key)?;
        let (entries, _) = fold_key(&rows)?;
        std::hint::black_box(entries.len());
        history_ms.push(ms_since(t));
    }
    let t = Instant::now();
    let state_count = state_count(&conn, p.at_micros, p.as_of_micros)?;
    let state_count_ms = ms_since(t);
    Ok(PeerRun {
        append_events_per_s: per_s(n as u64, append_ms),
        verify_events_per_s: per_s(checked, verify_ms),
        disk_bytes_per_event: disk as f64 / n as f64,
        show_ms: crate::measure::median(&show_ms),
        history_ms: crate::measure::median(&history_ms),
        state_count_ms,
        state_count,
    })
}

/// The bytes of the database and the files SQLite keeps beside it.
fn dir_bytes_of(db: &Path) -> Result<u64> {
    let mut total = 0;
    for suffix in ["", "-wal", "-shm"] {
        let file = db.with_file_name(format!("{}{suffix}", db.file_name().and_then(|f| f.to_str()).unwrap_or("")));
        if let Ok(m) = std::fs::metadata(&file) {
            total += m.len();
        }
    }
    Ok(total)
}
