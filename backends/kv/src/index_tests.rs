//! The search indexes read few users and answer like the evaluator; a
//! store written before them is upgraded on open.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{TimeZone, Utc};
use serde_json::Map;
use usergraph_core::eval;
use usergraph_core::filter::{RoleMembership, StringField, StringOp, UserFilter};
use usergraph_core::query::{Direction, Page, UserOrder, UserOrderField, UserSearch};
use usergraph_core::{Profile, Result, Role, RoleId, Storage, User, UserId, WriteOp};

use crate::engine::{KeyRange, KvEngine, KvIter, ReadTxn, Tree, WriteTxn};
use crate::{KvStorage, MemoryEngine, block, index, keys};

/// A memory engine that counts the user records read.
#[derive(Clone, Debug, Default)]
struct Counting {
    inner: Arc<MemoryEngine>,
    user_reads: Arc<AtomicUsize>,
}

impl Counting {
    fn reads(&self) -> usize {
        self.user_reads.load(Ordering::SeqCst)
    }
}

struct CountingRead<'a> {
    inner: Box<dyn ReadTxn + 'a>,
    user_reads: &'a AtomicUsize,
}

impl ReadTxn for CountingRead<'_> {
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>> {
        if tree == Tree::Users {
            self.user_reads.fetch_add(1, Ordering::SeqCst);
        }
        self.inner.get(tree, key)
    }

    fn scan(&self, tree: Tree, range: KeyRange, reverse: bool) -> Result<KvIter<'_>> {
        let entries = self.inner.scan(tree, range, reverse)?;
        if tree != Tree::Users {
            return Ok(entries);
        }
        let reads = self.user_reads;
        Ok(Box::new(entries.inspect(move |_| {
            reads.fetch_add(1, Ordering::SeqCst);
        })))
    }
}

impl KvEngine for Counting {
    fn read(&self) -> Result<Box<dyn ReadTxn + '_>> {
        Ok(Box::new(CountingRead {
            inner: self.inner.read()?,
            user_reads: &self.user_reads,
        }))
    }

    fn write(&self, apply: &mut dyn FnMut(&mut dyn WriteTxn) -> Result<()>) -> Result<()> {
        self.inner.write(apply)
    }
}

const FIRST: [&str; 6] = ["Alice", "Bob", "Chloé", "Dmitri", "Eve", "Farah"];
const LAST: [&str; 5] = ["Smith", "Ng", "Okafor", "Ivanova", "García"];

fn user(i: usize) -> User {
    let at = Utc
        .timestamp_opt(1_700_000_000 + (i as i64 % 97) * 60, 0)
        .unwrap();
    User {
        id: UserId::parse(&format!("u{i:05}")).unwrap(),
        username: (i % 10 != 3).then(|| format!("User{}", (i * 7919) % 100_000)),
        primary_email: Some(format!("person{i}@Example.com")),
        primary_phone: i.is_multiple_of(4).then(|| format!("1555{i:07}")),
        name: (i % 6 != 5).then(|| format!("{} {}", FIRST[i % 6], LAST[i % 5])),
        avatar: None,
        profile: Profile::default(),
        custom_data: Map::new(),
        identities: BTreeMap::new(),
        password: None,
        is_suspended: false,
        last_sign_in_at: i.is_multiple_of(3).then_some(at),
        created_at: at,
        updated_at: at,
        version: 1,
    }
}

fn role(id: &str) -> Role {
    let at = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
    Role {
        id: RoleId::parse(id).unwrap(),
        name: id.to_owned(),
        description: None,
        permissions: Vec::new(),
        is_default: false,
        created_at: at,
        updated_at: at,
        version: 1,
    }
}

const USERS: usize = 5_000;

/// Users `u00000..`; every 500th holds `rare`, the others `common`.
fn seed_ops(count: usize) -> Vec<WriteOp> {
    let mut ops = vec![
        WriteOp::InsertRole(Box::new(role("rare"))),
        WriteOp::InsertRole(Box::new(role("common"))),
    ];
    for i in 0..count {
        let user = user(i);
        let role_id = if i.is_multiple_of(500) {
            "rare"
        } else {
            "common"
        };
        ops.push(WriteOp::AssignRoles {
            user_id: user.id.clone(),
            role_ids: vec![RoleId::parse(role_id).unwrap()],
        });
        ops.insert(2, WriteOp::InsertUser(Box::new(user)));
    }
    ops
}

struct Fixture {
    engine: Counting,
    storage: KvStorage<Counting>,
    users: Vec<User>,
    roles: HashMap<UserId, Vec<RoleId>>,
}

