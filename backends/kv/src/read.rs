//! Point reads, all from one snapshot.

use std::collections::HashMap;

use usergraph_core::{Error, Result, Role, RoleId, UniqueKey, User, UserId};

use crate::codec::decode;
use crate::engine::{KeyRange, ReadTxn, Tree};
use crate::keys::{self, KeyKind};

pub(crate) fn user(txn: &dyn ReadTxn, id: &str) -> Result<Option<User>> {
    txn.get(Tree::Users, id.as_bytes())?
        .map(|bytes| decode(&bytes))
        .transpose()
}

pub(crate) fn users(txn: &dyn ReadTxn, ids: &[UserId]) -> Result<Vec<User>> {
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        found.extend(user(txn, id.as_str())?);
    }
    Ok(found)
}

pub(crate) fn user_by_key(txn: &dyn ReadTxn, key: &UniqueKey) -> Result<Option<User>> {
    let index_key = match key {
        UniqueKey::Username(v) => keys::unique(KeyKind::Username, v),
        UniqueKey::Email(v) => keys::unique(KeyKind::Email, v),
        UniqueKey::Phone(v) => keys::unique(KeyKind::Phone, v),
    };
    match txn.get(Tree::UserKeys, &index_key)? {
        Some(id) => user(txn, &utf8(&id)?),
        None => Ok(None),
    }
}

pub(crate) fn role(txn: &dyn ReadTxn, id: &str) -> Result<Option<Role>> {
    txn.get(Tree::Roles, id.as_bytes())?
        .map(|bytes| decode(&bytes))
        .transpose()
}

pub(crate) fn roles(txn: &dyn ReadTxn, ids: &[RoleId]) -> Result<Vec<Role>> {
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        found.extend(role(txn, id.as_str())?);
    }
    Ok(found)
}

pub(crate) fn role_by_name(txn: &dyn ReadTxn, name_key: &str) -> Result<Option<Role>> {
    match txn.get(Tree::RoleNames, name_key.as_bytes())? {
        Some(id) => role(txn, &utf8(&id)?),
        None => Ok(None),
    }
}

pub(crate) fn default_roles(txn: &dyn ReadTxn) -> Result<Vec<Role>> {
    let mut defaults = Vec::new();
    for entry in txn.scan(Tree::RoleNames, KeyRange::all(), false)? {
        let (_, id) = entry?;
        if let Some(role) = role(txn, &utf8(&id)?)?
            && role.is_default
        {
            defaults.push(role);
        }
    }
    Ok(defaults)
}

/// The role ids `user_id` holds, ascending (byte order is id order).
pub(crate) fn role_ids_of(txn: &dyn ReadTxn, user_id: &str) -> Result<Vec<RoleId>> {
    let prefix = keys::owner_prefix(user_id);
    txn.scan(Tree::UserRoles, KeyRange::prefix(&prefix), false)?
        .map(|entry| {
            let (key, _) = entry?;
            let id = keys::member(&key, prefix.len())
                .ok_or_else(|| Error::internal("malformed assignment key"))?;
            RoleId::parse(id).map_err(Error::internal)
        })
        .collect()
}

/// Existing users map to their (possibly empty) role ids; absent users are
/// left out.
pub(crate) fn role_ids_of_users(
    txn: &dyn ReadTxn,
    user_ids: &[UserId],
) -> Result<HashMap<UserId, Vec<RoleId>>> {
    let mut held = HashMap::with_capacity(user_ids.len());
    for id in user_ids {
        if held.contains_key(id) || txn.get(Tree::Users, id.as_str().as_bytes())?.is_none() {
            continue;
        }
        held.insert(id.clone(), role_ids_of(txn, id.as_str())?);
    }
    Ok(held)
}

pub(crate) fn utf8(bytes: &[u8]) -> Result<String> {
    String::from_utf8(bytes.to_vec()).map_err(Error::internal)
}
