//! Access control over HTTP: bearer tokens, anonymous callers, sessions,
//! the one-time secret of personal access tokens, sign-in throttling and
//! introspection. (Which caller may run which operation is the table-driven
//! test's business.)

// A panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use serde_json::{Value, json};
use usergraph::ApiSettings;
use usergraph_core::{ServiceSettings, TokenKind};
use usergraph_tests::{PASSWORD, TestServer};

/// Every operation but `signIn`, with arguments that would work for the
/// admin (real ids), so that only the missing credentials can refuse them.
fn operations(user: &str, role: &str) -> Vec<(&'static str, String)> {
    let ops = [
        ("me", "{ me { id } }".to_owned()),
        ("myPermissions", "{ myPermissions }".to_owned()),
        ("user", format!("{{ user(id: \"{user}\") {{ id }} }}")),
        ("users", "{ users { totalCount } }".to_owned()),
        ("role", format!("{{ role(id: \"{role}\") {{ id }} }}")),
        ("roles", "{ roles { totalCount } }".to_owned()),
        ("logs", "{ logs { totalCount } }".to_owned()),
        (
            "createUser",
            "mutation { createUser(input: { username: \"intruder\" }) { id } }".to_owned(),
        ),
        (
            "updateUser",
            format!("mutation {{ updateUser(id: \"{user}\", input: {{ name: \"x\" }}) {{ id }} }}"),
        ),
        (
            "updateUserProfile",
            format!(
                "mutation {{ updateUserProfile(id: \"{user}\", profile: {{ locale: \"en\" }}) {{ id }} }}"
            ),
        ),
        (
            "updateUserCustomData",
            format!(
                "mutation {{ updateUserCustomData(id: \"{user}\", customData: {{ a: 1 }}) {{ id }} }}"
            ),
        ),
        (
            "deleteUser",
            format!("mutation {{ deleteUser(id: \"{user}\") }}"),
        ),
        (
            "setUserPassword",
            format!(
                "mutation {{ setUserPassword(id: \"{user}\", password: \"a new password\") {{ id }} }}"
            ),
        ),
        (
            "verifyUserPassword",
            format!("mutation {{ verifyUserPassword(id: \"{user}\", password: \"{PASSWORD}\") }}"),
        ),
        (
            "setUserSuspended",
            format!("mutation {{ setUserSuspended(id: \"{user}\", suspended: true) {{ id }} }}"),
        ),
        (
            "linkUserIdentity",
            format!(
                "mutation {{ linkUserIdentity(id: \"{user}\", provider: \"gh\", identity: {{ userId: \"1\" }}) {{ id }} }}"
            ),
        ),
        (
            "unlinkUserIdentity",
            format!("mutation {{ unlinkUserIdentity(id: \"{user}\", provider: \"gh\") {{ id }} }}"),
        ),
        (
            "createRole",
            "mutation { createRole(input: { name: \"intruders\" }) { id } }".to_owned(),
        ),
        (
            "updateRole",
            format!(
                "mutation {{ updateRole(id: \"{role}\", input: {{ description: \"x\" }}) {{ id }} }}"
            ),
        ),
        (
            "deleteRole",
            format!("mutation {{ deleteRole(id: \"{role}\") }}"),
        ),
        (
            "assignUserRoles",
            format!(
                "mutation {{ assignUserRoles(userId: \"{user}\", roleIds: [\"{role}\"]) {{ id }} }}"
            ),
        ),
        (
            "replaceUserRoles",
            format!("mutation {{ replaceUserRoles(userId: \"{user}\", roleIds: []) {{ id }} }}"),
        ),
        (
            "removeUserRole",
            format!(
                "mutation {{ removeUserRole(userId: \"{user}\", roleId: \"{role}\") {{ id }} }}"
            ),
        ),
        (
            "createPersonalAccessToken",
            format!(
                "mutation {{ createPersonalAccessToken(userId: \"{user}\", input: {{ name: \"x\" }}) {{ secret }} }}"
            ),
        ),
        (
            "renamePersonalAccessToken",
            "mutation { renamePersonalAccessToken(id: \"sometoken\", name: \"y\") { id } }"
                .to_owned(),
        ),
        (
            "revokePersonalAccessToken",
            "mutation { revokePersonalAccessToken(id: \"sometoken\") { id } }".to_owned(),
        ),
        ("signOut", "mutation { signOut }".to_owned()),
        (
            "changePassword",
            format!(
                "mutation {{ changePassword(currentPassword: \"{PASSWORD}\", newPassword: \"a new password\") {{ id }} }}"
            ),
        ),
    ];
    ops.into_iter().collect()
}

