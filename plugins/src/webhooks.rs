//! Sends committed events to HTTP endpoints: each selected [`Event`] as its
//! JSON in a POST, signed (see [`signature`]), retried with exponential
//! backoff, and every final outcome appended to the log as
//! `Webhook.Delivered` or `Webhook.Failed`.
//!
//! Deliveries run on the plugin's own worker (see `PluginHost`): the
//! endpoints selected for one event are called concurrently, and the next
//! event waits until they are all done, so events reach an endpoint in
//! commit order.

mod delivery;
mod settings;
pub mod signature;
mod target;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;
use url::Url;
use usergraph_core::plugin::{Event, EventKind, Plugin, PluginLog};
use usergraph_core::{Error, Result};

pub use settings::{EndpointSettings, RetryPolicy, WebhooksSettings};
pub use signature::{SIGNATURE_HEADER, signature_header};
pub use target::forbidden_reason;

/// Log key of a delivery the endpoint accepted (2xx).
pub const DELIVERED: &str = "Webhook.Delivered";
/// Log key of a delivery given up: retries spent, a non-retryable answer,
/// or a refused target.
pub const FAILED: &str = "Webhook.Failed";

struct Endpoint {
    url: Url,
    /// The URL as logs show it: no credentials, no query.
    shown: String,
    secret: Vec<u8>,
    events: BTreeSet<EventKind>,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("url", &self.shown)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
pub struct Webhooks {
    endpoints: Vec<Endpoint>,
    client: reqwest::Client,
    policy: RetryPolicy,
    allow_private: bool,
}

impl Webhooks {
    pub const NAME: &'static str = "webhooks";

    pub fn new(settings: &WebhooksSettings) -> Result<Self> {
        let policy = settings::retry_policy(settings)?;
        if settings.endpoints.is_empty() {
            return Err(Error::validation(
                "plugins.webhooks.endpoints",
                "configure at least one endpoint",
            ));
        }
        let endpoints = settings
            .endpoints
            .iter()
            .enumerate()
            .map(|(i, endpoint)| {
                parse_endpoint(
                    endpoint,
                    &format!("plugins.webhooks.endpoints[{i}]"),
                    settings.allow_private_targets,
                )
            })
            .collect::<Result<Vec<_>>>()?;
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(target::GuardedResolver {
                allow_private: settings.allow_private_targets,
            }))
            // A redirect or a proxy would connect somewhere the target
            // check never saw.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("usergraph-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(Error::internal)?;
        Ok(Webhooks {
            endpoints,
            client,
            policy,
            allow_private: settings.allow_private_targets,
        })
    }
}

fn parse_endpoint(
    settings: &EndpointSettings,
    field: &str,
    allow_private: bool,
) -> Result<Endpoint> {
    let url_field = format!("{field}.url");
    let url = Url::parse(&settings.url).map_err(|_| {
        Error::validation(
            &url_field,
            "not a valid URL, e.g. https://example.com/hooks",
        )
    })?;
    match url.scheme() {
        "http" => {}
        "https" if cfg!(feature = "rustls") => {}
        "https" => {
            return Err(Error::validation(
                &url_field,
                "https endpoints need usergraph-plugins built with the `rustls` feature",
            ));
        }
        _ => {
            return Err(Error::validation(
                &url_field,
                "the URL must start with http:// or https://",
            ));
        }
    }
    if url.host().is_none() {
        return Err(Error::validation(&url_field, "the URL has no host"));
    }
    if let Err(refused) = target::check_literal(&url, allow_private) {
        return Err(Error::validation(
            &url_field,
            format!("{refused}; set allow_private_targets to permit it"),
        ));
    }
    if settings.secret.trim().is_empty() {
        return Err(Error::validation(
            format!("{field}.secret"),
            "every endpoint needs a non-empty secret to sign deliveries",
        ));
    }
    Ok(Endpoint {
        shown: shown_url(&url),
        url,
        secret: settings.secret.as_bytes().to_vec(),
        events: settings::event_kinds(&settings.events, &format!("{field}.events"))?,
    })
}

fn shown_url(url: &Url) -> String {
    let mut shown = url.clone();
    // Both only fail for URLs that cannot have credentials at all.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.into()
}

fn shown_url_of(raw: &str) -> String {
    Url::parse(raw).map_or_else(|_| "<not a URL>".to_owned(), |url| shown_url(&url))
}

#[async_trait]
impl Plugin for Webhooks {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn wants(&self, kind: EventKind) -> bool {
        self.endpoints.iter().any(|e| e.events.contains(&kind))
    }

    async fn after(&self, event: &Event, log: &PluginLog) {
        let body = match serde_json::to_vec(event) {
            Ok(body) => body,
            Err(error) => {
                tracing::error!(%error, event_id = %event.id, "webhook event did not serialize");
                return;
            }
        };
        let deliveries = self
            .endpoints
            .iter()
            .filter(|endpoint| endpoint.events.contains(&event.kind))
            .map(|endpoint| async {
                let outcome = delivery::deliver(
                    &self.client,
                    &self.policy,
                    self.allow_private,
                    endpoint,
                    event,
                    &body,
                )
                .await;
                record(log, endpoint, event, outcome).await;
            });
        futures::future::join_all(deliveries).await;
    }
}

async fn record(log: &PluginLog, endpoint: &Endpoint, event: &Event, outcome: delivery::Outcome) {
    let key = if outcome.error.is_none() {
        DELIVERED
    } else {
        FAILED
    };
    let payload = json!({
        "endpoint": endpoint.shown,
        "eventId": event.id,
        "eventKind": event.kind.as_str(),
        "attempts": outcome.attempts,
        "status": outcome.status,
    });
    if let Err(error) = log
        .append(key, event.user_id.clone(), payload, outcome.error)
        .await
    {
        tracing::error!(%error, endpoint = %endpoint.shown, event_id = %event.id, "could not log a webhook delivery");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_urls_drop_credentials_and_query() {
        assert_eq!(
            shown_url_of("https://user:pw@hooks.example.com:8443/in?token=s3cret#x"),
            "https://hooks.example.com:8443/in"
        );
    }
}
