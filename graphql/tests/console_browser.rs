//! The console in a real browser: headless Chromium, driven through
//! chromedriver (WebDriver), against the real `usergraph` binary. Without
//! Chromium and chromedriver each test prints one line saying what to
//! install and passes; `scripts/test` says it once and leaves them out.
#![cfg(all(unix, feature = "redb"))]
// A panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

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

const BIN: &str = env!("CARGO_BIN_EXE_usergraph");
const ADMIN_PASSWORD: &str = "orange kettle whistles softly";
/// Users made besides `admin`: three pages of 20.
const USERS: usize = 45;
const WAIT: Duration = Duration::from_secs(20);

/// The two programs the tests need, when both are installed.
fn browser_programs() -> Option<(PathBuf, PathBuf)> {
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

fn skip_without_browser() -> Option<(PathBuf, PathBuf)> {
    let found = browser_programs();
    if found.is_none() {
        eprintln!(
            "skipped: the console's browser tests need Chromium and chromedriver \
             (Debian: apt-get install chromium chromium-driver)"
        );
    }
    found
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `usergraph` process on a fresh store, with the bootstrap admin's
/// token, a password for `admin` and `USERS` more users.
struct Server {
    child: Child,
    origin: String,
    admin_token: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
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
            .arg(format!("redb://{}", dir.path().join("db.redb").display()))
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
        };
        server.wait_healthy().await;
        server.populate().await;
        server
    }

    async fn wait_healthy(&self) {
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
    async fn data(&self, token: &str, query: &str, variables: Value) -> Value {
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

    async fn admin_id(&self) -> String {
        let me = self
            .data(&self.admin_token, "{ me { id } }", json!({}))
            .await;
        me["me"]["id"].as_str().unwrap().to_owned()
    }

    /// `admin` gets a password; `user_00` .. `user_44` are created in one
    /// request, each with a name and an email.
    async fn populate(&self) {
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
    async fn accepts(&self, token: &str) -> bool {
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
    }
}

/// chromedriver and the headless Chromium it starts, with a fresh profile.
struct Browser {
    client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn start((chromium, chromedriver): &(PathBuf, PathBuf)) -> Self {
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

    async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    /// Evaluates `expression` in the page.
    async fn eval(&self, expression: &str) -> Value {
        self.client
            .execute(&format!("return ({expression});"), vec![])
            .await
            .unwrap()
    }

    /// Waits until `expression` is true in the page.
    async fn until(&self, expression: &str) {
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

    async fn click(&self, css: &str) {
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

    async fn type_into(&self, css: &str, text: &str) {
        let field = self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap();
        field.send_keys(text).await.unwrap();
    }

    async fn text(&self, css: &str) -> String {
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
    async fn screenshot(&self, name: &str) {
        if let Some(dir) = std::env::var_os("USERGRAPH_SCREENSHOTS") {
            let png = self.client.screenshot().await.unwrap();
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(PathBuf::from(dir).join(format!("{name}.png")), png).unwrap();
        }
    }

    /// The usernames in the users table, top to bottom.
    async fn usernames(&self) -> Vec<String> {
        let names = self
            .eval("[...document.querySelectorAll('#users tbody tr td:first-child')].map(td => td.textContent)")
            .await;
        serde_json::from_value(names).unwrap()
    }

    /// POSTs the page has sent to the API so far (resource timing sees
    /// every fetch).
    async fn api_requests(&self) -> usize {
        let count = self
            .eval(
                "performance.getEntriesByType('resource')\
                 .filter(e => e.initiatorType === 'fetch' && new URL(e.name).pathname.endsWith('/graphql')).length",
            )
            .await;
        usize::try_from(count.as_u64().unwrap()).unwrap()
    }

    /// Entries of chromedriver's log of `kind` since the last call.
    async fn log(&self, kind: &'static str) -> Vec<Value> {
        let entries = self.client.issue_cmd(ReadLog(kind)).await.unwrap();
        serde_json::from_value(entries).unwrap()
    }

    /// Every URL the browser requested (from the DevTools network events).
    async fn requested_urls(&self) -> BTreeSet<String> {
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

    async fn sign_in(&self, server: &Server) {
        self.goto(&server.origin).await;
        self.type_into("#identifier", "admin").await;
        self.type_into("#password", ADMIN_PASSWORD).await;
        self.click("#sign-in button[type=submit]").await;
        self.until("document.querySelectorAll('#users tbody tr').length === 20")
            .await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// chromedriver's log endpoint, which WebDriver itself lacks.
#[derive(Debug)]
struct ReadLog(&'static str);

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_sign_in_search_sort_page_and_sign_out() {
    let Some(programs) = skip_without_browser() else {
        return;
    };
    let server = Server::start().await;
    let browser = Browser::start(&programs).await;

    // `/` leads to the sign-in form; a wrong password is refused in place.
    browser.goto(&server.origin).await;
    browser.type_into("#identifier", "admin").await;
    browser.type_into("#password", "not the password").await;
    browser.click("#sign-in button[type=submit]").await;
    assert_eq!(
        browser.text("#sign-in-error").await,
        "Wrong identifier or password."
    );
    browser.screenshot("console-sign-in").await;
    browser.sign_in(&server).await;
    assert!(
        browser
            .eval("location.pathname")
            .await
            .as_str()
            .unwrap()
            .ends_with("/console/users")
    );
    // The token is in this tab's sessionStorage, nowhere else.
    let token = browser
        .eval("JSON.parse(sessionStorage.getItem('usergraph.console.session')).token")
        .await;
    let token = token.as_str().unwrap().to_owned();
    assert!(server.accepts(&token).await);
    assert_eq!(browser.eval("document.cookie").await, json!(""));
    let local = browser.eval("Object.values(localStorage).join(' ')").await;
    assert!(!local.as_str().unwrap().contains(&token));

    // Newest first by default: the last user made comes first.
    assert_eq!(browser.usernames().await[0], "user_44");

    // Typing waits for a pause: one search for the word, not one per key
    // (two only if the machine stalled mid-word for longer than the pause).
    let before = browser.api_requests().await;
    browser.type_into("#user-search", "user_3").await;
    browser
        .until("document.querySelectorAll('#users tbody tr').length === 10")
        .await;
    let searches = browser.api_requests().await - before;
    assert!(
        (1..=2).contains(&searches),
        "{searches} requests for 6 keys"
    );
    assert!(
        browser
            .eval("location.search")
            .await
            .as_str()
            .unwrap()
            .contains("q=user_3")
    );

    // Sorting by username, then the other way.
    browser.click("button[data-sort=USERNAME]").await;
    browser
        .until("document.querySelector('#users tbody td').textContent === 'user_30'")
        .await;
    assert_eq!(
        browser
            .eval("document.querySelector('th[aria-sort]').getAttribute('aria-sort')")
            .await,
        json!("ascending")
    );
    browser.click("button[data-sort=USERNAME]").await;
    browser
        .until("document.querySelector('#users tbody td').textContent === 'user_39'")
        .await;

    // Clearing the search, paging forward and back by keyset cursors.
    browser
        .eval("(() => { const s = document.querySelector('#user-search'); s.value = ''; s.dispatchEvent(new Event('input', {bubbles: true})); return true; })()")
        .await;
    browser.click("button[data-sort=USERNAME]").await;
    browser
        .until("document.querySelector('#users tbody td').textContent === 'admin'")
        .await;
    assert!(
        !browser
            .eval("location.search")
            .await
            .as_str()
            .unwrap()
            .contains("q=")
    );
    let first_page = browser.usernames().await;
    assert_eq!(first_page.len(), 20);
    browser.click("#next-page").await;
    browser
        .until("document.querySelector('#users tbody td').textContent === 'user_19'")
        .await;
    assert!(
        browser
            .eval("location.search")
            .await
            .as_str()
            .unwrap()
            .contains("after=")
    );
    browser.click("#next-page").await;
    browser
        .until("document.querySelectorAll('#users tbody tr').length === 6")
        .await;
    assert_eq!(
        browser
            .eval("document.querySelector('#next-page').disabled")
            .await,
        json!(true)
    );
    browser.click("#previous-page").await;
    browser
        .until("document.querySelector('#users tbody td').textContent === 'user_19'")
        .await;
    // The view is in the URL: a reload shows the same page.
    browser.client.refresh().await.unwrap();
    browser
        .until("document.querySelectorAll('#users tbody tr').length === 20 && document.querySelector('#users tbody td').textContent === 'user_19'")
        .await;
    // A bigger page holds everyone; the total is shown on request.
    browser
        .client
        .find(Locator::Css("#page-size"))
        .await
        .unwrap()
        .select_by_label("50")
        .await
        .unwrap();
    browser
        .until("document.querySelectorAll('#users tbody tr').length === 46")
        .await;
    browser.click("#show-count").await;
    browser
        .until("document.querySelector('.summary').textContent.includes('46 of 46 users')")
        .await;
    browser.screenshot("console-users").await;
    let search = browser.eval("location.search").await;
    assert!(search.as_str().unwrap().contains("size=50"), "{search}");
    assert!(search.as_str().unwrap().contains("count=1"), "{search}");
    // Back and Forward go through the views.
    browser.client.back().await.unwrap();
    browser
        .until("!document.querySelector('#show-count').checked && document.querySelectorAll('#users tbody tr').length === 46")
        .await;
    browser.client.forward().await.unwrap();
    browser
        .until("document.querySelector('#show-count').checked && document.querySelector('.summary').textContent.includes('46 of 46 users')")
        .await;
    // Every field has a label; a skip link leads to the content.
    assert_eq!(
        browser
            .eval("[...document.querySelectorAll('input, select')].filter(e => e.labels.length === 0).map(e => e.outerHTML)")
            .await,
        json!([])
    );
    assert_eq!(
        browser
            .eval("document.querySelector('a.skip').getAttribute('href')")
            .await,
        json!("#main")
    );

    // Signing out ends the session on the server and forgets it here.
    browser.click("#sign-out").await;
    browser
        .until("document.querySelector('#sign-in') !== null")
        .await;
    assert_eq!(
        browser
            .eval("sessionStorage.getItem('usergraph.console.session')")
            .await,
        Value::Null
    );
    assert!(!server.accepts(&token).await, "signOut was not called");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_french_labels_are_chosen_and_remembered() {
    let Some(programs) = skip_without_browser() else {
        return;
    };
    let server = Server::start().await;
    let browser = Browser::start(&programs).await;
    browser.sign_in(&server).await;
    assert_eq!(browser.text("main h1").await, "Users");

    browser
        .client
        .find(Locator::Css("#language"))
        .await
        .unwrap()
        .select_by_value("fr")
        .await
        .unwrap();
    browser
        .until("document.querySelector('main h1').textContent === 'Utilisateurs'")
        .await;
    assert_eq!(
        browser.eval("document.documentElement.lang").await,
        json!("fr")
    );
    assert_eq!(browser.text("label[for=user-search]").await, "Rechercher");
    assert_eq!(browser.text("#sign-out").await, "Se déconnecter");
    assert_eq!(
        browser.text("button[data-sort=USERNAME]").await,
        "Identifiant"
    );
    browser.click("#show-count").await;
    // Numbers and plurals follow the language.
    browser
        .until("document.querySelector('.summary').textContent === '20 sur 46 utilisateurs'")
        .await;
    browser.screenshot("console-users-fr").await;

    // Remembered across a reload, in localStorage, which holds nothing else.
    browser.client.refresh().await.unwrap();
    browser
        .until("document.querySelector('main h1')?.textContent === 'Utilisateurs'")
        .await;
    assert_eq!(
        browser
            .eval("JSON.stringify(Object.keys(localStorage))")
            .await,
        json!("[\"usergraph.console.language\"]")
    );
    browser.click("#sign-out").await;
    browser
        .until("document.querySelector('#sign-in') !== null")
        .await;
    assert_eq!(browser.text("label[for=password]").await, "Mot de passe");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_a_user_without_admin_roles_sees_only_their_account() {
    let Some(programs) = skip_without_browser() else {
        return;
    };
    let server = Server::start().await;
    let users = server
        .data(
            &server.admin_token,
            r#"{ users(search: "user_07") { nodes { id } } }"#,
            json!({}),
        )
        .await;
    let id = users["users"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let created = server
        .data(
            &server.admin_token,
            "mutation($id: ID!) { createPersonalAccessToken(userId: $id, input: { name: \"browser\" }) { secret } }",
            json!({ "id": id }),
        )
        .await;
    let secret = created["createPersonalAccessToken"]["secret"]
        .as_str()
        .unwrap();

    let browser = Browser::start(&programs).await;
    browser.goto(&format!("{}/console/", server.origin)).await;
    browser.click(".token-sign-in summary").await;
    // A token the server refuses is not kept.
    browser.type_into("#token", "ugp_not_a_real_token").await;
    browser.click("#token-sign-in button[type=submit]").await;
    browser
        .until("document.querySelector('.notice')?.textContent === 'This token was refused: it is wrong, expired or revoked.'")
        .await;
    assert_eq!(
        browser
            .eval("sessionStorage.getItem('usergraph.console.session')")
            .await,
        Value::Null
    );
    browser.click(".token-sign-in summary").await;
    browser.type_into("#token", secret).await;
    browser.click("#token-sign-in button[type=submit]").await;
    browser
        .until("document.querySelector('main h1')?.textContent === 'My account'")
        .await;
    assert!(
        browser
            .eval("location.pathname")
            .await
            .as_str()
            .unwrap()
            .ends_with("/console/account")
    );
    assert!(browser.text("dl.facts").await.contains("user_07"));
    browser.screenshot("console-account").await;
    // No Users link, and the page itself says no.
    let nav = browser.text("header nav").await;
    assert!(!nav.contains("Users"), "{nav}");
    browser
        .goto(&format!("{}/console/users", server.origin))
        .await;
    browser
        .until("document.querySelector('main h1')?.textContent === 'Not allowed'")
        .await;
    assert_eq!(
        browser.eval("document.querySelector('#users')").await,
        Value::Null
    );
    // Signing out of a pasted token forgets it; the token itself stays valid.
    browser.click("#sign-out").await;
    browser
        .until("document.querySelector('#sign-in') !== null")
        .await;
    assert!(server.accepts(secret).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_a_session_ended_elsewhere_brings_back_the_sign_in_form() {
    let Some(programs) = skip_without_browser() else {
        return;
    };
    let server = Server::start().await;
    let browser = Browser::start(&programs).await;
    browser.sign_in(&server).await;
    let token = browser
        .eval("JSON.parse(sessionStorage.getItem('usergraph.console.session')).token")
        .await;
    // The session ends outside the console (here: its own signOut).
    server
        .data(token.as_str().unwrap(), "mutation { signOut }", json!({}))
        .await;
    browser.click("#next-page").await;
    browser
        .until("document.querySelector('.notice')?.textContent === 'Your session has ended. Sign in again.'")
        .await;
    assert_eq!(
        browser
            .eval("sessionStorage.getItem('usergraph.console.session')")
            .await,
        Value::Null
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_console_and_graphiql_request_nothing_from_another_origin() {
    let Some(programs) = skip_without_browser() else {
        return;
    };
    let server = Server::start().await;
    let browser = Browser::start(&programs).await;
    browser.sign_in(&server).await;
    // Enter searches at once, and the search the typing scheduled is not
    // sent after it.
    browser.type_into("#user-search", "person\u{E007}").await;
    browser
        .until("location.search.includes('q=person') && document.querySelector('#users').getAttribute('aria-busy') === 'false'")
        .await;
    let sent = browser.api_requests().await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(browser.api_requests().await, sent);

    // GraphiQL renders from the binary's files alone.
    browser.goto(&format!("{}/graphql", server.origin)).await;
    browser
        .until("document.querySelector('.graphiql-container') !== null")
        .await;
    browser.screenshot("graphiql").await;

    let requested = browser.requested_urls().await;
    assert!(
        requested
            .iter()
            .any(|url| url.ends_with("/graphiql/vendor/graphiql/graphiql.min.js")),
        "{requested:?}"
    );
    assert!(
        requested
            .iter()
            .any(|url| url.ends_with("/console/js/main.js")),
        "{requested:?}"
    );
    let elsewhere: Vec<&String> = requested
        .iter()
        .filter(|url| url.starts_with("http") || url.starts_with("ws"))
        .filter(|url| !url.starts_with(&format!("{}/", server.origin)))
        .collect();
    assert!(
        elsewhere.is_empty(),
        "requests to another origin: {elsewhere:?}"
    );
    // Nothing was refused by the Content-Security-Policy either.
    let refused: Vec<Value> = browser
        .log("browser")
        .await
        .into_iter()
        .filter(|entry| {
            let message = entry["message"].as_str().unwrap_or_default();
            message.contains("Content Security Policy") || message.contains("Refused to")
        })
        .collect();
    assert!(refused.is_empty(), "{refused:?}");
}
