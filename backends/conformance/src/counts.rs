//! Counts of roles and log entries stop at their limit, as user counts do
//! (those are checked against the reference evaluator in
//! [`crate::search::counts_stop_at_their_limit`]).

use usergraph_core::query::{LogFilter, LogSearch, RoleSearch};
use usergraph_core::{LogResult, Storage};

use crate::Fixture;
use crate::roles::create_role;
use crate::support::{all_logs, create_named};

/// The limits worth trying around `matches`.
fn limits(matches: u64) -> [u64; 6] {
    [
        1,
        2,
        matches.saturating_sub(1),
        matches,
        matches + 1,
        u64::MAX,
    ]
}

pub async fn role_and_log_counts_stop_at_their_limit(fx: Fixture) {
    let svc = fx.service();
    let storage: &dyn Storage = fx.storage().as_ref();
    for name in ["Team Alpha", "Team Beta", "Team Gamma", "Delta", "Epsilon"] {
        create_role(&svc, name, false).await;
    }
    for name in ["ann", "bob", "cid"] {
        create_named(&svc, name).await;
    }

    // A role search also looks at ids, which hold no space.
    for (search, matches) in [(None, 5), (Some("TEAM ".to_owned()), 3)] {
        for limit in limits(matches) {
            let page = storage
                .search_roles(&RoleSearch {
                    search: search.clone(),
                    after: None,
                    limit: 1,
                    count_limit: Some(limit),
                })
                .await
                .unwrap();
            assert_eq!(page.total, Some(matches.min(limit)), "{search:?} {limit}");
            assert_eq!(page.items.len(), 1);
        }
    }

    let every = all_logs(storage).await.len() as u64;
    assert!(every >= 8, "{every}");
    let filters = [
        (LogFilter::default(), every),
        (
            LogFilter {
                key: Some("User.Created".into()),
                result: Some(LogResult::Success),
                ..LogFilter::default()
            },
            3,
        ),
    ];
    for (filter, matches) in filters {
        for limit in limits(matches) {
            let page = storage
                .search_logs(&LogSearch {
                    filter: filter.clone(),
                    after: None,
                    limit: 1,
                    count_limit: Some(limit),
                    oldest_first: false,
                })
                .await
                .unwrap();
            assert_eq!(page.total, Some(matches.min(limit)), "{filter:?} {limit}");
            assert_eq!(page.items.len(), 1);
        }
    }
}
