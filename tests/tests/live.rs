//! Subscriptions over a real WebSocket (`graphql-transport-ws`): the
//! audit log live with replay, user changes, who may subscribe and for how
//! long, and the connection's limits.

// A panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use usergraph::ApiSettings;
use usergraph_core::service::CreateUser;
use usergraph_core::{Caller, ServiceSettings};
use usergraph_tests::TestServer;
use usergraph_tests::live::{
    Event, LOG_ADDED, LiveClient, newest_cursor_of, newest_entry, stored_ids_after,
};

const USER_CHANGED: &str = "subscription($id: ID, $after: String) {
    userChanged(id: $id, after: $after) { kind userId user { id name isSuspended roles { name } } log { node { key } } } }";

const TOUCH: &str =
    "mutation($id: ID!, $n: Int!) { updateUserCustomData(id: $id, customData: { n: $n }) { id } }";

/// Subscribes after the newest entry while eight clients make 1,000
/// writes, and checks that the events are what `logs` then lists.
async fn replay_meets_live_under_concurrent_writers(server: &TestServer) {
    const WRITES: usize = 1000;
    const WRITERS: usize = 8;
    // All eight edit one user, without pause, while a subscriber reads:
    // writers of one user in one process take their turns (before they did,
    // some ran out of retries here with CONFLICT).
    let target = server.create_user(json!({ "username": "busy" })).await;
    let targets = vec![target; WRITERS];
    let (cursor, cursor_id) = newest_entry(server).await;
    let writers: Vec<_> = targets
        .into_iter()
        .enumerate()
        .map(|(writer, target)| {
            let admin = server.admin_client();
            tokio::spawn(async move {
                for n in (writer..WRITES).step_by(WRITERS) {
                    admin.data(TOUCH, json!({ "id": target, "n": n })).await;
                }
            })
        })
        .collect();
    // Subscribe while the writers are busy: some entries are replayed from
    // storage, the others arrive live.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut client = LiveClient::connect(server, server.admin_token()).await;
    client
        .subscribe("all", LOG_ADDED, json!({ "after": cursor }))
        .await;
    for writer in writers {
        writer.await.unwrap();
    }
    let expected = stored_ids_after(server, &cursor_id).await;
    assert_eq!(expected.len(), WRITES);
    let mut received = Vec::new();
    while received.len() < expected.len() {
        received.push(usergraph_tests::live::event_id(
            &client.next_data("all").await,
        ));
    }
    assert_eq!(received, expected, "in log order, none missing, none twice");
}

#[tokio::test]
async fn log_added_replays_then_goes_live_with_no_gap_and_no_repeat_under_concurrent_writers() {
    replay_meets_live_under_concurrent_writers(&TestServer::start().await).await;
}

