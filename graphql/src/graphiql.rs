//! GraphiQL, served from the binary: `GET /graphql` answers the page, and
//! `/graphiql/...` the production builds of GraphiQL, React and ReactDOM
//! vendored in `graphql/graphiql/` (see its `vendor/MANIFEST.json`).
//! Nothing comes from another origin, so GraphiQL works offline.

use axum::extract::OriginalUri;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use rust_embed::RustEmbed;

use crate::assets;
use crate::mount::encode_path;
use crate::page_headers::{GRAPHIQL_CSP, secure};

#[derive(RustEmbed)]
#[folder = "graphiql/"]
struct Files;

/// Its files are linked relative to the page (`graphiql/...`), so that
/// under a mount path they resolve to `<mount>/graphiql/...`.
const PAGE: &str = include_str!("graphiql.html");

/// The page posts to the path it is served from, so that it follows any
/// prefix the host mounts the router under.
pub(crate) async fn page(OriginalUri(uri): OriginalUri, headers: HeaderMap) -> Response {
    let text = PAGE.replacen("{endpoint}", &encode_path(uri.path()), 1);
    secure(assets::page("graphiql.html", text, &headers), GRAPHIQL_CSP)
}

/// `/graphiql/{*path}`: GraphiQL's scripts and styles.
pub(crate) async fn file(uri: Uri, headers: HeaderMap) -> Response {
    // From the URI rather than a `Path` extractor, which would also see
    // the path parameters of a host that mounts the router under one.
    let path = uri.path().strip_prefix("/graphiql/").unwrap_or_default();
    let response = match Files::get(path) {
        Some(file) => assets::file(path, file, &headers),
        None => assets::not_found(),
    };
    secure(response, GRAPHIQL_CSP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_every_file_from_the_binary() {
        let link = regex::Regex::new(r#"(?:src|href)="([^"]+)""#).unwrap();
        let mut linked = 0;
        for found in link.captures_iter(PAGE) {
            linked += 1;
            let path = found[1]
                .strip_prefix("graphiql/")
                .unwrap_or_else(|| panic!("{} is not one of the binary's files", &found[1]));
            assert!(Files::get(path).is_some(), "{path} is not embedded");
        }
        assert_eq!(linked, 6, "{PAGE}");
        assert!(
            !PAGE.contains("//"),
            "the page names another origin: {PAGE}"
        );
        let script = regex::Regex::new(r"(?s)<script[^>]*>(.*?)</script>").unwrap();
        for found in script.captures_iter(PAGE) {
            assert!(found[1].trim().is_empty(), "inline script: {}", &found[0]);
        }
    }
}
