//! Audit logs: the `LogEntry` type, its filter and the `logs` query.

use async_graphql::{Context, ID, InputObject, Object};
use usergraph_core::query::LogFilter as CoreLogFilter;
use usergraph_core::{Error, RoleId, UserId};

use super::connection::{connection_types, page_args, wants_total_count};
use super::context::service_and_caller;
use super::enums::LogResult;
use super::scalars::{DateTime, Json};
use super::users::User;
use crate::errors::{ServiceResultExt, to_graphql};
use crate::limits::page_cost;
use crate::loaders::Loaders;

#[derive(Debug)]
pub struct LogEntry(pub usergraph_core::LogEntry);

#[Object]
impl LogEntry {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// What happened, e.g. `User.Created`.
    async fn key(&self) -> &str {
        &self.0.key
    }

    async fn result(&self) -> LogResult {
        self.0.result.into()
    }

    /// The user the entry is about; kept after the user is deleted.
    async fn user_id(&self) -> Option<ID> {
        self.0.user_id.as_ref().map(|id| ID(id.to_string()))
    }

    /// The role the entry is about.
    async fn role_id(&self) -> Option<ID> {
        self.0.role_id.as_ref().map(|id| ID(id.to_string()))
    }

    /// The authenticated user who did it.
    async fn actor_id(&self) -> Option<ID> {
        self.0.actor_id.as_ref().map(|id| ID(id.to_string()))
    }

    /// The user of `userId`: null when there is none, when that user was
    /// deleted since, or when the caller may not read it (reading another
    /// user takes `users:read`; one's own user is always readable). The
    /// users of a whole page are loaded at once.
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        load_user(ctx, self.0.user_id.as_ref()).await
    }

    /// The user of `actorId`, on the same terms as `user`: a caller without
    /// `users:read` reading its own entries sees itself here, never another
    /// actor (only that actor's id).
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        load_user(ctx, self.0.actor_id.as_ref()).await
    }

    /// The token the actor used.
    async fn token_id(&self) -> Option<ID> {
        self.0.token_id.as_ref().map(|id| ID(id.clone()))
    }

    async fn ip(&self) -> Option<&str> {
        self.0.ip.as_deref()
    }

    async fn user_agent(&self) -> Option<&str> {
        self.0.user_agent.as_deref()
    }

    /// What changed (field names, ids); never a secret.
    async fn payload(&self) -> Json {
        async_graphql::Json(self.0.payload.clone())
    }

    /// Why it failed, when `result` is `ERROR`.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at
    }
}

async fn load_user(ctx: &Context<'_>, id: Option<&UserId>) -> async_graphql::Result<Option<User>> {
    let Some(id) = id else {
        return Ok(None);
    };
    let (service, caller) = service_and_caller(ctx)?;
    let user = ctx
        .data::<Loaders>()?
        .users(service, caller)
        .load_one(id.clone())
        .await
        .map_err(|e| to_graphql(&e))?;
    Ok(user.map(User))
}

connection_types!(LogConnection, LogEdge, LogEntry, usergraph_core::LogEntry);

/// Criteria given together are AND-ed.
#[derive(Debug, InputObject)]
pub struct LogFilter {
    pub user_id: Option<ID>,
    pub role_id: Option<ID>,
    /// Entries whose actor (the authenticated user who did it) is this
    /// user. Storage has no index by actor on redb and sled: there the
    /// filter reads the entries of the rest of the filter's range (all of
    /// them in the time range, unless `userId` or `roleId` narrows it).
    pub actor_id: Option<ID>,
    /// Exact key, e.g. `User.Created`.
    pub key: Option<String>,
    pub result: Option<LogResult>,
    pub created_at: Option<DateTimeRange>,
}

/// A half-open time range: `gte` included, `lt` excluded.
#[derive(Debug, InputObject)]
pub struct DateTimeRange {
    pub gte: Option<DateTime>,
    pub lt: Option<DateTime>,
}

impl TryFrom<LogFilter> for CoreLogFilter {
    type Error = Error;

    fn try_from(filter: LogFilter) -> Result<Self, Error> {
        let (created_from, created_until) = filter
            .created_at
            .map_or((None, None), |range| (range.gte, range.lt));
        Ok(CoreLogFilter {
            user_id: filter
                .user_id
                .map(|id| UserId::parse(&id))
                .transpose()
                .map_err(|_| invalid_id("filter.userId"))?,
            role_id: filter
                .role_id
                .map(|id| RoleId::parse(&id))
                .transpose()
                .map_err(|_| invalid_id("filter.roleId"))?,
            actor_id: filter
                .actor_id
                .map(|id| UserId::parse(&id))
                .transpose()
                .map_err(|_| invalid_id("filter.actorId"))?,
            key: filter.key,
            result: filter.result.map(Into::into),
            created_from,
            created_until,
        })
    }
}

fn invalid_id(field: &str) -> Error {
    Error::validation(
        field,
        format!("{field} must be 1 to 64 characters of letters, digits, '_' or '-'"),
    )
}

#[derive(Debug, Default)]
pub struct LogsQuery;

#[Object]
impl LogsQuery {
    /// Newest first.
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
            .search_logs(
                caller,
                filter,
                page_args(first, after, None, None),
                wants_total_count(ctx),
            )
            .await
            .gql()?;
        Ok(LogConnection(connection))
    }
}
