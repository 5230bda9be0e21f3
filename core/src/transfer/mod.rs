//! Moving every user and role out of one store and into another (or in
//! from another system): [`export`] writes JSON Lines, [`import_jsonl`]
//! reads them back, [`import_csv`] reads a spreadsheet's users. The engine
//! lives here so that the CLI, tests and embedding code share it; the
//! binary only adds a progress bar.
//!
//! An export imported into an empty store of any backend and exported
//! again gives the same bytes: ids, timestamps, digests, identities,
//! suspension and role assignments all survive. Access tokens, sessions
//! and the audit log are not exported.

mod csv;
mod error;
mod export;
pub mod format;
mod import;
mod progress;
mod report;

pub use self::csv::{KNOWN_COLUMNS, import_csv};
pub use self::error::TransferError;
pub use self::export::{ExportSummary, export};
pub use self::import::import_jsonl;
pub use self::progress::{NoProgress, Progress};
pub use self::report::{BATCH, ImportOptions, ImportReport, LineError, MAX_REPORTED_ERRORS, PARSE};

#[cfg(test)]
mod tests;
