//! Progress of long work (an append of many events, a verification of a large ledger), for a
//! caller that shows it. The library only reports; the CLI draws the bar.

/// Receives the progress of long work: phases, and units done within each.
pub trait Progress: Sync {
    /// A phase begins: what it does ("checking events"), and how many units it has, if known.
    fn phase(&self, what: &str, total: Option<u64>) {
        let _ = (what, total);
    }

    /// `n` more units of the current phase are done.
    fn advance(&self, n: u64) {
        let _ = n;
    }
}

/// No one is watching.
impl Progress for () {}
