//! User orders in SQL: `ORDER BY` with nulls last per term and ties by id in
//! the direction of the last term, its exact reverse for backward walks, and
//! the keyset condition "strictly after this position" in the walking order.

use sqlx::{Postgres, QueryBuilder};
use usergraph_core::query::{Direction, SortValue, UserOrder, UserOrderField, UserSortKey};
use usergraph_core::{Error, Result};

/// One order term as walked: its column, its direction, and whether nulls
/// come first (only in a backward walk, the exact reverse of nulls last).
struct Term {
    column: &'static str,
    direction: Direction,
    nulls_first: bool,
    /// Whether the column can be null at all. For NOT NULL columns the
    /// NULLS clause is left out: it changes no result, but a clause that
    /// disagrees with an index's own null placement keeps PostgreSQL from
    /// reading that index in order, and it sorts every match instead.
    nullable: bool,
}

fn nullable(field: UserOrderField) -> bool {
    !matches!(field, UserOrderField::CreatedAt | UserOrderField::UpdatedAt)
}

fn column(field: UserOrderField) -> &'static str {
    match field {
        UserOrderField::CreatedAt => "u.created_at",
        UserOrderField::UpdatedAt => "u.updated_at",
        UserOrderField::LastSignInAt => "u.last_sign_in_at",
        // Text orders compare `identifier_key`, which these columns hold.
        UserOrderField::Username => "u.username_key",
        UserOrderField::Name => "u.name_key",
        UserOrderField::PrimaryEmail => "u.email_key",
    }
}

fn walked(order: &[UserOrder], backward: bool) -> (Vec<Term>, Direction) {
    let orient = |direction: Direction| {
        if backward {
            direction.reversed()
        } else {
            direction
        }
    };
    let terms = order
        .iter()
        .map(|term| Term {
            column: column(term.field),
            direction: orient(term.direction),
            nulls_first: backward,
            nullable: nullable(term.field),
        })
        .collect();
    let tie = orient(order.last().map_or(Direction::Asc, |term| term.direction));
    (terms, tie)
}

fn keyword(direction: Direction) -> &'static str {
    match direction {
        Direction::Asc => "ASC",
        Direction::Desc => "DESC",
    }
}

fn after_operator(direction: Direction) -> &'static str {
    match direction {
        Direction::Asc => ">",
        Direction::Desc => "<",
    }
}

pub(crate) fn push_order_by(qb: &mut QueryBuilder<Postgres>, order: &[UserOrder], backward: bool) {
    let (terms, tie) = walked(order, backward);
    qb.push(" ORDER BY ");
    for term in &terms {
        let nulls = match (term.nullable, term.nulls_first) {
            (false, _) => "",
            (true, true) => " NULLS FIRST",
            (true, false) => " NULLS LAST",
        };
        qb.push(format_args!(
            "{} {}{nulls}, ",
            term.column,
            keyword(term.direction)
        ));
    }
    qb.push(format_args!("u.id {}", keyword(tie)));
}

/// A cursor value bound with the column's type.
enum Bound {
    Time(usergraph_core::Timestamp),
    Text(String),
}

fn bound(value: &SortValue) -> Option<Bound> {
    match value {
        SortValue::Time(Some(at)) => Some(Bound::Time(*at)),
        SortValue::Text(Some(text)) => Some(Bound::Text(text.clone())),
        SortValue::Time(None) | SortValue::Text(None) => None,
    }
}

fn push_bound(qb: &mut QueryBuilder<Postgres>, value: Bound) {
    match value {
        Bound::Time(at) => qb.push_bind(at),
        Bound::Text(text) => qb.push_bind(text),
    };
}

/// Whether `value` has the kind of `field`'s column.
fn fits(field: UserOrderField, value: &SortValue) -> bool {
    let is_time = matches!(
        field,
        UserOrderField::CreatedAt | UserOrderField::UpdatedAt | UserOrderField::LastSignInAt
    );
    matches!(value, SortValue::Time(_)) == is_time
}

