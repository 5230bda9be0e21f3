//! The HTTP surface: GraphiQL, request limits, batches, shutdown.

// A panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use serde_json::{Value, json};
use usergraph::ApiSettings;
use usergraph_tests::TestServer;

#[tokio::test]
async fn graphiql_is_served_on_get() {
    let server = TestServer::start().await;
    let response = server.client().get(server.url()).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let page = response.text().await.unwrap();
    assert!(page.contains("graphiql"), "not a GraphiQL page");
    assert!(page.contains("/graphql"));
    server.shutdown().await;
}

#[tokio::test]
async fn introspection_fits_the_default_limits() {
    // GraphiQL's first request: if the limits refused it, the page would be useless.
    let server = TestServer::start().await;
    let query = "query IntrospectionQuery { __schema { queryType { name } mutationType { name }
        types { ...FullType } directives { name locations args { ...InputValue } } } }
      fragment FullType on __Type { kind name description
        fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
        inputFields { ...InputValue } interfaces { ...TypeRef }
        enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
        possibleTypes { ...TypeRef } }
      fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
      fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name
        ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }";
    let data = server.data(query, json!({})).await;
    assert_eq!(data["__schema"]["queryType"]["name"], "Query");
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let settings = ApiSettings {
        max_body_bytes: 4096,
        ..ApiSettings::default()
    };
    let server = TestServer::with_settings(settings).await;
    let padding = "x".repeat(5000);
    let response = server
        .post_json(&json!({ "query": format!("{{ me {{ id }} }} # {padding}") }))
        .await;
    assert_eq!(response.status, 413);
    assert_eq!(response.code(), "LIMIT_EXCEEDED");
    assert!(
        response.message().contains("4096 bytes"),
        "{}",
        response.message()
    );

    // The same without a Content-Length header (a chunked body).
    let body = format!("{{\"query\": \"{{ me {{ id }} }}\", \"x\": \"{padding}\"}}");
    let (status, body) = post_chunked(server.address, body).await;
    assert_eq!(status, 413);
    assert_eq!(body["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED");

    // Under the limit, the same server answers.
    let small = server.data("{ me { id } }", json!({})).await;
    assert_eq!(small["me"]["id"], server.admin_id());
}

/// Posts `body` in chunks with `Transfer-Encoding: chunked`, so that the
/// server cannot know its size up front. Returns the status and JSON body.
async fn post_chunked(address: SocketAddr, body: String) -> (u16, Value) {
    tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(address).unwrap();
        let mut request = format!(
            "POST /graphql HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        );
        for chunk in body.as_bytes().chunks(1000) {
            request.push_str(&format!("{:x}\r\n", chunk.len()));
            request.push_str(std::str::from_utf8(chunk).unwrap());
            request.push_str("\r\n");
        }
        request.push_str("0\r\n\r\n");
        // The server may answer and close before reading everything.
        let _ = stream.write_all(request.as_bytes());
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response[9..12].parse().unwrap();
        let (_, body) = response.split_once("\r\n\r\n").unwrap();
        (status, serde_json::from_str(body).unwrap())
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn deep_queries_are_refused_before_running() {
    let server = TestServer::start().await;
    let mut query = String::from("id");
    for _ in 0..9 {
        query = format!("roles {{ users {{ nodes {{ {query} }} }} }}");
    }
    let query = format!("{{ users(first: 1) {{ nodes {{ {query} }} }} }}");
    let before = server.storage.role_lookups();
    // Anonymous: authenticating a token looks up its owner's roles, and
    // this test counts only what the query itself would cost.
    let response = server.graphql_as(None, &query, json!({})).await;
    assert_eq!(response.code(), "LIMIT_EXCEEDED");
    assert!(
        response.message().contains("depth"),
        "{}",
        response.message()
    );
    assert!(
        response.message().contains("limit of 16"),
        "{}",
        response.message()
    );
    assert_eq!(response.body["data"], json!(null));
    assert_eq!(server.storage.role_lookups(), before);
}

/// Far deeper than the depth limit: refused by the pre-parse scan, because
/// the GraphQL parser itself recurses once per level and would run out of
/// stack first.
#[tokio::test]
async fn absurdly_nested_selections_cannot_crash_the_server() {
    let server = TestServer::start().await;
    let levels = 20_000;
    let query = format!("{}{}", "{ users ".repeat(levels), "}".repeat(levels));
    let response = server.graphql(&query, json!({})).await;
    assert_eq!(response.code(), "LIMIT_EXCEEDED");
    assert_eq!(response.body["data"], json!(null));
    let alive = server.data("{ me { id } }", json!({})).await;
    assert_eq!(alive["me"]["id"], server.admin_id());
}

#[tokio::test]
async fn complex_queries_are_refused_before_running() {
    let server = TestServer::start().await;
    // 100 users × 100 role members × a few fields: far over the default.
    let query = "{ users(first: 100) { nodes { id roles { users(first: 100) { nodes { id username name } } } } } }";
    let response = server.graphql(query, json!({})).await;
    assert_eq!(response.code(), "LIMIT_EXCEEDED");
    assert!(
        response.message().contains("complexity"),
        "{}",
        response.message()
    );

    // A plain page of users is fine: here, the bootstrap admin alone.
    let ok = server
        .data(
            "{ users(first: 100) { totalCount nodes { id username name roles { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(ok["users"]["totalCount"], 1);
    assert_eq!(ok["users"]["nodes"][0]["id"], server.admin_id());
}

#[tokio::test]
async fn batches_run_up_to_the_limit() {
    let server = TestServer::start().await;
    let one = json!({ "query": "{ me { id } }" });
    let batch: Vec<Value> = (0..10).map(|_| one.clone()).collect();
    let response = server.post_json(&Value::Array(batch)).await;
    assert_eq!(response.status, 200);
    let answers = response.body.as_array().unwrap();
    assert_eq!(answers.len(), 10);
    assert!(
        answers
            .iter()
            .all(|a| a["data"]["me"]["id"] == server.admin_id())
    );

    let mutation =
        json!({ "query": "mutation { createUser(input: { username: \"batched\" }) { id } }" });
    let over: Vec<Value> = std::iter::repeat_n(mutation, 11).collect();
    let response = server.post_json(&Value::Array(over)).await;
    assert_eq!(response.status, 400);
    assert_eq!(response.code(), "LIMIT_EXCEEDED");
    assert!(
        response.message().contains("11 operations"),
        "{}",
        response.message()
    );
    assert!(
        response.message().contains("limit of 10"),
        "{}",
        response.message()
    );
    // Nothing of the refused batch ran.
    let users = server
        .data("{ users(search: \"batched\") { totalCount } }", json!({}))
        .await;
    assert_eq!(users["users"]["totalCount"], 0);
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let server = TestServer::start().await;
    let url = server.url();
    let client = server.client().clone();
    server.shutdown().await;
    assert!(client.get(url).send().await.is_err());
}
