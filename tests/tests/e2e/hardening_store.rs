//! What the store promises under damage and failure: an acknowledged batch is never silently
//! forgotten, damaged files end in exit 76, a failure after a commit says the batch was written,
//! `export` never replaces anything but a regular file, and an operator's prompt locks no one out.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ledger_tests::{Sandbox, copy_dir, designation, ledger_bin, repo_file};

/// `ledger --ledger PATH ARGS` on a copy of a ledger: (exit code, stdout, stderr), with a deadline.
fn run_on(ledger: &Path, args: &[&str]) -> (i32, String, String) {
    let mut child = Command::new(ledger_bin())
        .arg("--ledger")
        .arg(ledger)
        .args(args)
        .env("LEDGER_CLOCK", ledger_tests::CLOCK)
        .env("LEDGER_ACTOR", "tester")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let (mut out, mut err) = (child.stdout.take().expect("stdout"), child.stderr.take().expect("stderr"));
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let mut e = String::new();
    let _ = err.read_to_string(&mut e);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return (status.code().unwrap_or(-1), reader.join().expect("stdout"), e);
        }
        assert!(Instant::now() < deadline, "`ledger {args:?}` hung");
        std::thread::sleep(Duration::from_millis(5));
    }
}

const GIM0099: &str = "GIM0099";

/// A ledger with the 38 GIM designations and one more event (UK/GIM0099), appended and
/// acknowledged, and its sled `db` file before and right after that append (before any other
/// command opened the store: opening it lets sled rewrite what it recovered).
fn gim_and_one_more() -> (Sandbox, Vec<u8>, Vec<u8>) {
    let s = Sandbox::gim();
    let before = std::fs::read(s.ledger.join("db")).expect("read db");
    let line = designation(GIM0099, "2025-10-22", "Acknowledged PERSON");
    let r = s.run_stdin(&["append", "-"], format!("{line}\n").as_bytes()).expect(0);
    assert!(r.stdout.contains("appended 1 event"), "{}", r.stdout);
    let after = std::fs::read(s.ledger.join("db")).expect("read db");
    (s, before, after)
}

/// A flipped byte anywhere in what the last acknowledged append wrote to sled's `db` file either
/// leaves that batch intact or makes every command exit 76: never a shorter ledger that verifies
/// (sled's recovery takes a damaged end of its log for a torn write and drops it).
#[test]
fn item1_flipped_byte_in_last_batch_never_silently_forgets_it() {
    let (s, before, after) = gim_and_one_more();
    let changed: Vec<usize> = (0..after.len()).filter(|&i| before.get(i) != Some(&after[i])).collect();
    assert!(changed.len() >= 50, "the append changed only {} bytes of db", changed.len());
    // 60 positions spread evenly over the changed bytes, from the first to the last.
    let positions: Vec<usize> = (0..60).map(|k| changed[k * (changed.len() - 1) / 59]).collect();
    // The directory as the append left it, kept aside before any other command opens it.
    let as_acknowledged = s.dir.path().join("as-acknowledged.sled");
    copy_dir(&s.ledger, &as_acknowledged);
    std::fs::write(as_acknowledged.join("db"), &after).expect("write db");
    let (mut refused, mut intact) = (0, 0);
    for (k, &pos) in positions.iter().enumerate() {
        let copy = s.dir.path().join(format!("flip-{k}.sled"));
        copy_dir(&as_acknowledged, &copy);
        let mut bytes = after.clone();
        bytes[pos] ^= 0x5a;
        std::fs::write(copy.join("db"), &bytes).expect("write db");
        let (code, out, err) = run_on(&copy, &["verify", "--format", "json"]);
        match code {
            76 => {
                assert!(err.contains("is damaged"), "byte {pos}: {err}");
                // Every other command too, writers included: none may reuse seq 39.
                let (code, _, err) = run_on(&copy, &["head"]);
                assert_eq!(code, 76, "byte {pos}: head after verify said 76: {err}");
                let line = designation("GIM0100", "2025-10-22", "Another PERSON");
                let mut append = Command::new(ledger_bin());
                append.arg("--ledger").arg(&copy).args(["append", "-"]).env("LEDGER_CLOCK", ledger_tests::CLOCK);
                let mut child =
                    append.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn");
                let _ = child.stdin.take().expect("stdin").write_all(format!("{line}\n").as_bytes());
                assert_eq!(child.wait().expect("wait").code(), Some(76), "byte {pos}: an append to a damaged store");
                refused += 1;
            }
            0 => {
                let v: serde_json::Value = serde_json::from_str(&out).expect("verify's JSON");
                assert_eq!(
                    v["head"]["seq"], 39,
                    "byte {pos}: the store verified without the acknowledged event\n{out}"
                );
                let (code, out, err) = run_on(&copy, &["show", &format!("UK/{GIM0099}"), "--format", "json"]);
                assert_eq!(code, 0, "byte {pos}: {err}");
                assert!(out.contains("Acknowledged PERSON"), "byte {pos}: {out}");
                intact += 1;
            }
            1 => {
                // Verification named a damaged event: loud, not silent.
                assert!(err.contains("verification failed"), "byte {pos}: {err}");
            }
            other => panic!("byte {pos}: verify exited {other}: {err}"),
        }
    }
    // The damage this test is about (sled dropping the end of its log) must have occurred.
    assert!(refused > 0, "no flipped byte made sled drop the batch ({intact} left it intact)");
}

