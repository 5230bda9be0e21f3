//! The console against each backend the binary can be built with: the
//! same walk (list, search, a user's page edited and reloaded, the audit
//! log naming the change) on a fresh redb, sled and PostgreSQL store. The
//! console is only an API client, so this proves the binary's wiring per
//! backend; the conformance suite proves the backends agree in depth.
#![cfg(all(unix, feature = "redb", feature = "sled", feature = "postgres"))]
// A panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;

use browser::*;

async fn walk_through(store: Store) {
    let Some(programs) = skip_without_browser() else {
        return;
    };
    let server = Server::start_on(store, &[]).await;
    let browser = Browser::start(&programs).await;
    browser.sign_in(&server).await;

    // The simple search narrows the list.
    browser.type_into("#user-search", "user_3").await;
    browser
        .until("document.querySelectorAll('#users tbody tr').length === 10")
        .await;

    // A user's page: the name edited, saved, and still there after a reload.
    let id = server.user_id("user_05").await;
    browser
        .goto(&format!("{}/console/users/{id}", server.origin))
        .await;
    browser
        .until("document.querySelector('#profile-form') !== null")
        .await;
    browser.set_value("#field-name", "Renamed Person").await;
    browser.click("#profile-save").await;
    browser
        .until("document.querySelector('#profile-saved') !== null")
        .await;
    browser.client.refresh().await.unwrap();
    browser
        .until("document.querySelector('#field-name')?.value === 'Renamed Person'")
        .await;

    // The audit log names the user and the actor of that change.
    browser
        .goto(&format!("{}/console/logs?user={id}", server.origin))
        .await;
    browser
        .until(
            "[...document.querySelectorAll('#audit-log tbody tr td.key')]\
             .some(td => td.textContent === 'User.Updated')",
        )
        .await;
    assert_eq!(
        browser.text("#audit-log tbody tr td.user").await,
        "Renamed Person"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_console_on_redb() {
    walk_through(Store::Redb).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_console_on_sled() {
    walk_through(Store::Sled).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_console_on_postgres() {
    walk_through(Store::Postgres).await;
}
