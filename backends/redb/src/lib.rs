//! usergraph's default embedded backend: redb under the generic kv storage.
//! This crate is only the engine adapter; encoding, indexes, uniqueness and
//! search are `usergraph_kv`'s.
//!
//! ```no_run
//! # fn main() -> usergraph_core::Result<()> {
//! let storage = usergraph_redb::RedbStorage::open("./data/usergraph.redb")?;
//! let storage: std::sync::Arc<dyn usergraph_core::Storage> = std::sync::Arc::new(storage);
//! # Ok(()) }
//! ```

mod engine;

use usergraph_kv::KvStorage;

pub use engine::{RedbEngine, RedbOptions};

/// usergraph storage in a redb file: `RedbStorage::open(path)` opens or
/// creates one (parent directories included), `RedbStorage::in_memory()`
/// keeps everything in memory.
pub type RedbStorage = KvStorage<RedbEngine>;

#[cfg(test)]
mod tests;
