use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use serde_json::{Map, Value, json};

use super::*;
use crate::filter::{JsonOp, RoleMembership, StringField, StringOp, TimeField, TimeOp};
use crate::ids::{LogId, UserId};
use crate::model::{Identity, LogResult, PasswordAlgorithm, PasswordDigest, Profile};
use crate::query::{Direction, LogFilter, SortValue, UserOrderField};
use crate::time::Timestamp;

fn at(seconds: i64) -> Timestamp {
    Utc.timestamp_opt(1_700_000_000 + seconds, 0).unwrap()
}

fn user(id: &str, created: i64) -> User {
    User {
        id: UserId::parse(id).unwrap(),
        username: None,
        primary_email: None,
        primary_phone: None,
        name: None,
        avatar: None,
        profile: Profile::default(),
        custom_data: Map::new(),
        identities: BTreeMap::new(),
        password: None,
        is_suspended: false,
        last_sign_in_at: None,
        created_at: at(created),
        updated_at: at(created),
        version: 1,
    }
}

fn alice() -> User {
    let mut u = user("alice1", 10);
    u.username = Some("Alice".into());
    u.primary_email = Some("Alice@Example.com".into());
    u.primary_phone = Some("15551234567".into());
    u.name = Some("Alice Liddell".into());
    u.identities.insert(
        "google".into(),
        Identity {
            user_id: "g-1".into(),
            details: Map::new(),
            linked_at: at(11),
        },
    );
    u.identities.insert(
        "GitHub".into(),
        Identity {
            user_id: "gh-1".into(),
            details: Map::new(),
            linked_at: at(12),
        },
    );
    u.custom_data = match json!({"plan": "Pro Annual", "seats": 5, "org": {"tier": "gold", "n": null}})
    {
        Value::Object(map) => map,
        _ => unreachable!(),
    };
    u.password = Some(PasswordDigest {
        algorithm: PasswordAlgorithm::Argon2id,
        digest: "$argon2id$...".into(),
    });
    u.last_sign_in_at = Some(at(50));
    u
}

fn s(field: StringField, op: StringOp) -> UserFilter {
    UserFilter::String {
        field,
        op,
        case_sensitive: false,
    }
}

fn cs(field: StringField, op: StringOp) -> UserFilter {
    UserFilter::String {
        field,
        op,
        case_sensitive: true,
    }
}

fn rid(id: &str) -> RoleId {
    RoleId::parse(id).unwrap()
}

fn m(user: &User, filter: &UserFilter) -> bool {
    matches(user, &[], filter)
}

#[test]
fn string_ops_ignore_case_unless_asked() {
    let a = alice();
    assert!(m(
        &a,
        &s(StringField::Username, StringOp::Eq("alice".into()))
    ));
    assert!(!m(
        &a,
        &cs(StringField::Username, StringOp::Eq("alice".into()))
    ));
    assert!(m(
        &a,
        &cs(StringField::Username, StringOp::Eq("Alice".into()))
    ));
    assert!(m(
        &a,
        &s(
            StringField::PrimaryEmail,
            StringOp::EndsWith("EXAMPLE.COM".into())
        )
    ));
    assert!(!m(
        &a,
        &cs(
            StringField::PrimaryEmail,
            StringOp::EndsWith("EXAMPLE.COM".into())
        )
    ));
    assert!(m(
        &a,
        &s(StringField::Name, StringOp::StartsWith("alice l".into()))
    ));
    assert!(m(
        &a,
        &s(StringField::PrimaryPhone, StringOp::Contains("5512".into()))
    ));
    assert!(m(
        &a,
        &s(
            StringField::Id,
            StringOp::In(vec!["x".into(), "ALICE1".into()])
        )
    ));
    assert!(!m(
        &a,
        &cs(
            StringField::Id,
            StringOp::In(vec!["x".into(), "ALICE1".into()])
        )
    ));
    assert!(m(
        &a,
        &s(StringField::Name, StringOp::Like("%LIDD%".into()))
    ));
    assert!(!m(
        &a,
        &cs(StringField::Name, StringOp::Like("%LIDD%".into()))
    ));
    assert!(m(
        &a,
        &s(StringField::Username, StringOp::Like("a_ic_".into()))
    ));
    assert!(!m(
        &a,
        &s(StringField::Username, StringOp::Ne("ALICE".into()))
    ));
    assert!(m(&a, &s(StringField::Username, StringOp::Ne("bob".into()))));
}

