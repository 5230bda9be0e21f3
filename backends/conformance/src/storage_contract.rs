//! What `Storage` itself guarantees, called directly: atomic commits,
//! versions, uniqueness under concurrency, lookups, assignments, and the
//! log and role listings matching the reference evaluator.

use std::sync::Arc;

use usergraph_core::eval;
use usergraph_core::model::log_keys;
use usergraph_core::query::{LogFilter, LogSearch, RoleSearch};
use usergraph_core::{Error, LogResult, RoleId, Storage, UniqueKey, UserId, WriteOp};

use crate::Fixture;
use crate::support::{
    EVERYTHING, all_logs, all_users, expect_err, log_record, role_record, user_record,
};

fn insert(user: &usergraph_core::User) -> WriteOp {
    WriteOp::InsertUser(Box::new(user.clone()))
}

fn log(key: &str, user: Option<&UserId>) -> WriteOp {
    WriteOp::AppendLog(Box::new(log_record(key, user)))
}

pub async fn commit_is_all_or_nothing(fx: Fixture) {
    let storage = fx.storage().as_ref();
    let first = user_record("first");
    let mut duplicate = user_record("second");
    // Storage keeps `User::unique_keys` unique: the lower-cased email collides.
    duplicate.primary_email = Some("FIRST@example.com".into());

    let result = storage
        .commit(vec![
            insert(&first),
            log(log_keys::USER_CREATED, Some(&first.id)),
            insert(&duplicate),
            log(log_keys::USER_CREATED, Some(&duplicate.id)),
        ])
        .await;
    expect_err(result, "EMAIL_ALREADY_IN_USE", None);
    assert!(
        all_users(storage).await.is_empty(),
        "the first insert was rolled back"
    );
    assert!(all_logs(storage).await.is_empty(), "no log was appended");
    assert!(
        storage
            .user_by_key(&UniqueKey::Username("first".into()))
            .await
            .unwrap()
            .is_none(),
        "no index entry survived"
    );

    // The same batch without the duplicate commits whole.
    storage
        .commit(vec![
            insert(&first),
            log(log_keys::USER_CREATED, Some(&first.id)),
        ])
        .await
        .unwrap();
    assert_eq!(all_users(storage).await, vec![first.clone()]);

    // A later failing op undoes earlier updates, deletes and role writes.
    let role = role_record("Atomic", false);
    let mut renamed = first.clone();
    renamed.name = Some("Renamed".into());
    renamed.version += 1;
    let result = storage
        .commit(vec![
            WriteOp::InsertRole(Box::new(role.clone())),
            WriteOp::UpdateUser {
                user: Box::new(renamed),
                expected_version: first.version,
            },
            WriteOp::AssignRoles {
                user_id: first.id.clone(),
                role_ids: vec![role.id.clone()],
            },
            log(log_keys::USER_UPDATED, Some(&first.id)),
            WriteOp::DeleteUser {
                id: UserId::generate(),
            },
        ])
        .await;
    expect_err(result, "NOT_FOUND", None);
    assert_eq!(storage.user(&first.id).await.unwrap(), Some(first.clone()));
    assert_eq!(storage.role(&role.id).await.unwrap(), None);
    assert_eq!(all_logs(storage).await.len(), 1);
    let held = storage
        .role_ids_of_users(std::slice::from_ref(&first.id))
        .await
        .unwrap();
    assert!(held.get(&first.id).is_none_or(Vec::is_empty));
}

