//! Subscriptions over WebSocket at `GET /graphql`, in the
//! `graphql-transport-ws` protocol (the one the `graphql-ws` client
//! library speaks). The token comes in `connection_init`'s payload
//! (`{"Authorization": "Bearer ..."}`) or, for clients that can set
//! headers, in the upgrade request's `Authorization` header.
//!
//! Limits: connections per token, subscriptions per connection, message
//! size, a ping every `live_keepalive` (a connection that sends nothing,
//! not even the pongs, for twice that is closed), a connection without a
//! subscription for `live_idle_timeout` is closed, and one that does not
//! send `connection_init` within `live_init_timeout` is closed with 4408
//! as the protocol says.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_graphql::http::{WebSocket as GraphQLWebSocket, WebSocketProtocols, WsMessage};
use async_graphql::{Data, ErrorExtensions};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt, future};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use usergraph_core::service::Subscriber;
use usergraph_core::{Caller, Error, Service};

use crate::errors::LIMIT_EXCEEDED;
use crate::limits::ApiSettings;
use crate::loaders::Loaders;
use crate::schema::UsergraphSchema;

/// The protocol's name in `Sec-WebSocket-Protocol`.
const PROTOCOL: &str = "graphql-transport-ws";

/// The subscriptions a connection may still start. A running
/// subscription holds one permit until it ends.
#[derive(Debug)]
pub struct Slots {
    permits: Arc<Semaphore>,
    max: usize,
}

impl Slots {
    fn new(max: usize) -> Self {
        Slots {
            permits: Arc::new(Semaphore::new(max)),
            max,
        }
    }

    /// A permit for one more subscription, or `LIMIT_EXCEEDED` when the
    /// connection runs as many as it may.
    pub fn take(&self) -> async_graphql::Result<OwnedSemaphorePermit> {
        Arc::clone(&self.permits).try_acquire_owned().map_err(|_| {
            async_graphql::Error::new(format!(
                "a connection may run at most {} subscriptions at once",
                self.max
            ))
            .extend_with(|_, extensions| extensions.set("code", LIMIT_EXCEEDED))
        })
    }

    fn running(&self) -> usize {
        self.max - self.permits.available_permits()
    }
}

/// Open connections per token, shared by the router.
#[derive(Debug, Default)]
pub(crate) struct Connections {
    open: Arc<Mutex<HashMap<String, usize>>>,
}

/// One connection counted against its token, until dropped.
#[derive(Debug)]
struct Counted {
    open: Arc<Mutex<HashMap<String, usize>>>,
    token: String,
}

impl Connections {
    fn admit(&self, token: &str, max: usize) -> Option<Counted> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(token.to_owned()).or_default();
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(Counted {
            open: Arc::clone(&self.open),
            token: token.to_owned(),
        })
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.token) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.token);
            }
        }
    }
}

/// What the upgrade hands to the connection.
pub(crate) struct Upgrade {
    pub schema: UsergraphSchema,
    pub service: Service,
    pub settings: ApiSettings,
    pub connections: Arc<Connections>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The upgrade request's bearer token, if it sent one.
    pub header_secret: Option<String>,
}

/// Whether a `GET /graphql` asks for a WebSocket.
pub(crate) fn is_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("websocket"))
}

/// Answers the upgrade: only `graphql-transport-ws` is spoken.
pub(crate) fn accept(upgrade: WebSocketUpgrade, headers: &HeaderMap, live: Upgrade) -> Response {
    let offered = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|p| p.trim() == PROTOCOL));
    if !offered {
        return (
            StatusCode::BAD_REQUEST,
            format!("subscriptions need the WebSocket subprotocol {PROTOCOL}"),
        )
            .into_response();
    }
    let max_message = live.settings.max_live_message_bytes;
    upgrade
        .protocols([PROTOCOL])
        .max_message_size(max_message)
        .max_frame_size(max_message)
        .on_upgrade(move |socket| serve(socket, live))
}

