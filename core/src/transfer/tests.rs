//! The format, the CSV columns and the line reader, without storage. The
//! imports themselves run against real backends in the `usergraph-tests`
//! crate (`tests/tests/transfer.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::Cursor;

use serde_json::json;

use super::csv::Columns;
use super::format::{Header, Record, RoleRecord, Stamp, UserRecord, parse_stamp};
use super::import::{Lines, is_role_line};
use super::{ImportReport, TransferError};
use crate::error::Error;
use crate::ids::{RoleId, UserId};
use crate::model::{Address, Identity, PasswordAlgorithm, PasswordDigest, Profile, Role, User};
use crate::service::{ImportOutcome, Patch};
use crate::time::Timestamp;

fn at(raw: &str) -> Timestamp {
    parse_stamp(raw).unwrap().0
}

fn ada() -> User {
    User {
        id: UserId::parse("u1ada").unwrap(),
        username: Some("ada".into()),
        primary_email: Some("Ada@Example.com".into()),
        primary_phone: Some("442079460958".into()),
        name: Some("Ada Lovelace".into()),
        avatar: None,
        profile: Profile {
            given_name: Some("Ada".into()),
            address: Some(Address {
                country: Some("GB".into()),
                ..Address::default()
            }),
            ..Profile::default()
        },
        custom_data: json!({ "plan": "pro", "seats": 3 })
            .as_object()
            .unwrap()
            .clone(),
        identities: BTreeMap::from([(
            "github".to_owned(),
            Identity {
                user_id: "12345".into(),
                details: json!({ "login": "ada" }).as_object().unwrap().clone(),
                linked_at: at("2024-05-01T12:00:01.5Z"),
            },
        )]),
        password: Some(PasswordDigest {
            algorithm: PasswordAlgorithm::Bcrypt,
            digest: "$2b$04$abcdefghijklmnopqrstuu0123456789012345678901234567890".into(),
        }),
        is_suspended: false,
        last_sign_in_at: None,
        created_at: at("2024-05-01T12:00:00Z"),
        updated_at: at("2024-05-02T08:30:00.123456Z"),
        version: 7,
    }
}

/// The exact bytes of a user line: field order, omitted empties, sorted
/// roles and keys, six-digit UTC timestamps. The README shows this line.
#[test]
fn a_user_line_is_written_exactly_so() {
    let record = Record::User(Box::new(UserRecord::from_user(
        ada(),
        vec!["member".into(), "editor".into()],
    )));
    let line = serde_json::to_string(&record).unwrap();
    assert_eq!(
        line,
        concat!(
            r#"{"type":"user","id":"u1ada","username":"ada","primaryEmail":"Ada@Example.com","#,
            r#""primaryPhone":"442079460958","name":"Ada Lovelace","#,
            r#""profile":{"givenName":"Ada","address":{"country":"GB"}},"#,
            r#""customData":{"plan":"pro","seats":3},"#,
            r#""identities":{"github":{"userId":"12345","details":{"login":"ada"},"linkedAt":"2024-05-01T12:00:01.500000Z"}},"#,
            r#""roles":["editor","member"],"#,
            r#""passwordDigest":"$2b$04$abcdefghijklmnopqrstuu0123456789012345678901234567890","passwordAlgorithm":"BCRYPT","#,
            r#""isSuspended":false,"createdAt":"2024-05-01T12:00:00.000000Z","updatedAt":"2024-05-02T08:30:00.123456Z"}"#
        )
    );
    assert_eq!(serde_json::from_str::<Record>(&line).unwrap(), record);
    assert_eq!(
        serde_json::to_string(&Header::current()).unwrap(),
        r#"{"format":"usergraph-export","version":1}"#
    );
}

