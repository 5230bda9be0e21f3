//! Helpers shared by the behaviours: callers, quick records, error checks and
//! whole-store reads.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use serde_json::{Map, Value, json};
use usergraph_core::filter::UserFilter;
use usergraph_core::query::LogSearch;
use usergraph_core::query::{LogFilter, UserOrder, UserSearch};
use usergraph_core::service::CreateUser;
use usergraph_core::{
    Caller, Error, LogEntry, LogId, LogResult, Profile, Result, Role, RoleId, Service, Storage,
    User, UserId,
};

/// More than any behaviour writes, so that one storage page is everything.
pub(crate) const EVERYTHING: usize = 100_000;

pub(crate) fn sys() -> Caller {
    Caller::system()
}

/// Asserts `result` failed with `code` (and `field`, when given) and returns
/// the error.
#[track_caller]
pub(crate) fn expect_err<T: Debug>(result: Result<T>, code: &str, field: Option<&str>) -> Error {
    match result {
        Ok(value) => panic!("expected {code} (field {field:?}), got Ok({value:?})"),
        Err(err) => {
            assert_eq!(err.code(), code, "wrong code for error {err:?}");
            if let Some(field) = field {
                assert_eq!(err.field(), Some(field), "wrong field for error {err:?}");
            }
            err
        }
    }
}

pub(crate) async fn create_named(svc: &Service, username: &str) -> User {
    svc.create_user(
        &sys(),
        CreateUser {
            username: Some(username.to_owned()),
            ..CreateUser::default()
        },
    )
    .await
    .unwrap()
}

pub(crate) async fn create_with_email(svc: &Service, email: &str) -> User {
    svc.create_user(
        &sys(),
        CreateUser {
            primary_email: Some(email.to_owned()),
            ..CreateUser::default()
        },
    )
    .await
    .unwrap()
}

/// Every log entry in the store, newest first.
pub(crate) async fn all_logs(storage: &dyn Storage) -> Vec<LogEntry> {
    logs_where(storage, LogFilter::default()).await
}

pub(crate) async fn logs_where(storage: &dyn Storage, filter: LogFilter) -> Vec<LogEntry> {
    storage
        .search_logs(&LogSearch {
            filter,
            after: None,
            limit: EVERYTHING,
            count_limit: None,
            oldest_first: false,
        })
        .await
        .unwrap()
        .items
}

/// The user's log entries, newest first.
pub(crate) async fn user_logs(storage: &dyn Storage, user_id: &UserId) -> Vec<LogEntry> {
    logs_where(
        storage,
        LogFilter {
            user_id: Some(user_id.clone()),
            ..LogFilter::default()
        },
    )
    .await
}

pub(crate) fn keys(logs: &[LogEntry]) -> Vec<&str> {
    logs.iter().map(|l| l.key.as_str()).collect()
}

/// Every user in the store, in the default order.
pub(crate) async fn all_users(storage: &dyn Storage) -> Vec<User> {
    storage
        .search_users(&UserSearch {
            filter: UserFilter::All,
            order: vec![UserOrder::DEFAULT],
            after: None,
            backward: false,
            limit: EVERYTHING,
            count_limit: None,
        })
        .await
        .unwrap()
        .items
}

/// The string array under `key` of a log payload, as a set.
#[track_caller]
pub(crate) fn payload_set(entry: &LogEntry, key: &str) -> BTreeSet<String> {
    entry.payload[key]
        .as_array()
        .unwrap_or_else(|| {
            panic!(
                "payload of {} has no array {key:?}: {}",
                entry.key, entry.payload
            )
        })
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

pub(crate) fn set<const N: usize>(items: [&str; N]) -> BTreeSet<String> {
    items.into_iter().map(str::to_owned).collect()
}

pub(crate) fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not a JSON object: {other}"),
    }
}

/// A valid user record, for behaviours that talk to storage directly.
pub fn user_record(username: &str) -> User {
    let now = usergraph_core::time::now();
    User {
        id: UserId::generate(),
        username: Some(username.to_owned()),
        primary_email: Some(format!("{username}@example.com")),
        primary_phone: None,
        name: None,
        avatar: None,
        profile: Profile::default(),
        custom_data: Map::new(),
        identities: BTreeMap::new(),
        password: None,
        is_suspended: false,
        last_sign_in_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

pub(crate) fn role_record(name: &str, is_default: bool) -> Role {
    let now = usergraph_core::time::now();
    Role {
        id: RoleId::generate(),
        name: name.to_owned(),
        description: None,
        permissions: Vec::new(),
        is_default,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

pub fn log_record(key: &str, user_id: Option<&UserId>) -> LogEntry {
    LogEntry {
        id: LogId::generate(),
        key: key.to_owned(),
        result: LogResult::Success,
        user_id: user_id.cloned(),
        role_id: None,
        actor_id: None,
        token_id: None,
        ip: None,
        user_agent: None,
        payload: json!({}),
        error: None,
        created_at: usergraph_core::time::now(),
    }
}
