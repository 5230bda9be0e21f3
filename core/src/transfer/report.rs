//! What an import did, line by line, and the batching that feeds the
//! service: shared by the JSON Lines and the CSV importers.

use tokio::task::JoinHandle;

use super::error::TransferError;
use super::progress::Progress;
use crate::caller::Caller;
use crate::error::Error;
use crate::service::{ImportOutcome, ImportedUser, OnExisting, Service};

/// Users handed to the service per call: one chunk of its bulk write (a
/// few tens of megabytes of records and index entries in memory), so that
/// memory stays bounded whatever the size of the file.
pub const BATCH: usize = 10_000;

/// At most this many line errors are kept in a report; `failed` counts all.
pub const MAX_REPORTED_ERRORS: usize = 100_000;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// What to do with users and roles that exist already.
    pub on_existing: OnExisting,
    /// Stop after the first bad line instead of going on. Lines are written
    /// in batches, so lines of the same batch after the bad one may have
    /// been written; nothing after that batch is.
    pub fail_fast: bool,
}

/// The code of a line that is not a record at all (not JSON, an unknown
/// field, a value of the wrong type, a CSV row that does not parse).
pub const PARSE: &str = "PARSE";

/// One line that was not imported, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    /// 1-based line number in the file.
    pub line: u64,
    /// The usergraph error code (`VALIDATION`, `USERNAME_ALREADY_IN_USE`,
    /// ...) or [`PARSE`] for a line that is not a valid record.
    pub code: &'static str,
    /// The input field (or CSV column) at fault, when there is one.
    pub field: Option<String>,
    pub message: String,
}

/// `line N: CODE: field: message`, or `line N: CODE: message` when no one
/// field is at fault: one fixed shape, so that scripts can split it.
impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}: ", self.line, self.code)?;
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// The outcome of an import.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub created: u64,
    pub updated: u64,
    /// Existing records left as they were.
    pub skipped: u64,
    pub failed: u64,
    /// The failed lines, by line number (the first [`MAX_REPORTED_ERRORS`]).
    pub errors: Vec<LineError>,
    /// Set when `fail_fast` stopped the import before the end.
    pub stopped_early: bool,
}

impl ImportReport {
    pub fn record(&mut self, line: u64, outcome: Result<ImportOutcome, Error>) {
        match outcome {
            Ok(ImportOutcome::Created) => self.created += 1,
            Ok(ImportOutcome::Updated) => self.updated += 1,
            Ok(ImportOutcome::Skipped) => self.skipped += 1,
            Err(e) => {
                let field = e.field().map(str::to_owned);
                let message = e.to_string();
                // "primaryEmail is not ..." is shown after "primaryEmail: ".
                let message = match &field {
                    Some(field) => message
                        .strip_prefix(field.as_str())
                        .and_then(|rest| rest.strip_prefix(' '))
                        .map_or_else(|| message.clone(), str::to_owned),
                    None => message,
                };
                self.fail(line, e.code(), field, message);
            }
        }
    }

    pub fn fail(&mut self, line: u64, code: &'static str, field: Option<String>, message: String) {
        self.failed += 1;
        if self.errors.len() < MAX_REPORTED_ERRORS {
            self.errors.push(LineError {
                line,
                code,
                field,
                message,
            });
        }
    }

    /// Lines processed so far.
    pub fn done(&self) -> u64 {
        self.created + self.updated + self.skipped + self.failed
    }
}

/// Collects parsed users and hands them to the service a batch at a time.
///
/// A full batch is written on a task of its own while the next one is read
/// and parsed, so the file's parsing and the storage write use two cores;
/// at most one batch is in flight, so memory stays at two batches.
pub(super) struct Batcher<'a> {
    pub service: &'a Service,
    pub caller: &'a Caller,
    pub options: ImportOptions,
    pub progress: &'a mut dyn Progress,
    pub report: ImportReport,
    pending: Vec<(u64, ImportedUser)>,
    in_flight: Option<InFlight>,
}

/// A batch being written: its line numbers and the task writing it.
struct InFlight {
    lines: Vec<u64>,
    write: JoinHandle<Result<Vec<Result<ImportOutcome, Error>>, Error>>,
}

impl<'a> Batcher<'a> {
    pub fn new(
        service: &'a Service,
        caller: &'a Caller,
        options: ImportOptions,
        progress: &'a mut dyn Progress,
    ) -> Self {
        Batcher {
            service,
            caller,
            options,
            progress,
            report: ImportReport::default(),
            pending: Vec::with_capacity(BATCH),
            in_flight: None,
        }
    }

    /// Whether the import should stop (`fail_fast` after a failure).
    pub fn should_stop(&self) -> bool {
        self.options.fail_fast && self.report.failed > 0
    }

    /// A line refused before it reaches the service (`PARSE`: not a
    /// record at all; `VALIDATION`: a cell that is not what its column
    /// holds).
    pub async fn reject(
        &mut self,
        line: u64,
        code: &'static str,
        field: Option<String>,
        message: String,
    ) -> Result<(), TransferError> {
        // Earlier lines are written first: with `fail_fast`, everything
        // before the bad line is in, nothing after it.
        self.flush().await?;
        self.report.fail(line, code, field, message);
        self.progress.advance(1);
        Ok(())
    }

    pub async fn push(&mut self, line: u64, user: ImportedUser) -> Result<(), TransferError> {
        self.pending.push((line, user));
        if self.pending.len() >= BATCH {
            self.settle().await?;
            // A failure in the batch just settled stops a `fail_fast`
            // import before this one is written.
            if !self.should_stop() {
                self.start();
            }
        }
        Ok(())
    }

    /// Writes every line pushed so far, and waits for it.
    pub async fn flush(&mut self) -> Result<(), TransferError> {
        self.settle().await?;
        if !self.should_stop() {
            self.start();
            self.settle().await?;
        }
        Ok(())
    }

    /// Starts writing the pending lines (the previous batch is settled).
    fn start(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let (lines, users): (Vec<u64>, Vec<ImportedUser>) = self.pending.drain(..).unzip();
        let (service, caller) = (self.service.clone(), self.caller.clone());
        let on_existing = self.options.on_existing;
        let write = tokio::spawn(async move {
            service
                .import_users_batch(&caller, users, on_existing)
                .await
        });
        self.in_flight = Some(InFlight { lines, write });
    }

    /// Waits for the batch in flight, if any, and records its outcomes.
    async fn settle(&mut self) -> Result<(), TransferError> {
        let Some(InFlight { lines, write }) = self.in_flight.take() else {
            return Ok(());
        };
        let outcomes = write
            .await
            .map_err(|e| Error::internal(format!("import batch task: {e}")))??;
        let count = outcomes.len() as u64;
        for (line, outcome) in lines.into_iter().zip(outcomes) {
            self.report.record(line, outcome);
        }
        self.progress.advance(count);
        Ok(())
    }

    /// Writes what is left, refreshes storage statistics after a load, and
    /// returns the report with its errors in line order.
    pub async fn finish(mut self) -> Result<ImportReport, TransferError> {
        self.flush().await?;
        if self.report.created + self.report.updated > 0 {
            self.service.storage().optimize_after_bulk_load().await?;
        }
        self.progress.finish();
        let mut report = self.report;
        report.errors.sort_by_key(|e| e.line);
        Ok(report)
    }
}
