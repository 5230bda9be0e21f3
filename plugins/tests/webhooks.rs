#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The webhook plugin driven through `PluginHost` against a receiver on
//! loopback, with its log entries read back from a real redb store.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::post;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use usergraph_core::plugin::{Event, EventKind, Plugin, PluginHost};
use usergraph_core::query::{LogFilter, LogSearch};
use usergraph_core::{LogEntry, LogResult, Storage, UserId};
use usergraph_plugins::webhooks::{DELIVERED, FAILED};
use usergraph_plugins::{EndpointSettings, Webhooks, WebhooksSettings};

const SECRET: &str = "whsec_0123456789";

#[derive(Debug)]
struct Hit {
    at: Instant,
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

/// Answers each POST with the next scripted status (then `fallback`),
/// after `delay`, and remembers what it got.
#[derive(Clone, Debug)]
struct Receiver {
    hits: Arc<Mutex<Vec<Hit>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
    fallback: u16,
    delay: Duration,
}

impl Receiver {
    fn new(script: &[u16], fallback: u16) -> Self {
        Receiver {
            hits: Arc::default(),
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
            fallback,
            delay: Duration::ZERO,
        }
    }

    async fn start(self) -> (SocketAddr, Arc<Mutex<Vec<Hit>>>) {
        let hits = Arc::clone(&self.hits);
        let app = Router::new()
            .route("/{*path}", post(receive))
            .with_state(self);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (addr, hits)
    }
}

async fn receive(
    State(receiver): State<Receiver>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    receiver.hits.lock().unwrap().push(Hit {
        at: Instant::now(),
        path: uri.path().to_owned(),
        headers,
        body,
    });
    tokio::time::sleep(receiver.delay).await;
    let status = receiver
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(receiver.fallback);
    StatusCode::from_u16(status).unwrap()
}

fn endpoint(url: String, events: &[&str]) -> EndpointSettings {
    EndpointSettings {
        url,
        secret: SECRET.into(),
        events: events.iter().map(|e| (*e).to_owned()).collect(),
    }
}

/// Tiny delays, loopback allowed.
fn settings(endpoints: Vec<EndpointSettings>) -> WebhooksSettings {
    WebhooksSettings {
        endpoints,
        timeout_ms: 2_000,
        max_attempts: 3,
        initial_backoff_ms: 30,
        max_backoff_ms: 1_000,
        allow_private_targets: true,
    }
}

struct Harness {
    host: PluginHost,
    storage: Arc<dyn Storage>,
    _dir: tempfile::TempDir,
}

impl Harness {
    fn new(settings: &WebhooksSettings) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let storage: Arc<dyn Storage> =
            Arc::new(usergraph_redb::RedbStorage::open(dir.path().join("db.redb")).unwrap());
        let plugin: Arc<dyn Plugin> = Arc::new(Webhooks::new(settings).unwrap());
        let host = PluginHost::new(vec![plugin], Arc::clone(&storage), 16).unwrap();
        Harness {
            host,
            storage,
            _dir: dir,
        }
    }

    /// Publishes and waits until the plugin is done with it.
    async fn send(&self, kind: EventKind) -> Event {
        let event = Event::new(
            kind,
            Some(UserId::parse("u-ada").unwrap()),
            None,
            json!({ "username": "ada" }),
        );
        self.host.publish(&event);
        assert!(
            self.host.drain(Duration::from_secs(20)).await,
            "deliveries did not finish"
        );
        event
    }

    async fn logs(&self, key: &str) -> Vec<LogEntry> {
        let search = LogSearch {
            filter: LogFilter {
                key: Some(key.to_owned()),
                ..LogFilter::default()
            },
            after: None,
            limit: 100,
            count_limit: None,
            oldest_first: false,
        };
        self.storage.search_logs(&search).await.unwrap().items
    }
}

