//! Throttling of credential checks as a client meets it: sign-in, password
//! verification, password change and token authentication.

use std::time::Duration;

use super::memory::Memory;
use super::tokens::{service_with, signed_in, user_holding};
use super::*;
use crate::error::Error;
use crate::model::TokenKind;
use crate::secret;
use crate::throttle::ThrottleSettings;

const PASSWORD: &str = "correct horse battery";

fn from(ip: &str) -> Caller {
    Caller::anonymous().with_client(Some(ip.into()), None)
}

fn throttled(settings: ThrottleSettings) -> (Arc<Memory>, Service) {
    let memory = Arc::new(Memory::default());
    let service = service_with(
        memory.clone(),
        ServiceSettings {
            throttle: settings,
            ..ServiceSettings::default()
        },
    );
    (memory, service)
}

async fn with_password(service: &Service, username: &str) -> crate::User {
    let input = CreateUser {
        username: Some(username.into()),
        password: Some(PASSWORD.into()),
        ..CreateUser::default()
    };
    service.create_user(&admin(), input).await.unwrap()
}

fn retry_after<T: std::fmt::Debug>(result: Result<T>) -> Duration {
    match result {
        Err(Error::RateLimited {
            retry_after: Some(wait),
        }) => wait,
        other => panic!("expected RATE_LIMITED, got {other:?}"),
    }
}

#[tokio::test]
async fn the_sixth_sign_in_after_five_failures_is_refused_even_with_the_password() {
    let (memory, service) = setup();
    with_password(&service, "ada").await;
    for _ in 0..5 {
        let err = service
            .sign_in(&from("192.0.2.1"), "ada", "wrong guess")
            .await
            .unwrap_err();
        assert_eq!(err.code(), "UNAUTHENTICATED");
    }
    let logs = memory.snapshot().logs.len();
    let wait = retry_after(service.sign_in(&from("192.0.2.1"), "ada", PASSWORD).await);
    assert!(wait > Duration::from_secs(14 * 60) && wait <= Duration::from_secs(15 * 60));
    // The account is throttled whatever the address or identifier form.
    retry_after(
        service
            .sign_in(&from("198.51.100.9"), "ADA", PASSWORD)
            .await,
    );
    // Refusals are not logged: they cost an attacker nothing, so they must
    // not cost the log anything either.
    assert_eq!(memory.snapshot().logs.len(), logs);
    // Another account from the first address is fine.
    with_password(&service, "bob").await;
    service
        .sign_in(&from("192.0.2.1"), "bob", PASSWORD)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_success_resets_the_accounts_count() {
    let (_, service) = setup();
    with_password(&service, "ada").await;
    for _ in 0..4 {
        let _ = service
            .sign_in(&from("192.0.2.1"), "ada", "wrong guess")
            .await;
    }
    service
        .sign_in(&from("192.0.2.1"), "ada", PASSWORD)
        .await
        .unwrap();
    for _ in 0..4 {
        let err = service
            .sign_in(&from("192.0.2.1"), "ada", "wrong guess")
            .await
            .unwrap_err();
        assert_eq!(err.code(), "UNAUTHENTICATED");
    }
    service
        .sign_in(&from("192.0.2.1"), "ada", PASSWORD)
        .await
        .unwrap();
}

#[tokio::test]
async fn each_address_has_its_own_budget_across_accounts() {
    let (_, service) = throttled(ThrottleSettings {
        max_failures_per_account: 100,
        max_failures_per_address: 3,
        window: Duration::from_secs(60),
    });
    with_password(&service, "ada").await;
    for name in ["x1", "x2", "x3"] {
        let _ = service.sign_in(&from("192.0.2.1"), name, PASSWORD).await;
    }
    retry_after(service.sign_in(&from("192.0.2.1"), "ada", PASSWORD).await);
    service
        .sign_in(&from("192.0.2.2"), "ada", PASSWORD)
        .await
        .unwrap();
    // Callers whose address is unknown share one bucket, apart from these.
    service
        .sign_in(&Caller::anonymous(), "ada", PASSWORD)
        .await
        .unwrap();
}

#[tokio::test]
async fn unknown_identifiers_are_throttled_like_accounts() {
    let (_, service) = setup();
    for i in 0..5 {
        let caller = from(&format!("192.0.2.{i}"));
        let err = service
            .sign_in(&caller, "ghost", PASSWORD)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "UNAUTHENTICATED");
    }
    retry_after(
        service
            .sign_in(&from("192.0.2.99"), "Ghost", PASSWORD)
            .await,
    );
    // Phone numbers count by their digits, however they are written.
    let phones = [
        "+1 555 0100",
        "1-555-0100",
        "(1) 555.0100",
        "15550100",
        "+15550100",
    ];
    for (i, phone) in phones.into_iter().enumerate() {
        let caller = from(&format!("198.51.100.{i}"));
        let _ = service.sign_in(&caller, phone, PASSWORD).await;
    }
    let caller = from("198.51.100.99");
    retry_after(service.sign_in(&caller, "1 555 0100", PASSWORD).await);
}

