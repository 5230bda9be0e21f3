//! One query of the property: a filter, an order and a page walk, checked
//! page by page against the reference evaluator.

use std::fmt;

use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use usergraph_core::eval;
use usergraph_core::filter::UserFilter;
use usergraph_core::query::{Direction, Page, UserOrder, UserOrderField, UserSearch};
use usergraph_core::{Storage, User, UserId, validate};

use super::dataset::Dataset;
use super::filters::{Pools, filter};
use crate::support::EVERYTHING;

/// When a page asks for the total count.
#[derive(Clone, Copy, Debug)]
pub(super) enum Count {
    Never,
    Always,
    /// Every other page, starting with the second, each with a count limit
    /// of its page number: counting may take another path through the
    /// store, and pages must not change with it.
    OddPages,
}

#[derive(Clone)]
pub(super) struct Query {
    pub filter: UserFilter,
    pub order: Vec<UserOrder>,
    pub page_size: usize,
    pub backward: bool,
    pub count: Count,
}

impl fmt::Debug for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "order {:?}, pages of {}, {}, count {:?}, filter {:?}",
            self.order,
            self.page_size,
            if self.backward { "backward" } else { "forward" },
            self.count,
            self.filter
        )
    }
}

const ORDER_FIELDS: [UserOrderField; 6] = [
    UserOrderField::CreatedAt,
    UserOrderField::UpdatedAt,
    UserOrderField::LastSignInAt,
    UserOrderField::Username,
    UserOrderField::Name,
    UserOrderField::PrimaryEmail,
];

/// One or two distinct order terms, in either direction and either order.
fn order() -> impl Strategy<Value = Vec<UserOrder>> {
    let directions = select(&[Direction::Asc, Direction::Desc][..]);
    (
        subsequence(&ORDER_FIELDS[..], 1..=2),
        any::<bool>(),
        directions.clone(),
        directions,
    )
        .prop_map(|(mut fields, swap, first, second)| {
            if swap {
                fields.reverse();
            }
            fields
                .into_iter()
                .zip([first, second])
                .map(|(field, direction)| UserOrder { field, direction })
                .collect()
        })
}

pub(super) fn query(pools: &Pools) -> impl Strategy<Value = Query> + use<> {
    (
        filter(pools),
        order(),
        1usize..=7,
        any::<bool>(),
        select(&[Count::Never, Count::Always, Count::OddPages][..]),
    )
        .prop_map(|(filter, order, page_size, backward, count)| Query {
            filter,
            order,
            page_size,
            backward,
            count,
        })
}

fn ids_of(users: &[User]) -> Vec<UserId> {
    users.iter().map(|u| u.id.clone()).collect()
}

/// The users that one side has and the other lacks, described in full.
fn difference(data: &Dataset, expected: &[UserId], actual: &[UserId]) -> String {
    let mut out = String::new();
    for (label, ids, other) in [
        ("missing", expected, actual),
        ("unexpected", actual, expected),
    ] {
        for id in ids.iter().filter(|id| !other.contains(id)) {
            let described = data.user(id).map_or_else(
                || format!("{id} (not in the dataset)"),
                |u| data.describe(u),
            );
            out.push_str(&format!("\n  {label}: {described}"));
        }
    }
    out
}

/// Which users make a count differ: the whole list from storage against the
/// reference's, as far as storage can list it.
async fn whole_difference(storage: &dyn Storage, data: &Dataset, search: &UserSearch) -> String {
    let whole = UserSearch {
        after: None,
        limit: EVERYTHING,
        count_limit: None,
        ..search.clone()
    };
    let expected = ids_of(&reference(data, &whole).items);
    match storage.search_users(&whole).await {
        Ok(actual) => difference(data, &expected, &ids_of(&actual.items)),
        Err(e) => format!("\n  (listing every match failed too: {e:?})"),
    }
}

fn reference(data: &Dataset, search: &UserSearch) -> Page<User> {
    let rows = data.users.iter().map(|u| (u, data.roles_of(&u.id)));
    eval::search_users(rows, search)
}

/// How much of the dataset one query selected, and in how many pages.
#[derive(Clone, Copy, Debug)]
pub(super) struct Walked {
    pub matched: usize,
    pub pages: usize,
}

/// Walks every page of `query` on `storage` and on the reference evaluator;
/// the first disagreement is the error.
pub(super) async fn check(
    storage: &dyn Storage,
    data: &Dataset,
    query: &Query,
) -> Result<Walked, String> {
    let filter = validate::user_filter(query.filter.clone())
        .map_err(|e| format!("the generated filter is invalid: {e:?}"))?;
    let order = validate::user_order(query.order.clone())
        .map_err(|e| format!("the generated order is invalid: {e:?}"))?;
    let mut after = None;
    let mut walked = Vec::new();
    let mut pages = 0;
    // Each page holds at least one user, so one page per user and a last,
    // empty one are all a correct store can take.
    for page_no in 0..=data.users.len() {
        let search = UserSearch {
            filter: filter.clone(),
            order: order.clone(),
            after: after.clone(),
            backward: query.backward,
            limit: query.page_size,
            count_limit: match query.count {
                Count::Never => None,
                Count::Always => Some(u64::MAX),
                // Limits from 1 up: a count that stops early must still say
                // exactly min(matches, limit).
                Count::OddPages => (page_no % 2 == 1).then_some(page_no as u64),
            },
        };
        let expected = reference(data, &search);
        let actual = storage
            .search_users(&search)
            .await
            .map_err(|e| format!("page {page_no} failed: {e:?} (after {after:?})"))?;
        let (want, got) = (ids_of(&expected.items), ids_of(&actual.items));
        if want != got {
            return Err(format!(
                "page {page_no} (after {after:?}) differs\n  expected {want:?}\n  actual   {got:?}{}",
                difference(data, &want, &got)
            ));
        }
        if actual.total != expected.total {
            return Err(format!(
                "page {page_no}: total {:?}, expected {:?}{}",
                actual.total,
                expected.total,
                whole_difference(storage, data, &search).await
            ));
        }
        if actual.items != expected.items {
            return Err(format!(
                "page {page_no}: the right users, but records differ from what was written\n  \
                 expected {:?}\n  actual   {:?}",
                expected.items, actual.items
            ));
        }
        let Some(last) = expected.items.last() else {
            break;
        };
        after = Some(eval::sort_key(last, &order));
        walked.extend(want);
        pages += 1;
    }
    let whole = reference(
        data,
        &UserSearch {
            filter,
            order,
            after: None,
            backward: query.backward,
            limit: EVERYTHING,
            count_limit: None,
        },
    );
    let whole = ids_of(&whole.items);
    if walked != whole {
        return Err(format!(
            "the walk differs from the whole list\n  expected {whole:?}\n  walked   {walked:?}"
        ));
    }
    Ok(Walked {
        matched: walked.len(),
        pages,
    })
}
