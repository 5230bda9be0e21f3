//! Live subscriptions: the log entries committed from now on (after
//! replaying the ones a client missed), and the changes to users they
//! describe. Each is a task feeding a small channel: a client that stops
//! reading stops its task at the channel, while the feed goes on without
//! it and tells it, when it reads again, that it lagged.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::Stream;
use tokio::sync::{broadcast, mpsc};

use super::Service;
use super::logs::check_filter;
use crate::caller::{Caller, Permission};
use crate::cursor::{self, Binding, Scope};
use crate::error::{Error, Result};
use crate::eval;
use crate::feed::{self, LogFeed, Position};
use crate::ids::UserId;
use crate::model::{LogEntry, LogResult, User, log_keys};
use crate::query::{LogFilter, LogSearch, LogSortKey};

/// Entries read from storage at a time while replaying.
const REPLAY_PAGE: usize = 256;

/// The shortest re-check period honoured.
const MIN_RECHECK: std::time::Duration = std::time::Duration::from_millis(100);

/// Who subscribes, and how to check again that they still may.
#[derive(Clone, Debug)]
pub struct Subscriber {
    pub caller: Caller,
    /// The token the caller presented, authenticated again every
    /// [`super::ServiceSettings::live_recheck`]: a token revoked or
    /// expired, an owner suspended or a permission taken away ends the
    /// subscription. `None` for a caller that presented none (the process
    /// itself), which is never checked again.
    pub secret: Option<String>,
}

/// A committed log entry and the cursor to resume after it.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveLog {
    pub entry: LogEntry,
    pub cursor: String,
}

/// What happened to a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserChangeKind {
    Created,
    Updated,
    Deleted,
    Suspended,
    Unsuspended,
    RolesChanged,
}

impl UserChangeKind {
    /// The change a successful entry records, if it changed a user.
    pub fn of(entry: &LogEntry) -> Option<Self> {
        if entry.result != LogResult::Success {
            return None;
        }
        Some(match entry.key.as_str() {
            log_keys::USER_CREATED => UserChangeKind::Created,
            log_keys::USER_IMPORTED => {
                if entry.payload["existed"] == true {
                    UserChangeKind::Updated
                } else {
                    UserChangeKind::Created
                }
            }
            log_keys::USER_UPDATED
            | log_keys::USER_PROFILE_UPDATED
            | log_keys::USER_CUSTOM_DATA_UPDATED
            | log_keys::USER_PASSWORD_SET
            | log_keys::USER_PASSWORD_CHANGED
            | log_keys::USER_IDENTITY_LINKED
            | log_keys::USER_IDENTITY_UNLINKED
            // A sign-in sets `lastSignInAt`.
            | log_keys::USER_SIGN_IN => UserChangeKind::Updated,
            log_keys::USER_DELETED => UserChangeKind::Deleted,
            log_keys::USER_SUSPENDED => UserChangeKind::Suspended,
            log_keys::USER_UNSUSPENDED => UserChangeKind::Unsuspended,
            log_keys::USER_ROLES_ASSIGNED | log_keys::USER_ROLES_REMOVED => {
                UserChangeKind::RolesChanged
            }
            _ => return None,
        })
    }
}

/// A change to a user, with the user as it is when the event is sent
/// (`None` once deleted) and the entry that recorded the change.
#[derive(Clone, Debug, PartialEq)]
pub struct UserChange {
    pub kind: UserChangeKind,
    pub user_id: UserId,
    pub user: Option<User>,
    pub log: LiveLog,
}

/// Events of one subscription, ending after an error.
pub struct LiveStream<T> {
    receiver: mpsc::Receiver<Result<T>>,
}

impl<T> Stream for LiveStream<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.receiver.poll_recv(cx)
    }
}

impl<T> std::fmt::Debug for LiveStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveStream").finish_non_exhaustive()
    }
}

/// Who may go on receiving a subscription's events.
#[derive(Clone, Debug)]
enum Audience {
    /// `logs:read`, or the filter keeps to the caller's own user.
    Logs(LogFilter),
    /// `users:read`, or the caller's own user.
    Users(Option<UserId>),
}

impl Audience {
    fn check(&self, caller: &Caller) -> Result<()> {
        let (own, permission) = match self {
            Audience::Logs(filter) => (filter.user_id.as_ref(), Permission::LogsRead),
            Audience::Users(id) => (id.as_ref(), Permission::UsersRead),
        };
        match own {
            Some(id) => super::require_or_self(caller, permission, id),
            None => caller.require(permission),
        }
    }
}

