//! Users over HTTP: every user query and mutation of the API.

// A panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use usergraph_tests::TestServer;

const USER_FIELDS: &str = "id username primaryEmail primaryPhone name avatar
    profile { givenName familyName locale address { locality country } }
    customData identities { provider userId details linkedAt }
    hasPassword isSuspended lastSignInAt createdAt updatedAt";

#[tokio::test]
async fn create_then_read_a_user_with_every_field() {
    let server = TestServer::start().await;
    let created = server
        .data(
            &format!("mutation($input: CreateUserInput!) {{ createUser(input: $input) {{ {USER_FIELDS} }} }}"),
            json!({ "input": {
                "username": "Ada_L",
                "primaryEmail": "Ada@Example.com",
                "primaryPhone": "+1 (555) 010-2030",
                "name": "Ada Lovelace",
                "avatar": "https://example.com/ada.png",
                "profile": { "givenName": "Ada", "address": { "country": "UK" } },
                "customData": { "plan": "pro" },
                "password": "correct horse battery"
            }}),
        )
        .await["createUser"]
        .clone();
    assert_eq!(created["username"], "Ada_L");
    assert_eq!(created["primaryEmail"], "Ada@Example.com");
    assert_eq!(created["primaryPhone"], "15550102030");
    assert_eq!(created["profile"]["givenName"], "Ada");
    assert_eq!(created["profile"]["address"]["country"], "UK");
    assert_eq!(created["customData"], json!({ "plan": "pro" }));
    assert_eq!(created["hasPassword"], true);
    assert_eq!(created["isSuspended"], false);
    assert_eq!(created["lastSignInAt"], json!(null));
    assert_eq!(created["createdAt"], created["updatedAt"]);
    // Timestamps are RFC 3339.
    let created_at = created["createdAt"].as_str().unwrap();
    assert!(chrono_like_rfc3339(created_at), "{created_at}");

    let id = created["id"].as_str().unwrap();
    let read = server
        .data(
            &format!("query($id: ID!) {{ user(id: $id) {{ {USER_FIELDS} }} }}"),
            json!({ "id": id }),
        )
        .await;
    assert_eq!(read["user"], created);

    let missing = server
        .data("{ user(id: \"nosuchuser\") { id } }", json!({}))
        .await;
    assert_eq!(missing["user"], json!(null));
    server.shutdown().await;
}

fn chrono_like_rfc3339(s: &str) -> bool {
    s.len() >= 20 && s.as_bytes()[4] == b'-' && s.as_bytes()[10] == b'T'
}

#[tokio::test]
async fn me_is_the_caller() {
    let server = TestServer::start().await;
    let data = server.data("{ me { id username } }", json!({})).await;
    assert_eq!(data["me"]["id"], server.admin_id());
    assert_eq!(data["me"]["username"], "admin");
    let anonymous = server.graphql_as(None, "{ me { id } }", json!({})).await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");
}

#[tokio::test]
async fn update_user_tells_absent_from_null() {
    let server = TestServer::start().await;
    let id = server
        .create_user(json!({ "username": "grace", "name": "Grace Hopper", "primaryEmail": "grace@navy.mil" }))
        .await;
    let update = "mutation($id: ID!, $input: UpdateUserInput!) {
        updateUser(id: $id, input: $input) { username name primaryEmail avatar updatedAt createdAt } }";

    // Only `name` is given (null): it is cleared, the rest is untouched.
    let user = server
        .data(update, json!({ "id": id, "input": { "name": null } }))
        .await["updateUser"]
        .clone();
    assert_eq!(user["name"], json!(null));
    assert_eq!(user["username"], "grace");
    assert_eq!(user["primaryEmail"], "grace@navy.mil");
    assert_ne!(user["updatedAt"], user["createdAt"]);

    // A value sets; absent fields stay.
    let user = server
        .data(
            update,
            json!({ "id": id, "input": { "avatar": "https://example.com/g.png" } }),
        )
        .await["updateUser"]
        .clone();
    assert_eq!(user["avatar"], "https://example.com/g.png");
    assert_eq!(user["username"], "grace");
    assert_eq!(user["name"], json!(null));

    // The same shape through inline arguments instead of variables.
    let inline = server
        .data(
            &format!("mutation {{ updateUser(id: \"{id}\", input: {{ username: null }}) {{ username primaryEmail }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(
        inline["updateUser"],
        json!({ "username": null, "primaryEmail": "grace@navy.mil" })
    );
}

