use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{LogId, RoleId, UserId};
use crate::time::Timestamp;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LogResult {
    Success,
    Error,
}

impl LogResult {
    pub fn as_str(self) -> &'static str {
        match self {
            LogResult::Success => "SUCCESS",
            LogResult::Error => "ERROR",
        }
    }
}

/// One immutable audit record. Written in the same transaction as the change
/// it describes; no API updates or deletes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntry {
    pub id: LogId,
    /// e.g. `User.Created`; see [`log_keys`].
    pub key: String,
    pub result: LogResult,
    /// The user the entry is about, if any. Kept after the user is deleted.
    pub user_id: Option<UserId>,
    /// The role the entry is about, if any.
    pub role_id: Option<RoleId>,
    /// Who did it: the authenticated user, if any.
    pub actor_id: Option<UserId>,
    /// Which token the actor used, if any.
    pub token_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// What changed (field names, ids); never a secret.
    pub payload: Value,
    /// Why it failed, when `result` is `Error`.
    pub error: Option<String>,
    pub created_at: Timestamp,
}

/// The log keys usergraph writes.
pub mod log_keys {
    pub const USER_CREATED: &str = "User.Created";
    pub const USER_UPDATED: &str = "User.Updated";
    pub const USER_PROFILE_UPDATED: &str = "User.Profile.Updated";
    pub const USER_CUSTOM_DATA_UPDATED: &str = "User.CustomData.Updated";
    pub const USER_DELETED: &str = "User.Deleted";
    pub const USER_PASSWORD_SET: &str = "User.Password.Set";
    pub const USER_PASSWORD_VERIFIED: &str = "User.Password.Verified";
    pub const USER_PASSWORD_CHANGED: &str = "User.Password.Changed";
    /// A sign-in attempt; failures too (never with the password).
    pub const USER_SIGN_IN: &str = "User.SignIn";
    pub const USER_SIGN_OUT: &str = "User.SignOut";
    pub const USER_SUSPENDED: &str = "User.Suspended";
    pub const USER_UNSUSPENDED: &str = "User.Unsuspended";
    pub const USER_IDENTITY_LINKED: &str = "User.Identity.Linked";
    pub const USER_IDENTITY_UNLINKED: &str = "User.Identity.Unlinked";
    pub const USER_ROLES_ASSIGNED: &str = "User.Roles.Assigned";
    pub const USER_ROLES_REMOVED: &str = "User.Roles.Removed";
    pub const ROLE_CREATED: &str = "Role.Created";
    pub const ROLE_UPDATED: &str = "Role.Updated";
    pub const ROLE_DELETED: &str = "Role.Deleted";
    pub const TOKEN_CREATED: &str = "Token.Created";
    pub const TOKEN_RENAMED: &str = "Token.Renamed";
    pub const TOKEN_REVOKED: &str = "Token.Revoked";
    /// A presented token that exists but may not be used (expired, revoked,
    /// or its owner suspended or deleted).
    pub const TOKEN_REJECTED: &str = "Token.Rejected";
    /// A user written by an import (created, or replaced when the import
    /// updates existing users); its payload says which.
    pub const USER_IMPORTED: &str = "User.Imported";
}
