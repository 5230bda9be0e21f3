//! Prometheus metrics. Everything is recorded through the `metrics` facade;
//! [`install`] puts a Prometheus recorder behind it, and `GET /metrics`
//! (see [`crate::health`]) renders it. Without [`install`] the macros are
//! no-ops, so an embedding host that does not want metrics pays nothing.
//!
//! Labels are bounded: `operation` is a root field of the schema (or
//! `invalid` when the request did not validate), never the client-chosen
//! operation name; `code` is an error code; `method` a `Storage` method.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

pub const REQUESTS: &str = "usergraph_requests_total";
pub const REQUEST_DURATION: &str = "usergraph_request_duration_seconds";
pub const ERRORS: &str = "usergraph_errors_total";
pub const STORAGE_CALL_DURATION: &str = "usergraph_storage_call_duration_seconds";
pub const THROTTLED: &str = "usergraph_throttled_total";
pub const WEBHOOK_DELIVERIES: &str = "usergraph_webhook_deliveries_total";

/// The error code a throttled attempt is answered with.
const RATE_LIMITED: &str = "RATE_LIMITED";

/// Latency buckets, in seconds: from a cached read to a slow password hash.
const BUCKETS: &[f64] = &[
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide Prometheus recorder (once; later calls return
/// the same handle). `None` if another recorder was installed first.
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new().set_buckets(BUCKETS).ok()?;
            let handle = builder.install_recorder().ok()?;
            describe();
            Some(handle)
        })
        .clone()
}

fn describe() {
    metrics::describe_counter!(REQUESTS, "GraphQL operations run, by root field");
    metrics::describe_histogram!(
        REQUEST_DURATION,
        metrics::Unit::Seconds,
        "GraphQL operation latency, by root field"
    );
    metrics::describe_counter!(ERRORS, "Errors returned to clients, by code");
    metrics::describe_histogram!(
        STORAGE_CALL_DURATION,
        metrics::Unit::Seconds,
        "Storage call latency, by method"
    );
    metrics::describe_counter!(
        THROTTLED,
        "Attempts refused by the sign-in throttle (RATE_LIMITED)"
    );
    metrics::describe_counter!(
        WEBHOOK_DELIVERIES,
        "Webhook delivery outcomes logged by the webhooks plugin, by outcome"
    );
}

/// One GraphQL operation ran.
pub fn record_operation(operation: &str, elapsed: Duration) {
    metrics::counter!(REQUESTS, "operation" => operation.to_owned()).increment(1);
    metrics::histogram!(REQUEST_DURATION, "operation" => operation.to_owned())
        .record(elapsed.as_secs_f64());
}

/// An error with `code` went back to a client.
pub fn record_error(code: &str) {
    metrics::counter!(ERRORS, "code" => code.to_owned()).increment(1);
    if code == RATE_LIMITED {
        metrics::counter!(THROTTLED).increment(1);
    }
}

/// A storage call finished.
pub fn record_storage_call(method: &'static str, elapsed: Duration) {
    metrics::histogram!(STORAGE_CALL_DURATION, "method" => method).record(elapsed.as_secs_f64());
}

/// The webhooks plugin logged a delivery outcome (`Webhook.Delivered`, ...).
pub fn record_webhook_delivery(outcome: &str) {
    metrics::counter!(WEBHOOK_DELIVERIES, "outcome" => outcome.to_owned()).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limited_errors_count_as_throttled() {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            record_error("RATE_LIMITED");
            record_error("VALIDATION");
            record_error("RATE_LIMITED");
        });
        let shown = handle.render();
        assert!(shown.contains("usergraph_throttled_total 2"), "{shown}");
        assert!(
            shown.contains(r#"usergraph_errors_total{code="VALIDATION"} 1"#),
            "{shown}"
        );
    }
}
