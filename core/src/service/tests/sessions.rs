//! Signing in and out, changing one's own password, `me`.

use std::time::{Duration, Instant};

use chrono::TimeDelta;

use super::memory::Memory;
use super::tokens::{service_with, signed_in, user_holding};
use super::*;
use crate::model::{TokenKind, User};
use crate::time;

const PASSWORD: &str = "correct horse battery";

fn from(ip: &str) -> Caller {
    Caller::anonymous().with_client(Some(ip.into()), Some("browser/1".into()))
}

async fn ada(service: &Service) -> User {
    let input = CreateUser {
        username: Some("Ada".into()),
        primary_email: Some("ada@example.com".into()),
        primary_phone: Some("+44 20 7946 0958".into()),
        password: Some(PASSWORD.into()),
        ..CreateUser::default()
    };
    let user = service.create_user(&admin(), input).await.unwrap();
    let role = service
        .create_role(
            &admin(),
            CreateRole {
                name: "readers".into(),
                permissions: vec!["users:read".into()],
                ..CreateRole::default()
            },
        )
        .await
        .unwrap();
    service
        .assign_user_roles(&admin(), user.id.as_str(), &[role.id.to_string()])
        .await
        .unwrap();
    user
}

fn code<T: std::fmt::Debug>(result: Result<T>) -> &'static str {
    result.unwrap_err().code()
}

#[tokio::test]
async fn sign_in_by_username_email_or_phone_opens_a_session() {
    let (memory, service) = setup();
    let user = ada(&service).await;
    for identifier in ["ada", "ADA@example.com", "+44 (20) 7946-0958", " Ada "] {
        let before = time::now();
        let signed = service
            .sign_in(&from("192.0.2.1"), identifier, PASSWORD)
            .await
            .unwrap();
        assert_eq!(signed.user.id, user.id, "{identifier}");
        assert!(signed.secret.starts_with("ugs_"));
        assert_eq!(signed.token.kind, TokenKind::Session);
        assert_eq!(signed.token.scopes, None);
        assert_eq!(
            signed.token.expires_at,
            Some(signed.token.created_at + TimeDelta::hours(1))
        );
        assert!(signed.user.last_sign_in_at.unwrap() >= before);
        let state = memory.snapshot();
        assert_eq!(state.users[&user.id], signed.user);
        assert_eq!(
            state.tokens[&signed.token.id].digest,
            crate::secret::digest(&signed.secret)
        );
        let log = state.logs.last().unwrap();
        assert_eq!(log.key, log_keys::USER_SIGN_IN);
        assert_eq!(log.result, LogResult::Success);
        assert_eq!(log.user_id.as_ref(), Some(&user.id));
        assert_eq!(log.ip.as_deref(), Some("192.0.2.1"));
        assert!(!serde_json::to_string(log).unwrap().contains(PASSWORD));

        let caller = service
            .authenticate(&signed.secret, Some("192.0.2.1".into()), None)
            .await
            .unwrap();
        assert_eq!(caller.user_id.as_ref(), Some(&user.id));
        assert_eq!(
            caller.permissions,
            Permissions::Only([Permission::UsersRead].into())
        );
    }
}

#[tokio::test]
async fn failed_sign_ins_are_unauthenticated_and_logged_without_the_password() {
    let (memory, service) = setup();
    let user = ada(&service).await;
    let nopass = service
        .create_user(&admin(), named("nopass"))
        .await
        .unwrap();
    let cases = [
        (
            "ada",
            "wrong password!",
            Some(&user.id),
            "password mismatch",
        ),
        (
            "nopass",
            "anything at all",
            Some(&nopass.id),
            "no password set",
        ),
        ("ghost", PASSWORD, None, "unknown identifier"),
        ("not an identifier!", PASSWORD, None, "unknown identifier"),
    ];
    for (identifier, password, user_id, reason) in cases {
        assert_eq!(
            code(
                service
                    .sign_in(&from("192.0.2.1"), identifier, password)
                    .await
            ),
            "UNAUTHENTICATED",
            "{identifier}"
        );
        let log = memory.snapshot().logs.pop().unwrap();
        assert_eq!(log.key, log_keys::USER_SIGN_IN);
        assert_eq!(log.result, LogResult::Error);
        assert_eq!(log.user_id.as_ref(), user_id);
        assert_eq!(log.error.as_deref(), Some(reason));
        let written = serde_json::to_string(&log).unwrap();
        assert!(!written.contains(password), "{identifier}");
    }
    assert!(memory.snapshot().tokens.is_empty());
    assert_eq!(
        code(
            service
                .sign_in(&from("192.0.2.1"), &"a".repeat(257), PASSWORD)
                .await
        ),
        "VALIDATION"
    );
}

