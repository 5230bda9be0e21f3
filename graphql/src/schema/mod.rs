//! The GraphQL schema, by area. Names follow the contract in DESIGN.md.

pub mod connection;
mod context;
pub mod enums;
pub mod filter;
pub mod inputs;
pub mod live;
pub mod logs;
pub mod order;
pub mod roles;
pub mod scalars;
pub mod session;
pub mod tokens;
pub mod users;

use async_graphql::{MergedObject, Schema};
use usergraph_core::Service;

use crate::introspection::RefuseIntrospection;
use crate::limits::{ApiSettings, DocumentLimits, MAX_SELECTION_NESTING, QueryLimits};

#[derive(Debug, Default, MergedObject)]
pub struct Query(users::UsersQuery, roles::RolesQuery, logs::LogsQuery);

#[derive(Debug, Default, MergedObject)]
pub struct Mutation(
    users::UsersMutation,
    roles::RolesMutation,
    tokens::TokensMutation,
    session::SessionMutation,
);

pub type UsergraphSchema = Schema<Query, Mutation, live::Subscription>;

/// The schema with its limits, serving `service`. Each request must add
/// its `Caller` and its `Loaders` (the router does).
pub fn build_schema(service: Service, settings: &ApiSettings) -> UsergraphSchema {
    schema_builder(settings).data(service).finish()
}

/// The schema's SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    schema_builder(&ApiSettings::default()).finish().sdl()
}

pub(crate) fn schema_builder(
    settings: &ApiSettings,
) -> async_graphql::SchemaBuilder<Query, Mutation, live::Subscription> {
    let builder = Schema::build(Query::default(), Mutation::default(), live::Subscription)
        // QueryLimits refuses deeper documents first, with LIMIT_EXCEEDED.
        .limit_recursive_depth(MAX_SELECTION_NESTING)
        .extension(QueryLimits {
            document: DocumentLimits::of(settings),
            max_complexity: settings.max_complexity,
        })
        .extension(crate::observability::Observe);
    if settings.introspection {
        builder
    } else {
        // "Did you mean ...?" would name the fields introspection hides.
        builder
            .disable_introspection()
            .disable_suggestions()
            .extension(RefuseIntrospection)
    }
}
