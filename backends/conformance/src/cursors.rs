//! Cursors are tamper-evident: a list takes only a cursor that the store's
//! services issued for that same list, order, filter and search; anything
//! else is `VALIDATION` on `after`/`before`. The store's cursor key is
//! stored once, survives a reopen, and is the store's own.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use usergraph_core::filter::{RoleMembership, StringField, StringOp, UserFilter};
use usergraph_core::page::{Connection, PageArgs};
use usergraph_core::query::{Direction, LogFilter, UserOrder, UserOrderField};
use usergraph_core::service::UserQuery;
use usergraph_core::time::to_micros;
use usergraph_core::{LogEntry, Result, Role, Service, User, UserId};

use crate::Fixture;
use crate::roles::create_role;
use crate::support::{create_named, expect_err, sys};

/// Bytes of the tag that ends a cursor.
const TAG_LEN: usize = 16;

fn after(cursor: &str) -> PageArgs {
    PageArgs {
        first: Some(2),
        after: Some(cursor.to_owned()),
        ..PageArgs::default()
    }
}

fn before(cursor: &str) -> PageArgs {
    PageArgs {
        last: Some(2),
        before: Some(cursor.to_owned()),
        ..PageArgs::default()
    }
}

async fn users(svc: &Service, query: &UserQuery, page: PageArgs) -> Result<Connection<User>> {
    let query = UserQuery {
        page,
        ..query.clone()
    };
    svc.search_users(&sys(), query).await
}

async fn holders(svc: &Service, role: &Role, page: PageArgs) -> Result<Connection<User>> {
    svc.role_users(&sys(), &role.id, page, false).await
}

async fn roles(svc: &Service, search: Option<&str>, page: PageArgs) -> Result<Connection<Role>> {
    svc.search_roles(&sys(), search.map(str::to_owned), page, false)
        .await
}

async fn logs(svc: &Service, filter: &LogFilter, page: PageArgs) -> Result<Connection<LogEntry>> {
    svc.search_logs(&sys(), filter.clone(), page, false).await
}

fn end_cursor<T>(page: Result<Connection<T>>) -> String {
    page.unwrap().end_cursor().unwrap().to_owned()
}

fn ids(page: &Connection<User>) -> Vec<UserId> {
    page.nodes().map(|u| u.id.clone()).collect()
}

fn username_starts_with(prefix: &str) -> UserFilter {
    UserFilter::String {
        field: StringField::Username,
        op: StringOp::StartsWith(prefix.to_owned()),
        case_sensitive: false,
    }
}

fn holds(role: &Role) -> UserFilter {
    UserFilter::Roles(RoleMembership {
        any: Some(vec![role.id.clone()]),
        ..RoleMembership::default()
    })
}

/// Cursors a client could make without the key: `position` (a real one)
/// in the format before cursors were tagged, without a tag, and with a
/// made-up tag.
fn made_up(old_format: serde_json::Value, position: serde_json::Value) -> Vec<String> {
    let position = position.to_string();
    vec![
        URL_SAFE_NO_PAD.encode(old_format.to_string()),
        URL_SAFE_NO_PAD.encode(&position),
        URL_SAFE_NO_PAD.encode([position.as_bytes(), &[0; TAG_LEN]].concat()),
        URL_SAFE_NO_PAD.encode([position.as_bytes(), &[0xA5; TAG_LEN]].concat()),
    ]
}

/// `real` with one byte changed (each byte in turn, position and tag),
/// cut short, and lengthened.
fn edited(real: &str) -> Vec<String> {
    let bytes = URL_SAFE_NO_PAD.decode(real).unwrap();
    let mut edits: Vec<String> = (0..bytes.len())
        .map(|i| {
            let mut edit = bytes.clone();
            edit[i] ^= 0x20;
            URL_SAFE_NO_PAD.encode(edit)
        })
        .collect();
    edits.push(URL_SAFE_NO_PAD.encode(&bytes[..bytes.len() - 1]));
    edits.push(URL_SAFE_NO_PAD.encode([&bytes[..], b"0"].concat()));
    edits
}

