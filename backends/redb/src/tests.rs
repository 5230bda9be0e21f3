//! Engine-level checks of the redb backend: opening, reopening and what
//! needs the concrete type. Every `Storage` behaviour (atomic commits,
//! versions, uniqueness, searches) lives in `usergraph-conformance`, which
//! this backend also runs.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use serde_json::{Map, json};
use usergraph_core::query::{LogFilter, LogSearch};
use usergraph_core::{
    LogEntry, LogId, LogResult, Profile, Role, RoleId, Storage, UniqueKey, User, UserId, WriteOp,
};
use usergraph_kv::{KvEngine, KvStorage, Tree};

use super::{RedbEngine, RedbStorage};

/// A fixed instant, so that records read back compare equal.
fn epoch() -> usergraph_core::Timestamp {
    Utc.timestamp_opt(1_700_000_000, 0).unwrap()
}

fn with_email(id: &str, email: &str) -> User {
    User {
        id: UserId::parse(id).unwrap(),
        username: None,
        primary_email: Some(email.into()),
        primary_phone: None,
        name: None,
        avatar: None,
        profile: Profile::default(),
        custom_data: Map::new(),
        identities: BTreeMap::new(),
        password: None,
        is_suspended: false,
        last_sign_in_at: None,
        created_at: epoch(),
        updated_at: epoch(),
        version: 1,
    }
}

fn role(id: &str, name: &str) -> Role {
    Role {
        id: RoleId::parse(id).unwrap(),
        name: name.into(),
        description: None,
        permissions: vec![],
        is_default: false,
        created_at: epoch(),
        updated_at: epoch(),
        version: 1,
    }
}

fn log(id: &str, user_id: Option<&str>) -> LogEntry {
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
        created_at: epoch(),
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

async fn all_logs(storage: &RedbStorage) -> Vec<LogEntry> {
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
    let path = dir.path().join("nested/deeper/usergraph.redb");
    {
        let storage = RedbStorage::open(&path).unwrap();
        storage
            .commit(vec![
                WriteOp::InsertRole(Box::new(role("r1", "Admin"))),
                insert(with_email("u1", "Ann@Example.com")),
                WriteOp::AssignRoles {
                    user_id: uid("u1"),
                    role_ids: vec![rid("r1")],
                },
                WriteOp::AppendLog(Box::new(log("l1", Some("u1")))),
            ])
            .await
            .unwrap();
    }
    assert!(path.exists());
    let storage = RedbStorage::open(&path).unwrap();
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
    let path = dir.path().join("db.redb");
    let engine = RedbEngine::open(&path).unwrap();
    engine
        .write(&mut |txn| txn.insert(Tree::Meta, b"format", &[9]))
        .unwrap();
    let err = KvStorage::new(engine).unwrap_err();
    assert_eq!(err.code(), "INTERNAL");
}