impl Fixture {
    async fn new(count: usize) -> Fixture {
        let engine = Counting::default();
        let storage = KvStorage::new(engine.clone()).unwrap();
        storage.commit(seed_ops(count)).await.unwrap();
        let users: Vec<User> = (0..count).map(user).collect();
        let ids: Vec<UserId> = users.iter().map(|u| u.id.clone()).collect();
        let roles = storage.role_ids_of_users(&ids).await.unwrap();
        Fixture {
            engine,
            storage,
            users,
            roles,
        }
    }

    fn expected(&self, search: &UserSearch) -> Page<User> {
        let rows = self.users.iter().map(|u| {
            let roles = self.roles.get(&u.id).map_or(&[][..], Vec::as_slice);
            (u, roles)
        });
        eval::search_users(rows, search)
    }

    /// Searches, checks the answer against the evaluator, and returns how
    /// many user records the search read.
    async fn reads_for(&self, search: &UserSearch) -> usize {
        let before = self.engine.reads();
        let page = self.storage.search_users(search).await.unwrap();
        let reads = self.engine.reads() - before;
        assert_eq!(page, self.expected(search), "{search:?}");
        reads
    }
}

fn search(filter: UserFilter, order: UserOrder) -> UserSearch {
    UserSearch {
        filter,
        order: vec![order],
        after: None,
        backward: false,
        limit: 20,
        count_limit: None,
    }
}

fn text(field: StringField, op: StringOp) -> UserFilter {
    UserFilter::String {
        field,
        op,
        case_sensitive: false,
    }
}

fn by(field: UserOrderField, direction: Direction) -> UserOrder {
    UserOrder { field, direction }
}

#[tokio::test]
async fn indexed_filters_read_only_their_matches() {
    let fx = Fixture::new(USERS).await;
    let newest = UserOrder::DEFAULT;

    let eq = text(
        StringField::PrimaryEmail,
        StringOp::Eq("PERSON1234@example.com".into()),
    );
    let mut counted = search(eq, newest);
    counted.count_limit = Some(u64::MAX);
    assert!(fx.reads_for(&counted).await <= 2);

    // "rson12" is in person12, person120..129 and person1200..1299.
    let contains = text(
        StringField::PrimaryEmail,
        StringOp::Contains("rSon12".into()),
    );
    let mut counted = search(contains, by(UserOrderField::Name, Direction::Asc));
    counted.count_limit = Some(u64::MAX);
    assert!(fx.reads_for(&counted).await <= 111);

    let name = text(StringField::Name, StringOp::Contains("chloé ok".into()));
    assert!(fx.reads_for(&search(name, newest)).await <= USERS / 30 + 1);

    // A fifth of the users are Smiths: the newest first page streams the
    // n-gram postings and stops once it is full.
    let smith = text(StringField::Name, StringOp::Contains("SMITH".into()));
    assert!(fx.reads_for(&search(smith.clone(), newest)).await <= 20);
    let mut deep = search(smith, newest);
    deep.after = Some(eval::sort_key(&fx.users[2_500], &deep.order));
    deep.backward = true;
    assert!(fx.reads_for(&deep).await <= 20);

    let prefix = text(StringField::Username, StringOp::StartsWith("user99".into()));
    assert!(fx.reads_for(&search(prefix, newest)).await <= 120);

    let rare = UserFilter::Roles(RoleMembership {
        any: Some(vec![RoleId::parse("rare").unwrap()]),
        all: None,
        none: None,
    });
    assert!(fx.reads_for(&search(rare.clone(), newest)).await <= USERS / 500);
    let mut counted = search(rare, newest);
    counted.count_limit = Some(u64::MAX);
    assert!(fx.reads_for(&counted).await <= USERS / 500);

    // Too many holders to load them all: the order walk loads only them.
    let common = UserFilter::Roles(RoleMembership {
        any: Some(vec![RoleId::parse("common").unwrap()]),
        all: None,
        none: None,
    });
    assert!(fx.reads_for(&search(common, newest)).await <= 20);

    let either = UserFilter::Or(vec![
        text(
            StringField::PrimaryPhone,
            StringOp::Eq("15550000400".into()),
        ),
        text(
            StringField::Id,
            StringOp::In(vec!["U00007".into(), "u00009".into()]),
        ),
    ]);
    assert!(fx.reads_for(&search(either, newest)).await <= 3);
}

