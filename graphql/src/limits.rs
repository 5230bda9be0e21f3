//! Request limits. Each is checked before any resolver runs, so a request
//! over a limit costs a parse at most and is answered with `LIMIT_EXCEEDED`.
//! The router checks a request's document ([`DocumentLimits::check`])
//! before it authenticates the caller; the schema's [`QueryLimits`]
//! extension checks again whatever reaches the schema another way
//! ([`crate::Usergraph::execute`]).

use std::sync::Arc;
use std::time::Duration;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest, NextValidation,
};
use async_graphql::{Request, ServerError, ServerResult, ValidationResult};

use crate::client_addr::TrustedProxies;
use crate::document::{Unbounded, expand};
use crate::errors::{LIMIT_EXCEEDED, server_error};
use crate::nesting::{document_nesting, variables_nesting};

/// How deeply an input value (an argument or a variable) may nest objects
/// and lists. Far above what any input of the schema needs (a filter at its
/// own depth limit takes about 20), far below what would exhaust the stack
/// of the recursive parsing that follows.
pub const MAX_INPUT_NESTING: usize = 32;

/// How deeply a document may nest selection sets: braces, checked before
/// parsing, and then levels with fragments spread (a field's selection set,
/// an inline fragment and a fragment spread are a level each). The schema's
/// recursion guard is set to the same value, so it never answers first.
pub const MAX_SELECTION_NESTING: usize = 64;

/// How deeply a request body may nest JSON objects and arrays: over it the
/// body is refused before it is decoded (the decoder recurses, and stops
/// at 128 levels with a less helpful error). Variables nested past
/// [`MAX_INPUT_NESTING`] but within this are refused after decoding.
pub const MAX_JSON_NESTING: usize = 64;

/// What the HTTP API accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiSettings {
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Deepest selection nesting.
    pub max_depth: usize,
    /// Highest query complexity: each field costs 1, and a connection field
    /// multiplies the cost of its selection by its page size.
    pub max_complexity: usize,
    /// Largest document once every fragment spread is replaced by the
    /// fragment it names: each field, fragment spread, inline fragment,
    /// directive and argument value counts 1 each time a spread repeats
    /// it, in every operation and every fragment definition, and so does
    /// each variable definition.
    pub max_nodes: usize,
    /// Most operations in one batch request.
    pub max_batch: usize,
    /// Whether the schema answers introspection (`__schema`, `__type`), to
    /// anonymous callers too: it describes the API, not its data. Off, its
    /// validation errors stop suggesting field names too.
    pub introspection: bool,
    /// Proxies whose forwarding headers name the client (see
    /// [`TrustedProxies`]); none by default.
    pub trusted_proxies: TrustedProxies,
    /// Longest a request may take, body reading included, before it is
    /// answered with `TIMEOUT`.
    pub request_timeout: Duration,
    /// Whether the router serves the admin console at `/console/` (and
    /// redirects `/` there). The API enforces every permission either way.
    pub console: bool,
    /// Subscription connections (WebSocket) one token may hold open.
    pub max_live_connections_per_token: usize,
    /// Subscriptions one connection may run at once.
    pub max_subscriptions_per_connection: usize,
    /// Largest WebSocket message a client may send, in bytes.
    pub max_live_message_bytes: usize,
    /// How often the server pings a subscription connection; one that
    /// sends nothing back for twice as long is closed.
    pub live_keepalive: Duration,
    /// How long a connection may stay open without a subscription.
    pub live_idle_timeout: Duration,
    /// How long a client has to send `connection_init` before the
    /// connection is closed with 4408.
    pub live_init_timeout: Duration,
}

impl Default for ApiSettings {
    fn default() -> Self {
        ApiSettings {
            max_body_bytes: 1024 * 1024,
            max_depth: 16,
            max_complexity: 5000,
            max_nodes: 10_000,
            max_batch: 10,
            introspection: true,
            trusted_proxies: TrustedProxies::default(),
            request_timeout: Duration::from_secs(30),
            console: true,
            max_live_connections_per_token: 8,
            max_subscriptions_per_connection: 16,
            max_live_message_bytes: 64 * 1024,
            live_keepalive: Duration::from_secs(15),
            live_idle_timeout: Duration::from_secs(300),
            live_init_timeout: Duration::from_secs(10),
        }
    }
}

/// The page size a connection field is charged for in complexity: what
/// `first` or `last` asks, else the default page size. Out-of-range values
/// are charged as the largest page; the service rejects them anyway.
pub fn page_cost(first: Option<i32>, last: Option<i32>) -> usize {
    let max = usergraph_core::page::PageArgs::MAX_SIZE;
    match first.or(last) {
        None => usergraph_core::page::PageArgs::DEFAULT_SIZE,
        Some(n) => usize::try_from(n).map_or(max, |n| n.clamp(1, max)),
    }
}