const SIGN_IN: &str = "mutation($i: String!, $p: String!) {
    signIn(identifier: $i, password: $p) { token expiresAt user { id username lastSignInAt } } }";

#[tokio::test]
async fn anonymous_callers_may_only_sign_in_and_read_the_schema() {
    let server = TestServer::start().await;
    let user = server.user_with_permissions("someone", &[]).await;
    let role = server.create_role(json!({ "name": "some-role" })).await;
    for (name, query) in operations(&user.id, &role) {
        let response = server.graphql_as(None, &query, json!({})).await;
        assert_eq!(response.status, 200, "{name}: {}", response.body);
        assert_eq!(
            response.code(),
            "UNAUTHENTICATED",
            "{name}: {}",
            response.body
        );
    }
    // Nothing changed.
    let data = server
        .data(
            "query($id: ID!) { user(id: $id) { name isSuspended roles { id } customData } users { totalCount } roles { totalCount } }",
            json!({ "id": user.id }),
        )
        .await;
    assert_eq!(
        data["user"],
        json!({ "name": null, "isSuspended": false, "roles": [], "customData": {} })
    );
    assert_eq!(data["users"]["totalCount"], 2);
    assert_eq!(data["roles"]["totalCount"], 2);

    let schema = server
        .data_as(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(schema["__schema"]["queryType"]["name"], "Query");
    let signed_in = server
        .data_as(None, SIGN_IN, json!({ "i": "someone", "p": PASSWORD }))
        .await;
    assert_eq!(signed_in["signIn"]["user"]["id"], json!(user.id));
}

/// The token with its last character changed to a different one (a fixed
/// replacement would be the same token whenever it already ends with it).
fn one_character_off(token: &str) -> String {
    let (head, last) = token.split_at(token.len() - 1);
    let replacement = if last == "x" { "y" } else { "x" };
    format!("{head}{replacement}")
}

#[tokio::test]
async fn malformed_or_unknown_credentials_are_refused_with_401() {
    let server = TestServer::start().await;
    let unknown = usergraph_core::secret::generate(TokenKind::Personal);
    let headers = [
        "Basic YWRtaW46YWRtaW4=".to_owned(),
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        format!("Token {}", server.admin_token()),
        "Bearer not-a-token".to_owned(),
        // Well formed, checksum and all, but never issued.
        format!("Bearer {unknown}"),
        // One character off: the checksum catches it.
        format!("Bearer {}", one_character_off(server.admin_token())),
    ];
    let create =
        json!({ "query": "mutation { createUser(input: { username: \"sneaky\" }) { id } }" });
    for header in headers {
        let response = server
            .client()
            .post(server.url())
            .header("authorization", &header)
            .json(&create)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 401, "{header}");
        let challenge = response.headers()["www-authenticate"].to_str().unwrap();
        assert!(challenge.starts_with("Bearer"), "{header}: {challenge}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{header}: {body}"
        );
        assert!(body.get("data").is_none(), "{header}: {body}");
    }
    // None of them ran.
    let found = server
        .data("{ users(search: \"sneaky\") { totalCount } }", json!({}))
        .await;
    assert_eq!(found["users"]["totalCount"], 0);
    // The scheme is case-insensitive (RFC 7235).
    let response = server
        .client()
        .post(server.url())
        .header("authorization", format!("bearer {}", server.admin_token()))
        .json(&json!({ "query": "{ me { id } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn revoked_expired_and_suspended_owners_tokens_are_refused() {
    let server = TestServer::start().await;
    let user = server
        .user_with_permissions("holder", &["users:read"])
        .await;
    let me = "{ me { id } }";
    assert_eq!(
        server.data_as(Some(&user.token), me, json!({})).await["me"]["id"],
        json!(user.id)
    );

    // Revoked by its owner: refused at once, and still listed.
    let revoked = server
        .data_as(
            Some(&user.token),
            "mutation($id: ID!) { revokePersonalAccessToken(id: $id) { id revokedAt } }",
            json!({ "id": user.token_id }),
        )
        .await;
    assert!(revoked["revokePersonalAccessToken"]["revokedAt"].is_string());
    let refused = server.graphql_as(Some(&user.token), me, json!({})).await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert_eq!(refused.code(), "UNAUTHENTICATED");
    let listed = server
        .data(
            "query($id: ID!) { user(id: $id) { personalAccessTokens { id revokedAt } } }",
            json!({ "id": user.id }),
        )
        .await;
    assert_eq!(
        listed["user"]["personalAccessTokens"][0]["id"],
        json!(user.token_id)
    );

    // Expired.
    let expires_at = chrono::Utc::now() + chrono::TimeDelta::milliseconds(1500);
    let short = server
        .create_token_as(
            Some(server.admin_token()),
            &user.id,
            json!({ "name": "short", "expiresAt": expires_at.to_rfc3339() }),
        )
        .await
        .unwrap();
    assert_eq!(
        server
            .graphql_as(Some(&short.secret), me, json!({}))
            .await
            .status,
        200
    );
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let refused = server.graphql_as(Some(&short.secret), me, json!({})).await;
    assert_eq!(refused.status, 401, "{}", refused.body);

    // The owner suspended: its tokens stop working, and work again after.
    let live = server.create_token(&user.id, "live", None).await;
    let suspend =
        "mutation($id: ID!, $s: Boolean!) { setUserSuspended(id: $id, suspended: $s) { id } }";
    server
        .data(suspend, json!({ "id": user.id, "s": true }))
        .await;
    let refused = server.graphql_as(Some(&live.secret), me, json!({})).await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    server
        .data(suspend, json!({ "id": user.id, "s": false }))
        .await;
    assert_eq!(
        server
            .graphql_as(Some(&live.secret), me, json!({}))
            .await
            .status,
        200
    );

    // Each refusal of an existing token is in the log, with its reason.
    let logs = server
        .data(
            "query($id: ID!) { logs(filter: { userId: $id, key: \"Token.Rejected\" }) {
                nodes { result payload } } }",
            json!({ "id": user.id }),
        )
        .await;
    let reasons: Vec<&str> = logs["logs"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["payload"]["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["owner suspended", "expired", "revoked"]);
}

#[tokio::test]
async fn a_session_works_until_sign_out() {
    let server = TestServer::start().await;
    let user = server.user_with_permissions("session_user", &[]).await;
    let wrong = server
        .graphql_as(
            None,
            SIGN_IN,
            json!({ "i": "session_user", "p": "not the password" }),
        )
        .await;
    assert_eq!(wrong.code(), "UNAUTHENTICATED");
    let unknown = server
        .graphql_as(
            None,
            SIGN_IN,
            json!({ "i": "nobody_at_all", "p": PASSWORD }),
        )
        .await;
    assert_eq!(unknown.code(), "UNAUTHENTICATED");
    assert_eq!(
        unknown.message(),
        wrong.message(),
        "no hint which was wrong"
    );

    let signed_in = server
        .data_as(None, SIGN_IN, json!({ "i": "SESSION_USER", "p": PASSWORD }))
        .await["signIn"]
        .clone();
    let token = signed_in["token"].as_str().unwrap();
    assert!(token.starts_with("ugs_"), "{token}");
    assert_eq!(signed_in["user"]["id"], json!(user.id));
    assert!(signed_in["user"]["lastSignInAt"].is_string());
    let expires_at: chrono::DateTime<chrono::Utc> =
        signed_in["expiresAt"].as_str().unwrap().parse().unwrap();
    let left = expires_at - chrono::Utc::now();
    assert!(
        left > chrono::TimeDelta::minutes(59) && left <= chrono::TimeDelta::minutes(60),
        "{left}"
    );

    let me = server
        .data_as(Some(token), "{ me { id } }", json!({}))
        .await;
    assert_eq!(me["me"]["id"], json!(user.id));
    // signOut ends sessions, not personal tokens.
    let with_pat = server
        .graphql_as(Some(&user.token), "mutation { signOut }", json!({}))
        .await;
    assert_eq!(with_pat.code(), "VALIDATION");
    let out = server
        .data_as(Some(token), "mutation { signOut }", json!({}))
        .await;
    assert_eq!(out["signOut"], true);
    let after = server
        .graphql_as(Some(token), "{ me { id } }", json!({}))
        .await;
    assert_eq!(after.status, 401, "{}", after.body);
    assert_eq!(after.code(), "UNAUTHENTICATED");
    // The personal token is untouched.
    assert_eq!(
        server
            .graphql_as(Some(&user.token), "{ me { id } }", json!({}))
            .await
            .status,
        200
    );
}

/// A suspended user's right password gets the very response a wrong one
/// gets: the suspension reveals nothing about the password.
#[tokio::test]
async fn a_suspended_users_right_password_is_answered_like_a_wrong_one() {
    let server = TestServer::start().await;
    let user = server.user_with_permissions("suspended_user", &[]).await;
    server
        .data(
            "mutation($id: ID!) { setUserSuspended(id: $id, suspended: true) { id } }",
            json!({ "id": user.id }),
        )
        .await;
    let attempt = |password: &str| {
        server.graphql_as(
            None,
            SIGN_IN,
            json!({ "i": "suspended_user", "p": password }),
        )
    };
    let wrong = attempt("not the password").await;
    let right = attempt(PASSWORD).await;
    assert_eq!(wrong.code(), "UNAUTHENTICATED", "{}", wrong.body);
    assert_eq!((right.status, &right.body), (wrong.status, &wrong.body));
}

/// The escalation, end to end: a user who may only reset passwords
/// cannot reset the admin's and sign in as the admin.
#[tokio::test]
async fn a_password_resetter_cannot_become_the_admin() {
    let server = TestServer::start().await;
    let desk = server
        .user_with_permissions("helpdesk", &["users:password"])
        .await;
    let clerk = server.user_with_permissions("clerk", &[]).await;
    const SET: &str =
        "mutation($id: ID!, $p: String!) { setUserPassword(id: $id, password: $p) { id } }";
    const CHOSEN: &str = "taken over at last";
    let set = server
        .graphql_as(
            Some(&desk.token),
            SET,
            json!({ "id": server.admin_id(), "p": CHOSEN }),
        )
        .await;
    assert_eq!(set.code(), "FORBIDDEN", "{}", set.body);
    let verify = server
        .graphql_as(
            Some(&desk.token),
            "mutation($id: ID!, $p: String!) { verifyUserPassword(id: $id, password: $p) }",
            json!({ "id": server.admin_id(), "p": CHOSEN }),
        )
        .await;
    assert_eq!(verify.code(), "FORBIDDEN", "{}", verify.body);
    let sign_in = server
        .graphql_as(None, SIGN_IN, json!({ "i": "admin", "p": CHOSEN }))
        .await;
    assert_eq!(sign_in.code(), "UNAUTHENTICATED", "{}", sign_in.body);

    // Resetting a user who holds nothing more still works.
    server
        .data_as(
            Some(&desk.token),
            SET,
            json!({ "id": clerk.id, "p": CHOSEN }),
        )
        .await;
    let session = server.sign_in("clerk", CHOSEN).await;
    assert!(session.starts_with("ugs_"), "{session}");
}

#[tokio::test]
async fn a_personal_access_token_secret_is_shown_once() {
    let server = TestServer::start().await;
    let user = server
        .user_with_permissions("pat_owner", &["users:read", "users:write"])
        .await;
    // Self-service: the owner makes a narrower token for itself.
    let created = server
        .data_as(
            Some(&user.token),
            "mutation($u: ID!) { createPersonalAccessToken(userId: $u,
                input: { name: \"CI\", scopes: [\"users:read\"] }) {
                secret token { id userId name scopes expiresAt lastUsedAt createdAt revokedAt } } }",
            json!({ "u": user.id }),
        )
        .await["createPersonalAccessToken"]
        .clone();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("ugp_") && secret.len() == 32, "{secret}");
    let token = &created["token"];
    assert_eq!(token["userId"], json!(user.id));
    assert_eq!(token["name"], "CI");
    assert_eq!(token["scopes"], json!(["users:read"]));
    assert_eq!(token["lastUsedAt"], json!(null));
    let token_id = token["id"].as_str().unwrap().to_owned();

    // The scoped token reads, but may not write although its owner may.
    let read = server
        .data_as(Some(&secret), "{ users { totalCount } }", json!({}))
        .await;
    assert!(read["users"]["totalCount"].as_i64().unwrap() >= 2);
    let write = server
        .graphql_as(
            Some(&secret),
            "mutation { createUser(input: { username: \"by_scoped\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(write.code(), "FORBIDDEN", "{}", write.body);

    let rename = server
        .data_as(
            Some(&user.token),
            "mutation($id: ID!) { renamePersonalAccessToken(id: $id, name: \"deploy\") { name } }",
            json!({ "id": token_id }),
        )
        .await;
    assert_eq!(rename["renamePersonalAccessToken"]["name"], "deploy");

    // Listed with its use recorded, never with the secret.
    let listed = server
        .data_as(
            Some(&user.token),
            "query($id: ID!) { user(id: $id) { personalAccessTokens {
                id name scopes lastUsedAt createdAt revokedAt } } }",
            json!({ "id": user.id }),
        )
        .await;
    let tokens = listed["user"]["personalAccessTokens"].as_array().unwrap();
    let ci = tokens.iter().find(|t| t["id"] == json!(token_id)).unwrap();
    assert_eq!(ci["name"], "deploy");
    assert!(ci["lastUsedAt"].is_string(), "{ci}");
    assert!(!listed.to_string().contains(&secret));
    let fields = server
        .data(
            "{ __type(name: \"PersonalAccessToken\") { fields { name } } }",
            json!({}),
        )
        .await;
    assert!(
        !fields.to_string().contains("secret"),
        "no field could return the secret: {fields}"
    );

    // The log tells of the token's life, without its secret.
    server
        .data_as(
            Some(&user.token),
            "mutation($id: ID!) { revokePersonalAccessToken(id: $id) { id } }",
            json!({ "id": token_id }),
        )
        .await;
    let logs = server
        .data(
            "query($id: ID!) { logs(filter: { userId: $id }, first: 100) { nodes { key payload error } } }",
            json!({ "id": user.id }),
        )
        .await;
    let keys: Vec<&str> = logs["logs"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["key"].as_str().unwrap())
        .collect();
    for key in ["Token.Created", "Token.Renamed", "Token.Revoked"] {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
    let everything = server
        .data(
            "{ logs(first: 100) { nodes { payload error } } }",
            json!({}),
        )
        .await
        .to_string();
    for secret in [&secret, &user.token, &server.admin_token().to_owned()] {
        assert!(!everything.contains(secret.as_str()), "a secret was logged");
    }
}

