//! One event to one endpoint: signed attempts until one succeeds, the
//! answer is not worth retrying, or the attempts run out.
//!
//! Retried: connection failures, timeouts, HTTP 408, 429 and 5xx. Given up
//! at once: other non-2xx answers (the receiver refused the content, e.g. a
//! bad signature, and would refuse it again) and refused targets.

use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use usergraph_core::plugin::Event;

use super::settings::RetryPolicy;
use super::signature::{SIGNATURE_HEADER, signature_header};
use super::{Endpoint, target};

#[derive(Debug)]
pub(super) struct Outcome {
    pub attempts: u32,
    /// The last HTTP status received, if any.
    pub status: Option<u16>,
    /// Why the delivery failed; `None` when it was accepted.
    pub error: Option<String>,
}

pub(super) async fn deliver(
    client: &reqwest::Client,
    policy: &RetryPolicy,
    allow_private: bool,
    endpoint: &Endpoint,
    event: &Event,
    body: &[u8],
) -> Outcome {
    if let Err(refused) = target::check_literal(&endpoint.url, allow_private) {
        return Outcome {
            attempts: 1,
            status: None,
            error: Some(refused.to_string()),
        };
    }
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (retry, status, error) = match send(client, policy, endpoint, event, body).await {
            Ok(status) if status.is_success() => {
                return Outcome {
                    attempts: attempt,
                    status: Some(status.as_u16()),
                    error: None,
                };
            }
            Ok(status) => (
                retryable(status),
                Some(status.as_u16()),
                format!("the endpoint answered HTTP {status}"),
            ),
            Err(error) => match target::find_refusal(&error) {
                Some(refused) => (false, None, refused.to_string()),
                None => (true, None, describe(&error, policy)),
            },
        };
        if !retry || attempt >= policy.max_attempts {
            return Outcome {
                attempts: attempt,
                status,
                error: Some(error),
            };
        }
        tokio::time::sleep(policy.backoff(attempt)).await;
    }
}

async fn send(
    client: &reqwest::Client,
    policy: &RetryPolicy,
    endpoint: &Endpoint,
    event: &Event,
    body: &[u8],
) -> Result<StatusCode, reqwest::Error> {
    // Signed per attempt, so a retry carries a fresh timestamp that
    // receivers checking freshness still accept.
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let response = client
        .post(endpoint.url.clone())
        .timeout(policy.timeout)
        .header(CONTENT_TYPE, "application/json")
        .header(
            SIGNATURE_HEADER,
            signature_header(&endpoint.secret, timestamp, body),
        )
        .header("Usergraph-Event-Id", event.id.as_str())
        .header("Usergraph-Event-Kind", event.kind.as_str())
        .body(body.to_vec())
        .send()
        .await?;
    Ok(response.status())
}

fn retryable(status: StatusCode) -> bool {
    status.is_server_error()
        || status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
}

/// A failure in words, without the URL (its query may hold a secret).
fn describe(error: &reqwest::Error, policy: &RetryPolicy) -> String {
    if error.is_timeout() {
        format!("no answer within {} ms", policy.timeout.as_millis())
    } else if error.is_connect() {
        "could not connect to the endpoint".to_owned()
    } else {
        "the request failed before an answer".to_owned()
    }
}
