//! The live log feed over each backend: a subscription that replays from a
//! cursor while other tasks write meets the live entries with no gap and
//! no repeat, in the order the log lists them.

use std::time::Duration;

use futures::StreamExt;
use usergraph_core::page::PageArgs;
use usergraph_core::query::{LogFilter, LogSearch, LogSortKey};
use usergraph_core::service::Subscriber;
use usergraph_core::{LogId, Service, eval};

use crate::Fixture;
use crate::support::{create_named, sys};

const WRITERS: usize = 4;
const WRITES_EACH: usize = 50;

/// Every entry's id after `after`, oldest first, read from storage.
async fn stored_after(svc: &Service, after: LogSortKey) -> Vec<LogId> {
    let mut ids = Vec::new();
    let mut after = Some(after);
    loop {
        let page = svc
            .storage()
            .search_logs(&LogSearch {
                filter: LogFilter::default(),
                after: after.clone(),
                limit: 100,
                count_limit: None,
                oldest_first: true,
            })
            .await
            .unwrap();
        let Some(last) = page.items.last() else {
            return ids;
        };
        after = Some(eval::log_sort_key(last));
        ids.extend(page.items.into_iter().map(|entry| entry.id));
    }
}

pub async fn replay_meets_live_with_no_gap_under_concurrent_writers(fx: Fixture) {
    let svc = fx.service();
    create_named(&svc, "first").await;
    let newest = svc
        .search_logs(&sys(), LogFilter::default(), PageArgs::first(1), false)
        .await
        .unwrap();
    let edge = &newest.edges[0];
    let (cursor, from) = (edge.cursor.clone(), eval::log_sort_key(&edge.node));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let svc = svc.clone();
            tokio::spawn(async move {
                for n in 0..WRITES_EACH {
                    create_named(&svc, &format!("w{writer}n{n}")).await;
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let subscriber = Subscriber {
        caller: sys(),
        secret: None,
    };
    let mut events = svc
        .live_logs(subscriber, LogFilter::default(), Some(&cursor))
        .await
        .unwrap();
    for writer in writers {
        writer.await.unwrap();
    }
    let expected = stored_after(&svc, from).await;
    assert_eq!(expected.len(), WRITERS * WRITES_EACH);
    let mut received = Vec::new();
    while received.len() < expected.len() {
        let event = tokio::time::timeout(Duration::from_secs(10), events.next())
            .await
            .expect("every entry arrives")
            .expect("the subscription goes on")
            .unwrap();
        received.push(event.entry.id);
    }
    assert_eq!(received, expected);
}
