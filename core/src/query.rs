//! What storage is asked for: one page of a filtered, ordered list, after a
//! keyset position, with the total count only when someone wants it.
//! Core turns GraphQL paging (`first`/`after`, `last`/`before`) into these;
//! storage only ever walks forward from `after`.

use crate::filter::UserFilter;
use crate::ids::{LogId, RoleId, UserId};
use crate::model::LogResult;
use crate::time::Timestamp;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    Asc,
    Desc,
}

impl Direction {
    pub fn reversed(self) -> Direction {
        match self {
            Direction::Asc => Direction::Desc,
            Direction::Desc => Direction::Asc,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UserOrderField {
    CreatedAt,
    UpdatedAt,
    LastSignInAt,
    /// By the lower-cased username.
    Username,
    /// By the lower-cased name.
    Name,
    /// By the lower-cased primary email.
    PrimaryEmail,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UserOrder {
    pub field: UserOrderField,
    pub direction: Direction,
}

impl UserOrder {
    /// `createdAt DESC`, the order when none is given.
    pub const DEFAULT: UserOrder = UserOrder {
        field: UserOrderField::CreatedAt,
        direction: Direction::Desc,
    };
}

/// The value one order term takes for one user. Nulls sort last in either
/// direction.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum SortValue {
    Time(Option<Timestamp>),
    Text(Option<String>),
}

/// A user's position in an order: its value for each order term, then its id,
/// which breaks ties in the direction of the last order term.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UserSortKey {
    pub values: Vec<SortValue>,
    pub id: UserId,
}

/// One storage search over users.
#[derive(Clone, Debug, PartialEq)]
pub struct UserSearch {
    pub filter: UserFilter,
    /// Never empty.
    pub order: Vec<UserOrder>,
    /// Only users strictly after this position (in walking order).
    pub after: Option<UserSortKey>,
    /// Walk `order` exactly reversed, nulls and id ties included: how core
    /// serves `last`/`before`. Flipping each term's direction would not do,
    /// since nulls sort last in either direction.
    pub backward: bool,
    pub limit: usize,
    /// When set, count the matches (ignoring `after` and `limit`) up to
    /// this many: [`Page::total`] is `min(matches, count_limit)`. Storage
    /// may stop reading once it has counted that many, which is what keeps
    /// a count on a page of a million users as cheap as the page.
    pub count_limit: Option<u64>,
}

/// Roles are listed by lower-cased name, then id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleSortKey {
    pub name_key: String,
    pub id: RoleId,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleSearch {
    /// Case-insensitive substring of id, name or description.
    pub search: Option<String>,
    pub after: Option<RoleSortKey>,
    pub limit: usize,
    /// As [`UserSearch::count_limit`].
    pub count_limit: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct LogFilter {
    pub user_id: Option<UserId>,
    pub role_id: Option<RoleId>,
    /// The authenticated user who did it. Left out of the cursor scope's
    /// JSON when absent, so that cursors issued before this field existed
    /// stay valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<UserId>,
    /// Exact key, e.g. `User.Created`.
    pub key: Option<String>,
    pub result: Option<LogResult>,
    /// Inclusive lower bound on `createdAt`.
    pub created_from: Option<Timestamp>,
    /// Exclusive upper bound on `createdAt`.
    pub created_until: Option<Timestamp>,
}

/// Logs are listed newest first: `createdAt DESC`, then id descending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogSortKey {
    pub created_at: Timestamp,
    pub id: LogId,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogSearch {
    pub filter: LogFilter,
    pub after: Option<LogSortKey>,
    pub limit: usize,
    /// As [`UserSearch::count_limit`].
    pub count_limit: Option<u64>,
    /// Oldest first (`createdAt` ascending, then id ascending), `after`
    /// being the position to continue after in that order: how a live
    /// subscription replays what it missed. Newest first when false.
    pub oldest_first: bool,
}

/// One page as storage returns it.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Set when the search asked for it: the matches, counted up to
    /// the search's `count_limit`.
    pub total: Option<u64>,
}
