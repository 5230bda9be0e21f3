//! Helpers for the end-to-end tests: a [`TestServer`] runs the real router
//! on an ephemeral loopback port over a redb store in a temporary
//! directory, and speaks GraphQL to it over HTTP.
//!
//! The store is bootstrapped as on a first start: it holds the built-in
//! `admin` role and a user `admin` holding it, whose token
//! ([`TestServer::admin_token`]) every request of [`TestServer::graphql`],
//! [`TestServer::data`] and [`TestServer::post_json`] sends. Tests that care
//! who calls use the `_as` variants ([`TestServer::graphql_as`],
//! [`TestServer::data_as`], [`TestServer::post_json_as`]) with a token or
//! `None` (anonymous), and make callers with
//! [`TestServer::user_with_permissions`], [`TestServer::create_token`] and
//! [`TestServer::sign_in`].

// Test helpers fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod counting;
pub mod floor;
pub mod live;
pub mod population;
pub mod postgres;

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

/// The password of every user [`TestServer::user_with_permissions`] makes.
pub const PASSWORD: &str = "correct horse battery staple";

#[derive(Debug)]
pub struct TestServer {
    pub address: SocketAddr,
    pub storage: Arc<CountingStorage>,
    /// The service the router serves, for tests that check what HTTP
    /// cannot show (e.g. the store directly through `service.storage()`).
    pub service: Service,
    admin_id: String,
    admin_token: String,
    client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
    /// The redb store's directory, when the server made one.
    _dir: Option<tempfile::TempDir>,
}

/// A user made by [`TestServer::user_with_permissions`], with a personal
/// access token acting as it.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub username: String,
    /// Its password: [`PASSWORD`].
    pub password: String,
    /// The role holding its permissions; `None` when it was given none.
    pub role_id: Option<String>,
    /// The secret of an unscoped, unexpiring personal access token.
    pub token: String,
    pub token_id: String,
}

/// Requests as the admin of a [`TestServer`], from any task.
#[derive(Debug, Clone)]
pub struct AdminClient {
    client: reqwest::Client,
    url: String,
    token: String,
}

impl AdminClient {
    /// The `data` of `query`, failing on any error.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body: Value = self
            .client
            .post(&self.url)
            .bearer_auth(&self.token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(body.get("errors").is_none(), "{body}");
        body["data"].clone()
    }
}

