//! The browser tests' harness: a `usergraph` process on a fresh store and
//! a headless Chromium driven through chromedriver. Each `console_*.rs`
//! test file includes it with `mod browser;`.
// A panic is a failed test; not every test file uses every helper.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::collections::BTreeSet;
use std::io::BufRead;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use axum::http::Method;
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_usergraph");
pub const ADMIN_PASSWORD: &str = "orange kettle whistles softly";
/// Users made besides `admin`: three pages of 20.
pub const USERS: usize = 45;
pub const WAIT: Duration = Duration::from_secs(20);

/// The two programs the tests need, when both are installed.
pub fn browser_programs() -> Option<(PathBuf, PathBuf)> {
    let find = |names: &[&str]| {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
            .find(|candidate| candidate.is_file())
    };
    Some((
        find(&["chromium", "chromium-browser"])?,
        find(&["chromedriver"])?,
    ))
}

pub fn skip_without_browser() -> Option<(PathBuf, PathBuf)> {
    let found = browser_programs();
    if found.is_none() {
        eprintln!(
            "skipped: the console's browser tests need Chromium and chromedriver \
             (Debian: apt-get install chromium chromium-driver)"
        );
    }
    found
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `usergraph` process on a fresh store, with the bootstrap admin's
/// token, a password for `admin` and `USERS` more users.
pub struct Server {
    pub child: Child,
    pub origin: String,
    pub admin_token: String,
    pub http: reqwest::Client,
    pub _dir: tempfile::TempDir,
    /// The PostgreSQL database made for this server, dropped with it.
    pub scratch_database: Option<String>,
}

/// Where a test server keeps its data: a fresh store of each backend.
#[derive(Clone, Copy, Debug)]
pub enum Store {
    Redb,
    Sled,
    /// A database of its own on the server at `DATABASE_URL`.
    Postgres,
}

/// `DATABASE_URL`, the PostgreSQL server the tests may create databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// `postgres_admin_url` with its database replaced by `database`.
fn postgres_url_for(database: &str) -> String {
    let admin = postgres_admin_url();
    let (base, _) = admin
        .rsplit_once('/')
        .expect("DATABASE_URL has a database part");
    format!("{base}/{database}")
}

fn psql(command: &str) {
    let status = Command::new("psql")
        .arg(postgres_admin_url())
        .arg("-qc")
        .arg(command)
        .stdout(Stdio::null())
        .status()
        .expect("psql runs");
    assert!(status.success(), "psql -c {command}");
}

impl Server {
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// `start` with more command-line flags (e.g. `["--max-batch", "1"]`).
    pub async fn start_with(flags: &[&str]) -> Self {
        Self::start_on(Store::Redb, flags).await
    }

    /// A server on a fresh store of `store`'s backend.
    pub async fn start_on(store: Store, flags: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut scratch_database = None;
        let database_url = match store {
            Store::Redb => format!("redb://{}", dir.path().join("db.redb").display()),
            Store::Sled => format!("sled://{}", dir.path().join("db.sled").display()),
            Store::Postgres => {
                let name = format!("ug_console_{}_{}", std::process::id(), free_port());
                psql(&format!("DROP DATABASE IF EXISTS {name}"));
                psql(&format!("CREATE DATABASE {name}"));
                scratch_database = Some(name.clone());
                postgres_url_for(&name)
            }
        };
        let port = free_port();
        let mut command = Command::new(BIN);
        for (key, _) in std::env::vars() {
            if key.starts_with("USERGRAPH_") {
                command.env_remove(key);
            }
        }
        let mut child = command
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--database-url")
            .arg(&database_url)
            .args(flags)
            .current_dir(dir.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, printed) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if let Some(token) = line.split_whitespace().find(|w| w.starts_with("ugp_")) {
                    let _ = tx.send(token.to_owned());
                }
            }
        });
        let admin_token = printed
            .recv_timeout(Duration::from_secs(60))
            .expect("the first start prints an admin token");
        let server = Server {
            child,
            origin: format!("http://127.0.0.1:{port}"),
            admin_token,
            http: reqwest::Client::new(),
            _dir: dir,
            scratch_database,
        };
        server.wait_healthy().await;
        server.populate().await;
        server
    }

    pub async fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self
            .http
            .get(format!("{}/healthz", self.origin))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            assert!(Instant::now() < deadline, "server not up in 60 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Runs `query` as `token`; panics on any error.
    pub async fn data(&self, token: &str, query: &str, variables: Value) -> Value {
        let body: Value = self
            .http
            .post(format!("{}/graphql", self.origin))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(body["errors"].is_null(), "{body}");
        body["data"].clone()
    }

    /// The whole response to `query`, errors included, as `token` (None:
    /// anonymous).
    pub async fn respond(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self.http.post(format!("{}/graphql", self.origin));
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

    /// The id of the user whose username is exactly `username`.
    pub async fn user_id(&self, username: &str) -> String {
        let found = self
            .data(
                &self.admin_token,
                "query($u: String!) { users(filter: { username: { eq: $u } }) { nodes { id } } }",
                json!({ "u": username }),
            )
            .await;
        found["users"]["nodes"][0]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no user {username}"))
            .to_owned()
    }

    /// Gives the user `user_id` the role `role_id`, as the admin.
    pub async fn assign_role(&self, user_id: &str, role_id: &str) {
        self.data(
            &self.admin_token,
            "mutation($u: ID!, $r: [ID!]!) { assignUserRoles(userId: $u, roleIds: $r) { id } }",
            json!({ "u": user_id, "r": [role_id] }),
        )
        .await;
    }

    pub async fn admin_id(&self) -> String {
        let me = self
            .data(&self.admin_token, "{ me { id } }", json!({}))
            .await;
        me["me"]["id"].as_str().unwrap().to_owned()
    }

    /// `admin` gets a password; `user_00` .. `user_44` are created in one
    /// request, each with a name and an email.
    pub async fn populate(&self) {
        let admin = self.admin_id().await;
        self.data(
            &self.admin_token,
            "mutation($id: ID!, $p: String!) { setUserPassword(id: $id, password: $p) { id } }",
            json!({ "id": admin, "p": ADMIN_PASSWORD }),
        )
        .await;
        let creations: Vec<String> = (0..USERS)
            .map(|i| {
                format!(
                    r#"u{i}: createUser(input: {{ username: "user_{i:02}", name: "Person {i:02}", primaryEmail: "user{i:02}@example.com" }}) {{ id }}"#
                )
            })
            .collect();
        self.data(
            &self.admin_token,
            &format!("mutation {{ {} }}", creations.join(" ")),
            json!({}),
        )
        .await;
    }

    /// Whether `token` still authenticates.
    pub async fn accepts(&self, token: &str) -> bool {
        self.http
            .post(format!("{}/graphql", self.origin))
            .bearer_auth(token)
            .json(&json!({ "query": "{ me { id } }" }))
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(name) = &self.scratch_database {
            // `WITH (FORCE)` ends connections the killed server left.
            let _ = Command::new("psql")
                .arg(postgres_admin_url())
                .arg("-qc")
                .arg(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .stdout(Stdio::null())
                .status();
        }
    }
}

/// chromedriver and the headless Chromium it starts, with a fresh profile.
pub struct Browser {
    pub client: Client,
    pub driver: Child,
    pub _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start((chromium, chromedriver): &(PathBuf, PathBuf)) -> Self {
        let port = free_port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let profile = tempfile::tempdir().unwrap();
        // This machine refuses outside connections: nothing in the browser
        // may try any, and names other than loopback resolve to nothing.
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1".to_owned(),
            "--lang=en-US".to_owned(),
            "--window-size=1280,900".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut capabilities = Capabilities::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": chromium, "args": args }),
        );
        capabilities.insert(
            "goog:loggingPrefs".into(),
            json!({ "browser": "ALL", "performance": "ALL" }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(error) => {
                    assert!(
                        Instant::now() < deadline,
                        "no browser session in 30 s: {error}"
                    );
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        };
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    /// Evaluates `expression` in the page.
    pub async fn eval(&self, expression: &str) -> Value {
        self.client
            .execute(&format!("return ({expression});"), vec![])
            .await
            .unwrap()
    }

    /// Waits until `expression` is true in the page.
    pub async fn until(&self, expression: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            if self.eval(expression).await == json!(true) {
                return;
            }
            if Instant::now() > deadline {
                let body = self.eval("document.body.innerText").await;
                panic!("still false after {WAIT:?}: {expression}\npage text: {body}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn click(&self, css: &str) {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap();
        field.send_keys(text).await.unwrap();
    }

    pub async fn text(&self, css: &str) -> String {
        let found = self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap();
        found.text().await.unwrap()
    }

    /// With `USERGRAPH_SCREENSHOTS=DIR`, saves the window as `DIR/NAME.png`
    /// (the README's pictures come from there).
    pub async fn screenshot(&self, name: &str) {
        if let Some(dir) = std::env::var_os("USERGRAPH_SCREENSHOTS") {
            let png = self.client.screenshot().await.unwrap();
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(PathBuf::from(dir).join(format!("{name}.png")), png).unwrap();
        }
    }

    /// The usernames in the users table, top to bottom.
    pub async fn usernames(&self) -> Vec<String> {
        let names = self
            .eval("[...document.querySelectorAll('#users tbody tr td:first-child')].map(td => td.textContent)")
            .await;
        serde_json::from_value(names).unwrap()
    }

    /// POSTs the page has sent to the API so far (resource timing sees
    /// every fetch).
    pub async fn api_requests(&self) -> usize {
        let count = self
            .eval(
                "performance.getEntriesByType('resource')\
                 .filter(e => e.initiatorType === 'fetch' && new URL(e.name).pathname.endsWith('/graphql')).length",
            )
            .await;
        usize::try_from(count.as_u64().unwrap()).unwrap()
    }

    /// Entries of chromedriver's log of `kind` since the last call.
    pub async fn log(&self, kind: &'static str) -> Vec<Value> {
        let entries = self.client.issue_cmd(ReadLog(kind)).await.unwrap();
        serde_json::from_value(entries).unwrap()
    }

    /// Every URL the browser requested (from the DevTools network events).
    pub async fn requested_urls(&self) -> BTreeSet<String> {
        self.log("performance")
            .await
            .iter()
            .filter_map(|entry| serde_json::from_str::<Value>(entry["message"].as_str()?).ok())
            .filter(|message| message["message"]["method"] == "Network.requestWillBeSent")
            .filter_map(|message| {
                Some(
                    message["message"]["params"]["request"]["url"]
                        .as_str()?
                        .to_owned(),
                )
            })
            .collect()
    }

    pub async fn sign_in(&self, server: &Server) {
        self.goto(&server.origin).await;
        self.type_into("#identifier", "admin").await;
        self.type_into("#password", ADMIN_PASSWORD).await;
        self.click("#sign-in button[type=submit]").await;
        self.until("document.querySelectorAll('#users tbody tr').length === 20")
            .await;
    }

    /// Signs in with the form as someone other than `admin`; waits for the
    /// signed-in page they land on.
    pub async fn sign_in_as(&self, server: &Server, identifier: &str, password: &str) {
        self.goto(&server.origin).await;
        self.type_into("#identifier", identifier).await;
        self.type_into("#password", password).await;
        self.click("#sign-in button[type=submit]").await;
        self.until(
            "document.querySelector('#sign-out') !== null && document.querySelector('main h1') !== null",
        )
        .await;
    }

    pub async fn sign_out(&self) {
        self.click("#sign-out").await;
        self.until("document.querySelector('#sign-in') !== null")
            .await;
    }

    /// Replaces the value of the field `css` as typing would (an `input`
    /// event), for fields `type_into` cannot clear (dates, textareas).
    pub async fn set_value(&self, css: &str, value: &str) {
        self.until(&format!("document.querySelector({}) !== null", json!(css)))
            .await;
        let script = format!(
            "(() => {{ const e = document.querySelector({css}); e.value = {value}; \
             e.dispatchEvent(new Event('input', {{ bubbles: true }})); return true; }})()",
            css = json!(css),
            value = json!(value),
        );
        assert_eq!(self.eval(&script).await, json!(true), "{css}");
    }

    /// Chooses the option of `value` in the select `css`.
    pub async fn select(&self, css: &str, value: &str) {
        let field = self.client.find(Locator::Css(css)).await.unwrap();
        field.select_by_value(value).await.unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Killing chromedriver alone leaves the Chromium it started running,
        // adopted by init: a browser (and its renderers) per test, for good.
        let _ = Command::new("pkill")
            .args(["-TERM", "-P", &self.driver.id().to_string()])
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// chromedriver's log endpoint, which WebDriver itself lacks.
#[derive(Debug)]
pub struct ReadLog(&'static str);

impl WebDriverCompatibleCommand for ReadLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (Method, Option<String>) {
        (Method::POST, Some(json!({ "type": self.0 }).to_string()))
    }
}
