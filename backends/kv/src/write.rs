//! Applying [`WriteOp`]s inside one engine write transaction. Every check
//! (existence, version, uniqueness) reads inside the same transaction as the
//! write, so concurrent writers cannot both pass it.

use std::collections::BTreeSet;

use usergraph_core::model::UniqueKeys;
use usergraph_core::{Entity, Error, LogEntry, Result, Role, RoleId, User, UserId, WriteOp};

use crate::codec::{decode, encode};
use crate::engine::{Tree, WriteTxn};
use crate::index;
use crate::keys::{self, KeyKind};
use crate::tokens;

pub(crate) fn apply(txn: &mut dyn WriteTxn, op: &WriteOp) -> Result<()> {
    match op {
        WriteOp::InsertUser(user) => insert_user(txn, user),
        WriteOp::UpdateUser {
            user,
            expected_version,
        } => update_user(txn, user, *expected_version),
        WriteOp::DeleteUser { id } => delete_user(txn, id),
        WriteOp::InsertRole(role) => insert_role(txn, role),
        WriteOp::UpdateRole {
            role,
            expected_version,
        } => update_role(txn, role, *expected_version),
        WriteOp::DeleteRole { id } => delete_role(txn, id),
        WriteOp::AssignRoles { user_id, role_ids } => {
            require_user(txn, user_id)?;
            require_roles(txn, role_ids)?;
            role_ids
                .iter()
                .try_for_each(|role_id| assign(txn, user_id, role_id))
        }
        WriteOp::UnassignRoles { user_id, role_ids } => {
            require_user(txn, user_id)?;
            role_ids
                .iter()
                .try_for_each(|role_id| unassign(txn, user_id.as_str(), role_id.as_str()))
        }
        WriteOp::ReplaceRoles { user_id, role_ids } => replace_roles(txn, user_id, role_ids),
        WriteOp::AppendLog(entry) => append_log(txn, entry),
        WriteOp::InsertToken(token) => tokens::insert(txn, token),
        WriteOp::UpdateToken {
            token,
            expected_version,
        } => tokens::update(txn, token, *expected_version),
        WriteOp::DeleteToken { id } => tokens::delete(txn, id),
        WriteOp::RequireActiveHolder { role_id, refusal } => {
            require_active_holder(txn, role_id, refusal)
        }
    }
}

/// The engine runs one write transaction at a time, so no other commit can
/// change the holders between this check and the commit.
fn require_active_holder(txn: &mut dyn WriteTxn, role_id: &RoleId, refusal: &str) -> Result<()> {
    for user_id in members(txn, Tree::RoleUsers, role_id.as_str())? {
        let Some(bytes) = txn.get(Tree::Users, user_id.as_bytes())? else {
            continue;
        };
        if !decode::<User>(&bytes)?.is_suspended {
            return Ok(());
        }
    }
    Err(Error::Forbidden(refusal.to_owned()))
}

fn load_user(txn: &mut dyn WriteTxn, id: &UserId) -> Result<User> {
    match txn.get(Tree::Users, id.as_str().as_bytes())? {
        Some(bytes) => decode(&bytes),
        None => Err(Error::not_found(Entity::User, id.as_str())),
    }
}

fn require_user(txn: &mut dyn WriteTxn, id: &UserId) -> Result<()> {
    match txn.get(Tree::Users, id.as_str().as_bytes())? {
        Some(_) => Ok(()),
        None => Err(Error::not_found(Entity::User, id.as_str())),
    }
}

fn load_role(txn: &mut dyn WriteTxn, id: &RoleId) -> Result<Role> {
    match txn.get(Tree::Roles, id.as_str().as_bytes())? {
        Some(bytes) => decode(&bytes),
        None => Err(Error::not_found(Entity::Role, id.as_str())),
    }
}

fn require_roles(txn: &mut dyn WriteTxn, ids: &[RoleId]) -> Result<()> {
    for id in ids {
        if txn.get(Tree::Roles, id.as_str().as_bytes())?.is_none() {
            return Err(Error::not_found(Entity::Role, id.as_str()));
        }
    }
    Ok(())
}

