//! Rules that protect the installation from its own callers: the built-in
//! admin role, the last admin, grants beyond the granter's permissions, and
//! acts on users who hold more than the caller.

use std::collections::BTreeSet;

use super::{Service, require_or_self};
use crate::caller::{Caller, Permission, Permissions};
use crate::error::{Error, Result};
use crate::filter::{RoleMembership, UserFilter};
use crate::ids::UserId;
use crate::model::Role;
use crate::query::{UserOrder, UserSearch};
use crate::storage::WriteOp;

/// The name of the built-in role that holds every permission.
pub(crate) const ADMIN_ROLE_NAME: &str = "admin";

/// Whether `id` is the caller's own user.
pub(super) fn is_self(caller: &Caller, id: &UserId) -> bool {
    caller.user_id.as_ref() == Some(id)
}

/// Whether every one of `ids` (at least one) is the caller's own user.
pub(super) fn all_self(caller: &Caller, ids: &[UserId]) -> bool {
    !ids.is_empty() && ids.iter().all(|id| is_self(caller, id))
}

/// Parses the target user id of an operation that needs `permission`
/// unless the caller acts on itself. A malformed id is reported only to a
/// caller who could have used a good one, so an anonymous caller always
/// hears `UNAUTHENTICATED` first.
pub(super) fn user_id_for(caller: &Caller, permission: Permission, raw: &str) -> Result<UserId> {
    match UserId::parse(raw) {
        Ok(id) => {
            require_or_self(caller, permission, &id)?;
            Ok(id)
        }
        Err(e) => {
            caller.require(permission)?;
            Err(e)
        }
    }
}

/// Fails unless the caller holds every permission in `granted`, the
/// permission strings of a role being granted, created or widened: nobody
/// hands out more than they hold. Strings that name no usergraph permission
/// grant nothing the service checks, so they need nothing either.
pub(super) fn require_grantable<'a>(
    caller: &Caller,
    granted: impl IntoIterator<Item = &'a String>,
) -> Result<()> {
    match granted
        .into_iter()
        .filter_map(|raw| Permission::parse(raw))
        .find(|permission| !caller.permissions.allows(*permission))
    {
        None => Ok(()),
        Some(_) if caller.is_anonymous() => Err(Error::Unauthenticated),
        Some(missing) => Err(Error::Forbidden(format!(
            "you cannot grant the {missing} permission, which you do not hold"
        ))),
    }
}

/// The first permission in `target`, the permissions of a user the caller
/// acts on, that the caller does not hold.
fn beyond(caller: &Caller, target: &BTreeSet<Permission>) -> Option<Permission> {
    target
        .iter()
        .copied()
        .find(|permission| !caller.permissions.allows(*permission))
}

/// The refusal of an act on a user who holds `missing`, which the caller
/// does not: whoever may set the password of, or otherwise change, a user
/// who holds more could take over that user and its power. The rule of
/// [`require_grantable`], applied to the user acted on rather than to the
/// role granted.
pub(super) fn outranked(caller: &Caller, missing: Permission) -> Error {
    if caller.is_anonymous() {
        return Error::Unauthenticated;
    }
    Error::Forbidden(format!(
        "you cannot act on a user who holds the {missing} permission, which you do not hold"
    ))
}

/// Fails with [`outranked`] unless the caller holds every permission in
/// `target`.
pub(super) fn require_outranks(caller: &Caller, target: &BTreeSet<Permission>) -> Result<()> {
    match beyond(caller, target) {
        None => Ok(()),
        Some(missing) => Err(outranked(caller, missing)),
    }
}

/// The built-in admin role: the role whose name key is `admin`.
pub(super) fn is_admin_role(role: &Role) -> bool {
    role.name_key() == ADMIN_ROLE_NAME
}

pub(super) fn admin_role_is_fixed() -> Error {
    Error::Forbidden(
        "the built-in admin role cannot be changed: it cannot be renamed, deleted or given other permissions"
            .into(),
    )
}

