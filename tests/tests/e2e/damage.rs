//! Damaged stores: parts of sled's files truncated or overwritten, in a copy. Every command either
//! still answers from what is intact (verify passing proves it is) or reports that the store at
//! PATH is damaged with exit 76; none panics or hangs.

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ledger_tests::{Sandbox, copy_dir, designations, ledger_bin};

/// Runs `ledger --ledger PATH ARGS` with a deadline; (exit code, stderr), or a panic if it hangs.
fn run(ledger: &Path, args: &[&str]) -> (i32, String) {
    let mut child = Command::new(ledger_bin())
        .arg("--ledger")
        .arg(ledger)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err).expect("read");
            return (status.code().unwrap_or(-1), err);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("`ledger {args:?}` hung on a damaged store");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % n.max(1)
    }
}

/// The commands an operator, an auditor and a reviewer would run.
const COMMANDS: &[&[&str]] = &[
    &["head"],
    &["verify"],
    &["log", "--from", "100", "--limit", "5"],
    &["state", "--count"],
    &["state", "--format", "json"],
    &["show", "UK/DMG000777"],
    &["history", "UK/DMG000777"],
    &["search", "Person DMG 777"],
    &["checkpoint"],
    &["export", "-"],
];

#[test]
fn every_command_on_a_damaged_copy_answers_or_says_damaged() {
    let s = Sandbox::init();
    for part in 0..3 {
        s.run_stdin(&["append", "-"], designations(&format!("DM{part}"), 2000).as_bytes()).expect(0);
    }
    s.run_stdin(&["append", "-"], designations("DMG", 1000).as_bytes()).expect(0);
    let head = s.head();
    let mut rng = Rng(20_261_125);
    let (mut detected, mut intact) = (0, 0);
    for trial in 0..24 {
        let copy = s.dir.path().join(format!("copy-{trial}.sled"));
        copy_dir(&s.ledger, &copy);
        let db = copy.join("db");
        let size = std::fs::metadata(&db).expect("db").len();
        let mode = trial % 4;
        match mode {
            0 => {
                let f = std::fs::OpenOptions::new().write(true).open(&db).expect("open");
                f.set_len(rng.below(size)).expect("truncate");
            }
            1 | 2 => {
                let mut f = std::fs::OpenOptions::new().write(true).open(&db).expect("open");
                f.seek(SeekFrom::Start(rng.below(size))).expect("seek");
                let len = [1, 64, 4096, 65536][rng.below(4) as usize];
                let bytes: Vec<u8> = (0..len).map(|_| if mode == 1 { rng.below(256) as u8 } else { 0 }).collect();
                f.write_all(&bytes).expect("overwrite");
            }
            _ => {
                // The snapshot sled keeps beside its log, or the log itself, gone.
                let snap = std::fs::read_dir(&copy)
                    .expect("dir")
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("snap.")));
                match snap {
                    Some(p) if trial % 8 == 3 => std::fs::write(p, b"not a snapshot").expect("overwrite"),
                    _ => std::fs::remove_file(&db).expect("remove"),
                }
            }
        }
        let (verify_code, _) = run(&copy, &["verify"]);
        for args in COMMANDS {
            let (code, err) = run(&copy, args);
            let what = format!("trial {trial} (mode {mode}), `ledger {}`", args.join(" "));
            assert!([0, 1, 76].contains(&code), "{what}: exit {code}: {err}");
            if code == 76 {
                assert!(err.contains("is damaged") && err.contains(&copy.display().to_string()), "{what}: {err}");
                assert!(err.contains("import-bundle"), "{what}: the message says how to recover: {err}");
            }
            if code == 1 {
                assert!(*args == ["verify"] || args[0] == "search", "{what}: exit 1: {err}");
            }
            if verify_code == 0 {
                assert_eq!(code, 0, "{what}: verify passes, so the ledger is intact: {err}");
            }
        }
        if verify_code == 0 {
            intact += 1;
            let (code, _) = run(&copy, &["head"]);
            assert_eq!(code, 0);
        } else {
            detected += 1;
        }
    }
    eprintln!("damage: {detected} of 24 copies reported damaged, {intact} intact (head {})", head.0);
    assert!(detected >= 12, "most damage must be detected: {detected} of 24");
}
