//! Personal access tokens: create, rename, revoke, list. A user manages its
//! own tokens without any permission; anyone else's need `tokens:read` /
//! `tokens:write`. The secret leaves the service once, in [`CreatedToken`].

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::TimeDelta;
use serde_json::json;

use super::audit::Audit;
use super::authenticate::narrow;
use super::{Backoff, CreatedToken, NewToken, Service, require_or_self};
use crate::caller::{Caller, Permission, Permissions};
use crate::error::{Entity, Error, Result};
use crate::ids::{TokenId, UserId};
use crate::model::{AccessToken, TokenKind, log_keys};
use crate::plugin::{Event, EventKind, Proposal};
use crate::storage::WriteOp;
use crate::time::{self, Timestamp};
use crate::{secret, validate};

const TOKEN_NAME_MAX: usize = 64;

/// `at` plus `duration`; `VALIDATION` on `field` if that is past the
/// calendar's end.
pub(super) fn later(at: Timestamp, duration: Duration, field: &str) -> Result<Timestamp> {
    TimeDelta::from_std(duration)
        .ok()
        .and_then(|delta| at.checked_add_signed(delta))
        .ok_or_else(|| Error::validation(field, format!("{field} is too long")))
}

/// A new token of `user_id` and its secret, created `now`.
pub(super) fn issue(
    user_id: &UserId,
    kind: TokenKind,
    name: String,
    scopes: Option<Vec<String>>,
    expires_at: Option<Timestamp>,
    now: Timestamp,
) -> (AccessToken, String) {
    let secret = secret::generate(kind);
    let token = AccessToken {
        id: TokenId::generate(),
        user_id: user_id.clone(),
        kind,
        name,
        scopes,
        digest: secret::digest(&secret),
        created_at: now,
        expires_at,
        last_used_at: None,
        revoked_at: None,
        version: 1,
    };
    (token, secret)
}

/// The `Token.Created` entry: what the token is, never its secret.
pub(super) fn created_log(caller: &Caller, token: &AccessToken) -> WriteOp {
    Audit::new(caller, log_keys::TOKEN_CREATED, token.created_at)
        .user(&token.user_id)
        .payload(json!({
            "tokenId": token.id,
            "name": token.name,
            "scopes": token.scopes,
            "expiresAt": token.expires_at,
        }))
        .op()
}

fn token_name(raw: &str) -> Result<String> {
    validate::text("name", raw, TOKEN_NAME_MAX)
}

/// Known permission strings, sorted, without duplicates (field `scopes`).
fn scopes(raw: Vec<String>) -> Result<Vec<String>> {
    let parsed: BTreeSet<Permission> = raw
        .iter()
        .map(|scope| {
            Permission::parse(scope).ok_or_else(|| {
                Error::validation("scopes", format!("{scope:?} is not a permission"))
            })
        })
        .collect::<Result<_>>()?;
    let mut names: Vec<String> = parsed.iter().map(|p| p.as_str().to_owned()).collect();
    names.sort();
    Ok(names)
}

fn name_conflict(error: Error) -> Error {
    match error {
        Error::Conflict { .. } => {
            Error::conflict(Some("name"), "this user has a token with this name")
        }
        other => other,
    }
}