#[test]
fn null_fields_match_only_ne_and_is_null() {
    let bare = user("bare", 1);
    for op in [
        StringOp::Eq("x".into()),
        StringOp::In(vec!["x".into()]),
        StringOp::Contains(String::new()),
        StringOp::StartsWith(String::new()),
        StringOp::EndsWith(String::new()),
        StringOp::Like("%".into()),
        StringOp::IsNull(false),
    ] {
        for field in [
            StringField::Username,
            StringField::PrimaryEmail,
            StringField::PrimaryPhone,
            StringField::Name,
            StringField::IdentityProvider,
        ] {
            assert!(!m(&bare, &s(field, op.clone())), "{field:?} {op:?}");
            assert!(
                m(&bare, &UserFilter::Not(Box::new(s(field, op.clone())))),
                "not {field:?} {op:?}"
            );
        }
    }
    assert!(m(&bare, &s(StringField::Name, StringOp::Ne("x".into()))));
    assert!(m(&bare, &s(StringField::Name, StringOp::IsNull(true))));
    assert!(!m(&alice(), &s(StringField::Name, StringOp::IsNull(true))));
    assert!(m(&alice(), &s(StringField::Name, StringOp::IsNull(false))));
    // The id is never null.
    assert!(!m(&bare, &s(StringField::Id, StringOp::IsNull(true))));
}

#[test]
fn identity_provider_matches_any_linked_provider() {
    let a = alice();
    let bare = user("bare", 1);
    let provider = |op| s(StringField::IdentityProvider, op);
    assert!(m(&a, &provider(StringOp::Eq("github".into()))));
    assert!(!m(
        &a,
        &cs(StringField::IdentityProvider, StringOp::Eq("github".into()))
    ));
    assert!(m(&a, &provider(StringOp::Eq("google".into()))));
    assert!(!m(&a, &provider(StringOp::Eq("apple".into()))));
    assert!(m(&a, &provider(StringOp::StartsWith("goo".into()))));
    // ne: no provider equals, so a user with google is not `ne google`.
    assert!(!m(&a, &provider(StringOp::Ne("google".into()))));
    assert!(m(&a, &provider(StringOp::Ne("apple".into()))));
    assert!(m(&bare, &provider(StringOp::Ne("google".into()))));
    assert!(m(&bare, &provider(StringOp::IsNull(true))));
    assert!(!m(&a, &provider(StringOp::IsNull(true))));
}

#[test]
fn boolean_combinators_and_flags() {
    let a = alice();
    let bare = user("bare", 1);
    let yes = UserFilter::HasPassword(true);
    let no = UserFilter::IsSuspended(true);
    assert!(m(&a, &UserFilter::All));
    assert!(m(&a, &UserFilter::And(vec![])));
    assert!(!m(&a, &UserFilter::Or(vec![])));
    assert!(m(
        &a,
        &UserFilter::And(vec![yes.clone(), UserFilter::IsSuspended(false)])
    ));
    assert!(!m(&a, &UserFilter::And(vec![yes.clone(), no.clone()])));
    assert!(m(&a, &UserFilter::Or(vec![no.clone(), yes.clone()])));
    assert!(m(&a, &UserFilter::Not(Box::new(no))));
    assert!(!m(&bare, &yes));
    assert!(m(&bare, &UserFilter::HasPassword(false)));
}

