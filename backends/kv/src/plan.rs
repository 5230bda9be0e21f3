//! The planner: which users a filter can match at most, read from the
//! indexes instead of from every user.
//!
//! A candidate set is a superset of the matches: the indexes fold case and
//! truncate times, so they may keep a few users too many, and
//! `eval::matches` decides each one. A set bigger than [`CAP`] is not worth
//! loading user by user; the search then walks its order instead.

use std::collections::BTreeSet;
use std::ops::Bound;

use usergraph_core::filter::{
    RoleMembership, StringField, StringOp, TimeField, TimeOp, UserFilter,
};
use usergraph_core::query::UserOrderField;
use usergraph_core::{Error, Result, Timestamp};

use crate::engine::{KeyRange, ReadTxn, Tree, prefix_end};
use crate::index;
use crate::keys;

/// The most candidates a search loads one by one.
pub(crate) const CAP: usize = 10_000;

/// Once an intersection is this small, more postings cost more to read
/// than the users they would spare.
const SMALL_ENOUGH: usize = 32;

pub(crate) type Ids = BTreeSet<String>;

/// At most [`CAP`] ids that include every user matching `filter`, or `None`
/// when no index narrows the filter that far.
pub(crate) fn candidates(txn: &dyn ReadTxn, filter: &UserFilter) -> Result<Option<Ids>> {
    match filter {
        UserFilter::And(parts) => {
            let mut found: Option<Ids> = None;
            for part in parts {
                if let Some(ids) = candidates(txn, part)? {
                    found = Some(intersect(found, ids));
                    if found.as_ref().is_some_and(|f| f.len() <= SMALL_ENOUGH) {
                        break;
                    }
                }
            }
            Ok(found)
        }
        UserFilter::Or(parts) => {
            let mut union = Ids::new();
            for part in parts {
                let Some(ids) = candidates(txn, part)? else {
                    return Ok(None);
                };
                union.extend(ids);
                if union.len() > CAP {
                    return Ok(None);
                }
            }
            Ok(Some(union))
        }
        UserFilter::String { field, op, .. } => string(txn, *field, op),
        UserFilter::Roles(membership) => roles(txn, membership),
        UserFilter::Time { field, op } => time(txn, *field, op),
        UserFilter::All
        | UserFilter::Not(_)
        | UserFilter::IsSuspended(_)
        | UserFilter::HasPassword(_)
        | UserFilter::CustomData { .. } => Ok(None),
    }
}

fn intersect(found: Option<Ids>, ids: Ids) -> Ids {
    match found {
        None => ids,
        Some(found) => found.intersection(&ids).cloned().collect(),
    }
}

/// The ids in `range` of `tree`, or `None` if there are more than [`CAP`].
fn postings(txn: &dyn ReadTxn, tree: Tree, range: KeyRange) -> Result<Option<Ids>> {
    let id_of = match tree {
        Tree::UsersByCreated => keys::timed_id,
        _ => index::id_of,
    };
    let mut ids = Ids::new();
    if range.is_empty() {
        return Ok(Some(ids));
    }
    for entry in txn.scan(tree, range, false)? {
        let (key, _) = entry?;
        if ids.len() >= CAP {
            return Ok(None);
        }
        let id = id_of(&key).ok_or_else(|| Error::internal("malformed index key"))?;
        ids.insert(id.to_owned());
    }
    Ok(Some(ids))
}

