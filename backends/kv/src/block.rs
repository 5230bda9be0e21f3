//! The encoding of one block of n-gram postings (see [`crate::postings`]).
//!
//! A posting is a user's `created-at + id` ([`keys::timed`]). A block is
//! stored under its gram's prefix followed by its first posting, so the
//! value holds only the rest: a varint count of every posting in the block
//! (the header a count sums without decoding), then each later posting as
//!
//! - a varint of `time difference to the previous posting << 1 | packed`,
//!   the times being the big-endian `u64`s of [`keys::time`] (ascending
//!   within a block, so the difference is never negative);
//! - its id: 8 little-endian bytes of the base-36 number when `packed`
//!   (the 12 lowercase alphanumerics of a generated id), else a varint
//!   length and the bytes.
//!
//! Generated ids are random, so 8 bytes is all they can be packed into;
//! users created close together make the time differences one to three
//! bytes.

use usergraph_core::{Error, Result};

use crate::keys::TIME_LEN;

/// The length of a generated id, which packs into a `u64`: 36^12 < 2^64.
const PACKED_LEN: usize = 12;
const BASE: u64 = 36;

fn malformed() -> Error {
    Error::internal("malformed postings block")
}

/// The time part of a posting as a number, in the posting order.
fn time_of(posting: &[u8]) -> Result<u64> {
    let bytes: [u8; TIME_LEN] = posting
        .get(..TIME_LEN)
        .and_then(|t| t.try_into().ok())
        .ok_or_else(malformed)?;
    Ok(u64::from_be_bytes(bytes))
}

fn digit(byte: u8) -> Option<u64> {
    match byte {
        b'0'..=b'9' => Some(u64::from(byte - b'0')),
        b'a'..=b'z' => Some(u64::from(byte - b'a') + 10),
        _ => None,
    }
}

/// A generated-looking id as its base-36 number.
fn pack(id: &[u8]) -> Option<u64> {
    if id.len() != PACKED_LEN {
        return None;
    }
    id.iter()
        .try_fold(0u64, |packed, &byte| Some(packed * BASE + digit(byte)?))
}

fn unpack(mut packed: u64, out: &mut Vec<u8>) {
    let mut id = [0u8; PACKED_LEN];
    for byte in id.iter_mut().rev() {
        let d = (packed % BASE) as u8;
        *byte = if d < 10 { b'0' + d } else { b'a' + d - 10 };
        packed /= BASE;
    }
    out.extend_from_slice(&id);
}

