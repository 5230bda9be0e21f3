//! The security headers of the pages the server serves (the console,
//! GraphiQL) and of every file they load: scripts, styles and data come
//! from the server's own origin only, no inline script runs, no other site
//! may frame the pages, and no URL leaks through the `Referer` header.

use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;

/// The console loads nothing but its own files and the API.
pub(crate) const CONSOLE_CSP: &str = "default-src 'self'; object-src 'none'; base-uri 'self'; \
     form-action 'self'; frame-ancestors 'none'";

/// GraphiQL's stylesheet embeds its fonts and icons as `data:` URLs; they
/// are part of the vendored file, not another origin.
pub(crate) const GRAPHIQL_CSP: &str = "default-src 'self'; img-src 'self' data:; \
     font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// `response` with the security headers and `csp` as its
/// Content-Security-Policy.
pub(crate) fn secure(mut response: Response, csp: &'static str) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // For browsers that predate `frame-ancestors`.
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    response
}
