//! `Storage::search_users` must return exactly what the reference evaluator
//! (`usergraph_core::eval::search_users`) returns over the same data: the
//! same users, in the same order, page by page, with the same count.

use std::collections::HashMap;

use serde_json::json;
use usergraph_core::eval;
use usergraph_core::filter::{
    JsonOp, RoleMembership, StringField, StringOp, TimeField, TimeOp, UserFilter,
};
use usergraph_core::query::{Direction, Page, UserOrder, UserOrderField, UserSearch};
use usergraph_core::service::{CreateUser, IdentityInput};
use usergraph_core::{PasswordAlgorithm, RoleId, Storage, Timestamp, User, UserId};

use crate::Fixture;
use crate::passwords::bcrypt_digest;
use crate::roles::create_role;
use crate::support::{EVERYTHING, sys};

struct Dataset {
    users: Vec<User>,
    roles: HashMap<UserId, Vec<RoleId>>,
    role_ids: Vec<RoleId>,
    ids: Vec<UserId>,
    midpoint: Timestamp,
}

impl Dataset {
    fn reference(&self, search: &UserSearch) -> Page<User> {
        let empty = Vec::new();
        let rows = self.users.iter().map(|u| {
            let held = self.roles.get(&u.id).unwrap_or(&empty);
            (u, held.as_slice())
        });
        eval::search_users(rows, search)
    }
}

const NAMES: [&str; 5] = ["Ann", "bob", "ann", "Zed", "\u{c9}mile"];
const USERNAMES: [&str; 6] = ["Alpha", "bravo", "Charlie", "delta", "Echo_x", "foxtrot"];

/// Users with a spread of present and absent fields, shared names (ties),
/// roles, identities, suspension, passwords and custom data.
async fn dataset(fx: &Fixture) -> Dataset {
    let svc = fx.service();
    let storage = fx.storage();
    let mut role_ids = Vec::new();
    for name in ["r0", "r1", "r2"] {
        role_ids.push(create_role(&svc, name, false).await.id);
    }
    let digest = bcrypt_digest("dataset password", bcrypt::Version::TwoB);
    let mut ids = Vec::new();
    let mut midpoint = usergraph_core::time::now();
    for i in 0..24usize {
        if i == 12 {
            midpoint = usergraph_core::time::now();
        }
        let imported = i % 3 == 1;
        let input = CreateUser {
            username: (i % 5 != 4).then(|| format!("{}{i}", USERNAMES[i % USERNAMES.len()])),
            primary_email: (i % 3 != 0).then(|| {
                let domain = if i % 2 == 0 {
                    "Example.com"
                } else {
                    "example.org"
                };
                format!("Person{i}@{domain}")
            }),
            primary_phone: (i % 4 == 0).then(|| format!("1555010{i:04}")),
            name: (i % 6 != 5).then(|| NAMES[i % NAMES.len()].to_owned()),
            custom_data: (i % 2 == 0).then(
                || json!({"tier": i % 3, "tag": format!("Tag{}", i % 4), "nested": {"n": i}}),
            ),
            password_digest: imported.then(|| digest.clone()),
            password_algorithm: imported.then_some(PasswordAlgorithm::Bcrypt),
            ..CreateUser::default()
        };
        let user = svc.create_user(&sys(), input).await.unwrap();
        let id = user.id.as_str();
        if i % 7 == 0 {
            svc.set_user_suspended(&sys(), id, true).await.unwrap();
        }
        for (provider, every) in [("github", 5), ("google", 4)] {
            if i % every == 1 {
                let identity = IdentityInput {
                    user_id: format!("{provider}-{i}"),
                    details: None,
                };
                svc.link_user_identity(&sys(), id, provider, identity)
                    .await
                    .unwrap();
            }
        }
        let held: Vec<String> = [(0, i % 2 == 1), (1, i % 3 == 0), (2, i % 5 < 2)]
            .into_iter()
            .filter(|(_, holds)| *holds)
            .map(|(r, _)| role_ids[r].to_string())
            .collect();
        svc.assign_user_roles(&sys(), id, &held).await.unwrap();
        ids.push(user.id);
    }
    let users = storage.users(&ids).await.unwrap();
    assert_eq!(users.len(), ids.len());
    let roles = storage.role_ids_of_users(&ids).await.unwrap();
    Dataset {
        users,
        roles,
        role_ids,
        ids,
        midpoint,
    }
}

fn text(field: StringField, op: StringOp, case_sensitive: bool) -> UserFilter {
    UserFilter::String {
        field,
        op,
        case_sensitive,
    }
}

