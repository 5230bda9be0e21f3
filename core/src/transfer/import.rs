//! Importing an export file. Roles come after users in the file but users
//! name them, so the file is read twice: the first pass imports the role
//! lines (and counts the records), the second the users, in batches.

use std::collections::HashSet;
use std::io::{BufRead, Seek, SeekFrom};

use super::error::TransferError;
use super::format::{FORMAT_NAME, FORMAT_VERSION, Header, Record};
use super::progress::Progress;
use super::report::{Batcher, ImportOptions, ImportReport, PARSE};
use crate::caller::Caller;
use crate::error::Error;
use crate::service::Service;

/// Imports an export file (see [`super::format`]): roles first, then users
/// through [`Service::import_users_batch`]. A line that cannot be read or
/// imported is reported with its number and the others go on, unless
/// `options.fail_fast`. Fails as a whole only when the file is not an
/// export (no header, newer version), on a read error, without the needed
/// permissions, or when storage fails.
pub async fn import_jsonl<R: BufRead + Seek>(
    service: &Service,
    caller: &Caller,
    mut input: R,
    options: ImportOptions,
    progress: &mut dyn Progress,
) -> Result<ImportReport, TransferError> {
    let mut lines = Lines::new(&mut input);
    check_header(&mut lines)?;

    // Pass 1: roles, and how many records there are.
    let mut report = ImportReport::default();
    let mut role_lines = HashSet::new();
    let mut total = 0u64;
    while let Some((number, line)) = lines.next_line()? {
        total += 1;
        if !is_role_line(line) {
            continue;
        }
        role_lines.insert(number);
        if options.fail_fast && report.failed > 0 {
            continue;
        }
        match serde_json::from_slice::<Record>(line) {
            Ok(Record::Role(role)) => {
                let outcome = match service
                    .import_role(caller, role.into_imported(), options.on_existing)
                    .await
                {
                    Err(e) if fails_whole_import(&e) => return Err(e.into()),
                    outcome => outcome,
                };
                report.record(number, outcome);
            }
            Ok(Record::User(_)) => {}
            Err(e) => report.fail(number, PARSE, None, e.to_string()),
        }
    }

    progress.start(Some(total));
    progress.advance(report.done());
    let mut batcher = Batcher::new(service, caller, options, progress);
    batcher.report = report;
    if batcher.should_stop() {
        batcher.report.stopped_early = true;
        return batcher.finish().await;
    }

    // Pass 2: users.
    input.seek(SeekFrom::Start(0))?;
    let mut lines = Lines::new(&mut input);
    lines.next_line()?;
    while let Some((number, line)) = lines.next_line()? {
        if role_lines.contains(&number) {
            continue;
        }
        match serde_json::from_slice::<Record>(line) {
            Ok(Record::User(user)) => batcher.push(number, user.into_imported()).await?,
            Ok(Record::Role(_)) => {}
            Err(e) => batcher.reject(number, PARSE, None, e.to_string()).await?,
        }
        if batcher.should_stop() {
            batcher.report.stopped_early = true;
            break;
        }
    }
    batcher.finish().await
}

/// Errors that no other line would escape either.
fn fails_whole_import(error: &Error) -> bool {
    matches!(error, Error::Internal(_) | Error::Unauthenticated)
}

/// The role lines are told apart cheaply: the `type` field alone is read.
pub(super) fn is_role_line(line: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Kind {
        #[serde(rename = "type")]
        kind: Option<String>,
    }
    serde_json::from_slice::<Kind>(line).is_ok_and(|k| k.kind.as_deref() == Some("role"))
}

fn check_header(lines: &mut Lines<'_, impl BufRead>) -> Result<(), TransferError> {
    let not_export = || {
        TransferError::Invalid(format!(
            "line 1 is not a usergraph export header (expected {{\"format\":\"{FORMAT_NAME}\",\"version\":{FORMAT_VERSION}}})"
        ))
    };
    let Some((_, line)) = lines.next_line()? else {
        return Err(TransferError::Invalid("the file is empty".to_owned()));
    };
    let header: Header = serde_json::from_slice(line).map_err(|_| not_export())?;
    if header.format != FORMAT_NAME {
        return Err(not_export());
    }
    if header.version != FORMAT_VERSION {
        return Err(TransferError::Invalid(format!(
            "the file is format version {}; this usergraph reads version {FORMAT_VERSION}",
            header.version
        )));
    }
    Ok(())
}

/// Lines with their 1-based numbers, blank lines skipped, bytes as they
/// are (a line that is not UTF-8 is reported by the JSON parser).
pub(super) struct Lines<'a, R> {
    input: &'a mut R,
    buffer: Vec<u8>,
    number: u64,
}

impl<'a, R: BufRead> Lines<'a, R> {
    pub(super) fn new(input: &'a mut R) -> Self {
        Lines {
            input,
            buffer: Vec::new(),
            number: 0,
        }
    }

    pub(super) fn next_line(&mut self) -> std::io::Result<Option<(u64, &[u8])>> {
        loop {
            self.buffer.clear();
            if self.input.read_until(b'\n', &mut self.buffer)? == 0 {
                return Ok(None);
            }
            self.number += 1;
            let end = self.buffer.trim_ascii_end().len();
            let start = end - self.buffer[..end].trim_ascii_start().len();
            if start < end {
                return Ok(Some((self.number, &self.buffer[start..end])));
            }
        }
    }
}
