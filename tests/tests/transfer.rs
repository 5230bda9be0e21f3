//! Export and import across backends: a varied population made in redb
//! through the service, exported, imported into sled and PostgreSQL and
//! exported again must give the same bytes; imports are idempotent and
//! report bad lines by number without stopping.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::Arc;

use tempfile::TempDir;
use usergraph_core::service::{OnExisting, UserQuery};
use usergraph_core::transfer::{
    self, ImportOptions, ImportReport, NoProgress, TransferError, import_csv, import_jsonl,
};
use usergraph_core::{Caller, Service, ServiceSettings, Storage};
use usergraph_tests::PASSWORD;
use usergraph_tests::population::{Digests, Person, role_inputs};

const USERS: u64 = 3000;

fn service(storage: Arc<dyn Storage>) -> Service {
    Service::new(storage, ServiceSettings::default()).unwrap()
}

fn redb(dir: &TempDir, name: &str) -> Service {
    let path = dir.path().join(format!("{name}.redb"));
    service(Arc::new(usergraph_redb::RedbStorage::open(path).unwrap()))
}

fn sled(dir: &TempDir, name: &str) -> Service {
    let path = dir.path().join(format!("{name}.sled"));
    service(Arc::new(usergraph_sled::SledStorage::open(path).unwrap()))
}

/// `USERS` people made the way an application would make them: a batch
/// create, then identity links, suspensions, role changes and sign-ins,
/// each through its own service call.
async fn populate(service: &Service) {
    let caller = Caller::system();
    service.ensure_admin_role().await.unwrap();
    let mut role_ids = HashMap::new();
    for input in role_inputs() {
        let role = service.create_role(&caller, input).await.unwrap();
        role_ids.insert(role.name.clone(), role.id.to_string());
    }
    let digests = Digests::new();
    let people: Vec<Person> = (0..USERS).map(|i| Person::nth(i, &digests)).collect();
    let inputs = people.iter().map(Person::create_input).collect();
    let created = service.create_users_batch(&caller, inputs).await.unwrap();
    for (person, user) in people.iter().zip(created) {
        let id = user.unwrap().id.to_string();
        for (provider, identity) in person.identity_inputs() {
            service
                .link_user_identity(&caller, &id, &provider, identity)
                .await
                .unwrap();
        }
        if person.suspended {
            service
                .set_user_suspended(&caller, &id, true)
                .await
                .unwrap();
        }
        if !person.extra_roles.is_empty() {
            let roles: Vec<String> = person
                .extra_roles
                .iter()
                .map(|name| role_ids[*name].clone())
                .collect();
            service
                .assign_user_roles(&caller, &id, &roles)
                .await
                .unwrap();
        }
        if person.drops_default_role {
            service
                .remove_user_role(&caller, &id, &role_ids["member"])
                .await
                .unwrap();
        }
    }
    // Sign-ins set lastSignInAt (and rehash the cheap digests).
    let signers = people
        .iter()
        .filter(|p| p.username.is_some() && !p.suspended && p.password.is_some())
        .take(3);
    for person in signers {
        let username = person.username.as_deref().unwrap();
        service
            .sign_in(&Caller::anonymous(), username, PASSWORD)
            .await
            .unwrap();
    }
}

async fn export(service: &Service) -> Vec<u8> {
    let mut out = Vec::new();
    transfer::export(service, &Caller::system(), &mut out, &mut NoProgress)
        .await
        .unwrap();
    out
}

async fn import(service: &Service, file: &[u8], options: ImportOptions) -> ImportReport {
    import_jsonl(
        service,
        &Caller::system(),
        Cursor::new(file),
        options,
        &mut NoProgress,
    )
    .await
    .unwrap()
}

/// Imports `file` into `target`, checks that everything was created and
/// that a second run changes nothing, and returns the target's export.
async fn round_trip(target: &Service, file: &[u8]) -> Vec<u8> {
    let first = import(target, file, ImportOptions::default()).await;
    assert_eq!(first.errors, vec![], "a fresh export imports cleanly");
    assert_eq!(first.created, USERS + 4, "every user and role is created");
    let again = import(target, file, ImportOptions::default()).await;
    assert_eq!(
        (again.created, again.updated, again.skipped, again.failed),
        (0, 0, USERS + 4, 0),
        "a re-run skips everything"
    );
    let updating = ImportOptions {
        on_existing: OnExisting::Update,
        ..ImportOptions::default()
    };
    let refreshed = import(target, file, updating).await;
    assert_eq!(
        (refreshed.updated, refreshed.skipped),
        (0, USERS + 4),
        "updating from identical data changes nothing"
    );
    export(target).await
}

