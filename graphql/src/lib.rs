//! usergraph's GraphQL API over a [`usergraph_core::Service`]: the schema,
//! its limits and the axum router. It knows no storage engine; the
//! `usergraph` binary (`main.rs`, `cli.rs`, `backend.rs`) picks one.

pub mod errors;
pub mod limits;
pub mod loaders;
mod nesting;
pub mod router;
pub mod schema;

pub use limits::ApiSettings;
pub use router::{router, serve};
pub use schema::{UsergraphSchema, build_schema, sdl};