#[tokio::test]
async fn sign_in_failures_are_throttled_per_attempt() {
    let server = TestServer::start().await;
    server.user_with_permissions("aliased", &[]).await;
    server.user_with_permissions("batched", &[]).await;

    // Six aliased attempts in one request: each counts, the sixth is over
    // the default limit of 5 failures per account.
    let aliases: String = (1..=6)
        .map(|i| {
            format!("a{i}: signIn(identifier: \"aliased\", password: \"wrong {i}\") {{ token }} ")
        })
        .collect();
    let response = server
        .graphql_as(None, &format!("mutation {{ {aliases} }}"), json!({}))
        .await;
    assert_eq!(
        response.codes(),
        [
            "UNAUTHENTICATED",
            "UNAUTHENTICATED",
            "UNAUTHENTICATED",
            "UNAUTHENTICATED",
            "UNAUTHENTICATED",
            "RATE_LIMITED"
        ],
        "{}",
        response.body
    );
    let limited = &response.body["errors"][5];
    assert_eq!(limited["path"], json!(["a6"]));
    assert!(
        limited["extensions"]["retryAfter"].as_u64().unwrap() > 0,
        "{limited}"
    );
    // Over the limit, even the right password is not checked.
    let right = server
        .graphql_as(None, SIGN_IN, json!({ "i": "aliased", "p": PASSWORD }))
        .await;
    assert_eq!(right.code(), "RATE_LIMITED");

    // The same with a batch of six operations.
    let one = json!({
        "query": "mutation { signIn(identifier: \"batched\", password: \"wrong\") { token } }"
    });
    let batch = Value::Array(vec![one; 6]);
    let response = server.post_json_as(None, &batch).await;
    let codes: Vec<String> = response
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["errors"][0]["extensions"]["code"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        codes,
        [
            "UNAUTHENTICATED",
            "UNAUTHENTICATED",
            "UNAUTHENTICATED",
            "UNAUTHENTICATED",
            "UNAUTHENTICATED",
            "RATE_LIMITED"
        ]
    );
    // Other accounts are not affected.
    let admin = server.graphql("{ me { id } }", json!({})).await;
    assert_eq!(admin.status, 200);
}

