//! Changes to an existing user record, each a read-modify-write that is
//! retried when another write got in between.

use serde_json::{Value, json};

use super::audit::Audit;
use super::{
    IdentityInput, MAX_ATTEMPTS, Patch, ProfileInput, Service, UpdateUser, require_or_self,
};
use crate::caller::{Caller, Permission};
use crate::error::{Entity, Error, Result};
use crate::ids::UserId;
use crate::model::{Identity, User, log_keys};
use crate::storage::WriteOp;
use crate::time::{self, Timestamp};
use crate::validate;

/// A user after an edit, with the log entry that describes it.
pub(super) struct UserEdit {
    pub user: User,
    pub key: &'static str,
    pub payload: Value,
}

fn patch(raw: Patch<String>, rule: fn(&str) -> Result<String>) -> Result<Patch<String>> {
    Ok(match raw {
        Patch::Value(v) => Patch::Value(rule(&v)?),
        Patch::Null => Patch::Null,
        Patch::Absent => Patch::Absent,
    })
}

/// Applies `patch` to `slot`, noting `field` when the value changes.
fn apply(
    slot: &mut Option<String>,
    patch: &Patch<String>,
    field: &'static str,
    changed: &mut Vec<&'static str>,
) {
    let new = match patch {
        Patch::Absent => return,
        Patch::Null => None,
        Patch::Value(v) => Some(v.clone()),
    };
    if *slot != new {
        *slot = new;
        changed.push(field);
    }
}

