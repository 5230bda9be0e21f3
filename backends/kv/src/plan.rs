//! The planner: which users a filter can match at most, read from the
//! indexes instead of from every user.
//!
//! A candidate set is a superset of the matches: the indexes fold case and
//! truncate times, so they may keep a few users too many, and
//! `eval::matches` decides each one. A set bigger than its cap (at most
//! [`CAP`]) is not worth loading user by user; the search then walks an
//! order or streams postings instead.

use std::collections::BTreeSet;
use std::ops::Bound;

use usergraph_core::filter::{
    RoleMembership, StringField, StringOp, TimeField, TimeOp, UserFilter,
};
use usergraph_core::query::UserOrderField;
use usergraph_core::{Error, Result, Timestamp};

use crate::engine::{KeyRange, ReadTxn, Tree, prefix_end};
use crate::{index, keys, postings};

/// The most candidates a search loads one by one.
pub(crate) const CAP: usize = 10_000;

/// Once an intersection is this small, more postings cost more to read
/// than the users they would spare.
const SMALL_ENOUGH: usize = 32;

pub(crate) type Ids = BTreeSet<String>;

/// At most `cap` ids that include every user matching `filter`, or `None`
/// when no index narrows the filter that far. Role holders narrow only when
/// a role has at most `role_cap` of them: a search that walks an order
/// checks roles before loading a user anyway, which is cheaper than reading
/// thousands of holders first.
pub(crate) fn candidates(
    txn: &dyn ReadTxn,
    filter: &UserFilter,
    cap: usize,
    role_cap: usize,
) -> Result<Option<Ids>> {
    Planner {
        txn,
        cap,
        role_cap: role_cap.min(cap),
    }
    .candidates(filter)
}

struct Planner<'a> {
    txn: &'a dyn ReadTxn,
    /// The most ids a set may hold.
    cap: usize,
    /// The most holders read of one role.
    role_cap: usize,
}

/// Where the user id sits in the keys of a postings scan.
#[derive(Clone, Copy)]
enum IdAt {
    /// After the last 0 byte (text, order and role keys).
    End,
    /// After the created-at (the created index).
    Timed,
}

impl Planner<'_> {
    fn candidates(&self, filter: &UserFilter) -> Result<Option<Ids>> {
        match filter {
            UserFilter::And(parts) => {
                let mut found: Option<Ids> = None;
                for part in parts {
                    if let Some(ids) = self.candidates(part)? {
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
                    let Some(ids) = self.candidates(part)? else {
                        return Ok(None);
                    };
                    union.extend(ids);
                    if union.len() > self.cap {
                        return Ok(None);
                    }
                }
                Ok(Some(union))
            }
            UserFilter::String { field, op, .. } => self.string(*field, op),
            UserFilter::Roles(membership) => self.roles(membership),
            UserFilter::Time { field, op } => self.time(*field, op),
            UserFilter::All
            | UserFilter::Not(_)
            | UserFilter::IsSuspended(_)
            | UserFilter::HasPassword(_)
            | UserFilter::CustomData { .. } => Ok(None),
        }
    }

    /// The ids in `range` of `tree`, or `None` if there are more than the cap.
    fn postings(&self, tree: Tree, range: KeyRange, at: IdAt) -> Result<Option<Ids>> {
        self.postings_within(tree, range, at, self.cap)
    }

    fn postings_within(
        &self,
        tree: Tree,
        range: KeyRange,
        at: IdAt,
        cap: usize,
    ) -> Result<Option<Ids>> {
        let mut ids = Ids::new();
        if range.is_empty() {
            return Ok(Some(ids));
        }
        for entry in self.txn.scan(tree, range, false)? {
            let (key, _) = entry?;
            if ids.len() >= cap {
                return Ok(None);
            }
            let id = match at {
                IdAt::End => index::id_of(&key),
                IdAt::Timed => keys::timed_id(&key),
            }
            .ok_or_else(|| Error::internal("malformed index key"))?;
            ids.insert(id.to_owned());
        }
        Ok(Some(ids))
    }

    fn string(&self, field: StringField, op: &StringOp) -> Result<Option<Ids>> {
        let Some(tag) = index::field_tag(field) else {
            return Ok(None);
        };
        let text = |value: &str, whole: bool| {
            let prefix = index::text_prefix(tag, &index::fold(value), whole);
            self.postings(Tree::UserText, KeyRange::prefix(&prefix), IdAt::End)
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
                    if union.len() > self.cap {
                        return Ok(None);
                    }
                }
                Ok(Some(union))
            }
            StringOp::StartsWith(prefix) => text(prefix, false),
            StringOp::Contains(part) => self.contains(tag, part),
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
    fn contains(&self, tag: u8, part: &str) -> Result<Option<Ids>> {
        let mut found: Option<Ids> = None;
        for gram in index::grams(&index::fold(part)) {
            let prefix = index::gram_prefix(tag, &gram);
            if let Some(ids) = postings::ids(self.txn, &prefix, self.cap)? {
                found = Some(intersect(found, ids.into_iter().collect()));
                if found.as_ref().is_some_and(|f| f.len() <= SMALL_ENOUGH) {
                    break;
                }
            }
        }
        Ok(found)
    }

    fn role_users(&self, role_id: &str) -> Result<Option<Ids>> {
        let range = KeyRange::prefix(&keys::owner_prefix(role_id));
        self.postings_within(Tree::RoleUsers, range, IdAt::End, self.role_cap)
    }

    fn roles(&self, membership: &RoleMembership) -> Result<Option<Ids>> {
        let mut found: Option<Ids> = None;
        if let Some(any) = &membership.any {
            let mut union = Some(Ids::new());
            for role_id in any {
                union = match (union, self.role_users(role_id.as_str())?) {
                    (Some(mut union), Some(ids)) if union.len() + ids.len() <= self.cap => {
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
            if let Some(ids) = self.role_users(role_id.as_str())? {
                found = Some(intersect(found, ids));
            }
        }
        Ok(found)
    }

    /// A time comparison as a range of its index. Bounds are inclusive of the
    /// compared microsecond whatever the operator: index keys truncate times,
    /// and truncation keeps order but not strictness.
    fn time(&self, field: TimeField, op: &TimeOp) -> Result<Option<Ids>> {
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
        let at = match tree {
            Tree::UsersByCreated => IdAt::Timed,
            _ => IdAt::End,
        };
        self.postings(tree, range, at)
    }
}

fn intersect(found: Option<Ids>, ids: Ids) -> Ids {
    match found {
        None => ids,
        Some(found) => found.intersection(&ids).cloned().collect(),
    }
}

fn order_present(field: UserOrderField) -> Vec<u8> {
    index::order_tag(field)
        .map(|tag| {
            let [present, _] = index::order_sections(tag);
            present
        })
        .unwrap_or_default()
}
