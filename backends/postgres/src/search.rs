//! The three list searches, each one SQL query per page (plus a count only
//! when asked, read from the same snapshot).

use sqlx::postgres::{PgPool, PgRow};
use sqlx::{PgConnection, Postgres, QueryBuilder};
use usergraph_core::query::{LogSearch, Page, RoleSearch, UserSearch};
use usergraph_core::{LogEntry, Result, Role, User};

use crate::error::internal;
use crate::filter::{like_literal, push_filter};
use crate::order::{push_after, push_order_by};
use crate::rows::{
    LOG_COLUMNS, ROLE_COLUMNS, USER_COLUMNS, log_from_row, role_from_row, user_from_row,
};

fn limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// The count of a search, up to its `count_limit`: the subquery stops at
/// that many rows, so a count over a million matches costs what the limit
/// costs, not a `count(*)` of every row.
fn capped_count(
    count_limit: Option<u64>,
    from: &str,
    push_where: impl FnOnce(&mut QueryBuilder<Postgres>),
) -> Option<QueryBuilder<Postgres>> {
    let count_limit = count_limit?;
    let mut count = QueryBuilder::new(format!("SELECT count(*) FROM (SELECT 1 FROM {from} WHERE "));
    push_where(&mut count);
    count
        .push(" LIMIT ")
        .push_bind(i64::try_from(count_limit).unwrap_or(i64::MAX))
        .push(") AS counted");
    Some(count)
}

/// Runs the page query, and the count query when wanted; both in one
/// repeatable-read snapshot so that the total agrees with the page.
///
/// Both run as unnamed statements, planned with their actual parameters
/// each time. A prepared statement switches to a generic plan after five
/// runs, and for a search the generic plan cannot tell a rare pattern from
/// a common one: it walked the created-at index and filtered every row
/// (64 ms for `search: "abc"` at 100,000 users) where the planned one reads
/// the trigram indexes (6.5 ms; BENCHMARKS.md, "Over HTTP").
async fn page<T>(
    pool: &PgPool,
    mut rows: QueryBuilder<Postgres>,
    count: Option<QueryBuilder<Postgres>>,
    decode: fn(&PgRow) -> Result<T>,
) -> Result<Page<T>> {
    let Some(mut count) = count else {
        let fetched = rows
            .build()
            .persistent(false)
            .fetch_all(pool)
            .await
            .map_err(internal)?;
        let items = fetched.iter().map(decode).collect::<Result<_>>()?;
        return Ok(Page { items, total: None });
    };
    let mut tx = pool.begin().await.map_err(internal)?;
    let conn: &mut PgConnection = &mut tx;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *conn)
        .await
        .map_err(internal)?;
    let fetched = rows
        .build()
        .persistent(false)
        .fetch_all(&mut *conn)
        .await
        .map_err(internal)?;
    let total: i64 = count
        .build_query_scalar()
        .persistent(false)
        .fetch_one(&mut *conn)
        .await
        .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    let items = fetched.iter().map(decode).collect::<Result<_>>()?;
    Ok(Page {
        items,
        total: Some(u64::try_from(total).unwrap_or_default()),
    })
}

pub(crate) async fn users(pool: &PgPool, search: &UserSearch) -> Result<Page<User>> {
    let mut rows = QueryBuilder::new(format!("SELECT {USER_COLUMNS} FROM users u WHERE ("));
    push_filter(&mut rows, &search.filter);
    rows.push(")");
    if let Some(after) = &search.after {
        push_after(&mut rows, &search.order, search.backward, after)?;
    }
    push_order_by(&mut rows, &search.order, search.backward);
    rows.push(" LIMIT ").push_bind(limit(search.limit));
    let count = capped_count(search.count_limit, "users u", |count| {
        push_filter(count, &search.filter);
    });
    page(pool, rows, count, user_from_row).await
}

/// The role search condition: a case-insensitive substring of id, name or
/// description (the keys hold Rust-lower-cased values).
fn push_role_filter(qb: &mut QueryBuilder<Postgres>, search: &RoleSearch) {
    match search.search.as_deref().filter(|text| !text.is_empty()) {
        None => {
            qb.push("TRUE");
        }
        Some(text) => {
            let pattern = format!("%{}%", like_literal(&text.to_lowercase()));
            qb.push("(lower(r.id) LIKE ")
                .push_bind(pattern.clone())
                .push(" ESCAPE '\\' OR r.name_key LIKE ")
                .push_bind(pattern.clone())
                .push(" ESCAPE '\\' OR (r.description_key IS NOT NULL AND r.description_key LIKE ")
                .push_bind(pattern)
                .push(" ESCAPE '\\'))");
        }
    }
}

pub(crate) async fn roles(pool: &PgPool, search: &RoleSearch) -> Result<Page<Role>> {
    let mut rows = QueryBuilder::new(format!("SELECT {ROLE_COLUMNS} FROM roles r WHERE "));
    push_role_filter(&mut rows, search);
    if let Some(after) = &search.after {
        rows.push(" AND (r.name_key, r.id) > (")
            .push_bind(after.name_key.clone())
            .push(", ")
            .push_bind(after.id.as_str().to_owned())
            .push(")");
    }
    rows.push(" ORDER BY r.name_key, r.id LIMIT ")
        .push_bind(limit(search.limit));
    let count = capped_count(search.count_limit, "roles r", |count| {
        push_role_filter(count, search);
    });
    page(pool, rows, count, role_from_row).await
}

fn push_log_filter(qb: &mut QueryBuilder<Postgres>, search: &LogSearch) {
    let filter = &search.filter;
    qb.push("TRUE");
    if let Some(user_id) = &filter.user_id {
        qb.push(" AND l.user_id = ")
            .push_bind(user_id.as_str().to_owned());
    }
    if let Some(role_id) = &filter.role_id {
        qb.push(" AND l.role_id = ")
            .push_bind(role_id.as_str().to_owned());
    }
    if let Some(actor_id) = &filter.actor_id {
        qb.push(" AND l.actor_id = ")
            .push_bind(actor_id.as_str().to_owned());
    }
    if let Some(key) = &filter.key {
        qb.push(" AND l.key = ").push_bind(key.clone());
    }
    if let Some(result) = filter.result {
        qb.push(" AND l.result = ").push_bind(result.as_str());
    }
    if let Some(from) = filter.created_from {
        qb.push(" AND l.created_at >= ").push_bind(from);
    }
    if let Some(until) = filter.created_until {
        qb.push(" AND l.created_at < ").push_bind(until);
    }
}

pub(crate) async fn logs(pool: &PgPool, search: &LogSearch) -> Result<Page<LogEntry>> {
    let mut rows = QueryBuilder::new(format!("SELECT {LOG_COLUMNS} FROM logs l WHERE "));
    push_log_filter(&mut rows, search);
    // Newest first, "after" is older, or as old with a smaller id; oldest
    // first, the other way round.
    let (beyond, direction) = if search.oldest_first {
        (">", "ASC")
    } else {
        ("<", "DESC")
    };
    if let Some(after) = &search.after {
        rows.push(format!(" AND (l.created_at, l.id) {beyond} ("))
            .push_bind(after.created_at)
            .push(", ")
            .push_bind(after.id.as_str().to_owned())
            .push(")");
    }
    rows.push(format!(
        " ORDER BY l.created_at {direction}, l.id {direction} LIMIT "
    ))
    .push_bind(limit(search.limit));
    let count = capped_count(search.count_limit, "logs l", |count| {
        push_log_filter(count, search);
    });
    page(pool, rows, count, log_from_row).await
}