#[tokio::test]
async fn deep_pages_of_an_indexed_order_cost_what_the_first_costs() {
    let fx = Fixture::new(USERS).await;
    for (field, direction) in [
        (UserOrderField::Username, Direction::Asc),
        (UserOrderField::Name, Direction::Desc),
        (UserOrderField::LastSignInAt, Direction::Asc),
        (UserOrderField::PrimaryEmail, Direction::Desc),
        (UserOrderField::CreatedAt, Direction::Asc),
    ] {
        let order = by(field, direction);
        for backward in [false, true] {
            let mut page = search(UserFilter::All, order);
            page.backward = backward;
            assert!(fx.reads_for(&page).await <= 20, "{order:?}");
            // Cursors deep in the order, in the nulls, and at the very end.
            let mut all = page.clone();
            all.limit = USERS;
            let walked = fx.expected(&all).items;
            for at in [USERS - 1, USERS - 10, USERS - 600, 4_000, 17] {
                page.after = Some(eval::sort_key(&walked[at], &page.order));
                assert!(fx.reads_for(&page).await <= 20, "{order:?} at {at}");
            }
        }
    }
}

#[tokio::test]
async fn unindexed_filters_and_counts_still_agree_with_the_evaluator() {
    let fx = Fixture::new(600).await;
    let filters = [
        text(StringField::Name, StringOp::Contains("ng".into())),
        text(StringField::Name, StringOp::EndsWith("smith".into())),
        UserFilter::Not(Box::new(text(
            StringField::Username,
            StringOp::StartsWith("user1".into()),
        ))),
        UserFilter::And(vec![
            text(StringField::Name, StringOp::Contains("ali".into())),
            text(StringField::Username, StringOp::IsNull(false)),
        ]),
        UserFilter::String {
            field: StringField::Name,
            op: StringOp::Contains("Chlo".into()),
            case_sensitive: true,
        },
    ];
    for filter in filters {
        for order in [
            by(UserOrderField::UpdatedAt, Direction::Desc),
            by(UserOrderField::Username, Direction::Asc),
        ] {
            let mut page = search(filter.clone(), order);
            page.count_limit = Some(u64::MAX);
            fx.reads_for(&page).await;
            let all = UserSearch {
                limit: 600,
                ..page.clone()
            };
            if let Some(middle) = fx.expected(&all).items.get(7) {
                page.after = Some(eval::sort_key(middle, &page.order));
                page.backward = true;
                fx.reads_for(&page).await;
            }
        }
    }
}

/// Rewrites a store as format 1 wrote it: no search indexes.
fn downgrade(engine: &Counting) {
    engine
        .write(&mut |txn| {
            for tree in [Tree::UserText, Tree::UserGrams, Tree::UsersByOrder] {
                for (key, _) in txn.scan_prefix(tree, b"")? {
                    txn.remove(tree, &key)?;
                }
            }
            txn.insert(Tree::Meta, b"format", &[1])
        })
        .unwrap();
}

/// Every key of `tree`, and for the n-gram index every posting (gram
/// prefix + `created-at + id`) its blocks hold.
fn keys_of(engine: &Counting, tree: Tree) -> Vec<Vec<u8>> {
    let txn = engine.read().unwrap();
    let entries = txn.scan(tree, KeyRange::all(), false).unwrap();
    let mut keys = Vec::new();
    for entry in entries {
        let (key, value) = entry.unwrap();
        if tree != Tree::UserGrams {
            keys.push(key);
            continue;
        }
        let prefix = &key[..index::gram_prefix_len(&key).unwrap()];
        for posting in block::decode(&key[prefix.len()..], &value).unwrap() {
            keys.push([prefix, &posting].concat());
        }
    }
    keys
}

fn index_entries(engine: &Counting) -> usize {
    [Tree::UserText, Tree::UserGrams, Tree::UsersByOrder]
        .into_iter()
        .map(|tree| keys_of(engine, tree).len())
        .sum()
}

fn format_of(engine: &Counting) -> Option<Vec<u8>> {
    engine.read().unwrap().get(Tree::Meta, b"format").unwrap()
}

#[tokio::test]
async fn a_store_without_search_indexes_is_upgraded_on_open() {
    let fx = Fixture::new(2_500).await;
    let built = index_entries(&fx.engine);
    downgrade(&fx.engine);
    assert_eq!(index_entries(&fx.engine), 0);

    let reopened = KvStorage::new(fx.engine.clone()).unwrap();
    assert_eq!(index_entries(&fx.engine), built);
    assert_eq!(format_of(&fx.engine), Some(vec![4]));

    let filter = text(StringField::Name, StringOp::Contains("dmitri iv".into()));
    let page = search(filter, by(UserOrderField::Username, Direction::Asc));
    let found = reopened.search_users(&page).await.unwrap();
    assert!(!found.items.is_empty());
    assert_eq!(found, fx.expected(&page));
}