#[test]
fn role_membership_any_all_none() {
    let a = alice();
    let held = [rid("admin"), rid("editor")];
    let roles = |any: Option<&[&str]>, all: Option<&[&str]>, none: Option<&[&str]>| {
        let ids = |list: Option<&[&str]>| list.map(|l| l.iter().map(|i| rid(i)).collect());
        UserFilter::Roles(RoleMembership {
            any: ids(any),
            all: ids(all),
            none: ids(none),
        })
    };
    let check = |f: &UserFilter| matches(&a, &held, f);
    assert!(check(&roles(Some(&["viewer", "editor"]), None, None)));
    assert!(!check(&roles(Some(&["viewer"]), None, None)));
    assert!(!check(&roles(Some(&[]), None, None)));
    assert!(check(&roles(None, Some(&["admin", "editor"]), None)));
    assert!(!check(&roles(None, Some(&["admin", "viewer"]), None)));
    assert!(check(&roles(None, Some(&[]), None)));
    assert!(check(&roles(None, None, Some(&["viewer"]))));
    assert!(!check(&roles(None, None, Some(&["viewer", "admin"]))));
    assert!(!check(&roles(Some(&["admin"]), None, Some(&["editor"]))));
    assert!(check(&roles(None, None, None)));
    assert!(!matches(&a, &[], &roles(Some(&["admin"]), None, None)));
    assert!(uses_roles(&UserFilter::Not(Box::new(roles(
        None, None, None
    )))));
    assert!(!uses_roles(&UserFilter::simple_search("x")));
}

#[test]
fn time_ops_are_false_on_null() {
    let a = alice();
    let bare = user("bare", 1);
    let t = |field, op| UserFilter::Time { field, op };
    assert!(m(&a, &t(TimeField::CreatedAt, TimeOp::Gt(at(9)))));
    assert!(!m(&a, &t(TimeField::CreatedAt, TimeOp::Gt(at(10)))));
    assert!(m(&a, &t(TimeField::CreatedAt, TimeOp::Gte(at(10)))));
    assert!(m(&a, &t(TimeField::UpdatedAt, TimeOp::Lte(at(10)))));
    assert!(!m(&a, &t(TimeField::UpdatedAt, TimeOp::Lt(at(10)))));
    assert!(m(&a, &t(TimeField::LastSignInAt, TimeOp::Lt(at(51)))));
    assert!(!m(&bare, &t(TimeField::LastSignInAt, TimeOp::Lt(at(51)))));
    assert!(!m(&bare, &t(TimeField::LastSignInAt, TimeOp::Gt(at(0)))));
    assert!(m(&bare, &t(TimeField::LastSignInAt, TimeOp::IsNull(true))));
    assert!(!m(&a, &t(TimeField::LastSignInAt, TimeOp::IsNull(true))));
    assert!(!m(&a, &t(TimeField::CreatedAt, TimeOp::IsNull(true))));
}

#[test]
fn custom_data_paths() {
    let a = alice();
    let bare = user("bare", 1);
    let path = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let cd = |p: &[&str], op| UserFilter::CustomData { path: path(p), op };
    assert!(m(&a, &cd(&["seats"], JsonOp::Eq(json!(5)))));
    assert!(m(&a, &cd(&["seats"], JsonOp::Eq(json!(5.0)))));
    assert!(!m(&a, &cd(&["seats"], JsonOp::Eq(json!("5")))));
    assert!(m(&a, &cd(&["org", "tier"], JsonOp::Eq(json!("gold")))));
    assert!(!m(&a, &cd(&["org", "tier"], JsonOp::Eq(json!("GOLD")))));
    assert!(!m(&a, &cd(&["org", "tier"], JsonOp::Ne(json!("gold")))));
    assert!(m(&a, &cd(&["org", "tier"], JsonOp::Ne(json!("silver")))));
    assert!(m(&bare, &cd(&["org", "tier"], JsonOp::Ne(json!("gold")))));
    assert!(m(&a, &cd(&["org", "n"], JsonOp::Exists(true))));
    assert!(m(&a, &cd(&["org", "n"], JsonOp::Eq(Value::Null))));
    assert!(m(&a, &cd(&["org", "missing"], JsonOp::Exists(false))));
    assert!(!m(&a, &cd(&["seats", "x"], JsonOp::Exists(true))));
    assert!(m(&a, &cd(&["plan"], JsonOp::Contains("pro ann".into()))));
    assert!(!m(&a, &cd(&["seats"], JsonOp::Contains("5".into()))));
    assert!(!m(&bare, &cd(&["plan"], JsonOp::Contains(String::new()))));
}

fn order(field: UserOrderField, direction: Direction) -> UserOrder {
    UserOrder { field, direction }
}

