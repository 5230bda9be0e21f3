//! The one path from a `createUser` input to the writes that create the user,
//! shared by [`Service::create_user`](super::Service::create_user) and the
//! batch, so that both validate, normalize and log exactly alike.

use std::collections::BTreeMap;

use serde_json::json;

use super::CreateUser;
use super::audit::Audit;
use super::passwords::InitialPassword;
use crate::caller::Caller;
use crate::error::Result;
use crate::ids::{RoleId, UserId};
use crate::model::{Profile, User, log_keys};
use crate::password::PasswordHasher;
use crate::storage::WriteOp;
use crate::{time, validate};

fn optional(raw: Option<String>, rule: fn(&str) -> Result<String>) -> Result<Option<String>> {
    raw.as_deref().map(rule).transpose()
}

/// A `createUser` input whose fields passed validation; its password is not
/// hashed yet, because hashing is the expensive part and only worth doing
/// once everything else is known to be fine.
pub(super) struct CheckedUser {
    user: User,
    password: InitialPassword,
}

impl CheckedUser {
    /// Validates and normalizes every field; the first bad one is the error.
    pub(super) fn check(input: CreateUser) -> Result<Self> {
        let id = match input.id.as_deref() {
            Some(raw) => UserId::parse(raw)?,
            None => UserId::generate(),
        };
        let username = optional(input.username, validate::username)?;
        let primary_email = optional(input.primary_email, validate::primary_email)?;
        let primary_phone = optional(input.primary_phone, validate::primary_phone)?;
        let name = optional(input.name, validate::name)?;
        let avatar = optional(input.avatar, validate::avatar)?;
        let profile = match input.profile {
            Some(raw) => {
                validate::apply_profile(&Profile::default(), &validate::profile_input(raw)?).profile
            }
            None => Profile::default(),
        };
        let custom_data = input
            .custom_data
            .map(validate::custom_data)
            .transpose()?
            .unwrap_or_default();
        let password = InitialPassword::from_input(
            input.password,
            input.password_digest,
            input.password_algorithm,
        )?;
        // The timestamps are placeholders until `NewUser::ops` stamps them.
        let now = time::now();
        let user = User {
            id,
            username,
            primary_email,
            primary_phone,
            name,
            avatar,
            profile,
            custom_data,
            identities: BTreeMap::new(),
            password: None,
            is_suspended: false,
            last_sign_in_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        Ok(CheckedUser { user, password })
    }

    /// Whether finishing this user costs a password hash.
    pub(super) fn needs_hashing(&self) -> bool {
        self.password.needs_hashing()
    }

    /// Hashes a clear password or checks an imported digest.
    pub(super) async fn finish(self, hasher: &PasswordHasher) -> Result<NewUser> {
        let mut user = self.user;
        let password = self.password.clear().map(str::to_owned);
        user.password = self.password.digest(hasher).await?;
        Ok(NewUser { user, password })
    }
}

/// A user ready to be written.
pub(super) struct NewUser {
    user: User,
    /// The clear password it was given, kept for before-hooks (password
    /// policies); never written or logged.
    password: Option<String>,
}

impl NewUser {
    /// The user as it will be stored (created now) and the ops that insert
    /// it, give it `default_roles` and log `User.Created`, for one commit.
    pub(super) fn ops(&self, caller: &Caller, default_roles: &[RoleId]) -> (User, Vec<WriteOp>) {
        let now = time::now();
        let mut user = self.user.clone();
        user.created_at = now;
        user.updated_at = now;
        let log = Audit::new(caller, log_keys::USER_CREATED, now)
            .user(&user.id)
            .payload(json!({ "fields": self.fields_set(), "roleIds": default_roles }));
        let mut ops = vec![WriteOp::InsertUser(Box::new(user.clone()))];
        if !default_roles.is_empty() {
            ops.push(WriteOp::AssignRoles {
                user_id: user.id.clone(),
                role_ids: default_roles.to_vec(),
            });
        }
        ops.push(log.op());
        (user, ops)
    }

    /// The user as validated, its timestamps not yet those of the write.
    pub(super) fn user(&self) -> &User {
        &self.user
    }

    /// The password given in clear, if any.
    pub(super) fn clear_password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// The user as validated, for callers that write it their own way
    /// (imports keep the timestamps, identities and state they were given).
    pub(super) fn into_user(self) -> User {
        self.user
    }

    /// The camelCase names of the fields the input set, for the log.
    pub(super) fn fields_set(&self) -> Vec<&'static str> {
        let user = &self.user;
        [
            ("username", user.username.is_some()),
            ("primaryEmail", user.primary_email.is_some()),
            ("primaryPhone", user.primary_phone.is_some()),
            ("name", user.name.is_some()),
            ("avatar", user.avatar.is_some()),
            ("profile", user.profile != Profile::default()),
            ("customData", !user.custom_data.is_empty()),
            ("password", user.password.is_some()),
        ]
        .into_iter()
        .filter_map(|(field, set)| set.then_some(field))
        .collect()
    }
}
