//! The one error type of usergraph. Every variant has a stable machine code
//! that clients can match on; messages are for humans and never carry
//! internal details (SQL, file paths): those stay in the `Internal` source,
//! which is logged, not shown.

use std::fmt;
use std::time::Duration;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of thing a `NotFound` is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entity {
    User,
    Role,
    Identity,
    Token,
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Entity::User => "user",
            Entity::Role => "role",
            Entity::Identity => "identity",
            Entity::Token => "token",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input broke a rule. `field` names the input field at fault (e.g.
    /// `primaryEmail`, `customData`), when there is one.
    #[error("{message}")]
    Validation {
        field: Option<String>,
        message: String,
    },
    #[error("{entity} not found: {id}")]
    NotFound { entity: Entity, id: String },
    #[error("username is already in use")]
    UsernameAlreadyInUse,
    #[error("email is already in use")]
    EmailAlreadyInUse,
    #[error("phone is already in use")]
    PhoneAlreadyInUse,
    /// A uniqueness or state conflict other than the three identifiers
    /// (e.g. a role name, or a record changed concurrently too often).
    #[error("{message}")]
    Conflict {
        field: Option<String>,
        message: String,
    },
    /// A storage update whose expected version is stale. The service retries
    /// these itself; a client sees one only if retries run out.
    #[error("the record was changed concurrently, please retry")]
    StaleVersion,
    #[error("authentication required")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    /// A plugin's before-hook vetoed the change.
    #[error("{message}")]
    Rejected {
        plugin: String,
        field: Option<String>,
        message: String,
    },
    #[error("too many attempts, retry later")]
    RateLimited { retry_after: Option<Duration> },
    /// A subscriber fell further behind the live events than its buffer
    /// holds. It resumes with `after: last_cursor` (the last event it was
    /// sent), losing nothing.
    #[error(
        "the subscription fell behind the live events and was ended; subscribe again with `after` set to the last cursor received"
    )]
    Lagged { last_cursor: Option<String> },
    /// Something failed that the client cannot fix. The source is for logs.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

/// Every code [`Error::code`] returns. The README's Errors table lists
/// these, the transport's own codes and the import's `PARSE`; a test holds
/// them equal.
pub const CODES: &[&str] = &[
    "VALIDATION",
    "NOT_FOUND",
    "USERNAME_ALREADY_IN_USE",
    "EMAIL_ALREADY_IN_USE",
    "PHONE_ALREADY_IN_USE",
    "CONFLICT",
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "REJECTED",
    "RATE_LIMITED",
    "LAGGED",
    "INTERNAL",
];

impl Error {
    /// The stable machine code, exposed as GraphQL `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Validation { .. } => "VALIDATION",
            Error::NotFound { .. } => "NOT_FOUND",
            Error::UsernameAlreadyInUse => "USERNAME_ALREADY_IN_USE",
            Error::EmailAlreadyInUse => "EMAIL_ALREADY_IN_USE",
            Error::PhoneAlreadyInUse => "PHONE_ALREADY_IN_USE",
            Error::Conflict { .. } | Error::StaleVersion => "CONFLICT",
            Error::Unauthenticated => "UNAUTHENTICATED",
            Error::Forbidden(_) => "FORBIDDEN",
            Error::Rejected { .. } => "REJECTED",
            Error::RateLimited { .. } => "RATE_LIMITED",
            Error::Lagged { .. } => "LAGGED",
            Error::Internal(_) => "INTERNAL",
        }
    }

    /// The input field at fault, when the error is about one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Validation { field, .. }
            | Error::Conflict { field, .. }
            | Error::Rejected { field, .. } => field.as_deref(),
            Error::UsernameAlreadyInUse => Some("username"),
            Error::EmailAlreadyInUse => Some("primaryEmail"),
            Error::PhoneAlreadyInUse => Some("primaryPhone"),
            _ => None,
        }
    }

    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Validation {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    pub fn not_found(entity: Entity, id: impl Into<String>) -> Self {
        Error::NotFound {
            entity,
            id: id.into(),
        }
    }

    pub fn conflict(field: Option<&str>, message: impl Into<String>) -> Self {
        Error::Conflict {
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }

    /// Wraps an engine or I/O failure; the client sees only "internal error".
    pub fn internal(source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        Error::Internal(source.into())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn codes_lists_exactly_what_code_returns() {
        // A new variant fails to compile here until it is numbered, and
        // the test then fails until it has a sample below.
        let ordinal = |error: &Error| match error {
            Error::Validation { .. } => 0,
            Error::NotFound { .. } => 1,
            Error::UsernameAlreadyInUse => 2,
            Error::EmailAlreadyInUse => 3,
            Error::PhoneAlreadyInUse => 4,
            Error::Conflict { .. } => 5,
            Error::StaleVersion => 6,
            Error::Unauthenticated => 7,
            Error::Forbidden(_) => 8,
            Error::Rejected { .. } => 9,
            Error::RateLimited { .. } => 10,
            Error::Internal(_) => 11,
            Error::Lagged { .. } => 12,
        };
        let errors = [
            Error::validation("f", "m"),
            Error::not_found(Entity::User, "u"),
            Error::UsernameAlreadyInUse,
            Error::EmailAlreadyInUse,
            Error::PhoneAlreadyInUse,
            Error::conflict(None, "m"),
            Error::StaleVersion,
            Error::Unauthenticated,
            Error::Forbidden("m".into()),
            Error::Rejected {
                plugin: "p".into(),
                field: None,
                message: "m".into(),
            },
            Error::RateLimited { retry_after: None },
            Error::internal("x"),
            Error::Lagged { last_cursor: None },
        ];
        let sampled: BTreeSet<usize> = errors.iter().map(ordinal).collect();
        assert_eq!(sampled, (0..13).collect());
        let produced: BTreeSet<&str> = errors.iter().map(Error::code).collect();
        let listed: BTreeSet<&str> = CODES.iter().copied().collect();
        assert_eq!(listed.len(), CODES.len(), "a code is listed twice");
        assert_eq!(produced, listed);
    }
}
