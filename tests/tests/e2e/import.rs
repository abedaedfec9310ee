//! Importing the published lists: the real UK GIM list (CSV and XML) and the UN excerpt, and
//! snapshot variants of the UK list (tests/fixtures/uk-gim-variants).

use ledger_tests::{Sandbox, repo_file, synthetic_uk_list};
use serde_json::Value;

fn shared(rel: &str) -> String {
    repo_file(&format!("tests/fixtures/lists/{rel}")).to_str().expect("utf-8 path").to_owned()
}

fn variant(name: &str) -> String {
    repo_file(&format!("tests/fixtures/uk-gim-variants/{name}")).to_str().expect("utf-8 path").to_owned()
}

const UK_CSV: &str = "uk-gim/UK-Sanctions-List-GIM-2026-04-29.csv";
const UK_XML: &str = "uk-gim/UK-Sanctions-List-GIM-2026-04-29.xml";
const UN_XML: &str = "un-sample/UN-consolidated-excerpt-2026-02-27.xml";

fn import(s: &Sandbox, list: &str, file: &str) -> Value {
    s.run(&["import", list, file, "--format", "json"]).expect(0).json()
}

/// Imports the real UK CSV into a fresh ledger.
fn uk_ledger() -> Sandbox {
    let s = Sandbox::init();
    let v = import(&s, "uk-csv", &shared(UK_CSV));
    assert_eq!(v["summary"]["designations"], 38, "{v}");
    s
}

#[test]
fn both_uk_layouts_give_the_same_38_designations() {
    let csv = uk_ledger();
    let xml = Sandbox::init();
    let v = import(&xml, "uk-xml", &shared(UK_XML));
    assert_eq!(v["summary"]["designations"], 38);
    let records = |s: &Sandbox| -> Vec<Value> {
        let state = s.run(&["state", "--format", "json"]).expect(0).json();
        state["designations"].as_array().expect("rows").iter().map(|r| r["record"].clone()).collect()
    };
    let (a, b) = (records(&csv), records(&xml));
    assert_eq!(a.len(), 38);
    assert_eq!(a, b, "the CSV and the XML parse to the same records");
    for s in [&csv, &xml] {
        let count = |at: &str| s.run(&["state", "--at", at, "--regime", "GIM", "--count"]).expect(0).stdout;
        assert_eq!(count("2025-07-23").trim(), "25");
        assert_eq!(count("2025-07-22").trim(), "0");
        assert_eq!(count("2025-10-22").trim(), "38");
        s.run(&["verify"]).expect(0);
    }
}

#[test]
fn imported_records_match_the_bundled_example_events() {
    // examples/uk-gim-2025.jsonl holds the same 38 designations written by hand.
    let imported = uk_ledger();
    let appended = Sandbox::gim();
    let rows = |s: &Sandbox| s.run(&["state", "--format", "json"]).expect(0).json()["designations"].clone();
    let (a, b) = (rows(&imported), rows(&appended));
    let records = |v: &Value| v.as_array().expect("rows").iter().map(|r| r["record"].clone()).collect::<Vec<_>>();
    assert_eq!(records(&a), records(&b));
}

#[test]
fn every_imported_event_carries_its_provenance() {
    let s = uk_ledger();
    let bytes = std::fs::read(shared(UK_CSV)).expect("read");
    let digest = blake3::hash(&bytes).to_hex().to_string();
    for e in s.log().iter().skip(1) {
        let p = &e["import"];
        assert_eq!(p["format"], "uk-csv");
        assert_eq!(p["blake3"], digest.as_str());
        assert_eq!(p["report_date"], "2026-04-29");
        assert_eq!(p["file"], "UK-Sanctions-List-GIM-2026-04-29.csv", "the name, not the path it was read from");
        assert_eq!(p["size"], bytes.len());
        assert!(p["importer"].as_str().is_some_and(|i| i.starts_with("ledger-import/")));
    }
}

#[test]
fn the_same_list_twice_appends_nothing() {
    let s = uk_ledger();
    let before = s.head();
    let v = import(&s, "uk-csv", &shared(UK_CSV));
    assert_eq!(v["summary"]["designations"], 0);
    assert_eq!(v["summary"]["amendments"], 0);
    assert_eq!(v["summary"]["delistings"], 0);
    assert_eq!(s.head(), before);
    // The XML of the same list is the same list.
    let v = import(&s, "uk-xml", &shared(UK_XML));
    assert_eq!(v["summary"]["amendments"], 0, "{v}");
    assert_eq!(s.head(), before);
}

#[test]
fn a_removed_row_group_is_one_delisting_on_the_report_date() {
    let s = uk_ledger();
    let v = import(&s, "uk-csv", &variant("gim-2026-05-06-GIM0047-removed.csv"));
    assert_eq!(
        (v["summary"]["designations"].clone(), v["summary"]["amendments"].clone(), v["summary"]["delistings"].clone()),
        (0.into(), 0.into(), 1.into())
    );
    let last = s.log().pop().expect("an event");
    assert_eq!(last["type"], "delisting");
    assert_eq!(last["id"], "GIM0047");
    assert_eq!(last["effective"], "2026-05-06");
    let show = s.run(&["show", "UK/GIM0047", "--at", "2026-05-06", "--format", "json"]).expect(0).json();
    assert_eq!(show["status"], "delisted");
    let show = s.run(&["show", "UK/GIM0047", "--at", "2026-05-05", "--format", "json"]).expect(0).json();
    assert_eq!(show["status"], "active");
}

