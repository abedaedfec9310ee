//! docs/FORMAT.md's test vectors: each recorded event, its canonical bytes and its hash, as the
//! document states them, recomputed here from the document alone.

use ledger_tests::repo_file;
use serde_json::Value;

struct Vector {
    title: String,
    event: String,
    canonical: String,
    hash: String,
}

/// Reads the vectors: under each `### Vector` heading, a ```json block (the recorded event), a
/// ```text block (its canonical form, one line) and a line `hash: <hex>`.
fn vectors() -> Vec<Vector> {
    let doc = std::fs::read_to_string(repo_file("docs/FORMAT.md")).expect("docs/FORMAT.md");
    let mut out = Vec::new();
    for section in doc.split("\n### ").skip(1).filter(|s| s.starts_with("Vector")) {
        let title = section.lines().next().unwrap_or_default().to_owned();
        let block = |tag: &str| {
            let start = section.find(&format!("```{tag}\n")).unwrap_or_else(|| panic!("{title}: no ```{tag} block"));
            let body = &section[start + tag.len() + 4..];
            body[..body.find("```").expect("closed block")].trim_end_matches('\n').to_owned()
        };
        let hash = section
            .lines()
            .find_map(|l| l.strip_prefix("hash: "))
            .unwrap_or_else(|| panic!("{title}: no hash line"))
            .trim()
            .to_owned();
        out.push(Vector { event: block("json"), canonical: block("text"), hash, title });
    }
    out
}

#[test]
fn the_format_document_has_at_least_three_vectors_and_they_hold() {
    let vectors = vectors();
    assert!(vectors.len() >= 3, "found {} vectors", vectors.len());
    for v in vectors {
        let mut event: Value = serde_json::from_str(&v.event).unwrap_or_else(|e| panic!("{}: {e}", v.title));
        let stated = event.as_object_mut().and_then(|m| m.remove("hash")).expect("the event states its hash");
        let canonical = ledger_core::canonical::to_vec(&event).expect("canonical form");
        assert_eq!(String::from_utf8_lossy(&canonical), v.canonical, "{}: canonical bytes", v.title);
        // Recompute with blake3 directly, as an auditor would, not through the ledger's code.
        let hash = blake3::Hasher::new_derive_key("sanctions-designation-ledger v1 event")
            .update(v.canonical.as_bytes())
            .finalize()
            .to_hex()
            .to_string();
        assert_eq!(hash, v.hash, "{}: hash line", v.title);
        assert_eq!(stated, Value::String(hash), "{}: the event's own hash member", v.title);
        // And the ledger reads it as a well-formed recorded event.
        ledger_core::event::RecordedEvent::from_value(serde_json::from_str(&v.event).expect("json"), None)
            .unwrap_or_else(|e| panic!("{}: {e}", v.title));
    }
}

#[test]
fn the_tree_vector_holds() {
    use ledger_core::chain::Hash;
    use ledger_core::merkle::{self, Leaves};
    let doc = std::fs::read_to_string(repo_file("docs/FORMAT.md")).expect("docs/FORMAT.md");
    let section = doc.split("\n### Tree vector").nth(1).expect("a tree vector section");
    let start = section.find("```json\n").expect("a json block") + 8;
    let v: Value =
        serde_json::from_str(&section[start..start + section[start..].find("```").expect("end")]).expect("json");
    let hash = |v: &Value| Hash::from_hex(v.as_str().expect("a string")).expect("a hash");
    let events: Vec<Hash> = v["event_hashes"].as_array().expect("hashes").iter().map(hash).collect();
    let mut tree = Leaves::new(events.clone());
    let roots = v["roots"].as_object().expect("roots");
    assert_eq!(roots.len(), events.len());
    for (n, root) in roots {
        let n: u64 = n.parse().expect("a size");
        assert_eq!(merkle::root(&mut tree, n).expect("root"), hash(root), "root of {n}");
    }
    let path = |v: &Value| v["path"].as_array().expect("path").iter().map(hash).collect::<Vec<_>>();
    let inc = &v["inclusion"];
    let (seq, size) = (inc["seq"].as_u64().expect("seq"), inc["size"].as_u64().expect("size"));
    assert_eq!(merkle::inclusion_path(&mut tree, seq, size).expect("path"), path(inc));
    let root = hash(&roots[&size.to_string()]);
    assert!(merkle::verify_inclusion(seq, size, &merkle::leaf_hash(&events[seq as usize]), &path(inc), &root));
    let con = &v["consistency"];
    let (old, size) = (con["old_size"].as_u64().expect("old"), con["size"].as_u64().expect("size"));
    assert_eq!(merkle::consistency_path(&mut tree, old, size).expect("path"), path(con));
    let (old_root, root) = (hash(&roots[&old.to_string()]), hash(&roots[&size.to_string()]));
    assert!(merkle::verify_consistency(old, size, &old_root, &root, &path(con)));
}
