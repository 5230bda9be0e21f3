//! Creating many users in one call (imports, seeding): each input is treated
//! exactly as `createUser` treats it, but the writes share commits, which is
//! where the time of a large import goes.

use std::sync::Arc;

use tokio::task::JoinSet;

use super::halving::{settled, sort_out};
use super::new_user::{CheckedUser, NewUser};
use super::{CreateUser, MAX_ATTEMPTS, Service};
use crate::caller::{Caller, Permission};
use crate::error::{Entity, Error, Result};
use crate::model::User;

/// Users per `Storage::commit_each`: enough that a transaction's fixed cost
/// (a sync to disk, a round trip, rewriting the index pages it touches) is
/// shared widely, few enough that a chunk's records and index entries held
/// in memory stay a few tens of megabytes whatever the input size.
pub const CHUNK: usize = 10_000;

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

    /// Writes the prepared users of one chunk, each user's writes whole or
    /// not at all, in as few transactions as the backend manages (see
    /// [`crate::Storage::commit_each`]).
    async fn commit_chunk(
        &self,
        caller: &Caller,
        prepared: Vec<Result<NewUser>>,
    ) -> Result<Vec<Result<User>>> {
        let (mut results, mut pending) = sort_out::<NewUser, User>(prepared);
        let mut role_ids = self.default_role_ids().await?;
        let mut attempt = 1;
        while !pending.is_empty() {
            let mut users = Vec::with_capacity(pending.len());
            let mut groups = Vec::with_capacity(pending.len());
            for (_, new_user) in &pending {
                let (user, ops) = new_user.ops(caller, &role_ids);
                users.push(user);
                groups.push(ops);
            }
            let written = self.commit_each(groups).await?;
            let mut again = Vec::new();
            for (((index, new_user), user), result) in pending.into_iter().zip(users).zip(written) {
                match result {
                    Ok(()) => {
                        self.publish_created(caller, &user, &role_ids);
                        results[index] = Some(Ok(user));
                    }
                    // A default role deleted since we listed them: list
                    // again and write these users again.
                    Err(Error::NotFound {
                        entity: Entity::Role,
                        ..
                    }) if attempt < MAX_ATTEMPTS => again.push((index, new_user)),
                    Err(e) => results[index] = Some(Err(e)),
                }
            }
            pending = again;
            if !pending.is_empty() {
                attempt += 1;
                role_ids = self.default_role_ids().await?;
            }
        }
        Ok(results.into_iter().map(settled).collect())
    }
}