async fn serve(socket: WebSocket, live: Upgrade) {
    let settings = live.settings.clone();
    let schema = live.schema.clone();
    let acknowledged = Arc::new(AtomicBool::new(false));
    let slots = Arc::new(Slots::new(settings.max_subscriptions_per_connection));
    let (mut sink, stream) = socket.split();
    let input = stream
        .take_while(|message| future::ready(message.is_ok()))
        .filter_map(|message| {
            future::ready(match message {
                Ok(Message::Text(text)) => Some(text.as_str().as_bytes().to_vec()),
                Ok(Message::Binary(bytes)) => Some(bytes.to_vec()),
                _ => None,
            })
        });
    let on_init = {
        let acknowledged = Arc::clone(&acknowledged);
        let slots = Arc::clone(&slots);
        move |payload: serde_json::Value| async move {
            let data = init(&live, &payload, slots).await?;
            acknowledged.store(true, Ordering::Release);
            Ok(data)
        }
    };
    // A zero period would make the interval panic; embedders set it.
    let keepalive = settings.live_keepalive.max(Duration::from_millis(100));
    // The client must send something (a pong at least) between two pings.
    let silence = keepalive * 2 + Duration::from_secs(1);
    let mut graphql = GraphQLWebSocket::new(schema, input, WebSocketProtocols::GraphQLWS)
        .on_connection_init(on_init)
        .keepalive_timeout(silence);
    let started = Instant::now();
    let mut idle_since = Instant::now();
    let mut ping = tokio::time::interval(keepalive);
    ping.tick().await;
    let mut check = tokio::time::interval(Duration::from_secs(1));
    loop {
        let message = tokio::select! {
            message = graphql.next() => match message {
                Some(WsMessage::Text(text)) => Message::Text(text.into()),
                Some(WsMessage::Close(code, reason)) => close(code, &reason),
                None => break,
            },
            _ = ping.tick(), if acknowledged.load(Ordering::Acquire) => {
                Message::Text(r#"{"type":"ping"}"#.into())
            }
            _ = check.tick() => {
                if !acknowledged.load(Ordering::Acquire) {
                    if started.elapsed() < settings.live_init_timeout {
                        continue;
                    }
                    let _ = sink.send(close(4408, "Connection initialisation timeout")).await;
                    break;
                }
                if slots.running() > 0 {
                    idle_since = Instant::now();
                    continue;
                }
                if idle_since.elapsed() < settings.live_idle_timeout {
                    continue;
                }
                let _ = sink.send(close(1000, "idle: no subscription")).await;
                break;
            }
        };
        let closing = matches!(message, Message::Close(_));
        if sink.send(message).await.is_err() || closing {
            break;
        }
    }
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// Authenticates `connection_init` and builds the connection's data. The
/// error's message is the close reason the client reads.
async fn init(
    live: &Upgrade,
    payload: &serde_json::Value,
    slots: Arc<Slots>,
) -> async_graphql::Result<Data> {
    let secret = match bearer_of(payload) {
        Ok(Some(secret)) => secret,
        Ok(None) => live.header_secret.clone().ok_or_else(|| {
            async_graphql::Error::new(
                "UNAUTHENTICATED: send {\"Authorization\": \"Bearer <token>\"} in connection_init",
            )
        })?,
        Err(message) => return Err(async_graphql::Error::new(message)),
    };
    let caller: Caller = live
        .service
        .authenticate(&secret, live.ip.clone(), live.user_agent.clone())
        .await
        .map_err(|error| match error {
            Error::RateLimited { .. } => async_graphql::Error::new("RATE_LIMITED: retry later"),
            Error::Internal(_) => async_graphql::Error::new("INTERNAL: internal error"),
            _ => async_graphql::Error::new(
                "UNAUTHENTICATED: the token is invalid, expired or revoked",
            ),
        })?;
    let token = caller.token_id.clone().unwrap_or_default();
    let counted = live
        .connections
        .admit(&token, live.settings.max_live_connections_per_token)
        .ok_or_else(|| {
            async_graphql::Error::new(format!(
                "{LIMIT_EXCEEDED}: a token may hold at most {} connections",
                live.settings.max_live_connections_per_token
            ))
        })?;
    let mut data = Data::default();
    data.insert(Subscriber {
        caller: caller.clone(),
        secret: Some(secret),
    });
    data.insert(caller);
    data.insert(Loaders::default());
    data.insert(slots);
    data.insert(counted);
    Ok(data)
}

/// The token of `connection_init`'s payload: `Authorization` (any case)
/// as `Bearer <token>`, at the top (GraphiQL sends its Headers tab so) or
/// in a `headers` object (as clients that pass their HTTP headers along
/// do). `Err` with the close reason when it is malformed.
fn bearer_of(payload: &serde_json::Value) -> Result<Option<String>, &'static str> {
    let authorization = |value: &serde_json::Value| {
        value.as_object().and_then(|fields| {
            fields
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
                .map(|(_, value)| value.clone())
        })
    };
    let Some(value) = authorization(payload).or_else(|| authorization(&payload["headers"])) else {
        return Ok(None);
    };
    value
        .as_str()
        .and_then(crate::router::bearer_secret)
        .map(|secret| Some(secret.to_owned()))
        .ok_or("UNAUTHENTICATED: Authorization must be `Bearer <token>`")
}
