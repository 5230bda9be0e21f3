//! A token in use is remembered between requests (`auth_cache_ttl_secs`),
//! yet every change that affects it, made through this server, is seen on
//! the very next request.

use serde_json::json;
use usergraph_tests::{TestServer, TestUser};

const ME: &str = "{ me { id } }";
const READ_USERS: &str = "{ users(first: 1) { nodes { id } } }";

/// A user holding `users:read` through a role of its own, whose token has
/// just been used (twice, so it is known to the server).
async fn reader_in_use(server: &TestServer, username: &str) -> TestUser {
    let user = server
        .user_with_permissions(username, &["users:read"])
        .await;
    for _ in 0..2 {
        server
            .data_as(Some(&user.token), READ_USERS, json!({}))
            .await;
    }
    user
}

async fn assert_refused(server: &TestServer, token: &str) {
    let refused = server.graphql_as(Some(token), ME, json!({})).await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert_eq!(refused.code(), "UNAUTHENTICATED");
}

async fn assert_cannot_read_users(server: &TestServer, token: &str) {
    let forbidden = server.graphql_as(Some(token), READ_USERS, json!({})).await;
    assert_eq!(forbidden.code(), "FORBIDDEN", "{}", forbidden.body);
    // The token itself still works.
    server.data_as(Some(token), ME, json!({})).await;
}

#[tokio::test]
async fn a_token_in_use_costs_no_token_lookup() {
    let server = TestServer::start().await;
    let user = reader_in_use(&server, "steady").await;
    let before = server.storage.token_lookups();
    for _ in 0..3 {
        server
            .data_as(Some(&user.token), READ_USERS, json!({}))
            .await;
    }
    assert_eq!(server.storage.token_lookups(), before);
}

#[tokio::test]
async fn a_revoked_token_is_refused_on_the_next_request() {
    let server = TestServer::start().await;
    let user = reader_in_use(&server, "revoked").await;
    server
        .data(
            "mutation($id: ID!) { revokePersonalAccessToken(id: $id) { id } }",
            json!({ "id": user.token_id }),
        )
        .await;
    assert_refused(&server, &user.token).await;
}

#[tokio::test]
async fn a_renamed_token_keeps_working() {
    let server = TestServer::start().await;
    let user = reader_in_use(&server, "renamed").await;
    server
        .data(
            "mutation($id: ID!) { renamePersonalAccessToken(id: $id, name: \"laptop\") { id } }",
            json!({ "id": user.token_id }),
        )
        .await;
    server
        .data_as(Some(&user.token), READ_USERS, json!({}))
        .await;
}

#[tokio::test]
async fn a_suspended_or_deleted_owners_token_is_refused_on_the_next_request() {
    let server = TestServer::start().await;
    let suspended = reader_in_use(&server, "suspended").await;
    let suspend =
        "mutation($id: ID!, $s: Boolean!) { setUserSuspended(id: $id, suspended: $s) { id } }";
    server
        .data(suspend, json!({ "id": suspended.id, "s": true }))
        .await;
    assert_refused(&server, &suspended.token).await;
    server
        .data(suspend, json!({ "id": suspended.id, "s": false }))
        .await;
    server.data_as(Some(&suspended.token), ME, json!({})).await;

    let deleted = reader_in_use(&server, "deleted").await;
    server
        .data(
            "mutation($id: ID!) { deleteUser(id: $id) }",
            json!({ "id": deleted.id }),
        )
        .await;
    assert_refused(&server, &deleted.token).await;
}

#[tokio::test]
async fn a_permission_taken_from_the_role_is_refused_on_the_next_request() {
    let server = TestServer::start().await;
    let user = reader_in_use(&server, "narrowed").await;
    server
        .data(
            "mutation($id: ID!) { updateRole(id: $id, input: { permissions: [] }) { id } }",
            json!({ "id": user.role_id }),
        )
        .await;
    assert_cannot_read_users(&server, &user.token).await;

    // And given back, it is allowed on the next request too.
    server
        .data(
            "mutation($id: ID!) { updateRole(id: $id, input: { permissions: [\"users:read\"] }) { id } }",
            json!({ "id": user.role_id }),
        )
        .await;
    server
        .data_as(Some(&user.token), READ_USERS, json!({}))
        .await;
}

