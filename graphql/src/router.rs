//! The HTTP surface: `GET /graphql` serves GraphiQL, `POST /graphql` runs
//! GraphQL (a single request or a batch), `/console/` serves the console
//! (see `console.rs`). Each request gets its own `Caller` and DataLoaders.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use async_graphql::{BatchRequest, BatchResponse, Request, ServerError};
use axum::body::Bytes;
use axum::extract::{
    DefaultBodyLimit, FromRequest, FromRequestParts, OriginalUri, State, WebSocketUpgrade,
};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;
use usergraph_core::{Caller, Error, Service};

use crate::document_cache::DocumentCache;
use crate::errors::{
    BAD_REQUEST, LIMIT_EXCEEDED, ensure_codes, request_error, retry_after_secs, server_error,
};
use crate::limits::{ApiSettings, DocumentLimits, MAX_JSON_NESTING};
use crate::loaders::Loaders;
use crate::nesting;
use crate::schema::{UsergraphSchema, build_schema};

/// User agents longer than this are cut before they reach the logs.
const MAX_USER_AGENT_CHARS: usize = 512;

struct AppState {
    schema: UsergraphSchema,
    service: Service,
    settings: ApiSettings,
    documents: DocumentCache,
    live_connections: Arc<crate::live::Connections>,
}

/// The API's routes, with its limits. Serve it with [`serve`] (or with
/// `into_make_service_with_connect_info::<SocketAddr>()`) so that log
/// entries get the client's address.
pub fn router(service: Service, settings: ApiSettings) -> Router {
    let schema = build_schema(service.clone(), &settings);
    router_with_schema(service, schema, settings)
}

/// [`router`] over a schema already built for `service` with `settings`.
pub(crate) fn router_with_schema(
    service: Service,
    schema: UsergraphSchema,
    settings: ApiSettings,
) -> Router {
    let max_body_bytes = settings.max_body_bytes;
    let request_timeout = settings.request_timeout;
    let console = settings.console;
    let state = Arc::new(AppState {
        schema,
        service,
        settings,
        documents: DocumentCache::default(),
        live_connections: Arc::default(),
    });
    let mut routes = Router::new()
        .route("/graphql", get(graphiql_or_live).post(graphql))
        .route("/graphiql/{*path}", get(crate::graphiql::file))
        .with_state(state);
    if console {
        routes = routes.merge(crate::console::routes());
    }
    routes
        // tower-http enforces the body limit; axum's own default would
        // otherwise cap bodies at 2 MB whatever the setting says.
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(max_body_bytes))
        .layer(axum::middleware::map_response(move |response: Response| {
            explain_payload_too_large(response, max_body_bytes)
        }))
        .layer(axum::middleware::from_fn_with_state(
            request_timeout,
            crate::timeout::within,
        ))
        .layer(TraceLayer::new_for_http())
}

/// Serves `app` on `listener` until `shutdown` completes, then lets
/// in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// `GET /graphql`: a WebSocket upgrade for subscriptions, GraphiQL
/// otherwise.
async fn graphiql_or_live(
    State(state): State<Arc<AppState>>,
    uri: OriginalUri,
    request: axum::extract::Request,
) -> Response {
    if !crate::live::is_upgrade(request.headers()) {
        return crate::graphiql::page(uri, request.headers().clone()).await;
    }
    let ip = crate::client_addr::of_request(&request, &state.settings.trusted_proxies);
    let (mut parts, _) = request.into_parts();
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let header_secret = match bearer(&parts.headers) {
        Credentials::Bearer(secret) => Some(secret.to_owned()),
        Credentials::None | Credentials::Malformed(_) => None,
    };
    let live = crate::live::Upgrade {
        schema: state.schema.clone(),
        service: state.service.clone(),
        settings: state.settings.clone(),
        connections: Arc::clone(&state.live_connections),
        ip,
        user_agent: user_agent(&parts.headers),
        header_secret,
    };
    crate::live::accept(upgrade, &parts.headers, live)
}

