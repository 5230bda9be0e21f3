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

/// Runs the operation `name` with `variables`; resolves to its `data`, or
/// rejects with an ApiError for the first error the API reports.
export async function run(name, variables = {}) {
  const query = await documentOf(name);
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (token) {
    headers.Authorization = `Bearer ${token}`;
  }
  let response;
  try {
    response = await fetch(endpoint(), {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables, operationName: name }),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (cause) {
    throw new ApiError('NETWORK', String(cause));
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError('NETWORK', `HTTP ${response.status}`, { status: response.status });
  }
  const first = body.errors && body.errors[0];
  if (first) {
    const extensions = first.extensions || {};
    const error = new ApiError(extensions.code || 'INTERNAL', first.message, {
      field: extensions.field ?? null,
      retryAfter: extensions.retryAfter ?? null,
      status: response.status,
    });
    if (response.status === 401 && token) {
      onUnauthenticated(error);
    }
    throw error;
  }
  return body.data;
}
