//! The engine contract: what an ordered key-value store must offer for
//! usergraph to run on it. Keys and values are bytes; every table ("tree")
//! keeps its keys in byte order. All of usergraph's encoding, indexes,
//! uniqueness and search live above this, in this crate, so that a new
//! engine implements only these three traits.

use std::fmt::Debug;
use std::ops::Bound;
use std::path::Path;

use usergraph_core::Result;

/// The named tables usergraph keeps. An engine creates each one (under
/// [`Tree::name`]) on open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tree {
    /// The store's own records: its format marker and its cursor key.
    Meta,
    /// user id -> user record.
    Users,
    /// kind byte + normalized unique key -> user id.
    UserKeys,
    /// created-at + user id -> nothing; the default order.
    UsersByCreated,
    /// user id, 0, role id -> nothing.
    UserRoles,
    /// role id, 0, user id -> nothing.
    RoleUsers,
    /// role id -> role record.
    Roles,
    /// role name key -> role id.
    RoleNames,
    /// created-at + log id -> log record.
    Logs,
    /// user id, 0, created-at + log id -> nothing.
    LogsByUser,
    /// role id, 0, created-at + log id -> nothing.
    LogsByRole,
    /// field tag + folded value + terminator + user id -> nothing: exact and
    /// prefix lookups of id, username, email, phone and name.
    UserText,
    /// field tag + trigram length + trigram of the folded value + 0 +
    /// created-at + user id of a block's first posting -> the block of
    /// postings (see `postings`): the users that may hold a trigram, in
    /// the default order within each trigram, which narrow `contains`.
    UserGrams,
    /// order tag + section (value, then null) + value + user id -> nothing:
    /// keyset walks of every order but created-at.
    UsersByOrder,
    /// token id -> token record.
    Tokens,
    /// token digest (32 bytes) -> token id: the lookup of a presented secret.
    TokenDigests,
    /// user id, 0, token name key -> token id: only personal tokens not
    /// revoked hold their name.
    TokenNames,
    /// user id, 0, created-at + token id -> nothing: a user's tokens in
    /// listing order.
    TokensByUser,
}

impl Tree {
    pub const ALL: [Tree; 18] = [
        Tree::Meta,
        Tree::Users,
        Tree::UserKeys,
        Tree::UsersByCreated,
        Tree::UserRoles,
        Tree::RoleUsers,
        Tree::Roles,
        Tree::RoleNames,
        Tree::Logs,
        Tree::LogsByUser,
        Tree::LogsByRole,
        Tree::UserText,
        Tree::UserGrams,
        Tree::UsersByOrder,
        Tree::Tokens,
        Tree::TokenDigests,
        Tree::TokenNames,
        Tree::TokensByUser,
    ];

    /// The stable on-disk name of the table.
    pub fn name(self) -> &'static str {
        match self {
            Tree::Meta => "meta",
            Tree::Users => "users",
            Tree::UserKeys => "user_keys",
            Tree::UsersByCreated => "users_by_created",
            Tree::UserRoles => "user_roles",
            Tree::RoleUsers => "role_users",
            Tree::Roles => "roles",
            Tree::RoleNames => "role_names",
            Tree::Logs => "logs",
            Tree::LogsByUser => "logs_by_user",
            Tree::LogsByRole => "logs_by_role",
            Tree::UserText => "user_text",
            Tree::UserGrams => "user_grams",
            Tree::UsersByOrder => "users_by_order",
            Tree::Tokens => "tokens",
            Tree::TokenDigests => "token_digests",
            Tree::TokenNames => "token_names",
            Tree::TokensByUser => "tokens_by_user",
        }
    }
}

/// A key and its value, owned.
pub type KvPair = (Vec<u8>, Vec<u8>);

/// Entries of one scan, in key order (or reverse key order).
pub type KvIter<'a> = Box<dyn Iterator<Item = Result<KvPair>> + 'a>;

/// A range of keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRange {
    pub start: Bound<Vec<u8>>,
    pub end: Bound<Vec<u8>>,
}

impl KeyRange {
    pub fn all() -> Self {
        KeyRange {
            start: Bound::Unbounded,
            end: Bound::Unbounded,
        }
    }

    /// Every key that starts with `prefix`.
    pub fn prefix(prefix: &[u8]) -> Self {
        KeyRange {
            start: Bound::Included(prefix.to_vec()),
            end: prefix_end(prefix),
        }
    }

    /// Whether no key can lie in the range. Callers never pass such a range
    /// to an engine (some engines panic on an inverted range).
    pub fn is_empty(&self) -> bool {
        match (&self.start, &self.end) {
            (Bound::Included(s), Bound::Included(e)) => s > e,
            (Bound::Included(s) | Bound::Excluded(s), Bound::Excluded(e))
            | (Bound::Excluded(s), Bound::Included(e)) => s >= e,
            _ => false,
        }
    }

    /// Whether `key` lies in the range.
    pub fn contains(&self, key: &[u8]) -> bool {
        let after_start = match &self.start {
            Bound::Included(s) => key >= s.as_slice(),
            Bound::Excluded(s) => key > s.as_slice(),
            Bound::Unbounded => true,
        };
        let before_end = match &self.end {
            Bound::Included(e) => key <= e.as_slice(),
            Bound::Excluded(e) => key < e.as_slice(),
            Bound::Unbounded => true,
        };
        after_start && before_end
    }
}

