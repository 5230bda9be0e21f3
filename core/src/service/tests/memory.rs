//! A small in-memory `Storage` for the service's own tests: atomic commits
//! over a cloned state, the uniqueness rules, searches through the reference
//! evaluator, and knobs to inject stale versions, widen races and count
//! calls.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::error::{Entity, Error, Result};
use crate::eval;
use crate::ids::{RoleId, TokenId, UserId};
use crate::model::{AccessToken, LogEntry, Role, TokenDigest, User};
use crate::query::{LogSearch, Page, RoleSearch, UserSearch};
use crate::storage::{Storage, UniqueKey, WriteOp};

#[derive(Clone, Debug, Default)]
pub(super) struct State {
    pub users: BTreeMap<UserId, User>,
    pub roles: BTreeMap<RoleId, Role>,
    pub assignments: BTreeMap<UserId, BTreeSet<RoleId>>,
    pub logs: Vec<LogEntry>,
    pub tokens: BTreeMap<TokenId, AccessToken>,
    pub commits: usize,
}

#[derive(Debug, Default)]
pub(super) struct Memory {
    pub state: Mutex<State>,
    /// How many coming `UpdateUser`s fail with `StaleVersion`.
    pub stale_updates: AtomicUsize,
    /// When set, every commit first lets the other tasks run, so that
    /// concurrent read-modify-writes read before any of them writes (as
    /// they do on a store whose commits take time).
    pub yield_before_commit: AtomicBool,
    pub role_ids_calls: AtomicUsize,
    pub roles_calls: AtomicUsize,
    pub cursor_key_calls: AtomicUsize,
    cursor_key: std::sync::OnceLock<[u8; 32]>,
    /// When set, every commit waits here first, so that concurrent
    /// operations all finish their checks before any of them commits.
    pub commit_barrier: Mutex<Option<Arc<tokio::sync::Barrier>>>,
}

impl Memory {
    pub fn snapshot(&self) -> State {
        self.state.lock().unwrap().clone()
    }
}

fn user_missing(id: &UserId) -> Error {
    Error::not_found(Entity::User, id.as_str())
}

fn check_unique(state: &State, user: &User) -> Result<()> {
    let keys = user.unique_keys();
    for other in state.users.values().filter(|u| u.id != user.id) {
        let theirs = other.unique_keys();
        if keys.username.is_some() && keys.username == theirs.username {
            return Err(Error::UsernameAlreadyInUse);
        }
        if keys.email.is_some() && keys.email == theirs.email {
            return Err(Error::EmailAlreadyInUse);
        }
        if keys.phone.is_some() && keys.phone == theirs.phone {
            return Err(Error::PhoneAlreadyInUse);
        }
    }
    Ok(())
}

fn check_token_name(state: &State, token: &AccessToken) -> Result<()> {
    let Some(key) = token.name_key() else {
        return Ok(());
    };
    let taken = state.tokens.values().any(|other| {
        other.id != token.id
            && other.user_id == token.user_id
            && other.name_key().as_ref() == Some(&key)
    });
    if taken {
        return Err(Error::conflict(
            Some("name"),
            "a token with this name exists",
        ));
    }
    Ok(())
}

fn check_roles(state: &State, ids: &[RoleId]) -> Result<()> {
    match ids.iter().find(|id| !state.roles.contains_key(*id)) {
        Some(id) => Err(Error::not_found(Entity::Role, id.as_str())),
        None => Ok(()),
    }
}