pub async fn stale_version_is_refused(fx: Fixture) {
    let storage = fx.storage().as_ref();
    let user = user_record("versioned");
    storage.commit(vec![insert(&user)]).await.unwrap();

    let mut v2 = user.clone();
    v2.name = Some("v2".into());
    v2.version = 2;
    storage
        .commit(vec![WriteOp::UpdateUser {
            user: Box::new(v2.clone()),
            expected_version: 1,
        }])
        .await
        .unwrap();
    assert_eq!(storage.user(&user.id).await.unwrap(), Some(v2.clone()));

    let mut stale = user.clone();
    stale.name = Some("stale".into());
    stale.version = 2;
    let result = storage
        .commit(vec![
            WriteOp::UpdateUser {
                user: Box::new(stale),
                expected_version: 1,
            },
            log(log_keys::USER_UPDATED, Some(&user.id)),
        ])
        .await;
    assert!(matches!(result, Err(Error::StaleVersion)), "{result:?}");
    assert_eq!(storage.user(&user.id).await.unwrap(), Some(v2));
    assert!(all_logs(storage).await.is_empty());
}

pub async fn concurrent_updates_one_winner(fx: Fixture) {
    const WRITERS: usize = 16;
    let storage = fx.storage().clone();
    let user = user_record("contended");
    storage.commit(vec![insert(&user)]).await.unwrap();
    let barrier = Arc::new(tokio::sync::Barrier::new(WRITERS));
    let tasks: Vec<_> = (0..WRITERS)
        .map(|i| {
            let storage = storage.clone();
            let barrier = barrier.clone();
            let mut next = user.clone();
            next.name = Some(format!("writer {i}"));
            next.version = user.version + 1;
            tokio::spawn(async move {
                barrier.wait().await;
                storage
                    .commit(vec![WriteOp::UpdateUser {
                        user: Box::new(next),
                        expected_version: 1,
                    }])
                    .await
            })
        })
        .collect();
    let mut wins = 0;
    for result in futures::future::join_all(tasks).await {
        match result.unwrap() {
            Ok(()) => wins += 1,
            Err(Error::StaleVersion) => {}
            Err(other) => panic!("expected StaleVersion, got {other:?}"),
        }
    }
    assert_eq!(wins, 1, "exactly one writer of version 1 wins");
    let stored = storage.user(&user.id).await.unwrap().unwrap();
    assert_eq!(stored.version, 2);
}

pub async fn insert_conflicts(fx: Fixture) {
    let storage = fx.storage().as_ref();
    let user = user_record("original");
    storage.commit(vec![insert(&user)]).await.unwrap();

    let mut same_id = user_record("another");
    same_id.id = user.id.clone();
    expect_err(
        storage.commit(vec![insert(&same_id)]).await,
        "CONFLICT",
        Some("id"),
    );

    let mut same_name = user_record("x");
    same_name.username = Some("ORIGINAL".into());
    expect_err(
        storage.commit(vec![insert(&same_name)]).await,
        "USERNAME_ALREADY_IN_USE",
        None,
    );
    let mut phone_owner = user_record("phoned");
    phone_owner.primary_phone = Some("15550109000".into());
    storage.commit(vec![insert(&phone_owner)]).await.unwrap();
    let mut same_phone = user_record("y");
    same_phone.primary_phone = Some("15550109000".into());
    expect_err(
        storage.commit(vec![insert(&same_phone)]).await,
        "PHONE_ALREADY_IN_USE",
        None,
    );
    // On update too: taking another user's key.
    let mut steal = user.clone();
    steal.primary_phone = Some("15550109000".into());
    steal.version += 1;
    expect_err(
        storage
            .commit(vec![WriteOp::UpdateUser {
                user: Box::new(steal),
                expected_version: user.version,
            }])
            .await,
        "PHONE_ALREADY_IN_USE",
        None,
    );

    let role = role_record("Ops", false);
    storage
        .commit(vec![WriteOp::InsertRole(Box::new(role.clone()))])
        .await
        .unwrap();
    let same_role_name = role_record("OPS", false);
    expect_err(
        storage
            .commit(vec![WriteOp::InsertRole(Box::new(same_role_name))])
            .await,
        "CONFLICT",
        Some("name"),
    );
    let other_role = role_record("Dev", false);
    storage
        .commit(vec![WriteOp::InsertRole(Box::new(other_role.clone()))])
        .await
        .unwrap();
    let mut rename = other_role.clone();
    rename.name = "ops".into();
    rename.version += 1;
    expect_err(
        storage
            .commit(vec![WriteOp::UpdateRole {
                role: Box::new(rename),
                expected_version: other_role.version,
            }])
            .await,
        "CONFLICT",
        Some("name"),
    );
    assert_eq!(storage.role_by_name("ops").await.unwrap(), Some(role));
    assert_eq!(storage.role_by_name("dev").await.unwrap(), Some(other_role));
    assert_eq!(all_users(storage).await.len(), 2);
}