/// A store whose sled files were rolled back behind the head the ledger acknowledged (the
/// acknowledged head kept beside them) is refused by every command, naming both heads.
#[test]
fn item1_store_behind_its_acknowledged_head_is_refused_by_every_command() {
    let s = Sandbox::gim();
    let older = s.dir.path().join("older.sled");
    copy_dir(&s.ledger, &older);
    let (seq_before, hash_before) = s.head();
    let line = designation(GIM0099, "2025-10-22", "Acknowledged PERSON");
    s.run_stdin(&["append", "-"], format!("{line}\n").as_bytes()).expect(0);
    let (seq, hash) = s.head();
    let acked = std::fs::read_to_string(s.ledger.join("ledger.head")).expect("the acknowledged head's file");
    assert!(acked.contains(&hash) && acked.contains(&format!(" {seq} ")), "{acked}");
    let more = s.file("more.jsonl", format!("{}\n", designation("GIM0100", "2025-10-22", "Later PERSON")).as_bytes());
    // sled's files as they were before the append; the acknowledged head as it is after it.
    std::fs::copy(s.ledger.join("ledger.head"), older.join("ledger.head")).expect("copy");
    for args in [
        &["head"][..],
        &["verify"],
        &["show", "UK/GIM0030"],
        &["state", "--count"],
        &["log"],
        &["export", "-"],
        &["append", &more],
    ] {
        let (code, _, err) = run_on(&older, args);
        assert_eq!(code, 76, "`ledger {args:?}`: {err}");
        assert!(err.contains(&format!("event {seq} ({hash})")), "names the acknowledged head: {err}");
        assert!(err.contains(&format!("event {seq_before} ({hash_before})")), "names the store's head: {err}");
        assert!(err.contains("Recovering a damaged store"), "{err}");
    }
    // A store ahead of the file (a batch flushed by a process that died before acknowledging it)
    // is whole: it opens.
    let ahead = s.dir.path().join("ahead.sled");
    copy_dir(&s.ledger, &ahead);
    std::fs::write(ahead.join("ledger.head"), format!("ledger-head-v1 {seq_before} {hash_before} 1768467600000000\n"))
        .expect("write");
    let (code, out, err) = run_on(&ahead, &["verify"]);
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    // ... unless the event at the acknowledged seq is another one.
    let other = "0".repeat(64);
    std::fs::write(ahead.join("ledger.head"), format!("ledger-head-v1 {seq_before} {other} 1768467600000000\n"))
        .expect("write");
    let (code, _, err) = run_on(&ahead, &["head"]);
    assert_eq!(code, 76, "{err}");
    assert!(err.contains(&format!("another event at seq {seq_before}")), "{err}");
    // A malformed file is damage too, not a reason to forget the check.
    std::fs::write(ahead.join("ledger.head"), "garbage").expect("write");
    let (code, _, err) = run_on(&ahead, &["head"]);
    assert_eq!(code, 76, "{err}");
}