fn string(txn: &dyn ReadTxn, field: StringField, op: &StringOp) -> Result<Option<Ids>> {
    let Some(tag) = index::field_tag(field) else {
        return Ok(None);
    };
    let text = |value: &str, whole: bool| {
        let prefix = index::text_prefix(tag, &index::fold(value), whole);
        postings(txn, Tree::UserText, KeyRange::prefix(&prefix))
    };
    match op {
        StringOp::Eq(value) => text(value, true),
        StringOp::In(values) => {
            let mut union = Ids::new();
            for value in values {
                let Some(ids) = text(value, true)? else {
                    return Ok(None);
                };
                union.extend(ids);
                if union.len() > CAP {
                    return Ok(None);
                }
            }
            Ok(Some(union))
        }
        StringOp::StartsWith(prefix) => text(prefix, false),
        StringOp::Contains(part) => contains(txn, tag, part),
        StringOp::Ne(_)
        | StringOp::EndsWith(_)
        | StringOp::Like(_)
        | StringOp::Regex(_)
        | StringOp::SimilarTo(_)
        | StringOp::IsNull(_) => Ok(None),
    }
}

/// Users holding every n-gram of `part`; n-grams too common to read are
/// skipped, since the rest still narrow and eval decides.
fn contains(txn: &dyn ReadTxn, tag: u8, part: &str) -> Result<Option<Ids>> {
    let mut found: Option<Ids> = None;
    for gram in index::grams(&index::fold(part)) {
        let range = KeyRange::prefix(&index::gram_prefix(tag, &gram));
        if let Some(ids) = postings(txn, Tree::UserGrams, range)? {
            found = Some(intersect(found, ids));
            if found.as_ref().is_some_and(|f| f.len() <= SMALL_ENOUGH) {
                break;
            }
        }
    }
    Ok(found)
}

fn role_users(txn: &dyn ReadTxn, role_id: &str) -> Result<Option<Ids>> {
    postings(
        txn,
        Tree::RoleUsers,
        KeyRange::prefix(&keys::owner_prefix(role_id)),
    )
}

fn roles(txn: &dyn ReadTxn, membership: &RoleMembership) -> Result<Option<Ids>> {
    let mut found: Option<Ids> = None;
    if let Some(any) = &membership.any {
        let mut union = Some(Ids::new());
        for role_id in any {
            union = match (union, role_users(txn, role_id.as_str())?) {
                (Some(mut union), Some(ids)) if union.len() + ids.len() <= CAP => {
                    union.extend(ids);
                    Some(union)
                }
                _ => None,
            };
            if union.is_none() {
                break;
            }
        }
        if let Some(union) = union {
            found = Some(union);
        }
    }
    for role_id in membership.all.iter().flatten() {
        if let Some(ids) = role_users(txn, role_id.as_str())? {
            found = Some(intersect(found, ids));
        }
    }
    Ok(found)
}

/// A time comparison as a range of its index. Bounds are inclusive of the
/// compared microsecond whatever the operator: index keys truncate times,
/// and truncation keeps order but not strictness.
fn time(txn: &dyn ReadTxn, field: TimeField, op: &TimeOp) -> Result<Option<Ids>> {
    let (tree, prefix) = match field {
        TimeField::CreatedAt => (Tree::UsersByCreated, Vec::new()),
        TimeField::UpdatedAt => (Tree::UsersByOrder, order_present(UserOrderField::UpdatedAt)),
        TimeField::LastSignInAt => (
            Tree::UsersByOrder,
            order_present(UserOrderField::LastSignInAt),
        ),
    };
    let at = |t: &Timestamp| [prefix.as_slice(), &keys::time(*t)].concat();
    let whole = KeyRange::prefix(&prefix);
    let range = match op {
        TimeOp::Gt(t) | TimeOp::Gte(t) => KeyRange {
            start: Bound::Included(at(t)),
            end: whole.end,
        },
        TimeOp::Lt(t) | TimeOp::Lte(t) => KeyRange {
            start: whole.start,
            end: prefix_end(&at(t)),
        },
        TimeOp::IsNull(_) => return Ok(None),
    };
    postings(txn, tree, range)
}

fn order_present(field: UserOrderField) -> Vec<u8> {
    index::order_tag(field)
        .map(|tag| {
            let [present, _] = index::order_sections(tag);
            present
        })
        .unwrap_or_default()
}
