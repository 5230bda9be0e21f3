//! `Storage::commit_each`, the bulk write of imports and batch creates,
//! called directly: each group is written whole or not at all, with its own
//! error, exactly as committing the groups one after another would; and
//! what a bulk write leaves is found by every lookup and index.

use usergraph_core::eval;
use usergraph_core::filter::{RoleMembership, StringField, StringOp, UserFilter};
use usergraph_core::model::log_keys;
use usergraph_core::query::{Direction, UserOrder, UserOrderField, UserSearch};
use usergraph_core::{Result, Storage, UniqueKey, User, UserId, WriteOp};

use crate::Fixture;
use crate::support::{
    EVERYTHING, all_logs, all_users, expect_err, log_record, role_record, user_record,
};

/// The writes an import makes for one new user.
fn new_user(user: &User, roles: &[&usergraph_core::Role]) -> Vec<WriteOp> {
    let mut ops = vec![WriteOp::InsertUser(Box::new(user.clone()))];
    if !roles.is_empty() {
        ops.push(WriteOp::AssignRoles {
            user_id: user.id.clone(),
            role_ids: roles.iter().map(|r| r.id.clone()).collect(),
        });
    }
    ops.push(WriteOp::AppendLog(Box::new(log_record(
        log_keys::USER_IMPORTED,
        Some(&user.id),
    ))));
    ops
}

fn codes(results: &[Result<()>]) -> Vec<&'static str> {
    results
        .iter()
        .map(|r| r.as_ref().map_or_else(|e| e.code(), |()| "OK"))
        .collect()
}

async fn present(storage: &dyn Storage, user: &User) -> bool {
    storage.user(&user.id).await.unwrap().is_some()
}

pub async fn each_group_is_written_whole_or_gets_its_own_error(fx: Fixture) {
    let storage = fx.storage().as_ref();
    let member = role_record("Member", false);
    let existing = user_record("existing");
    storage
        .commit(vec![
            WriteOp::InsertRole(Box::new(member.clone())),
            WriteOp::InsertUser(Box::new(existing.clone())),
        ])
        .await
        .unwrap();

    let ada = user_record("ada");
    // Taken by a stored user (the email, case aside).
    let mut against_store = user_record("grace");
    against_store.primary_email = Some("EXISTING@example.com".into());
    // Taken by a group earlier in the same call.
    let mut within_chunk = user_record("ADA");
    within_chunk.primary_email = Some("other-ada@example.com".into());
    let mut same_id = user_record("linus");
    same_id.id = ada.id.clone();
    let mut phone_one = user_record("phone1");
    phone_one.primary_phone = Some("15550100001".into());
    let mut phone_two = user_record("phone2");
    phone_two.primary_phone = Some("15550100001".into());
    // A group whose last op fails writes none of its ops.
    let half = user_record("half");
    let mut half_ops = new_user(&half, &[&member]);
    half_ops.push(WriteOp::AssignRoles {
        user_id: half.id.clone(),
        role_ids: vec![usergraph_core::RoleId::generate()],
    });
    // The failed group's identifiers stay free for a later one.
    let mut after_half = user_record("half");
    after_half.primary_email = Some("half@example.com".into());
    let stale = WriteOp::UpdateUser {
        user: Box::new(User {
            name: Some("Stale".into()),
            version: 5,
            ..existing.clone()
        }),
        expected_version: 4,
    };

    let groups = vec![
        new_user(&ada, &[&member]),
        new_user(&against_store, &[]),
        new_user(&within_chunk, &[&member]),
        new_user(&same_id, &[]),
        new_user(&phone_one, &[]),
        new_user(&phone_two, &[]),
        half_ops,
        new_user(&after_half, &[&member]),
        vec![stale],
    ];
    let results = storage.commit_each(groups).await.unwrap();
    assert_eq!(
        codes(&results),
        [
            "OK",
            "EMAIL_ALREADY_IN_USE",
            "USERNAME_ALREADY_IN_USE",
            "CONFLICT",
            "OK",
            "PHONE_ALREADY_IN_USE",
            "NOT_FOUND",
            "OK",
            "CONFLICT",
        ]
    );
    assert!(matches!(
        results[8],
        Err(usergraph_core::Error::StaleVersion)
    ));
    let mut results = results;
    expect_err(results.remove(3), "CONFLICT", Some("id"));

    for (user, kept) in [
        (&ada, true),
        (&against_store, false),
        (&within_chunk, false),
        (&phone_one, true),
        (&phone_two, false),
        (&half, false),
        (&after_half, true),
    ] {
        assert_eq!(present(storage, user).await, kept, "{:?}", user.username);
    }
    assert_eq!(storage.user(&ada.id).await.unwrap(), Some(ada.clone()));
    assert_eq!(
        storage.user(&existing.id).await.unwrap(),
        Some(existing.clone()),
        "the stale update changed nothing"
    );
    let held = storage
        .role_ids_of_users(&[ada.id.clone(), half.id.clone(), after_half.id.clone()])
        .await
        .unwrap();
    assert_eq!(held.get(&ada.id), Some(&vec![member.id.clone()]));
    assert!(held.get(&half.id).is_none_or(Vec::is_empty));
    assert_eq!(held.get(&after_half.id), Some(&vec![member.id.clone()]));
    let logged: Vec<UserId> = all_logs(storage)
        .await
        .into_iter()
        .filter_map(|entry| entry.user_id)
        .collect();
    assert_eq!(logged.len(), 3, "one log entry per written group");
    for user in [&ada, &phone_one, &after_half] {
        assert!(logged.contains(&user.id));
    }
    assert_eq!(
        storage
            .user_by_key(&UniqueKey::Username("half".into()))
            .await
            .unwrap()
            .map(|u| u.id),
        Some(after_half.id.clone())
    );
    assert_eq!(all_users(storage).await.len(), 4);
    assert!(storage.commit_each(Vec::new()).await.unwrap().is_empty());
}