impl Service {
    /// The first permission the user `target` holds through its roles now
    /// that the caller does not hold; `None` for a user that does not exist
    /// (the operation then reports `NOT_FOUND` itself). The process itself
    /// holds everything and needs no lookup.
    ///
    /// The roles are read before the operation commits, as the role checks
    /// of [`require_grantable`] are: a role granted to the target (or a
    /// permission added to one of its roles) by someone else in between is
    /// not seen. Only a caller who holds that permission can open that
    /// window, never the weaker caller the check refuses.
    pub(super) async fn permission_beyond(
        &self,
        caller: &Caller,
        target: &UserId,
    ) -> Result<Option<Permission>> {
        if caller.permissions == Permissions::All {
            return Ok(None);
        }
        Ok(beyond(caller, &self.permissions_of(target).await?))
    }

    /// Fails with [`outranked`] unless the caller holds every permission the
    /// user `target` holds. Applies to the caller's own user too: a token
    /// scoped to fewer permissions than its user's roles may not, say, set
    /// its user's password and sign in with all of them.
    pub(super) async fn require_outranks(&self, caller: &Caller, target: &UserId) -> Result<()> {
        match self.permission_beyond(caller, target).await? {
            None => Ok(()),
            Some(missing) => Err(outranked(caller, missing)),
        }
    }

    /// [`Service::require_outranks`] unless the caller acts on its own user,
    /// for operations a user may run on itself without any permission.
    pub(super) async fn require_outranks_unless_self(
        &self,
        caller: &Caller,
        target: &UserId,
    ) -> Result<()> {
        if is_self(caller, target) {
            return Ok(());
        }
        self.require_outranks(caller, target).await
    }

    /// The built-in admin role, if it exists yet.
    pub(super) async fn admin_role(&self) -> Result<Option<Role>> {
        self.storage.role_by_name(ADMIN_ROLE_NAME).await
    }

    /// Fails with `FORBIDDEN` when `user_id` is the only unsuspended holder
    /// of the admin role, which `action` (e.g. "delete") would take away.
    /// When `user_id` is one of several, returns the op to end the commit
    /// with: this check and the commit are separate steps, so two concurrent
    /// operations on the last two admins would each see the other and both
    /// pass, and the op repeats the check inside the commit, where backends
    /// serialize it. `None` when `user_id` is no active admin.
    ///
    /// One storage search of at most two users, never a scan.
    pub(super) async fn refuse_last_admin(
        &self,
        admin: &Role,
        user_id: &UserId,
        action: &str,
    ) -> Result<Option<WriteOp>> {
        let search = UserSearch {
            filter: UserFilter::And(vec![
                UserFilter::Roles(RoleMembership {
                    any: Some(vec![admin.id.clone()]),
                    ..RoleMembership::default()
                }),
                UserFilter::IsSuspended(false),
            ]),
            order: vec![UserOrder::DEFAULT],
            after: None,
            backward: false,
            limit: 2,
            count_limit: None,
        };
        let admins = self.storage.search_users(&search).await?.items;
        if !admins.iter().any(|user| &user.id == user_id) {
            return Ok(None);
        }
        let refusal =
            format!("cannot {action} the last admin: make another active user an admin first");
        if admins.len() == 1 {
            return Err(Error::Forbidden(refusal));
        }
        Ok(Some(WriteOp::RequireActiveHolder {
            role_id: admin.id.clone(),
            refusal,
        }))
    }

    /// [`Service::refuse_last_admin`] for whatever admin role exists.
    pub(super) async fn refuse_if_last_admin(
        &self,
        user_id: &UserId,
        action: &str,
    ) -> Result<Option<WriteOp>> {
        match self.admin_role().await? {
            Some(admin) => self.refuse_last_admin(&admin, user_id, action).await,
            None => Ok(None),
        }
    }
}