impl Service {
    /// Loads the user, lets `edit` decide the new record, and commits it with
    /// its log entry; `edit` returning `None` means nothing changed, and
    /// nothing is written. Sets `updatedAt` and bumps the version.
    pub(super) async fn edit_user<F>(
        &self,
        caller: &Caller,
        id: &UserId,
        mut edit: F,
    ) -> Result<User>
    where
        F: FnMut(&User, Timestamp) -> Result<Option<UserEdit>> + Send,
    {
        for _ in 0..MAX_ATTEMPTS {
            let current = self.load_user(id).await?;
            let now = time::now();
            let Some(UserEdit {
                mut user,
                key,
                payload,
            }) = edit(&current, now)?
            else {
                return Ok(current);
            };
            user.updated_at = now;
            user.version = current.version + 1;
            let log = Audit::new(caller, key, now).user(id).payload(payload);
            let ops = vec![
                WriteOp::UpdateUser {
                    user: Box::new(user.clone()),
                    expected_version: current.version,
                },
                log.op(),
            ];
            match self.storage.commit(ops).await {
                Ok(()) => return Ok(user),
                Err(Error::StaleVersion) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::StaleVersion)
    }

    /// Absent fields stay, null clears, a value sets.
    pub async fn update_user(&self, caller: &Caller, id: &str, input: UpdateUser) -> Result<User> {
        caller.require(Permission::UsersWrite)?;
        let id = UserId::parse(id)?;
        let username = patch(input.username, validate::username)?;
        let primary_email = patch(input.primary_email, validate::primary_email)?;
        let primary_phone = patch(input.primary_phone, validate::primary_phone)?;
        let name = patch(input.name, validate::name)?;
        let avatar = patch(input.avatar, validate::avatar)?;
        self.edit_user(caller, &id, |current, _| {
            let mut user = current.clone();
            let mut fields = Vec::new();
            apply(&mut user.username, &username, "username", &mut fields);
            apply(
                &mut user.primary_email,
                &primary_email,
                "primaryEmail",
                &mut fields,
            );
            apply(
                &mut user.primary_phone,
                &primary_phone,
                "primaryPhone",
                &mut fields,
            );
            apply(&mut user.name, &name, "name", &mut fields);
            apply(&mut user.avatar, &avatar, "avatar", &mut fields);
            Ok((!fields.is_empty()).then(|| UserEdit {
                user,
                key: log_keys::USER_UPDATED,
                payload: json!({ "fields": fields }),
            }))
        })
        .await
    }

    /// Shallow merge of OIDC claims; a user may edit its own profile.
    pub async fn update_user_profile(
        &self,
        caller: &Caller,
        id: &str,
        profile: ProfileInput,
    ) -> Result<User> {
        let id = UserId::parse(id)?;
        require_or_self(caller, Permission::UsersWrite, &id)?;
        let input = validate::profile_input(profile)?;
        self.edit_user(caller, &id, |current, _| {
            let change = validate::apply_profile(&current.profile, &input);
            if change.changed.is_empty() {
                return Ok(None);
            }
            let mut user = current.clone();
            user.profile = change.profile;
            Ok(Some(UserEdit {
                user,
                key: log_keys::USER_PROFILE_UPDATED,
                payload: json!({ "fields": change.changed }),
            }))
        })
        .await
    }

    /// Top-level merge (a null removes a key), or with `replace` the whole
    /// object.
    pub async fn update_user_custom_data(
        &self,
        caller: &Caller,
        id: &str,
        custom_data: Value,
        replace: bool,
    ) -> Result<User> {
        caller.require(Permission::UsersWrite)?;
        let id = UserId::parse(id)?;
        let input = validate::custom_data(custom_data)?;
        self.edit_user(caller, &id, |current, _| {
            let change = validate::merge_custom_data(&current.custom_data, &input, replace)?;
            if change.changed_keys.is_empty() {
                return Ok(None);
            }
            let mut user = current.clone();
            user.custom_data = change.data;
            Ok(Some(UserEdit {
                user,
                key: log_keys::USER_CUSTOM_DATA_UPDATED,
                payload: json!({ "keys": change.changed_keys, "replace": replace }),
            }))
        })
        .await
    }

    pub async fn set_user_suspended(
        &self,
        caller: &Caller,
        id: &str,
        suspended: bool,
    ) -> Result<User> {
        caller.require(Permission::UsersWrite)?;
        let id = UserId::parse(id)?;
        self.edit_user(caller, &id, |current, _| {
            if current.is_suspended == suspended {
                return Ok(None);
            }
            let mut user = current.clone();
            user.is_suspended = suspended;
            let key = if suspended {
                log_keys::USER_SUSPENDED
            } else {
                log_keys::USER_UNSUSPENDED
            };
            Ok(Some(UserEdit {
                user,
                key,
                payload: json!({}),
            }))
        })
        .await
    }

    /// Links (or relinks, renewing `linkedAt`) the identity at `provider`.
    pub async fn link_user_identity(
        &self,
        caller: &Caller,
        id: &str,
        provider: &str,
        identity: IdentityInput,
    ) -> Result<User> {
        caller.require(Permission::UsersWrite)?;
        let id = UserId::parse(id)?;
        let provider = validate::provider(provider)?;
        let identity_user_id = validate::identity_user_id(&identity.user_id)?;
        let details = validate::identity_details(identity.details)?;
        self.edit_user(caller, &id, |current, now| {
            let mut user = current.clone();
            user.identities.insert(
                provider.clone(),
                Identity {
                    user_id: identity_user_id.clone(),
                    details: details.clone(),
                    linked_at: now,
                },
            );
            Ok(Some(UserEdit {
                user,
                key: log_keys::USER_IDENTITY_LINKED,
                payload: json!({ "provider": provider }),
            }))
        })
        .await
    }

    /// `NOT_FOUND` (identity) when the provider is not linked.
    pub async fn unlink_user_identity(
        &self,
        caller: &Caller,
        id: &str,
        provider: &str,
    ) -> Result<User> {
        caller.require(Permission::UsersWrite)?;
        let id = UserId::parse(id)?;
        let provider = validate::provider(provider)?;
        self.edit_user(caller, &id, |current, _| {
            let mut user = current.clone();
            if user.identities.remove(&provider).is_none() {
                return Err(Error::not_found(Entity::Identity, provider.as_str()));
            }
            Ok(Some(UserEdit {
                user,
                key: log_keys::USER_IDENTITY_UNLINKED,
                payload: json!({ "provider": provider }),
            }))
        })
        .await
    }
}
