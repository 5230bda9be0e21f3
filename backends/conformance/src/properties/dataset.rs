//! Random user datasets, written straight to storage in one commit.
//!
//! Values come from small pools on purpose: shared prefixes, case variants,
//! equal timestamps and repeated custom data make filters and orders meet
//! ties and near-misses instead of random strings that never match. Every
//! value still goes through core's validation, so the records are ones the
//! service could have written.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use serde_json::{Map, Value, json};
use usergraph_core::time::from_micros;
use usergraph_core::validate::{identifier_key, name, primary_email, primary_phone, username};
use usergraph_core::{
    Identity, PasswordAlgorithm, PasswordDigest, Profile, RoleId, Timestamp, User, UserId, WriteOp,
};

/// The roles every dataset assigns from; created once per store.
pub(super) const ROLE_IDS: [&str; 4] = ["role-admin", "role-editor", "role-viewer", "role-rare"];

/// Linked identity providers; `GitHub` and `github` are different
/// providers (stored case-sensitively) that fold to the same text.
pub(super) const PROVIDERS: [&str; 5] = ["github", "GitHub", "google", "apple.id", "x-corp_1"];

const USERNAME_STEMS: [&str; 14] = [
    "ann", "anna", "annabel", "Ann", "ANNA", "AnnaBel", "bob", "Bob_", "_root", "o_1", "x", "zoe",
    "user_100", "admin",
];

const EMAIL_LOCALS: [&str; 12] = [
    "ann",
    "anna",
    "Anna.Bel",
    "ANN",
    "o'brien",
    "100%",
    "under_score",
    "bob+tag",
    "zo\u{eb}",
    "\u{c9}MILE",
    "\u{674e}",
    "x",
];

const EMAIL_DOMAINS: [&str; 4] = [
    "example.com",
    "Example.COM",
    "mail.example.org",
    "ann.example.net",
];

const PHONE_PREFIXES: [&str; 5] = ["1555010", "1555", "4420794", "8613800", "33612"];

/// Name pieces: case variants, letters whose lower case is longer or
/// context-dependent (ß, İ, final sigma, the Kelvin sign), a decomposed
/// accent that NFC composes, scripts without case, emoji, and the characters
/// LIKE and SQL treat specially.
pub(super) const NAME_PIECES: [&str; 28] = [
    "Ann",
    "anna",
    "ANNABEL",
    "Annabel Lee",
    "\u{c9}mile",
    "\u{e9}mile",
    "E\u{301}MILE",
    "Stra\u{df}e",
    "STRASSE",
    "strasse",
    "\u{130}stanbul",
    "istanbul",
    "ISTANBUL",
    "\u{39f}\u{394}\u{3a5}\u{3a3}\u{3a3}\u{395}\u{3a5}\u{3a3}",
    "\u{39f}\u{3b4}\u{3c5}\u{3c3}\u{3c3}\u{3b5}\u{3cd}\u{3c2}",
    "\u{3a3}\u{38a}\u{3a3}\u{3a5}\u{3a6}\u{39f}\u{3a3}",
    "\u{674e}\u{5c0f}\u{9f8d}",
    "\u{5c71}\u{7530}\u{592a}\u{90ce}",
    "\u{1f980} Crab",
    "\u{1f389}",
    "100% real",
    "under_score",
    "back\\slash",
    "O'Brien",
    "o'brien",
    "a%b_c\\d",
    "Kelvin \u{212a}",
    "\u{1c5}emal",
];

/// Strings stored in custom data (and searched for with `contains`).
pub(super) const TAGS: [&str; 13] = [
    "Gold",
    "gold",
    "GOLD-1",
    "silver",
    "100%",
    "o'reilly",
    "stra\u{df}e",
    "\u{3a3}",
    "",
    "\u{130}stanbul",
    "\u{39f}\u{394}\u{3a5}\u{3a3}\u{3a3}\u{395}\u{3a5}\u{3a3}",
    "Kelvin \u{212a}",
    "\u{1c5}emal",
];

