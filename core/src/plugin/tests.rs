#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The host's guarantees: before-hooks in order with the first veto
//! winning, after-hooks isolated from each other and from panics, a bounded
//! queue that drops rather than blocks, and a drain that really waits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::json;
use tokio::sync::{Notify, Semaphore};

use super::{Event, EventKind, HookContext, Plugin, PluginHost, PluginLog, Proposal, Rejection};
use crate::error::Result;
use crate::ids::{RoleId, TokenId, UserId};
use crate::model::{AccessToken, LogEntry, Role, TokenDigest, User};
use crate::query::{LogSearch, Page, RoleSearch, UserSearch};
use crate::storage::{Storage, UniqueKey, WriteOp};

/// Keeps the log entries plugins append; holds nothing else.
#[derive(Debug, Default)]
struct LogOnly {
    logs: Mutex<Vec<LogEntry>>,
}

#[async_trait]
impl Storage for LogOnly {
    async fn commit(&self, ops: Vec<WriteOp>) -> Result<()> {
        let mut logs = self.logs.lock().unwrap();
        for op in ops {
            match op {
                WriteOp::AppendLog(entry) => logs.push(*entry),
                other => panic!("plugins only append logs, got {other:?}"),
            }
        }
        Ok(())
    }
    async fn user(&self, _: &UserId) -> Result<Option<User>> {
        Ok(None)
    }
    async fn users(&self, _: &[UserId]) -> Result<Vec<User>> {
        Ok(Vec::new())
    }
    async fn user_by_key(&self, _: &UniqueKey) -> Result<Option<User>> {
        Ok(None)
    }
    async fn search_users(&self, _: &UserSearch) -> Result<Page<User>> {
        Ok(Page {
            items: Vec::new(),
            total: None,
        })
    }
    async fn role(&self, _: &RoleId) -> Result<Option<Role>> {
        Ok(None)
    }
    async fn roles(&self, _: &[RoleId]) -> Result<Vec<Role>> {
        Ok(Vec::new())
    }
    async fn role_by_name(&self, _: &str) -> Result<Option<Role>> {
        Ok(None)
    }
    async fn search_roles(&self, _: &RoleSearch) -> Result<Page<Role>> {
        Ok(Page {
            items: Vec::new(),
            total: None,
        })
    }
    async fn default_roles(&self) -> Result<Vec<Role>> {
        Ok(Vec::new())
    }
    async fn role_ids_of_users(&self, _: &[UserId]) -> Result<HashMap<UserId, Vec<RoleId>>> {
        Ok(HashMap::new())
    }
    async fn search_logs(&self, _: &LogSearch) -> Result<Page<LogEntry>> {
        let items = self.logs.lock().unwrap().clone();
        Ok(Page { items, total: None })
    }
    async fn token(&self, _: &TokenId) -> Result<Option<AccessToken>> {
        Ok(None)
    }
    async fn token_by_digest(&self, _: &TokenDigest) -> Result<Option<AccessToken>> {
        Ok(None)
    }
    async fn tokens_of_user(&self, _: &UserId) -> Result<Vec<AccessToken>> {
        Ok(Vec::new())
    }
    async fn cursor_key(&self, _: [u8; 32]) -> Result<[u8; 32]> {
        Ok([7; 32])
    }
}

type Journal = Arc<Mutex<Vec<String>>>;

/// A configurable plugin that writes what happens to it in a journal.
#[derive(Debug)]
struct Probe {
    name: &'static str,
    journal: Journal,
    reject: bool,
    panic_before: bool,
    /// After-hooks panic on this kind.
    panic_on: Option<EventKind>,
    wants: Vec<EventKind>,
    /// Each after-hook waits for a permit from here, when set.
    gate: Option<Arc<Semaphore>>,
    started: Arc<Notify>,
    delay: Duration,
    log_key: Option<&'static str>,
}

impl Probe {
    fn new(name: &'static str, journal: &Journal) -> Self {
        Probe {
            name,
            journal: Arc::clone(journal),
            reject: false,
            panic_before: false,
            panic_on: None,
            wants: EventKind::ALL.to_vec(),
            gate: None,
            started: Arc::new(Notify::new()),
            delay: Duration::ZERO,
            log_key: None,
        }
    }
}

#[async_trait]
impl Plugin for Probe {
    fn name(&self) -> &str {
        self.name
    }

    fn wants(&self, kind: EventKind) -> bool {
        self.wants.contains(&kind)
    }

    async fn before(&self, _: &HookContext, _: &Proposal<'_>) -> Result<(), Rejection> {
        self.journal
            .lock()
            .unwrap()
            .push(format!("{} before", self.name));
        if self.panic_before {
            panic!("{} breaks", self.name);
        }
        if self.reject {
            return Err(Rejection::new(format!("{} says no", self.name)).on_field("password"));
        }
        Ok(())
    }

