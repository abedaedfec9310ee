//! End-to-end tests of the `ledger` binary. One test binary, one module per concern.

mod e2e {
    mod append;
    mod audit;
    mod bad_input;
    mod bench;
    mod concurrency;
    mod crash;
    mod damage;
    mod disk;
    mod format;
    mod hardening_audit;
    mod hardening_fields;
    mod hardening_store;
    mod import;
    mod operator;
    mod property;
    mod queries;
    mod schemas;
    mod tamper;
    mod time_axes;
}
