//! Tokens as the database holds them: only the digest of a secret, read back
//! by a process that did not write it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use sqlx::Row;
use usergraph_core::service::{CreateUser, NewToken};
use usergraph_core::{Caller, Service, ServiceSettings, Storage, TokenId, User};

async fn owner(service: &Service) -> User {
    service
        .create_user(
            &Caller::system(),
            CreateUser {
                username: Some("holder".into()),
                ..CreateUser::default()
            },
        )
        .await
        .unwrap()
}

fn new_token(name: &str) -> NewToken {
    NewToken {
        name: name.into(),
        expires_at: None,
        scopes: None,
    }
}

/// Every row of every table in the test's schema, each as PostgreSQL's text
/// form of the whole row (bytea as `\x` + hex).
async fn every_row_as_text(guard: &common::SchemaGuard) -> Vec<String> {
    let mut conn = common::admin(guard).await;
    let tables: Vec<String> = sqlx::query(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
    )
    .bind(&guard.schema)
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .iter()
    .map(|row| row.get(0))
    .collect();
    assert!(tables.iter().any(|t| t == "access_tokens"), "{tables:?}");
    let mut rows = Vec::new();
    for table in tables {
        let sql = format!("SELECT t::text FROM \"{table}\" t");
        for row in sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut conn)
            .await
            .unwrap()
        {
            rows.push(row.get::<String, _>(0));
        }
    }
    rows
}

#[tokio::test]
async fn only_the_digest_of_a_token_is_stored() {
    let (storage, guard) = common::fresh().await;
    let service = Service::new(Arc::new(storage), ServiceSettings::default()).unwrap();
    let owner = owner(&service).await;
    let created = service
        .create_token(&Caller::system(), &owner.id, new_token("digest only"))
        .await
        .unwrap();

    let rows = every_row_as_text(&guard).await;
    let random_part = &created.secret[4..];
    for row in &rows {
        assert!(
            !row.contains(&created.secret),
            "the secret is stored: {row}"
        );
        assert!(
            !row.contains(random_part),
            "the secret's body is stored: {row}"
        );
    }
    let digest = created.token.digest.to_hex();
    assert!(
        rows.iter()
            .any(|row| row.contains(&digest) && row.contains(created.token.id.as_str())),
        "the token's row holds its digest"
    );
    assert!(
        rows.iter()
            .any(|row| row.contains("Token.Created") && row.contains(created.token.id.as_str())),
        "the creation was logged (and the log was read)"
    );
}

#[tokio::test]
async fn another_process_reads_the_tokens() {
    let (storage, guard) = common::fresh().await;
    let service = Service::new(Arc::new(storage), ServiceSettings::default()).unwrap();
    let owner = owner(&service).await;
    let mut created = Vec::new();
    for name in ["first", "second"] {
        created.push(
            service
                .create_token(&Caller::system(), &owner.id, new_token(name))
                .await
                .unwrap()
                .token,
        );
    }
    drop(service);

    let other = common::second_process(&guard).await;
    for token in &created {
        assert_eq!(other.token(&token.id).await.unwrap().as_ref(), Some(token));
        assert_eq!(
            other.token_by_digest(&token.digest).await.unwrap().as_ref(),
            Some(token)
        );
    }
    created.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    assert_eq!(other.tokens_of_user(&owner.id).await.unwrap(), created);
    assert_eq!(other.token(&TokenId::generate()).await.unwrap(), None);
}