fn in_use(kind: KeyKind) -> Error {
    match kind {
        KeyKind::Username => Error::UsernameAlreadyInUse,
        KeyKind::Email => Error::EmailAlreadyInUse,
        KeyKind::Phone => Error::PhoneAlreadyInUse,
    }
}

/// Fails if one of `keys` belongs to a user other than `owner`.
fn check_unique(txn: &mut dyn WriteTxn, keys: &UniqueKeys, owner: &UserId) -> Result<()> {
    for (kind, key) in keys::unique_entries(keys) {
        if let Some(holder) = txn.get(Tree::UserKeys, &key)?
            && holder != owner.as_str().as_bytes()
        {
            return Err(in_use(kind));
        }
    }
    Ok(())
}

fn put_user(txn: &mut dyn WriteTxn, user: &User) -> Result<()> {
    txn.insert(Tree::Users, user.id.as_str().as_bytes(), &encode(user)?)
}

fn insert_user(txn: &mut dyn WriteTxn, user: &User) -> Result<()> {
    let id = user.id.as_str();
    if txn.get(Tree::Users, id.as_bytes())?.is_some() {
        return Err(Error::conflict(
            Some("id"),
            "a user with this id already exists",
        ));
    }
    let unique = user.unique_keys();
    check_unique(txn, &unique, &user.id)?;
    for (_, key) in keys::unique_entries(&unique) {
        txn.insert(Tree::UserKeys, &key, id.as_bytes())?;
    }
    txn.insert(Tree::UsersByCreated, &keys::timed(user.created_at, id), &[])?;
    index::update(txn, None, Some(user))?;
    put_user(txn, user)
}

fn update_user(txn: &mut dyn WriteTxn, user: &User, expected_version: u64) -> Result<()> {
    let stored = load_user(txn, &user.id)?;
    if stored.version != expected_version {
        return Err(Error::StaleVersion);
    }
    let id = user.id.as_str();
    let new_keys = user.unique_keys();
    check_unique(txn, &new_keys, &user.id)?;
    let new_entries = keys::unique_entries(&new_keys);
    for (_, old) in keys::unique_entries(&stored.unique_keys()) {
        if !new_entries.iter().any(|(_, new)| *new == old) {
            txn.remove(Tree::UserKeys, &old)?;
        }
    }
    for (_, key) in &new_entries {
        txn.insert(Tree::UserKeys, key, id.as_bytes())?;
    }
    if stored.created_at != user.created_at {
        txn.remove(Tree::UsersByCreated, &keys::timed(stored.created_at, id))?;
        txn.insert(Tree::UsersByCreated, &keys::timed(user.created_at, id), &[])?;
    }
    index::update(txn, Some(&stored), Some(user))?;
    put_user(txn, user)
}

fn delete_user(txn: &mut dyn WriteTxn, id: &UserId) -> Result<()> {
    let stored = load_user(txn, id)?;
    for (_, key) in keys::unique_entries(&stored.unique_keys()) {
        txn.remove(Tree::UserKeys, &key)?;
    }
    txn.remove(
        Tree::UsersByCreated,
        &keys::timed(stored.created_at, id.as_str()),
    )?;
    index::update(txn, Some(&stored), None)?;
    for role_id in roles_of(txn, id.as_str())? {
        unassign(txn, id.as_str(), &role_id)?;
    }
    tokens::delete_of_user(txn, id)?;
    txn.remove(Tree::Users, id.as_str().as_bytes())
}

/// The ids of the roles `user_id` holds, ascending.
fn roles_of(txn: &mut dyn WriteTxn, user_id: &str) -> Result<Vec<String>> {
    members(txn, Tree::UserRoles, user_id)
}

/// The members of `owner` in a pair tree, ascending.
fn members(txn: &mut dyn WriteTxn, tree: Tree, owner: &str) -> Result<Vec<String>> {
    let prefix = keys::owner_prefix(owner);
    txn.scan_prefix(tree, &prefix)?
        .into_iter()
        .map(|(key, _)| {
            keys::member(&key, prefix.len())
                .map(str::to_owned)
                .ok_or_else(|| Error::internal("malformed assignment key"))
        })
        .collect()
}

