//! Importing users as another store (or another system) had them: ids,
//! timestamps, password digests, identities, suspension and role
//! assignments are kept as given. Each user is validated and normalized
//! exactly as `createUser` does it, and writes share commits as in the
//! batch create.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use super::batch::CHUNK;
use super::halving::{settled, sort_out};
use super::new_user::NewUser;
use super::{CreateUser, Service, guard};
use crate::caller::{Caller, Permission};
use crate::error::{Error, Result};
use crate::ids::{RoleId, UserId};
use crate::model::{Identity, Role, User};
use crate::storage::{UniqueKey, WriteOp};
use crate::time::{self, Timestamp};
use crate::validate;

mod role;
mod stage;

/// What an import does with a record whose user (or role) exists already.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnExisting {
    /// Leave it as it is: re-running an import changes nothing.
    #[default]
    Skip,
    /// Make it what the record says.
    Update,
}

/// What became of one imported record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportOutcome {
    Created,
    Updated,
    /// It existed and was left as it was (skipped, or already identical).
    Skipped,
}

/// A social identity as imported.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportedIdentity {
    pub user_id: String,
    pub details: Option<Map<String, Value>>,
    /// Absent: now.
    pub linked_at: Option<Timestamp>,
}

/// One user to import.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportedUser {
    /// The fields `createUser` takes. `id` is kept when given; without one
    /// the user is matched to an existing one by username, else email,
    /// else phone, and gets a new id when none matches.
    pub user: CreateUser,
    /// Keyed by provider. `None`: none (new user) or unchanged (update).
    pub identities: Option<BTreeMap<String, ImportedIdentity>>,
    /// Role names. `None`: the default roles (new user) or unchanged
    /// (update); `Some` gives exactly these.
    pub roles: Option<Vec<String>>,
    /// `None`: not suspended (new user) or unchanged (update).
    pub is_suspended: Option<bool>,
    pub last_sign_in_at: Option<Timestamp>,
    /// Absent: now.
    pub created_at: Option<Timestamp>,
    /// Absent: `created_at` (new user) or now (update).
    pub updated_at: Option<Timestamp>,
    /// When true (a spreadsheet row), an update keeps every field the
    /// record leaves empty; when false (an export line, which describes the
    /// whole user), an update makes the user exactly the record.
    pub partial: bool,
}

/// A role to import. Roles are matched by name (case-insensitive), then id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportedRole {
    /// Kept when the role is created; generated when absent.
    pub id: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub permissions: Vec<String>,
    pub is_default: bool,
    pub created_at: Option<Timestamp>,
    pub updated_at: Option<Timestamp>,
}

/// What an import record carries beyond a `createUser` input.
struct Extras {
    id_given: bool,
    profile_given: bool,
    custom_data_given: bool,
    identities: Option<BTreeMap<String, ImportedIdentity>>,
    roles: Option<Vec<String>>,
    is_suspended: Option<bool>,
    last_sign_in_at: Option<Timestamp>,
    created_at: Option<Timestamp>,
    updated_at: Option<Timestamp>,
    partial: bool,
}

fn split(imported: ImportedUser) -> (CreateUser, Extras) {
    let extras = Extras {
        id_given: imported.user.id.is_some(),
        profile_given: imported.user.profile.is_some(),
        custom_data_given: imported.user.custom_data.is_some(),
        identities: imported.identities,
        roles: imported.roles,
        is_suspended: imported.is_suspended,
        last_sign_in_at: imported.last_sign_in_at.map(time::truncate),
        created_at: imported.created_at.map(time::truncate),
        updated_at: imported.updated_at.map(time::truncate),
        partial: imported.partial,
    };
    (imported.user, extras)
}

/// A validated user: the user as the record describes it (timestamps not
/// settled yet) and its roles, `None` meaning defaults or unchanged.
struct Candidate {
    user: User,
    roles: Option<Vec<RoleId>>,
    fields: Vec<&'static str>,
    extras: Extras,
}

/// The writes of one user and what they mean once committed.
struct Staged {
    ops: Vec<WriteOp>,
    outcome: ImportOutcome,
}

/// Role names already looked up during one import call.
#[derive(Default)]
struct RoleNames {
    by_key: HashMap<String, Option<Role>>,
}

impl Service {
    /// Imports each of `users` and returns one result per user, in order.
    /// Needs `users:write`; assigning roles needs their permissions, and
    /// updating a user every permission it holds, as they would otherwise.
    /// Each written user gets a `User.Imported` log entry.
    ///
    /// A user whose record is invalid, names a role that does not exist,
    /// or whose identifiers are taken by another user gets its own error;
    /// the others are still written. The call fails as a whole only without
    /// `users:write` or when storage fails (commits made before stay).
    pub async fn import_users_batch(
        &self,
        caller: &Caller,
        users: Vec<ImportedUser>,
        on_existing: OnExisting,
    ) -> Result<Vec<Result<ImportOutcome>>> {
        caller.require(Permission::UsersWrite)?;
        let defaults = self.default_role_ids().await?;
        let mut roles = RoleNames::default();
        let mut results = Vec::with_capacity(users.len());
        let mut users = users.into_iter();
        loop {
            let chunk: Vec<ImportedUser> = users.by_ref().take(CHUNK).collect();
            if chunk.is_empty() {
                return Ok(results);
            }
            let candidates = self.validate_chunk(caller, chunk, &mut roles).await?;
            let staged = self
                .stage_chunk(caller, candidates, on_existing, &defaults)
                .await?;
            results.extend(self.commit_staged(staged).await?);
        }
    }