async fn graphql(
    State(state): State<Arc<AppState>>,
    mut request: axum::extract::Request,
) -> Response {
    let started = Instant::now();
    let ip = crate::client_addr::of_request(&request, &state.settings.trusted_proxies);
    // The body is read and its documents checked before the caller is
    // authenticated: a request over a limit costs no token lookup.
    // Taken, not copied: reading the body needs none of them.
    let headers = std::mem::take(request.headers_mut());
    let body = match Bytes::from_request(request, &()).await {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return payload_too_large(state.settings.max_body_bytes);
        }
        Err(rejection) => {
            return transport_error(
                StatusCode::BAD_REQUEST,
                BAD_REQUEST,
                format!("could not read the request body: {}", rejection.body_text()),
            );
        }
    };
    let json_nesting = nesting::json_nesting(&body);
    if json_nesting > MAX_JSON_NESTING {
        return transport_error(
            StatusCode::BAD_REQUEST,
            LIMIT_EXCEEDED,
            format!(
                "the body nests {json_nesting} levels of JSON objects and arrays, over the limit of {MAX_JSON_NESTING}"
            ),
        );
    }
    let mut batch: BatchRequest = match serde_json::from_slice(&body) {
        Ok(batch) => batch,
        Err(error) => {
            return transport_error(
                StatusCode::BAD_REQUEST,
                BAD_REQUEST,
                format!(
                    "the body must be a GraphQL request as JSON ({{\"query\": ...}}) or a non-empty array of them: {error}"
                ),
            );
        }
    };
    if let BatchRequest::Batch(requests) = &batch
        && requests.len() > state.settings.max_batch
    {
        return transport_error(
            StatusCode::BAD_REQUEST,
            LIMIT_EXCEEDED,
            format!(
                "a batch of {} operations exceeds the limit of {}",
                requests.len(),
                state.settings.max_batch
            ),
        );
    }
    let limits = DocumentLimits::of(&state.settings);
    if let Some(refused) = check_documents(&mut batch, limits, &state.documents, started) {
        return refused;
    }
    let caller = match authenticate(&state.service, &headers, ip).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let prepare = |request: Request| with_caller(request, caller.clone());
    let mut response = match batch {
        BatchRequest::Single(request) => {
            BatchResponse::Single(state.schema.execute(prepare(request)).await)
        }
        BatchRequest::Batch(requests) => {
            // One after the other, as a mutation runs its fields: each
            // operation sees what the ones before it did, and a batch of
            // sign-ins meets the throttle one attempt at a time instead of
            // all slipping past its check together.
            let mut responses = Vec::with_capacity(requests.len());
            for request in requests {
                responses.push(state.schema.execute(prepare(request)).await);
            }
            BatchResponse::Batch(responses)
        }
    };
    match &mut response {
        BatchResponse::Single(one) => ensure_codes(&mut one.errors),
        BatchResponse::Batch(many) => many.iter_mut().for_each(|r| ensure_codes(&mut r.errors)),
    }
    Json(response).into_response()
}

/// The refusal of a request with a document over a limit, if any, made
/// before any of it runs: a single request gets a GraphQL response with the
/// error; a batch is refused whole, with HTTP 400, as an oversized batch is.
fn check_documents(
    batch: &mut BatchRequest,
    limits: DocumentLimits,
    documents: &DocumentCache,
    started: Instant,
) -> Option<Response> {
    let check = |request: &mut Request| {
        let cached = documents.fill(request);
        limits.check(request)?;
        if !cached {
            documents.keep(request);
        }
        Ok::<(), ServerError>(())
    };
    match batch {
        BatchRequest::Single(request) => {
            let error = check(request).err()?;
            crate::observability::record_refused(&error, started.elapsed());
            let response = async_graphql::Response::from_errors(vec![error]);
            Some(Json(BatchResponse::Single(response)).into_response())
        }
        BatchRequest::Batch(requests) => {
            requests
                .iter_mut()
                .enumerate()
                .find_map(|(index, request)| {
                    let error = check(request).err()?;
                    Some(transport_error(
                        StatusCode::BAD_REQUEST,
                        LIMIT_EXCEEDED,
                        format!("operation {} of the batch: {}", index + 1, error.message),
                    ))
                })
        }
    }
}

/// `request` run as `caller`, with the per-request data resolvers expect.
pub(crate) fn with_caller(request: Request, caller: Caller) -> Request {
    request.data(Loaders::default()).data(caller)
}