#[tokio::test]
async fn introspection_can_be_turned_off() {
    let settings = ApiSettings {
        introspection: false,
        ..ApiSettings::default()
    };
    let server = TestServer::with_settings(settings).await;
    for token in [None, Some(server.admin_token())] {
        for query in [
            "{ __schema { queryType { name } } }",
            "{ __type(name: \"User\") { name } }",
        ] {
            let response = server.graphql_as(token, query, json!({})).await;
            assert!(
                response.body.get("errors").is_some(),
                "{query}: {}",
                response.body
            );
            assert!(
                !response.body.to_string().contains("\"Query\""),
                "{}",
                response.body
            );
        }
    }
    // Everything else still works.
    let me = server.data("{ me { id } }", json!({})).await;
    assert_eq!(me["me"]["id"], server.admin_id());
}

/// Validation's "Did you mean ...?" names fields, so it would reveal the
/// schema introspection hides.
#[tokio::test]
async fn without_introspection_errors_suggest_no_names() {
    let misspelled = [
        "{ usr(id: \"x\") { id } }",
        "{ me { usernme } }",
        "{ users(firs: 1) { totalCount } }",
    ];
    let hidden = TestServer::with_settings(ApiSettings {
        introspection: false,
        ..ApiSettings::default()
    })
    .await;
    let shown = TestServer::start().await;
    for query in misspelled {
        for token in [None, Some(hidden.admin_token())] {
            let response = hidden.graphql_as(token, query, json!({})).await;
            assert_eq!(response.code(), "BAD_REQUEST", "{query}: {}", response.body);
            assert!(
                !response.message().contains("Did you mean"),
                "{query}: {}",
                response.message()
            );
        }
        // With introspection on, the schema is public and the hint helps.
        let response = shown.graphql(query, json!({})).await;
        assert!(
            response.message().contains("Did you mean"),
            "{query}: {}",
            response.message()
        );
    }
}

