//! The application layer: one operation per command, each returning a typed output.
//!
//! A front end (the `ledger` command, a server) parses its arguments, calls one operation and
//! prints or serves what it returns; what a command *means* (which checks it makes, which
//! defaults it takes, what its answer holds) lives here. Every output type here is serialized
//! as the command's `--format json` and described by a schema in `schemas/` (see
//! [`crate::schema`]): these types are a compatibility promise.

pub mod audit;