#[tokio::test]
async fn the_same_over_sled() {
    let dir = tempfile::tempdir().unwrap();
    let sled = usergraph_sled::SledStorage::open(dir.path().join("sled")).unwrap();
    let server = TestServer::on_store(std::sync::Arc::new(sled)).await;
    replay_meets_live_under_concurrent_writers(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_the_same_over_postgres() {
    let (store, schema) = usergraph_tests::postgres::store_in_own_schema("live_ws").await;
    let cleaner = store.clone();
    let server = TestServer::on_store(std::sync::Arc::new(store)).await;
    replay_meets_live_under_concurrent_writers(&server).await;
    server.shutdown().await;
    usergraph_tests::postgres::drop_schema(&cleaner, &schema)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_resumed_subscription_starts_after_the_cursor_of_the_last_event() {
    let server = TestServer::start().await;
    let target = server.create_user(json!({ "username": "resumed" })).await;
    let (cursor, _) = newest_entry(&server).await;
    let mut client = LiveClient::connect(&server, server.admin_token()).await;
    client
        .subscribe("a", LOG_ADDED, json!({ "after": cursor }))
        .await;
    server.data(TOUCH, json!({ "id": target, "n": 1 })).await;
    let first = client.next_data("a").await;
    client.stop("a").await;
    for n in 2..=4 {
        server.data(TOUCH, json!({ "id": target, "n": n })).await;
    }
    let resume = first["logAdded"]["cursor"].as_str().unwrap();
    client
        .subscribe("b", LOG_ADDED, json!({ "after": resume }))
        .await;
    let mut payloads = Vec::new();
    for _ in 0..3 {
        let data = client.next_data("b").await;
        assert_eq!(data["logAdded"]["node"]["key"], "User.CustomData.Updated");
        payloads.push(usergraph_tests::live::event_id(&data));
    }
    let (_, newest) = newest_entry(&server).await;
    assert_eq!(payloads.last(), Some(&newest));
}

#[tokio::test]
async fn a_self_service_user_receives_only_its_own_entries() {
    let server = TestServer::start().await;
    let user = server.user_with_permissions("selfie", &[]).await;
    let other = server.create_user(json!({ "username": "other" })).await;
    let mut client = LiveClient::connect(&server, &user.token).await;

    client.subscribe("everything", LOG_ADDED, json!({})).await;
    assert_eq!(client.next("everything").await.code(), Some("FORBIDDEN"));

    let own_cursor = newest_cursor_of(&server, &user.id).await;
    client
        .subscribe(
            "own",
            LOG_ADDED,
            json!({ "filter": { "userId": user.id }, "after": own_cursor }),
        )
        .await;
    server.data(TOUCH, json!({ "id": other, "n": 1 })).await;
    server.data(TOUCH, json!({ "id": user.id, "n": 2 })).await;
    let event = client.next_data("own").await;
    assert_eq!(event["logAdded"]["node"]["userId"], json!(user.id));

    client
        .subscribe("users", USER_CHANGED, json!({ "id": other }))
        .await;
    assert_eq!(client.next("users").await.code(), Some("FORBIDDEN"));
}

#[tokio::test]
async fn a_revoked_token_ends_its_subscriptions_within_seconds() {
    let server = TestServer::start().await;
    let auditor = server
        .user_with_permissions("auditor", &["logs:read"])
        .await;
    let mut client = LiveClient::connect(&server, &auditor.token).await;
    client.subscribe("logs", LOG_ADDED, json!({})).await;
    let started = Instant::now();
    server
        .data(
            "mutation($id: ID!) { revokePersonalAccessToken(id: $id) { id } }",
            json!({ "id": auditor.token_id }),
        )
        .await;
    // The revocation's own entry may come first; the end follows.
    let ended = client.end("logs").await;
    assert_eq!(ended.code(), Some("UNAUTHENTICATED"), "{ended:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(client.next("logs").await, Event::Complete);
}

#[tokio::test]
async fn a_permission_taken_from_the_role_ends_the_subscription() {
    let server = TestServer::start().await;
    let auditor = server
        .user_with_permissions("watcher", &["logs:read"])
        .await;
    let mut client = LiveClient::connect(&server, &auditor.token).await;
    client.subscribe("logs", LOG_ADDED, json!({})).await;
    server
        .data(
            "mutation($id: ID!) { updateRole(id: $id, input: { permissions: [] }) { id } }",
            json!({ "id": auditor.role_id }),
        )
        .await;
    let ended = client.end("logs").await;
    assert_eq!(ended.code(), Some("FORBIDDEN"), "{ended:?}");
}

#[tokio::test]
async fn a_reader_that_falls_behind_gets_lagged_with_a_cursor_and_resumes_without_loss() {
    let server = TestServer::with_all_settings(
        ApiSettings::default(),
        ServiceSettings {
            live_buffer: 4,
            ..ServiceSettings::default()
        },
    )
    .await;
    let marker = server.create_user(json!({ "username": "marker" })).await;
    let (cursor, cursor_id) = newest_entry(&server).await;
    let mut client = LiveClient::connect(&server, server.admin_token()).await;
    client
        .subscribe("a", LOG_ADDED, json!({ "after": cursor }))
        .await;
    // Once this write's entry arrives, the subscription is live.
    server.data(TOUCH, json!({ "id": marker, "n": 1 })).await;
    let mut received = vec![usergraph_tests::live::event_id(
        &client.next_data("a").await,
    )];
    // One bulk write releases 50 entries at once, more than the buffer.
    let inputs: Vec<CreateUser> = (0..50)
        .map(|i| CreateUser {
            username: Some(format!("bulk{i}")),
            ..CreateUser::default()
        })
        .collect();
    let created = server
        .service
        .create_users_batch(&Caller::system(), inputs)
        .await
        .unwrap();
    assert!(created.iter().all(Result::is_ok));
    let expected = stored_ids_after(&server, &cursor_id).await;

    let lagged = loop {
        match client.next("a").await {
            Event::Data(data) => received.push(usergraph_tests::live::event_id(&data)),
            other => break other,
        }
    };
    assert_eq!(lagged.code(), Some("LAGGED"), "{lagged:?}");
    let Event::Error(error) = &lagged else {
        unreachable!()
    };
    let resume = error["extensions"]["lastCursor"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or(cursor);
    client
        .subscribe("b", LOG_ADDED, json!({ "after": resume }))
        .await;
    while received.len() < expected.len() {
        received.push(usergraph_tests::live::event_id(
            &client.next_data("b").await,
        ));
    }
    assert_eq!(received, expected);
}

#[tokio::test]
async fn user_changed_tells_what_happened_with_the_user_as_it_is_now() {
    let server = TestServer::start().await;
    let id = server.create_user(json!({ "username": "changing" })).await;
    let role = server
        .create_role(json!({ "name": "Support", "permissions": [] }))
        .await;
    let mut client = LiveClient::connect(&server, server.admin_token()).await;
    // From cursors taken before the changes, so that none is missed
    // however long the server takes to start the subscriptions.
    let (all_cursor, _) = newest_entry(&server).await;
    let one_cursor = newest_cursor_of(&server, &id).await;
    client
        .subscribe(
            "one",
            USER_CHANGED,
            json!({ "id": id, "after": one_cursor }),
        )
        .await;
    client
        .subscribe("all", USER_CHANGED, json!({ "after": all_cursor }))
        .await;
    // Another user's creation reaches the subscription to all users only:
    // the one-user subscription's first event is the update below.
    let other = server.create_user(json!({ "username": "newcomer" })).await;

    server
        .data(
            "mutation($id: ID!) { updateUser(id: $id, input: { name: \"Ada\" }) { id } }",
            json!({ "id": id }),
        )
        .await;
    let updated = client.next_data("one").await;
    assert_eq!(updated["userChanged"]["kind"], "UPDATED");
    assert_eq!(updated["userChanged"]["user"]["name"], "Ada");
    assert_eq!(updated["userChanged"]["log"]["node"]["key"], "User.Updated");

    server
        .data(
            "mutation($id: ID!) { setUserSuspended(id: $id, suspended: true) { id } }",
            json!({ "id": id }),
        )
        .await;
    let suspended = client.next_data("one").await;
    assert_eq!(suspended["userChanged"]["kind"], "SUSPENDED");
    assert_eq!(suspended["userChanged"]["user"]["isSuspended"], true);

    server
        .data(
            "mutation($u: ID!, $r: [ID!]!) { assignUserRoles(userId: $u, roleIds: $r) { id } }",
            json!({ "u": id, "r": [role] }),
        )
        .await;
    let roles = client.next_data("one").await;
    assert_eq!(roles["userChanged"]["kind"], "ROLES_CHANGED");
    assert_eq!(roles["userChanged"]["user"]["roles"][0]["name"], "Support");

    server
        .data(
            "mutation($id: ID!) { deleteUser(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    let deleted = client.next_data("one").await;
    assert_eq!(deleted["userChanged"]["kind"], "DELETED");
    assert_eq!(deleted["userChanged"]["user"], Value::Null);

    let mut all = Vec::new();
    for _ in 0..5 {
        let event = client.next_data("all").await;
        all.push((
            event["userChanged"]["kind"].clone(),
            event["userChanged"]["userId"].clone(),
        ));
    }
    assert_eq!(
        all,
        [
            (json!("CREATED"), json!(other)),
            (json!("UPDATED"), json!(id)),
            (json!("SUSPENDED"), json!(id)),
            (json!("ROLES_CHANGED"), json!(id)),
            (json!("DELETED"), json!(id)),
        ]
    );
}

#[tokio::test]
async fn a_connection_needs_a_valid_token_in_connection_init() {
    let server = TestServer::start().await;
    let mut client = LiveClient::open(&server).await;
    client.init(json!({})).await;
    let frame = client.closed().await.expect("a close frame");
    assert!(frame.reason.starts_with("UNAUTHENTICATED"), "{frame:?}");

    let mut client = LiveClient::open(&server).await;
    client
        .init(json!({ "Authorization": "Bearer ug_pat_not-a-real-token" }))
        .await;
    let frame = client.closed().await.expect("a close frame");
    assert!(frame.reason.starts_with("UNAUTHENTICATED"), "{frame:?}");
}

#[tokio::test]
async fn subscriptions_over_http_are_refused_with_a_pointer_to_websocket() {
    let server = TestServer::start().await;
    let refused = server.graphql(LOG_ADDED, json!({})).await;
    assert!(refused.body.get("errors").is_some(), "{}", refused.body);
}

#[tokio::test]
async fn connection_limits_hold() {
    let server = TestServer::with_settings(ApiSettings {
        max_live_connections_per_token: 1,
        max_subscriptions_per_connection: 1,
        ..ApiSettings::default()
    })
    .await;
    let mut first = LiveClient::connect(&server, server.admin_token()).await;
    first.subscribe("a", LOG_ADDED, json!({})).await;
    first.subscribe("b", LOG_ADDED, json!({})).await;
    let refused = first.next("b").await;
    assert_eq!(refused.code(), Some("LIMIT_EXCEEDED"), "{refused:?}");
    assert!(
        matches!(&refused, Event::Error(e) if e["message"].as_str().unwrap().contains("at most 1 subscriptions")),
        "{refused:?}"
    );

    let mut second = LiveClient::open(&server).await;
    second
        .init(json!({ "Authorization": format!("Bearer {}", server.admin_token()) }))
        .await;
    let frame = second.closed().await.expect("a close frame");
    assert!(frame.reason.starts_with("LIMIT_EXCEEDED"), "{frame:?}");

    // The first connection's end frees its place.
    drop(first);
    tokio::time::sleep(Duration::from_millis(200)).await;
    LiveClient::connect(&server, server.admin_token()).await;
}

#[tokio::test]
async fn oversized_messages_close_the_connection() {
    let server = TestServer::with_settings(ApiSettings {
        max_live_message_bytes: 1024,
        ..ApiSettings::default()
    })
    .await;
    let mut client = LiveClient::connect(&server, server.admin_token()).await;
    let big = json!({ "id": "x", "type": "subscribe", "payload": { "query": "x".repeat(4096) } });
    let _ = client.send_text(big.to_string()).await;
    client.closed().await;
}

#[tokio::test]
async fn the_server_pings_and_closes_idle_and_uninitialised_connections() {
    let server = TestServer::with_settings(ApiSettings {
        live_keepalive: Duration::from_millis(300),
        live_idle_timeout: Duration::from_secs(2),
        live_init_timeout: Duration::from_secs(1),
        ..ApiSettings::default()
    })
    .await;
    let mut idle = LiveClient::connect(&server, server.admin_token()).await;
    let frame = idle.closed().await.expect("a close frame");
    assert_eq!(u16::from(frame.code), 1000, "{frame:?}");
    assert!(
        idle.pings >= 2,
        "{} pings before the idle close",
        idle.pings
    );

    let mut silent = LiveClient::open(&server).await;
    let frame = silent.closed().await.expect("a close frame");
    assert_eq!(u16::from(frame.code), 4408, "{frame:?}");
}

#[tokio::test]
async fn a_client_that_never_answers_the_pings_is_closed() {
    let server = TestServer::with_settings(ApiSettings {
        live_keepalive: Duration::from_millis(300),
        ..ApiSettings::default()
    })
    .await;
    let mut deaf = LiveClient::connect(&server, server.admin_token()).await;
    let started = Instant::now();
    let frame = deaf.silent_until_closed().await.expect("a close frame");
    assert_eq!(u16::from(frame.code), 3008, "{frame:?}");
    // Twice the ping period and a second of grace.
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_token_nested_under_headers_in_connection_init_is_accepted() {
    let server = TestServer::start().await;
    let mut client = LiveClient::open(&server).await;
    // As clients that pass their HTTP headers along send it.
    client
        .init(json!({
            "headers": { "Authorization": format!("Bearer {}", server.admin_token()) },
            "documentAST": { "kind": "Document", "definitions": [] },
        }))
        .await;
    let ack = client.next_protocol_message().await.expect("acknowledged");
    assert_eq!(ack["type"], "connection_ack");
    let (cursor, _) = newest_entry(&server).await;
    client
        .subscribe("g", LOG_ADDED, json!({ "after": cursor }))
        .await;
    let id = server
        .create_user(json!({ "username": "seen_in_graphiql" }))
        .await;
    let event = client.next_data("g").await;
    assert_eq!(event["logAdded"]["node"]["userId"], json!(id));
}

#[tokio::test]
async fn suspending_the_owner_ends_the_subscription() {
    let server = TestServer::start().await;
    let auditor = server
        .user_with_permissions("suspendee", &["logs:read"])
        .await;
    let mut client = LiveClient::connect(&server, &auditor.token).await;
    client.subscribe("logs", LOG_ADDED, json!({})).await;
    server
        .data(
            "mutation($id: ID!) { setUserSuspended(id: $id, suspended: true) { id } }",
            json!({ "id": auditor.id }),
        )
        .await;
    let ended = client.end("logs").await;
    assert_eq!(ended.code(), Some("UNAUTHENTICATED"), "{ended:?}");
}
