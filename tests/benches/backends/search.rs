//! The search scenario (`--scenario search`): one store seeded with N users
//! of the large name pool, then each advanced search timed through
//! `Service::search_users`, with and without `totalCount`.

use std::path::Path;
use std::time::{Duration, Instant};

use usergraph_core::cursor::{self, Scope, UserList};
use usergraph_core::filter::UserFilter;
use usergraph_core::page::PageArgs;
use usergraph_core::query::{UserOrder, UserSortKey};
use usergraph_core::service::UserQuery;
use usergraph_core::{Caller, RoleId, Service, ServiceSettings, eval};

use crate::BoxError;
use crate::measure::Budget;
use crate::people::People;
use crate::scenario;
use crate::search_ops::{self, Row, Targets};
use crate::stores::{Backend, SeedMarker, Store};

/// The page the deep-page rows fetch, when the data set has that many.
pub const DEEP_PAGE: usize = 5_000;
/// The page size of the deep-page walk and rows.
pub const PAGE_SIZE: usize = 20;
/// Page size of the set-up listing of every user.
const LIST_PAGE: i64 = 100;

#[derive(Debug)]
pub struct Options<'a> {
    pub budget: Budget,
    /// Longest a deep-page walk may take before its cursor is derived from
    /// the sorted listing instead.
    pub walk_budget: Duration,
    pub keep: Option<&'a Path>,
    /// Stop once the (kept) store is seeded: time nothing.
    pub seed_only: bool,
}

