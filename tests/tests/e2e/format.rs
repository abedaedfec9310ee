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