/// 2024-05-01T00:00:00Z: every timestamp is this plus a few seconds, so that
/// users often share one.
const EPOCH_MICROS: i64 = 1_714_521_600_000_000;

/// A generated dataset: user records and the roles each holds.
#[derive(Clone)]
pub(super) struct Dataset {
    pub users: Vec<User>,
    /// Sorted role ids of every user (empty when it holds none).
    pub roles: HashMap<UserId, Vec<RoleId>>,
}

impl Dataset {
    /// One commit that writes every user and its roles.
    pub fn insert_ops(&self) -> Vec<WriteOp> {
        let mut ops: Vec<WriteOp> = self
            .users
            .iter()
            .map(|u| WriteOp::InsertUser(Box::new(u.clone())))
            .collect();
        for user in &self.users {
            let held = self.roles_of(&user.id);
            if !held.is_empty() {
                ops.push(WriteOp::AssignRoles {
                    user_id: user.id.clone(),
                    role_ids: held.to_vec(),
                });
            }
        }
        ops
    }

    /// One commit that removes every user again (and with them their roles).
    pub fn delete_ops(&self) -> Vec<WriteOp> {
        self.users
            .iter()
            .map(|u| WriteOp::DeleteUser { id: u.id.clone() })
            .collect()
    }

    pub fn roles_of(&self, id: &UserId) -> &[RoleId] {
        self.roles.get(id).map_or(&[], Vec::as_slice)
    }

    pub fn user(&self, id: &UserId) -> Option<&User> {
        self.users.iter().find(|u| u.id == *id)
    }

    /// One line per user, for failure reports.
    pub fn describe(&self, user: &User) -> String {
        let time = |t: Timestamp| t.format("%H:%M:%S%.6f").to_string();
        let providers: Vec<&str> = user.identities.keys().map(String::as_str).collect();
        let roles: Vec<&str> = self.roles_of(&user.id).iter().map(RoleId::as_str).collect();
        format!(
            "{} username={:?} email={:?} phone={:?} name={:?} suspended={} password={} \
             created={} updated={} lastSignIn={:?} providers={providers:?} roles={roles:?} \
             customData={}",
            user.id,
            user.username,
            user.primary_email,
            user.primary_phone,
            user.name,
            user.is_suspended,
            user.has_password(),
            time(user.created_at),
            time(user.updated_at),
            user.last_sign_in_at.map(time),
            Value::Object(user.custom_data.clone()),
        )
    }
}

impl fmt::Debug for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Dataset of {} users (times are 2024-05-01 UTC):",
            self.users.len()
        )?;
        for user in &self.users {
            writeln!(f, "  {}", self.describe(user))?;
        }
        Ok(())
    }
}

/// What one user is made of, before identifiers are made unique.
#[derive(Clone, Debug)]
struct UserSpec {
    id: String,
    username: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    name: Option<String>,
    suspended: bool,
    has_password: bool,
    created: i64,
    updated_after: i64,
    last_sign_in: Option<i64>,
    providers: Vec<&'static str>,
    custom_data: Map<String, Value>,
    roles: Vec<&'static str>,
}

/// Offsets from [`EPOCH_MICROS`]: whole seconds (ties) or a microsecond
/// apart (near-ties).
fn offset() -> impl Strategy<Value = i64> {
    (0i64..6, select(&[0i64, 0, 1, 999_999][..])).prop_map(|(s, us)| s * 1_000_000 + us)
}

fn id() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[0-9a-z]{12}",
        2 => "[A-Za-z0-9_-]{1,6}",
        // Ids that differ only by case or by characters that collations
        // skip or reorder.
        2 => select(&["a", "A", "a-b", "a_b", "aB", "ab", "_a", "-a", "Z9", "z9"][..])
            .prop_map(str::to_owned),
    ]
}