pub async fn missing_records_are_not_found(fx: Fixture) {
    let storage = fx.storage().as_ref();
    let ghost = user_record("ghost");
    let ghost_role = role_record("Ghost", false);
    let real = user_record("real");
    storage.commit(vec![insert(&real)]).await.unwrap();
    let cases = vec![
        WriteOp::UpdateUser {
            user: Box::new(ghost.clone()),
            expected_version: 1,
        },
        WriteOp::DeleteUser {
            id: ghost.id.clone(),
        },
        WriteOp::UpdateRole {
            role: Box::new(ghost_role.clone()),
            expected_version: 1,
        },
        WriteOp::DeleteRole {
            id: ghost_role.id.clone(),
        },
        WriteOp::AssignRoles {
            user_id: ghost.id.clone(),
            role_ids: vec![],
        },
        WriteOp::AssignRoles {
            user_id: real.id.clone(),
            role_ids: vec![ghost_role.id.clone()],
        },
        WriteOp::UnassignRoles {
            user_id: ghost.id.clone(),
            role_ids: vec![],
        },
        WriteOp::ReplaceRoles {
            user_id: ghost.id.clone(),
            role_ids: vec![],
        },
        WriteOp::ReplaceRoles {
            user_id: real.id.clone(),
            role_ids: vec![ghost_role.id.clone()],
        },
    ];
    for op in cases {
        let label = format!("{op:?}");
        let result = storage.commit(vec![op]).await;
        assert_eq!(
            result.as_ref().map_err(Error::code).err(),
            Some("NOT_FOUND"),
            "{label}: {result:?}"
        );
    }
    assert_eq!(storage.user(&ghost.id).await.unwrap(), None);
    assert_eq!(storage.role(&ghost_role.id).await.unwrap(), None);
    assert_eq!(storage.role_by_name("ghost").await.unwrap(), None);
    assert_eq!(
        storage
            .user_by_key(&UniqueKey::Email("nobody@example.com".into()))
            .await
            .unwrap(),
        None
    );
}

pub async fn lookups_by_key_follow_updates(fx: Fixture) {
    let storage = fx.storage().as_ref();
    let mut user = user_record("mover");
    user.primary_phone = Some("15550109100".into());
    storage.commit(vec![insert(&user)]).await.unwrap();
    for key in [
        UniqueKey::Username("mover".into()),
        UniqueKey::Email("mover@example.com".into()),
        UniqueKey::Phone("15550109100".into()),
    ] {
        assert_eq!(
            storage.user_by_key(&key).await.unwrap(),
            Some(user.clone()),
            "{key:?}"
        );
    }

    let mut moved = user.clone();
    moved.username = Some("Moved".into());
    moved.primary_email = None;
    moved.primary_phone = Some("15550109200".into());
    moved.version += 1;
    storage
        .commit(vec![WriteOp::UpdateUser {
            user: Box::new(moved.clone()),
            expected_version: user.version,
        }])
        .await
        .unwrap();
    for old in [
        UniqueKey::Username("mover".into()),
        UniqueKey::Email("mover@example.com".into()),
        UniqueKey::Phone("15550109100".into()),
    ] {
        assert_eq!(
            storage.user_by_key(&old).await.unwrap(),
            None,
            "{old:?} was freed"
        );
    }
    assert_eq!(
        storage
            .user_by_key(&UniqueKey::Username("moved".into()))
            .await
            .unwrap(),
        Some(moved.clone())
    );
    assert_eq!(
        storage
            .user_by_key(&UniqueKey::Phone("15550109200".into()))
            .await
            .unwrap(),
        Some(moved.clone())
    );
    // The freed keys are free for others.
    let mut taker = user_record("mover");
    taker.primary_phone = Some("15550109100".into());
    storage.commit(vec![insert(&taker)]).await.unwrap();
}

