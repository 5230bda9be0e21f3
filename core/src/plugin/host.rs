//! Runs the registered plugins: before-hooks in registration order on the
//! request path, after-hooks on one task per plugin fed by a bounded queue.

use std::collections::BTreeSet;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use futures::FutureExt;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{Event, HookContext, Plugin, Proposal};
use crate::error::{Error, Result};
use crate::ids::{LogId, UserId};
use crate::model::{LogEntry, LogResult};
use crate::storage::{Storage, WriteOp};

/// Events waiting for one plugin. Beyond this the newest are dropped (and
/// counted) rather than slowing the requests that produce them.
pub const DEFAULT_QUEUE_CAPACITY: usize = 1024;

/// Lets an after-hook append audit entries of its own.
#[derive(Clone, Debug)]
pub struct PluginLog {
    storage: Arc<dyn Storage>,
    plugin: String,
}

impl PluginLog {
    /// Appends an immutable log entry about `user_id` (if any), e.g.
    /// `Webhook.Delivered`. The plugin's name is added to the payload.
    pub async fn append(
        &self,
        key: &str,
        user_id: Option<UserId>,
        mut payload: Value,
        error: Option<String>,
    ) -> Result<()> {
        if let Value::Object(fields) = &mut payload {
            fields.insert("plugin".into(), Value::String(self.plugin.clone()));
        }
        let entry = LogEntry {
            id: LogId::generate(),
            key: key.to_owned(),
            result: if error.is_some() {
                LogResult::Error
            } else {
                LogResult::Success
            },
            user_id,
            role_id: None,
            actor_id: None,
            token_id: None,
            ip: None,
            user_agent: None,
            payload,
            error,
            created_at: crate::time::now(),
        };
        self.storage
            .commit(vec![WriteOp::AppendLog(Box::new(entry))])
            .await
    }
}

#[derive(Debug)]
struct Registered {
    plugin: Arc<dyn Plugin>,
    queue: Option<Queue>,
}

#[derive(Debug)]
struct Queue {
    sender: mpsc::Sender<Event>,
    /// Events queued or being handled. The channel alone cannot tell when
    /// the event its worker has taken is finished, which `drain` waits for.
    pending: Arc<AtomicUsize>,
}

#[derive(Debug, Default)]
struct Inner {
    plugins: Vec<Registered>,
    workers: std::sync::Mutex<Vec<JoinHandle<()>>>,
    dropped: AtomicU64,
}

/// The plugins of one service, in the order they were registered.
#[derive(Clone, Debug, Default)]
pub struct PluginHost {
    inner: Arc<Inner>,
}

impl PluginHost {
    /// No plugins.
    pub fn empty() -> Self {
        PluginHost::default()
    }

    /// Registers `plugins` in order and starts one worker task per plugin
    /// that wants events; must be called inside a Tokio runtime. Two
    /// plugins with the same name are a `VALIDATION` error.
    pub fn new(
        plugins: Vec<Arc<dyn Plugin>>,
        storage: Arc<dyn Storage>,
        queue_capacity: usize,
    ) -> Result<Self> {
        let mut names = BTreeSet::new();
        let mut registered = Vec::with_capacity(plugins.len());
        let mut workers = Vec::new();
        for plugin in plugins {
            if !names.insert(plugin.name().to_owned()) {
                return Err(Error::validation(
                    "plugins",
                    format!("two plugins are named {:?}", plugin.name()),
                ));
            }
            let wants_any = super::EventKind::ALL.iter().any(|k| plugin.wants(*k));
            let queue = if wants_any {
                let (sender, receiver) = mpsc::channel(queue_capacity.max(1));
                let log = PluginLog {
                    storage: Arc::clone(&storage),
                    plugin: plugin.name().to_owned(),
                };
                let pending = Arc::new(AtomicUsize::new(0));
                workers.push(tokio::spawn(deliver(
                    Arc::clone(&plugin),
                    receiver,
                    log,
                    Arc::clone(&pending),
                )));
                Some(Queue { sender, pending })
            } else {
                None
            };
            registered.push(Registered { plugin, queue });
        }
        Ok(PluginHost {
            inner: Arc::new(Inner {
                plugins: registered,
                workers: std::sync::Mutex::new(workers),
                dropped: AtomicU64::new(0),
            }),
        })
    }

