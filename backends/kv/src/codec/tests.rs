use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use serde_json::{Map, json};
use usergraph_core::model::{Address, Identity, PasswordAlgorithm, PasswordDigest, Profile};
use usergraph_core::{LogEntry, LogId, LogResult, RoleId, User, UserId};

use super::*;

fn at(seconds: i64, micros: u32) -> Timestamp {
    Utc.timestamp_opt(seconds, micros * 1_000).unwrap()
}

fn lean_user() -> User {
    User {
        id: UserId::parse("k3j9x0a1b2c3").unwrap(),
        username: Some("ada_lovelace".into()),
        primary_email: Some("ada@example.com".into()),
        primary_phone: Some("15551234567".into()),
        name: Some("Ada Lovelace".into()),
        avatar: None,
        profile: Profile::default(),
        custom_data: Map::new(),
        identities: BTreeMap::new(),
        password: None,
        is_suspended: false,
        last_sign_in_at: None,
        created_at: at(1_700_000_000, 123_456),
        updated_at: at(1_700_000_001, 0),
        version: 1,
    }
}

fn rich_user() -> User {
    let mut user = lean_user();
    user.avatar = Some("https://example.com/a.png".into());
    user.profile = Profile {
        given_name: Some("Ada".into()),
        locale: Some("en-GB".into()),
        address: Some(Address {
            country: Some("GB".into()),
            ..Address::default()
        }),
        ..Profile::default()
    };
    let custom = json!({
        "plan": "pro", "seats": 5, "debt": -3, "ratio": 1.0, "big": u64::MAX,
        "nested": { "list": [1, "two", null, true, { "deep": [] }] }, "empty": {}
    });
    user.custom_data = custom.as_object().unwrap().clone();
    user.identities.insert(
        "github".into(),
        Identity {
            user_id: "4242".into(),
            details: json!({ "login": "ada" }).as_object().unwrap().clone(),
            linked_at: at(1_650_000_000, 7),
        },
    );
    user.password = Some(PasswordDigest {
        algorithm: PasswordAlgorithm::Bcrypt,
        digest: "$2b$04$abcdefghijklmnopqrstuuJ3K7P5U4bYqRaKx9F0D6m3bVvC8Lq".into(),
    });
    user.is_suspended = true;
    // Before the epoch: times are signed.
    user.last_sign_in_at = Some(at(-86_400, 999_999));
    user.version = u64::MAX;
    user
}

fn entry(result: LogResult) -> LogEntry {
    LogEntry {
        id: LogId::parse("log0000000001").unwrap(),
        key: "User.Created".into(),
        result,
        user_id: Some(UserId::parse("k3j9x0a1b2c3").unwrap()),
        role_id: Some(RoleId::parse("role00000001").unwrap()),
        actor_id: None,
        token_id: Some("tok000000001".into()),
        ip: Some("192.0.2.7".into()),
        user_agent: None,
        payload: json!({ "fields": ["username", "primaryEmail"], "count": 2 }),
        error: (result == LogResult::Error).then(|| "EMAIL_ALREADY_IN_USE".to_owned()),
        created_at: at(1_700_000_002, 5),
    }
}

fn json_form<T: Serialize>(record: &T) -> Vec<u8> {
    let mut bytes = vec![FORMAT_JSON_V1];
    serde_json::to_writer(&mut bytes, record).unwrap();
    bytes
}

#[test]
fn users_and_log_entries_are_written_compact_and_read_back_equal() {
    for user in [lean_user(), rich_user()] {
        let bytes = encode(&user).unwrap();
        assert_eq!(bytes[0], FORMAT_COMPACT_V2);
        assert_eq!(decode::<User>(&bytes).unwrap(), user);
    }
    for result in [LogResult::Success, LogResult::Error] {
        let bytes = encode(&entry(result)).unwrap();
        assert_eq!(bytes[0], FORMAT_COMPACT_V2);
        assert_eq!(decode::<LogEntry>(&bytes).unwrap(), entry(result));
    }
}

#[test]
fn compact_records_are_much_smaller_than_json() {
    let user = lean_user();
    let (compact, json) = (encode(&user).unwrap(), json_form(&user));
    // README: "under a third of its JSON form".
    assert!(
        compact.len() * 3 < json.len(),
        "{} vs {}",
        compact.len(),
        json.len()
    );
    let log = entry(LogResult::Success);
    let (compact, json) = (encode(&log).unwrap(), json_form(&log));
    // README: "a log entry under half".
    assert!(
        compact.len() * 2 < json.len(),
        "{} vs {}",
        compact.len(),
        json.len()
    );
}

#[test]
fn records_written_as_json_by_earlier_versions_still_read() {
    let user = rich_user();
    assert_eq!(decode::<User>(&json_form(&user)).unwrap(), user);
    let log = entry(LogResult::Error);
    assert_eq!(decode::<LogEntry>(&json_form(&log)).unwrap(), log);
}

#[test]
fn a_time_finer_than_a_microsecond_keeps_the_record_in_json() {
    let mut user = lean_user();
    user.updated_at = Utc.timestamp_opt(1_700_000_000, 1).unwrap();
    let bytes = encode(&user).unwrap();
    assert_eq!(bytes[0], FORMAT_JSON_V1);
    assert_eq!(decode::<User>(&bytes).unwrap(), user);
    let mut log = entry(LogResult::Success);
    log.created_at = Utc.timestamp_opt(0, 1).unwrap();
    assert_eq!(encode(&log).unwrap()[0], FORMAT_JSON_V1);
}

#[test]
fn the_compact_layout_is_pinned() {
    // The bytes of a known user: if this changes, stores written before the
    // change would be misread. Add a format instead of editing this.
    let bytes = encode(&lean_user()).unwrap();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex,
        "029fac6b336a397830613162326333ac6164615f6c6f76656c616365af61646140\
         6578616d706c652e636f6dab3135353531323334353637ac416461204c6f76656c\
         616365c0c08080c0c2c0cf00060a2418202240cf00060a24182d824001"
    );
}

#[test]
fn roles_and_tokens_stay_json_and_unknown_formats_are_refused() {
    let role = Role {
        id: RoleId::parse("role00000001").unwrap(),
        name: "editor".into(),
        description: None,
        permissions: vec!["users:read".into()],
        is_default: false,
        created_at: at(1, 0),
        updated_at: at(1, 0),
        version: 1,
    };
    let bytes = encode(&role).unwrap();
    assert_eq!(bytes[0], FORMAT_JSON_V1);
    assert_eq!(decode::<Role>(&bytes).unwrap(), role);
    let mut future = bytes.clone();
    future[0] = 3;
    assert_eq!(decode::<Role>(&future).unwrap_err().code(), "INTERNAL");
    let mut compact_role = bytes;
    compact_role[0] = FORMAT_COMPACT_V2;
    assert_eq!(
        decode::<Role>(&compact_role).unwrap_err().code(),
        "INTERNAL"
    );
    assert_eq!(decode::<Role>(&[]).unwrap_err().code(), "INTERNAL");
    assert_eq!(
        decode::<User>(&[FORMAT_COMPACT_V2, 0x93])
            .unwrap_err()
            .code(),
        "INTERNAL"
    );
}