/// The request's caller: the token's user when an `Authorization: Bearer`
/// header is sent, anonymous without one. A malformed header or a token the
/// service refuses stops the request here, before anything in it runs: a
/// client that sent credentials wants to know they failed rather than get
/// anonymous answers.
async fn authenticate(
    service: &Service,
    headers: &HeaderMap,
    ip: Option<String>,
) -> Result<Caller, Response> {
    let user_agent = user_agent(headers);
    match bearer(headers) {
        Credentials::None => Ok(Caller::anonymous().with_client(ip, user_agent)),
        Credentials::Malformed(message) => Err(unauthenticated(
            "Bearer",
            request_error(&Error::Unauthenticated, message),
        )),
        Credentials::Bearer(secret) => {
            match service
                .authenticate(secret, ip.clone(), user_agent.clone())
                .await
            {
                Ok(caller) => Ok(caller.with_client(ip, user_agent)),
                Err(error) => Err(refused(&error)),
            }
        }
    }
}

enum Credentials<'a> {
    None,
    Bearer(&'a str),
    Malformed(&'static str),
}

fn bearer(headers: &HeaderMap) -> Credentials<'_> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Credentials::None;
    };
    if values.next().is_some() {
        return Credentials::Malformed("send a single Authorization header");
    }
    match value.to_str().ok().and_then(bearer_secret) {
        Some(secret) => Credentials::Bearer(secret),
        None => Credentials::Malformed("the Authorization header must be `Bearer <token>`"),
    }
}

/// The secret of a `Bearer <secret>` credential (scheme in any case), as
/// an `Authorization` header or a subscription's `connection_init` sends it.
pub(crate) fn bearer_secret(value: &str) -> Option<&str> {
    let (scheme, secret) = value.trim().split_once(' ')?;
    let secret = secret.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !secret.is_empty()).then_some(secret)
}

/// How a token the service refused is answered: 429 when the client's
/// address is over the failure limit, 500 when the service failed, 401
/// otherwise. The message does not say why a token was refused (unknown,
/// expired, revoked, owner suspended): the audit log does.
fn refused(error: &Error) -> Response {
    match error {
        Error::RateLimited { .. } => {
            let mut response = (
                StatusCode::TOO_MANY_REQUESTS,
                Json(errors_body(request_error(error, error.to_string()))),
            )
                .into_response();
            if let Some(secs) = retry_after_secs(error)
                && let Ok(value) = header::HeaderValue::from_str(&secs.to_string())
            {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        Error::Internal(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(errors_body(request_error(error, error.to_string()))),
        )
            .into_response(),
        _ => unauthenticated(
            r#"Bearer error="invalid_token""#,
            request_error(
                &Error::Unauthenticated,
                "the token is invalid, expired or revoked",
            ),
        ),
    }
}

fn unauthenticated(challenge: &'static str, error: ServerError) -> Response {
    let mut response = (StatusCode::UNAUTHORIZED, Json(errors_body(error))).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static(challenge),
    );
    response
}

fn errors_body(error: ServerError) -> serde_json::Value {
    crate::observability::count_transport_error(&error);
    serde_json::json!({ "errors": [error] })
}

fn user_agent(headers: &HeaderMap) -> Option<String> {
    let raw = headers.get(header::USER_AGENT)?.to_str().ok()?;
    let cut: String = raw.chars().take(MAX_USER_AGENT_CHARS).collect();
    (!cut.is_empty()).then_some(cut)
}

/// tower-http answers an oversized `Content-Length` with a bare 413 text;
/// clients get the same JSON error as for an oversized streamed body.
async fn explain_payload_too_large(response: Response, max_body_bytes: usize) -> Response {
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE
        && response.headers().get(header::CONTENT_TYPE)
            != Some(&header::HeaderValue::from_static("application/json"))
    {
        return payload_too_large(max_body_bytes);
    }
    response
}

fn payload_too_large(max_body_bytes: usize) -> Response {
    transport_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        LIMIT_EXCEEDED,
        format!("the request body exceeds the limit of {max_body_bytes} bytes"),
    )
}

fn transport_error(status: StatusCode, code: &str, message: String) -> Response {
    (status, Json(errors_body(server_error(code, message)))).into_response()
}
