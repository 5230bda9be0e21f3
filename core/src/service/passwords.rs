//! Setting and verifying user passwords, and the password of a new user.

use serde_json::json;

use super::Service;
use super::audit::Audit;
use super::sessions::user_account;
use super::user_edits::{Check, UserEdit};
use crate::caller::{Caller, Permission};
use crate::error::{Entity, Error, Result};
use crate::ids::UserId;
use crate::model::{PasswordAlgorithm, PasswordDigest, User, log_keys};
use crate::password::PasswordHasher;
use crate::plugin::EventKind;
use crate::storage::WriteOp;
use crate::{time, validate};

/// The password part of `createUser`, checked but not yet hashed.
pub(super) enum InitialPassword {
    None,
    Clear(String),
    Imported {
        algorithm: PasswordAlgorithm,
        digest: String,
    },
}

impl InitialPassword {
    /// Either a clear-text password or a digest with its algorithm.
    pub(super) fn from_input(
        password: Option<String>,
        digest: Option<String>,
        algorithm: Option<PasswordAlgorithm>,
    ) -> Result<Self> {
        match (password, digest, algorithm) {
            (None, None, None) => Ok(InitialPassword::None),
            (Some(password), None, None) => {
                validate::new_password(&password)?;
                Ok(InitialPassword::Clear(password))
            }
            (None, Some(digest), Some(algorithm)) => {
                Ok(InitialPassword::Imported { algorithm, digest })
            }
            (Some(_), Some(_), _) => Err(Error::validation(
                "password",
                "give either password or passwordDigest, not both",
            )),
            (Some(_), None, Some(_)) => Err(Error::validation(
                "passwordAlgorithm",
                "passwordAlgorithm describes passwordDigest; it cannot go with password",
            )),
            (None, Some(_), None) => Err(Error::validation(
                "passwordAlgorithm",
                "passwordAlgorithm is required with passwordDigest",
            )),
            (None, None, Some(_)) => Err(Error::validation(
                "passwordDigest",
                "passwordDigest is required with passwordAlgorithm",
            )),
        }
    }

    /// The digest to store: a clear password hashed with the current
    /// parameters, an imported one checked. Takes the hasher rather than the
    /// service so that a batch can run several on their own tasks.
    pub(super) async fn digest(self, hasher: &PasswordHasher) -> Result<Option<PasswordDigest>> {
        match self {
            InitialPassword::None => Ok(None),
            InitialPassword::Clear(password) => Ok(Some(hasher.hash(password).await?)),
            InitialPassword::Imported { algorithm, digest } => {
                Ok(Some(hasher.import(algorithm, &digest)?))
            }
        }
    }

    /// The password given in clear, if it was.
    pub(super) fn clear(&self) -> Option<&str> {
        match self {
            InitialPassword::Clear(password) => Some(password),
            InitialPassword::None | InitialPassword::Imported { .. } => None,
        }
    }

    /// Whether the digest costs a hash (worth a task of its own).
    pub(super) fn needs_hashing(&self) -> bool {
        matches!(self, InitialPassword::Clear(_))
    }
}

impl Service {
    /// Needs `users:password` and every permission the user holds (see
    /// [`Service::require_outranks`]).
    pub async fn set_user_password(
        &self,
        caller: &Caller,
        id: &str,
        password: String,
    ) -> Result<User> {
        caller.require(Permission::UsersPassword)?;
        let id = UserId::parse(id)?;
        self.require_outranks(caller, &id).await?;
        validate::new_password(&password)?;
        // Not worth a hash if there is nobody to give it to.
        self.load_user(&id).await?;
        let digest = self.passwords.hash(password.clone()).await?;
        self.edit_user(caller, &id, |current, _| {
            let mut user = current.clone();
            user.password = Some(digest.clone());
            Ok(Some(UserEdit {
                user,
                key: log_keys::USER_PASSWORD_SET,
                payload: json!({}),
                check: Check::Password(&password),
                event: EventKind::PasswordSet,
                details: json!({}),
            }))
        })
        .await
    }

