//! The console's user page (`/console/users/<id>`) and its self-service
//! twin (`/console/account`), in headless Chromium against the real
//! binary: every change is checked where a person would see it (the page,
//! after a reload) and in the API.
#![cfg(all(unix, feature = "redb"))]
// A panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;

use browser::*;
use serde_json::{Value, json};

async fn user(server: &Server, id: &str, fields: &str) -> Value {
    let query = format!("query($id: ID!) {{ user(id: $id) {{ {fields} }} }}");
    server
        .data(&server.admin_token, &query, json!({ "id": id }))
        .await["user"]
        .clone()
}

/// Whether signing in with these credentials works.
async fn signs_in(server: &Server, identifier: &str, password: &str) -> bool {
    let body = server
        .respond(
            None,
            "mutation($i: String!, $p: String!) { signIn(identifier: $i, password: $p) { token } }",
            json!({ "i": identifier, "p": password }),
        )
        .await;
    body["data"]["signIn"]["token"].is_string()
}

async fn value(browser: &Browser, css: &str) -> Value {
    browser
        .eval(&format!("document.querySelector({css:?})?.value ?? null"))
        .await
}

async fn exists(browser: &Browser, css: &str) -> bool {
    browser
        .eval(&format!("document.querySelector({css:?}) !== null"))
        .await
        .as_bool()
        .unwrap()
}

async fn disabled(browser: &Browser, css: &str) -> bool {
    browser
        .eval(&format!("document.querySelector({css:?}).disabled"))
        .await
        .as_bool()
        .unwrap()
}

/// Opens the user page of `id` and waits for its form.
async fn open_user(browser: &Browser, server: &Server, id: &str) {
    browser
        .goto(&format!("{}/console/users/{id}", server.origin))
        .await;
    browser
        .until("document.querySelector('#profile-form') !== null")
        .await;
}

/// The log keys the page lists, newest first.
async fn logged_keys(browser: &Browser) -> Vec<String> {
    serde_json::from_value(
        browser
            .eval("[...document.querySelectorAll('#user-logs tbody tr')].map(tr => tr.dataset.key)")
            .await,
    )
    .unwrap()
}

