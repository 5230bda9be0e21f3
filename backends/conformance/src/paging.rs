//! Relay paging of users: newest first, keyset cursors that neither skip nor
//! repeat (even while users are being added), backwards walks, counts, bad
//! arguments, and the simple search.

use std::collections::{BTreeSet, HashMap};

use usergraph_core::page::{Connection, PageArgs};
use usergraph_core::query::{Direction, UserOrder, UserOrderField};
use usergraph_core::service::{CreateUser, UserQuery};
use usergraph_core::{Result, Service, User, UserId};

use crate::Fixture;
use crate::roles::create_role;
use crate::support::{create_named, expect_err, sys};

const PAGE: i64 = 7;

async fn page(svc: &Service, args: PageArgs) -> Result<Connection<User>> {
    counted_page(svc, args, false).await
}

/// Walks ask for the count on every other page: backends may take another
/// path when they must count every match, and both must page the same.
async fn counted_page(
    svc: &Service,
    args: PageArgs,
    count_total: bool,
) -> Result<Connection<User>> {
    svc.search_users(
        &sys(),
        UserQuery {
            page: args,
            count_total,
            ..UserQuery::default()
        },
    )
    .await
}

async fn create_many(svc: &Service, count: usize) -> Vec<User> {
    let mut users = Vec::new();
    for i in 0..count {
        users.push(create_named(svc, &format!("user_{i:03}")).await);
    }
    users
}

/// The default order the service must produce: createdAt DESC, ties by id
/// DESC.
fn newest_first(users: &[User]) -> Vec<UserId> {
    let mut sorted: Vec<_> = users.iter().collect();
    sorted.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    sorted.into_iter().map(|u| u.id.clone()).collect()
}

/// Walks `first`/`after` over `total` users to the end, checking the page
/// flags on the way.
async fn walk_forward(svc: &Service, total: u64) -> Vec<UserId> {
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut after: Option<String> = None;
    loop {
        let counted = pages % 2 == 1;
        pages += 1;
        let conn = counted_page(
            svc,
            PageArgs {
                first: Some(PAGE),
                after: after.clone(),
                ..PageArgs::default()
            },
            counted,
        )
        .await
        .unwrap();
        assert!(conn.edges.len() as i64 <= PAGE);
        assert_eq!(conn.total(), counted.then_some(total));
        seen.extend(conn.nodes().map(|u| u.id.clone()));
        if !conn.has_next_page {
            break;
        }
        assert_eq!(conn.edges.len() as i64, PAGE, "only the last page is short");
        after = Some(conn.end_cursor().unwrap().to_owned());
    }
    seen
}

fn assert_no_duplicates(ids: &[UserId]) {
    let mut counts: HashMap<&UserId, usize> = HashMap::new();
    for id in ids {
        *counts.entry(id).or_default() += 1;
    }
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        repeated.is_empty(),
        "users seen more than once: {repeated:?}"
    );
}

pub async fn forward_walk_has_no_gaps_or_duplicates(fx: Fixture) {
    let svc = fx.service();
    let users = create_many(&svc, 50).await;
    let seen = walk_forward(&svc, 50).await;
    assert_no_duplicates(&seen);
    assert_eq!(seen, newest_first(&users), "every user once, newest first");

    let default_page = page(&svc, PageArgs::default()).await.unwrap();
    assert_eq!(default_page.edges.len(), 20, "pages default to 20");
    assert!(default_page.has_next_page);
    let max_page = page(&svc, PageArgs::first(100)).await.unwrap();
    assert_eq!(max_page.edges.len(), 50);
    assert!(!max_page.has_next_page);
}

