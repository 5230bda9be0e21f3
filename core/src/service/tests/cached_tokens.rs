//! The authentication cache across processes: two services over one store
//! stand for two instances sharing a PostgreSQL database. A change made
//! through one is seen by the other once its cache's time to live is over,
//! at once when that is zero. (Changes made through the same service are
//! seen on the next request: `tests/tests/auth_cache.rs`, over HTTP.)

use std::time::Duration;

use super::memory::Memory;
use super::tokens::{service_with, signed_in, user_holding};
use super::*;
use crate::time;

fn instance(memory: &Arc<Memory>, ttl: Duration) -> Service {
    let settings = ServiceSettings {
        auth_cache_ttl: ttl,
        ..ServiceSettings::default()
    };
    service_with(memory.clone(), settings)
}

async fn revoked_elsewhere(ttl: Duration) -> (Service, String) {
    let memory = Arc::new(Memory::default());
    let writer = instance(&memory, Duration::ZERO);
    let reader = instance(&memory, ttl);
    let user = user_holding(&writer, "ada", &[Permission::UsersRead]).await;
    let (created, _) = signed_in(&writer, &user).await;
    reader
        .authenticate(&created.secret, None, None)
        .await
        .unwrap();
    writer
        .revoke_token(&admin(), &created.token.id)
        .await
        .unwrap();
    (reader, created.secret)
}

#[tokio::test]
async fn another_instance_sees_a_revocation_once_its_ttl_is_over() {
    let ttl = Duration::from_millis(300);
    let (reader, secret) = revoked_elsewhere(ttl).await;
    // Within the time to live the other instance still trusts what it read.
    assert!(reader.authenticate(&secret, None, None).await.is_ok());
    tokio::time::sleep(ttl + Duration::from_millis(50)).await;
    let refused = reader.authenticate(&secret, None, None).await.unwrap_err();
    assert_eq!(refused.code(), "UNAUTHENTICATED");
}

#[tokio::test]
async fn with_a_zero_ttl_another_instance_sees_a_revocation_at_once() {
    let (reader, secret) = revoked_elsewhere(Duration::ZERO).await;
    let refused = reader.authenticate(&secret, None, None).await.unwrap_err();
    assert_eq!(refused.code(), "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_cached_token_still_expires_on_time() {
    let memory = Arc::new(Memory::default());
    let service = instance(&memory, Duration::from_secs(3600));
    let user = user_holding(&service, "ada", &[]).await;
    let expires_at = time::now() + chrono::TimeDelta::milliseconds(300);
    let created = service
        .create_token(
            &admin(),
            &user.id,
            NewToken {
                name: "short".into(),
                expires_at: Some(expires_at),
                ..NewToken::default()
            },
        )
        .await
        .unwrap();
    service
        .authenticate(&created.secret, None, None)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(350)).await;
    let refused = service
        .authenticate(&created.secret, None, None)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "UNAUTHENTICATED");
    let log = memory.snapshot().logs.pop().unwrap();
    assert_eq!(log.payload["reason"], "expired");
}
