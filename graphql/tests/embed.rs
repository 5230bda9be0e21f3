//! The embedding example's app, end to end over HTTP: the host's routes,
//! usergraph under `/identity`, the host's own plugin, and authorization
//! through the embedded router. Also the builder's refusals.

#![allow(clippy::unwrap_used, clippy::expect_used)]

// The example's `main` is not called here.
#[allow(dead_code)]
#[path = "../examples/embed.rs"]
mod embed;

use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{Value, json};
use usergraph::{ApiSettings, TrustedProxies, Usergraph};
use usergraph_core::{Caller, Storage};
use usergraph_redb::RedbStorage;

const PASSWORD: &str = "mellow ferret juggles quietly";

/// The example's app on an ephemeral port over an in-memory store, with
/// the bootstrap admin's token.
struct Host {
    address: SocketAddr,
    identity: Usergraph,
    admin_token: String,
    client: reqwest::Client,
}

impl Host {
    async fn start() -> Self {
        let identity = embed::identity(storage()).unwrap();
        let admin_token = identity
            .service()
            .bootstrap()
            .await
            .unwrap()
            .unwrap()
            .secret;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(usergraph::serve(
            listener,
            embed::app(&identity),
            std::future::pending(),
        ));
        Host {
            address,
            identity,
            admin_token,
            client: reqwest::Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Posts one operation to the mounted API, with `token` as bearer.
    async fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .client
            .post(self.url("/identity/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    async fn sign_up(&self, username: &str, email: &str, password: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .post(self.url("/signup"))
            .json(&json!({ "username": username, "email": email, "password": password }))
            .send()
            .await
            .unwrap();
        (response.status(), response.json().await.unwrap())
    }
}

fn storage() -> Arc<dyn Storage> {
    Arc::new(RedbStorage::in_memory().unwrap())
}

fn first_error(body: &Value) -> &Value {
    &body["errors"][0]
}

#[tokio::test]
async fn embed_host_routes_answer_beside_the_mounted_api() {
    let host = Host::start().await;

    let home = host.client.get(host.url("/")).send().await.unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    assert!(home.text().await.unwrap().contains("/identity/graphql"));

    let me = host
        .graphql(Some(&host.admin_token), "{ me { username } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["username"], "admin", "{me}");

    let graphiql = host
        .client
        .get(host.url("/identity/graphql"))
        .send()
        .await
        .unwrap();
    assert_eq!(graphiql.status(), StatusCode::OK);
    let page = graphiql.text().await.unwrap();
    assert!(
        page.contains(r#"data-endpoint="/identity/graphql""#),
        "GraphiQL must post to the mounted path: {page}"
    );

    // usergraph answers only under its prefix.
    let unmounted = host
        .client
        .post(host.url("/graphql"))
        .json(&json!({ "query": "{ me { id } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(unmounted.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn embed_graphiql_follows_a_dynamic_mount_safely() {
    let identity = embed::identity(storage()).unwrap();
    let app = axum::Router::new().nest("/{tenant}", identity.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(usergraph::serve(listener, app, std::future::pending()));
    let client = reqwest::Client::new();

    // A quote in the path must not reach the page's script as is.
    let page = client
        .get(format!("http://{address}/o'brien/graphql"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"data-endpoint="/o%27brien/graphql""#),
        "GraphiQL must post to the encoded path: {page}"
    );
    let answer = client
        .post(format!("http://{address}/o%27brien/graphql"))
        .json(&json!({ "query": "{ me { id } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(
        first_error(&body)["extensions"]["code"],
        "UNAUTHENTICATED",
        "{body}"
    );
}

#[tokio::test]
async fn embed_plugin_rejects_blocked_sign_ups() {
    let host = Host::start().await;

    // Through the host's own route, which calls the service directly.
    let (status, body) = host.sign_up("spammer", "Spam@Example.COM", PASSWORD).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "REJECTED");
    assert_eq!(body["message"], embed::BLOCKED_MESSAGE);
    assert_eq!(body["field"], "primaryEmail");

    // Through the mounted GraphQL API, even for an admin.
    let created = host
        .graphql(
            Some(&host.admin_token),
            "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
            json!({ "input": { "username": "abuser", "primaryEmail": "abuse@example.net" } }),
        )
        .await;
    let error = first_error(&created);
    assert_eq!(error["extensions"]["code"], "REJECTED", "{created}");
    assert_eq!(error["message"], embed::BLOCKED_MESSAGE);
    assert_eq!(error["extensions"]["field"], "primaryEmail");

    // Changing an email to a blocked one is refused too.
    let me = host
        .graphql(Some(&host.admin_token), "{ me { id } }", json!({}))
        .await;
    let updated = host
        .graphql(
            Some(&host.admin_token),
            "mutation($id: ID!) { updateUser(id: $id, input: { primaryEmail: \"SPAM@example.com\" }) { id } }",
            json!({ "id": me["data"]["me"]["id"] }),
        )
        .await;
    assert_eq!(
        first_error(&updated)["extensions"]["code"],
        "REJECTED",
        "{updated}"
    );

    // The built-in password policy registered before it still applies.
    let (status, body) = host.sign_up("weak", "weak@example.com", "password1").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "REJECTED");
    assert_eq!(body["field"], "password");

    let users = host
        .graphql(
            Some(&host.admin_token),
            "{ users { totalCount nodes { username } } }",
            json!({}),
        )
        .await;
    assert_eq!(users["data"]["users"]["totalCount"], 1, "{users}");
    assert_eq!(users["data"]["users"]["nodes"][0]["username"], "admin");
}

#[tokio::test]
async fn embed_allowed_sign_up_signs_in_under_the_mount() {
    let host = Host::start().await;

    let (status, body) = host.sign_up("ada", "ada@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["username"], "ada");

    let signed_in = host
        .graphql(
            None,
            "mutation($id: String!, $pw: String!) { signIn(identifier: $id, password: $pw) { token user { username } } }",
            json!({ "id": "ada", "pw": PASSWORD }),
        )
        .await;
    assert_eq!(
        signed_in["data"]["signIn"]["user"]["username"], "ada",
        "{signed_in}"
    );
    let token = signed_in["data"]["signIn"]["token"].as_str().unwrap();

    // The host's route acts as the user the token stands for.
    let account = host
        .client
        .get(host.url("/account"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(account.status(), StatusCode::OK);
    let account: Value = account.json().await.unwrap();
    assert_eq!(account["username"], "ada");
    assert_eq!(account["id"], body["id"]);
}

#[tokio::test]
async fn embed_router_still_authorizes() {
    let host = Host::start().await;
    let query = "{ users { totalCount } }";

    let anonymous = host.graphql(None, query, json!({})).await;
    assert_eq!(
        first_error(&anonymous)["extensions"]["code"],
        "UNAUTHENTICATED",
        "{anonymous}"
    );

    // A new user holds no role: signed in, it still may not list users.
    host.sign_up("grace", "grace@example.com", PASSWORD).await;
    let signed_in = host
        .graphql(
            None,
            "mutation($pw: String!) { signIn(identifier: \"grace\", password: $pw) { token } }",
            json!({ "pw": PASSWORD }),
        )
        .await;
    let token = signed_in["data"]["signIn"]["token"].as_str().unwrap();
    let forbidden = host.graphql(Some(token), query, json!({})).await;
    assert_eq!(
        first_error(&forbidden)["extensions"]["code"],
        "FORBIDDEN",
        "{forbidden}"
    );

    let refused = host.client.get(host.url("/account")).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let bad_token = host
        .client
        .post(host.url("/identity/graphql"))
        .bearer_auth("ugp_not_a_token")
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_token.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn embed_execute_runs_operations_in_process() {
    let host = Host::start().await;
    let query = "{ users { totalCount } }";

    let system = host.identity.execute(Caller::system(), query).await;
    assert!(system.errors.is_empty(), "{:?}", system.errors);
    let data = system.data.into_json().unwrap();
    assert_eq!(data["users"]["totalCount"], 1);

    let anonymous = host.identity.execute(Caller::anonymous(), query).await;
    let code = anonymous.errors[0]
        .extensions
        .as_ref()
        .and_then(|e| e.get("code"))
        .cloned();
    assert_eq!(code, Some(async_graphql::Value::from("UNAUTHENTICATED")));

    let malformed = host.identity.execute(Caller::system(), "{ users {").await;
    let code = malformed.errors[0]
        .extensions
        .as_ref()
        .and_then(|e| e.get("code"))
        .cloned();
    assert_eq!(code, Some(async_graphql::Value::from("BAD_REQUEST")));
}

/// In-process operations meet the same document limits as HTTP ones.
#[tokio::test]
async fn embed_execute_applies_the_document_limits() {
    let host = Host::start().await;
    let mut query = String::from("{ ...F25 }\nfragment F0 on Query { __typename }\n");
    for level in 1..=25 {
        let below = level - 1;
        query.push_str(&format!(
            "fragment F{level} on Query {{ ...F{below} ...F{below} }}\n"
        ));
    }
    let response = host.identity.execute(Caller::system(), query).await;
    let error = &response.errors[0];
    let code = error
        .extensions
        .as_ref()
        .and_then(|e| e.get("code"))
        .cloned();
    assert_eq!(code, Some(async_graphql::Value::from("LIMIT_EXCEEDED")));
    assert!(
        error.message.contains("limit of 10000"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn embed_builder_refuses_two_plugins_with_one_name() {
    let blocked = || Arc::new(embed::BlockedEmails::new(["x@example.com"]));
    let error = Usergraph::builder(storage())
        .plugin(blocked())
        .plugin(blocked())
        .build()
        .unwrap_err();
    assert_eq!(error.code(), "VALIDATION");
    assert!(error.to_string().contains("blocked-emails"), "{error}");
}

#[test]
fn embed_builder_needs_a_tokio_runtime() {
    let error = Usergraph::builder(storage()).build().unwrap_err();
    assert_eq!(error.code(), "VALIDATION");
    assert!(error.to_string().contains("Tokio runtime"), "{error}");
}

/// A host behind a proxy passes `trusted_proxies` in the API settings: the
/// mounted router then logs the forwarded client, not the proxy.
#[tokio::test]
async fn embed_api_settings_take_trusted_proxies() {
    let api = ApiSettings {
        trusted_proxies: TrustedProxies::parse(["127.0.0.0/8"]).unwrap(),
        ..ApiSettings::default()
    };
    let identity = Usergraph::builder(storage()).api(api).build().unwrap();
    let token = identity
        .service()
        .bootstrap()
        .await
        .unwrap()
        .unwrap()
        .secret;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = axum::Router::new().nest("/identity", identity.router());
    tokio::spawn(usergraph::serve(listener, app, std::future::pending()));

    let client = reqwest::Client::new();
    let url = format!("http://{address}/identity/graphql");
    let created: Value = client
        .post(&url)
        .bearer_auth(&token)
        .header("x-forwarded-for", "203.0.113.50")
        .json(
            &json!({ "query": "mutation { createUser(input: { username: \"behind\" }) { id } }" }),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["data"]["createUser"]["id"].as_str().unwrap();
    let logs = identity
        .execute(
            Caller::system(),
            async_graphql::Request::new(format!(
                "{{ user(id: \"{id}\") {{ logs {{ nodes {{ ip }} }} }} }}"
            )),
        )
        .await;
    let logs = logs.data.into_json().unwrap();
    assert_eq!(
        logs["user"]["logs"]["nodes"][0]["ip"], "203.0.113.50",
        "{logs}"
    );
}
