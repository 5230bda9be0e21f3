//! usergraph's GraphQL API over a [`usergraph_core::Service`]: the schema,
//! its limits and the axum router. It knows no storage engine; the
//! `usergraph` binary (`main.rs`, `cli.rs`, `backend.rs`) picks one.
//!
//! To run usergraph inside your own program, start from
//! [`Usergraph::builder`] (see [`embed`]).

mod assets;
pub mod client_addr;
mod console;
mod document;
mod document_cache;
#[cfg(test)]
mod document_fuzz;
pub mod embed;
pub mod errors;
mod graphiql;
pub mod health;
mod introspection;
pub mod limits;
pub mod live;
pub mod loaders;
pub mod metrics;
mod mount;
mod nesting;
mod observability;
mod page_headers;
pub mod router;
pub mod schema;
pub mod timed_storage;
mod timeout;

pub use client_addr::TrustedProxies;
pub use embed::{Usergraph, UsergraphBuilder};
pub use limits::ApiSettings;
pub use router::{router, serve};
pub use schema::{UsergraphSchema, build_schema, sdl};
