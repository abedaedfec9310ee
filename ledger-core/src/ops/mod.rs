//! The application layer: one operation per command, each returning a typed output.
//!
//! A front end (the `ledger` command, a server) parses its arguments, calls one operation and
//! prints or serves what it returns; what a command *means* (which checks it makes, which
//! defaults it takes, what its answer holds) lives here. Every output type here is serialized
//! as the command's `--format json` and described by a schema in `schemas/` (see
//! [`crate::schema`]): these types are a compatibility promise.
//!
//! - [`read`]: `head`, `log`, `verify`;
//! - [`write`]: `init`, `append`;
//! - [`ask`]: the point-in-time questions (`state`, `show`, `history`, `diff`, `search`), their
//!   times typed by axis ([`crate::time::At`], [`crate::time::AsOf`], [`crate::time::Point`]);
//! - [`operate`]: the operators' `designate`, `amend`, `delist`, `retract`, and the [`operate::preview`]
//!   of an event's effect;
//! - [`audit`]: checkpoints, proofs and bundles;
//! - [`publish`]: the log as static files (C2SP tlog-tiles);
//! - [`witness`]: a published checkpoint cosigned by a witness (C2SP tlog-witness), the
//!   cosignatures kept in it.

pub mod ask;
pub mod audit;
pub mod operate;
pub mod publish;
pub mod read;
pub mod witness;
pub mod write;