fn username_spec() -> impl Strategy<Value = String> {
    (select(&USERNAME_STEMS[..]), option::of(0u8..30)).prop_map(|(stem, n)| match n {
        Some(n) => format!("{stem}{n}"),
        None => stem.to_owned(),
    })
}

fn email_spec() -> impl Strategy<Value = String> {
    (select(&EMAIL_LOCALS[..]), select(&EMAIL_DOMAINS[..]))
        .prop_map(|(local, domain)| format!("{local}@{domain}"))
}

fn phone_spec() -> impl Strategy<Value = String> {
    (select(&PHONE_PREFIXES[..]), "[0-9]{0,4}").prop_map(|(p, rest)| format!("{p}{rest}"))
}

fn name_spec() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(&NAME_PIECES[..]).prop_map(str::to_owned),
        1 => (select(&NAME_PIECES[..]), select(&[" ", "", "-"][..]), select(&NAME_PIECES[..]))
            .prop_map(|(a, sep, b)| format!("{a}{sep}{b}")),
    ]
}

fn json_scalar() -> impl Strategy<Value = Value> {
    select(vec![
        json!(0),
        json!(1),
        json!(2),
        json!(1.0),
        json!(2.5),
        json!(-3),
        // 2^53 + 1: no f64 holds it.
        json!(9_007_199_254_740_993_u64),
        json!(true),
        json!(false),
        Value::Null,
    ])
}

fn meta() -> impl Strategy<Value = Value> {
    (
        option::of(0i64..3),
        option::of(select(&TAGS[..])),
        option::of(any::<bool>()),
        any::<bool>(),
    )
        .prop_map(|(level, note, beta, empty)| {
            let mut meta = Map::new();
            if let Some(level) = level {
                meta.insert("level".into(), json!(level));
            }
            if let Some(note) = note {
                meta.insert("note".into(), json!(note));
            }
            if let Some(beta) = beta {
                meta.insert("flags".into(), json!({ "beta": beta }));
            }
            if empty {
                meta.insert("empty".into(), json!({}));
            }
            Value::Object(meta)
        })
}

fn custom_data() -> impl Strategy<Value = Map<String, Value>> {
    (
        option::of(json_scalar()),
        option::of(select(&TAGS[..])),
        option::of(any::<bool>()),
        any::<bool>(),
        option::of(meta()),
        any::<bool>(),
    )
        .prop_map(|(tier, tag, active, nil, meta, list)| {
            let mut data = Map::new();
            let mut put = |key: &str, value: Option<Value>| {
                if let Some(value) = value {
                    data.insert(key.to_owned(), value);
                }
            };
            put("tier", tier);
            put("tag", tag.map(|t| json!(t)));
            put("active", active.map(|a| json!(a)));
            put("nil", nil.then_some(Value::Null));
            put("meta", meta);
            put("list", list.then(|| json!([1, "a", {"b": 2}])));
            data
        })
}

fn user_spec() -> impl Strategy<Value = UserSpec> {
    let identifiers = (
        id(),
        option::weighted(0.8, username_spec()),
        option::weighted(0.7, email_spec()),
        option::weighted(0.4, phone_spec()),
        option::weighted(0.8, name_spec()),
    );
    let flags = (
        any::<bool>(),
        any::<bool>(),
        offset(),
        select(&[0i64, 0, 1, 1_000_000, 2_500_000][..]),
        option::weighted(0.6, offset()),
    );
    let links = (
        subsequence(&PROVIDERS[..], 0..=3),
        custom_data(),
        subsequence(&ROLE_IDS[..], 0..=3),
    );
    (identifiers, flags, links).prop_map(
        |(
            (id, username, email, phone, name),
            (suspended, has_password, created, updated_after, last_sign_in),
            (providers, custom_data, roles),
        )| UserSpec {
            id,
            username,
            email,
            phone,
            name,
            suspended,
            has_password,
            created,
            updated_after,
            last_sign_in,
            providers,
            custom_data,
            roles,
        },
    )
}