pub async fn forward_walk_during_concurrent_inserts(fx: Fixture) {
    let svc = fx.service();
    let existing = create_many(&svc, 50).await;
    let writer = {
        let svc = svc.clone();
        tokio::spawn(async move {
            for i in 0..40 {
                create_named(&svc, &format!("late_{i:03}")).await;
                tokio::task::yield_now().await;
            }
        })
    };
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let counted = seen.len() % 2 == 1;
        let conn = counted_page(
            &svc,
            PageArgs {
                first: Some(PAGE),
                after: after.clone(),
                ..PageArgs::default()
            },
            counted,
        )
        .await
        .unwrap();
        assert_eq!(conn.total_count.is_some(), counted);
        seen.extend(conn.nodes().map(|u| u.id.clone()));
        if !conn.has_next_page {
            break;
        }
        after = Some(conn.end_cursor().unwrap().to_owned());
        tokio::task::yield_now().await;
    }
    writer.await.unwrap();

    assert_no_duplicates(&seen);
    let seen_set: BTreeSet<_> = seen.iter().collect();
    for user in &existing {
        assert!(seen_set.contains(&user.id), "{} was skipped", user.id);
    }
    let expected = newest_first(&existing);
    let old_in_walk: Vec<_> = seen
        .iter()
        .filter(|id| expected.contains(id))
        .cloned()
        .collect();
    assert_eq!(
        old_in_walk, expected,
        "users present before the walk keep their order"
    );
}

pub async fn backward_walk_mirrors_forward(fx: Fixture) {
    let svc = fx.service();
    let users = create_many(&svc, 23).await;
    let forward = newest_first(&users);

    let mut pages: Vec<Vec<UserId>> = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let counted = pages.len() % 2 == 1;
        let conn = counted_page(
            &svc,
            PageArgs {
                last: Some(PAGE),
                before: before.clone(),
                ..PageArgs::default()
            },
            counted,
        )
        .await
        .unwrap();
        assert_eq!(conn.total(), counted.then_some(23));
        pages.push(conn.nodes().map(|u| u.id.clone()).collect());
        if !conn.has_previous_page {
            break;
        }
        before = Some(conn.start_cursor().unwrap().to_owned());
    }
    // The first `last` page is the oldest users, still in list order.
    assert_eq!(pages[0], forward[forward.len() - PAGE as usize..].to_vec());
    let stitched: Vec<_> = pages.into_iter().rev().flatten().collect();
    assert_eq!(stitched, forward);

    // A cursor from a forward page serves a backward one and vice versa.
    let first = page(&svc, PageArgs::first(10)).await.unwrap();
    let prev = page(
        &svc,
        PageArgs {
            last: Some(3),
            before: first.end_cursor().map(str::to_owned),
            ..PageArgs::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        prev.nodes().map(|u| u.id.clone()).collect::<Vec<_>>(),
        forward[6..9].to_vec()
    );
}

/// Walks every page of `order` one way, returning the ids in list order.
async fn walk_ordered(svc: &Service, order: &[UserOrder], backward: bool) -> Vec<UserId> {
    let mut pages: Vec<Vec<UserId>> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let args = if backward {
            PageArgs {
                last: Some(4),
                before: cursor.clone(),
                ..PageArgs::default()
            }
        } else {
            PageArgs {
                first: Some(4),
                after: cursor.clone(),
                ..PageArgs::default()
            }
        };
        let query = UserQuery {
            order: order.to_vec(),
            page: args,
            ..UserQuery::default()
        };
        let conn = svc.search_users(&sys(), query).await.unwrap();
        pages.push(conn.nodes().map(|u| u.id.clone()).collect());
        let more = if backward {
            conn.has_previous_page
        } else {
            conn.has_next_page
        };
        if !more {
            break;
        }
        let next = if backward {
            conn.start_cursor()
        } else {
            conn.end_cursor()
        };
        cursor = next.map(str::to_owned);
    }
    if backward {
        pages.reverse();
    }
    pages.into_iter().flatten().collect()
}

