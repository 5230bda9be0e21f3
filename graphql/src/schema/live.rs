//! Subscriptions: `logAdded` and `userChanged`, served over WebSocket
//! (`graphql-transport-ws`, see `live.rs` at the crate root). The events
//! come from core's live feed; this only adapts them.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Subscription};
use futures::{Stream, StreamExt};
use usergraph_core::page::Edge;
use usergraph_core::query::LogFilter as CoreLogFilter;
use usergraph_core::service::{Subscriber, UserChange};
use usergraph_core::{Error, Service, UserId};

use super::enums::UserChangeKind;
use super::logs::{LogEdge, LogFilter};
use super::users::User;
use crate::errors::{ServiceResultExt, to_graphql};
use crate::live::Slots;

#[derive(Debug, Default)]
pub struct Subscription;

#[Subscription]
impl Subscription {
    /// Every log entry matching `filter`, as it is committed, oldest first.
    /// With `after` (a cursor of `logs` with the same filter, or of an
    /// earlier event), the entries after it are sent first, then the live
    /// ones, with no gap and no repeat. Each event's `cursor` resumes after
    /// it. Needs `logs:read`, unless `filter.userId` is the caller's own
    /// user. Ends with `UNAUTHENTICATED` or `FORBIDDEN` within seconds of
    /// the token or the permission going, and with `LAGGED` (and
    /// `extensions.lastCursor`) when the client reads too slowly.
    async fn log_added(
        &self,
        ctx: &Context<'_>,
        filter: Option<LogFilter>,
        after: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<LogEdge>> + use<>> {
        let (service, subscriber, slots) = live_context(ctx)?;
        let filter = match filter {
            Some(filter) => CoreLogFilter::try_from(filter).gql()?,
            None => CoreLogFilter::default(),
        };
        let slot = slots.take()?;
        let events = service
            .live_logs(subscriber.clone(), filter, after.as_deref())
            .await
            .gql()?;
        Ok(events.map(move |event| {
            let _held = &slot;
            event
                .map(|log| {
                    LogEdge(Edge {
                        cursor: log.cursor,
                        node: log.entry,
                    })
                })
                .map_err(|error| to_graphql(&error))
        }))
    }

    /// Changes to the user `id`, or to every user the caller may read when
    /// `id` is left out (its own user only, without `users:read`), as they
    /// are committed. Needs `users:read`, unless `id` is the caller's own.
    /// `after` (a cursor of the user's `logs`, or of `logs` without `id`,
    /// or an earlier event's `log.cursor`) replays what came after it.
    async fn user_changed(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        after: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<UserChangedEvent>> + use<>>
    {
        let (service, subscriber, slots) = live_context(ctx)?;
        let id = id.map(|id| UserId::parse(&id)).transpose().map_err(|_| {
            to_graphql(&Error::validation(
                "id",
                "id must be 1 to 64 characters of letters, digits, '_' or '-'",
            ))
        })?;
        let slot = slots.take()?;
        let events = service
            .live_user_changes(subscriber.clone(), id, after.as_deref())
            .await
            .gql()?;
        Ok(events.map(move |event| {
            let _held = &slot;
            event
                .map(UserChangedEvent)
                .map_err(|error| to_graphql(&error))
        }))
    }
}

fn live_context<'a>(
    ctx: &Context<'a>,
) -> async_graphql::Result<(&'a Service, &'a Subscriber, &'a Slots)> {
    // Put in the connection's data at `connection_init`: a subscription
    // sent over HTTP has none.
    let slots = ctx.data::<Arc<Slots>>().map_err(|_| {
        async_graphql::Error::new(
            "subscriptions are served over WebSocket (graphql-transport-ws) at /graphql",
        )
    })?;
    Ok((
        ctx.data::<Service>()?,
        ctx.data::<Subscriber>()?,
        slots.as_ref(),
    ))
}

/// A change to a user.
#[derive(Debug)]
pub struct UserChangedEvent(UserChange);

#[Object]
impl UserChangedEvent {
    async fn kind(&self) -> UserChangeKind {
        self.0.kind.into()
    }

    async fn user_id(&self) -> ID {
        ID(self.0.user_id.to_string())
    }

    /// The user as it is when the event is sent; null once deleted.
    async fn user(&self) -> Option<User> {
        self.0.user.clone().map(User)
    }

    /// The log entry that recorded the change, with its cursor.
    async fn log(&self) -> LogEdge {
        LogEdge(Edge {
            cursor: self.0.log.cursor.clone(),
            node: self.0.log.entry.clone(),
        })
    }
}