/// The README's recipe: HMAC-SHA256(secret, t + "." + body), hex, compared
/// with the `v1` part of the header. The timestamp when it verifies.
fn verified_timestamp(header: &str, body: &[u8], secret: &str) -> Option<u64> {
    let mut timestamp = None;
    let mut signature = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", t)) => timestamp = Some(t),
            Some(("v1", v1)) => signature = Some(v1),
            _ => {}
        }
    }
    let timestamp = timestamp?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    (signature? == expected).then(|| timestamp.parse().unwrap())
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn delivers_a_signed_event_and_logs_it_without_secrets() {
    let (addr, hits) = Receiver::new(&[], 204).start().await;
    let url = format!("http://hook-user:hook-pw@{addr}/hooks/in?token=query-secret");
    let harness = Harness::new(&settings(vec![endpoint(url, &["UserCreated"])]));

    let event = harness.send(EventKind::UserCreated).await;

    let hits = std::mem::take(&mut *hits.lock().unwrap());
    assert_eq!(hits.len(), 1);
    let hit = &hits[0];
    assert_eq!(hit.path, "/hooks/in");
    assert_eq!(hit.headers["content-type"], "application/json");
    assert_eq!(hit.headers["usergraph-event-id"], event.id.as_str());
    assert_eq!(hit.headers["usergraph-event-kind"], "UserCreated");
    let header = hit.headers["usergraph-signature"].to_str().unwrap();
    let timestamp = verified_timestamp(header, &hit.body, SECRET).expect("signature verifies");
    assert!(unix_now().abs_diff(timestamp) <= 60);
    assert_eq!(
        verified_timestamp(header, &hit.body, "not-the-secret"),
        None
    );
    assert_eq!(
        verified_timestamp(header, b"{\"tampered\":1}", SECRET),
        None
    );
    let sent: Value = serde_json::from_slice(&hit.body).unwrap();
    assert_eq!(sent, serde_json::to_value(&event).unwrap());
    assert_eq!(sent["kind"], "UserCreated");
    assert_eq!(sent["userId"], "u-ada");

    let delivered = harness.logs(DELIVERED).await;
    assert_eq!(delivered.len(), 1);
    let entry = &delivered[0];
    assert_eq!(entry.result, LogResult::Success);
    assert_eq!(entry.user_id.as_ref().map(|u| u.as_str()), Some("u-ada"));
    assert_eq!(entry.payload["endpoint"], format!("http://{addr}/hooks/in"));
    assert_eq!(entry.payload["eventId"], event.id.as_str());
    assert_eq!(entry.payload["eventKind"], "UserCreated");
    assert_eq!(entry.payload["attempts"], 1);
    assert_eq!(entry.payload["status"], 204);
    assert_eq!(entry.payload["plugin"], "webhooks");
    let logged = format!("{entry:?}");
    for secret in [SECRET, "query-secret", "hook-pw"] {
        assert!(!logged.contains(secret), "{secret} leaked into {logged}");
    }
    assert!(harness.logs(FAILED).await.is_empty());
}

/// The example body in the README's Webhooks paragraph.
fn documented_body() -> Value {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let from = readme.find("Each body is one event as JSON").unwrap();
    let start = readme[from..].find("```json\n").unwrap() + from + "```json\n".len();
    let end = readme[start..].find("```").unwrap() + start;
    serde_json::from_str(&readme[start..end]).unwrap()
}

#[tokio::test]
async fn the_body_has_exactly_the_fields_the_readme_shows() {
    let (addr, hits) = Receiver::new(&[], 204).start().await;
    let harness = Harness::new(&settings(vec![endpoint(
        format!("http://{addr}/in"),
        &["*"],
    )]));
    let event = Event::new(
        EventKind::UserDeleted,
        Some(UserId::parse("u-ada").unwrap()),
        Some(UserId::parse("u-admin").unwrap()),
        json!({ "userId": "u-ada" }),
    );
    harness.host.publish(&event);
    assert!(harness.host.drain(Duration::from_secs(20)).await);

    let hits = std::mem::take(&mut *hits.lock().unwrap());
    let sent: Value = serde_json::from_slice(&hits[0].body).unwrap();
    let documented = documented_body();
    let keys =
        |value: &Value| -> Vec<String> { value.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(keys(&sent), keys(&documented));
    // Each field holds what the README's example shows, in the same type.
    for (key, shown) in documented.as_object().unwrap() {
        let kind = |v: &Value| std::mem::discriminant(v);
        assert_eq!(
            kind(&sent[key]),
            kind(shown),
            "{key}: {} vs {shown}",
            sent[key]
        );
    }
    assert_eq!(sent["id"], event.id.as_str());
    assert_eq!(sent["kind"], "UserDeleted");
    assert_eq!(sent["userId"], "u-ada");
    assert_eq!(sent["actorId"], "u-admin");
    let created = serde_json::from_value::<usergraph_core::Timestamp>(sent["createdAt"].clone());
    assert_eq!(
        created.ok(),
        Some(event.created_at),
        "{}",
        sent["createdAt"]
    );
}

#[tokio::test]
async fn retries_with_backoff_until_the_endpoint_accepts() {
    let (addr, hits) = Receiver::new(&[500, 503], 200).start().await;
    let harness = Harness::new(&settings(vec![endpoint(
        format!("http://{addr}/hook"),
        &["*"],
    )]));

    let event = harness.send(EventKind::PasswordSet).await;

    let hits = std::mem::take(&mut *hits.lock().unwrap());
    assert_eq!(hits.len(), 3);
    // Backoff 30 ms, then 60 ms.
    assert!(hits[1].at - hits[0].at >= Duration::from_millis(30));
    assert!(hits[2].at - hits[1].at >= Duration::from_millis(60));
    for hit in hits.iter() {
        assert_eq!(hit.headers["usergraph-event-id"], event.id.as_str());
        let header = hit.headers["usergraph-signature"].to_str().unwrap();
        assert!(verified_timestamp(header, &hit.body, SECRET).is_some());
    }
    let delivered = harness.logs(DELIVERED).await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].payload["attempts"], 3);
    assert_eq!(delivered[0].payload["status"], 200);
    assert!(harness.logs(FAILED).await.is_empty());
}

