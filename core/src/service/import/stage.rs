//! Deciding what each valid import record does (create, update, skip) and
//! the writes that do it.

use std::collections::{BTreeSet, HashMap};

use serde_json::json;

use super::{Candidate, ImportOutcome, OnExisting, Staged};
use crate::caller::{Caller, Permission, Permissions};
use crate::error::Result;
use crate::ids::{RoleId, UserId};
use crate::model::{Role, User, log_keys};
use crate::plugin::Proposal;
use crate::service::audit::Audit;
use crate::service::{Service, guard};
use crate::storage::WriteOp;
use crate::time::{self, Timestamp};

impl Service {
    /// Decides for each valid record whether it creates, updates or skips a
    /// user, and builds its writes.
    pub(super) async fn stage_chunk(
        &self,
        caller: &Caller,
        candidates: Vec<Result<Candidate>>,
        on_existing: OnExisting,
        defaults: &[RoleId],
    ) -> Result<Vec<Result<Option<Staged>>>> {
        let existing = self.existing_users(&candidates).await?;
        let existing_ids: Vec<UserId> = existing.values().map(|user| user.id.clone()).collect();
        let existing_roles = if on_existing == OnExisting::Update && !existing_ids.is_empty() {
            self.storage.role_ids_of_users(&existing_ids).await?
        } else {
            HashMap::new()
        };
        let powers = self.powers(caller, &existing_roles).await?;
        let admin = self.admin_role().await?;
        let now = time::now();
        let mut staged = Vec::with_capacity(candidates.len());
        for (index, candidate) in candidates.into_iter().enumerate() {
            let candidate = match candidate {
                Ok(candidate) => candidate,
                Err(e) => {
                    staged.push(Err(e));
                    continue;
                }
            };
            let Some(current) = existing.get(&index) else {
                let vetted = self
                    .vet(
                        caller,
                        Proposal::CreateUser {
                            user: &candidate.user,
                        },
                    )
                    .await;
                staged.push(vetted.map(|()| Some(insert(caller, candidate, defaults, now))));
                continue;
            };
            if on_existing == OnExisting::Skip {
                staged.push(Ok(None));
                continue;
            }
            let held = existing_roles
                .get(&current.id)
                .map(Vec::as_slice)
                .unwrap_or_default();
            // Updating a user may set its password digest: as with
            // `setUserPassword`, only for a user who holds nothing more.
            let power: BTreeSet<Permission> = held
                .iter()
                .filter_map(|id| powers.get(id))
                .flatten()
                .copied()
                .collect();
            if let Err(e) = guard::require_outranks(caller, &power) {
                staged.push(Err(e));
                continue;
            }
            let update = Update {
                current,
                held,
                candidate,
            };
            let mut last_admin_guard = None;
            if let Some(admin) = &admin
                && update.takes_admin_away(admin)
            {
                let refused = self
                    .refuse_last_admin(admin, &current.id, "suspend or remove the admin role from")
                    .await;
                match refused {
                    Ok(guard) => last_admin_guard = guard,
                    Err(e) => {
                        staged.push(Err(e));
                        continue;
                    }
                }
            }
            let Some(after) = update.change(now) else {
                staged.push(Ok(None));
                continue;
            };
            let proposal = Proposal::UpdateUser {
                before: current,
                after: &after,
            };
            staged.push(self.vet(caller, proposal).await.map(|()| {
                let mut staged = update.ops(caller, after, now);
                // Two records of one chunk may each take away one of the
                // last two admins: the op checks the chunk as committed.
                staged.ops.extend(last_admin_guard);
                Some(staged)
            }));
        }
        Ok(staged)
    }

    /// The usergraph permissions of every role the users about to be
    /// updated hold, in one storage call; none needed for the process
    /// itself, which holds them all.
    async fn powers(
        &self,
        caller: &Caller,
        held: &HashMap<UserId, Vec<RoleId>>,
    ) -> Result<HashMap<RoleId, Vec<Permission>>> {
        let ids: BTreeSet<&RoleId> = held.values().flatten().collect();
        if caller.permissions == Permissions::All || ids.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<RoleId> = ids.into_iter().cloned().collect();
        Ok(self
            .storage
            .roles(&ids)
            .await?
            .into_iter()
            .map(|role| {
                let permissions = role
                    .permissions
                    .iter()
                    .filter_map(|name| Permission::parse(name))
                    .collect();
                (role.id, permissions)
            })
            .collect())
    }
}

fn imported_log(
    caller: &Caller,
    user: &User,
    fields: &[&str],
    roles: &[RoleId],
    existed: bool,
    now: Timestamp,
) -> WriteOp {
    Audit::new(caller, log_keys::USER_IMPORTED, now)
        .user(&user.id)
        .payload(json!({ "fields": fields, "roleIds": roles, "existed": existed }))
        .op()
}

