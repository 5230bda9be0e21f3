//! Search pushdown on the values where SQL and Rust most easily disagree:
//! non-ASCII case mapping, LIKE metacharacters in data and patterns, JSON
//! paths through arrays and nulls, numbers of different spellings, several
//! identity providers, and null sort keys walked both ways. Every answer
//! must equal the reference evaluator's.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, HashMap};

use chrono::{TimeZone, Utc};
use serde_json::{Map, Value, json};
use usergraph_core::eval;
use usergraph_core::filter::{
    JsonOp, RoleMembership, StringField, StringOp, TimeField, TimeOp, UserFilter,
};
use usergraph_core::query::{Direction, Page, UserOrder, UserOrderField, UserSearch};
use usergraph_core::{Identity, Profile, Role, RoleId, Storage, Timestamp, User, UserId, WriteOp};

fn at(seconds: i64) -> Timestamp {
    Utc.timestamp_opt(1_700_000_000 + seconds, 0).unwrap()
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => panic!("not an object"),
    }
}

fn user(
    i: i64,
    name: Option<&str>,
    username: Option<&str>,
    data: Value,
    providers: &[&str],
) -> User {
    let identities: BTreeMap<String, Identity> = providers
        .iter()
        .map(|p| {
            (
                (*p).to_owned(),
                Identity {
                    user_id: format!("{p}-{i}"),
                    details: Map::new(),
                    linked_at: at(i),
                },
            )
        })
        .collect();
    User {
        id: UserId::parse(&format!("U{i:02}x")).unwrap(),
        username: username.map(str::to_owned),
        primary_email: None,
        primary_phone: None,
        name: name.map(str::to_owned),
        avatar: None,
        profile: Profile::default(),
        custom_data: object(data),
        identities,
        password: None,
        is_suspended: false,
        // Shared timestamps make ties that only the id breaks.
        last_sign_in_at: (i % 3 != 0).then(|| at(i % 2)),
        created_at: at(i / 2),
        updated_at: at(i),
        version: 1,
    }
}

fn users() -> Vec<User> {
    vec![
        user(
            0,
            Some("İstanbul"),
            Some("a_1"),
            json!({"n": null, "list": [1, 2]}),
            &["GitHub"],
        ),
        user(
            1,
            Some("ΣΊΣΥΦΟΣ"),
            Some("a%1"),
            json!({"list": {"0": "x"}, "num": 1.0}),
            &["github", "google"],
        ),
        user(
            2,
            Some("σίσυφος"),
            Some("ab1"),
            json!({"num": 1, "s": "Straße İ"}),
            &[],
        ),
        user(
            3,
            Some("100% real"),
            Some("a\\1"),
            json!({"o": {"b": 2, "a": 1}}),
            &["okta"],
        ),
        user(
            4,
            Some("under_score"),
            None,
            json!({"s": "ΣΊΣΥΦΟΣ"}),
            &["Google", "okta"],
        ),
        user(
            5,
            None,
            Some("Zed"),
            json!({"num": 10000000000000000000u64}),
            &[],
        ),
        user(
            6,
            Some("back\\slash"),
            Some("zed2"),
            json!({"deep": {"er": {"est": "Found"}}}),
            &["x.y-z_1"],
        ),
        user(7, Some("ǅemal"), Some("éclair"), json!({}), &["GITHUB"]),
    ]
}

fn s(field: StringField, op: StringOp, case_sensitive: bool) -> UserFilter {
    UserFilter::String {
        field,
        op,
        case_sensitive,
    }
}

fn cd(path: &[&str], op: JsonOp) -> UserFilter {
    UserFilter::CustomData {
        path: path.iter().map(|p| (*p).to_owned()).collect(),
        op,
    }
}