#[derive(Debug)]
pub struct SearchRun {
    pub backend: Backend,
    pub users: u64,
    pub seed_time: Duration,
    /// The store came from an earlier run (`--keep`).
    pub reused: bool,
    /// The page number the deep rows fetch.
    pub deep_page: usize,
    /// Per order: how its deep cursor was found.
    pub walks: Vec<(&'static str, Walk)>,
    pub rows: Vec<Row>,
}

#[derive(Clone, Copy, Debug)]
pub enum Walk {
    /// Paged there by cursor in this time.
    Walked(Duration),
    /// The walk ran out of budget after this many pages.
    Derived { pages: usize },
}

/// `None` when the backend cannot be reached, or with `seed_only`.
pub async fn run(
    backend: Backend,
    users: u64,
    seed: u64,
    options: &Options<'_>,
) -> Result<Option<SearchRun>, BoxError> {
    let name = format!("search-{users}-seed{seed}");
    let (store, seeded) = match options.keep {
        Some(dir) => {
            let (store, seeded) = Store::open_kept(backend, dir, &name).await?;
            (store, seeded)
        }
        None => match Store::open(backend, &users.to_string()).await? {
            Some(store) => (store, None),
            None => return Ok(None),
        },
    };
    let service = Service::new(store.storage.clone(), ServiceSettings::default())?;
    let people = People::with_large_pool(seed, scenario::shared_digest()?);
    let reused = seeded.is_some();
    let seed_time = match seeded {
        Some(time) => {
            eprintln!("{backend}: reusing the kept store of {users} users");
            time
        }
        None => {
            eprintln!("{backend}: seeding {users} users");
            let time = scenario::seed_users(&service, &people, users)
                .await?
                .seed_time;
            eprintln!("{backend}: seeded in {:.1} s", time.as_secs_f64());
            if let Some(dir) = options.keep {
                SeedMarker::for_store(dir, &name, backend).write(time)?;
            }
            time
        }
    };
    store.settle().await?;
    if options.seed_only {
        eprintln!("{backend}: --seed-only: the store of {users} users is ready, nothing timed");
        drop(service);
        store.remove().await?;
        return Ok(None);
    }

    let roles = [
        role(&service, "editor").await?,
        role(&service, "support").await?,
    ];
    eprintln!("{backend}: listing every user for the deep-page cursors");
    let listing = list_users(&service).await?;
    let pages = listing.default.len() / PAGE_SIZE;
    let deep_page = DEEP_PAGE.min(pages).max(2);
    let mut walks = Vec::new();
    let mut deep = Vec::new();
    for (label, order, keys) in [
        ("default order", UserOrder::DEFAULT, &listing.default),
        ("USERNAME order", search_ops::USERNAME, &listing.username),
    ] {
        eprintln!("{backend}: walking to page {deep_page} in {label}");
        let (cursor, walk) = deep_cursor(&service, order, keys, deep_page, options).await?;
        walks.push((label, walk));
        deep.push(cursor);
    }
    let [deep_default, deep_username] =
        <[String; 2]>::try_from(deep).map_err(|_| "two deep cursors expected")?;

    eprintln!("{backend}: timing searches");
    let targets = Targets::draw(&people, users, seed, options.budget.iterations)?;
    let rows = search_ops::time_all(
        &service,
        &targets,
        &roles,
        [&deep_default, &deep_username],
        options.budget,
    )
    .await?;
    drop(service);
    store.remove().await?;
    Ok(Some(SearchRun {
        backend,
        users,
        seed_time,
        reused,
        deep_page,
        walks,
        rows,
    }))
}

async fn role(service: &Service, name_key: &str) -> Result<RoleId, BoxError> {
    let role = service
        .storage()
        .role_by_name(name_key)
        .await?
        .ok_or_else(|| format!("seeded role {name_key:?} missing"))?;
    Ok(role.id)
}

/// Every user's position in the two timed orders.
struct Listing {
    default: Vec<UserSortKey>,
    username: Vec<UserSortKey>,
}

/// Lists every user once (default order, by cursor) and sorts their
/// USERNAME positions with core's comparison: the reference the walks are
/// checked against.
async fn list_users(service: &Service) -> Result<Listing, BoxError> {
    let caller = Caller::system();
    let mut default = Vec::new();
    let mut username = Vec::new();
    let mut after = None;
    loop {
        let page = service
            .search_users(
                &caller,
                UserQuery {
                    page: PageArgs {
                        first: Some(LIST_PAGE),
                        after: after.take(),
                        ..PageArgs::default()
                    },
                    ..UserQuery::default()
                },
            )
            .await?;
        for user in page.nodes() {
            default.push(eval::sort_key(user, &[UserOrder::DEFAULT]));
            username.push(eval::sort_key(user, &[search_ops::USERNAME]));
        }
        match page.end_cursor() {
            Some(end) if page.has_next_page => after = Some(end.to_owned()),
            _ => break,
        }
    }
    username.sort_by(|a, b| eval::compare(a, b, &[search_ops::USERNAME]));
    Ok(Listing { default, username })
}

/// The cursor that starts page `deep_page`: found by walking there 20 at a
/// time, checked against the listing; or, when the walk outlasts its
/// budget (an order storage serves by scanning every user per page), made
/// from the listing.
async fn deep_cursor(
    service: &Service,
    order: UserOrder,
    keys: &[UserSortKey],
    deep_page: usize,
    options: &Options<'_>,
) -> Result<(String, Walk), BoxError> {
    let caller = Caller::system();
    let last_before = (deep_page - 1) * PAGE_SIZE - 1;
    let expected = keys
        .get(last_before)
        .ok_or("fewer users than the deep page needs")?;
    let cursors = service
        .cursors(Scope::users(UserList::Users, &[order], &UserFilter::All)?)
        .await?;
    let start = Instant::now();
    let mut after: Option<String> = None;
    for walked in 0..deep_page - 1 {
        if start.elapsed() > options.walk_budget {
            eprintln!("  walk budget spent after {walked} pages; cursor made from the listing");
            let cursor = cursor::encode_user(&cursors, expected);
            return Ok((cursor, Walk::Derived { pages: walked }));
        }
        let page = service
            .search_users(
                &caller,
                UserQuery {
                    order: vec![order],
                    page: PageArgs {
                        first: Some(PAGE_SIZE as i64),
                        after: after.take(),
                        ..PageArgs::default()
                    },
                    ..UserQuery::default()
                },
            )
            .await?;
        if page.edges.len() != PAGE_SIZE {
            return Err(format!("page {} of the walk is not full", walked + 1).into());
        }
        after = page.end_cursor().map(str::to_owned);
    }
    let cursor = after.ok_or("the walk ended without a cursor")?;
    let reached = cursor::decode_user(&cursors, &cursor, &[order], "after")?;
    if &reached != expected {
        return Err(format!(
            "the walk reached {reached:?}, but the listing puts {expected:?} there"
        )
        .into());
    }
    Ok((cursor, Walk::Walked(start.elapsed())))
}