/// Rewrites the n-gram postings as an earlier format keyed them, one key
/// per posting with an empty value: `gram prefix, created-at + id`
/// (format 3) or `gram prefix, id` (format 2).
fn unblock_grams(engine: &Counting, format: u8) {
    let postings = keys_of(engine, Tree::UserGrams);
    engine
        .write(&mut |txn| {
            for (key, _) in txn.scan_prefix(Tree::UserGrams, b"")? {
                txn.remove(Tree::UserGrams, &key)?;
            }
            for posting in &postings {
                let gram_end = index::gram_prefix_len(posting).unwrap();
                let key = match format {
                    2 => [&posting[..gram_end], &posting[gram_end + keys::TIME_LEN..]].concat(),
                    _ => posting.clone(),
                };
                txn.insert(Tree::UserGrams, &key, &[])?;
            }
            txn.insert(Tree::Meta, b"format", &[format])
        })
        .unwrap();
}

#[tokio::test]
async fn stores_with_a_key_per_gram_posting_are_upgraded_on_open() {
    let fx = Fixture::new(2_500).await;
    let postings = keys_of(&fx.engine, Tree::UserGrams);
    let texts = keys_of(&fx.engine, Tree::UserText);
    let blocks = fx
        .engine
        .read()
        .unwrap()
        .scan(Tree::UserGrams, KeyRange::all(), false)
        .unwrap()
        .count();
    // Fewer entries than postings by far: blocks of up to 128.
    assert!(blocks * 20 < postings.len(), "{blocks} blocks");
    for format in [2, 3] {
        unblock_grams(&fx.engine, format);
        let raw = fx.engine.read().unwrap();
        let entries = raw.scan(Tree::UserGrams, KeyRange::all(), false).unwrap();
        assert_eq!(entries.count(), postings.len());
        drop(raw);

        let reopened = KvStorage::new(fx.engine.clone()).unwrap();
        assert_eq!(keys_of(&fx.engine, Tree::UserGrams), postings, "{format}");
        assert_eq!(keys_of(&fx.engine, Tree::UserText), texts);
        assert_eq!(format_of(&fx.engine), Some(vec![4]));

        let filter = text(StringField::Name, StringOp::Contains("chloé ok".into()));
        let page = search(filter, UserOrder::DEFAULT);
        let found = reopened.search_users(&page).await.unwrap();
        assert_eq!(found.items.len(), 20);
        assert_eq!(found, fx.expected(&page));
        let smith = UserSearch {
            count_limit: Some(u64::MAX),
            ..search(UserFilter::simple_search("SMI"), UserOrder::DEFAULT)
        };
        assert_eq!(
            reopened.search_users(&smith).await.unwrap(),
            fx.expected(&smith)
        );
    }
}

/// Streams of n-gram postings (and created-at ranges), with cursors in both
/// directions, answer exactly like the evaluator; sets this large take the
/// streaming path rather than the small-candidate one.
#[tokio::test]
async fn streamed_searches_agree_with_the_evaluator_from_any_cursor() {
    use usergraph_core::filter::{TimeField, TimeOp};

    let fx = Fixture::new(USERS).await;
    let middle = Utc.timestamp_opt(1_700_000_000 + 40 * 60, 0).unwrap();
    let filters = [
        text(StringField::Name, StringOp::Contains("ali".into())),
        text(StringField::Name, StringOp::Contains("SMITH".into())),
        text(
            StringField::PrimaryEmail,
            StringOp::Contains("rson1".into()),
        ),
        text(StringField::Username, StringOp::Contains("er12".into())),
        UserFilter::String {
            field: StringField::Name,
            op: StringOp::Contains("Chlo".into()),
            case_sensitive: true,
        },
        UserFilter::And(vec![
            text(StringField::Name, StringOp::Contains("eve".into())),
            text(StringField::PrimaryEmail, StringOp::Contains("on1".into())),
        ]),
        UserFilter::Or(vec![
            text(StringField::Name, StringOp::Contains("okafor".into())),
            text(StringField::Name, StringOp::Contains("garcía".into())),
        ]),
        UserFilter::And(vec![
            text(StringField::Name, StringOp::Contains("bob".into())),
            UserFilter::Time {
                field: TimeField::CreatedAt,
                op: TimeOp::Gt(middle),
            },
            UserFilter::Not(Box::new(UserFilter::Roles(RoleMembership {
                any: Some(vec![RoleId::parse("rare").unwrap()]),
                all: None,
                none: None,
            }))),
        ]),
        UserFilter::Time {
            field: TimeField::CreatedAt,
            op: TimeOp::Lte(middle),
        },
    ];
    for filter in filters {
        for direction in [Direction::Desc, Direction::Asc] {
            let order = by(UserOrderField::CreatedAt, direction);
            let mut page = search(filter.clone(), order);
            let all = UserSearch {
                limit: USERS,
                ..page.clone()
            };
            let walked = fx.expected(&all).items;
            assert!(walked.len() > 20, "{filter:?} matches too few to page");
            let reads = fx.reads_for(&page).await;
            assert!(reads <= 200, "{filter:?}: {reads} users read");
            page.count_limit = Some(u64::MAX);
            fx.reads_for(&page).await;
            page.count_limit = None;
            for at in [0, 19, walked.len() / 2, walked.len() - 2, walked.len() - 1] {
                page.after = Some(eval::sort_key(&walked[at], &page.order));
                for backward in [false, true] {
                    page.backward = backward;
                    fx.reads_for(&page).await;
                }
            }
        }
    }
}

