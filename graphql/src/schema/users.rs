//! Users: the `User` type with its profile and identities, the user queries
//! and the user mutations.

use async_graphql::{Context, ID, Object};
use usergraph_core::query::{LogFilter as CoreLogFilter, UserOrder as CoreUserOrder};
use usergraph_core::service::UserQuery;

use super::connection::{connection_types, page_args, wants_total_count};
use super::context::service_and_caller;
use super::filter::UserFilter;
use super::inputs::{CreateUserInput, IdentityInput, ProfileInput, UpdateUserInput};
use super::logs::{LogConnection, LogFilter};
use super::order::UserOrder;
use super::roles::Role;
use super::scalars::{DateTime, Json, json_object};
use super::tokens::PersonalAccessToken;
use crate::errors::{ServiceResultExt, to_graphql};
use crate::limits::page_cost;
use crate::loaders::Loaders;

#[derive(Debug)]
pub struct User(pub usergraph_core::User);

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn username(&self) -> Option<&str> {
        self.0.username.as_deref()
    }

    async fn primary_email(&self) -> Option<&str> {
        self.0.primary_email.as_deref()
    }

    /// Digits only, without `+`.
    async fn primary_phone(&self) -> Option<&str> {
        self.0.primary_phone.as_deref()
    }

    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }

    async fn avatar(&self) -> Option<&str> {
        self.0.avatar.as_deref()
    }

    async fn profile(&self) -> Profile {
        Profile(self.0.profile.clone())
    }

    /// A JSON object.
    async fn custom_data(&self) -> Json {
        json_object(&self.0.custom_data)
    }

    /// Linked social identities, by provider name.
    async fn identities(&self) -> Vec<Identity> {
        self.0
            .identities
            .iter()
            .map(|(provider, identity)| Identity {
                provider: provider.clone(),
                identity: identity.clone(),
            })
            .collect()
    }

    /// Loaded for a whole page of users at once.
    async fn roles(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Role>> {
        let (service, caller) = service_and_caller(ctx)?;
        let roles = ctx
            .data::<Loaders>()?
            .roles(service, caller)
            .load_one(self.0.id.clone())
            .await
            .map_err(|e| to_graphql(&e))?;
        Ok(roles.unwrap_or_default().into_iter().map(Role).collect())
    }

    async fn has_password(&self) -> bool {
        self.0.has_password()
    }

    async fn is_suspended(&self) -> bool {
        self.0.is_suspended
    }

    async fn last_sign_in_at(&self) -> Option<DateTime> {
        self.0.last_sign_in_at
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime {
        self.0.updated_at
    }

    /// In creation order, revoked ones included (with `revokedAt`); never
    /// the secrets. One's own, or anyone's with `tokens:read`.
    async fn personal_access_tokens(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<PersonalAccessToken>> {
        let (service, caller) = service_and_caller(ctx)?;
        let tokens = service.personal_tokens(caller, &self.0.id).await.gql()?;
        Ok(tokens.into_iter().map(PersonalAccessToken).collect())
    }

    /// This user's log entries, newest first: one's own, or anyone's with
    /// `logs:read`. `filter.userId`, if given, is AND-ed with this user.
    #[graphql(complexity = "page_cost(first, None) * child_complexity")]
    async fn logs(
        &self,
        ctx: &Context<'_>,
        filter: Option<LogFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<LogConnection> {
        let (service, caller) = service_and_caller(ctx)?;
        let filter = match filter {
            Some(filter) => CoreLogFilter::try_from(filter).gql()?,
            None => CoreLogFilter::default(),
        };
        let connection = service
            .user_logs(
                caller,
                &self.0.id,
                filter,
                page_args(first, after, None, None),
                wants_total_count(ctx),
            )
            .await
            .gql()?;
        Ok(LogConnection(connection))
    }
}

/// OIDC standard claims beyond those on `User`.
#[derive(Debug)]
pub struct Profile(usergraph_core::Profile);

#[Object]
impl Profile {
    async fn family_name(&self) -> Option<&str> {
        self.0.family_name.as_deref()
    }
    async fn given_name(&self) -> Option<&str> {
        self.0.given_name.as_deref()
    }
    async fn middle_name(&self) -> Option<&str> {
        self.0.middle_name.as_deref()
    }
    async fn nickname(&self) -> Option<&str> {
        self.0.nickname.as_deref()
    }
    async fn preferred_username(&self) -> Option<&str> {
        self.0.preferred_username.as_deref()
    }
    async fn profile(&self) -> Option<&str> {
        self.0.profile.as_deref()
    }
    async fn website(&self) -> Option<&str> {
        self.0.website.as_deref()
    }
    async fn gender(&self) -> Option<&str> {
        self.0.gender.as_deref()
    }
    async fn birthdate(&self) -> Option<&str> {
        self.0.birthdate.as_deref()
    }
    async fn zoneinfo(&self) -> Option<&str> {
        self.0.zoneinfo.as_deref()
    }
    async fn locale(&self) -> Option<&str> {
        self.0.locale.as_deref()
    }
    async fn address(&self) -> Option<Address> {
        self.0.address.clone().map(Address)
    }
}

#[derive(Debug)]
pub struct Address(usergraph_core::Address);

#[Object]
impl Address {
    async fn formatted(&self) -> Option<&str> {
        self.0.formatted.as_deref()
    }
    async fn street_address(&self) -> Option<&str> {
        self.0.street_address.as_deref()
    }
    async fn locality(&self) -> Option<&str> {
        self.0.locality.as_deref()
    }
    async fn region(&self) -> Option<&str> {
        self.0.region.as_deref()
    }
    async fn postal_code(&self) -> Option<&str> {
        self.0.postal_code.as_deref()
    }
    async fn country(&self) -> Option<&str> {
        self.0.country.as_deref()
    }
}

/// A social identity linked to a user.
#[derive(Debug)]
pub struct Identity {
    provider: String,
    identity: usergraph_core::Identity,
}

#[Object]
impl Identity {
    /// e.g. `google`; case-sensitive.
    async fn provider(&self) -> &str {
        &self.provider
    }

    /// The user's id at the provider.
    async fn user_id(&self) -> &str {
        &self.identity.user_id
    }

    /// What the provider returned: a JSON object.
    async fn details(&self) -> Json {
        json_object(&self.identity.details)
    }

    async fn linked_at(&self) -> DateTime {
        self.identity.linked_at
    }
}

connection_types!(UserConnection, UserEdge, User, usergraph_core::User);

#[derive(Debug, Default)]
pub struct UsersQuery;

#[Object]
impl UsersQuery {
    /// The user the request's token acts as. Needs no permission; an
    /// anonymous request gets `UNAUTHENTICATED`.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let (service, caller) = service_and_caller(ctx)?;
        let user = service.me(caller).await.gql()?;
        Ok(Some(User(user)))
    }

    /// The permissions this request's credentials carry, sorted: the
    /// user's roles' permissions, narrowed by the scopes of the personal
    /// access token the request authenticated with. Needs no permission;
    /// an anonymous request gets `UNAUTHENTICATED`.
    async fn my_permissions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<&'static str>> {
        let (service, caller) = service_and_caller(ctx)?;
        service.my_permissions(caller).gql()
    }

    /// Null when no user has this id.
    async fn user(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<User>> {
        let (service, caller) = service_and_caller(ctx)?;
        let user = service.user(caller, &id).await.gql()?;
        Ok(user.map(User))
    }

    /// Users matching `search` and `filter` (both, when both are given), in
    /// `orderBy` order.
    ///
    /// `search` is the simple search: a case-insensitive substring of the
    /// id, username, name, primary email or primary phone (at most 128
    /// characters). `filter` is the full language (see `UserFilter`).
    ///
    /// `orderBy` defaults to `createdAt DESC`; a field may appear once.
    /// Users tied on every term are ordered by id in the direction of the
    /// last term, and users without a value for a term come last in either
    /// direction, so the order is total and paging never skips or repeats a
    /// user.
    ///
    /// Pages hold `first` (after `after`) or `last` (before `before`) users:
    /// 20 unless given, at most 100. Cursors are opaque and belong to the
    /// order, `filter` and `search` they were made for: a cursor from
    /// another order, filter or search, or an altered one, is refused with
    /// a `VALIDATION` error.
    #[graphql(complexity = "page_cost(first, last) * child_complexity")]
    // The arguments are the GraphQL contract's.
    #[allow(clippy::too_many_arguments)]
    async fn users(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        filter: Option<UserFilter>,
        order_by: Option<Vec<UserOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<UserConnection> {
        let (service, caller) = service_and_caller(ctx)?;
        let filter = filter.map(UserFilter::into_core).transpose().gql()?;
        let query = UserQuery {
            search,
            filter,
            order: order_by
                .into_iter()
                .flatten()
                .map(CoreUserOrder::from)
                .collect(),
            page: page_args(first, after, last, before),
            count_total: wants_total_count(ctx),
        };
        let connection = service.search_users(caller, query).await.gql()?;
        Ok(UserConnection(connection))
    }
}

#[derive(Debug, Default)]
pub struct UsersMutation;

#[Object]
impl UsersMutation {
    /// New users get every role marked `isDefault`.
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        input: CreateUserInput,
    ) -> async_graphql::Result<User> {
        let (service, caller) = service_and_caller(ctx)?;
        let user = service.create_user(caller, input.into()).await.gql()?;
        Ok(User(user))
    }

    /// Absent fields stay as they are; `null` clears a field.
    async fn update_user(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateUserInput,
    ) -> async_graphql::Result<User> {
        let (service, caller) = service_and_caller(ctx)?;
        let user = service.update_user(caller, &id, input.into()).await.gql()?;
        Ok(User(user))
    }

    /// A shallow merge: absent claims stay, `null` clears a claim.
    async fn update_user_profile(
        &self,
        ctx: &Context<'_>,
        id: ID,
        profile: ProfileInput,
    ) -> async_graphql::Result<User> {
        let (service, caller) = service_and_caller(ctx)?;
        let user = service
            .update_user_profile(caller, &id, profile.into())
            .await
            .gql()?;
        Ok(User(user))
    }

    /// Merges top-level keys (a `null` value removes the key), or replaces
    /// the whole object when `replace` is true.
    async fn update_user_custom_data(
        &self,
        ctx: &Context<'_>,
        id: ID,
        custom_data: Json,
        #[graphql(default_with = "Some(false)")] replace: Option<bool>,
    ) -> async_graphql::Result<User> {
        let (service, caller) = service_and_caller(ctx)?;
        let replace = replace.unwrap_or(false);
        let user = service
            .update_user_custom_data(caller, &id, custom_data.0, replace)
            .await
            .gql()?;
        Ok(User(user))
    }

    /// Returns the deleted user's id. Its log entries stay.
    async fn delete_user(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ID> {
        let (service, caller) = service_and_caller(ctx)?;
        let id = service.delete_user(caller, &id).await.gql()?;
        Ok(ID(id.into_string()))
    }

    async fn set_user_password(
        &self,
        ctx: &Context<'_>,
        id: ID,
        password: String,
    ) -> async_graphql::Result<User> {
        let (service, caller) = service_and_caller(ctx)?;
        let user = service
            .set_user_password(caller, &id, password)
            .await
            .gql()?;
        Ok(User(user))
    }

    /// False for a wrong password and for a user without one. A match on
    /// an imported or weaker digest upgrades it to the current parameters.
    async fn verify_user_password(
        &self,
        ctx: &Context<'_>,
        id: ID,
        password: String,
    ) -> async_graphql::Result<bool> {
        let (service, caller) = service_and_caller(ctx)?;
        service
            .verify_user_password(caller, &id, password)
            .await
            .gql()
    }

    async fn set_user_suspended(
        &self,
        ctx: &Context<'_>,
        id: ID,
        suspended: bool,
    ) -> async_graphql::Result<User> {
        let (service, caller) = service_and_caller(ctx)?;
        let user = service
            .set_user_suspended(caller, &id, suspended)
            .await
            .gql()?;
        Ok(User(user))
    }

    /// Replaces the identity of `provider` if one is linked already.
    async fn link_user_identity(
        &self,
        ctx: &Context<'_>,
        id: ID,
        provider: String,
        identity: IdentityInput,
    ) -> async_graphql::Result<User> {
        let (service, caller) = service_and_caller(ctx)?;
        let identity = identity.try_into().gql()?;
        let user = service
            .link_user_identity(caller, &id, &provider, identity)
            .await
            .gql()?;
        Ok(User(user))
    }

    async fn unlink_user_identity(
        &self,
        ctx: &Context<'_>,
        id: ID,
        provider: String,
    ) -> async_graphql::Result<User> {
        let (service, caller) = service_and_caller(ctx)?;
        let user = service
            .unlink_user_identity(caller, &id, &provider)
            .await
            .gql()?;
        Ok(User(user))
    }
}
