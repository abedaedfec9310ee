//! One process at a time: a second gets exit 75 and a clear message.

use std::process::Stdio;

use ledger_tests::{Sandbox, designations};

#[test]
fn two_appends_started_together_one_wins_one_exits_75() {
    let s = Sandbox::init();
    // Large batches keep the winner inside its locked section (validate, write, flush) long
    // enough for the other to meet the lock.
    let a = s.file("a.jsonl", designations("AAA", 20_000).as_bytes());
    let b = s.file("b.jsonl", designations("BBB", 20_000).as_bytes());
    let spawn =
        |f: &str| s.command(&["append", f]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let (pa, pb) = (spawn(&a), spawn(&b));
    let (ra, rb) = (pa.wait_with_output().expect("wait"), pb.wait_with_output().expect("wait"));
    let mut codes = [ra.status.code(), rb.status.code()];
    codes.sort();
    assert_eq!(codes, [Some(0), Some(75)], "a: {:?}\nb: {:?}", ra, rb);
    let loser = if ra.status.code() == Some(75) { &ra } else { &rb };
    let msg = String::from_utf8_lossy(&loser.stderr);
    assert!(msg.contains("in use by another process") && msg.contains("ledger.sled"), "{msg}");
    s.run(&["verify"]).expect(0);
    assert_eq!(s.head().0, 20_000, "exactly one batch landed");
}

#[test]
fn a_reader_meets_the_lock_too() {
    let s = Sandbox::init();
    let big = s.file("big.jsonl", designations("CCC", 30_000).as_bytes());
    let mut writer = s
        .command(&["--wait", "60", "append", &big])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    // Poll until the writer holds the lock (or has finished). The writer waits out a reader that
    // holds the lock at the moment it tries; the readers do not wait.
    let mut saw_lock = false;
    for _ in 0..2000 {
        let r = s.run(&["head"]);
        if r.code == 75 {
            assert!(r.stderr.contains("in use by another process"), "{}", r.stderr);
            saw_lock = true;
            break;
        }
        if writer.try_wait().expect("poll").is_some() {
            break;
        }
    }
    assert!(writer.wait().expect("wait").success());
    assert!(saw_lock, "a reader never met the writer's lock");
    s.run(&["verify"]).expect(0);
}
