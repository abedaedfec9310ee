//! Every auditor's command's `--format json` output validates against its schema in schemas/, on a
//! real ledger: the checkpoint, its check, both kinds of proof and their checks, an export, a
//! bundle's check and a restore.

use serde_json::Value;

use ledger_tests::{Audited, repo_file};

fn errors(schema: &str, instance: &Value) -> Vec<String> {
    let text = std::fs::read_to_string(repo_file(&format!("schemas/{schema}"))).expect("read schema");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    let v = jsonschema::validator_for(&schema).expect("a valid schema");
    v.iter_errors(instance).map(|e| format!("{e} at {}", e.instance_path())).collect()
}

/// The schema files of the auditors' answers, each checked below on a real answer (the table in
/// `schemas.rs` holds every other command's).
pub const AUDIT_SCHEMAS: &[&str] = &[
    "checkpoint.schema.json",
    "verify-checkpoint.schema.json",
    "proof.schema.json",
    "verify-proof.schema.json",
    "export.schema.json",
    "verify-bundle.schema.json",
    "import-bundle.schema.json",
    "publish.schema.json",
];

#[test]
fn every_auditors_json_output_validates_against_its_schema() {
    let a = Audited::new(true);
    let s = &a.s;
    let inclusion = s.run(&["prove", "2"]).expect(0).stdout;
    let inclusion_file = s.file("inclusion.json", inclusion.as_bytes());
    let consistency = s.run(&["prove", "--consistency", "3"]).expect(0).stdout;
    let consistency_file = s.file("consistency.json", consistency.as_bytes());
    let restored = a.path("restored.sled");
    let export = a.path("again.bundle");
    let published = a.path("log");
    let rows: Vec<(&str, Vec<&str>)> = vec![
        ("checkpoint.schema.json", vec!["checkpoint", "--sign", &a.key]),
        ("verify.schema.json", vec!["verify", "--checkpoint", &a.checkpoint, "--key", &a.public]),
        ("proof.schema.json", vec!["prove", "5"]),
        ("proof.schema.json", vec!["prove", "--consistency", "3"]),
        ("verify-proof.schema.json", vec!["verify-proof", &inclusion_file]),
        (
            "verify-proof.schema.json",
            vec!["verify-proof", &inclusion_file, "--checkpoint", &a.checkpoint, "--key", &a.public],
        ),
        ("verify-proof.schema.json", vec!["verify-proof", &consistency_file, "--checkpoint", &a.checkpoint]),
        ("export.schema.json", vec!["export", &export]),
        ("verify-bundle.schema.json", vec!["verify-bundle", &a.bundle, "--key", &a.public]),
        ("verify-bundle.schema.json", vec!["verify-bundle", &a.bundle]),
        ("publish.schema.json", vec!["publish", &published, "--sign", &a.key]),
        ("publish.schema.json", vec!["publish", &published, "--sign", &a.key]),
    ];
    let mut checked = vec!["import-bundle.schema.json"];
    for (schema, args) in rows {
        let args = [&["--format", "json"][..], &args].concat();
        let out = s.run(&args).expect(0).json();
        assert_eq!(errors(schema, &out), Vec::<String>::new(), "{args:?}: {out}");
        if schema == "verify.schema.json" {
            // `verify --checkpoint` is one answer, the checkpoint's check in it.
            assert_eq!(errors("verify-checkpoint.schema.json", &out["checkpoint"]), Vec::<String>::new(), "{out}");
            assert_eq!(out["checkpoint"]["signature_checked"], true, "{out}");
            checked.push("verify-checkpoint.schema.json");
        } else {
            checked.push(schema);
        }
    }
    checked.sort_unstable();
    checked.dedup();
    let mut listed = AUDIT_SCHEMAS.to_vec();
    listed.sort_unstable();
    assert_eq!(checked, listed, "every auditor's schema is checked on a real answer");
    let out = a.run_on(&restored, &["--format", "json", "import-bundle", &a.bundle]).expect(0).json();
    assert_eq!(errors("import-bundle.schema.json", &out), Vec::<String>::new(), "import-bundle: {out}");
    // The schema is not a formality: a proof without its path does not validate.
    let mut proof: Value = serde_json::from_str(&inclusion).expect("a proof");
    proof.as_object_mut().expect("an object").remove("path");
    assert!(!errors("proof.schema.json", &proof).is_empty());
}

