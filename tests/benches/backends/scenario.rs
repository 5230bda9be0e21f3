//! One run: a fresh store of one backend, seeded with N users, then each
//! operation timed through the service.

use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHasher as _, SaltString};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use usergraph_core::page::PageArgs;
use usergraph_core::service::{CreateRole, UserQuery};
use usergraph_core::{Caller, RoleId, Service, ServiceSettings, UniqueKey, UserId, WriteOp};

use crate::BoxError;
use crate::measure::{self, Summary};
use crate::people::People;
use crate::stores::{Backend, Store};

/// Inputs per `create_users_batch` call: one chunk of the service's bulk
/// write (`Storage::commit_each`, one transaction per 10,000 users), the
/// same code an import uses.
const SEED_BATCH: u64 = 10_000;

/// Role assignments per commit when giving seeded users their extra roles.
const ASSIGN_BATCH: usize = 500;

#[derive(Debug)]
pub struct Run {
    pub backend: Backend,
    pub seed_time: Duration,
    /// Operation name and its timings, in a fixed order.
    pub timings: Vec<(&'static str, Summary)>,
}

/// What seeding left behind for the operations to aim at.
pub struct Seeded {
    pub ids: Vec<UserId>,
    pub email_keys: Vec<String>,
    pub seed_time: Duration,
}

/// `None` when the backend cannot be reached.
pub async fn run(
    backend: Backend,
    users: u64,
    iterations: usize,
    seed: u64,
) -> Result<Option<Run>, BoxError> {
    let Some(store) = Store::open(backend, &users.to_string()).await? else {
        return Ok(None);
    };
    eprintln!("{backend}: seeding {users} users");
    let service = Service::new(store.storage.clone(), ServiceSettings::default())?;
    let people = People::new(seed, shared_digest()?);
    let seeded = seed_users(&service, &people, users).await?;
    eprintln!(
        "{backend}: seeded in {:.1} s; timing operations",
        seeded.seed_time.as_secs_f64()
    );
    store.settle().await?;
    let timings = time_operations(&service, &people, &seeded, users, iterations, seed).await?;
    drop(service);
    store.remove().await?;
    Ok(Some(Run {
        backend,
        seed_time: seeded.seed_time,
        timings,
    }))
}

/// The Argon2id digest (production parameters) every seeded user with a
/// password gets, made once: hashing each would dominate the seeding time.
pub fn shared_digest() -> Result<String, BoxError> {
    let salt = SaltString::from_b64("dXNlcmdyYXBoYmVuY2g")?;
    let hash = argon2::Argon2::default().hash_password(b"correct horse battery staple", &salt)?;
    Ok(hash.to_string())
}

pub async fn seed_users(
    service: &Service,
    people: &People,
    users: u64,
) -> Result<Seeded, BoxError> {
    let caller = Caller::system();
    let roles = seed_roles(service).await?;
    let mut ids = Vec::with_capacity(usize::try_from(users)?);
    let mut email_keys = Vec::new();
    let start = Instant::now();
    let mut next = 0;
    while next < users {
        let end = (next + SEED_BATCH).min(users);
        let (inputs, keys): (Vec<_>, Vec<_>) = (next..end)
            .map(|index| {
                let person = people.person(index, true);
                (person.input, person.email_key)
            })
            .unzip();
        let results = service.create_users_batch(&caller, inputs).await?;
        for (result, key) in results.into_iter().zip(keys) {
            // Generated identifiers are unique: any failure is a bug.
            ids.push(result?.id);
            email_keys.extend(key);
        }
        next = end;
        // Large sets seed for minutes: show that it moves.
        if next % 100_000 == 0 && next < users {
            eprintln!(
                "  {next} users seeded in {:.0} s",
                start.elapsed().as_secs_f64()
            );
        }
    }
    let seed_time = start.elapsed();
    assign_extra_roles(service, &ids, &roles).await?;
    Ok(Seeded {
        ids,
        email_keys,
        seed_time,
    })
}

/// Two default roles every user gets at creation, and two given to some.
async fn seed_roles(service: &Service) -> Result<[RoleId; 2], BoxError> {
    let caller = Caller::system();
    let mut extra = Vec::new();
    for (name, is_default, permissions) in [
        ("Member", true, vec!["profile:read"]),
        ("Newsletter", true, vec![]),
        ("Editor", false, vec!["users:read", "users:write"]),
        ("Support", false, vec!["users:read", "logs:read"]),
    ] {
        let role = service
            .create_role(
                &caller,
                CreateRole {
                    name: name.to_owned(),
                    description: Some(format!("{name} (benchmark)")),
                    permissions: permissions.into_iter().map(str::to_owned).collect(),
                    is_default,
                },
            )
            .await?;
        if !is_default {
            extra.push(role.id);
        }
    }
    match <[RoleId; 2]>::try_from(extra) {
        Ok(extra) => Ok(extra),
        Err(_) => Err("two extra roles expected".into()),
    }
}

/// Every 10th user is an Editor, every 25th Support. Written straight to
/// storage in batches: this is data set-up, not one of the timed paths, and
/// one service call per user would take longer than the seeding itself.
async fn assign_extra_roles(
    service: &Service,
    ids: &[UserId],
    [editor, support]: &[RoleId; 2],
) -> Result<(), BoxError> {
    let ops: Vec<WriteOp> = ids
        .iter()
        .enumerate()
        .filter_map(|(i, id)| {
            let mut role_ids = Vec::new();
            if i % 10 == 0 {
                role_ids.push(editor.clone());
            }
            if i % 25 == 0 {
                role_ids.push(support.clone());
            }
            (!role_ids.is_empty()).then(|| WriteOp::AssignRoles {
                user_id: id.clone(),
                role_ids,
            })
        })
        .collect();
    let mut ops = ops.into_iter().peekable();
    while ops.peek().is_some() {
        let chunk: Vec<WriteOp> = ops.by_ref().take(ASSIGN_BATCH).collect();
        service.storage().commit(chunk).await?;
    }
    Ok(())
}

async fn time_operations(
    service: &Service,
    people: &People,
    seeded: &Seeded,
    users: u64,
    iterations: usize,
    seed: u64,
) -> Result<Vec<(&'static str, Summary)>, BoxError> {
    let caller = &Caller::system();
    let storage = service.storage();
    let mut rng = StdRng::seed_from_u64(seed.wrapping_add(users));
    let calls = measure::WARMUP + iterations;
    let some_ids: Vec<&UserId> = (0..calls)
        .map(|_| &seeded.ids[rng.gen_range(0..seeded.ids.len())])
        .collect();
    let some_emails: Vec<&String> = (0..calls)
        .map(|_| &seeded.email_keys[rng.gen_range(0..seeded.email_keys.len())])
        .collect();
    let terms: Vec<String> = (0..calls).map(|_| people.common_term(&mut rng)).collect();
    let mut timings = Vec::new();

    let summary = measure::time(iterations, |i| {
        let id = some_ids[i];
        async move {
            service
                .user(caller, id.as_str())
                .await?
                .ok_or("seeded user missing")?;
            Ok(())
        }
    })
    .await?;
    timings.push(("get user by id", summary));

    let summary = measure::time(iterations, |i| {
        let key = UniqueKey::Email(some_emails[i].clone());
        async move {
            storage
                .user_by_key(&key)
                .await?
                .ok_or("seeded email missing")?;
            Ok(())
        }
    })
    .await?;
    timings.push(("get user by email", summary));

    let summary = measure::time(iterations, |i| {
        let query = search(&terms[i]);
        async move {
            let page = service.search_users(caller, query).await?;
            if page.edges.is_empty() {
                return Err("a common term matched nobody".into());
            }
            Ok(())
        }
    })
    .await?;
    timings.push(("search, common term (first 20)", summary));

    let summary = measure::time(iterations, |i| {
        let query = search(some_ids[i].as_str());
        async move {
            let page = service.search_users(caller, query).await?;
            if page.edges.is_empty() {
                return Err("an id search matched nobody".into());
            }
            Ok(())
        }
    })
    .await?;
    timings.push(("search, one match (first 20)", summary));

    let summary = measure::time(iterations, |_| async move {
        let page = service
            .search_users(
                caller,
                UserQuery {
                    page: PageArgs::first(20),
                    ..UserQuery::default()
                },
            )
            .await?;
        let ids: Vec<UserId> = page.edges.iter().map(|e| e.node.id.clone()).collect();
        let roles = service.roles_of_users(caller, &ids).await?;
        if ids.len() != 20 || roles.values().all(Vec::is_empty) {
            return Err("a page of 20 users with roles expected".into());
        }
        Ok(())
    })
    .await?;
    timings.push(("page of 20 users with roles", summary));

    let summary = measure::time(iterations, |i| {
        // Indexes past the seeded ones: new, unique identifiers.
        let input = people.person(users + i as u64, false).input;
        async move {
            service.create_user(caller, input).await?;
            Ok(())
        }
    })
    .await?;
    timings.push(("createUser (no password)", summary));
    Ok(timings)
}

fn search(text: &str) -> UserQuery {
    UserQuery {
        search: Some(text.to_owned()),
        page: PageArgs::first(20),
        ..UserQuery::default()
    }
}