impl Memory {
    fn apply(&self, state: &mut State, op: WriteOp) -> Result<()> {
        match op {
            WriteOp::InsertUser(user) => {
                if state.users.contains_key(&user.id) {
                    return Err(Error::conflict(Some("id"), "id exists"));
                }
                check_unique(state, &user)?;
                state.users.insert(user.id.clone(), *user);
            }
            WriteOp::UpdateUser {
                user,
                expected_version,
            } => {
                let stored = state
                    .users
                    .get(&user.id)
                    .ok_or_else(|| user_missing(&user.id))?;
                let inject = self
                    .stale_updates
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok();
                if inject || stored.version != expected_version {
                    return Err(Error::StaleVersion);
                }
                check_unique(state, &user)?;
                state.users.insert(user.id.clone(), *user);
            }
            WriteOp::DeleteUser { id } => {
                state.users.remove(&id).ok_or_else(|| user_missing(&id))?;
                state.assignments.remove(&id);
                state.tokens.retain(|_, token| token.user_id != id);
            }
            WriteOp::InsertRole(role) => {
                if state
                    .roles
                    .values()
                    .any(|r| r.name_key() == role.name_key())
                {
                    return Err(Error::conflict(None, "name taken"));
                }
                state.roles.insert(role.id.clone(), *role);
            }
            WriteOp::UpdateRole {
                role,
                expected_version,
            } => {
                let stored = state
                    .roles
                    .get(&role.id)
                    .ok_or_else(|| Error::not_found(Entity::Role, role.id.as_str()))?;
                if stored.version != expected_version {
                    return Err(Error::StaleVersion);
                }
                state.roles.insert(role.id.clone(), *role);
            }
            WriteOp::DeleteRole { id } => {
                state
                    .roles
                    .remove(&id)
                    .ok_or_else(|| Error::not_found(Entity::Role, id.as_str()))?;
                for held in state.assignments.values_mut() {
                    held.remove(&id);
                }
            }
            WriteOp::AssignRoles { user_id, role_ids } => {
                if !state.users.contains_key(&user_id) {
                    return Err(user_missing(&user_id));
                }
                check_roles(state, &role_ids)?;
                state
                    .assignments
                    .entry(user_id)
                    .or_default()
                    .extend(role_ids);
            }
            WriteOp::UnassignRoles { user_id, role_ids } => {
                if !state.users.contains_key(&user_id) {
                    return Err(user_missing(&user_id));
                }
                let held = state.assignments.entry(user_id).or_default();
                for id in role_ids {
                    held.remove(&id);
                }
            }
            WriteOp::ReplaceRoles { user_id, role_ids } => {
                if !state.users.contains_key(&user_id) {
                    return Err(user_missing(&user_id));
                }
                check_roles(state, &role_ids)?;
                state
                    .assignments
                    .insert(user_id, role_ids.into_iter().collect());
            }
            WriteOp::AppendLog(entry) => state.logs.push(*entry),
            WriteOp::InsertToken(token) => {
                if !state.users.contains_key(&token.user_id) {
                    return Err(user_missing(&token.user_id));
                }
                let exists = state.tokens.contains_key(&token.id)
                    || state.tokens.values().any(|t| t.digest == token.digest);
                if exists {
                    return Err(Error::conflict(Some("id"), "token exists"));
                }
                check_token_name(state, &token)?;
                state.tokens.insert(token.id.clone(), *token);
            }
            WriteOp::UpdateToken {
                token,
                expected_version,
            } => {
                let stored = state
                    .tokens
                    .get(&token.id)
                    .ok_or_else(|| Error::not_found(Entity::Token, token.id.as_str()))?;
                if stored.version != expected_version {
                    return Err(Error::StaleVersion);
                }
                check_token_name(state, &token)?;
                state.tokens.insert(token.id.clone(), *token);
            }
            WriteOp::DeleteToken { id } => {
                state
                    .tokens
                    .remove(&id)
                    .ok_or_else(|| Error::not_found(Entity::Token, id.as_str()))?;
            }
            WriteOp::RequireActiveHolder { role_id, refusal } => {
                let held = state.assignments.iter().any(|(user_id, roles)| {
                    roles.contains(&role_id)
                        && state.users.get(user_id).is_some_and(|u| !u.is_suspended)
                });
                if !held {
                    return Err(Error::Forbidden(refusal));
                }
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Storage for Memory {
    async fn commit(&self, ops: Vec<WriteOp>) -> Result<()> {
        let barrier = self.commit_barrier.lock().unwrap().clone();
        if let Some(barrier) = barrier {
            barrier.wait().await;
        }
        if self.yield_before_commit.load(Ordering::SeqCst) {
            tokio::task::yield_now().await;
        }
        let mut state = self.state.lock().unwrap();
        let mut next = state.clone();
        for op in ops {
            self.apply(&mut next, op)?;
        }
        next.commits += 1;
        *state = next;
        Ok(())
    }

    async fn user(&self, id: &UserId) -> Result<Option<User>> {
        Ok(self.state.lock().unwrap().users.get(id).cloned())
    }

    async fn users(&self, ids: &[UserId]) -> Result<Vec<User>> {
        let state = self.state.lock().unwrap();
        Ok(ids
            .iter()
            .filter_map(|id| state.users.get(id).cloned())
            .collect())
    }

    async fn user_by_key(&self, key: &UniqueKey) -> Result<Option<User>> {
        let state = self.state.lock().unwrap();
        Ok(state
            .users
            .values()
            .find(|u| {
                let keys = u.unique_keys();
                match key {
                    UniqueKey::Username(k) => keys.username.as_ref() == Some(k),
                    UniqueKey::Email(k) => keys.email.as_ref() == Some(k),
                    UniqueKey::Phone(k) => keys.phone.as_ref() == Some(k),
                }
            })
            .cloned())
    }

    async fn search_users(&self, search: &UserSearch) -> Result<Page<User>> {
        let state = self.state.lock().unwrap();
        let held: HashMap<UserId, Vec<RoleId>> = state
            .assignments
            .iter()
            .map(|(user, roles)| (user.clone(), roles.iter().cloned().collect()))
            .collect();
        let none = Vec::new();
        let users = state
            .users
            .values()
            .map(|u| (u, held.get(&u.id).unwrap_or(&none).as_slice()));
        Ok(eval::search_users(users, search))
    }

    async fn role(&self, id: &RoleId) -> Result<Option<Role>> {
        Ok(self.state.lock().unwrap().roles.get(id).cloned())
    }

    async fn roles(&self, ids: &[RoleId]) -> Result<Vec<Role>> {
        self.roles_calls.fetch_add(1, Ordering::SeqCst);
        let state = self.state.lock().unwrap();
        Ok(ids
            .iter()
            .filter_map(|id| state.roles.get(id).cloned())
            .collect())
    }

    async fn role_by_name(&self, name_key: &str) -> Result<Option<Role>> {
        let state = self.state.lock().unwrap();
        Ok(state
            .roles
            .values()
            .find(|r| r.name_key() == name_key)
            .cloned())
    }

    async fn search_roles(&self, search: &RoleSearch) -> Result<Page<Role>> {
        Ok(eval::search_roles(
            self.state.lock().unwrap().roles.values(),
            search,
        ))
    }

    async fn default_roles(&self) -> Result<Vec<Role>> {
        let state = self.state.lock().unwrap();
        let mut roles: Vec<Role> = state
            .roles
            .values()
            .filter(|r| r.is_default)
            .cloned()
            .collect();
        roles.sort_by(|a, b| eval::compare_roles(&eval::role_sort_key(a), &eval::role_sort_key(b)));
        Ok(roles)
    }

    async fn role_ids_of_users(&self, user_ids: &[UserId]) -> Result<HashMap<UserId, Vec<RoleId>>> {
        self.role_ids_calls.fetch_add(1, Ordering::SeqCst);
        let state = self.state.lock().unwrap();
        Ok(user_ids
            .iter()
            .filter_map(|id| {
                let held = state.assignments.get(id)?;
                Some((id.clone(), held.iter().cloned().collect()))
            })
            .collect())
    }

    async fn search_logs(&self, search: &LogSearch) -> Result<Page<LogEntry>> {
        Ok(eval::search_logs(
            self.state.lock().unwrap().logs.iter(),
            search,
        ))
    }

    async fn token(&self, id: &TokenId) -> Result<Option<AccessToken>> {
        Ok(self.state.lock().unwrap().tokens.get(id).cloned())
    }

    async fn token_by_digest(&self, digest: &TokenDigest) -> Result<Option<AccessToken>> {
        let state = self.state.lock().unwrap();
        Ok(state.tokens.values().find(|t| &t.digest == digest).cloned())
    }

    async fn tokens_of_user(&self, user_id: &UserId) -> Result<Vec<AccessToken>> {
        let state = self.state.lock().unwrap();
        let mut tokens: Vec<AccessToken> = state
            .tokens
            .values()
            .filter(|t| &t.user_id == user_id)
            .cloned()
            .collect();
        tokens.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(tokens)
    }

    async fn cursor_key(&self, fresh: [u8; 32]) -> Result<[u8; 32]> {
        self.cursor_key_calls.fetch_add(1, Ordering::SeqCst);
        Ok(*self.cursor_key.get_or_init(|| fresh))
    }
}
