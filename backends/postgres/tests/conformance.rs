//! The backend conformance suite on PostgreSQL, each behaviour in a fresh
//! schema of the database at `DATABASE_URL` (reopened as a new pool on the
//! same schema by the behaviours that check what outlives a restart).

// A panic is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use usergraph_conformance::{Fixture, conformance_suite};
use usergraph_core::Storage;
use usergraph_postgres::PostgresStorage;

async fn fresh_postgres() -> Fixture {
    let (storage, guard) = common::fresh().await;
    let (url, options) = (guard.url.clone(), guard.options());
    Fixture::new(Arc::new(storage), guard).reopen_with(move || {
        let (url, options) = (url.clone(), options.clone());
        async move {
            let storage = PostgresStorage::connect(&url, options).await.unwrap();
            Arc::new(storage) as Arc<dyn Storage>
        }
    })
}

conformance_suite!(fresh_postgres);