/// Searches with a count limit and returns how many user records the count
/// added to what the page alone reads.
async fn count_reads(fx: &Fixture, filter: UserFilter, count_limit: u64) -> usize {
    let page = search(filter, UserOrder::DEFAULT);
    let alone = fx.reads_for(&page).await;
    let counted = UserSearch {
        count_limit: Some(count_limit),
        ..page
    };
    fx.reads_for(&counted).await - alone
}

#[tokio::test]
async fn counts_the_postings_decide_read_no_user() {
    let fx = Fixture::new(USERS).await;
    let all_users = u64::MAX;
    // Every user; a search of one trigram ("smi": a fifth are Smiths), and
    // ANDs and ORs of such; a role's holders, one role or several.
    assert_eq!(count_reads(&fx, UserFilter::All, all_users).await, 0);
    assert_eq!(
        count_reads(&fx, UserFilter::simple_search("SMI"), all_users).await,
        0
    );
    let both = UserFilter::And(vec![
        text(StringField::Name, StringOp::Contains("smi".into())),
        text(StringField::Name, StringOp::Contains("eve".into())),
    ]);
    assert_eq!(count_reads(&fx, both, all_users).await, 0);
    let holders = |ids: &[&str]| {
        UserFilter::Roles(RoleMembership {
            any: Some(ids.iter().map(|id| RoleId::parse(id).unwrap()).collect()),
            all: None,
            none: None,
        })
    };
    assert_eq!(count_reads(&fx, holders(&["common"]), all_users).await, 0);
    assert_eq!(
        count_reads(&fx, holders(&["rare", "common"]), all_users).await,
        0
    );
}

#[tokio::test]
async fn other_counts_read_users_only_until_their_limit() {
    let fx = Fixture::new(USERS).await;
    // "smith" is five letters: postings narrow it, users decide it. A
    // fifth of the users match, so 100 matches lie within the first 500
    // streamed, and the count stops there.
    let smith = text(StringField::Name, StringOp::Contains("smith".into()));
    let reads = count_reads(&fx, smith.clone(), 100).await;
    assert!((100..=500).contains(&reads), "{reads}");
    // No index narrows a flag: a scan, also stopped at the limit.
    let active = UserFilter::IsSuspended(false);
    assert_eq!(count_reads(&fx, active, 100).await, 100);
}

#[tokio::test]
async fn a_sigma_leaves_the_count_to_the_evaluator() {
    // Lower-cased alone, "ΟΣ" ends in a final sigma, which "ΟΔΟΣΑ" lower-cased
    // does not hold; the index folds both sigmas alike.
    let mut users = [user(0), user(1)];
    users[0].name = Some("ΟΔΟΣΑ".into());
    users[1].name = Some("ΑΟΣ".into());
    let engine = Counting::default();
    let storage = KvStorage::new(engine).unwrap();
    let ops = users
        .iter()
        .map(|u| WriteOp::InsertUser(Box::new(u.clone())))
        .collect();
    storage.commit(ops).await.unwrap();
    // Taken as one trigram's postings, "αοσ" would count "ΑΟΣ" (which
    // lower-cases to "αος") and "ΑΟΣ" would count nothing.
    for needle in ["αοσ", "ΑΟΣ", "ΟΣ", "οσα"] {
        let search = UserSearch {
            count_limit: Some(u64::MAX),
            ..search(
                text(StringField::Name, StringOp::Contains(needle.into())),
                UserOrder::DEFAULT,
            )
        };
        let rows = users.iter().map(|u| (u, &[][..]));
        let expected = eval::search_users(rows, &search);
        let page = storage.search_users(&search).await.unwrap();
        assert_eq!(page, expected, "{needle}");
    }
}
