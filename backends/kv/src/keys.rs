//! Key encodings. Composite keys join parts with a 0 byte, which no id
//! contains (ids are `[A-Za-z0-9_-]`), so a prefix scan over `id, 0` sees
//! exactly that id's entries. Times are fixed-width, so byte order of
//! `time + id` is the order of (time, id).

use usergraph_core::Timestamp;
use usergraph_core::model::UniqueKeys;
use usergraph_core::time::to_micros;

pub(crate) const SEPARATOR: u8 = 0;
pub(crate) const TIME_LEN: usize = 8;

/// Microseconds since the epoch, big-endian with the sign bit flipped, so
/// that byte order is time order (before 1970 included).
pub(crate) fn time(at: Timestamp) -> [u8; TIME_LEN] {
    ((to_micros(at) as u64) ^ (1 << 63)).to_be_bytes()
}

/// `time + id`: the key of the created-at and log indexes.
pub(crate) fn timed(at: Timestamp, id: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(TIME_LEN + id.len());
    key.extend_from_slice(&time(at));
    key.extend_from_slice(id.as_bytes());
    key
}

/// The id part of a `time + id` key.
pub(crate) fn timed_id(key: &[u8]) -> Option<&str> {
    std::str::from_utf8(key.get(TIME_LEN..)?).ok()
}

/// `owner, 0`: the prefix of every pair key of `owner`.
pub(crate) fn owner_prefix(owner: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(owner.len() + 1);
    key.extend_from_slice(owner.as_bytes());
    key.push(SEPARATOR);
    key
}

/// `owner, 0, member`.
pub(crate) fn pair(owner: &str, member: &[u8]) -> Vec<u8> {
    let mut key = owner_prefix(owner);
    key.extend_from_slice(member);
    key
}

/// The member part of a pair key whose owner prefix is `prefix_len` long.
pub(crate) fn member(key: &[u8], prefix_len: usize) -> Option<&str> {
    std::str::from_utf8(key.get(prefix_len..)?).ok()
}

/// Which identifier a unique key is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyKind {
    Username,
    Email,
    Phone,
}

impl KeyKind {
    fn tag(self) -> u8 {
        match self {
            KeyKind::Username => b'u',
            KeyKind::Email => b'e',
            KeyKind::Phone => b'p',
        }
    }
}

pub(crate) fn unique(kind: KeyKind, value: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(value.len() + 1);
    key.push(kind.tag());
    key.extend_from_slice(value.as_bytes());
    key
}

/// The index keys of a user's unique identifiers.
pub(crate) fn unique_entries(keys: &UniqueKeys) -> Vec<(KeyKind, Vec<u8>)> {
    [
        (KeyKind::Username, &keys.username),
        (KeyKind::Email, &keys.email),
        (KeyKind::Phone, &keys.phone),
    ]
    .into_iter()
    .filter_map(|(kind, value)| value.as_deref().map(|v| (kind, unique(kind, v))))
    .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn time_keys_sort_like_times_including_before_the_epoch() {
        let times = [
            Utc.timestamp_opt(-5_000_000_000, 0).unwrap(),
            Utc.timestamp_opt(-1, 999_999_000).unwrap(),
            Utc.timestamp_opt(0, 0).unwrap(),
            Utc.timestamp_opt(0, 1_000).unwrap(),
            Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
        ];
        for pair in times.windows(2) {
            assert!(time(pair[0]) < time(pair[1]), "{pair:?}");
        }
    }

    #[test]
    fn timed_keys_order_by_time_then_id_and_give_the_id_back() {
        let t = Utc.timestamp_opt(10, 0).unwrap();
        let later = Utc.timestamp_opt(11, 0).unwrap();
        assert!(timed(t, "b") < timed(later, "a"));
        assert!(timed(t, "ab") < timed(t, "abc"));
        assert!(timed(t, "abc") < timed(t, "abd"));
        assert_eq!(timed_id(&timed(t, "user-1")), Some("user-1"));
    }

    #[test]
    fn pair_prefixes_do_not_capture_longer_owners() {
        let key = pair("ab", b"role");
        assert!(key.starts_with(&owner_prefix("ab")));
        assert!(!pair("abc", b"role").starts_with(&owner_prefix("ab")));
        assert_eq!(member(&key, owner_prefix("ab").len()), Some("role"));
    }

    #[test]
    fn unique_keys_of_different_kinds_never_collide() {
        let keys = UniqueKeys {
            username: Some("15551234".into()),
            email: None,
            phone: Some("15551234".into()),
        };
        let entries = unique_entries(&keys);
        assert_eq!(entries.len(), 2);
        assert_ne!(entries[0].1, entries[1].1);
    }
}
