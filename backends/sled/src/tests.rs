//! Engine-level checks of the sled backend. The behaviour suite shared by
//! every backend lives in `usergraph-conformance`.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{TimeDelta, TimeZone, Utc};
use serde_json::{Map, json};
use usergraph_core::eval;
use usergraph_core::filter::{RoleMembership, StringField, StringOp, UserFilter};
use usergraph_core::query::{
    Direction, LogFilter, LogSearch, RoleSearch, UserOrder, UserOrderField, UserSearch,
};
use usergraph_core::{
    Error, LogEntry, LogId, LogResult, Profile, Role, RoleId, Storage, UniqueKey, User, UserId,
    WriteOp,
};
use usergraph_kv::{KvEngine, KvStorage, Tree};

use super::{SledEngine, SledStorage};

fn at(seconds: i64) -> usergraph_core::Timestamp {
    Utc.timestamp_opt(1_700_000_000, 0).unwrap() + TimeDelta::seconds(seconds)
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

fn with_email(id: &str, email: &str) -> User {
    let mut u = user(id, 0);
    u.primary_email = Some(email.into());
    u
}

fn role(id: &str, name: &str) -> Role {
    Role {
        id: RoleId::parse(id).unwrap(),
        name: name.into(),
        description: None,
        permissions: vec![],
        is_default: false,
        created_at: at(0),
        updated_at: at(0),
        version: 1,
    }
}

fn log(id: &str, created: i64, user_id: Option<&str>) -> LogEntry {
    LogEntry {
        id: LogId::parse(id).unwrap(),
        key: "User.Created".into(),
        result: LogResult::Success,
        user_id: user_id.map(|u| UserId::parse(u).unwrap()),
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

fn uid(id: &str) -> UserId {
    UserId::parse(id).unwrap()
}

fn rid(id: &str) -> RoleId {
    RoleId::parse(id).unwrap()
}

fn insert(user: User) -> WriteOp {
    WriteOp::InsertUser(Box::new(user))
}

async fn all_logs(storage: &SledStorage) -> Vec<LogEntry> {
    let search = LogSearch {
        filter: LogFilter::default(),
        after: None,
        limit: 1000,
        count_total: false,
    };
    storage.search_logs(&search).await.unwrap().items
}

#[tokio::test]
async fn open_creates_missing_directories_and_reopening_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/deeper/sled");
    {
        let storage = SledStorage::open(&path).unwrap();
        storage
            .commit(vec![
                WriteOp::InsertRole(Box::new(role("r1", "Admin"))),
                insert(with_email("u1", "Ann@Example.com")),
                WriteOp::AssignRoles {
                    user_id: uid("u1"),
                    role_ids: vec![rid("r1")],
                },
                WriteOp::AppendLog(Box::new(log("l1", 0, Some("u1")))),
            ])
            .await
            .unwrap();
    }
    assert!(path.exists());
    let storage = SledStorage::open(&path).unwrap();
    let found = storage.user(&uid("u1")).await.unwrap().unwrap();
    assert_eq!(found, with_email("u1", "Ann@Example.com"));
    let by_email = storage
        .user_by_key(&UniqueKey::Email("ann@example.com".into()))
        .await
        .unwrap();
    assert_eq!(by_email.map(|u| u.id), Some(uid("u1")));
    assert_eq!(
        storage.role_by_name("admin").await.unwrap().map(|r| r.id),
        Some(rid("r1"))
    );
    let held = storage
        .role_ids_of_users(&[uid("u1"), uid("ghost")])
        .await
        .unwrap();
    assert_eq!(held.get(&uid("u1")), Some(&vec![rid("r1")]));
    assert!(!held.contains_key(&uid("ghost")));
    assert_eq!(all_logs(&storage).await.len(), 1);
}

#[tokio::test]
async fn a_store_in_an_unknown_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let engine = SledEngine::open(&path).unwrap();
    engine
        .write(&mut |txn| txn.insert(Tree::Meta, b"format", &[9]))
        .unwrap();
    let err = KvStorage::new(engine).unwrap_err();
    assert_eq!(err.code(), "INTERNAL");
}

#[tokio::test]
async fn a_failing_op_writes_nothing_of_its_commit() {
    let storage = SledStorage::in_memory().unwrap();
    storage
        .commit(vec![insert(with_email("u1", "a@example.com"))])
        .await
        .unwrap();
    let err = storage
        .commit(vec![
            WriteOp::AppendLog(Box::new(log("l1", 0, Some("u2")))),
            insert(with_email("u2", "A@EXAMPLE.COM")),
        ])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::EmailAlreadyInUse), "{err:?}");
    assert!(storage.user(&uid("u2")).await.unwrap().is_none());
    let logs = all_logs(&storage).await;
    assert!(logs.is_empty(), "{logs:?}");
    let err = storage
        .commit(vec![WriteOp::AssignRoles {
            user_id: uid("u1"),
            role_ids: vec![rid("missing")],
        }])
        .await
        .unwrap_err();
    assert_eq!(err.code(), "NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_creates_of_one_email_have_one_winner() {
    let storage = Arc::new(SledStorage::in_memory().unwrap());
    let attempts = (0..50).map(|i| {
        let storage = Arc::clone(&storage);
        tokio::spawn(async move {
            let email = if i % 2 == 0 {
                "race@example.com"
            } else {
                "RACE@example.com"
            };
            storage
                .commit(vec![insert(with_email(&format!("u{i}"), email))])
                .await
        })
    });
    let mut wins = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(()) => wins += 1,
            Err(Error::EmailAlreadyInUse) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(wins, 1);
}

