//! Relay connections: `edges`, `nodes`, `pageInfo` and `totalCount` over
//! core's pages. The count is computed only when a query selects
//! `totalCount` or `totalCountCapped` (see [`wants_total_count`]), since it
//! reads up to the count cap of matches.

use async_graphql::{Context, SimpleObject};
use usergraph_core::page::PageArgs;

#[derive(Clone, Debug, SimpleObject)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

impl PageInfo {
    pub fn of<T>(connection: &usergraph_core::page::Connection<T>) -> Self {
        PageInfo {
            has_next_page: connection.has_next_page,
            has_previous_page: connection.has_previous_page,
            start_cursor: connection.start_cursor().map(str::to_owned),
            end_cursor: connection.end_cursor().map(str::to_owned),
        }
    }
}

/// Whether the connection field being resolved selects `totalCount` or
/// `totalCountCapped` (directly or through fragments).
pub fn wants_total_count(ctx: &Context<'_>) -> bool {
    let selection = ctx.look_ahead();
    selection.field("totalCount").exists() || selection.field("totalCountCapped").exists()
}

/// The count of a connection, which core computed because the query asked.
pub fn total_count(
    total: Option<usergraph_core::page::TotalCount>,
) -> usergraph_core::Result<usergraph_core::page::TotalCount> {
    total.ok_or_else(|| usergraph_core::Error::internal("total count was not computed"))
}

pub fn page_args(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> PageArgs {
    PageArgs {
        first: first.map(i64::from),
        after,
        last: last.map(i64::from),
        before,
    }
}

/// Declares `<Name>Connection` and `<Name>Edge` over a core model type and
/// its GraphQL wrapper (a newtype over the model).
macro_rules! connection_types {
    ($connection:ident, $edge:ident, $node:ident, $model:ty) => {
        #[derive(Debug)]
        pub struct $connection(pub usergraph_core::page::Connection<$model>);

        #[async_graphql::Object]
        impl $connection {
            async fn edges(&self) -> Vec<$edge> {
                self.0.edges.iter().cloned().map($edge).collect()
            }

            async fn nodes(&self) -> Vec<$node> {
                self.0.nodes().cloned().map($node).collect()
            }

            async fn page_info(&self) -> $crate::schema::connection::PageInfo {
                $crate::schema::connection::PageInfo::of(&self.0)
            }

            /// The items matching the query, regardless of paging, counted up
            /// to the server's count cap (`count_cap` in its configuration,
            /// 10,000 unless set): when more match, this is the cap and
            /// `totalCountCapped` is true.
            async fn total_count(&self) -> async_graphql::Result<u64> {
                use $crate::errors::ServiceResultExt;
                $crate::schema::connection::total_count(self.0.total_count)
                    .map(|total| total.count)
                    .gql()
            }

            /// True when more items match than `totalCount` says: counting
            /// stopped at the count cap.
            async fn total_count_capped(&self) -> async_graphql::Result<bool> {
                use $crate::errors::ServiceResultExt;
                $crate::schema::connection::total_count(self.0.total_count)
                    .map(|total| total.capped)
                    .gql()
            }
        }

        #[derive(Debug)]
        pub struct $edge(pub usergraph_core::page::Edge<$model>);

        #[async_graphql::Object]
        impl $edge {
            /// Opaque; pass it as `after` or `before`.
            async fn cursor(&self) -> &str {
                &self.0.cursor
            }

            async fn node(&self) -> $node {
                $node(self.0.node.clone())
            }
        }
    };
}

pub(crate) use connection_types;