/// Damage to sled's configuration or a missing blob file ends in exit 76 with the recovery hint,
/// not an internal error (70) or an I/O error (74).
#[test]
fn item8_damaged_conf_and_missing_blob_report_damage() {
    let s = Sandbox::gim();
    // sled keeps a page of more than 128 KiB (a quarter of its 512 KiB segments) as a blob file:
    // three events too random to compress, in one block, put it there.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut noise = |n: usize| -> String {
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                char::from(b'a' + (x % 26) as u8)
            })
            .collect()
    };
    let mut batch = String::new();
    for id in ["GIM0096", "GIM0097", "GIM0098"] {
        let mut event: serde_json::Value =
            serde_json::from_str(&designation(id, "2025-10-22", "Blob PERSON")).expect("json");
        event["reason"] = serde_json::Value::String(noise(60_000));
        batch.push_str(&format!("{event}\n"));
    }
    s.run_stdin(&["append", "-"], batch.as_bytes()).expect(0);
    s.run(&["verify"]).expect(0);

    let conf = s.dir.path().join("conf.sled");
    copy_dir(&s.ledger, &conf);
    let mut bytes = std::fs::read(conf.join("conf")).expect("conf");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(conf.join("conf"), bytes).expect("write conf");
    for args in [&["head"][..], &["verify"], &["show", "UK/GIM0030"]] {
        let (code, _, err) = run_on(&conf, args);
        assert_eq!(code, 76, "`ledger {args:?}` on a damaged conf: {err}");
        assert!(err.contains("is damaged") && err.contains("Recovering a damaged store"), "{err}");
    }

    let blob = s.dir.path().join("blob.sled");
    copy_dir(&s.ledger, &blob);
    let blobs: Vec<_> = std::fs::read_dir(blob.join("blobs"))
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    assert!(!blobs.is_empty(), "the large event was kept in a blob file");
    for b in &blobs {
        std::fs::remove_file(b).expect("remove a blob");
    }
    for args in [&["head"][..], &["verify"], &["show", "UK/GIM0098"], &["log"]] {
        let (code, _, err) = run_on(&blob, args);
        assert_eq!(code, 76, "`ledger {args:?}` with a blob file missing: {err}");
        assert!(err.contains("is damaged"), "{err}");
    }
}

/// A batch that was committed, but whose acknowledgement could not be printed (stdout on a full
/// device), is reported as written with exit 3; a batch refused before writing is still 65.
#[test]
fn item7_failure_after_commit_says_the_batch_was_written() {
    let s = Sandbox::init();
    // Runs `ledger ARGS` with stdout on a full device: (exit code, stderr).
    let to_full = |args: &[&str]| {
        let full = File::options().write(true).open("/dev/full").expect("/dev/full");
        let out = s.command(args).stdin(Stdio::null()).stdout(full).stderr(Stdio::piped()).output().expect("run");
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let file = repo_file("examples/uk-gim-2025.jsonl");
    let (code, err) = to_full(&["append", file.to_str().expect("utf-8")]);
    assert_eq!(code, Some(3), "{err}");
    let (seq, hash) = s.head();
    assert_eq!(seq, 38, "the batch is in the ledger");
    assert!(err.contains("was written") && err.contains(&format!("head {seq} {hash}")), "{err}");

    // An operator command too (in JSON, which prints only once the event is appended: a preview
    // that cannot be printed stops the command before anything is written).
    let delist = ["delist", "UK/GIM0030", "--effective", "2026-02-01", "--reason", "revoked", "--yes"];
    let (code, err) = to_full(&[&delist[..], &["--format", "json"]].concat());
    assert_eq!(code, Some(3), "{err}");
    assert_eq!(s.head().0, 39);

    // Refused before anything was written: not 3.
    let bad = s.file(
        "bad.jsonl",
        b"{\"type\":\"delisting\",\"authority\":\"UK\",\"id\":\"GIM0030\",\"effective\":\"2026-03-01\"}\n",
    );
    let (code, err) = to_full(&["append", &bad]);
    assert_eq!(code, Some(65), "{err}");
    assert_eq!(s.head().0, 39);
    // A closed pipe is still not an error.
    let mut child = s.command(&["log"]).stdin(Stdio::null()).stdout(Stdio::piped()).spawn().expect("spawn");
    drop(child.stdout.take());
    assert_eq!(child.wait().expect("wait").code(), Some(0));
}

/// `export` writes a regular file or a new path; it never replaces a FIFO, a symbolic link or a
/// directory (nor, by the same rule, a device).
#[test]
fn item6_export_refuses_anything_but_a_regular_file() {
    let s = Sandbox::gim();
    let dir = s.dir.path();
    let fifo = dir.join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success());
    let target = dir.join("target.txt");
    std::fs::write(&target, "not a bundle").expect("write");
    let link = dir.join("link.bundle");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    let sub = dir.join("subdir");
    std::fs::create_dir(&sub).expect("mkdir");
    for (path, what) in [(&fifo, "FIFO"), (&link, "symbolic link"), (&sub, "directory")] {
        let r = s.run(&["export", path.to_str().expect("utf-8")]).expect(2);
        assert!(r.stderr.contains("refusing to export") && r.stderr.contains(what), "{}", r.stderr);
    }
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::symlink_metadata(&fifo).expect("fifo").file_type().is_fifo(), "the FIFO is still one");
    assert!(std::fs::symlink_metadata(&link).expect("link").file_type().is_symlink(), "the link is still one");
    assert_eq!(std::fs::read_to_string(&target).expect("read"), "not a bundle");
    assert!(sub.is_dir());
    // A `.partial` that is a link is not written through either.
    let bundle = dir.join("gim.bundle");
    std::os::unix::fs::symlink(&target, dir.join("gim.bundle.partial")).expect("symlink");
    s.run(&["export", bundle.to_str().expect("utf-8")]).expect(2);
    assert_eq!(std::fs::read_to_string(&target).expect("read"), "not a bundle");
    std::fs::remove_file(dir.join("gim.bundle.partial")).expect("rm");
    // A new path, and a regular file, are written.
    s.run(&["export", bundle.to_str().expect("utf-8")]).expect(0);
    s.run(&["export", bundle.to_str().expect("utf-8")]).expect(0);
    s.run(&["verify-bundle", bundle.to_str().expect("utf-8")]).expect(0);
}