#[test]
fn an_added_alias_is_one_amendment_carrying_the_names() {
    let s = uk_ledger();
    let v = import(&s, "uk-csv", &variant("gim-2026-05-06-GIM0030-alias-added.csv"));
    assert_eq!(v["summary"]["amendments"], 1, "{v}");
    assert_eq!(v["summary"]["designations"], 0);
    assert_eq!(v["summary"]["delistings"], 0);
    let last = s.log().pop().expect("an event");
    assert_eq!(last["type"], "amendment");
    assert_eq!(last["id"], "GIM0030");
    assert_eq!(last["effective"], "2026-05-05", "effective on the row's Last Updated");
    let patch = last["patch"].as_object().expect("a patch");
    assert_eq!(patch.keys().collect::<Vec<_>>(), vec!["subject"], "only the changed field");
    let names = &patch["subject"]["names"];
    assert_eq!(names[1], serde_json::json!({"name": "ALPA TRADING", "type": "alias", "quality": "good"}));
    let d = s.run(&["diff", "--from", "2026-05-01", "--to", "2026-05-06", "--format", "json"]).expect(0).json();
    assert_eq!(d["amended"][0]["changes"][0]["field"], "subject.names");
}

#[test]
fn a_new_unique_id_is_one_designation() {
    let s = uk_ledger();
    let v = import(&s, "uk-csv", &variant("gim-2026-05-06-GIM0048-added.csv"));
    assert_eq!(v["summary"]["designations"], 1, "{v}");
    assert_eq!(v["summary"]["amendments"], 0);
    let last = s.log().pop().expect("an event");
    assert_eq!(
        (last["type"].clone(), last["id"].clone(), last["effective"].clone()),
        ("designation".into(), "GIM0048".into(), "2026-05-06".into())
    );
}

#[test]
fn half_the_list_removed_is_refused_and_nothing_written() {
    let s = uk_ledger();
    let before = (s.head(), s.log().len());
    let r = s.run(&["import", "uk-csv", &variant("gim-2026-05-06-half-removed.csv")]).expect(65);
    let first = r.stderr.lines().next().unwrap_or_default();
    assert!(first.contains("would delist 19 of the 38") && first.contains("GIM: 19"), "{first}");
    assert!(r.stderr.contains("nothing was written"));
    assert_eq!((s.head(), s.log().len()), before);
    // With the guard raised it goes through.
    s.run(&["import", "uk-csv", &variant("gim-2026-05-06-half-removed.csv"), "--max-delist", "50%"]).expect(0);
    assert_eq!(s.run(&["state", "--at", "2026-05-06", "--count"]).expect(0).stdout.trim(), "19");
    assert_eq!(s.run(&["state", "--at", "2026-05-05", "--count"]).expect(0).stdout.trim(), "38");
}

#[test]
fn an_older_list_is_refused_unless_allowed() {
    let s = uk_ledger();
    import(&s, "uk-csv", &variant("gim-2026-05-06-GIM0048-added.csv"));
    let before = s.head();
    let r = s.run(&["import", "uk-csv", &shared(UK_CSV)]).expect(65);
    assert!(r.stderr.contains("older than the last one imported (2026-05-06)"), "{}", r.stderr);
    assert_eq!(s.head(), before);
    // Allowed, the older list is compared with the ledger as of its own report date, when
    // GIM0048 was not yet designated: nothing to do.
    let v = s.run(&["import", "uk-csv", &shared(UK_CSV), "--allow-older", "--format", "json"]).expect(0).json();
    assert_eq!(v["summary"]["delistings"], 0, "{v}");
    assert_eq!(s.head(), before);
}

#[test]
fn dry_run_prints_what_it_would_do_and_writes_nothing() {
    let s = Sandbox::init();
    let before = s.head();
    let r = s.run(&["import", "uk-csv", &shared(UK_CSV), "--dry-run"]).expect(0);
    // One line a designation, in words: key, what happens, when, and the name.
    let designated: Vec<&str> = r.stdout.lines().filter(|l| l.contains("  designated, effective ")).collect();
    assert_eq!(designated.len(), 38, "{}", r.stdout);
    assert!(r.stdout.contains("UK/GIM0047  designated, effective 2025-10-22  Nusret SEFEROVIC"), "{}", r.stdout);
    assert!(r.stdout.contains("would import"), "{}", r.stdout);
    assert_eq!(s.head(), before);
    let v = s.run(&["import", "uk-csv", &shared(UK_CSV), "--dry-run", "--format", "json"]).expect(0).json();
    assert_eq!(v["events"].as_array().map(Vec::len), Some(38));
    assert_eq!(v["head"], Value::Null);
    assert_eq!(s.head(), before);
}