#[tokio::test]
async fn an_address_presenting_bad_tokens_is_throttled_with_429() {
    let mut service = ServiceSettings::default();
    service.throttle.max_failures_per_address = 3;
    let server = TestServer::with_all_settings(ApiSettings::default(), service).await;
    let bad = usergraph_core::secret::generate(TokenKind::Personal);
    for _ in 0..3 {
        let refused = server
            .graphql_as(Some(&bad), "{ me { id } }", json!({}))
            .await;
        assert_eq!(refused.status, 401, "{}", refused.body);
    }
    // Over the limit, even a good token from that address waits.
    let limited = server.graphql("{ me { id } }", json!({})).await;
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert_eq!(limited.code(), "RATE_LIMITED");
    let retry_after: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!(retry_after > 0 && retry_after <= 15 * 60, "{retry_after}");
    assert_eq!(
        limited.error()["extensions"]["retryAfter"],
        json!(retry_after)
    );
}

#[tokio::test]
async fn users_change_their_own_password_knowing_the_current_one() {
    let server = TestServer::start().await;
    let user = server.user_with_permissions("changer", &[]).await;
    let change = "mutation($c: String!, $n: String!) {
        changePassword(currentPassword: $c, newPassword: $n) { id hasPassword } }";
    let wrong = server
        .graphql_as(
            Some(&user.token),
            change,
            json!({ "c": "not my password", "n": "a brand new password" }),
        )
        .await;
    assert_eq!(wrong.code(), "VALIDATION", "{}", wrong.body);
    assert_eq!(wrong.field(), Some("currentPassword"));
    let changed = server
        .data_as(
            Some(&user.token),
            change,
            json!({ "c": PASSWORD, "n": "a brand new password" }),
        )
        .await;
    assert_eq!(changed["changePassword"]["id"], json!(user.id));
    // Without `users:password`, yet only for itself: the old password is
    // gone, the new one signs in.
    let old = server
        .graphql_as(None, SIGN_IN, json!({ "i": "changer", "p": PASSWORD }))
        .await;
    assert_eq!(old.code(), "UNAUTHENTICATED");
    server.sign_in("changer", "a brand new password").await;
}