fn put_varint(out: &mut Vec<u8>, mut value: u128) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reads a varint at `*at`, moving past it.
fn varint(bytes: &[u8], at: &mut usize) -> Result<u128> {
    let mut value = 0u128;
    for shift in (0..128).step_by(7) {
        let byte = *bytes.get(*at).ok_or_else(malformed)?;
        *at += 1;
        value |= u128::from(byte & 0x7F) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(malformed())
}

/// The value of a block holding `postings` (ascending, at least one; the
/// first is the key's, see the module documentation).
pub(crate) fn encode(postings: &[Vec<u8>]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(postings.len() * 12);
    put_varint(&mut out, postings.len() as u128);
    let Some(first) = postings.first() else {
        return Ok(out);
    };
    let mut previous = time_of(first)?;
    for posting in &postings[1..] {
        let time = time_of(posting)?;
        let delta = time
            .checked_sub(previous)
            .ok_or_else(|| Error::internal("postings of a block out of order"))?;
        previous = time;
        let id = &posting[TIME_LEN..];
        let packed = pack(id);
        put_varint(
            &mut out,
            (u128::from(delta) << 1) | u128::from(packed.is_some()),
        );
        match packed {
            Some(number) => out.extend_from_slice(&number.to_le_bytes()),
            None => {
                put_varint(&mut out, id.len() as u128);
                out.extend_from_slice(id);
            }
        }
    }
    Ok(out)
}

/// How many postings the block holds, read from its header alone.
pub(crate) fn count(value: &[u8]) -> Result<u64> {
    u64::try_from(varint(value, &mut 0)?).map_err(|_| malformed())
}

/// Every posting of the block whose first posting is `first` (the key's
/// remainder after the gram prefix), ascending.
pub(crate) fn decode(first: &[u8], value: &[u8]) -> Result<Vec<Vec<u8>>> {
    let mut at = 0;
    let count = usize::try_from(varint(value, &mut at)?).map_err(|_| malformed())?;
    // Every posting after the first takes at least two bytes.
    if count == 0 || count - 1 > value.len() / 2 {
        return Err(malformed());
    }
    let mut postings = Vec::with_capacity(count);
    let mut time = time_of(first)?;
    postings.push(first.to_vec());
    for _ in 1..count {
        let head = varint(value, &mut at)?;
        let delta = u64::try_from(head >> 1).map_err(|_| malformed())?;
        time = time.checked_add(delta).ok_or_else(malformed)?;
        let mut posting = Vec::with_capacity(TIME_LEN + PACKED_LEN);
        posting.extend_from_slice(&time.to_be_bytes());
        if head & 1 == 1 {
            let bytes = value.get(at..at + 8).ok_or_else(malformed)?;
            at += 8;
            let number = u64::from_le_bytes(bytes.try_into().map_err(|_| malformed())?);
            unpack(number, &mut posting);
        } else {
            let len = usize::try_from(varint(value, &mut at)?).map_err(|_| malformed())?;
            let id = value
                .get(at..at.saturating_add(len))
                .ok_or_else(malformed)?;
            at += len;
            posting.extend_from_slice(id);
        }
        postings.push(posting);
    }
    if at != value.len() {
        return Err(malformed());
    }
    Ok(postings)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::keys;

    fn posting(seconds: i64, micros: u32, id: &str) -> Result<Vec<u8>> {
        let at = Utc
            .timestamp_opt(seconds, micros * 1_000)
            .single()
            .ok_or_else(|| Error::internal("a test time out of range"))?;
        Ok(keys::timed(at, id))
    }

    #[test]
    fn blocks_round_trip_odd_ids_equal_times_and_times_before_1970() -> Result<()> {
        let postings = vec![
            posting(-5_000_000_000, 0, "zzzzzzzzzzzz")?,
            posting(-1, 999_999, "000000000000")?,
            posting(-1, 999_999, "0000000000001")?,
            posting(-1, 999_999, "A")?,
            posting(0, 0, "abc123def456")?,
            posting(0, 0, "abc123def457")?,
            posting(0, 0, "with_under-score")?,
            posting(1_700_000_000, 1, "ABCDEFGHIJKL")?,
            posting(1_700_000_000, 2, &"x".repeat(64))?,
            posting(i64::from(i32::MAX) * 100, 0, "q")?,
        ];
        let value = encode(&postings)?;
        assert_eq!(count(&value)?, postings.len() as u64);
        assert_eq!(decode(&postings[0], &value)?, postings);
        let one = encode(&postings[..1])?;
        assert_eq!(decode(&postings[0], &one)?, postings[..1]);
        Ok(())
    }

    #[test]
    fn a_generated_id_close_in_time_costs_ten_bytes() -> Result<()> {
        let postings = (0..100)
            .map(|i| posting(1_700_000_000 + i, 0, "k3j5n8q0w2e4"))
            .collect::<Result<Vec<_>>>()?;
        let value = encode(&postings)?;
        // One second is 1,000,000 µs: 21 bits, with the flag a 3-byte varint.
        assert_eq!(value.len(), 1 + 99 * (3 + 8));
        Ok(())
    }

    #[test]
    fn postings_out_of_order_or_damaged_values_are_errors() -> Result<()> {
        let backward = [posting(2, 0, "a")?, posting(1, 0, "a")?];
        assert!(encode(&backward).is_err());
        let postings = [posting(1, 0, "a")?, posting(2, 0, "bb")?];
        let value = encode(&postings)?;
        assert!(decode(&postings[0], &value[..value.len() - 1]).is_err());
        assert!(decode(&postings[0], &[value.as_slice(), &[0]].concat()).is_err());
        assert!(decode(&postings[0], &[]).is_err());
        assert!(decode(b"short", &value).is_err());
        Ok(())
    }
}
