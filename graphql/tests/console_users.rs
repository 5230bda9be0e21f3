//! The console's users list beyond the simple search, in a real browser:
//! the filter builder (kept in the URL), row selection and bulk actions,
//! creating a user, and the first screen in one request.
#![cfg(all(unix, feature = "redb"))]
// A panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;

use browser::*;
use fantoccini::Locator;
use serde_json::{Value, json};

/// Waits until the table shows exactly `expected`, top to bottom.
async fn until_rows(browser: &Browser, expected: &[&str]) {
    until_usernames(browser, expected, "").await;
}

/// Waits until the table's first rows are `expected`.
async fn until_rows_start(browser: &Browser, expected: &[&str]) {
    until_usernames(browser, expected, &format!(".slice(0, {})", expected.len())).await;
}

/// Waits until the loaded table's usernames, narrowed by the JavaScript
/// `slice`, are `expected`.
async fn until_usernames(browser: &Browser, expected: &[&str], slice: &str) {
    let expected = serde_json::to_string(&json!(expected)).unwrap();
    browser
        .until(&format!(
            "document.querySelector('#users')?.getAttribute('aria-busy') === 'false' && \
             JSON.stringify([...document.querySelectorAll('#users tbody td.username')]{slice}.map(td => td.textContent)) === {}",
            serde_json::to_string(&expected).unwrap()
        ))
        .await;
}

/// Chooses by its text: an option whose text is its value has no `value`
/// attribute (Preact sets the property only when it differs).
async fn select_label(browser: &Browser, css: &str, label: &str) {
    let field = browser.client.find(Locator::Css(css)).await.unwrap();
    field.select_by_label(label).await.unwrap();
}

async fn location_search(browser: &Browser) -> String {
    let search = browser.eval("decodeURIComponent(location.search)").await;
    search.as_str().unwrap().to_owned()
}

async fn create_role(server: &Server, name: &str, permissions: &[&str]) -> String {
    let created = server
        .data(
            &server.admin_token,
            "mutation($n: String!, $p: [String!]!) { createRole(input: { name: $n, permissions: $p }) { id } }",
            json!({ "n": name, "p": permissions }),
        )
        .await;
    created["createRole"]["id"].as_str().unwrap().to_owned()
}

async fn assign(server: &Server, username: &str, role_id: &str) {
    let id = server.user_id(username).await;
    server
        .data(
            &server.admin_token,
            "mutation($u: ID!, $r: ID!) { assignUserRoles(userId: $u, roleIds: [$r]) { id } }",
            json!({ "u": id, "r": role_id }),
        )
        .await;
}