#[tokio::test]
async fn my_permissions_are_the_roles_narrowed_by_the_tokens_scopes() {
    let server = TestServer::start().await;
    let user = server
        .user_with_permissions("scoped", &["users:write", "logs:read", "users:read"])
        .await;
    let mine = |token: String| {
        let server = &server;
        async move {
            server
                .data_as(Some(&token), "{ myPermissions }", json!({}))
                .await["myPermissions"]
                .clone()
        }
    };
    // Sorted by name, whatever order the role lists them in.
    assert_eq!(
        mine(user.token.clone()).await,
        json!(["logs:read", "users:read", "users:write"])
    );
    let session = server.sign_in("scoped", PASSWORD).await;
    assert_eq!(
        mine(session).await,
        json!(["logs:read", "users:read", "users:write"])
    );
    let scoped = server
        .create_token(&user.id, "read-only", Some(&["users:read", "logs:read"]))
        .await;
    assert_eq!(
        mine(scoped.secret.clone()).await,
        json!(["logs:read", "users:read"])
    );
    // `me.roles` still lists every permission of the roles: only
    // `myPermissions` tells what this token may do.
    let me = server
        .data_as(
            Some(&scoped.secret),
            "{ me { roles { permissions } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        me["me"]["roles"][0]["permissions"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let refused = server
        .graphql_as(
            Some(&scoped.secret),
            "mutation { createUser(input: { username: \"not_in_scope\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(refused.code(), "FORBIDDEN");
    let nothing = server.user_with_permissions("powerless", &[]).await;
    assert_eq!(mine(nothing.token).await, json!([]));
}

#[tokio::test]
async fn users_edit_their_own_name_avatar_and_profile_but_not_identifiers_or_custom_data() {
    // What the console's self-service account page offers, over HTTP: a
    // user without any permission changes its name, avatar and OIDC
    // profile; its identifiers (how it signs in) and its custom data
    // (where applications keep entitlements) need `users:write`.
    let server = TestServer::start().await;
    let user = server.user_with_permissions("selma", &[]).await;
    let id = user.id.as_str();
    let token = Some(user.token.as_str());
    let edited = server
        .data_as(
            token,
            "mutation($id: ID!) {
                updateUser(id: $id, input: { name: \"Selma\", avatar: \"https://example.com/s.png\" }) { id }
                updateUserProfile(id: $id, profile: { locale: \"sv-SE\", address: { locality: \"Mårbacka\" } }) {
                    name avatar profile { locale address { locality } } }
            }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        edited["updateUserProfile"],
        json!({
            "name": "Selma",
            "avatar": "https://example.com/s.png",
            "profile": { "locale": "sv-SE", "address": { "locality": "Mårbacka" } }
        })
    );
    for (input, field) in [
        ("{ username: \"selma2\" }", "username"),
        ("{ primaryEmail: \"selma@example.com\" }", "primaryEmail"),
        ("{ primaryPhone: \"46701234567\" }", "primaryPhone"),
    ] {
        let refused = server
            .graphql_as(
                token,
                &format!("mutation($id: ID!) {{ updateUser(id: $id, input: {input}) {{ id }} }}"),
                json!({ "id": id }),
            )
            .await;
        assert_eq!(refused.code(), "FORBIDDEN", "{}", refused.body);
        assert!(refused.message().contains(field), "{}", refused.body);
    }
    let refused = server
        .graphql_as(
            token,
            "mutation($id: ID!) { updateUserCustomData(id: $id, customData: { plan: \"pro\" }, replace: true) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(refused.code(), "FORBIDDEN", "{}", refused.body);
    // Nothing of the refused edits was stored.
    let stored = server
        .data(
            "query($id: ID!) { user(id: $id) { username primaryEmail primaryPhone customData } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(stored["user"]["username"], "selma");
    assert_eq!(stored["user"]["primaryPhone"], Value::Null);
    assert_eq!(stored["user"]["customData"], json!({}));
}
