//! What resolvers take from the request context.

use async_graphql::Context;
use usergraph_core::{Caller, Service};

/// The service and the request's caller.
pub fn service_and_caller<'a>(
    ctx: &Context<'a>,
) -> async_graphql::Result<(&'a Service, &'a Caller)> {
    Ok((ctx.data::<Service>()?, ctx.data::<Caller>()?))
}

/// `UNAUTHENTICATED` for an anonymous caller, before a resolver parses its
/// arguments: an anonymous caller learns nothing from a `VALIDATION` error
/// about an id it could not use anyway. Core checks permissions again.
pub fn require_signed_in(caller: &Caller) -> async_graphql::Result<()> {
    if caller.is_anonymous() {
        Err(crate::errors::to_graphql(
            &usergraph_core::Error::Unauthenticated,
        ))
    } else {
        Ok(())
    }
}
