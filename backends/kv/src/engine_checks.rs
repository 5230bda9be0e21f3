//! Checks every kv engine must pass that need a concrete engine rather than
//! a `Storage` (those live in `usergraph-conformance`): a store reopened from
//! its path keeps everything, and a store in an unknown format is refused.
//! Engine crates call these from their own tests, with the
//! `engine-checks` feature; the fixtures serve their engine-specific tests.

// A panic is a failed check.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{TimeZone, Utc};
use serde_json::{Map, json};
use usergraph_core::query::{LogFilter, LogSearch};
use usergraph_core::{
    LogEntry, LogId, LogResult, Profile, Role, RoleId, Storage, UniqueKey, User, UserId, WriteOp,
};

use crate::{KvStorage, PathEngine, Tree};

/// A fixed instant, so that records read back compare equal.
pub fn epoch() -> usergraph_core::Timestamp {
    Utc.timestamp_opt(1_700_000_000, 0).unwrap()
}

pub fn uid(id: &str) -> UserId {
    UserId::parse(id).unwrap()
}

pub fn rid(id: &str) -> RoleId {
    RoleId::parse(id).unwrap()
}

/// A user with only an id and an email, created at [`epoch`].
pub fn with_email(id: &str, email: &str) -> User {
    User {
        id: uid(id),
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

pub fn role(id: &str, name: &str) -> Role {
    Role {
        id: rid(id),
        name: name.into(),
        description: None,
        permissions: vec![],
        is_default: false,
        created_at: epoch(),
        updated_at: epoch(),
        version: 1,
    }
}

pub fn log(id: &str, user_id: Option<&str>) -> LogEntry {
    LogEntry {
        id: LogId::parse(id).unwrap(),
        key: "User.Created".into(),
        result: LogResult::Success,
        user_id: user_id.map(uid),
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

pub fn insert(user: User) -> WriteOp {
    WriteOp::InsertUser(Box::new(user))
}

pub async fn all_logs(storage: &dyn Storage) -> Vec<LogEntry> {
    let search = LogSearch {
        filter: LogFilter::default(),
        after: None,
        limit: 1000,
        count_total: false,
    };
    storage.search_logs(&search).await.unwrap().items
}

/// Opens a store at `path` (whose parent directories need not exist),
/// writes a user, a role, an assignment and a log, reopens it, and finds
/// them all, through every lookup.
pub async fn reopening_keeps_the_data<E: PathEngine>(path: &Path) {
    {
        let storage = KvStorage::<E>::open(path).unwrap();
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
    let storage = KvStorage::<E>::open(path).unwrap();
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

/// A store stamped with a format this code does not know is refused, not
/// misread.
pub fn unknown_format_is_refused<E: PathEngine>(path: &Path) {
    let engine = E::open_path(path).unwrap();
    engine
        .write(&mut |txn| txn.insert(Tree::Meta, b"format", &[9]))
        .unwrap();
    let err = KvStorage::new(engine).unwrap_err();
    assert_eq!(err.code(), "INTERNAL");
}
