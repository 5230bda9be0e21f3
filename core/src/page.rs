//! Relay-style paging at the service boundary: `first`/`after` and
//! `last`/`before` with opaque keyset cursors, turned into forward-only
//! storage searches.

use crate::error::{Error, Result};

/// Paging arguments as a client gives them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageArgs {
    pub first: Option<i64>,
    pub after: Option<String>,
    pub last: Option<i64>,
    pub before: Option<String>,
}

impl PageArgs {
    pub const DEFAULT_SIZE: usize = 20;
    pub const MAX_SIZE: usize = 100;

    pub fn first(n: i64) -> Self {
        PageArgs {
            first: Some(n),
            ..PageArgs::default()
        }
    }

    /// Checks the arguments and turns them into one forward walk: `last`
    /// and `before` walk the reversed order from `before`.
    pub fn validate(&self) -> Result<PageRequest> {
        let forward = self.first.is_some() || self.after.is_some();
        let backward = self.last.is_some() || self.before.is_some();
        if forward && backward {
            let field = if self.last.is_some() {
                "last"
            } else {
                "before"
            };
            return Err(Error::validation(
                field,
                "first/after and last/before cannot be used together",
            ));
        }
        let (size, field, cursor) = if backward {
            (self.last, "last", &self.before)
        } else {
            (self.first, "first", &self.after)
        };
        let size = match size {
            None => Self::DEFAULT_SIZE,
            Some(n) => usize::try_from(n)
                .ok()
                .filter(|n| *n <= Self::MAX_SIZE)
                .ok_or_else(|| {
                    Error::validation(
                        field,
                        format!("{field} must be between 0 and {}", Self::MAX_SIZE),
                    )
                })?,
        };
        Ok(PageRequest {
            size,
            backward,
            cursor: cursor.clone(),
        })
    }

    /// Like [`PageArgs::validate`], for lists that page only forward.
    pub fn validate_forward(&self) -> Result<PageRequest> {
        if self.last.is_some() {
            return Err(Error::validation(
                "last",
                "this list pages only forward; use first",
            ));
        }
        if self.before.is_some() {
            return Err(Error::validation(
                "before",
                "this list pages only forward; use after",
            ));
        }
        self.validate()
    }
}

/// Validated paging: how many items, in which direction, from where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub size: usize,
    /// `last`/`before`: storage walks the reversed order.
    pub backward: bool,
    /// The raw `after` (forward) or `before` (backward) cursor.
    pub cursor: Option<String>,
}

impl PageRequest {
    /// The argument the cursor came in, for error messages.
    pub fn cursor_field(&self) -> &'static str {
        if self.backward { "before" } else { "after" }
    }

    /// What to ask storage for: one more than the page, to learn whether
    /// another page follows without counting.
    pub fn limit(&self) -> usize {
        self.size.saturating_add(1)
    }

    /// Builds the page from what storage returned for [`PageRequest::limit`],
    /// in walk order: trims the extra item, restores the client's order for
    /// a backward walk and sets the page flags.
    pub fn connection<T>(
        &self,
        mut items: Vec<T>,
        total_count: Option<TotalCount>,
        cursor: impl Fn(&T) -> String,
    ) -> Connection<T> {
        let more = items.len() > self.size;
        items.truncate(self.size);
        if self.backward {
            items.reverse();
        }
        // Past a cursor there is, as far as a keyset walk can tell, an item
        // on the cursor's side: the one the cursor was made from.
        let from_cursor = self.cursor.is_some();
        let (has_next_page, has_previous_page) = if self.backward {
            (from_cursor, more)
        } else {
            (more, from_cursor)
        };
        Connection {
            edges: items
                .into_iter()
                .map(|node| Edge {
                    cursor: cursor(&node),
                    node,
                })
                .collect(),
            has_next_page,
            has_previous_page,
            total_count,
        }
    }
}

/// One page as the service returns it.
#[derive(Clone, Debug, PartialEq)]
pub struct Connection<T> {
    /// Each item with its opaque cursor.
    pub edges: Vec<Edge<T>>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    /// Set only when the caller asked for it.
    pub total_count: Option<TotalCount>,
}

impl<T> Connection<T> {
    /// The count, without saying whether it was capped.
    pub fn total(&self) -> Option<u64> {
        self.total_count.map(|total| total.count)
    }
}

/// How many items match a list, counted up to a [`CountCap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TotalCount {
    /// The matches, or the cap when more match.
    pub count: u64,
    /// More items match than `count`: counting stopped at the cap.
    pub capped: bool,
}

/// The most matches a list's count counts. An exact count of every match
/// costs a read of every match: at a million users, seconds per page. Past
/// the cap a count says "at least the cap" instead, so that its cost is
/// bounded by the cap (as Logto's capped log count, or a search engine's
/// "10,000+ results").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CountCap(u64);

impl CountCap {
    pub const DEFAULT: CountCap = CountCap(10_000);

    /// A cap of at least one.
    pub fn new(cap: u64) -> Result<CountCap> {
        if cap == 0 {
            return Err(Error::validation(
                "countCap",
                "the count cap must be at least 1",
            ));
        }
        Ok(CountCap(cap))
    }

    pub fn get(self) -> u64 {
        self.0
    }

    /// What a count asks storage for: one past the cap, which tells exactly
    /// the cap apart from more.
    pub fn storage_limit(self) -> u64 {
        self.0.saturating_add(1)
    }

    /// The count of a list from what storage counted up to
    /// [`CountCap::storage_limit`].
    pub fn total(self, counted: u64) -> TotalCount {
        TotalCount {
            count: counted.min(self.0),
            capped: counted > self.0,
        }
    }
}