fn lines(file: &[u8]) -> Vec<&str> {
    std::str::from_utf8(file).unwrap().lines().collect()
}

fn assert_same_export(expected: &[u8], actual: &[u8], backend: &str) {
    if expected != actual {
        let (expected, actual) = (lines(expected), lines(actual));
        let first_difference = expected
            .iter()
            .zip(&actual)
            .position(|(a, b)| a != b)
            .unwrap_or(expected.len().min(actual.len()));
        panic!(
            "the {backend} export differs from redb's at line {}:\nredb:    {:?}\n{backend}: {:?}",
            first_difference + 1,
            expected.get(first_difference),
            actual.get(first_difference),
        );
    }
}

/// What the redb export holds: a header, the users oldest first, the roles.
fn check_export_shape(file: &[u8]) {
    let lines = lines(file);
    assert_eq!(lines.len() as u64, 1 + USERS + 4);
    assert_eq!(lines[0], r#"{"format":"usergraph-export","version":1}"#);
    let has = |needle: &str| lines.iter().filter(|l| l.contains(needle)).count();
    assert_eq!(has(r#""type":"role""#), 4);
    assert!(has(r#""id":"legacy-"#) >= 700, "imported ids are kept");
    assert!(has(r#""passwordAlgorithm":"BCRYPT""#) > 0);
    assert!(has(r#""passwordAlgorithm":"ARGON2I""#) > 0);
    assert!(has(r#""isSuspended":true"#) > 400);
    assert!(has(r#""github":{"userId""#) >= 600);
    assert_eq!(has(r#""lastSignInAt""#), 3);
    assert!(lines[USERS as usize].contains(r#""type":"user""#));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_redb_to_sled_and_back_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let source = redb(&dir, "source");
    populate(&source).await;
    let exported = export(&source).await;
    check_export_shape(&exported);
    assert_eq!(export(&source).await, exported, "exports are deterministic");

    let target = sled(&dir, "target");
    let again = round_trip(&target, &exported).await;
    assert_same_export(&exported, &again, "sled");

    // And back into a fresh redb.
    let back = redb(&dir, "back");
    let again = round_trip(&back, &again).await;
    assert_same_export(&exported, &again, "redb (second)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_transfer_from_redb_is_byte_identical() {
    let (postgres, schema) = usergraph_tests::postgres::store_in_own_schema("transfer").await;
    let dir = tempfile::tempdir().unwrap();
    let source = redb(&dir, "source");
    populate(&source).await;
    let exported = export(&source).await;

    let target = service(Arc::new(postgres.clone()));
    let again = round_trip(&target, &exported).await;
    // The import refreshed the planner's statistics: it knows the rows.
    let counted: f32 = sqlx::query_scalar(
        "SELECT c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relname = 'users'",
    )
    .bind(&schema)
    .fetch_one(postgres.pool())
    .await
    .unwrap();
    let dropped = usergraph_tests::postgres::drop_schema(&postgres, &schema).await;
    assert_same_export(&exported, &again, "postgres");
    dropped.unwrap();
    assert_eq!(counted, USERS as f32, "ANALYZE ran after the import");
}

const HEADER: &str = r#"{"format":"usergraph-export","version":1}"#;

#[tokio::test]
async fn transfer_reports_every_bad_line_by_number_and_imports_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let target = redb(&dir, "target");
    let file = [
        HEADER,
        r#"{"type":"user","id":"u1","username":"ada","roles":["member"]}"#,
        r#"{"type":"user","id":"u2","username":"bob","primaryEmail":"not an email"}"#,
        r#"{"type":"user","id":"u3","username":"cy""#,
        "",
        r#"{"type":"user","id":"u4","username":"ADA"}"#,
        r#"{"type":"user","id":"u5","username":"dee","roles":["ghost"]}"#,
        r#"{"type":"user","id":"u6","username":"eve","colour":"blue"}"#,
        r#"{"type":"user","id":"u7","username":"fay","passwordDigest":"plain","passwordAlgorithm":"BCRYPT"}"#,
        r#"{"type":"user","id":"u8","username":"gus","roles":["member"]}"#,
        r#"{"type":"role","name":"member","permissions":["users:read"]}"#,
        r#"{"type":"role","name":"bad name!","permissions":["users:read"],"isDefault":"yes"}"#,
    ]
    .join("\n");
    let report = import(&target, file.as_bytes(), ImportOptions::default()).await;
    let failed: Vec<(u64, &str)> = report.errors.iter().map(|e| (e.line, e.code)).collect();
    assert_eq!(
        failed,
        vec![
            (3, "VALIDATION"),
            (4, "PARSE"),
            (6, "USERNAME_ALREADY_IN_USE"),
            (7, "VALIDATION"),
            (8, "PARSE"),
            (9, "VALIDATION"),
            (12, "PARSE"),
        ],
        "{:#?}",
        report.errors
    );
    assert!(
        report.errors[3].message.contains("ghost"),
        "{}",
        report.errors[3]
    );
    assert!(
        report.errors[4].message.contains("colour"),
        "{}",
        report.errors[4]
    );
    assert_eq!(
        (report.created, report.failed),
        (3, 7),
        "ada, gus and the role"
    );
    assert!(!report.stopped_early);

    let caller = Caller::system();
    let ada = target.user(&caller, "u1").await.unwrap().unwrap();
    assert_eq!(ada.username.as_deref(), Some("ada"));
    let roles = target
        .roles_of_users(&caller, std::slice::from_ref(&ada.id))
        .await
        .unwrap();
    assert_eq!(roles[&ada.id].len(), 1, "ada holds the role imported first");
    assert!(target.user(&caller, "u8").await.unwrap().is_some());
    let logs = target
        .search_logs(
            &caller,
            usergraph_core::query::LogFilter {
                key: Some("User.Imported".into()),
                ..Default::default()
            },
            usergraph_core::page::PageArgs::default(),
            true,
        )
        .await
        .unwrap();
    assert_eq!(logs.total(), Some(2), "one User.Imported per user");
}

#[tokio::test]
async fn transfer_fail_fast_stops_at_the_first_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let target = redb(&dir, "target");
    let file = [
        HEADER,
        r#"{"type":"user","id":"u1","username":"ada"}"#,
        r#"{"type":"user","id":"u2","username":"bob""#,
        r#"{"type":"user","id":"u3","username":"cy"}"#,
    ]
    .join("\n");
    let options = ImportOptions {
        fail_fast: true,
        ..ImportOptions::default()
    };
    let report = import(&target, file.as_bytes(), options).await;
    assert!(report.stopped_early);
    assert_eq!((report.created, report.failed), (1, 1));
    assert_eq!(report.errors[0].line, 3);
    let caller = Caller::system();
    assert!(target.user(&caller, "u3").await.unwrap().is_none());
}

#[tokio::test]
async fn transfer_refuses_files_that_are_not_exports() {
    let dir = tempfile::tempdir().unwrap();
    let target = redb(&dir, "target");
    for (file, says) in [
        ("", "empty"),
        (r#"{"type":"user","username":"ada"}"#, "header"),
        (r#"{"format":"usergraph-export","version":2}"#, "version 2"),
    ] {
        let err = import_jsonl(
            &target,
            &Caller::system(),
            Cursor::new(file.as_bytes()),
            ImportOptions::default(),
            &mut NoProgress,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&err, TransferError::Invalid(m) if m.contains(says)),
            "{err}"
        );
    }
}

async fn csv(service: &Service, file: &str, options: ImportOptions) -> ImportReport {
    import_csv(
        service,
        &Caller::system(),
        file.as_bytes(),
        options,
        &mut NoProgress,
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn transfer_csv_rows_become_users_once() {
    let dir = tempfile::tempdir().unwrap();
    let target = redb(&dir, "target");
    let caller = Caller::system();
    for input in role_inputs() {
        target.create_role(&caller, input).await.unwrap();
    }
    let digest = Digests::new().bcrypt;
    let file = format!(
        "username,email,phone,name,password_digest,password_algorithm,roles,is_suspended,custom_data\n\
         ada,Ada@Example.com,+44 20 7946 0958,Ada Lovelace,{digest},bcrypt,editor;member,no,\"{{\"\"plan\"\":\"\"pro\"\"}}\"\n\
         bob,bob@example.com,,\"Bob, Jr.\",,,,yes,\n\
         cy,not-an-email,,Cy,,,,,\n\
         dee,dee@example.com,,Dee,,,,maybe,\n"
    );
    let report = csv(&target, &file, ImportOptions::default()).await;
    let failed: Vec<(u64, &str)> = report.errors.iter().map(|e| (e.line, e.code)).collect();
    assert_eq!(
        failed,
        vec![(4, "VALIDATION"), (5, "VALIDATION")],
        "{:#?}",
        report.errors
    );
    assert_eq!(report.created, 2);

    let found = target
        .search_users(
            &caller,
            UserQuery {
                search: Some("ada".into()),
                ..UserQuery::default()
            },
        )
        .await
        .unwrap();
    let ada = &found.edges[0].node;
    assert_eq!(ada.primary_phone.as_deref(), Some("442079460958"));
    assert!(ada.has_password());
    assert_eq!(ada.custom_data["plan"], "pro");
    let verified = target
        .verify_user_password(&caller, ada.id.as_str(), PASSWORD.into())
        .await
        .unwrap();
    assert!(verified, "the imported digest verifies");
    let roles = target
        .roles_of_users(&caller, std::slice::from_ref(&ada.id))
        .await
        .unwrap();
    assert_eq!(roles[&ada.id].len(), 2);

    // Re-running skips the users that exist (matched by username).
    let again = csv(&target, &file, ImportOptions::default()).await;
    assert_eq!((again.created, again.skipped, again.failed), (0, 2, 2));

    // Updating from a sheet with fewer columns keeps what it does not say.
    let update = "username,name\nada,Augusta Ada King\n";
    let options = ImportOptions {
        on_existing: OnExisting::Update,
        ..ImportOptions::default()
    };
    let updated = csv(&target, update, options).await;
    assert_eq!(updated.updated, 1);
    let ada = target
        .user(&caller, ada.id.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ada.name.as_deref(), Some("Augusta Ada King"));
    assert_eq!(ada.primary_email.as_deref(), Some("Ada@Example.com"));
    assert!(ada.has_password(), "the digest stays");

    let err = import_csv(
        &target,
        &caller,
        "username,shoe_size\nada,42\n".as_bytes(),
        ImportOptions::default(),
        &mut NoProgress,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("shoe_size"), "{err}");
}

#[tokio::test]
async fn transfer_update_existing_makes_users_what_the_line_says() {
    let dir = tempfile::tempdir().unwrap();
    let target = redb(&dir, "target");
    let role = r#"{"type":"role","name":"member","permissions":["users:read"]}"#;
    let before = [
        HEADER,
        r#"{"type":"user","id":"u1","username":"ada","name":"Ada","roles":["member"],"customData":{"plan":"pro"}}"#,
        role,
    ]
    .join("\n");
    let after = [
        HEADER,
        r#"{"type":"user","id":"u1","username":"ada","name":"Augusta","isSuspended":true}"#,
        role,
    ]
    .join("\n");
    assert_eq!(
        import(&target, before.as_bytes(), ImportOptions::default())
            .await
            .created,
        2
    );
    let skipped = import(&target, after.as_bytes(), ImportOptions::default()).await;
    assert_eq!((skipped.updated, skipped.skipped), (0, 2));
    let caller = Caller::system();
    let ada = target.user(&caller, "u1").await.unwrap().unwrap();
    assert_eq!(ada.name.as_deref(), Some("Ada"), "skipped means untouched");

    let updating = ImportOptions {
        on_existing: OnExisting::Update,
        ..ImportOptions::default()
    };
    let updated = import(&target, after.as_bytes(), updating).await;
    assert_eq!(
        (updated.updated, updated.skipped),
        (1, 1),
        "the role is unchanged"
    );
    let ada = target.user(&caller, "u1").await.unwrap().unwrap();
    assert_eq!(ada.name.as_deref(), Some("Augusta"));
    assert!(ada.is_suspended);
    assert!(ada.custom_data.is_empty(), "a line is the whole user");
    let roles = target
        .roles_of_users(&caller, std::slice::from_ref(&ada.id))
        .await
        .unwrap();
    assert!(roles.get(&ada.id).is_none_or(Vec::is_empty), "{roles:?}");

    // Without users:write nothing is imported at all.
    let reader = Caller {
        user_id: Some(ada.id.clone()),
        permissions: usergraph_core::Permissions::Only(
            [usergraph_core::Permission::UsersRead].into(),
        ),
        ..Caller::system()
    };
    let err = import_jsonl(
        &target,
        &reader,
        Cursor::new(after.as_bytes()),
        updating,
        &mut NoProgress,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, TransferError::Service(e) if e.code() == "FORBIDDEN"),
        "{err}"
    );
}

/// An export-format file of `users` users (every third one an editor), with
/// the role line first so that a file cut short still names it.
fn bulk_file(users: usize) -> String {
    let mut lines = vec![
        HEADER.to_owned(),
        r#"{"type":"role","name":"editor","permissions":["users:read"]}"#.to_owned(),
    ];
    for i in 0..users {
        let roles = if i % 3 == 0 {
            r#","roles":["editor"]"#
        } else {
            ""
        };
        lines.push(format!(
            r#"{{"type":"user","id":"u{i:05}","username":"user{i}","primaryEmail":"user{i}@example.com","name":"Person {i} Lovelace","createdAt":"2024-01-01T00:00:{:02}.{i:06}Z"{roles}}}"#,
            i % 60
        ));
    }
    lines.join("\n")
}

/// Each chunk of an import is one transaction, so an import stopped by a
/// crash leaves the chunks committed before it, whole: the same store as an
/// import of the file cut after those lines. Running the whole import again
/// (skipping existing users, the default) finishes it, and every index
/// answers as the reference evaluator does over the users.
async fn rerun_after_an_interrupted_import_finishes_it(target: &Service, backend: &str) {
    let users = 12_500;
    let whole = bulk_file(users);
    let cut = whole
        .lines()
        .take(2 + 10_000)
        .collect::<Vec<_>>()
        .join("\n");
    let first = import(target, cut.as_bytes(), ImportOptions::default()).await;
    assert_eq!(
        first.created, 10_001,
        "{backend}: the role and 10,000 users"
    );
    let again = import(target, whole.as_bytes(), ImportOptions::default()).await;
    assert_eq!(again.errors, vec![], "{backend}");
    assert_eq!(
        (again.created, again.skipped),
        (2_500, 10_001),
        "{backend}: the rest is created, what was there is skipped"
    );

    let storage = target.storage();
    let everything = |filter| usergraph_core::query::UserSearch {
        filter,
        order: vec![usergraph_core::query::UserOrder::DEFAULT],
        after: None,
        backward: false,
        limit: 100_000,
        count_limit: None,
    };
    use usergraph_core::filter::{RoleMembership, StringField, StringOp, UserFilter};
    let all = storage
        .search_users(&everything(UserFilter::All))
        .await
        .unwrap()
        .items;
    assert_eq!(all.len(), users, "{backend}");
    let ids: Vec<_> = all.iter().map(|u| u.id.clone()).collect();
    let held = storage.role_ids_of_users(&ids).await.unwrap();
    let editor = storage.role_by_name("editor").await.unwrap().unwrap();
    let string = |field, op| UserFilter::String {
        field,
        op,
        case_sensitive: false,
    };
    for filter in [
        UserFilter::simple_search("son 1234"),
        string(StringField::Name, StringOp::Contains("n 1199".into())),
        string(
            StringField::Username,
            StringOp::StartsWith("user124".into()),
        ),
        string(
            StringField::PrimaryEmail,
            StringOp::Eq("user12345@example.com".into()),
        ),
        UserFilter::Roles(RoleMembership {
            any: Some(vec![editor.id.clone()]),
            ..RoleMembership::default()
        }),
    ] {
        let search = everything(filter.clone());
        let rows = all.iter().map(|u| {
            let roles = held.get(&u.id).map_or(&[][..], Vec::as_slice);
            (u, roles)
        });
        let expected = usergraph_core::eval::search_users(rows, &search).items;
        let found = storage.search_users(&search).await.unwrap().items;
        assert!(!expected.is_empty(), "{backend}: {filter:?} finds someone");
        assert_eq!(found, expected, "{backend}: {filter:?}");
    }
}

#[tokio::test]
async fn transfer_rerun_after_an_interrupted_import_finishes_it() {
    let dir = tempfile::tempdir().unwrap();
    rerun_after_an_interrupted_import_finishes_it(&redb(&dir, "target"), "redb").await;
    rerun_after_an_interrupted_import_finishes_it(&sled(&dir, "target"), "sled").await;
}

/// PostgreSQL writes each chunk with `COPY` after checking it; the same
/// interrupted import, re-run, finishes there too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_rerun_after_an_interrupted_import_finishes_it() {
    let (postgres, schema) = usergraph_tests::postgres::store_in_own_schema("rerun").await;
    let target = service(Arc::new(postgres.clone()));
    let finished = tokio::spawn(async move {
        rerun_after_an_interrupted_import_finishes_it(&target, "postgres").await;
    })
    .await;
    usergraph_tests::postgres::drop_schema(&postgres, &schema)
        .await
        .unwrap();
    finished.unwrap();
}