pub async fn batch_reads_keep_order(fx: Fixture) {
    let storage = fx.storage().as_ref();
    let a = user_record("a_user");
    let b = user_record("b_user");
    let c = user_record("c_user");
    storage
        .commit(vec![insert(&a), insert(&b), insert(&c)])
        .await
        .unwrap();
    let users = storage
        .users(&[c.id.clone(), UserId::generate(), a.id.clone()])
        .await
        .unwrap();
    assert_eq!(users, vec![c.clone(), a.clone()]);
    assert!(storage.users(&[]).await.unwrap().is_empty());

    let r1 = role_record("one", false);
    let r2 = role_record("two", false);
    storage
        .commit(vec![
            WriteOp::InsertRole(Box::new(r1.clone())),
            WriteOp::InsertRole(Box::new(r2.clone())),
        ])
        .await
        .unwrap();
    let roles = storage
        .roles(&[r2.id.clone(), RoleId::generate(), r1.id.clone()])
        .await
        .unwrap();
    assert_eq!(roles, vec![r2, r1]);
}

pub async fn role_assignments(fx: Fixture) {
    let storage = fx.storage().as_ref();
    let user = user_record("holder");
    let other = user_record("bystander");
    let mut roles: Vec<_> = ["r-a", "r-b", "r-c"]
        .into_iter()
        .map(|n| role_record(n, false))
        .collect();
    let mut ops = vec![insert(&user), insert(&other)];
    ops.extend(
        roles
            .iter()
            .map(|r| WriteOp::InsertRole(Box::new(r.clone()))),
    );
    storage.commit(ops).await.unwrap();
    roles.sort_by(|a, b| a.id.cmp(&b.id));
    let [r0, r1, r2] = [&roles[0].id, &roles[1].id, &roles[2].id];

    let held = |ids: &[&RoleId]| ids.iter().map(|id| (*id).clone()).collect::<Vec<_>>();
    let assign = |role_ids: Vec<RoleId>| WriteOp::AssignRoles {
        user_id: user.id.clone(),
        role_ids,
    };
    storage.commit(vec![assign(held(&[r2, r0]))]).await.unwrap();
    storage.commit(vec![assign(held(&[r0]))]).await.unwrap();
    let map = storage
        .role_ids_of_users(&[user.id.clone(), other.id.clone(), UserId::generate()])
        .await
        .unwrap();
    assert_eq!(
        map.get(&user.id),
        Some(&held(&[r0, r2])),
        "sorted, no duplicates"
    );
    assert!(map.get(&other.id).is_none_or(Vec::is_empty));

    storage
        .commit(vec![WriteOp::ReplaceRoles {
            user_id: user.id.clone(),
            role_ids: held(&[r1, r2]),
        }])
        .await
        .unwrap();
    storage
        .commit(vec![WriteOp::UnassignRoles {
            user_id: user.id.clone(),
            role_ids: held(&[r2, r0]),
        }])
        .await
        .unwrap();
    let map = storage
        .role_ids_of_users(std::slice::from_ref(&user.id))
        .await
        .unwrap();
    assert_eq!(map.get(&user.id), Some(&held(&[r1])));

    storage
        .commit(vec![WriteOp::DeleteRole { id: r1.clone() }])
        .await
        .unwrap();
    let map = storage
        .role_ids_of_users(std::slice::from_ref(&user.id))
        .await
        .unwrap();
    assert!(
        map.get(&user.id).is_none_or(Vec::is_empty),
        "deleting a role unassigns it"
    );
    assert_eq!(storage.user(&user.id).await.unwrap(), Some(user.clone()));
    // The deleted role's name is free again, in any case.
    let deleted_name = roles[1].name.clone();
    assert_eq!(storage.role_by_name(&deleted_name).await.unwrap(), None);
    storage
        .commit(vec![WriteOp::InsertRole(Box::new(role_record(
            &deleted_name.to_uppercase(),
            false,
        )))])
        .await
        .unwrap();
}

