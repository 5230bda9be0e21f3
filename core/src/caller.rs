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

    /// A request without credentials: no user, no permissions. Every
    /// operation but signing in refuses it with `UNAUTHENTICATED`.
    pub fn anonymous() -> Self {
        Caller {
            user_id: None,
            token_id: None,
            ip: None,
            user_agent: None,
            permissions: Permissions::Only(BTreeSet::new()),
        }
    }

    /// Neither a user nor the process itself.
    pub fn is_anonymous(&self) -> bool {
        self.user_id.is_none() && self.permissions != Permissions::All
    }

    pub fn with_client(mut self, ip: Option<String>, user_agent: Option<String>) -> Self {
        self.ip = ip;
        self.user_agent = user_agent;
        self
    }

    /// Fails unless the caller holds `permission`: `UNAUTHENTICATED` for an
    /// anonymous caller (who may succeed by signing in), `FORBIDDEN` for an
    /// authenticated one.
    pub fn require(&self, permission: Permission) -> crate::Result<()> {
        if self.permissions.allows(permission) {
            Ok(())
        } else if self.is_anonymous() {
            Err(crate::Error::Unauthenticated)
        } else {
            Err(crate::Error::Forbidden(format!(
                "this operation requires the {permission} permission"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(permissions: &[Permission]) -> Caller {
        Caller {
            user_id: Some(UserId::parse("someone").unwrap()),
            permissions: Permissions::Only(permissions.iter().copied().collect()),
            ..Caller::anonymous()
        }
    }

    #[test]
    fn permission_names_round_trip_and_unknown_ones_parse_to_nothing() {
        for permission in Permission::ALL {
            assert_eq!(Permission::parse(permission.as_str()), Some(permission));
            assert_eq!(permission.to_string(), permission.as_str());
        }
        for unknown in ["", "users", "USERS:READ", "billing:refund"] {
            assert_eq!(Permission::parse(unknown), None);
        }
    }

    #[test]
    fn only_a_caller_without_user_or_full_authority_is_anonymous() {
        assert!(Caller::anonymous().is_anonymous());
        assert!(!Caller::system().is_anonymous());
        assert!(!user(&[]).is_anonymous());
    }

    #[test]
    fn require_says_sign_in_to_strangers_and_no_to_users() {
        let anonymous = Caller::anonymous();
        assert_eq!(
            anonymous.require(Permission::UsersRead).unwrap_err().code(),
            "UNAUTHENTICATED"
        );
        let reader = user(&[Permission::UsersRead]);
        assert!(reader.require(Permission::UsersRead).is_ok());
        let err = reader.require(Permission::UsersWrite).unwrap_err();
        assert_eq!(err.code(), "FORBIDDEN");
        assert!(err.to_string().contains("users:write"));
        for permission in Permission::ALL {
            assert!(Caller::system().require(permission).is_ok());
        }
    }
}