#[tokio::test]
async fn updates_check_versions_and_move_unique_keys() {
    let storage = SledStorage::in_memory().unwrap();
    let mut u1 = with_email("u1", "one@example.com");
    u1.username = Some("One".into());
    storage
        .commit(vec![
            insert(u1.clone()),
            insert(with_email("u2", "two@example.com")),
        ])
        .await
        .unwrap();

    let mut changed = u1.clone();
    changed.primary_email = Some("uno@example.com".into());
    changed.version = 2;
    let stale = WriteOp::UpdateUser {
        user: Box::new(changed.clone()),
        expected_version: 7,
    };
    assert!(matches!(
        storage.commit(vec![stale]).await,
        Err(Error::StaleVersion)
    ));
    storage
        .commit(vec![WriteOp::UpdateUser {
            user: Box::new(changed.clone()),
            expected_version: 1,
        }])
        .await
        .unwrap();
    // The old email is free again; the new one is taken.
    storage
        .commit(vec![insert(with_email("u3", "ONE@example.com"))])
        .await
        .unwrap();
    let clash = storage
        .commit(vec![insert(with_email("u4", "uno@example.com"))])
        .await;
    assert!(matches!(clash, Err(Error::EmailAlreadyInUse)));
    // Keeping one's own keys on update is no conflict.
    let mut again = changed.clone();
    again.name = Some("Uno".into());
    again.version = 3;
    storage
        .commit(vec![WriteOp::UpdateUser {
            user: Box::new(again),
            expected_version: 2,
        }])
        .await
        .unwrap();
    let mut u2 = with_email("u2", "two@example.com");
    u2.username = Some("ONE".into());
    let taken = storage
        .commit(vec![WriteOp::UpdateUser {
            user: Box::new(u2),
            expected_version: 1,
        }])
        .await;
    assert!(matches!(taken, Err(Error::UsernameAlreadyInUse)));
}

