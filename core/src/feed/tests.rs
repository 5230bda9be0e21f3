use serde_json::json;
use tokio::sync::broadcast::error::TryRecvError;

use super::*;
use crate::model::LogResult;
use crate::time;

fn entry(micros: i64) -> LogEntry {
    LogEntry {
        id: LogId::generate(),
        key: "User.Updated".into(),
        result: LogResult::Success,
        user_id: None,
        role_id: None,
        actor_id: None,
        token_id: None,
        ip: None,
        user_agent: None,
        payload: json!({}),
        error: None,
        created_at: time::from_micros(micros).expect("a valid time"),
    }
}

fn commit_of(entries: &[&LogEntry]) -> Vec<WriteOp> {
    entries
        .iter()
        .map(|entry| WriteOp::AppendLog(Box::new((*entry).clone())))
        .collect()
}

fn received(subscription: &mut Subscription) -> Vec<LogId> {
    let mut ids = Vec::new();
    loop {
        match subscription.receiver.try_recv() {
            Ok(entry) => ids.push(entry.id.clone()),
            Err(TryRecvError::Empty) => return ids,
            Err(other) => panic!("the feed failed: {other:?}"),
        }
    }
}

fn stamped_ids(ops: &[WriteOp]) -> Vec<LogId> {
    ops.iter()
        .filter_map(|op| match op {
            WriteOp::AppendLog(entry) => Some(entry.id.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn an_entry_waits_for_every_earlier_one_in_flight() {
    let feed = LogFeed::new(16);
    let mut subscription = feed.subscribe();
    let (first, second) = (entry(10), entry(20));
    let mut first_ops = commit_of(&[&first]);
    let mut second_ops = commit_of(&[&second]);
    let first_stamp = feed.stamp(std::iter::once(&mut first_ops));
    let second_stamp = feed.stamp(std::iter::once(&mut second_ops));

    // The later commit finishes first: it is held back.
    feed.finish(second_stamp, |_| true);
    assert_eq!(received(&mut subscription), Vec::<LogId>::new());

    feed.finish(first_stamp, |_| true);
    assert_eq!(received(&mut subscription), [first.id, second.id.clone()]);
    assert_eq!(
        feed.subscribe().released.map(|(_, id)| id),
        Some(second.id),
        "a later subscriber learns where the feed is"
    );
}

#[test]
fn a_failed_commit_releases_what_it_held_and_sends_nothing() {
    let feed = LogFeed::new(16);
    let mut subscription = feed.subscribe();
    let (failed, kept) = (entry(10), entry(20));
    let mut failed_ops = commit_of(&[&failed]);
    let mut kept_ops = commit_of(&[&kept]);
    let failed_stamp = feed.stamp(std::iter::once(&mut failed_ops));
    let kept_stamp = feed.stamp(std::iter::once(&mut kept_ops));
    feed.finish(kept_stamp, |_| true);
    feed.finish(failed_stamp, |_| false);
    assert_eq!(received(&mut subscription), [kept.id]);
}

#[test]
fn an_entry_made_before_one_already_stamped_is_moved_after_it() {
    let feed = LogFeed::new(16);
    let mut subscription = feed.subscribe();
    let late = entry(50);
    let early = entry(10);
    let mut late_ops = commit_of(&[&late]);
    let stamp = feed.stamp(std::iter::once(&mut late_ops));
    feed.finish(stamp, |_| true);
    let mut early_ops = commit_of(&[&early, &early.clone()]);
    // Two entries of one commit sharing a time are kept apart too.
    if let Some(WriteOp::AppendLog(second)) = early_ops.get_mut(1) {
        second.id = LogId::generate();
    }
    let stamp = feed.stamp(std::iter::once(&mut early_ops));
    let times: Vec<i64> = early_ops
        .iter()
        .filter_map(|op| match op {
            WriteOp::AppendLog(entry) => Some(time::to_micros(entry.created_at)),
            _ => None,
        })
        .collect();
    assert_eq!(times, [51, 52], "stamped after the last stamp, one apart");
    feed.finish(stamp, |_| true);
    let mut expected = vec![late.id];
    expected.extend(stamped_ids(&early_ops));
    assert_eq!(received(&mut subscription), expected);
}

#[test]
fn groups_of_a_bulk_write_are_released_as_each_went() {
    let feed = LogFeed::new(16);
    let mut subscription = feed.subscribe();
    let entries = [entry(1), entry(2), entry(3)];
    let mut groups: Vec<Vec<WriteOp>> = entries.iter().map(|e| commit_of(&[e])).collect();
    let stamp = feed.stamp(groups.iter_mut());
    feed.finish(stamp, |group| group != 1);
    assert_eq!(
        received(&mut subscription),
        [entries[0].id.clone(), entries[2].id.clone()]
    );
}

#[test]
fn a_subscriber_that_falls_behind_the_buffer_is_told() {
    let feed = LogFeed::new(2);
    let mut subscription = feed.subscribe();
    for micros in 1..=3 {
        let mut ops = commit_of(&[&entry(micros)]);
        let stamp = feed.stamp(std::iter::once(&mut ops));
        feed.finish(stamp, |_| true);
    }
    assert!(matches!(
        subscription.receiver.try_recv(),
        Err(TryRecvError::Lagged(1))
    ));
}

#[test]
fn a_commit_abandoned_unfinished_does_not_stall_the_feed() {
    let feed = LogFeed::new(16);
    let mut subscription = feed.subscribe();
    let (abandoned, later) = (entry(10), entry(20));
    let mut abandoned_ops = commit_of(&[&abandoned]);
    let mut later_ops = commit_of(&[&later]);
    let outcome = storage::Outcome::new(
        feed.clone(),
        feed.stamp(std::iter::once(&mut abandoned_ops)),
    );
    let later_stamp = feed.stamp(std::iter::once(&mut later_ops));
    feed.finish(later_stamp, |_| true);
    assert_eq!(received(&mut subscription), Vec::<LogId>::new());
    // What a panicking backend leaves: the outcome dropped, never told.
    drop(outcome);
    assert_eq!(received(&mut subscription), [later.id]);
}

#[test]
fn an_entry_is_placed_after_the_floor_only_when_it_would_sort_before_it() {
    let floor_entry = entry(100);
    let floor = position(&floor_entry);
    let later = entry(101);
    assert_eq!(time_after(&later, &floor), None);
    let earlier = entry(99);
    assert_eq!(time_after(&earlier, &floor), time::from_micros(101));
    // The same time: the id decides.
    let mut tied = entry(100);
    tied.id = LogId::parse(&format!("{}z", floor_entry.id)).expect("a valid id");
    assert_eq!(time_after(&tied, &floor), None, "sorts after by its id");
    tied.id = floor_entry.id.clone();
    assert_eq!(
        time_after(&tied, &floor),
        time::from_micros(101),
        "the floor itself"
    );
}
