// Subscriptions over the API's WebSocket, in the graphql-transport-ws
// protocol (the server's README, "Live updates"): just what the console
// needs, one subscription per connection, so that no client library has
// to be shipped.
import { ApiError, currentToken, operationText } from './api.js';

const PROTOCOL = 'graphql-transport-ws';

function endpoint() {
  const url = new URL('../graphql', document.baseURI);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

/// Starts the subscription `name` with `variables`: `onData(data)` for
/// each event, `onError(ApiError)` once when it ends with an error or the
/// connection is lost. Returns a function that stops it.
export function subscribe(name, variables, { onData, onError }) {
  let stopped = false;
  let socket = null;
  const fail = (error) => {
    if (!stopped) {
      stopped = true;
      onError(error);
      if (socket) {
        socket.close(1000);
      }
    }
  };
  operationText(name).then(
    (query) => {
      if (stopped) {
        return;
      }
      socket = new WebSocket(endpoint(), PROTOCOL);
      socket.onopen = () => {
        const token = currentToken();
        const payload = token ? { Authorization: `Bearer ${token}` } : {};
        socket.send(JSON.stringify({ type: 'connection_init', payload }));
      };
      socket.onmessage = (message) => {
        let parsed;
        try {
          parsed = JSON.parse(message.data);
        } catch {
          return;
        }
        switch (parsed.type) {
          case 'connection_ack':
            socket.send(JSON.stringify({
              id: '1',
              type: 'subscribe',
              payload: { query, variables, operationName: name },
            }));
            break;
          case 'ping':
            socket.send(JSON.stringify({ type: 'pong' }));
            break;
          case 'next': {
            const errors = parsed.payload && parsed.payload.errors;
            if (errors && errors.length > 0) {
              fail(apiError(errors[0]));
            } else {
              onData(parsed.payload.data);
            }
            break;
          }
          case 'error':
            fail(apiError((parsed.payload || [])[0]));
            break;
          case 'complete':
            fail(new ApiError('NETWORK', 'the subscription ended'));
            break;
          default:
            break;
        }
      };
      socket.onclose = (event) => {
        const reason = event.reason || `connection closed (${event.code})`;
        const code = reason.startsWith('UNAUTHENTICATED') ? 'UNAUTHENTICATED' : 'NETWORK';
        fail(new ApiError(code, reason));
      };
    },
    (error) => fail(error),
  );
  return () => {
    stopped = true;
    if (socket) {
      socket.close(1000);
    }
  };
}

function apiError(error) {
  const extensions = (error && error.extensions) || {};
  const failure = new ApiError(extensions.code || 'INTERNAL', (error && error.message) || 'error');
  failure.lastCursor = extensions.lastCursor ?? null;
  return failure;
}