/// The first key after every key that starts with `prefix`.
pub(crate) fn prefix_end(prefix: &[u8]) -> Bound<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Bound::Excluded(end);
        }
    }
    Bound::Unbounded
}

/// A consistent snapshot to read from.
pub trait ReadTxn {
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// The entries whose keys lie in `range` (never an empty range),
    /// ascending, or descending when `reverse`. The iterator is consumed lazily so that a search can stop
    /// after one page.
    fn scan(&self, tree: Tree, range: KeyRange, reverse: bool) -> Result<KvIter<'_>>;
}

/// One write transaction. Reads see this transaction's own writes.
pub trait WriteTxn {
    fn get(&mut self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// Inserts or replaces.
    fn insert(&mut self, tree: Tree, key: &[u8], value: &[u8]) -> Result<()>;

    /// Removes the key if present.
    fn remove(&mut self, tree: Tree, key: &[u8]) -> Result<()>;

    /// The first `limit` entries of `range` (which may be empty) in
    /// ascending order, or descending when `reverse`. Bounded, so that a
    /// writer can find the neighbours of a key (the postings block holding
    /// it) without reading a whole prefix.
    fn scan_range(
        &mut self,
        tree: Tree,
        range: KeyRange,
        reverse: bool,
        limit: usize,
    ) -> Result<Vec<KvPair>>;

    /// Every entry whose key starts with `prefix`, ascending.
    fn scan_prefix(&mut self, tree: Tree, prefix: &[u8]) -> Result<Vec<KvPair>> {
        self.scan_range(tree, KeyRange::prefix(prefix), false, usize::MAX)
    }

    /// Applies `changes` (a new value, or `None` for a removal) to `tree`,
    /// in the order given, which is ascending by key with each key once.
    /// The default applies them one by one; an engine that pays for each
    /// access to a tree (redb opens its table) can do it all in one access.
    fn apply_sorted(&mut self, tree: Tree, changes: &mut SortedChanges<'_>) -> Result<()> {
        for (key, change) in changes {
            match change {
                Some(value) => self.insert(tree, key, value)?,
                None => self.remove(tree, key)?,
            }
        }
        Ok(())
    }

    /// Applies several runs as [`WriteTxn::apply_sorted`] does, each to its
    /// own tree (no tree twice). The default applies them one after
    /// another; an engine whose transaction can write several trees at once
    /// (redb) writes the largest on a thread of its own meanwhile.
    fn apply_sorted_runs(&mut self, runs: Vec<SortedRun<'_>>) -> Result<()> {
        for (tree, mut changes) in runs {
            self.apply_sorted(tree, &mut changes)?;
        }
        Ok(())
    }
}

/// A run of changes to one tree, ascending by key: each key with its new
/// value, or `None` for a removal. Borrowed, so that a bulk write hands
/// millions of keys to the engine without a copy each.
pub type SortedChanges<'a> = dyn Iterator<Item = (&'a [u8], Option<&'a [u8]>)> + 'a;

/// One tree's run of [`SortedChanges`], movable to another thread.
pub type SortedRun<'a> = (
    Tree,
    Box<dyn Iterator<Item = (&'a [u8], Option<&'a [u8]>)> + Send + 'a>,
);

/// An ordered key-value engine with serializable write transactions.
///
/// Engine failures are reported as `Error::internal`. Errors returned by the
/// write closure (uniqueness, not found, ...) abort the transaction and are
/// returned as they are.
pub trait KvEngine: Send + Sync + Debug + 'static {
    fn read(&self) -> Result<Box<dyn ReadTxn + '_>>;

    /// Runs `apply` in one write transaction and commits it if `apply`
    /// succeeds; on error nothing is written. An engine with optimistic
    /// concurrency may run `apply` several times, so it must have no effect
    /// beyond the transaction.
    fn write(&self, apply: &mut dyn FnMut(&mut dyn WriteTxn) -> Result<()>) -> Result<()>;

    /// The most groups of a bulk write (`Storage::commit_each`) to put in
    /// one transaction. The default puts them all in one; an engine that
    /// holds a whole transaction in memory (sled's batches) asks for less.
    fn bulk_groups_per_write(&self) -> usize {
        usize::MAX
    }
}

/// An engine that keeps its data under a path, or in memory for tests; what
/// `KvStorage::open` and `KvStorage::in_memory` are built on.
pub trait PathEngine: KvEngine + Sized {
    /// Opens the store at `path`, creating it (and missing parent
    /// directories) if there is none.
    fn open_path(path: &Path) -> Result<Self>;

    /// A fresh store that vanishes when dropped.
    fn temporary() -> Result<Self>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ranges_cover_exactly_the_prefix() {
        let range = KeyRange::prefix(b"ab\0");
        assert!(range.contains(b"ab\0"));
        assert!(range.contains(b"ab\0zzz"));
        assert!(!range.contains(b"ab"));
        assert!(!range.contains(b"ab\x01"));
        assert!(!range.contains(b"abc\0"));
        assert_eq!(prefix_end(b"a\xff\xff"), Bound::Excluded(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff"), Bound::Unbounded);
        assert_eq!(prefix_end(b""), Bound::Unbounded);
    }
}