/// A user named `username` with `password` and the role `role_id`.
async fn create_user(server: &Server, username: &str, password: &str, role_id: &str) {
    server
        .data(
            &server.admin_token,
            "mutation($u: String!, $p: String!) { createUser(input: { username: $u, password: $p }) { id } }",
            json!({ "u": username, "p": password }),
        )
        .await;
    assign(server, username, role_id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_filter_builder_keeps_conditions_in_the_url() {
    let Some(programs) = skip_without_browser() else {
        return;
    };
    let server = Server::start().await;
    let support = create_role(&server, "support", &["users:read"]).await;
    for name in ["user_01", "user_02", "user_03"] {
        assign(&server, name, &support).await;
    }
    for name in ["user_02", "user_03", "user_05"] {
        let id = server.user_id(name).await;
        server
            .data(
                &server.admin_token,
                "mutation($id: ID!) { setUserSuspended(id: $id, suspended: true) { id } }",
                json!({ "id": id }),
            )
            .await;
    }
    for (name, tier) in [
        ("user_10", "gold"),
        ("user_11", "gold"),
        ("user_12", "silver"),
    ] {
        let id = server.user_id(name).await;
        server
            .data(
                &server.admin_token,
                "mutation($id: ID!, $d: JSON!) { updateUserCustomData(id: $id, customData: $d) { id } }",
                json!({ "id": id, "d": { "plan": { "tier": tier } } }),
            )
            .await;
    }
    let browser = Browser::start(&programs).await;
    browser.sign_in(&server).await;

    // Suspended: yes, then roles: any of support; both must hold.
    browser.click("#filter-builder summary").await;
    select_label(&browser, "#filter-op", "yes").await;
    browser.click("#filter-add").await;
    until_rows(&browser, &["user_05", "user_03", "user_02"]).await;
    browser.select("#filter-kind", "roles").await;
    browser.click(&format!("#filter-roles-{support}")).await;
    browser.click("#filter-add").await;
    until_rows(&browser, &["user_03", "user_02"]).await;
    let chips = browser.text(".chips").await;
    assert!(chips.contains("Suspended: yes"), "{chips}");
    assert!(chips.contains("Roles: any of support"), "{chips}");
    let search = location_search(&browser).await;
    assert!(search.contains("f=suspended:yes"), "{search}");
    assert!(
        search.contains(&format!("f=roles:any:{support}")),
        "{search}"
    );
    browser.screenshot("users-filters").await;

    // The URL is the view: a reload shows the same rows and chips.
    browser.client.refresh().await.unwrap();
    until_rows(&browser, &["user_03", "user_02"]).await;
    browser
        .until("document.querySelector('.chips').textContent.includes('Roles: any of support')")
        .await;

    // A chip is removed from the keyboard: Enter on its button.
    let remove = browser
        .client
        .find(Locator::Css(".chip-remove"))
        .await
        .unwrap();
    remove.send_keys("\u{E007}").await.unwrap();
    until_rows(&browser, &["user_03", "user_02", "user_01"]).await;
    assert!(!location_search(&browser).await.contains("suspended"));
    // Focus stays on the chips rather than falling to the page.
    browser
        .until("document.activeElement?.classList.contains('chip-remove')")
        .await;
    browser.click(".chip-remove").await;
    browser
        .until("document.querySelectorAll('#users tbody tr').length === 20 && document.querySelector('.chips') === null")
        .await;

    // A condition on custom data: plan.tier equals gold.
    browser.click("#filter-builder summary").await;
    browser.select("#filter-kind", "data").await;
    browser.type_into("#filter-path", "plan.tier").await;
    browser.type_into("#filter-text", "gold").await;
    browser.click("#filter-add").await;
    until_rows(&browser, &["user_11", "user_10"]).await;
    assert!(
        browser
            .text(".chips")
            .await
            .contains("Custom data: plan.tier equals gold")
    );
    let search = location_search(&browser).await;
    assert!(search.contains("f=data:eq:plan.tier:gold"), "{search}");
    browser.client.refresh().await.unwrap();
    until_rows(&browser, &["user_11", "user_10"]).await;

    // A path deeper than the API allows: its refusal is shown beside the
    // filters, and removing the condition recovers.
    browser.click("#filter-builder summary").await;
    browser.select("#filter-kind", "data").await;
    browser
        .type_into("#filter-path", "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q")
        .await;
    select_label(&browser, "#filter-op", "exists").await;
    browser.click("#filter-add").await;
    let error = browser.text("#filter-error").await;
    assert!(
        error.contains("customData paths must have 1 to 16 segments"),
        "{error}"
    );
    browser.click(".chip:nth-child(2) .chip-remove").await;
    until_rows(&browser, &["user_11", "user_10"]).await;
    assert_eq!(
        browser
            .eval("document.querySelector('#filter-error')")
            .await,
        Value::Null
    );

    // A hand-edited URL: the parts that do not parse are dropped, the rest
    // applies, and nothing fails.
    browser
        .goto(&format!(
            "{}/console/users?f=nonsense&f=roles:any:not%20an%20id!&f=created:between:2024-13-01..&f=suspended:maybe&f=data:eq:plan.tier:gold&size=7",
            server.origin
        ))
        .await;
    until_rows(&browser, &["user_11", "user_10"]).await;
    assert_eq!(
        browser
            .eval("document.querySelectorAll('.chip').length")
            .await,
        json!(1)
    );
    assert_eq!(
        browser.eval("document.querySelector('[role=alert]')").await,
        Value::Null
    );

    // A condition the API refuses (an unclosed group in a regular
    // expression) is shown next to the filters, and removing it recovers.
    browser
        .goto(&format!(
            "{}/console/users?f=provider:regex:(unclosed",
            server.origin
        ))
        .await;
    browser
        .until("document.querySelector('#filter-error') !== null")
        .await;
    let error = browser.text("#filter-error").await;
    assert!(error.starts_with("The server refused a filter:"), "{error}");
    assert!(
        browser
            .text(".chips")
            .await
            .contains("Identity provider: matches the regular expression (unclosed")
    );
    browser.click(".chip-remove").await;
    browser
        .until("document.querySelectorAll('#users tbody tr').length === 20 && document.querySelector('#filter-error') === null")
        .await;

    // The builder itself refuses an incomplete condition.
    browser.click("#filter-builder summary").await;
    browser.select("#filter-kind", "created").await;
    browser.click("#filter-add").await;
    assert_eq!(
        browser.text("#filter-form-error").await,
        "Choose a first day, a last day or both."
    );
    // Every control of the builder is labelled.
    assert_eq!(
        browser
            .eval("[...document.querySelectorAll('input, select')].filter(e => e.labels.length === 0).map(e => e.outerHTML)")
            .await,
        json!([])
    );

    // Dates: everyone was created today, so nobody up to yesterday.
    let yesterday = browser
        .eval(
            "(() => { const d = new Date(); d.setDate(d.getDate() - 1); \
             const day = d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0'); \
             const to = document.querySelector('#filter-to'); to.value = day; \
             to.dispatchEvent(new Event('input', { bubbles: true })); return day; })()",
        )
        .await;
    browser.click("#filter-add").await;
    browser
        .until(
            "document.querySelector('.summary').textContent === 'No user matches these filters.'",
        )
        .await;
    assert!(
        browser
            .text(".chips")
            .await
            .starts_with("Created: on or before ")
    );
    assert!(location_search(&browser).await.contains(&format!(
        "f=created:between:..{}",
        yesterday.as_str().unwrap()
    )));
    browser.click(".chip-remove").await;
    // Never signed in: everyone but admin.
    browser.select("#filter-kind", "signedIn").await;
    select_label(&browser, "#filter-op", "never").await;
    browser.click("#filter-add").await;
    browser.click("#show-count").await;
    browser
        .until("document.querySelector('.summary').textContent === '20 of 45 users'")
        .await;
    assert_eq!(browser.text(".chips").await, "Last sign-in: never\n×");

    // In French too.
    browser.select("#language", "fr").await;
    browser
        .until("document.querySelector('.chip span').textContent === 'Dernière connexion : jamais'")
        .await;
    assert_eq!(
        browser.text("#filter-builder summary").await,
        "Ajouter un filtre"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_bulk_actions_confirm_the_count_and_report_each_failure() {
    let Some(programs) = skip_without_browser() else {
        return;
    };
    let server = Server::start().await;
    let helpdesk = create_role(
        &server,
        "helpdesk",
        &["users:read", "users:write", "users:delete"],
    )
    .await;
    create_user(&server, "helper", "helper's own password", &helpdesk).await;
    let browser = Browser::start(&programs).await;
    browser.sign_in(&server).await;

    // Nothing selected, no actions; three rows selected, suspended in one
    // go after a confirmation that says how many.
    assert_eq!(
        browser.eval("document.querySelector('.bulk')").await,
        Value::Null
    );
    // (Row 1 is `helper`, the newest user.)
    for row in 2..=4 {
        browser
            .click(&format!("#users tbody tr:nth-child({row}) input.select"))
            .await;
    }
    assert_eq!(browser.text("#bulk-count").await, "3 users selected");
    browser.click("#bulk-suspend").await;
    assert_eq!(browser.text("#confirm-title").await, "Suspend 3 users?");
    browser.click("#confirm-yes").await;
    browser
        .until("document.querySelector('#bulk-report')?.textContent.includes('3 of 3 users suspended.')")
        .await;
    // The reloaded page shows them suspended, and so does the API; the
    // selection is gone with the action done.
    browser
        .until("[...document.querySelectorAll('#users tbody tr')].slice(0, 4).map(tr => tr.querySelector('.badge.suspended') !== null).join() === 'false,true,true,true'")
        .await;
    assert_eq!(
        browser.eval("document.querySelector('.bulk')").await,
        Value::Null
    );
    let suspended = server
        .data(
            &server.admin_token,
            "{ users(filter: { isSuspended: true }, orderBy: [{ field: USERNAME, direction: ASC }]) { nodes { username } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        suspended["users"]["nodes"],
        json!([{ "username": "user_42" }, { "username": "user_43" }, { "username": "user_44" }])
    );

    // The same three reactivated; then a role given to two, and removed.
    for row in 2..=4 {
        browser
            .click(&format!("#users tbody tr:nth-child({row}) input.select"))
            .await;
    }
    browser.click("#bulk-reactivate").await;
    assert_eq!(browser.text("#confirm-title").await, "Reactivate 3 users?");
    browser.click("#confirm-yes").await;
    browser
        .until("document.querySelector('#bulk-report')?.textContent.includes('3 of 3 users reactivated.')")
        .await;
    // The report takes the focus, which the closed confirmation left.
    assert_eq!(
        browser.eval("document.activeElement.id").await,
        json!("bulk-report")
    );
    browser
        .until("document.querySelectorAll('#users .badge.suspended').length === 0")
        .await;
    browser
        .click("#users tbody tr:nth-child(2) input.select")
        .await;
    browser
        .click("#users tbody tr:nth-child(3) input.select")
        .await;
    browser
        .until(&format!(
            "document.querySelector('#bulk-role option[value=\"{helpdesk}\"]') !== null"
        ))
        .await;
    browser.select("#bulk-role", &helpdesk).await;
    browser.click("#bulk-assign").await;
    assert_eq!(
        browser.text("#confirm-title").await,
        "Give the role helpdesk to 2 users?"
    );
    browser.click("#confirm-yes").await;
    browser
        .until("document.querySelector('#bulk-report')?.textContent.includes('2 of 2 users given the role helpdesk.')")
        .await;
    browser
        .until("[...document.querySelectorAll('#users tbody tr')].slice(0, 4).map(tr => tr.children[4].textContent).join() === 'helpdesk,helpdesk,helpdesk,—'")
        .await;
    browser.click("#select-page").await;
    assert_eq!(browser.text("#bulk-count").await, "20 users selected");
    browser.click("#select-page").await;
    assert_eq!(
        browser.eval("document.querySelector('.bulk')").await,
        Value::Null
    );
    browser
        .click("#users tbody tr:nth-child(2) input.select")
        .await;
    browser
        .click("#users tbody tr:nth-child(3) input.select")
        .await;
    browser.select("#bulk-role", &helpdesk).await;
    browser.click("#bulk-remove").await;
    browser.click("#confirm-yes").await;
    browser
        .until("document.querySelector('#bulk-report')?.textContent.includes('The role helpdesk removed from 2 of 2 users.')")
        .await;
    browser
        .until("[...document.querySelectorAll('#users tbody tr')].slice(0, 4).map(tr => tr.children[4].textContent).join() === 'helpdesk,—,—,—'")
        .await;
    browser.sign_out().await;

    // A helpdesk member may delete, but not a user who outranks them
    // (admin): that user's failure is reported by name, the others go on.
    browser
        .sign_in_as(&server, "helper", "helper's own password")
        .await;
    browser.click("button[data-sort=USERNAME]").await;
    until_rows_start(&browser, &["admin", "helper", "user_00", "user_01"]).await;
    // Without `roles:read` there is no role to pick, so no role actions.
    browser
        .click("#users tbody tr:nth-child(1) input.select")
        .await;
    browser
        .click("#users tbody tr:nth-child(3) input.select")
        .await;
    browser
        .click("#users tbody tr:nth-child(4) input.select")
        .await;
    assert_eq!(
        browser.eval("document.querySelector('#bulk-role')").await,
        Value::Null
    );
    browser.click("#bulk-delete").await;
    assert_eq!(browser.text("#confirm-title").await, "Delete 3 users?");
    browser.screenshot("users-bulk-delete").await;
    browser.click("#confirm-yes").await;
    browser
        .until(
            "document.querySelector('#bulk-report')?.textContent.includes('2 of 3 users deleted.')",
        )
        .await;
    let report = browser.text("#bulk-report").await;
    assert!(
        report.contains("admin: refused: you cannot act on a user who holds the"),
        "{report}"
    );
    assert_eq!(
        browser
            .eval("document.querySelector('#bulk-report').getAttribute('role')")
            .await,
        json!("alert")
    );
    until_rows_start(&browser, &["admin", "helper", "user_02", "user_03"]).await;
    let left = server
        .data(
            &server.admin_token,
            r#"{ users(search: "user_0", orderBy: [{ field: USERNAME, direction: ASC }], first: 2) { nodes { username } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        left["users"]["nodes"],
        json!([{ "username": "user_02" }, { "username": "user_03" }])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_create_a_user_with_a_typed_or_generated_password() {
    let Some(programs) = skip_without_browser() else {
        return;
    };
    let server = Server::start().await;
    let support = create_role(&server, "support", &["users:read"]).await;
    // Enough roles for the picker to offer a box that narrows them.
    for team in [
        "north", "south", "east", "west", "sales", "legal", "ops", "hr",
    ] {
        create_role(&server, team, &[]).await;
    }
    let browser = Browser::start(&programs).await;
    browser.sign_in(&server).await;
    browser.click("#new-user").await;
    browser
        .until("document.querySelector('#create-user') !== null")
        .await;
    assert!(
        browser
            .eval("location.pathname")
            .await
            .as_str()
            .unwrap()
            .ends_with("/console/users/new")
    );

    // A typed password the server's rules refuse: the message is at the
    // password field.
    browser.type_into("#new-username", "newbie").await;
    browser.type_into("#new-email", "newbie@example.com").await;
    browser.type_into("#new-name", "New Person").await;
    browser.click("#password-type").await;
    browser.type_into("#new-password", "short").await;
    browser.click("#create-submit").await;
    let error = browser.text("#new-password-error").await;
    assert!(
        error.contains("password must be 8 to 256 characters"),
        "{error}"
    );
    assert_eq!(
        browser
            .eval("document.querySelector('#new-password').getAttribute('aria-describedby')")
            .await,
        json!("new-password-error")
    );

    // An email someone else has: the message is at the email field.
    let email = browser
        .client
        .find(Locator::Css("#new-email"))
        .await
        .unwrap();
    email.clear().await.unwrap();
    email.send_keys("user03@example.com").await.unwrap();
    browser
        .type_into("#new-password", " but long enough now")
        .await;
    browser.click("#create-submit").await;
    assert_eq!(
        browser.text("#new-email-error").await,
        "This email address is taken."
    );
    assert_eq!(
        browser
            .eval("document.querySelector('#new-password-error')")
            .await,
        Value::Null
    );

    // A generated password, with a role: shown once after creation.
    email.clear().await.unwrap();
    email.send_keys("newbie@example.com").await.unwrap();
    browser.click("#password-generate").await;
    browser.click(&format!("#new-roles-{support}")).await;
    browser.eval("window.scrollTo(0, 0) || true").await;
    browser.screenshot("user-create").await;
    browser.type_into("#new-roles-find", "SUP").await;
    browser
        .until("[...document.querySelectorAll('#new-roles li')].map(li => li.textContent.trim()).join() === 'support'")
        .await;
    assert_eq!(
        browser
            .eval(&format!(
                "document.querySelector('#new-roles-{support}').checked"
            ))
            .await,
        json!(true)
    );
    browser.click("#create-submit").await;
    browser
        .until("document.querySelector('#new-password-secret') !== null")
        .await;
    assert_eq!(browser.text("main h1").await, "User newbie created");
    let secret = browser.text("#new-password-secret").await;
    assert!(secret.len() >= 20, "{secret}");
    // It is the password the server keeps: signing in with it works.
    let signed = server.respond(
        None,
        "mutation($i: String!, $p: String!) { signIn(identifier: $i, password: $p) { user { username name primaryEmail } } }",
        json!({ "i": "newbie", "p": secret }),
    )
    .await;
    assert_eq!(
        signed["data"]["signIn"]["user"],
        json!({ "username": "newbie", "name": "New Person", "primaryEmail": "newbie@example.com" }),
        "{signed}"
    );
    let roles = server
        .data(
            &server.admin_token,
            r#"{ users(search: "newbie") { nodes { roles { name } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        roles["users"]["nodes"][0]["roles"],
        json!([{ "name": "support" }])
    );
    // Once kept, the user's own page follows; the secret is gone.
    let id = server.user_id("newbie").await;
    browser.click(".secret-once .done").await;
    browser
        .until(&format!(
            "location.pathname.endsWith('/console/users/{id}')"
        ))
        .await;
    assert_eq!(
        browser
            .eval("document.querySelector('#new-password-secret')")
            .await,
        Value::Null
    );
    browser.client.back().await.unwrap();
    browser
        .until("document.querySelector('#create-user') !== null")
        .await;
    assert_eq!(
        browser
            .eval("document.querySelector('#new-password-secret')")
            .await,
        Value::Null
    );

    // The list links each username to the user's page.
    browser
        .goto(&format!("{}/console/users", server.origin))
        .await;
    until_rows_start(&browser, &["newbie"]).await;
    assert!(
        browser
            .eval("document.querySelector('#users tbody td.username a').getAttribute('href')")
            .await
            .as_str()
            .unwrap()
            .ends_with(&format!("/console/users/{id}"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_first_screen_is_one_request_and_controls_follow_permissions() {
    let Some(programs) = skip_without_browser() else {
        return;
    };
    let server = Server::start().await;
    let viewer = create_role(&server, "viewer", &["users:read"]).await;
    create_user(&server, "watcher", "watcher's own password", &viewer).await;
    let nobody = create_role(&server, "nobody", &[]).await;
    create_user(&server, "plain", "plain user's password", &nobody).await;
    let browser = Browser::start(&programs).await;

    // A kept session opened on the users list: `me` and the first page come
    // in one request, with or without a filter.
    browser.sign_in(&server).await;
    browser.client.refresh().await.unwrap();
    browser
        .until("document.querySelectorAll('#users tbody tr').length === 20")
        .await;
    assert_eq!(browser.api_requests().await, 1);
    browser
        .goto(&format!(
            "{}/console/users?f=suspended:no&f=password:yes&sort=USERNAME.ASC",
            server.origin
        ))
        .await;
    until_rows(&browser, &["admin", "plain", "watcher"]).await;
    assert_eq!(browser.api_requests().await, 1);
    browser.sign_out().await;

    // A reader sees the list but no selection, no bulk action and no "New
    // user"; the creation page refuses them, and so does the API.
    browser
        .sign_in_as(&server, "watcher", "watcher's own password")
        .await;
    browser.client.refresh().await.unwrap();
    browser
        .until("document.querySelectorAll('#users tbody tr').length === 20")
        .await;
    assert_eq!(browser.api_requests().await, 1);
    assert_eq!(
        browser
            .eval("document.querySelectorAll('input.select, #new-user').length")
            .await,
        json!(0)
    );
    let token = browser
        .eval("JSON.parse(sessionStorage.getItem('usergraph.console.session')).token")
        .await;
    browser
        .goto(&format!("{}/console/users/new", server.origin))
        .await;
    browser
        .until("document.querySelector('main h1')?.textContent === 'Not allowed'")
        .await;
    assert_eq!(
        browser.eval("document.querySelector('#create-user')").await,
        Value::Null
    );
    let refused = server
        .respond(
            token.as_str(),
            r#"mutation { createUser(input: { username: "sneaky" }) { id } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"],
        json!("FORBIDDEN")
    );
    browser.sign_out().await;

    // Someone who may not read users: the same single request, whose users
    // part the API refuses, and their own account is shown, with the
    // account page's own parts (user, tokens, logs) in one more request.
    browser
        .sign_in_as(&server, "plain", "plain user's password")
        .await;
    browser
        .until("document.querySelector('main h1')?.textContent === 'My account'")
        .await;
    browser.goto(&format!("{}/console/", server.origin)).await;
    browser
        .until("document.querySelector('main h1')?.textContent === 'My account' && document.querySelector('#user-logs') !== null && document.querySelector('#tokens-title') !== null")
        .await;
    assert_eq!(browser.api_requests().await, 2);

    // A server that takes no batches: the console falls back to one
    // request per operation (the refused batch, then `Me` and `Users`).
    let unbatched = Server::start_with(&["--max-batch", "1"]).await;
    browser.sign_in(&unbatched).await;
    browser.client.refresh().await.unwrap();
    browser
        .until("document.querySelectorAll('#users tbody tr').length === 20")
        .await;
    assert_eq!(browser.api_requests().await, 3);
}