#[tokio::test]
async fn profile_is_merged_shallowly() {
    let server = TestServer::start().await;
    let id = server
        .create_user(json!({ "username": "p1", "profile": {
            "givenName": "Ann", "familyName": "Lee", "address": { "locality": "Paris", "country": "FR" } } }))
        .await;
    let mutation = "mutation($id: ID!, $profile: ProfileInput!) {
        updateUserProfile(id: $id, profile: $profile) {
            profile { givenName familyName locale address { locality country } } } }";

    let profile = server
        .data(
            mutation,
            json!({ "id": id, "profile": {
            "familyName": null, "locale": "fr-FR", "address": { "locality": "Lyon" } } }),
        )
        .await["updateUserProfile"]["profile"]
        .clone();
    assert_eq!(
        profile,
        json!({ "givenName": "Ann", "familyName": null, "locale": "fr-FR",
                "address": { "locality": "Lyon", "country": "FR" } })
    );

    let profile = server
        .data(
            mutation,
            json!({ "id": id, "profile": { "address": null } }),
        )
        .await["updateUserProfile"]["profile"]
        .clone();
    assert_eq!(profile["address"], json!(null));
    assert_eq!(profile["givenName"], "Ann");
}

#[tokio::test]
async fn custom_data_merges_or_replaces() {
    let server = TestServer::start().await;
    let id = server
        .create_user(
            json!({ "username": "cd", "customData": { "a": 1, "b": { "x": 1 }, "c": true } }),
        )
        .await;
    let mutation = "mutation($id: ID!, $data: JSON!, $replace: Boolean) {
        updateUserCustomData(id: $id, customData: $data, replace: $replace) { customData } }";

    let merged = server
        .data(
            mutation,
            json!({ "id": id, "data": { "b": { "y": 2 }, "c": null, "d": "new" } }),
        )
        .await;
    assert_eq!(
        merged["updateUserCustomData"]["customData"],
        json!({ "a": 1, "b": { "y": 2 }, "d": "new" })
    );

    let replaced = server
        .data(
            mutation,
            json!({ "id": id, "data": { "only": [1, 2] }, "replace": true }),
        )
        .await;
    assert_eq!(
        replaced["updateUserCustomData"]["customData"],
        json!({ "only": [1, 2] })
    );

    let not_object = server
        .graphql(mutation, json!({ "id": id, "data": [1, 2] }))
        .await;
    assert_eq!(not_object.code(), "VALIDATION");
    assert_eq!(not_object.field(), Some("customData"));
}

#[tokio::test]
async fn passwords_are_set_and_verified() {
    let server = TestServer::start().await;
    let id = server.create_user(json!({ "username": "pw" })).await;
    let verify = "mutation($id: ID!, $pw: String!) { verifyUserPassword(id: $id, password: $pw) }";

    // Without a password, nothing verifies.
    let data = server
        .data(verify, json!({ "id": id, "pw": "anything at all" }))
        .await;
    assert_eq!(data["verifyUserPassword"], false);

    let set = server
        .data(
            "mutation($id: ID!, $pw: String!) { setUserPassword(id: $id, password: $pw) { hasPassword } }",
            json!({ "id": id, "pw": " spaces count " }),
        )
        .await;
    assert_eq!(set["setUserPassword"]["hasPassword"], true);

    let ok = server
        .data(verify, json!({ "id": id, "pw": " spaces count " }))
        .await;
    assert_eq!(ok["verifyUserPassword"], true);
    // Never trimmed.
    let trimmed = server
        .data(verify, json!({ "id": id, "pw": "spaces count" }))
        .await;
    assert_eq!(trimmed["verifyUserPassword"], false);

    let short = server
        .graphql(
            "mutation($id: ID!) { setUserPassword(id: $id, password: \"short\") { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(short.code(), "VALIDATION");
    assert_eq!(short.field(), Some("password"));
}

#[tokio::test]
async fn imported_bcrypt_digest_verifies_and_is_upgraded() {
    let server = TestServer::start().await;
    let digest = bcrypt::hash("imported secret", 4).unwrap();
    let id = server
        .create_user(
            json!({ "username": "imp", "passwordDigest": digest, "passwordAlgorithm": "BCRYPT" }),
        )
        .await;
    let verify = "mutation($id: ID!, $pw: String!) { verifyUserPassword(id: $id, password: $pw) }";
    let wrong = server
        .data(verify, json!({ "id": id, "pw": "not the secret" }))
        .await;
    assert_eq!(wrong["verifyUserPassword"], false);
    let right = server
        .data(verify, json!({ "id": id, "pw": "imported secret" }))
        .await;
    assert_eq!(right["verifyUserPassword"], true);
    // Still verifies after the rehash to Argon2id.
    let again = server
        .data(verify, json!({ "id": id, "pw": "imported secret" }))
        .await;
    assert_eq!(again["verifyUserPassword"], true);

    let logs = server
        .data(
            "query($id: ID!) { user(id: $id) { logs(filter: { key: \"User.Password.Verified\" }) {
                nodes { result payload error } } } }",
            json!({ "id": id }),
        )
        .await;
    let nodes = logs["user"]["logs"]["nodes"].as_array().unwrap().clone();
    let seen: Vec<_> = nodes
        .iter()
        .map(|n| {
            (
                n["result"].clone(),
                n["payload"]["rehashed"].clone(),
                n["error"].clone(),
            )
        })
        .collect();
    // Newest first: the second success no longer needed a rehash.
    assert_eq!(seen[0], (json!("SUCCESS"), json!(false), json!(null)));
    assert_eq!(seen[1], (json!("SUCCESS"), json!(true), json!(null)));
    assert_eq!(seen[2].0, json!("ERROR"));
    assert_eq!(seen[2].2, json!("password mismatch"));
    assert_eq!(seen.len(), 3);

    let both = server
        .graphql(
            "mutation { createUser(input: { username: \"both\", password: \"long enough pw\",
                passwordDigest: \"$2b$04$abc\", passwordAlgorithm: BCRYPT }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(both.code(), "VALIDATION");
}