fn search(filter: UserFilter, order: Vec<UserOrder>, limit: usize) -> UserSearch {
    UserSearch {
        filter,
        order,
        after: None,
        backward: false,
        limit,
        count_limit: Some(u64::MAX),
    }
}

fn ids(page: &Page<User>) -> Vec<&str> {
    page.items.iter().map(|u| u.id.as_str()).collect()
}

fn named(id: &str, created: i64, name: Option<&str>) -> User {
    let mut u = user(id, created);
    u.name = name.map(str::to_owned);
    u
}

#[test]
fn default_order_is_newest_first_with_ties_by_id_descending() {
    let users = [user("a", 1), user("b", 3), user("c", 3), user("d", 2)];
    let roles: Vec<RoleId> = Vec::new();
    let all = users.iter().map(|u| (u, roles.as_slice()));
    let page = search_users(all, &search(UserFilter::All, vec![UserOrder::DEFAULT], 10));
    assert_eq!(ids(&page), ["c", "b", "d", "a"]);
    assert_eq!(page.total, Some(4));
}

#[test]
fn text_orders_are_case_insensitive_with_nulls_last_both_ways() {
    let users = [
        named("u1", 1, Some("bob")),
        named("u2", 2, None),
        named("u3", 3, Some("Alice")),
        named("u4", 4, Some("carol")),
        named("u5", 5, Some("ALICE")),
        named("u6", 6, None),
    ];
    let empty: Vec<RoleId> = Vec::new();
    let run = |direction| {
        let all = users.iter().map(|u| (u, empty.as_slice()));
        let page = search_users(
            all,
            &search(
                UserFilter::All,
                vec![order(UserOrderField::Name, direction)],
                10,
            ),
        );
        ids(&page)
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(run(Direction::Asc), ["u3", "u5", "u1", "u4", "u2", "u6"]);
    assert_eq!(run(Direction::Desc), ["u4", "u1", "u5", "u3", "u6", "u2"]);
}

#[test]
fn paging_after_a_key_continues_without_gaps_or_duplicates() {
    let users: Vec<User> = (0..25)
        .map(|i| {
            named(
                &format!("u{i:02}"),
                i % 7,
                (i % 3 != 0).then(|| ["x", "Y", "z"][i as usize % 3]),
            )
        })
        .collect();
    let empty: Vec<RoleId> = Vec::new();
    for terms in [
        vec![UserOrder::DEFAULT],
        vec![order(UserOrderField::Name, Direction::Asc)],
        vec![
            order(UserOrderField::Name, Direction::Desc),
            order(UserOrderField::CreatedAt, Direction::Asc),
        ],
    ] {
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let mut q = search(UserFilter::All, terms.clone(), 4);
            q.after = after.clone();
            let page = search_users(users.iter().map(|u| (u, empty.as_slice())), &q);
            let Some(last) = page.items.last() else { break };
            after = Some(sort_key(last, &terms));
            seen.extend(page.items.iter().map(|u| u.id.clone()));
        }
        let mut full = search(UserFilter::All, terms.clone(), 100);
        full.count_limit = None;
        let everything = search_users(users.iter().map(|u| (u, empty.as_slice())), &full);
        assert_eq!(everything.total, None);
        let expected: Vec<UserId> = everything.items.iter().map(|u| u.id.clone()).collect();
        assert_eq!(seen, expected, "{terms:?}");
        assert_eq!(seen.len(), 25);
    }
}

#[test]
fn count_ignores_cursor_and_limit_but_respects_filter() {
    let users = [alice(), user("b", 1), user("c", 2)];
    let empty: Vec<RoleId> = Vec::new();
    let mut q = search(UserFilter::HasPassword(false), vec![UserOrder::DEFAULT], 1);
    q.after = Some(sort_key(&users[2], &q.order));
    let page = search_users(users.iter().map(|u| (u, empty.as_slice())), &q);
    assert_eq!(ids(&page), ["b"]);
    assert_eq!(page.total, Some(2));
}

