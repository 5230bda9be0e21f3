//! A `Storage` that counts the calls a test wants to see batched, and can
//! slow user searches down.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use usergraph_core::query::{LogSearch, Page, RoleSearch, UserSearch};
use usergraph_core::throttle::AttemptStore;
use usergraph_core::{
    AccessToken, LogEntry, Result, Role, RoleId, Storage, TokenDigest, TokenId, UniqueKey, User,
    UserId, WriteOp,
};

/// Delegates everything to the wrapped storage and counts
/// `role_ids_of_users` calls (what `User.roles` costs), `users` calls
/// (what `LogEntry.user` and `LogEntry.actor` cost), searches that
/// asked for a total count, reads of the cursor key, and token lookups
/// (what authenticating costs).
#[derive(Debug)]
pub struct CountingStorage {
    inner: Arc<dyn Storage>,
    role_lookups: AtomicUsize,
    user_lookups: AtomicUsize,
    counted_searches: AtomicUsize,
    cursor_key_reads: AtomicUsize,
    token_lookups: AtomicUsize,
    user_search_delay_ms: AtomicU64,
}

impl CountingStorage {
    pub fn new(inner: Arc<dyn Storage>) -> Self {
        CountingStorage {
            inner,
            role_lookups: AtomicUsize::new(0),
            user_lookups: AtomicUsize::new(0),
            counted_searches: AtomicUsize::new(0),
            cursor_key_reads: AtomicUsize::new(0),
            token_lookups: AtomicUsize::new(0),
            user_search_delay_ms: AtomicU64::new(0),
        }
    }

    /// How many tokens were looked up by their digest so far.
    pub fn token_lookups(&self) -> usize {
        self.token_lookups.load(Ordering::SeqCst)
    }

    /// Makes every later user search wait `delay` first.
    pub fn delay_user_searches(&self, delay: Duration) {
        let millis = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.user_search_delay_ms.store(millis, Ordering::SeqCst);
    }

    /// How many `role_ids_of_users` calls were made so far.
    pub fn role_lookups(&self) -> usize {
        self.role_lookups.load(Ordering::SeqCst)
    }

    /// How many `users` (by ids) calls were made so far.
    pub fn user_lookups(&self) -> usize {
        self.user_lookups.load(Ordering::SeqCst)
    }

    /// How many searches (of users, roles or logs) asked for a total count.
    pub fn counted_searches(&self) -> usize {
        self.counted_searches.load(Ordering::SeqCst)
    }

    /// How many `cursor_key` calls were made so far.
    pub fn cursor_key_reads(&self) -> usize {
        self.cursor_key_reads.load(Ordering::SeqCst)
    }

    fn note_search(&self, count_total: bool) {
        if count_total {
            self.counted_searches.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[async_trait]
impl Storage for CountingStorage {
    async fn commit(&self, ops: Vec<WriteOp>) -> Result<()> {
        self.inner.commit(ops).await
    }
    async fn commit_each(&self, groups: Vec<Vec<WriteOp>>) -> Result<Vec<Result<()>>> {
        self.inner.commit_each(groups).await
    }
    async fn user(&self, id: &UserId) -> Result<Option<User>> {
        self.inner.user(id).await
    }
    async fn users(&self, ids: &[UserId]) -> Result<Vec<User>> {
        self.user_lookups.fetch_add(1, Ordering::SeqCst);
        self.inner.users(ids).await
    }
    async fn user_by_key(&self, key: &UniqueKey) -> Result<Option<User>> {
        self.inner.user_by_key(key).await
    }
    async fn search_users(&self, search: &UserSearch) -> Result<Page<User>> {
        self.note_search(search.count_limit.is_some());
        let delay = self.user_search_delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
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
        self.note_search(search.count_limit.is_some());
        self.inner.search_roles(search).await
    }
    async fn default_roles(&self) -> Result<Vec<Role>> {
        self.inner.default_roles().await
    }
    async fn role_ids_of_users(&self, user_ids: &[UserId]) -> Result<HashMap<UserId, Vec<RoleId>>> {
        self.role_lookups.fetch_add(1, Ordering::SeqCst);
        self.inner.role_ids_of_users(user_ids).await
    }
    async fn search_logs(&self, search: &LogSearch) -> Result<Page<LogEntry>> {
        self.note_search(search.count_limit.is_some());
        self.inner.search_logs(search).await
    }
    async fn token(&self, id: &TokenId) -> Result<Option<AccessToken>> {
        self.inner.token(id).await
    }
    async fn token_by_digest(&self, digest: &TokenDigest) -> Result<Option<AccessToken>> {
        self.token_lookups.fetch_add(1, Ordering::SeqCst);
        self.inner.token_by_digest(digest).await
    }
    async fn tokens_of_user(&self, user_id: &UserId) -> Result<Vec<AccessToken>> {
        self.inner.tokens_of_user(user_id).await
    }
    async fn optimize_after_bulk_load(&self) -> Result<()> {
        self.inner.optimize_after_bulk_load().await
    }
    async fn cursor_key(&self, fresh: [u8; 32]) -> Result<[u8; 32]> {
        self.cursor_key_reads.fetch_add(1, Ordering::SeqCst);
        self.inner.cursor_key(fresh).await
    }

    fn shared_attempts(&self) -> Option<Arc<dyn AttemptStore>> {
        self.inner.shared_attempts()
    }

    fn log_commits(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        self.inner.log_commits()
    }
}
