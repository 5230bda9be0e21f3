//! The console's roles pages in a real browser: the list (search, paging,
//! holder counts), creating and editing a role (permissions checklist,
//! default switch, errors at their field), the users holding a role
//! (paging, remove), deleting with the count in the confirmation, and what
//! callers with fewer permissions see.
#![cfg(all(unix, feature = "redb"))]
// A panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;

use browser::*;
use fantoccini::Locator;
use serde_json::{Value, json};

const PASSWORD: &str = "seven quiet lanterns drift";

/// The permissions ticked in the checklist, in its order.
async fn checked_permissions(browser: &Browser) -> Vec<String> {
    let checked = browser
        .eval("[...document.querySelectorAll('input[data-permission]:checked')].map(e => e.dataset.permission)")
        .await;
    serde_json::from_value(checked).unwrap()
}

/// The role names in the roles table, top to bottom.
async fn role_names(browser: &Browser) -> Vec<String> {
    let names = browser
        .eval("[...document.querySelectorAll('#roles tbody tr td:first-child a')].map(a => a.textContent)")
        .await;
    serde_json::from_value(names).unwrap()
}

async fn location(browser: &Browser) -> String {
    let href = browser.eval("location.pathname + location.search").await;
    href.as_str().unwrap().to_owned()
}

async fn create_role(server: &Server, input: Value) -> String {
    let data = server
        .data(
            &server.admin_token,
            "mutation($input: CreateRoleInput!) { createRole(input: $input) { id } }",
            json!({ "input": input }),
        )
        .await;
    data["createRole"]["id"].as_str().unwrap().to_owned()
}

async fn assign(server: &Server, user: &str, role: &str) {
    server
        .data(
            &server.admin_token,
            "mutation($u: ID!, $r: [ID!]!) { assignUserRoles(userId: $u, roleIds: $r) { id } }",
            json!({ "u": user, "r": [role] }),
        )
        .await;
}

/// Gives `role_id` to the first `count` of the users the harness made
/// (`user_00` .. `user_44`), in one request, and returns their ids.
async fn give_role_to_first(server: &Server, role_id: &str, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..count {
        ids.push(server.user_id(&format!("user_{i:02}")).await);
    }
    let assignments: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            format!(r#"a{i}: assignUserRoles(userId: "{id}", roleIds: ["{role_id}"]) {{ id }}"#)
        })
        .collect();
    server
        .data(
            &server.admin_token,
            &format!("mutation {{ {} }}", assignments.join(" ")),
            json!({}),
        )
        .await;
    ids
}

