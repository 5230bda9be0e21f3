#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Which passwords the policy accepts, and what it tells the user otherwise.

use serde_json::json;
use usergraph_core::User;
use usergraph_core::plugin::{HookContext, Plugin, Proposal};
use usergraph_plugins::{PasswordPolicy, PasswordPolicySettings};

fn user(username: Option<&str>, email: Option<&str>, name: Option<&str>) -> User {
    serde_json::from_value(json!({
        "id": "u1",
        "username": username,
        "primaryEmail": email,
        "primaryPhone": null,
        "name": name,
        "avatar": null,
        "profile": {},
        "customData": {},
        "identities": {},
        "password": null,
        "isSuspended": false,
        "lastSignInAt": null,
        "createdAt": "2026-01-01T00:00:00Z",
        "updatedAt": "2026-01-01T00:00:00Z",
        "version": 1
    }))
    .unwrap()
}

/// `None` when accepted, else the start of the message.
fn verdict(policy: &PasswordPolicy, user: &User, password: &str) -> Option<String> {
    policy.check(user, password).err().map(|rejection| {
        assert_eq!(rejection.field.as_deref(), Some("password"));
        rejection.message
    })
}

#[test]
fn default_policy_table() {
    let policy = PasswordPolicy::new(&PasswordPolicySettings::default()).unwrap();
    let ada = user(
        Some("AdaL"),
        Some("ada.lovelace@example.com"),
        Some("Ada Lovelace"),
    );
    let cases: &[(&str, Option<&str>)] = &[
        ("correct horse battery staple", None),
        ("Tr0ub4dor&3-quasar-lichen", None),
        ("x7#Kq9!vLm2$Pz", None),
        ("short1!", Some("Use a password of at least 10 characters.")),
        ("password123", Some("This password is too easy to guess.")),
        ("qwertyuiop", Some("This password is too easy to guess.")),
        ("1234567890", Some("This password is too easy to guess.")),
        (
            "my-adal-Xq9!vLm2$Pz",
            Some("Choose a password that does not contain your username."),
        ),
        (
            "ADAL-and-zebra-quartz",
            Some("Choose a password that does not contain your username."),
        ),
        (
            "zz-Ada.Lovelace-Xq9!v",
            Some("Choose a password that does not contain your email address."),
        ),
    ];
    for (password, expected) in cases {
        let got = verdict(&policy, &ada, password);
        match expected {
            None => assert_eq!(got, None, "{password:?} should pass"),
            Some(start) => {
                let got = got.unwrap_or_else(|| panic!("{password:?} should be refused"));
                assert!(got.starts_with(start), "{password:?}: {got}");
            }
        }
    }
}

#[test]
fn what_the_user_entered_counts_as_guessable() {
    let policy = PasswordPolicy::new(&PasswordPolicySettings::default()).unwrap();
    let stranger = user(
        Some("grace"),
        Some("grace@example.com"),
        Some("Grace Hopper"),
    );
    let ada = user(
        Some("AdaL"),
        Some("ada.lovelace@example.com"),
        Some("Ada Lovelace"),
    );
    assert_eq!(verdict(&policy, &stranger, "Lovelace1815!"), None);
    let refused = verdict(&policy, &ada, "Lovelace1815!").unwrap();
    assert!(
        refused.starts_with("This password is too easy to guess."),
        "{refused}"
    );
}

#[test]
fn weak_passwords_come_with_advice() {
    let policy = PasswordPolicy::new(&PasswordPolicySettings::default()).unwrap();
    let message = verdict(&policy, &user(None, None, None), "password123").unwrap();
    assert!(
        message.len() > "This password is too easy to guess.".len(),
        "{message}"
    );
}

#[test]
fn short_usernames_and_local_parts_are_not_checked() {
    let policy = PasswordPolicy::new(&PasswordPolicySettings::default()).unwrap();
    let al = user(Some("al"), Some("jo@example.com"), None);
    assert_eq!(verdict(&policy, &al, "always-jolly-Xq9!vLm2"), None);
}

#[test]
fn maximum_length_and_lenient_settings() {
    let policy = PasswordPolicy::new(&PasswordPolicySettings {
        min_length: 4,
        max_length: 12,
        min_strength: 0,
        reject_personal_info: false,
    })
    .unwrap();
    let ada = user(Some("ada"), None, None);
    assert_eq!(verdict(&policy, &ada, "ada1"), None);
    assert_eq!(verdict(&policy, &ada, "aaaa"), None);
    assert_eq!(
        verdict(&policy, &ada, "thirteen-char").as_deref(),
        Some("Use a password of at most 12 characters.")
    );
    // Characters, not bytes.
    assert_eq!(verdict(&policy, &ada, "ééééééééééé"), None);
}

#[test]
fn bad_settings_are_refused() {
    let base = PasswordPolicySettings::default();
    let cases = [
        (
            PasswordPolicySettings {
                min_length: 0,
                ..base.clone()
            },
            "plugins.password_policy.min_length",
        ),
        (
            PasswordPolicySettings {
                min_length: 20,
                max_length: 10,
                ..base.clone()
            },
            "plugins.password_policy.max_length",
        ),
        (
            PasswordPolicySettings {
                min_strength: 5,
                ..base.clone()
            },
            "plugins.password_policy.min_strength",
        ),
    ];
    for (settings, field) in cases {
        let error = PasswordPolicy::new(&settings).unwrap_err();
        assert_eq!(error.code(), "VALIDATION");
        assert_eq!(error.field(), Some(field));
    }
}

#[tokio::test]
async fn the_hook_checks_only_new_passwords() {
    let policy = PasswordPolicy::new(&PasswordPolicySettings::default()).unwrap();
    let ada = user(Some("ada"), None, None);
    let context = HookContext::default();
    let rejection = policy
        .before(
            &context,
            &Proposal::SetPassword {
                user: &ada,
                password: "ada",
            },
        )
        .await
        .unwrap_err();
    assert_eq!(rejection.field.as_deref(), Some("password"));
    policy
        .before(&context, &Proposal::CreateUser { user: &ada })
        .await
        .unwrap();
}
