//! A long, bounded mixed load on the real `usergraph` binary over a redb
//! store: reads, searches, writes and sign-ins from 4 connections on
//! loopback. It fails if any request answers with an error (`INTERNAL` or
//! any other: the load is valid) or fails at the transport, or if the
//! server's resident memory keeps growing: the floor of its RSS (the lower
//! quartile of the samples) in the last quarter of the run may exceed that
//! of the second quarter by at most [`RSS_SLACK_KIB`] plus
//! [`RSS_SLACK_PERCENT`]. The first quarter is left out: caches and the
//! store's pages fill then. The floor, since a sample taken while
//! passwords are hashed holds up to four 19 MiB Argon2 buffers; a leak
//! raises the floor too.
//! Users are created and deleted again, and sessions signed out, so the
//! data the server holds stays the same size (only the audit log grows).
//!
//! It runs [`DEFAULT_SECS`] seconds; `SOAK_SECS=600` runs it longer (at most
//! an hour). It prints its request counts and RSS samples.
#![cfg(all(target_os = "linux", feature = "redb"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::BufRead;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_usergraph");
const DEFAULT_SECS: u64 = 20;
const MAX_SECS: u64 = 3_600;
const WORKERS: usize = 4;
/// Users each worker keeps before deleting its oldest.
const KEPT_PER_WORKER: usize = 40;
const SIGN_IN_USERS: usize = 8;
const PASSWORD: &str = "soak-test correct horse battery";
const SAMPLE_EVERY: Duration = Duration::from_millis(100);
/// Absolute and relative growth of the floor allowed between the second
/// and the last quarter.
const RSS_SLACK_KIB: u64 = 32 * 1024;
const RSS_SLACK_PERCENT: u64 = 20;
/// glibc raises its mmap threshold after the first freed Argon2 buffer
/// (19 MiB), so later ones come from its arenas (up to 8 per core), each of
/// which keeps them: the server's RSS then climbs in 19 MiB steps for about
/// a minute (to about 560 MiB under this load) before it levels off, which
/// would hide a leak. A fixed threshold returns every such buffer to the
/// system when it is freed: RSS then is what the server holds.
const MMAP_THRESHOLD: &str = "1048576";

struct Server {
    child: Child,
    url: String,
    token: String,
}

impl Server {
    fn spawn(database: &Path) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut command = Command::new(BIN);
        command
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--database-url")
            .arg(format!("redb://{}", database.display()))
            .env("RUST_LOG", "warn")
            .env("MALLOC_MMAP_THRESHOLD_", MMAP_THRESHOLD)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (key, _) in std::env::vars() {
            if key.starts_with("USERGRAPH_") {
                command.env_remove(key);
            }
        }
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if let Some(token) = line.split_whitespace().find(|w| w.starts_with("ugp_")) {
                    let _ = tx.send(token.to_owned());
                }
            }
        });
        let token = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the first start prints an admin token");
        Server {
            child,
            url: format!("http://127.0.0.1:{port}/graphql"),
            token,
        }
    }

    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One connection: requests are sent one after another on one client whose
/// pool keeps a single connection.
struct Connection {
    client: reqwest::Client,
    url: String,
}

impl Connection {
    fn new(url: &str) -> Connection {
        Connection {
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .unwrap(),
            url: url.to_owned(),
        }
    }

    /// The `data` of a request that must succeed; anything else fails the
    /// test with the operation and the answer.
    async fn ok(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .client
            .post(&self.url)
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{query}: transport error {e}"));
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        if let Some(errors) = body.get("errors") {
            let codes: Vec<&Value> = errors
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| &e["extensions"]["code"])
                .collect();
            panic!("{query} with {variables}: HTTP {status}, codes {codes:?}: {errors}");
        }
        assert!(status.is_success(), "{query}: HTTP {status}");
        body["data"].clone()
    }
}

#[derive(Debug, Default)]
struct Counts {
    reads: u64,
    searches: u64,
    writes: u64,
    sign_ins: u64,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.reads += other.reads;
        self.searches += other.searches;
        self.writes += other.writes;
        self.sign_ins += other.sign_ins;
    }
}

const CREATE: &str = "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }";
const UPDATE: &str =
    "mutation($id: ID!, $name: String!) { updateUser(id: $id, input: {name: $name}) { id name } }";
const DELETE: &str = "mutation($id: ID!) { deleteUser(id: $id) }";
const SIGN_IN: &str = "mutation($identifier: String!, $password: String!) { signIn(identifier: $identifier, password: $password) { token user { id } } }";
const SIGN_OUT: &str = "mutation { signOut }";
const USER: &str = "query($id: ID!) { user(id: $id) { id username name roles { name } } }";
const ME: &str = "{ me { id username } }";
const SEARCH: &str = "query($filter: UserFilter, $search: String) {
    users(filter: $filter, search: $search, first: 20, orderBy: [{field: USERNAME, direction: ASC}]) {
        totalCount edges { node { id username } } pageInfo { hasNextPage endCursor }
    }
}";
const LOGS: &str = "{ logs(first: 10) { edges { node { key result } } } }";

