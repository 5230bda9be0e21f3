//! The one trait every backend implements. Backends store and retrieve; every
//! rule (validation, normalization, which keys are unique, what gets logged)
//! is decided in core before a call reaches them. What backends must
//! guarantee themselves is what only they can: atomicity and uniqueness under
//! concurrency.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;

use crate::error::Result;
use crate::ids::{RoleId, TokenId, UserId};
use crate::model::{AccessToken, LogEntry, Role, TokenDigest, User};
use crate::query::{LogSearch, Page, RoleSearch, UserSearch};
use crate::throttle::AttemptStore;

/// One step of an atomic write. See [`Storage::commit`] for the errors each
/// may raise.
#[derive(Clone, Debug, PartialEq)]
pub enum WriteOp {
    /// Fails with `CONFLICT` if the id exists, `*_ALREADY_IN_USE` if one of
    /// [`User::unique_keys`] belongs to another user.
    InsertUser(Box<User>),
    /// Replaces the stored user. `NOT_FOUND` if absent, `StaleVersion` if the
    /// stored version is not `expected_version`, `*_ALREADY_IN_USE` as above.
    UpdateUser {
        user: Box<User>,
        expected_version: u64,
    },
    /// Removes the user, its role assignments and its tokens. `NOT_FOUND`
    /// if absent. Its log entries stay.
    DeleteUser { id: UserId },
    /// `CONFLICT` if the id exists or [`Role::name_key`] is taken.
    InsertRole(Box<Role>),
    /// `NOT_FOUND`, `StaleVersion`, or `CONFLICT` if the name is taken.
    UpdateRole {
        role: Box<Role>,
        expected_version: u64,
    },
    /// Removes the role and every assignment of it. `NOT_FOUND` if absent.
    DeleteRole { id: RoleId },
    /// Adds assignments; ones that exist already are left as they are.
    /// `NOT_FOUND` if the user or any role is absent.
    AssignRoles {
        user_id: UserId,
        role_ids: Vec<RoleId>,
    },
    /// Removes these assignments if present. `NOT_FOUND` if the user is absent.
    UnassignRoles {
        user_id: UserId,
        role_ids: Vec<RoleId>,
    },
    /// Makes the user's assignments exactly these. `NOT_FOUND` if the user or
    /// any role is absent.
    ReplaceRoles {
        user_id: UserId,
        role_ids: Vec<RoleId>,
    },
    /// Appends an immutable log entry.
    AppendLog(Box<LogEntry>),
    /// `NOT_FOUND` (entity user) if the owner is absent; `CONFLICT` if the id
    /// or the digest exists, or (field `name`) if [`AccessToken::name_key`]
    /// is held by another token of the same owner.
    InsertToken(Box<AccessToken>),
    /// Replaces the stored token (core changes only name, last use and
    /// revocation; owner, kind and digest stay). `NOT_FOUND` (entity token)
    /// if absent, `StaleVersion` if the stored version is not
    /// `expected_version`, `CONFLICT` (field `name`) as above. A token whose
    /// `revoked_at` is set releases its name.
    UpdateToken {
        token: Box<AccessToken>,
        expected_version: u64,
    },
    /// Removes a token (expired sessions are purged this way). `NOT_FOUND` if
    /// absent.
    DeleteToken { id: TokenId },
    /// Writes nothing: fails the commit with `FORBIDDEN` and `refusal` as
    /// its message unless, with the ops before it applied, some unsuspended
    /// user holds `role_id`. It guards "never the last admin" against two
    /// concurrent commits that each take one of the last two admins away, so
    /// the check must see every commit that finished before this one: the
    /// embedded backends run one writer at a time, PostgreSQL locks the
    /// role's row before counting.
    RequireActiveHolder { role_id: RoleId, refusal: String },
}

/// The user a group of ops inserts, when the group is only that: the
/// insert, then assignments of roles to that user and log entries (what
/// imports and batch creates write for each new user). Backends write such
/// groups by a faster path in [`Storage::commit_each`] (`COPY`, index
/// entries built apart), since nothing in them reads what the chunk wrote
/// before but the checks of ids and identifiers.
pub fn new_user_group(ops: &[WriteOp]) -> Option<&User> {
    let (WriteOp::InsertUser(user), rest) = ops.split_first()? else {
        return None;
    };
    rest.iter()
        .all(|op| match op {
            WriteOp::AssignRoles { user_id, .. } => *user_id == user.id,
            WriteOp::AppendLog(_) => true,
            _ => false,
        })
        .then_some(user.as_ref())
}

