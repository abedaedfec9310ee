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

/// RFC 6962's definitions, written here from the document (not the ledger's code): the leaf of an
/// entry and the root of a list of leaves.
fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

fn mth(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves.len() {
        0 => sha256(&[]),
        1 => leaves[0],
        n => {
            let k = 1 << (usize::BITS - 1 - (n - 1).leading_zeros());
            sha256(&[&[1], &mth(&leaves[..k]), &mth(&leaves[k..])])
        }
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
    // Each entry is its vector's event in canonical form, hash included.
    let entries: Vec<&str> =
        v["entries"].as_array().expect("entries").iter().map(|e| e.as_str().expect("text")).collect();
    let events = vectors();
    assert_eq!(entries.len(), events.len(), "an entry per vector");
    for (entry, vector) in entries.iter().zip(&events) {
        let event: Value = serde_json::from_str(&vector.event).expect("json");
        let canonical = ledger_core::canonical::to_vec(&event).expect("canonical");
        assert_eq!(entry.as_bytes(), &canonical[..], "{}: its entry", vector.title);
    }
    let leaves: Vec<[u8; 32]> = entries.iter().map(|e| sha256(&[&[0], e.as_bytes()])).collect();
    let stated: Vec<Hash> = v["leaves"].as_array().expect("leaves").iter().map(hash).collect();
    assert_eq!(stated, leaves.iter().map(|l| Hash(*l)).collect::<Vec<_>>(), "the leaves");
    let mut tree = Leaves::new(stated.clone());
    let roots = v["roots"].as_object().expect("roots");
    assert_eq!(roots.len(), entries.len());
    for (n, root) in roots {
        let n: usize = n.parse().expect("a size");
        assert_eq!(Hash(mth(&leaves[..n])), hash(root), "root of {n}, by the definition");
        assert_eq!(merkle::root(&mut tree, n as u64).expect("root"), hash(root), "root of {n}, by the ledger");
    }
    let path = |v: &Value| v["path"].as_array().expect("path").iter().map(hash).collect::<Vec<_>>();
    let inc = &v["inclusion"];
    let (seq, size) = (inc["seq"].as_u64().expect("seq"), inc["size"].as_u64().expect("size"));
    assert_eq!(merkle::inclusion_path(&mut tree, seq, size).expect("path"), path(inc));
    let root = hash(&roots[&size.to_string()]);
    assert!(merkle::verify_inclusion(seq, size, &stated[seq as usize], &path(inc), &root));
    let con = &v["consistency"];
    let (old, size) = (con["old_size"].as_u64().expect("old"), con["size"].as_u64().expect("size"));
    assert_eq!(merkle::consistency_path(&mut tree, old, size).expect("path"), path(con));
    let (old_root, root) = (hash(&roots[&old.to_string()]), hash(&roots[&size.to_string()]));
    assert!(merkle::verify_consistency(old, size, &old_root, &root, &path(con)));
}

/// The JSON block of the section under `heading`.
fn json_block(heading: &str) -> Value {
    let doc = std::fs::read_to_string(repo_file("docs/FORMAT.md")).expect("docs/FORMAT.md");
    let section = doc.split(&format!("\n### {heading}")).nth(1).unwrap_or_else(|| panic!("no section {heading}"));
    let start = section.find("```json\n").expect("a json block") + 8;
    serde_json::from_str(&section[start..start + section[start..].find("```").expect("end")]).expect("json")
}

#[test]
fn the_published_log_vector_holds() {
    let tree = json_block("Tree vector");
    let v = json_block("Published log vector");
    let entries: Vec<&str> =
        tree["entries"].as_array().expect("entries").iter().map(|e| e.as_str().expect("text")).collect();
    // The level-0 tile: each leaf, 32 bytes, in order.
    let tile: String = entries.iter().flat_map(|e| sha256(&[&[0], e.as_bytes()])).map(|b| format!("{b:02x}")).collect();
    assert_eq!(v["tile/0/000.p/4"], Value::String(tile), "the level-0 tile");
    // The entry bundle: a big-endian uint16 length before each entry.
    let mut bundle = Vec::new();
    for e in &entries {
        bundle.extend_from_slice(&u16::try_from(e.len()).expect("short").to_be_bytes());
        bundle.extend_from_slice(e.as_bytes());
    }
    let b = &v["tile/entries/000.p/4"];
    assert_eq!(b["bytes"], bundle.len());
    let lengths: Vec<usize> = entries.iter().map(|e| e.len()).collect();
    assert_eq!(b["entry_lengths"], serde_json::json!(lengths));
    let first: String = bundle[..8].iter().map(|x| format!("{x:02x}")).collect();
    assert_eq!(b["first_bytes"], Value::String(first));
    let digest: String = sha256(&[&bundle]).iter().map(|x| format!("{x:02x}")).collect();
    assert_eq!(b["sha256"], Value::String(digest));
    assert_eq!(ledger_core::tlog::read_entries(&bundle, 4).expect("the ledger reads it").len(), 4);
    // The checkpoint's body: origin, size, the tree's root in base64, the head.
    let root = ledger_core::chain::Hash::from_hex(tree["roots"]["4"].as_str().expect("a root")).expect("hex");
    let cp = ledger_core::checkpoint::Checkpoint {
        origin: "example.org/gim-ledger".into(),
        size: 4,
        root,
        extensions: vec![ledger_core::checkpoint::Checkpoint::head_extension(
            ledger_core::seq::Seq::new(3),
            &ledger_core::chain::Hash::from_hex(&vectors()[3].hash).expect("hex"),
        )],
    };
    assert_eq!(v["checkpoint_body"], Value::String(cp.body()));
    for (n, path) in v["paths"].as_object().expect("paths") {
        assert_eq!(ledger_core::tlog::encode_index(n.parse().expect("a number")), path.as_str().expect("text"), "{n}");
    }
}

/// The value of the list item `- label: VALUE` in `section`.
fn labelled<'a>(section: &'a str, label: &str) -> &'a str {
    section
        .lines()
        .find_map(|l| l.strip_prefix("- ")?.strip_prefix(label)?.strip_prefix(": "))
        .unwrap_or_else(|| panic!("no `{label}:` line"))
        .trim()
}

