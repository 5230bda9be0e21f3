//! Who is calling the service, and what they may do. Built by the transport
//! (the GraphQL router) for each request and passed to every service call, so
//! that checks and audit live in core, not in the transport.

use std::collections::BTreeSet;
use std::fmt;

use crate::ids::UserId;

/// A permission the service checks. Roles hold them as strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    UsersRead,
    UsersWrite,
    UsersDelete,
    UsersPassword,
    RolesRead,
    RolesWrite,
    LogsRead,
    TokensRead,
    TokensWrite,
}

impl Permission {
    pub const ALL: [Permission; 9] = [
        Permission::UsersRead,
        Permission::UsersWrite,
        Permission::UsersDelete,
        Permission::UsersPassword,
        Permission::RolesRead,
        Permission::RolesWrite,
        Permission::LogsRead,
        Permission::TokensRead,
        Permission::TokensWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::UsersRead => "users:read",
            Permission::UsersWrite => "users:write",
            Permission::UsersDelete => "users:delete",
            Permission::UsersPassword => "users:password",
            Permission::RolesRead => "roles:read",
            Permission::RolesWrite => "roles:write",
            Permission::LogsRead => "logs:read",
            Permission::TokensRead => "tokens:read",
            Permission::TokensWrite => "tokens:write",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == raw)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The permissions a caller holds for this request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Permissions {
    /// Every permission: the process itself (CLI, bootstrap) or, until
    /// authentication is configured, every request.
    All,
    Only(BTreeSet<Permission>),
}

impl Permissions {
    pub fn allows(&self, permission: Permission) -> bool {
        match self {
            Permissions::All => true,
            Permissions::Only(set) => set.contains(&permission),
        }
    }
}

/// The caller of one service operation.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The authenticated user, if any.
    pub user_id: Option<UserId>,
    /// The token the user authenticated with, if any.
    pub token_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub permissions: Permissions,
}

impl Caller {
    /// The process itself: all permissions, no user. Used by the CLI and by
    /// embedding code that acts on its own authority.
    pub fn system() -> Self {
        Caller {
            user_id: None,
            token_id: None,
            ip: None,
            user_agent: None,
            permissions: Permissions::All,
        }
    }

    pub fn with_client(mut self, ip: Option<String>, user_agent: Option<String>) -> Self {
        self.ip = ip;
        self.user_agent = user_agent;
        self
    }

    /// Fails with `FORBIDDEN` unless the caller holds `permission`.
    pub fn require(&self, permission: Permission) -> crate::Result<()> {
        if self.permissions.allows(permission) {
            Ok(())
        } else {
            Err(crate::Error::Forbidden(format!(
                "this operation requires the {permission} permission"
            )))
        }
    }
}
