//! Relay-style paging at the service boundary: `first`/`after` and
//! `last`/`before` with opaque keyset cursors, turned into forward-only
//! storage searches.

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
}

/// One page as the service returns it.
#[derive(Clone, Debug, PartialEq)]
pub struct Connection<T> {
    /// Each item with its opaque cursor.
    pub edges: Vec<Edge<T>>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    /// Set only when the caller asked for it.
    pub total_count: Option<u64>,
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
