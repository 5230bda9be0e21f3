//! The console's audit log page in a real browser: entries made through the
//! API appear, by name; filters by user, actor, result and time, all kept
//! in the URL; the raw entry; paging; the refusal without `logs:read`; and
//! its French labels.
#![cfg(all(unix, feature = "redb"))]
// A panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;

use browser::*;
use fantoccini::Locator;
use fantoccini::key::Key;
use serde_json::{Value, json};

/// The keys of the rows shown, top to bottom.
const ROW_KEYS: &str =
    "[...document.querySelectorAll('#audit-log tbody tr td.key')].map(td => td.textContent)";

async fn row_keys(browser: &Browser) -> Vec<String> {
    serde_json::from_value(browser.eval(ROW_KEYS).await).unwrap()
}

/// Waits until the rows' keys are exactly `keys`.
async fn until_rows(browser: &Browser, keys: &[&str]) {
    browser
        .until(&format!(
            "JSON.stringify({ROW_KEYS}) === {:?} && document.querySelector('#audit-log')?.getAttribute('aria-busy') === 'false'",
            serde_json::to_string(keys).unwrap()
        ))
        .await;
}

/// A user `username` (named `name`) holding `permissions` through a role of
/// its own, with a password; returns its id and an unscoped token.
async fn user_with(
    server: &Server,
    username: &str,
    name: &str,
    permissions: &[&str],
) -> (String, String) {
    let created = server
        .data(
            &server.admin_token,
            "mutation($u: String!, $n: String!, $p: String!) {
                createUser(input: { username: $u, name: $n, password: $p }) { id } }",
            json!({ "u": username, "n": name, "p": ADMIN_PASSWORD }),
        )
        .await;
    let id = created["createUser"]["id"].as_str().unwrap().to_owned();
    if !permissions.is_empty() {
        let role = server
            .data(
                &server.admin_token,
                "mutation($n: String!, $p: [String!]!) { createRole(input: { name: $n, permissions: $p }) { id } }",
                json!({ "n": format!("{username} role"), "p": permissions }),
            )
            .await;
        server
            .data(
                &server.admin_token,
                "mutation($u: ID!, $r: ID!) { assignUserRoles(userId: $u, roleIds: [$r]) { id } }",
                json!({ "u": id, "r": role["createRole"]["id"] }),
            )
            .await;
    }
    let token = server
        .data(
            &server.admin_token,
            "mutation($id: ID!) { createPersonalAccessToken(userId: $id, input: { name: \"audit\" }) { secret } }",
            json!({ "id": id }),
        )
        .await;
    let secret = token["createPersonalAccessToken"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    (id, secret)
}

