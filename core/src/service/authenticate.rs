//! Turning a presented secret into a [`Caller`]: the check every
//! authenticated request goes through, so everything it looks at (expiry,
//! revocation, the owner's state and current roles) takes effect at once.
//! What it found is remembered briefly ([`super::auth_cache`]); every change
//! this service commits to those forgets it.

use std::collections::BTreeSet;

use chrono::TimeDelta;
use serde_json::json;

use super::Service;
use super::audit::Audit;
use super::auth_cache::Authenticated;
use crate::caller::{Caller, Permission, Permissions};
use crate::error::{Entity, Error, Result};
use crate::ids::UserId;
use crate::model::{AccessToken, User, log_keys};
use crate::storage::WriteOp;
use crate::{secret, time};

/// `lastUsedAt` is touched at most this often per token: a write per
/// request would turn every read into a write.
const LAST_USED_PRECISION: TimeDelta = TimeDelta::seconds(60);

/// Why a token that exists may not be used; the `reason` of `Token.Rejected`.
fn rejection(
    token: &AccessToken,
    owner: Option<&User>,
    now: time::Timestamp,
) -> Option<&'static str> {
    if token.revoked_at.is_some() {
        Some("revoked")
    } else if token.expires_at.is_some_and(|at| at <= now) {
        Some("expired")
    } else {
        match owner {
            None => Some("owner deleted"),
            Some(user) if user.is_suspended => Some("owner suspended"),
            Some(_) => None,
        }
    }
}

impl Service {
    /// The caller a secret stands for. Every failure is `UNAUTHENTICATED`
    /// (which one is for the log, not the client). A malformed secret costs
    /// no storage call; malformed and unknown secrets are traced, not logged,
    /// so that nobody can fill the immutable log anonymously. They, and
    /// tokens rejected (and logged) for being dead, count against the client
    /// address, which is refused with `RATE_LIMITED` once over its limit.
    pub async fn authenticate(
        &self,
        secret: &str,
        ip: Option<String>,
        user_agent: Option<String>,
    ) -> Result<Caller> {
        let address = ip.as_deref();
        self.throttle.check_address(address).await?;
        let Some((kind, digest)) = secret::parse(secret) else {
            self.throttle.record_failure(None, address).await?;
            tracing::warn!(ip = ?ip, "malformed token presented");
            return Err(Error::Unauthenticated);
        };
        let now = time::now();
        let client = Caller::anonymous().with_client(ip.clone(), user_agent);
        if let Some(known) = self.auth_cache.get(&digest, now)
            && known.token.kind == kind
        {
            if let Some(used) = self.touch(&known.token, now).await? {
                self.auth_cache.update_token(&used);
            }
            return Ok(caller_of(known, client));
        }
        let generation = self.auth_cache.generation();
        let token = match self.storage.token_by_digest(&digest).await? {
            Some(token) if token.kind == kind => token,
            _ => {
                self.throttle.record_failure(None, address).await?;
                tracing::warn!(ip = ?ip, "unknown token presented");
                return Err(Error::Unauthenticated);
            }
        };
        let owner = self.storage.user(&token.user_id).await?;
        if let Some(reason) = rejection(&token, owner.as_ref(), now) {
            self.throttle.record_failure(None, address).await?;
            let log = Audit::new(&client, log_keys::TOKEN_REJECTED, now)
                .user(&token.user_id)
                .payload(json!({ "tokenId": token.id, "reason": reason }))
                .failed(reason);
            self.commit(vec![log.op()]).await?;
            return Err(Error::Unauthenticated);
        }
        let permissions = self.token_permissions(&token).await?;
        let token = self.touch(&token, now).await?.unwrap_or(token);
        let known = Authenticated { token, permissions };
        self.auth_cache.put(known.clone(), generation);
        Ok(caller_of(known, client))
    }

    /// The signed-in user. `NOT_FOUND` if it was deleted since the token was
    /// checked.
    pub async fn me(&self, caller: &Caller) -> Result<User> {
        let id = caller.user_id.as_ref().ok_or(Error::Unauthenticated)?;
        self.load_user(id).await
    }

    /// The permission names this request's credentials carry, sorted by
    /// name: the roles' permissions as narrowed by a token's scopes when
    /// the request was authenticated. `UNAUTHENTICATED` for an anonymous
    /// caller; every permission for the process itself (and for every
    /// request while authentication is off).
    pub fn my_permissions(&self, caller: &Caller) -> Result<Vec<&'static str>> {
        if caller.is_anonymous() {
            return Err(Error::Unauthenticated);
        }
        let mut names: Vec<&'static str> = Permission::ALL
            .into_iter()
            .filter(|permission| caller.permissions.allows(*permission))
            .map(Permission::as_str)
            .collect();
        names.sort_unstable();
        Ok(names)
    }

    /// The permissions the user's roles grant now. Role permissions are free
    /// strings; ones usergraph does not know grant nothing.
    pub(super) async fn permissions_of(&self, user_id: &UserId) -> Result<BTreeSet<Permission>> {
        let mut held = self
            .storage
            .role_ids_of_users(std::slice::from_ref(user_id))
            .await?;
        let role_ids = held.remove(user_id).unwrap_or_default();
        if role_ids.is_empty() {
            return Ok(BTreeSet::new());
        }
        let roles = self.storage.roles(&role_ids).await?;
        Ok(roles
            .iter()
            .flat_map(|role| role.permissions.iter())
            .filter_map(|name| Permission::parse(name))
            .collect())
    }

    /// What a token may do: its owner's current permissions, narrowed by
    /// its scopes.
    pub(super) async fn token_permissions(
        &self,
        token: &AccessToken,
    ) -> Result<BTreeSet<Permission>> {
        let owner = self.permissions_of(&token.user_id).await?;
        Ok(narrow(owner, token.scopes.as_deref()))
    }

    /// Records the use, unless it was recorded less than a minute ago, and
    /// returns the token as written. Losing the race to another request (or
    /// to a rename or revocation) is fine: the other write is as recent.
    /// Written straight to storage: a last use changes nothing a token
    /// allows, so it leaves the authentication cache alone.
    async fn touch(
        &self,
        token: &AccessToken,
        now: time::Timestamp,
    ) -> Result<Option<AccessToken>> {
        let recent = token
            .last_used_at
            .is_some_and(|at| now.signed_duration_since(at) < LAST_USED_PRECISION);
        if recent {
            return Ok(None);
        }
        let mut used = token.clone();
        used.last_used_at = Some(now);
        used.version = token.version + 1;
        let op = WriteOp::UpdateToken {
            token: Box::new(used.clone()),
            expected_version: token.version,
        };
        match self.storage.commit(vec![op]).await {
            Ok(()) => Ok(Some(used)),
            Err(Error::StaleVersion)
            | Err(Error::NotFound {
                entity: Entity::Token,
                ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The caller a token authenticated as `known` stands for.
fn caller_of(known: Authenticated, client: Caller) -> Caller {
    Caller {
        user_id: Some(known.token.user_id),
        token_id: Some(known.token.id.into_string()),
        permissions: Permissions::Only(known.permissions),
        ..client
    }
}

/// `permissions` limited to `scopes` (permission strings), if any.
pub(super) fn narrow(
    permissions: BTreeSet<Permission>,
    scopes: Option<&[String]>,
) -> BTreeSet<Permission> {
    match scopes {
        None => permissions,
        Some(scopes) => permissions
            .into_iter()
            .filter(|p| scopes.iter().any(|s| s == p.as_str()))
            .collect(),
    }
}
