//! The floor of the HTTP benchmark (`scripts/http-bench`, BENCHMARKS.md
//! "Over HTTP"): an axum server that reads each `POST /graphql` body and
//! answers one fixed JSON document, the size of a `user(id)` answer. What
//! usergraph adds on top of this is the cost of the request itself.
//!
//! ```text
//! cargo run --release -p usergraph-tests --example bare_handler -- 127.0.0.1:0
//! ```
//!
//! Prints the address it listens on, then serves until killed.

use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::post;

const ANSWER: &str = r#"{"data":{"user":{"id":"usr_0000000000000000000000000","username":"bare_handler","primaryEmail":"bare.handler@example.com","name":"Bare Handler"}}}"#;

/// Reads the body, as the real server must, and ignores it.
async fn answer(_body: Bytes) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], ANSWER)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = usergraph_tests::floor::announced_listener().await?;
    axum::serve(listener, Router::new().route("/graphql", post(answer))).await
}
