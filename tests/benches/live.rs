//! Live updates as a subscriber meets them: how long a log entry takes
//! from its `createdAt` (stamped before its commit) to each of many
//! subscribers over WebSocket, and the writes per second with and without
//! those subscribers.
//!
//! ```sh
//! cargo bench -p usergraph-tests --bench live -- [--backend redb|postgres] \
//!     [--subscribers 100] [--writes 2000] [--writers 8]
//! ```
//!
//! One server on a loopback port (redb in a temporary directory, or a
//! schema of its own in the PostgreSQL at `DATABASE_URL`, dropped
//! afterwards). `--writers` HTTP clients each update the custom data of a
//! user of their own, `--writes` in all, first with no subscriber, then
//! with `--subscribers` WebSocket connections subscribed to every entry.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

/// The `usergraph` binary's allocator, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::json;
use usergraph::ApiSettings;
use usergraph_core::Storage;
use usergraph_tests::live::LiveClient;
use usergraph_tests::{TestServer, postgres};

const SUBSCRIPTION: &str = "subscription { logAdded { node { id createdAt } } }";
const TOUCH: &str =
    "mutation($id: ID!, $n: Int!) { updateUserCustomData(id: $id, customData: { n: $n }) { id } }";

struct Args {
    backend: String,
    subscribers: usize,
    writes: usize,
    writers: usize,
}

fn args() -> Args {
    let mut args = Args {
        backend: "redb".to_owned(),
        subscribers: 100,
        writes: 2000,
        writers: 8,
    };
    let mut raw = std::env::args().skip(1);
    while let Some(flag) = raw.next() {
        match flag.as_str() {
            "--backend" => args.backend = raw.next().unwrap(),
            "--subscribers" => args.subscribers = raw.next().unwrap().parse().unwrap(),
            "--writes" => args.writes = raw.next().unwrap().parse().unwrap(),
            "--writers" => args.writers = raw.next().unwrap().parse().unwrap(),
            // cargo bench adds `--bench`.
            _ => {}
        }
    }
    args
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "?".to_owned())
}

/// `writes` updates from `targets.len()` concurrent clients; how long
/// they took. Every update writes a value not written before (`round`
/// tells the rounds apart): an update that changes nothing logs nothing.
async fn write(server: &TestServer, targets: &[String], writes: usize, round: usize) -> Duration {
    let started = Instant::now();
    let each = writes / targets.len();
    let tasks: Vec<_> = targets
        .iter()
        .map(|target| {
            let (admin, target) = (server.admin_client(), target.clone());
            tokio::spawn(async move {
                for n in (0..each).map(|n| round * 1_000_000 + n) {
                    admin.data(TOUCH, json!({ "id": target, "n": n })).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    started.elapsed()
}

/// Reads `count` events, returning each one's delay from its `createdAt`.
async fn receive(mut client: LiveClient, count: usize) -> Vec<Duration> {
    let mut delays = Vec::with_capacity(count);
    for _ in 0..count {
        let data = client.next_data("all").await;
        let received = Utc::now();
        let created: DateTime<Utc> = data["logAdded"]["node"]["createdAt"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        delays.push((received - created).to_std().unwrap_or_default());
    }
    delays
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let args = args();
    let settings = ApiSettings {
        max_live_connections_per_token: args.subscribers + 1,
        ..ApiSettings::default()
    };
    let (server, schema) = match args.backend.as_str() {
        "redb" => (TestServer::with_settings(settings).await, None),
        "postgres" => {
            let (store, schema) = postgres::store_in_own_schema("bench_live").await;
            let cleaner = store.clone();
            let server =
                TestServer::on_store_with(Arc::new(store) as Arc<dyn Storage>, settings).await;
            (server, Some((cleaner, schema)))
        }
        other => panic!("unknown backend {other}"),
    };
    let mut targets = Vec::new();
    for n in 0..args.writers {
        targets.push(
            server
                .create_user(json!({ "username": format!("writer{n}") }))
                .await,
        );
    }
    let writes = args.writes / args.writers * args.writers;
    // Warm up: connections, caches.
    write(&server, &targets, args.writers * 10, 1).await;

    let alone = write(&server, &targets, writes, 2).await;

    let mut clients = Vec::with_capacity(args.subscribers);
    for _ in 0..args.subscribers {
        let mut client = LiveClient::connect(&server, server.admin_token()).await;
        client.subscribe("all", SUBSCRIPTION, json!({})).await;
        clients.push(client);
    }
    // Every subscription is live once it has seen this write.
    write(&server, &targets[..1], 1, 3).await;
    for client in &mut clients {
        client.next_data("all").await;
    }
    let receivers: Vec<_> = clients
        .into_iter()
        .map(|client| tokio::spawn(receive(client, writes)))
        .collect();
    let watched = write(&server, &targets, writes, 4).await;
    let mut delays = Vec::with_capacity(writes * args.subscribers);
    for receiver in receivers {
        delays.extend(receiver.await.unwrap());
    }
    delays.sort();

    println!(
        "backend {}, {} writes from {} clients, {} subscribers, load average {}",
        args.backend,
        writes,
        args.writers,
        args.subscribers,
        load_average()
    );
    println!(
        "writes without subscribers: {:.0} writes/s ({:.2} s)",
        writes as f64 / alone.as_secs_f64(),
        alone.as_secs_f64()
    );
    println!(
        "writes with {} subscribers: {:.0} writes/s ({:.2} s)",
        args.subscribers,
        writes as f64 / watched.as_secs_f64(),
        watched.as_secs_f64()
    );
    // No subscriber, no deliveries (`--subscribers 0` measures the writes).
    if !delays.is_empty() {
        println!(
            "createdAt to delivery over {} deliveries: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            delays.len(),
            percentile(&delays, 0.5),
            percentile(&delays, 0.9),
            percentile(&delays, 0.99),
            percentile(&delays, 1.0)
        );
    }
    server.shutdown().await;
    if let Some((store, schema)) = schema {
        postgres::drop_schema(&store, &schema).await.unwrap();
    }
}
