//! Both time axes, table-driven, on a real store with a fixed clock: what was in force at a date
//! (`at`), and what the ledger said at a time (`as_of`).

use ledger_core::input::{Numbered, parse_value};
use ledger_core::projection::{Status, When};
use ledger_core::query;
use ledger_core::time::{FixedClock, parse_query_time};
use ledger_core::view::View;
use ledger_core::{Ledger, event::Key};
use serde_json::{Value, json};

fn designation(id: &str, effective: &str, measures: &[&str]) -> Value {
    json!({"type": "designation", "authority": "UK", "id": id, "effective": effective,
           "regime": {"code": "GIM"}, "subject": {"kind": "entity", "names": [{"name": format!("Firm {id}"), "type": "primary"}]},
           "measures": measures})
}

/// Appends `events` as one batch recorded at `recorded` (RFC 3339).
fn append(ledger: &Ledger, clock: &FixedClock, recorded: &str, events: Vec<Value>) {
    clock.set(parse_query_time(recorded).expect("a time"));
    let batch: Vec<_> = events
        .into_iter()
        .enumerate()
        .map(|(i, v)| Numbered { line: i + 1, event: parse_value(i + 1, v).expect("a valid event") })
        .collect();
    ledger.append(&batch, "clerk", clock).expect("the batch is valid");
}

struct Case {
    what: &'static str,
    key: &'static str,
    at: &'static str,
    as_of: &'static str,
    status: Status,
    /// The record's names and measures, when in force or delisted.
    names: usize,
    measures: &'static [&'static str],
}

