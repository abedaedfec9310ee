//! Baselines on the same canonical bytes: BLAKE3 alone, JSON parsing alone, and raw sled (no
//! index, no validation) on temporary stores of its own.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::history::History;
use crate::measure::{dir_bytes, median, ms_since, run_process};
use crate::{BATCH, Result};

/// Events packed into one sled value, as the ledger's store does.
pub const PACK: usize = 64;

/// Opens a raw sled store; returns it and the time the successful open took, in ms.
fn open(path: &Path) -> Result<(sled::Db, f64)> {
    let t = Instant::now();
    let db = sled::Config::new().path(path).open().map_err(|e| format!("opening {}: {e}", path.display()))?;
    Ok((db, ms_since(t)))
}

/// Reopens a store this process closed: sled does not wait on drop for its background threads,
/// which hold the store's file lock until they finish, so a store reopened at once may still be
/// locked. Wait a little for the lock; then open a copy of the files instead (a snapshot still
/// being written, `*.generating`, is left out, as sled itself would discard it).
fn reopen(path: &Path) -> Result<(sled::Db, f64)> {
    let deadline = Instant::now() + std::time::Duration::from_secs(2);
    loop {
        let t = Instant::now();
        match sled::Config::new().path(path).open() {
            Ok(db) => return Ok((db, ms_since(t))),
            // sled reports its lock as an `Other` error whose message carries the WouldBlock.
            Err(sled::Error::Io(e))
                if e.kind() == std::io::ErrorKind::WouldBlock || e.to_string().contains("could not acquire lock") =>
            {
                if Instant::now() >= deadline {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => return Err(format!("opening {}: {e}", path.display()).into()),
        }
    }
    let copy = path.with_extension("reopened");
    copy_dir(path, &copy)?;
    open(&copy)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_string_lossy().ends_with(".generating") {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

fn per_s(events: usize, ms: f64) -> f64 {
    events as f64 / (ms / 1e3)
}

fn packed_value(events: &[Vec<u8>]) -> Vec<u8> {
    let mut v = Vec::with_capacity(events.iter().map(|e| e.len() + 4).sum());
    for e in events {
        v.extend_from_slice(&(e.len() as u32).to_le_bytes());
        v.extend_from_slice(e);
    }
    v
}

fn unpack(mut v: &[u8], mut each: impl FnMut(&[u8])) {
    while v.len() >= 4 {
        let n = u32::from_le_bytes([v[0], v[1], v[2], v[3]]) as usize;
        let Some(e) = v.get(4..4 + n) else { return };
        each(e);
        v = &v[4 + n..];
    }
}

/// Inserts the events in sled batches of [`BATCH`] events, flushing after each: one key per
/// event (`pack` 1) or `pack` events per key. Returns the insert time in ms.
fn insert(db: &sled::Db, events: &[Vec<u8>], pack: usize) -> Result<f64> {
    let t = Instant::now();
    let mut n = 0u64;
    for chunk in events.chunks(BATCH) {
        let mut batch = sled::Batch::default();
        for group in chunk.chunks(pack) {
            let value = if pack == 1 { group[0].clone() } else { packed_value(group) };
            batch.insert(&n.to_be_bytes(), value);
            n += 1;
        }
        db.apply_batch(batch)?;
        db.flush()?;
    }
    Ok(ms_since(t))
}

/// The `AUTHORITY/ID` of an event's designation (none for a retraction).
fn designation_key(event: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Keyed {
        authority: Option<String>,
        id: Option<String>,
    }
    let k: Keyed = serde_json::from_slice(event).ok()?;
    Some(format!("{}/{}", k.authority?, k.id?))
}

/// [`insert`] with 64 events per key, and in each batch, for every designation key its events
/// touch, a read of its index value (150 bytes) and its record (700 bytes) and a rewrite of both:
/// what the ledger's store writes for a batch. Returns the time in ms.
fn insert_indexed(db: &sled::Db, events: &[Vec<u8>], keys: &[Option<String>]) -> Result<f64> {
    let (entries, record) = (vec![0x5A; 150], vec![0x7B; 700]);
    let t = Instant::now();
    let mut n = 0u64;
    for (chunk, chunk_keys) in events.chunks(BATCH).zip(keys.chunks(BATCH)) {
        let mut batch = sled::Batch::default();
        for group in chunk.chunks(PACK) {
            batch.insert([b"e/".as_slice(), &n.to_be_bytes()].concat(), packed_value(group));
            n += 1;
        }
        let touched: std::collections::BTreeSet<&String> = chunk_keys.iter().flatten().collect();
        for key in touched {
            for (prefix, value) in [("k/", &entries), ("r/", &record)] {
                let k = format!("{prefix}{key}");
                std::hint::black_box(db.get(k.as_bytes())?);
                batch.insert(k.as_bytes(), value.clone());
            }
        }
        db.apply_batch(batch)?;
        db.flush()?;
    }
    Ok(ms_since(t))
}

/// Measures every baseline once, with stores under `dir` (left there: the caller removes `dir`
/// once sled's background threads are done); adds one sample to each.
pub fn run(
    history: &History,
    ledger_bin: &Path,
    spawner: Option<&Path>,
    dir: &Path,
    out: &mut BTreeMap<&'static str, Vec<f64>>,
) -> Result<()> {
    let events = &history.events;
    let n = events.len();
    let raw = history.raw_bytes();
    let mut add = |name: &'static str, v: f64| out.entry(name).or_default().push(v);

    add("raw_json_bytes_per_event", raw as f64 / n as f64);

    // BLAKE3 alone, in the ledger's derive-key mode, one hash per event.
    let t = Instant::now();
    let mut acc = 0u8;
    for e in events {
        acc ^= blake3::Hasher::new_derive_key(ledger_core::chain::HASH_CONTEXT).update(e).finalize().as_bytes()[0];
    }
    let ms = ms_since(t);
    std::hint::black_box(acc);
    add("blake3_events_per_s", per_s(n, ms));
    add("blake3_mib_per_s", raw as f64 / (1 << 20) as f64 / (ms / 1e3));

    // The same hashes from one keyed hasher, cloned per event: the context string is hashed once.
    let keyed = blake3::Hasher::new_derive_key(ledger_core::chain::HASH_CONTEXT);
    let t = Instant::now();
    for e in events {
        acc ^= keyed.clone().update(e).finalize().as_bytes()[0];
    }
    add("blake3_keyed_once_events_per_s", per_s(n, ms_since(t)));
    std::hint::black_box(acc);

    // JSON parsing alone (to serde_json::Value).
    let t = Instant::now();
    for e in events {
        let v: serde_json::Value = serde_json::from_slice(e)?;
        std::hint::black_box(v);
    }
    add("json_parse_events_per_s", per_s(n, ms_since(t)));

    // Raw sled, one key per event.
    let per_event = dir.join("per-event.sled");
    {
        let (db, _) = open(&per_event)?;
        add("sled_insert_per_event_events_per_s", per_s(n, insert(&db, events, 1)?));
    }
    add("sled_per_event_bytes_per_event", dir_bytes(&per_event)? as f64 / n as f64);
    {
        let (db, _) = reopen(&per_event)?;
        let t = Instant::now();
        let mut bytes = 0usize;
        for item in db.iter() {
            bytes += item?.1.len();
        }
        add("sled_scan_per_event_events_per_s", per_s(n, ms_since(t)));
        std::hint::black_box(bytes);
    }

    // Raw sled, 64 events per key.
    let packed = dir.join("packed.sled");
    {
        let (db, _) = open(&packed)?;
        add("sled_insert_packed64_events_per_s", per_s(n, insert(&db, events, PACK)?));
    }
    add("sled_packed64_bytes_per_event", dir_bytes(&packed)? as f64 / n as f64);
    {
        let (db, open_ms) = reopen(&packed)?;
        add("sled_open_ms", open_ms);

        let t = Instant::now();
        let mut count = 0usize;
        for item in db.iter() {
            unpack(&item?.1, |_| count += 1);
        }
        add("sled_scan_packed64_events_per_s", per_s(count, ms_since(t)));

        let t = Instant::now();
        let mut acc = 0u8;
        for item in db.iter() {
            unpack(&item?.1, |e| {
                acc ^=
                    blake3::Hasher::new_derive_key(ledger_core::chain::HASH_CONTEXT).update(e).finalize().as_bytes()[0];
            });
        }
        add("sled_scan_blake3_events_per_s", per_s(n, ms_since(t)));
        std::hint::black_box(acc);

        let t = Instant::now();
        let mut failed = None;
        for item in db.iter() {
            unpack(&item?.1, |e| {
                if let Err(err) = serde_json::from_slice::<serde_json::Value>(e) {
                    failed = Some(err);
                }
            });
        }
        add("sled_scan_parse_ms", ms_since(t));
        if let Some(e) = failed {
            return Err(e.into());
        }

        // One event read by number: its value, and that event parsed.
        let mut samples = Vec::new();
        for i in 0..21u64 {
            let seq = (i * 7919) % n as u64;
            let t = Instant::now();
            let v = db.get((seq / PACK as u64).to_be_bytes())?.ok_or("a packed value is missing")?;
            let mut found = None;
            let mut k = 0;
            unpack(&v, |e| {
                if k == seq % PACK as u64 {
                    found = Some(serde_json::from_slice::<serde_json::Value>(e));
                }
                k += 1;
            });
            found.ok_or("an event is missing")??;
            samples.push(ms_since(t));
        }
        add("sled_point_read_ms", median(&samples));
    }

    // Raw sled in the ledger's write pattern, with none of its work: the events 64 to a value and,
    // per batch, for each designation key the batch touches, a read and a rewrite of an index
    // value and a record value of about the ledger's sizes.
    let keys: Vec<Option<String>> = events.iter().map(|e| designation_key(e)).collect();
    let indexed = dir.join("indexed.sled");
    {
        let (db, _) = open(&indexed)?;
        add("sled_insert_indexed_events_per_s", per_s(n, insert_indexed(&db, events, &keys)?));
    }
    add("sled_indexed_bytes_per_event", dir_bytes(&indexed)? as f64 / n as f64);

    // Raw sled, one small value per designation (about what an index holds), scanned.
    let index = dir.join("index.sled");
    {
        let (db, _) = open(&index)?;
        let value = vec![0x5A; 41 * 10];
        for chunk in (0..history.designations as u64).collect::<Vec<_>>().chunks(BATCH) {
            let mut batch = sled::Batch::default();
            for k in chunk {
                batch.insert(format!("k/XX/{k:08}").as_bytes(), value.clone());
            }
            db.apply_batch(batch)?;
        }
        db.flush()?;
        let t = Instant::now();
        let mut bytes = 0usize;
        for item in db.iter() {
            bytes += item?.1.len();
        }
        add("sled_scan_index_ms", ms_since(t));
        std::hint::black_box(bytes);
    }

    // The floor of any whole-process command: the binary starting and exiting.
    let mut samples = Vec::new();
    for _ in 0..5 {
        samples.push(run_process(Command::new(ledger_bin).arg("--version"), spawner)?.ms);
    }
    add("process_spawn_ms", median(&samples));
    Ok(())
}
