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
