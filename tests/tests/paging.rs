//! Paging over HTTP: cursors walk a list without gaps or duplicates in
//! both directions, `totalCount` counts every match, and bad paging
//! arguments, made-up, altered and foreign cursors are refused.

// A panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use usergraph_tests::TestServer;

/// The seeded users (`u00`, `u01`, ...), not the bootstrap admin.
const PAGE: &str = "query($first: Int, $after: String, $last: Int, $before: String) {
    users(first: $first, after: $after, last: $last, before: $before,
          filter: { username: { startsWith: \"u\" } }) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { username } }
        nodes { username } } }";

fn usernames(connection: &Value) -> Vec<String> {
    connection["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["username"].as_str().unwrap().to_owned())
        .collect()
}

async fn seed(server: &TestServer, n: usize) -> Vec<String> {
    let mut names = Vec::new();
    for i in 0..n {
        let name = format!("u{i:02}");
        server.create_user(json!({ "username": name })).await;
        names.push(name);
    }
    names.reverse(); // newest first
    names
}

#[tokio::test]
async fn forward_paging_visits_every_user_once() {
    let server = TestServer::start().await;
    let expected = seed(&server, 7).await;
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let data = server
            .data(PAGE, json!({ "first": 3, "after": after }))
            .await;
        let users = &data["users"];
        assert_eq!(users["totalCount"], 7);
        assert_eq!(users["pageInfo"]["hasPreviousPage"], pages > 0);
        let edges = users["edges"].as_array().unwrap();
        assert_eq!(
            users["pageInfo"]["endCursor"],
            edges.last().map_or(Value::Null, |e| e["cursor"].clone())
        );
        assert_eq!(
            edges.iter().map(|e| e["node"].clone()).collect::<Vec<_>>(),
            users["nodes"].as_array().unwrap().clone()
        );
        seen.extend(usernames(users));
        pages += 1;
        if users["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = users["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn backward_paging_with_last_and_before() {
    let server = TestServer::start().await;
    let expected = seed(&server, 5).await;
    let tail = server.data(PAGE, json!({ "last": 2 })).await;
    assert_eq!(usernames(&tail["users"]), expected[3..]);
    assert_eq!(tail["users"]["pageInfo"]["hasPreviousPage"], true);
    let before = tail["users"]["pageInfo"]["startCursor"].clone();
    let previous = server
        .data(PAGE, json!({ "last": 2, "before": before }))
        .await;
    assert_eq!(usernames(&previous["users"]), expected[1..3]);
}

#[tokio::test]
async fn bad_paging_arguments_are_validation_errors() {
    let server = TestServer::start().await;
    seed(&server, 2).await;
    let cases = [
        (json!({ "first": -1 }), "first"),
        (json!({ "first": 101 }), "first"),
        (json!({ "first": 1, "last": 1 }), "first"),
        (json!({ "after": "garbage!" }), "after"),
    ];
    for (variables, field) in cases {
        let response = server.graphql(PAGE, variables.clone()).await;
        assert_eq!(response.code(), "VALIDATION", "{variables}");
        assert!(
            response.field().is_some_and(|f| f == field || f == "last"),
            "{variables}: {}",
            response.body
        );
    }
    // A cursor from another list is refused too.
    let roles_cursor = {
        server.create_role(json!({ "name": "r" })).await;
        let data = server
            .data("{ roles { edges { cursor } } }", json!({}))
            .await;
        data["roles"]["edges"][0]["cursor"].clone()
    };
    let response = server.graphql(PAGE, json!({ "after": roles_cursor })).await;
    assert_eq!(response.code(), "VALIDATION");
    assert_eq!(response.field(), Some("after"));
}

/// The response to `PAGE` with `variables` is `VALIDATION` on `field`.
async fn assert_refused(server: &TestServer, variables: Value, field: &str) {
    let response = server.graphql(PAGE, variables.clone()).await;
    assert_eq!(
        response.code(),
        "VALIDATION",
        "{variables}: {}",
        response.body
    );
    assert_eq!(response.field(), Some(field), "{variables}");
    assert!(response.body["data"].is_null(), "{}", response.body);
}

#[tokio::test]
async fn made_up_and_altered_cursors_are_validation_errors() {
    let server = TestServer::start().await;
    seed(&server, 4).await;
    let first = server.data(PAGE, json!({ "first": 1 })).await;
    let real = first["users"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    // Where a real walk would go next: the second newest seeded user.
    let next = server
        .data(
            "{ users(first: 2, filter: { username: { startsWith: \"u\" } }) {
                 nodes { id createdAt } } }",
            json!({}),
        )
        .await;
    let user = &next["users"]["nodes"][1];
    let micros = chrono::DateTime::parse_from_rfc3339(user["createdAt"].as_str().unwrap())
        .unwrap()
        .timestamp_micros();
    let position = json!([[micros], user["id"]]).to_string();
    let mut altered = URL_SAFE_NO_PAD.decode(&real).unwrap();
    let middle = altered.len() / 2;
    altered[middle] ^= 0x01;
    let forged = [
        // A position in the format cursors had before they were tagged.
        URL_SAFE_NO_PAD.encode(json!(["u", "createdAt:desc", [micros], user["id"]]).to_string()),
        // The same position untagged, and with a made-up tag.
        URL_SAFE_NO_PAD.encode(&position),
        URL_SAFE_NO_PAD.encode([position.as_bytes(), &[0; 16]].concat()),
        // The real cursor with one byte changed.
        URL_SAFE_NO_PAD.encode(&altered),
    ];
    for cursor in forged {
        assert_refused(&server, json!({ "first": 2, "after": cursor }), "after").await;
        assert_refused(&server, json!({ "last": 2, "before": cursor }), "before").await;
    }
    // The real cursor still pages.
    let page = server
        .data(PAGE, json!({ "first": 2, "after": real }))
        .await;
    assert_eq!(usernames(&page["users"]), ["u02", "u01"]);
}

#[tokio::test]
async fn a_cursor_of_another_filter_or_search_is_a_validation_error() {
    let server = TestServer::start().await;
    seed(&server, 4).await;
    let first = server.data(PAGE, json!({ "first": 1 })).await;
    let cursor = first["users"]["pageInfo"]["endCursor"].clone();
    for other in [
        "filter: { username: { startsWith: \"u0\" } }",
        "search: \"u\"",
        "",
    ] {
        let query = format!(
            "query($after: String) {{ users({other} first: 2, after: $after) {{ nodes {{ id }} }} }}"
        );
        let response = server.graphql(&query, json!({ "after": cursor })).await;
        assert_eq!(response.code(), "VALIDATION", "{other}: {}", response.body);
        assert_eq!(response.field(), Some("after"), "{other}");
    }
}

#[tokio::test]
async fn the_cursor_key_is_read_once_per_service() {
    let server = TestServer::start().await;
    seed(&server, 3).await;
    let first = server.data(PAGE, json!({ "first": 1 })).await;
    let after = first["users"]["pageInfo"]["endCursor"].clone();
    server
        .data(PAGE, json!({ "first": 1, "after": after }))
        .await;
    server.data("{ roles { nodes { id } } }", json!({})).await;
    server
        .data("{ logs(first: 1) { nodes { id } } }", json!({}))
        .await;
    assert_eq!(server.storage.cursor_key_reads(), 1);
}

#[tokio::test]
async fn total_count_is_only_computed_when_selected() {
    let server = TestServer::start().await;
    seed(&server, 3).await;
    let before = server.storage.counted_searches();
    // Through a fragment, too.
    let data = server
        .data(
            "{ users(first: 1, search: \"u0\") { ...Counted } }
             fragment Counted on UserConnection { totalCount }",
            json!({}),
        )
        .await;
    assert_eq!(data["users"]["totalCount"], 3);
    assert_eq!(server.storage.counted_searches(), before + 1);
    let data = server
        .data(
            "{ users(first: 1) { pageInfo { hasNextPage } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["users"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(
        server.storage.counted_searches(),
        before + 1,
        "counted without totalCount"
    );
}
