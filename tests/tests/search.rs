//! The user search language over HTTP: every field filter, `and`/`or`/`not`,
//! case sensitivity, wildcards and their escapes, `customData` paths, role
//! membership, time ranges, `orderBy` on every field with nulls last and ties
//! by id, keyset paging under an order, and the limits on filters.

// A panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use serde_json::{Value, json};
use usergraph_core::{Storage, UserId, WriteOp};
use usergraph_tests::{Gql, TestServer};

const USERS: &str = "query($search: String, $filter: UserFilter, $orderBy: [UserOrder!],
        $first: Int, $after: String, $last: Int, $before: String) {
    users(search: $search, filter: $filter, orderBy: $orderBy, first: $first, after: $after,
          last: $last, before: $before) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        nodes { username } } }";

/// The user every store starts with; not one of the fixture's.
const ADMIN: &str = "admin";

/// Five users that differ in every searchable way, and two roles.
struct Fixture {
    server: TestServer,
    /// By username.
    ids: HashMap<&'static str, String>,
    /// `createdAt` by username, as the API returns it.
    created: HashMap<&'static str, String>,
    editor: String,
    viewer: String,
}

impl Fixture {
    /// Users are created in the order alice, bob_smith, Carol, dave, erin;
    /// then alice, bob_smith and Carol are changed (in that order), so that
    /// `updatedAt` ascending is dave, erin, alice, bob_smith, Carol. alice
    /// signed in in 2020, bob_smith in 2021, the others never.
    async fn new() -> Fixture {
        let server = TestServer::start().await;
        let editor = server.create_role(json!({ "name": "editor" })).await;
        let viewer = server.create_role(json!({ "name": "viewer" })).await;
        let digest = bcrypt::hash("a long enough password", 4).unwrap();
        let inputs = [
            (
                "alice",
                json!({ "username": "alice", "primaryEmail": "Alice@Example.com",
                        "primaryPhone": "+1 (555) 010-0001", "name": "Alice Liddell",
                        "passwordDigest": digest, "passwordAlgorithm": "BCRYPT",
                        "customData": { "plan": "pro", "seats": 5, "profile": { "tier": "gold" } } }),
            ),
            (
                "bob_smith",
                json!({ "username": "bob_smith", "primaryEmail": "bob@example.org",
                        "primaryPhone": "+49 151 12345678", "name": "Bob 100% O'Brien",
                        "customData": { "plan": "free", "seats": 1 } }),
            ),
            (
                "Carol",
                json!({ "username": "Carol", "name": "C:\\Users\\carol",
                        "customData": { "plan": "Pro Plus" } }),
            ),
            ("dave", json!({ "username": "dave" })),
            (
                "erin",
                json!({ "username": "erin", "primaryEmail": "erin@example.com",
                        "name": "Erin 50_50", "passwordDigest": digest,
                        "passwordAlgorithm": "BCRYPT" }),
            ),
        ];
        let mut ids = HashMap::new();
        let mut created = HashMap::new();
        for (name, input) in inputs {
            let data = server
                .data(
                    "mutation($input: CreateUserInput!) { createUser(input: $input) { id createdAt } }",
                    json!({ "input": input }),
                )
                .await;
            ids.insert(name, data["createUser"]["id"].as_str().unwrap().to_owned());
            created.insert(
                name,
                data["createUser"]["createdAt"].as_str().unwrap().to_owned(),
            );
        }
        let fixture = Fixture {
            server,
            ids,
            created,
            editor,
            viewer,
        };
        fixture
            .custom_data(
                "alice",
                json!({ "plan": "pro", "seats": 5, "profile": { "tier": "gold" }, "note": null }),
            )
            .await;
        fixture.link("bob_smith", "github").await;
        fixture.link("Carol", "google").await;
        fixture.link("Carol", "github").await;
        fixture
            .server
            .data(
                "mutation($id: ID!) { setUserSuspended(id: $id, suspended: true) { id } }",
                json!({ "id": fixture.id("Carol") }),
            )
            .await;
        let (editor, viewer) = (fixture.editor.clone(), fixture.viewer.clone());
        fixture.assign("alice", &[&editor, &viewer]).await;
        fixture.assign("bob_smith", &[&viewer]).await;
        fixture.assign("dave", &[&editor]).await;
        fixture.signed_in("alice", 1_577_880_000_000_000).await; // 2020-01-01T12:00Z
        fixture.signed_in("bob_smith", 1_609_502_400_000_000).await; // 2021-01-01T12:00Z
        fixture
    }