fn filters(data: &Dataset) -> Vec<(&'static str, UserFilter)> {
    let r = &data.role_ids;
    vec![
        ("all", UserFilter::All),
        ("simple search", UserFilter::simple_search("ALPHA")),
        ("simple search digits", UserFilter::simple_search("0100")),
        // One n-gram each: a store may count these from postings alone.
        ("simple search of 3", UserFilter::simple_search("PER")),
        ("simple search of 3, rare", UserFilter::simple_search("lTa")),
        (
            "two contains of 3",
            UserFilter::And(vec![
                text(
                    StringField::Username,
                    StringOp::Contains("alp".into()),
                    false,
                ),
                text(
                    StringField::PrimaryEmail,
                    StringOp::Contains("SON".into()),
                    false,
                ),
            ]),
        ),
        (
            "username contains a",
            text(StringField::Username, StringOp::Contains("A".into()), false),
        ),
        (
            "username contains A case-sensitive",
            text(StringField::Username, StringOp::Contains("A".into()), true),
        ),
        (
            "email ends with example.org",
            text(
                StringField::PrimaryEmail,
                StringOp::EndsWith("EXAMPLE.ORG".into()),
                false,
            ),
        ),
        (
            "email starts with Person1 case-sensitive",
            text(
                StringField::PrimaryEmail,
                StringOp::StartsWith("Person1".into()),
                true,
            ),
        ),
        (
            "name eq ann",
            text(StringField::Name, StringOp::Eq("ann".into()), false),
        ),
        (
            "name eq Ann case-sensitive",
            text(StringField::Name, StringOp::Eq("Ann".into()), true),
        ),
        (
            "name ne bob",
            text(StringField::Name, StringOp::Ne("bob".into()), false),
        ),
        (
            "name is null",
            text(StringField::Name, StringOp::IsNull(true), false),
        ),
        (
            "phone is not null",
            text(StringField::PrimaryPhone, StringOp::IsNull(false), false),
        ),
        (
            "username in",
            text(
                StringField::Username,
                StringOp::In(vec!["alpha0".into(), "CHARLIE2".into(), "nobody".into()]),
                false,
            ),
        ),
        (
            "id in",
            text(
                StringField::Id,
                StringOp::In(
                    data.ids
                        .iter()
                        .step_by(5)
                        .map(|id| id.to_string())
                        .collect(),
                ),
                true,
            ),
        ),
        (
            "username like",
            text(StringField::Username, StringOp::Like("%o_1%".into()), false),
        ),
        (
            "name like",
            text(StringField::Name, StringOp::Like("\u{e9}%".into()), false),
        ),
        (
            "identity github",
            text(
                StringField::IdentityProvider,
                StringOp::Eq("github".into()),
                true,
            ),
        ),
        ("suspended", UserFilter::IsSuspended(true)),
        (
            "not suspended",
            UserFilter::Not(Box::new(UserFilter::IsSuspended(true))),
        ),
        ("has password", UserFilter::HasPassword(true)),
        (
            "roles any r0",
            UserFilter::Roles(RoleMembership {
                any: Some(vec![r[0].clone()]),
                ..RoleMembership::default()
            }),
        ),
        (
            "roles any r0 r2",
            UserFilter::Roles(RoleMembership {
                any: Some(vec![r[0].clone(), r[2].clone()]),
                ..RoleMembership::default()
            }),
        ),
        (
            "roles all r0 r1",
            UserFilter::Roles(RoleMembership {
                all: Some(vec![r[0].clone(), r[1].clone()]),
                ..RoleMembership::default()
            }),
        ),
        (
            "roles none r2",
            UserFilter::Roles(RoleMembership {
                none: Some(vec![r[2].clone()]),
                ..RoleMembership::default()
            }),
        ),
        (
            "created after midpoint",
            UserFilter::Time {
                field: TimeField::CreatedAt,
                op: TimeOp::Gt(data.midpoint),
            },
        ),
        (
            "updated at or before midpoint",
            UserFilter::Time {
                field: TimeField::UpdatedAt,
                op: TimeOp::Lte(data.midpoint),
            },
        ),
        (
            "never signed in",
            UserFilter::Time {
                field: TimeField::LastSignInAt,
                op: TimeOp::IsNull(true),
            },
        ),
        (
            "custom tier 1",
            UserFilter::CustomData {
                path: vec!["tier".into()],
                op: JsonOp::Eq(json!(1)),
            },
        ),
        (
            "custom nested exists",
            UserFilter::CustomData {
                path: vec!["nested".into(), "n".into()],
                op: JsonOp::Exists(true),
            },
        ),
        (
            "custom tag contains",
            UserFilter::CustomData {
                path: vec!["tag".into()],
                op: JsonOp::Contains("TAG1".into()),
            },
        ),
        (
            "or",
            UserFilter::Or(vec![
                UserFilter::IsSuspended(true),
                UserFilter::HasPassword(true),
            ]),
        ),
        (
            "and with not",
            UserFilter::And(vec![
                text(StringField::PrimaryEmail, StringOp::IsNull(false), false),
                UserFilter::Not(Box::new(UserFilter::Roles(RoleMembership {
                    any: Some(vec![r[1].clone()]),
                    ..RoleMembership::default()
                }))),
            ]),
        ),
    ]
}