/// The confirmation prompt of an operator command is asked with the ledger closed: readers and
/// other writers go on meanwhile, and the event is checked again against the head it meets.
#[test]
fn prompt_holds_no_lock_and_the_event_is_checked_again() {
    let s = Sandbox::gim();
    let command = |args: &str| format!("{} --ledger {} {args}", ledger_bin().display(), s.ledger.display());
    // `script` gives the command a terminal, so that it asks.
    let spawn = |args: &str| {
        Command::new("script")
            .args(["-qfec", &command(args), "/dev/null"])
            .env("LEDGER_CLOCK", ledger_tests::CLOCK)
            .env("LEDGER_ACTOR", "tester")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn script")
    };
    let wait_for_prompt = |child: &mut std::process::Child| -> BufReader<std::process::ChildStdout> {
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let mut seen = Vec::new();
        loop {
            let mut chunk = Vec::new();
            let n = out.read_until(b']', &mut chunk).expect("read");
            assert!(n > 0, "the command ended without asking: {}", String::from_utf8_lossy(&seen));
            seen.extend_from_slice(&chunk);
            if String::from_utf8_lossy(&seen).contains("append this event? [y/N]") {
                return out;
            }
        }
    };

    // While one operator is asked, a reader reads and another operator appends.
    let mut asked = spawn("amend UK/GIM0030 --effective 2025-11-03 --add-alias 'ALPA TRADING' --reason 'variation'");
    let mut rest = wait_for_prompt(&mut asked);
    s.run(&["show", "UK/GIM0030"]).expect(0);
    let line = designation("GIM0099", "2025-10-22", "Meanwhile PERSON");
    s.run_stdin(&["append", "-"], format!("{line}\n").as_bytes()).expect(0);
    asked.stdin.take().expect("stdin").write_all(b"y\n").expect("answer");
    let mut tail = String::new();
    rest.read_to_string(&mut tail).expect("read");
    assert_eq!(asked.wait().expect("wait").code(), Some(0), "{tail}");
    assert!(tail.contains("the ledger changed while the event waited (head 38 → 39)"), "{tail}");
    assert!(tail.contains("appended event 40"), "{tail}");
    assert_eq!(s.head().0, 40);

    // A head that moved in a way that breaks the rule refuses the event when it is appended.
    let mut asked = spawn("amend UK/GIM0047 --effective 2026-03-01 --add-alias 'N. SEFEROVIC' --reason 'variation'");
    let mut rest = wait_for_prompt(&mut asked);
    s.run(&["delist", "UK/GIM0047", "--effective", "2026-02-01", "--reason", "revoked", "--yes"]).expect(0);
    asked.stdin.take().expect("stdin").write_all(b"y\n").expect("answer");
    let mut tail = String::new();
    rest.read_to_string(&mut tail).expect("read");
    // `script` passes on the command's exit code.
    assert_eq!(asked.wait().expect("wait").code(), Some(65), "{tail}");
    assert!(tail.contains("nothing was written"), "{tail}");
    assert_eq!(s.head().0, 41);
}

/// The message of a held lock says how to wait for it.
#[test]
fn locked_ledger_message_mentions_wait() {
    let s = Sandbox::gim();
    let lock = File::options().write(true).open(s.ledger.join("ledger.lock")).expect("open the lock file");
    lock.try_lock().expect("take the lock");
    let r = s.run(&["head"]).expect(75);
    assert!(r.stderr.contains("--wait SECONDS"), "{}", r.stderr);
    drop(lock);
    s.run(&["head"]).expect(0);
}
