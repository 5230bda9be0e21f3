//! Search pushdown on the values where SQL and Rust most easily disagree:
//! non-ASCII case mapping, LIKE metacharacters in data and patterns, JSON
//! paths through arrays and nulls, numbers of different spellings, several
//! identity providers, and null sort keys walked both ways. Every answer
//! must equal the reference evaluator's.

#![allow(clippy::unwrap_used, clippy::expect_used)]

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
        // Regexes: folded pattern against the folded key, ARE against Rust.
        ci(Name, Regex("^i̇stanbul$".into())),
        ci(Name, Regex("^İSTANBUL$".into())),
        cs(Name, Regex("^İ".into())),
        ci(Name, Regex("ς$".into())),
        ci(Name, Regex("^[Σσ]".into())),
        ci(Name, Regex("ΟΣ$".into())),
        cs(Name, Regex("ΟΣ$".into())),
        ci(Name, Regex("^[İI]".into())),
        cs(Name, Regex("[Α-Ω]{3}".into())),
        ci(Name, Regex("[Α-Ω]{3}".into())),
        cs(Name, Regex("^[^a-z]+$".into())),
        ci(Name, Regex("\\d+% ".into())),
        ci(Name, Regex("\\\\".into())),
        ci(Name, Regex("_|%".into())),
        ci(Name, Regex("^.{7}$".into())),
        ci(Name, Regex("^(back|under)[\\\\_]s".into())),
        ci(Name, Regex("(er|ǆ)".into())),
        cs(Name, Regex("\\W".into())),
        ci(Name, Regex("^\\w+$".into())),
        ci(Username, Regex("^a[%_\\\\]1$".into())),
        ci(Username, Regex("^a.1$".into())),
        ci(Username, Regex("^(z|é)".into())),
        cs(Username, Regex("^Z".into())),
        ci(Username, Regex("".into())),
        ci(Id, Regex("^u0[1-3]x$".into())),
        cs(Id, Regex("^u0[1-3]x$".into())),
        ci(IdentityProvider, Regex("^git".into())),
        cs(IdentityProvider, Regex("^G".into())),
        ci(IdentityProvider, Regex("\\.y-z_\\d$".into())),
        ci(IdentityProvider, Regex("^(?:g[a-z]+){1,2}$".into())),
        ci(PrimaryEmail, Regex("".into())),
        // similarTo: whole value; `%`, `_` wild; `.`, `^`, `$` literal.
        ci(Name, SimilarTo("%ς".into())),
        ci(Name, SimilarTo("100\\% %".into())),
        ci(Name, SimilarTo("under_score".into())),
        ci(Name, SimilarTo("%(slash|score)".into())),
        ci(Name, SimilarTo("_______".into())),
        ci(Name, SimilarTo("%.%".into())),
        ci(Name, SimilarTo("[a-zǆ]%".into())),
        ci(Username, SimilarTo("a[%_]1".into())),
        ci(Username, SimilarTo("a\\%1".into())),
        ci(Username, SimilarTo("a\\\\1".into())),
        cs(Username, SimilarTo("Z%".into())),
        ci(Username, SimilarTo("z%".into())),
        ci(Username, SimilarTo("(a|z)_{1,2}".into())),
        ci(IdentityProvider, SimilarTo("g%".into())),
        cs(IdentityProvider, SimilarTo("x.y-z\\_1".into())),
        ci(IdentityProvider, SimilarTo("x_y%".into())),
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
                    count_limit: Some(u64::MAX),
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

