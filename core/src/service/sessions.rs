//! Signing in with a password (which issues a short-lived session token)
//! and signing out.

use std::time::Duration;

use serde_json::json;
use unicode_normalization::UnicodeNormalization;

use super::audit::Audit;
use super::tokens::{issue, later};
use super::{Backoff, Service, ServiceSettings, SignedIn};
use crate::caller::Caller;
use crate::error::{Entity, Error, Result};
use crate::ids::{TokenId, UserId};
use crate::model::{AccessToken, PasswordDigest, TokenKind, User, log_keys};
use crate::plugin::{Event, EventKind, Proposal};
use crate::storage::{UniqueKey, WriteOp};
use crate::{time, validate};

/// Sessions carry this name; it is not unique (only personal tokens' are).
const SESSION_NAME: &str = "session";
/// Longer than any identifier usergraph stores; refusing longer input early
/// keeps huge strings out of the throttle's keys.
const IDENTIFIER_MAX: usize = 256;

/// Refuses settings no deployment should run with.
pub(super) fn check_settings(settings: &ServiceSettings) -> Result<()> {
    let throttle = &settings.throttle;
    if settings.session_lifetime < Duration::from_secs(60) {
        return Err(Error::validation(
            "sessionLifetime",
            "sessionLifetime must be at least a minute",
        ));
    }
    later(time::now(), settings.session_lifetime, "sessionLifetime")?;
    if let Some(max) = settings.max_token_lifetime {
        later(time::now(), max, "maxTokenLifetime")?;
    }
    if throttle.max_failures_per_account == 0 || throttle.max_failures_per_address == 0 {
        return Err(Error::validation(
            "throttle",
            "throttle limits must allow at least one failure",
        ));
    }
    if throttle.window.is_zero() {
        return Err(Error::validation(
            "throttle.window",
            "throttle.window must be longer than zero",
        ));
    }
    Ok(())
}

/// The throttle's key for a user's account, whatever identifier named it.
pub(super) fn user_account(id: &UserId) -> String {
    format!("user:{id}")
}

/// Where a sign-in identifier points: a username, an email or a phone
/// number, told apart by form (a username cannot start with a digit or `+`
/// or hold `@`). `None` for text that is none of them.
fn identifier_key(raw: &str) -> Option<UniqueKey> {
    if let Ok(username) = validate::username(raw) {
        Some(UniqueKey::Username(validate::identifier_key(&username)))
    } else if let Ok(email) = validate::primary_email(raw) {
        Some(UniqueKey::Email(validate::identifier_key(&email)))
    } else {
        validate::primary_phone(raw).ok().map(UniqueKey::Phone)
    }
}

/// Why a sign-in failed, for the log (the client only sees
/// `UNAUTHENTICATED`), or `None` when it succeeds. A suspended user's right
/// password fails like a wrong one, so that nobody learns a password is
/// right from its account's suspension.
fn failure_reason(user: Option<&User>, matched: bool) -> Option<&'static str> {
    match user {
        None => Some("unknown identifier"),
        Some(user) if user.password.is_none() => Some("no password set"),
        Some(_) if !matched => Some("password mismatch"),
        Some(user) if user.is_suspended => Some(SUSPENDED),
        Some(_) => None,
    }
}

const SUSPENDED: &str = "suspended";

