//! A sanctions designation ledger: every designation, amendment, delisting and retraction as a
//! hash-chained event in an embedded sled store, with projections that rebuild the sanctions
//! state on any date, as it stood in law and as the ledger knew it.
//!
//! ```
//! use ledger_core::{input, time::FixedClock, verify, Ledger};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let clock = FixedClock::new(1_750_000_000_000_000);
//! let ledger = Ledger::init(&dir.path().join("l.sled"), "example", "alice", &clock).unwrap();
//! let batch = input::read_batch(&br#"{"type":"designation","authority":"UK","id":"GIM0047","effective":"2025-10-22","regime":{"code":"GIM"},"subject":{"kind":"individual","names":[{"name":"Nusret SEFEROVIC","type":"primary"}]},"measures":["asset_freeze","travel_ban"]}"#[..]).unwrap();
//! let appended = ledger.append(&batch, "alice", &clock).unwrap();
//! assert_eq!(appended.head.seq, ledger_core::seq::Seq::new(1));
//! assert!(verify::verify(&ledger).unwrap().failure.is_none());
//! ```
//!
//! Module map: [`event`] (the model), [`canonical`], [`hash`] and [`chain`] (bytes and hashes),
//! [`entry`] and [`merkle`] (the log's entries and its RFC 6962 tree),
//! [`input`] and [`validate`] (reading batches), [`lifecycle`] (the rules), [`store`] (the only
//! module that knows sled and the block layout), [`reader`] (events by seq), [`fold`] (a key's
//! record from its events), [`ledger`] (append and read), [`verify`], [`time`] (both axes and
//! the clock), [`seq`] (event positions), [`projection`] and [`query`] (point-in-time answers),
//! [`names`] (search matching), [`schema`], [`witness`] (a C2SP tlog-witness: its checks and
//! state); above them all, [`ops`]: one operation per command,
//! each with a typed answer, which every front end calls.

pub mod acknowledged;
pub mod bundle;
pub mod canonical;
pub mod caution;
pub mod chain;
pub mod checkpoint;
pub mod entry;
pub mod error;
pub mod event;
pub mod fold;
pub mod hash;
pub mod input;
pub mod keymap;
pub mod ledger;
pub mod lifecycle;
pub mod merkle;
pub mod names;
pub mod ops;
pub mod patch;
pub mod progress;
pub mod projection;
pub mod publish;
pub mod query;
pub mod reader;
pub mod schema;
pub mod seq;
pub mod store;
pub mod time;
pub mod tlog;
pub mod tree;
pub mod validate;
pub mod verify;
pub mod view;
pub mod witness;

pub use error::{Error, Result};
pub use ledger::Ledger;
