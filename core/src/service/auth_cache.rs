//! Tokens authenticated moments ago, with what they allow, so that a request
//! with a token seen recently costs no storage reads (its digest, its owner,
//! the owner's roles and their permissions).
//!
//! An entry is trusted for at most the cache's time to live, and never past
//! the token's expiry. Every commit of this service that may change what a
//! token allows (a token renamed, revoked or deleted, a user changed or
//! deleted, roles assigned or taken away, a role changed or deleted) forgets
//! every entry before the call that made it returns, so on one process the
//! next request sees the change. Writes by another process sharing the store
//! (a second instance on PostgreSQL) are seen within the time to live.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::caller::Permission;
use crate::ids::UserId;
use crate::model::{AccessToken, TokenDigest};
use crate::storage::WriteOp;
use crate::time::Timestamp;

/// Most tokens remembered at once; past it, entries that are no longer
/// trusted are dropped, and if that frees nothing, all of them.
const MAX_ENTRIES: usize = 10_000;

/// A token as authenticated, with the permissions it carried then.
#[derive(Clone, Debug)]
pub(super) struct Authenticated {
    pub token: AccessToken,
    pub permissions: BTreeSet<Permission>,
}

#[derive(Debug)]
struct Entry {
    authenticated: Authenticated,
    generation: u64,
    stored_at: Instant,
}

#[derive(Debug)]
pub(super) struct AuthCache {
    ttl: Duration,
    /// Bumped by every change that may affect a token: entries of an older
    /// generation are not trusted.
    generation: AtomicU64,
    entries: Mutex<HashMap<TokenDigest, Entry>>,
}

impl AuthCache {
    /// A zero `ttl` remembers nothing.
    pub(super) fn new(ttl: Duration) -> Self {
        AuthCache {
            ttl,
            generation: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The generation to pass to [`AuthCache::put`] for what is read from
    /// storage after this call: a change committed meanwhile makes the
    /// entry stale before it is stored.
    pub(super) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The token with this digest, if it was authenticated within the time
    /// to live, nothing that may affect it changed since, and it has not
    /// expired by `now`.
    pub(super) fn get(&self, digest: &TokenDigest, now: Timestamp) -> Option<Authenticated> {
        if self.ttl.is_zero() {
            return None;
        }
        let generation = self.generation();
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(digest)?;
        let trusted = entry.generation == generation
            && entry.stored_at.elapsed() < self.ttl
            && entry
                .authenticated
                .token
                .expires_at
                .is_none_or(|at| at > now);
        trusted.then(|| entry.authenticated.clone())
    }

    /// Remembers a token that was just authenticated from storage reads
    /// made after [`AuthCache::generation`] returned `generation`.
    pub(super) fn put(&self, authenticated: Authenticated, generation: u64) {
        if self.ttl.is_zero() {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        // Checked under the lock that `forget_all` clears under: an entry
        // read before a change either fails this or is cleared after it.
        if generation != self.generation() {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            let ttl = self.ttl;
            entries.retain(|_, entry| {
                entry.generation == generation && entry.stored_at.elapsed() < ttl
            });
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(
            authenticated.token.digest,
            Entry {
                authenticated,
                generation,
                stored_at: Instant::now(),
            },
        );
    }

    /// Keeps the stored form of a token whose last use was just recorded,
    /// so the next use is compared with it. Trust is not extended.
    pub(super) fn update_token(&self, token: &AccessToken) {
        if let Ok(mut entries) = self.entries.lock()
            && let Some(entry) = entries.get_mut(&token.digest)
        {
            entry.authenticated.token = token.clone();
        }
    }

    /// Forgets every entry: something that may change what a token allows
    /// is being committed.
    pub(super) fn forget_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

/// Whether committing `ops` may change what some token allows. Creating
/// users, roles and tokens cannot (nothing cached refers to them, and a
/// user's roles given in the commit that creates it are part of creating
/// it); log entries and the admin guard write nothing of the kind.
pub(super) fn affects_authentication(ops: &[WriteOp]) -> bool {
    let mut created: HashSet<&UserId> = HashSet::new();
    ops.iter().any(|op| match op {
        WriteOp::InsertUser(user) => {
            created.insert(&user.id);
            false
        }
        WriteOp::AssignRoles { user_id, .. }
        | WriteOp::UnassignRoles { user_id, .. }
        | WriteOp::ReplaceRoles { user_id, .. } => !created.contains(user_id),
        WriteOp::InsertRole(_)
        | WriteOp::InsertToken(_)
        | WriteOp::AppendLog(_)
        | WriteOp::RequireActiveHolder { .. } => false,
        WriteOp::UpdateUser { .. }
        | WriteOp::DeleteUser { .. }
        | WriteOp::UpdateRole { .. }
        | WriteOp::DeleteRole { .. }
        | WriteOp::UpdateToken { .. }
        | WriteOp::DeleteToken { .. } => true,
    })
}