#[test]
fn the_un_excerpt_gives_25_designations_on_their_listing_dates() {
    let s = Sandbox::init();
    let v = import(&s, "un-xml", &shared(UN_XML));
    assert_eq!(v["summary"]["designations"], 25, "{v}");
    s.run(&["verify"]).expect(0);
    let log = s.log();
    let mut listed: Vec<String> =
        log.iter().skip(1).map(|e| e["effective"].as_str().expect("date").to_owned()).collect();
    listed.sort();
    // Count in force at each listing date and the day before it.
    for date in &listed {
        let on = listed.iter().filter(|d| *d <= date).count();
        let got = s.run(&["state", "--at", date, "--authority", "UN", "--count"]).expect(0).stdout;
        assert_eq!(got.trim(), on.to_string(), "in force on {date}");
    }
    let first = &listed[0];
    let day_before =
        s.run(&["state", "--at", &format!("{}T00:00:00Z", first), "--authority", "UN", "--count"]).expect(0).stdout;
    assert_eq!(
        day_before.trim(),
        listed.iter().filter(|d| *d == first).count().to_string(),
        "a date orders as the start of its day"
    );
    let kinds = |k: &str| s.run(&["state", "--kind", k, "--count"]).expect(0).stdout.trim().to_owned();
    assert_eq!((kinds("individual"), kinds("entity")), ("18".to_owned(), "7".to_owned()));
}