/// Where a user is looked up by one of its unique identifiers. The value is
/// the normalized key, as in [`crate::model::UniqueKeys`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum UniqueKey {
    Username(String),
    Email(String),
    Phone(String),
}

#[async_trait]
pub trait Storage: Send + Sync + Debug + 'static {
    /// Applies every op in order, in one transaction: all of them or none.
    /// The first failing op's error is returned and nothing is written.
    async fn commit(&self, ops: Vec<WriteOp>) -> Result<()>;

    /// Commits each of `groups` as [`Storage::commit`] called on each in
    /// turn would: a group is written whole or not at all, a group that
    /// fails gets its own error (the first failing op's), and the groups
    /// after it still see exactly the groups written before them. Returns
    /// one result per group, in order.
    ///
    /// This is the bulk write of imports and batch creates. The default
    /// shares commits among the groups, halving a failing commit until the
    /// groups at fault stand alone; backends that can do better (one large
    /// transaction written in key order, `COPY`) override it.
    ///
    /// Fails as a whole only when storage itself fails (an `INTERNAL`
    /// error); groups written before the failure may stay written.
    async fn commit_each(&self, groups: Vec<Vec<WriteOp>>) -> Result<Vec<Result<()>>> {
        crate::service::halving::commit_each(self, groups).await
    }

    async fn user(&self, id: &UserId) -> Result<Option<User>>;
    /// The users that exist among `ids`, in the order of `ids`.
    async fn users(&self, ids: &[UserId]) -> Result<Vec<User>>;
    async fn user_by_key(&self, key: &UniqueKey) -> Result<Option<User>>;
    /// One page of the users matching the filter, in the given order,
    /// strictly after the cursor; exactly what [`crate::eval::search_users`]
    /// would return over the same data.
    async fn search_users(&self, search: &UserSearch) -> Result<Page<User>>;

    async fn role(&self, id: &RoleId) -> Result<Option<Role>>;
    /// The roles that exist among `ids`, in the order of `ids`.
    async fn roles(&self, ids: &[RoleId]) -> Result<Vec<Role>>;
    /// `name_key` as in [`Role::name_key`].
    async fn role_by_name(&self, name_key: &str) -> Result<Option<Role>>;
    async fn search_roles(&self, search: &RoleSearch) -> Result<Page<Role>>;
    /// Every role with `is_default`, ordered by name key then id.
    async fn default_roles(&self) -> Result<Vec<Role>>;
    /// Role ids held by each of `user_ids` (absent users map to nothing),
    /// each list sorted. One call serves a whole page of users.
    async fn role_ids_of_users(&self, user_ids: &[UserId]) -> Result<HashMap<UserId, Vec<RoleId>>>;

    async fn search_logs(&self, search: &LogSearch) -> Result<Page<LogEntry>>;

    async fn token(&self, id: &TokenId) -> Result<Option<AccessToken>>;
    async fn token_by_digest(&self, digest: &TokenDigest) -> Result<Option<AccessToken>>;
    /// Every token of the user (both kinds, revoked ones too), ordered by
    /// `created_at`, then id.
    async fn tokens_of_user(&self, user_id: &UserId) -> Result<Vec<AccessToken>>;

    /// Called once after a bulk load (an import). Backends whose query
    /// planner needs fresh statistics refresh them here; the others have
    /// nothing to do.
    async fn optimize_after_bulk_load(&self) -> Result<()> {
        Ok(())
    }

    /// The store's secret key for cursor tags: the stored one, or else
    /// `fresh` (32 random bytes from core), stored now. Once stored it never
    /// changes: every later call, every reopen and every instance sharing
    /// the store returns it; of two first calls racing, one key is stored
    /// and both return it.
    async fn cursor_key(&self, fresh: [u8; 32]) -> Result<[u8; 32]>;

    /// Failure counters that every process using this store shares, for
    /// backends that several instances use at once (PostgreSQL). `None`
    /// (the default): each service counts in its own memory.
    fn shared_attempts(&self) -> Option<Arc<dyn AttemptStore>> {
        None
    }

    /// For stores that several processes write at once (PostgreSQL): a
    /// signal that changes after any of them commits log entries, and
    /// after the backend lost sight of commits for a while (a dropped
    /// connection), so that each process's live feed reads what was
    /// committed from the store itself. Such a store must also keep log
    /// entries in commit order: each commit's entries are stored after
    /// every entry committed before it (an entry that would sort at or
    /// before the newest committed one is stored 1 µs after it), so that
    /// reading the entries after the last one seen misses none.
    ///
    /// `None` (the default): this process is the store's only writer, and
    /// the service feeds its subscribers from its own commits.
    fn log_commits(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        None
    }
}
