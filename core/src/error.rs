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
    /// Something failed that the client cannot fix. The source is for logs.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

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
