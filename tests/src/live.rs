//! A `graphql-transport-ws` client over a real WebSocket, for the
//! subscription tests: it answers the server's pings, as the `graphql-ws`
//! client library does, and keeps each subscription's messages apart.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use crate::TestServer;

/// How long a test waits for one message before it fails.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// One message of a subscription.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// `next` with `data` and no errors.
    Data(Value),
    /// `next` or `error` carrying errors: the first one.
    Error(Value),
    Complete,
}

impl Event {
    /// The error's `extensions.code`, when it is one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Event::Error(error) => error["extensions"]["code"].as_str(),
            _ => None,
        }
    }
}

#[derive(Debug)]
pub struct LiveClient {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Messages read while waiting for another subscription's.
    waiting: HashMap<String, VecDeque<Event>>,
    /// Pings the server sent (each answered).
    pub pings: usize,
}

impl LiveClient {
    /// Opens a connection to `server` offering `graphql-transport-ws`,
    /// without initialising it.
    pub async fn open(server: &TestServer) -> Self {
        let mut request = format!("ws://{}/graphql", server.address)
            .into_client_request()
            .expect("a valid URL");
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
        let (socket, response) = connect_async(request).await.expect("the upgrade succeeds");
        assert_eq!(
            response
                .headers()
                .get("Sec-WebSocket-Protocol")
                .and_then(|v| v.to_str().ok()),
            Some("graphql-transport-ws")
        );
        LiveClient {
            socket,
            waiting: HashMap::new(),
            pings: 0,
        }
    }

    /// Opens a connection and initialises it with `token`, waiting for
    /// `connection_ack`.
    pub async fn connect(server: &TestServer, token: &str) -> Self {
        let mut client = Self::open(server).await;
        client
            .init(json!({ "Authorization": format!("Bearer {token}") }))
            .await;
        let ack = client.next_protocol_message().await;
        assert_eq!(
            ack.as_ref().map(|m| &m["type"]),
            Ok(&json!("connection_ack")),
            "{ack:?}"
        );
        client
    }

    pub async fn init(&mut self, payload: Value) {
        self.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
    }

    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("the message is sent");
    }

    /// Sends a raw text message.
    pub async fn send_text(&mut self, text: String) -> Result<(), WsError> {
        self.socket.send(Message::Text(text.into())).await
    }

    /// Starts subscription `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({
            "id": id,
            "type": "subscribe",
            "payload": { "query": query, "variables": variables },
        }))
        .await;
    }

    pub async fn stop(&mut self, id: &str) {
        self.send(json!({ "id": id, "type": "complete" })).await;
    }

    /// The next message of subscription `id`.
    pub async fn next(&mut self, id: &str) -> Event {
        if let Some(event) = self.waiting.get_mut(id).and_then(VecDeque::pop_front) {
            return event;
        }
        loop {
            let message = match self.next_protocol_message().await {
                Ok(message) => message,
                Err(close) => panic!("the connection closed while waiting for {id}: {close:?}"),
            };
            let Some(of) = message["id"].as_str() else {
                continue;
            };
            let event = match message["type"].as_str() {
                Some("next") if message["payload"].get("errors").is_some() => {
                    Event::Error(message["payload"]["errors"][0].clone())
                }
                Some("next") => Event::Data(message["payload"]["data"].clone()),
                Some("error") => Event::Error(message["payload"][0].clone()),
                Some("complete") => Event::Complete,
                other => panic!("unexpected message {other:?}: {message}"),
            };
            if of == id {
                return event;
            }
            self.waiting
                .entry(of.to_owned())
                .or_default()
                .push_back(event);
        }
    }

    /// The first message of `id` that is not data: its error or its end.
    pub async fn end(&mut self, id: &str) -> Event {
        loop {
            match self.next(id).await {
                Event::Data(_) => continue,
                other => return other,
            }
        }
    }

    /// The data of the next message of `id`, failing on anything else.
    pub async fn next_data(&mut self, id: &str) -> Value {
        match self.next(id).await {
            Event::Data(data) => data,
            other => panic!("expected data for {id}, got {other:?}"),
        }
    }

    /// The next protocol message, answering pings on the way; `Err` with
    /// the close frame (if any) when the server closes the connection.
    pub async fn next_protocol_message(&mut self) -> Result<Value, Option<CloseFrame>> {
        loop {
            let message = tokio::time::timeout(PATIENCE, self.socket.next())
                .await
                .expect("a message arrives in time");
            match message {
                Some(Ok(Message::Text(text))) => {
                    let message: Value = serde_json::from_str(&text).expect("JSON");
                    if message["type"] == "ping" {
                        self.pings += 1;
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Ok(message);
                }
                Some(Ok(Message::Close(frame))) => return Err(frame),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Err(None),
            }
        }
    }

    /// Reads without answering pings until the server closes the
    /// connection; its close frame.
    pub async fn silent_until_closed(&mut self) -> Option<CloseFrame> {
        loop {
            let message = tokio::time::timeout(PATIENCE, self.socket.next())
                .await
                .expect("a message arrives in time");
            match message {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    }

    /// Waits for the server to close the connection; its close frame.
    pub async fn closed(&mut self) -> Option<CloseFrame> {
        loop {
            if let Err(frame) = self.next_protocol_message().await {
                return frame;
            }
        }
    }
}

/// The newest log entry's cursor and id.
pub async fn newest_entry(server: &TestServer) -> (String, String) {
    let data = server
        .data(
            "{ logs(first: 1) { edges { cursor node { id } } } }",
            json!({}),
        )
        .await;
    let edge = &data["logs"]["edges"][0];
    (
        edge["cursor"].as_str().unwrap().to_owned(),
        edge["node"]["id"].as_str().unwrap().to_owned(),
    )
}

/// The cursor of the newest entry about user `id`, as its `logs` list
/// gives it: where a subscription filtered to that user resumes.
pub async fn newest_cursor_of(server: &TestServer, id: &str) -> String {
    let data = server
        .data(
            "query($id: ID!) { user(id: $id) { logs(first: 1) { edges { cursor } } } }",
            json!({ "id": id }),
        )
        .await;
    data["user"]["logs"]["edges"][0]["cursor"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Every entry's id, oldest first, after the entry `after_id`.
pub async fn stored_ids_after(server: &TestServer, after_id: &str) -> Vec<String> {
    let mut newest_first = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let data = server
            .data(
                "query($after: String) { logs(first: 100, after: $after) {
                    pageInfo { hasNextPage endCursor } nodes { id } } }",
                json!({ "after": after }),
            )
            .await;
        let logs = &data["logs"];
        for node in logs["nodes"].as_array().unwrap() {
            let id = node["id"].as_str().unwrap().to_owned();
            if id == after_id {
                newest_first.reverse();
                return newest_first;
            }
            newest_first.push(id);
        }
        assert_eq!(
            logs["pageInfo"]["hasNextPage"], true,
            "{after_id} not found"
        );
        after = logs["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
}

/// The id of a `logAdded` event's entry.
pub fn event_id(data: &Value) -> String {
    data["logAdded"]["node"]["id"].as_str().unwrap().to_owned()
}

/// The `logAdded` subscription of the tests: every entry after a cursor.
pub const LOG_ADDED: &str = "subscription($filter: LogFilter, $after: String) {
    logAdded(filter: $filter, after: $after) { cursor node { id key userId } } }";