/// PostgreSQL's `~` with core's ARE rendering must say what the `regex`
/// crate says with core's Rust rendering, for every pattern of the subset
/// (every escapable character, in and out of brackets) over values that
/// hold every one of them. The largest patterns validation accepts must
/// also run, and quickly.
#[tokio::test]
async fn rendered_regexes_mean_the_same_to_postgres() {
    use sqlx::Connection;
    use usergraph_core::filter::pattern::{Dialect, Pattern};
    let mut conn = sqlx::PgConnection::connect(&common::database_url())
        .await
        .unwrap();
    let punctuation: Vec<char> = (' '..='~').filter(char::is_ascii_punctuation).collect();
    let mut patterns: Vec<(Dialect, String)> = Vec::new();
    for c in &punctuation {
        patterns.push((Dialect::Regex, format!("\\{c}")));
        patterns.push((Dialect::Regex, format!("[\\{c}]")));
        patterns.push((Dialect::Regex, format!("[^\\{c}a-z]")));
        patterns.push((Dialect::Regex, format!("^[!-\\{c}]+$")));
        patterns.push((Dialect::SimilarTo, format!("%\\{c}%")));
        patterns.push((Dialect::SimilarTo, format!("%[\\{c}]_")));
    }
    for source in [
        "",
        "^$",
        "a",
        "^a",
        "a$",
        "^A.c$",
        ".",
        "^.$",
        "^..$",
        "a.c",
        "[a-c]+",
        "^[^a-c]*$",
        "\\d",
        "\\D",
        "\\w",
        "\\W",
        "\\s",
        "\\S",
        "[\\d\\s]",
        "^(ab|c)+$",
        "^(?:ab|c){2,3}$",
        "b{2}",
        "b{2,}",
        "^a?b*c+$",
        "x|y|ß",
        "é|😀",
        "^[à-ÿ]$",
        "[Α-Ω]",
        "[ǅ-ǆ]",
        "İ",
        "i̇",
        "a^b",
        "a$b",
        "-",
        "[-]",
        "[a-]",
        "[-a]",
        "(.*a){20}",
        "[\u{1}-\u{10FFFF}]{100}",
        "((a{10}){10}){20}",
        "([ACEGIKMOQSUWY]{100}){10}",
        "(a|aa)*b",
        "((a|b)*c){50}",
    ] {
        patterns.push((Dialect::Regex, source.to_owned()));
    }
    for source in [
        "",
        "%",
        "_",
        "a%",
        "%c",
        "a_c",
        "(a|b)%",
        "[a-c]{2}%",
        "a.c",
        "^a$",
        "%(.)%",
        "100\\%",
        "a\\_c",
        "(ab|c){1,3}",
        "[%_]+",
        "x*y?z+",
    ] {
        patterns.push((Dialect::SimilarTo, source.to_owned()));
    }
    let mut values: Vec<String> = punctuation
        .iter()
        .map(|c| format!("a{c}c"))
        .chain(punctuation.iter().map(|c| c.to_string()))
        .collect();
    values.extend(
        [
            "",
            "a",
            "abc",
            "ABC",
            "aAbBc",
            "ab",
            "abab",
            "cab",
            "b",
            "bb",
            "bbb",
            "x",
            "ß",
            "SS",
            "é",
            "É",
            "😀",
            "ΣΊΣΥΦΟΣ",
            "σίσυφος",
            "İstanbul",
            "ǅ",
            "ǆemal",
            "a\nc",
            "a\tc",
            "123",
            "a1_",
            "\u{a0}",
            "a b",
            "100%",
            "a_c",
            "a%c",
            "aaab",
        ]
        .map(str::to_owned),
    );
    values.push("a".repeat(100));
    values.push("ac".repeat(60));
    for case_sensitive in [true, false] {
        let keyed: Vec<String> = values
            .iter()
            .map(|v| {
                if case_sensitive {
                    v.clone()
                } else {
                    usergraph_core::validate::identifier_key(v)
                }
            })
            .collect();
        for (dialect, source) in &patterns {
            let context = format!("{dialect:?} {source:?} case_sensitive={case_sensitive}");
            let regex = eval::compile_pattern(*dialect, source, case_sensitive)
                .unwrap_or_else(|err| panic!("{context}: {err}"));
            let expected: Vec<bool> = keyed.iter().map(|v| regex.is_match(v)).collect();
            let are = Pattern::for_matching(*dialect, source, case_sensitive)
                .unwrap()
                .to_posix_are();
            let started = std::time::Instant::now();
            let actual: Vec<bool> = sqlx::query_scalar(
                "SELECT v ~ $1 FROM unnest($2::text[]) WITH ORDINALITY AS t(v, i) ORDER BY i",
            )
            .bind(&are)
            .bind(&keyed)
            .fetch_all(&mut conn)
            .await
            .unwrap_or_else(|err| panic!("{context} as {are:?}: {err}"));
            assert!(
                started.elapsed() < std::time::Duration::from_secs(2),
                "{context} as {are:?} is slow: {:?}",
                started.elapsed()
            );
            for ((value, want), got) in keyed.iter().zip(&expected).zip(&actual) {
                assert_eq!(got, want, "{context} as {are:?} on {value:?}");
            }
        }
    }
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

/// A one-term order on a nullable field walks a never-null key of its own
/// (flag, value or fallback, id): a long walk, forward and backward, each
/// direction, must cross from values into nulls (and back) exactly where
/// the evaluator does, with no user skipped or repeated on either side.
#[tokio::test]
async fn deep_walks_cross_the_null_boundary_like_the_evaluator() {
    use Direction::{Asc, Desc};
    use UserOrderField::{LastSignInAt, Name, PrimaryEmail, Username};
    let (storage, _guard) = common::fresh().await;
    let count = 150;
    let users: Vec<User> = (0..count)
        .map(|i| {
            // Values out of id order, with mixed case and case-folding ties
            // on names, so that neither the id nor the raw value decides.
            let spread = (i * 37) % count;
            let name =
                (i % 4 != 0).then(|| format!("{}ame{}", ["N", "n"][(i % 2) as usize], spread % 9));
            let username = (i % 3 != 0).then(|| format!("User{spread:03}"));
            let mut u = user(i, name.as_deref(), username.as_deref(), json!({}), &[]);
            u.primary_email = (i % 5 != 0).then(|| format!("E{spread:03}@example.com"));
            u.last_sign_in_at = (i % 6 != 0).then(|| at(spread % 7));
            u
        })
        .collect();
    let ops = users
        .iter()
        .map(|u| WriteOp::InsertUser(Box::new(u.clone())))
        .collect();
    storage.commit(ops).await.unwrap();
    let stored = storage
        .users(&users.iter().map(|u| u.id.clone()).collect::<Vec<_>>())
        .await
        .unwrap();
    for field in [Username, Name, PrimaryEmail, LastSignInAt] {
        for direction in [Asc, Desc] {
            for backward in [false, true] {
                let order = vec![UserOrder { field, direction }];
                let search = |after, limit| UserSearch {
                    filter: UserFilter::All,
                    order: order.clone(),
                    after,
                    backward,
                    limit,
                    count_limit: None,
                };
                let reference = |search: &UserSearch| {
                    eval::search_users(stored.iter().map(|u| (u, &[][..])), search)
                };
                let expected = ids(&reference(&search(None, 1000)));
                assert_eq!(expected.len(), stored.len());
                let context = format!("{order:?} backward={backward}");
                let mut after = None;
                let mut walked = Vec::new();
                loop {
                    let page = storage
                        .search_users(&search(after.clone(), 7))
                        .await
                        .unwrap();
                    assert_eq!(
                        ids(&page),
                        ids(&reference(&search(after.clone(), 7))),
                        "{context} after {after:?}"
                    );
                    let Some(last) = page.items.last() else { break };
                    after = Some(eval::sort_key(last, &order));
                    walked.extend(ids(&page));
                }
                assert_eq!(walked, expected, "{context}");
            }
        }
    }
}
