//! One tracing span and one log line per GraphQL request, and the request
//! metrics (see [`crate::metrics`]). The span carries the operation (the
//! root field run, e.g. `createUser`), the caller's user id, the duration
//! and the first error code. Never the query text, its variables or any
//! header: those may hold passwords and tokens.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextRequest,
};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, Selection};
use async_graphql::{Response, ServerError, ServerResult, Value, Variables};
use tracing::Instrument;
use tracing::field::Empty;
use usergraph_core::Caller;

use crate::errors::BAD_REQUEST;
use crate::metrics::{record_error, record_operation};

/// The `operation` label of requests that never ran: they did not parse
/// or validate, or were over a limit.
const NOT_RUN: &str = "invalid";

/// The `caller` of requests without a user.
const ANONYMOUS: &str = "anonymous";

/// Registers the per-request observer; see the module docs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Observe;

impl ExtensionFactory for Observe {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Observer::default())
    }
}

/// What one request's hooks learn, for its final log line.
#[derive(Debug, Default)]
struct Observer {
    state: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    caller: Option<String>,
    /// The first root field of each operation of the document, by
    /// operation name (`None` for an anonymous operation).
    roots: HashMap<Option<String>, String>,
    /// The root field of the operation that ran.
    operation: Option<String>,
}

impl Observer {
    fn with_state(&self, f: impl FnOnce(&mut Seen)) {
        // A poisoned lock only loses a log field; the request goes on.
        if let Ok(mut seen) = self.state.lock() {
            f(&mut seen);
        }
    }
}

#[async_trait::async_trait]
impl Extension for Observer {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let span = request_span();
        let started = Instant::now();
        let response = next.run(ctx).instrument(span.clone()).await;
        let elapsed = started.elapsed();
        let (operation, caller) = self
            .state
            .lock()
            .map(|seen| (seen.operation.clone(), seen.caller.clone()))
            .unwrap_or_default();
        let operation = operation.unwrap_or_else(|| NOT_RUN.to_owned());
        span.record("caller", caller.as_deref().unwrap_or(ANONYMOUS));
        finish(&span, &operation, &response.errors, elapsed);
        response
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        // The caller is request data, attached just before parsing.
        let caller = ctx
            .data_opt::<Caller>()
            .and_then(|caller| caller.user_id.as_ref())
            .map(ToString::to_string);
        self.with_state(|seen| seen.caller = caller);
        let document = next.run(ctx, query, variables).await?;
        let roots = root_fields(&document);
        self.with_state(|seen| seen.roots = roots);
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        // Execution starts only after validation: the root field is one of
        // the schema's, so the label stays bounded.
        self.with_state(|seen| seen.operation = ran_root(&seen.roots, operation_name));
        next.run(ctx, operation_name).await
    }
}

/// Records a request the router refused before it reached the schema (a
/// document over a limit), as one that did not run. Its log line has no
/// caller: the request was refused before its token was looked at.
pub(crate) fn record_refused(error: &ServerError, elapsed: Duration) {
    let span = request_span();
    finish(&span, NOT_RUN, std::slice::from_ref(error), elapsed);
}

fn request_span() -> tracing::Span {
    tracing::info_span!(
        "graphql",
        operation = Empty,
        caller = Empty,
        duration_ms = Empty,
        error_code = Empty,
    )
}

/// The request's metrics and its log line.
fn finish(span: &tracing::Span, operation: &str, errors: &[ServerError], elapsed: Duration) {
    record_operation(operation, elapsed);
    let codes: Vec<String> = errors.iter().map(error_code).collect();
    codes.iter().for_each(|code| record_error(code));
    span.record("operation", operation);
    span.record(
        "duration_ms",
        tracing::field::display(format_args!("{:.3}", elapsed.as_secs_f64() * 1000.0)),
    );
    if let Some(code) = codes.first() {
        span.record("error_code", code.as_str());
    }
    span.in_scope(|| tracing::info!("graphql request"));
}

fn root_fields(document: &ExecutableDocument) -> HashMap<Option<String>, String> {
    match &document.operations {
        DocumentOperations::Single(operation) => {
            first_field(&operation.node.selection_set.node.items)
                .map(|root| (None, root))
                .into_iter()
                .collect()
        }
        DocumentOperations::Multiple(operations) => operations
            .iter()
            .filter_map(|(name, operation)| {
                let root = first_field(&operation.node.selection_set.node.items)?;
                Some((Some(name.to_string()), root))
            })
            .collect(),
    }
}

/// The root field of the operation `operation_name` selects: the named one,
/// or the document's only one.
fn ran_root(
    roots: &HashMap<Option<String>, String>,
    operation_name: Option<&str>,
) -> Option<String> {
    operation_name
        .and_then(|name| roots.get(&Some(name.to_owned())))
        .or_else(|| roots.get(&None))
        .or_else(|| (roots.len() == 1).then(|| roots.values().next()).flatten())
        .cloned()
}

fn first_field(items: &[async_graphql::Positioned<Selection>]) -> Option<String> {
    items.iter().find_map(|item| match &item.node {
        Selection::Field(field) => Some(field.node.name.node.to_string()),
        _ => None,
    })
}

/// The error's code; async-graphql's own (parse, validation) errors have
/// none yet and are `BAD_REQUEST`, as the router will label them.
pub(crate) fn error_code(error: &ServerError) -> String {
    match error.extensions.as_ref().and_then(|ext| ext.get("code")) {
        Some(Value::String(code)) => code.clone(),
        Some(Value::Enum(code)) => code.to_string(),
        _ => BAD_REQUEST.to_owned(),
    }
}

/// Counts errors answered before any GraphQL ran (a refused token, an
/// oversized body).
pub(crate) fn count_transport_error(error: &ServerError) {
    record_error(&error_code(error));
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use async_graphql::parser::parse_query;

    use super::*;

    fn ran(query: &str, operation_name: Option<&str>) -> Option<String> {
        ran_root(&root_fields(&parse_query(query).unwrap()), operation_name)
    }

    #[test]
    fn the_label_is_the_root_field_of_the_operation_run() {
        assert_eq!(
            ran("{ me { id } users { totalCount } }", None).as_deref(),
            Some("me")
        );
        assert_eq!(
            ran("query Mine { me { id } }", Some("Mine")).as_deref(),
            Some("me")
        );
        assert_eq!(ran("query Mine { me { id } }", None).as_deref(), Some("me"));
        let two = "query A { me { id } } mutation B { signOut }";
        assert_eq!(ran(two, Some("B")).as_deref(), Some("signOut"));
        assert_eq!(ran(two, Some("A")).as_deref(), Some("me"));
        assert_eq!(ran("{ ... on Query { me { id } } }", None), None);
    }
}
