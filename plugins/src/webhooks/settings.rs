//! `[plugins.webhooks]` and its checks.

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use usergraph_core::plugin::EventKind;
use usergraph_core::{Error, Result};

/// `[plugins.webhooks]`. Times are in milliseconds.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksSettings {
    pub endpoints: Vec<EndpointSettings>,
    /// Limit on one attempt: connecting, sending and the response headers.
    pub timeout_ms: u64,
    /// Attempts per event and endpoint, the first included.
    pub max_attempts: u32,
    /// Wait before the second attempt; each later wait doubles, up to
    /// `max_backoff_ms`.
    pub initial_backoff_ms: u64,
    pub max_backoff_ms: u64,
    /// Lets endpoints be private, loopback or link-local addresses (e.g. a
    /// receiver beside the service). Off by default: see the SSRF note in
    /// the README.
    pub allow_private_targets: bool,
}

impl Default for WebhooksSettings {
    fn default() -> Self {
        WebhooksSettings {
            endpoints: Vec::new(),
            timeout_ms: 10_000,
            max_attempts: 5,
            initial_backoff_ms: 1_000,
            max_backoff_ms: 60_000,
            allow_private_targets: false,
        }
    }
}

/// One `[[plugins.webhooks.endpoints]]`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointSettings {
    /// `http://` or `https://`.
    pub url: String,
    /// Keys the signature; share it with the receiver only.
    pub secret: String,
    /// Event kinds to send (`UserCreated`, ...), or `["*"]` for all.
    pub events: Vec<String>,
}

impl fmt::Debug for EndpointSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndpointSettings")
            .field("url", &super::shown_url_of(&self.url))
            .field("secret", &"<redacted>")
            .field("events", &self.events)
            .finish()
    }
}

/// How often and how patiently to retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub timeout: Duration,
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl RetryPolicy {
    /// The wait after failed attempt `attempt` (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

pub(super) fn retry_policy(settings: &WebhooksSettings) -> Result<RetryPolicy> {
    let field = |name: &str| format!("plugins.webhooks.{name}");
    if settings.timeout_ms == 0 {
        return Err(Error::validation(
            field("timeout_ms"),
            "timeout_ms must be at least 1",
        ));
    }
    if settings.max_attempts == 0 {
        return Err(Error::validation(
            field("max_attempts"),
            "max_attempts must be at least 1 (the first attempt counts)",
        ));
    }
    if settings.max_backoff_ms < settings.initial_backoff_ms {
        return Err(Error::validation(
            field("max_backoff_ms"),
            "max_backoff_ms must not be below initial_backoff_ms",
        ));
    }
    Ok(RetryPolicy {
        timeout: Duration::from_millis(settings.timeout_ms),
        max_attempts: settings.max_attempts,
        initial_backoff: Duration::from_millis(settings.initial_backoff_ms),
        max_backoff: Duration::from_millis(settings.max_backoff_ms),
    })
}

/// The selected kinds, or a `VALIDATION` error naming the bad entry.
pub(super) fn event_kinds(events: &[String], field: &str) -> Result<BTreeSet<EventKind>> {
    if events.is_empty() {
        return Err(Error::validation(
            field,
            "list the events to send, or [\"*\"] for all of them",
        ));
    }
    let mut kinds = BTreeSet::new();
    for raw in events {
        if raw == "*" {
            kinds.extend(EventKind::ALL);
            continue;
        }
        let kind = EventKind::parse(raw).ok_or_else(|| {
            let known: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
            Error::validation(
                field,
                format!("unknown event {raw:?}; known events: {}", known.join(", ")),
            )
        })?;
        kinds.insert(kind);
    }
    Ok(kinds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy {
            timeout: Duration::from_secs(1),
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
        };
        let waits: Vec<u128> = (1..=5).map(|a| policy.backoff(a).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 500, 500]);
        assert_eq!(policy.backoff(200), Duration::from_millis(500));
    }
}