pub async fn cursor_key_is_stored_once_and_kept(fx: Fixture) {
    // Several first callers at once, each offering its own key: one is
    // stored and every caller gets that one.
    let offers: Vec<[u8; 32]> = (1..=8u8).map(|i| [i; 32]).collect();
    let calls: Vec<_> = offers
        .iter()
        .map(|offer| {
            let storage = fx.storage().clone();
            let offer = *offer;
            tokio::spawn(async move { storage.cursor_key(offer).await.unwrap() })
        })
        .collect();
    let mut keys = Vec::new();
    for call in calls {
        keys.push(call.await.unwrap());
    }
    let key = keys[0];
    assert!(
        offers.contains(&key),
        "the stored key is one of those offered"
    );
    assert!(keys.iter().all(|k| *k == key), "{keys:?}");
    assert_eq!(fx.storage().cursor_key([99; 32]).await.unwrap(), key);

    let fx = fx.reopen().await;
    assert_eq!(fx.storage().cursor_key([100; 32]).await.unwrap(), key);
}

pub async fn made_up_and_edited_cursors_are_validation(fx: Fixture) {
    let svc = fx.service();
    let mut made = Vec::new();
    for name in ["user_0", "user_1", "user_2"] {
        made.push(create_named(&svc, name).await);
    }
    let role = create_role(&svc, "Support", false).await;
    for user in &made {
        svc.assign_user_roles(&sys(), user.id.as_str(), &[role.id.as_str().to_owned()])
            .await
            .unwrap();
    }
    let all = UserQuery::default();
    // A plausible position: the second newest user, where a real walk
    // would next start.
    let (micros, id) = (to_micros(made[1].created_at), made[1].id.as_str());
    let real = end_cursor(users(&svc, &all, PageArgs::first(1)).await);
    let mut bad = made_up(
        json!(["u", "createdAt:desc", [micros], id]),
        json!([[micros], id]),
    );
    bad.extend(edited(&real));
    for cursor in &bad {
        let refused = users(&svc, &all, after(cursor)).await;
        expect_err(refused, "VALIDATION", Some("after"));
        let refused = users(&svc, &all, before(cursor)).await;
        expect_err(refused, "VALIDATION", Some("before"));
    }
    // The real cursor itself pages on.
    let next = users(&svc, &all, after(&real)).await.unwrap();
    assert_eq!(ids(&next), vec![made[1].id.clone(), made[0].id.clone()]);

    let real = end_cursor(holders(&svc, &role, PageArgs::first(1)).await);
    let mut bad = made_up(
        json!(["u", "createdAt:desc", [micros], id]),
        json!([[micros], id]),
    );
    bad.extend(edited(&real));
    for cursor in &bad {
        let refused = holders(&svc, &role, after(cursor)).await;
        expect_err(refused, "VALIDATION", Some("after"));
    }
    assert_eq!(
        ids(&holders(&svc, &role, after(&real)).await.unwrap()).len(),
        2
    );

    create_role(&svc, "Auditors", false).await;
    let (name_key, role_id) = ("support", role.id.as_str());
    let real = end_cursor(roles(&svc, None, PageArgs::first(1)).await);
    let mut bad = made_up(json!(["r", name_key, role_id]), json!([name_key, role_id]));
    bad.extend(edited(&real));
    for cursor in &bad {
        let refused = roles(&svc, None, after(cursor)).await;
        expect_err(refused, "VALIDATION", Some("after"));
    }
    assert!(
        !roles(&svc, None, after(&real))
            .await
            .unwrap()
            .edges
            .is_empty()
    );

    let everything = LogFilter::default();
    let entries = logs(&svc, &everything, PageArgs::first(2)).await.unwrap();
    let entry = &entries.edges[1].node;
    let (micros, log_id) = (to_micros(entry.created_at), entry.id.as_str());
    let real = entries.edges[0].cursor.clone();
    let mut bad = made_up(json!(["l", micros, log_id]), json!([micros, log_id]));
    bad.extend(edited(&real));
    for cursor in &bad {
        let refused = logs(&svc, &everything, after(cursor)).await;
        expect_err(refused, "VALIDATION", Some("after"));
    }
    let next = logs(&svc, &everything, after(&real)).await.unwrap();
    assert_eq!(next.edges[0].node.id, entry.id);
}

