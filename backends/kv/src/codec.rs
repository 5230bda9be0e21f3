//! Records are stored as JSON behind a format byte, so that a later format
//! can be told apart and migrated rather than misread.

use serde::Serialize;
use serde::de::DeserializeOwned;
use usergraph_core::{Error, Result};

const FORMAT_JSON_V1: u8 = 1;

pub(crate) fn encode<T: Serialize>(record: &T) -> Result<Vec<u8>> {
    let mut bytes = vec![FORMAT_JSON_V1];
    serde_json::to_writer(&mut bytes, record).map_err(Error::internal)?;
    Ok(bytes)
}

pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    match bytes.split_first() {
        Some((&FORMAT_JSON_V1, json)) => serde_json::from_slice(json).map_err(Error::internal),
        Some((format, _)) => Err(Error::internal(format!("unknown record format {format}"))),
        None => Err(Error::internal("empty record")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_unknown_formats_are_refused() {
        let bytes = encode(&vec!["a", "b"]).unwrap();
        assert_eq!(bytes[0], FORMAT_JSON_V1);
        assert_eq!(decode::<Vec<String>>(&bytes).unwrap(), ["a", "b"]);
        let mut future = bytes.clone();
        future[0] = 2;
        assert_eq!(
            decode::<Vec<String>>(&future).unwrap_err().code(),
            "INTERNAL"
        );
        assert_eq!(decode::<Vec<String>>(&[]).unwrap_err().code(), "INTERNAL");
    }
}
