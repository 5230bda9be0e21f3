//! Request limits. Each is checked before any resolver runs, so a request
//! over a limit costs a parse at most and is answered with `LIMIT_EXCEEDED`.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{ServerError, ServerResult, ValidationResult, Variables};

use crate::errors::{LIMIT_EXCEEDED, server_error};
use crate::nesting::{document_nesting, variables_nesting};

/// How deeply an input value (an argument or a variable) may nest objects
/// and lists. Far above what any input of the schema needs (a filter at its
/// own depth limit takes about 20), far below what would exhaust the stack
/// of the recursive parsing that follows.
pub const MAX_INPUT_NESTING: usize = 32;

/// How deeply a document may nest selection sets (braces, fragments
/// included), checked before parsing; async-graphql's parser stops there too.
pub const MAX_SELECTION_NESTING: usize = 64;

/// What the HTTP API accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiSettings {
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Deepest selection nesting.
    pub max_depth: usize,
    /// Highest query complexity: each field costs 1, and a connection field
    /// multiplies the cost of its selection by its page size.
    pub max_complexity: usize,
    /// Most operations in one batch request.
    pub max_batch: usize,
    /// Whether the schema answers introspection (`__schema`, `__type`), to
    /// anonymous callers too: it describes the API, not its data.
    pub introspection: bool,
    /// Whether the router serves the admin console at `/console/` (and
    /// redirects `/` there). The API enforces every permission either way.
    pub console: bool,
}

impl Default for ApiSettings {
    fn default() -> Self {
        ApiSettings {
            max_body_bytes: 1024 * 1024,
            max_depth: 16,
            max_complexity: 5000,
            max_batch: 10,
            introspection: true,
            console: true,
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

/// Refuses documents deeper or more complex than the settings allow, with
/// messages that say which limit and by how much. (The schema builder's own
/// `limit_depth`/`limit_complexity` would refuse them too, but without a
/// code or the numbers.) Nesting is checked before parsing, since parsing
/// recurses once per level.
#[derive(Clone, Copy, Debug)]
pub(crate) struct QueryLimits {
    pub max_depth: usize,
    pub max_complexity: usize,
}

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

#[async_trait::async_trait]
impl Extension for QueryLimits {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let nesting = document_nesting(query);
        let values = nesting.values.max(variables_nesting(variables));
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
        next.run(ctx, query, variables).await
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        if result.depth > self.max_depth {
            return Err(vec![server_error(
                LIMIT_EXCEEDED,
                format!(
                    "query depth {} exceeds the limit of {}",
                    result.depth, self.max_depth
                ),
            )]);
        }
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