impl Service {
    /// Checks the password of the user `identifier` names and opens a
    /// session for it. Every failure, a suspended user's right password
    /// included, is the same `UNAUTHENTICATED`, takes as long (an unknown
    /// identifier is checked against a dummy digest) and counts against the
    /// throttle alike; only the log tells why. Throttled per account and
    /// per client address.
    pub async fn sign_in(
        &self,
        caller: &Caller,
        identifier: &str,
        password: &str,
    ) -> Result<SignedIn> {
        if identifier.chars().count() > IDENTIFIER_MAX {
            return Err(Error::validation(
                "identifier",
                format!("identifier must be at most {IDENTIFIER_MAX} characters"),
            ));
        }
        validate::password_to_verify(password)?;
        let identifier: String = identifier.trim().nfc().collect();
        let key = identifier_key(&identifier);
        let user = match &key {
            Some(key) => self.storage.user_by_key(key).await?,
            None => None,
        };
        let account = match (&user, &key) {
            (Some(user), _) => user_account(&user.id),
            // Keyed by the normalized form, so that `+1 555…` and `1555…`
            // share one budget as they would if the account existed.
            (None, Some(UniqueKey::Username(k))) => format!("username:{k}"),
            (None, Some(UniqueKey::Email(k))) => format!("email:{k}"),
            (None, Some(UniqueKey::Phone(k))) => format!("phone:{k}"),
            (None, None) => format!("identifier:{}", validate::identifier_key(&identifier)),
        };
        let address = caller.ip.as_deref();
        self.throttle.begin(&account, address).await?;
        let digest = user.as_ref().and_then(|u| u.password.clone());
        let verified = self
            .passwords
            .verify(password.to_owned(), digest.as_ref())
            .await?;
        if let Some(reason) = failure_reason(user.as_ref(), verified.matched) {
            self.throttle.record_failure(None, address).await?;
            return Err(self.sign_in_failed(caller, user.as_ref(), reason).await?);
        }
        // A match implies both; the dummy digest never matches.
        let (Some(user), Some(digest)) = (user, digest) else {
            return Err(Error::Unauthenticated);
        };
        self.throttle.record_success(&account).await?;
        // Hashed once, before the retries: an upgrade of an outdated digest
        // rides along with the sign-in's own write.
        let upgrade = if self.passwords.needs_rehash(&digest) {
            Some(self.passwords.hash(password.to_owned()).await?)
        } else {
            None
        };
        self.open_session(caller, user, &digest, upgrade).await
    }

    /// Logs a failed sign-in and tells the plugins; the error to answer
    /// with. The identifier typed stays out of both: people type passwords
    /// into the wrong field.
    async fn sign_in_failed(
        &self,
        caller: &Caller,
        user: Option<&User>,
        reason: &str,
    ) -> Result<Error> {
        let mut log = Audit::new(caller, log_keys::USER_SIGN_IN, time::now());
        if let Some(user) = user {
            log = log.user(&user.id);
        }
        let log = log.payload(json!({ "reason": reason })).failed(reason);
        self.commit(vec![log.op()]).await?;
        self.publish_sign_in_failed(caller, user.map(|u| &u.id), reason);
        Ok(Error::Unauthenticated)
    }

    /// Writes the session, `lastSignInAt`, the purge of the user's dead
    /// sessions and the log in one commit, re-reading the user when another
    /// write got in between. The password checked must still be the user's.
    async fn open_session(
        &self,
        caller: &Caller,
        mut user: User,
        verified: &PasswordDigest,
        upgrade: Option<PasswordDigest>,
    ) -> Result<SignedIn> {
        let mut backoff = Backoff::new();
        loop {
            if backoff.retrying() {
                user = self.load_user(&user.id).await.map_err(|e| match e {
                    Error::NotFound { .. } => Error::Unauthenticated,
                    other => other,
                })?;
                if user.password.as_ref() != Some(verified) {
                    return Err(Error::Unauthenticated);
                }
                // Suspended since the password was checked.
                if user.is_suspended {
                    return Err(self.sign_in_failed(caller, Some(&user), SUSPENDED).await?);
                }
            }
            let now = time::now();
            if let Err(e) = self.vet(caller, Proposal::SignIn { user: &user }).await {
                if let Error::Rejected { plugin, .. } = &e {
                    let log = Audit::new(caller, log_keys::USER_SIGN_IN, now)
                        .user(&user.id)
                        .payload(json!({ "reason": "rejected", "plugin": plugin }))
                        .failed("rejected");
                    self.commit(vec![log.op()]).await?;
                    self.publish_sign_in_failed(caller, Some(&user.id), "rejected");
                }
                return Err(e);
            }
            let expires_at = later(now, self.settings.session_lifetime, "sessionLifetime")?;
            let (token, secret) = issue(
                &user.id,
                TokenKind::Session,
                SESSION_NAME.to_owned(),
                None,
                Some(expires_at),
                now,
            );
            let mut signed_in = user.clone();
            signed_in.last_sign_in_at = Some(now);
            signed_in.version = user.version + 1;
            if let Some(digest) = &upgrade {
                signed_in.password = Some(digest.clone());
            }
            let mut ops = vec![
                WriteOp::UpdateUser {
                    user: Box::new(signed_in.clone()),
                    expected_version: user.version,
                },
                WriteOp::InsertToken(Box::new(token.clone())),
            ];
            ops.extend(self.dead_sessions(&user.id, now).await?);
            let log = Audit::new(caller, log_keys::USER_SIGN_IN, now)
                .user(&user.id)
                .payload(json!({ "tokenId": token.id, "rehashed": upgrade.is_some() }));
            ops.push(log.op());
            match self.commit(ops).await {
                Ok(()) => {
                    self.publish(caller, EventKind::SignIn, Some(&user.id), || {
                        json!({
                            "success": true,
                            "reason": null,
                            "user": Event::user_data(&signed_in),
                        })
                    });
                    return Ok(SignedIn {
                        secret,
                        token,
                        user: signed_in,
                    });
                }
                // The user changed, or a dead session went meanwhile.
                Err(Error::StaleVersion)
                | Err(Error::NotFound {
                    entity: Entity::Token,
                    ..
                }) => backoff.lost().await?,
                Err(e) => return Err(e),
            }
        }
    }

