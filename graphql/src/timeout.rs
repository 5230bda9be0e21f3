//! The wall-clock bound on every request. A request still running at the
//! deadline is dropped at its next await point (a storage call, a password
//! hash waiting for its turn, the body still arriving) and answered with
//! HTTP 503 and `TIMEOUT`. Work that never awaits cannot be cut short; the
//! document limits keep that work small. A blocking task it started (a
//! password hash) finishes on its own thread, and a mutation whose commit
//! had already reached the store stays applied.

use std::time::Duration;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::errors::{TIMEOUT, server_error};

/// Middleware (`axum::middleware::from_fn_with_state`) running the rest of
/// the stack within `limit`.
pub(crate) async fn within(
    State(limit): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let error = server_error(
                TIMEOUT,
                format!(
                    "the request took longer than {} s and was stopped; a mutation in it may have been applied",
                    limit.as_secs_f64()
                ),
            );
            crate::observability::count_transport_error(&error);
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "errors": [error] })),
            )
                .into_response()
        }
    }
}
