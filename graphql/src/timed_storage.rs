//! A [`Storage`] that records how long each call takes, per method, and
//! counts the webhook delivery outcomes plugins log through it. It only
//! measures: every call goes to the wrapped storage unchanged.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use usergraph_core::query::{LogSearch, Page, RoleSearch, UserSearch};
use usergraph_core::throttle::AttemptStore;
use usergraph_core::{
    AccessToken, LogEntry, Result, Role, RoleId, Storage, TokenDigest, TokenId, UniqueKey, User,
    UserId, WriteOp,
};

use crate::metrics::{record_storage_call, record_webhook_delivery};

/// Log keys of the webhooks plugin start with this.
const WEBHOOK_KEY_PREFIX: &str = "Webhook.";

#[derive(Debug)]
pub struct TimedStorage {
    inner: Arc<dyn Storage>,
}

impl TimedStorage {
    pub fn new(inner: Arc<dyn Storage>) -> Self {
        TimedStorage { inner }
    }

    /// `storage` wrapped, as the `Arc` the service takes.
    pub fn wrap(storage: Arc<dyn Storage>) -> Arc<dyn Storage> {
        Arc::new(TimedStorage::new(storage))
    }
}

async fn timed<T>(method: &'static str, call: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let out = call.await;
    record_storage_call(method, started.elapsed());
    out
}

/// The webhook outcomes (`Delivered`, `Failed`) among `ops`. Plugins log
/// through the service's storage, so this is where deliveries are seen.
fn webhook_outcomes(ops: &[WriteOp]) -> Vec<String> {
    ops.iter()
        .filter_map(|op| match op {
            WriteOp::AppendLog(entry) => entry.key.strip_prefix(WEBHOOK_KEY_PREFIX),
            _ => None,
        })
        .map(str::to_owned)
        .collect()
}

#[async_trait]
impl Storage for TimedStorage {
    async fn commit(&self, ops: Vec<WriteOp>) -> Result<()> {
        let outcomes = webhook_outcomes(&ops);
        let result = timed("commit", self.inner.commit(ops)).await;
        if result.is_ok() {
            outcomes.iter().for_each(|o| record_webhook_delivery(o));
        }
        result
    }
    async fn commit_each(&self, groups: Vec<Vec<WriteOp>>) -> Result<Vec<Result<()>>> {
        let outcomes: Vec<Vec<String>> = groups.iter().map(|ops| webhook_outcomes(ops)).collect();
        let results = timed("commit_each", self.inner.commit_each(groups)).await?;
        for (result, outcomes) in results.iter().zip(&outcomes) {
            if result.is_ok() {
                outcomes.iter().for_each(|o| record_webhook_delivery(o));
            }
        }
        Ok(results)
    }
    async fn user(&self, id: &UserId) -> Result<Option<User>> {
        timed("user", self.inner.user(id)).await
    }
    async fn users(&self, ids: &[UserId]) -> Result<Vec<User>> {
        timed("users", self.inner.users(ids)).await
    }
    async fn user_by_key(&self, key: &UniqueKey) -> Result<Option<User>> {
        timed("user_by_key", self.inner.user_by_key(key)).await
    }
    async fn search_users(&self, search: &UserSearch) -> Result<Page<User>> {
        timed("search_users", self.inner.search_users(search)).await
    }
    async fn role(&self, id: &RoleId) -> Result<Option<Role>> {
        timed("role", self.inner.role(id)).await
    }
    async fn roles(&self, ids: &[RoleId]) -> Result<Vec<Role>> {
        timed("roles", self.inner.roles(ids)).await
    }
    async fn role_by_name(&self, name_key: &str) -> Result<Option<Role>> {
        timed("role_by_name", self.inner.role_by_name(name_key)).await
    }
    async fn search_roles(&self, search: &RoleSearch) -> Result<Page<Role>> {
        timed("search_roles", self.inner.search_roles(search)).await
    }
    async fn default_roles(&self) -> Result<Vec<Role>> {
        timed("default_roles", self.inner.default_roles()).await
    }
    async fn role_ids_of_users(&self, user_ids: &[UserId]) -> Result<HashMap<UserId, Vec<RoleId>>> {
        timed("role_ids_of_users", self.inner.role_ids_of_users(user_ids)).await
    }
    async fn search_logs(&self, search: &LogSearch) -> Result<Page<LogEntry>> {
        timed("search_logs", self.inner.search_logs(search)).await
    }
    async fn token(&self, id: &TokenId) -> Result<Option<AccessToken>> {
        timed("token", self.inner.token(id)).await
    }
    async fn token_by_digest(&self, digest: &TokenDigest) -> Result<Option<AccessToken>> {
        timed("token_by_digest", self.inner.token_by_digest(digest)).await
    }
    async fn tokens_of_user(&self, user_id: &UserId) -> Result<Vec<AccessToken>> {
        timed("tokens_of_user", self.inner.tokens_of_user(user_id)).await
    }
    async fn optimize_after_bulk_load(&self) -> Result<()> {
        timed(
            "optimize_after_bulk_load",
            self.inner.optimize_after_bulk_load(),
        )
        .await
    }
    async fn cursor_key(&self, fresh: [u8; 32]) -> Result<[u8; 32]> {
        timed("cursor_key", self.inner.cursor_key(fresh)).await
    }

    /// Without it the service would count failures in memory, per
    /// instance, whenever metrics are on.
    fn shared_attempts(&self) -> Option<Arc<dyn AttemptStore>> {
        self.inner.shared_attempts()
    }

    fn log_commits(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        self.inner.log_commits()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use metrics_exporter_prometheus::PrometheusBuilder;
    use usergraph_core::{LogEntry, LogId, LogResult};

    use super::*;

    fn log(key: &str) -> WriteOp {
        WriteOp::AppendLog(Box::new(LogEntry {
            id: LogId::generate(),
            key: key.to_owned(),
            result: LogResult::Success,
            user_id: None,
            role_id: None,
            actor_id: None,
            token_id: None,
            ip: None,
            user_agent: None,
            payload: serde_json::json!({}),
            error: None,
            created_at: usergraph_core::time::now(),
        }))
    }

    #[test]
    fn calls_are_timed_and_webhook_outcomes_counted() {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        let _local = metrics::set_default_local_recorder(&recorder);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let inner = usergraph_redb::RedbStorage::open(dir.path().join("x.redb")).unwrap();
        let storage = TimedStorage::wrap(Arc::new(inner));
        runtime.block_on(async {
            storage
                .commit(vec![log("Webhook.Delivered"), log("User.Created")])
                .await
                .unwrap();
            storage.commit(vec![log("Webhook.Failed")]).await.unwrap();
            storage.role_by_name("admin").await.unwrap();
        });
        let shown = handle.render();
        assert!(
            shown.contains(r#"usergraph_webhook_deliveries_total{outcome="Delivered"} 1"#),
            "{shown}"
        );
        assert!(
            shown.contains(r#"usergraph_webhook_deliveries_total{outcome="Failed"} 1"#),
            "{shown}"
        );
        assert!(
            shown.contains(r#"usergraph_storage_call_duration_seconds_count{method="commit"} 2"#),
            "{shown}"
        );
        assert!(
            shown.contains(
                r#"usergraph_storage_call_duration_seconds_count{method="role_by_name"} 1"#
            ),
            "{shown}"
        );
    }
}