#[test]
fn both_axes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = FixedClock::new(parse_query_time("2025-01-01T00:00:00Z").expect("time"));
    let ledger = Ledger::init(&dir.path().join("l.sled"), "axes", "clerk", &clock).expect("init");

    // 5 Jan: K2, K3 and K4 designated, effective 1 Jan.
    append(
        &ledger,
        &clock,
        "2025-01-05T09:00:00Z",
        vec![
            designation("K2", "2025-01-01", &["asset_freeze"]),
            designation("K3", "2025-01-01", &["asset_freeze"]),
            designation("K4", "2025-01-01", &["asset_freeze"]),
        ],
    );
    // 1 Mar: K1 designated, backdated to 10 Jan; K2 amended with effect from 1 Jun (the future);
    // K3 delisted from 1 Feb (backdated too); K4 amended from 1 Feb (seq 7).
    append(
        &ledger,
        &clock,
        "2025-03-01T09:00:00Z",
        vec![
            designation("K1", "2025-01-10", &["asset_freeze"]),
            json!({"type": "amendment", "authority": "UK", "id": "K2", "effective": "2025-06-01",
                   "patch": {"subject": {"names": [{"name": "Firm K2", "type": "primary"}, {"name": "K2 Holdings", "type": "alias"}]}}}),
            json!({"type": "delisting", "authority": "UK", "id": "K3", "effective": "2025-02-01"}),
            json!({"type": "amendment", "authority": "UK", "id": "K4", "effective": "2025-02-01",
                   "patch": {"measures": ["asset_freeze", "travel_ban"]}}),
        ],
    );
    // 10 Mar: the K4 amendment (seq 7) was recorded in error.
    append(
        &ledger,
        &clock,
        "2025-03-10T09:00:00Z",
        vec![json!({"type": "retraction", "target": 7, "reason": "recorded in error"})],
    );
    // 2 Apr: K3 relisted from 1 Apr.
    append(
        &ledger,
        &clock,
        "2025-04-02T09:00:00Z",
        vec![designation("K3", "2025-04-01", &["asset_freeze", "travel_ban"])],
    );

    let now = "2026-01-01";
    let cases = [
        Case {
            what: "backdated designation, before it was recorded",
            key: "K1",
            at: "2025-01-20",
            as_of: "2025-02-01",
            status: Status::Absent,
            names: 0,
            measures: &[],
        },
        Case {
            what: "backdated designation, once recorded",
            key: "K1",
            at: "2025-01-20",
            as_of: now,
            status: Status::Active,
            names: 1,
            measures: &["asset_freeze"],
        },
        Case {
            what: "backdated designation, before its effect",
            key: "K1",
            at: "2025-01-09",
            as_of: now,
            status: Status::Absent,
            names: 0,
            measures: &[],
        },
        Case {
            what: "future amendment, before it takes effect",
            key: "K2",
            at: "2025-05-31",
            as_of: now,
            status: Status::Active,
            names: 1,
            measures: &["asset_freeze"],
        },
        Case {
            what: "future amendment, once in effect",
            key: "K2",
            at: "2025-06-01",
            as_of: now,
            status: Status::Active,
            names: 2,
            measures: &["asset_freeze"],
        },
        Case {
            what: "future amendment, in effect but not yet recorded",
            key: "K2",
            at: "2025-06-01",
            as_of: "2025-02-01",
            status: Status::Active,
            names: 1,
            measures: &["asset_freeze"],
        },
        Case {
            what: "delisting not yet recorded",
            key: "K3",
            at: "2025-02-15",
            as_of: "2025-02-15",
            status: Status::Active,
            names: 1,
            measures: &["asset_freeze"],
        },
        Case {
            what: "delisted",
            key: "K3",
            at: "2025-02-15",
            as_of: now,
            status: Status::Delisted,
            names: 1,
            measures: &["asset_freeze"],
        },
        Case {
            what: "relisted, as known after the relisting",
            key: "K3",
            at: "2025-04-01",
            as_of: now,
            status: Status::Active,
            names: 1,
            measures: &["asset_freeze", "travel_ban"],
        },
        Case {
            what: "relisting in effect but not yet recorded",
            key: "K3",
            at: "2025-04-01",
            as_of: "2025-04-01",
            status: Status::Delisted,
            names: 1,
            measures: &["asset_freeze"],
        },
        Case {
            what: "retracted amendment, as known before the retraction",
            key: "K4",
            at: "2025-02-15",
            as_of: "2025-03-05",
            status: Status::Active,
            names: 1,
            measures: &["asset_freeze", "travel_ban"],
        },
        Case {
            what: "retracted amendment, as known after it",
            key: "K4",
            at: "2025-02-15",
            as_of: now,
            status: Status::Active,
            names: 1,
            measures: &["asset_freeze"],
        },
        Case {
            what: "retracted amendment, before it was recorded",
            key: "K4",
            at: "2025-02-15",
            as_of: "2025-02-01",
            status: Status::Active,
            names: 1,
            measures: &["asset_freeze"],
        },
    ];
    for c in cases {
        let when = When { at: parse_query_time(c.at).expect("at"), as_of: parse_query_time(c.as_of).expect("as_of") };
        let key = Key::parse(&format!("UK/{}", c.key)).expect("key");
        let shown = query::show(&View::now(&ledger).expect("view"), &key, when).expect("show");
        assert_eq!(shown.status, c.status, "{}: status", c.what);
        let names = shown.record.as_ref().map_or(0, |r| r.subject.names.len());
        let measures: Vec<&str> =
            shown.record.as_ref().map_or(vec![], |r| r.measures.iter().map(String::as_str).collect());
        assert_eq!((names, measures.as_slice()), (c.names, c.measures), "{}: record", c.what);
        // state agrees with show.
        let listed = query::state(
            &View::now(&ledger).expect("view"),
            when,
            &query::StateFilter { include_delisted: true, ..Default::default() },
        )
        .expect("state")
        .designations
        .into_iter()
        .find(|r| r.key == key.to_string());
        assert_eq!(listed.map(|r| r.status).unwrap_or(Status::Absent), c.status, "{}: state", c.what);
    }

    // The history shows both axes, the retraction, and the backdated delisting.
    let h = query::history(
        &View::now(&ledger).expect("view"),
        &Key::parse("UK/K4").expect("key"),
        parse_query_time(now).expect("t"),
    )
    .expect("history");
    assert_eq!(
        h.events
            .iter()
            .map(|r| (r.seq.get(), r.retracted_by.map(|s| s.get()), r.retracts.map(|s| s.get())))
            .collect::<Vec<_>>(),
        vec![(3, None, None), (7, Some(8), None), (8, None, Some(7))]
    );
    let h = query::history(
        &View::now(&ledger).expect("view"),
        &Key::parse("UK/K3").expect("key"),
        parse_query_time(now).expect("t"),
    )
    .expect("history");
    let backdated: Vec<(u64, bool)> = h.events.iter().map(|r| (r.seq.get(), r.backdated)).collect();
    assert_eq!(
        backdated,
        vec![(2, false), (6, false), (9, false)],
        "a delisting effective after the designation is not backdated"
    );
    let h1 = query::history(
        &View::now(&ledger).expect("view"),
        &Key::parse("UK/K2").expect("key"),
        parse_query_time(now).expect("t"),
    )
    .expect("history");
    assert!(h1.events.iter().all(|r| !r.backdated));

    // diff over the first quarter as known now: K1 designated (backdated), K3 delisted and relisted.
    let d = query::diff(
        &View::now(&ledger).expect("view"),
        parse_query_time("2025-01-05").expect("t"),
        parse_query_time("2025-03-31").expect("t"),
        parse_query_time(now).expect("t"),
    )
    .expect("diff");
    let keys = |v: &[query::DiffChange]| v.iter().map(|c| c.key.clone()).collect::<Vec<_>>();
    assert_eq!(keys(&d.designated), vec!["UK/K1"]);
    assert_eq!(keys(&d.delisted), vec!["UK/K3"]);
    assert!(d.amended.is_empty(), "the K4 amendment was retracted: {:?}", d.amended);
    // ... and as known on 5 March, before the retraction, K4 was amended.
    let d = query::diff(
        &View::now(&ledger).expect("view"),
        parse_query_time("2025-01-05").expect("t"),
        parse_query_time("2025-03-31").expect("t"),
        parse_query_time("2025-03-05").expect("t"),
    )
    .expect("diff");
    assert_eq!(keys(&d.amended), vec!["UK/K4"]);
    assert_eq!(d.amended[0].changes.len(), 1);
    assert_eq!(d.amended[0].changes[0].field, "measures");
    assert_eq!(d.amended[0].changes[0].new, Some(json!(["asset_freeze", "travel_ban"])));
}
