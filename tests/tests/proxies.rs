//! Client addresses behind a proxy: forwarding headers are believed only
//! from `trusted_proxies`, and then each forwarded client has its own
//! address in the log and its own per-address throttle.

// A panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use usergraph::{ApiSettings, TrustedProxies};
use usergraph_core::TokenKind;
use usergraph_tests::TestServer;

const CREATE: &str = "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }";

/// Posts `query` with `token` (if any) and `headers`; the status and body.
async fn post(
    server: &TestServer,
    token: Option<&str>,
    headers: &[(&str, &str)],
    query: &str,
    variables: Value,
) -> (u16, Value) {
    let mut request = server
        .client()
        .post(server.url())
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Creates a user as the admin, sending `headers`, and returns the `ip` its
/// `User.Created` log entry recorded.
async fn logged_ip(server: &TestServer, username: &str, headers: &[(&str, &str)]) -> Value {
    let token = server.admin_token().to_owned();
    let input = json!({ "input": { "username": username } });
    let (status, body) = post(server, Some(&token), headers, CREATE, input).await;
    assert_eq!(status, 200, "{body}");
    let id = body["data"]["createUser"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let logs = server
        .data(
            "query($id: ID!) { user(id: $id) { logs { nodes { key ip } } } }",
            json!({ "id": id }),
        )
        .await;
    let entry = &logs["user"]["logs"]["nodes"][0];
    assert_eq!(entry["key"], "User.Created", "{logs}");
    entry["ip"].clone()
}

fn behind_loopback_proxy() -> ApiSettings {
    ApiSettings {
        trusted_proxies: TrustedProxies::parse(["127.0.0.1/32"]).unwrap(),
        ..ApiSettings::default()
    }
}

#[tokio::test]
async fn without_trusted_proxies_forwarding_headers_are_ignored() {
    let server = TestServer::start().await;
    let spoofed = [
        ("x-forwarded-for", "203.0.113.9"),
        ("forwarded", "for=198.51.100.17"),
    ];
    assert_eq!(logged_ip(&server, "spoofer", &spoofed).await, "127.0.0.1");
}

#[tokio::test]
async fn a_trusted_proxy_names_the_client_in_the_log() {
    let server = TestServer::with_settings(behind_loopback_proxy()).await;
    let forwarded = [("x-forwarded-for", "203.0.113.9")];
    assert_eq!(
        logged_ip(&server, "proxied", &forwarded).await,
        "203.0.113.9"
    );
    let rfc7239 = [("forwarded", "for=\"[2001:db8::7]:4711\";proto=https")];
    assert_eq!(logged_ip(&server, "rfc", &rfc7239).await, "2001:db8::7");
    // What the client wrote left of what the proxy appended proves nothing.
    let chained = [("x-forwarded-for", "10.0.0.1, 203.0.113.10")];
    assert_eq!(
        logged_ip(&server, "chained", &chained).await,
        "203.0.113.10"
    );
    // A request without the headers is the proxy's own.
    assert_eq!(logged_ip(&server, "direct", &[]).await, "127.0.0.1");
}

/// 50 bad tokens from client A (the default per-address limit) throttle A,
/// and not client B behind the same proxy.
#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_address_throttle() {
    let server = TestServer::with_settings(behind_loopback_proxy()).await;
    let admin = server.admin_token().to_owned();
    let bad = usergraph_core::secret::generate(TokenKind::Personal);
    let client_a = [("x-forwarded-for", "203.0.113.1")];
    let client_b = [("x-forwarded-for", "203.0.113.2")];
    for _ in 0..50 {
        let (status, body) = post(&server, Some(&bad), &client_a, "{ me { id } }", json!({})).await;
        assert_eq!(status, 401, "{body}");
    }
    let (status, body) = post(&server, Some(&admin), &client_a, "{ me { id } }", json!({})).await;
    assert_eq!(status, 429, "{body}");
    let (status, body) = post(&server, Some(&admin), &client_b, "{ me { id } }", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["me"]["id"], server.admin_id());
}
