//! `totalCount` and `totalCountCapped` over HTTP, with a count cap of 3:
//! up to the cap a count is exact; past it, it is the cap and says so.

// A panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use usergraph::ApiSettings;
use usergraph_core::ServiceSettings;
use usergraph_core::page::CountCap;
use usergraph_tests::TestServer;

async fn server_with_cap(cap: u64) -> TestServer {
    let settings = ServiceSettings {
        count_cap: CountCap::new(cap).unwrap(),
        ..ServiceSettings::default()
    };
    TestServer::with_all_settings(ApiSettings::default(), settings).await
}

/// `(totalCount, totalCountCapped)` of a connection.
fn count(connection: &Value) -> (u64, bool) {
    (
        connection["totalCount"].as_u64().unwrap(),
        connection["totalCountCapped"].as_bool().unwrap(),
    )
}

async fn users_count(server: &TestServer, search: &str) -> (u64, bool) {
    let data = server
        .data(
            "query($s: String) { users(search: $s, first: 1) { totalCount totalCountCapped } }",
            json!({ "s": search }),
        )
        .await;
    count(&data["users"])
}

#[tokio::test]
async fn counts_are_exact_up_to_the_cap_and_say_when_they_stop_there() {
    let server = server_with_cap(3).await;
    let mut ids = Vec::new();
    for name in ["cntA1", "cntA2", "cntA3", "cntB1", "cntB2"] {
        ids.push(server.create_user(json!({ "username": name })).await);
    }
    // Five match: the count stops at the cap and says so.
    assert_eq!(users_count(&server, "cnt").await, (3, true));
    // Exactly the cap: exact, not capped.
    assert_eq!(users_count(&server, "cntA").await, (3, false));
    // Below it (a search of 3 characters is counted from the index alone).
    assert_eq!(users_count(&server, "ntb").await, (2, false));
    assert_eq!(users_count(&server, "nobody").await, (0, false));

    // Selecting only the flag still counts.
    let data = server
        .data("{ users(search: \"cnt\") { totalCountCapped } }", json!({}))
        .await;
    assert_eq!(data["users"]["totalCountCapped"], json!(true));

    // A role held by four users: its holder list counts the same way.
    let role = server.create_role(json!({ "name": "Counted" })).await;
    for user in &ids[..4] {
        server
            .data(
                "mutation($u: ID!, $r: [ID!]!) { assignUserRoles(userId: $u, roleIds: $r) { id } }",
                json!({ "u": user, "r": [role] }),
            )
            .await;
    }
    let data = server
        .data(
            "query($id: ID!) { role(id: $id) { users(first: 1) { totalCount totalCountCapped } } }",
            json!({ "id": role }),
        )
        .await;
    assert_eq!(count(&data["role"]["users"]), (3, true));

    // Roles (admin + Counted + two more) and logs count under the same cap.
    for name in ["R1", "R2"] {
        server.create_role(json!({ "name": name })).await;
    }
    let data = server
        .data(
            "{ roles(first: 1) { totalCount totalCountCapped } \
               logs(first: 1) { totalCount totalCountCapped } }",
            json!({}),
        )
        .await;
    assert_eq!(count(&data["roles"]), (3, true));
    assert_eq!(count(&data["logs"]), (3, true));
    let data = server
        .data(
            "query($id: ID!) { user(id: $id) { logs(first: 1) { totalCount totalCountCapped } } }",
            json!({ "id": ids[4] }),
        )
        .await;
    // Created, and nothing since.
    assert_eq!(count(&data["user"]["logs"]), (1, false));
}

#[tokio::test]
async fn the_default_cap_is_ten_thousand() {
    assert_eq!(ServiceSettings::default().count_cap.get(), 10_000);
    let server = TestServer::start().await;
    let data = server
        .data("{ users { totalCount totalCountCapped } }", json!({}))
        .await;
    // Only the bootstrap admin.
    assert_eq!(count(&data["users"]), (1, false));
}