    /// Whether `password` is the user's. A user without a password costs the
    /// same to check as a wrong password. A match on an outdated digest
    /// stores a new one made with the current parameters (keeping
    /// `updatedAt`). Every check is logged. Throttled per user and per
    /// client address: over the limit, `RATE_LIMITED` without a check.
    pub async fn verify_user_password(
        &self,
        caller: &Caller,
        id: &str,
        password: String,
    ) -> Result<bool> {
        caller.require(Permission::UsersPassword)?;
        let id = UserId::parse(id)?;
        // A password oracle on a stronger user is the first half of taking
        // it over.
        self.require_outranks(caller, &id).await?;
        validate::password_to_verify(&password)?;
        let account = user_account(&id);
        let address = caller.ip.as_deref();
        self.throttle.begin(&account, address).await?;
        let user = self.load_user(&id).await?;
        let outdated = user
            .password
            .as_ref()
            .is_some_and(|digest| self.passwords.needs_rehash(digest));
        let kept = outdated.then(|| password.clone());
        let verified = self
            .passwords
            .verify(password, user.password.as_ref())
            .await?;
        let audit = |rehashed: bool| {
            Audit::new(caller, log_keys::USER_PASSWORD_VERIFIED, time::now())
                .user(&id)
                .payload(json!({ "rehashed": rehashed }))
        };

        if !verified.matched {
            self.throttle.record_failure(None, address).await?;
            let reason = if user.password.is_some() {
                "password mismatch"
            } else {
                "no password set"
            };
            self.commit(vec![audit(false).failed(reason).op()]).await?;
            return Ok(false);
        }
        self.throttle.record_success(&account).await?;

        if let Some(password) = kept {
            let mut upgraded = user.clone();
            upgraded.password = Some(self.passwords.hash(password).await?);
            upgraded.version = user.version + 1;
            let ops = vec![
                WriteOp::UpdateUser {
                    user: Box::new(upgraded),
                    expected_version: user.version,
                },
                audit(true).op(),
            ];
            match self.commit(ops).await {
                Ok(()) => return Ok(true),
                // Someone else wrote the user meanwhile (maybe a new
                // password); the upgrade can wait for the next verify.
                Err(Error::StaleVersion)
                | Err(Error::NotFound {
                    entity: Entity::User,
                    ..
                }) => {}
                Err(e) => return Err(e),
            }
        }
        self.commit(vec![audit(false).op()]).await?;
        Ok(true)
    }

    /// The signed-in user changes its own password, proving it knows the
    /// current one. A wrong current password is `VALIDATION` on
    /// `currentPassword` (not `UNAUTHENTICATED`: the session is fine), is
    /// logged, and counts against the throttle like a failed sign-in.
    pub async fn change_password(&self, caller: &Caller, current: &str, new: &str) -> Result<User> {
        let id = caller.user_id.clone().ok_or(Error::Unauthenticated)?;
        validate::password_to_verify(current)
            .map_err(|e| Error::validation("currentPassword", e.to_string()))?;
        validate::new_password(new).map_err(|e| Error::validation("newPassword", e.to_string()))?;
        let account = user_account(&id);
        let address = caller.ip.as_deref();
        self.throttle.begin(&account, address).await?;
        let user = self.load_user(&id).await?;
        let verified = self
            .passwords
            .verify(current.to_owned(), user.password.as_ref())
            .await?;
        if !verified.matched {
            self.throttle.record_failure(None, address).await?;
            let reason = if user.password.is_some() {
                "current password mismatch"
            } else {
                "no password set"
            };
            let log = Audit::new(caller, log_keys::USER_PASSWORD_CHANGED, time::now())
                .user(&id)
                .payload(json!({}))
                .failed(reason);
            self.commit(vec![log.op()]).await?;
            return Err(Error::validation(
                "currentPassword",
                "the current password is not correct",
            ));
        }
        self.throttle.record_success(&account).await?;
        let checked = user.password.clone();
        let digest = self.passwords.hash(new.to_owned()).await?;
        self.edit_user(caller, &id, |stored, _| {
            // Proving the old password only counts for the password it was.
            if stored.password != checked {
                return Err(Error::conflict(
                    Some("currentPassword"),
                    "the password was changed meanwhile; try again",
                ));
            }
            let mut user = stored.clone();
            user.password = Some(digest.clone());
            Ok(Some(UserEdit {
                user,
                key: log_keys::USER_PASSWORD_CHANGED,
                payload: json!({}),
                check: Check::Password(new),
                event: EventKind::PasswordSet,
                details: json!({}),
            }))
        })
        .await
        .map_err(|e| match e {
            // The policy judged `password`; here the client sent it as
            // `newPassword`.
            Error::Rejected {
                plugin,
                field: Some(field),
                message,
            } if field == "password" => Error::Rejected {
                plugin,
                field: Some("newPassword".into()),
                message,
            },
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_and_digest_exclude_each_other() {
        let pw = || Some("long enough".to_owned());
        let digest = || Some("$2b$...".to_owned());
        let bcrypt = Some(PasswordAlgorithm::Bcrypt);
        let field = |r: Result<InitialPassword>| r.err().and_then(|e| e.field().map(str::to_owned));
        assert_eq!(
            field(InitialPassword::from_input(pw(), digest(), bcrypt)).as_deref(),
            Some("password")
        );
        assert_eq!(
            field(InitialPassword::from_input(pw(), None, bcrypt)).as_deref(),
            Some("passwordAlgorithm")
        );
        assert_eq!(
            field(InitialPassword::from_input(None, digest(), None)).as_deref(),
            Some("passwordAlgorithm")
        );
        assert_eq!(
            field(InitialPassword::from_input(None, None, bcrypt)).as_deref(),
            Some("passwordDigest")
        );
        assert_eq!(
            field(InitialPassword::from_input(
                Some("short".into()),
                None,
                None
            ))
            .as_deref(),
            Some("password")
        );
        assert!(matches!(
            InitialPassword::from_input(pw(), None, None),
            Ok(InitialPassword::Clear(_))
        ));
        assert!(matches!(
            InitialPassword::from_input(None, digest(), bcrypt),
            Ok(InitialPassword::Imported { .. })
        ));
        assert!(matches!(
            InitialPassword::from_input(None, None, None),
            Ok(InitialPassword::None)
        ));
    }
}
