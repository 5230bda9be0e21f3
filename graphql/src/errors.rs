//! How failures reach a GraphQL client. Every error in a response carries a
//! stable `extensions.code`: core errors bring their own (`Error::code()`),
//! plus `extensions.field` when one input field is at fault; the transport
//! adds three of its own:
//! - `LIMIT_EXCEEDED`: the request is over a limit (body size, batch size,
//!   nesting, size once fragments are spread, query depth or complexity)
//!   and was refused before any work was done;
//! - `BAD_REQUEST`: the request is not valid GraphQL for this schema (syntax,
//!   unknown fields, arguments of the wrong type, a malformed scalar);
//! - `TIMEOUT`: the request ran past the request timeout and was stopped
//!   (HTTP 503); a mutation in it may have been applied.
//!
//! `RATE_LIMITED` errors add `extensions.retryAfter`, in whole seconds, when
//! the service knows when the limit lifts.

use async_graphql::{ErrorExtensionValues, ErrorExtensions, ServerError};
use usergraph_core::Error;

pub const LIMIT_EXCEEDED: &str = "LIMIT_EXCEEDED";
pub const BAD_REQUEST: &str = "BAD_REQUEST";
pub const TIMEOUT: &str = "TIMEOUT";

/// The codes the transport adds to core's [`usergraph_core::error::CODES`].
pub const TRANSPORT_CODES: &[&str] = &[LIMIT_EXCEEDED, BAD_REQUEST, TIMEOUT];

/// Every `extensions.code` a client can see: core's, then the transport's.
pub fn codes() -> impl Iterator<Item = &'static str> {
    usergraph_core::error::CODES
        .iter()
        .chain(TRANSPORT_CODES)
        .copied()
}

/// Turns a core error into a GraphQL error. `Internal` sources are logged
/// here, once, and never shown.
pub fn to_graphql(error: &Error) -> async_graphql::Error {
    log_internal(error);
    async_graphql::Error::new(error.to_string()).extend_with(|_, ext| extend(error, ext))
}

/// A core error raised before any GraphQL ran (authenticating the request),
/// as a request-level error; `message` replaces the core message.
pub fn request_error(error: &Error, message: impl Into<String>) -> ServerError {
    log_internal(error);
    let mut server = ServerError::new(message, None);
    let mut extensions = ErrorExtensionValues::default();
    extend(error, &mut extensions);
    server.extensions = Some(extensions);
    server
}

/// Whole seconds a client should wait, rounded up so that retrying on time
/// never hits the limit again; `None` unless the error says.
pub fn retry_after_secs(error: &Error) -> Option<u64> {
    match error {
        Error::RateLimited {
            retry_after: Some(after),
        } => Some(after.as_secs() + u64::from(after.subsec_nanos() > 0)),
        _ => None,
    }
}

fn log_internal(error: &Error) {
    if let Error::Internal(source) = error {
        tracing::error!(error = %source, details = ?source, "internal error");
    }
}

fn extend(error: &Error, ext: &mut ErrorExtensionValues) {
    ext.set("code", error.code());
    if let Some(field) = error.field() {
        ext.set("field", field);
    }
    if let Some(secs) = retry_after_secs(error) {
        ext.set("retryAfter", secs);
    }
    if let Error::Lagged {
        last_cursor: Some(cursor),
    } = error
    {
        ext.set("lastCursor", cursor.as_str());
    }
}

/// `?`-friendly conversion of service results in resolvers.
pub trait ServiceResultExt<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> ServiceResultExt<T> for Result<T, Error> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| to_graphql(&e))
    }
}

/// A request-level error (no path, no location) with a code.
pub fn server_error(code: &str, message: impl Into<String>) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code);
    error.extensions = Some(extensions);
    error
}

/// Gives `BAD_REQUEST` to every error that has no code yet: those are the
/// ones async-graphql raised itself while parsing or validating the request.
pub fn ensure_codes(errors: &mut [ServerError]) {
    for error in errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", BAD_REQUEST);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::Value;

    fn extension(error: &async_graphql::Error, name: &str) -> Option<Value> {
        error.extensions.as_ref()?.get(name).cloned()
    }

    #[test]
    fn validation_errors_carry_code_and_field() {
        let error = to_graphql(&Error::validation("primaryEmail", "bad email"));
        assert_eq!(error.message, "bad email");
        assert_eq!(extension(&error, "code"), Some(Value::from("VALIDATION")));
        assert_eq!(
            extension(&error, "field"),
            Some(Value::from("primaryEmail"))
        );
    }

    #[test]
    fn internal_errors_hide_their_source() {
        let error = to_graphql(&Error::internal("disk /var/secret failed"));
        assert_eq!(error.message, "internal error");
        assert_eq!(extension(&error, "code"), Some(Value::from("INTERNAL")));
        assert_eq!(extension(&error, "field"), None);
    }

    #[test]
    fn rate_limits_say_when_to_retry_rounded_up() {
        let error = to_graphql(&Error::RateLimited {
            retry_after: Some(std::time::Duration::from_millis(2500)),
        });
        assert_eq!(extension(&error, "code"), Some(Value::from("RATE_LIMITED")));
        assert_eq!(extension(&error, "retryAfter"), Some(Value::from(3)));
        let unknown = to_graphql(&Error::RateLimited { retry_after: None });
        assert_eq!(extension(&unknown, "retryAfter"), None);
    }

    #[test]
    fn errors_without_code_become_bad_request() {
        let mut errors = vec![
            ServerError::new("Unknown field", None),
            server_error(LIMIT_EXCEEDED, "too deep"),
        ];
        ensure_codes(&mut errors);
        let codes: Vec<_> = errors
            .iter()
            .map(|e| e.extensions.as_ref().and_then(|x| x.get("code")).cloned())
            .collect();
        assert_eq!(
            codes,
            vec![
                Some(Value::from(BAD_REQUEST)),
                Some(Value::from(LIMIT_EXCEEDED))
            ]
        );
    }
}