#[test]
fn sort_keys_lowercase_text_and_carry_times() {
    let a = alice();
    let key = sort_key(
        &a,
        &[
            order(UserOrderField::Username, Direction::Asc),
            order(UserOrderField::PrimaryEmail, Direction::Asc),
            order(UserOrderField::LastSignInAt, Direction::Desc),
            order(UserOrderField::UpdatedAt, Direction::Desc),
        ],
    );
    assert_eq!(
        key.values,
        [
            SortValue::Text(Some("alice".into())),
            SortValue::Text(Some("alice@example.com".into())),
            SortValue::Time(Some(at(50))),
            SortValue::Time(Some(at(10))),
        ]
    );
    assert_eq!(key.id.as_str(), "alice1");
}

#[test]
fn ties_break_by_id_in_the_last_terms_direction() {
    let terms_asc = [order(UserOrderField::Name, Direction::Asc)];
    let terms_desc = [
        order(UserOrderField::Name, Direction::Asc),
        order(UserOrderField::UpdatedAt, Direction::Desc),
    ];
    let a = sort_key(&named("a", 1, Some("same")), &terms_asc);
    let b = sort_key(&named("b", 1, Some("SAME")), &terms_asc);
    assert_eq!(compare(&a, &b, &terms_asc), Ordering::Less);
    let a = sort_key(&named("a", 1, Some("same")), &terms_desc);
    let b = sort_key(&named("b", 1, Some("SAME")), &terms_desc);
    assert_eq!(compare(&a, &b, &terms_desc), Ordering::Greater);
}

fn role(id: &str, name: &str, description: Option<&str>) -> Role {
    Role {
        id: rid(id),
        name: name.into(),
        description: description.map(str::to_owned),
        permissions: vec![],
        is_default: false,
        created_at: at(0),
        updated_at: at(0),
        version: 1,
    }
}

#[test]
fn roles_search_by_substring_and_order_by_name_then_id() {
    let roles = [
        role("r1", "viewer", Some("Can READ things")),
        role("r2", "Admin", None),
        role("r3", "editor", None),
        role("adm9", "zeta", None),
    ];
    let q = |text: Option<&str>, after: Option<RoleSortKey>, limit| RoleSearch {
        search: text.map(str::to_owned),
        after,
        limit,
        count_limit: Some(u64::MAX),
    };
    let names = |page: &Page<Role>| {
        page.items
            .iter()
            .map(|r| r.name.clone())
            .collect::<Vec<_>>()
    };
    let all = search_roles(&roles, &q(None, None, 10));
    assert_eq!(names(&all), ["Admin", "editor", "viewer", "zeta"]);
    assert_eq!(all.total, Some(4));
    assert_eq!(
        names(&search_roles(&roles, &q(Some(""), None, 10))).len(),
        4
    );
    let adm = search_roles(&roles, &q(Some("ADM"), None, 10));
    assert_eq!(names(&adm), ["Admin", "zeta"]);
    let read = search_roles(&roles, &q(Some("read"), None, 10));
    assert_eq!(names(&read), ["viewer"]);
    let next = search_roles(&roles, &q(None, Some(role_sort_key(&roles[2])), 1));
    assert_eq!(names(&next), ["viewer"]);
    assert_eq!(next.total, Some(4));
}

fn log(id: &str, created: i64, key: &str, user: Option<&str>) -> LogEntry {
    LogEntry {
        id: LogId::parse(id).unwrap(),
        key: key.into(),
        result: LogResult::Success,
        user_id: user.map(|u| UserId::parse(u).unwrap()),
        role_id: None,
        actor_id: None,
        token_id: None,
        ip: None,
        user_agent: None,
        payload: json!({}),
        error: None,
        created_at: at(created),
    }
}

