//! The backend conformance suite, run against sled stores in temporary
//! directories (one fresh store per behaviour).

// A panic is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;

use usergraph_conformance::{Fixture, conformance_suite};
use usergraph_sled::SledStorage;

async fn fresh_sled() -> Fixture {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let storage = SledStorage::open(dir.path().join("sled")).expect("a fresh sled store");
    Fixture::new(Arc::new(storage), dir)
}

conformance_suite!(fresh_sled);
