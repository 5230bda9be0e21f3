//! Many writers changing one user at once: the service retries the ones
//! that lose a race until their change lands, so none fails with `CONFLICT`
//! and none is lost.

use super::*;
use crate::model::User;

const WRITERS: usize = 8;
const EDITS: usize = 10;

/// Writer `w`'s `edit`-th change: writers 0 to 2 change the name, the
/// avatar and a profile claim, the others a custom data key of their own.
async fn edit(service: &Service, id: &str, w: usize, edit: usize) -> Result<User> {
    let caller = admin();
    match w {
        0 => {
            let input = UpdateUser {
                name: Patch::Value(format!("name {edit}")),
                ..UpdateUser::default()
            };
            service.update_user(&caller, id, input).await
        }
        1 => {
            let input = UpdateUser {
                avatar: Patch::Value(format!("https://example.com/{edit}.png")),
                ..UpdateUser::default()
            };
            service.update_user(&caller, id, input).await
        }
        2 => {
            let profile = ProfileInput {
                nickname: Patch::Value(format!("nick {edit}")),
                ..ProfileInput::default()
            };
            service.update_user_profile(&caller, id, profile).await
        }
        _ => {
            let data = json!({ format!("writer{w}"): edit });
            service
                .update_user_custom_data(&caller, id, data, false)
                .await
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_edits_of_one_user_all_apply() {
    let (memory, service) = setup();
    let user = service
        .create_user(&admin(), named("contended"))
        .await
        .unwrap();
    // Each writer reads, then lets the others read the same version before
    // it writes: without retries every round but one writer would lose.
    memory.yield_before_commit.store(true, Ordering::SeqCst);
    let tasks: Vec<_> = (0..WRITERS)
        .map(|w| {
            let service = service.clone();
            let id = user.id.to_string();
            tokio::spawn(async move {
                for e in 0..EDITS {
                    if let Err(err) = edit(&service, &id, w, e).await {
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

    let state = memory.snapshot();
    let stored = &state.users[&user.id];
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