async fn worker(url: String, admin: String, worker: usize, until: Instant) -> Counts {
    let connection = Connection::new(&url);
    let mut counts = Counts::default();
    let mut kept = std::collections::VecDeque::new();
    let mut step = 0u64;
    while Instant::now() < until {
        step += 1;
        let admin = Some(admin.as_str());
        match step % 10 {
            0 => {
                let who = format!("signer{}", (worker + step as usize) % SIGN_IN_USERS);
                let data = connection
                    .ok(
                        None,
                        SIGN_IN,
                        json!({ "identifier": who, "password": PASSWORD }),
                    )
                    .await;
                let session = data["signIn"]["token"].as_str().unwrap().to_owned();
                connection.ok(Some(&session), ME, json!({})).await;
                connection.ok(Some(&session), SIGN_OUT, json!({})).await;
                counts.sign_ins += 1;
            }
            1 | 4 => {
                let username = format!("w{worker}_{step}");
                let input = json!({
                    "username": username,
                    "primaryEmail": format!("{username}@example.com"),
                    "name": format!("Worker {worker} step {step}"),
                    "customData": { "plan": if step.is_multiple_of(3) { "pro" } else { "free" }, "step": step },
                });
                let data = connection
                    .ok(admin, CREATE, json!({ "input": input }))
                    .await;
                kept.push_back(data["createUser"]["id"].as_str().unwrap().to_owned());
                counts.writes += 1;
            }
            2 => {
                if let Some(id) = kept.back() {
                    let name = format!("Renamed {step}");
                    connection
                        .ok(admin, UPDATE, json!({ "id": id, "name": name }))
                        .await;
                    counts.writes += 1;
                }
            }
            3 | 7 => {
                if kept.len() > KEPT_PER_WORKER {
                    let id = kept.pop_front().unwrap();
                    connection.ok(admin, DELETE, json!({ "id": id })).await;
                    counts.writes += 1;
                } else if let Some(id) = kept.front() {
                    connection.ok(admin, USER, json!({ "id": id })).await;
                    counts.reads += 1;
                }
            }
            5 => {
                let filter = json!({
                    "or": [
                        { "username": { "regex": format!("^w{worker}_[0-9]+5$") } },
                        { "name": { "like": "Renamed %" }, "customData": [{ "path": ["plan"], "eq": "pro" }] },
                    ],
                });
                connection
                    .ok(admin, SEARCH, json!({ "filter": filter }))
                    .await;
                counts.searches += 1;
            }
            6 => {
                connection
                    .ok(admin, SEARCH, json!({ "search": format!("w{}", step % 4) }))
                    .await;
                counts.searches += 1;
            }
            8 => {
                connection.ok(admin, LOGS, json!({})).await;
                counts.reads += 1;
            }
            _ => {
                connection.ok(admin, ME, json!({})).await;
                counts.reads += 1;
            }
        }
    }
    counts
}

/// The lower quartile of the RSS samples taken from `from` to `to`.
fn floor(samples: &[(Duration, u64)], from: Duration, to: Duration) -> u64 {
    let mut window: Vec<u64> = samples
        .iter()
        .filter(|(at, _)| *at >= from && *at < to)
        .map(|(_, kib)| *kib)
        .collect();
    assert!(
        !window.is_empty(),
        "no RSS sample between {from:?} and {to:?}"
    );
    window.sort_unstable();
    window[window.len() / 4]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_load_answers_without_errors_and_memory_levels_off() {
    let secs = std::env::var("SOAK_SECS")
        .ok()
        .map(|s| s.parse::<u64>().expect("SOAK_SECS is a number of seconds"))
        .unwrap_or(DEFAULT_SECS)
        .clamp(4, MAX_SECS);
    let run = Duration::from_secs(secs);
    let dir = tempfile::tempdir().unwrap();
    let server = Server::spawn(&dir.path().join("soak.redb"));

    let setup = Connection::new(&server.url);
    for i in 0..SIGN_IN_USERS {
        let input = json!({ "username": format!("signer{i}"), "password": PASSWORD });
        setup
            .ok(Some(&server.token), CREATE, json!({ "input": input }))
            .await;
    }

    let started = Instant::now();
    let until = started + run;
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| tokio::spawn(worker(server.url.clone(), server.token.clone(), w, until)))
        .collect();
    let mut samples = Vec::new();
    while Instant::now() < until {
        samples.push((started.elapsed(), server.rss_kib()));
        tokio::time::sleep(SAMPLE_EVERY).await;
    }
    samples.push((started.elapsed(), server.rss_kib()));
    let mut total = Counts::default();
    for handle in workers {
        total.add(&handle.await.unwrap());
    }

    let quarter = run / 4;
    let second = floor(&samples, quarter, quarter * 2);
    let last = floor(&samples, quarter * 3, run + Duration::from_secs(60));
    let allowed = second + RSS_SLACK_KIB + second * RSS_SLACK_PERCENT / 100;
    let requests = total.reads + total.searches + total.writes + 3 * total.sign_ins;
    eprintln!(
        "soak: {secs} s, {requests} requests ({:.0}/s): {total:?}; server RSS floor \
         {second} KiB in the second quarter, {last} KiB in the last (allowed {allowed} KiB)",
        requests as f64 / secs as f64
    );
    let shown: Vec<String> = samples
        .iter()
        .step_by((samples.len() / 20).max(1))
        .map(|(at, kib)| format!("{:.0}s:{}MiB", at.as_secs_f64(), kib / 1024))
        .collect();
    eprintln!("soak: RSS samples {}", shown.join(" "));
    assert!(total.sign_ins > 0 && total.writes > 0 && total.searches > 0);
    assert!(
        last <= allowed,
        "server memory kept growing: RSS floor {second} KiB in the second quarter, {last} KiB \
         in the last"
    );
}
