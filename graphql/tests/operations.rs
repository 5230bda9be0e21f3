//! Operating the real `usergraph` binary: configuration precedence and
//! errors (`usergraph config`), health and metrics endpoints, and a
//! SIGTERM in the middle of a burst of writes.
#![cfg(all(unix, feature = "redb"))]
// A panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::io::BufRead;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_usergraph");

/// `usergraph config` with `args`, `envs` and no stray `USERGRAPH_*`
/// variable of the test's own environment, run in `dir`.
fn config_command(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut command = Command::new(BIN);
    command.arg("config").args(args).current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("USERGRAPH_") {
            command.env_remove(key);
        }
    }
    command.envs(envs.iter().copied()).output().unwrap()
}

fn printed_config(output: &Output) -> toml::Table {
    assert!(
        output.status.success(),
        "usergraph config failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn file_then_environment_then_flags() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("usergraph.toml"),
        "max_batch = 5\nmax_query_depth = 9\nmax_query_complexity = 700\n\
         database_url = \"postgres://app:hunter2@db/ug\"\n\
         [plugins.webhooks]\ntimeout_ms = 2000\n\
         [[plugins.webhooks.endpoints]]\nurl = \"https://hooks.example.com/in\"\n\
         secret = \"whsec-do-not-print\"\nevents = [\"User.Created\"]\n",
    )
    .unwrap();
    // ./usergraph.toml is read without --config.
    let output = config_command(
        dir.path(),
        &["--max-query-complexity", "800"],
        &[
            ("USERGRAPH_MAX_QUERY_DEPTH", "11"),
            ("USERGRAPH_MAX_QUERY_COMPLEXITY", "750"),
            ("USERGRAPH_PLUGINS__WEBHOOKS__TIMEOUT_MS", "3000"),
            ("USERGRAPH_CONSOLE", "false"),
        ],
    );
    let config = printed_config(&output);
    // Default < file < environment < flag.
    assert_eq!(config["max_body_bytes"].as_integer(), Some(1024 * 1024));
    assert_eq!(config["console"].as_bool(), Some(false));
    assert_eq!(config["max_batch"].as_integer(), Some(5));
    assert_eq!(config["max_query_depth"].as_integer(), Some(11));
    assert_eq!(config["max_query_complexity"].as_integer(), Some(800));
    assert_eq!(
        config["plugins"]["webhooks"]["timeout_ms"].as_integer(),
        Some(3000)
    );
    // Secrets are never printed.
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!text.contains("whsec-do-not-print"), "{text}");
    assert_eq!(
        config["database_url"].as_str(),
        Some("postgres://app:***@db/ug")
    );

    // An explicit --config replaces the default file.
    std::fs::write(dir.path().join("other.toml"), "max_batch = 2\n").unwrap();
    let config = printed_config(&config_command(
        dir.path(),
        &["--config", "other.toml"],
        &[],
    ));
    assert_eq!(config["max_batch"].as_integer(), Some(2));
    assert_eq!(config["max_query_depth"].as_integer(), Some(16));
    // So does USERGRAPH_CONFIG.
    let config = printed_config(&config_command(
        dir.path(),
        &[],
        &[("USERGRAPH_CONFIG", "other.toml")],
    ));
    assert_eq!(config["max_batch"].as_integer(), Some(2));
}

/// Flags, variables, and what the error must name.
type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

#[test]
fn unknown_keys_and_missing_files_are_errors_that_name_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("typo.toml"), "max_bach = 5\n").unwrap();
    let cases: [Case; 3] = [
        (&["--config", "typo.toml"], &[], "max_bach"),
        (
            &[],
            &[("USERGRAPH_THROTTLE_WINDOW", "60")],
            "throttle_window",
        ),
        (&["--config", "absent.toml"], &[], "absent.toml"),
    ];
    for (args, envs, named) in cases {
        let output = config_command(dir.path(), args, envs);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} {envs:?} was accepted");
        assert!(stderr.contains(named), "{named} not named in: {stderr}");
    }
}