/// Nulls sort last in both directions, so `last`/`before` must walk the exact
/// reverse of the list, not the list with its directions flipped.
pub async fn backward_walk_mirrors_forward_with_nulls(fx: Fixture) {
    let svc = fx.service();
    for i in 0..13 {
        let name = (i % 3 != 0).then(|| format!("Name {}", i % 5));
        svc.create_user(
            &sys(),
            CreateUser {
                username: Some(format!("nulls_{i:02}")),
                name,
                ..CreateUser::default()
            },
        )
        .await
        .unwrap();
    }
    for direction in [Direction::Asc, Direction::Desc] {
        let order = [UserOrder {
            field: UserOrderField::Name,
            direction,
        }];
        let forward = walk_ordered(&svc, &order, false).await;
        assert_eq!(forward.len(), 13);
        assert_no_duplicates(&forward);
        let backward = walk_ordered(&svc, &order, true).await;
        assert_eq!(backward, forward, "{direction:?}");
        // The last users of the list are the ones without a name.
        let tail = svc
            .users_by_ids(&sys(), &forward[forward.len() - 5..])
            .await
            .unwrap();
        assert!(tail.iter().all(|u| u.name.is_none()), "{direction:?}");
    }
}

pub async fn total_count(fx: Fixture) {
    let svc = fx.service();
    create_many(&svc, 12).await;
    let conn = svc
        .search_users(
            &sys(),
            UserQuery {
                page: PageArgs::first(5),
                count_total: true,
                ..UserQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(conn.total(), Some(12), "the count ignores the page size");
    assert_eq!(conn.edges.len(), 5);
    let later = svc
        .search_users(
            &sys(),
            UserQuery {
                page: PageArgs {
                    first: Some(5),
                    after: conn.end_cursor().map(str::to_owned),
                    ..PageArgs::default()
                },
                count_total: true,
                ..UserQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(later.total(), Some(12), "the count ignores the cursor");
    let searched = svc
        .search_users(
            &sys(),
            UserQuery {
                search: Some("user_00".into()),
                page: PageArgs::first(1),
                count_total: true,
                ..UserQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(searched.total(), Some(10));
}

pub async fn bad_page_arguments_are_validation(fx: Fixture) {
    let svc = fx.service();
    create_many(&svc, 3).await;
    let real = page(&svc, PageArgs::first(1)).await.unwrap();
    let cursor = real.end_cursor().unwrap().to_owned();
    let cases = [
        (PageArgs::first(101), "first"),
        (PageArgs::first(-1), "first"),
        (
            PageArgs {
                last: Some(101),
                ..PageArgs::default()
            },
            "last",
        ),
        (
            PageArgs {
                last: Some(-5),
                ..PageArgs::default()
            },
            "last",
        ),
        (
            PageArgs {
                after: Some("not-a-cursor".into()),
                ..PageArgs::default()
            },
            "after",
        ),
        (
            PageArgs {
                after: Some("!!!".into()),
                ..PageArgs::default()
            },
            "after",
        ),
        (
            PageArgs {
                after: Some(format!("{cursor}x")),
                ..PageArgs::default()
            },
            "after",
        ),
        (
            PageArgs {
                before: Some("AAAA".into()),
                ..PageArgs::default()
            },
            "before",
        ),
    ];
    for (args, field) in cases {
        let result = page(&svc, args.clone()).await;
        let err = expect_err(result, "VALIDATION", None);
        assert_eq!(err.field(), Some(field), "{args:?}: {err:?}");
    }
    for args in [
        PageArgs {
            first: Some(1),
            last: Some(1),
            ..PageArgs::default()
        },
        PageArgs {
            after: Some(cursor.clone()),
            before: Some(cursor.clone()),
            ..PageArgs::default()
        },
    ] {
        expect_err(page(&svc, args).await, "VALIDATION", None);
    }
    let long_search = svc
        .search_users(
            &sys(),
            UserQuery {
                search: Some("s".repeat(129)),
                ..UserQuery::default()
            },
        )
        .await;
    expect_err(long_search, "VALIDATION", Some("search"));
    // The real cursor itself is fine.
    page(
        &svc,
        PageArgs {
            first: Some(1),
            after: Some(cursor),
            ..PageArgs::default()
        },
    )
    .await
    .unwrap();
}

pub async fn foreign_cursors_are_validation(fx: Fixture) {
    let svc = fx.service();
    let users = create_many(&svc, 3).await;
    let by_name = svc
        .search_users(
            &sys(),
            UserQuery {
                order: vec![UserOrder {
                    field: UserOrderField::Username,
                    direction: Direction::Asc,
                }],
                page: PageArgs::first(1),
                ..UserQuery::default()
            },
        )
        .await
        .unwrap();
    let name_cursor = by_name.end_cursor().unwrap().to_owned();
    let after_name = page(
        &svc,
        PageArgs {
            after: Some(name_cursor),
            ..PageArgs::default()
        },
    )
    .await;
    expect_err(after_name, "VALIDATION", Some("after"));

    let role = create_role(&svc, "R", false).await;
    let roles = svc
        .search_roles(&sys(), None, PageArgs::first(1), false)
        .await
        .unwrap();
    let role_cursor = roles.end_cursor().unwrap().to_owned();
    let after_role = page(
        &svc,
        PageArgs {
            after: Some(role_cursor),
            ..PageArgs::default()
        },
    )
    .await;
    expect_err(after_role, "VALIDATION", Some("after"));

    let user_cursor = page(&svc, PageArgs::first(1))
        .await
        .unwrap()
        .end_cursor()
        .unwrap()
        .to_owned();
    let roles_after_user = svc
        .search_roles(
            &sys(),
            None,
            PageArgs {
                after: Some(user_cursor),
                ..PageArgs::default()
            },
            false,
        )
        .await;
    expect_err(roles_after_user, "VALIDATION", Some("after"));
    assert_eq!(users.len(), 3);
    assert_eq!(role.name, "R");
}

pub async fn simple_search(fx: Fixture) {
    let svc = fx.service();
    let mk = |username: &str, email: &str, phone: Option<&str>, name: &str| CreateUser {
        username: Some(username.to_owned()),
        primary_email: Some(email.to_owned()),
        primary_phone: phone.map(str::to_owned),
        name: Some(name.to_owned()),
        ..CreateUser::default()
    };
    let inputs = [
        mk(
            "Margaret",
            "mh@nasa.gov",
            Some("+1 555 010 7777"),
            "Margaret Hamilton",
        ),
        mk("kat", "katherine@example.com", None, "Katherine Johnson"),
        mk(
            "dorothy_v",
            "DV@Example.org",
            Some("15550108888"),
            "Dorothy Vaughan",
        ),
    ];
    let mut users = Vec::new();
    for input in inputs {
        users.push(svc.create_user(&sys(), input).await.unwrap());
    }
    let [margaret, kat, dorothy] = [&users[0], &users[1], &users[2]];

    let search = |text: &str| {
        let svc = svc.clone();
        let text = text.to_owned();
        async move {
            let conn = svc
                .search_users(
                    &sys(),
                    UserQuery {
                        search: Some(text),
                        count_total: true,
                        ..UserQuery::default()
                    },
                )
                .await
                .unwrap();
            assert_eq!(conn.total(), Some(conn.edges.len() as u64));
            conn.nodes().map(|u| u.id.clone()).collect::<Vec<_>>()
        }
    };
    assert_eq!(
        search("MARGARET").await,
        vec![margaret.id.clone()],
        "username/name"
    );
    assert_eq!(search("johnson").await, vec![kat.id.clone()], "name");
    assert_eq!(
        search("example.").await,
        vec![dorothy.id.clone(), kat.id.clone()],
        "email"
    );
    assert_eq!(search("dv@EXAMPLE").await, vec![dorothy.id.clone()]);
    assert_eq!(
        search("0107777").await,
        vec![margaret.id.clone()],
        "phone digits"
    );
    assert_eq!(
        search(&kat.id.as_str()[2..9].to_uppercase()).await,
        vec![kat.id.clone()],
        "id"
    );
    assert!(search("nobody-here").await.is_empty());
    assert_eq!(search("").await.len(), 3, "an empty search is no filter");
    assert_eq!(search("a").await.len(), 3);
}
