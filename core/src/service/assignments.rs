//! Which users hold which roles.

use std::collections::{BTreeSet, HashMap};

use serde_json::json;

use super::Service;
use super::audit::Audit;
use crate::caller::{Caller, Permission};
use crate::error::{Entity, Error, Result};
use crate::filter::{RoleMembership, UserFilter};
use crate::ids::{RoleId, UserId};
use crate::model::{Role, User, log_keys};
use crate::page::{Connection, PageArgs};
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

fn not_in<'a>(ids: &'a [RoleId], other: &'a [RoleId]) -> Vec<RoleId> {
    ids.iter()
        .filter(|id| !other.contains(id))
        .cloned()
        .collect()
}

impl Service {
    /// `NOT_FOUND` for the first of `ids` that is not a role.
    async fn require_roles(&self, ids: &[RoleId]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let found = self.storage.roles(ids).await?;
        match ids
            .iter()
            .find(|id| !found.iter().any(|role| &role.id == *id))
        {
            Some(missing) => Err(Error::not_found(Entity::Role, missing.as_str())),
            None => Ok(()),
        }
    }

    async fn role_ids_of(&self, user_id: &UserId) -> Result<Vec<RoleId>> {
        let mut held = self
            .storage
            .role_ids_of_users(std::slice::from_ref(user_id))
            .await?;
        Ok(held.remove(user_id).unwrap_or_default())
    }

    /// The user with its checked target roles and the roles it holds now.
    async fn assignment_context(
        &self,
        caller: &Caller,
        user_id: &str,
        raw_role_ids: &[String],
    ) -> Result<(User, Vec<RoleId>, Vec<RoleId>)> {
        caller.require(Permission::RolesWrite)?;
        let user_id = UserId::parse(user_id)?;
        let wanted = role_ids(raw_role_ids)?;
        let user = self.load_user(&user_id).await?;
        self.require_roles(&wanted).await?;
        let held = self.role_ids_of(&user_id).await?;
        Ok((user, wanted, held))
    }

    /// Adds roles; ones already held are fine and not logged again.
    pub async fn assign_user_roles(
        &self,
        caller: &Caller,
        user_id: &str,
        role_ids: &[String],
    ) -> Result<User> {
        let (user, wanted, held) = self.assignment_context(caller, user_id, role_ids).await?;
        let added = not_in(&wanted, &held);
        if added.is_empty() {
            return Ok(user);
        }
        let log = Audit::new(caller, log_keys::USER_ROLES_ASSIGNED, time::now())
            .user(&user.id)
            .payload(json!({ "roleIds": added }));
        self.storage
            .commit(vec![
                WriteOp::AssignRoles {
                    user_id: user.id.clone(),
                    role_ids: added,
                },
                log.op(),
            ])
            .await?;
        Ok(user)
    }

    /// Makes the user's roles exactly `role_ids`, logging what was added and
    /// what was removed.
    pub async fn replace_user_roles(
        &self,
        caller: &Caller,
        user_id: &str,
        role_ids: &[String],
    ) -> Result<User> {
        let (user, wanted, held) = self.assignment_context(caller, user_id, role_ids).await?;
        let added = not_in(&wanted, &held);
        let removed = not_in(&held, &wanted);
        if added.is_empty() && removed.is_empty() {
            return Ok(user);
        }
        let now = time::now();
        let mut ops = vec![WriteOp::ReplaceRoles {
            user_id: user.id.clone(),
            role_ids: wanted,
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
        self.storage.commit(ops).await?;
        Ok(user)
    }

    /// Removes one role; removing one the user does not hold changes nothing.
    pub async fn remove_user_role(
        &self,
        caller: &Caller,
        user_id: &str,
        role_id: &str,
    ) -> Result<User> {
        caller.require(Permission::RolesWrite)?;
        let user_id = UserId::parse(user_id)?;
        let role_id = RoleId::parse(role_id)?;
        let user = self.load_user(&user_id).await?;
        self.load_role(&role_id).await?;
        if !self.role_ids_of(&user_id).await?.contains(&role_id) {
            return Ok(user);
        }
        let log = Audit::new(caller, log_keys::USER_ROLES_REMOVED, time::now())
            .user(&user_id)
            .payload(json!({ "roleIds": [role_id] }));
        self.storage
            .commit(vec![
                WriteOp::UnassignRoles {
                    user_id,
                    role_ids: vec![role_id],
                },
                log.op(),
            ])
            .await?;
        Ok(user)
    }

    /// The roles of each user (every requested id is a key), ordered by
    /// name, in two storage calls however many users there are.
    pub async fn roles_of_users(
        &self,
        caller: &Caller,
        user_ids: &[UserId],
    ) -> Result<HashMap<UserId, Vec<Role>>> {
        caller.require(Permission::RolesRead)?;
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
        self.user_page(filter, vec![UserOrder::DEFAULT], &page, count_total)
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