fn assign(txn: &mut dyn WriteTxn, user_id: &UserId, role_id: &RoleId) -> Result<()> {
    let (user, role) = (user_id.as_str(), role_id.as_str());
    txn.insert(Tree::UserRoles, &keys::pair(user, role.as_bytes()), &[])?;
    txn.insert(Tree::RoleUsers, &keys::pair(role, user.as_bytes()), &[])
}

fn unassign(txn: &mut dyn WriteTxn, user_id: &str, role_id: &str) -> Result<()> {
    txn.remove(Tree::UserRoles, &keys::pair(user_id, role_id.as_bytes()))?;
    txn.remove(Tree::RoleUsers, &keys::pair(role_id, user_id.as_bytes()))
}

fn replace_roles(txn: &mut dyn WriteTxn, user_id: &UserId, role_ids: &[RoleId]) -> Result<()> {
    require_user(txn, user_id)?;
    require_roles(txn, role_ids)?;
    let wanted: BTreeSet<&str> = role_ids.iter().map(RoleId::as_str).collect();
    for held in roles_of(txn, user_id.as_str())? {
        if !wanted.contains(held.as_str()) {
            unassign(txn, user_id.as_str(), &held)?;
        }
    }
    role_ids
        .iter()
        .try_for_each(|role_id| assign(txn, user_id, role_id))
}

/// Fails if `name_key` belongs to a role other than `owner`.
fn check_role_name(txn: &mut dyn WriteTxn, name_key: &str, owner: &RoleId) -> Result<()> {
    match txn.get(Tree::RoleNames, name_key.as_bytes())? {
        Some(holder) if holder != owner.as_str().as_bytes() => Err(Error::conflict(
            Some("name"),
            "a role with this name already exists",
        )),
        _ => Ok(()),
    }
}

fn insert_role(txn: &mut dyn WriteTxn, role: &Role) -> Result<()> {
    let id = role.id.as_str();
    if txn.get(Tree::Roles, id.as_bytes())?.is_some() {
        return Err(Error::conflict(
            Some("id"),
            "a role with this id already exists",
        ));
    }
    let name_key = role.name_key();
    check_role_name(txn, &name_key, &role.id)?;
    txn.insert(Tree::RoleNames, name_key.as_bytes(), id.as_bytes())?;
    txn.insert(Tree::Roles, id.as_bytes(), &encode(role)?)
}

fn update_role(txn: &mut dyn WriteTxn, role: &Role, expected_version: u64) -> Result<()> {
    let stored = load_role(txn, &role.id)?;
    if stored.version != expected_version {
        return Err(Error::StaleVersion);
    }
    let id = role.id.as_str();
    let (old_key, new_key) = (stored.name_key(), role.name_key());
    if old_key != new_key {
        check_role_name(txn, &new_key, &role.id)?;
        txn.remove(Tree::RoleNames, old_key.as_bytes())?;
        txn.insert(Tree::RoleNames, new_key.as_bytes(), id.as_bytes())?;
    }
    txn.insert(Tree::Roles, id.as_bytes(), &encode(role)?)
}

fn delete_role(txn: &mut dyn WriteTxn, id: &RoleId) -> Result<()> {
    let stored = load_role(txn, id)?;
    txn.remove(Tree::RoleNames, stored.name_key().as_bytes())?;
    for user_id in members(txn, Tree::RoleUsers, id.as_str())? {
        unassign(txn, &user_id, id.as_str())?;
    }
    txn.remove(Tree::Roles, id.as_str().as_bytes())
}

fn append_log(txn: &mut dyn WriteTxn, entry: &LogEntry) -> Result<()> {
    let key = keys::timed(entry.created_at, entry.id.as_str());
    if txn.get(Tree::Logs, &key)?.is_some() {
        return Err(Error::conflict(
            None,
            "a log entry with this id already exists",
        ));
    }
    txn.insert(Tree::Logs, &key, &encode(entry)?)?;
    if let Some(user_id) = &entry.user_id {
        txn.insert(Tree::LogsByUser, &keys::pair(user_id.as_str(), &key), &[])?;
    }
    if let Some(role_id) = &entry.role_id {
        txn.insert(Tree::LogsByRole, &keys::pair(role_id.as_str(), &key), &[])?;
    }
    Ok(())
}
