//! Every input rule of the agreed semantics, as tables of bad inputs: each
//! is `VALIDATION` naming the field at fault, and writes nothing.

use serde_json::json;
use usergraph_core::service::{AddressInput, CreateUser, Patch, ProfileInput, UpdateUser};

use crate::Fixture;
use crate::support::{all_logs, all_users, create_named, expect_err, sys};

/// (field, bad value) pairs that apply to the identifier and text fields on
/// both create and update.
fn bad_fields() -> Vec<(&'static str, String)> {
    vec![
        ("username", String::new()),
        ("username", "1starts_with_digit".into()),
        ("username", "has space".into()),
        ("username", "dash-ed".into()),
        ("username", "caf\u{e9}".into()),
        ("username", "zero\u{200B}width".into()),
        ("username", "a".repeat(129)),
        ("primaryEmail", String::new()),
        ("primaryEmail", "not-an-email".into()),
        ("primaryEmail", "user@localhost".into()),
        ("primaryEmail", "two@@example.com".into()),
        ("primaryEmail", email_of_len(129)),
        ("primaryEmail", "bell\u{7}@example.com".into()),
        ("primaryPhone", String::new()),
        ("primaryPhone", "1234".into()),
        ("primaryPhone", "1234567890123456".into()),
        ("primaryPhone", "555-CALL-NOW".into()),
        ("primaryPhone", "++15550100".into()),
        ("primaryPhone", "1555\u{200B}0100".into()),
        ("name", String::new()),
        ("name", "n".repeat(129)),
        ("name", "null\u{0}byte".into()),
        ("name", "tab\tinside".into()),
        ("name", "bom\u{FEFF}".into()),
        ("name", "soft\u{AD}hyphen".into()),
        ("name", "joiner\u{2060}".into()),
        ("name", "rtl\u{200F}mark".into()),
        ("avatar", String::new()),
        ("avatar", "ftp://example.com/a.png".into()),
        ("avatar", "/relative/a.png".into()),
        ("avatar", "javascript:alert(1)".into()),
        (
            "avatar",
            format!("https://example.com/{}", "a".repeat(2030)),
        ),
    ]
}

/// A syntactically valid address of exactly `len` characters (local parts
/// stop at 64 and domain labels at 63, so the length goes in the domain).
fn email_of_len(len: usize) -> String {
    format!("user@{}.{}.com", "a".repeat(60), "b".repeat(len - 70))
}

fn create_with(field: &str, value: String) -> CreateUser {
    let mut input = CreateUser::default();
    let slot = match field {
        "username" => &mut input.username,
        "primaryEmail" => &mut input.primary_email,
        "primaryPhone" => &mut input.primary_phone,
        "name" => &mut input.name,
        "avatar" => &mut input.avatar,
        other => panic!("no such field {other}"),
    };
    *slot = Some(value);
    input
}

fn update_with(field: &str, value: String) -> UpdateUser {
    let mut input = UpdateUser::default();
    let slot = match field {
        "username" => &mut input.username,
        "primaryEmail" => &mut input.primary_email,
        "primaryPhone" => &mut input.primary_phone,
        "name" => &mut input.name,
        "avatar" => &mut input.avatar,
        other => panic!("no such field {other}"),
    };
    *slot = Patch::Value(value);
    input
}

