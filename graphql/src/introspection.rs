//! Refusing introspection when it is turned off. async-graphql's
//! `disable_introspection` answers `__schema` and `__type` with a bare
//! `null`, which reads like an empty schema; a client should rather be told.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{PathSegment, ServerError, ServerResult, Value};

use crate::errors::server_error;

/// The code of a refused introspection query.
const FORBIDDEN: &str = "FORBIDDEN";

/// Fails root `__schema` and `__type` fields with `FORBIDDEN`. Installed
/// with `disable_introspection`, which keeps nested introspection (there is
/// none without a root field) and `__typename` working.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RefuseIntrospection;

impl ExtensionFactory for RefuseIntrospection {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

#[async_trait::async_trait]
impl Extension for RefuseIntrospection {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let root = info.path_node.parent.is_none();
        if root && matches!(info.name, "__schema" | "__type") {
            let mut error: ServerError =
                server_error(FORBIDDEN, "introspection is turned off on this server");
            error.path = vec![PathSegment::Field(
                info.alias.unwrap_or(info.name).to_owned(),
            )];
            return Err(error);
        }
        next.run(ctx, info).await
    }
}
