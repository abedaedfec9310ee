//! `ledger serve`: one process that owns the ledger and answers a team over HTTP (docs/API.md).
//! A second front end over `ledger_core::ops`, as the command line is: it parses requests, calls
//! one operation, and writes its typed answer as JSON.

pub mod page;