/// The writes creating a user that does not exist yet.
fn insert(caller: &Caller, candidate: Candidate, defaults: &[RoleId], now: Timestamp) -> Staged {
    let Candidate {
        mut user,
        roles,
        fields,
        extras,
    } = candidate;
    user.created_at = extras.created_at.unwrap_or(now);
    user.updated_at = extras.updated_at.unwrap_or(user.created_at);
    let roles = roles.unwrap_or_else(|| defaults.to_vec());
    let mut ops = Vec::with_capacity(3);
    ops.push(WriteOp::InsertUser(Box::new(user.clone())));
    if !roles.is_empty() {
        ops.push(WriteOp::AssignRoles {
            user_id: user.id.clone(),
            role_ids: roles.clone(),
        });
    }
    ops.push(imported_log(caller, &user, &fields, &roles, false, now));
    Staged {
        ops,
        outcome: ImportOutcome::Created,
    }
}

/// A record that matched a stored user, to be made what the record says.
struct Update<'a> {
    current: &'a User,
    /// The roles the stored user holds, sorted.
    held: &'a [RoleId],
    candidate: Candidate,
}

impl Update<'_> {
    /// Whether the update would suspend an active holder of `admin` or take
    /// the role from one.
    fn takes_admin_away(&self, admin: &Role) -> bool {
        let holds = self.held.contains(&admin.id) && !self.current.is_suspended;
        let suspends = self.candidate.extras.is_suspended == Some(true);
        let drops = self
            .candidate
            .roles
            .as_ref()
            .is_some_and(|roles| !roles.contains(&admin.id));
        holds && (suspends || drops)
    }

    /// The user as the record makes it; for a partial record, fields it
    /// leaves empty keep their stored value.
    fn merged(&self, now: Timestamp) -> User {
        let current = self.current;
        let extras = &self.candidate.extras;
        let mut user = self.candidate.user.clone();
        user.id = current.id.clone();
        if extras.partial {
            let keep = |new: &mut Option<String>, old: &Option<String>| {
                if new.is_none() {
                    new.clone_from(old);
                }
            };
            keep(&mut user.username, &current.username);
            keep(&mut user.primary_email, &current.primary_email);
            keep(&mut user.primary_phone, &current.primary_phone);
            keep(&mut user.name, &current.name);
            keep(&mut user.avatar, &current.avatar);
            if user.password.is_none() {
                user.password.clone_from(&current.password);
            }
            if !extras.profile_given {
                user.profile = current.profile.clone();
            }
            if !extras.custom_data_given {
                user.custom_data = current.custom_data.clone();
            }
        }
        if extras.identities.is_none() {
            user.identities = current.identities.clone();
        }
        if extras.is_suspended.is_none() {
            user.is_suspended = current.is_suspended;
        }
        if extras.last_sign_in_at.is_none() && extras.partial {
            user.last_sign_in_at = current.last_sign_in_at;
        }
        user.created_at = extras.created_at.unwrap_or(current.created_at);
        user.updated_at = extras.updated_at.unwrap_or(now);
        user.version = current.version;
        user
    }

    /// The roles the user will hold, when the record changes them.
    fn roles_change(&self) -> Option<&Vec<RoleId>> {
        self.candidate
            .roles
            .as_ref()
            .filter(|roles| roles.as_slice() != self.held)
    }

    /// The user as it will be stored, or `None` when the stored user (and
    /// its roles) already are what the record says.
    fn change(&self, now: Timestamp) -> Option<User> {
        let mut user = self.merged(now);
        let same_content = User {
            updated_at: self.current.updated_at,
            ..user.clone()
        } == *self.current;
        if same_content && self.roles_change().is_none() {
            return None;
        }
        user.version = self.current.version + 1;
        Some(user)
    }

    /// The writes that make the stored user `user` (from [`Update::change`]).
    fn ops(&self, caller: &Caller, user: User, now: Timestamp) -> Staged {
        let roles_change = self.roles_change();
        let roles = roles_change.map_or(self.held, Vec::as_slice);
        let log = imported_log(caller, &user, &self.candidate.fields, roles, true, now);
        let mut ops = vec![WriteOp::UpdateUser {
            user: Box::new(user),
            expected_version: self.current.version,
        }];
        if let Some(roles) = roles_change {
            ops.push(WriteOp::ReplaceRoles {
                user_id: self.current.id.clone(),
                role_ids: roles.clone(),
            });
        }
        ops.push(log);
        Staged {
            ops,
            outcome: ImportOutcome::Updated,
        }
    }
}