#[test]
fn logs_filter_and_order_newest_first() {
    let mut failed = log("l5", 5, "User.Password.Verified", Some("u1"));
    failed.result = LogResult::Error;
    let mut role_log = log("l6", 6, "Role.Created", None);
    role_log.role_id = Some(rid("r1"));
    let entries = [
        log("l1", 1, "User.Created", Some("u1")),
        log("l2", 2, "User.Created", Some("u2")),
        log("l3", 2, "User.Updated", Some("u1")),
        log("l4", 4, "User.Deleted", Some("u2")),
        failed,
        role_log,
    ];
    let q = |filter: LogFilter| LogSearch {
        filter,
        after: None,
        limit: 10,
        count_limit: Some(u64::MAX),
        oldest_first: false,
    };
    let ids = |page: Page<LogEntry>| {
        page.items
            .into_iter()
            .map(|e| e.id.into_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(search_logs(&entries, &q(LogFilter::default()))),
        ["l6", "l5", "l4", "l3", "l2", "l1"]
    );
    let u1 = Some(UserId::parse("u1").unwrap());
    assert_eq!(
        ids(search_logs(
            &entries,
            &q(LogFilter {
                user_id: u1.clone(),
                ..LogFilter::default()
            })
        )),
        ["l5", "l3", "l1"]
    );
    assert_eq!(
        ids(search_logs(
            &entries,
            &q(LogFilter {
                role_id: Some(rid("r1")),
                ..LogFilter::default()
            })
        )),
        ["l6"]
    );
    assert_eq!(
        ids(search_logs(
            &entries,
            &q(LogFilter {
                key: Some("User.Created".into()),
                ..LogFilter::default()
            })
        )),
        ["l2", "l1"]
    );
    assert_eq!(
        ids(search_logs(
            &entries,
            &q(LogFilter {
                result: Some(LogResult::Error),
                ..LogFilter::default()
            })
        )),
        ["l5"]
    );
    assert_eq!(
        ids(search_logs(
            &entries,
            &q(LogFilter {
                created_from: Some(at(2)),
                created_until: Some(at(5)),
                ..LogFilter::default()
            })
        )),
        ["l4", "l3", "l2"]
    );
    let mut paged = q(LogFilter::default());
    paged.after = Some(log_sort_key(&entries[2]));
    paged.limit = 2;
    let page = search_logs(&entries, &paged);
    assert_eq!(page.total, Some(6));
    assert_eq!(ids(page), ["l2", "l1"]);

    // Oldest first: ties by id ascending, and "after" continues towards
    // the newest.
    let mut oldest = q(LogFilter::default());
    oldest.oldest_first = true;
    assert_eq!(
        ids(search_logs(&entries, &oldest)),
        ["l1", "l2", "l3", "l4", "l5", "l6"]
    );
    oldest.after = Some(log_sort_key(&entries[1]));
    oldest.limit = 2;
    let page = search_logs(&entries, &oldest);
    assert_eq!(page.total, Some(6));
    assert_eq!(ids(page), ["l3", "l4"]);
}

#[test]
fn logs_filter_by_actor_alone_and_with_the_other_criteria() {
    let by = |id: &str, created: i64, key: &str, user: &str, actor: Option<&str>| {
        let mut entry = log(id, created, key, Some(user));
        entry.actor_id = actor.map(|a| UserId::parse(a).unwrap());
        entry
    };
    let mut failed = by("l4", 4, "User.Updated", "u2", Some("admin"));
    failed.result = LogResult::Error;
    let entries = [
        by("l1", 1, "User.Created", "u1", Some("admin")),
        by("l2", 2, "User.Updated", "u1", Some("u1")),
        by("l3", 3, "User.Created", "u2", None),
        failed,
    ];
    let ids = |filter: LogFilter| {
        search_logs(
            &entries,
            &LogSearch {
                filter,
                after: None,
                limit: 10,
                count_limit: None,
                oldest_first: false,
            },
        )
        .items
        .into_iter()
        .map(|e| e.id.into_string())
        .collect::<Vec<_>>()
    };
    let admin = Some(UserId::parse("admin").unwrap());
    let by_admin = |filter: LogFilter| LogFilter {
        actor_id: admin.clone(),
        ..filter
    };
    assert_eq!(ids(by_admin(LogFilter::default())), ["l4", "l1"]);
    assert_eq!(
        ids(by_admin(LogFilter {
            user_id: Some(UserId::parse("u1").unwrap()),
            ..LogFilter::default()
        })),
        ["l1"]
    );
    assert_eq!(
        ids(by_admin(LogFilter {
            result: Some(LogResult::Error),
            ..LogFilter::default()
        })),
        ["l4"]
    );
    // An entry without an actor never matches an actor filter.
    assert_eq!(
        ids(LogFilter {
            actor_id: Some(UserId::parse("u2").unwrap()),
            ..LogFilter::default()
        }),
        Vec::<String>::new()
    );
}
