//! The caller's own account: signing in and out, and changing one's own
//! password. `signIn` is the one operation an anonymous caller may run.

use async_graphql::{Context, Object};
use usergraph_core::Error;
use usergraph_core::service::SignedIn;

use super::context::service_and_caller;
use super::scalars::DateTime;
use super::users::User;
use crate::errors::{ServiceResultExt, to_graphql};

/// What `signIn` returns: a short-lived bearer token and who it acts as.
#[derive(Debug)]
pub struct Session(SignedIn);

#[Object]
impl Session {
    /// Send it as `Authorization: Bearer <token>` until `expiresAt` or
    /// `signOut`. It cannot be read again.
    async fn token(&self) -> &str {
        &self.0.secret
    }

    async fn expires_at(&self) -> async_graphql::Result<DateTime> {
        // Sessions always expire; a missing expiry is a bug, not input.
        self.0
            .token
            .expires_at
            .ok_or_else(|| to_graphql(&Error::internal("a session without an expiry")))
    }

    async fn user(&self) -> User {
        User(self.0.user.clone())
    }
}

#[derive(Debug, Default)]
pub struct SessionMutation;

#[Object]
impl SessionMutation {
    /// `identifier` is a username, an email address or a phone number.
    /// Wrong credentials fail with `UNAUTHENTICATED`; too many failures for
    /// an account or from an address with `RATE_LIMITED`.
    async fn sign_in(
        &self,
        ctx: &Context<'_>,
        identifier: String,
        password: String,
    ) -> async_graphql::Result<Session> {
        let (service, caller) = service_and_caller(ctx)?;
        let signed_in = service
            .sign_in(caller, &identifier, &password)
            .await
            .gql()?;
        Ok(Session(signed_in))
    }

    /// Ends the session the request authenticated with. Personal access
    /// tokens are revoked with `revokePersonalAccessToken` instead.
    async fn sign_out(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let (service, caller) = service_and_caller(ctx)?;
        service.sign_out(caller).await.gql()?;
        Ok(true)
    }

    /// Changes the caller's own password; needs no permission but the
    /// current password. (`setUserPassword` sets anyone's, with
    /// `users:password`.)
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> async_graphql::Result<User> {
        let (service, caller) = service_and_caller(ctx)?;
        let user = service
            .change_password(caller, &current_password, &new_password)
            .await
            .gql()?;
        Ok(User(user))
    }
}