    /// Validates every record of a chunk (passwords as `createUser` does,
    /// then identities and role names).
    async fn validate_chunk(
        &self,
        caller: &Caller,
        chunk: Vec<ImportedUser>,
        roles: &mut RoleNames,
    ) -> Result<Vec<Result<Candidate>>> {
        let (inputs, extras): (Vec<CreateUser>, Vec<Extras>) = chunk.into_iter().map(split).unzip();
        let prepared = self.prepare_chunk(inputs).await?;
        let mut candidates = Vec::with_capacity(prepared.len());
        for (new_user, extras) in prepared.into_iter().zip(extras) {
            candidates.push(match new_user {
                Ok(new_user) => self.candidate(caller, new_user, extras, roles).await?,
                Err(e) => Err(e),
            });
        }
        Ok(candidates)
    }

    /// The outer result fails the import (storage down); the inner one
    /// fails this record.
    async fn candidate(
        &self,
        caller: &Caller,
        new_user: NewUser,
        extras: Extras,
        roles: &mut RoleNames,
    ) -> Result<Result<Candidate>> {
        let fields = new_user.fields_set();
        let mut user = new_user.into_user();
        if let Some(identities) = &extras.identities {
            match checked_identities(identities) {
                Ok(identities) => user.identities = identities,
                Err(e) => return Ok(Err(e)),
            }
        }
        user.is_suspended = extras.is_suspended.unwrap_or(false);
        user.last_sign_in_at = extras.last_sign_in_at;
        let role_ids = match &extras.roles {
            None => None,
            Some(names) => match self.role_ids_by_name(caller, names, roles).await? {
                Ok(ids) => Some(ids),
                Err(e) => return Ok(Err(e)),
            },
        };
        Ok(Ok(Candidate {
            user,
            roles: role_ids,
            fields,
            extras,
        }))
    }

    /// The ids of the roles `names` names, each of which the caller must be
    /// able to grant.
    async fn role_ids_by_name(
        &self,
        caller: &Caller,
        names: &[String],
        roles: &mut RoleNames,
    ) -> Result<Result<Vec<RoleId>>> {
        let mut ids = Vec::with_capacity(names.len());
        for name in names {
            let key = validate::identifier_key(name);
            let role = match roles.by_key.get(&key) {
                Some(role) => role.clone(),
                None => {
                    let role = self.storage.role_by_name(&key).await?;
                    roles.by_key.insert(key, role.clone());
                    role
                }
            };
            let Some(role) = role else {
                return Ok(Err(Error::validation(
                    "roles",
                    format!("no role is named {name:?}"),
                )));
            };
            if let Err(e) = guard::require_grantable(caller, &role.permissions) {
                return Ok(Err(e));
            }
            if !ids.contains(&role.id) {
                ids.push(role.id);
            }
        }
        ids.sort();
        Ok(Ok(ids))
    }

    /// The stored user each valid record matches, by its position: by id
    /// when the record gives one (one lookup for the chunk), else by its
    /// first unique identifier.
    async fn existing_users(
        &self,
        candidates: &[Result<Candidate>],
    ) -> Result<HashMap<usize, User>> {
        let with_ids: Vec<UserId> = candidates
            .iter()
            .flatten()
            .filter(|c| c.extras.id_given)
            .map(|c| c.user.id.clone())
            .collect();
        let mut by_id: HashMap<UserId, User> = self
            .storage
            .users(&with_ids)
            .await?
            .into_iter()
            .map(|user| (user.id.clone(), user))
            .collect();
        let mut found = HashMap::new();
        for (index, candidate) in candidates.iter().enumerate() {
            let Ok(candidate) = candidate else { continue };
            let user = if candidate.extras.id_given {
                by_id.remove(&candidate.user.id)
            } else {
                match first_key(&candidate.user) {
                    Some(key) => self.storage.user_by_key(&key).await?,
                    None => None,
                }
            };
            if let Some(user) = user {
                found.insert(index, user);
            }
        }
        Ok(found)
    }

    /// Commits the staged writes of a chunk: each record's writes whole or
    /// not at all, in record order, in as few transactions as the backend
    /// manages (see [`crate::Storage::commit_each`]).
    async fn commit_staged(
        &self,
        staged: Vec<Result<Option<Staged>>>,
    ) -> Result<Vec<Result<ImportOutcome>>> {
        let (mut results, pending) = sort_out::<Option<Staged>, ImportOutcome>(staged);
        let mut outcomes = Vec::with_capacity(pending.len());
        let mut groups = Vec::with_capacity(pending.len());
        for (index, staged) in pending {
            match staged {
                Some(staged) => {
                    outcomes.push((index, staged.outcome));
                    groups.push(staged.ops);
                }
                None => results[index] = Some(Ok(ImportOutcome::Skipped)),
            }
        }
        let written = self.commit_each(groups).await?;
        for ((index, outcome), result) in outcomes.into_iter().zip(written) {
            results[index] = Some(result.map(|()| outcome));
        }
        Ok(results.into_iter().map(settled).collect())
    }
}

fn first_key(user: &User) -> Option<UniqueKey> {
    let keys = user.unique_keys();
    keys.username
        .map(UniqueKey::Username)
        .or(keys.email.map(UniqueKey::Email))
        .or(keys.phone.map(UniqueKey::Phone))
}

fn checked_identities(
    identities: &BTreeMap<String, ImportedIdentity>,
) -> Result<BTreeMap<String, Identity>> {
    let now = time::now();
    identities
        .iter()
        .map(|(provider, identity)| {
            Ok((
                validate::provider(provider)?,
                Identity {
                    user_id: validate::identity_user_id(&identity.user_id)?,
                    details: validate::identity_details(identity.details.clone())?,
                    linked_at: identity.linked_at.map_or(now, time::truncate),
                },
            ))
        })
        .collect()
}