#[tokio::test]
async fn deletes_remove_assignments_and_free_keys_but_keep_logs() {
    let storage = SledStorage::in_memory().unwrap();
    storage
        .commit(vec![
            WriteOp::InsertRole(Box::new(role("r1", "one"))),
            WriteOp::InsertRole(Box::new(role("r2", "two"))),
            insert(with_email("u1", "a@example.com")),
            insert(with_email("u2", "b@example.com")),
            WriteOp::AssignRoles {
                user_id: uid("u1"),
                role_ids: vec![rid("r1"), rid("r2")],
            },
            WriteOp::ReplaceRoles {
                user_id: uid("u2"),
                role_ids: vec![rid("r1")],
            },
            WriteOp::AppendLog(Box::new(log("l1", 0, Some("u1")))),
        ])
        .await
        .unwrap();
    storage
        .commit(vec![WriteOp::DeleteRole { id: rid("r1") }])
        .await
        .unwrap();
    let held = storage
        .role_ids_of_users(&[uid("u1"), uid("u2")])
        .await
        .unwrap();
    assert_eq!(held[&uid("u1")], vec![rid("r2")]);
    assert_eq!(held[&uid("u2")], Vec::<RoleId>::new());
    assert!(storage.role_by_name("one").await.unwrap().is_none());
    // The name of a deleted role can be used again.
    storage
        .commit(vec![WriteOp::InsertRole(Box::new(role("r3", "ONE")))])
        .await
        .unwrap();

    storage
        .commit(vec![WriteOp::DeleteUser { id: uid("u1") }])
        .await
        .unwrap();
    assert!(storage.user(&uid("u1")).await.unwrap().is_none());
    let err = storage
        .commit(vec![WriteOp::DeleteUser { id: uid("u1") }])
        .await
        .unwrap_err();
    assert_eq!(err.code(), "NOT_FOUND");
    storage
        .commit(vec![insert(with_email("u9", "a@example.com"))])
        .await
        .unwrap();
    assert_eq!(all_logs(&storage).await.len(), 1);
    let by_user = storage
        .search_logs(&LogSearch {
            filter: LogFilter {
                user_id: Some(uid("u1")),
                ..LogFilter::default()
            },
            after: None,
            limit: 10,
            count_total: true,
        })
        .await
        .unwrap();
    assert_eq!(by_user.total, Some(1));
}

/// A fixed mix of users, roles and logs with ties and nulls in every order.
async fn populated() -> (
    SledStorage,
    Vec<User>,
    Vec<(UserId, Vec<RoleId>)>,
    Vec<Role>,
    Vec<LogEntry>,
) {
    let storage = SledStorage::in_memory().unwrap();
    let roles = vec![
        role("r1", "Editor"),
        role("r2", "admin"),
        role("r3", "viewer"),
    ];
    let mut ops: Vec<WriteOp> = roles
        .iter()
        .map(|r| WriteOp::InsertRole(Box::new(r.clone())))
        .collect();
    let mut users = Vec::new();
    let mut held = Vec::new();
    let mut logs = Vec::new();
    for i in 0..40i64 {
        let mut u = user(&format!("u{:02}", (i * 7) % 40), i / 3);
        u.name = (i % 4 != 0).then(|| ["Zed", "amy", "Bob"][i as usize % 3].to_owned());
        u.username = (i % 5 != 0).then(|| format!("user{}", 40 - i));
        u.last_sign_in_at = (i % 2 == 0).then(|| at(100 - i / 2));
        u.is_suspended = i % 6 == 0;
        let role_ids: Vec<RoleId> = roles
            .iter()
            .enumerate()
            .filter(|(n, _)| (i as usize + n).is_multiple_of(3))
            .map(|(_, r)| r.id.clone())
            .collect();
        ops.push(insert(u.clone()));
        ops.push(WriteOp::AssignRoles {
            user_id: u.id.clone(),
            role_ids: role_ids.clone(),
        });
        let mut entry = log(&format!("l{i:02}"), i / 4, Some(u.id.as_str()));
        if i % 3 == 0 {
            entry.result = LogResult::Error;
            entry.key = "User.Password.Verified".into();
        }
        if i % 5 == 0 {
            entry.role_id = Some(rid("r1"));
        }
        ops.push(WriteOp::AppendLog(Box::new(entry.clone())));
        logs.push(entry);
        let mut sorted = role_ids;
        sorted.sort();
        held.push((u.id.clone(), sorted));
        users.push(u);
    }
    storage.commit(ops).await.unwrap();
    (storage, users, held, roles, logs)
}