#[tokio::test]
async fn suspension_and_identities() {
    let server = TestServer::start().await;
    let id = server.create_user(json!({ "username": "idn" })).await;

    let suspended = server
        .data(
            "mutation($id: ID!) { setUserSuspended(id: $id, suspended: true) { isSuspended } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(suspended["setUserSuspended"]["isSuspended"], true);
    let back = server
        .data(
            "mutation($id: ID!) { setUserSuspended(id: $id, suspended: false) { isSuspended } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(back["setUserSuspended"]["isSuspended"], false);

    let link = "mutation($id: ID!, $p: String!, $identity: IdentityInput!) {
        linkUserIdentity(id: $id, provider: $p, identity: $identity) { identities { provider userId details } } }";
    server
        .data(link, json!({ "id": id, "p": "google", "identity": { "userId": "g-1", "details": { "email": "x@y.z" } } }))
        .await;
    let linked = server
        .data(
            link,
            json!({ "id": id, "p": "github", "identity": { "userId": "gh-7" } }),
        )
        .await;
    assert_eq!(
        linked["linkUserIdentity"]["identities"],
        json!([
            { "provider": "github", "userId": "gh-7", "details": {} },
            { "provider": "google", "userId": "g-1", "details": { "email": "x@y.z" } },
        ])
    );

    let not_object = server
        .graphql(
            link,
            json!({ "id": id, "p": "x", "identity": { "userId": "1", "details": "nope" } }),
        )
        .await;
    assert_eq!(not_object.code(), "VALIDATION");

    let unlink = "mutation($id: ID!, $p: String!) { unlinkUserIdentity(id: $id, provider: $p) { identities { provider } } }";
    let unlinked = server
        .data(unlink, json!({ "id": id, "p": "google" }))
        .await;
    assert_eq!(
        unlinked["unlinkUserIdentity"]["identities"],
        json!([{ "provider": "github" }])
    );
    let again = server
        .graphql(unlink, json!({ "id": id, "p": "google" }))
        .await;
    assert_eq!(again.code(), "NOT_FOUND");
}

#[tokio::test]
async fn deleted_users_are_gone_but_their_logs_stay() {
    let server = TestServer::start().await;
    let id = server.create_user(json!({ "username": "gone" })).await;
    let deleted = server
        .data(
            "mutation($id: ID!) { deleteUser(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(deleted["deleteUser"], json!(id));
    let read = server
        .data(
            "query($id: ID!) { user(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(read["user"], json!(null));
    let again = server
        .graphql(
            "mutation($id: ID!) { deleteUser(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(again.code(), "NOT_FOUND");

    let logs = server
        .data(
            "query($id: ID!) { logs(filter: { userId: $id }) { nodes { key } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        logs["logs"]["nodes"],
        json!([{ "key": "User.Deleted" }, { "key": "User.Created" }])
    );
}

#[tokio::test]
async fn simple_search_matches_substrings_of_identifiers() {
    let server = TestServer::start().await;
    server
        .create_user(json!({ "username": "alice", "name": "Alice Smith" }))
        .await;
    server
        .create_user(json!({ "username": "bob", "primaryEmail": "bob@SMITHS.org" }))
        .await;
    server
        .create_user(json!({ "username": "carol", "primaryPhone": "+44 20 7946 0958" }))
        .await;
    // The bootstrap admin is not part of this test.
    let search = "query($s: String) {
        users(search: $s, filter: { username: { ne: \"admin\" } }) { totalCount nodes { username } } }";

    let smith = server.data(search, json!({ "s": "smith" })).await;
    assert_eq!(smith["users"]["totalCount"], 2);
    // Newest first.
    assert_eq!(
        smith["users"]["nodes"],
        json!([{ "username": "bob" }, { "username": "alice" }])
    );
    let phone = server.data(search, json!({ "s": "7946" })).await;
    assert_eq!(phone["users"]["nodes"], json!([{ "username": "carol" }]));
    let all = server.data(search, json!({ "s": null })).await;
    assert_eq!(all["users"]["totalCount"], 3);
}