#[tokio::test]
async fn gives_up_after_the_retry_budget_with_a_failed_entry() {
    let (addr, hits) = Receiver::new(&[], 502).start().await;
    let harness = Harness::new(&settings(vec![endpoint(
        format!("http://{addr}/hook"),
        &["UserDeleted"],
    )]));

    let event = harness.send(EventKind::UserDeleted).await;

    assert_eq!(hits.lock().unwrap().len(), 3);
    let failed = harness.logs(FAILED).await;
    assert_eq!(failed.len(), 1);
    let entry = &failed[0];
    assert_eq!(entry.result, LogResult::Error);
    assert_eq!(entry.payload["attempts"], 3);
    assert_eq!(entry.payload["status"], 502);
    assert_eq!(entry.payload["eventId"], event.id.as_str());
    assert!(
        entry.error.as_deref().unwrap().contains("502"),
        "{:?}",
        entry.error
    );
    assert!(harness.logs(DELIVERED).await.is_empty());
}

#[tokio::test]
async fn a_client_error_answer_is_not_retried() {
    let (addr, hits) = Receiver::new(&[], 401).start().await;
    let harness = Harness::new(&settings(vec![endpoint(
        format!("http://{addr}/hook"),
        &["SignIn"],
    )]));

    harness.send(EventKind::SignIn).await;

    assert_eq!(hits.lock().unwrap().len(), 1);
    let failed = harness.logs(FAILED).await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].payload["attempts"], 1);
    assert_eq!(failed[0].payload["status"], 401);
}

#[tokio::test]
async fn a_loopback_name_is_refused_unless_private_targets_are_allowed() {
    let (addr, hits) = Receiver::new(&[], 200).start().await;
    let mut refused = settings(vec![endpoint(
        format!("http://localhost:{}/hook", addr.port()),
        &["UserCreated"],
    )]);
    refused.allow_private_targets = false;
    let harness = Harness::new(&refused);

    harness.send(EventKind::UserCreated).await;

    assert!(
        hits.lock().unwrap().is_empty(),
        "nothing may reach a refused target"
    );
    let failed = harness.logs(FAILED).await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].payload["attempts"], 1, "a refusal is not retried");
    assert_eq!(failed[0].payload["status"], Value::Null);
    let error = failed[0].error.as_deref().unwrap();
    assert!(
        error.contains("loopback") && error.contains("not allowed"),
        "{error}"
    );
}

#[tokio::test]
async fn a_private_ip_literal_is_refused_when_built() {
    let mut refused = settings(vec![endpoint("http://127.0.0.1:9/hook".into(), &["*"])]);
    refused.allow_private_targets = false;
    let error = Webhooks::new(&refused).unwrap_err();
    assert_eq!(error.code(), "VALIDATION");
    assert_eq!(error.field(), Some("plugins.webhooks.endpoints[0].url"));
    assert!(
        error.to_string().contains("allow_private_targets"),
        "{error}"
    );

    let mut metadata = settings(vec![endpoint(
        "http://169.254.169.254/latest".into(),
        &["*"],
    )]);
    metadata.allow_private_targets = false;
    assert!(Webhooks::new(&metadata).is_err());
}