pub async fn delete_user_drops_assignments_keeps_logs(fx: Fixture) {
    let storage = fx.storage().as_ref();
    let user = user_record("gone");
    let role = role_record("Kept", false);
    storage
        .commit(vec![
            insert(&user),
            WriteOp::InsertRole(Box::new(role.clone())),
            WriteOp::AssignRoles {
                user_id: user.id.clone(),
                role_ids: vec![role.id.clone()],
            },
            log(log_keys::USER_CREATED, Some(&user.id)),
        ])
        .await
        .unwrap();
    storage
        .commit(vec![
            WriteOp::DeleteUser {
                id: user.id.clone(),
            },
            log(log_keys::USER_DELETED, Some(&user.id)),
        ])
        .await
        .unwrap();
    assert_eq!(storage.user(&user.id).await.unwrap(), None);
    let map = storage
        .role_ids_of_users(std::slice::from_ref(&user.id))
        .await
        .unwrap();
    assert!(map.get(&user.id).is_none_or(Vec::is_empty));
    assert_eq!(storage.role(&role.id).await.unwrap(), Some(role));
    assert_eq!(all_logs(storage).await.len(), 2, "logs outlive the user");

    // Re-creating the same id starts with no roles.
    storage.commit(vec![insert(&user)]).await.unwrap();
    let map = storage
        .role_ids_of_users(std::slice::from_ref(&user.id))
        .await
        .unwrap();
    assert!(map.get(&user.id).is_none_or(Vec::is_empty));
}

pub async fn default_roles_sorted(fx: Fixture) {
    let storage = fx.storage().as_ref();
    let roles = [
        role_record("zeta", true),
        role_record("Alpha", true),
        role_record("middle", false),
        role_record("beta", true),
    ];
    storage
        .commit(
            roles
                .iter()
                .map(|r| WriteOp::InsertRole(Box::new(r.clone())))
                .collect(),
        )
        .await
        .unwrap();
    let names: Vec<_> = storage
        .default_roles()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, vec!["Alpha", "beta", "zeta"]);

    let mut demoted = roles[0].clone();
    demoted.is_default = false;
    demoted.version += 1;
    storage
        .commit(vec![WriteOp::UpdateRole {
            role: Box::new(demoted),
            expected_version: roles[0].version,
        }])
        .await
        .unwrap();
    let count = storage.default_roles().await.unwrap().len();
    assert_eq!(count, 2, "an updated flag updates the default list");
}

pub async fn concurrent_inserts_of_one_username(fx: Fixture) {
    const WRITERS: usize = 24;
    let storage: Arc<dyn Storage> = fx.storage().clone();
    let barrier = Arc::new(tokio::sync::Barrier::new(WRITERS));
    let tasks: Vec<_> = (0..WRITERS)
        .map(|i| {
            let storage = storage.clone();
            let barrier = barrier.clone();
            let mut user = user_record(&format!("racer{i}"));
            user.username = Some("winner".into());
            tokio::spawn(async move {
                barrier.wait().await;
                storage
                    .commit(vec![
                        WriteOp::InsertUser(Box::new(user.clone())),
                        WriteOp::AppendLog(Box::new(log_record(
                            log_keys::USER_CREATED,
                            Some(&user.id),
                        ))),
                    ])
                    .await
            })
        })
        .collect();
    let mut wins = 0;
    for result in futures::future::join_all(tasks).await {
        match result.unwrap() {
            Ok(()) => wins += 1,
            Err(err) => assert_eq!(err.code(), "USERNAME_ALREADY_IN_USE", "{err:?}"),
        }
    }
    assert_eq!(wins, 1);
    assert_eq!(all_users(storage.as_ref()).await.len(), 1);
    assert_eq!(all_logs(storage.as_ref()).await.len(), 1);
}

