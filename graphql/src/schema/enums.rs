//! Enums shared by inputs and outputs, mirrored from core.

use async_graphql::Enum;

/// How an imported password digest was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum PasswordAlgorithm {
    #[graphql(name = "ARGON2I")]
    Argon2i,
    #[graphql(name = "ARGON2ID")]
    Argon2id,
    #[graphql(name = "ARGON2D")]
    Argon2d,
    #[graphql(name = "BCRYPT")]
    Bcrypt,
}

impl From<PasswordAlgorithm> for usergraph_core::PasswordAlgorithm {
    fn from(value: PasswordAlgorithm) -> Self {
        match value {
            PasswordAlgorithm::Argon2i => Self::Argon2i,
            PasswordAlgorithm::Argon2id => Self::Argon2id,
            PasswordAlgorithm::Argon2d => Self::Argon2d,
            PasswordAlgorithm::Bcrypt => Self::Bcrypt,
        }
    }
}

/// Whether a logged operation succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum LogResult {
    Success,
    Error,
}

impl From<LogResult> for usergraph_core::LogResult {
    fn from(value: LogResult) -> Self {
        match value {
            LogResult::Success => Self::Success,
            LogResult::Error => Self::Error,
        }
    }
}

impl From<usergraph_core::LogResult> for LogResult {
    fn from(value: usergraph_core::LogResult) -> Self {
        match value {
            usergraph_core::LogResult::Success => Self::Success,
            usergraph_core::LogResult::Error => Self::Error,
        }
    }
}

/// What happened to a user, in a `userChanged` event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum UserChangeKind {
    Created,
    /// Profile, custom data, identifiers, password, identities, or a
    /// sign-in (`lastSignInAt`).
    Updated,
    Deleted,
    Suspended,
    Unsuspended,
    RolesChanged,
}

impl From<usergraph_core::service::UserChangeKind> for UserChangeKind {
    fn from(value: usergraph_core::service::UserChangeKind) -> Self {
        use usergraph_core::service::UserChangeKind as Core;
        match value {
            Core::Created => Self::Created,
            Core::Updated => Self::Updated,
            Core::Deleted => Self::Deleted,
            Core::Suspended => Self::Suspended,
            Core::Unsuspended => Self::Unsuspended,
            Core::RolesChanged => Self::RolesChanged,
        }
    }
}
