//! Two `usergraph` server processes on one PostgreSQL database: the database,
//! not either process, decides who wins a race for an email address, counts
//! failed sign-ins for both, and carries each one's log entries to the
//! other's subscribers. The first process bootstraps the empty database and
//! prints the admin token used on both.
#![cfg(feature = "postgres")]
// A panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::BufRead;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
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
    /// `tag` tells apart the databases of tests run in one process.
    async fn create(tag: &str) -> Self {
        let name = format!("ug_two_processes_{tag}_{}", std::process::id());
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
    /// The first access token the server printed on stdout, if any.
    printed_token: mpsc::Receiver<String>,
}

impl Server {
    fn spawn(database_url: &str) -> Self {
        Self::spawn_with(database_url, &[])
    }

    /// With extra `serve` flags.
    fn spawn_with(database_url: &str, flags: &[&str]) -> Self {
        // Ask the OS for a free port, then hand it to the server.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_usergraph"))
            .arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .args(flags)
            .env("USERGRAPH_DATABASE_URL", database_url)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        // Read stdout to its end, so that the server never blocks on a full
        // pipe, and pass on the first token seen.
        let stdout = child.stdout.take().unwrap();
        let (tx, printed_token) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if let Some(token) = line.split_whitespace().find(|w| w.starts_with("ugp_")) {
                    let _ = tx.send(token.to_owned());
                }
            }
        });
        Server {
            child,
            url: format!("http://127.0.0.1:{port}/graphql"),
            printed_token,
        }
    }

    /// The token printed on the first start (a blocking wait).
    fn bootstrap_token(&self) -> String {
        self.printed_token
            .recv_timeout(Duration::from_secs(60))
            .expect("the first start prints an admin token")
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

/// The whole response body of `query` sent to `url`, as `token` when
/// given.
async fn post(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Value {
    let mut request = client.post(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn create_user(
    client: reqwest::Client,
    url: String,
    token: String,
    username: String,
) -> Value {
    let query = "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }";
    let variables =
        json!({ "input": { "username": username, "primaryEmail": "Race@Example.com" } });
    post(&client, &url, Some(&token), query, variables).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_two_processes_one_email_one_winner() {
    let database = ScratchDatabase::create("race").await;
    let database_url = url_for(&database.name);
    let client = reqwest::Client::new();
    // One after the other: the first bootstraps the empty database.
    let mut first = Server::spawn(&database_url);
    first.wait_ready(&client).await;
    let token = first.bootstrap_token();
    let mut second = Server::spawn(&database_url);
    second.wait_ready(&client).await;
    // The second start found the admin in place and printed nothing.
    assert!(
        second.printed_token.try_recv().is_err(),
        "a second start must not mint another admin token"
    );
    let servers = [first, second];

    let mut racers = Vec::new();
    for i in 0..RACERS_PER_PROCESS {
        for (s, server) in servers.iter().enumerate() {
            racers.push(tokio::spawn(create_user(
                client.clone(),
                server.url.clone(),
                token.clone(),
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
            .bearer_auth(&token)
            .json(&json!({ "query": "{ users(search: \"race@example.com\") { totalCount } }" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(response["data"]["users"]["totalCount"], 1, "{response}");
    }

    // `usergraph admin token` mints another admin token next to running
    // servers, and prints it alone.
    let minted = Command::new(env!("CARGO_BIN_EXE_usergraph"))
        .args(["admin", "token", "--username", "admin", "--name", "ops"])
        .env("USERGRAPH_DATABASE_URL", &database_url)
        .output()
        .unwrap();
    assert!(minted.status.success(), "{minted:?}");
    let stdout = String::from_utf8(minted.stdout).unwrap();
    let secret = stdout.trim_end();
    assert!(
        secret.starts_with("ugp_") && !secret.contains('\n'),
        "{stdout:?}"
    );
    let response: Value = client
        .post(&servers[1].url)
        .bearer_auth(secret)
        .json(&json!({ "query": "{ me { username } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(response["data"]["me"]["username"], "admin", "{response}");
    drop(servers);
}

async fn sign_in(client: &reqwest::Client, url: &str, identifier: &str, password: &str) -> Value {
    let query =
        "mutation($i: String!, $p: String!) { signIn(identifier: $i, password: $p) { token } }";
    post(
        client,
        url,
        None,
        query,
        json!({ "i": identifier, "p": password }),
    )
    .await
}

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("an error code in {response}"))
}

/// Failed sign-ins alternated between two instances: the per-account limit
/// is reached after the total across both, not after the limit on each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_processes_share_the_sign_in_throttle() {
    const LIMIT: usize = 3;
    let database = ScratchDatabase::create("throttle").await;
    let database_url = url_for(&database.name);
    let client = reqwest::Client::new();
    let limit = LIMIT.to_string();
    let flags = ["--throttle-max-failures-per-account", limit.as_str()];
    let mut first = Server::spawn_with(&database_url, &flags);
    first.wait_ready(&client).await;
    let mut second = Server::spawn_with(&database_url, &flags);
    second.wait_ready(&client).await;
    let servers = [first, second];

    for attempt in 0..LIMIT {
        let server = &servers[attempt % 2];
        let response = sign_in(&client, &server.url, "admin", "not the password").await;
        assert_eq!(
            code(&response),
            "UNAUTHENTICATED",
            "attempt {attempt}: {response}"
        );
    }
    // Each instance has seen fewer than the limit, but together they have
    // seen it: both refuse, and say for how long.
    for server in &servers {
        let response = sign_in(&client, &server.url, "admin", "not the password").await;
        assert_eq!(code(&response), "RATE_LIMITED", "{response}");
        let retry_after = response["errors"][0]["extensions"]["retryAfter"]
            .as_u64()
            .unwrap();
        assert!(retry_after > 0 && retry_after <= 15 * 60, "{response}");
    }
    // Other accounts are not affected.
    let response = sign_in(&client, &servers[1].url, "someone_else", "not the password").await;
    assert_eq!(code(&response), "UNAUTHENTICATED", "{response}");
    drop(servers);
}

/// `query` as the admin through `url`; its `data`.
async fn data(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    query: &str,
    variables: Value,
) -> Value {
    let body = post(client, url, Some(token), query, variables).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"].clone()
}

/// Every entry's id after the entry `after_id`, oldest first, as `logs`
/// lists them through `url`.
async fn ids_after(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    after_id: &str,
) -> Vec<String> {
    let logs = data(
        client,
        url,
        token,
        "{ logs(first: 100) { nodes { id } } }",
        json!({}),
    )
    .await;
    let mut newest_first = Vec::new();
    for node in logs["logs"]["nodes"].as_array().unwrap() {
        let id = node["id"].as_str().unwrap().to_owned();
        if id == after_id {
            newest_first.reverse();
            return newest_first;
        }
        newest_first.push(id);
    }
    panic!("{after_id} is not among the newest 100 entries");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_processes_carry_each_others_log_entries_to_subscribers_in_order() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let database = ScratchDatabase::create("live").await;
    let database_url = url_for(&database.name);
    let client = reqwest::Client::new();
    let mut first = Server::spawn(&database_url);
    first.wait_ready(&client).await;
    let token = first.bootstrap_token();
    let mut second = Server::spawn(&database_url);
    second.wait_ready(&client).await;

    // A subscriber of the second process, from the newest entry on.
    let newest = data(
        &client,
        &second.url,
        &token,
        "{ logs(first: 1) { edges { cursor node { id } } } }",
        json!({}),
    )
    .await;
    let edge = &newest["logs"]["edges"][0];
    let (cursor, cursor_id) = (
        edge["cursor"].clone(),
        edge["node"]["id"].as_str().unwrap().to_owned(),
    );
    let mut request = second
        .url
        .replace("http://", "ws://")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let send = |message: Value| Message::Text(message.to_string().into());
    socket
        .send(send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })))
        .await
        .unwrap();
    socket
        .send(send(json!({
            "id": "1",
            "type": "subscribe",
            "payload": {
                "query": "subscription($after: String) { logAdded(after: $after) { node { id } } }",
                "variables": { "after": cursor },
            },
        })))
        .await
        .unwrap();

    // Both processes write at once.
    let writers: Vec<_> = [
        (&first.url, "one"),
        (&second.url, "two"),
        (&first.url, "three"),
    ]
    .into_iter()
    .map(|(url, prefix)| {
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        tokio::spawn(async move {
            for n in 0..10 {
                data(
                    &client,
                    &url,
                    &token,
                    "mutation($u: String!) { createUser(input: { username: $u }) { id } }",
                    json!({ "u": format!("{prefix}_{n}") }),
                )
                .await;
            }
        })
    })
    .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let expected = ids_after(&client, &second.url, &token, &cursor_id).await;
    assert_eq!(expected.len(), 30);

    let mut received = Vec::new();
    while received.len() < expected.len() {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("every entry arrives")
            .expect("the connection stays open")
            .unwrap();
        let Message::Text(text) = message else {
            continue;
        };
        let message: Value = serde_json::from_str(&text).unwrap();
        match message["type"].as_str() {
            Some("ping") => socket.send(send(json!({ "type": "pong" }))).await.unwrap(),
            Some("next") => received.push(
                message["payload"]["data"]["logAdded"]["node"]["id"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{message}"))
                    .to_owned(),
            ),
            Some("connection_ack") => {}
            other => panic!("unexpected {other:?}: {message}"),
        }
    }
    assert_eq!(received, expected, "in log order, none missing, none twice");
}