pub async fn cursors_are_bound_to_list_order_filter_and_search(fx: Fixture) {
    let svc = fx.service();
    let support = create_role(&svc, "Support", false).await;
    let auditors = create_role(&svc, "Auditors", false).await;
    let mut made = Vec::new();
    for name in ["user_0", "user_1", "user_2", "user_3"] {
        let user = create_named(&svc, name).await;
        let held = [
            support.id.as_str().to_owned(),
            auditors.id.as_str().to_owned(),
        ];
        svc.assign_user_roles(&sys(), user.id.as_str(), &held)
            .await
            .unwrap();
        made.push(user);
    }

    // Users: a cursor of one query is refused by every other one.
    let query = UserQuery {
        filter: Some(username_starts_with("user_")),
        ..UserQuery::default()
    };
    let cursor = end_cursor(users(&svc, &query, PageArgs::first(1)).await);
    let by = |field, direction| vec![UserOrder { field, direction }];
    let others = [
        UserQuery::default(),
        UserQuery {
            filter: Some(username_starts_with("user")),
            ..UserQuery::default()
        },
        UserQuery {
            search: Some("user_".into()),
            ..UserQuery::default()
        },
        UserQuery {
            search: Some("user".into()),
            ..query.clone()
        },
        UserQuery {
            order: by(UserOrderField::CreatedAt, Direction::Asc),
            ..query.clone()
        },
        UserQuery {
            order: by(UserOrderField::Username, Direction::Desc),
            ..query.clone()
        },
        UserQuery {
            filter: Some(holds(&support)),
            ..UserQuery::default()
        },
    ];
    for other in &others {
        let refused = users(&svc, other, after(&cursor)).await;
        expect_err(refused, "VALIDATION", Some("after"));
        let refused = users(&svc, other, before(&cursor)).await;
        expect_err(refused, "VALIDATION", Some("before"));
    }
    let next = users(&svc, &query, after(&cursor)).await.unwrap();
    assert_eq!(ids(&next), vec![made[2].id.clone(), made[1].id.clone()]);
    // The search is part of the list too.
    let searched = UserQuery {
        search: Some("user_".into()),
        ..UserQuery::default()
    };
    let cursor = end_cursor(users(&svc, &searched, PageArgs::first(1)).await);
    for search in ["user_0", "user"] {
        let other = UserQuery {
            search: Some(search.into()),
            ..UserQuery::default()
        };
        let refused = users(&svc, &other, after(&cursor)).await;
        expect_err(refused, "VALIDATION", Some("after"));
    }
    assert_eq!(
        ids(&users(&svc, &searched, after(&cursor)).await.unwrap()).len(),
        2
    );

    // Role holders: bound to their role, and apart from `users` even with
    // the same users in the same order.
    let cursor = end_cursor(holders(&svc, &support, PageArgs::first(1)).await);
    let refused = holders(&svc, &auditors, after(&cursor)).await;
    expect_err(refused, "VALIDATION", Some("after"));
    let same_users = UserQuery {
        filter: Some(holds(&support)),
        ..UserQuery::default()
    };
    let refused = users(&svc, &same_users, after(&cursor)).await;
    expect_err(refused, "VALIDATION", Some("after"));
    let users_cursor = end_cursor(users(&svc, &same_users, PageArgs::first(1)).await);
    let refused = holders(&svc, &support, after(&users_cursor)).await;
    expect_err(refused, "VALIDATION", Some("after"));
    let next = holders(&svc, &support, after(&cursor)).await.unwrap();
    assert_eq!(ids(&next), vec![made[2].id.clone(), made[1].id.clone()]);

    // Roles: bound to the search.
    let cursor = end_cursor(roles(&svc, Some("o"), PageArgs::first(1)).await);
    for other in [None, Some("or")] {
        let refused = roles(&svc, other, after(&cursor)).await;
        expect_err(refused, "VALIDATION", Some("after"));
    }
    let next = roles(&svc, Some("o"), after(&cursor)).await.unwrap();
    assert_eq!(
        next.nodes().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        ["Support"]
    );

    // Logs: bound to the filter (which is how `User.logs` names its user).
    let mine = LogFilter {
        user_id: Some(made[0].id.clone()),
        ..LogFilter::default()
    };
    let cursor = end_cursor(logs(&svc, &mine, PageArgs::first(1)).await);
    let others = [
        LogFilter::default(),
        LogFilter {
            user_id: Some(made[1].id.clone()),
            ..LogFilter::default()
        },
        LogFilter {
            key: Some("User.Created".into()),
            ..mine.clone()
        },
    ];
    for other in &others {
        let refused = logs(&svc, other, after(&cursor)).await;
        expect_err(refused, "VALIDATION", Some("after"));
    }
    let next = logs(&svc, &mine, after(&cursor)).await.unwrap();
    assert!(!next.edges.is_empty());
    assert!(
        next.nodes()
            .all(|e| e.user_id.as_ref() == Some(&made[0].id))
    );
}

