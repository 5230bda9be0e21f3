//! usergraph's embedded alternative backend: sled under the generic kv
//! storage. This crate is only the engine adapter; encoding, indexes,
//! uniqueness and search are `usergraph_kv`'s.
//!
//! ```no_run
//! # fn main() -> usergraph_core::Result<()> {
//! let storage = usergraph_sled::SledStorage::open("./data/sled")?;
//! let storage: std::sync::Arc<dyn usergraph_core::Storage> = std::sync::Arc::new(storage);
//! # Ok(()) }
//! ```
//!
//! sled's cache decides most of its memory; [`SledOptions`] sets it:
//!
//! ```no_run
//! # fn main() -> usergraph_core::Result<()> {
//! use usergraph_sled::{SledEngine, SledOptions, SledStorage};
//! let options = SledOptions { cache_capacity: 64 * 1024 * 1024 };
//! let storage = SledStorage::new(SledEngine::open_with("./data/sled", options)?)?;
//! # Ok(()) }
//! ```

mod durable;
mod engine;

use usergraph_kv::KvStorage;

pub use engine::{SledEngine, SledOptions};

/// usergraph storage in a sled directory: `SledStorage::open(path)` opens or
/// creates one (parent directories included), `SledStorage::in_memory()`
/// uses a temporary directory removed on drop.
pub type SledStorage = KvStorage<SledEngine>;

#[cfg(test)]
mod tests;