    pub fn names(&self) -> Vec<&str> {
        self.inner.plugins.iter().map(|r| r.plugin.name()).collect()
    }

    /// Asks every plugin in order; the first veto fails the operation with
    /// `REJECTED`. A before-hook that panics fails it with `INTERNAL`: a
    /// check that could not run must not let the change through.
    pub async fn before(&self, context: &HookContext, proposal: &Proposal<'_>) -> Result<()> {
        for registered in &self.inner.plugins {
            let plugin = &registered.plugin;
            let verdict = AssertUnwindSafe(plugin.before(context, proposal))
                .catch_unwind()
                .await;
            match verdict {
                Ok(Ok(())) => {}
                Ok(Err(rejection)) => {
                    return Err(Error::Rejected {
                        plugin: plugin.name().to_owned(),
                        field: rejection.field,
                        message: rejection.message,
                    });
                }
                Err(_) => {
                    tracing::error!(plugin = plugin.name(), "plugin panicked in its before-hook");
                    return Err(Error::internal(format!(
                        "plugin {:?} panicked in its before-hook",
                        plugin.name()
                    )));
                }
            }
        }
        Ok(())
    }

    /// Queues `event` for every plugin that wants it, without waiting: a
    /// full queue drops the event for that plugin, with a warning.
    pub fn publish(&self, event: &Event) {
        for registered in &self.inner.plugins {
            let Some(queue) = &registered.queue else {
                continue;
            };
            if !registered.plugin.wants(event.kind) {
                continue;
            }
            queue.pending.fetch_add(1, Ordering::SeqCst);
            if queue.sender.try_send(event.clone()).is_err() {
                queue.pending.fetch_sub(1, Ordering::SeqCst);
                self.inner.dropped.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    plugin = registered.plugin.name(),
                    event = event.kind.as_str(),
                    "plugin queue full or closed; event dropped"
                );
            }
        }
    }

    /// Events dropped because a plugin's queue was full.
    pub fn dropped_events(&self) -> u64 {
        self.inner.dropped.load(Ordering::Relaxed)
    }

    /// Waits up to `deadline` for the plugins to finish handling the events
    /// already published, the ones in progress included; `false` if some
    /// are still pending then. Call it when no more requests come (e.g. at
    /// shutdown): events published meanwhile are waited for too.
    pub async fn drain(&self, deadline: Duration) -> bool {
        let started = tokio::time::Instant::now();
        loop {
            let idle = self.inner.plugins.iter().all(|r| {
                r.queue
                    .as_ref()
                    .is_none_or(|q| q.pending.load(Ordering::SeqCst) == 0)
            });
            if idle {
                return true;
            }
            if started.elapsed() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Ok(workers) = self.workers.get_mut() {
            workers.iter().for_each(JoinHandle::abort);
        }
    }
}

/// One plugin's worker: events in order; a panic is logged and the worker
/// goes on with the next event.
async fn deliver(
    plugin: Arc<dyn Plugin>,
    mut queue: mpsc::Receiver<Event>,
    log: PluginLog,
    pending: Arc<AtomicUsize>,
) {
    while let Some(event) = queue.recv().await {
        let outcome = AssertUnwindSafe(plugin.after(&event, &log))
            .catch_unwind()
            .await;
        pending.fetch_sub(1, Ordering::SeqCst);
        if outcome.is_err() {
            tracing::error!(
                plugin = plugin.name(),
                event = event.kind.as_str(),
                event_id = %event.id,
                "plugin panicked while handling an event"
            );
        }
    }
}