fn orders() -> Vec<Vec<UserOrder>> {
    let term = |field, direction| UserOrder { field, direction };
    use Direction::{Asc, Desc};
    use UserOrderField::*;
    vec![
        vec![UserOrder::DEFAULT],
        vec![term(CreatedAt, Asc)],
        vec![term(Username, Asc)],
        vec![term(Username, Desc)],
        vec![term(Name, Desc)],
        vec![term(Name, Asc), term(Username, Desc)],
        vec![term(PrimaryEmail, Asc), term(CreatedAt, Desc)],
        vec![term(LastSignInAt, Desc)],
        vec![term(UpdatedAt, Asc)],
    ]
}

/// A count stops at its limit: the total is exactly `min(matches, limit)`
/// whichever way the store counts (postings, candidates, a scan).
pub async fn counts_stop_at_their_limit(fx: Fixture) {
    let data = dataset(&fx).await;
    let storage: &dyn Storage = fx.storage().as_ref();
    let mut capped = 0;
    for (label, filter) in filters(&data) {
        let exact = UserSearch {
            filter: filter.clone(),
            order: vec![UserOrder::DEFAULT],
            after: None,
            backward: false,
            limit: 2,
            count_limit: Some(u64::MAX),
        };
        let matches = data.reference(&exact).total.unwrap();
        let limits = [
            1,
            2,
            matches.saturating_sub(1),
            matches,
            matches + 1,
            u64::MAX,
        ];
        for limit in limits {
            let search = UserSearch {
                count_limit: Some(limit),
                ..exact.clone()
            };
            let page = storage.search_users(&search).await.unwrap();
            assert_eq!(
                page.total,
                Some(matches.min(limit)),
                "filter {label:?} with {matches} matches, count limit {limit}"
            );
            assert_eq!(
                page,
                data.reference(&search),
                "filter {label:?}, limit {limit}"
            );
            if matches > limit {
                capped += 1;
            }
        }
    }
    assert!(capped > 50, "too few counts reached their limit: {capped}");
}

pub async fn storage_matches_reference_evaluator(fx: Fixture) {
    let data = dataset(&fx).await;
    let storage: &dyn Storage = fx.storage().as_ref();
    let mut nonempty = 0;
    for (label, filter) in filters(&data) {
        for order in orders() {
            let search = UserSearch {
                filter: filter.clone(),
                order: order.clone(),
                after: None,
                backward: false,
                limit: EVERYTHING,
                count_limit: Some(u64::MAX),
            };
            let expected = data.reference(&search);
            let actual = storage.search_users(&search).await.unwrap();
            assert_eq!(
                ids_of(&actual),
                ids_of(&expected),
                "filter {label:?}, order {order:?}"
            );
            assert_eq!(actual, expected, "filter {label:?}, order {order:?}");
            if !expected.items.is_empty() && expected.items.len() < data.users.len() {
                nonempty += 1;
            }
        }
    }
    assert!(
        nonempty > 100,
        "the filters discriminate ({nonempty} partial results)"
    );
}

pub async fn storage_pages_match_reference_evaluator(fx: Fixture) {
    let data = dataset(&fx).await;
    let storage: &dyn Storage = fx.storage().as_ref();
    for (label, filter) in filters(&data) {
        for (order, backward) in orders()
            .into_iter()
            .flat_map(|order| [(order.clone(), false), (order, true)])
        {
            let mut after = None;
            let mut walked = Vec::new();
            for page_no in 0.. {
                let search = UserSearch {
                    filter: filter.clone(),
                    order: order.clone(),
                    after: after.clone(),
                    backward,
                    limit: 5,
                    // Counting may take another path through the store;
                    // pages must come out the same either way.
                    count_limit: (page_no % 2 == 1).then_some(u64::MAX),
                };
                let expected = data.reference(&search);
                let actual = storage.search_users(&search).await.unwrap();
                assert_eq!(
                    ids_of(&actual),
                    ids_of(&expected),
                    "filter {label:?}, order {order:?}, backward {backward}, after {after:?}"
                );
                assert_eq!(actual.total, expected.total, "count of {label:?}");
                let Some(last) = actual.items.last() else {
                    break;
                };
                after = Some(eval::sort_key(last, &order));
                walked.extend(actual.items.iter().map(|u| u.id.clone()));
            }
            let whole = data.reference(&UserSearch {
                filter: filter.clone(),
                order: order.clone(),
                after: None,
                backward,
                limit: EVERYTHING,
                count_limit: None,
            });
            assert_eq!(
                walked,
                ids_of(&whole),
                "filter {label:?}, order {order:?}, backward {backward}"
            );
        }
    }
}

fn ids_of(page: &Page<User>) -> Vec<UserId> {
    page.items.iter().map(|u| u.id.clone()).collect()
}
