//! The custom scalars of the contract.
//!
//! - `DateTime`: an RFC 3339 string in UTC (async-graphql's chrono scalar
//!   over core's microsecond timestamps), e.g. `2024-05-01T09:30:00.123456+00:00`.
//!   Inputs accept any RFC 3339 offset.
//! - `JSON`: any JSON value (async-graphql's `Json`); where the contract wants
//!   an object, core checks that it is one.

use serde_json::{Map, Value};

pub type DateTime = usergraph_core::Timestamp;
pub type Json = async_graphql::Json<Value>;

pub fn json_object(map: &Map<String, Value>) -> Json {
    async_graphql::Json(Value::Object(map.clone()))
}
