//! Two `usergraph` server processes on one PostgreSQL database: the database,
//! not either process, decides who wins a race for an email address.
#![cfg(feature = "postgres")]
// A panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::Connection;

const RACERS_PER_PROCESS: usize = 20;

fn admin_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// `admin_url` with its database replaced.
fn url_for(database: &str) -> String {
    let admin = admin_url();
    let (base, _) = admin
        .rsplit_once('/')
        .expect("DATABASE_URL has a database part");
    format!("{base}/{database}")
}

/// A database of its own, dropped at the end whatever happens.
struct ScratchDatabase {
    name: String,
}

impl ScratchDatabase {
    async fn create() -> Self {
        let name = format!("ug_two_processes_{}", std::process::id());
        let mut conn = sqlx::PgConnection::connect(&admin_url()).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name}"
        )))
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap();
        ScratchDatabase { name }
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        // `WITH (FORCE)` ends the servers' leftover connections too.
        let _ = Command::new("psql")
            .arg(admin_url())
            .arg("-qc")
            .arg(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn spawn(database_url: &str) -> Self {
        // Ask the OS for a free port, then hand it to the server.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_usergraph"))
            .arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .env("USERGRAPH_DATABASE_URL", database_url)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        Server {
            child,
            url: format!("http://127.0.0.1:{port}/graphql"),
        }
    }

    async fn wait_ready(&mut self, client: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("server exited early: {status}");
            }
            let ready = client
                .post(&self.url)
                .json(&json!({ "query": "{ __typename }" }))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                return;
            }
            assert!(Instant::now() < deadline, "server not ready in 60 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn create_user(client: reqwest::Client, url: String, username: String) -> Value {
    let query = "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }";
    let body = json!({
        "query": query,
        "variables": { "input": { "username": username, "primaryEmail": "Race@Example.com" } },
    });
    client
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_two_processes_one_email_one_winner() {
    let database = ScratchDatabase::create().await;
    let database_url = url_for(&database.name);
    let client = reqwest::Client::new();
    let mut servers = [Server::spawn(&database_url), Server::spawn(&database_url)];
    for server in &mut servers {
        server.wait_ready(&client).await;
    }

    let mut racers = Vec::new();
    for i in 0..RACERS_PER_PROCESS {
        for (s, server) in servers.iter().enumerate() {
            racers.push(tokio::spawn(create_user(
                client.clone(),
                server.url.clone(),
                format!("racer_{s}_{i}"),
            )));
        }
    }
    let mut winners = 0;
    let mut codes = Vec::new();
    for racer in racers {
        let response = racer.await.unwrap();
        match response["errors"][0]["extensions"]["code"].as_str() {
            None => winners += 1,
            Some(code) => codes.push(code.to_owned()),
        }
    }
    assert_eq!(winners, 1, "exactly one create wins; others: {codes:?}");
    assert_eq!(codes.len(), 2 * RACERS_PER_PROCESS - 1);
    assert!(
        codes.iter().all(|c| c == "EMAIL_ALREADY_IN_USE"),
        "every loser is told why: {codes:?}"
    );

    // Both processes now see the one user.
    for server in &servers {
        let response: Value = client
            .post(&server.url)
            .json(&json!({ "query": "{ users(search: \"race@example.com\") { totalCount } }" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(response["data"]["users"]["totalCount"], 1, "{response}");
    }
    drop(servers);
}
