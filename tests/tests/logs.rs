//! Audit logs over HTTP: what each mutation appends, and the log filters.

// A panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use usergraph_tests::{TestServer, USER_AGENT};

fn keys(nodes: &Value) -> Vec<String> {
    nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["key"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_user_mutation_is_logged_with_the_caller() {
    let server = TestServer::start().await;
    let id = server
        .create_user(json!({ "username": "logged", "password": "a long password" }))
        .await;
    let steps = [
        "mutation($id: ID!) { updateUser(id: $id, input: { name: \"N\" }) { id } }",
        "mutation($id: ID!) { updateUserProfile(id: $id, profile: { locale: \"en\" }) { id } }",
        "mutation($id: ID!) { updateUserCustomData(id: $id, customData: { k: 1 }) { id } }",
        "mutation($id: ID!) { setUserPassword(id: $id, password: \"another password\") { id } }",
        "mutation($id: ID!) { setUserSuspended(id: $id, suspended: true) { id } }",
        "mutation($id: ID!) { setUserSuspended(id: $id, suspended: false) { id } }",
        "mutation($id: ID!) { linkUserIdentity(id: $id, provider: \"gh\", identity: { userId: \"1\" }) { id } }",
        "mutation($id: ID!) { unlinkUserIdentity(id: $id, provider: \"gh\") { id } }",
    ];
    for step in steps {
        server.data(step, json!({ "id": id })).await;
    }
    let data = server
        .data(
            "query($id: ID!) { user(id: $id) { logs(first: 50) { totalCount nodes {
                key result userId actorId tokenId ip userAgent payload createdAt } } } }",
            json!({ "id": id }),
        )
        .await;
    let logs = &data["user"]["logs"];
    assert_eq!(
        keys(&logs["nodes"]),
        [
            "User.Identity.Unlinked",
            "User.Identity.Linked",
            "User.Unsuspended",
            "User.Suspended",
            "User.Password.Set",
            "User.CustomData.Updated",
            "User.Profile.Updated",
            "User.Updated",
            "User.Created",
        ]
    );
    assert_eq!(logs["totalCount"], 9);
    let nodes = logs["nodes"].as_array().unwrap();
    for node in nodes {
        assert_eq!(node["result"], "SUCCESS");
        assert_eq!(node["userId"], json!(id));
        // The harness calls as the bootstrap admin, with its token.
        assert_eq!(node["actorId"], server.admin_id());
        assert!(node["tokenId"].is_string(), "{node}");
        assert_eq!(node["ip"], "127.0.0.1");
        assert_eq!(node["userAgent"], USER_AGENT);
    }
    assert_eq!(nodes[7]["payload"], json!({ "fields": ["name"] }));
    assert_eq!(nodes[1]["payload"], json!({ "provider": "gh" }));
    // Secrets never reach the log.
    assert!(!data.to_string().contains("another password"));
    assert!(!data.to_string().contains("argon2"));
}

#[tokio::test]
async fn role_changes_are_logged() {
    let server = TestServer::start().await;
    let role = server.create_role(json!({ "name": "r" })).await;
    let user = server.create_user(json!({ "username": "x" })).await;
    server
        .data(
            "mutation($u: ID!, $r: [ID!]!) { assignUserRoles(userId: $u, roleIds: $r) { id } }",
            json!({ "u": user, "r": [role] }),
        )
        .await;
    server
        .data(
            "mutation($u: ID!, $r: ID!) { removeUserRole(userId: $u, roleId: $r) { id } }",
            json!({ "u": user, "r": role }),
        )
        .await;
    server
        .data(
            "mutation($id: ID!) { deleteRole(id: $id) }",
            json!({ "id": role }),
        )
        .await;
    let data = server
        .data(
            "query($r: ID!) { logs(filter: { roleId: $r }) { nodes { key payload } } }",
            json!({ "r": role }),
        )
        .await;
    let nodes = &data["logs"]["nodes"];
    assert_eq!(keys(nodes), ["Role.Deleted", "Role.Created"]);
    assert_eq!(nodes[0]["payload"], json!({ "name": "r" }));
    let created_fields = nodes[1]["payload"]["fields"].as_array().unwrap();
    assert!(created_fields.contains(&json!("name")), "{}", nodes[1]);
    let data = server
        .data(
            "query($u: ID!) { logs(filter: { userId: $u }) { nodes { key payload } } }",
            json!({ "u": user }),
        )
        .await;
    assert_eq!(
        data["logs"]["nodes"],
        json!([
            { "key": "User.Roles.Removed", "payload": { "roleIds": [role] } },
            { "key": "User.Roles.Assigned", "payload": { "roleIds": [role] } },
            { "key": "User.Created", "payload": { "fields": ["username"], "roleIds": [] } },
        ])
    );
}

#[tokio::test]
async fn logs_filter_by_key_result_and_time() {
    let server = TestServer::start().await;
    let id = server
        .create_user(json!({ "username": "f", "password": "the password" }))
        .await;
    let verify = "mutation($id: ID!, $pw: String!) { verifyUserPassword(id: $id, password: $pw) }";
    server
        .data(verify, json!({ "id": id, "pw": "wrong password" }))
        .await;
    let middle = server
        .data(
            "query($id: ID!) { logs(filter: { userId: $id }, first: 1) { nodes { createdAt } } }",
            json!({ "id": id }),
        )
        .await["logs"]["nodes"][0]["createdAt"]
        .clone();
    server
        .data(verify, json!({ "id": id, "pw": "the password" }))
        .await;

    let query =
        "query($filter: LogFilter) { logs(filter: $filter) { totalCount nodes { key result } } }";
    // Each filter is AND-ed with this user: the bootstrap wrote entries too.
    let errors = server
        .data(
            query,
            json!({ "filter": { "result": "ERROR", "userId": id } }),
        )
        .await;
    assert_eq!(
        errors["logs"]["nodes"],
        json!([{ "key": "User.Password.Verified", "result": "ERROR" }])
    );
    let created = server
        .data(
            query,
            json!({ "filter": { "key": "User.Created", "userId": id } }),
        )
        .await;
    assert_eq!(created["logs"]["totalCount"], 1);

    // `gte` includes the entry at `middle`, `lt` excludes it.
    let since = server
        .data(
            query,
            json!({ "filter": { "createdAt": { "gte": middle }, "userId": id } }),
        )
        .await;
    assert_eq!(
        since["logs"]["nodes"],
        json!([
            { "key": "User.Password.Verified", "result": "SUCCESS" },
            { "key": "User.Password.Verified", "result": "ERROR" },
        ])
    );
    let until = server
        .data(
            query,
            json!({ "filter": { "createdAt": { "lt": middle }, "userId": id } }),
        )
        .await;
    assert_eq!(
        until["logs"]["nodes"],
        json!([{ "key": "User.Created", "result": "SUCCESS" }])
    );

    let bad_time = server
        .graphql(
            query,
            json!({ "filter": { "createdAt": { "gte": "yesterday" } } }),
        )
        .await;
    assert_eq!(bad_time.code(), "BAD_REQUEST");
}
