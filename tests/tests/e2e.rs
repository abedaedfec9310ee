//! End-to-end tests of the `ledger` binary. One test binary, one module per concern.

mod e2e {
    mod append;
    mod audit;
    mod audit_schemas;
    mod bad_input;
    mod bench;
    mod browser;
    mod cautions;
    mod concurrency;
    mod crash;
    mod damage;
    mod demo;
    mod disk;
    mod format;
    mod hardening_audit;
    mod hardening_fields;
    mod hardening_store;
    mod help;
    mod import;
    mod layout;
    mod not_found;
    mod operator;
    mod progress;
    mod property;
    mod publish;
    mod queries;
    mod remote;
    mod schemas;
    mod serve;
    mod tamper;
    mod time_axes;
    mod typed_keys;
    mod witness;
}
