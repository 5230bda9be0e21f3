//! The records usergraph keeps. Backends store and return these as they are;
//! every value in them has already passed core's validation.

mod log;
mod role;
mod token;
mod user;

pub use log::{LogEntry, LogResult, log_keys};
pub use role::Role;
pub use token::{AccessToken, TokenDigest, TokenKind};
pub use user::{Address, Identity, PasswordAlgorithm, PasswordDigest, Profile, UniqueKeys, User};
