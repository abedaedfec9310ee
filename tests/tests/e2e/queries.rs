//! The point-in-time commands through the binary, on the real GIM designations.

use ledger_tests::Sandbox;

#[test]
fn gim_counts_at_the_two_package_dates() {
    let s = Sandbox::gim();
    let count =
        |at: &str| s.run(&["state", "--at", at, "--regime", "GIM", "--count"]).expect(0).stdout.trim().to_owned();
    assert_eq!(count("2025-07-22"), "0", "the regime's first package took effect on 23 July 2025");
    assert_eq!(count("2025-07-23"), "25");
    assert_eq!(count("2025-10-21"), "25");
    assert_eq!(count("2025-10-22"), "38");
    // Other filters.
    let c = |args: &[&str]| s.run(&[&["state", "--count"][..], args].concat()).expect(0).stdout.trim().to_owned();
    // An authority the ledger has never held: the count is 0, and the exit code says not found.
    assert_eq!(s.run(&["state", "--count", "--authority", "UN"]).expect(1).stdout, "0\n");
    assert_eq!(c(&["--regime", "gim"]), "38", "the regime code matches case-insensitively");
    assert_eq!(c(&["--kind", "entity"]), "6");
    assert_eq!(c(&["--kind", "individual"]), "32");
}

#[test]
fn search_finds_nusret_seferovic_across_accents() {
    let s = Sandbox::gim();
    let v = s.run(&["search", "Nusret Seferović", "--at", "2025-10-23", "--format", "json"]).expect(0).json();
    let m = &v["matches"];
    assert_eq!(m.as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(m[0]["key"], "UK/GIM0047");
    assert_eq!(m[0]["name"], "Nusret SEFEROVIC");
    assert_eq!(m[0]["name_type"], "primary");
    assert_eq!(m[0]["status"], "active");
    // Before his designation: nothing, exit 1.
    let r = s.run(&["search", "Nusret Seferović", "--at", "2025-10-21"]).expect(1);
    assert!(r.stderr.contains("no designation"), "{}", r.stderr);
    // Aliases and variations, any order, punctuation ignored.
    let v = s.run(&["search", "kazaoui el", "--format", "json"]).expect(0).json();
    assert_eq!(v["matches"][0]["key"], "UK/GIM0012");
    assert_eq!(v["matches"][0]["name_type"], "alias");
}

#[test]
fn every_answer_names_its_head_and_times() {
    let s = Sandbox::gim();
    let (seq, hash) = s.head();
    for args in [
        &["state", "--at", "2025-10-23"][..],
        &["state", "--count"],
        &["show", "UK/GIM0047"],
        &["history", "UK/GIM0047"],
        &["diff", "--from", "2025-07-23", "--to", "2025-10-22"],
        &["search", "ALPA"],
    ] {
        let v = s.run(&[args, &["--format", "json"]].concat()).expect(0).json();
        assert_eq!(v["head"]["seq"], seq, "{args:?}");
        assert_eq!(v["head"]["hash"], hash.as_str(), "{args:?}");
        assert!(v["as_of"].is_string(), "{args:?}");
        assert!(v.get("at").is_some(), "{args:?}");
    }
    let v =
        s.run(&["state", "--at", "2025-10-22", "--as-of", "2026-01-15T09:00:00Z", "--format", "json"]).expect(0).json();
    assert_eq!(v["at"], "2025-10-22T23:59:59.999999Z", "a date means the end of that day");
    assert_eq!(v["as_of"], "2026-01-15T09:00:00Z");
}

#[test]
fn state_json_holds_records_and_csv_is_tabular() {
    let s = Sandbox::gim();
    let v = s.run(&["state", "--at", "2025-10-23", "--format", "json"]).expect(0).json();
    assert_eq!(v["count"], 38);
    let alpa = v["designations"].as_array().and_then(|d| d.iter().find(|r| r["key"] == "UK/GIM0030")).expect("GIM0030");
    assert_eq!(alpa["record"]["subject"]["names"][0]["name"], "ALPA TRADING FZCO");
    assert_eq!(alpa["designated"], "2025-10-22");
    assert_eq!(alpa["events"], serde_json::json!([29]));
    let csv = s.run(&["state", "--at", "2025-10-23", "--format", "csv"]).expect(0).stdout;
    assert_eq!(csv.lines().count(), 39, "a header and 38 rows");
    assert!(csv.starts_with("key,status,regime,kind,designated,name\n"), "{csv}");
}

#[test]
fn show_diff_and_history_after_an_amendment_and_a_delisting() {
    let s = Sandbox::gim();
    s.run_stdin(
        &["append", "-"],
        br#"{"type":"amendment","authority":"UK","id":"GIM0030","effective":"2025-11-03","patch":{"subject":{"names":[{"name":"ALPA TRADING FZCO","type":"primary"},{"name":"ALPA TRADING","type":"alias"}]}},"reason":"variation: alias added"}
{"type":"delisting","authority":"UK","id":"GIM0030","effective":"2026-02-01","reason":"revoked on review"}"#,
    )
    .expect(0);
    let show = |at: &str| s.run(&["show", "UK/GIM0030", "--at", at, "--format", "json"]).expect(0).json();
    assert_eq!(show("2025-10-21")["status"], "absent");
    assert_eq!(show("2025-10-22")["record"]["subject"]["names"].as_array().map(Vec::len), Some(1));
    let v = show("2025-11-03");
    assert_eq!(v["record"]["subject"]["names"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["events"], serde_json::json!([29, 39]));
    let v = show("2026-02-01");
    assert_eq!(v["status"], "delisted");
    assert_eq!(v["delisted"], "2026-02-01");

    let d = s.run(&["diff", "--from", "2025-10-31", "--to", "2025-11-30", "--format", "json"]).expect(0).json();
    assert_eq!(d["amended"][0]["key"], "UK/GIM0030");
    assert_eq!(d["amended"][0]["changes"][0]["field"], "subject.names");
    assert_eq!(d["amended"][0]["effective"], "2025-11-03");
    let d = s.run(&["diff", "--from", "2025-07-22", "--to", "2026-03-01", "--format", "json"]).expect(0).json();
    assert_eq!(d["designated"].as_array().map(Vec::len), Some(37), "GIM0030 came and went");
    assert_eq!(d["delisted"].as_array().map(Vec::len), Some(0));

    let h = s.run(&["history", "UK/GIM0030"]).expect(0).stdout;
    assert!(h.contains("amendment") && h.contains("delisting") && h.contains("variation: alias added"), "{h}");
    let h = s.run(&["history", "UK/GIM0030", "--as-of", "2026-01-15T08:00:00Z", "--format", "json"]).expect(0).json();
    assert_eq!(h["events"].as_array().map(Vec::len), Some(0), "nothing was recorded before the clock's first append");
}

#[test]
fn unknown_keys_exit_1_and_bad_dates_exit_2() {
    let s = Sandbox::gim();
    let r = s.run(&["show", "UK/GIM9999"]).expect(1);
    assert!(r.stderr.contains("UK/GIM9999 is not in the ledger"), "{}", r.stderr);
    s.run(&["history", "UK/NOPE"]).expect(1);
    for (flag, args) in [
        ("--at", &["state", "--at", "22/10/2025"][..]),
        ("--as-of", &["show", "UK/GIM0047", "--as-of", "tomorrow"]),
        ("--from", &["diff", "--from", "2025-13-01", "--to", "2026-01-01"]),
    ] {
        let r = s.run(args).expect(2);
        assert!(r.stderr.contains(flag) && r.stderr.contains("YYYY-MM-DD"), "{args:?}: {}", r.stderr);
    }
    let r = s.run(&["show", "GIM0047"]).expect(2);
    assert!(r.stderr.contains("AUTHORITY/ID"), "{}", r.stderr);
    s.run(&["show", "UK/GIM0047", "--format", "csv"]).expect(2);
}

#[test]
fn query_outputs_validate_against_their_schemas() {
    let s = Sandbox::gim();
    let check = |schema: &str, args: &[&str]| {
        let text = std::fs::read_to_string(ledger_tests::repo_file(&format!("schemas/{schema}"))).expect("schema");
        let v = jsonschema::validator_for(&serde_json::from_str(&text).expect("json")).expect("schema");
        let out = s.run(&[args, &["--format", "json"]].concat()).expect(0).json();
        let errors: Vec<String> = v.iter_errors(&out).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{args:?} against {schema}: {errors:?}");
    };
    check("state.schema.json", &["state", "--include-delisted"]);
    check("state-count.schema.json", &["state", "--count"]);
    check("show.schema.json", &["show", "UK/GIM0047"]);
    check("history.schema.json", &["history", "UK/GIM0047"]);
    check("diff.schema.json", &["diff", "--from", "2025-07-01", "--to", "2025-12-31"]);
    check("search.schema.json", &["search", "krasniqi"]);
}