pub async fn logs_match_reference_evaluator(fx: Fixture) {
    let storage = fx.storage().as_ref();
    let users: Vec<_> = (0..3).map(|i| user_record(&format!("logged{i}"))).collect();
    let role = role_record("LoggedRole", false);
    let mut entries = Vec::new();
    for i in 0..30usize {
        let mut entry = log_record(
            [log_keys::USER_UPDATED, log_keys::USER_PASSWORD_VERIFIED][i % 2],
            (i % 4 != 3).then(|| &users[i % 3].id),
        );
        if i % 5 == 0 {
            entry.result = LogResult::Error;
            entry.error = Some("password mismatch".into());
        }
        if i % 6 == 0 {
            entry.role_id = Some(role.id.clone());
        }
        // Several entries share a timestamp: ties go by id.
        entry.created_at =
            usergraph_core::time::from_micros(1_700_000_000_000_000 + (i / 3) as i64).unwrap();
        entries.push(entry);
    }
    storage
        .commit(
            entries
                .iter()
                .map(|e| WriteOp::AppendLog(Box::new(e.clone())))
                .collect(),
        )
        .await
        .unwrap();
    let t = |offset: i64| usergraph_core::time::from_micros(1_700_000_000_000_000 + offset);
    let filters = [
        LogFilter::default(),
        LogFilter {
            user_id: Some(users[1].id.clone()),
            ..LogFilter::default()
        },
        LogFilter {
            role_id: Some(role.id.clone()),
            ..LogFilter::default()
        },
        LogFilter {
            key: Some(log_keys::USER_UPDATED.into()),
            result: Some(LogResult::Error),
            ..LogFilter::default()
        },
        LogFilter {
            created_from: t(3),
            created_until: t(7),
            ..LogFilter::default()
        },
        LogFilter {
            user_id: Some(users[0].id.clone()),
            created_from: t(5),
            ..LogFilter::default()
        },
        // An empty window, and one that ends before it starts.
        LogFilter {
            created_from: t(4),
            created_until: t(4),
            ..LogFilter::default()
        },
        LogFilter {
            created_from: t(6),
            created_until: t(2),
            ..LogFilter::default()
        },
    ];
    // Newest first (the `logs` lists) and oldest first (a subscription's
    // replay), each paged with and without counts.
    for (filter, oldest_first) in filters
        .iter()
        .flat_map(|filter| [(filter.clone(), false), (filter.clone(), true)])
    {
        let whole = LogSearch {
            filter: filter.clone(),
            after: None,
            limit: EVERYTHING,
            count_limit: Some(u64::MAX),
            oldest_first,
        };
        let actual = storage.search_logs(&whole).await.unwrap();
        assert_eq!(actual, eval::search_logs(&entries, &whole), "{filter:?}");
        let mut after = None;
        let mut walked = Vec::new();
        for page_no in 0.. {
            let search = LogSearch {
                filter: filter.clone(),
                after: after.clone(),
                limit: 4,
                count_limit: (page_no % 2 == 1).then_some(u64::MAX),
                oldest_first,
            };
            let page = storage.search_logs(&search).await.unwrap();
            assert_eq!(
                page,
                eval::search_logs(&entries, &search),
                "{filter:?} after {after:?}, oldest first: {oldest_first}"
            );
            let Some(last) = page.items.last() else { break };
            after = Some(eval::log_sort_key(last));
            walked.extend(page.items);
        }
        assert_eq!(
            walked, actual.items,
            "{filter:?}, oldest first: {oldest_first}: paging neither skips nor repeats"
        );
    }
}

