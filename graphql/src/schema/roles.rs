//! Roles: the `Role` type, role queries, role mutations and the mutations
//! that assign roles to users.

use async_graphql::{Context, ID, Object};
use usergraph_core::{Permission, RoleId};

use super::connection::{connection_types, page_args, wants_total_count};
use super::context::{require_signed_in, service_and_caller};
use super::inputs::{CreateRoleInput, UpdateRoleInput};
use super::scalars::DateTime;
use super::users::{User, UserConnection};
use crate::errors::ServiceResultExt;
use crate::limits::page_cost;

#[derive(Debug)]
pub struct Role(pub usergraph_core::Role);

#[Object]
impl Role {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Unique case-insensitively.
    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Sorted, without duplicates.
    async fn permissions(&self) -> &[String] {
        &self.0.permissions
    }

    /// Whether every new user gets this role.
    async fn is_default(&self) -> bool {
        self.0.is_default
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime {
        self.0.updated_at
    }

    /// The users holding this role, newest first.
    #[graphql(complexity = "page_cost(first, last) * child_complexity")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<UserConnection> {
        let (service, caller) = service_and_caller(ctx)?;
        let connection = service
            .role_users(
                caller,
                &self.0.id,
                page_args(first, after, last, before),
                wants_total_count(ctx),
            )
            .await
            .gql()?;
        Ok(UserConnection(connection))
    }
}

connection_types!(RoleConnection, RoleEdge, Role, usergraph_core::Role);

#[derive(Debug, Default)]
pub struct RolesQuery;

#[Object]
impl RolesQuery {
    /// Null when no role has this id.
    async fn role(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Role>> {
        let (service, caller) = service_and_caller(ctx)?;
        let role = service.role(caller, &id).await.gql()?;
        Ok(role.map(Role))
    }

    /// By name. `search` matches a case-insensitive substring of the id,
    /// name or description.
    #[graphql(complexity = "page_cost(first, None) * child_complexity")]
    async fn roles(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<RoleConnection> {
        let (service, caller) = service_and_caller(ctx)?;
        let connection = service
            .search_roles(
                caller,
                search,
                page_args(first, after, None, None),
                wants_total_count(ctx),
            )
            .await
            .gql()?;
        Ok(RoleConnection(connection))
    }

    /// Every permission the server checks, in a stable order: what a
    /// role's `permissions` can grant (a role may also hold other strings,
    /// which grant nothing here). Needs no permission; an anonymous
    /// request gets `UNAUTHENTICATED`.
    async fn known_permissions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<&str>> {
        let (_, caller) = service_and_caller(ctx)?;
        require_signed_in(caller)?;
        Ok(Permission::ALL.iter().map(|p| p.as_str()).collect())
    }
}

#[derive(Debug, Default)]
pub struct RolesMutation;

#[Object]
impl RolesMutation {
    async fn create_role(
        &self,
        ctx: &Context<'_>,
        input: CreateRoleInput,
    ) -> async_graphql::Result<Role> {
        let (service, caller) = service_and_caller(ctx)?;
        let role = service.create_role(caller, input.into()).await.gql()?;
        Ok(Role(role))
    }

    async fn update_role(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateRoleInput,
    ) -> async_graphql::Result<Role> {
        let (service, caller) = service_and_caller(ctx)?;
        let role = service.update_role(caller, &id, input.into()).await.gql()?;
        Ok(Role(role))
    }

    /// Removes the role from every user holding it. Returns its id.
    async fn delete_role(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ID> {
        let (service, caller) = service_and_caller(ctx)?;
        let id: RoleId = service.delete_role(caller, &id).await.gql()?;
        Ok(ID(id.into_string()))
    }

    /// Adds roles to a user; roles it holds already are fine.
    async fn assign_user_roles(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        role_ids: Vec<ID>,
    ) -> async_graphql::Result<User> {
        let (service, caller) = service_and_caller(ctx)?;
        let role_ids = ids_to_strings(role_ids);
        let user = service
            .assign_user_roles(caller, &user_id, &role_ids)
            .await
            .gql()?;
        Ok(User(user))
    }

    /// Makes the user's roles exactly these.
    async fn replace_user_roles(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        role_ids: Vec<ID>,
    ) -> async_graphql::Result<User> {
        let (service, caller) = service_and_caller(ctx)?;
        let role_ids = ids_to_strings(role_ids);
        let user = service
            .replace_user_roles(caller, &user_id, &role_ids)
            .await
            .gql()?;
        Ok(User(user))
    }

    async fn remove_user_role(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        role_id: ID,
    ) -> async_graphql::Result<User> {
        let (service, caller) = service_and_caller(ctx)?;
        let user = service
            .remove_user_role(caller, &user_id, &role_id)
            .await
            .gql()?;
        Ok(User(user))
    }
}

fn ids_to_strings(ids: Vec<ID>) -> Vec<String> {
    ids.into_iter().map(|id| id.0).collect()
}
