//! usergraph's PostgreSQL backend: the [`usergraph_core::Storage`] trait over
//! sqlx, for several usergraph instances sharing one database.
//!
//! Uniqueness and atomicity are the database's: unique indexes decide which
//! of two racing writers wins, and one [`usergraph_core::Storage::commit`] is
//! one transaction. Searches compile core's filter AST to one SQL query per
//! page, returning exactly what core's reference evaluator returns.

mod attempts;
mod bulk;
mod connect;
mod cursor_key;
mod error;
mod filter;
mod log_order;
mod order;
mod rows;
mod search;
mod storage;
mod tokens;
mod write;

pub use connect::{PostgresOptions, PostgresStorage};
