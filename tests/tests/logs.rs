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

const NAMED: &str = "query($filter: LogFilter) { logs(filter: $filter, first: 100) {
    totalCount nodes { key userId user { id username } actorId actor { id username } } } }";

#[tokio::test]
async fn entries_name_their_user_and_actor_in_one_lookup_per_page() {
    let server = TestServer::start().await;
    let admin = server.data("{ me { username } }", json!({})).await["me"]["username"].clone();
    let mut ids = Vec::new();
    for i in 0..30 {
        ids.push(
            server
                .create_user(json!({ "username": format!("named_{i}") }))
                .await,
        );
    }
    server
        .data(
            "mutation($id: ID!) { deleteUser(id: $id) }",
            json!({ "id": ids[0] }),
        )
        .await;
    let before = server.storage.user_lookups();
    let data = server
        .data(NAMED, json!({ "filter": { "actorId": server.admin_id() } }))
        .await;
    assert_eq!(
        server.storage.user_lookups() - before,
        1,
        "one batched lookup for every user and actor of the page"
    );
    let nodes = data["logs"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 31, "30 creations and a deletion");
    for node in nodes {
        assert_eq!(node["actorId"], server.admin_id());
        assert_eq!(node["actor"]["username"], admin, "{node}");
        let user_id = node["userId"].as_str().unwrap();
        if user_id == ids[0] {
            // Deleted: its entries keep the id, the user is gone.
            assert_eq!(node["user"], json!(null), "{node}");
        } else {
            assert_eq!(node["user"]["id"], json!(user_id), "{node}");
        }
    }
    let named_9 = nodes
        .iter()
        .find(|n| n["key"] == "User.Created" && n["userId"] == json!(ids[9]))
        .unwrap();
    assert_eq!(named_9["user"]["username"], "named_9");
    let deleted = nodes
        .iter()
        .filter(|n| n["userId"] == json!(ids[0]))
        .map(|n| n["key"].as_str().unwrap())
        .collect::<Vec<_>>();
    assert_eq!(deleted, ["User.Deleted", "User.Created"]);
}

#[tokio::test]
async fn logs_filter_by_actor_alone_and_with_other_criteria() {
    let server = TestServer::start().await;
    let writer = server
        .user_with_permissions("writer", &["users:write", "users:password"])
        .await;
    let made = server
        .data_as(
            Some(&writer.token),
            "mutation { createUser(input: { username: \"made_by_writer\" }) { id } }",
            json!({}),
        )
        .await["createUser"]["id"]
        .clone();
    server
        .data_as(
            Some(&writer.token),
            "mutation($id: ID!) { verifyUserPassword(id: $id, password: \"no password\") }",
            json!({ "id": made }),
        )
        .await;
    let by_writer = server
        .data(NAMED, json!({ "filter": { "actorId": writer.id } }))
        .await;
    assert_eq!(by_writer["logs"]["totalCount"], 2);
    assert_eq!(
        keys(&by_writer["logs"]["nodes"]),
        ["User.Password.Verified", "User.Created"]
    );
    assert_eq!(by_writer["logs"]["nodes"][0]["actor"]["username"], "writer");
    let failed = server
        .data(
            NAMED,
            json!({ "filter": { "actorId": writer.id, "result": "ERROR", "userId": made } }),
        )
        .await;
    assert_eq!(keys(&failed["logs"]["nodes"]), ["User.Password.Verified"]);
    let created = server
        .data(
            NAMED,
            json!({ "filter": { "actorId": writer.id, "key": "User.Created" } }),
        )
        .await;
    assert_eq!(
        created["logs"]["nodes"][0]["user"]["username"],
        "made_by_writer"
    );
    // The writer was made by the admin: an entry about the writer, not by it.
    let about_writer = server
        .data(
            NAMED,
            json!({ "filter": { "actorId": writer.id, "userId": writer.id } }),
        )
        .await;
    assert_eq!(about_writer["logs"]["totalCount"], 0);

    // Paging by actor: one entry a page, and the first page's cursor is
    // refused for another filter.
    let page = "query($filter: LogFilter, $after: String) { logs(filter: $filter, first: 1, after: $after) {
        pageInfo { hasNextPage endCursor } nodes { key } } }";
    let first = server
        .data(page, json!({ "filter": { "actorId": writer.id } }))
        .await;
    assert_eq!(first["logs"]["pageInfo"]["hasNextPage"], true);
    let cursor = first["logs"]["pageInfo"]["endCursor"].clone();
    let second = server
        .data(
            page,
            json!({ "filter": { "actorId": writer.id }, "after": cursor }),
        )
        .await;
    assert_eq!(keys(&second["logs"]["nodes"]), ["User.Created"]);
    assert_eq!(second["logs"]["pageInfo"]["hasNextPage"], false);
    let foreign = server
        .graphql(page, json!({ "filter": {}, "after": cursor }))
        .await;
    assert_eq!(foreign.code(), "VALIDATION");

    let malformed = server
        .graphql(NAMED, json!({ "filter": { "actorId": "not an id!" } }))
        .await;
    assert_eq!(malformed.code(), "VALIDATION");
    assert_eq!(malformed.field(), Some("filter.actorId"));
}