#[tokio::test]
async fn a_slow_endpoint_times_out() {
    let mut receiver = Receiver::new(&[], 200);
    receiver.delay = Duration::from_secs(3);
    let (addr, hits) = receiver.start().await;
    let mut slow = settings(vec![endpoint(
        format!("http://{addr}/hook"),
        &["UserUpdated"],
    )]);
    slow.timeout_ms = 150;
    slow.max_attempts = 2;
    slow.initial_backoff_ms = 10;
    let harness = Harness::new(&slow);

    let started = Instant::now();
    harness.send(EventKind::UserUpdated).await;
    let elapsed = started.elapsed();

    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    assert_eq!(hits.lock().unwrap().len(), 2, "a timeout is retried");
    let failed = harness.logs(FAILED).await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].payload["attempts"], 2);
    assert_eq!(failed[0].error.as_deref(), Some("no answer within 150 ms"));
}

#[tokio::test]
async fn only_selected_events_are_sent_to_each_endpoint() {
    let (addr, hits) = Receiver::new(&[], 200).start().await;
    let harness = Harness::new(&settings(vec![
        endpoint(
            format!("http://{addr}/users"),
            &["UserCreated", "UserDeleted"],
        ),
        endpoint(format!("http://{addr}/signins"), &["SignIn"]),
    ]));

    harness.send(EventKind::UserUpdated).await;
    harness.send(EventKind::SignIn).await;
    harness.send(EventKind::UserCreated).await;

    let seen: Vec<(String, String)> = hits
        .lock()
        .unwrap()
        .iter()
        .map(|hit| {
            let kind = hit.headers["usergraph-event-kind"]
                .to_str()
                .unwrap()
                .to_owned();
            (hit.path.clone(), kind)
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("/signins".to_owned(), "SignIn".to_owned()),
            ("/users".to_owned(), "UserCreated".to_owned()),
        ]
    );
    assert_eq!(harness.logs(DELIVERED).await.len(), 2);
    assert_eq!(harness.host.dropped_events(), 0);
}

#[test]
fn invalid_settings_are_refused_with_the_setting_named() {
    let ok = || endpoint("http://hooks.example.com/in".into(), &["UserCreated"]);
    let cases: Vec<(WebhooksSettings, &str, &str)> = vec![
        (
            settings(vec![EndpointSettings {
                url: "not a url".into(),
                ..ok()
            }]),
            "plugins.webhooks.endpoints[0].url",
            "not a valid URL",
        ),
        (
            settings(vec![
                ok(),
                EndpointSettings {
                    url: "ftp://example.com/x".into(),
                    ..ok()
                },
            ]),
            "plugins.webhooks.endpoints[1].url",
            "http:// or https://",
        ),
        (
            settings(vec![EndpointSettings {
                secret: " ".into(),
                ..ok()
            }]),
            "plugins.webhooks.endpoints[0].secret",
            "non-empty secret",
        ),
        (
            settings(vec![EndpointSettings {
                events: vec!["UserCreated".into(), "UserExploded".into()],
                ..ok()
            }]),
            "plugins.webhooks.endpoints[0].events",
            "unknown event \"UserExploded\"",
        ),
        (
            settings(vec![EndpointSettings {
                events: Vec::new(),
                ..ok()
            }]),
            "plugins.webhooks.endpoints[0].events",
            "list the events",
        ),
        (
            settings(Vec::new()),
            "plugins.webhooks.endpoints",
            "at least one endpoint",
        ),
        (
            WebhooksSettings {
                max_attempts: 0,
                ..settings(vec![ok()])
            },
            "plugins.webhooks.max_attempts",
            "at least 1",
        ),
        (
            WebhooksSettings {
                max_backoff_ms: 1,
                initial_backoff_ms: 10,
                ..settings(vec![ok()])
            },
            "plugins.webhooks.max_backoff_ms",
            "initial_backoff_ms",
        ),
    ];
    for (settings, field, message) in cases {
        let error = Webhooks::new(&settings).unwrap_err();
        assert_eq!(error.code(), "VALIDATION");
        assert_eq!(error.field(), Some(field), "{error}");
        assert!(
            error.to_string().contains(message),
            "{error} lacks {message}"
        );
    }
    assert!(Webhooks::new(&settings(vec![ok()])).is_ok());
}

#[test]
fn settings_debug_output_hides_the_secret() {
    let shown = format!(
        "{:?}",
        settings(vec![endpoint("http://h.example/x?k=v".into(), &["*"])])
    );
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(!shown.contains("k=v"), "{shown}");
}
