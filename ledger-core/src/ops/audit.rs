//! Checkpoints, proofs and bundles: what auditors run.