#[test]
fn trusted_proxies_come_from_the_file_the_environment_or_a_flag() {
    let dir = tempfile::tempdir().unwrap();
    let proxies = |output: &Output| -> Vec<String> {
        printed_config(output)["trusted_proxies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|net| net.as_str().unwrap().to_owned())
            .collect()
    };
    assert!(proxies(&config_command(dir.path(), &[], &[])).is_empty());
    std::fs::write(
        dir.path().join("proxies.toml"),
        "trusted_proxies = [\"10.0.0.0/8\", \"192.0.2.7\"]\n",
    )
    .unwrap();
    let from_file = config_command(dir.path(), &["--config", "proxies.toml"], &[]);
    assert_eq!(proxies(&from_file), ["10.0.0.0/8", "192.0.2.7/32"]);
    let env = [("USERGRAPH_TRUSTED_PROXIES", "172.16.0.0/12,::1")];
    let from_env = config_command(dir.path(), &["--config", "proxies.toml"], &env);
    assert_eq!(proxies(&from_env), ["172.16.0.0/12", "::1/128"]);
    let from_flag = config_command(
        dir.path(),
        &[
            "--config",
            "proxies.toml",
            "--trusted-proxies",
            "127.0.0.1/32",
        ],
        &env,
    );
    assert_eq!(proxies(&from_flag), ["127.0.0.1/32"]);
}

/// `usergraph serve` with `args` and `envs` (and no stray `USERGRAPH_*`
/// variable) in `dir`, expected to exit on its own within 30 s.
fn serve_to_exit(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let database = format!("redb://{}", dir.join("usergraph.redb").display());
    let mut command = Command::new(BIN);
    command
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &database,
        ])
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, _) in std::env::vars() {
        if key.starts_with("USERGRAPH_") {
            command.env_remove(key);
        }
    }
    let mut child = command.envs(envs.iter().copied()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("usergraph serve {args:?} {envs:?} started instead of refusing");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn an_invalid_trusted_proxy_stops_the_server_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "trusted_proxies = [\"10.0.0.0/33\"]\n",
    )
    .unwrap();
    let cases: [Case; 3] = [
        (&["--config", "bad.toml"], &[], "trusted_proxies"),
        (
            &[],
            &[("USERGRAPH_TRUSTED_PROXIES", "10.0.0.0/8,10.0.0.0/33")],
            "trusted_proxies",
        ),
        (
            &["--trusted-proxies", "10.0.0.0/33"],
            &[],
            "--trusted-proxies",
        ),
    ];
    for (args, envs, named) in cases {
        let output = serve_to_exit(dir.path(), args, envs);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} {envs:?} was accepted");
        // The environment's key is named in capitals.
        let lower = stderr.to_lowercase();
        assert!(lower.contains(named), "{named} not named in: {stderr}");
        assert!(
            stderr.contains("10.0.0.0/33"),
            "the value not named in: {stderr}"
        );
    }
    // Nothing was opened.
    assert!(!dir.path().join("usergraph.redb").exists());
}

struct Server {
    child: Child,
    base: String,
    printed_token: mpsc::Receiver<String>,
    /// Every line the server wrote on stdout.
    stdout: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn spawn(database: &Path) -> Self {
        Server::spawn_with(database, &[], "warn")
    }