fn filters(roles: &[RoleId]) -> Vec<UserFilter> {
    use StringField::*;
    use StringOp::*;
    let ci = |field, op| s(field, op, false);
    let cs = |field, op| s(field, op, true);
    let mut all = vec![
        ci(Name, Eq("i̇stanbul".into())),
        ci(Name, Eq("İSTANBUL".into())),
        ci(Name, Contains("ς".into())),
        ci(Name, EndsWith("ος".into())),
        ci(Name, Eq("ǆemal".into())),
        cs(Name, StartsWith("ǅ".into())),
        ci(Name, Contains("%".into())),
        ci(Name, Contains("_".into())),
        ci(Name, Contains("\\".into())),
        ci(Name, StartsWith("100%".into())),
        ci(Name, Like("100\\% %".into())),
        ci(Name, Like("under\\_score".into())),
        ci(Name, Like("back\\\\slash".into())),
        ci(Name, Like("%\\".into())),
        ci(Name, Like("_______".into())),
        ci(Username, Like("a_1".into())),
        ci(Username, Like("a\\_1".into())),
        ci(Username, Like("a\\%1".into())),
        ci(Username, Eq("a\\1".into())),
        ci(Username, In(vec!["ZED".into(), "ÉCLAIR".into()])),
        cs(Username, In(vec!["ZED".into(), "zed2".into()])),
        ci(Username, Ne("zed".into())),
        ci(Username, IsNull(true)),
        ci(Id, Contains("u0".into())),
        cs(Id, Contains("u0".into())),
        ci(Id, Eq("u03X".into())),
        ci(IdentityProvider, Eq("github".into())),
        cs(IdentityProvider, Eq("github".into())),
        ci(IdentityProvider, Ne("github".into())),
        cs(IdentityProvider, Ne("github".into())),
        ci(IdentityProvider, IsNull(true)),
        ci(IdentityProvider, IsNull(false)),
        ci(IdentityProvider, In(vec!["OKTA".into(), "nope".into()])),
        ci(IdentityProvider, Contains("G".into())),
        cs(IdentityProvider, StartsWith("G".into())),
        ci(IdentityProvider, Like("x._-z\\_1".into())),
        ci(IdentityProvider, Like("x.y-z\\_1".into())),
        ci(PrimaryEmail, Ne("x".into())),
        ci(PrimaryPhone, IsNull(false)),
        cd(&["n"], JsonOp::Exists(true)),
        cd(&["n"], JsonOp::Eq(Value::Null)),
        cd(&["n"], JsonOp::Ne(Value::Null)),
        cd(&["list", "0"], JsonOp::Exists(true)),
        cd(&["list", "0"], JsonOp::Eq(json!(1))),
        cd(&["list"], JsonOp::Eq(json!([1.0, 2]))),
        cd(&["num"], JsonOp::Eq(json!(1))),
        cd(&["num"], JsonOp::Eq(json!(1.0))),
        cd(&["num"], JsonOp::Ne(json!(1))),
        cd(&["num"], JsonOp::Eq(json!(10000000000000000000u64))),
        cd(&["o"], JsonOp::Eq(json!({"a": 1, "b": 2.0}))),
        cd(&["o", "a"], JsonOp::Exists(false)),
        cd(&[], JsonOp::Eq(json!({}))),
        cd(&[], JsonOp::Eq(json!({"num": 1, "s": "Straße İ"}))),
        cd(&[], JsonOp::Exists(true)),
        cd(&["s"], JsonOp::Contains("STRASSE".into())),
        cd(&["s"], JsonOp::Contains("straße i̇".into())),
        cd(&["s"], JsonOp::Contains("ίσυφος".into())),
        cd(&["s"], JsonOp::Contains("σ".into())),
        cd(&["num"], JsonOp::Contains("1".into())),
        cd(&["deep", "er", "est"], JsonOp::Contains("".into())),
        cd(&["deep", "er"], JsonOp::Contains("found".into())),
        UserFilter::Time {
            field: TimeField::LastSignInAt,
            op: TimeOp::Gte(at(1)),
        },
        UserFilter::Time {
            field: TimeField::LastSignInAt,
            op: TimeOp::IsNull(true),
        },
        UserFilter::Roles(RoleMembership {
            all: Some(vec![roles[0].clone(), roles[0].clone(), roles[1].clone()]),
            ..RoleMembership::default()
        }),
        UserFilter::Roles(RoleMembership {
            any: Some(vec![]),
            ..RoleMembership::default()
        }),
        UserFilter::Roles(RoleMembership {
            all: Some(vec![]),
            none: Some(vec![roles[1].clone()]),
            ..RoleMembership::default()
        }),
        UserFilter::Or(vec![]),
        UserFilter::And(vec![]),
    ];
    // Negation must be exact on every one: two-valued, never SQL's unknown.
    let negated: Vec<UserFilter> = all
        .iter()
        .map(|f| UserFilter::Not(Box::new(f.clone())))
        .collect();
    all.extend(negated);
    all
}

