//! Reading the audit log.

use super::{Service, guard};
use crate::caller::{Caller, Permission};
use crate::cursor::Scope;
use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::model::LogEntry;
use crate::page::{Connection, PageArgs, PageRequest};
use crate::query::{LogFilter, LogSearch};
use crate::{cursor, eval};

const KEY_MAX: usize = 128;

impl Service {
    /// `User.logs`: the entries about `user_id`, with `filter.user_id`, if
    /// given, AND-ed with it. A filter naming another user matches nothing,
    /// since no entry is about two users; that empty page is still checked
    /// as any other (the caller's right to the user's entries, the page's
    /// arguments), and a cursor given for it is refused: none was issued.
    pub async fn user_logs(
        &self,
        caller: &Caller,
        user_id: &UserId,
        mut filter: LogFilter,
        page: PageArgs,
        count_total: bool,
    ) -> Result<Connection<LogEntry>> {
        let contradictory = filter.user_id.as_ref().is_some_and(|id| id != user_id);
        filter.user_id = Some(user_id.clone());
        if !contradictory {
            return self.search_logs(caller, filter, page, count_total).await;
        }
        let request = checked_request(caller, &filter, &page)?;
        if request.cursor.is_some() {
            return Err(cursor::invalid(request.cursor_field()));
        }
        Ok(Connection {
            edges: Vec::new(),
            has_next_page: false,
            has_previous_page: false,
            total_count: self.total_count(self.count_limit(count_total).map(|_| 0)),
        })
    }

    /// Log entries newest first. Needs `logs:read`, unless the filter keeps
    /// to the caller's own user (`me { logs }`).
    pub async fn search_logs(
        &self,
        caller: &Caller,
        filter: LogFilter,
        page: PageArgs,
        count_total: bool,
    ) -> Result<Connection<LogEntry>> {
        let request = checked_request(caller, &filter, &page)?;
        let cursors = self.cursors(Scope::logs(&filter)?).await?;
        let after = request
            .cursor
            .as_deref()
            .map(|raw| cursor::decode_log(&cursors, raw, request.cursor_field()))
            .transpose()?;
        let search = LogSearch {
            filter,
            after,
            limit: request.limit(),
            count_limit: self.count_limit(count_total),
            oldest_first: false,
        };
        let found = self.storage.search_logs(&search).await?;
        let total = self.total_count(found.total);
        Ok(request.connection(found.items, total, |entry| {
            cursor::encode_log(&cursors, &eval::log_sort_key(entry))
        }))
    }
}

/// What every page of log entries checks before reading: `logs:read`,
/// unless the filter keeps to the caller's own user (`me { logs }`), the
/// key's length, and the page's arguments.
fn checked_request(caller: &Caller, filter: &LogFilter, page: &PageArgs) -> Result<PageRequest> {
    let own = filter
        .user_id
        .as_ref()
        .is_some_and(|id| guard::is_self(caller, id));
    if !own {
        caller.require(Permission::LogsRead)?;
    }
    check_filter(filter)?;
    page.validate_forward()
}

/// `VALIDATION` for a filter no entry could match for being too long.
pub(super) fn check_filter(filter: &LogFilter) -> Result<()> {
    if filter
        .key
        .as_ref()
        .is_some_and(|key| key.chars().count() > KEY_MAX)
    {
        return Err(Error::validation(
            "filter.key",
            format!("filter.key must be at most {KEY_MAX} characters"),
        ));
    }
    Ok(())
}
