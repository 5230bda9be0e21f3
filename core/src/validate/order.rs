//! The `orderBy` of a user list.

use crate::error::{Error, Result};
use crate::query::UserOrder;

/// The order to list users in: `createdAt DESC` when none is given; a field
/// may appear only once (a second mention could never change the order).
pub fn user_order(order: Vec<UserOrder>) -> Result<Vec<UserOrder>> {
    if order.is_empty() {
        return Ok(vec![UserOrder::DEFAULT]);
    }
    for (i, term) in order.iter().enumerate() {
        if order[..i].iter().any(|t| t.field == term.field) {
            return Err(Error::validation(
                "orderBy",
                "orderBy must not name a field twice",
            ));
        }
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{Direction, UserOrderField};

    #[test]
    fn default_and_duplicates() {
        assert_eq!(user_order(vec![]).unwrap(), vec![UserOrder::DEFAULT]);
        let name = UserOrder {
            field: UserOrderField::Name,
            direction: Direction::Asc,
        };
        assert_eq!(user_order(vec![name]).unwrap(), vec![name]);
        let err = user_order(vec![
            name,
            UserOrder {
                direction: Direction::Desc,
                ..name
            },
        ])
        .unwrap_err();
        assert_eq!(err.field(), Some("orderBy"));
    }
}
