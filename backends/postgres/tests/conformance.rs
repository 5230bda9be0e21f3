//! The backend conformance suite on PostgreSQL, each behaviour in a fresh
//! schema of the database at `DATABASE_URL`.

// A panic is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use usergraph_conformance::{Fixture, conformance_suite};

async fn fresh_postgres() -> Fixture {
    let (storage, guard) = common::fresh().await;
    Fixture::new(Arc::new(storage), guard)
}

conformance_suite!(fresh_postgres);
