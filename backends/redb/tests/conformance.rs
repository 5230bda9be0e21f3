//! The backend conformance suite, run against redb files in temporary
//! directories (one fresh database per behaviour).

// A panic is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;

use usergraph_conformance::{Fixture, conformance_suite};
use usergraph_redb::RedbStorage;

async fn fresh_redb() -> Fixture {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let storage = RedbStorage::open(dir.path().join("usergraph.redb")).expect("a fresh redb file");
    Fixture::new(Arc::new(storage), dir)
}

conformance_suite!(fresh_redb);