pub async fn genuine_cursors_outlive_the_service_and_a_reopen(fx: Fixture) {
    let svc = fx.service();
    let mut made = Vec::new();
    for i in 0..5 {
        made.push(create_named(&svc, &format!("user_{i}")).await);
    }
    let all = UserQuery::default();
    let cursor = end_cursor(users(&svc, &all, PageArgs::first(2)).await);
    let expected = vec![made[2].id.clone(), made[1].id.clone()];
    drop(svc);
    // Another service (another instance) over the same store.
    let other = fx.service();
    assert_eq!(
        ids(&users(&other, &all, after(&cursor)).await.unwrap()),
        expected
    );
    drop(other);

    let fx = fx.reopen().await;
    let reopened = fx.service();
    assert_eq!(
        ids(&users(&reopened, &all, after(&cursor)).await.unwrap()),
        expected
    );
    let back = users(&reopened, &all, before(&cursor)).await.unwrap();
    assert_eq!(ids(&back), vec![made[4].id.clone()]);
}

/// Run with two fresh stores.
pub async fn cursors_of_another_store_are_refused(first_store: Fixture, second_store: Fixture) {
    let (one, other) = (first_store.service(), second_store.service());
    for svc in [&one, &other] {
        for name in ["user_0", "user_1", "user_2"] {
            create_named(svc, name).await;
        }
        create_role(svc, "Support", false).await;
        create_role(svc, "Auditors", false).await;
    }
    let all = UserQuery::default();
    let cursor = end_cursor(users(&one, &all, PageArgs::first(1)).await);
    let refused = users(&other, &all, after(&cursor)).await;
    expect_err(refused, "VALIDATION", Some("after"));
    assert_eq!(
        ids(&users(&one, &all, after(&cursor)).await.unwrap()).len(),
        2
    );

    let cursor = end_cursor(roles(&other, None, PageArgs::first(1)).await);
    let refused = roles(&one, None, after(&cursor)).await;
    expect_err(refused, "VALIDATION", Some("after"));
    assert_eq!(
        roles(&other, None, after(&cursor))
            .await
            .unwrap()
            .edges
            .len(),
        1
    );
}
