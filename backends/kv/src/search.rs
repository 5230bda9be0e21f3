//! Searches. Each one returns exactly what `usergraph_core::eval` returns
//! over the same data; indexes only decide how much is read.

use std::cmp::Ordering;
use std::ops::Bound;

use usergraph_core::eval;
use usergraph_core::query::{
    Direction, LogSearch, Page, RoleSearch, SortValue, UserOrder, UserOrderField, UserSearch,
    UserSortKey,
};
use usergraph_core::{Error, LogEntry, Result, Role, User};

use crate::codec::decode;
use crate::engine::{KeyRange, ReadTxn, Tree, prefix_end};
use crate::keys;
use crate::read;

pub(crate) fn users(txn: &dyn ReadTxn, search: &UserSearch) -> Result<Page<User>> {
    match created_index_walk(search) {
        Some(walk) => users_by_created(txn, search, walk),
        None => users_sorted(txn, search),
    }
}

/// How to answer from the created-at index: its direction and the key
/// strictly after which the page starts.
struct CreatedWalk {
    reverse: bool,
    after: Option<Vec<u8>>,
}

/// The created-at index answers an order by `createdAt` alone (ties by id in
/// the same direction, which is the index's byte order), given a cursor of
/// that shape; a backward walk scans it the other way.
fn created_index_walk(search: &UserSearch) -> Option<CreatedWalk> {
    let [
        UserOrder {
            field: UserOrderField::CreatedAt,
            direction,
        },
    ] = search.order.as_slice()
    else {
        return None;
    };
    let after = match &search.after {
        None => None,
        Some(UserSortKey { values, id }) => match values.as_slice() {
            [SortValue::Time(Some(at))] => Some(keys::timed(*at, id.as_str())),
            _ => return None,
        },
    };
    Some(CreatedWalk {
        reverse: (*direction == Direction::Desc) != search.backward,
        after,
    })
}

fn roles_for(txn: &dyn ReadTxn, user: &User, needed: bool) -> Result<Vec<usergraph_core::RoleId>> {
    if needed {
        read::role_ids_of(txn, user.id.as_str())
    } else {
        Ok(Vec::new())
    }
}

/// Streams the index from the cursor and stops after one page, unless a
/// count is wanted, which needs one pass over every user anyway.
fn users_by_created(
    txn: &dyn ReadTxn,
    search: &UserSearch,
    walk: CreatedWalk,
) -> Result<Page<User>> {
    let needs_roles = eval::uses_roles(&search.filter);
    let past_cursor = |key: &[u8]| match &walk.after {
        None => true,
        Some(after) if walk.reverse => key < after.as_slice(),
        Some(after) => key > after.as_slice(),
    };
    let mut range = KeyRange::all();
    if let (Some(after), false) = (&walk.after, search.count_total) {
        if walk.reverse {
            range.end = Bound::Excluded(after.clone());
        } else {
            range.start = Bound::Excluded(after.clone());
        }
    }
    let mut items = Vec::new();
    let mut total = 0u64;
    for entry in txn.scan(Tree::UsersByCreated, range, walk.reverse)? {
        let (key, _) = entry?;
        let page_full = items.len() >= search.limit;
        if page_full && !search.count_total {
            break;
        }
        let id = keys::timed_id(&key).ok_or_else(|| Error::internal("malformed index key"))?;
        let Some(user) = read::user(txn, id)? else {
            continue;
        };
        let roles = roles_for(txn, &user, needs_roles)?;
        if !eval::matches(&user, &roles, &search.filter) {
            continue;
        }
        total += 1;
        if !page_full && past_cursor(&key) {
            items.push(user);
        }
    }
    Ok(Page {
        items,
        total: search.count_total.then_some(total),
    })
}

/// Any other order: read every user, keep the best `limit` after the cursor.
/// Memory stays bounded by the page size, not the number of users.
fn users_sorted(txn: &dyn ReadTxn, search: &UserSearch) -> Result<Page<User>> {
    let needs_roles = eval::uses_roles(&search.filter);
    let order = &search.order;
    let by_key =
        |a: &(UserSortKey, User), b: &(UserSortKey, User)| eval::walk_compare(&a.0, &b.0, search);
    let mut best: Vec<(UserSortKey, User)> = Vec::new();
    let mut total = 0u64;
    for entry in txn.scan(Tree::Users, KeyRange::all(), false)? {
        let (_, bytes) = entry?;
        let user: User = decode(&bytes)?;
        let roles = roles_for(txn, &user, needs_roles)?;
        if !eval::matches(&user, &roles, &search.filter) {
            continue;
        }
        total += 1;
        if search.limit == 0 {
            continue;
        }
        let key = eval::sort_key(&user, order);
        if search
            .after
            .as_ref()
            .is_some_and(|after| eval::walk_compare(&key, after, search) != Ordering::Greater)
        {
            continue;
        }
        best.push((key, user));
        if best.len() >= search.limit.saturating_mul(2).max(64) {
            best.sort_by(by_key);
            best.truncate(search.limit);
        }
    }
    best.sort_by(by_key);
    best.truncate(search.limit);
    Ok(Page {
        items: best.into_iter().map(|(_, user)| user).collect(),
        total: search.count_total.then_some(total),
    })
}

