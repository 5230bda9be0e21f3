//! Which users hold which roles.

use std::collections::{BTreeSet, HashMap};

use serde_json::json;

use super::audit::Audit;
use super::{Service, guard};
use crate::caller::{Caller, Permission};
use crate::cursor::UserList;
use crate::error::{Entity, Error, Result};
use crate::filter::{RoleMembership, UserFilter};
use crate::ids::{RoleId, UserId};
use crate::model::{Role, User, log_keys};
use crate::page::{Connection, PageArgs};
use crate::plugin::{EventKind, Proposal};
use crate::query::UserOrder;
use crate::storage::WriteOp;
use crate::time;

/// More role ids than this in one call is a mistake, not a use.
const MAX_ROLE_IDS: usize = 100;

/// Parses, sorts and deduplicates client role ids (field `roleIds`).
fn role_ids(raw: &[String]) -> Result<Vec<RoleId>> {
    if raw.len() > MAX_ROLE_IDS {
        return Err(Error::validation(
            "roleIds",
            format!("roleIds must list at most {MAX_ROLE_IDS} roles"),
        ));
    }
    let ids: BTreeSet<RoleId> = raw
        .iter()
        .map(|id| RoleId::parse(id).map_err(|e| Error::validation("roleIds", e.to_string())))
        .collect::<Result<_>>()?;
    Ok(ids.into_iter().collect())
}

/// What an assignment call works from.
struct Assignment {
    user: User,
    /// Sorted, deduplicated, every one a role.
    wanted: Vec<RoleId>,
    held: Vec<RoleId>,
    /// `wanted` minus `held`.
    added: Vec<RoleId>,
}

fn not_in<'a>(ids: &'a [RoleId], other: &'a [RoleId]) -> Vec<RoleId> {
    ids.iter()
        .filter(|id| !other.contains(id))
        .cloned()
        .collect()
}

/// The role ids a user holds after a change, sorted.
fn afterwards(held: &[RoleId], added: &[RoleId], removed: &[RoleId]) -> Vec<RoleId> {
    let mut ids: BTreeSet<RoleId> = held.iter().chain(added).cloned().collect();
    for id in removed {
        ids.remove(id);
    }
    ids.into_iter().collect()
}

impl Service {
    /// Asks the plugins about `user` holding exactly the roles `after`.
    async fn vet_roles(&self, caller: &Caller, user: &User, after: &[RoleId]) -> Result<()> {
        if !self.has_plugins() {
            return Ok(());
        }
        let mut roles = if after.is_empty() {
            Vec::new()
        } else {
            self.storage.roles(after).await?
        };
        roles.sort_by_cached_key(|role| (role.name_key(), role.id.clone()));
        self.vet(
            caller,
            Proposal::ChangeRoles {
                user,
                roles: &roles,
            },
        )
        .await
    }

    /// `UserRolesChanged`: the roles held now, and the difference.
    fn publish_roles(
        &self,
        caller: &Caller,
        user: &User,
        after: &[RoleId],
        added: &[RoleId],
        removed: &[RoleId],
    ) {
        let details = json!({
            "roleIds": after,
            "addedRoleIds": added,
            "removedRoleIds": removed,
        });
        self.publish_user(caller, EventKind::UserRolesChanged, user, details);
    }

