//! Sharing one commit among many items, and finding the items at fault when
//! a shared commit fails: storage says what went wrong but not for which
//! item, so the group is halved and each half retried in order until the
//! culprits stand alone. The default of `Storage::commit_each`.

use std::collections::VecDeque;
use std::ops::Range;

use crate::error::{Error, Result};
use crate::storage::{Storage, WriteOp};

/// A failing group of at most this many items is retried one item at a time
/// instead of being halved again: at that size halving saves no commits.
const SINGLES: usize = 8;

/// The groups of item indexes still to commit, first to last.
#[derive(Debug)]
pub(super) struct Groups {
    queue: VecDeque<Range<usize>>,
}

impl Groups {
    /// One group holding items `0..len` (none when `len` is 0).
    pub(super) fn new(len: usize) -> Self {
        let mut queue = VecDeque::new();
        if len > 0 {
            queue.push_back(0..len);
        }
        Groups { queue }
    }

    /// The next group to commit.
    pub(super) fn next_group(&mut self) -> Option<Range<usize>> {
        self.queue.pop_front()
    }

    /// `group` failed on one item's own error. A group of one item is that
    /// item, returned so that it gets the error; a larger one is split, its
    /// parts committed next in order, and `None` returned.
    pub(super) fn split(&mut self, group: Range<usize>) -> Option<usize> {
        if group.len() == 1 {
            return Some(group.start);
        }
        if group.len() <= SINGLES {
            for single in group.rev() {
                self.queue.push_front(single..single + 1);
            }
        } else {
            let middle = group.start + group.len() / 2;
            self.queue.push_front(middle..group.end);
            self.queue.push_front(group.start..middle);
        }
        None
    }
}

/// One result slot per item, filled as items settle.
pub(super) type Slots<O> = Vec<Option<Result<O>>>;

/// Splits prepared items into the result slots (failed items already
/// settled, the others empty) and the items still to write, each with its
/// slot's index.
pub(super) fn sort_out<T, O>(prepared: Vec<Result<T>>) -> (Slots<O>, Vec<(usize, T)>) {
    let mut results = Vec::with_capacity(prepared.len());
    let mut pending = Vec::new();
    for (index, item) in prepared.into_iter().enumerate() {
        match item {
            Ok(item) => {
                results.push(None);
                pending.push((index, item));
            }
            Err(e) => results.push(Some(Err(e))),
        }
    }
    (results, pending)
}

/// [`Storage::commit_each`] over [`Storage::commit`]: the groups share
/// commits, and a commit that fails is halved until each group at fault
/// stands alone with its error. Only a storage failure fails the call.
pub(crate) async fn commit_each<S: Storage + ?Sized>(
    storage: &S,
    groups: Vec<Vec<WriteOp>>,
) -> Result<Vec<Result<()>>> {
    let mut results: Slots<()> = groups.iter().map(|_| None).collect();
    let mut pending = Groups::new(groups.len());
    while let Some(range) = pending.next_group() {
        let ops: Vec<WriteOp> = groups[range.clone()].iter().flatten().cloned().collect();
        match storage.commit(ops).await {
            Ok(()) => range.for_each(|index| results[index] = Some(Ok(()))),
            Err(e @ Error::Internal(_)) => return Err(e),
            Err(e) => {
                if let Some(culprit) = pending.split(range) {
                    results[culprit] = Some(Err(e));
                }
            }
        }
    }
    Ok(results.into_iter().map(settled).collect())
}

/// Every slot is filled by the loops that use [`Groups`]; an empty one
/// would be a bug in them, reported as an internal error rather than a panic.
pub(super) fn settled<T>(slot: Option<Result<T>>) -> Result<T> {
    slot.unwrap_or_else(|| Err(Error::internal("a batch item was left without a result")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Item 13 of 40 is bad: every group holding it fails, the others
    /// commit, and 13 alone is blamed.
    #[test]
    fn halving_isolates_the_bad_item_and_commits_the_rest_in_order() {
        let mut groups = Groups::new(40);
        let mut committed = Vec::new();
        let mut blamed = Vec::new();
        while let Some(group) = groups.next_group() {
            if group.contains(&13) {
                blamed.extend(groups.split(group));
            } else {
                committed.extend(group);
            }
        }
        assert_eq!(blamed, vec![13]);
        let expected: Vec<usize> = (0..40).filter(|i| *i != 13).collect();
        assert_eq!(committed, expected);
        assert!(Groups::new(0).next_group().is_none());
    }
}