/// The limits on a request's document that need no schema.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DocumentLimits {
    pub max_depth: usize,
    pub max_nodes: usize,
}

impl DocumentLimits {
    pub(crate) fn of(settings: &ApiSettings) -> Self {
        DocumentLimits {
            max_depth: settings.max_depth,
            max_nodes: settings.max_nodes,
        }
    }

    /// Refuses `request` when its input values or selections nest too
    /// deeply, or its document, once fragments are spread, is too large or
    /// too deep. Work is linear in the size of the query and variables:
    /// nesting and nodes are scanned before parsing (the parser recurses
    /// once per level, and is slow), and the parsed document is measured
    /// without expanding it.
    /// The parsed document stays in `request`, so it is parsed once. A
    /// document that does not parse passes: parsing it again, as the schema
    /// does, reports the syntax error (in linear time too).
    pub(crate) fn check(&self, request: &mut Request) -> Result<(), ServerError> {
        let nesting = document_nesting(&request.query);
        let values = nesting.values.max(variables_nesting(&request.variables));
        if values > MAX_INPUT_NESTING {
            return Err(server_error(
                LIMIT_EXCEEDED,
                format!(
                    "input values nest {values} levels of objects and lists, over the limit of {MAX_INPUT_NESTING}"
                ),
            ));
        }
        if nesting.selections > MAX_SELECTION_NESTING {
            return Err(server_error(
                LIMIT_EXCEEDED,
                format!(
                    "selections nest {} levels, over the limit of {MAX_SELECTION_NESTING}",
                    nesting.selections
                ),
            ));
        }
        // The parser takes microseconds per selection: a body full of them
        // is refused before it is parsed, by a count that never exceeds
        // what measuring the parsed document would find.
        if nesting.nodes > self.max_nodes {
            return Err(self.too_many_nodes(format!("at least {}", nesting.nodes)));
        }
        let Ok(document) = request.parsed_query() else {
            return Ok(());
        };
        let expansion = match expand(document, MAX_SELECTION_NESTING) {
            Ok(expansion) => expansion,
            Err(Unbounded::Nesting) => {
                return Err(server_error(
                    LIMIT_EXCEEDED,
                    format!(
                        "selections nest more than {MAX_SELECTION_NESTING} levels once fragments are spread"
                    ),
                ));
            }
            Err(Unbounded::Cycle(fragment)) => {
                return Err(server_error(
                    LIMIT_EXCEEDED,
                    format!(
                        "fragment {fragment} spreads itself, directly or through other fragments: it would expand without end"
                    ),
                ));
            }
        };
        if expansion.nodes > u64::try_from(self.max_nodes).unwrap_or(u64::MAX) {
            return Err(self.too_many_nodes(expansion.nodes.to_string()));
        }
        if expansion.depth > self.max_depth {
            return Err(server_error(
                LIMIT_EXCEEDED,
                format!(
                    "query depth {} exceeds the limit of {}",
                    expansion.depth, self.max_depth
                ),
            ));
        }
        Ok(())
    }

    fn too_many_nodes(&self, count: String) -> ServerError {
        server_error(
            LIMIT_EXCEEDED,
            format!(
                "the document expands to {count} nodes once fragments are spread, over the limit of {}",
                self.max_nodes
            ),
        )
    }
}

/// Applies [`DocumentLimits`] to every request the schema runs, and
/// refuses documents more complex than allowed, with a message that says
/// by how much (the schema builder's own `limit_complexity` would refuse
/// them too, but without a code or the numbers).
#[derive(Clone, Copy, Debug)]
pub(crate) struct QueryLimits {
    pub document: DocumentLimits,
    pub max_complexity: usize,
}

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

#[async_trait::async_trait]
impl Extension for QueryLimits {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        // A second check of a request the router checked costs a scan and a
        // measure, both linear; its document is already parsed.
        self.document.check(&mut request)?;
        next.run(ctx, request).await
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        if result.complexity > self.max_complexity {
            return Err(vec![server_error(
                LIMIT_EXCEEDED,
                format!(
                    "query complexity {} exceeds the limit of {}",
                    result.complexity, self.max_complexity
                ),
            )]);
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_cost_follows_the_requested_page() {
        assert_eq!(page_cost(None, None), 20);
        assert_eq!(page_cost(Some(5), None), 5);
        assert_eq!(page_cost(None, Some(7)), 7);
        assert_eq!(page_cost(Some(0), None), 1);
        assert_eq!(page_cost(Some(-3), None), 100);
        assert_eq!(page_cost(Some(100_000), None), 100);
    }
}
