//! Stores and bundles of an earlier layout: a store of layout 2 is refused with the way forward,
//! and a bundle that layout's build exported (its checkpoint of the BLAKE3 tree) verifies and
//! restores into a ledger of the RFC 6962 tree.

use ledger_tests::{Sandbox, repo_file};

fn fixture(name: &str) -> String {
    repo_file(&format!("tests/fixtures/layout2/{name}")).to_str().expect("utf-8").to_owned()
}

fn public_key() -> String {
    std::fs::read_to_string(fixture("l2.pub")).expect("the key").trim().to_owned()
}

#[test]
fn a_store_of_layout_2_is_refused_with_the_way_to_this_layout() {
    let s = Sandbox::gim();
    {
        let db = sled::open(&s.ledger).expect("sled opens the store");
        db.insert(b"m/layout", &2u32.to_be_bytes()).expect("write");
        db.flush().expect("flush");
    }
    for args in [&["head"][..], &["verify"], &["show", "UK/GIM0030"], &["append", "-"]] {
        let r = s.run(args);
        assert_eq!(r.code, 66, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("layout 2") && r.stderr.contains("layout 3"), "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("ledger export") && r.stderr.contains("ledger import-bundle"), "{}", r.stderr);
    }
}

#[test]
fn a_bundle_of_layout_2_verifies_and_restores_into_the_rfc_6962_tree() {
    let s = Sandbox::new();
    let (bundle, key) = (fixture("gim.bundle"), public_key());
    let r = s.run(&["verify-bundle", &bundle, "--key", &key]).expect(0);
    assert!(r.stdout.starts_with("ok: 39 events of `example.org/uk-gim`"), "{}", r.stdout);
    assert!(r.stdout.contains("BLAKE3 tree of store layout 2"), "{}", r.stdout);
    let v = s.run(&["--format", "json", "verify-bundle", &bundle, "--key", &key]).expect(0).json();
    assert_eq!(v["tree"], "layout2-blake3", "{v}");
    // The older checkpoint it extends is of that tree too.
    let v = s
        .run(&["--format", "json", "verify-bundle", &bundle, "--key", &key, "--checkpoint", &fixture("gim.checkpoint")])
        .expect(0)
        .json();
    assert_eq!(v["extends"], 39, "{v}");
    // Restored, the ledger has the RFC 6962 tree: it verifies, and its checkpoint's root is new.
    let r = s.run(&["import-bundle", &bundle, "--key", &key]).expect(0);
    assert!(r.stdout.contains("RFC 6962"), "{}", r.stdout);
    s.run(&["verify"]).expect(0);
    let old = std::fs::read_to_string(fixture("gim.checkpoint")).expect("the checkpoint");
    let old_root = old.lines().nth(2).expect("a root line");
    let cp = s.run(&["--format", "json", "checkpoint"]).expect(0).json();
    assert_eq!(cp["size"], 39);
    let new_root = cp["note"].as_str().expect("the note").lines().nth(2).expect("a root line").to_owned();
    assert_ne!(new_root, old_root, "the restored ledger's tree is another tree");
    // The restored ledger holds the same events: the same head as the bundle's checkpoint names.
    let head = old.lines().nth(3).expect("the head line");
    assert_eq!(format!("head {} {}", s.head().0, s.head().1), head);
    // Its own export is of the new tree, and the independent verifier agrees.
    let again = s.dir.path().join("again.bundle").to_str().expect("utf-8").to_owned();
    s.run(&["export", &again]).expect(0);
    let v = s.run(&["--format", "json", "verify-bundle", &again]).expect(0).json();
    assert_eq!(v["tree"], "rfc6962-sha256", "{v}");
}

#[test]
fn a_layout_2_bundle_whose_checkpoint_root_is_neither_tree_is_refused() {
    let s = Sandbox::new();
    let text = std::fs::read_to_string(fixture("gim.bundle")).expect("the bundle");
    let old = std::fs::read_to_string(fixture("gim.checkpoint")).expect("the checkpoint");
    let root = old.lines().nth(2).expect("a root line");
    let other = match root.strip_prefix('A') {
        Some(rest) => format!("B{rest}"),
        None => format!("A{}", &root[1..]),
    };
    let forged = s.file("forged.bundle", text.replace(root, &other).as_bytes());
    let r = s.run(&["verify-bundle", &forged]).expect(1);
    assert!(r.stderr.contains("make the Merkle root"), "{}", r.stderr);
}