#[tokio::test]
async fn without_users_read_log_entries_name_only_the_caller() {
    let server = TestServer::start().await;
    let me = server.user_with_permissions("self_service", &[]).await;
    server
        .data_as(
            Some(&me.token),
            "mutation($c: String!) { changePassword(currentPassword: $c, newPassword: \"a brand new password\") { id } }",
            json!({ "c": me.password }),
        )
        .await;
    let own = server
        .data_as(
            Some(&me.token),
            "{ me { logs(first: 100) { nodes { key userId user { username } actorId actor { username } } } } }",
            json!({}),
        )
        .await;
    let nodes = own["me"]["logs"]["nodes"].as_array().unwrap();
    let changed = nodes
        .iter()
        .find(|n| n["key"] == "User.Password.Changed")
        .unwrap();
    assert_eq!(changed["user"]["username"], "self_service");
    assert_eq!(changed["actor"]["username"], "self_service");
    // Made by the admin: its id is in the entry, its profile is not.
    let created = nodes.iter().find(|n| n["key"] == "User.Created").unwrap();
    assert_eq!(created["user"]["username"], "self_service");
    assert_eq!(created["actorId"], server.admin_id());
    assert_eq!(created["actor"], json!(null));

    // `logs:read` alone shows who did what by id only.
    let auditor = server
        .user_with_permissions("auditor", &["logs:read"])
        .await;
    let seen = server
        .data_as(
            Some(&auditor.token),
            NAMED,
            json!({ "filter": { "userId": me.id } }),
        )
        .await;
    for node in seen["logs"]["nodes"].as_array().unwrap() {
        assert_eq!(node["userId"], json!(me.id));
        assert_eq!(node["user"], json!(null), "{node}");
        assert_eq!(node["actor"], json!(null), "{node}");
    }
    assert!(!seen["logs"]["nodes"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_users_logs_filtered_on_another_user_are_empty_and_refuse_any_cursor() {
    let server = TestServer::start().await;
    let a = server
        .create_user(json!({ "username": "a", "password": "the password" }))
        .await;
    let b = server
        .create_user(json!({ "username": "b", "password": "the password" }))
        .await;
    let query = "query($id: ID!, $filter: LogFilter, $after: String) {
        user(id: $id) { logs(filter: $filter, first: 1, after: $after) {
            totalCount nodes { key } pageInfo { endCursor } } } }";

    // No entry is about two users.
    let empty = server
        .data(query, json!({ "id": a, "filter": { "userId": b } }))
        .await;
    assert_eq!(empty["user"]["logs"]["totalCount"], 0);
    assert_eq!(empty["user"]["logs"]["nodes"], json!([]));

    // A cursor that page never issued is refused, whether made up or
    // taken from another page of the same user.
    let genuine = server
        .data(query, json!({ "id": a, "filter": null }))
        .await["user"]["logs"]["pageInfo"]["endCursor"]
        .clone();
    assert!(genuine.is_string());
    for cursor in [genuine, json!("made-up")] {
        let refused = server
            .graphql(
                query,
                json!({ "id": a, "filter": { "userId": b }, "after": cursor }),
            )
            .await;
        assert_eq!(refused.code(), "VALIDATION", "{cursor}");
    }
}