pub async fn roles_match_reference_evaluator(fx: Fixture) {
    let storage = fx.storage().as_ref();
    let mut roles = Vec::new();
    for (i, name) in [
        "Support", "sales", "SRE", "Admin", "auditor", "Billing", "b2b",
    ]
    .into_iter()
    .enumerate()
    {
        let mut role = role_record(name, i % 2 == 0);
        if i % 3 == 0 {
            role.description = Some(format!("Team {name} handles escalations"));
        }
        roles.push(role);
    }
    storage
        .commit(
            roles
                .iter()
                .map(|r| WriteOp::InsertRole(Box::new(r.clone())))
                .collect(),
        )
        .await
        .unwrap();
    let id_fragment = roles[2].id.as_str()[3..9].to_uppercase();
    for search in [
        None,
        Some("s".to_owned()),
        Some("ESCALATION".into()),
        Some(id_fragment),
    ] {
        let whole = RoleSearch {
            search: search.clone(),
            after: None,
            limit: EVERYTHING,
            count_limit: Some(u64::MAX),
        };
        let actual = storage.search_roles(&whole).await.unwrap();
        assert_eq!(actual, eval::search_roles(&roles, &whole), "{search:?}");
        let mut after = None;
        let mut walked = Vec::new();
        for page_no in 0.. {
            let page_search = RoleSearch {
                search: search.clone(),
                after: after.clone(),
                limit: 2,
                count_limit: (page_no % 2 == 1).then_some(u64::MAX),
            };
            let page = storage.search_roles(&page_search).await.unwrap();
            assert_eq!(page, eval::search_roles(&roles, &page_search), "{search:?}");
            let Some(last) = page.items.last() else { break };
            after = Some(eval::role_sort_key(last));
            walked.extend(page.items);
        }
        assert_eq!(walked, actual.items, "{search:?}");
    }
}

/// A tripwire for commits that abort after writing: each round logs first,
/// then collides with an email already stored, and nothing of it may stay.
/// 50 rounds in one store keep PostgreSQL's run short.
pub async fn aborted_commits_never_leak_writes(fx: Fixture) {
    const ROUNDS: usize = 50;
    let storage = fx.storage().as_ref();
    for round in 0..ROUNDS {
        let holder = user_record(&format!("holder{round}"));
        storage.commit(vec![insert(&holder)]).await.unwrap();
        let mut loser = user_record(&format!("loser{round}"));
        loser.primary_email = holder.primary_email.as_deref().map(str::to_uppercase);
        let result = storage
            .commit(vec![
                log(log_keys::USER_CREATED, Some(&loser.id)),
                insert(&loser),
            ])
            .await;
        expect_err(result, "EMAIL_ALREADY_IN_USE", None);
        let logs = all_logs(storage).await;
        assert!(logs.is_empty(), "round {round}: {logs:?}");
        assert_eq!(
            storage.user(&loser.id).await.unwrap(),
            None,
            "round {round}"
        );
        assert_eq!(all_users(storage).await.len(), round + 1, "round {round}");
    }
}

fn require_holder(role: &RoleId) -> WriteOp {
    WriteOp::RequireActiveHolder {
        role_id: role.clone(),
        refusal: "cannot remove the last holder".into(),
    }
}

fn unassign(user: &UserId, role: &RoleId) -> WriteOp {
    WriteOp::UnassignRoles {
        user_id: user.clone(),
        role_ids: vec![role.clone()],
    }
}

/// Three holders of a role, `b` suspended.
async fn holders(storage: &dyn Storage) -> (RoleId, [usergraph_core::User; 3]) {
    let role = role_record("guarded", false);
    let a = user_record("holder_a");
    let mut b = user_record("holder_b");
    b.is_suspended = true;
    let c = user_record("holder_c");
    let mut ops = vec![WriteOp::InsertRole(Box::new(role.clone()))];
    for user in [&a, &b, &c] {
        ops.push(insert(user));
        ops.push(WriteOp::AssignRoles {
            user_id: user.id.clone(),
            role_ids: vec![role.id.clone()],
        });
    }
    storage.commit(ops).await.unwrap();
    (role.id, [a, b, c])
}

