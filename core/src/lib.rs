//! usergraph's domain: users, roles and logs, the rules that govern them, the
//! [`Storage`] trait every backend implements, and the [`Service`] that applies
//! the rules. Nothing here knows a storage engine or GraphQL.

pub mod caller;
pub mod cursor;
pub mod error;
pub mod eval;
pub mod feed;
pub mod filter;
pub mod ids;
pub mod model;
pub mod page;
pub mod password;
pub mod plugin;
pub mod query;
pub mod secret;
pub mod service;
pub mod storage;
pub mod throttle;
pub mod time;
pub mod transfer;
pub mod validate;

pub use caller::{Caller, Permission, Permissions};
pub use error::{Entity, Error, Result};
pub use ids::{LogId, RoleId, TokenId, UserId};
pub use model::{
    AccessToken, Address, Identity, LogEntry, LogResult, PasswordAlgorithm, PasswordDigest,
    Profile, Role, TokenDigest, TokenKind, User,
};
pub use service::{Service, ServiceSettings};
pub use storage::{Storage, UniqueKey, WriteOp};
pub use time::Timestamp;