/// Roles by name key: the name index is already in that order, and name keys
/// are unique, so it is the order of (name key, id).
pub(crate) fn roles(txn: &dyn ReadTxn, search: &RoleSearch) -> Result<Page<Role>> {
    let mut range = KeyRange::all();
    if let (Some(after), false) = (&search.after, search.count_total) {
        range.start = Bound::Included(after.name_key.as_bytes().to_vec());
    }
    let mut items = Vec::new();
    let mut total = 0u64;
    for entry in txn.scan(Tree::RoleNames, range, false)? {
        let (_, id) = entry?;
        let page_full = items.len() >= search.limit;
        if page_full && !search.count_total {
            break;
        }
        let Some(role) = read::role(txn, &read::utf8(&id)?)? else {
            continue;
        };
        if !eval::role_matches(&role, search) {
            continue;
        }
        total += 1;
        let past_cursor = search.after.as_ref().is_none_or(|after| {
            eval::compare_roles(&eval::role_sort_key(&role), after) == Ordering::Greater
        });
        if !page_full && past_cursor {
            items.push(role);
        }
    }
    Ok(Page {
        items,
        total: search.count_total.then_some(total),
    })
}

/// Logs newest first, from the narrowest index the filter allows: the
/// user's or the role's entries, or all of them, bounded by the time range.
pub(crate) fn logs(txn: &dyn ReadTxn, search: &LogSearch) -> Result<Page<LogEntry>> {
    let filter = &search.filter;
    let (tree, prefix) = match (&filter.user_id, &filter.role_id) {
        (Some(user_id), _) => (Tree::LogsByUser, keys::owner_prefix(user_id.as_str())),
        (None, Some(role_id)) => (Tree::LogsByRole, keys::owner_prefix(role_id.as_str())),
        (None, None) => (Tree::Logs, Vec::new()),
    };
    // The index and time bounds decide the match alone unless the filter
    // also names a key, a result, or both a user and a role.
    let index_decides = filter.key.is_none()
        && filter.result.is_none()
        && (filter.user_id.is_none() || filter.role_id.is_none());
    let with_prefix = |tail: &[u8]| [prefix.as_slice(), tail].concat();
    let start = match filter.created_from {
        Some(from) => Bound::Included(with_prefix(&keys::time(from))),
        None if prefix.is_empty() => Bound::Unbounded,
        None => Bound::Included(prefix.clone()),
    };
    let end = match filter.created_until {
        Some(until) => Bound::Excluded(with_prefix(&keys::time(until))),
        None => prefix_end(&prefix),
    };
    let cursor = search
        .after
        .as_ref()
        .map(|after| with_prefix(&keys::timed(after.created_at, after.id.as_str())));
    let mut range = KeyRange { start, end };
    if let (Some(cursor), false) = (&cursor, search.count_total) {
        let tighter = match &range.end {
            Bound::Included(end) | Bound::Excluded(end) => cursor < end,
            Bound::Unbounded => true,
        };
        if tighter {
            range.end = Bound::Excluded(cursor.clone());
        }
    }
    let mut items = Vec::new();
    let mut total = 0u64;
    if range.is_empty() {
        return Ok(Page {
            items,
            total: search.count_total.then_some(total),
        });
    }
    for entry in txn.scan(tree, range, true)? {
        let (key, value) = entry?;
        let page_full = items.len() >= search.limit;
        if page_full && !search.count_total {
            break;
        }
        let past_cursor = cursor.as_ref().is_none_or(|c| key < *c);
        if index_decides && (page_full || !past_cursor) {
            total += 1;
            continue;
        }
        let record = if tree == Tree::Logs {
            Some(value)
        } else {
            txn.get(Tree::Logs, &key[prefix.len()..])?
        };
        let Some(record) = record else {
            continue;
        };
        let log: LogEntry = decode(&record)?;
        if !eval::log_matches(&log, filter) {
            continue;
        }
        total += 1;
        if !page_full && past_cursor {
            items.push(log);
        }
    }
    Ok(Page {
        items,
        total: search.count_total.then_some(total),
    })
}