/// The list with GIM0047's Date Designated (column 34) set to 31 February.
fn bad_date(csv: &str) -> String {
    csv.split("\r\n")
        .map(|line| {
            if line.starts_with("22/10/2025,GIM0047,") {
                let mut cells: Vec<&str> = line.split(',').collect();
                cells[33] = "31/02/2025";
                cells.join(",")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

#[test]
fn malformed_lists_exit_65_naming_where_and_write_nothing() {
    let s = uk_ledger();
    let before = s.head();
    let csv = std::fs::read_to_string(shared(UK_CSV)).expect("read");
    let cases: Vec<(&str, &str, String, &str)> = vec![
        ("a bad date in a row", "uk-csv", bad_date(&csv), "Date Designated"),
        ("no Unique ID column", "uk-csv", csv.replacen("Unique ID", "Unique Ident", 1), "Unique ID"),
        (
            "truncated XML",
            "uk-xml",
            {
                let x = std::fs::read_to_string(shared(UK_XML)).expect("read");
                x[..x.len() / 2].to_owned()
            },
            "",
        ),
    ];
    for (what, list, text, words) in cases {
        let path = s.file("bad-list", text.as_bytes());
        let r = s.run(&["import", list, &path]);
        assert_eq!(r.code, 65, "{what}: {}", r.stderr);
        assert!(r.stderr.contains(words), "{what}: {}", r.stderr);
        assert!(r.stderr.contains("nothing was written"), "{what}: {}", r.stderr);
        assert_eq!(s.head(), before, "{what}");
    }
    let latin1 = b"\xabReport Date: 29-Apr-2026\r\n";
    let path = s.file("latin1.csv", latin1);
    s.run(&["import", "uk-csv", &path]).expect(65);
    assert_eq!(s.head(), before);
}

#[test]
fn a_synthetic_list_of_6000_designations_imports() {
    let s = Sandbox::init();
    let list = s.file("uk-6000.csv", synthetic_uk_list(0, 6000, 7, false).as_bytes());
    let v = import(&s, "uk-csv", &list);
    assert_eq!(v["summary"]["designations"], 6000, "{}", v["summary"]);
    assert_eq!(v["summary"]["listed"], 6000);
    s.run(&["verify"]).expect(0);
    assert_eq!(s.run(&["state", "--at", "2026-05-06", "--count"]).expect(0).stdout.trim(), "6000");
    let again = import(&s, "uk-csv", &list);
    assert_eq!(again["summary"]["designations"], 0);
    assert_eq!(again["summary"]["amendments"], 0);
    assert_eq!(again["summary"]["delistings"], 0);
}

const EU_XML: &str = "eu-fsf/eu-fsf-2020-04-15-first7.xml";

/// The real EU excerpt, changed as a later list would be: generated on `date`, with `edit` applied.
fn eu_variant(s: &Sandbox, name: &str, date: &str, edit: impl Fn(String) -> String) -> String {
    let text = std::fs::read_to_string(shared(EU_XML)).expect("read");
    let text = text.replacen(
        "generationDate=\"2020-04-15T15:29:22.497+02:00\"",
        &format!("generationDate=\"{date}T09:00:00+02:00\""),
        1,
    );
    s.file(name, edit(text).as_bytes())
}

#[test]
fn the_eu_excerpt_gives_7_designations_on_the_acts_entry_into_force() {
    let s = Sandbox::init();
    let v = import(&s, "eu-xml", &shared(EU_XML));
    assert_eq!(v["summary"]["designations"], 7, "{v}");
    assert_eq!((v["authority"].as_str(), v["report_date"].as_str()), (Some("EU"), Some("2020-04-15")));
    s.run(&["verify"]).expect(0);
    let count = |at: &str| s.run(&["state", "--at", at, "--authority", "EU", "--count"]).expect(0).stdout;
    assert_eq!(count("2003-07-06").trim(), "0");
    assert_eq!(
        count("2003-07-07").trim(),
        "7",
        "in force from the regulation's entry into force, a day before its publication"
    );
    let show = s.run(&["show", "EU/EU.27.28", "--format", "json"]).expect(0).json();
    assert_eq!(show["record"]["subject"]["names"][0]["name"], "Saddam Hussein Al-Tikriti", "{show}");
    assert_eq!(show["record"]["measures"], serde_json::json!(["asset_freeze"]));
    assert!(show["record"]["other"]["effective_from"].as_str().is_some_and(|f| f.contains("no designationDate")));
    let found = s.run(&["search", "Qusay Hussein", "--format", "json"]).expect(0).stdout;
    assert!(found.contains("EU/EU.39.56"), "{found}");
    for e in s.log().iter().skip(1) {
        assert_eq!(e["import"]["format"], "eu-xml");
    }
    // The same list again appends nothing.
    let before = s.head();
    let again = import(&s, "eu-xml", &shared(EU_XML));
    assert_eq!(
        (again["summary"]["designations"].clone(), again["summary"]["amendments"].clone()),
        (0.into(), 0.into())
    );
    assert_eq!(s.head(), before);
}

#[test]
fn a_later_eu_list_amends_on_the_act_and_delists_on_the_report_date() {
    let s = Sandbox::init();
    import(&s, "eu-xml", &shared(EU_XML));
    // A month later: an alias added to EU.27.28 (logicalId 13) by an amending act of 2020-04-30;
    // EU.35.2 (logicalId 39) gone.
    let later = eu_variant(&s, "eu-2020-05-15.xml", "2020-05-15", |text| {
        let alias = r#"<nameAlias wholeName="Abu Uday" nameLanguage="" strong="false" regulationLanguage="en" logicalId="9001"><regulationSummary regulationType="amendment" publicationDate="2020-04-30" numberTitle="2020/580 (OJ L135)"/></nameAlias>"#;
        let text = text.replacen(
            "<citizenship region=\"\" countryIso2Code=\"IQ\"",
            &format!("{alias}<citizenship region=\"\" countryIso2Code=\"IQ\""),
            1,
        );
        let start = text
            .find("<sanctionEntity designationDetails=\"\" unitedNationId=\"\" euReferenceNumber=\"EU.35.2\"")
            .expect("entity 39");
        let end = text[start..].find("</sanctionEntity>").expect("its end") + start + "</sanctionEntity>".len();
        format!("{}{}", &text[..start], &text[end..])
    });
    let r = s.run(&["import", "eu-xml", &later]).expect(65);
    assert!(r.stderr.contains("would delist 1 of the 7 EU designations"), "{}", r.stderr);
    let v = s.run(&["import", "eu-xml", &later, "--max-delist", "1", "--format", "json"]).expect(0).json();
    assert_eq!(
        (v["summary"]["designations"].clone(), v["summary"]["amendments"].clone(), v["summary"]["delistings"].clone()),
        (0.into(), 1.into(), 1.into()),
        "{v}"
    );
    let log = s.log();
    let amendment = log.iter().find(|e| e["type"] == "amendment").expect("an amendment");
    assert_eq!((amendment["id"].as_str(), amendment["effective"].as_str()), (Some("EU.27.28"), Some("2020-04-30")));
    assert_eq!(
        amendment["patch"]["subject"]["names"][3],
        serde_json::json!({"name": "Abu Uday", "type": "alias", "quality": "low"})
    );
    let delisting = log.iter().find(|e| e["type"] == "delisting").expect("a delisting");
    assert_eq!((delisting["id"].as_str(), delisting["effective"].as_str()), (Some("EU.35.2"), Some("2020-05-15")));
    s.run(&["verify"]).expect(0);
}

#[test]
fn malformed_eu_lists_exit_65_naming_what_is_missing() {
    let s = Sandbox::init();
    import(&s, "eu-xml", &shared(EU_XML));
    let before = s.head();
    let text = std::fs::read_to_string(shared(EU_XML)).expect("read");
    let cases: Vec<(&str, String, &[&str])> = vec![
        (
            "no programme",
            text.replacen(" programme=\"IRQ\"", "", 1),
            &["<regulation> (line 5)", "`programme`", "attributes seen: regulationType"],
        ),
        (
            "a renamed root",
            text.replacen("<export ", "<exportV2 ", 1).replacen("</export>", "</exportV2>", 1),
            &["expected <export>"],
        ),
        (
            "no subjectType",
            text.replacen("<subjectType code=\"person\" classificationCode=\"P\"/>", "", 1),
            &["<subjectType>", "child elements seen: remark, regulation, nameAlias"],
        ),
        (
            "a bad date",
            text.replacen("publicationDate=\"2003-07-08\"", "publicationDate=\"8 July 2003\"", 1),
            &["publicationDate", "8 July 2003"],
        ),
        ("truncated", text[..text.len() / 2].to_owned(), &["malformed XML inside <citizenship>"]),
    ];
    for (what, bad, words) in cases {
        let path = s.file("bad-eu.xml", bad.as_bytes());
        let r = s.run(&["import", "eu-xml", &path]);
        assert_eq!(r.code, 65, "{what}: {}", r.stderr);
        for w in words {
            assert!(r.stderr.contains(w), "{what}: {w}: {}", r.stderr);
        }
        assert!(r.stderr.contains("nothing was written"), "{what}: {}", r.stderr);
        assert_eq!(s.head(), before, "{what}");
    }
}

/// The real OFAC legacy CSV rows, as a directory of the four files.
fn ofac_dir() -> String {
    shared("ofac-csv")
}

/// A copy of the OFAC files in the sandbox, with `edit` applied to the file named `which`.
fn ofac_variant(s: &Sandbox, dir: &str, which: &str, edit: impl Fn(String) -> String) -> String {
    let to = std::path::Path::new(&s.file("unused", b"")).with_file_name(dir);
    std::fs::create_dir_all(&to).expect("mkdir");
    for name in ["sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv"] {
        let text = std::fs::read_to_string(format!("{}/{name}", ofac_dir())).expect("read");
        let text = if name == which { edit(text) } else { text };
        std::fs::write(to.join(name), text).expect("write");
    }
    to.to_str().expect("utf-8 path").to_owned()
}

#[test]
fn the_ofac_csv_files_give_17_designations_on_the_published_date() {
    let s = Sandbox::init();
    let r = s.run(&["import", "ofac-csv", &ofac_dir()]).expect(2);
    assert!(r.stderr.contains("--published"), "{}", r.stderr);
    let v =
        s.run(&["import", "ofac-csv", &ofac_dir(), "--published", "2025-05-16", "--format", "json"]).expect(0).json();
    assert_eq!(v["summary"]["designations"], 17, "{v}");
    assert_eq!((v["authority"].as_str(), v["report_date"].as_str()), (Some("OFAC"), Some("2025-05-16")));
    s.run(&["verify"]).expect(0);
    assert_eq!(s.run(&["state", "--at", "2025-05-15", "--authority", "OFAC", "--count"]).expect(0).stdout.trim(), "0");
    assert_eq!(s.run(&["state", "--at", "2025-05-16", "--authority", "OFAC", "--count"]).expect(0).stdout.trim(), "17");
    let show = s.run(&["show", "OFAC/11195", "--format", "json"]).expect(0).json();
    assert_eq!(show["record"]["regime"]["code"], "NPWMD", "the first programme is the regime");
    assert_eq!(show["record"]["measures"], serde_json::json!(["asset_freeze"]));
    // The list publishes no designation date: show and history say what the date is.
    let basis = "no designation date in the legacy CSV: the publication date of the first list imported that shows it";
    let shown = s.run(&["show", "OFAC/11195"]).expect(0).stdout;
    assert!(shown.contains(&format!("date basis  {basis}")), "{shown}");
    let history = s.run(&["history", "OFAC/11195"]).expect(0).stdout;
    assert!(history.contains(&format!("date basis: {basis}")), "{history}");
    // Provenance: the files' names, and the BLAKE3 of their b3sum manifest.
    let manifest: String = ["sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv"]
        .iter()
        .map(|n| {
            let bytes = std::fs::read(format!("{}/{n}", ofac_dir())).expect("read");
            format!("{}  {n}\n", blake3::hash(&bytes).to_hex())
        })
        .collect();
    for e in s.log().iter().skip(1) {
        assert_eq!(e["import"]["file"], "sdn.csv, add.csv, alt.csv, sdn_comments.csv");
        assert_eq!(e["import"]["blake3"], blake3::hash(manifest.as_bytes()).to_hex().as_str());
        assert_eq!(e["import"]["size"], 7328 + 1726 + 1263 + 1137, "the four files' sizes");
    }
    // The same files named one by one, in another order, are the same list: nothing to append.
    let before = s.head();
    let files: Vec<String> =
        ["sdn_comments.csv", "alt.csv", "sdn.csv", "add.csv"].iter().map(|n| format!("{}/{n}", ofac_dir())).collect();
    let mut args = vec!["import", "ofac-csv"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["--published", "2025-05-17", "--format", "json"]);
    let again = s.run(&args).expect(0).json();
    assert_eq!(
        (
            again["summary"]["designations"].clone(),
            again["summary"]["amendments"].clone(),
            again["summary"]["delistings"].clone()
        ),
        (0.into(), 0.into(), 0.into())
    );
    assert_eq!(s.head(), before);
}

#[test]
fn a_later_ofac_list_amends_and_delists_on_its_published_date() {
    let s = Sandbox::init();
    s.run(&["import", "ofac-csv", &ofac_dir(), "--published", "2025-05-16"]).expect(0);
    let aliased =
        ofac_variant(&s, "ofac-a", "alt.csv", |t| format!("{t}15102,99999,\"aka\",\"MORENO, Danny\",-0- \r\n"));
    let v = s.run(&["import", "ofac-csv", &aliased, "--published", "2025-06-02", "--format", "json"]).expect(0).json();
    assert_eq!((v["summary"]["amendments"].clone(), v["summary"]["delistings"].clone()), (1.into(), 0.into()), "{v}");
    let last = s.log().pop().expect("an event");
    assert_eq!(
        (last["type"].as_str(), last["id"].as_str(), last["effective"].as_str()),
        (Some("amendment"), Some("15102"), Some("2025-06-02"))
    );
    let removed = ofac_variant(&s, "ofac-b", "sdn.csv", |t| {
        t.lines().filter(|l| !l.starts_with("15102,")).map(|l| format!("{l}\n")).collect()
    });
    let r = s.run(&["import", "ofac-csv", &removed, "--published", "2025-06-09"]).expect(65);
    assert!(r.stderr.contains("would delist 1 of the 17 OFAC designations"), "{}", r.stderr);
    s.run(&["import", "ofac-csv", &removed, "--published", "2025-06-09", "--max-delist", "1"]).expect(0);
    let last = s.log().pop().expect("an event");
    assert_eq!(
        (last["type"].as_str(), last["id"].as_str(), last["effective"].as_str()),
        (Some("delisting"), Some("15102"), Some("2025-06-09"))
    );
    s.run(&["verify"]).expect(0);
}

#[test]
fn malformed_ofac_files_exit_65_naming_the_file_and_columns() {
    let s = Sandbox::init();
    s.run(&["import", "ofac-csv", &ofac_dir(), "--published", "2025-05-16"]).expect(0);
    let before = s.head();
    // A column added to sdn.csv: another layout.
    let wider = ofac_variant(&s, "ofac-c", "sdn.csv", |t| {
        t.replacen("\"LOGAN MOREY, Elvis Angus\",", "\"LOGAN MOREY, Elvis Angus\",\"x\",", 1)
    });
    let r = s.run(&["import", "ofac-csv", &wider, "--published", "2025-06-01"]).expect(65);
    assert!(r.stderr.contains("sdn.csv line 1: 13 columns, expected 12 (ent_num, SDN_Name"), "{}", r.stderr);
    assert!(r.stderr.contains("nothing was written"));
    // A file missing.
    let sdn = format!("{}/sdn.csv", ofac_dir());
    let r = s.run(&["import", "ofac-csv", &sdn, "--published", "2025-06-01"]).expect(65);
    assert!(r.stderr.contains("add.csv, alt.csv, sdn_comments.csv are missing"), "{}", r.stderr);
    // A file that is none of the four.
    let other = s.file("notes.txt", b"x");
    s.run(&["import", "ofac-csv", &sdn, &other, "--published", "2025-06-01"]).expect(2);
    assert_eq!(s.head(), before);
}

const OFAC_XML: &str = "ofac-advanced/cons_advanced-2020-03-17.xml";

#[test]
fn the_whole_ofac_advanced_list_gives_375_designations_on_their_entry_dates() {
    let s = Sandbox::init();
    let v = import(&s, "ofac-xml", &shared(OFAC_XML));
    assert_eq!(v["summary"]["designations"], 375, "{}", v["summary"]);
    assert_eq!((v["authority"].as_str(), v["report_date"].as_str()), (Some("OFAC"), Some("2020-03-17")));
    s.run(&["verify"]).expect(0);
    let count =
        |at: &str| s.run(&["state", "--at", at, "--authority", "OFAC", "--count"]).expect(0).stdout.trim().to_owned();
    assert_eq!(count("2020-03-17"), "375");
    assert_eq!(count("2006-04-11"), "0");
    let show = s.run(&["show", "OFAC/9639", "--at", "2006-04-12", "--format", "json"]).expect(0).json();
    assert_eq!(show["status"], "active", "listed on its earliest entry's date");
    assert_eq!(show["record"]["subject"]["names"][0]["name"], "HANIYA, Ismail Abdul Salah");
    assert_eq!(show["record"]["regime"]["code"], "NS-PLC", "the programme is the regime");
    let kinds = |k: &str| s.run(&["state", "--kind", k, "--count"]).expect(0).stdout.trim().to_owned();
    assert_eq!(kinds("individual"), "82");
    let before = s.head();
    let again = import(&s, "ofac-xml", &shared(OFAC_XML));
    assert_eq!(
        (again["summary"]["designations"].clone(), again["summary"]["amendments"].clone()),
        (0.into(), 0.into())
    );
    assert_eq!(s.head(), before);
}

#[test]
fn malformed_ofac_advanced_lists_exit_65_naming_what_is_missing() {
    let s = Sandbox::init();
    let text = std::fs::read_to_string(shared(OFAC_XML)).expect("read");
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "no Locations",
            text.replacen("<Locations>", "<Places>", 1).replacen("</Locations>", "</Places>", 1),
            "no <Locations> section",
        ),
        (
            "an undefined code",
            text.replacen("FeatureTypeID=\"8\"", "FeatureTypeID=\"8000\"", 1),
            "FeatureType ID `8000` is not defined",
        ),
        ("another namespace", text.replacen("http://www.un.org/sanctions/1.0\"", "urn:x\"", 1), "namespace `urn:x`"),
        ("truncated", text[..text.len() / 3].to_owned(), "(truncated?)"),
    ];
    for (what, bad, words) in cases {
        let path = s.file("bad-ofac.xml", bad.as_bytes());
        let r = s.run(&["import", "ofac-xml", &path]);
        assert_eq!(r.code, 65, "{what}: {}", r.stderr);
        assert!(r.stderr.contains(words) && r.stderr.contains("nothing was written"), "{what}: {}", r.stderr);
        assert_eq!(s.head().0, 0, "{what}");
    }
}

#[test]
fn a_list_that_would_amend_too_much_is_refused_unless_allowed() {
    let s = uk_ledger();
    let before = s.head();
    let r =
        s.run(&["import", "uk-csv", &variant("gim-2026-05-06-GIM0030-alias-added.csv"), "--max-amend", "0"]).expect(65);
    assert!(
        r.stderr.contains("would amend 1 of the 38 UK designations in force, more than the limit (0)"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--max-amend") && r.stderr.contains("nothing was written"), "{}", r.stderr);
    assert_eq!(s.head(), before);
    // Every record changed by another mapping: a changed format, refused at the default 25%.
    let csv = std::fs::read_to_string(shared(UK_CSV)).expect("read");
    let renamed = s.file(
        "renamed-regime.csv",
        csv.replace("The Global Irregular Migration", "The Global Irregular Migration (renamed)").as_bytes(),
    );
    let r = s.run(&["import", "uk-csv", &renamed]).expect(65);
    assert!(r.stderr.contains("would amend 38 of the 38") && r.stderr.contains("25% of 38 in force"), "{}", r.stderr);
    assert_eq!(s.head(), before);
    let v = s.run(&["import", "uk-csv", &renamed, "--max-amend", "100%", "--format", "json"]).expect(0).json();
    assert_eq!(v["summary"]["amendments"], 38);
}

#[test]
fn a_header_without_a_column_the_importer_relies_on_names_it_and_the_header_seen() {
    let s = Sandbox::init();
    let csv = std::fs::read_to_string(shared(UK_CSV)).expect("read");
    let path = s.file("no-date.csv", csv.replacen("Date Designated", "Designated On", 1).as_bytes());
    let r = s.run(&["import", "uk-csv", &path]).expect(65);
    assert!(r.stderr.contains("no column \"Date Designated\", which the importer relies on"), "{}", r.stderr);
    assert!(r.stderr.contains("the header seen: \"Last Updated\", \"Unique ID\""), "{}", r.stderr);
    assert!(r.stderr.contains("\"Designated On\""), "{}", r.stderr);
    let un = std::fs::read_to_string(shared(UN_XML)).expect("read");
    let path = s.file("no-listed-on.xml", un.replace("LISTED_ON>", "DATE_LISTED>").as_bytes());
    let r = s.run(&["import", "un-xml", &path]).expect(65);
    assert!(
        r.stderr.contains("no LISTED_ON, which the importer relies on (child elements seen:")
            && r.stderr.contains("DATE_LISTED"),
        "{}",
        r.stderr
    );
    assert_eq!(s.head().0, 0);
}

/// The list is the authority's word, but it never silently overwrites what an operator entered by
/// hand: an alias added by hand, a delisting made by hand, a designation made by hand before the
/// list shows it. Each is refused, naming the key and field, and applied with --override-manual,
/// which the answer reports.
#[test]
fn an_import_does_not_silently_overwrite_what_was_entered_by_hand() {
    let s = uk_ledger();
    let alias = r#"{"type":"amendment","authority":"UK","id":"GIM0030","effective":"2026-04-01","patch":{"subject":{"names":[{"name":"ALPA TRADING FZCO","type":"primary"},{"name":"ALPA TRADING","type":"alias"}]}},"reason":"alias from the press release"}"#;
    let delisting = r#"{"type":"delisting","authority":"UK","id":"GIM0047","effective":"2026-04-01","reason":"revoked, notice of 1 April"}"#;
    let designation = ledger_tests::designation("GIM0100", "2026-04-01", "Hand ENTERED");
    let batch = format!("{alias}\n{delisting}\n{designation}\n");
    s.run_stdin(&["append", "-"], batch.as_bytes()).expect(0);
    let before = s.head();

    // The same list again: on its report date it disagrees with all three.
    let r = s.run(&["import", "uk-csv", &shared(UK_CSV)]).expect(65);
    for said in [
        "this list would overwrite 3 values entered by hand",
        "UK/GIM0030 subject.names: ALPA TRADING FZCO (primary); ALPA TRADING (alias) → ALPA TRADING FZCO (primary)",
        "UK/GIM0047 status: delisted (effective 2026-04-01) → designated",
        "UK/GIM0100 status: designated by hand (effective 2026-04-01) → delisted",
        "--override-manual",
        "nothing was written",
    ] {
        assert!(r.stderr.contains(said), "{said:?} in {}", r.stderr);
    }
    assert_eq!(s.head(), before);
    s.run(&["import", "uk-csv", &shared(UK_CSV), "--dry-run"]).expect(65);

    // With --override-manual the list wins, and the answer names what it overrode.
    let v = s.run(&["import", "uk-csv", &shared(UK_CSV), "--override-manual", "--format", "json"]).expect(0).json();
    let overridden: Vec<(&str, &str)> = v["hand_entered"]
        .as_array()
        .expect("hand_entered")
        .iter()
        .map(|h| (h["key"].as_str().expect("key"), h["field"].as_str().expect("field")))
        .collect();
    assert_eq!(overridden, [("UK/GIM0030", "subject.names"), ("UK/GIM0047", "status"), ("UK/GIM0100", "status")]);
    let actions: Vec<(&str, &str)> = v["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| (c["key"].as_str().expect("key"), c["action"].as_str().expect("action")))
        .collect();
    assert_eq!(actions, [("UK/GIM0030", "amended"), ("UK/GIM0047", "relisted"), ("UK/GIM0100", "delisted")]);
    let show = s.run(&["show", "UK/GIM0047", "--format", "json"]).expect(0).json();
    assert_eq!(show["status"], "active");
    s.run(&["verify"]).expect(0);
    // Now that the list has spoken, importing it again is quiet.
    let again = import(&s, "uk-csv", &shared(UK_CSV));
    assert_eq!(again["changes"], Value::Array(vec![]), "{again}");
}

/// The dry run and the import say what changes in words: the fields of an amendment, old → new,
/// names as text.
#[test]
fn an_import_reports_each_changed_field_in_words() {
    let s = Sandbox::init();
    let first = synthetic_uk_list(0, 3, 7, true);
    let file = s.file("first.csv", first.as_bytes());
    s.run(&["import", "uk-csv", &file]).expect(0);
    // The same list, a week later, with one designation's name changed.
    let renamed = first.replacen("SEFEROVIC", "SEFEROVIĆ", 1).replacen("2026-05-06", "2026-05-13", 1);
    assert_ne!(renamed, first);
    let later = s.file("later.csv", renamed.as_bytes());
    let r = s.run(&["import", "uk-csv", &later, "--dry-run"]);
    let r = if r.code == 0 { r } else { panic!("{}", r.stderr) };
    assert!(r.stdout.contains("UK/GIM0047  amended, effective"), "{}", r.stdout);
    assert!(
        r.stdout.contains("subject.names: Nusret SEFEROVIC (primary) → Nusret SEFEROVIĆ (primary)"),
        "{}",
        r.stdout
    );
}

/// A series of dated lists, given in any order (as files, or a directory), imported in
/// report-date order, one batch each; a refused list stops the series, and the lists before it
/// stay imported.
#[test]
fn a_series_of_archived_lists_becomes_the_ledgers_history_in_report_date_order() {
    let s = Sandbox::init();
    let real = std::fs::read_to_string(shared(UK_CSV)).expect("the real list");
    let dated = |date: &str, text: &str| text.replacen("Report Date: 29-Apr-2026", &format!("Report Date: {date}"), 1);
    // 6 May: GIM0047 gone (delisted); 13 May: GIM0030's name changed (amended).
    let rows: Vec<&str> = real.split("\r\n").collect();
    let without_47: String = rows.iter().filter(|r| !r.contains(",GIM0047,")).map(|r| format!("{r}\r\n")).collect();
    let without_47 = without_47.trim_end_matches("\r\n").to_owned() + "\r\n";
    assert!(without_47.len() < real.len(), "a row of GIM0047 is left out");
    let renamed = without_47.replacen("ALPA TRADING FZCO", "ALPA GENERAL TRADING FZCO", 1);
    let dir = s.dir.path().join("archive");
    std::fs::create_dir(&dir).expect("a directory");
    // Named so that name order is not date order.
    std::fs::write(dir.join("c.csv"), &real).expect("write");
    std::fs::write(dir.join("a.csv"), dated("13-May-2026", &renamed)).expect("write");
    std::fs::write(dir.join("b.csv"), dated("06-May-2026", &without_47)).expect("write");

    let v = s.run(&["import", "uk-csv", "--series", dir.to_str().expect("utf-8"), "--format", "json"]).expect(0).json();
    let dates: Vec<&str> =
        v["imports"].as_array().expect("imports").iter().map(|i| i["report_date"].as_str().expect("date")).collect();
    assert_eq!(dates, ["2026-04-29", "2026-05-06", "2026-05-13"]);
    let counts: Vec<(u64, u64, u64)> = v["imports"]
        .as_array()
        .expect("imports")
        .iter()
        .map(|i| {
            let s = &i["summary"];
            (
                s["designations"].as_u64().expect("n"),
                s["amendments"].as_u64().expect("n"),
                s["delistings"].as_u64().expect("n"),
            )
        })
        .collect();
    assert_eq!(counts, [(38, 0, 0), (0, 0, 1), (0, 1, 0)]);
    assert_eq!((v["lists"].as_u64(), v["events"].as_u64()), (Some(3), Some(40)));
    assert_eq!(v["head"]["seq"], 40);
    let history = s.run(&["history", "UK/GIM0047", "--format", "json"]).expect(0).json();
    let last = history["events"].as_array().expect("events").last().expect("an event").clone();
    assert_eq!((last["type"].as_str(), last["effective"].as_str()), (Some("delisting"), Some("2026-05-06")));
    s.run(&["verify"]).expect(0);

    // Files given on the command line work alike; a list the guards refuse stops the series.
    let t = Sandbox::init();
    let mut gutted: String = rows.iter().take(2).map(|r| format!("{r}\r\n")).collect();
    gutted = dated("20-May-2026", &gutted);
    let files = [("x.csv", dated("06-May-2026", &without_47)), ("y.csv", gutted), ("z.csv", real.clone())];
    let paths: Vec<String> = files.iter().map(|(n, text)| t.file(n, text.as_bytes())).collect();
    let mut args = vec!["import", "uk-csv"];
    args.extend(paths.iter().map(String::as_str));
    let r = t.run(&args).expect(65);
    assert!(
        r.stderr.contains("2 of 3 lists were imported, through the UK list of 2026-05-06; they stay in the ledger"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("would delist"), "{}", r.stderr);
    assert_eq!(t.head().0, 39, "the two lists before the refused one are imported");
    let r = t.run(&["import", "uk-csv", &paths[0], &paths[2], "--dry-run"]).expect(2);
    assert!(r.stderr.contains("--dry-run plans one list"), "{}", r.stderr);
}

/// A value an operator removed by hand is not silently put back by the next list; a field the
/// hand-entered designation simply lacked is added.
#[test]
fn a_value_removed_by_hand_is_not_silently_put_back() {
    let s = uk_ledger();
    let removal = r#"{"type":"amendment","authority":"UK","id":"GIM0047","effective":"2026-04-01","patch":{"regime":{"name":null}},"reason":"the regime's name is being corrected"}"#;
    s.run_stdin(&["append", "-"], format!("{removal}\n").as_bytes()).expect(0);
    let r = s.run(&["import", "uk-csv", &shared(UK_CSV)]).expect(65);
    assert!(r.stderr.contains("UK/GIM0047 regime.name: (none) → The Global Irregular Migration"), "{}", r.stderr);
    s.run(&["import", "uk-csv", &shared(UK_CSV), "--override-manual"]).expect(0);
}
