//! Creating many users in one call (imports, seeding): each input is treated
//! exactly as `createUser` treats it, but the writes share commits, which is
//! where the time of a large import goes.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::Arc;

use tokio::task::JoinSet;

use super::new_user::{CheckedUser, NewUser};
use super::{CreateUser, MAX_ATTEMPTS, Service};
use crate::caller::{Caller, Permission};
use crate::error::{Entity, Error, Result};
use crate::model::User;

/// Users per `Storage::commit`: enough that a commit's fixed cost (a sync to
/// disk, a round trip) is shared widely, few enough that one transaction
/// stays modest and one bad item costs a short search.
const CHUNK: usize = 500;

/// A failing group of at most this many users is retried one user at a time
/// instead of being halved again: at that size halving saves no commits.
const SINGLES: usize = 8;

impl Service {
    /// Creates each of `inputs` as [`Service::create_user`] would (same
    /// validation, normalization, default roles and `User.Created` log), and
    /// returns one result per input, in input order.
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
            results.extend(self.commit_chunk(caller, prepared).await?);
        }
    }

    /// Validates every input and finishes its password, clear passwords
    /// hashed in parallel up to the hasher's own concurrency cap.
    async fn prepare_chunk(&self, inputs: Vec<CreateUser>) -> Result<Vec<Result<NewUser>>> {
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

    /// Writes the prepared users of one chunk. The whole chunk goes in one
    /// commit; when that fails on an item's own error (an identifier taken),
    /// the commit does not say which item, so the group is halved and each
    /// half retried in order until the culprits stand alone.
    async fn commit_chunk(
        &self,
        caller: &Caller,
        prepared: Vec<Result<NewUser>>,
    ) -> Result<Vec<Result<User>>> {
        let mut results: Vec<Option<Result<User>>> = Vec::with_capacity(prepared.len());
        let mut pending: Vec<(usize, NewUser)> = Vec::new();
        for (index, item) in prepared.into_iter().enumerate() {
            match item {
                Ok(new_user) => {
                    results.push(None);
                    pending.push((index, new_user));
                }
                Err(e) => results.push(Some(Err(e))),
            }
        }

        let mut groups: VecDeque<Range<usize>> = VecDeque::new();
        if !pending.is_empty() {
            groups.push_back(0..pending.len());
        }
        let mut role_ids = self.default_role_ids().await?;
        let mut attempt = 1;
        while let Some(group) = groups.pop_front() {
            let members = &pending[group.clone()];
            let mut users = Vec::with_capacity(members.len());
            let mut ops = Vec::with_capacity(members.len() * 3);
            for (_, new_user) in members {
                let (user, user_ops) = new_user.ops(caller, &role_ids);
                users.push(user);
                ops.extend(user_ops);
            }
            match self.storage.commit(ops).await {
                Ok(()) => {
                    for ((index, _), user) in members.iter().zip(users) {
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
                    groups.push_front(group);
                }
                Err(e) if is_item_error(&e) => {
                    if let [(index, _)] = members {
                        results[*index] = Some(Err(e));
                    } else if group.len() <= SINGLES {
                        for single in group.rev() {
                            groups.push_front(single..single + 1);
                        }
                    } else {
                        let middle = group.start + group.len() / 2;
                        groups.push_front(middle..group.end);
                        groups.push_front(group.start..middle);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(results.into_iter().map(settled).collect())
    }
}

/// Errors that belong to one item of a commit, not to the commit as a whole.
fn is_item_error(error: &Error) -> bool {
    matches!(
        error,
        Error::UsernameAlreadyInUse
            | Error::EmailAlreadyInUse
            | Error::PhoneAlreadyInUse
            | Error::Conflict { .. }
    )
}

/// Every slot is filled by the loops above; an empty one would be a bug in
/// them, reported as an internal error rather than a panic.
fn settled<T>(slot: Option<Result<T>>) -> Result<T> {
    slot.unwrap_or_else(|| Err(Error::internal("a batch item was left without a result")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_identifier_and_id_clashes_are_item_errors() {
        assert!(is_item_error(&Error::UsernameAlreadyInUse));
        assert!(is_item_error(&Error::EmailAlreadyInUse));
        assert!(is_item_error(&Error::PhoneAlreadyInUse));
        assert!(is_item_error(&Error::conflict(Some("id"), "taken")));
        assert!(!is_item_error(&Error::internal("disk on fire")));
        assert!(!is_item_error(&Error::StaleVersion));
        assert!(!is_item_error(&Error::not_found(Entity::Role, "r1")));
    }
}