/// The page's URL after the console's base, e.g. `logs?result=ERROR`.
async fn route(browser: &Browser) -> String {
    let value = browser
        .eval("location.pathname.replace(/^.*\\/console\\//, '') + location.search")
        .await;
    value.as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_audit_log_shows_filters_and_details_entries_made_through_the_api() {
    let Some(programs) = skip_without_browser() else {
        return;
    };
    let server = Server::start().await;
    let admin = server.admin_id().await;
    let (helper, helper_token) =
        user_with(&server, "helper", "Helper Person", &["users:write"]).await;
    let (auditee, _) = user_with(&server, "auditee", "Audited Person", &[]).await;
    // The helper renames the auditee; the admin checks a wrong password
    // (an ERROR entry) and deletes a user.
    server
        .data(
            &helper_token,
            "mutation($id: ID!) { updateUser(id: $id, input: { name: \"Audited Again\" }) { id } }",
            json!({ "id": auditee }),
        )
        .await;
    server
        .data(
            &server.admin_token,
            "mutation($id: ID!) { verifyUserPassword(id: $id, password: \"not the password\") }",
            json!({ "id": auditee }),
        )
        .await;
    let (gone, _) = user_with(&server, "gone", "Soon Gone", &[]).await;
    server
        .data(
            &server.admin_token,
            "mutation($id: ID!) { deleteUser(id: $id) }",
            json!({ "id": gone }),
        )
        .await;

    let browser = Browser::start(&programs).await;
    browser.sign_in(&server).await;
    browser.click("header nav a[href$='/logs']").await;
    browser
        .until("document.querySelector('main h1')?.textContent === 'Audit log'")
        .await;
    browser
        .until("document.querySelectorAll('#audit-log tbody tr').length === 50")
        .await;
    // Newest first: signing in to the console, then the last change made
    // through the API.
    let keys = row_keys(&browser).await;
    assert_eq!(keys[..2], ["User.SignIn", "User.Deleted"], "{keys:?}");
    // A deleted user keeps its id, marked as such; the actor is named and
    // linked to its user page.
    let first = "#audit-log tbody tr[data-key=\"User.Deleted\"]";
    assert_eq!(
        browser.text(&format!("{first} td.user")).await,
        format!("{gone} deleted user")
    );
    assert_eq!(browser.text(&format!("{first} td.actor")).await, "admin");
    let actor_link = browser
        .eval(&format!(
            "document.querySelector('{first} td.actor a').getAttribute('href')"
        ))
        .await;
    assert!(
        actor_link
            .as_str()
            .unwrap()
            .ends_with(&format!("/console/users/{admin}")),
        "{actor_link}"
    );
    browser.screenshot("audit-log").await;

    // Paging: 45 users and more make over one page of 50.
    browser.click("#older-page").await;
    browser
        .until("new URLSearchParams(location.search).has('after')")
        .await;
    browser
        .until("document.querySelector('#audit-log').getAttribute('aria-busy') === 'false'")
        .await;
    assert_ne!(row_keys(&browser).await[0], "User.SignIn");
    browser.click("#newer-page").await;
    browser
        .until("!new URLSearchParams(location.search).has('after')")
        .await;
    browser
        .until("document.querySelector('#audit-log tbody td.key')?.textContent === 'User.SignIn'")
        .await;
    browser.click("#older-page").await;
    browser
        .until("new URLSearchParams(location.search).has('after')")
        .await;
    browser.click("#newest-page").await;
    browser
        .until("!new URLSearchParams(location.search).has('after')")
        .await;
    browser
        .until("document.querySelector('#audit-log tbody td.key')?.textContent === 'User.SignIn'")
        .await;

    // By user, picked by searching and the keyboard alone.
    browser.type_into("#audit-user", "Audited").await;
    browser
        .until("document.querySelectorAll('#audit-user-options [role=option]').length === 1")
        .await;
    browser
        .client
        .find(Locator::Css("#audit-user"))
        .await
        .unwrap()
        .send_keys(&format!("{}{}", Key::Down, Key::Enter))
        .await
        .unwrap();
    until_rows(
        &browser,
        &[
            "User.Password.Verified",
            "User.Updated",
            "Token.Created",
            "User.Created",
        ],
    )
    .await;
    assert!(route(&browser).await.contains(&format!("user={auditee}")));
    assert_eq!(browser.text("#audit-user-chosen").await, "Audited Again");
    let users: Vec<String> = serde_json::from_value(
        browser
            .eval("[...document.querySelectorAll('#audit-log td.user')].map(td => td.textContent)")
            .await,
    )
    .unwrap();
    assert!(
        users.iter().all(|name| name == "Audited Again"),
        "{users:?}"
    );

    // And by result: only the failed password check.
    browser.select("#audit-result", "ERROR").await;
    until_rows(&browser, &["User.Password.Verified"]).await;
    assert_eq!(
        browser
            .text("#audit-log tbody tr:first-child td:nth-child(3)")
            .await,
        "Error"
    );
    assert!(route(&browser).await.contains("result=ERROR"));

    // A reload keeps every filter, in the controls too.
    browser.client.refresh().await.unwrap();
    until_rows(&browser, &["User.Password.Verified"]).await;
    assert_eq!(
        browser
            .eval("document.querySelector('#audit-result').value")
            .await,
        json!("ERROR")
    );
    browser
        .until(
            "document.querySelector('#audit-user-chosen')?.textContent.trim() === 'Audited Again'",
        )
        .await;

    // The raw entry, pretty-printed; Escape closes it.
    browser
        .click("#audit-log tbody tr:first-child button.detail")
        .await;
    browser
        .until("document.querySelector('#entry-detail').open")
        .await;
    let raw: Value = serde_json::from_str(&browser.text("#entry-json").await).unwrap();
    assert_eq!(raw["key"], "User.Password.Verified");
    assert_eq!(raw["result"], "ERROR");
    assert_eq!(raw["userId"], json!(auditee));
    assert_eq!(raw["actorId"], json!(admin));
    assert!(
        browser
            .eval("document.querySelector('#entry-json').textContent.includes('\\n  \"key\"')")
            .await
            == json!(true),
        "indented JSON"
    );
    browser
        .client
        .find(Locator::Css("#entry-close"))
        .await
        .unwrap()
        .send_keys(&Key::Escape.to_string())
        .await
        .unwrap();
    browser
        .until("!document.querySelector('#entry-detail').open")
        .await;

    // By actor, from a link (as the user page's "see in audit log" makes).
    browser
        .goto(&format!("{}/console/logs?actor={helper}", server.origin))
        .await;
    until_rows(&browser, &["User.Updated"]).await;
    assert_eq!(
        browser.text("#audit-log tbody tr td.actor").await,
        "Helper Person"
    );
    browser
        .until(
            "document.querySelector('#audit-actor-chosen')?.textContent.trim() === 'Helper Person'",
        )
        .await;
    // Clearing the actor shows everyone's again.
    browser.click("#audit-actor-clear").await;
    browser
        .until("document.querySelectorAll('#audit-log tbody tr').length === 50")
        .await;
    assert!(!route(&browser).await.contains("actor="));

    // A preset range: everything happened within the hour; a custom range
    // starting tomorrow holds nothing.
    browser.select("#audit-range", "hour").await;
    browser
        .until("new URLSearchParams(location.search).get('range') === 'hour'")
        .await;
    browser
        .until("document.querySelectorAll('#audit-log tbody tr').length === 50")
        .await;
    assert_eq!(
        row_keys(&browser).await[..2],
        ["User.SignIn", "User.Deleted"]
    );
    // Paging within a preset keeps the instant it counts from, so the
    // API accepts the cursor.
    browser.click("#older-page").await;
    browser
        .until("new URLSearchParams(location.search).has('asof') && new URLSearchParams(location.search).has('after')")
        .await;
    browser
        .until("document.querySelector('#audit-log').getAttribute('aria-busy') === 'false' && document.querySelectorAll('#audit-log tbody tr').length > 0")
        .await;
    assert_eq!(
        browser.eval("document.querySelector('#audit-error')").await,
        Value::Null
    );
    browser.select("#audit-range", "custom").await;
    let tomorrow = browser
        .eval("new Date(Date.now() + 86400000).toISOString().slice(0, 10) + 'T00:00'")
        .await;
    browser
        .eval(&format!(
            "(() => {{ const input = document.querySelector('#audit-from'); \
             input.value = {tomorrow}; input.dispatchEvent(new Event('change', {{ bubbles: true }})); return true; }})()"
        ))
        .await;
    until_rows(&browser, &[]).await;
    assert_eq!(browser.text(".summary").await, "No entry matches.");
    browser.client.refresh().await.unwrap();
    until_rows(&browser, &[]).await;
    assert_eq!(
        browser
            .eval("document.querySelector('#audit-from').value")
            .await,
        tomorrow
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_audit_log_is_not_offered_without_logs_read() {
    let Some(programs) = skip_without_browser() else {
        return;
    };
    let server = Server::start().await;
    // Holds logs:read through its role, but its token is scoped to
    // users:read: the console follows what the token may do.
    let (id, _) = user_with(
        &server,
        "scoped",
        "Scoped Person",
        &["users:read", "logs:read"],
    )
    .await;
    let scoped = server
        .data(
            &server.admin_token,
            "mutation($id: ID!) { createPersonalAccessToken(userId: $id, input: { name: \"narrow\", scopes: [\"users:read\"] }) { secret } }",
            json!({ "id": id }),
        )
        .await;
    let secret = scoped["createPersonalAccessToken"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();

    let browser = Browser::start(&programs).await;
    browser.goto(&format!("{}/console/", server.origin)).await;
    browser.click(".token-sign-in summary").await;
    browser.type_into("#token", &secret).await;
    browser.click("#token-sign-in button[type=submit]").await;
    browser
        .until("document.querySelectorAll('#users tbody tr').length === 20")
        .await;
    let nav = browser.text("header nav").await;
    assert!(nav.contains("Users"), "{nav}");
    assert!(!nav.contains("Audit log"), "{nav}");
    browser
        .goto(&format!("{}/console/logs", server.origin))
        .await;
    browser
        .until("document.querySelector('main h1')?.textContent === 'Not allowed'")
        .await;
    assert_eq!(
        browser.eval("document.querySelector('#audit-log')").await,
        Value::Null
    );
    // The API refuses it as well.
    let refused: Value = server
        .http
        .post(format!("{}/graphql", server.origin))
        .bearer_auth(&secret)
        .json(&json!({ "query": "{ logs { totalCount } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN");

    // Signed in with its password, the same user may read the log.
    browser.click("#sign-out").await;
    browser.type_into("#identifier", "scoped").await;
    browser.type_into("#password", ADMIN_PASSWORD).await;
    browser.click("#sign-in button[type=submit]").await;
    browser.click("header nav a[href$='/logs']").await;
    browser
        .until("document.querySelectorAll('#audit-log tbody tr').length > 0")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_audit_log_in_french() {
    let Some(programs) = skip_without_browser() else {
        return;
    };
    let server = Server::start().await;
    let browser = Browser::start(&programs).await;
    browser.sign_in(&server).await;
    browser.select("#language", "fr").await;
    browser
        .until("document.querySelector('main h1').textContent === 'Utilisateurs'")
        .await;
    assert_eq!(
        browser.text("header nav a[href$='/logs']").await,
        "Journal d’audit"
    );
    browser.click("header nav a[href$='/logs']").await;
    browser
        .until("document.querySelector('main h1')?.textContent === 'Journal d’audit'")
        .await;
    let total = server
        .data(&server.admin_token, "{ logs { totalCount } }", json!({}))
        .await["logs"]["totalCount"]
        .as_u64()
        .unwrap()
        .min(50);
    browser
        .until(&format!(
            "document.querySelectorAll('#audit-log tbody tr').length === {total}"
        ))
        .await;
    assert_eq!(browser.text("label[for=audit-key]").await, "Clé");
    assert_eq!(browser.text("label[for=audit-result]").await, "Résultat");
    assert_eq!(browser.text("label[for=audit-user]").await, "Utilisateur");
    assert_eq!(browser.text("label[for=audit-actor]").await, "Auteur");
    assert_eq!(browser.text("label[for=audit-range]").await, "Période");
    assert_eq!(
        browser
            .text("#audit-log thead")
            .await
            .split_whitespace()
            .collect::<Vec<_>>(),
        [
            "Date",
            "Clé",
            "Résultat",
            "Utilisateur",
            "Auteur",
            "Détails"
        ]
    );
    assert_eq!(
        browser
            .text("#audit-log tbody tr:first-child td:nth-child(3)")
            .await,
        "Succès"
    );
    assert_eq!(
        browser.text(".summary").await,
        format!("{total} entrées sur cette page")
    );
    assert_eq!(browser.text("#older-page").await, "Plus anciennes");
    browser.select("#audit-range", "custom").await;
    assert_eq!(browser.text("label[for=audit-from]").await, "Du");
    assert_eq!(
        browser.text("label[for=audit-to]").await,
        "Jusqu’au (exclu)"
    );
    browser
        .click("#audit-log tbody tr:first-child button.detail")
        .await;
    assert_eq!(browser.text("#entry-close").await, "Fermer");
    browser.click("#entry-close").await;
    browser
        .until("!document.querySelector('#entry-detail').open")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_audit_log_with_logs_read_alone_filters_by_id_and_key() {
    let Some(programs) = skip_without_browser() else {
        return;
    };
    let server = Server::start().await;
    let (target, _) = user_with(&server, "target", "Target Person", &[]).await;
    let (_, token) = user_with(&server, "auditor", "Auditor Person", &["logs:read"]).await;
    let browser = Browser::start(&programs).await;
    browser.goto(&format!("{}/console/", server.origin)).await;
    browser.click(".token-sign-in summary").await;
    browser.type_into("#token", &token).await;
    browser.click("#token-sign-in button[type=submit]").await;
    browser
        .until("document.querySelector('main h1')?.textContent === 'My account'")
        .await;
    browser.click("header nav a[href$='/logs']").await;
    browser
        .until("document.querySelectorAll('#audit-log tbody tr').length > 0")
        .await;
    // Nobody can be searched without users:read: the user filter takes an
    // id, and other users show as ids, not as deleted.
    assert_eq!(
        browser
            .eval("document.querySelector('#audit-user').getAttribute('role')")
            .await,
        Value::Null
    );
    browser
        .type_into("#audit-user", &format!("{target}{}", Key::Enter))
        .await;
    until_rows(&browser, &["Token.Created", "User.Created"]).await;
    assert_eq!(
        browser
            .text("#audit-log tbody tr:first-child td.user")
            .await,
        target
    );
    assert_eq!(
        browser
            .eval("document.querySelector('#audit-log .badge.deleted')")
            .await,
        Value::Null
    );
    browser
        .type_into("#audit-key", &format!("User.Created{}", Key::Enter))
        .await;
    until_rows(&browser, &["User.Created"]).await;
    let route = route(&browser).await;
    assert!(route.contains("key=User.Created"), "{route}");
    assert!(route.contains(&format!("user={target}")), "{route}");

    // A malformed id in a link: the API's refusal, above an empty table.
    browser
        .goto(&format!(
            "{}/console/logs?actor=not%20an%20id",
            server.origin
        ))
        .await;
    browser
        .until("document.querySelector('#audit-error')?.getAttribute('role') === 'alert'")
        .await;
    let error = browser.text("#audit-error").await;
    assert!(
        error.starts_with("This view cannot be shown: filter.actorId must be"),
        "{error}"
    );
    assert_eq!(row_keys(&browser).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_audit_log_live_adds_entries_as_they_are_committed_with_none_missed() {
    let Some(programs) = skip_without_browser() else {
        return;
    };
    let server = Server::start().await;
    let browser = Browser::start(&programs).await;
    browser.sign_in(&server).await;
    browser.click("header nav a[href$='/logs']").await;
    browser
        .until("document.querySelector('#audit-log')?.getAttribute('aria-busy') === 'false' && document.querySelectorAll('#audit-log tbody tr').length > 0")
        .await;
    let shown = row_keys(&browser).await;

    // Committed after the page loaded, before Live is on: still shown.
    let created = server
        .data(
            &server.admin_token,
            "mutation { createUser(input: { username: \"livewire\" }) { id } }",
            json!({}),
        )
        .await;
    let id = created["createUser"]["id"].as_str().unwrap().to_owned();
    browser.click("#audit-live").await;
    server
        .data(
            &server.admin_token,
            "mutation($id: ID!) { updateUser(id: $id, input: { name: \"Live Wire\" }) { id } }",
            json!({ "id": id }),
        )
        .await;
    let mut expected = vec!["User.Updated", "User.Created"];
    expected.extend(shown.iter().map(String::as_str));
    until_rows(&browser, &expected).await;
    assert_eq!(
        browser
            .text("#audit-log tbody tr[data-key=\"User.Updated\"] td.user")
            .await,
        "Live Wire"
    );

    // Live belongs to the newest page only.
    browser
        .until("document.querySelector('#audit-live').checked === true")
        .await;
    browser.click("#audit-live").await;
    browser
        .until("document.querySelector('#audit-live').checked === false")
        .await;
    server
        .data(
            &server.admin_token,
            "mutation($id: ID!) { deleteUser(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        row_keys(&browser).await[0],
        "User.Updated",
        "no update after Live is off"
    );
}