#[test]
fn a_user_line_becomes_a_whole_user_import() {
    let record = UserRecord::from_user(ada(), vec!["member".into()]);
    let imported = record.into_imported();
    assert!(!imported.partial, "an export line describes the whole user");
    assert_eq!(imported.user.id.as_deref(), Some("u1ada"));
    assert_eq!(
        imported.user.password_algorithm,
        Some(PasswordAlgorithm::Bcrypt)
    );
    assert_eq!(imported.roles, Some(vec!["member".to_owned()]));
    assert_eq!(imported.is_suspended, Some(false));
    let identities = imported.identities.unwrap();
    assert_eq!(
        identities["github"].linked_at,
        Some(at("2024-05-01T12:00:01.5Z"))
    );
    let profile = imported.user.profile.unwrap();
    assert_eq!(profile.given_name, Patch::Value("Ada".into()));
    assert_eq!(profile.family_name, Patch::Absent);
    assert_eq!(imported.created_at, Some(ada().created_at));

    // Without roles or identities the line means none, not "unchanged".
    let bare: Record = serde_json::from_str(r#"{"type":"user","username":"bob"}"#).unwrap();
    let Record::User(bare) = bare else {
        panic!("a user line")
    };
    let bare = bare.into_imported();
    assert_eq!(bare.roles, Some(vec![]));
    assert_eq!(bare.identities, Some(BTreeMap::new()));
}

#[test]
fn role_lines_round_trip_and_are_told_apart_cheaply() {
    let role = Role {
        id: RoleId::parse("r1").unwrap(),
        name: "member".into(),
        description: None,
        permissions: vec!["users:read".into()],
        is_default: true,
        created_at: at("2024-01-01T00:00:00Z"),
        updated_at: at("2024-01-01T00:00:00Z"),
        version: 3,
    };
    let line = serde_json::to_string(&Record::Role(RoleRecord::from_role(role))).unwrap();
    assert_eq!(
        line,
        r#"{"type":"role","id":"r1","name":"member","permissions":["users:read"],"isDefault":true,"createdAt":"2024-01-01T00:00:00.000000Z","updatedAt":"2024-01-01T00:00:00.000000Z"}"#
    );
    assert!(is_role_line(line.as_bytes()));
    assert!(!is_role_line(br#"{"type":"user","username":"role"}"#));
    assert!(!is_role_line(b"not json"));
}

#[test]
fn unknown_fields_and_bad_values_are_named() {
    let err = serde_json::from_str::<Record>(r#"{"type":"user","usernme":"ada"}"#).unwrap_err();
    assert!(err.to_string().contains("usernme"), "{err}");
    let err = serde_json::from_str::<Record>(r#"{"type":"group","name":"x"}"#).unwrap_err();
    assert!(err.to_string().contains("group"), "{err}");
    let err =
        serde_json::from_str::<Record>(r#"{"type":"user","createdAt":"yesterday"}"#).unwrap_err();
    assert!(err.to_string().contains("yesterday"), "{err}");
}

#[test]
fn timestamps_read_any_offset_and_keep_microseconds() {
    let Stamp(parsed) = parse_stamp("2024-05-01T14:00:00.1234567+02:00").unwrap();
    assert_eq!(parsed, at("2024-05-01T12:00:00.123456Z"));
    assert!(parse_stamp("2024-05-01").is_err());
}

#[test]
fn lines_are_numbered_from_one_and_blank_ones_skipped() {
    let mut input = Cursor::new(b"first\n\n  \r\nsecond\r\nthird".to_vec());
    let mut lines = Lines::new(&mut input);
    let mut seen = Vec::new();
    while let Some((number, line)) = lines.next_line().unwrap() {
        seen.push((number, String::from_utf8(line.to_vec()).unwrap()));
    }
    assert_eq!(
        seen,
        vec![
            (1, "first".to_owned()),
            (4, "second".to_owned()),
            (5, "third".to_owned())
        ]
    );
}

fn header(names: &[&str]) -> Result<Columns, TransferError> {
    Columns::from_header(&csv::StringRecord::from(names.to_vec()))
}

#[test]
fn csv_headers_name_known_columns_in_any_spelling() {
    let columns = header(&[
        "\u{feff}Username",
        "primaryEmail",
        "phone",
        "Name",
        "password_digest",
        "Password Algorithm",
        "roles",
        "is_suspended",
        "customData",
    ])
    .unwrap();
    let row = csv::StringRecord::from(vec![
        "ada",
        "ada@example.com",
        "",
        " Ada Lovelace ",
        "$2b$04$digest",
        "bcrypt",
        "member; editor;",
        "yes",
        r#"{"plan":"pro"}"#,
    ]);
    let user = columns.user(&row).unwrap();
    assert!(user.partial, "a row leaves out what its columns do not say");
    assert_eq!(user.user.username.as_deref(), Some("ada"));
    assert_eq!(user.user.primary_phone, None, "an empty cell is not given");
    assert_eq!(user.user.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(
        user.user.password_algorithm,
        Some(PasswordAlgorithm::Bcrypt)
    );
    assert_eq!(
        user.roles,
        Some(vec!["member".to_owned(), "editor".to_owned()])
    );
    assert_eq!(user.is_suspended, Some(true));
    assert_eq!(user.user.custom_data, Some(json!({ "plan": "pro" })));
}

#[test]
fn csv_headers_with_unknown_or_repeated_columns_are_refused_whole() {
    let Err(TransferError::Invalid(message)) = header(&["username", "mail", "shoe size"]) else {
        panic!("unknown columns are refused")
    };
    assert!(message.contains("\"mail\""), "{message}");
    assert!(message.contains("\"shoe size\""), "{message}");
    assert!(message.contains("known columns"), "{message}");
    let Err(TransferError::Invalid(message)) = header(&["email", "Email"]) else {
        panic!("a repeated column is refused")
    };
    assert!(message.contains("twice"), "{message}");
    let Err(TransferError::Invalid(message)) = header(&["name", "avatar"]) else {
        panic!("a file without identifiers is refused")
    };
    assert!(message.contains("username, email or phone"), "{message}");
}

#[test]
fn csv_cells_that_are_not_what_their_column_holds_are_named() {
    let columns = header(&[
        "username",
        "is_suspended",
        "custom_data",
        "password_algorithm",
    ])
    .unwrap();
    let cases = [
        (["ada", "maybe", "", ""], "is_suspended"),
        (["ada", "", "{plan", ""], "custom_data"),
        (["ada", "", "", "md5"], "password_algorithm"),
    ];
    for (cells, named) in cases {
        let (column, message) = columns
            .user(&csv::StringRecord::from(cells.to_vec()))
            .unwrap_err();
        assert_eq!(column, named, "{message}");
    }
}

#[test]
fn a_report_counts_every_outcome_and_names_the_field_at_fault() {
    let mut report = ImportReport::default();
    report.record(2, Ok(ImportOutcome::Created));
    report.record(3, Ok(ImportOutcome::Skipped));
    report.record(4, Err(Error::UsernameAlreadyInUse));
    report.record(5, Err(crate::validate::primary_email("ada@").unwrap_err()));
    report.record(
        6,
        Err(Error::validation("customData", "must be a JSON object")),
    );
    assert_eq!(
        (report.created, report.skipped, report.failed, report.done()),
        (1, 1, 3, 5)
    );
    assert_eq!(
        report.errors[0].to_string(),
        "line 4: USERNAME_ALREADY_IN_USE: username: is already in use"
    );
    assert_eq!(
        report.errors[1].to_string(),
        "line 5: VALIDATION: primaryEmail: is not a valid email address"
    );
    assert_eq!(
        report.errors[2].to_string(),
        "line 6: VALIDATION: customData: must be a JSON object"
    );
}