impl Service {
    /// `expiresAt` must be in the future and, when the service caps token
    /// lifetimes, present and within the cap.
    fn check_expiry(&self, expires_at: Option<Timestamp>, now: Timestamp) -> Result<()> {
        if expires_at.is_some_and(|at| at <= now) {
            return Err(Error::validation(
                "expiresAt",
                "expiresAt must be in the future",
            ));
        }
        if let Some(max) = self.settings.max_token_lifetime {
            let limit = later(now, max, "maxTokenLifetime")?;
            match expires_at {
                None => {
                    return Err(Error::validation(
                        "expiresAt",
                        "expiresAt is required: tokens may not live forever here",
                    ));
                }
                Some(at) if at > limit => {
                    return Err(Error::validation(
                        "expiresAt",
                        format!("expiresAt may be at most {} seconds away", max.as_secs()),
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// A personal access token for `user_id`. The token can never do more
    /// than its creator: scopes the owner lacks, or effective permissions
    /// beyond the caller's, are `FORBIDDEN`. A token for another user, even
    /// a narrowly scoped one, acts as that user, so it needs every
    /// permission that user holds.
    pub async fn create_token(
        &self,
        caller: &Caller,
        user_id: &UserId,
        input: NewToken,
    ) -> Result<CreatedToken> {
        require_or_self(caller, Permission::TokensWrite, user_id)?;
        self.require_outranks_unless_self(caller, user_id).await?;
        let name = token_name(&input.name)?;
        let scopes = input.scopes.map(scopes).transpose()?;
        let now = time::now();
        self.check_expiry(input.expires_at, now)?;
        let user = self.load_user(user_id).await?;
        let owner = self.permissions_of(user_id).await?;
        if let Some(scopes) = &scopes {
            let lacking: Vec<&str> = scopes
                .iter()
                .filter(|s| !owner.iter().any(|p| p.as_str() == s.as_str()))
                .map(String::as_str)
                .collect();
            if !lacking.is_empty() {
                return Err(Error::Forbidden(format!(
                    "scopes name permissions the owner does not hold: {}",
                    lacking.join(", ")
                )));
            }
        }
        let effective = narrow(owner, scopes.as_deref());
        if let Permissions::Only(held) = &caller.permissions {
            let beyond: Vec<&str> = effective
                .iter()
                .filter(|p| !held.contains(p))
                .map(|p| p.as_str())
                .collect();
            if !beyond.is_empty() {
                return Err(Error::Forbidden(format!(
                    "the token would hold permissions you lack: {}; narrow its scopes",
                    beyond.join(", ")
                )));
            }
        }
        let (token, secret) = issue(
            user_id,
            TokenKind::Personal,
            name,
            scopes,
            input.expires_at,
            now,
        );
        self.vet(
            caller,
            Proposal::CreateToken {
                user: &user,
                token: &token,
            },
        )
        .await?;
        let ops = vec![
            WriteOp::InsertToken(Box::new(token.clone())),
            created_log(caller, &token),
        ];
        self.commit(ops).await.map_err(name_conflict)?;
        self.publish_token(caller, EventKind::TokenCreated, &token);
        Ok(CreatedToken { token, secret })
    }

    /// An event about `token` (never its secret or digest).
    pub(super) fn publish_token(&self, caller: &Caller, kind: EventKind, token: &AccessToken) {
        self.publish(
            caller,
            kind,
            Some(&token.user_id),
            || json!({ "token": Event::token_data(token) }),
        );
    }

    /// The token, if the caller may manage it: its owner, or `write` and
    /// every permission the owner holds. `NOT_FOUND` for a token that does
    /// not exist.
    async fn managed_token(
        &self,
        caller: &Caller,
        id: &TokenId,
        write: Permission,
    ) -> Result<AccessToken> {
        if caller.is_anonymous() {
            return Err(Error::Unauthenticated);
        }
        let token = self
            .storage
            .token(id)
            .await?
            .ok_or_else(|| Error::not_found(Entity::Token, id.as_str()))?;
        require_or_self(caller, write, &token.user_id)?;
        self.require_outranks_unless_self(caller, &token.user_id)
            .await?;
        Ok(token)
    }

    /// Loads the token, lets `edit` decide the new record, and commits it
    /// with its log entry, retrying on a concurrent write; `edit` returning
    /// `None` means nothing changes (and nothing is written). The flag says
    /// whether something was written.
    async fn edit_token<F>(
        &self,
        caller: &Caller,
        id: &TokenId,
        mut edit: F,
    ) -> Result<(AccessToken, bool)>
    where
        F: FnMut(&AccessToken, Timestamp) -> Result<Option<(AccessToken, Audit)>> + Send,
    {
        let mut backoff = Backoff::new();
        loop {
            let current = self
                .managed_token(caller, id, Permission::TokensWrite)
                .await?;
            let now = time::now();
            let Some((mut token, log)) = edit(&current, now)? else {
                return Ok((current, false));
            };
            token.version = current.version + 1;
            let ops = vec![
                WriteOp::UpdateToken {
                    token: Box::new(token.clone()),
                    expected_version: current.version,
                },
                log.user(&token.user_id).op(),
            ];
            match self.commit(ops).await {
                Ok(()) => return Ok((token, true)),
                Err(Error::StaleVersion) => backoff.lost().await?,
                Err(e) => return Err(name_conflict(e)),
            }
        }
    }

    pub async fn rename_token(
        &self,
        caller: &Caller,
        id: &TokenId,
        name: &str,
    ) -> Result<AccessToken> {
        let name = token_name(name)?;
        self.edit_token(caller, id, |current, now| {
            if current.kind != TokenKind::Personal {
                return Err(Error::validation("id", "sessions have no name to change"));
            }
            if current.revoked_at.is_some() {
                return Err(Error::validation("id", "a revoked token cannot be renamed"));
            }
            if current.name == name {
                return Ok(None);
            }
            let mut token = current.clone();
            token.name = name.clone();
            let log = Audit::new(caller, log_keys::TOKEN_RENAMED, now)
                .payload(json!({ "tokenId": token.id, "from": current.name, "name": name }));
            Ok(Some((token, log)))
        })
        .await
        .map(|(token, _)| token)
    }

    /// Ends the token now. The record stays (with `revokedAt`) and its name
    /// is free again. Revoking a revoked token returns it unchanged.
    pub async fn revoke_token(&self, caller: &Caller, id: &TokenId) -> Result<AccessToken> {
        let (token, revoked) = self
            .edit_token(caller, id, |current, now| {
                if current.revoked_at.is_some() {
                    return Ok(None);
                }
                let mut token = current.clone();
                token.revoked_at = Some(now);
                let log = Audit::new(caller, log_keys::TOKEN_REVOKED, now)
                    .payload(json!({ "tokenId": token.id, "kind": token.kind.as_str() }));
                Ok(Some((token, log)))
            })
            .await?;
        if revoked {
            self.publish_token(caller, EventKind::TokenRevoked, &token);
        }
        Ok(token)
    }

    /// The user's personal tokens, revoked ones too, oldest first. Never
    /// their secrets: only digests are stored.
    pub async fn personal_tokens(
        &self,
        caller: &Caller,
        user_id: &UserId,
    ) -> Result<Vec<AccessToken>> {
        require_or_self(caller, Permission::TokensRead, user_id)?;
        let mut tokens = self.storage.tokens_of_user(user_id).await?;
        tokens.retain(|token| token.kind == TokenKind::Personal);
        Ok(tokens)
    }
}