/// The op sees the commit's own earlier ops, ignores suspended holders,
/// and refuses the whole commit when no active holder is left.
pub async fn require_active_holder_checks_the_committed_result(fx: Fixture) {
    let storage = fx.storage().as_ref();
    let (role, [a, b, c]) = holders(storage).await;
    storage.commit(vec![require_holder(&role)]).await.unwrap();
    storage
        .commit(vec![unassign(&a.id, &role), require_holder(&role)])
        .await
        .unwrap();

    // c is the only active holder left; b, suspended, does not count.
    let err = expect_err(
        storage
            .commit(vec![
                unassign(&c.id, &role),
                log(log_keys::USER_ROLES_REMOVED, Some(&c.id)),
                require_holder(&role),
            ])
            .await,
        "FORBIDDEN",
        None,
    );
    assert_eq!(err.to_string(), "cannot remove the last holder");
    let held = storage
        .role_ids_of_users(std::slice::from_ref(&c.id))
        .await
        .unwrap();
    assert_eq!(
        held.get(&c.id),
        Some(&vec![role.clone()]),
        "nothing written"
    );
    assert!(all_logs(storage).await.is_empty(), "no log appended");

    // Deleting or suspending c counts the same way.
    expect_err(
        storage
            .commit(vec![
                WriteOp::DeleteUser { id: c.id.clone() },
                require_holder(&role),
            ])
            .await,
        "FORBIDDEN",
        None,
    );
    let mut suspended = c.clone();
    suspended.is_suspended = true;
    suspended.version = c.version + 1;
    let suspend = WriteOp::UpdateUser {
        user: Box::new(suspended),
        expected_version: c.version,
    };
    expect_err(
        storage.commit(vec![suspend, require_holder(&role)]).await,
        "FORBIDDEN",
        None,
    );
    assert!(
        storage
            .user(&c.id)
            .await
            .unwrap()
            .is_some_and(|u| !u.is_suspended)
    );

    // Unsuspending b in the same commit makes taking c away possible.
    let mut active = b.clone();
    active.is_suspended = false;
    active.version = b.version + 1;
    storage
        .commit(vec![
            WriteOp::UpdateUser {
                user: Box::new(active),
                expected_version: b.version,
            },
            unassign(&c.id, &role),
            require_holder(&role),
        ])
        .await
        .unwrap();
}

/// Two commits, each taking away one of the last two active holders, race:
/// whatever the interleaving, exactly one passes and one holder remains.
pub async fn concurrent_removals_leave_an_active_holder(fx: Fixture) {
    const ROUNDS: usize = 8;
    let storage = fx.storage().clone();
    let (role, [a, _, c]) = holders(storage.as_ref()).await;
    for _ in 0..ROUNDS {
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let tasks: Vec<_> = [&a.id, &c.id]
            .into_iter()
            .map(|user| {
                let (storage, barrier) = (storage.clone(), barrier.clone());
                let ops = vec![unassign(user, &role), require_holder(&role)];
                tokio::spawn(async move {
                    barrier.wait().await;
                    storage.commit(ops).await
                })
            })
            .collect();
        let mut passed = 0;
        for result in futures::future::join_all(tasks).await {
            match result.unwrap() {
                Ok(()) => passed += 1,
                Err(e) => assert_eq!(e.code(), "FORBIDDEN", "{e:?}"),
            }
        }
        assert_eq!(passed, 1, "exactly one removal passes");
        let held = storage
            .role_ids_of_users(&[a.id.clone(), c.id.clone()])
            .await
            .unwrap();
        let holding = [&a.id, &c.id]
            .into_iter()
            .filter(|id| held.get(*id).is_some_and(|roles| roles.contains(&role)))
            .count();
        assert_eq!(holding, 1, "one active holder remains");
        // Both hold the role again for the next round.
        for user in [&a.id, &c.id] {
            storage
                .commit(vec![WriteOp::AssignRoles {
                    user_id: user.clone(),
                    role_ids: vec![role.clone()],
                }])
                .await
                .unwrap();
        }
    }
}
