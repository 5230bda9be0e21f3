//! Importing users from a CSV file with a header row, for people coming
//! from spreadsheets. The header says which column holds what; an empty
//! cell means "not given" (a new user goes without it, an existing one
//! keeps it when updated).

use std::io::Read;

use serde_json::Value;

use super::error::TransferError;
use super::format::Algorithm;
use super::progress::Progress;
use super::report::{Batcher, ImportOptions, ImportReport, PARSE};
use crate::caller::Caller;
use crate::service::{CreateUser, ImportedUser, Service};

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Id,
    Username,
    Email,
    Phone,
    Name,
    Avatar,
    PasswordDigest,
    PasswordAlgorithm,
    Roles,
    IsSuspended,
    CustomData,
}

/// Header names, compared ignoring case and `_`, `-` and spaces (so
/// `password_digest`, `passwordDigest` and `Password Digest` are one).
const NAMES: &[(&str, Column)] = &[
    ("id", Column::Id),
    ("username", Column::Username),
    ("email", Column::Email),
    ("primaryemail", Column::Email),
    ("phone", Column::Phone),
    ("primaryphone", Column::Phone),
    ("name", Column::Name),
    ("avatar", Column::Avatar),
    ("passworddigest", Column::PasswordDigest),
    ("passwordalgorithm", Column::PasswordAlgorithm),
    ("roles", Column::Roles),
    ("issuspended", Column::IsSuspended),
    ("suspended", Column::IsSuspended),
    ("customdata", Column::CustomData),
];

/// The column names a header may use, for error messages.
pub const KNOWN_COLUMNS: &str = "id, username, email, phone, name, avatar, password_digest, password_algorithm, roles, is_suspended, custom_data";

fn column(raw: &str) -> Option<Column> {
    let key: String = raw
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect();
    NAMES
        .iter()
        .find(|(name, _)| *name == key)
        .map(|(_, column)| *column)
}

/// The columns of a file, in order.
#[derive(Debug)]
pub(super) struct Columns(Vec<Column>);

impl Columns {
    pub(super) fn from_header(header: &csv::StringRecord) -> Result<Self, TransferError> {
        let mut columns = Vec::with_capacity(header.len());
        let mut unknown = Vec::new();
        for raw in header {
            // A spreadsheet may save a byte order mark before the first name.
            let raw = raw.trim_start_matches('\u{feff}').trim();
            match column(raw) {
                Some(c) if columns.contains(&c) => {
                    return Err(TransferError::Invalid(format!(
                        "the CSV header has the column {raw:?} twice"
                    )));
                }
                Some(c) => columns.push(c),
                None => unknown.push(format!("{raw:?}")),
            }
        }
        if !unknown.is_empty() {
            return Err(TransferError::Invalid(format!(
                "unknown CSV column(s) {}; known columns: {KNOWN_COLUMNS}",
                unknown.join(", ")
            )));
        }
        if ![Column::Username, Column::Email, Column::Phone]
            .iter()
            .any(|c| columns.contains(c))
        {
            return Err(TransferError::Invalid(
                "the CSV header needs a username, email or phone column".to_owned(),
            ));
        }
        Ok(Columns(columns))
    }

    /// The user a row describes; `Err` names the column at fault and why.
    pub(super) fn user(
        &self,
        row: &csv::StringRecord,
    ) -> Result<ImportedUser, (&'static str, String)> {
        let mut user = ImportedUser {
            partial: true,
            ..ImportedUser::default()
        };
        let input: &mut CreateUser = &mut user.user;
        for (column, cell) in self.0.iter().zip(row) {
            let cell = cell.trim();
            if cell.is_empty() {
                continue;
            }
            let text = Some(cell.to_owned());
            match column {
                Column::Id => input.id = text,
                Column::Username => input.username = text,
                Column::Email => input.primary_email = text,
                Column::Phone => input.primary_phone = text,
                Column::Name => input.name = text,
                Column::Avatar => input.avatar = text,
                Column::PasswordDigest => input.password_digest = text,
                Column::PasswordAlgorithm => {
                    let algorithm = Algorithm::parse(cell).ok_or_else(|| {
                        (
                            "password_algorithm",
                            format!("{cell:?} is none of ARGON2I, ARGON2ID, ARGON2D, BCRYPT"),
                        )
                    })?;
                    input.password_algorithm = Some(algorithm.into());
                }
                Column::CustomData => {
                    let value: Value = serde_json::from_str(cell)
                        .map_err(|e| ("custom_data", format!("not JSON: {e}")))?;
                    input.custom_data = Some(value);
                }
                Column::Roles => {
                    user.roles = Some(
                        cell.split(';')
                            .map(str::trim)
                            .filter(|name| !name.is_empty())
                            .map(str::to_owned)
                            .collect(),
                    );
                }
                Column::IsSuspended => {
                    user.is_suspended = Some(parse_bool(cell).map_err(|e| ("is_suspended", e))?);
                }
            }
        }
        Ok(user)
    }
}

fn parse_bool(cell: &str) -> Result<bool, String> {
    match cell.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err(format!("{cell:?} is none of true, false, yes, no, 1, 0")),
    }
}

/// Imports the users of a CSV file (comma-separated, a header row first,
/// RFC 4180 quoting). Unknown or repeated columns fail the whole import
/// before anything is written; a bad row is reported with its line number
/// and the others go on, unless `options.fail_fast`.
pub async fn import_csv<R: Read>(
    service: &Service,
    caller: &Caller,
    input: R,
    options: ImportOptions,
    progress: &mut dyn Progress,
) -> Result<ImportReport, TransferError> {
    let mut reader = csv::ReaderBuilder::new().from_reader(input);
    let header = reader.headers().map_err(from_csv)?.clone();
    let columns = Columns::from_header(&header)?;
    progress.start(None);
    let mut batcher = Batcher::new(service, caller, options, progress);
    let mut row = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {
                let line = row.position().map_or(0, csv::Position::line);
                match columns.user(&row) {
                    Ok(user) => batcher.push(line, user).await?,
                    Err((column, message)) => {
                        let field = Some(column.to_owned());
                        batcher.reject(line, "VALIDATION", field, message).await?;
                    }
                }
            }
            Err(e) if e.is_io_error() => return Err(from_csv(e)),
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                batcher.reject(line, PARSE, None, e.to_string()).await?;
            }
        }
        if batcher.should_stop() {
            batcher.report.stopped_early = true;
            break;
        }
    }
    batcher.finish().await
}

fn from_csv(error: csv::Error) -> TransferError {
    if error.is_io_error() {
        match error.into_kind() {
            csv::ErrorKind::Io(e) => TransferError::Io(e),
            other => TransferError::Invalid(format!("{other:?}")),
        }
    } else {
        TransferError::Invalid(format!("the CSV header cannot be read: {error}"))
    }
}
