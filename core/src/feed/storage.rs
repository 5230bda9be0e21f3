//! The storage every write of a service goes through, so that the feed
//! sees each committed log entry once and in order.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;

use super::{LogFeed, Stamped};
use crate::error::{Error, Result};
use crate::ids::{RoleId, TokenId, UserId};
use crate::model::{AccessToken, LogEntry, Role, TokenDigest, User};
use crate::query::{LogSearch, Page, RoleSearch, UserSearch};
use crate::storage::{Storage, UniqueKey, WriteOp};
use crate::throttle::AttemptStore;

/// `inner`, with every commit's log entries stamped before it and
/// released to the feed after it. Each method is passed on as it is,
/// including the ones the trait gives a default for: a backend's own bulk
/// write must not fall back to the default.
#[derive(Debug)]
pub struct FeedingStorage {
    inner: Arc<dyn Storage>,
    feed: LogFeed,
    /// Whether other processes write the store too: then the feed reads
    /// every commit from the store (see [`super::pump`]), this process's
    /// own included, and commits only pass through here.
    shared: bool,
}

impl FeedingStorage {
    pub fn new(inner: Arc<dyn Storage>, feed: LogFeed) -> Self {
        let shared = inner.log_commits().is_some();
        FeedingStorage {
            inner,
            feed,
            shared,
        }
    }
}

/// Runs a commit to its end even when its caller stops waiting (a client
/// that hangs up, a request timeout): the feed must learn how every
/// stamped commit went, or it would hold back every later entry for good.
async fn to_the_end<T: Send + 'static>(
    commit: impl Future<Output = Result<T>> + Send + 'static,
) -> Result<T> {
    tokio::spawn(commit).await.map_err(Error::internal)?
}

/// A commit's stamped entries until the feed hears how it went. Dropped
/// unfinished (the backend panicked), it tells the feed nothing was
/// committed, so that later entries are not held back for good.
pub(super) struct Outcome {
    feed: LogFeed,
    stamped: Option<Stamped>,
}

impl Outcome {
    pub(super) fn new(feed: LogFeed, stamped: Stamped) -> Self {
        Outcome {
            feed,
            stamped: Some(stamped),
        }
    }

    fn finish(mut self, committed: impl Fn(usize) -> bool) {
        if let Some(stamped) = self.stamped.take() {
            self.feed.finish(stamped, committed);
        }
    }
}

impl Drop for Outcome {
    fn drop(&mut self) {
        if let Some(stamped) = self.stamped.take() {
            self.feed.finish(stamped, |_| false);
        }
    }
}

#[async_trait]
impl Storage for FeedingStorage {
    async fn commit(&self, mut ops: Vec<WriteOp>) -> Result<()> {
        if self.shared {
            return self.inner.commit(ops).await;
        }
        let stamped = self.feed.stamp(std::iter::once(&mut ops));
        if stamped.is_empty() {
            return self.inner.commit(ops).await;
        }
        let inner = Arc::clone(&self.inner);
        let outcome = Outcome::new(self.feed.clone(), stamped);
        to_the_end(async move {
            let result = inner.commit(ops).await;
            // An error may hide a commit whose answer was lost (a dropped
            // database connection); its entries are then in storage but
            // not in the feed, where a resuming client still finds them.
            let committed = result.is_ok();
            outcome.finish(|_| committed);
            result
        })
        .await
    }

    async fn commit_each(&self, mut groups: Vec<Vec<WriteOp>>) -> Result<Vec<Result<()>>> {
        if self.shared {
            return self.inner.commit_each(groups).await;
        }
        let stamped = self.feed.stamp(groups.iter_mut());
        if stamped.is_empty() {
            return self.inner.commit_each(groups).await;
        }
        let inner = Arc::clone(&self.inner);
        let outcome = Outcome::new(self.feed.clone(), stamped);
        to_the_end(async move {
            let result = inner.commit_each(groups).await;
            match &result {
                Ok(each) => {
                    outcome.finish(|index| each.get(index).is_some_and(|written| written.is_ok()))
                }
                Err(_) => outcome.finish(|_| false),
            }
            result
        })
        .await
    }

    async fn user(&self, id: &UserId) -> Result<Option<User>> {
        self.inner.user(id).await
    }

    async fn users(&self, ids: &[UserId]) -> Result<Vec<User>> {
        self.inner.users(ids).await
    }

    async fn user_by_key(&self, key: &UniqueKey) -> Result<Option<User>> {
        self.inner.user_by_key(key).await
    }

    async fn search_users(&self, search: &UserSearch) -> Result<Page<User>> {
        self.inner.search_users(search).await
    }

    async fn role(&self, id: &RoleId) -> Result<Option<Role>> {
        self.inner.role(id).await
    }

    async fn roles(&self, ids: &[RoleId]) -> Result<Vec<Role>> {
        self.inner.roles(ids).await
    }

    async fn role_by_name(&self, name_key: &str) -> Result<Option<Role>> {
        self.inner.role_by_name(name_key).await
    }

    async fn search_roles(&self, search: &RoleSearch) -> Result<Page<Role>> {
        self.inner.search_roles(search).await
    }

    async fn default_roles(&self) -> Result<Vec<Role>> {
        self.inner.default_roles().await
    }

    async fn role_ids_of_users(&self, user_ids: &[UserId]) -> Result<HashMap<UserId, Vec<RoleId>>> {
        self.inner.role_ids_of_users(user_ids).await
    }

    async fn search_logs(&self, search: &LogSearch) -> Result<Page<LogEntry>> {
        self.inner.search_logs(search).await
    }

    async fn token(&self, id: &TokenId) -> Result<Option<AccessToken>> {
        self.inner.token(id).await
    }

    async fn token_by_digest(&self, digest: &TokenDigest) -> Result<Option<AccessToken>> {
        self.inner.token_by_digest(digest).await
    }

    async fn tokens_of_user(&self, user_id: &UserId) -> Result<Vec<AccessToken>> {
        self.inner.tokens_of_user(user_id).await
    }

    async fn optimize_after_bulk_load(&self) -> Result<()> {
        self.inner.optimize_after_bulk_load().await
    }

    async fn cursor_key(&self, fresh: [u8; 32]) -> Result<[u8; 32]> {
        self.inner.cursor_key(fresh).await
    }

    fn shared_attempts(&self) -> Option<Arc<dyn AttemptStore>> {
        self.inner.shared_attempts()
    }

    fn log_commits(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        self.inner.log_commits()
    }
}