/// A user `username` with [`PASSWORD`], holding `permissions` through a
/// role of its own (none when empty).
async fn user_with(server: &Server, username: &str, permissions: &[&str]) {
    let data = server
        .data(
            &server.admin_token,
            "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
            json!({ "input": { "username": username, "password": PASSWORD } }),
        )
        .await;
    let id = data["createUser"]["id"].as_str().unwrap().to_owned();
    if !permissions.is_empty() {
        let role = create_role(
            server,
            json!({ "name": format!("{username}-role"), "permissions": permissions }),
        )
        .await;
        assign(server, &id, &role).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_roles_are_listed_searched_created_and_edited() {
    let Some(programs) = skip_without_browser() else {
        return;
    };
    let server = Server::start().await;
    for i in 0..22 {
        create_role(
            &server,
            json!({ "name": format!("team-{i:02}"), "description": format!("Team number {i}") }),
        )
        .await;
    }
    let browser = Browser::start(&programs).await;
    browser.sign_in(&server).await;

    // The Roles link leads to the list: by name, 20 a page, with the total.
    browser.click("nav a[href$='/console/roles']").await;
    browser
        .until("document.querySelectorAll('#roles tbody tr').length === 20")
        .await;
    assert_eq!(browser.text("main h1").await, "Roles");
    assert_eq!(browser.text(".summary").await, "20 of 23 roles");
    let names = role_names(&browser).await;
    assert_eq!(names[0], "admin");
    assert_eq!(names[19], "team-18");
    // The admin role holds all nine permissions.
    assert_eq!(
        browser
            .text("#roles tbody tr:first-child td:nth-child(3)")
            .await,
        "9"
    );
    browser.click("#next-page").await;
    browser
        .until("document.querySelectorAll('#roles tbody tr').length === 3")
        .await;
    assert_eq!(
        role_names(&browser).await,
        ["team-19", "team-20", "team-21"]
    );
    assert!(location(&browser).await.contains("after="));
    assert_eq!(
        browser
            .eval("document.querySelector('#next-page').disabled")
            .await,
        json!(true)
    );
    // The page is in the URL.
    browser.client.refresh().await.unwrap();
    browser
        .until("document.querySelectorAll('#roles tbody tr').length === 3")
        .await;
    browser.click("#first-page").await;
    browser
        .until("document.querySelectorAll('#roles tbody tr').length === 20")
        .await;

    // Searching waits for a pause in typing: one request for the word.
    let before = browser.api_requests().await;
    browser.type_into("#role-search", "team-1").await;
    browser
        .until("document.querySelectorAll('#roles tbody tr').length === 10")
        .await;
    let searches = browser.api_requests().await - before;
    assert!(
        (1..=2).contains(&searches),
        "{searches} requests for 6 keys"
    );
    assert!(location(&browser).await.contains("q=team-1"));
    assert_eq!(browser.text(".summary").await, "10 of 10 roles");
    browser.set_value("#role-search", "no such role").await;
    browser
        .until(
            "document.querySelector('.summary').textContent === 'No role matches “no such role”.'",
        )
        .await;
    browser.set_value("#role-search", "").await;
    browser
        .until("document.querySelectorAll('#roles tbody tr').length === 20")
        .await;

    // Holder counts on request: the admin role has one holder.
    browser.click("#count-holders").await;
    browser.until("location.search === '?holders=1'").await;
    browser
        .until("document.querySelector('#roles tbody tr:first-child td:nth-child(4)')?.textContent === '1'")
        .await;
    assert!(location(&browser).await.contains("holders=1"));

    // A new role with two permissions, made the default.
    browser.click("#new-role").await;
    browser
        .until("document.querySelectorAll('input[data-permission]').length === 9")
        .await;
    assert_eq!(
        browser
            .eval("document.querySelector('label[for=permission-0]').textContent")
            .await,
        json!("Read users users:read")
    );
    // Save and Discard wait for a change.
    assert_eq!(
        browser
            .eval("document.querySelector('#role-save').disabled")
            .await,
        json!(true)
    );
    browser.type_into("#role-name", "Support").await;
    browser
        .type_into("#role-description", "Answers the help desk")
        .await;
    browser.click("input[data-permission='users:read']").await;
    browser.click("input[data-permission='users:write']").await;
    browser.click("#role-default").await;
    browser.click("#role-save").await;
    browser
        .until("document.querySelector('.notice-line').textContent === 'Role created.'")
        .await;
    let page = location(&browser).await;
    let support = page.rsplit('/').next().unwrap().to_owned();
    assert!(
        page.ends_with(&format!("/console/roles/{support}")),
        "{page}"
    );
    assert_eq!(browser.text("main h1").await, "Support Default");
    let stored = server
        .data(
            &server.admin_token,
            "query($id: ID!) { role(id: $id) { name description permissions isDefault } }",
            json!({ "id": support }),
        )
        .await;
    assert_eq!(
        stored["role"],
        json!({ "name": "Support", "description": "Answers the help desk",
                "permissions": ["users:read", "users:write"], "isDefault": true })
    );
    browser.client.refresh().await.unwrap();
    browser
        .until("document.querySelector('#role-name')?.value === 'Support'")
        .await;
    assert_eq!(
        checked_permissions(&browser).await,
        ["users:read", "users:write"]
    );
    assert_eq!(
        browser
            .eval("document.querySelector('#role-default').checked")
            .await,
        json!(true)
    );

    // Editing: untick one, tick another; Discard brings the saved back.
    browser.click("input[data-permission='users:write']").await;
    browser.click("input[data-permission='logs:read']").await;
    browser.click("#role-discard").await;
    assert_eq!(
        checked_permissions(&browser).await,
        ["users:read", "users:write"]
    );
    browser.click("input[data-permission='users:write']").await;
    browser.click("input[data-permission='logs:read']").await;
    browser.click("#role-save").await;
    browser
        .until("document.querySelector('.notice-line').textContent === 'Saved.'")
        .await;
    browser.client.refresh().await.unwrap();
    browser
        .until("document.querySelector('#role-name')?.value === 'Support'")
        .await;
    assert_eq!(
        checked_permissions(&browser).await,
        ["users:read", "logs:read"]
    );
    browser.screenshot("role-edit").await;

    // An empty name: the API's VALIDATION error, at the name field.
    browser.set_value("#role-name", "").await;
    browser.click("#role-save").await;
    browser
        .until(
            "document.querySelector('#role-name-error')?.textContent.startsWith('Invalid input: ')",
        )
        .await;
    assert_eq!(
        browser
            .eval("document.querySelector('#role-name').getAttribute('aria-describedby')")
            .await,
        json!("role-name-error")
    );
    assert_eq!(
        browser.eval("document.activeElement.id").await,
        json!("role-name")
    );
    browser.click("#role-discard").await;
    browser
        .until("document.querySelector('#role-name-error') === null && document.querySelector('#role-name').value === 'Support'")
        .await;

    // A name taken (in another case): CONFLICT, said at the name field.
    browser
        .goto(&format!("{}/console/roles/new", server.origin))
        .await;
    browser.type_into("#role-name", "SUPPORT").await;
    browser.click("#role-save").await;
    assert_eq!(
        browser.text("#role-name-error").await,
        "A role with this name already exists."
    );
    assert_eq!(
        browser
            .eval("document.querySelector('#role-name').getAttribute('aria-invalid')")
            .await,
        json!("true")
    );
    assert!(location(&browser).await.ends_with("/console/roles/new"));

    // A permission the server does not check is shown ticked, and kept
    // when the role is saved.
    let reports = create_role(
        &server,
        json!({ "name": "reports", "permissions": ["reports:export", "users:read"] }),
    )
    .await;
    browser
        .goto(&format!("{}/console/roles/{reports}", server.origin))
        .await;
    browser
        .until("document.querySelector('#role-name')?.value === 'reports'")
        .await;
    assert_eq!(
        checked_permissions(&browser).await,
        ["users:read", "reports:export"]
    );
    assert_eq!(
        browser
            .eval("document.querySelector('label[for=permission-9]').textContent")
            .await,
        json!("Not checked by this server: reports:export")
    );
    browser
        .type_into("#role-description", "Monthly exports")
        .await;
    browser.click("#role-save").await;
    browser
        .until("document.querySelector('.notice-line').textContent === 'Saved.'")
        .await;
    let stored = server
        .data(
            &server.admin_token,
            "query($id: ID!) { role(id: $id) { description permissions } }",
            json!({ "id": reports }),
        )
        .await;
    assert_eq!(
        stored["role"],
        json!({ "description": "Monthly exports", "permissions": ["reports:export", "users:read"] })
    );

    // Back in the list, the new role has its default badge.
    browser.click(".back a").await;
    browser
        .until("document.querySelectorAll('#roles tbody tr').length === 20")
        .await;
    browser.click("#count-holders").await;
    browser
        .until("document.querySelectorAll('#roles thead th').length === 4 && !document.querySelector('#roles').matches('[aria-busy=true]')")
        .await;
    browser.screenshot("roles").await;
    browser.set_value("#role-search", "s").await;
    browser
        .until("[...document.querySelectorAll('#roles tbody tr td:first-child')].some(td => td.textContent.trim() === 'Support Default')")
        .await;
    // Every field has a label.
    assert_eq!(
        browser
            .eval("[...document.querySelectorAll('input, select, textarea')].filter(e => e.labels.length === 0).map(e => e.outerHTML)")
            .await,
        json!([])
    );

    // In French, permissions are labelled in French.
    browser
        .client
        .find(Locator::Css("#language"))
        .await
        .unwrap()
        .select_by_value("fr")
        .await
        .unwrap();
    browser
        .until("document.querySelector('main h1').textContent === 'Rôles'")
        .await;
    browser
        .click(&format!("#roles a[href$='/console/roles/{support}']"))
        .await;
    browser
        .until("document.querySelector('label[for=permission-0]')?.textContent === 'Lire les utilisateurs users:read'")
        .await;
    assert_eq!(
        browser.text(".role-form label.switch").await,
        "Rôle par défaut"
    );
    assert_eq!(browser.text("#role-save").await, "Enregistrer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_role_holders_are_paged_removed_and_the_role_deleted() {
    let Some(programs) = skip_without_browser() else {
        return;
    };
    let server = Server::start().await;
    let helpdesk = create_role(
        &server,
        json!({ "name": "helpdesk", "permissions": ["users:read"] }),
    )
    .await;
    let ids = give_role_to_first(&server, &helpdesk, 25).await;

    let browser = Browser::start(&programs).await;
    browser.sign_in(&server).await;
    browser
        .goto(&format!("{}/console/roles/{helpdesk}", server.origin))
        .await;
    // Newest first, 20 a page, each linking to the user's page.
    browser
        .until("document.querySelectorAll('#holders tbody tr').length === 20")
        .await;
    let first = "document.querySelector('#holders tbody td a').textContent";
    assert_eq!(browser.eval(first).await, json!("user_24"));
    assert!(
        browser
            .eval("document.querySelector('#holders tbody td a').getAttribute('href')")
            .await
            .as_str()
            .unwrap()
            .ends_with(&format!("/console/users/{}", ids[24]))
    );
    browser.click("#holders-next-page").await;
    browser
        .until("document.querySelectorAll('#holders tbody tr').length === 5")
        .await;
    assert_eq!(browser.eval(first).await, json!("user_04"));
    assert!(location(&browser).await.contains("after="));
    browser.click("#holders-previous-page").await;
    browser
        .until("document.querySelectorAll('#holders tbody tr').length === 20")
        .await;
    assert_eq!(browser.eval(first).await, json!("user_24"));

    // Removing one holder, after a confirmation naming them.
    browser
        .click("#holders tbody tr:first-child .remove-holder")
        .await;
    browser
        .until("document.querySelector('#remove-holder').open")
        .await;
    assert_eq!(
        browser.text("#remove-holder-text").await,
        "user_24 loses the role “helpdesk” and its permissions."
    );
    browser.click("#remove-holder-yes").await;
    browser
        .until("document.querySelector('#holders tbody td a').textContent === 'user_23'")
        .await;
    let roles = server
        .data(
            &server.admin_token,
            "query($id: ID!) { user(id: $id) { roles { id } } }",
            json!({ "id": ids[24] }),
        )
        .await;
    assert_eq!(roles["user"]["roles"], json!([]));

    // Deleting says how many users hold the role.
    browser.click("#role-delete").await;
    browser
        .until("document.querySelector('#delete-role-text').textContent === '24 users hold this role; they lose its permissions.'")
        .await;
    // Cancelling keeps it.
    browser.click("#delete-role button.secondary").await;
    browser
        .until("!document.querySelector('#delete-role').open")
        .await;
    browser.click("#role-delete").await;
    browser
        .until("document.querySelector('#delete-role-text').textContent.startsWith('24 users')")
        .await;
    browser.click("#delete-role-yes").await;
    browser
        .until(
            "document.querySelector('.notice')?.textContent === 'The role “helpdesk” was deleted.'",
        )
        .await;
    assert!(location(&browser).await.ends_with("/console/roles"));
    assert!(!role_names(&browser).await.contains(&"helpdesk".to_owned()));
    let gone = server
        .data(
            &server.admin_token,
            "query($id: ID!) { role(id: $id) { id } }",
            json!({ "id": helpdesk }),
        )
        .await;
    assert_eq!(gone["role"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_roles_pages_follow_the_callers_permissions() {
    let Some(programs) = skip_without_browser() else {
        return;
    };
    let server = Server::start().await;
    user_with(&server, "reader", &["roles:read"]).await;
    user_with(
        &server,
        "helper",
        &["roles:read", "users:read", "users:write"],
    )
    .await;
    user_with(&server, "nobody", &[]).await;
    user_with(&server, "editor", &["roles:read", "roles:write"]).await;
    let admin_role = {
        let data = server
            .data(
                &server.admin_token,
                r#"{ roles(search: "admin") { nodes { id name } } }"#,
                json!({}),
            )
            .await;
        let nodes = data["roles"]["nodes"].as_array().unwrap().clone();
        let admin = nodes.iter().find(|r| r["name"] == "admin").unwrap();
        admin["id"].as_str().unwrap().to_owned()
    };
    let browser = Browser::start(&programs).await;

    // Only `roles:read`: the list and the role, read-only.
    browser.sign_in_as(&server, "reader", PASSWORD).await;
    let nav = browser.text("header nav").await;
    assert!(nav.contains("Roles") && !nav.contains("Users"), "{nav}");
    browser.click("nav a[href$='/console/roles']").await;
    browser
        // admin, and the roles giving reader, helper and editor their permissions.
        .until("document.querySelectorAll('#roles tbody tr').length === 4")
        .await;
    assert_eq!(
        browser
            .eval("document.querySelector('#new-role') === null && document.querySelector('#count-holders') === null")
            .await,
        json!(true)
    );
    browser
        .click(&format!("#roles a[href$='/console/roles/{admin_role}']"))
        .await;
    browser
        .until("document.querySelector('#role-name')?.value === 'admin'")
        .await;
    assert_eq!(
        browser.text("#read-only").await,
        "You may read this role but not change it: that needs the roles:write permission."
    );
    assert_eq!(
        browser
            .eval("['#role-save', '#role-discard', '#role-delete', '#holders'].map(s => document.querySelector(s))")
            .await,
        json!([null, null, null, null])
    );
    assert_eq!(
        browser
            .eval("document.querySelector('#role-name').matches(':disabled') && [...document.querySelectorAll('input[data-permission]')].every(e => e.matches(':disabled') && e.checked)")
            .await,
        json!(true)
    );
    // Not being shown the controls is a courtesy: the API refuses too.
    let token = browser
        .eval("JSON.parse(sessionStorage.getItem('usergraph.console.session')).token")
        .await;
    let refused: Value = server
        .http
        .post(format!("{}/graphql", server.origin))
        .bearer_auth(token.as_str().unwrap())
        .json(&json!({
            "query": "mutation($id: ID!) { updateRole(id: $id, input: { description: \"x\" }) { id } }",
            "variables": { "id": admin_role },
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN");
    browser.sign_out().await;

    // `users:write` but fewer permissions than the admin: removing the admin
    // from the admin role is refused, and said on the admin's row.
    browser.sign_in_as(&server, "helper", PASSWORD).await;
    browser
        .goto(&format!("{}/console/roles/{admin_role}", server.origin))
        .await;
    browser
        .until("document.querySelectorAll('#holders tbody tr').length === 1")
        .await;
    browser.click("#holders .remove-holder").await;
    browser.click("#remove-holder-yes").await;
    browser
        .until("document.querySelector('#holders tbody tr .row-error')?.textContent.startsWith('Your roles do not allow this: ')")
        .await;
    assert_eq!(
        browser
            .eval("document.querySelector('#holders tbody tr .row-error').getAttribute('role')")
            .await,
        json!("alert")
    );
    assert_eq!(
        browser
            .eval("document.querySelector('#remove-holder').open")
            .await,
        json!(false)
    );
    let admin = server.admin_id().await;
    let held = server
        .data(
            &server.admin_token,
            "query($id: ID!) { user(id: $id) { roles { name } } }",
            json!({ "id": admin }),
        )
        .await;
    assert_eq!(held["user"]["roles"], json!([{ "name": "admin" }]));
    browser.sign_out().await;

    // `roles:write` without `logs:read`: a role granting it is refused, said
    // above the buttons; without `users:read` no holders are listed, and the
    // delete confirmation cannot count them.
    browser.sign_in_as(&server, "editor", PASSWORD).await;
    browser
        .goto(&format!("{}/console/roles/new", server.origin))
        .await;
    browser.type_into("#role-name", "auditors").await;
    browser.click("input[data-permission='logs:read']").await;
    browser.click("#role-save").await;
    assert_eq!(
        browser.text("#role-form-error").await,
        "Your roles do not allow this: you cannot grant the logs:read permission, which you do not hold"
    );
    browser.click("input[data-permission='logs:read']").await;
    browser.click("input[data-permission='roles:read']").await;
    browser.click("#role-save").await;
    browser
        .until("document.querySelector('.notice-line').textContent === 'Role created.'")
        .await;
    assert_eq!(
        browser.eval("document.querySelector('#holders')").await,
        Value::Null
    );
    browser.click("#role-delete").await;
    assert_eq!(
        browser.text("#delete-role-text").await,
        "The users holding this role lose its permissions."
    );
    browser.click("#delete-role-yes").await;
    browser
        .until(
            "document.querySelector('.notice')?.textContent === 'The role “auditors” was deleted.'",
        )
        .await;
    browser.sign_out().await;

    // Without `roles:read`: no Roles link, and the page says it is not allowed.
    browser.sign_in_as(&server, "nobody", PASSWORD).await;
    assert!(!browser.text("header nav").await.contains("Roles"));
    browser
        .goto(&format!("{}/console/roles", server.origin))
        .await;
    assert_eq!(browser.text("main h1").await, "Not allowed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_counts_past_the_cap_say_more_than() {
    let Some(programs) = skip_without_browser() else {
        return;
    };
    let server = Server::start_with(&["--count-cap", "30"]).await;
    let helpdesk = create_role(
        &server,
        json!({ "name": "helpdesk", "permissions": ["users:read"] }),
    )
    .await;
    give_role_to_first(&server, &helpdesk, 32).await;

    let browser = Browser::start(&programs).await;
    browser.sign_in(&server).await;
    // 46 users, counted up to 30.
    browser.click("#show-count").await;
    browser
        .until("document.querySelector('.summary')?.textContent === '20 of more than 30 users'")
        .await;

    // Two roles: counted exactly; helpdesk's 32 holders are past the cap.
    browser
        .goto(&format!("{}/console/roles?holders=1", server.origin))
        .await;
    browser
        .until("document.querySelector('.summary')?.textContent === '2 of 2 roles'")
        .await;
    browser
        .until("[...document.querySelectorAll('#roles tbody tr')].map(tr => tr.textContent).some(t => t.startsWith('helpdesk') && t.endsWith('more than 30'))")
        .await;

    browser
        .goto(&format!("{}/console/roles/{helpdesk}", server.origin))
        .await;
    browser
        .until("document.querySelector('#role-delete') !== null")
        .await;
    browser.click("#role-delete").await;
    browser
        .until("document.querySelector('#delete-role-text')?.textContent === 'More than 30 users hold this role; they lose its permissions.'")
        .await;
}
