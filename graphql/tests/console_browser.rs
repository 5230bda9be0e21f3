//! The console in a real browser: headless Chromium, driven through
//! chromedriver (WebDriver), against the real `usergraph` binary. Without
//! Chromium and chromedriver each test prints one line saying what to
//! install and passes; `scripts/test` says it once and leaves them out.
#![cfg(all(unix, feature = "redb"))]
// A panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;

use std::time::Duration;

use browser::*;
use fantoccini::Locator;
use serde_json::{Value, json};

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