async fn wait_logged(browser: &Browser, key: &str) {
    browser
        .until(&format!(
            "document.querySelector('#user-logs tbody tr[data-key={key:?}]') !== null"
        ))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_user_profile_and_custom_data_are_saved_discarded_and_guarded() {
    let Some(programs) = skip_without_browser() else {
        return;
    };
    let server = Server::start().await;
    let browser = Browser::start(&programs).await;
    let id = server.user_id("user_05").await;
    browser.sign_in(&server).await;
    open_user(&browser, &server, &id).await;
    // `me`, then the page with its tokens and activity in one request.
    browser
        .until("document.querySelector('#user-logs') !== null && document.querySelector('#no-tokens') !== null")
        .await;
    assert_eq!(browser.api_requests().await, 2);
    assert_eq!(browser.text("h1.user-name").await, "Person 05");
    assert_eq!(browser.text("#user-id").await, id);
    // Copy puts the id on the clipboard or, where the page may not write
    // it, selects it for the person to copy.
    browser.click(".user-id button.copy").await;
    browser
        .until(&format!(
            "document.querySelector('.user-id button.copy').textContent.trim() === 'Copied' || window.getSelection().toString() === {id:?}"
        ))
        .await;
    assert!(!exists(&browser, "#suspended-badge").await);
    assert_eq!(value(&browser, "#field-name").await, json!("Person 05"));
    // Nothing to save until something changes.
    assert!(disabled(&browser, "#profile-save").await);

    // Discard puts back what is saved.
    browser.type_into("#field-name", " Smith").await;
    assert!(!disabled(&browser, "#profile-save").await);
    browser.click("#profile-discard").await;
    assert_eq!(value(&browser, "#field-name").await, json!("Person 05"));
    assert!(disabled(&browser, "#profile-save").await);

    // A name, an OIDC claim and an address part, saved together.
    browser.type_into("#field-name", " Smith").await;
    browser.click("#profile-form details summary").await;
    browser.type_into("#field-profile-givenName", "Ada").await;
    browser
        .type_into("#field-profile-address-locality", "London")
        .await;
    browser.click("#profile-save").await;
    browser
        .until("document.querySelector('#profile-saved') !== null")
        .await;
    assert!(disabled(&browser, "#profile-save").await);
    browser.client.refresh().await.unwrap();
    browser
        .until("document.querySelector('#field-name')?.value === 'Person 05 Smith'")
        .await;
    assert_eq!(browser.text("h1.user-name").await, "Person 05 Smith");
    assert_eq!(
        value(&browser, "#field-profile-givenName").await,
        json!("Ada")
    );
    assert_eq!(
        value(&browser, "#field-profile-address-locality").await,
        json!("London")
    );
    let stored = user(
        &server,
        &id,
        "name profile { givenName address { locality } }",
    )
    .await;
    assert_eq!(
        stored,
        json!({ "name": "Person 05 Smith", "profile": { "givenName": "Ada", "address": { "locality": "London" } } })
    );

    // The API's refusal shows at the field it names.
    browser
        .set_value("#field-primaryEmail", "user06@example.com")
        .await;
    browser.click("#profile-save").await;
    assert_eq!(
        browser.text("#field-primaryEmail-error").await,
        "This email address is taken."
    );
    assert_eq!(
        browser
            .eval("document.querySelector('#field-primaryEmail').getAttribute('aria-describedby')")
            .await,
        json!("field-primaryEmail-error")
    );
    browser.click("#profile-discard").await;
    assert_eq!(
        value(&browser, "#field-primaryEmail").await,
        json!("user05@example.com")
    );

    // Leaving with unsaved changes asks, within the console (Forward and
    // Back, links) and when the browser would unload the page; staying
    // keeps them.
    browser
        .click("header nav a[href$='/console/account']")
        .await;
    browser
        .until("document.querySelector('main h1')?.textContent === 'My account'")
        .await;
    browser.client.back().await.unwrap();
    browser
        .until("document.querySelector('#field-name')?.value === 'Person 05 Smith'")
        .await;
    browser.type_into("#field-name", " Jr").await;
    browser.client.forward().await.unwrap();
    assert_eq!(
        browser.text("dialog[open] h2").await,
        "Leave without saving?"
    );
    browser.click("dialog.confirm[open] button.secondary").await;
    browser
        .until("document.querySelector('dialog.confirm[open]') === null")
        .await;
    assert_eq!(
        value(&browser, "#field-name").await,
        json!("Person 05 Smith Jr")
    );
    let unload = "(() => { const e = new Event('beforeunload', { cancelable: true }); \
                  window.dispatchEvent(e); return e.defaultPrevented; })()";
    assert_eq!(browser.eval(unload).await, json!(true));
    browser.click("header nav a[href$='/console/users']").await;
    assert_eq!(
        browser.text("dialog[open] h2").await,
        "Leave without saving?"
    );
    browser.click("dialog.confirm[open] button.secondary").await;
    browser
        .until("document.querySelector('dialog.confirm[open]') === null")
        .await;
    assert!(
        browser
            .eval("location.pathname")
            .await
            .as_str()
            .unwrap()
            .ends_with(&format!("/console/users/{id}"))
    );
    assert_eq!(
        value(&browser, "#field-name").await,
        json!("Person 05 Smith Jr")
    );
    // Signing out asks as well.
    browser.click("#sign-out").await;
    assert_eq!(
        browser.text("dialog[open] h2").await,
        "Leave without saving?"
    );
    browser.click("dialog.confirm[open] button.secondary").await;
    browser
        .until("document.querySelector('dialog.confirm[open]') === null")
        .await;
    assert!(
        browser
            .eval("sessionStorage.getItem('usergraph.console.session')")
            .await
            .is_string()
    );
    browser.click("header nav a[href$='/console/users']").await;
    browser
        .click("dialog[open] .actions button:last-child")
        .await;
    browser
        .until("document.querySelectorAll('#users tbody tr').length === 20")
        .await;
    assert_eq!(user(&server, &id, "name").await["name"], "Person 05 Smith");
    // Nothing unsaved any more: the page no longer holds the browser.
    assert_eq!(browser.eval(unload).await, json!(false));

    // Custom data: invalid JSON and non-objects are refused before sending.
    open_user(&browser, &server, &id).await;
    assert_eq!(value(&browser, "#custom-data").await, json!("{}"));
    let sent = browser.api_requests().await;
    browser
        .set_value("#custom-data", "{\"plan\": \"pro\",\n}")
        .await;
    browser.click("#custom-data-save").await;
    let refused = browser.text("#custom-data-error").await;
    assert!(
        refused.starts_with("This is not valid JSON (line 2, column 1)"),
        "{refused}"
    );
    browser.set_value("#custom-data", "[1, 2]").await;
    browser.click("#custom-data-save").await;
    browser
        .until("document.querySelector('#custom-data-error')?.textContent.startsWith('Custom data must be a JSON object')")
        .await;
    assert_eq!(browser.api_requests().await, sent, "a request was sent");
    assert_eq!(
        browser
            .eval("document.querySelector('#custom-data').getAttribute('aria-invalid')")
            .await,
        json!("true")
    );
    browser
        .set_value("#custom-data", "{\"plan\": \"pro\", \"seats\": 3}")
        .await;
    browser.click("#custom-data-save").await;
    browser
        .until("document.querySelector('#custom-data-saved') !== null")
        .await;
    assert_eq!(
        user(&server, &id, "customData").await["customData"],
        json!({ "plan": "pro", "seats": 3 })
    );
    browser.client.refresh().await.unwrap();
    browser
        .until("document.querySelector('#custom-data')?.value.includes('\"seats\": 3')")
        .await;
    // Every change is in the user's activity, newest first.
    wait_logged(&browser, "User.CustomData.Updated").await;
    let keys = logged_keys(&browser).await;
    assert_eq!(keys[0], "User.CustomData.Updated", "{keys:?}");
    for key in ["User.Profile.Updated", "User.Updated"] {
        assert!(keys.contains(&key.to_owned()), "{key} not in {keys:?}");
    }
    // Every field is labelled.
    assert_eq!(
        browser
            .eval("[...document.querySelectorAll('main input, main select, main textarea')].filter(e => e.labels.length === 0).map(e => e.outerHTML)")
            .await,
        json!([])
    );
    browser.eval("window.scrollTo(0, 0) ?? true").await;
    browser.screenshot("user-page").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_user_identity_password_roles_suspend_and_delete() {
    let Some(programs) = skip_without_browser() else {
        return;
    };
    let server = Server::start().await;
    let id = server.user_id("user_10").await;
    let admin = server.admin_token.clone();
    server
        .data(
            &admin,
            "mutation($id: ID!) { linkUserIdentity(id: $id, provider: \"github\", identity: { userId: \"gh-10\" }) { id } }",
            json!({ "id": id }),
        )
        .await;
    server
        .data(
            &admin,
            "mutation { createRole(input: { name: \"support\", description: \"Answers questions\", permissions: [\"users:read\"] }) { id } }",
            json!({}),
        )
        .await;
    let browser = Browser::start(&programs).await;
    browser.sign_in(&server).await;
    open_user(&browser, &server, &id).await;

    // Unlink, after a confirmation.
    assert_eq!(
        browser
            .text("#identities tr[data-provider=github] td:nth-child(2)")
            .await,
        "gh-10"
    );
    browser.click("#identities button.unlink").await;
    assert_eq!(
        browser.text("dialog[open] h2").await,
        "Unlink this identity?"
    );
    browser
        .click("dialog[open] .actions button:last-child")
        .await;
    browser
        .until("document.querySelector('#no-identities') !== null")
        .await;
    assert_eq!(
        user(&server, &id, "identities { provider }").await["identities"],
        json!([])
    );

    // A typed password breaking the policy is refused at its field.
    assert_eq!(
        browser.text("#password-status").await,
        "No password is set."
    );
    browser.click("#password-type").await;
    browser.type_into("#new-password", "short").await;
    browser.click("#password-reset-submit").await;
    let refused = browser.text("#new-password-error").await;
    assert!(refused.contains("8 to 256 characters"), "{refused}");
    // A generated one is shown once, and signs in.
    browser.click("#password-generate").await;
    browser.click("#password-reset-submit").await;
    let generated = browser.text("#generated-password").await;
    assert_eq!(generated.chars().count(), 20, "{generated}");
    assert!(signs_in(&server, "user_10", &generated).await);
    browser
        .until("document.querySelector('#password-status').textContent === 'A password is set.'")
        .await;
    browser.click(".secret-once button.done").await;
    assert!(!exists(&browser, "#generated-password").await);

    // Assign a role found by searching, then remove it.
    assert_eq!(browser.text("#no-roles").await, "No role.");
    browser.type_into("#role-search", "answers").await;
    browser
        .until("document.querySelectorAll('#role-results button').length === 1")
        .await;
    browser
        .click("#role-results button.assign-role[data-role=support]")
        .await;
    browser
        .until("document.querySelector('#user-roles li[data-role=support]') !== null")
        .await;
    assert_eq!(
        user(&server, &id, "roles { name }").await["roles"],
        json!([{ "name": "support" }])
    );
    browser
        .click("#user-roles li[data-role=support] button.remove-role")
        .await;
    browser
        .until("document.querySelector('#no-roles') !== null")
        .await;
    assert_eq!(
        user(&server, &id, "roles { name }").await["roles"],
        json!([])
    );

    // Suspend, after a confirmation.
    browser.click("#suspend").await;
    assert_eq!(
        browser.text("dialog[open] h2 + p").await,
        "Person 10 will not be able to sign in, and their tokens stop working until reactivated."
    );
    browser
        .click("dialog[open] .actions button:last-child")
        .await;
    browser
        .until("document.querySelector('#suspended-badge') !== null")
        .await;
    assert_eq!(
        user(&server, &id, "isSuspended").await["isSuspended"],
        json!(true)
    );
    assert!(!signs_in(&server, "user_10", &generated).await);
    wait_logged(&browser, "User.Suspended").await;
    let keys = logged_keys(&browser).await;
    for key in [
        "User.Suspended",
        "User.Roles.Removed",
        "User.Roles.Assigned",
        "User.Password.Set",
        "User.Identity.Unlinked",
    ] {
        assert!(keys.contains(&key.to_owned()), "{key} not in {keys:?}");
    }

    // Escape cancels a deletion, which deletes nothing; confirming it leads
    // to the list.
    browser.click("#delete-user").await;
    browser
        .type_into("dialog[open] .actions button:last-child", "\u{E00C}")
        .await;
    browser
        .until("document.querySelector('dialog.confirm[open]') === null")
        .await;
    assert!(user(&server, &id, "id").await.is_object());
    browser.click("#delete-user").await;
    assert_eq!(browser.text("dialog[open] h2").await, "Delete this user?");
    browser
        .click("dialog[open] .actions button:last-child")
        .await;
    browser
        .until("location.pathname.endsWith('/console/users') && document.querySelectorAll('#users tbody tr').length === 20")
        .await;
    assert_eq!(user(&server, &id, "id").await, Value::Null);
    // Its page now says so.
    browser
        .goto(&format!("{}/console/users/{id}", server.origin))
        .await;
    browser
        .until("document.querySelector('main h1')?.textContent === 'No such user'")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_token_secret_is_shown_once_then_renamed_and_revoked() {
    let Some(programs) = skip_without_browser() else {
        return;
    };
    let server = Server::start().await;
    let id = server.user_id("user_12").await;
    let admin = server.admin_token.clone();
    let readers = server
        .data(
            &admin,
            "mutation { createRole(input: { name: \"readers\", permissions: [\"users:read\", \"logs:read\"] }) { id } }",
            json!({}),
        )
        .await;
    server
        .data(
            &admin,
            "mutation($u: ID!, $r: ID!) { assignUserRoles(userId: $u, roleIds: [$r]) { id } }",
            json!({ "u": id, "r": readers["createRole"]["id"] }),
        )
        .await;
    let browser = Browser::start(&programs).await;
    browser.sign_in(&server).await;
    open_user(&browser, &server, &id).await;

    // An avatar on another site is not loaded: initials stand for it. One
    // on the server's own origin is shown.
    browser
        .set_value("#field-avatar", "https://images.example.com/p12.png")
        .await;
    browser.click("#profile-save").await;
    browser
        .until("document.querySelector('#profile-saved') !== null")
        .await;
    assert_eq!(browser.text(".user-header .avatar.initials").await, "P1");
    assert!(!exists(&browser, "img.avatar").await);
    let own = format!("{}/console/p12.png", server.origin);
    browser.set_value("#field-avatar", &own).await;
    browser.click("#profile-save").await;
    browser
        .until("document.querySelector('img.avatar') !== null")
        .await;
    assert_eq!(
        browser
            .eval("document.querySelector('img.avatar').src")
            .await,
        json!(own)
    );
    let elsewhere: Vec<String> = browser
        .requested_urls()
        .await
        .into_iter()
        .filter(|url| url.starts_with("http") && !url.starts_with(&format!("{}/", server.origin)))
        .collect();
    assert!(elsewhere.is_empty(), "{elsewhere:?}");

    assert_eq!(browser.text("#no-tokens").await, "No token yet.");
    browser.type_into("#token-name", "deploy").await;
    browser
        .client
        .find(fantoccini::Locator::Css("#token-expiry"))
        .await
        .unwrap()
        .select_by_value("30")
        .await
        .unwrap();
    // Scopes offered: what user_12 holds (and the admin too).
    browser.click("#token-limit").await;
    assert_eq!(
        browser
            .eval("[...document.querySelectorAll('#token-create input[name=scope]')].map(e => e.value)")
            .await,
        json!(["users:read", "logs:read"])
    );
    browser
        .click("#token-create input[name=scope][value='users:read']")
        .await;
    browser.click("#token-create-submit").await;
    let secret = browser.text("#token-secret").await;
    assert!(secret.starts_with("ugp_"), "{secret}");
    browser
        .until("document.querySelector('#tokens tr[data-token=deploy]') !== null")
        .await;
    assert_eq!(
        browser
            .text("#tokens tr[data-token=deploy] td:nth-child(6)")
            .await,
        "users:read"
    );
    // It acts as its owner, within its scope.
    let me = server
        .respond(Some(&secret), "{ me { username } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["username"], "user_12");
    let logs = server
        .respond(Some(&secret), "{ logs { totalCount } }", json!({}))
        .await;
    assert_eq!(
        logs["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{logs}"
    );
    let expires = user(&server, &id, "personalAccessTokens { expiresAt scopes }").await;
    let expires_at = expires["personalAccessTokens"][0]["expiresAt"]
        .as_str()
        .unwrap()
        .to_owned();
    let in_days = (chrono::DateTime::parse_from_rfc3339(&expires_at).unwrap()
        - chrono::Utc::now().fixed_offset())
    .num_hours();
    assert!((29 * 24..=30 * 24).contains(&in_days), "{expires_at}");
    assert_eq!(
        expires["personalAccessTokens"][0]["scopes"],
        json!(["users:read"])
    );

    // Gone after a reload: the API never returns it again.
    browser.client.refresh().await.unwrap();
    browser
        .until("document.querySelector('#tokens tr[data-token=deploy]') !== null")
        .await;
    assert!(!exists(&browser, "#token-secret").await);
    let page = browser.eval("document.body.innerHTML").await;
    assert!(!page.as_str().unwrap().contains(&secret));

    // A second token of the same name is refused at its field.
    browser.type_into("#token-name", "deploy").await;
    browser.click("#token-create-submit").await;
    assert_eq!(
        browser.text("#token-name-error").await,
        "This user already has a token with this name."
    );

    // Rename, then revoke after a confirmation.
    browser
        .click("#tokens tr[data-token=deploy] button.rename")
        .await;
    browser.set_value("#token-new-name", "ci").await;
    browser.click("#token-rename button[type=submit]").await;
    browser
        .until("document.querySelector('#tokens tr[data-token=ci]') !== null")
        .await;
    browser
        .click("#tokens tr[data-token=ci] button.revoke")
        .await;
    assert_eq!(
        browser.text("dialog[open] h2 + p").await,
        "Anything using “ci” stops working at once. This cannot be undone."
    );
    browser
        .click("dialog[open] .actions button:last-child")
        .await;
    browser
        .until("document.querySelector('#tokens tr[data-token=ci].revoked') !== null")
        .await;
    assert!(!exists(&browser, "#tokens tr[data-token=ci] button.revoke").await);
    wait_logged(&browser, "Token.Revoked").await;
    let keys = logged_keys(&browser).await;
    assert_eq!(
        &keys[..3],
        ["Token.Revoked", "Token.Renamed", "Token.Created"],
        "{keys:?}"
    );
    assert!(!server.accepts(&secret).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_self_service_account_without_admin_controls() {
    let Some(programs) = skip_without_browser() else {
        return;
    };
    let server = Server::start().await;
    let admin = server.admin_token.clone();
    let created = server
        .data(
            &admin,
            "mutation { createUser(input: { username: \"selma\", name: \"Selma\", primaryEmail: \"selma@example.com\", password: \"selma's first password\" }) { id } }",
            json!({}),
        )
        .await;
    let id = created["createUser"]["id"].as_str().unwrap().to_owned();
    let other = server.user_id("user_03").await;
    // Something about another user, which Selma must not see.
    server
        .data(
            &admin,
            "mutation($id: ID!) { updateUser(id: $id, input: { name: \"Someone Else\" }) { id } }",
            json!({ "id": other }),
        )
        .await;

    let browser = Browser::start(&programs).await;
    browser.goto(&server.origin).await;
    browser.type_into("#identifier", "selma").await;
    browser
        .type_into("#password", "selma's first password")
        .await;
    browser.click("#sign-in button[type=submit]").await;
    browser
        .until("document.querySelector('main h1')?.textContent === 'My account' && document.querySelector('#profile-form') !== null")
        .await;
    assert_eq!(browser.text("p.user-name").await, "Selma");

    // No admin control: identifiers and custom data are read-only, and
    // there is no suspend, delete, role, unlink or reset.
    for css in [
        "#suspend",
        "#delete-user",
        "#role-search",
        ".remove-role",
        "#password-reset",
        "#custom-data-save",
    ] {
        assert!(!exists(&browser, css).await, "{css} is shown");
    }
    for css in ["#field-username", "#field-primaryEmail", "#custom-data"] {
        assert_eq!(
            browser
                .eval(&format!("document.querySelector({css:?}).readOnly"))
                .await,
            json!(true),
            "{css}"
        );
    }
    assert_eq!(
        browser.text("#identifiers-help").await,
        "Only an administrator can change how you sign in."
    );
    // The API refuses them all the same.
    for mutation in [
        format!("mutation {{ setUserSuspended(id: \"{id}\", suspended: true) {{ id }} }}"),
        format!(
            "mutation {{ updateUser(id: \"{id}\", input: {{ primaryEmail: \"s@example.com\" }}) {{ id }} }}"
        ),
        format!(
            "mutation {{ updateUserCustomData(id: \"{id}\", customData: {{ plan: \"pro\" }}) {{ id }} }}"
        ),
    ] {
        let token = browser
            .eval("JSON.parse(sessionStorage.getItem('usergraph.console.session')).token")
            .await;
        let body = server.respond(token.as_str(), &mutation, json!({})).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{body}"
        );
    }
    // Another user's page is not for her.
    browser
        .goto(&format!("{}/console/users/{other}", server.origin))
        .await;
    browser
        .until("document.querySelector('main h1')?.textContent === 'Not allowed'")
        .await;
    browser
        .click("header nav a[href$='/console/account']")
        .await;
    browser
        .until("document.querySelector('#profile-form') !== null")
        .await;

    // Her own name and profile she may change.
    browser.set_value("#field-name", "Selma Lagerlöf").await;
    browser.click("#profile-form details summary").await;
    browser.type_into("#field-profile-locale", "sv-SE").await;
    browser.click("#profile-save").await;
    browser
        .until("document.querySelector('#profile-saved') !== null")
        .await;
    browser.client.refresh().await.unwrap();
    browser
        .until("document.querySelector('#field-name')?.value === 'Selma Lagerlöf'")
        .await;
    assert_eq!(browser.text("header .who").await, "Selma Lagerlöf");
    assert_eq!(
        value(&browser, "#field-profile-locale").await,
        json!("sv-SE")
    );

    // Her password, knowing the current one.
    browser
        .type_into("#current-password", "not my password")
        .await;
    browser
        .type_into("#new-password", "selma's second password")
        .await;
    browser.click("#password-change-submit").await;
    assert_eq!(
        browser.text("#current-password-error").await,
        "Invalid input: the current password is not correct"
    );
    browser
        .set_value("#current-password", "selma's first password")
        .await;
    browser.click("#password-change-submit").await;
    assert_eq!(
        browser.text("#password-done").await,
        "Your password was changed."
    );
    assert!(signs_in(&server, "selma", "selma's second password").await);
    assert!(!signs_in(&server, "selma", "selma's first password").await);

    // Her own token, shown once; she holds no permission to narrow it to.
    browser.type_into("#token-name", "laptop").await;
    browser
        .client
        .find(fantoccini::Locator::Css("#token-expiry"))
        .await
        .unwrap()
        .select_by_value("never")
        .await
        .unwrap();
    browser.click("#token-limit").await;
    assert!(
        browser
            .text("#token-create .help")
            .await
            .starts_with("There is no permission to choose")
    );
    browser.click("#token-limit").await;
    browser.click("#token-create-submit").await;
    let secret = browser.text("#token-secret").await;
    let me = server
        .respond(Some(&secret), "{ me { username } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["username"], "selma");

    // Her activity, and hers only: what the admin sees filtered on her.
    wait_logged(&browser, "Token.Created").await;
    let shown = logged_keys(&browser).await;
    let hers = server
        .data(
            &admin,
            "query($id: ID!) { logs(filter: { userId: $id }, first: 100) { nodes { key } } }",
            json!({ "id": id }),
        )
        .await;
    let hers: Vec<String> = hers["logs"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["key"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(shown, hers);
    assert!(
        shown.contains(&"User.Password.Changed".to_owned()),
        "{shown:?}"
    );
    browser.eval("window.scrollTo(0, 0) ?? true").await;
    browser.screenshot("account").await;

    // Given `users:read` alone, she may open another user's page, and read
    // it only: no field to edit, no action, no tokens or activity.
    let role = server
        .data(
            &admin,
            "mutation { createRole(input: { name: \"readers\", permissions: [\"users:read\"] }) { id } }",
            json!({}),
        )
        .await;
    server
        .data(
            &admin,
            "mutation($u: ID!, $r: ID!) { assignUserRoles(userId: $u, roleIds: [$r]) { id } }",
            json!({ "u": id, "r": role["createRole"]["id"] }),
        )
        .await;
    open_user(&browser, &server, &other).await;
    assert_eq!(browser.text("h1.user-name").await, "Someone Else");
    assert_eq!(
        browser
            .eval("[...document.querySelectorAll('#profile-form input, #custom-data')].filter(e => !e.readOnly).map(e => e.id)")
            .await,
        json!([])
    );
    for css in [
        "#profile-save",
        "#custom-data-save",
        "#suspend",
        "#delete-user",
        "#password-reset",
        "#password-change",
        "#role-search",
        "#tokens-title",
        "#logs-title",
    ] {
        assert!(!exists(&browser, css).await, "{css} is shown");
    }
    let token = browser
        .eval("JSON.parse(sessionStorage.getItem('usergraph.console.session')).token")
        .await;
    let body = server
        .respond(
            token.as_str(),
            "mutation($id: ID!) { updateUser(id: $id, input: { name: \"Mine now\" }) { id } }",
            json!({ "id": other }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_user_page_shows_changes_made_elsewhere_at_once() {
    let Some(programs) = skip_without_browser() else {
        return;
    };
    let server = Server::start().await;
    let browser = Browser::start(&programs).await;
    let id = server.user_id("user_06").await;
    browser.sign_in(&server).await;
    open_user(&browser, &server, &id).await;
    assert_eq!(browser.text("h1.user-name").await, "Person 06");

    // Another admin (here the API) renames and suspends the user: the page
    // shows it without a reload.
    let change = |query: &'static str| {
        let server = &server;
        let id = id.clone();
        async move {
            server
                .data(&server.admin_token, query, json!({ "id": id }))
                .await;
        }
    };
    change(
        "mutation($id: ID!) { updateUser(id: $id, input: { name: \"Renamed Elsewhere\" }) { id } }",
    )
    .await;
    browser
        .until("document.querySelector('h1.user-name')?.textContent === 'Renamed Elsewhere'")
        .await;
    change("mutation($id: ID!) { setUserSuspended(id: $id, suspended: true) { id } }").await;
    browser
        .until("document.querySelector('#suspended-badge') !== null")
        .await;

    // With unsaved edits, the page keeps them and says what happened.
    browser.type_into("#field-name", " Draft").await;
    change("mutation($id: ID!) { updateUserProfile(id: $id, profile: { locale: \"fr\" }) { id } }")
        .await;
    browser
        .until("document.querySelector('#changed-elsewhere') !== null")
        .await;
    assert_eq!(
        value(&browser, "#field-name").await,
        json!("Renamed Elsewhere Draft")
    );

    change("mutation($id: ID!) { deleteUser(id: $id) }").await;
    browser
        .until("document.querySelector('#changed-elsewhere')?.textContent === 'This user was deleted elsewhere.'")
        .await;
}