#[tokio::test]
async fn an_unknown_identifier_takes_as_long_as_a_wrong_password() {
    // Real Argon2 cost, so that the hash dominates everything else.
    let memory = Arc::new(Memory::default());
    let service = Service::new(memory, ServiceSettings::default()).unwrap();
    service
        .create_user(
            &admin(),
            CreateUser {
                username: Some("ada".into()),
                password: Some(PASSWORD.into()),
                ..CreateUser::default()
            },
        )
        .await
        .unwrap();
    let mut wrong = Vec::new();
    let mut unknown = Vec::new();
    for i in 0..3 {
        // A fresh address each time keeps the throttle out of the way.
        let caller = from(&format!("192.0.2.{i}"));
        let started = Instant::now();
        let _ = service.sign_in(&caller, "ada", "wrong password").await;
        wrong.push(started.elapsed());
        let started = Instant::now();
        let _ = service.sign_in(&caller, "nobody", "wrong password").await;
        unknown.push(started.elapsed());
    }
    wrong.sort();
    unknown.sort();
    // Without the dummy hash an unknown identifier answers in microseconds.
    assert!(
        unknown[1] * 3 >= wrong[1],
        "unknown {unknown:?} vs wrong {wrong:?}"
    );
}

/// The right password of a suspended user fails exactly like a wrong one:
/// same answer, and it counts against the throttle too (a reset counter
/// would tell). Only the log says why.
#[tokio::test]
async fn a_suspended_users_right_password_fails_like_a_wrong_one() {
    let (memory, service) = setup();
    let user = ada(&service).await;
    service
        .set_user_suspended(&admin(), user.id.as_str(), true)
        .await
        .unwrap();
    let limit = service.settings().throttle.max_failures_per_account;
    let mut answers = Vec::new();
    for attempt in 0..limit {
        let password = if attempt % 2 == 0 {
            "wrong password!"
        } else {
            PASSWORD
        };
        let err = service
            .sign_in(&from("192.0.2.1"), "ada", password)
            .await
            .unwrap_err();
        answers.push((err.code(), err.to_string(), err.field().map(str::to_owned)));
        let log = memory.snapshot().logs.pop().unwrap();
        let reason = if password == PASSWORD {
            "suspended"
        } else {
            "password mismatch"
        };
        assert_eq!(
            (log.key.as_str(), log.result, log.error.as_deref()),
            (log_keys::USER_SIGN_IN, LogResult::Error, Some(reason))
        );
    }
    let wrong = &answers[0];
    assert_eq!(wrong.0, "UNAUTHENTICATED");
    assert!(answers.iter().all(|answer| answer == wrong), "{answers:?}");
    assert_eq!(
        code(service.sign_in(&from("192.0.2.1"), "ada", PASSWORD).await),
        "RATE_LIMITED"
    );
    let state = memory.snapshot();
    assert!(state.tokens.is_empty());
    assert_eq!(state.users[&user.id].last_sign_in_at, None);
}

#[tokio::test]
async fn signing_in_purges_the_users_dead_sessions() {
    let (memory, service) = setup();
    let user = ada(&service).await;
    let (pat, _) = signed_in(&service, &user).await;
    let ended = service
        .sign_in(&from("192.0.2.1"), "ada", PASSWORD)
        .await
        .unwrap();
    let expired = service
        .sign_in(&from("192.0.2.1"), "ada", PASSWORD)
        .await
        .unwrap();
    let live = service
        .sign_in(&from("192.0.2.1"), "ada", PASSWORD)
        .await
        .unwrap();
    let caller = service
        .authenticate(&ended.secret, None, None)
        .await
        .unwrap();
    service.sign_out(&caller).await.unwrap();
    memory
        .state
        .lock()
        .unwrap()
        .tokens
        .get_mut(&expired.token.id)
        .unwrap()
        .expires_at = Some(time::now() - TimeDelta::seconds(1));
    service.revoke_token(&admin(), &pat.token.id).await.unwrap();

    let newest = service
        .sign_in(&from("192.0.2.1"), "ada", PASSWORD)
        .await
        .unwrap();
    let left: Vec<_> = memory.snapshot().tokens.into_keys().collect();
    let mut expected = vec![pat.token.id, live.token.id, newest.token.id];
    expected.sort();
    assert_eq!(left, expected, "revoked personal tokens stay listed");
}

// Paused time: the waits between attempts pass at once.
#[tokio::test(start_paused = true)]
async fn a_concurrent_write_to_the_user_is_retried() {
    let (memory, service) = setup();
    let user = ada(&service).await;
    memory
        .stale_updates
        .store(MAX_ATTEMPTS - 1, Ordering::SeqCst);
    let signed = service
        .sign_in(&from("192.0.2.1"), "ada", PASSWORD)
        .await
        .unwrap();
    let state = memory.snapshot();
    assert_eq!(
        state.tokens.len(),
        1,
        "only the committed attempt's session"
    );
    assert_eq!(state.users[&user.id].version, user.version + 1);
    service
        .authenticate(&signed.secret, None, None)
        .await
        .unwrap();
}

