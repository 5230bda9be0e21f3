//! Many writers changing one user at once through the service: the ones
//! whose write loses a race are retried until it lands, so none fails with
//! `CONFLICT` and no change is lost, whatever the store's locking.

use serde_json::json;
use usergraph_core::service::{Patch, ProfileInput, UpdateUser};
use usergraph_core::{Result, Service, User};

use crate::Fixture;
use crate::support::{create_named, sys};

const WRITERS: usize = 8;
const EDITS: usize = 10;

/// Writer `w`'s `edit`-th change: writers 0 to 2 change the name, the
/// avatar and a profile claim, the others a custom data key of their own.
async fn edit(svc: &Service, id: &str, w: usize, edit: usize) -> Result<User> {
    match w {
        0 => {
            let input = UpdateUser {
                name: Patch::Value(format!("name {edit}")),
                ..UpdateUser::default()
            };
            svc.update_user(&sys(), id, input).await
        }
        1 => {
            let input = UpdateUser {
                avatar: Patch::Value(format!("https://example.com/{edit}.png")),
                ..UpdateUser::default()
            };
            svc.update_user(&sys(), id, input).await
        }
        2 => {
            let profile = ProfileInput {
                nickname: Patch::Value(format!("nick {edit}")),
                ..ProfileInput::default()
            };
            svc.update_user_profile(&sys(), id, profile).await
        }
        _ => {
            let data = json!({ format!("writer{w}"): edit });
            svc.update_user_custom_data(&sys(), id, data, false).await
        }
    }
}

pub async fn concurrent_edits_of_one_user_all_apply(fx: Fixture) {
    let svc = fx.service();
    let user = create_named(&svc, "contended").await;
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(WRITERS));
    let tasks: Vec<_> = (0..WRITERS)
        .map(|w| {
            let svc = svc.clone();
            let id = user.id.to_string();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                for e in 0..EDITS {
                    if let Err(err) = edit(&svc, &id, w, e).await {
                        return Err(format!("writer {w}, edit {e}: {}", err.code()));
                    }
                }
                Ok(())
            })
        })
        .collect();
    let failures: Vec<String> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .filter_map(|joined| joined.unwrap().err())
        .collect();
    assert!(failures.is_empty(), "{failures:?}");

    let stored = svc.user(&sys(), user.id.as_str()).await.unwrap().unwrap();
    let last = EDITS - 1;
    assert_eq!(stored.name, Some(format!("name {last}")));
    assert_eq!(
        stored.avatar,
        Some(format!("https://example.com/{last}.png"))
    );
    assert_eq!(stored.profile.nickname, Some(format!("nick {last}")));
    for w in 3..WRITERS {
        assert_eq!(
            stored.custom_data[&format!("writer{w}")],
            json!(last),
            "{w}"
        );
    }
    assert_eq!(stored.version, user.version + (WRITERS * EDITS) as u64);
}
