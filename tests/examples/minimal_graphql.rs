//! The second floor of the HTTP benchmark (`scripts/http-bench`,
//! BENCHMARKS.md "Over HTTP"): async-graphql and its axum integration
//! answering `user(id)` with a fixed user, no storage, no token, no
//! limits, no logging. Between the bare handler and this lies what the
//! GraphQL crate itself costs a request (parsing, validation, execution,
//! serializing); above this, what usergraph adds.
//!
//! ```text
//! cargo run --release -p usergraph-tests --example minimal_graphql -- 127.0.0.1:0
//! ```
//!
//! Prints the address it listens on, then serves until killed.

use async_graphql::{EmptyMutation, EmptySubscription, ID, Object, Schema, SimpleObject};
use async_graphql_axum::GraphQL;
use axum::Router;
use axum::routing::post_service;

#[derive(SimpleObject)]
#[graphql(rename_fields = "camelCase")]
struct User {
    id: ID,
    username: String,
    primary_email: String,
    name: String,
}

struct Query;

#[Object]
impl Query {
    async fn user(&self, id: ID) -> User {
        User {
            id,
            username: "minimal_graphql".to_owned(),
            primary_email: "minimal.graphql@example.com".to_owned(),
            name: "Minimal GraphQL".to_owned(),
        }
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = usergraph_tests::floor::announced_listener().await?;
    let schema = Schema::new(Query, EmptyMutation, EmptySubscription);
    let app = Router::new().route("/graphql", post_service(GraphQL::new(schema)));
    axum::serve(listener, app).await
}
