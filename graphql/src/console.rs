//! The admin console: the static files of `graphql/console/` (HTML, CSS,
//! ES modules, vendored libraries, one `.graphql` file per operation),
//! compiled into the binary and served at `/console/`, with `/`
//! redirecting there. Under a host's mount path (`/identity`), the console
//! is at `/identity/console/` and talks to `/identity/graphql`.
//!
//! The console is a single page: paths under `/console/` that name no file
//! and have no extension (`/console/users`) get the page, whose script
//! picks the view; a missing file (`/console/js/nope.js`) is a 404.

use axum::Router;
use axum::extract::OriginalUri;
use axum::http::{HeaderMap, Uri};
use axum::response::{Redirect, Response};
use axum::routing::get;
use rust_embed::RustEmbed;

use crate::assets;
use crate::mount::{encode_path, mount_prefix};
use crate::page_headers::{CONSOLE_CSP, secure};

#[derive(RustEmbed)]
#[folder = "console/"]
struct Files;

const INDEX: &str = "index.html";

/// The page's `<base>` element as the file has it, for a console at the
/// root; rewritten to the mount path for each request.
const ROOT_BASE: &str = r#"<base href="/console/">"#;

/// `/`, `/console`, `/console/` and everything under it.
pub(crate) fn routes() -> Router {
    Router::new()
        .route("/", get(to_console))
        .route("/console", get(to_console))
        .route("/console/", get(index))
        .route("/console/{*path}", get(file))
        .layer(axum::middleware::map_response(|response: Response| async {
            secure(response, CONSOLE_CSP)
        }))
}

/// Redirects to `<mount>/console/`, keeping the query.
async fn to_console(OriginalUri(original): OriginalUri, uri: Uri) -> Redirect {
    let prefix = mount_prefix(original.path(), uri.path());
    let query = original
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    Redirect::temporary(&format!("{}/console/{query}", encode_path(&prefix)))
}

async fn index(OriginalUri(original): OriginalUri, uri: Uri, headers: HeaderMap) -> Response {
    page(&mount_prefix(original.path(), uri.path()), &headers)
}

async fn file(OriginalUri(original): OriginalUri, uri: Uri, headers: HeaderMap) -> Response {
    // From the URI rather than a `Path` extractor, which would also see
    // the path parameters of a host that mounts the router under one.
    let path = uri.path().strip_prefix("/console/").unwrap_or_default();
    if path != INDEX
        && let Some(file) = Files::get(path)
    {
        return assets::file(path, file, &headers);
    }
    if path == INDEX || is_client_route(path) {
        return page(&mount_prefix(original.path(), uri.path()), &headers);
    }
    assets::not_found()
}

/// A path the console's script handles: no file extension in its last
/// segment.
fn is_client_route(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or(path);
    !last.contains('.')
}

/// The console's page, its `<base>` pointing at `<prefix>/console/` so
/// that its relative links work from any client route and mount path.
fn page(prefix: &str, headers: &HeaderMap) -> Response {
    let Some(template) = Files::get(INDEX) else {
        return assets::not_found();
    };
    let text = String::from_utf8_lossy(&template.data);
    let base = format!(r#"<base href="{}/console/">"#, encode_path(prefix));
    assets::page(INDEX, text.replacen(ROOT_BASE, &base, 1), headers)
}

#[cfg(test)]
mod tests;