    fn spawn_with(database: &Path, args: &[&str], rust_log: &str) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new(BIN)
            .arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--database-url")
            .arg(format!("redb://{}", database.display()))
            .args(args)
            .env("RUST_LOG", rust_log)
            .env_remove("USERGRAPH_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, printed_token) = mpsc::channel();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if let Some(token) = line.split_whitespace().find(|w| w.starts_with("ugp_")) {
                    let _ = tx.send(token.to_owned());
                }
                kept.lock().unwrap().push(line);
            }
        });
        Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            printed_token,
            stdout: lines,
        }
    }

    fn bootstrap_token(&self) -> String {
        self.printed_token
            .recv_timeout(Duration::from_secs(60))
            .expect("the first start prints an admin token")
    }

    async fn wait_healthy(&mut self, client: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("server exited early: {status}");
            }
            let up = client
                .get(format!("{}/healthz", self.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if up {
                return;
            }
            assert!(Instant::now() < deadline, "server not up in 60 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn terminate(&self) {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("server still running {within:?} after SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    async fn graphql(&self, client: &reqwest::Client, token: &str, body: Value) -> Value {
        client
            .post(format!("{}/graphql", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The user `id` if it was created and acknowledged; `None` when the
/// request failed or was refused (the server is going away).
async fn create_user(client: &reqwest::Client, url: &str, token: &str, id: &str) -> Option<()> {
    let body = json!({
        "query": "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
        "variables": { "input": { "id": id, "username": id } },
    });
    let response = client
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .ok()?;
    let body: Value = response.json().await.ok()?;
    (body["data"]["createUser"]["id"] == id).then_some(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_mid_burst_keeps_every_acknowledged_write() {
    const WORKERS: usize = 8;
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("usergraph.redb");
    let client = reqwest::Client::new();
    let mut server = Server::spawn(&database);
    let token = server.bootstrap_token();
    server.wait_healthy(&client).await;

    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
    let refused = Arc::new(AtomicBool::new(false));
    let url = format!("{}/graphql", server.base);
    let workers: Vec<_> = (0..WORKERS)
        .map(|worker| {
            let (client, url, token) = (client.clone(), url.clone(), token.clone());
            let (acknowledged, refused) = (Arc::clone(&acknowledged), Arc::clone(&refused));
            tokio::spawn(async move {
                for n in 0.. {
                    let id = format!("burst_{worker}_{n}");
                    match create_user(&client, &url, &token, &id).await {
                        Some(()) => {
                            acknowledged.lock().unwrap().insert(id);
                        }
                        None => {
                            refused.store(true, Ordering::SeqCst);
                            return;
                        }
                    }
                }
            })
        })
        .collect();
    // Let the burst get going, then stop the server under it.
    let started = Instant::now();
    while acknowledged.lock().unwrap().len() < 40 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "burst too slow"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.terminate();
    let status = server.wait_exit(Duration::from_secs(30));
    assert!(status.success(), "exit after SIGTERM: {status}");
    for worker in workers {
        worker.await.unwrap();
    }
    assert!(refused.load(Ordering::SeqCst));
    let acknowledged = acknowledged.lock().unwrap().clone();
    drop(server);

    // Every acknowledged user is there after a restart on the same file.
    let mut server = Server::spawn(&database);
    server.wait_healthy(&client).await;
    let ids: Vec<&String> = acknowledged.iter().collect();
    for chunk in ids.chunks(50) {
        let fields: String = chunk
            .iter()
            .enumerate()
            .map(|(i, id)| format!("u{i}: user(id: \"{id}\") {{ id }} "))
            .collect();
        let body = server
            .graphql(
                &client,
                &token,
                json!({ "query": format!("{{ {fields} }}") }),
            )
            .await;
        for (i, id) in chunk.iter().enumerate() {
            assert_eq!(
                body["data"][format!("u{i}")]["id"].as_str(),
                Some(id.as_str()),
                "acknowledged user {id} lost: {body}"
            );
        }
    }
    server.terminate();
    assert!(server.wait_exit(Duration::from_secs(30)).success());
}

/// The value of the sample `name{labels}` (labels as rendered, sorted by
/// the exporter), if present; panics on a line that is not exposition
/// format.
fn sample(exposition: &str, series: &str) -> Option<f64> {
    let mut found = None;
    for line in exposition.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, value) = line.rsplit_once(' ').expect("`series value` lines");
        let value: f64 = value.parse().expect("a numeric sample value");
        let metric = name.split('{').next().unwrap();
        assert!(
            metric
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name in {line}"
        );
        if name == series {
            found = Some(value);
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let mut server = Server::spawn(&dir.path().join("usergraph.redb"));
    let token = server.bootstrap_token();
    server.wait_healthy(&client).await;

    let ready = client
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);

    let metrics = |client: reqwest::Client, base: String| async move {
        let response = client.get(format!("{base}/metrics")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(content_type.starts_with("text/plain"), "{content_type}");
        response.text().await.unwrap()
    };
    let before = metrics(client.clone(), server.base.clone()).await;
    let created = r#"usergraph_requests_total{operation="createUser"}"#;
    let base_count = sample(&before, created).unwrap_or(0.0);

    for n in 0..3 {
        let id = format!("metrics_{n}");
        let url = format!("{}/graphql", server.base);
        assert!(create_user(&client, &url, &token, &id).await.is_some());
    }
    // A duplicate id: a CONFLICT error. A bad token: UNAUTHENTICATED.
    let body = server
        .graphql(
            &client,
            &token,
            json!({
                "query": "mutation { createUser(input: { id: \"metrics_0\" }) { id } }"
            }),
        )
        .await;
    let code = body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let unauthenticated = client
        .post(format!("{}/graphql", server.base))
        .bearer_auth("ugp_not_a_real_token")
        .json(&json!({ "query": "{ me { id } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), 401);
    // Refused over a limit before it reached the schema: still counted.
    let invalid = r#"usergraph_requests_total{operation="invalid"}"#;
    let invalid_before = sample(&before, invalid).unwrap_or(0.0);
    let cycle = server
        .graphql(
            &client,
            &token,
            json!({ "query": "{ ...A } fragment A on Query { ...A }" }),
        )
        .await;
    assert_eq!(cycle["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED");

    let after = metrics(client.clone(), server.base.clone()).await;
    assert_eq!(
        sample(&after, invalid),
        Some(invalid_before + 1.0),
        "{after}"
    );
    assert!(
        sample(&after, r#"usergraph_errors_total{code="LIMIT_EXCEEDED"}"#) >= Some(1.0),
        "{after}"
    );
    assert_eq!(sample(&after, created), Some(base_count + 4.0), "{after}");
    assert!(
        sample(
            &after,
            &format!("usergraph_errors_total{{code=\"{code}\"}}")
        ) >= Some(1.0),
        "{after}"
    );
    assert!(
        sample(&after, r#"usergraph_errors_total{code="UNAUTHENTICATED"}"#) >= Some(1.0),
        "{after}"
    );
    assert!(
        sample(
            &after,
            r#"usergraph_request_duration_seconds_count{operation="createUser"}"#
        ) >= Some(4.0),
        "{after}"
    );
    assert!(
        sample(
            &after,
            r#"usergraph_storage_call_duration_seconds_count{method="commit"}"#
        ) >= Some(3.0),
        "{after}"
    );
    assert!(after.contains("# TYPE usergraph_request_duration_seconds histogram"));
    // No secret reaches the exposition.
    assert!(!after.contains(&token));

    server.terminate();
    assert!(server.wait_exit(Duration::from_secs(30)).success());
}

/// The example file in the repository documents the defaults: reading it
/// changes nothing.
#[test]
fn the_example_file_holds_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../usergraph.example.toml");
    let from_example = printed_config(&config_command(
        dir.path(),
        &["--config", example.to_str().unwrap()],
        &[],
    ));
    let defaults = printed_config(&config_command(dir.path(), &[], &[]));
    assert_eq!(from_example, defaults);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_have_one_line_per_request_and_no_secrets() {
    const PASSWORD: &str = "Wombat-Quasar-Tundra-91";
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let mut server = Server::spawn_with(
        &dir.path().join("usergraph.redb"),
        &["--log-format", "json"],
        "info",
    );
    let token = server.bootstrap_token();
    server.wait_healthy(&client).await;
    let body = server
        .graphql(
            &client,
            &token,
            json!({
                "query": "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
                "variables": { "input": { "username": "logged", "password": PASSWORD } },
            }),
        )
        .await;
    assert!(body["data"]["createUser"]["id"].is_string(), "{body}");
    // A failing one: an unknown field.
    server
        .graphql(&client, &token, json!({ "query": "{ nope }" }))
        .await;
    // Lines are written by a background thread; those still queued when
    // SIGTERM arrives are written before the process exits.
    const BURST: usize = 200;
    for _ in 0..BURST {
        server
            .graphql(&client, &token, json!({ "query": "{ me { id } }" }))
            .await;
    }
    server.terminate();
    assert!(server.wait_exit(Duration::from_secs(30)).success());

    let lines = server.stdout.lock().unwrap().clone();
    // The first start's announcement is plain text on purpose; every log
    // line is a JSON object.
    let logs: Vec<Value> = lines
        .iter()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).expect("a JSON log line"))
        .collect();
    let requests: Vec<&Value> = logs
        .iter()
        .filter(|log| log["span"]["name"] == "graphql")
        .collect();
    assert_eq!(requests.len(), 2 + BURST, "{logs:#?}");
    let created = &requests[0]["span"];
    assert_eq!(created["operation"], "createUser");
    assert_ne!(created["caller"], "anonymous");
    assert!(created["duration_ms"].is_string() || created["duration_ms"].is_number());
    assert_eq!(created.get("error_code"), None);
    let failed = &requests[1]["span"];
    assert_eq!(failed["operation"], "invalid");
    assert_eq!(failed["error_code"], "BAD_REQUEST");
    for line in lines.iter().filter(|line| line.starts_with('{')) {
        assert!(!line.contains(PASSWORD), "password logged: {line}");
        assert!(!line.contains(&token), "token logged: {line}");
    }
    assert!(lines.iter().any(|line| line.contains("shutting down")));
    assert!(lines.iter().any(|line| line.contains("usergraph stopped")));
}

/// Requests still running at the shutdown deadline do not hold the
/// process: slow password hashes queue behind one another, and the server
/// exits, with 0, soon after the deadline instead of after them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shutdown_waits_for_requests_no_longer_than_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let mut server = Server::spawn_with(
        &dir.path().join("usergraph.redb"),
        &[
            // Slow hashes, one at a time.
            "--argon2-memory-kib",
            "65536",
            "--argon2-iterations",
            "16",
            "--max-concurrent-hashes",
            "1",
            "--shutdown-timeout-secs",
            "1",
        ],
        "warn",
    );
    let token = server.bootstrap_token();
    server.wait_healthy(&client).await;
    let url = format!("{}/graphql", server.base);
    let started = Instant::now();
    let first = {
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        tokio::spawn(async move {
            let body = json!({
                "query": "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
                "variables": { "input": { "username": "slow_probe", "password": "Wombat-Quasar-Tundra-91" } },
            });
            client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .is_ok()
        })
    };
    // One hash's time, measured; queue enough of them to outlast the
    // deadline by far.
    first.await.unwrap();
    let one_hash = started.elapsed();
    let bound = Duration::from_secs(2) + one_hash * 2;
    let queued = (bound + Duration::from_secs(3)).as_secs_f64() / one_hash.as_secs_f64();
    let queued = (queued.ceil() as usize).clamp(3, 60);
    let slow: Vec<_> = (0..queued)
        .map(|n| {
            let (client, url, token) = (client.clone(), url.clone(), token.clone());
            tokio::spawn(async move {
                let body = json!({
                    "query": "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
                    "variables": { "input": { "username": format!("slow_{n}"), "password": "Wombat-Quasar-Tundra-91" } },
                });
                let _ = client.post(url).bearer_auth(token).json(&body).send().await;
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopping = Instant::now();
    server.terminate();
    let status = server.wait_exit(Duration::from_secs(30));
    let took = stopping.elapsed();
    assert!(status.success(), "exit after SIGTERM: {status}");
    assert!(
        took < bound,
        "shutdown took {took:?} with {queued} hashes of {one_hash:?} queued"
    );
    for request in slow {
        request.await.unwrap();
    }
}