#[tokio::test]
async fn user_searches_page_exactly_like_the_reference_evaluator() {
    let (storage, users, held, _, _) = populated().await;
    let pairs: Vec<(&User, &[RoleId])> = users
        .iter()
        .zip(&held)
        .map(|(u, (_, roles))| (u, roles.as_slice()))
        .collect();
    let order = |field, direction| UserOrder { field, direction };
    let orders = [
        vec![UserOrder::DEFAULT],
        vec![order(UserOrderField::CreatedAt, Direction::Asc)],
        vec![order(UserOrderField::Name, Direction::Asc)],
        vec![
            order(UserOrderField::Name, Direction::Desc),
            order(UserOrderField::LastSignInAt, Direction::Asc),
        ],
        vec![order(UserOrderField::Username, Direction::Desc)],
    ];
    let filters = [
        UserFilter::All,
        UserFilter::simple_search("U1"),
        UserFilter::IsSuspended(false).and(UserFilter::String {
            field: StringField::Name,
            op: StringOp::Ne("bob".into()),
            case_sensitive: false,
        }),
        UserFilter::Roles(RoleMembership {
            any: Some(vec![rid("r1"), rid("r3")]),
            all: None,
            none: Some(vec![rid("r2")]),
        }),
    ];
    for order in &orders {
        for filter in &filters {
            for limit in [1, 3, 7] {
                let mut search = UserSearch {
                    filter: filter.clone(),
                    order: order.clone(),
                    after: None,
                    backward: false,
                    limit,
                    count_total: false,
                };
                let mut pages = 0;
                loop {
                    search.count_total = pages % 2 == 0;
                    let expected = eval::search_users(pairs.iter().copied(), &search);
                    let got = storage.search_users(&search).await.unwrap();
                    assert_eq!(
                        got, expected,
                        "{order:?} {filter:?} limit {limit} page {pages}"
                    );
                    let Some(last) = got.items.last() else { break };
                    search.after = Some(eval::sort_key(last, order));
                    pages += 1;
                }
            }
        }
    }
}

#[tokio::test]
async fn log_and_role_searches_page_exactly_like_the_reference_evaluator() {
    let (storage, _, _, roles, logs) = populated().await;
    let filters = [
        LogFilter::default(),
        LogFilter {
            user_id: Some(uid("u07")),
            ..LogFilter::default()
        },
        LogFilter {
            role_id: Some(rid("r1")),
            created_from: Some(at(2)),
            ..LogFilter::default()
        },
        LogFilter {
            result: Some(LogResult::Error),
            created_until: Some(at(8)),
            ..LogFilter::default()
        },
        LogFilter {
            created_from: Some(at(3)),
            created_until: Some(at(3)),
            ..LogFilter::default()
        },
        LogFilter {
            created_from: Some(at(5)),
            created_until: Some(at(1)),
            ..LogFilter::default()
        },
    ];
    for filter in filters {
        for limit in [1, 4] {
            let mut search = LogSearch {
                filter: filter.clone(),
                after: None,
                limit,
                count_total: true,
            };
            loop {
                let expected = eval::search_logs(&logs, &search);
                let got = storage.search_logs(&search).await.unwrap();
                assert_eq!(got, expected, "{filter:?} limit {limit}");
                let Some(last) = got.items.last() else { break };
                search.after = Some(eval::log_sort_key(last));
                search.count_total = !search.count_total;
            }
        }
    }

    for text in [None, Some("ADM"), Some("r"), Some("nothing")] {
        let mut search = RoleSearch {
            search: text.map(str::to_owned),
            after: None,
            limit: 1,
            count_total: true,
        };
        loop {
            let expected = eval::search_roles(&roles, &search);
            let got = storage.search_roles(&search).await.unwrap();
            assert_eq!(got, expected, "{text:?}");
            let Some(last) = got.items.last() else { break };
            search.after = Some(eval::role_sort_key(last));
        }
    }
}

#[tokio::test]
async fn default_roles_and_batch_reads_follow_their_contracts() {
    let storage = SledStorage::in_memory().unwrap();
    let mut zeta = role("r1", "zeta");
    zeta.is_default = true;
    let mut alpha = role("r2", "Alpha");
    alpha.is_default = true;
    storage
        .commit(vec![
            WriteOp::InsertRole(Box::new(zeta)),
            WriteOp::InsertRole(Box::new(alpha)),
            WriteOp::InsertRole(Box::new(role("r3", "beta"))),
            insert(user("u1", 1)),
            insert(user("u2", 2)),
        ])
        .await
        .unwrap();
    let defaults: Vec<String> = storage
        .default_roles()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(defaults, ["Alpha", "zeta"]);
    let found: Vec<UserId> = storage
        .users(&[uid("u2"), uid("nobody"), uid("u1")])
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(found, [uid("u2"), uid("u1")]);
    let found: Vec<RoleId> = storage
        .roles(&[rid("r3"), rid("r1")])
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(found, [rid("r3"), rid("r1")]);
    let dup = storage
        .commit(vec![WriteOp::InsertRole(Box::new(role("r4", "BETA")))])
        .await
        .unwrap_err();
    assert_eq!((dup.code(), dup.field()), ("CONFLICT", Some("name")));
}

