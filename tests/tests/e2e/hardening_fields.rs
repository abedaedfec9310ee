//! What a hostile user of the ledger tries with fields and output: formulas in CSV cells, control
//! characters and bidi overrides aimed at a terminal, blank reasons, measures outside the
//! vocabulary, invisible characters in ids and names, report dates and instants the schema does
//! not allow, and the smaller promises of `checkpoint`, `init` and error messages.

use ledger_tests::{Sandbox, designation, repo_file, synthetic_uk_list};
use serde_json::{Value, json};

const UK_CSV: &str = "tests/fixtures/lists/uk-gim/UK-Sanctions-List-GIM-2026-04-29.csv";

fn real_uk_csv() -> String {
    std::fs::read_to_string(repo_file(UK_CSV)).expect("read the UK list")
}

/// A designation input line of key `UK/{id}` with these names (the first primary, then aliases).
fn named(id: &str, names: &[&str]) -> Value {
    let names: Vec<Value> = names
        .iter()
        .enumerate()
        .map(|(i, n)| json!({"name": n, "type": if i == 0 { "primary" } else { "alias" }}))
        .collect();
    json!({"type": "designation", "authority": "UK", "id": id, "effective": "2025-07-23",
           "regime": {"code": "GIM"}, "subject": {"kind": "individual", "names": names},
           "measures": ["asset_freeze"]})
}

fn lines(events: &[Value]) -> Vec<u8> {
    events.iter().map(|e| format!("{e}\n")).collect::<String>().into_bytes()
}

/// The fields of RFC 4180 CSV text, row by row.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field) = (Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(field.is_empty() && row.is_empty(), "the CSV ends with a line break: {text:?}");
    rows
}

/// Asserts that no CSV cell would start a formula in a spreadsheet.
#[track_caller]
fn no_formula(what: &str, csv: &str) {
    for row in csv_rows(csv) {
        for cell in row {
            assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "{what}: the cell {cell:?} starts a formula");
        }
    }
}

#[test]
fn item2_csv_formula_injection_neutralised() {
    let s = Sandbox::init();
    let formulas = ["=HYPERLINK(\"http://evil.example/\",\"click\")", "+1+2", "-2+3", "@SUM(1,2)"];
    let mut events: Vec<Value> =
        formulas.iter().enumerate().map(|(i, f)| named(&format!("CSV{i:04}"), &[f, &format!("{f} alias")])).collect();
    // A number in `other` that goes negative: a diff's old and new cells hold -5 and 7.
    events[0]["other"] = json!({"score": -5});
    events.push(json!({"type": "amendment", "authority": "UK", "id": "CSV0000", "effective": "2025-08-01",
                       "patch": {"other": {"score": 7}}, "reason": "=1+1"}));
    s.run_stdin(&["append", "-"], &lines(&events)).expect(0);
    // The actor is a cell of `log`.
    let plain = s.file("plain.jsonl", format!("{}\n", designation("CSV9999", "2025-07-23", "Plain Name")).as_bytes());
    let r = s.command(&["append", &plain]).env("LEDGER_ACTOR", "=cmd|' /C calc'!A0").output().expect("run");
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));

    let state = s.run(&["state", "--format", "csv"]).expect(0).stdout;
    no_formula("state", &state);
    let names: Vec<String> = csv_rows(&state).into_iter().skip(1).map(|r| r[5].clone()).collect();
    for f in formulas {
        assert!(names.contains(&format!("'{f}")), "state: {f} is written with a leading quote: {names:?}");
    }
    assert!(names.contains(&"Plain Name".to_owned()), "other cells are unchanged: {names:?}");

    let search = s.run(&["search", "alias", "--format", "csv"]).expect(0).stdout;
    no_formula("search", &search);
    assert_eq!(csv_rows(&search).len(), 1 + formulas.len(), "{search}");

    let diff = s.run(&["diff", "--from", "2025-07-25", "--to", "2025-08-31", "--format", "csv"]).expect(0).stdout;
    no_formula("diff", &diff);
    let amended = csv_rows(&diff).into_iter().find(|r| r[0] == "amended").expect("the amendment's row");
    assert_eq!(amended[3], "'=HYPERLINK(\"http://evil.example/\",\"click\")");
    assert_eq!((amended[4].as_str(), amended[5].as_str(), amended[6].as_str()), ("other.score", "'-5", "7"));

    let log = s.run(&["log", "--format", "csv"]).expect(0).stdout;
    no_formula("log", &log);
    assert!(csv_rows(&log).iter().any(|r| r[5] == "'=cmd|' /C calc'!A0"), "{log}");

    // JSON is data, not a spreadsheet: names are kept exactly.
    let v = s.run(&["state", "--format", "json"]).expect(0).json();
    let json_names: Vec<&str> =
        v["designations"].as_array().expect("rows").iter().filter_map(|r| r["name"].as_str()).collect();
    assert!(json_names.contains(&formulas[0]), "{json_names:?}");
}

