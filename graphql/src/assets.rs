//! Files compiled into the binary, served with their content type, an ETag
//! (a request whose `If-None-Match` holds it gets `304 Not Modified`) and
//! `Cache-Control: no-cache`: browsers keep the files but ask each time
//! whether they changed, since their names do not change with their content.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::EmbeddedFile;
use sha2::{Digest, Sha256};

/// An embedded file as the response to a request with `request_headers`.
pub(crate) fn file(path: &str, file: EmbeddedFile, request_headers: &HeaderMap) -> Response {
    let etag = etag(&file.metadata.sha256_hash());
    respond(path, Body::from(file.data), &etag, request_headers)
}

/// A page made for this request (`path` gives its type).
pub(crate) fn page(path: &str, text: String, request_headers: &HeaderMap) -> Response {
    let etag = etag(&Sha256::digest(text.as_bytes()));
    respond(path, Body::from(text), &etag, request_headers)
}

pub(crate) fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "not found\n",
    )
        .into_response()
}

fn respond(path: &str, body: Body, etag: &str, request_headers: &HeaderMap) -> Response {
    let mut response = if matches(request_headers, etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = body.into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(content_type(path)),
        );
        response
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// A strong ETag from the first half of a SHA-256 digest.
fn etag(digest: &[u8]) -> String {
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether `If-None-Match` names `etag` (or `*`).
fn matches(request_headers: &HeaderMap, etag: &str) -> bool {
    request_headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

/// The content type of the files the console and GraphiQL are made of;
/// anything else is served as bytes.
pub(crate) fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map_or("", |(_, extension)| extension);
    match extension {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "graphql" | "txt" => "text/plain; charset=utf-8",
        _ if path.ends_with("LICENSE") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_if_none_match(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn if_none_match_lists_and_weak_tags() {
        let tag = "\"abc\"";
        assert!(matches(&with_if_none_match("\"abc\""), tag));
        assert!(matches(&with_if_none_match("\"x\", W/\"abc\""), tag));
        assert!(matches(&with_if_none_match("*"), tag));
        assert!(!matches(&with_if_none_match("\"abcd\""), tag));
        assert!(!matches(&HeaderMap::new(), tag));
    }

    #[test]
    fn content_types_by_extension() {
        assert_eq!(content_type("js/main.js"), "text/javascript; charset=utf-8");
        assert_eq!(
            content_type("vendor/preact/preact.mjs"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            content_type("vendor/htm/LICENSE"),
            "text/plain; charset=utf-8"
        );
        assert_eq!(content_type("x.bin"), "application/octet-stream");
    }
}