/// Many fresh databases, each with one aborted commit: none may leak a write.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn aborted_commits_never_leak_writes() {
    for round in 0..200 {
        let storage = SledStorage::in_memory().unwrap();
        storage
            .commit(vec![insert(with_email("u1", "a@example.com"))])
            .await
            .unwrap();
        let err = storage
            .commit(vec![
                WriteOp::AppendLog(Box::new(log("l1", 0, Some("u2")))),
                insert(with_email("u2", "A@EXAMPLE.COM")),
            ])
            .await
            .unwrap_err();
        assert!(matches!(err, Error::EmailAlreadyInUse));
        let logs = all_logs(&storage).await;
        assert!(logs.is_empty(), "round {round}: {logs:?}");
    }
}

/// Copies the files of a sled directory, as a crash at this instant would
/// leave them.
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// sled's timer flush is switched off here, so only the engine's own flush
/// can put the commit on disk before the files are copied.
#[tokio::test]
async fn a_commit_is_on_disk_when_it_returns() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live");
    let config = sled::Config::new().path(&live).flush_every_ms(None);
    let engine = SledEngine::from_config(&config, Some(live.clone())).unwrap();
    let storage = KvStorage::new(engine).unwrap();
    storage
        .commit(vec![
            insert(with_email("u1", "durable@example.com")),
            WriteOp::AppendLog(Box::new(log("l1", 0, Some("u1")))),
        ])
        .await
        .unwrap();
    let crashed = dir.path().join("crashed");
    copy_dir(&live, &crashed);
    let recovered = SledStorage::open(&crashed).unwrap();
    let found = recovered
        .user_by_key(&UniqueKey::Email("durable@example.com".into()))
        .await
        .unwrap();
    assert_eq!(found.map(|u| u.id), Some(uid("u1")));
    assert_eq!(all_logs(&recovered).await.len(), 1);
    drop(storage);
}

#[tokio::test]
async fn a_read_transaction_sees_no_commit_made_while_it_lives() {
    let storage = Arc::new(SledStorage::in_memory().unwrap());
    storage
        .commit(vec![insert(with_email("u1", "a@example.com"))])
        .await
        .unwrap();
    let writer = {
        let reader = storage.engine().read().unwrap();
        let writer = {
            let storage = Arc::clone(&storage);
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .unwrap();
                runtime.block_on(storage.commit(vec![
                    WriteOp::DeleteUser { id: uid("u1") },
                    insert(with_email("u2", "a@example.com")),
                ]))
            })
        };
        // Give the commit every chance to land under the open reader.
        std::thread::sleep(std::time::Duration::from_millis(200));
        let index = reader
            .scan(Tree::UsersByCreated, usergraph_kv::KeyRange::all(), false)
            .unwrap()
            .count();
        assert_eq!(index, 1);
        assert!(reader.get(Tree::Users, b"u1").unwrap().is_some());
        assert!(reader.get(Tree::Users, b"u2").unwrap().is_none());
        writer
    };
    writer.join().unwrap().unwrap();
    assert!(storage.user(&uid("u1")).await.unwrap().is_none());
    assert!(storage.user(&uid("u2")).await.unwrap().is_some());
}

#[tokio::test]
async fn trees_do_not_leak_into_each_other() {
    let engine = SledEngine::temporary().unwrap();
    engine
        .write(&mut |txn| {
            txn.insert(Tree::Users, b"", b"first")?;
            txn.insert(Tree::Users, b"\xff\xff", b"last")?;
            txn.insert(Tree::UserKeys, b"", b"other")?;
            txn.insert(Tree::Meta, b"\xff", b"before")
        })
        .unwrap();
    let reader = engine.read().unwrap();
    for reverse in [false, true] {
        let mut keys: Vec<Vec<u8>> = reader
            .scan(Tree::Users, usergraph_kv::KeyRange::all(), reverse)
            .unwrap()
            .map(|entry| entry.unwrap().0)
            .collect();
        if reverse {
            keys.reverse();
        }
        assert_eq!(keys, [b"".to_vec(), b"\xff\xff".to_vec()]);
    }
    assert_eq!(
        reader.get(Tree::UserKeys, b"").unwrap(),
        Some(b"other".to_vec())
    );
    assert_eq!(reader.get(Tree::Roles, b"").unwrap(), None);
}
