//! Access tokens: the record under its id, and three indexes kept in the
//! same write transaction as the record:
//!
//! - [`Tree::TokenDigests`]: digest -> id, unique (the lookup of a presented
//!   secret);
//! - [`Tree::TokenNames`]: owner, 0, name key -> id, unique per owner, held
//!   only while [`AccessToken::name_key`] is `Some` (personal, not revoked);
//! - [`Tree::TokensByUser`]: owner, 0, created-at + id -> nothing, the
//!   listing order, and what deleting a user walks to drop its tokens.

use usergraph_core::{AccessToken, Entity, Error, Result, TokenDigest, TokenId, UserId};

use crate::codec::{decode, encode};
use crate::engine::{KeyRange, ReadTxn, Tree, WriteTxn};
use crate::keys;

/// The unique index entries of `token` (digest, then name when it holds
/// one), each with the id it points to.
fn unique_entries(token: &AccessToken) -> Vec<(Tree, Vec<u8>)> {
    let mut entries = vec![(Tree::TokenDigests, token.digest.as_bytes().to_vec())];
    if let Some(name_key) = token.name_key() {
        entries.push((
            Tree::TokenNames,
            keys::pair(token.user_id.as_str(), name_key.as_bytes()),
        ));
    }
    entries
}

fn listing_key(token: &AccessToken) -> Vec<u8> {
    keys::pair(
        token.user_id.as_str(),
        &keys::timed(token.created_at, token.id.as_str()),
    )
}

fn taken(tree: Tree) -> Error {
    match tree {
        Tree::TokenNames => Error::conflict(Some("name"), "a token with this name already exists"),
        _ => Error::conflict(None, "a token with this digest already exists"),
    }
}

/// Fails if one of the unique entries of `token` points to another token.
fn check_unique(txn: &mut dyn WriteTxn, token: &AccessToken) -> Result<()> {
    for (tree, key) in unique_entries(token) {
        if let Some(holder) = txn.get(tree, &key)?
            && holder != token.id.as_str().as_bytes()
        {
            return Err(taken(tree));
        }
    }
    Ok(())
}

fn load(txn: &mut dyn WriteTxn, id: &TokenId) -> Result<AccessToken> {
    match txn.get(Tree::Tokens, id.as_str().as_bytes())? {
        Some(bytes) => decode(&bytes),
        None => Err(Error::not_found(Entity::Token, id.as_str())),
    }
}

fn require_owner(txn: &mut dyn WriteTxn, user_id: &UserId) -> Result<()> {
    match txn.get(Tree::Users, user_id.as_str().as_bytes())? {
        Some(_) => Ok(()),
        None => Err(Error::not_found(Entity::User, user_id.as_str())),
    }
}

fn put(txn: &mut dyn WriteTxn, token: &AccessToken) -> Result<()> {
    let id = token.id.as_str().as_bytes();
    for (tree, key) in unique_entries(token) {
        txn.insert(tree, &key, id)?;
    }
    txn.insert(Tree::TokensByUser, &listing_key(token), &[])?;
    txn.insert(Tree::Tokens, id, &encode(token)?)
}

fn remove(txn: &mut dyn WriteTxn, token: &AccessToken) -> Result<()> {
    for (tree, key) in unique_entries(token) {
        txn.remove(tree, &key)?;
    }
    txn.remove(Tree::TokensByUser, &listing_key(token))?;
    txn.remove(Tree::Tokens, token.id.as_str().as_bytes())
}

pub(crate) fn insert(txn: &mut dyn WriteTxn, token: &AccessToken) -> Result<()> {
    require_owner(txn, &token.user_id)?;
    if txn
        .get(Tree::Tokens, token.id.as_str().as_bytes())?
        .is_some()
    {
        return Err(Error::conflict(
            Some("id"),
            "a token with this id already exists",
        ));
    }
    check_unique(txn, token)?;
    put(txn, token)
}

pub(crate) fn update(
    txn: &mut dyn WriteTxn,
    token: &AccessToken,
    expected_version: u64,
) -> Result<()> {
    let stored = load(txn, &token.id)?;
    if stored.version != expected_version {
        return Err(Error::StaleVersion);
    }
    if stored.user_id != token.user_id {
        require_owner(txn, &token.user_id)?;
    }
    check_unique(txn, token)?;
    // Every index entry is rewritten: a revoked token releases its name, and
    // nothing else about a token is worth a finer diff.
    remove(txn, &stored)?;
    put(txn, token)
}

pub(crate) fn delete(txn: &mut dyn WriteTxn, id: &TokenId) -> Result<()> {
    let stored = load(txn, id)?;
    remove(txn, &stored)
}

/// Drops every token of `user_id` with its index entries.
pub(crate) fn delete_of_user(txn: &mut dyn WriteTxn, user_id: &UserId) -> Result<()> {
    let prefix = keys::owner_prefix(user_id.as_str());
    for (key, _) in txn.scan_prefix(Tree::TokensByUser, &prefix)? {
        let id = listed_id(&key, prefix.len())?;
        if let Some(bytes) = txn.get(Tree::Tokens, id.as_bytes())? {
            remove(txn, &decode(&bytes)?)?;
        }
    }
    Ok(())
}

/// The token id at the end of a [`Tree::TokensByUser`] key.
fn listed_id(key: &[u8], prefix_len: usize) -> Result<String> {
    key.get(prefix_len..)
        .and_then(keys::timed_id)
        .map(str::to_owned)
        .ok_or_else(|| Error::internal("malformed token listing key"))
}

pub(crate) fn token(txn: &dyn ReadTxn, id: &str) -> Result<Option<AccessToken>> {
    txn.get(Tree::Tokens, id.as_bytes())?
        .map(|bytes| decode(&bytes))
        .transpose()
}

pub(crate) fn by_digest(txn: &dyn ReadTxn, digest: &TokenDigest) -> Result<Option<AccessToken>> {
    match txn.get(Tree::TokenDigests, digest.as_bytes())? {
        Some(id) => token(txn, &crate::read::utf8(&id)?),
        None => Ok(None),
    }
}

/// Every token of `user_id`, by created-at then id.
pub(crate) fn of_user(txn: &dyn ReadTxn, user_id: &str) -> Result<Vec<AccessToken>> {
    let prefix = keys::owner_prefix(user_id);
    let mut found = Vec::new();
    for entry in txn.scan(Tree::TokensByUser, KeyRange::prefix(&prefix), false)? {
        let (key, _) = entry?;
        let id = listed_id(&key, prefix.len())?;
        let token =
            token(txn, &id)?.ok_or_else(|| Error::internal("token listing names no token"))?;
        found.push(token);
    }
    Ok(found)
}
