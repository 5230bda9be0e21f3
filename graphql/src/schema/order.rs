//! The `users(orderBy: ...)` input.

use async_graphql::{Enum, InputObject};
use usergraph_core::query::{Direction, UserOrder as CoreOrder, UserOrderField as CoreOrderField};

/// One term of a user order. Terms apply in the order given, each breaking
/// the ties of the ones before; users still tied are ordered by id, in the
/// direction of the last term. Users without a value for a term's field
/// come after every user with one, in either direction. Text fields compare
/// lower-cased.
#[derive(Clone, Copy, Debug, InputObject)]
pub struct UserOrder {
    pub field: UserOrderField,
    pub direction: OrderDirection,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum UserOrderField {
    CreatedAt,
    UpdatedAt,
    /// Users who never signed in come last.
    LastSignInAt,
    Username,
    Name,
    PrimaryEmail,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum OrderDirection {
    Asc,
    Desc,
}

impl From<UserOrder> for CoreOrder {
    fn from(order: UserOrder) -> Self {
        CoreOrder {
            field: match order.field {
                UserOrderField::CreatedAt => CoreOrderField::CreatedAt,
                UserOrderField::UpdatedAt => CoreOrderField::UpdatedAt,
                UserOrderField::LastSignInAt => CoreOrderField::LastSignInAt,
                UserOrderField::Username => CoreOrderField::Username,
                UserOrderField::Name => CoreOrderField::Name,
                UserOrderField::PrimaryEmail => CoreOrderField::PrimaryEmail,
            },
            direction: match order.direction {
                OrderDirection::Asc => Direction::Asc,
                OrderDirection::Desc => Direction::Desc,
            },
        }
    }
}
