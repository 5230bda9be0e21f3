//! Personal access tokens: the `PersonalAccessToken` type and the mutations
//! that create, rename and revoke them. The secret leaves the server once,
//! in `CreatedPersonalAccessToken.secret`; no other type has a field for it.

use async_graphql::{Context, ID, InputObject, Object};
use usergraph_core::service::NewToken;
use usergraph_core::{AccessToken, TokenId, UserId};

use super::context::{require_signed_in, service_and_caller};
use super::scalars::DateTime;
use crate::errors::ServiceResultExt;

#[derive(Debug)]
pub struct PersonalAccessToken(pub AccessToken);

#[Object]
impl PersonalAccessToken {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The owner: the token acts as this user.
    async fn user_id(&self) -> ID {
        ID(self.0.user_id.to_string())
    }

    /// Unique among the owner's unrevoked tokens, case-insensitively.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Null: the owner's permissions, whatever they are at the time of a
    /// request. A list: the owner's permissions narrowed to these.
    async fn scopes(&self) -> Option<&[String]> {
        self.0.scopes.as_deref()
    }

    /// Null: never expires.
    async fn expires_at(&self) -> Option<DateTime> {
        self.0.expires_at
    }

    /// Updated at most once a minute.
    async fn last_used_at(&self) -> Option<DateTime> {
        self.0.last_used_at
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at
    }

    /// Set once the token is revoked; it authenticates nothing after that.
    async fn revoked_at(&self) -> Option<DateTime> {
        self.0.revoked_at
    }
}

/// What `createPersonalAccessToken` returns: the only time the secret is
/// shown.
#[derive(Debug)]
pub struct CreatedPersonalAccessToken {
    token: AccessToken,
    secret: String,
}

#[Object]
impl CreatedPersonalAccessToken {
    async fn token(&self) -> PersonalAccessToken {
        PersonalAccessToken(self.token.clone())
    }

    /// Send it as `Authorization: Bearer <secret>`. It cannot be read again:
    /// store it now.
    async fn secret(&self) -> &str {
        &self.secret
    }
}

#[derive(Debug, InputObject)]
pub struct CreatePersonalAccessTokenInput {
    /// 1 to 64 characters, unique among the owner's unrevoked tokens.
    pub name: String,
    /// In the future; required when the server sets a maximum token
    /// lifetime. Null: never expires.
    pub expires_at: Option<DateTime>,
    /// Permission strings, each one the owner holds. Null: every permission
    /// the owner holds at the time of a request.
    pub scopes: Option<Vec<String>>,
}

#[derive(Debug, Default)]
pub struct TokensMutation;

#[Object]
impl TokensMutation {
    /// For oneself, or for anyone with `tokens:write`. The token's
    /// permissions may not exceed the caller's.
    async fn create_personal_access_token(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        input: CreatePersonalAccessTokenInput,
    ) -> async_graphql::Result<CreatedPersonalAccessToken> {
        let (service, caller) = service_and_caller(ctx)?;
        require_signed_in(caller)?;
        let user_id = UserId::parse(&user_id).gql()?;
        let input = NewToken {
            name: input.name,
            expires_at: input.expires_at,
            scopes: input.scopes,
        };
        let created = service.create_token(caller, &user_id, input).await.gql()?;
        Ok(CreatedPersonalAccessToken {
            token: created.token,
            secret: created.secret,
        })
    }

    async fn rename_personal_access_token(
        &self,
        ctx: &Context<'_>,
        id: ID,
        name: String,
    ) -> async_graphql::Result<PersonalAccessToken> {
        let (service, caller) = service_and_caller(ctx)?;
        require_signed_in(caller)?;
        let id = TokenId::parse(&id).gql()?;
        let token = service.rename_token(caller, &id, &name).await.gql()?;
        Ok(PersonalAccessToken(token))
    }

    /// Takes effect at once. The token stays listed, with `revokedAt`.
    async fn revoke_personal_access_token(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<PersonalAccessToken> {
        let (service, caller) = service_and_caller(ctx)?;
        require_signed_in(caller)?;
        let id = TokenId::parse(&id).gql()?;
        let token = service.revoke_token(caller, &id).await.gql()?;
        Ok(PersonalAccessToken(token))
    }
}
