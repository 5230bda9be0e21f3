//! Creating many users in one call (imports, seeding): each input is treated
//! exactly as `createUser` treats it, but the writes share commits, which is
//! where the time of a large import goes.

use std::sync::Arc;

use tokio::task::JoinSet;

use super::halving::{Groups, is_item_error, settled, sort_out};
use super::new_user::{CheckedUser, NewUser};
use super::{CreateUser, MAX_ATTEMPTS, Service};
use crate::caller::{Caller, Permission};
use crate::error::{Entity, Error, Result};
use crate::model::User;

/// Users per `Storage::commit`: enough that a commit's fixed cost (a sync to
/// disk, a round trip) is shared widely, few enough that one transaction
/// stays modest and one bad item costs a short search.
pub(super) const CHUNK: usize = 500;

impl Service {
    /// Creates each of `inputs` as [`Service::create_user`] would (same
    /// validation, normalization, default roles, plugin checks,
    /// `User.Created` log and `UserCreated` event), and returns one result
    /// per input, in input order. A user a plugin rejects gets its own
    /// `REJECTED` error.
    ///
    /// An input that is invalid, or whose id, username, email or phone is
    /// taken (by an existing user or by an earlier input of the same batch),
    /// gets its own error and the others are still created: the outcome is
    /// the one calling `create_user` on each input in order would give.
    ///
    /// The whole call fails only without `users:write` (nothing written) or
    /// when storage fails; in the latter case the chunks committed before
    /// the failure stay written.
    pub async fn create_users_batch(
        &self,
        caller: &Caller,
        inputs: Vec<CreateUser>,
    ) -> Result<Vec<Result<User>>> {
        caller.require(Permission::UsersWrite)?;
        let mut results = Vec::with_capacity(inputs.len());
        let mut inputs = inputs.into_iter();
        loop {
            let chunk: Vec<CreateUser> = inputs.by_ref().take(CHUNK).collect();
            if chunk.is_empty() {
                return Ok(results);
            }
            let prepared = self.prepare_chunk(chunk).await?;
            let vetted = self.vet_chunk(caller, prepared).await;
            results.extend(self.commit_chunk(caller, vetted).await?);
        }
    }

    /// Validates every input and finishes its password, clear passwords
    /// hashed in parallel up to the hasher's own concurrency cap.
    pub(super) async fn prepare_chunk(
        &self,
        inputs: Vec<CreateUser>,
    ) -> Result<Vec<Result<NewUser>>> {
        let mut prepared: Vec<Option<Result<NewUser>>> = Vec::with_capacity(inputs.len());
        let mut hashing = JoinSet::new();
        for (index, input) in inputs.into_iter().enumerate() {
            match CheckedUser::check(input) {
                Err(e) => prepared.push(Some(Err(e))),
                Ok(checked) if checked.needs_hashing() => {
                    prepared.push(None);
                    let hasher = Arc::clone(&self.passwords);
                    hashing.spawn(async move { (index, checked.finish(&hasher).await) });
                }
                Ok(checked) => prepared.push(Some(checked.finish(&self.passwords).await)),
            }
        }
        while let Some(joined) = hashing.join_next().await {
            let (index, finished) = joined.map_err(Error::internal)?;
            prepared[index] = Some(finished);
        }
        Ok(prepared.into_iter().map(settled).collect())
    }

    /// Asks the plugins about each prepared user, in input order; a user
    /// they reject gets the rejection as its own error.
    async fn vet_chunk(
        &self,
        caller: &Caller,
        prepared: Vec<Result<NewUser>>,
    ) -> Vec<Result<NewUser>> {
        let mut vetted = Vec::with_capacity(prepared.len());
        for item in prepared {
            vetted.push(match item {
                Ok(new_user) => self
                    .vet_new_user(caller, &new_user)
                    .await
                    .map(|()| new_user),
                Err(e) => Err(e),
            });
        }
        vetted
    }

    /// Writes the prepared users of one chunk in one commit, halving it
    /// around the items at fault (see [`Groups`]).
    async fn commit_chunk(
        &self,
        caller: &Caller,
        prepared: Vec<Result<NewUser>>,
    ) -> Result<Vec<Result<User>>> {
        let (mut results, pending) = sort_out::<NewUser, User>(prepared);
        let mut groups = Groups::new(pending.len());
        let mut role_ids = self.default_role_ids().await?;
        let mut attempt = 1;
        while let Some(group) = groups.next_group() {
            let members = &pending[group.clone()];
            let mut users = Vec::with_capacity(members.len());
            let mut ops = Vec::with_capacity(members.len() * 3);
            for (_, new_user) in members {
                let (user, user_ops) = new_user.ops(caller, &role_ids);
                users.push(user);
                ops.extend(user_ops);
            }
            match self.commit(ops).await {
                Ok(()) => {
                    for ((index, _), user) in members.iter().zip(users) {
                        self.publish_created(caller, &user, &role_ids);
                        results[*index] = Some(Ok(user));
                    }
                }
                // A default role deleted since we listed them: list again.
                Err(Error::NotFound {
                    entity: Entity::Role,
                    ..
                }) if attempt < MAX_ATTEMPTS => {
                    attempt += 1;
                    role_ids = self.default_role_ids().await?;
                    groups.again(group);
                }
                Err(e) if is_item_error(&e) => {
                    if let Some(culprit) = groups.split(group) {
                        results[pending[culprit].0] = Some(Err(e));
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(results.into_iter().map(settled).collect())
    }
}