/// The cosignature vector, recomputed from the document with sha2 and ed25519-dalek (C2SP
/// tlog-cosignature as FORMAT.md words it), then read back through the ledger's own parser.
#[test]
fn the_cosignature_vector_holds() {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD as B64;
    use ed25519_dalek::{Signer, Verifier};
    let doc = std::fs::read_to_string(repo_file("docs/FORMAT.md")).expect("docs/FORMAT.md");
    let section = doc.split("\n### Cosignature vector").nth(1).expect("a cosignature vector");
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let seed_hex = labelled(section, "witness seed (hex)");
    let seed: Vec<u8> =
        (0..seed_hex.len()).step_by(2).map(|i| u8::from_str_radix(&seed_hex[i..i + 2], 16).expect("hex")).collect();
    let seed: [u8; 32] = seed.try_into().expect("a 32-byte seed");
    let name = labelled(section, "witness name");
    let timestamp: u64 = labelled(section, "timestamp").parse().expect("a number");
    let start = section.find("```text\n").expect("the checkpoint's body") + 8;
    let body = &section[start..start + section[start..].find("```").expect("end")];
    assert!(body.ends_with('\n') && !body.contains("\n\n"), "the body's lines each end in a line feed");

    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    let public = key.verifying_key();
    let id = sha256(&[name.as_bytes(), b"\n", &[0x04], public.as_bytes()]);
    assert_eq!(labelled(section, "key ID"), id[..4].iter().map(|b| format!("{b:02x}")).collect::<String>());
    let verifier =
        format!("{name}+{}+{}", labelled(section, "key ID"), B64.encode([&[0x04][..], public.as_bytes()].concat()));
    assert_eq!(labelled(section, "verifier key"), verifier);
    let message = format!("cosignature/v1\ntime {timestamp}\n{body}");
    let signature = key.sign(message.as_bytes());
    let blob = [&id[..4], &timestamp.to_be_bytes()[..], &signature.to_bytes()[..]].concat();
    assert_eq!(blob.len(), 76);
    let line = format!("\u{2014} {name} {}", B64.encode(&blob));
    assert_eq!(labelled(section, "cosignature line"), line);
    public.verify(message.as_bytes(), &signature).expect("the signature verifies");

    // The ledger reads the same key and line, and finds the cosignature valid at that time.
    let note = format!("{body}\n{line}\n");
    let (cp, sigs) = ledger_core::checkpoint::Checkpoint::parse(&note).expect("a note");
    let v = ledger_core::checkpoint::VerifierKey::parse(&verifier).expect("the verifier key");
    assert_eq!(v.verified(&cp, &sigs), Ok(Some(timestamp)));
}