/// Characters a terminal acts on instead of showing: controls other than the line breaks of the
/// output itself, bidi embeddings, overrides and isolates, and the Unicode line separators.
fn dangerous(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

#[track_caller]
fn clean(what: &str, out: &str) {
    if let Some(c) = out.chars().find(|c| dangerous(*c)) {
        panic!("{what}: printed {c:?} raw:\n{out}");
    }
}

#[test]
fn item3_terminal_control_characters_escaped() {
    let s = Sandbox::init();
    // A name that, printed raw, would colour the terminal and fake a second row of `state`.
    let evil = "Evil\u{1b}[31mRED\u{1b}[0m\nUK/FAKE0001  active  GIM  individual  2025-07-23  Fake Person";
    let bidi = "\u{202e}LIVE\u{202c} \u{2066}Isolated\u{2069} Line\u{2028}Break\u{9b}31m";
    let mut d = named("EVIL0001", &[evil, bidi]);
    d["reason"] = json!("\r\u{1b}[2Kcleared line");
    let amendment = json!({"type": "amendment", "authority": "UK", "id": "EVIL0001", "effective": "2025-08-01",
        "patch": {"subject": {"names": [{"name": evil, "type": "primary"}, {"name": "Quiet\u{202d}Alias", "type": "alias"}]}},
        "reason": "\u{1b}]0;pwned\u{7}title"});
    s.run_stdin(&["append", "-"], &lines(&[d, amendment])).expect(0);

    let state = s.run(&["state"]).expect(0).stdout;
    clean("state", &state);
    assert_eq!(state.lines().count(), 4, "a header, one row, the count and the provenance line:\n{state}");
    assert!(state.contains("Evil\\x1b[31mRED\\x1b[0m\\nUK/FAKE0001"), "{state}");

    let show = s.run(&["show", "UK/EVIL0001", "--at", "2025-07-25"]).expect(0).stdout;
    clean("show", &show);
    assert!(show.contains("\\u{202e}LIVE\\u{202c} \\u{2066}Isolated\\u{2069}"), "{show}");
    assert!(show.contains("Line\\u{2028}Break\\u{9b}31m"), "{show}");

    let history = s.run(&["history", "UK/EVIL0001"]).expect(0).stdout;
    clean("history", &history);
    assert!(history.contains("\\x1b]0;pwned\\x07title"), "{history}");

    let diff = s.run(&["diff", "--from", "2025-07-31", "--to", "2025-08-31"]).expect(0).stdout;
    clean("diff", &diff);
    assert!(diff.contains("Quiet\\u{202d}Alias"), "{diff}");

    let search = s.run(&["search", "evil"]).expect(0).stdout;
    clean("search", &search);
    assert!(search.contains("Evil\\x1b[31mRED"), "{search}");

    let batch = s.file("other.jsonl", format!("{}\n", named("EVIL0003", &["Some One"])).as_bytes());
    let r = s.command(&["append", &batch]).env("LEDGER_ACTOR", "\u{202e}rotca").output().expect("run");
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let log = s.run(&["log"]).expect(0).stdout;
    clean("log", &log);
    assert!(log.contains("\\u{202e}rotca"), "{log}");

    // A published list with such names, under a file name with an escape in it.
    let lists = Sandbox::init();
    let list = real_uk_csv().replace("SEFEROVIC", "SEFERO\u{202e}VIC\u{1b}[5m");
    let file = lists.file("list\u{1b}[31m.csv", list.as_bytes());
    let dry = lists.run(&["import", "uk-csv", &file, "--dry-run"]).expect(0).stdout;
    clean("import --dry-run", &dry);
    assert!(dry.contains("SEFERO\\u{202e}VIC"), "{dry}");
    let report = lists.run(&["import", "uk-csv", &file]).expect(0).stdout;
    clean("import", &report);
    assert!(report.contains("list\\x1b[31m.csv"), "{report}");
    let found = lists.run(&["search", "Nusret"]).expect(0).stdout;
    clean("search of an imported name", &found);

    // The operator commands' preview: the event as JSON and the designation as it will stand.
    let preview = s
        .run(&[
            "designate",
            "UK/EVIL0002",
            "--regime",
            "GIM",
            "--kind",
            "individual",
            "--name",
            bidi,
            "--alias",
            evil,
            "--effective",
            "2025-10-22",
            "--measure",
            "asset_freeze",
            "--dry-run",
        ])
        .expect(0)
        .stdout;
    clean("designate --dry-run", &preview);
    assert!(preview.contains("\\u{202e}LIVE"), "{preview}");

    // Error messages quote the input they refuse: escaped too.
    let r = s.run_stdin(&["append", "-"], format!("{}\n", named("X\u{1b}[31m", &["Name"])).as_bytes()).expect(65);
    clean("stderr", &r.stderr);
    assert!(r.stderr.contains("X\\x1b[31m"), "{}", r.stderr);

    // JSON output keeps the names exactly as recorded.
    let v = s.run(&["show", "UK/EVIL0001", "--format", "json"]).expect(0).json();
    assert_eq!(v["record"]["subject"]["names"][0]["name"], evil);
}

#[test]
fn item9_blank_retraction_reason_refused() {
    let s = Sandbox::gim();
    let before = (s.head(), s.log().len());
    for reason in ["", "   ", "\t"] {
        let r = s.run(&["retract", "1", "--reason", reason, "--yes"]);
        assert_eq!(r.code, 65, "retract --reason {reason:?}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains("field `reason`") && r.stderr.contains("must not be empty"), "{}", r.stderr);
        assert!(r.stderr.contains("nothing was written"), "{}", r.stderr);
        // `append` refuses the same event, by the same rule.
        let line = json!({"type": "retraction", "target": 1, "reason": reason}).to_string();
        let a = s.run_stdin(&["append", "-"], line.as_bytes()).expect(65);
        assert!(a.stderr.contains("field `reason`") && a.stderr.contains("must not be empty"), "{}", a.stderr);
        assert_eq!((s.head(), s.log().len()), before, "retract --reason {reason:?}: the ledger changed");
    }
    // Every other field rule holds for the operator commands as for append: a designation's
    // blank name, given by flag, is refused by the same words.
    let r = s.run(&[
        "designate",
        "UK/GIM0099",
        "--regime",
        "GIM",
        "--kind",
        "individual",
        "--name",
        " ",
        "--effective",
        "2025-10-22",
        "--measure",
        "asset_freeze",
        "--yes",
    ]);
    assert_eq!(r.code, 65, "{}", r.stderr);
    assert!(r.stderr.contains("subject.names[0].name"), "{}", r.stderr);
    assert_eq!((s.head(), s.log().len()), before);
    s.run(&["retract", "1", "--reason", "entered against the wrong key", "--yes"]).expect(0);
}

#[test]
fn item10_measures_known_or_custom_everywhere() {
    let s = Sandbox::init();
    let before = s.head();
    let with = |measures: Value| {
        let mut d = named("MEA0001", &["Measured Person"]);
        d["measures"] = measures;
        format!("{d}\n")
    };
    for (measures, words) in [
        (json!(["port_ban"]), "not a known measure"),
        (json!(["asset_freeze", "Asset freeze"]), "not a known measure"),
        (json!(["custom:Port Ban"]), "snake_case"),
        (json!(["custom:"]), "snake_case"),
    ] {
        let r = s.run_stdin(&["append", "-"], with(measures.clone()).as_bytes()).expect(65);
        assert!(r.stderr.contains("field `measures[") && r.stderr.contains(words), "{measures}: {}", r.stderr);
        assert_eq!(s.head(), before, "{measures}");
    }
    s.run_stdin(&["append", "-"], with(json!(["asset_freeze", "custom:port_ban"])).as_bytes()).expect(0);
    // An amendment is held to the same rule.
    let bad = json!({"type": "amendment", "authority": "UK", "id": "MEA0001", "effective": "2025-08-01",
                     "patch": {"measures": ["port_ban"]}});
    let head = s.head();
    let r = s.run_stdin(&["append", "-"], format!("{bad}\n").as_bytes()).expect(65);
    assert!(r.stderr.contains("not a known measure"), "{}", r.stderr);
    assert_eq!(s.head(), head);

    // The operator commands store custom:CODE as written.
    let v = s
        .run(&[
            "designate",
            "UK/MEA0002",
            "--regime",
            "GIM",
            "--kind",
            "ship",
            "--name",
            "MV EXAMPLE",
            "--effective",
            "2025-12-01",
            "--measure",
            "custom:port_ban",
            "--measure",
            "shipping",
            "--yes",
            "--format",
            "json",
        ])
        .expect(0)
        .json();
    assert_eq!(v["event"]["measures"], json!(["custom:port_ban", "shipping"]));
    let shown = s.run(&["show", "UK/MEA0002", "--format", "json"]).expect(0).json();
    assert_eq!(shown["record"]["measures"], json!(["custom:port_ban", "shipping"]));
    s.run(&[
        "amend",
        "UK/MEA0002",
        "--effective",
        "2025-12-02",
        "--remove-measure",
        "custom:port_ban",
        "--reason",
        "x",
        "--yes",
    ])
    .expect(0);
    let shown = s.run(&["show", "UK/MEA0002", "--format", "json"]).expect(0).json();
    assert_eq!(shown["record"]["measures"], json!(["shipping"]));
    let r = s.run(&[
        "designate",
        "UK/MEA0003",
        "--regime",
        "GIM",
        "--kind",
        "ship",
        "--name",
        "MV OTHER",
        "--effective",
        "2025-12-01",
        "--measure",
        "custom:Port Ban",
        "--yes",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);

    // The UK list's labels become known codes where they mean one, custom:CODE otherwise.
    let labels = "Asset freeze|Travel Ban|Trust services sanctions|Director Disqualification Sanction|Charter of ships|Charter of aircraft|Targeted arms embargo|Port entry ban";
    let list = real_uk_csv().replace("Asset freeze|Travel Ban", labels);
    let lists = Sandbox::init();
    let file = lists.file("labels.csv", list.as_bytes());
    lists.run(&["import", "uk-csv", &file]).expect(0);
    let nusret = lists.run(&["show", "UK/GIM0047", "--format", "json"]).expect(0).json();
    assert_eq!(
        nusret["record"]["measures"],
        json!([
            "asset_freeze",
            "travel_ban",
            "trust_services",
            "director_disqualification",
            "charter_ban",
            "targeted_arms_embargo",
            "custom:port_entry_ban"
        ])
    );
    lists.run(&["verify"]).expect(0);
    s.run(&["verify"]).expect(0);
}

#[test]
fn item11_invisible_characters_refused_in_ids_ignored_in_search() {
    let s = Sandbox::init();
    let before = s.head();
    for (id, cp) in [
        ("GIM\u{200b}0030", "U+200B"),
        ("GIM0030\u{ad}", "U+00AD"),
        ("\u{202e}GIM0030", "U+202E"),
        ("GIM\u{2066}0030", "U+2066"),
        ("\u{feff}GIM0030", "U+FEFF"),
        ("GIM\u{200f}0030", "U+200F"),
    ] {
        let r = s.run_stdin(&["append", "-"], format!("{}\n", named(id, &["Someone"])).as_bytes()).expect(65);
        assert!(r.stderr.contains("field `id`") && r.stderr.contains(cp), "{cp}: {}", r.stderr);
        assert_eq!(s.head(), before, "{cp}");
    }
    let mut d = named("GIM0030", &["Someone"]);
    d["authority"] = json!("U\u{200b}K");
    let r = s.run_stdin(&["append", "-"], format!("{d}\n").as_bytes()).expect(65);
    assert!(r.stderr.contains("field `authority`") && r.stderr.contains("U+200B"), "{}", r.stderr);
    let r = s.run(&["show", "UK/GIM\u{200b}0030"]).expect(2);
    assert!(r.stderr.contains("U+200B"), "{}", r.stderr);
    assert_eq!(s.head(), before);

    // Names keep them as published, and are found by their visible text.
    let names = ["Nus\u{200b}ret SEFERO\u{ad}VIC", "\u{2066}Flamur\u{2069} KRAS\u{200d}NIQI\u{feff}"];
    s.run_stdin(&["append", "-"], format!("{}\n", named("GIM0047", &names)).as_bytes()).expect(0);
    let shown = s.run(&["show", "UK/GIM0047", "--format", "json"]).expect(0).json();
    assert_eq!(shown["record"]["subject"]["names"][0]["name"], names[0]);
    for query in ["Nusret Seferovic", "seferović", "Flamur Krasniqi", "KRASNIQI"] {
        let v = s.run(&["search", query, "--format", "json"]).expect(0).json();
        assert_eq!(v["matches"][0]["key"], "UK/GIM0047", "{query}: {v}");
    }
    // A query with the same invisible characters finds it too; a different word does not.
    s.run(&["search", "Nusret\u{200b}"]).expect(0);
    s.run(&["search", "Nus"]).expect(1);
}

/// The real UK list reported on `date` (`DD-Mon-YYYY`).
fn list_dated(date: &str) -> String {
    real_uk_csv().replacen("Report Date: 29-Apr-2026", &format!("Report Date: {date}"), 1)
}

#[test]
fn item14_future_report_date_refused() {
    // Imports run with the harness's import clock, 2026-06-01T09:00:00Z.
    let s = Sandbox::init();
    let before = s.head();
    for date in ["01-Jan-2999", "03-Jun-2026"] {
        let file = s.file("future.csv", list_dated(date).as_bytes());
        for dry in [false, true] {
            let mut args = vec!["import", "uk-csv", file.as_str()];
            if dry {
                args.push("--dry-run");
            }
            let r = s.run(&args).expect(65);
            assert!(r.stderr.contains("more than a day after the ledger's clock"), "{date}: {}", r.stderr);
            assert!(r.stderr.contains("nothing was written"), "{}", r.stderr);
            assert_eq!(s.head(), before, "{date}");
        }
    }
    // The future list was not recorded as the last import: a real list still imports.
    let file = s.file("real.csv", real_uk_csv().as_bytes());
    let v = s.run(&["import", "uk-csv", &file, "--format", "json"]).expect(0).json();
    assert_eq!(v["summary"]["designations"], 38, "{v}");
    // A list dated the day after the clock (published where the day has already begun) imports.
    let tomorrow = s.file("tomorrow.csv", list_dated("02-Jun-2026").as_bytes());
    s.run(&["import", "uk-csv", &tomorrow]).expect(0);
    // And a synthetic list reported on 06-May-2026 still imports after it with --allow-older.
    let synthetic = s.file("synthetic.csv", synthetic_uk_list(0, 5, 3, false).as_bytes());
    s.run(&["import", "uk-csv", &synthetic, "--allow-older", "--max-delist", "100%"]).expect(0);
}

#[test]
fn item14_instants_of_the_schemas_form_only() {
    let s = Sandbox::gim();
    let before = (s.head(), s.log().len());
    for bad in ["2025-10-22 14:05:00Z", "2025-12-31T23:59:60Z", "2025-10-22T14:05:00.1234560Z"] {
        for flag in ["--at", "--as-of"] {
            let r = s.run(&["state", flag, bad, "--count"]);
            assert_eq!(r.code, 2, "state {flag} {bad}: {}", r.stdout);
            assert!(r.stderr.contains(bad), "{}", r.stderr);
        }
        let r = s.run(&["delist", "UK/GIM0047", "--effective", bad, "--reason", "x", "--yes"]);
        assert_eq!(r.code, 2, "delist --effective {bad}: {}", r.stdout);
        let line = json!({"type": "delisting", "authority": "UK", "id": "GIM0047", "effective": bad}).to_string();
        let r = s.run_stdin(&["append", "-"], line.as_bytes()).expect(65);
        assert!(r.stderr.contains("field `effective`"), "{}", r.stderr);
        assert_eq!((s.head(), s.log().len()), before, "{bad}");
    }
    let r = s.run(&["state", "--at", "2025-10-22 14:05:00Z"]).expect(2);
    assert!(r.stderr.contains("separated by `T`"), "{}", r.stderr);
    let r = s.run(&["state", "--at", "2025-12-31T23:59:60Z"]).expect(2);
    assert!(r.stderr.contains("leap second"), "{}", r.stderr);
    // The forms the schema allows still work.
    s.run(&["state", "--at", "2025-10-22T14:05:00.5+02:00", "--count"]).expect(0);
    s.run(&["state", "--at", "2025-10-22t14:05:00z", "--count"]).expect(0);
}

#[test]
fn item14_checkpoint_prints_json() {
    let s = Sandbox::gim();
    let (seq, hash) = s.head();
    let v = s.run(&["checkpoint", "--format", "json"]).expect(0).json();
    assert_eq!(v["origin"], "test-ledger");
    assert_eq!(v["size"], seq + 1);
    assert_eq!(v["head"], json!({"seq": seq, "hash": hash}));
    assert_eq!(v["signed"], false);
    assert_eq!(v["root"].as_str().map(str::len), Some(64), "{v}");
    let note = v["note"].as_str().expect("the note");
    assert_eq!(note, s.run(&["checkpoint"]).expect(0).stdout, "the note is the one `checkpoint` prints");

    let key = s.dir.path().join("ledger.key");
    let key = key.to_str().expect("utf-8");
    let public = s.run(&["keygen", "--out", key, "--name", "test-ledger"]).expect(0).stdout;
    let v = s.run(&["checkpoint", "--sign", key, "--format", "json"]).expect(0).json();
    assert_eq!(v["signed"], true);
    assert_eq!(v["key"], "test-ledger");
    // The note in the JSON is a checkpoint that `verify --checkpoint` accepts.
    let file = s.file("cp.note", v["note"].as_str().expect("note").as_bytes());
    s.run(&["verify", "--checkpoint", &file, "--key", public.trim()]).expect(0);
    s.run(&["checkpoint", "--format", "csv"]).expect(2);
}

#[test]
fn item14_init_name_follows_the_key_name_rule() {
    for name in ["two words", "a+b", "tab\there", "bell\u{7}", "\u{202e}lanigiro", "zero\u{200b}width", ""] {
        let s = Sandbox::new();
        let r = s.run(&["init", "--name", name]);
        assert_eq!(r.code, 2, "init --name {name:?}: {}", r.stdout);
        assert!(!r.stderr.contains("line 0"), "{}", r.stderr);
        assert!(!s.ledger.exists(), "init --name {name:?} created a ledger");
        let key = s.dir.path().join("k.key");
        let k = s.run(&["keygen", "--out", key.to_str().expect("utf-8"), "--name", name]);
        assert_eq!(k.code, 2, "keygen --name {name:?} is refused as init's is");
    }
    let long = "n".repeat(257);
    Sandbox::new().run(&["init", "--name", &long]).expect(2);
    let s = Sandbox::new();
    s.run(&["init", "--name", "example.org/uk-gim"]).expect(0);
}

#[test]
fn item14_no_error_names_line_0() {
    let s = Sandbox::init();
    let before = s.head();
    let batch = s.file("one.jsonl", format!("{}\n", designation("GIM0001", "2025-07-23", "Some One")).as_bytes());
    let bad_actor = "bad\u{1}actor";
    let r = s.command(&["append", &batch]).env("LEDGER_ACTOR", bad_actor).output().expect("run");
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(65), "{stderr}");
    assert!(stderr.contains("the actor must be") && !stderr.contains("line 0"), "{stderr}");
    let r = s
        .command(&[
            "designate",
            "UK/GIM0002",
            "--regime",
            "GIM",
            "--kind",
            "individual",
            "--name",
            "Other",
            "--effective",
            "2025-07-23",
            "--measure",
            "asset_freeze",
            "--yes",
        ])
        .env("LEDGER_ACTOR", bad_actor)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(65), "{stderr}");
    assert!(stderr.contains("the actor must be") && !stderr.contains("line 0"), "{stderr}");
    // An import names the list's rows only for what a row is to blame for.
    let file = s.file("list.csv", real_uk_csv().as_bytes());
    let r = s.command(&["import", "uk-csv", &file]).env("LEDGER_ACTOR", bad_actor).output().expect("run");
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(65), "{stderr}");
    assert!(stderr.contains("the actor must be") && !stderr.contains("line "), "{stderr}");
    assert_eq!(s.head(), before);
}