    fn id(&self, name: &str) -> &str {
        &self.ids[name]
    }

    async fn custom_data(&self, name: &str, data: Value) {
        self.server
            .data(
                "mutation($id: ID!, $data: JSON!) {
                    updateUserCustomData(id: $id, customData: $data, replace: true) { id } }",
                json!({ "id": self.id(name), "data": data }),
            )
            .await;
    }

    async fn link(&self, name: &str, provider: &str) {
        self.server
            .data(
                "mutation($id: ID!, $p: String!) {
                    linkUserIdentity(id: $id, provider: $p, identity: { userId: \"x\" }) { id } }",
                json!({ "id": self.id(name), "p": provider }),
            )
            .await;
    }

    async fn assign(&self, name: &str, roles: &[&str]) {
        self.server
            .data(
                "mutation($id: ID!, $roles: [ID!]!) { assignUserRoles(userId: $id, roleIds: $roles) { id } }",
                json!({ "id": self.id(name), "roles": roles }),
            )
            .await;
    }

    /// `signIn` records the present; these tests need fixed past dates, so
    /// the sign-in is recorded in storage directly, as `signIn` would (a
    /// new version, `updatedAt` untouched).
    async fn signed_in(&self, name: &str, micros: i64) {
        let storage = &self.server.storage;
        let id = UserId::parse(self.id(name)).unwrap();
        let mut user = storage.user(&id).await.unwrap().unwrap();
        let expected_version = user.version;
        user.last_sign_in_at = usergraph_core::time::from_micros(micros);
        user.version += 1;
        storage
            .commit(vec![WriteOp::UpdateUser {
                user: Box::new(user),
                expected_version,
            }])
            .await
            .unwrap();
    }

    /// `users` with `variables`. Without a filter, the bootstrap admin is
    /// filtered out, so that orders and pages hold the fixture's users only;
    /// a given filter goes through untouched (its depth and error paths are
    /// under test).
    async fn query(&self, mut variables: Value) -> Gql {
        if variables.get("filter").is_none() {
            variables["filter"] = json!({ "username": { "ne": ADMIN } });
        }
        self.server.graphql(USERS, variables).await
    }

    /// Usernames of the fixture's users matching `filter`, sorted (the
    /// order is tested apart).
    async fn matching(&self, filter: Value) -> Vec<String> {
        let data = self.query(json!({ "filter": filter })).await.data();
        let mut names = usernames(&data["users"]);
        names.retain(|name| name != ADMIN);
        names.sort();
        names
    }

    /// Usernames in `orderBy` order.
    async fn ordered(&self, order: Value) -> Vec<String> {
        let data = self.query(json!({ "orderBy": order })).await.data();
        usernames(&data["users"])
    }

    /// Ids of the users without a primary email, then of those without a
    /// last sign-in, each in ascending id order.
    fn sorted_ids(&self, names: &[&str]) -> Vec<String> {
        let mut by_id: Vec<(&str, &str)> = names.iter().map(|n| (self.id(n), *n)).collect();
        by_id.sort();
        by_id.into_iter().map(|(_, n)| n.to_owned()).collect()
    }
}

fn usernames(connection: &Value) -> Vec<String> {
    connection["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["username"].as_str().unwrap().to_owned())
        .collect()
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
    names.sort();
    names
}

fn owned(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

fn assert_filter_error(response: &Gql, message_part: &str) {
    assert_eq!(response.code(), "VALIDATION", "{}", response.body);
    assert_eq!(response.field(), Some("filter"), "{}", response.body);
    assert!(
        response.message().contains(message_part),
        "`{}` does not mention `{message_part}`",
        response.message()
    );
}

#[tokio::test]
async fn each_field_filters() {
    let f = Fixture::new().await;
    let cases = [
        (json!({ "id": { "eq": f.id("alice") } }), vec!["alice"]),
        (
            json!({ "id": { "in": [f.id("alice"), f.id("dave"), "no-such-user"] } }),
            vec!["alice", "dave"],
        ),
        (
            json!({ "username": { "startsWith": "b" } }),
            vec!["bob_smith"],
        ),
        (
            json!({ "username": { "endsWith": "E" } }),
            vec!["alice", "dave"],
        ),
        (
            json!({ "primaryEmail": { "isNull": true } }),
            vec!["Carol", "dave"],
        ),
        (
            json!({ "primaryEmail": { "ne": "BOB@example.org" } }),
            vec!["alice", "Carol", "dave", "erin"],
        ),
        (
            json!({ "primaryEmail": { "endsWith": "@example.com" } }),
            vec!["alice", "erin"],
        ),
        // Phones are stored as digits.
        (
            json!({ "primaryPhone": { "eq": "15550100001" } }),
            vec!["alice"],
        ),
        (
            json!({ "primaryPhone": { "startsWith": "49" } }),
            vec!["bob_smith"],
        ),
        (
            json!({ "primaryPhone": { "isNull": false } }),
            vec!["alice", "bob_smith"],
        ),
        (json!({ "name": { "eq": "alice liddell" } }), vec!["alice"]),
        (json!({ "name": { "isNull": true } }), vec!["dave"]),
        (
            json!({ "identityProvider": { "eq": "github" } }),
            vec!["bob_smith", "Carol"],
        ),
        // `ne` holds when no linked provider equals.
        (
            json!({ "identityProvider": { "ne": "google" } }),
            vec!["alice", "bob_smith", "dave", "erin"],
        ),
        (
            json!({ "identityProvider": { "isNull": true } }),
            vec!["alice", "dave", "erin"],
        ),
        (json!({ "isSuspended": true }), vec!["Carol"]),
        (
            json!({ "isSuspended": false }),
            vec!["alice", "bob_smith", "dave", "erin"],
        ),
        (json!({ "hasPassword": true }), vec!["alice", "erin"]),
        (
            json!({ "hasPassword": false }),
            vec!["bob_smith", "Carol", "dave"],
        ),
        (
            json!({ "username": { "regex": "^b.b_" } }),
            vec!["bob_smith"],
        ),
        (
            json!({ "username": { "similarTo": "(alice|dave)" } }),
            vec!["alice", "dave"],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            f.matching(filter.clone()).await,
            sorted(&expected),
            "{filter}"
        );
    }
    let bad = f
        .query(json!({ "filter": { "username": { "regex": "(?=a)" } } }))
        .await;
    assert_eq!(bad.code(), "VALIDATION", "{}", bad.body);
    assert_eq!(bad.field(), Some("filter"));
}

#[tokio::test]
async fn case_is_ignored_unless_asked_for() {
    let f = Fixture::new().await;
    assert_eq!(
        f.matching(json!({ "username": { "eq": "carol" } })).await,
        ["Carol"]
    );
    assert!(
        f.matching(json!({ "username": { "eq": "carol", "caseSensitive": true } }))
            .await
            .is_empty()
    );
    assert_eq!(
        f.matching(json!({ "username": { "eq": "Carol", "caseSensitive": true } }))
            .await,
        ["Carol"]
    );
    assert_eq!(
        f.matching(json!({ "primaryEmail": { "contains": "example.com" } }))
            .await,
        sorted(&["alice", "erin"])
    );
    assert_eq!(
        f.matching(json!({ "primaryEmail": { "contains": "example.com", "caseSensitive": true } }))
            .await,
        ["erin"]
    );
    assert_eq!(
        f.matching(json!({ "username": { "like": "C%", "caseSensitive": true } }))
            .await,
        ["Carol"]
    );
    assert!(
        f.matching(json!({ "username": { "like": "c%", "caseSensitive": true } }))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn like_wildcards_and_escapes() {
    let f = Fixture::new().await;
    let cases = [
        (json!({ "username": { "like": "ALI%" } }), vec!["alice"]),
        (json!({ "username": { "like": "b_b%" } }), vec!["bob_smith"]),
        // Without a wildcard, like is equality of the whole value.
        (json!({ "username": { "like": "dav" } }), vec![]),
        (json!({ "username": { "like": "d__e" } }), vec!["dave"]),
        // `\_` is a literal underscore; a bare `_` would match any character.
        (
            json!({ "username": { "like": "%\\_%" } }),
            vec!["bob_smith"],
        ),
        (
            json!({ "username": { "like": "%_%" } }),
            vec!["alice", "bob_smith", "Carol", "dave", "erin"],
        ),
        (json!({ "name": { "like": "%100\\%%" } }), vec!["bob_smith"]),
        (
            json!({ "name": { "like": "c:\\\\users\\\\%" } }),
            vec!["Carol"],
        ),
        (json!({ "name": { "like": "%50\\_50" } }), vec!["erin"]),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            f.matching(filter.clone()).await,
            sorted(&expected),
            "{filter}"
        );
    }
}

#[tokio::test]
async fn contains_takes_every_character_literally() {
    let f = Fixture::new().await;
    let cases = [
        ("%", vec!["bob_smith"]),
        ("0%", vec!["bob_smith"]),
        ("_", vec!["erin"]),
        ("0_5", vec!["erin"]),
        ("'", vec!["bob_smith"]),
        ("o'b", vec!["bob_smith"]),
        ("\\", vec!["Carol"]),
        ("\\users\\", vec!["Carol"]),
        ("%%", vec![]),
    ];
    for (needle, expected) in cases {
        assert_eq!(
            f.matching(json!({ "name": { "contains": needle } })).await,
            sorted(&expected),
            "contains {needle:?}"
        );
    }
    // The simple search treats them the same way.
    let data = f.query(json!({ "search": "_" })).await.data();
    let mut found = usernames(&data["users"]);
    found.sort();
    assert_eq!(found, sorted(&["bob_smith", "erin"]));
}

#[tokio::test]
async fn custom_data_paths() {
    let f = Fixture::new().await;
    let path = |path: Value, op: Value| {
        let mut filter = op;
        filter["path"] = path;
        json!({ "customData": [filter] })
    };
    let cases = [
        (path(json!(["plan"]), json!({ "eq": "pro" })), vec!["alice"]),
        // `ne` holds where the path is missing.
        (
            path(json!(["plan"]), json!({ "ne": "pro" })),
            vec!["bob_smith", "Carol", "dave", "erin"],
        ),
        (
            path(json!(["profile", "tier"]), json!({ "eq": "gold" })),
            vec!["alice"],
        ),
        (
            path(json!(["profile", "tier", "x"]), json!({ "exists": true })),
            vec![],
        ),
        // Numbers compare by value.
        (path(json!(["seats"]), json!({ "eq": 5.0 })), vec!["alice"]),
        (path(json!(["seats"]), json!({ "eq": "5" })), vec![]),
        (
            path(json!(["profile"]), json!({ "eq": { "tier": "gold" } })),
            vec!["alice"],
        ),
        // A stored JSON null exists, and equals null.
        (
            path(json!(["note"]), json!({ "exists": true })),
            vec!["alice"],
        ),
        (path(json!(["note"]), json!({ "eq": null })), vec!["alice"]),
        (
            path(json!(["seats"]), json!({ "exists": false })),
            vec!["Carol", "dave", "erin"],
        ),
        // contains: a case-insensitive substring of a string value.
        (
            path(json!(["plan"]), json!({ "contains": "PRO" })),
            vec!["alice", "Carol"],
        ),
        (path(json!(["seats"]), json!({ "contains": "5" })), vec![]),
        // Several operators of one entry, and several entries, are AND-ed.
        (
            path(json!(["plan"]), json!({ "contains": "pro", "ne": "pro" })),
            vec!["Carol"],
        ),
        (
            json!({ "customData": [
                { "path": ["plan"], "contains": "pro" },
                { "path": ["seats"], "exists": true } ] }),
            vec!["alice"],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            f.matching(filter.clone()).await,
            sorted(&expected),
            "{filter}"
        );
    }
    let empty_path = f
        .query(json!({ "filter": { "customData": [{ "path": [], "exists": true }] } }))
        .await;
    assert_filter_error(&empty_path, "segments");
}

#[tokio::test]
async fn role_membership() {
    let f = Fixture::new().await;
    let (editor, viewer) = (f.editor.as_str(), f.viewer.as_str());
    let cases = [
        (json!({ "any": [editor] }), vec!["alice", "dave"]),
        (
            json!({ "any": [editor, viewer] }),
            vec!["alice", "bob_smith", "dave"],
        ),
        (json!({ "all": [editor, viewer] }), vec!["alice"]),
        (
            json!({ "none": [editor] }),
            vec!["bob_smith", "Carol", "erin"],
        ),
        (
            json!({ "any": [viewer], "none": [editor] }),
            vec!["bob_smith"],
        ),
        (json!({ "any": [] }), vec![]),
        (json!({ "any": ["no-such-role"] }), vec![]),
        (
            json!({ "none": ["no-such-role"] }),
            vec!["alice", "bob_smith", "Carol", "dave", "erin"],
        ),
    ];
    for (roles, expected) in cases {
        assert_eq!(
            f.matching(json!({ "roles": roles })).await,
            sorted(&expected),
            "{roles}"
        );
    }
    let bad = f
        .query(json!({ "filter": { "roles": { "all": ["not a role id!"] } } }))
        .await;
    assert_filter_error(&bad, "roles.all");
}

#[tokio::test]
async fn time_ranges_and_nulls() {
    let f = Fixture::new().await;
    let at = |name: &str| f.created[name].clone();
    let cases = [
        (
            json!({ "createdAt": { "gte": at("bob_smith"), "lt": at("dave") } }),
            vec!["bob_smith", "Carol"],
        ),
        (json!({ "createdAt": { "gt": at("dave") } }), vec!["erin"]),
        (
            json!({ "createdAt": { "lte": at("alice") } }),
            vec!["alice"],
        ),
        (json!({ "createdAt": { "isNull": true } }), vec![]),
        (
            json!({ "updatedAt": { "gt": at("erin") } }),
            vec!["alice", "bob_smith", "Carol"],
        ),
        (
            json!({ "updatedAt": { "lte": at("erin") } }),
            vec!["dave", "erin"],
        ),
        (
            json!({ "lastSignInAt": { "isNull": true } }),
            vec!["Carol", "dave", "erin"],
        ),
        (
            json!({ "lastSignInAt": { "gte": "2020-06-01T00:00:00Z" } }),
            vec!["bob_smith"],
        ),
        // A null time passes no bound, so `not` of a bound includes it.
        (
            json!({ "lastSignInAt": { "lt": "2030-01-01T00:00:00+02:00" } }),
            vec!["alice", "bob_smith"],
        ),
        (
            json!({ "not": { "lastSignInAt": { "lt": "2030-01-01T00:00:00Z" } } }),
            vec!["Carol", "dave", "erin"],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            f.matching(filter.clone()).await,
            sorted(&expected),
            "{filter}"
        );
    }
}

#[tokio::test]
async fn and_or_not_nesting() {
    let f = Fixture::new().await;
    let everyone = vec!["alice", "bob_smith", "Carol", "dave", "erin"];
    let cases = [
        (json!({}), everyone.clone()),
        (json!({ "and": [] }), everyone.clone()),
        (json!({ "or": [] }), vec![]),
        (json!({ "username": {} }), everyone.clone()),
        // Fields of one object are AND-ed...
        (
            json!({ "hasPassword": true, "primaryEmail": { "endsWith": ".com" } }),
            vec!["alice", "erin"],
        ),
        (
            json!({ "hasPassword": true, "username": { "eq": "erin" } }),
            vec!["erin"],
        ),
        // ...and so are operators of one StringFilter.
        (
            json!({ "username": { "startsWith": "a", "endsWith": "e" } }),
            vec!["alice"],
        ),
        (
            json!({ "username": { "startsWith": "a", "endsWith": "x" } }),
            vec![],
        ),
        (
            json!({ "or": [{ "username": { "eq": "alice" } }, { "name": { "contains": "%" } }] }),
            vec!["alice", "bob_smith"],
        ),
        (
            json!({ "not": { "or": [{ "username": { "eq": "alice" } }, { "name": { "contains": "%" } }] } }),
            vec!["Carol", "dave", "erin"],
        ),
        (
            json!({ "and": [{ "hasPassword": true }, { "not": { "username": { "eq": "alice" } } }] }),
            vec!["erin"],
        ),
        // `not` negates exactly: users without a name are not "named x".
        (
            json!({ "not": { "name": { "eq": "Alice Liddell" } } }),
            vec!["bob_smith", "Carol", "dave", "erin"],
        ),
        (
            json!({ "or": [
                { "and": [{ "isSuspended": true }, { "identityProvider": { "eq": "google" } }] },
                { "not": { "or": [{ "primaryEmail": { "isNull": true } }, { "hasPassword": false }] } }
            ], "username": { "ne": "erin" } }),
            vec!["alice", "Carol"],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            f.matching(filter.clone()).await,
            sorted(&expected),
            "{filter}"
        );
    }
}

#[tokio::test]
async fn search_and_filter_combine_and_total_count_follows_them() {
    let f = Fixture::new().await;
    let data = f
        .query(json!({ "search": "example", "filter": { "hasPassword": true } }))
        .await
        .data();
    let mut found = usernames(&data["users"]);
    found.sort();
    assert_eq!(found, sorted(&["alice", "erin"]));
    assert_eq!(data["users"]["totalCount"], 2);

    let data = f
        .query(json!({ "filter": { "roles": { "any": [f.editor] } }, "first": 1 }))
        .await
        .data();
    assert_eq!(usernames(&data["users"]).len(), 1);
    assert_eq!(data["users"]["totalCount"], 2);
    assert_eq!(data["users"]["pageInfo"]["hasNextPage"], true);
}

#[tokio::test]
async fn order_by_every_field_both_ways_with_nulls_last() {
    let f = Fixture::new().await;
    let order = |field: &str, direction: &str| json!([{ "field": field, "direction": direction }]);
    let mut no_email = f.sorted_ids(&["Carol", "dave"]);
    let mut never_signed_in = f.sorted_ids(&["Carol", "dave", "erin"]);
    let created = ["alice", "bob_smith", "Carol", "dave", "erin"];
    let updated = ["dave", "erin", "alice", "bob_smith", "Carol"];
    let by_username = ["alice", "bob_smith", "Carol", "dave", "erin"];

    assert_eq!(f.ordered(order("CREATED_AT", "ASC")).await, owned(&created));
    assert_eq!(
        f.ordered(order("CREATED_AT", "DESC")).await,
        owned(&created).into_iter().rev().collect::<Vec<_>>()
    );
    // No orderBy: createdAt DESC.
    assert_eq!(
        f.ordered(Value::Null).await,
        f.ordered(order("CREATED_AT", "DESC")).await
    );
    assert_eq!(f.ordered(order("UPDATED_AT", "ASC")).await, owned(&updated));
    assert_eq!(
        f.ordered(order("UPDATED_AT", "DESC")).await,
        owned(&updated).into_iter().rev().collect::<Vec<_>>()
    );
    // Text compares lower-cased: Carol sorts between bob_smith and dave.
    assert_eq!(
        f.ordered(order("USERNAME", "ASC")).await,
        owned(&by_username)
    );
    assert_eq!(
        f.ordered(order("USERNAME", "DESC")).await,
        owned(&by_username).into_iter().rev().collect::<Vec<_>>()
    );
    assert_eq!(
        f.ordered(order("NAME", "ASC")).await,
        owned(&["alice", "bob_smith", "Carol", "erin", "dave"])
    );
    assert_eq!(
        f.ordered(order("NAME", "DESC")).await,
        owned(&["erin", "Carol", "bob_smith", "alice", "dave"])
    );
    // Users without an email come last, tied, by id in the term's direction.
    let mut expected = owned(&["alice", "bob_smith", "erin"]);
    expected.extend(no_email.clone());
    assert_eq!(f.ordered(order("PRIMARY_EMAIL", "ASC")).await, expected);
    no_email.reverse();
    let mut expected = owned(&["erin", "bob_smith", "alice"]);
    expected.extend(no_email);
    assert_eq!(f.ordered(order("PRIMARY_EMAIL", "DESC")).await, expected);
    let mut expected = owned(&["alice", "bob_smith"]);
    expected.extend(never_signed_in.clone());
    assert_eq!(f.ordered(order("LAST_SIGN_IN_AT", "ASC")).await, expected);
    never_signed_in.reverse();
    let mut expected = owned(&["bob_smith", "alice"]);
    expected.extend(never_signed_in);
    assert_eq!(f.ordered(order("LAST_SIGN_IN_AT", "DESC")).await, expected);

    let twice = f
        .query(json!({ "orderBy": [
            { "field": "NAME", "direction": "ASC" },
            { "field": "NAME", "direction": "DESC" } ] }))
        .await;
    assert_eq!(twice.code(), "VALIDATION");
    assert_eq!(twice.field(), Some("orderBy"));
}

#[tokio::test]
async fn ties_are_broken_by_later_terms_then_by_id() {
    let server = TestServer::start().await;
    // Created in the order t-b, t-a, t-c; equal names ignoring case.
    for (id, name) in [("t-b", "Same"), ("t-a", "same"), ("t-c", "SAME")] {
        server
            .create_user(json!({ "id": id, "username": id.replace('-', "_"), "name": name }))
            .await;
    }
    let ids = |order: Value| {
        let server = &server;
        async move {
            let data = server
                .data(
                    "query($o: [UserOrder!]) {
                        users(orderBy: $o, filter: { username: { startsWith: \"t_\" } }) { nodes { id } } }",
                    json!({ "o": order }),
                )
                .await;
            data["users"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let term = |field: &str, direction: &str| json!({ "field": field, "direction": direction });
    assert_eq!(
        ids(json!([term("NAME", "ASC")])).await,
        ["t-a", "t-b", "t-c"]
    );
    assert_eq!(
        ids(json!([term("NAME", "DESC")])).await,
        ["t-c", "t-b", "t-a"]
    );
    assert_eq!(
        ids(json!([term("NAME", "ASC"), term("CREATED_AT", "DESC")])).await,
        ["t-c", "t-a", "t-b"]
    );
    assert_eq!(
        ids(json!([term("NAME", "DESC"), term("CREATED_AT", "ASC")])).await,
        ["t-b", "t-a", "t-c"]
    );
}

/// Every page of the walk, following `endCursor` (forward) or
/// `startCursor` (backward).
async fn walk(f: &Fixture, base: Value, size: i64, forward: bool) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut variables = base.clone();
        if forward {
            variables["first"] = json!(size);
            variables["after"] = json!(cursor);
        } else {
            variables["last"] = json!(size);
            variables["before"] = json!(cursor);
        }
        let data = f.query(variables).await.data();
        let users = &data["users"];
        pages.push(usernames(users));
        let info = &users["pageInfo"];
        let (more, next) = if forward {
            (&info["hasNextPage"], &info["endCursor"])
        } else {
            (&info["hasPreviousPage"], &info["startCursor"])
        };
        if *more == json!(false) {
            return pages;
        }
        cursor = next.as_str().map(str::to_owned);
        assert!(pages.len() < 10, "paging does not end");
    }
}

#[tokio::test]
async fn paging_follows_the_order_both_ways() {
    let f = Fixture::new().await;
    let order = |field: &str, direction: &str| json!({ "orderBy": [{ "field": field, "direction": direction }] });
    let pages = |p: &[&[&str]]| p.iter().map(|page| owned(page)).collect::<Vec<_>>();
    assert_eq!(
        walk(&f, order("USERNAME", "ASC"), 2, true).await,
        pages(&[&["alice", "bob_smith"], &["Carol", "dave"], &["erin"]])
    );
    assert_eq!(
        walk(&f, order("USERNAME", "ASC"), 2, false).await,
        pages(&[&["dave", "erin"], &["bob_smith", "Carol"], &["alice"]])
    );
    // Across the null at the end of the order.
    assert_eq!(
        walk(&f, order("NAME", "DESC"), 2, true).await,
        pages(&[&["erin", "Carol"], &["bob_smith", "alice"], &["dave"]])
    );
    assert_eq!(
        walk(&f, order("NAME", "DESC"), 2, false).await,
        pages(&[&["alice", "dave"], &["Carol", "bob_smith"], &["erin"]])
    );
    // Under a filter as well.
    let mut filtered = order("PRIMARY_EMAIL", "DESC");
    filtered["filter"] = json!({ "primaryEmail": { "isNull": false } });
    assert_eq!(
        walk(&f, filtered, 2, true).await,
        pages(&[&["erin", "bob_smith"], &["alice"]])
    );
}

#[tokio::test]
async fn a_cursor_belongs_to_its_order() {
    let f = Fixture::new().await;
    let order = |field: &str, direction: &str| json!([{ "field": field, "direction": direction }]);
    let data = f
        .query(json!({ "orderBy": order("USERNAME", "ASC"), "first": 2 }))
        .await
        .data();
    let cursor = data["users"]["pageInfo"]["endCursor"].clone();
    let same = f
        .query(json!({ "orderBy": order("USERNAME", "ASC"), "first": 2, "after": cursor }))
        .await
        .data();
    assert_eq!(usernames(&same["users"]), ["Carol", "dave"]);
    for other in [
        order("NAME", "ASC"),
        order("USERNAME", "DESC"),
        Value::Null,
        json!([
            { "field": "USERNAME", "direction": "ASC" },
            { "field": "CREATED_AT", "direction": "ASC" }
        ]),
    ] {
        let refused = f
            .query(json!({ "orderBy": other, "first": 2, "after": cursor }))
            .await;
        assert_eq!(refused.code(), "VALIDATION", "{other}: {}", refused.body);
        assert_eq!(refused.field(), Some("after"));
        let refused = f
            .query(json!({ "orderBy": other, "last": 2, "before": cursor }))
            .await;
        assert_eq!(refused.code(), "VALIDATION", "{other}: {}", refused.body);
        assert_eq!(refused.field(), Some("before"));
    }
}

fn nested_nots(levels: usize, leaf: Value) -> Value {
    let mut filter = leaf;
    for _ in 0..levels {
        filter = json!({ "not": filter });
    }
    filter
}

#[tokio::test]
async fn filters_over_the_limits_are_refused() {
    let f = Fixture::new().await;
    let leaf = json!({ "username": { "eq": "alice" } });
    // 8 levels is the limit; an even number of nots is the leaf itself.
    assert_eq!(f.matching(nested_nots(8, leaf.clone())).await, ["alice"]);
    let deep = f
        .query(json!({ "filter": nested_nots(9, leaf.clone()) }))
        .await;
    assert_filter_error(&deep, "at most 8 levels");
    // An object combining two conditions is a level of its own.
    let two = json!({ "username": { "eq": "alice" }, "hasPassword": true });
    assert_eq!(
        f.matching(nested_nots(7, two.clone())).await,
        sorted(&["bob_smith", "Carol", "dave", "erin"])
    );
    let deep = f.query(json!({ "filter": nested_nots(8, two) })).await;
    assert_filter_error(&deep, "at most 8 levels");

    let wide: Vec<Value> = (0..300)
        .map(|i| json!({ "name": { "eq": format!("n{i}") } }))
        .collect();
    let response = f.query(json!({ "filter": { "or": wide } })).await;
    assert_filter_error(&response, "at most 256 conditions");

    let long = f
        .query(json!({ "filter": { "name": { "contains": "x".repeat(257) } } }))
        .await;
    assert_filter_error(&long, "256 characters");
    let list: Vec<String> = (0..101).map(|i| format!("u{i}")).collect();
    let many = f
        .query(json!({ "filter": { "username": { "in": list } } }))
        .await;
    assert_filter_error(&many, "100 values");
}

#[tokio::test]
async fn absurdly_deep_input_is_refused_before_parsing() {
    let f = Fixture::new().await;
    // Thousands of levels would exhaust the stack of a recursive parser.
    let literal = format!(
        "{{ users(filter: {}{{ isSuspended: true }}{}) {{ totalCount }} }}",
        "{ not: ".repeat(10_000),
        " }".repeat(10_000)
    );
    let response = f.server.graphql(&literal, json!({})).await;
    assert_eq!(response.code(), "LIMIT_EXCEEDED", "{}", response.body);
    assert!(
        response.message().contains("limit of 32"),
        "{}",
        response.message()
    );
    let variables = f
        .query(json!({ "filter": nested_nots(100, json!({ "isSuspended": true })) }))
        .await;
    assert_eq!(variables.code(), "LIMIT_EXCEEDED", "{}", variables.body);
    // Still serving.
    assert_eq!(f.matching(json!({ "isSuspended": true })).await, ["Carol"]);
}