#[test]
fn the_key_map_vector_holds() {
    use ledger_core::keymap::{Commitment, MapEntry, MapProof, ProvenEntry};
    let v = json_block("Key map vector");
    let hex = |s: &Value| -> Vec<u8> {
        let s = s.as_str().expect("hex");
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
    };
    let hash = |s: &Value| ledger_core::chain::Hash(hex(s).try_into().expect("32 bytes"));
    // The entries, by the definitions: the key's hash, the count, the seqs; sorted by the hash.
    let keys = v["keys"].as_object().expect("keys");
    let mut expected: Vec<(Vec<u8>, Vec<u8>)> = keys
        .iter()
        .map(|(k, seqs)| {
            let kh = sha256(&[&[2], k.as_bytes()]).to_vec();
            let seqs: Vec<u64> = seqs.as_array().expect("seqs").iter().map(|s| s.as_u64().expect("a seq")).collect();
            let mut entry = kh.clone();
            entry.extend_from_slice(&(seqs.len() as u32).to_be_bytes());
            for s in seqs {
                entry.extend_from_slice(&s.to_be_bytes());
            }
            (kh, entry)
        })
        .collect();
    expected.sort();
    let stated = v["entries_in_order"].as_array().expect("entries");
    assert_eq!(stated.len(), expected.len());
    let mut leaves = Vec::new();
    for (s, (kh, entry)) in stated.iter().zip(&expected) {
        assert_eq!((hex(&s["key_hash"]), hex(&s["entry"])), (kh.clone(), entry.clone()), "{s}");
        let leaf = sha256(&[&[0], entry]);
        assert_eq!(hex(&s["leaf"]), leaf.to_vec());
        leaves.push(leaf);
    }
    let root = mth(&leaves);
    assert_eq!(hex(&v["root"]), root.to_vec());
    let b64 = ledger_core::checkpoint::Checkpoint::keys_extension(leaves.len() as u64, &ledger_core::chain::Hash(root));
    assert_eq!(v["checkpoint_line"], Value::String(b64));
    // The proofs check through the ledger's verifier.
    let c = Commitment { keys: leaves.len() as u64, root: ledger_core::chain::Hash(root) };
    let proven = |p: &Value, key: Option<&str>| -> ProvenEntry {
        let index = p["index"].as_u64().expect("an index");
        let key = key.unwrap_or_else(|| stated[index as usize]["key"].as_str().expect("a key"));
        let seqs = keys[key].as_array().expect("seqs").iter().map(|s| s.as_u64().expect("seq")).collect();
        let entry = MapEntry { key_hash: ledger_core::keymap::key_hash(key), seqs };
        ProvenEntry { index, entry, path: p["path"].as_array().expect("path").iter().map(hash).collect() }
    };
    let present = &v["present"];
    let key = present["key"].as_str().expect("a key");
    let p = MapProof::Present(proven(present, Some(key)));
    assert_eq!(p.verify(key, &c).expect("it holds"), vec![5, 9]);
    let absent = &v["absent"];
    let key = absent["key"].as_str().expect("a key");
    let side = |s: &Value| (!s.is_null()).then(|| proven(s, None));
    let p = MapProof::Absent { before: side(&absent["before"]), after: side(&absent["after"]) };
    assert_eq!(p.verify(key, &c).expect("it holds"), Vec::<u64>::new());
    assert!(p.verify("UK/GIM0030", &c).is_err(), "not a proof that a held key is absent");
}
