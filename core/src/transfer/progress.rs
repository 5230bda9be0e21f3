//! How far an export or import has come, for whoever shows it (the CLI
//! plugs a progress bar in; library callers may ignore it).

/// Told the number of records to expect, then how many were done.
pub trait Progress: Send {
    /// `total` is the number of records, when known in advance.
    fn start(&mut self, total: Option<u64>);
    /// `n` more records are done (written, skipped or failed).
    fn advance(&mut self, n: u64);
    fn finish(&mut self);
}

/// Shows nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&mut self, _total: Option<u64>) {}
    fn advance(&mut self, _n: u64) {}
    fn finish(&mut self) {}
}