    /// `SignIn` for a failed sign-in, with the reason the log has; never
    /// what was typed.
    fn publish_sign_in_failed(&self, caller: &Caller, user_id: Option<&UserId>, reason: &str) {
        self.publish(
            caller,
            EventKind::SignIn,
            user_id,
            || json!({ "success": false, "reason": reason }),
        );
    }

    /// Deletes of the user's sessions that can never be used again, so that
    /// sessions do not pile up.
    async fn dead_sessions(&self, user_id: &UserId, now: time::Timestamp) -> Result<Vec<WriteOp>> {
        let dead = |t: &AccessToken| {
            t.kind == TokenKind::Session
                && (t.revoked_at.is_some() || t.expires_at.is_some_and(|at| at <= now))
        };
        Ok(self
            .storage
            .tokens_of_user(user_id)
            .await?
            .into_iter()
            .filter(dead)
            .map(|t| WriteOp::DeleteToken { id: t.id })
            .collect())
    }

    /// Ends the caller's session. A caller that authenticated with a
    /// personal token is told to revoke it instead; signing out twice is
    /// fine.
    pub async fn sign_out(&self, caller: &Caller) -> Result<()> {
        if caller.is_anonymous() {
            return Err(Error::Unauthenticated);
        }
        let not_a_session = || {
            Error::validation(
                "token",
                "signOut ends a session; revoke personal tokens with revokePersonalAccessToken",
            )
        };
        let id = caller.token_id.as_deref().ok_or_else(not_a_session)?;
        let id = TokenId::parse(id).map_err(|_| not_a_session())?;
        let mut backoff = Backoff::new();
        loop {
            let Some(current) = self.storage.token(&id).await? else {
                return Ok(());
            };
            if current.kind != TokenKind::Session {
                return Err(not_a_session());
            }
            if current.revoked_at.is_some() {
                return Ok(());
            }
            let now = time::now();
            let mut token = current.clone();
            token.revoked_at = Some(now);
            token.version = current.version + 1;
            let log = Audit::new(caller, log_keys::USER_SIGN_OUT, now)
                .user(&current.user_id)
                .payload(json!({ "tokenId": current.id }));
            let ops = vec![
                WriteOp::UpdateToken {
                    token: Box::new(token),
                    expected_version: current.version,
                },
                log.op(),
            ];
            match self.commit(ops).await {
                Ok(()) => return Ok(()),
                Err(Error::StaleVersion) => backoff.lost().await?,
                Err(e) => return Err(e),
            }
        }
    }
}
