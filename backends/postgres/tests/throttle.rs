//! What PostgreSQL keeps of the throttle's failure counts: digests of the
//! keys (never the identifiers typed at sign-in), no more times per key than
//! the limit, and no rows that outlive their window for long.

// A panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use sqlx::PgConnection;
use usergraph_core::throttle::{Throttle, ThrottleSettings, attempts_for};

const WINDOW: Duration = Duration::from_secs(60);

fn throttle(storage: &usergraph_postgres::PostgresStorage) -> Throttle {
    let settings = ThrottleSettings {
        max_failures_per_account: 3,
        max_failures_per_address: 50,
        window: WINDOW,
    };
    Throttle::with_store(settings, attempts_for(storage))
}

async fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn postgres_keeps_digests_and_bounded_rows() {
    let (storage, guard) = common::fresh().await;
    let throttle = throttle(&storage);
    let mut conn = common::admin(&guard).await;
    let start = usergraph_core::time::now();
    for i in 0..100 {
        let typed = format!("identifier:hunter2-{i}");
        throttle
            .record_failure_at(Some(&typed), Some("192.0.2.1"), start)
            .await
            .unwrap();
    }
    assert_eq!(
        count(&mut conn, "SELECT count(*) FROM throttle_failures").await,
        101
    );
    // Keys are SHA-256 digests: nothing typed is stored.
    let clear = "SELECT count(*) FROM throttle_failures \
                 WHERE position('hunter2' IN encode(key_digest, 'escape')) > 0 \
                    OR octet_length(key_digest) <> 32";
    assert_eq!(count(&mut conn, clear).await, 0);

    // A key keeps no more times than its limit needs.
    for _ in 0..10 {
        throttle
            .record_failure_at(Some("identifier:hunter2-0"), Some("192.0.2.1"), start)
            .await
            .unwrap();
    }
    let longest =
        "SELECT max(cardinality(failures))::bigint FROM throttle_failures WHERE kind = 'account'";
    assert_eq!(count(&mut conn, longest).await, 3);
    let address =
        "SELECT max(cardinality(failures))::bigint FROM throttle_failures WHERE kind = 'address'";
    assert_eq!(count(&mut conn, address).await, 50);

    // Once the window has passed, every new key deletes up to 16 rows
    // whose failures have all expired: seven new keys clear the 101.
    let later = start + WINDOW + Duration::from_secs(1);
    for i in 0..7 {
        throttle
            .record_failure_at(Some(&format!("late-{i}")), Some("192.0.2.9"), later)
            .await
            .unwrap();
    }
    assert_eq!(
        count(&mut conn, "SELECT count(*) FROM throttle_failures").await,
        8
    );
}