#[tokio::test]
async fn verify_user_password_is_throttled_per_user_and_shares_the_sign_in_budget() {
    let (_, service) = setup();
    let ada = with_password(&service, "ada").await;
    let verifier =
        caller_with(&[Permission::UsersPassword]).with_client(Some("10.0.0.1".into()), None);
    for _ in 0..3 {
        let ok = service
            .verify_user_password(&verifier, ada.id.as_str(), "wrong guess".into())
            .await
            .unwrap();
        assert!(!ok);
    }
    for _ in 0..2 {
        let _ = service
            .sign_in(&from("192.0.2.1"), "ada", "wrong guess")
            .await;
    }
    retry_after(
        service
            .verify_user_password(&verifier, ada.id.as_str(), PASSWORD.into())
            .await,
    );
    retry_after(service.sign_in(&from("192.0.2.1"), "ada", PASSWORD).await);
}

#[tokio::test]
async fn changing_ones_password_is_throttled() {
    let (_, service) = setup();
    let ada = with_password(&service, "ada").await;
    let (_, me) = signed_in(&service, &ada).await;
    for _ in 0..5 {
        let err = service
            .change_password(&me, "wrong guess", "new enough password")
            .await
            .unwrap_err();
        assert_eq!(err.field(), Some("currentPassword"));
    }
    retry_after(
        service
            .change_password(&me, PASSWORD, "new enough password")
            .await,
    );
}

#[tokio::test]
async fn bad_tokens_are_throttled_per_address() {
    let (memory, service) = throttled(ThrottleSettings {
        max_failures_per_address: 3,
        ..ThrottleSettings::default()
    });
    let user = user_holding(&service, "ada", &[]).await;
    let (good, _) = signed_in(&service, &user).await;
    let ip = || Some("203.0.113.5".to_owned());
    for bad in [
        "garbage".to_owned(),
        secret::generate(TokenKind::Personal),
        secret::generate(TokenKind::Session),
    ] {
        let err = service.authenticate(&bad, ip(), None).await.unwrap_err();
        assert_eq!(err.code(), "UNAUTHENTICATED");
    }
    let logs = memory.snapshot().logs.len();
    // Over the limit even a good token is refused from that address...
    retry_after(service.authenticate(&good.secret, ip(), None).await);
    retry_after(service.authenticate("garbage", ip(), None).await);
    assert_eq!(memory.snapshot().logs.len(), logs, "nothing logged");
    // ...and accepted from another.
    service
        .authenticate(&good.secret, Some("203.0.113.6".into()), None)
        .await
        .unwrap();
}

/// Two instances sharing one store (as on PostgreSQL), the second
/// remembering that an address was under its limit: failures counted by
/// the first are seen by the second's token check only once what it
/// remembered expires; its own failures at once.
#[tokio::test]
async fn a_remembered_clear_address_sees_other_instances_failures_late_and_its_own_at_once() {
    use crate::throttle::{MemoryAttempts, Throttle};

    let settings = ThrottleSettings {
        max_failures_per_address: 2,
        ..ThrottleSettings::default()
    };
    let shared = Arc::new(MemoryAttempts::new());
    let first = Throttle::with_store(settings, shared.clone());
    let remembering =
        |ttl| Throttle::with_store(settings, shared.clone()).remembering_clear_addresses(ttl);
    let second = remembering(Duration::from_secs(3600));
    let ip = Some("203.0.113.5");

    second.check_address(ip).await.unwrap();
    for _ in 0..2 {
        first.record_failure(None, ip).await.unwrap();
    }
    // Over the limit in the shared store, but remembered as clear here.
    retry_after(first.check_address(ip).await);
    second.check_address(ip).await.unwrap();
    // Once what it remembered expires (or when it remembers nothing), a
    // throttle reads the store again.
    let other = Some("203.0.113.6");
    let brief = remembering(Duration::from_millis(1));
    brief.check_address(other).await.unwrap();
    for _ in 0..2 {
        first.record_failure(None, other).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(5)).await;
    retry_after(brief.check_address(other).await);
    retry_after(remembering(Duration::ZERO).check_address(ip).await);
    // A failure counted here forgets the address: the next check reads it.
    second.record_failure(None, ip).await.unwrap();
    retry_after(second.check_address(ip).await);
}
