//! The console and GraphiQL as the router serves them: redirects, the
//! single-page fallback, content types, ETags, security headers, the
//! `console` setting, and files that come from the binary only.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use usergraph::{ApiSettings, Usergraph};
use usergraph_redb::RedbStorage;

const CONSOLE_CSP: &str = "default-src 'self'; object-src 'none'; base-uri 'self'; \
     form-action 'self'; frame-ancestors 'none'";

/// The router with `settings`, over an in-memory store, mounted at `mount`
/// ("" for the root).
async fn serve(settings: ApiSettings, mount: &str) -> SocketAddr {
    let storage = Arc::new(RedbStorage::in_memory().unwrap());
    let identity = Usergraph::builder(storage).api(settings).build().unwrap();
    let app = if mount.is_empty() {
        identity.router()
    } else {
        axum::Router::new().nest(mount, identity.router())
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(usergraph::serve(listener, app, std::future::pending()));
    address
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn get(address: SocketAddr, path: &str) -> reqwest::Response {
    client()
        .get(format!("http://{address}{path}"))
        .send()
        .await
        .unwrap()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header in {headers:?}"))
        .to_str()
        .unwrap()
}

fn assert_secured(headers: &HeaderMap, csp: &str) {
    assert_eq!(header(headers, "content-security-policy"), csp);
    assert_eq!(header(headers, "x-content-type-options"), "nosniff");
    assert_eq!(header(headers, "referrer-policy"), "no-referrer");
    assert_eq!(header(headers, "x-frame-options"), "DENY");
}

#[tokio::test]
async fn the_root_redirects_to_the_console() {
    let address = serve(ApiSettings::default(), "").await;
    for (from, to) in [
        ("/", "/console/"),
        ("/console", "/console/"),
        ("/console?lang=fr", "/console/?lang=fr"),
    ] {
        let response = get(address, from).await;
        assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT, "{from}");
        assert_eq!(header(response.headers(), "location"), to, "{from}");
        assert_secured(response.headers(), CONSOLE_CSP);
    }
}

#[tokio::test]
async fn client_routes_get_the_page_and_missing_files_a_404() {
    let address = serve(ApiSettings::default(), "").await;
    for path in [
        "/console/",
        "/console/users",
        "/console/users/u1?q=x",
        "/console/index.html",
    ] {
        let response = get(address, path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            header(response.headers(), "content-type"),
            "text/html; charset=utf-8"
        );
        assert_secured(response.headers(), CONSOLE_CSP);
        let page = response.text().await.unwrap();
        assert!(page.contains(r#"<base href="/console/">"#), "{page}");
        assert!(
            page.contains(r#"<script type="module" src="js/main.js">"#),
            "{page}"
        );
    }
    for path in ["/console/js/nope.js", "/console/nope.css", "/consoles"] {
        let response = get(address, path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn console_files_have_their_types_and_revalidate_by_etag() {
    let address = serve(ApiSettings::default(), "").await;
    for (path, content_type) in [
        ("/console/js/main.js", "text/javascript; charset=utf-8"),
        (
            "/console/vendor/preact/preact.mjs",
            "text/javascript; charset=utf-8",
        ),
        ("/console/console.css", "text/css; charset=utf-8"),
        (
            "/console/operations/Users.graphql",
            "text/plain; charset=utf-8",
        ),
    ] {
        let response = get(address, path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(header(response.headers(), "content-type"), content_type);
        assert_eq!(header(response.headers(), "cache-control"), "no-cache");
        assert_secured(response.headers(), CONSOLE_CSP);
        let etag = header(response.headers(), "etag").to_owned();
        let body = response.bytes().await.unwrap();
        assert!(!body.is_empty(), "{path}");

        let again = client()
            .get(format!("http://{address}{path}"))
            .header(header::IF_NONE_MATCH, &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(header(again.headers(), "etag"), etag);
        assert!(again.bytes().await.unwrap().is_empty());

        let changed = client()
            .get(format!("http://{address}{path}"))
            .header(header::IF_NONE_MATCH, "\"something-else\"")
            .send()
            .await
            .unwrap();
        assert_eq!(changed.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn the_console_setting_turns_it_off() {
    let settings = ApiSettings {
        console: false,
        ..ApiSettings::default()
    };
    let address = serve(settings, "").await;
    for path in ["/", "/console", "/console/", "/console/js/main.js"] {
        assert_eq!(
            get(address, path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // The API and GraphiQL stay.
    assert_eq!(get(address, "/graphql").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn graphiql_comes_from_the_binary() {
    let address = serve(ApiSettings::default(), "").await;
    let response = get(address, "/graphql").await;
    assert_eq!(response.status(), StatusCode::OK);
    let csp = header(response.headers(), "content-security-policy").to_owned();
    assert!(csp.starts_with("default-src 'self';"), "{csp}");
    assert!(!csp.contains("unsafe"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_secured(response.headers(), &csp);
    let page = response.text().await.unwrap();
    assert!(page.contains(r#"data-endpoint="/graphql""#), "{page}");
    assert!(
        !page.contains("://"),
        "the page names another origin: {page}"
    );
    // Every file it links to is served, with its type.
    let link = regex::Regex::new(r#"(?:src|href)="([^"]+)""#).unwrap();
    let mut linked = 0;
    for found in link.captures_iter(&page) {
        linked += 1;
        let file = get(address, &format!("/{}", &found[1])).await;
        assert_eq!(file.status(), StatusCode::OK, "{}", &found[1]);
        let content_type = header(file.headers(), "content-type");
        let expected = if found[1].ends_with(".css") {
            "text/css; charset=utf-8"
        } else {
            "text/javascript; charset=utf-8"
        };
        assert_eq!(content_type, expected, "{}", &found[1]);
        assert_secured(file.headers(), &csp);
    }
    assert_eq!(linked, 6, "{page}");
    assert_eq!(
        get(address, "/graphiql/vendor/nope.js").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn under_a_mount_path_links_follow_it() {
    let address = serve(ApiSettings::default(), "/identity").await;
    for from in ["/identity", "/identity/console"] {
        let response = get(address, from).await;
        assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT, "{from}");
        assert_eq!(
            header(response.headers(), "location"),
            "/identity/console/",
            "{from}"
        );
    }
    let page = get(address, "/identity/console/users")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"<base href="/identity/console/">"#),
        "{page}"
    );
    let script = get(address, "/identity/console/js/main.js").await;
    assert_eq!(script.status(), StatusCode::OK);
    let graphiql = get(address, "/identity/graphql")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        graphiql.contains(r#"data-endpoint="/identity/graphql""#),
        "{graphiql}"
    );
    let vendored = get(
        address,
        "/identity/graphiql/vendor/react/react.production.min.js",
    )
    .await;
    assert_eq!(vendored.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_dynamic_mount_path_cannot_inject_markup() {
    let storage = Arc::new(RedbStorage::in_memory().unwrap());
    let identity = Usergraph::builder(storage).build().unwrap();
    let app = axum::Router::new().nest("/{tenant}", identity.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(usergraph::serve(listener, app, std::future::pending()));

    let page = get(address, "/a%22%3E%3Cscript%3E/console/")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"<base href="/a%22%3E%3Cscript%3E/console/">"#),
        "{page}"
    );
    let page = get(address, "/o'brien/console/users")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"<base href="/o%27brien/console/">"#),
        "{page}"
    );
    let redirect = get(address, "/o'brien").await;
    assert_eq!(
        header(redirect.headers(), "location"),
        "/o%27brien/console/"
    );
    // Files are found under a mount path that has a parameter of its own.
    let script = get(address, "/t1/console/js/main.js").await;
    assert_eq!(script.status(), StatusCode::OK);
    let vendored = get(address, "/t1/graphiql/vendor/react/react.production.min.js").await;
    assert_eq!(vendored.status(), StatusCode::OK);
}