impl Default for CountCap {
    fn default() -> Self {
        CountCap::DEFAULT
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Edge<T> {
    pub cursor: String,
    pub node: T,
}

impl<T> Connection<T> {
    pub fn start_cursor(&self) -> Option<&str> {
        self.edges.first().map(|e| e.cursor.as_str())
    }

    pub fn end_cursor(&self) -> Option<&str> {
        self.edges.last().map(|e| e.cursor.as_str())
    }

    pub fn nodes(&self) -> impl Iterator<Item = &T> {
        self.edges.iter().map(|e| &e.node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_past_the_cap_reports_the_cap_and_says_so() {
        let cap = CountCap::new(3).unwrap();
        assert_eq!(cap.storage_limit(), 4);
        let exact = |count| TotalCount {
            count,
            capped: false,
        };
        assert_eq!(cap.total(0), exact(0));
        assert_eq!(cap.total(3), exact(3));
        let capped = TotalCount {
            count: 3,
            capped: true,
        };
        assert_eq!(cap.total(4), capped);
        assert_eq!(CountCap::new(0).unwrap_err().code(), "VALIDATION");
        assert_eq!(CountCap::default().get(), 10_000);
    }

    fn args(
        first: Option<i64>,
        after: Option<&str>,
        last: Option<i64>,
        before: Option<&str>,
    ) -> PageArgs {
        PageArgs {
            first,
            after: after.map(str::to_owned),
            last,
            before: before.map(str::to_owned),
        }
    }

    #[test]
    fn sizes_default_to_20_and_stop_at_100() {
        assert_eq!(PageArgs::default().validate().unwrap().size, 20);
        assert_eq!(PageArgs::first(0).validate().unwrap().size, 0);
        assert_eq!(PageArgs::first(100).validate().unwrap().size, 100);
        assert_eq!(
            PageArgs::first(101).validate().unwrap_err().field(),
            Some("first")
        );
        assert_eq!(
            PageArgs::first(-1).validate().unwrap_err().field(),
            Some("first")
        );
        let err = args(None, None, Some(101), None).validate().unwrap_err();
        assert_eq!(err.field(), Some("last"));
        let backward = args(None, None, Some(5), Some("c")).validate().unwrap();
        assert_eq!((backward.size, backward.backward), (5, true));
        assert_eq!(backward.cursor.as_deref(), Some("c"));
        assert_eq!(backward.cursor_field(), "before");
        assert_eq!(backward.limit(), 6);
    }

    #[test]
    fn directions_cannot_be_mixed() {
        let err = args(Some(1), None, Some(1), None).validate().unwrap_err();
        assert_eq!((err.code(), err.field()), ("VALIDATION", Some("last")));
        let err = args(None, Some("a"), None, Some("b"))
            .validate()
            .unwrap_err();
        assert_eq!(err.field(), Some("before"));
        assert!(args(Some(1), None, None, Some("b")).validate().is_err());
    }

    #[test]
    fn forward_only_lists_refuse_last_and_before() {
        assert_eq!(
            args(None, None, Some(1), None)
                .validate_forward()
                .unwrap_err()
                .field(),
            Some("last")
        );
        assert_eq!(
            args(None, None, None, Some("b"))
                .validate_forward()
                .unwrap_err()
                .field(),
            Some("before")
        );
        assert!(
            args(Some(3), Some("a"), None, None)
                .validate_forward()
                .is_ok()
        );
    }

    fn page(request: &PageRequest, items: Vec<u32>) -> Connection<u32> {
        request.connection(items, Some(CountCap::DEFAULT.total(42)), |n| {
            format!("c{n}")
        })
    }

    #[test]
    fn the_extra_item_means_a_next_page() {
        let request = PageArgs::first(2).validate().unwrap();
        let full = page(&request, vec![1, 2, 3]);
        assert_eq!(full.nodes().copied().collect::<Vec<_>>(), vec![1, 2]);
        assert!(full.has_next_page);
        assert!(!full.has_previous_page);
        assert_eq!(
            (full.start_cursor(), full.end_cursor()),
            (Some("c1"), Some("c2"))
        );
        assert_eq!(
            full.total_count,
            Some(TotalCount {
                count: 42,
                capped: false
            })
        );
        let last = page(&request, vec![1, 2]);
        assert!(!last.has_next_page);
        let after = args(Some(2), Some("c2"), None, None).validate().unwrap();
        assert!(page(&after, vec![3]).has_previous_page);
    }

    #[test]
    fn a_backward_walk_is_returned_in_list_order() {
        let request = args(None, None, Some(2), Some("c5")).validate().unwrap();
        // Storage walked the reversed order from 5: 4, 3, then the extra 2.
        let got = page(&request, vec![4, 3, 2]);
        assert_eq!(got.nodes().copied().collect::<Vec<_>>(), vec![3, 4]);
        assert!(got.has_previous_page);
        assert!(got.has_next_page);
        let start = args(None, None, Some(2), None).validate().unwrap();
        let got = page(&start, vec![9, 8]);
        assert_eq!(got.nodes().copied().collect::<Vec<_>>(), vec![8, 9]);
        assert!(!got.has_previous_page);
        assert!(!got.has_next_page);
    }

    #[test]
    fn a_zero_page_still_says_whether_items_exist() {
        let request = PageArgs::first(0).validate().unwrap();
        let got = page(&request, vec![1]);
        assert!(got.edges.is_empty());
        assert!(got.has_next_page);
    }
}
