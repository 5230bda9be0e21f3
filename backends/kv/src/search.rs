//! Role and log searches. Each one returns exactly what
//! `usergraph_core::eval` returns over the same data; indexes only decide
//! how much is read. User searches live in [`crate::user_search`].

use std::cmp::Ordering;
use std::ops::Bound;

use usergraph_core::eval;
use usergraph_core::query::{LogSearch, Page, RoleSearch};
use usergraph_core::{LogEntry, Result, Role};

use crate::codec::decode;
use crate::engine::{KeyRange, ReadTxn, Tree, prefix_end};
use crate::keys;
use crate::read;

/// Roles by name key: the name index is already in that order, and name keys
/// are unique, so it is the order of (name key, id).
pub(crate) fn roles(txn: &dyn ReadTxn, search: &RoleSearch) -> Result<Page<Role>> {
    let mut range = KeyRange::all();
    if let (Some(after), None) = (&search.after, search.count_limit) {
        range.start = Bound::Included(after.name_key.as_bytes().to_vec());
    }
    let mut items = Vec::new();
    let mut total = 0u64;
    for entry in txn.scan(Tree::RoleNames, range, false)? {
        let (_, id) = entry?;
        let page_full = items.len() >= search.limit;
        if page_full && counted_enough(total, search.count_limit) {
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
        total: search.count_limit.map(|limit| total.min(limit)),
    })
}

/// Logs newest first, from the narrowest index the filter allows: the
/// user's or the role's entries, or all of them, bounded by the time range.
///
/// There is no index by actor: an actor filter reads every entry of the
/// range chosen above (all entries in the time range, unless a user or a
/// role narrows it) and keeps the actor's. A page stops reading once it is
/// full, so a busy actor's recent pages are cheap; a rare actor, a total
/// count, or the last page read the whole range.
pub(crate) fn logs(txn: &dyn ReadTxn, search: &LogSearch) -> Result<Page<LogEntry>> {
    let filter = &search.filter;
    let (tree, prefix) = match (&filter.user_id, &filter.role_id) {
        (Some(user_id), _) => (Tree::LogsByUser, keys::owner_prefix(user_id.as_str())),
        (None, Some(role_id)) => (Tree::LogsByRole, keys::owner_prefix(role_id.as_str())),
        (None, None) => (Tree::Logs, Vec::new()),
    };
    // The index and time bounds decide the match alone unless the filter
    // also names a key, a result, an actor, or both a user and a role.
    let index_decides = filter.key.is_none()
        && filter.result.is_none()
        && filter.actor_id.is_none()
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
    let oldest_first = search.oldest_first;
    if let (Some(cursor), None) = (&cursor, search.count_limit) {
        // Without a count, nothing on the near side of the cursor is read.
        if oldest_first {
            let tighter = match &range.start {
                Bound::Included(start) | Bound::Excluded(start) => cursor >= start,
                Bound::Unbounded => true,
            };
            if tighter {
                range.start = Bound::Excluded(cursor.clone());
            }
        } else {
            let tighter = match &range.end {
                Bound::Included(end) | Bound::Excluded(end) => cursor < end,
                Bound::Unbounded => true,
            };
            if tighter {
                range.end = Bound::Excluded(cursor.clone());
            }
        }
    }
    let mut items = Vec::new();
    let mut total = 0u64;
    if range.is_empty() {
        return Ok(Page {
            items,
            total: search.count_limit.map(|limit| total.min(limit)),
        });
    }
    for entry in txn.scan(tree, range, !oldest_first)? {
        let (key, value) = entry?;
        let page_full = items.len() >= search.limit;
        if page_full && counted_enough(total, search.count_limit) {
            break;
        }
        let past_cursor = cursor
            .as_ref()
            .is_none_or(|c| if oldest_first { key > *c } else { key < *c });
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
        total: search.count_limit.map(|limit| total.min(limit)),
    })
}

/// Whether a count needs no more matches: none was asked, or it has
/// reached its limit.
pub(crate) fn counted_enough(total: u64, count_limit: Option<u64>) -> bool {
    count_limit.is_none_or(|limit| total >= limit)
}