/// Every index a search uses answers for users written in bulk as the
/// reference evaluator does over the same users.
pub async fn bulk_written_users_are_found_by_every_index(fx: Fixture) {
    let storage = fx.storage().as_ref();
    let editor = role_record("Editor", false);
    storage
        .commit(vec![WriteOp::InsertRole(Box::new(editor.clone()))])
        .await
        .unwrap();
    let groups: Vec<Vec<WriteOp>> = (0..300)
        .map(|i| {
            let mut user = user_record(&format!("bulk{i:03}"));
            user.name = Some(format!("Person Number{i} Lovelace"));
            if i % 3 == 0 {
                user.primary_phone = Some(format!("1555{i:07}"));
            }
            let roles = if i % 2 == 0 { vec![&editor] } else { vec![] };
            new_user(&user, &roles)
        })
        .collect();
    let results = storage.commit_each(groups).await.unwrap();
    assert!(results.iter().all(Result::is_ok));
    let users = all_users(storage).await;
    assert_eq!(users.len(), 300);
    let held = storage
        .role_ids_of_users(&users.iter().map(|u| u.id.clone()).collect::<Vec<_>>())
        .await
        .unwrap();

    let string = |field, op| UserFilter::String {
        field,
        op,
        case_sensitive: false,
    };
    let filters = [
        string(StringField::Name, StringOp::Contains("number1".into())),
        string(StringField::Username, StringOp::Contains("k02".into())),
        string(
            StringField::PrimaryEmail,
            StringOp::Contains("BULK29".into()),
        ),
        string(StringField::PrimaryPhone, StringOp::Contains("0000".into())),
        string(
            StringField::PrimaryEmail,
            StringOp::Eq("bulk123@example.com".into()),
        ),
        string(StringField::Username, StringOp::StartsWith("bulk1".into())),
        UserFilter::simple_search("number2"),
        UserFilter::Roles(RoleMembership {
            any: Some(vec![editor.id.clone()]),
            ..RoleMembership::default()
        }),
    ];
    let by_name = UserOrder {
        field: UserOrderField::Name,
        direction: Direction::Asc,
    };
    for filter in filters {
        for order in [UserOrder::DEFAULT, by_name] {
            let search = UserSearch {
                filter: filter.clone(),
                order: vec![order],
                after: None,
                backward: false,
                limit: EVERYTHING,
                count_limit: None,
            };
            let rows = users.iter().map(|u| {
                let roles = held.get(&u.id).map_or(&[][..], Vec::as_slice);
                (u, roles)
            });
            let expected = eval::search_users(rows, &search);
            let found = storage.search_users(&search).await.unwrap();
            assert!(!expected.items.is_empty(), "{filter:?} matches someone");
            assert_eq!(found.items, expected.items, "{filter:?} {order:?}");
        }
    }
    let by_email = storage
        .user_by_key(&UniqueKey::Email("bulk042@example.com".into()))
        .await
        .unwrap();
    assert_eq!(by_email.map(|u| u.username), Some(Some("bulk042".into())));
}

