//! A full disk and a read-only file system, on small tmpfs mounts of the test's own (they need
//! root, as CI runs; elsewhere the tests say they cannot run, except in CI, where they must).

use std::path::{Path, PathBuf};
use std::process::Command;

use ledger_tests::{Sandbox, designations};

/// A tmpfs mounted for one test, unmounted when dropped.
struct Mount(PathBuf);

impl Mount {
    fn new(dir: &Path, size: &str) -> Option<Mount> {
        let at = dir.join("mnt");
        std::fs::create_dir_all(&at).expect("mkdir");
        let ok = Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"]).arg(&at).status();
        match ok {
            Ok(s) if s.success() => Some(Mount(at)),
            other => {
                assert!(std::env::var_os("CI").is_none(), "CI must be able to mount a tmpfs for this test: {other:?}");
                eprintln!("cannot mount a tmpfs here ({other:?}): this test needs root");
                None
            }
        }
    }

    fn remount_read_only(&self) {
        let s = Command::new("mount").args(["-o", "remount,ro"]).arg(&self.0).status().expect("mount");
        assert!(s.success(), "remount read-only");
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// The sandbox's commands, on a ledger inside the mount.
fn on(s: &Sandbox, ledger: &Path, args: &[&str]) -> ledger_tests::Run {
    let mut c = s.command(args);
    c.arg("--ledger").arg(ledger);
    let o = c.output().expect("run");
    ledger_tests::Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

#[test]
fn a_full_disk_refuses_the_batch_and_writes_nothing() {
    let s = Sandbox::new();
    let Some(m) = Mount::new(s.dir.path(), "3m") else { return };
    let ledger = m.0.join("l.sled");
    on(&s, &ledger, &["init"]).expect(0);
    let big = s.file("big.jsonl", designations("BIG", 20_000).as_bytes());
    let r = on(&s, &ledger, &["append", &big]).expect(74);
    assert!(r.stderr.contains("not enough free space") && r.stderr.contains("nothing was written"), "{}", r.stderr);
    let v = on(&s, &ledger, &["verify", "--format", "json"]).expect(0).json();
    assert_eq!(v["checked"], 1, "only the genesis event");
    // What fits still goes in.
    let small = s.file("small.jsonl", designations("SMALL", 100).as_bytes());
    on(&s, &ledger, &["append", &small]).expect(0);
    on(&s, &ledger, &["verify"]).expect(0);
}

#[test]
fn a_read_only_file_system_is_a_clear_error() {
    let s = Sandbox::new();
    let Some(m) = Mount::new(s.dir.path(), "8m") else { return };
    let ledger = m.0.join("l.sled");
    on(&s, &ledger, &["init"]).expect(0);
    let small = s.file("small.jsonl", designations("RO", 10).as_bytes());
    on(&s, &ledger, &["append", &small]).expect(0);
    m.remount_read_only();
    for args in [&["append", small.as_str()][..], &["head"], &["verify"]] {
        let r = on(&s, &ledger, args).expect(74);
        let first = r.stderr.lines().next().unwrap_or_default();
        assert!(first.contains("Read-only file system") && first.contains("must be writable"), "{args:?}: {first}");
    }
}
