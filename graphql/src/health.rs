//! Operational endpoints, for load balancers and scrapers rather than API
//! clients: `GET /healthz` (the process answers), `GET /readyz` (the
//! storage answers too) and, when enabled, `GET /metrics` (Prometheus text
//! format). None needs a token: they reveal no data, only whether the
//! service is up and how busy it is per root field.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use usergraph_core::Storage;

/// How long `/readyz` waits for the storage before calling it unready.
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// The name of the built-in role `/readyz` looks up: one indexed read.
const PROBE_ROLE: &str = "admin";

/// The content type of Prometheus's text exposition format.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Clone, Debug)]
struct Probe {
    storage: Arc<dyn Storage>,
}

/// `/healthz` and `/readyz` over `storage`, plus `/metrics` when a handle
/// is given. Merge it into the API's router.
pub fn routes(storage: Arc<dyn Storage>, metrics: Option<PrometheusHandle>) -> Router {
    let probes = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(Probe { storage });
    match metrics {
        Some(handle) => probes.merge(
            Router::new()
                .route("/metrics", get(render_metrics))
                .with_state(handle),
        ),
        None => probes,
    }
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(probe): State<Probe>) -> Response {
    match tokio::time::timeout(READY_TIMEOUT, probe.storage.role_by_name(PROBE_ROLE)).await {
        Ok(Ok(_)) => (StatusCode::OK, "ready\n").into_response(),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness probe: the storage failed");
            (StatusCode::SERVICE_UNAVAILABLE, "storage unavailable\n").into_response()
        }
        Err(_) => {
            tracing::warn!(timeout = ?READY_TIMEOUT, "readiness probe: the storage did not answer in time");
            (StatusCode::SERVICE_UNAVAILABLE, "storage timed out\n").into_response()
        }
    }
}

async fn render_metrics(State(handle): State<PrometheusHandle>) -> Response {
    handle.run_upkeep();
    ([(header::CONTENT_TYPE, PROMETHEUS_TEXT)], handle.render()).into_response()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::collections::HashMap;

    use async_trait::async_trait;
    use usergraph_core::query::{LogSearch, Page, RoleSearch, UserSearch};
    use usergraph_core::{
        AccessToken, Error, LogEntry, Result, Role, RoleId, TokenDigest, TokenId, UniqueKey, User,
        UserId, WriteOp,
    };

    use super::*;

    /// A store that has gone away: every call fails.
    #[derive(Debug)]
    struct Down;

    fn down<T>() -> Result<T> {
        Err(Error::internal("connection refused"))
    }

    #[async_trait]
    impl Storage for Down {
        async fn commit(&self, _: Vec<WriteOp>) -> Result<()> {
            down()
        }
        async fn user(&self, _: &UserId) -> Result<Option<User>> {
            down()
        }
        async fn users(&self, _: &[UserId]) -> Result<Vec<User>> {
            down()
        }
        async fn user_by_key(&self, _: &UniqueKey) -> Result<Option<User>> {
            down()
        }
        async fn search_users(&self, _: &UserSearch) -> Result<Page<User>> {
            down()
        }
        async fn role(&self, _: &RoleId) -> Result<Option<Role>> {
            down()
        }
        async fn roles(&self, _: &[RoleId]) -> Result<Vec<Role>> {
            down()
        }
        async fn role_by_name(&self, _: &str) -> Result<Option<Role>> {
            down()
        }
        async fn search_roles(&self, _: &RoleSearch) -> Result<Page<Role>> {
            down()
        }
        async fn default_roles(&self) -> Result<Vec<Role>> {
            down()
        }
        async fn role_ids_of_users(&self, _: &[UserId]) -> Result<HashMap<UserId, Vec<RoleId>>> {
            down()
        }
        async fn search_logs(&self, _: &LogSearch) -> Result<Page<LogEntry>> {
            down()
        }
        async fn token(&self, _: &TokenId) -> Result<Option<AccessToken>> {
            down()
        }
        async fn token_by_digest(&self, _: &TokenDigest) -> Result<Option<AccessToken>> {
            down()
        }
        async fn tokens_of_user(&self, _: &UserId) -> Result<Vec<AccessToken>> {
            down()
        }
        async fn cursor_key(&self, _: [u8; 32]) -> Result<[u8; 32]> {
            down()
        }
    }

    /// Serves `routes` on a free port; its base URL.
    async fn spawn(routes: Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, routes).await });
        format!("http://{address}")
    }

    #[tokio::test]
    async fn a_failing_store_is_alive_but_not_ready() {
        let base = spawn(routes(Arc::new(Down), None)).await;
        let get = |path: &str| reqwest::get(format!("{base}{path}"));
        assert_eq!(get("/healthz").await.unwrap().status(), 200);
        assert_eq!(get("/readyz").await.unwrap().status(), 503);
        // Metrics were not asked for.
        assert_eq!(get("/metrics").await.unwrap().status(), 404);
    }

    #[tokio::test]
    async fn a_working_store_is_ready() {
        let dir = tempfile::tempdir().unwrap();
        let storage = usergraph_redb::RedbStorage::open(dir.path().join("x.redb")).unwrap();
        let base = spawn(routes(Arc::new(storage), None)).await;
        let ready = reqwest::get(format!("{base}/readyz")).await.unwrap();
        assert_eq!(ready.status(), 200);
    }
}
