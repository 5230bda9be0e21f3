//! Positions of users in an order, and their comparison.

use std::cmp::Ordering;

use crate::model::User;
use crate::query::{Direction, SortValue, UserOrder, UserOrderField, UserSortKey};
use crate::validate::identifier_key;

pub(super) fn sort_key(user: &User, order: &[UserOrder]) -> UserSortKey {
    let text = |value: &Option<String>| SortValue::Text(value.as_deref().map(identifier_key));
    let values = order
        .iter()
        .map(|term| match term.field {
            UserOrderField::CreatedAt => SortValue::Time(Some(user.created_at)),
            UserOrderField::UpdatedAt => SortValue::Time(Some(user.updated_at)),
            UserOrderField::LastSignInAt => SortValue::Time(user.last_sign_in_at),
            UserOrderField::Username => text(&user.username),
            UserOrderField::Name => text(&user.name),
            UserOrderField::PrimaryEmail => text(&user.primary_email),
        })
        .collect();
    UserSortKey {
        values,
        id: user.id.clone(),
    }
}

pub(super) fn compare(a: &UserSortKey, b: &UserSortKey, order: &[UserOrder]) -> Ordering {
    for (i, term) in order.iter().enumerate() {
        let ordering = compare_values(a.values.get(i), b.values.get(i), term.direction);
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    let last = order.last().map_or(Direction::Asc, |term| term.direction);
    directed(a.id.cmp(&b.id), last)
}

fn directed(ordering: Ordering, direction: Direction) -> Ordering {
    match direction {
        Direction::Asc => ordering,
        Direction::Desc => ordering.reverse(),
    }
}

/// Nulls (and missing values) sort last whichever the direction.
fn compare_values(a: Option<&SortValue>, b: Option<&SortValue>, direction: Direction) -> Ordering {
    match (present(a), present(b)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(a), Some(b)) => directed(a.cmp(&b), direction),
    }
}

/// A comparable non-null value. Times sort before texts only so that the
/// order stays total should a malformed key mix them; core never does.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Present<'a> {
    Time(&'a crate::time::Timestamp),
    Text(&'a str),
}

fn present(value: Option<&SortValue>) -> Option<Present<'_>> {
    match value? {
        SortValue::Time(Some(t)) => Some(Present::Time(t)),
        SortValue::Text(Some(s)) => Some(Present::Text(s)),
        SortValue::Time(None) | SortValue::Text(None) => None,
    }
}