pub async fn create_rejects_bad_input_with_field(fx: Fixture) {
    let svc = fx.service();
    for (field, value) in bad_fields() {
        let result = svc
            .create_user(&sys(), create_with(field, value.clone()))
            .await;
        let err = match result {
            Ok(user) => panic!("create with {field} = {value:?} succeeded: {user:?}"),
            Err(err) => err,
        };
        assert_eq!(err.code(), "VALIDATION", "{field} = {value:?}: {err:?}");
        assert_eq!(err.field(), Some(field), "{field} = {value:?}: {err:?}");
    }

    let long_claim = "c".repeat(257);
    let cases: Vec<(&str, CreateUser)> = vec![
        (
            "profile.givenName",
            CreateUser {
                profile: Some(ProfileInput {
                    given_name: Patch::Value(long_claim.clone()),
                    ..ProfileInput::default()
                }),
                ..CreateUser::default()
            },
        ),
        (
            "profile.givenName",
            CreateUser {
                profile: Some(ProfileInput {
                    given_name: Patch::Value(String::new()),
                    ..ProfileInput::default()
                }),
                ..CreateUser::default()
            },
        ),
        (
            "profile.locale",
            CreateUser {
                profile: Some(ProfileInput {
                    locale: Patch::Value("en\u{0}".into()),
                    ..ProfileInput::default()
                }),
                ..CreateUser::default()
            },
        ),
        (
            "customData",
            CreateUser {
                custom_data: Some(json!([1, 2, 3])),
                ..CreateUser::default()
            },
        ),
        (
            "customData",
            CreateUser {
                custom_data: Some(json!("text")),
                ..CreateUser::default()
            },
        ),
        (
            "password",
            CreateUser {
                password: Some("7 chars".into()),
                ..CreateUser::default()
            },
        ),
        (
            "password",
            CreateUser {
                password: Some("p".repeat(257)),
                ..CreateUser::default()
            },
        ),
    ];
    for (field, input) in cases {
        let err = expect_err(
            svc.create_user(&sys(), input.clone()).await,
            "VALIDATION",
            None,
        );
        assert_eq!(err.field(), Some(field), "{input:?}: {err:?}");
    }

    // Address sub-fields are named under the address; the exact spelling
    // below the prefix is the service's.
    let err = expect_err(
        svc.create_user(
            &sys(),
            CreateUser {
                profile: Some(ProfileInput {
                    address: Patch::Value(AddressInput {
                        locality: Patch::Value(long_claim),
                        ..AddressInput::default()
                    }),
                    ..ProfileInput::default()
                }),
                ..CreateUser::default()
            },
        )
        .await,
        "VALIDATION",
        None,
    );
    assert!(
        err.field()
            .is_some_and(|f| f.starts_with("profile.address")),
        "address error names the address: {err:?}"
    );

    assert!(
        all_users(fx.storage().as_ref()).await.is_empty(),
        "nothing was created"
    );
    assert!(
        all_logs(fx.storage().as_ref()).await.is_empty(),
        "nothing was logged"
    );
}

pub async fn update_rejects_bad_input_with_field(fx: Fixture) {
    let svc = fx.service();
    let user = create_named(&svc, "target").await;
    for (field, value) in bad_fields() {
        let result = svc
            .update_user(&sys(), user.id.as_str(), update_with(field, value.clone()))
            .await;
        let err = match result {
            Ok(user) => panic!("update with {field} = {value:?} succeeded: {user:?}"),
            Err(err) => err,
        };
        assert_eq!(err.code(), "VALIDATION", "{field} = {value:?}: {err:?}");
        assert_eq!(err.field(), Some(field), "{field} = {value:?}: {err:?}");
    }
    expect_err(
        svc.update_user_profile(
            &sys(),
            user.id.as_str(),
            ProfileInput {
                website: Patch::Value("w".repeat(257)),
                ..ProfileInput::default()
            },
        )
        .await,
        "VALIDATION",
        Some("profile.website"),
    );
    assert_eq!(
        fx.storage().user(&user.id).await.unwrap().as_ref(),
        Some(&user),
        "rejected updates change nothing"
    );
    assert_eq!(
        all_logs(fx.storage().as_ref()).await.len(),
        1,
        "only User.Created"
    );
}

pub async fn length_limits_count_characters(fx: Fixture) {
    let svc = fx.service();
    // At the limits, with multi-byte characters: limits are in characters.
    let user = svc
        .create_user(
            &sys(),
            CreateUser {
                username: Some(format!("u{}", "_".repeat(127))),
                primary_email: Some(email_of_len(128)),
                primary_phone: Some("123456789012345".into()),
                name: Some("\u{e9}".repeat(128)),
                avatar: Some(format!("https://example.com/{}", "a".repeat(2048 - 20))),
                profile: Some(ProfileInput {
                    given_name: Patch::Value("\u{e9}".repeat(256)),
                    ..ProfileInput::default()
                }),
                ..CreateUser::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(user.username.as_deref().map(str::len), Some(128));
    assert_eq!(user.primary_email.as_deref().map(str::len), Some(128));
    assert_eq!(user.name.as_deref().map(|n| n.chars().count()), Some(128));
    assert_eq!(user.avatar.as_deref().map(str::len), Some(2048));
    let short_phone = svc
        .create_user(
            &sys(),
            CreateUser {
                primary_phone: Some("12345".into()),
                ..CreateUser::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(short_phone.primary_phone.as_deref(), Some("12345"));
}
