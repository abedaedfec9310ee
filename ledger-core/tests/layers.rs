//! The layering, read from the sources: no two modules of the core depend on each other (directly or
//! through others), and only the store module knows sled.
//!
//! A module is a file or directory directly under `src/`; it depends on another when its code
//! names it through `crate::` (a `use` or a path). Comments, string literals and the unit tests
//! at the end of a file (`#[cfg(test)] mod tests`, which may use anything) are not read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every source file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("the source directory reads") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a source file: without comments, string and character literals, and without its
/// unit-test module.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'r' if matches!(b.get(i + 1), Some(b'#' | b'"')) && !is_ident(b.get(i.wrapping_sub(1))) => {
                // A raw string: r"…", r#"…"#, …
                let hashes = b[i + 1..].iter().take_while(|c| **c == b'#').count();
                if b.get(i + 1 + hashes) != Some(&b'"') {
                    out.push('r');
                    i += 1;
                    continue;
                }
                let end: String = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
                let start = i + 2 + hashes;
                i = text[start..].find(&end).map_or(b.len(), |j| start + j + end.len());
                out.push_str("\"\"");
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            b'\'' if b.get(i + 1) == Some(&b'\\') => {
                // An escaped character literal: '\n', '\'', '\u{..}'.
                i += 2;
                while i < b.len() && b[i] != b'\'' {
                    i += 1;
                }
                i += 1;
                out.push_str("' '");
            }
            b'\'' if b.get(i + 2) == Some(&b'\'') => {
                i += 3;
                out.push_str("' '");
            }
            c => {
                // Multi-byte characters are copied whole.
                let len = utf8_len(c);
                out.push_str(&text[i..i + len]);
                i += len;
            }
        }
    }
    out
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xf0.. => 4,
        0xe0.. => 3,
        0xc0.. => 2,
        _ => 1,
    }
}

fn is_ident(c: Option<&u8>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// The modules a file's code names through `crate::`, including those in `use crate::{a, b::c}`.
fn dependencies(code: &str) -> BTreeSet<String> {
    let mut deps = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let rest = rest.trim_start();
        if let Some(group) = rest.strip_prefix('{') {
            // The first segment of each path in the group, at the group's top level.
            let mut depth = 0;
            let mut segment_start = true;
            let mut name = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        if !name.is_empty() {
                            deps.insert(std::mem::take(&mut name));
                        }
                        segment_start = true;
                    }
                    c if segment_start && depth == 0 && (c.is_alphanumeric() || c == '_') => name.push(c),
                    _ if segment_start && !name.is_empty() => {
                        deps.insert(std::mem::take(&mut name));
                        segment_start = false;
                    }
                    _ => {}
                }
            }
            if !name.is_empty() {
                deps.insert(name);
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                deps.insert(name);
            }
        }
    }
    deps
}

/// The core's modules, each with the code of its files.
fn modules() -> BTreeMap<String, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut modules: BTreeMap<String, String> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).expect("under src");
        let first = relative.components().next().expect("a file name").as_os_str().to_string_lossy().into_owned();
        let module = first.strip_suffix(".rs").unwrap_or(&first).to_owned();
        if module == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("a source file reads");
        modules.entry(module).or_default().push_str(&code(&text));
    }
    modules
}

/// A cycle in the graph, as the modules along it (the first repeated at the end).
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let from = path.iter().position(|n| n == node).unwrap_or(0);
                let mut cycle = path[from..].to_vec();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(node.to_owned(), Mark::Open);
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, marks, path) {
                return Some(cycle);
            }
        }
        path.pop();
        marks.insert(node.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, graph, &mut marks, &mut Vec::new()) {
            return Some(cycle);
        }
    }
    None
}

fn graph(modules: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    modules
        .iter()
        .map(|(name, code)| {
            let deps = dependencies(code).into_iter().filter(|d| d != name && modules.contains_key(d)).collect();
            (name.clone(), deps)
        })
        .collect()
}

#[test]
fn no_module_of_the_core_depends_on_itself_through_others() {
    let modules = modules();
    assert!(modules.len() > 20, "the core's modules were not found: {:?}", modules.keys());
    let graph = graph(&modules);
    assert!(graph["ledger"].contains("store"), "the dependency reading misses `use crate::store::…`");
    if let Some(cycle) = find_cycle(&graph) {
        panic!("the core's modules depend on each other in a cycle: {}", cycle.join(" → "));
    }
}

#[test]
fn only_the_store_knows_sled() {
    for (name, code) in modules() {
        let names_sled = code.match_indices("sled").any(|(i, _)| {
            let b = code.as_bytes();
            !is_ident(b.get(i.wrapping_sub(1))) && !is_ident(b.get(i + 4))
        });
        assert!(name == "store" || !names_sled, "the module `{name}` names sled: only the store may");
    }
}

#[test]
fn the_reading_finds_what_it_should() {
    let code = code(
        "use crate::{a, b::{c, d}, e};\n// crate::f\nlet s = \"crate::g\"; let c = '\"'; crate::h::i();\n#[cfg(test)]\nmod tests { use crate::j; }",
    );
    let deps: Vec<String> = dependencies(&code).into_iter().collect();
    assert_eq!(deps, ["a", "b", "e", "h"]);
    let mut g = BTreeMap::new();
    g.insert("x".to_owned(), BTreeSet::from(["y".to_owned()]));
    g.insert("y".to_owned(), BTreeSet::from(["z".to_owned()]));
    g.insert("z".to_owned(), BTreeSet::from(["x".to_owned()]));
    assert_eq!(find_cycle(&g).expect("a cycle"), ["x", "y", "z", "x"]);
    g.insert("z".to_owned(), BTreeSet::new());
    assert_eq!(find_cycle(&g), None);
}

/// The code of every source file of a sibling crate of the workspace (`ledger-cli`, ...).
fn crate_code(name: &str) -> Vec<(PathBuf, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name).join("src");
    let mut files = Vec::new();
    sources(&dir, &mut files);
    assert!(!files.is_empty(), "no sources found under {}", dir.display());
    files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).expect("a source file reads");
            (f, code(&text))
        })
        .collect()
}

/// Whether `code` names `word` as a whole identifier.
fn names(code: &str, word: &str) -> bool {
    code.match_indices(word).any(|(i, _)| {
        let b = code.as_bytes();
        !is_ident(b.get(i.wrapping_sub(1))) && !is_ident(b.get(i + word.len()))
    })
}

/// The front ends are shells over the core's operations: the command line and the server build
/// no JSON by hand (every answer is a typed output of `ops`, described by a schema; the server's
/// errors and log lines are typed too), and neither they nor the importers reach below the
/// ledger's public API into the store.
#[test]
fn front_ends_build_no_json_by_hand_and_know_no_store() {
    for (file, code) in crate_code("ledger-cli").into_iter().chain(crate_code("ledger-server")) {
        let file = file.display();
        assert!(!code.contains("json!"), "{file} builds JSON by hand (`json!`): answers are typed outputs of the core");
    }
    let front_ends = [crate_code("ledger-cli"), crate_code("ledger-server"), crate_code("ledger-import")];
    for (file, code) in front_ends.into_iter().flatten() {
        let file = file.display();
        assert!(!names(&code, "sled"), "{file} names sled: only the core's store module knows it");
        for path in ["ledger_core::store", ".store()"] {
            assert!(!code.contains(path), "{file} reaches into the store (`{path}`): it uses the ledger's public API");
        }
    }
}