impl Service {
    /// The live stream of this service's committed log entries.
    pub fn log_feed(&self) -> &LogFeed {
        &self.feed
    }

    /// The log entries matching `filter`, as they are committed, oldest
    /// first. With `after` (a cursor of `logs` with the same filter, or of
    /// an earlier event), the entries after it are replayed from storage
    /// first, with no gap and no repeat where replay meets the live feed.
    /// Needs `logs:read`, unless the filter keeps to the caller's own user.
    pub async fn live_logs(
        &self,
        subscriber: Subscriber,
        filter: LogFilter,
        after: Option<&str>,
    ) -> Result<LiveStream<LiveLog>> {
        let audience = Audience::Logs(filter.clone());
        audience.check(&subscriber.caller)?;
        check_filter(&filter)?;
        let cursors = self.cursors(Scope::logs(&filter)?).await?;
        let after = after
            .map(|raw| cursor::decode_log(&cursors, raw, "after"))
            .transpose()?;
        self.feed.started().await;
        let event = |log| futures::future::ready(Ok(Some(log)));
        Ok(self.spawn_live(subscriber, audience, filter, cursors, after, event))
    }

    /// Changes to the user `id`, or to every user when `id` is `None`, as
    /// they are committed. Needs `users:read`, unless `id` is the caller's
    /// own user; without it and without an id, the caller's own changes.
    /// `after` replays as for [`Self::live_logs`], with the cursors of the
    /// user's log entries (or of all entries, without `id`).
    pub async fn live_user_changes(
        &self,
        subscriber: Subscriber,
        id: Option<UserId>,
        after: Option<&str>,
    ) -> Result<LiveStream<UserChange>> {
        let caller = &subscriber.caller;
        let id = match id {
            None if !caller.permissions.allows(Permission::UsersRead) => caller.user_id.clone(),
            id => id,
        };
        let audience = Audience::Users(id.clone());
        audience.check(caller)?;
        let filter = LogFilter {
            user_id: id,
            ..LogFilter::default()
        };
        let cursors = self.cursors(Scope::logs(&filter)?).await?;
        let after = after
            .map(|raw| cursor::decode_log(&cursors, raw, "after"))
            .transpose()?;
        self.feed.started().await;
        let storage = Arc::clone(&self.storage);
        let changes = move |log: LiveLog| {
            let storage = Arc::clone(&storage);
            async move {
                let Some(kind) = UserChangeKind::of(&log.entry) else {
                    return Ok(None);
                };
                let Some(user_id) = log.entry.user_id.clone() else {
                    return Ok(None);
                };
                let user = storage.user(&user_id).await?;
                Ok(Some(UserChange {
                    kind,
                    user_id,
                    user,
                    log,
                }))
            }
        };
        Ok(self.spawn_live(subscriber, audience, filter, cursors, after, changes))
    }

    fn spawn_live<T, F, Fut>(
        &self,
        subscriber: Subscriber,
        audience: Audience,
        filter: LogFilter,
        cursors: Binding,
        after: Option<LogSortKey>,
        event: F,
    ) -> LiveStream<T>
    where
        T: Send + 'static,
        F: FnMut(LiveLog) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Option<T>>> + Send + 'static,
    {
        // One slot: the task waits for the client, the feed does not.
        let (sender, receiver) = mpsc::channel(1);
        // Subscribed before the replay reads storage: whatever is released
        // from now on arrives here, whatever was released before is read.
        let subscription = self.feed.subscribe();
        let live = Live {
            service: self.clone(),
            subscriber,
            audience,
            filter,
            cursors,
            sender,
        };
        tokio::spawn(live.run(subscription, after, event));
        LiveStream { receiver }
    }
}

/// One subscription's task.
struct Live<T> {
    service: Service,
    subscriber: Subscriber,
    audience: Audience,
    filter: LogFilter,
    cursors: Binding,
    sender: mpsc::Sender<Result<T>>,
}

/// Why a subscription's task stops.
enum Stop {
    /// The client went away.
    Gone,
    /// Told the client why; nothing more to send.
    Ended,
}

