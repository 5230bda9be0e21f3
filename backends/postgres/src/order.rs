//! User orders in SQL: `ORDER BY` with nulls last per term and ties by id in
//! the direction of the last term, its exact reverse for backward walks, and
//! the keyset condition "strictly after this position" in the walking order.
//!
//! Three forms, cheapest first: a one-term order on a nullable column walks
//! a never-null key of its own (`NullableKey`, indexed by migration 0003);
//! orders over never-null columns in one direction compare rows; any other
//! order (several terms with a nullable one, or mixed directions) takes the
//! general OR-chain, which is exact but lets no index start at the cursor,
//! so its deep pages cost more than its first (no index per combination of
//! terms is kept).

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
    if let Some(key) = NullableKey::of(order, backward) {
        let direction = keyword(key.walking);
        qb.push(format_args!(
            " ORDER BY ({} {}) {direction}, {} {direction}, u.id {direction}",
            key.column, key.flag, key.value
        ));
        return;
    }
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

/// A one-term order on a nullable column, walked as a sort key that is never
/// null: `((col IS NULL), COALESCE(col, fallback), id)` all ascending for an
/// ascending term, `((col IS NOT NULL), COALESCE(col, fallback), id)` all
/// descending for a descending one. Both put nulls last, ties by id in the
/// term's direction; a backward walk reads the same key the other way. With
/// every part of the key in one direction and never null, "after the
/// cursor" is a single row comparison, which an index on exactly these
/// expressions (migration 0003) serves as a range, so a deep page costs what
/// the first one does. The OR-chain of the general case cannot be a range
/// (`col IS NULL OR col > $1 OR ...`) and reads every row before the cursor.
struct NullableKey {
    column: &'static str,
    /// `IS NULL` or `IS NOT NULL`: the leading flag that puts nulls last.
    flag: &'static str,
    /// The flag's value on a null row.
    flag_on_null: bool,
    /// `COALESCE(column, fallback)`, spelled as the indexes spell it.
    value: &'static str,
    /// The direction the key is read in by this walk.
    walking: Direction,
}

impl NullableKey {
    fn of(order: &[UserOrder], backward: bool) -> Option<Self> {
        let [term] = order else { return None };
        let value = match term.field {
            UserOrderField::CreatedAt | UserOrderField::UpdatedAt => return None,
            UserOrderField::LastSignInAt => "COALESCE(u.last_sign_in_at, '-infinity'::timestamptz)",
            UserOrderField::Username => "COALESCE(u.username_key, '')",
            UserOrderField::Name => "COALESCE(u.name_key, '')",
            UserOrderField::PrimaryEmail => "COALESCE(u.email_key, '')",
        };
        let (flag, flag_on_null) = match term.direction {
            Direction::Asc => ("IS NULL", true),
            Direction::Desc => ("IS NOT NULL", false),
        };
        let walking = if backward {
            term.direction.reversed()
        } else {
            term.direction
        };
        Some(Self {
            column: column(term.field),
            flag,
            flag_on_null,
            value,
            walking,
        })
    }

    /// ` AND (flag, value, id) > (cursor's)` (`<` when read descending).
    /// A null cursor value takes the fallback: the flag alone already
    /// separates nulls from values, so which fallback is irrelevant as long
    /// as every null row holds the same one.
    fn push_after(&self, qb: &mut QueryBuilder<Postgres>, value: &SortValue, after: &UserSortKey) {
        let flag = if bound(value).is_none() {
            self.flag_on_null
        } else {
            !self.flag_on_null
        };
        qb.push(format_args!(
            " AND (({} {}), {}, u.id) {} (",
            self.column,
            self.flag,
            self.value,
            after_operator(self.walking)
        ));
        qb.push_bind(flag).push(", ");
        match bound(value) {
            Some(value) => push_bound(qb, value),
            None if matches!(value, SortValue::Time(_)) => {
                qb.push("'-infinity'::timestamptz");
            }
            None => {
                qb.push("''");
            }
        }
        qb.push(", ")
            .push_bind(after.id.as_str().to_owned())
            .push(")");
    }
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
    if let (Some(key), [value]) = (NullableKey::of(order, backward), after.values.as_slice()) {
        key.push_after(qb, value, after);
        return Ok(());
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
