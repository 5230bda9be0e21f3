//! usergraph's [`Storage`](usergraph_core::Storage) over any ordered
//! key-value engine.
//!
//! An engine (redb, sled, ...) implements only [`KvEngine`], [`ReadTxn`] and
//! [`WriteTxn`]: named trees of byte keys in byte order, snapshot reads with
//! range scans, and serializable write transactions. Everything else lives
//! here, once for all engines: record encoding (JSON behind a format byte),
//! key layout and secondary indexes (see [`Tree`]), uniqueness checked inside the
//! write transaction, and searches that return exactly what
//! `usergraph_core::eval` says, walking an index where one fits the order.
//!
//! Engines whose transactions cannot scan (sled) can serialize their
//! writers and build each transaction as an [`Overlay`] over a snapshot, then
//! apply its changes atomically; [`MemoryEngine`] does exactly that.

mod block;
mod block_scan;
mod bulk;
mod codec;
mod cursor_key;
mod deferred;
mod engine;
#[cfg(feature = "engine-checks")]
pub mod engine_checks;
mod index;
#[cfg(test)]
mod index_tests;
mod keys;
mod memory;
mod migrate;
mod overlay;
mod plan;
mod postings;
#[cfg(test)]
mod postings_tests;
mod read;
mod role_count;
mod roles_first;
mod search;
mod sorted;
mod storage;
mod stream;
mod tokens;
mod user_search;
mod write;

pub use engine::{
    KeyRange, KvEngine, KvIter, KvPair, PathEngine, ReadTxn, SortedChanges, SortedRun, Tree,
    WriteTxn,
};
pub use memory::MemoryEngine;
pub use overlay::{Change, Overlay};
pub use storage::KvStorage;

/// Storage in process memory, for tests.
pub type MemoryStorage = KvStorage<MemoryEngine>;
