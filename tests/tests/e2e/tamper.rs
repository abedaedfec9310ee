//! Tampering made through sled directly on a closed ledger: `verify` exits 1 naming the seq.

use ledger_core::chain::{Hash, hash_canonical};
use ledger_core::store::{self, HEAD_KEY, block_key, decode_block, pack_block, push_event, unpack_block};
use ledger_tests::Sandbox;

/// The events of block 0 as (stored hash, canonical bytes).
fn events(db: &sled::Db) -> Vec<(Hash, Vec<u8>)> {
    let block = unpack_block(&db.get(block_key(0)).expect("read").expect("block 0")).expect("decompresses");
    decode_block(&block).expect("a well-formed block").into_iter().map(|(h, b)| (h, b.to_vec())).collect()
}

fn write(db: &sled::Db, events: &[(Hash, Vec<u8>)]) {
    let mut block = Vec::new();
    for (h, b) in events {
        push_event(&mut block, h, b);
    }
    db.insert(block_key(0), pack_block(&block)).expect("write");
    db.flush().expect("flush");
}

/// Applies `tamper` to the closed ledger of a fresh GIM sandbox, then runs verify.
fn tampered(tamper: impl FnOnce(&sled::Db)) -> (Sandbox, ledger_tests::Run) {
    let s = Sandbox::gim();
    {
        let db = sled::open(&s.ledger).expect("open the closed store with sled");
        tamper(&db);
    }
    let r = s.run(&["verify"]);
    (s, r)
}

#[track_caller]
fn assert_names_seq(r: &ledger_tests::Run, seq: u64, words: &str) {
    assert_eq!(r.code, 1, "verify must fail\nstdout: {}\nstderr: {}", r.stdout, r.stderr);
    let first = r.stderr.lines().next().unwrap_or_default();
    assert!(first.contains(&format!("at seq {seq}:")), "names seq {seq}: {first}");
    assert!(first.contains(words), "says `{words}`: {first}");
}

#[test]
fn one_byte_of_a_named_event_changed() {
    let (_, r) = tampered(|db| {
        let mut ev = events(db);
        let i = ev.iter().position(|(_, b)| String::from_utf8_lossy(b).contains("Dalibor Curlik")).expect("GIM0004");
        assert_eq!(i, 4);
        let pos = ev[i].1.windows(6).position(|w| w == b"Curlik").expect("the name");
        ev[i].1[pos] = b'K';
        write(db, &ev);
    });
    assert_names_seq(&r, 4, "hash mismatch");
}

#[test]
fn a_prev_changed() {
    let (_, r) = tampered(|db| {
        let mut ev = events(db);
        let text = String::from_utf8(ev[7].1.clone()).expect("utf-8");
        let prev = text.split("\"prev\":\"").nth(1).and_then(|t| t.get(..64)).expect("prev").to_owned();
        let forged = format!("{}{}", if prev.starts_with('0') { "1" } else { "0" }, &prev[1..]);
        ev[7].1 = text.replace(&prev, &forged).into_bytes();
        write(db, &ev);
    });
    assert_names_seq(&r, 7, "hash mismatch");
}

#[test]
fn a_prev_changed_and_the_event_rehashed() {
    // A forger who also recomputes the event's own hash still breaks the link.
    let (_, r) = tampered(|db| {
        let mut ev = events(db);
        let text = String::from_utf8(ev[7].1.clone()).expect("utf-8");
        let prev = text.split("\"prev\":\"").nth(1).and_then(|t| t.get(..64)).expect("prev").to_owned();
        ev[7].1 = text.replace(&prev, &"ab".repeat(32)).into_bytes();
        ev[7].0 = hash_canonical(&ev[7].1);
        write(db, &ev);
    });
    assert_names_seq(&r, 7, "broken link");
}

#[test]
fn two_events_swapped() {
    let (_, r) = tampered(|db| {
        let mut ev = events(db);
        ev.swap(10, 11);
        write(db, &ev);
    });
    assert_names_seq(&r, 10, "found event 11 where event 10 belongs");
}

#[test]
fn the_last_event_removed_while_the_head_stays() {
    let (_, r) = tampered(|db| {
        let mut ev = events(db);
        ev.pop();
        write(db, &ev);
        assert!(db.get(HEAD_KEY).expect("read").is_some(), "the head record stays");
    });
    assert_names_seq(&r, 38, "missing");
}

#[test]
fn the_index_rewritten() {
    let (_, r) = tampered(|db| {
        // A well-formed index that moves the designation's legal effect a year later: state
        // queries would answer wrongly, so verify must notice.
        let key = ledger_core::event::Key::parse("UK/GIM0030").expect("key");
        let raw = db.get(store::index_key(&key)).expect("read").expect("the key is indexed");
        let mut index = store::decode_index(&raw).expect("well-formed");
        index.entries[0].effective += 365 * 86_400_000_000;
        db.insert(store::index_key(&key), store::encode_index(&index)).expect("write");
        db.flush().expect("flush");
    });
    assert_names_seq(&r, 29, "the index of UK/GIM0030 does not match the log");
}

#[test]
fn a_record_rewritten_or_removed() {
    // A record that names someone else: `state` and `search` would answer with it.
    let key = ledger_core::event::Key::parse("UK/GIM0030").expect("key");
    let (_, r) = tampered(|db| {
        let raw = db.get(store::record_key(&key)).expect("read").expect("the key has a record");
        let text = String::from_utf8(raw.to_vec()).expect("UTF-8").replace("ALPA TRADING", "ALPHA TRADING");
        db.insert(store::record_key(&key), text.into_bytes()).expect("write");
        db.flush().expect("flush");
    });
    assert_names_seq(&r, 29, "the stored record of UK/GIM0030 does not match the log");
    let (_, r) = tampered(|db| {
        db.remove(store::record_key(&key)).expect("remove");
        db.flush().expect("flush");
    });
    assert_names_seq(&r, 29, "the stored record of UK/GIM0030 does not match the log");
}

#[test]
fn an_untouched_store_still_verifies() {
    let (_, r) = tampered(|_| {});
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// Events of the next block packed into the one before it: every hash, link and seq still
/// follows, but a block holds more than its 64 events, and no reader would find the ones beyond
/// (they live where the layout puts another block). verify refuses such a store.
#[test]
fn a_block_holding_more_than_its_events() {
    let s = Sandbox::gim();
    s.run_stdin(&["append", "-"], ledger_tests::designations("MORE", 31).as_bytes()).expect(0);
    assert_eq!(s.head().0, 69, "70 events: block 0 full, 6 in block 1");
    {
        let db = sled::open(&s.ledger).expect("open the closed store with sled");
        let read = |n: u64| {
            let block = unpack_block(&db.get(block_key(n)).expect("read").expect("the block")).expect("decompresses");
            decode_block(&block)
                .expect("a well-formed block")
                .into_iter()
                .map(|(h, b)| (h, b.to_vec()))
                .collect::<Vec<_>>()
        };
        let mut all = read(0);
        all.extend(read(1));
        write(&db, &all);
        db.remove(block_key(1)).expect("remove block 1");
        db.flush().expect("flush");
    }
    let r = s.run(&["verify"]);
    assert_ne!(r.code, 0, "verify must not pass\nstdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert!(r.stderr.contains("block 0") || r.stderr.contains("damaged"), "{}", r.stderr);
}