#[tokio::test]
async fn sign_out_ends_the_session_and_only_a_session() {
    let (memory, service) = setup();
    let user = ada(&service).await;
    let signed = service
        .sign_in(&from("192.0.2.1"), "ada", PASSWORD)
        .await
        .unwrap();
    let caller = service
        .authenticate(&signed.secret, Some("192.0.2.1".into()), None)
        .await
        .unwrap();
    service.sign_out(&caller).await.unwrap();
    let state = memory.snapshot();
    assert!(state.tokens[&signed.token.id].revoked_at.is_some());
    let log = state.logs.last().unwrap();
    assert_eq!(log.key, log_keys::USER_SIGN_OUT);
    assert_eq!(log.user_id.as_ref(), Some(&user.id));
    assert_eq!(log.token_id.as_deref(), Some(signed.token.id.as_str()));
    assert_eq!(
        code(service.authenticate(&signed.secret, None, None).await),
        "UNAUTHENTICATED"
    );
    // Twice is fine and writes nothing more.
    let commits = memory.snapshot().commits;
    service.sign_out(&caller).await.unwrap();
    assert_eq!(memory.snapshot().commits, commits);

    let (_, with_pat) = signed_in(&service, &user).await;
    let err = service.sign_out(&with_pat).await.unwrap_err();
    assert_eq!(err.code(), "VALIDATION");
    assert!(err.to_string().contains("revokePersonalAccessToken"));
    assert_eq!(
        code(service.sign_out(&Caller::anonymous()).await),
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn changing_ones_password_needs_the_current_one() {
    let (memory, service) = setup();
    let user = ada(&service).await;
    let signed = service
        .sign_in(&from("192.0.2.1"), "ada", PASSWORD)
        .await
        .unwrap();
    let me = service
        .authenticate(&signed.secret, None, None)
        .await
        .unwrap();
    let new = "a brand new passphrase";

    let err = service
        .change_password(&me, "not my password", new)
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("VALIDATION", Some("currentPassword"))
    );
    let log = memory.snapshot().logs.pop().unwrap();
    assert_eq!(
        (log.key.as_str(), log.result),
        (log_keys::USER_PASSWORD_CHANGED, LogResult::Error)
    );
    let err = service
        .change_password(&me, PASSWORD, "short")
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("VALIDATION", Some("newPassword"))
    );
    assert_eq!(
        code(
            service
                .change_password(&Caller::anonymous(), PASSWORD, new)
                .await
        ),
        "UNAUTHENTICATED"
    );

    let changed = service.change_password(&me, PASSWORD, new).await.unwrap();
    assert_eq!(changed.id, user.id);
    let log = memory.snapshot().logs.pop().unwrap();
    assert_eq!(
        (log.key.as_str(), log.result, log.actor_id.as_ref()),
        (
            log_keys::USER_PASSWORD_CHANGED,
            LogResult::Success,
            Some(&user.id)
        )
    );
    assert!(!serde_json::to_string(&log).unwrap().contains(new));
    assert_eq!(
        code(service.sign_in(&from("192.0.2.1"), "ada", PASSWORD).await),
        "UNAUTHENTICATED"
    );
    service
        .sign_in(&from("192.0.2.1"), "ada", new)
        .await
        .unwrap();
}

#[tokio::test]
async fn me_is_the_signed_in_user_until_it_is_deleted() {
    let (_, service) = setup();
    let user = user_holding(&service, "ada", &[]).await;
    let (_, caller) = signed_in(&service, &user).await;
    assert_eq!(service.me(&caller).await.unwrap(), user);
    service
        .delete_user(&admin(), user.id.as_str())
        .await
        .unwrap();
    assert_eq!(code(service.me(&caller).await), "NOT_FOUND");
}

#[tokio::test]
async fn the_session_lifetime_is_configurable_and_bounded() {
    let memory = Arc::new(Memory::default());
    let settings = ServiceSettings {
        session_lifetime: Duration::from_secs(600),
        ..ServiceSettings::default()
    };
    let service = service_with(memory.clone(), settings.clone());
    ada(&service).await;
    let signed = service
        .sign_in(&from("192.0.2.1"), "ada", PASSWORD)
        .await
        .unwrap();
    assert_eq!(
        signed.token.expires_at,
        Some(signed.token.created_at + TimeDelta::minutes(10))
    );
    let too_short = ServiceSettings {
        session_lifetime: Duration::from_secs(1),
        ..settings
    };
    let err = Service::new(memory, too_short).unwrap_err();
    assert_eq!(err.field(), Some("sessionLifetime"));
}
