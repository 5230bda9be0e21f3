//! The same document sent again is not parsed again, yet each request is
//! still checked on its own: its variables, its limits, its operation.

// A panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use usergraph::ApiSettings;
use usergraph_tests::TestServer;

#[tokio::test]
async fn a_repeated_document_is_checked_with_each_requests_variables() {
    let server = TestServer::with_settings(ApiSettings {
        max_complexity: 50,
        ..ApiSettings::default()
    })
    .await;
    let page = "query($n: Int) { users(first: $n) { nodes { id } } }";
    for _ in 0..2 {
        let small = server.graphql(page, json!({ "n": 1 })).await;
        assert!(small.body.get("errors").is_none(), "{}", small.body);
        // The same text, with a page size over the complexity limit.
        let large = server.graphql(page, json!({ "n": 100 })).await;
        assert_eq!(large.code(), "LIMIT_EXCEEDED", "{}", large.body);
        assert!(
            large.message().contains("complexity"),
            "{}",
            large.message()
        );
        // And with a variable of the wrong type.
        let wrong = server.graphql(page, json!({ "n": "ten" })).await;
        assert_eq!(wrong.code(), "BAD_REQUEST", "{}", wrong.body);
    }
}

#[tokio::test]
async fn a_repeated_document_runs_the_operation_each_request_names() {
    let server = TestServer::start().await;
    let two = "query Me { me { id } } query Type { __typename }";
    for _ in 0..2 {
        let me = server
            .post_json(&json!({ "query": two, "operationName": "Me" }))
            .await;
        assert_eq!(me.body["data"]["me"]["id"], json!(server.admin_id()));
        let typename = server
            .post_json(&json!({ "query": two, "operationName": "Type" }))
            .await;
        assert_eq!(typename.body["data"], json!({ "__typename": "Query" }));
        let unnamed = server.post_json(&json!({ "query": two })).await;
        assert!(unnamed.body.get("errors").is_some(), "{}", unnamed.body);
    }
}

#[tokio::test]
async fn a_repeated_document_that_does_not_parse_is_refused_each_time() {
    let server = TestServer::start().await;
    for _ in 0..2 {
        let broken = server.graphql("{ me { id }", json!({})).await;
        assert_eq!(broken.code(), "BAD_REQUEST", "{}", broken.body);
    }
}

#[tokio::test]
async fn a_repeated_document_over_a_limit_is_refused_each_time() {
    let server = TestServer::with_settings(ApiSettings {
        max_depth: 2,
        ..ApiSettings::default()
    })
    .await;
    let deep = "{ me { roles { name } } }";
    for _ in 0..2 {
        let refused = server.graphql(deep, json!({})).await;
        assert_eq!(refused.code(), "LIMIT_EXCEEDED", "{}", refused.body);
    }
    // A shallower document still runs.
    let shallow = server.graphql("{ me { id } }", json!({})).await;
    assert!(shallow.body.get("errors").is_none(), "{}", shallow.body);
}
