//! Live updates across instances on one PostgreSQL database: an entry
//! committed by one instance reaches the subscribers of another, in log
//! order with no gap while both write, and after the listening connection
//! is lost. The two instances run in this process, each with its own
//! connection pool and its own listening connection: what passes between
//! them goes through the database, as between two processes.

// A panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use serde_json::json;
use usergraph_core::Storage;
use usergraph_postgres::PostgresStorage;
use usergraph_tests::live::{LOG_ADDED, LiveClient, event_id, newest_entry, stored_ids_after};
use usergraph_tests::{TestServer, postgres};

const WRITES_EACH: usize = 40;

/// Two stores over one schema of its own.
async fn two_stores(name: &str) -> (PostgresStorage, PostgresStorage, String) {
    let schema = postgres::schema_name(name);
    (
        postgres::store_in(&schema).await,
        postgres::store_in(&schema).await,
        schema,
    )
}

/// Creates users through `server`'s HTTP API, named from `prefix`.
fn writer(server: &TestServer, prefix: String) -> tokio::task::JoinHandle<()> {
    let admin = server.admin_client();
    tokio::spawn(async move {
        for n in 0..WRITES_EACH {
            admin
                .data(
                    "mutation($u: String!) { createUser(input: { username: $u }) { id } }",
                    json!({ "u": format!("{prefix}{n}") }),
                )
                .await;
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_entries_of_either_instance_reach_the_other_in_log_order_and_after_a_lost_connection()
 {
    let (first_store, second_store, schema) = two_stores("live_two").await;
    let cleaner = first_store.clone();
    let pool = first_store.pool().clone();
    let a = TestServer::on_store(Arc::new(first_store) as Arc<dyn Storage>).await;
    let b = TestServer::beside(&a, Arc::new(second_store)).await;

    let (cursor, cursor_id) = newest_entry(&b).await;
    let mut client = LiveClient::connect(&b, b.admin_token()).await;
    client
        .subscribe("all", LOG_ADDED, json!({ "after": cursor }))
        .await;
    // Both instances write at once: entries made on one can commit after
    // later-made entries of the other.
    let writers = [
        writer(&a, "a1_".into()),
        writer(&a, "a2_".into()),
        writer(&b, "b1_".into()),
        writer(&b, "b2_".into()),
    ];
    for writer in writers {
        writer.await.unwrap();
    }
    let expected = stored_ids_after(&b, &cursor_id).await;
    assert_eq!(expected.len(), 4 * WRITES_EACH);
    let mut received = Vec::new();
    while received.len() < expected.len() {
        received.push(event_id(&client.next_data("all").await));
    }
    assert_eq!(received, expected, "in log order, none missing, none twice");

    // Every listening connection of the schema is cut; what A commits
    // meanwhile reaches B's subscriber once B listens again.
    let channel = format!("LISTEN \"usergraph_logs_{schema}\"");
    let cut: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1",
    )
    .bind(&channel)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(!cut.is_empty(), "no connection was listening on {channel}");
    let late = a.create_user(json!({ "username": "after_the_cut" })).await;
    let event = client.next_data("all").await;
    assert_eq!(event["logAdded"]["node"]["userId"], json!(late));

    a.shutdown().await;
    b.shutdown().await;
    postgres::drop_schema(&cleaner, &schema).await.unwrap();
}