fn orders() -> Vec<Vec<UserOrder>> {
    use Direction::{Asc, Desc};
    use UserOrderField::*;
    let term = |field, direction| UserOrder { field, direction };
    vec![
        vec![UserOrder::DEFAULT],
        vec![term(Name, Asc)],
        vec![term(Name, Desc)],
        vec![term(LastSignInAt, Asc), term(CreatedAt, Desc)],
        vec![term(LastSignInAt, Desc), term(Username, Asc)],
        vec![term(Username, Desc), term(LastSignInAt, Asc)],
    ]
}

fn ids(page: &Page<User>) -> Vec<String> {
    page.items.iter().map(|u| u.id.to_string()).collect()
}

#[tokio::test]
async fn tricky_values_search_exactly_like_the_evaluator() {
    let (storage, _guard) = common::fresh().await;
    let users = users();
    let role = |i: i64| Role {
        id: RoleId::parse(&format!("role{i}")).unwrap(),
        name: format!("Role {i}"),
        description: None,
        permissions: vec![],
        is_default: false,
        created_at: at(0),
        updated_at: at(0),
        version: 1,
    };
    let roles = [role(0), role(1)];
    let mut ops: Vec<WriteOp> = roles
        .iter()
        .map(|r| WriteOp::InsertRole(Box::new(r.clone())))
        .collect();
    let mut held: HashMap<UserId, Vec<RoleId>> = HashMap::new();
    for (i, u) in users.iter().enumerate() {
        ops.push(WriteOp::InsertUser(Box::new(u.clone())));
        let mine: Vec<RoleId> = roles
            .iter()
            .enumerate()
            .filter(|(r, _)| (i + r) % 3 != 0)
            .map(|(_, role)| role.id.clone())
            .collect();
        ops.push(WriteOp::AssignRoles {
            user_id: u.id.clone(),
            role_ids: mine.clone(),
        });
        held.insert(u.id.clone(), mine);
    }
    storage.commit(ops).await.unwrap();
    let stored = storage
        .users(&users.iter().map(|u| u.id.clone()).collect::<Vec<_>>())
        .await
        .unwrap();
    assert_eq!(stored.len(), users.len());

    let role_ids: Vec<RoleId> = roles.iter().map(|r| r.id.clone()).collect();
    let mut partial = 0;
    for filter in filters(&role_ids) {
        for order in orders() {
            for backward in [false, true] {
                let search = |after, limit| UserSearch {
                    filter: filter.clone(),
                    order: order.clone(),
                    after,
                    backward,
                    limit,
                    count_total: true,
                };
                let reference = |search: &UserSearch| {
                    eval::search_users(stored.iter().map(|u| (u, held[&u.id].as_slice())), search)
                };
                let whole = search(None, 100);
                let expected = reference(&whole);
                let actual = storage.search_users(&whole).await.unwrap();
                let context = format!("{filter:?} {order:?} backward={backward}");
                assert_eq!(ids(&actual), ids(&expected), "{context}");
                assert_eq!(actual.total, expected.total, "{context}");
                if !expected.items.is_empty() && expected.items.len() < users.len() {
                    partial += 1;
                }
                // Walk pages of two through every cursor position.
                let mut after = None;
                let mut walked = Vec::new();
                loop {
                    let page = storage
                        .search_users(&search(after.clone(), 2))
                        .await
                        .unwrap();
                    assert_eq!(
                        ids(&page),
                        ids(&reference(&search(after.clone(), 2))),
                        "{context} after {after:?}"
                    );
                    let Some(last) = page.items.last() else { break };
                    after = Some(eval::sort_key(last, &order));
                    walked.extend(ids(&page));
                }
                assert_eq!(walked, ids(&expected), "{context}");
            }
        }
    }
    assert!(partial > 300, "the filters discriminate ({partial})");
}

#[tokio::test]
async fn records_round_trip_unchanged() {
    let (storage, _guard) = common::fresh().await;
    let users = users();
    let ops = users
        .iter()
        .map(|u| WriteOp::InsertUser(Box::new(u.clone())))
        .collect();
    storage.commit(ops).await.unwrap();
    for u in &users {
        assert_eq!(storage.user(&u.id).await.unwrap().as_ref(), Some(u));
    }
}