#[tokio::test]
async fn a_role_taken_away_or_deleted_is_refused_on_the_next_request() {
    let server = TestServer::start().await;
    let removed = reader_in_use(&server, "unassigned").await;
    server
        .data(
            "mutation($u: ID!, $r: ID!) { removeUserRole(userId: $u, roleId: $r) { id } }",
            json!({ "u": removed.id, "r": removed.role_id }),
        )
        .await;
    assert_cannot_read_users(&server, &removed.token).await;

    let replaced = reader_in_use(&server, "replaced").await;
    server
        .data(
            "mutation($u: ID!) { replaceUserRoles(userId: $u, roleIds: []) { id } }",
            json!({ "u": replaced.id }),
        )
        .await;
    assert_cannot_read_users(&server, &replaced.token).await;

    let orphaned = reader_in_use(&server, "orphaned").await;
    server
        .data(
            "mutation($id: ID!) { deleteRole(id: $id) }",
            json!({ "id": orphaned.role_id }),
        )
        .await;
    assert_cannot_read_users(&server, &orphaned.token).await;
}

#[tokio::test]
async fn a_signed_out_session_is_refused_on_the_next_request() {
    let server = TestServer::start().await;
    let user = server.user_with_permissions("session", &[]).await;
    let session = server.sign_in(&user.username, &user.password).await;
    for _ in 0..2 {
        server.data_as(Some(&session), ME, json!({})).await;
    }
    server
        .data_as(Some(&session), "mutation { signOut }", json!({}))
        .await;
    assert_refused(&server, &session).await;
}

#[tokio::test]
async fn a_role_given_is_allowed_on_the_next_request() {
    let server = TestServer::start().await;
    let user = server.user_with_permissions("promoted", &[]).await;
    for _ in 0..2 {
        server.data_as(Some(&user.token), ME, json!({})).await;
    }
    let forbidden = server
        .graphql_as(Some(&user.token), READ_USERS, json!({}))
        .await;
    assert_eq!(forbidden.code(), "FORBIDDEN", "{}", forbidden.body);
    let role = server
        .create_role(json!({ "name": "readers", "permissions": ["users:read"] }))
        .await;
    server
        .data(
            "mutation($u: ID!, $r: [ID!]!) { assignUserRoles(userId: $u, roleIds: $r) { id } }",
            json!({ "u": user.id, "r": [role] }),
        )
        .await;
    server
        .data_as(Some(&user.token), READ_USERS, json!({}))
        .await;
}

#[tokio::test]
async fn an_import_that_suspends_the_owner_is_refused_on_the_next_request() {
    use std::io::Cursor;
    use usergraph_core::Caller;
    use usergraph_core::service::OnExisting;
    use usergraph_core::transfer::{self, ImportOptions, NoProgress};

    let server = TestServer::start().await;
    let reader = reader_in_use(&server, "imported").await;
    let mut exported = Vec::new();
    transfer::export(
        &server.service,
        &Caller::system(),
        &mut exported,
        &mut NoProgress,
    )
    .await
    .unwrap();
    // The export with the reader suspended, imported over the store.
    let file: String = String::from_utf8(exported)
        .unwrap()
        .lines()
        .map(|line| {
            let mut record: serde_json::Value = serde_json::from_str(line).unwrap();
            if record["id"] == json!(reader.id) {
                record["isSuspended"] = json!(true);
            }
            format!("{record}\n")
        })
        .collect();
    let options = ImportOptions {
        on_existing: OnExisting::Update,
        ..ImportOptions::default()
    };
    let report = transfer::import_jsonl(
        &server.service,
        &Caller::system(),
        Cursor::new(file.into_bytes()),
        options,
        &mut NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(report.errors, vec![]);
    assert_refused(&server, &reader.token).await;
}
