//! Errors over HTTP: every error carries a stable `extensions.code`, and
//! `extensions.field` when one input field is at fault.

// A panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use usergraph_tests::TestServer;

const CREATE: &str = "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }";

#[tokio::test]
async fn validation_errors_name_the_field() {
    let server = TestServer::start().await;
    let cases = [
        (json!({ "username": "9starts_with_digit" }), "username"),
        (json!({ "primaryEmail": "not-an-email" }), "primaryEmail"),
        (json!({ "primaryPhone": "12" }), "primaryPhone"),
        (json!({ "avatar": "ftp://example.com/a.png" }), "avatar"),
        (json!({ "customData": [1] }), "customData"),
        (json!({ "username": "zero\u{200b}width" }), "username"),
        (json!({ "username": "ok", "password": "short" }), "password"),
    ];
    for (input, field) in cases {
        let response = server.graphql(CREATE, json!({ "input": input })).await;
        assert_eq!(response.code(), "VALIDATION", "{input}: {}", response.body);
        assert_eq!(response.field(), Some(field), "{input}: {}", response.body);
        assert_eq!(response.body["data"], json!(null));
    }
}

#[tokio::test]
async fn identifiers_are_unique() {
    let server = TestServer::start().await;
    server
        .create_user(json!({ "username": "taken", "primaryEmail": "Taken@Example.com", "primaryPhone": "+1 555 000 1111" }))
        .await;
    let email = server
        .graphql(
            CREATE,
            json!({ "input": { "primaryEmail": "taken@example.COM" } }),
        )
        .await;
    assert_eq!(email.code(), "EMAIL_ALREADY_IN_USE");
    assert_eq!(email.field(), Some("primaryEmail"));
    let username = server
        .graphql(CREATE, json!({ "input": { "username": "TAKEN" } }))
        .await;
    assert_eq!(username.code(), "USERNAME_ALREADY_IN_USE");
    let phone = server
        .graphql(
            CREATE,
            json!({ "input": { "primaryPhone": "15550001111" } }),
        )
        .await;
    assert_eq!(phone.code(), "PHONE_ALREADY_IN_USE");
}

#[tokio::test]
async fn missing_records_are_not_found_and_bad_ids_are_invalid() {
    let server = TestServer::start().await;
    let update = "mutation($id: ID!) { updateUser(id: $id, input: { name: \"x\" }) { id } }";
    let missing = server
        .graphql(update, json!({ "id": "doesnotexist" }))
        .await;
    assert_eq!(missing.code(), "NOT_FOUND");
    assert_eq!(missing.error()["path"], json!(["updateUser"]));

    let malformed = server.graphql(update, json!({ "id": "not an id!" })).await;
    assert_eq!(malformed.code(), "VALIDATION");

    let role = server
        .graphql("mutation { deleteRole(id: \"nosuchrole\") }", json!({}))
        .await;
    assert_eq!(role.code(), "NOT_FOUND");
}

#[tokio::test]
async fn malformed_requests_are_bad_requests() {
    let server = TestServer::start().await;
    let unknown_field = server
        .graphql("{ users { nodes { password } } }", json!({}))
        .await;
    assert_eq!(unknown_field.code(), "BAD_REQUEST");
    let syntax = server.graphql("{ users { ", json!({})).await;
    assert_eq!(syntax.code(), "BAD_REQUEST");

    let not_json = server
        .client()
        .post(server.url())
        .header("content-type", "application/json")
        .body("{ nope")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status().as_u16(), 400);
    let body: serde_json::Value = not_json.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
}