    async fn after(&self, event: &Event, log: &PluginLog) {
        self.started.notify_one();
        if let Some(gate) = &self.gate {
            gate.acquire().await.unwrap().forget();
        }
        tokio::time::sleep(self.delay).await;
        if self.panic_on == Some(event.kind) {
            panic!("{} cannot handle {}", self.name, event.kind.as_str());
        }
        if let Some(key) = self.log_key {
            log.append(
                key,
                event.user_id.clone(),
                json!({ "event": event.id }),
                None,
            )
            .await
            .unwrap();
        }
        self.journal
            .lock()
            .unwrap()
            .push(format!("{} {}", self.name, event.kind.as_str()));
    }
}

fn host(plugins: Vec<Probe>, capacity: usize) -> (PluginHost, Arc<LogOnly>) {
    let storage = Arc::new(LogOnly::default());
    let plugins = plugins
        .into_iter()
        .map(|p| Arc::new(p) as Arc<dyn Plugin>)
        .collect();
    let host =
        PluginHost::new(plugins, Arc::clone(&storage) as Arc<dyn Storage>, capacity).unwrap();
    (host, storage)
}

fn event(kind: EventKind) -> Event {
    Event::new(kind, Some(UserId::parse("u1").unwrap()), None, json!({}))
}

fn user() -> User {
    serde_json::from_value(json!({
        "id": "u1",
        "username": "ada",
        "primaryEmail": null,
        "primaryPhone": null,
        "name": null,
        "avatar": null,
        "profile": {},
        "customData": {},
        "identities": {},
        "password": null,
        "isSuspended": false,
        "lastSignInAt": null,
        "createdAt": "2026-01-01T00:00:00Z",
        "updatedAt": "2026-01-01T00:00:00Z",
        "version": 1
    }))
    .unwrap()
}

fn journal() -> Journal {
    Arc::new(Mutex::new(Vec::new()))
}

fn entries(journal: &Journal) -> Vec<String> {
    journal.lock().unwrap().clone()
}

#[tokio::test]
async fn before_hooks_run_in_order_and_the_first_rejection_wins() {
    let journal = journal();
    let (host, _) = host(
        vec![
            Probe::new("first", &journal),
            Probe {
                reject: true,
                ..Probe::new("second", &journal)
            },
            Probe {
                reject: true,
                ..Probe::new("third", &journal)
            },
        ],
        8,
    );
    assert_eq!(host.names(), ["first", "second", "third"]);
    let user = user();
    let error = host
        .before(
            &HookContext::default(),
            &Proposal::SetPassword {
                user: &user,
                password: "pw",
            },
        )
        .await
        .unwrap_err();
    assert_eq!(error.code(), "REJECTED");
    assert_eq!(error.to_string(), "second says no");
    assert_eq!(error.field(), Some("password"));
    assert!(matches!(error, crate::Error::Rejected { ref plugin, .. } if plugin == "second"));
    assert_eq!(entries(&journal), ["first before", "second before"]);
}

#[tokio::test]
async fn before_hooks_that_all_agree_let_the_change_through() {
    let journal = journal();
    let (host, _) = host(
        vec![Probe::new("a", &journal), Probe::new("b", &journal)],
        8,
    );
    let user = user();
    host.before(
        &HookContext::default(),
        &Proposal::CreateUser { user: &user },
    )
    .await
    .unwrap();
    assert_eq!(entries(&journal), ["a before", "b before"]);
}

#[tokio::test]
async fn a_panicking_before_hook_fails_the_change_as_internal() {
    let journal = journal();
    let (host, _) = host(
        vec![
            Probe {
                panic_before: true,
                ..Probe::new("broken", &journal)
            },
            Probe::new("next", &journal),
        ],
        8,
    );
    let user = user();
    let error = host
        .before(&HookContext::default(), &Proposal::SignIn { user: &user })
        .await
        .unwrap_err();
    assert_eq!(error.code(), "INTERNAL");
    assert_eq!(entries(&journal), ["broken before"]);
}

#[tokio::test]
async fn a_panicking_after_hook_stops_neither_later_events_nor_other_plugins() {
    let journal = journal();
    let (host, _) = host(
        vec![
            Probe {
                panic_on: Some(EventKind::UserCreated),
                ..Probe::new("fragile", &journal)
            },
            Probe::new("steady", &journal),
        ],
        8,
    );
    for kind in [
        EventKind::UserCreated,
        EventKind::UserUpdated,
        EventKind::UserDeleted,
    ] {
        host.publish(&event(kind));
    }
    assert!(host.drain(Duration::from_secs(5)).await);
    let seen = entries(&journal);
    let of = |name: &str| -> Vec<String> {
        seen.iter()
            .filter(|e| e.starts_with(name))
            .cloned()
            .collect()
    };
    assert_eq!(
        of("fragile"),
        ["fragile UserUpdated", "fragile UserDeleted"]
    );
    assert_eq!(
        of("steady"),
        [
            "steady UserCreated",
            "steady UserUpdated",
            "steady UserDeleted"
        ]
    );
}