impl<T: Send + 'static> Live<T> {
    async fn run<F, Fut>(
        mut self,
        subscription: feed::Subscription,
        after: Option<LogSortKey>,
        mut event: F,
    ) where
        F: FnMut(LiveLog) -> Fut + Send,
        Fut: Future<Output = Result<Option<T>>> + Send,
    {
        let mut delivered: Option<Position> = after.map(|key| (key.created_at, key.id));
        if let Some(from) = delivered.clone()
            && self
                .replay(
                    from,
                    subscription.released.as_ref(),
                    &mut delivered,
                    &mut event,
                )
                .await
                .is_err()
        {
            return;
        }
        let mut receiver = subscription.receiver;
        // A zero period would make the interval panic; embedders set it.
        let period = self.service.settings.live_recheck.max(MIN_RECHECK);
        let mut recheck = tokio::time::interval(period);
        recheck.tick().await;
        loop {
            tokio::select! {
                () = self.sender.closed() => return,
                _ = recheck.tick() => {
                    if let Err(error) = self.still_allowed().await {
                        let _ = self.sender.send(Err(error)).await;
                        return;
                    }
                }
                received = receiver.recv() => match received {
                    Ok(entry) => {
                        let at = feed::position(&entry);
                        if delivered.as_ref().is_some_and(|done| at <= *done)
                            || !eval::log_matches(&entry, &self.filter)
                        {
                            continue;
                        }
                        let log = self.live_log((*entry).clone());
                        delivered = Some(at);
                        if self.deliver(event(log).await).await.is_err() {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let last_cursor = delivered.as_ref().map(|(created_at, id)| {
                            cursor::encode_log(
                                &self.cursors,
                                &LogSortKey { created_at: *created_at, id: id.clone() },
                            )
                        });
                        let _ = self.sender.send(Err(Error::Lagged { last_cursor })).await;
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            }
        }
    }

    /// Sends what storage holds after `from`, up to `released`: what the
    /// feed released before the subscription began. Later entries arrive
    /// live.
    async fn replay<F, Fut>(
        &mut self,
        from: Position,
        released: Option<&Position>,
        delivered: &mut Option<Position>,
        event: &mut F,
    ) -> Result<(), Stop>
    where
        F: FnMut(LiveLog) -> Fut + Send,
        Fut: Future<Output = Result<Option<T>>> + Send,
    {
        let Some(released) = released else {
            return Ok(());
        };
        let mut after = LogSortKey {
            created_at: from.0,
            id: from.1,
        };
        loop {
            let search = LogSearch {
                filter: self.filter.clone(),
                after: Some(after.clone()),
                limit: REPLAY_PAGE,
                count_limit: None,
                oldest_first: true,
            };
            let page = match self.service.storage.search_logs(&search).await {
                Ok(page) => page,
                Err(error) => {
                    let _ = self.sender.send(Err(error)).await;
                    return Err(Stop::Ended);
                }
            };
            let full = page.items.len() == REPLAY_PAGE;
            for entry in page.items {
                let at = feed::position(&entry);
                if at > *released {
                    return Ok(());
                }
                after = eval::log_sort_key(&entry);
                *delivered = Some(at);
                let log = self.live_log(entry);
                self.deliver(event(log).await).await?;
            }
            if !full {
                return Ok(());
            }
        }
    }

    fn live_log(&self, entry: LogEntry) -> LiveLog {
        let cursor = cursor::encode_log(&self.cursors, &eval::log_sort_key(&entry));
        LiveLog { entry, cursor }
    }

    /// Sends an event, or the error that ends the subscription.
    async fn deliver(&self, event: Result<Option<T>>) -> Result<(), Stop> {
        match event {
            Ok(None) => Ok(()),
            Ok(Some(event)) => self.sender.send(Ok(event)).await.map_err(|_| Stop::Gone),
            Err(error) => {
                let _ = self.sender.send(Err(error)).await;
                Err(Stop::Ended)
            }
        }
    }

    /// Authenticates the subscriber's token again and checks that it may
    /// still receive these events.
    async fn still_allowed(&mut self) -> Result<()> {
        if let Some(secret) = &self.subscriber.secret {
            let caller = &self.subscriber.caller;
            let fresh = self
                .service
                .authenticate(secret, caller.ip.clone(), caller.user_agent.clone())
                .await?;
            self.subscriber.caller = fresh;
        }
        self.audience.check(&self.subscriber.caller)
    }
}
