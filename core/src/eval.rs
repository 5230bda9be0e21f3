//! The reference evaluator: the specification of search. Given users and a
//! search, it says which users match and in which order. Backends may use
//! indexes to answer faster, never to answer differently; the conformance
//! suite compares them with this.

use std::cmp::Ordering;

use crate::filter::UserFilter;
use crate::ids::RoleId;
use crate::model::{LogEntry, Role, User};
use crate::query::{
    LogFilter, LogSearch, LogSortKey, Page, RoleSearch, RoleSortKey, UserOrder, UserSearch,
    UserSortKey,
};

/// Whether `user`, holding `role_ids`, matches `filter`.
pub fn matches(user: &User, role_ids: &[RoleId], filter: &UserFilter) -> bool {
    todo!()
}

/// The user's position in `order`.
pub fn sort_key(user: &User, order: &[UserOrder]) -> UserSortKey {
    todo!()
}

/// Compares two positions in `order`: nulls last in either direction; ties
/// broken by id in the direction of the last order term.
pub fn compare(a: &UserSortKey, b: &UserSortKey, order: &[UserOrder]) -> Ordering {
    todo!()
}

/// The reference answer to a user search over all users (with their roles).
pub fn search_users<'a>(
    users: impl IntoIterator<Item = (&'a User, &'a [RoleId])>,
    search: &UserSearch,
) -> Page<User> {
    todo!()
}

pub fn role_sort_key(role: &Role) -> RoleSortKey {
    todo!()
}

pub fn role_matches(role: &Role, search: &RoleSearch) -> bool {
    todo!()
}

/// The reference answer to a role search.
pub fn search_roles<'a>(roles: impl IntoIterator<Item = &'a Role>, search: &RoleSearch) -> Page<Role> {
    todo!()
}

pub fn log_sort_key(entry: &LogEntry) -> LogSortKey {
    todo!()
}

pub fn log_matches(entry: &LogEntry, filter: &LogFilter) -> bool {
    todo!()
}

/// The reference answer to a log search (newest first).
pub fn search_logs<'a>(
    entries: impl IntoIterator<Item = &'a LogEntry>,
    search: &LogSearch,
) -> Page<LogEntry> {
    todo!()
}
