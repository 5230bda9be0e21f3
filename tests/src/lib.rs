//! Helpers for the end-to-end tests: a [`TestServer`] runs the real router
//! on an ephemeral loopback port over a redb store in a temporary
//! directory, and speaks GraphQL to it over HTTP.

// Test helpers fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod counting;

use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use usergraph::ApiSettings;
use usergraph_core::{Service, ServiceSettings, Storage};

pub use counting::CountingStorage;

/// The user agent every request of [`TestServer::graphql`] sends.
pub const USER_AGENT: &str = "usergraph-tests/1";

#[derive(Debug)]
pub struct TestServer {
    pub address: SocketAddr,
    pub storage: Arc<CountingStorage>,
    client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::with_settings(ApiSettings::default()).await
    }

    pub async fn with_settings(settings: ApiSettings) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let redb = usergraph_redb::RedbStorage::open(dir.path().join("usergraph.redb")).unwrap();
        let storage = Arc::new(CountingStorage::new(Arc::new(redb)));
        let service = Service::new(
            Arc::clone(&storage) as Arc<dyn Storage>,
            ServiceSettings::default(),
        )
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let app = usergraph::router(service, settings);
        let task = tokio::spawn(usergraph::serve(listener, app, async move {
            let _ = rx.await;
        }));
        TestServer {
            address,
            storage,
            client: reqwest::Client::builder()
                .user_agent(USER_AGENT)
                .build()
                .unwrap(),
            shutdown: Some(tx),
            task: Some(task),
            _dir: dir,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/graphql", self.address)
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Posts one GraphQL operation and returns the decoded response.
    pub async fn graphql(&self, query: &str, variables: Value) -> Gql {
        let response = self
            .client
            .post(self.url())
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        Gql { status, body }
    }

    /// Like [`TestServer::graphql`], and fails the test on any error.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        self.graphql(query, variables).await.data()
    }

    /// Posts any JSON body.
    pub async fn post_json(&self, body: &Value) -> Gql {
        let response = self
            .client
            .post(self.url())
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        Gql { status, body }
    }

    /// Stops accepting connections and waits for the server to finish.
    pub async fn shutdown(mut self) {
        self.stop().await;
    }

    async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }

    /// Creates a user from a `CreateUserInput` and returns its id.
    pub async fn create_user(&self, input: Value) -> String {
        let data = self
            .data(
                "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
                json!({ "input": input }),
            )
            .await;
        data["createUser"]["id"].as_str().unwrap().to_owned()
    }

    /// Creates a role from a `CreateRoleInput` and returns its id.
    pub async fn create_role(&self, input: Value) -> String {
        let data = self
            .data(
                "mutation($input: CreateRoleInput!) { createRole(input: $input) { id } }",
                json!({ "input": input }),
            )
            .await;
        data["createRole"]["id"].as_str().unwrap().to_owned()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A GraphQL response as received.
#[derive(Debug, Clone)]
pub struct Gql {
    pub status: u16,
    pub body: Value,
}

impl Gql {
    /// `data`, after checking that there are no errors.
    pub fn data(self) -> Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {}",
            self.body
        );
        self.body["data"].clone()
    }

    /// The first error, after checking that there is one.
    pub fn error(&self) -> &Value {
        let errors = self.body["errors"].as_array();
        assert!(
            errors.is_some_and(|e| !e.is_empty()),
            "expected an error, got {}",
            self.body
        );
        &self.body["errors"][0]
    }

    pub fn code(&self) -> &str {
        self.error()["extensions"]["code"]
            .as_str()
            .unwrap_or("<none>")
    }

    pub fn field(&self) -> Option<&str> {
        self.error()["extensions"]["field"].as_str()
    }

    pub fn message(&self) -> &str {
        self.error()["message"].as_str().unwrap_or("<none>")
    }
}