#[test]
fn a_proof_answer_says_in_json_what_it_was_not_checked_against() {
    let a = Audited::new(false);
    let proof = a.s.run(&["prove", "--consistency", "3"]).expect(0).stdout;
    let file = a.s.file("consistency.json", proof.as_bytes());
    let v = a.s.run(&["--format", "json", "verify-proof", &file, "--checkpoint", &a.checkpoint]).expect(0).json();
    assert_eq!(v["checked_against"], serde_json::json!(["the checkpoint's root"]));
    assert_eq!(
        v["not_checked"],
        serde_json::json!([
            "the older root is the proof's own: no --old-checkpoint given",
            "signature not checked: no --key given"
        ])
    );
    assert_eq!((v["anchored"].clone(), v["old_anchored"].clone()), (true.into(), false.into()));
}

/// A checkpoint the ledger does not extend fails `verify --checkpoint` (exit 1), after the
/// verification's own answer, which is printed all the same: in JSON, with `checkpoint` null.
#[test]
fn a_failed_checkpoint_check_follows_the_verification_answer() {
    let a = Audited::new(false);
    let note = std::fs::read_to_string(&a.checkpoint).expect("the checkpoint");
    let mut lines: Vec<String> = note.lines().map(str::to_owned).collect();
    // The root line (origin, size, root): another root of the same size.
    let root = &mut lines[2];
    let first = if root.starts_with('A') { "B" } else { "A" };
    root.replace_range(0..1, first);
    let forged = a.s.file("forged.checkpoint", (lines.join("\n") + "\n").as_bytes());
    let r = a.s.run(&["verify", "--checkpoint", &forged]).expect(1);
    assert!(r.stdout.starts_with("ok: 39 events verified"), "{}", r.stdout);
    assert!(r.stderr.contains("history was rewritten"), "{}", r.stderr);
    let r = a.s.run(&["--format", "json", "verify", "--checkpoint", &forged]).expect(1);
    let v = r.json();
    assert_eq!((v["ok"].clone(), v["checkpoint"].clone()), (true.into(), Value::Null), "{v}");
}

/// A proof's `leaf_hash` may be left out (the check derives it from the entry), and one that
/// gives a wrong one is refused; a proof without its entry holds by its leaf hash alone, and
/// says that the event itself was not checked; one with neither is refused.
#[test]
fn a_proofs_leaf_hash_is_optional_and_checked_when_given() {
    let a = Audited::new(false);
    let proof: Value = serde_json::from_str(&a.s.run(&["prove", "2"]).expect(0).stdout).expect("a proof");
    let mut without = proof.clone();
    without.as_object_mut().expect("an object").remove("leaf_hash");
    let file = a.s.file("without.json", without.to_string().as_bytes());
    a.s.run(&["verify-proof", &file, "--checkpoint", &a.checkpoint]).expect(0);
    let mut wrong = proof.clone();
    wrong["leaf_hash"] = proof["event_hash"].clone();
    let file = a.s.file("wrong.json", wrong.to_string().as_bytes());
    let r = a.s.run(&["verify-proof", &file, "--checkpoint", &a.checkpoint]).expect(1);
    assert!(r.stderr.contains("is not the leaf of its entry"), "{}", r.stderr);
    let mut leaf_only = proof.clone();
    leaf_only.as_object_mut().expect("an object").remove("entry");
    let file = a.s.file("leaf-only.json", leaf_only.to_string().as_bytes());
    let v = a.s.run(&["--format", "json", "verify-proof", &file, "--checkpoint", &a.checkpoint]).expect(0).json();
    let unchecked = v["not_checked"].to_string();
    assert!(unchecked.contains("the event itself not checked"), "{v}");
    leaf_only.as_object_mut().expect("an object").remove("leaf_hash");
    let file = a.s.file("neither.json", leaf_only.to_string().as_bytes());
    let r = a.s.run(&["verify-proof", &file, "--checkpoint", &a.checkpoint]).expect(1);
    assert!(r.stderr.contains("neither the event's entry nor its leaf hash"), "{}", r.stderr);
}