/// `AND (...)`: rows strictly after `after` in the walking order, as an
/// expanded OR-chain: equal on the first i terms and after on term i, for
/// each i, the id being the last term.
pub(crate) fn push_after(
    qb: &mut QueryBuilder<Postgres>,
    order: &[UserOrder],
    backward: bool,
    after: &UserSortKey,
) -> Result<()> {
    if after.values.len() != order.len()
        || order
            .iter()
            .zip(&after.values)
            .any(|(term, value)| !fits(term.field, value))
    {
        return Err(Error::validation(
            "after",
            "the cursor does not fit this order",
        ));
    }
    let (terms, tie) = walked(order, backward);
    if let Some(values) = row_comparable(order, &terms, tie, after) {
        push_row_after(qb, &terms, tie, values, after);
        return Ok(());
    }
    qb.push(" AND (");
    for i in 0..=terms.len() {
        if i > 0 {
            qb.push(" OR ");
        }
        qb.push("(TRUE");
        for (term, value) in terms.iter().zip(&after.values).take(i) {
            match bound(value) {
                Some(value) => {
                    qb.push(format_args!(" AND {} = ", term.column));
                    push_bound(qb, value);
                }
                None => {
                    qb.push(format_args!(" AND {} IS NULL", term.column));
                }
            }
        }
        match (terms.get(i), after.values.get(i)) {
            (Some(term), Some(value)) => push_term_after(qb, term, value),
            _ => {
                qb.push(format_args!(" AND u.id {} ", after_operator(tie)))
                    .push_bind(after.id.as_str().to_owned());
            }
        }
        qb.push(")");
    }
    qb.push(")");
    Ok(())
}

/// The cursor's values when the order is a plain lexicographic one over
/// never-null columns in one direction (the default `createdAt DESC` among
/// them): then "after" is a row comparison, which an index range scan serves.
fn row_comparable(
    order: &[UserOrder],
    terms: &[Term],
    tie: Direction,
    after: &UserSortKey,
) -> Option<Vec<usergraph_core::Timestamp>> {
    let never_null = |field| matches!(field, UserOrderField::CreatedAt | UserOrderField::UpdatedAt);
    if !order.iter().all(|term| never_null(term.field))
        || !terms.iter().all(|term| term.direction == tie)
    {
        return None;
    }
    after
        .values
        .iter()
        .map(|value| match value {
            SortValue::Time(Some(at)) => Some(*at),
            _ => None,
        })
        .collect()
}

fn push_row_after(
    qb: &mut QueryBuilder<Postgres>,
    terms: &[Term],
    tie: Direction,
    values: Vec<usergraph_core::Timestamp>,
    after: &UserSortKey,
) {
    qb.push(" AND (");
    for term in terms {
        qb.push(format_args!("{}, ", term.column));
    }
    qb.push(format_args!("u.id) {} (", after_operator(tie)));
    for value in values {
        qb.push_bind(value).push(", ");
    }
    qb.push_bind(after.id.as_str().to_owned()).push(")");
}

/// ` AND <the term's value comes strictly after value>`.
fn push_term_after(qb: &mut QueryBuilder<Postgres>, term: &Term, value: &SortValue) {
    let column = term.column;
    let operator = after_operator(term.direction);
    match (bound(value), term.nulls_first) {
        // Nulls last: after a value come greater values, then nulls.
        (Some(value), false) => {
            qb.push(format_args!(
                " AND ({column} IS NULL OR {column} {operator} "
            ));
            push_bound(qb, value);
            qb.push(")");
        }
        // Nulls last: nothing but other nulls (ties) follows a null.
        (None, false) => {
            qb.push(" AND FALSE");
        }
        // Nulls first: after a value come only greater values.
        (Some(value), true) => {
            qb.push(format_args!(" AND {column} {operator} "));
            push_bound(qb, value);
        }
        // Nulls first: every value follows the nulls.
        (None, true) => {
            qb.push(format_args!(" AND {column} IS NOT NULL"));
        }
    }
}