    /// The roles of `ids`; `NOT_FOUND` for the first that is not a role.
    async fn require_roles(&self, ids: &[RoleId]) -> Result<Vec<Role>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let found = self.storage.roles(ids).await?;
        match ids
            .iter()
            .find(|id| !found.iter().any(|role| &role.id == *id))
        {
            Some(missing) => Err(Error::not_found(Entity::Role, missing.as_str())),
            None => Ok(found),
        }
    }

    async fn role_ids_of(&self, user_id: &UserId) -> Result<Vec<RoleId>> {
        let mut held = self
            .storage
            .role_ids_of_users(std::slice::from_ref(user_id))
            .await?;
        Ok(held.remove(user_id).unwrap_or_default())
    }

    /// The user with its checked target roles, the roles it holds now and
    /// the ones the call would add. Needs `users:write` (for oneself too),
    /// every permission the user holds (changing the roles of a stronger
    /// user is an attack on it), and every permission of every role added:
    /// nobody hands out more than they hold.
    async fn assignment_context(
        &self,
        caller: &Caller,
        user_id: &str,
        raw_role_ids: &[String],
    ) -> Result<Assignment> {
        caller.require(Permission::UsersWrite)?;
        let user_id = UserId::parse(user_id)?;
        self.require_outranks(caller, &user_id).await?;
        let wanted = role_ids(raw_role_ids)?;
        let user = self.load_user(&user_id).await?;
        let roles = self.require_roles(&wanted).await?;
        let held = self.role_ids_of(&user_id).await?;
        let added = not_in(&wanted, &held);
        for role in roles.iter().filter(|role| added.contains(&role.id)) {
            guard::require_grantable(caller, &role.permissions)?;
        }
        Ok(Assignment {
            user,
            wanted,
            held,
            added,
        })
    }

    /// Adds roles; ones already held are fine and not logged again.
    pub async fn assign_user_roles(
        &self,
        caller: &Caller,
        user_id: &str,
        role_ids: &[String],
    ) -> Result<User> {
        let Assignment {
            user, held, added, ..
        } = self.assignment_context(caller, user_id, role_ids).await?;
        if added.is_empty() {
            return Ok(user);
        }
        let after = afterwards(&held, &added, &[]);
        self.vet_roles(caller, &user, &after).await?;
        let log = Audit::new(caller, log_keys::USER_ROLES_ASSIGNED, time::now())
            .user(&user.id)
            .payload(json!({ "roleIds": added }));
        self.commit(vec![
            WriteOp::AssignRoles {
                user_id: user.id.clone(),
                role_ids: added.clone(),
            },
            log.op(),
        ])
        .await?;
        self.publish_roles(caller, &user, &after, &added, &[]);
        Ok(user)
    }

    /// Makes the user's roles exactly `role_ids`, logging what was added and
    /// what was removed. Never takes the admin role from the last admin.
    ///
    /// The roles held are read before the write, so a role someone else
    /// removes meanwhile comes back if `role_ids` lists it; the grant check
    /// saw it as held. Only a caller who keeps that role in the list can do
    /// this, and only within that window.
    pub async fn replace_user_roles(
        &self,
        caller: &Caller,
        user_id: &str,
        role_ids: &[String],
    ) -> Result<User> {
        let Assignment {
            user,
            wanted,
            held,
            added,
        } = self.assignment_context(caller, user_id, role_ids).await?;
        let removed = not_in(&held, &wanted);
        if added.is_empty() && removed.is_empty() {
            return Ok(user);
        }
        let mut last_admin_guard = None;
        if !removed.is_empty()
            && let Some(admin) = self.admin_role().await?
            && removed.contains(&admin.id)
        {
            last_admin_guard = self
                .refuse_last_admin(&admin, &user.id, "remove the admin role from")
                .await?;
        }
        self.vet_roles(caller, &user, &wanted).await?;
        let now = time::now();
        let mut ops = vec![WriteOp::ReplaceRoles {
            user_id: user.id.clone(),
            role_ids: wanted.clone(),
        }];
        if !added.is_empty() {
            let log = Audit::new(caller, log_keys::USER_ROLES_ASSIGNED, now)
                .user(&user.id)
                .payload(json!({ "roleIds": added }));
            ops.push(log.op());
        }
        if !removed.is_empty() {
            let log = Audit::new(caller, log_keys::USER_ROLES_REMOVED, now)
                .user(&user.id)
                .payload(json!({ "roleIds": removed }));
            ops.push(log.op());
        }
        ops.extend(last_admin_guard);
        self.commit(ops).await?;
        self.publish_roles(caller, &user, &wanted, &added, &removed);
        Ok(user)
    }

    /// Removes one role; removing one the user does not hold changes nothing.
    /// Needs `users:write` (for oneself too) and every permission the user
    /// holds: taking power from a stronger user is an attack on it. Never
    /// takes the admin role from the last admin.
    pub async fn remove_user_role(
        &self,
        caller: &Caller,
        user_id: &str,
        role_id: &str,
    ) -> Result<User> {
        caller.require(Permission::UsersWrite)?;
        let user_id = UserId::parse(user_id)?;
        let role_id = RoleId::parse(role_id)?;
        self.require_outranks(caller, &user_id).await?;
        let user = self.load_user(&user_id).await?;
        let role = self.load_role(&role_id).await?;
        let held = self.role_ids_of(&user_id).await?;
        if !held.contains(&role_id) {
            return Ok(user);
        }
        let last_admin_guard = if guard::is_admin_role(&role) {
            self.refuse_last_admin(&role, &user_id, "remove the admin role from")
                .await?
        } else {
            None
        };
        let removed = [role_id.clone()];
        let after = afterwards(&held, &[], &removed);
        self.vet_roles(caller, &user, &after).await?;
        let log = Audit::new(caller, log_keys::USER_ROLES_REMOVED, time::now())
            .user(&user_id)
            .payload(json!({ "roleIds": [role_id] }));
        let mut ops = vec![
            WriteOp::UnassignRoles {
                user_id,
                role_ids: vec![role_id],
            },
            log.op(),
        ];
        ops.extend(last_admin_guard);
        self.commit(ops).await?;
        self.publish_roles(caller, &user, &after, &[], &removed);
        Ok(user)
    }

    /// The roles of each user (every requested id is a key), ordered by
    /// name, in two storage calls however many users there are. Part of
    /// reading a user: `users:read`, or only oneself.
    pub async fn roles_of_users(
        &self,
        caller: &Caller,
        user_ids: &[UserId],
    ) -> Result<HashMap<UserId, Vec<Role>>> {
        if !guard::all_self(caller, user_ids) {
            caller.require(Permission::UsersRead)?;
        }
        let held = self.storage.role_ids_of_users(user_ids).await?;
        let all: Vec<RoleId> = held
            .values()
            .flatten()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let roles: HashMap<RoleId, Role> = if all.is_empty() {
            HashMap::new()
        } else {
            self.storage
                .roles(&all)
                .await?
                .into_iter()
                .map(|role| (role.id.clone(), role))
                .collect()
        };
        Ok(user_ids
            .iter()
            .map(|user_id| {
                let mut list: Vec<Role> = held
                    .get(user_id)
                    .into_iter()
                    .flatten()
                    .filter_map(|id| roles.get(id).cloned())
                    .collect();
                list.sort_by_cached_key(|role| (role.name_key(), role.id.clone()));
                (user_id.clone(), list)
            })
            .collect())
    }

    /// The users holding a role, paged like `search_users` (newest first).
    pub async fn role_users(
        &self,
        caller: &Caller,
        role_id: &RoleId,
        page: PageArgs,
        count_total: bool,
    ) -> Result<Connection<User>> {
        caller.require(Permission::UsersRead)?;
        let filter = UserFilter::Roles(RoleMembership {
            any: Some(vec![role_id.clone()]),
            ..RoleMembership::default()
        });
        self.user_page(
            UserList::RoleHolders,
            filter,
            vec![UserOrder::DEFAULT],
            &page,
            count_total,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_ids_are_parsed_sorted_and_deduplicated() {
        let got = role_ids(&["b".into(), "a".into(), "b".into()]).unwrap();
        assert_eq!(
            got,
            vec![RoleId::parse("a").unwrap(), RoleId::parse("b").unwrap()]
        );
        let err = role_ids(&["ok".into(), "not ok".into()]).unwrap_err();
        assert_eq!((err.code(), err.field()), ("VALIDATION", Some("roleIds")));
        assert!(role_ids(&vec!["r".to_owned(); MAX_ROLE_IDS + 1]).is_err());
    }

    #[test]
    fn differences_keep_only_what_is_missing() {
        let ids = |s: &[&str]| {
            s.iter()
                .map(|i| RoleId::parse(i).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            not_in(&ids(&["a", "b", "c"]), &ids(&["b"])),
            ids(&["a", "c"])
        );
        assert!(not_in(&ids(&["a"]), &ids(&["a", "b"])).is_empty());
    }
}