/// The search indexes after one bulk write that mixes new users, failed
/// groups, and later groups that change or remove users inserted earlier
/// in the same call: every search answers as the evaluator over the users
/// stored, counts included, so nothing of a failed group and nothing a
/// later group replaced is found.
pub async fn indexes_hold_what_the_groups_that_succeeded_leave(fx: Fixture) {
    let storage = fx.storage().as_ref();
    let mut renamed = user_record("renamed");
    renamed.name = Some("Before Rename".into());
    let removed = user_record("removed");
    let kept = user_record("kept");
    let mut refused = user_record("refused");
    refused.primary_email = kept.primary_email.clone();
    refused.name = Some("Refused Zyx".into());
    let half = user_record("halfway");
    let mut half_ops = new_user(&half, &[]);
    half_ops.push(WriteOp::AssignRoles {
        user_id: half.id.clone(),
        role_ids: vec![usergraph_core::RoleId::generate()],
    });
    let after_rename = User {
        name: Some("After Rename".into()),
        username: Some("renamed2".into()),
        version: 2,
        ..renamed.clone()
    };
    let groups = vec![
        new_user(&renamed, &[]),
        new_user(&removed, &[]),
        new_user(&kept, &[]),
        new_user(&refused, &[]),
        half_ops,
        vec![WriteOp::UpdateUser {
            user: Box::new(after_rename.clone()),
            expected_version: 1,
        }],
        vec![WriteOp::DeleteUser {
            id: removed.id.clone(),
        }],
    ];
    let results = storage.commit_each(groups).await.unwrap();
    assert_eq!(
        codes(&results),
        [
            "OK",
            "OK",
            "OK",
            "EMAIL_ALREADY_IN_USE",
            "NOT_FOUND",
            "OK",
            "OK"
        ]
    );
    let users = all_users(storage).await;
    assert_eq!(users.len(), 2, "{users:?}");

    let string = |field, op| UserFilter::String {
        field,
        op,
        case_sensitive: false,
    };
    let filters = [
        UserFilter::All,
        UserFilter::simple_search("rename"),
        UserFilter::simple_search("before"),
        UserFilter::simple_search("after"),
        UserFilter::simple_search("zyx"),
        UserFilter::simple_search("halfway"),
        UserFilter::simple_search("removed"),
        string(StringField::Username, StringOp::StartsWith("re".into())),
        string(StringField::Username, StringOp::Eq("renamed".into())),
        string(StringField::Name, StringOp::Contains("name".into())),
    ];
    let by_name = UserOrder {
        field: UserOrderField::Name,
        direction: Direction::Asc,
    };
    // A page of one, so that the count comes from the indexes, not from
    // the records of the page.
    for filter in filters {
        for order in [UserOrder::DEFAULT, by_name] {
            for limit in [1, EVERYTHING] {
                let search = UserSearch {
                    filter: filter.clone(),
                    order: vec![order],
                    after: None,
                    backward: false,
                    limit,
                    count_limit: Some(1_000),
                };
                let rows = users.iter().map(|u| (u, &[][..]));
                let expected = eval::search_users(rows, &search);
                let found = storage.search_users(&search).await.unwrap();
                let what = format!("{filter:?} {order:?} limit {limit}");
                assert_eq!(found.items, expected.items, "{what}");
                assert_eq!(found.total, expected.total, "{what}");
            }
        }
    }
}
