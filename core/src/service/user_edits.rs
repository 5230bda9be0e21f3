//! Changes to an existing user record, each a read-modify-write that is
//! retried when another write got in between.

use serde_json::{Value, json};

use super::audit::Audit;
use super::{Backoff, IdentityInput, Patch, ProfileInput, Service, UpdateUser, guard};
use crate::caller::{Caller, Permission};
use crate::error::{Entity, Error, Result};
use crate::ids::UserId;
use crate::model::{Identity, User, log_keys};
use crate::plugin::{EventKind, Proposal};
use crate::storage::WriteOp;
use crate::time::{self, Timestamp};
use crate::validate;

/// A user after an edit, with the log entry that describes it and what
/// plugins are asked and told about it.
pub(super) struct UserEdit<'a> {
    pub user: User,
    pub key: &'static str,
    pub payload: Value,
    pub check: Check<'a>,
    pub event: EventKind,
    /// Event data beside `user` (an object).
    pub details: Value,
}

/// Which before-hook proposal an edit makes.
#[derive(Clone, Copy, Debug)]
pub(super) enum Check<'a> {
    /// None: the edit is no change plugins may veto (suspending, unlinking).
    Nothing,
    /// `UpdateUser` with the stored and the edited user.
    Update,
    /// `SetPassword` with this new password, in clear.
    Password(&'a str),
    /// `LinkIdentity` of the identity the edited user has at this provider.
    Link(&'a str),
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
    ///
    /// Plugins are asked (per [`Check`]) about the edited user as it would
    /// be stored, on every attempt, and told (`event`) once it is committed.
    pub(super) async fn edit_user<'a, F>(
        &self,
        caller: &Caller,
        id: &UserId,
        edit: F,
    ) -> Result<User>
    where
        F: FnMut(&User, Timestamp) -> Result<Option<UserEdit<'a>>> + Send,
    {
        self.edit_user_guarded(caller, id, None, edit).await
    }

    /// [`Service::edit_user`], with `guard` ending each commit (see
    /// [`WriteOp::RequireActiveHolder`]).
    async fn edit_user_guarded<'a, F>(
        &self,
        caller: &Caller,
        id: &UserId,
        guard: Option<WriteOp>,
        mut edit: F,
    ) -> Result<User>
    where
        F: FnMut(&User, Timestamp) -> Result<Option<UserEdit<'a>>> + Send,
    {
        // Writers of this user in this process go one after the other.
        let _turn = self.edit_turns.turn(id.as_str()).await;
        let mut backoff = Backoff::new();
        loop {
            let current = self.load_user(id).await?;
            let now = time::now();
            let Some(UserEdit {
                mut user,
                key,
                payload,
                check,
                event,
                details,
            }) = edit(&current, now)?
            else {
                return Ok(current);
            };
            user.updated_at = now;
            user.version = current.version + 1;
            self.vet_edit(caller, check, &current, &user).await?;
            let log = Audit::new(caller, key, now).user(id).payload(payload);
            let mut ops = vec![
                WriteOp::UpdateUser {
                    user: Box::new(user.clone()),
                    expected_version: current.version,
                },
                log.op(),
            ];
            ops.extend(guard.clone());
            match self.commit(ops).await {
                Ok(()) => {
                    self.publish_user(caller, event, &user, details);
                    return Ok(user);
                }
                Err(Error::StaleVersion) => backoff.lost().await?,
                Err(e) => return Err(e),
            }
        }
    }

    async fn vet_edit(
        &self,
        caller: &Caller,
        check: Check<'_>,
        before: &User,
        after: &User,
    ) -> Result<()> {
        let proposal = match check {
            Check::Nothing => return Ok(()),
            Check::Update => Proposal::UpdateUser { before, after },
            Check::Password(password) => Proposal::SetPassword {
                user: after,
                password,
            },
            Check::Link(provider) => {
                let identity = after.identities.get(provider).ok_or_else(|| {
                    Error::internal("a linked identity is missing from the edited user")
                })?;
                Proposal::LinkIdentity {
                    user: after,
                    provider,
                    identity,
                }
            }
        };
        self.vet(caller, proposal).await
    }

    /// Absent fields stay, null clears, a value sets. A user may change its
    /// own name and avatar; its identifiers (username, email, phone) need
    /// `users:write` like anyone else's, since they are how it signs in,
    /// and every permission the user holds (its own included: a narrowly
    /// scoped token may not change them).
    pub async fn update_user(&self, caller: &Caller, id: &str, input: UpdateUser) -> Result<User> {
        let id = guard::user_id_for(caller, Permission::UsersWrite, id)?;
        let self_service = !caller.permissions.allows(Permission::UsersWrite);
        let own_identifiers = guard::is_self(caller, &id)
            && !self_service
            && [&input.username, &input.primary_email, &input.primary_phone]
                .iter()
                .any(|patch| !matches!(patch, Patch::Absent));
        let beyond = if own_identifiers {
            self.permission_beyond(caller, &id).await?
        } else {
            self.require_outranks_unless_self(caller, &id).await?;
            None
        };
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
            // Judged on what changes, so a form that sends the current
            // username back along with a new name still counts as self-service.
            if self_service && let Some(field) = fields.first() {
                return Err(Error::Forbidden(format!(
                    "changing {field} requires the {} permission, even for oneself",
                    Permission::UsersWrite
                )));
            }
            if let (Some(missing), false) = (beyond, fields.is_empty()) {
                return Err(guard::outranked(caller, missing));
            }
            apply(&mut user.name, &name, "name", &mut fields);
            apply(&mut user.avatar, &avatar, "avatar", &mut fields);
            Ok((!fields.is_empty()).then(|| UserEdit {
                user,
                key: log_keys::USER_UPDATED,
                payload: json!({ "fields": fields }),
                check: Check::Update,
                event: EventKind::UserUpdated,
                details: json!({ "changedFields": fields }),
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
        let id = guard::user_id_for(caller, Permission::UsersWrite, id)?;
        self.require_outranks_unless_self(caller, &id).await?;
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
                details: json!({
                    "changedFields": ["profile"],
                    "profileFields": change.changed,
                }),
                payload: json!({ "fields": change.changed }),
                check: Check::Update,
                event: EventKind::UserUpdated,
            }))
        })
        .await
    }

    /// Top-level merge (a null removes a key), or with `replace` the whole
    /// object. Needs `users:write`, for oneself too: applications keep
    /// entitlements there.
    pub async fn update_user_custom_data(
        &self,
        caller: &Caller,
        id: &str,
        custom_data: Value,
        replace: bool,
    ) -> Result<User> {
        caller.require(Permission::UsersWrite)?;
        let id = UserId::parse(id)?;
        self.require_outranks(caller, &id).await?;
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
                details: json!({
                    "changedFields": ["customData"],
                    "customDataKeys": change.changed_keys,
                }),
                payload: json!({ "keys": change.changed_keys, "replace": replace }),
                check: Check::Update,
                event: EventKind::UserUpdated,
            }))
        })
        .await
    }

    /// Needs `users:write`, for oneself too; never the last admin.
    pub async fn set_user_suspended(
        &self,
        caller: &Caller,
        id: &str,
        suspended: bool,
    ) -> Result<User> {
        caller.require(Permission::UsersWrite)?;
        let id = UserId::parse(id)?;
        self.require_outranks(caller, &id).await?;
        let last_admin_guard = if suspended {
            self.refuse_if_last_admin(&id, "suspend").await?
        } else {
            None
        };
        self.edit_user_guarded(caller, &id, last_admin_guard, |current, _| {
            if current.is_suspended == suspended {
                return Ok(None);
            }
            let mut user = current.clone();
            user.is_suspended = suspended;
            let (key, event) = if suspended {
                (log_keys::USER_SUSPENDED, EventKind::UserSuspended)
            } else {
                (log_keys::USER_UNSUSPENDED, EventKind::UserUnsuspended)
            };
            Ok(Some(UserEdit {
                user,
                key,
                payload: json!({}),
                check: Check::Nothing,
                event,
                details: json!({}),
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
        self.require_outranks(caller, &id).await?;
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
                check: Check::Link(&provider),
                event: EventKind::IdentityLinked,
                details: json!({ "provider": provider }),
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
        self.require_outranks(caller, &id).await?;
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
                check: Check::Nothing,
                event: EventKind::IdentityUnlinked,
                details: json!({ "provider": provider }),
            }))
        })
        .await
    }
}
