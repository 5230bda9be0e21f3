//! The HTTP surface: `GET /graphql` serves GraphiQL, `POST /graphql` runs
//! GraphQL (a single request or a batch). Each request gets its own
//! `Caller` and DataLoaders.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use async_graphql::http::GraphiQLSource;
use async_graphql::{BatchRequest, BatchResponse, Request};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;
use usergraph_core::{Caller, Service};

use crate::errors::{BAD_REQUEST, LIMIT_EXCEEDED, ensure_codes, server_error};
use crate::limits::ApiSettings;
use crate::loaders::RolesLoader;
use crate::schema::{UsergraphSchema, build_schema};

/// User agents longer than this are cut before they reach the logs.
const MAX_USER_AGENT_CHARS: usize = 512;

struct AppState {
    schema: UsergraphSchema,
    service: Service,
    settings: ApiSettings,
    graphiql: String,
}

/// The API's routes, with its limits. Serve it with [`serve`] (or with
/// `into_make_service_with_connect_info::<SocketAddr>()`) so that log
/// entries get the client's address.
pub fn router(service: Service, settings: ApiSettings) -> Router {
    let state = Arc::new(AppState {
        schema: build_schema(service.clone(), &settings),
        service,
        settings,
        graphiql: GraphiQLSource::build()
            .endpoint("/graphql")
            .title("usergraph")
            .finish(),
    });
    let max_body_bytes = settings.max_body_bytes;
    Router::new()
        .route("/graphql", get(graphiql).post(graphql))
        .with_state(state)
        // tower-http enforces the body limit; axum's own default would
        // otherwise cap bodies at 2 MB whatever the setting says.
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(max_body_bytes))
        .layer(axum::middleware::map_response(move |response: Response| {
            explain_payload_too_large(response, max_body_bytes)
        }))
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

async fn graphiql(State(state): State<Arc<AppState>>) -> Html<String> {
    Html(state.graphiql.clone())
}

async fn graphql(State(state): State<Arc<AppState>>, request: axum::extract::Request) -> Response {
    let caller = caller_of(&request);
    let body = match Bytes::from_request(request, &()).await {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return payload_too_large(state.settings.max_body_bytes);
        }
        Err(rejection) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                BAD_REQUEST,
                format!("could not read the request body: {}", rejection.body_text()),
            );
        }
    };
    let batch: BatchRequest = match serde_json::from_slice(&body) {
        Ok(batch) => batch,
        Err(error) => {
            return request_error(
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
        return request_error(
            StatusCode::BAD_REQUEST,
            LIMIT_EXCEEDED,
            format!(
                "a batch of {} operations exceeds the limit of {}",
                requests.len(),
                state.settings.max_batch
            ),
        );
    }
    let prepare = |request: Request| {
        request
            .data(RolesLoader::new(state.service.clone(), caller.clone()))
            .data(caller.clone())
    };
    let batch = match batch {
        BatchRequest::Single(request) => BatchRequest::Single(prepare(request)),
        BatchRequest::Batch(requests) => {
            BatchRequest::Batch(requests.into_iter().map(prepare).collect())
        }
    };
    let mut response = state.schema.execute_batch(batch).await;
    match &mut response {
        BatchResponse::Single(one) => ensure_codes(&mut one.errors),
        BatchResponse::Batch(many) => many.iter_mut().for_each(|r| ensure_codes(&mut r.errors)),
    }
    Json(response).into_response()
}

/// Every request acts with all permissions until authentication exists;
/// the client's address and user agent go into log entries.
fn caller_of(request: &axum::extract::Request) -> Caller {
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string());
    Caller::system().with_client(ip, user_agent(request.headers()))
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
    request_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        LIMIT_EXCEEDED,
        format!("the request body exceeds the limit of {max_body_bytes} bytes"),
    )
}

fn request_error(status: StatusCode, code: &str, message: String) -> Response {
    let body = serde_json::json!({ "errors": [server_error(code, message)] });
    (status, Json(body)).into_response()
}