/// 20 to 60 users whose passwords (when they have one) are `digest`.
pub(super) fn dataset(digest: PasswordDigest) -> impl Strategy<Value = Dataset> {
    vec(user_spec(), 20..=60).prop_map(move |specs| build(specs, &digest))
}

/// Keeps identifiers unique: a repeated one gets the user's position
/// appended, so it still shares its prefix with the one it repeated.
#[derive(Default)]
struct Taken {
    ids: BTreeSet<String>,
    usernames: BTreeSet<String>,
    emails: BTreeSet<String>,
    phones: BTreeSet<String>,
}

fn unique(
    taken: &mut BTreeSet<String>,
    value: String,
    renamed: impl FnOnce(&str) -> String,
) -> Option<String> {
    let value = if taken.contains(&identifier_key(&value)) {
        renamed(&value)
    } else {
        value
    };
    taken.insert(identifier_key(&value)).then_some(value)
}

fn build(specs: Vec<UserSpec>, digest: &PasswordDigest) -> Dataset {
    let at = |micros: i64| from_micros(EPOCH_MICROS + micros).unwrap();
    let mut taken = Taken::default();
    let mut users = Vec::with_capacity(specs.len());
    let mut roles = HashMap::new();
    for (i, spec) in specs.into_iter().enumerate() {
        // Ids are case-sensitive: `a` and `A` are two users.
        let raw_id = if taken.ids.contains(&spec.id) {
            format!("{}-{i}", spec.id)
        } else {
            spec.id
        };
        taken.ids.insert(raw_id.clone());
        let id = UserId::parse(&raw_id).unwrap();
        let username = spec
            .username
            .and_then(|u| username(&u).ok())
            .and_then(|u| unique(&mut taken.usernames, u, |u| format!("{u}{i}")));
        let primary_email = spec
            .email
            .and_then(|e| primary_email(&e).ok())
            .and_then(|e| {
                unique(&mut taken.emails, e, |e| match e.split_once('@') {
                    Some((local, domain)) => format!("{local}{i}@{domain}"),
                    None => format!("{e}{i}"),
                })
            });
        let primary_phone = spec
            .phone
            .and_then(|p| primary_phone(&p).ok())
            .and_then(|p| unique(&mut taken.phones, p, |p| format!("{p}{}", i % 10)));
        let created_at = at(spec.created);
        let identities: BTreeMap<String, Identity> = spec
            .providers
            .iter()
            .map(|provider| {
                let identity = Identity {
                    user_id: format!("{provider}-{raw_id}"),
                    details: Map::new(),
                    linked_at: created_at,
                };
                ((*provider).to_owned(), identity)
            })
            .collect();
        let mut held: Vec<RoleId> = spec
            .roles
            .iter()
            .map(|r| RoleId::parse(r).unwrap())
            .collect();
        held.sort();
        roles.insert(id.clone(), held);
        users.push(User {
            id,
            username,
            primary_email,
            primary_phone,
            name: spec.name.and_then(|n| name(&n).ok()),
            avatar: None,
            profile: Profile::default(),
            custom_data: spec.custom_data,
            identities,
            password: spec.has_password.then(|| digest.clone()),
            is_suspended: spec.suspended,
            last_sign_in_at: spec.last_sign_in.map(at),
            created_at,
            updated_at: at(spec.created + spec.updated_after),
            version: 1,
        });
    }
    Dataset { users, roles }
}

/// A real (cheap) bcrypt digest for the users that have a password.
pub(super) fn password_digest() -> PasswordDigest {
    PasswordDigest {
        algorithm: PasswordAlgorithm::Bcrypt,
        digest: crate::passwords::bcrypt_digest("dataset password", bcrypt::Version::TwoB),
    }
}
