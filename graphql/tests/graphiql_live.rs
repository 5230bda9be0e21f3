//! GraphiQL runs a subscription: the query and the Authorization header
//! typed into its editors, run, and an entry committed meanwhile shown in
//! its result pane.
#![cfg(all(unix, feature = "redb"))]
// A panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;

use browser::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_graphiql_runs_a_subscription_with_the_headers_tab_token() {
    let Some(programs) = skip_without_browser() else {
        return;
    };
    let server = Server::start().await;
    let browser = Browser::start(&programs).await;
    browser.goto(&format!("{}/graphql", server.origin)).await;
    browser
        .until("document.querySelector('.graphiql-query-editor .CodeMirror') !== null")
        .await;
    // GraphiQL's editors are CodeMirror 5 instances, reachable from their
    // elements: what typing would leave in them.
    browser
        .eval(
            "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue('subscription { logAdded { node { key userId } } }')",
        )
        .await;
    browser
        .eval("[...document.querySelectorAll('.graphiql-editor-tools button')].find(b => b.textContent.trim() === 'Headers').click()")
        .await;
    browser
        .until("document.querySelector('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror') !== null")
        .await;
    let headers = json!({ "Authorization": format!("Bearer {}", server.admin_token) }).to_string();
    browser
        .eval(&format!(
            "[...document.querySelectorAll('.graphiql-editor-tool .graphiql-editor')].filter(e => !e.classList.contains('hidden')).map(e => e.querySelector('.CodeMirror').CodeMirror.setValue({}))",
            serde_json::to_string(&headers).unwrap()
        ))
        .await;
    // GraphiQL parses the query a moment after it changes; the fetcher
    // picks the WebSocket for a parsed subscription.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    browser.click(".graphiql-execute-button").await;
    // Once the subscription runs, the next entry shows in the result pane.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let created = server
        .data(
            &server.admin_token,
            "mutation { createUser(input: { username: \"graphiql_watcher\" }) { id } }",
            json!({}),
        )
        .await;
    let id = created["createUser"]["id"].as_str().unwrap();
    browser
        .until(&format!(
            "document.querySelector('.result-window .CodeMirror')?.CodeMirror.getValue().includes({id:?})"
        ))
        .await;
}
