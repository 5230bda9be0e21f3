//! Roles over HTTP: role queries and mutations, assignments, default roles,
//! and `User.roles` loaded in one batch per page.

// A panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use usergraph_tests::TestServer;

fn names(roles: &Value) -> Vec<String> {
    roles
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn role_lifecycle() {
    let server = TestServer::start().await;
    let created = server
        .data(
            "mutation { createRole(input: { name: \"Editor\", description: \"edits\",
                permissions: [\"users:write\", \"users:read\", \"users:read\"] }) {
                id name description permissions isDefault createdAt updatedAt } }",
            json!({}),
        )
        .await["createRole"]
        .clone();
    assert_eq!(created["permissions"], json!(["users:read", "users:write"]));
    assert_eq!(created["isDefault"], false);
    let id = created["id"].as_str().unwrap();

    let duplicate = server
        .graphql(
            "mutation { createRole(input: { name: \"EDITOR\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(duplicate.code(), "CONFLICT");
    assert_eq!(duplicate.field(), Some("name"));

    let updated = server
        .data(
            "mutation($id: ID!) { updateRole(id: $id, input: { description: null, isDefault: true }) {
                name description isDefault } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        updated["updateRole"],
        json!({ "name": "Editor", "description": null, "isDefault": true })
    );

    let read = server
        .data(
            "query($id: ID!) { role(id: $id) { name } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(read["role"]["name"], "Editor");
    let missing = server
        .data("{ role(id: \"nosuchrole\") { id } }", json!({}))
        .await;
    assert_eq!(missing["role"], json!(null));

    let deleted = server
        .data(
            "mutation($id: ID!) { deleteRole(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(deleted["deleteRole"], json!(id));
    let read = server
        .data(
            "query($id: ID!) { role(id: $id) { name } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(read["role"], json!(null));
}

#[tokio::test]
async fn roles_are_listed_by_name_with_search_and_count() {
    let server = TestServer::start().await;
    for name in ["viewer", "Editor", "billing", "auditor"] {
        server.create_role(json!({ "name": name })).await;
    }
    // With the built-in `admin` role, which every store has.
    let all = server
        .data("{ roles { totalCount nodes { name } } }", json!({}))
        .await;
    assert_eq!(all["roles"]["totalCount"], 5);
    assert_eq!(
        names(&all["roles"]["nodes"]),
        ["admin", "auditor", "billing", "Editor", "viewer"]
    );
    let found = server
        .data("{ roles(search: \"I\") { nodes { name } } }", json!({}))
        .await;
    assert_eq!(
        names(&found["roles"]["nodes"]),
        ["admin", "auditor", "billing", "Editor", "viewer"]
    );
    let found = server
        .data(
            "{ roles(search: \"bill\", first: 1) { totalCount nodes { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(names(&found["roles"]["nodes"]), ["billing"]);
    assert_eq!(found["roles"]["totalCount"], 1);
}

#[tokio::test]
async fn assignments_and_default_roles() {
    let server = TestServer::start().await;
    let member = server
        .create_role(json!({ "name": "member", "isDefault": true }))
        .await;
    let staff = server.create_role(json!({ "name": "staff" })).await;
    let ops = server.create_role(json!({ "name": "ops" })).await;
    let user = server.create_user(json!({ "username": "u" })).await;

    let roles_of = "query($id: ID!) { user(id: $id) { roles { name } } }";
    let data = server.data(roles_of, json!({ "id": user })).await;
    assert_eq!(names(&data["user"]["roles"]), ["member"]);

    let assign = "mutation($u: ID!, $r: [ID!]!) { assignUserRoles(userId: $u, roleIds: $r) { roles { name } } }";
    let data = server
        .data(assign, json!({ "u": user, "r": [staff, member] }))
        .await;
    assert_eq!(
        names(&data["assignUserRoles"]["roles"]),
        ["member", "staff"]
    );

    let replace = "mutation($u: ID!, $r: [ID!]!) { replaceUserRoles(userId: $u, roleIds: $r) { roles { name } } }";
    let data = server
        .data(replace, json!({ "u": user, "r": [ops, staff] }))
        .await;
    assert_eq!(names(&data["replaceUserRoles"]["roles"]), ["ops", "staff"]);

    let remove =
        "mutation($u: ID!, $r: ID!) { removeUserRole(userId: $u, roleId: $r) { roles { name } } }";
    let data = server.data(remove, json!({ "u": user, "r": staff })).await;
    assert_eq!(names(&data["removeUserRole"]["roles"]), ["ops"]);

    let unknown = server
        .graphql(assign, json!({ "u": user, "r": ["nosuchrole"] }))
        .await;
    assert_eq!(unknown.code(), "NOT_FOUND");

    // Deleting a role takes it away from its holders.
    server
        .data(
            "mutation($id: ID!) { deleteRole(id: $id) }",
            json!({ "id": ops }),
        )
        .await;
    let data = server.data(roles_of, json!({ "id": user })).await;
    assert_eq!(names(&data["user"]["roles"]), Vec::<String>::new());
}

#[tokio::test]
async fn role_users_is_a_connection() {
    let server = TestServer::start().await;
    let role = server.create_role(json!({ "name": "team" })).await;
    let mut ids = Vec::new();
    for name in ["t1", "t2", "t3"] {
        let id = server.create_user(json!({ "username": name })).await;
        server
            .data(
                "mutation($u: ID!, $r: [ID!]!) { assignUserRoles(userId: $u, roleIds: $r) { id } }",
                json!({ "u": id, "r": [role] }),
            )
            .await;
        ids.push(id);
    }
    server.create_user(json!({ "username": "outsider" })).await;
    let data = server
        .data(
            "query($id: ID!) { role(id: $id) { users(first: 2) {
                totalCount pageInfo { hasNextPage } nodes { username } } } }",
            json!({ "id": role }),
        )
        .await;
    let users = &data["role"]["users"];
    assert_eq!(users["totalCount"], 3);
    assert_eq!(users["pageInfo"]["hasNextPage"], true);
    assert_eq!(
        users["nodes"],
        json!([{ "username": "t3" }, { "username": "t2" }])
    );
}

#[tokio::test]
async fn user_roles_of_a_page_are_loaded_in_one_storage_call() {
    let server = TestServer::start().await;
    let a = server.create_role(json!({ "name": "a" })).await;
    let b = server.create_role(json!({ "name": "b" })).await;
    for i in 0..12 {
        let user = server
            .create_user(json!({ "username": format!("user{i}") }))
            .await;
        let roles = match i % 3 {
            0 => vec![a.clone()],
            1 => vec![a.clone(), b.clone()],
            _ => vec![],
        };
        server
            .data(
                "mutation($u: ID!, $r: [ID!]!) { replaceUserRoles(userId: $u, roleIds: $r) { id } }",
                json!({ "u": user, "r": roles }),
            )
            .await;
    }

    // What authenticating the request costs on its own (its token's
    // owner's roles), measured rather than assumed.
    let before = server.storage.role_lookups();
    server.data("{ __typename }", json!({})).await;
    let authentication = server.storage.role_lookups() - before;
    let before = server.storage.role_lookups();
    let data = server
        .data(
            "{ users(first: 12) { nodes { username roles { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        server.storage.role_lookups() - before - authentication,
        1,
        "one batched lookup per page"
    );

    for node in data["users"]["nodes"].as_array().unwrap() {
        let i: usize = node["username"].as_str().unwrap()[4..].parse().unwrap();
        let expected: &[&str] = match i % 3 {
            0 => &["a"],
            1 => &["a", "b"],
            _ => &[],
        };
        assert_eq!(names(&node["roles"]), expected, "roles of user{i}");
    }
}

#[tokio::test]
async fn known_permissions_are_listed_to_every_signed_in_caller() {
    let server = TestServer::start().await;
    let every = [
        "users:read",
        "users:write",
        "users:delete",
        "users:password",
        "roles:read",
        "roles:write",
        "logs:read",
        "tokens:read",
        "tokens:write",
    ];
    let admin = server.data("{ knownPermissions }", json!({})).await;
    assert_eq!(admin["knownPermissions"], json!(every));
    // No permission is needed: the list says what a role can grant, not
    // what the caller holds.
    let nobody = server.user_with_permissions("nobody", &[]).await;
    let listed = server
        .data_as(Some(&nobody.token), "{ knownPermissions }", json!({}))
        .await;
    assert_eq!(listed["knownPermissions"], json!(every));
    let anonymous = server
        .graphql_as(None, "{ knownPermissions }", json!({}))
        .await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED", "{}", anonymous.body);

    // A role may hold a string the server does not check (for an embedding
    // application's own use); it is kept as given, beside known ones.
    let created = server
        .data(
            "mutation { createRole(input: { name: \"reports\",
                permissions: [\"reports:export\", \"users:read\"] }) { permissions } }",
            json!({}),
        )
        .await;
    assert_eq!(
        created["createRole"]["permissions"],
        json!(["reports:export", "users:read"])
    );
}
