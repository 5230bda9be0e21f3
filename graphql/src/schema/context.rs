//! What resolvers take from the request context.

use async_graphql::Context;
use usergraph_core::{Caller, Service};

/// The service and the request's caller.
pub fn service_and_caller<'a>(
    ctx: &Context<'a>,
) -> async_graphql::Result<(&'a Service, &'a Caller)> {
    Ok((ctx.data::<Service>()?, ctx.data::<Caller>()?))
}
