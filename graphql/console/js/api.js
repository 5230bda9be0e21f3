// The console's only way to the server: the GraphQL API it is served
// beside, running the operations of ../operations/*.graphql by name.

/// What an operation failed with: the API's `extensions.code` (or
/// `NETWORK` when the server could not be reached), its message, and the
/// input field at fault when the API names one.
export class ApiError extends Error {
  constructor(code, message, { field = null, retryAfter = null, status = null } = {}) {
    super(message);
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
    this.status = status;
  }
}

let token = null;
let onUnauthenticated = () => {};
const documents = new Map();

/// The bearer token sent with every operation (null: none).
export function setToken(value) {
  token = value;
}

/// The bearer token operations are sent with (null: none).
export function currentToken() {
  return token;
}

/// Called when the server refuses the token (HTTP 401): it expired or was
/// revoked, so the console has to sign in again.
export function setUnauthenticatedHandler(handler) {
  onUnauthenticated = handler;
}

// The API is mounted beside the console: `<mount>/graphql` for a console
// at `<mount>/console/`.
function endpoint() {
  return new URL('../graphql', document.baseURI).href;
}

function documentOf(name) {
  if (!documents.has(name)) {
    const url = new URL(`operations/${name}.graphql`, document.baseURI);
    const text = fetch(url).then((response) => {
      if (!response.ok) {
        throw new ApiError('NETWORK', `${url.pathname}: HTTP ${response.status}`);
      }
      return response.text();
    });
    // A failed load is retried next time rather than remembered.
    text.catch(() => documents.delete(name));
    documents.set(name, text);
  }
  return documents.get(name);
}

function headers() {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (token) {
    headers.Authorization = `Bearer ${token}`;
  }
  return headers;
}

/// POSTs `payload` (one request or a batch); resolves to the HTTP status
/// and the parsed body.
async function post(payload) {
  let response;
  try {
    response = await fetch(endpoint(), {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify(payload),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (cause) {
    throw new ApiError('NETWORK', String(cause));
  }
  try {
    return { status: response.status, body: await response.json() };
  } catch {
    throw new ApiError('NETWORK', `HTTP ${response.status}`, { status: response.status });
  }
}

/// The first error of a response body as an ApiError, or null.
function firstError(body, status) {
  const first = body && body.errors && body.errors[0];
  if (!first) {
    return null;
  }
  const extensions = first.extensions || {};
  const error = new ApiError(extensions.code || 'INTERNAL', first.message, {
    field: extensions.field ?? null,
    retryAfter: extensions.retryAfter ?? null,
    status,
  });
  if (status === 401 && token) {
    onUnauthenticated(error);
  }
  return error;
}

/// The text of the operation `name` (a promise).
export function operationText(name) {
  return documentOf(name);
}

async function request(name, variables) {
  return { query: await documentOf(name), variables, operationName: name };
}

/// Runs the operation `name` with `variables`; resolves to its `data`, or
/// rejects with an ApiError for the first error the API reports.
export async function run(name, variables = {}) {
  const { status, body } = await post(await request(name, variables));
  const error = firstError(body, status);
  if (error) {
    throw error;
  }
  return body.data;
}

/// Runs several operations, `[name, variables]` each, in one HTTP request
/// (a GraphQL batch), so that a screen needing several answers costs one
/// round trip. Resolves to one `{ data, error }` per operation: each fails
/// on its own (a FORBIDDEN part leaves the others' data). A server that
/// refuses batches (its `max_batch` set below the count) gets them one by one.
export async function runAll(operations) {
  const requests = await Promise.all(operations.map(([name, variables = {}]) => request(name, variables)));
  const { status, body } = await post(requests);
  if (Array.isArray(body)) {
    return body.map((one) => {
      const error = firstError(one, status);
      return error ? { data: null, error } : { data: one.data, error: null };
    });
  }
  const error = firstError(body, status);
  if (error && error.code === 'LIMIT_EXCEEDED') {
    return Promise.all(
      operations.map(([name, variables]) =>
        run(name, variables).then(
          (data) => ({ data, error: null }),
          (failure) => ({ data: null, error: failure }),
        ),
      ),
    );
  }
  throw error || new ApiError('INTERNAL', 'the server answered a batch with a single response');
}