/// A personal access token as `createPersonalAccessToken` returned it.
#[derive(Debug, Clone)]
pub struct CreatedToken {
    pub id: String,
    pub secret: String,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::with_settings(ApiSettings::default()).await
    }

    pub async fn with_settings(settings: ApiSettings) -> Self {
        Self::with_all_settings(settings, ServiceSettings::default()).await
    }

    /// With service settings too (token lifetimes, throttling).
    pub async fn with_all_settings(
        settings: ApiSettings,
        service_settings: ServiceSettings,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let redb = usergraph_redb::RedbStorage::open(dir.path().join("usergraph.redb")).unwrap();
        Self::serving(Arc::new(redb), settings, service_settings, None, Some(dir)).await
    }

    /// A second instance over the store `first` serves (a database several
    /// processes share), acting with the same admin.
    pub async fn beside(first: &TestServer, store: Arc<dyn Storage>) -> Self {
        Self::serving(
            store,
            ApiSettings::default(),
            ServiceSettings::default(),
            Some(first),
            None,
        )
        .await
    }

    /// An instance over `store`, which it bootstraps.
    pub async fn on_store(store: Arc<dyn Storage>) -> Self {
        Self::on_store_with(store, ApiSettings::default()).await
    }

    /// [`Self::on_store`] with `settings`.
    pub async fn on_store_with(store: Arc<dyn Storage>, settings: ApiSettings) -> Self {
        Self::serving(store, settings, ServiceSettings::default(), None, None).await
    }

    async fn serving(
        store: Arc<dyn Storage>,
        settings: ApiSettings,
        service_settings: ServiceSettings,
        sharing: Option<&TestServer>,
        dir: Option<tempfile::TempDir>,
    ) -> Self {
        let storage = Arc::new(CountingStorage::new(store));
        let service =
            Service::new(Arc::clone(&storage) as Arc<dyn Storage>, service_settings).unwrap();
        let (admin_id, admin_token) = match sharing {
            Some(first) => (first.admin_id.clone(), first.admin_token.clone()),
            None => {
                let bootstrap = service
                    .bootstrap()
                    .await
                    .unwrap()
                    .expect("an empty store is bootstrapped");
                (bootstrap.user.id.to_string(), bootstrap.secret)
            }
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let app = usergraph::router(service.clone(), settings);
        let task = tokio::spawn(usergraph::serve(listener, app, async move {
            let _ = rx.await;
        }));
        TestServer {
            address,
            storage,
            service,
            admin_id,
            admin_token,
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

    /// A handle that sends requests as the admin, owning what it needs, so
    /// that tasks of their own (concurrent writers) can use it.
    pub fn admin_client(&self) -> AdminClient {
        AdminClient {
            client: self.client.clone(),
            url: self.url(),
            token: self.admin_token.clone(),
        }
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// The bootstrap admin's id.
    pub fn admin_id(&self) -> &str {
        &self.admin_id
    }

    /// The secret of the bootstrap admin's token.
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// Posts one GraphQL operation as the admin and returns the decoded
    /// response.
    pub async fn graphql(&self, query: &str, variables: Value) -> Gql {
        self.graphql_as(Some(&self.admin_token), query, variables)
            .await
    }

    /// Posts one GraphQL operation with `token` as bearer, or without an
    /// `Authorization` header when `None`.
    pub async fn graphql_as(&self, token: Option<&str>, query: &str, variables: Value) -> Gql {
        self.post_json_as(token, &json!({ "query": query, "variables": variables }))
            .await
    }

    /// Like [`TestServer::graphql`], and fails the test on any error.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        self.graphql(query, variables).await.data()
    }

    /// Like [`TestServer::graphql_as`], and fails the test on any error.
    pub async fn data_as(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        self.graphql_as(token, query, variables).await.data()
    }

    /// Posts any JSON body as the admin.
    pub async fn post_json(&self, body: &Value) -> Gql {
        self.post_json_as(Some(&self.admin_token), body).await
    }

    /// Posts any JSON body with `token` as bearer (none when `None`).
    pub async fn post_json_as(&self, token: Option<&str>, body: &Value) -> Gql {
        let mut request = self.client.post(self.url()).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        Gql::from_response(request.send().await.unwrap()).await
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

    /// Creates a user from a `CreateUserInput`, as the admin, and returns
    /// its id.
    pub async fn create_user(&self, input: Value) -> String {
        let data = self
            .data(
                "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
                json!({ "input": input }),
            )
            .await;
        data["createUser"]["id"].as_str().unwrap().to_owned()
    }

    /// Creates a role from a `CreateRoleInput`, as the admin, and returns
    /// its id.
    pub async fn create_role(&self, input: Value) -> String {
        let data = self
            .data(
                "mutation($input: CreateRoleInput!) { createRole(input: $input) { id } }",
                json!({ "input": input }),
            )
            .await;
        data["createRole"]["id"].as_str().unwrap().to_owned()
    }

    /// A user `username` with password [`PASSWORD`], holding exactly
    /// `permissions` through a role of its own (plus any default role the
    /// test made), and an unscoped personal access token. Made by the admin.
    pub async fn user_with_permissions(&self, username: &str, permissions: &[&str]) -> TestUser {
        let id = self
            .create_user(json!({ "username": username, "password": PASSWORD }))
            .await;
        let role_id = if permissions.is_empty() {
            None
        } else {
            let role = self
                .create_role(json!({
                    "name": format!("{username}-permissions"),
                    "permissions": permissions,
                }))
                .await;
            self.data(
                "mutation($u: ID!, $r: [ID!]!) { assignUserRoles(userId: $u, roleIds: $r) { id } }",
                json!({ "u": id, "r": [role] }),
            )
            .await;
            Some(role)
        };
        let token = self.create_token(&id, "test", None).await;
        TestUser {
            id,
            username: username.to_owned(),
            password: PASSWORD.to_owned(),
            role_id,
            token: token.secret,
            token_id: token.id,
        }
    }

    /// Creates a personal access token for `user_id`, as the admin, without
    /// expiry; `scopes` as given (`None`: unscoped).
    pub async fn create_token(
        &self,
        user_id: &str,
        name: &str,
        scopes: Option<&[&str]>,
    ) -> CreatedToken {
        self.create_token_as(
            Some(&self.admin_token),
            user_id,
            json!({ "name": name, "scopes": scopes }),
        )
        .await
        .unwrap()
    }

    /// `createPersonalAccessToken(userId, input)` with `token` as bearer;
    /// the error response when it fails.
    pub async fn create_token_as(
        &self,
        token: Option<&str>,
        user_id: &str,
        input: Value,
    ) -> Result<CreatedToken, Gql> {
        let response = self
            .graphql_as(
                token,
                "mutation($u: ID!, $input: CreatePersonalAccessTokenInput!) {
                    createPersonalAccessToken(userId: $u, input: $input) { secret token { id } }
                }",
                json!({ "u": user_id, "input": input }),
            )
            .await;
        if response.body.get("errors").is_some() {
            return Err(response);
        }
        let created = &response.body["data"]["createPersonalAccessToken"];
        Ok(CreatedToken {
            id: created["token"]["id"].as_str().unwrap().to_owned(),
            secret: created["secret"].as_str().unwrap().to_owned(),
        })
    }

    /// Signs in anonymously and returns the session token.
    pub async fn sign_in(&self, identifier: &str, password: &str) -> String {
        let data = self
            .data_as(
                None,
                "mutation($i: String!, $p: String!) { signIn(identifier: $i, password: $p) { token } }",
                json!({ "i": identifier, "p": password }),
            )
            .await;
        data["signIn"]["token"].as_str().unwrap().to_owned()
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
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Gql {
    async fn from_response(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body: Value = response.json().await.unwrap();
        Gql {
            status,
            headers,
            body,
        }
    }

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

    /// Every error's code, in order.
    pub fn codes(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                e["extensions"]["code"]
                    .as_str()
                    .unwrap_or("<none>")
                    .to_owned()
            })
            .collect()
    }

    pub fn field(&self) -> Option<&str> {
        self.error()["extensions"]["field"].as_str()
    }

    pub fn message(&self) -> &str {
        self.error()["message"].as_str().unwrap_or("<none>")
    }

    /// A response header, as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }
}