#[tokio::test]
async fn a_stuck_after_hook_delays_no_other_plugin() {
    let journal = journal();
    let gate = Arc::new(Semaphore::new(0));
    let (host, _) = host(
        vec![
            Probe {
                gate: Some(Arc::clone(&gate)),
                ..Probe::new("stuck", &journal)
            },
            Probe::new("free", &journal),
        ],
        8,
    );
    host.publish(&event(EventKind::UserCreated));
    host.publish(&event(EventKind::UserUpdated));
    let waiting = tokio::time::timeout(Duration::from_secs(5), async {
        while entries(&journal).len() < 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    waiting.await.unwrap();
    assert_eq!(entries(&journal), ["free UserCreated", "free UserUpdated"]);
    gate.add_permits(2);
    assert!(host.drain(Duration::from_secs(5)).await);
    assert_eq!(entries(&journal).len(), 4);
}

#[tokio::test]
async fn a_full_queue_drops_events_without_blocking_publish() {
    let journal = journal();
    let gate = Arc::new(Semaphore::new(0));
    let probe = Probe {
        gate: Some(Arc::clone(&gate)),
        ..Probe::new("slow", &journal)
    };
    let started = Arc::clone(&probe.started);
    let (host, _) = host(vec![probe], 1);

    host.publish(&event(EventKind::UserCreated));
    // The worker holds the first event; the queue's one slot is free.
    tokio::time::timeout(Duration::from_secs(5), started.notified())
        .await
        .unwrap();
    let publishing = std::time::Instant::now();
    host.publish(&event(EventKind::UserUpdated));
    host.publish(&event(EventKind::UserDeleted));
    host.publish(&event(EventKind::SignIn));
    assert!(publishing.elapsed() < Duration::from_secs(1));
    assert_eq!(host.dropped_events(), 2);

    gate.add_permits(10);
    assert!(host.drain(Duration::from_secs(5)).await);
    assert_eq!(entries(&journal), ["slow UserCreated", "slow UserUpdated"]);
}

#[tokio::test]
async fn drain_waits_for_the_event_in_progress_and_the_queued_ones() {
    let journal = journal();
    let (host, _) = host(
        vec![Probe {
            delay: Duration::from_millis(40),
            ..Probe::new("slow", &journal)
        }],
        8,
    );
    for kind in [
        EventKind::UserCreated,
        EventKind::UserUpdated,
        EventKind::UserDeleted,
    ] {
        host.publish(&event(kind));
    }
    assert!(host.drain(Duration::from_secs(5)).await);
    assert_eq!(
        entries(&journal),
        ["slow UserCreated", "slow UserUpdated", "slow UserDeleted"]
    );
}

#[tokio::test]
async fn drain_gives_up_at_its_deadline() {
    let journal = journal();
    let gate = Arc::new(Semaphore::new(0));
    let (host, _) = host(
        vec![Probe {
            gate: Some(Arc::clone(&gate)),
            ..Probe::new("stuck", &journal)
        }],
        8,
    );
    host.publish(&event(EventKind::UserCreated));
    assert!(!host.drain(Duration::from_millis(50)).await);
    gate.add_permits(1);
    assert!(host.drain(Duration::from_secs(5)).await);
    assert_eq!(entries(&journal), ["stuck UserCreated"]);
}

#[tokio::test]
async fn events_reach_only_the_plugins_that_want_them() {
    let journal = journal();
    let (host, _) = host(
        vec![
            Probe {
                wants: vec![EventKind::SignIn],
                ..Probe::new("signins", &journal)
            },
            Probe {
                wants: Vec::new(),
                ..Probe::new("deaf", &journal)
            },
        ],
        8,
    );
    host.publish(&event(EventKind::UserCreated));
    host.publish(&event(EventKind::SignIn));
    assert!(host.drain(Duration::from_secs(5)).await);
    assert_eq!(entries(&journal), ["signins SignIn"]);
    assert_eq!(host.dropped_events(), 0);
}

#[tokio::test]
async fn two_plugins_with_one_name_are_refused() {
    let journal = journal();
    let plugins: Vec<Arc<dyn Plugin>> = vec![
        Arc::new(Probe::new("twin", &journal)),
        Arc::new(Probe::new("twin", &journal)),
    ];
    let error = PluginHost::new(plugins, Arc::new(LogOnly::default()), 8).unwrap_err();
    assert_eq!(error.code(), "VALIDATION");
    assert!(error.to_string().contains("twin"), "{error}");
}

#[tokio::test]
async fn after_hooks_append_log_entries_naming_the_plugin() {
    let journal = journal();
    let (host, storage) = host(
        vec![Probe {
            log_key: Some("Probe.Seen"),
            ..Probe::new("auditor", &journal)
        }],
        8,
    );
    let published = event(EventKind::UserCreated);
    host.publish(&published);
    assert!(host.drain(Duration::from_secs(5)).await);
    let logs = storage.logs.lock().unwrap().clone();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].key, "Probe.Seen");
    assert_eq!(logs[0].user_id, published.user_id);
    assert_eq!(logs[0].payload["plugin"], "auditor");
    assert_eq!(logs[0].payload["event"], published.id.as_str());
}
