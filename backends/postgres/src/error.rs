//! From sqlx errors to usergraph's. Database messages can quote SQL and
//! values, so they go to the log only; clients see a stable code.

use usergraph_core::Error;

pub(crate) const UNIQUE_VIOLATION: &str = "23505";
pub(crate) const FOREIGN_KEY_VIOLATION: &str = "23503";

/// The SQLSTATE and constraint name of a database error, if it is one.
pub(crate) fn db_error(err: &sqlx::Error) -> Option<(String, Option<String>)> {
    match err {
        sqlx::Error::Database(db) => Some((
            db.code().map(|c| c.into_owned()).unwrap_or_default(),
            db.constraint().map(str::to_owned),
        )),
        _ => None,
    }
}

/// Any failure the client cannot fix: logged in full, shown as `INTERNAL`.
pub(crate) fn internal(err: sqlx::Error) -> Error {
    tracing::warn!(error = %err, "PostgreSQL call failed");
    let summary = match db_error(&err) {
        Some((code, _)) => format!("database error (SQLSTATE {code})"),
        None => "database unavailable".to_owned(),
    };
    Error::internal(summary)
}

/// The error a unique violation on `constraint` means to a client, or
/// `None` when the constraint is not one usergraph reports.
pub(crate) fn unique_violation(constraint: &str) -> Option<Error> {
    Some(match constraint {
        "users_pkey" => Error::conflict(Some("id"), "a user with this id already exists"),
        "users_username_key" => Error::UsernameAlreadyInUse,
        "users_email_key" => Error::EmailAlreadyInUse,
        "users_phone_key" => Error::PhoneAlreadyInUse,
        "roles_pkey" => Error::conflict(Some("id"), "a role with this id already exists"),
        "roles_name_key" => Error::conflict(Some("name"), "a role with this name already exists"),
        "logs_pkey" => Error::conflict(None, "a log entry with this id already exists"),
        "access_tokens_pkey" => Error::conflict(Some("id"), "a token with this id already exists"),
        "access_tokens_digest_key" => {
            Error::conflict(None, "a token with this digest already exists")
        }
        "access_tokens_name_key" => {
            Error::conflict(Some("name"), "a token with this name already exists")
        }
        _ => return None,
    })
}

/// Maps a write's failure: unique violations to their codes, the rest to
/// `INTERNAL`.
pub(crate) fn write_error(err: sqlx::Error) -> Error {
    if let Some((code, Some(constraint))) = db_error(&err)
        && code == UNIQUE_VIOLATION
        && let Some(mapped) = unique_violation(&constraint)
    {
        return mapped;
    }
    internal(err)
}
