//! Random filters over one dataset. String values are mostly cut from the
//! dataset's own values (whole, prefixes, suffixes, middles, in other case)
//! so that filters match some users and miss others; a few are edge cases
//! that match little or nothing.

use chrono::TimeDelta;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{Index, select, subsequence};
use serde_json::{Value, json};
use usergraph_core::filter::{
    JsonOp, RoleMembership, StringField, StringOp, TimeField, TimeOp, UserFilter,
};
use usergraph_core::{RoleId, Timestamp, validate};

use super::dataset::{Dataset, NAME_PIECES, PROVIDERS, ROLE_IDS, TAGS};
use super::patterns;

/// Strings that match little: empty, lone wildcards and escapes, and the
/// letters whose case mapping is not one-to-one.
const ODD_STRINGS: [&str; 14] = [
    "", "%", "_", "\\", "'", "\u{df}", "SS", "\u{130}", "i\u{307}", "\u{3c3}", "\u{3c2}",
    "\u{3a3}", "nobody", "@",
];

/// Values the dataset holds, by field, to cut probes from.
#[derive(Debug)]
pub(super) struct Pools {
    ids: Vec<String>,
    usernames: Vec<String>,
    emails: Vec<String>,
    phones: Vec<String>,
    names: Vec<String>,
    providers: Vec<String>,
    times: Vec<Timestamp>,
}

impl Pools {
    pub fn of(data: &Dataset) -> Pools {
        let collect = |get: fn(&usergraph_core::User) -> Option<&String>| -> Vec<String> {
            data.users.iter().filter_map(get).cloned().collect()
        };
        let mut times: Vec<Timestamp> = data
            .users
            .iter()
            .flat_map(|u| [Some(u.created_at), Some(u.updated_at), u.last_sign_in_at])
            .flatten()
            .collect();
        times.sort();
        times.dedup();
        Pools {
            ids: data.users.iter().map(|u| u.id.to_string()).collect(),
            usernames: collect(|u| u.username.as_ref()),
            emails: collect(|u| u.primary_email.as_ref()),
            phones: collect(|u| u.primary_phone.as_ref()),
            names: collect(|u| u.name.as_ref()),
            providers: PROVIDERS.iter().map(|p| (*p).to_owned()).collect(),
            times,
        }
    }

    fn values(&self, field: StringField) -> &[String] {
        match field {
            StringField::Id => &self.ids,
            StringField::Username => &self.usernames,
            StringField::PrimaryEmail => &self.emails,
            StringField::PrimaryPhone => &self.phones,
            StringField::Name => &self.names,
            StringField::IdentityProvider => &self.providers,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Cut {
    Whole,
    Prefix,
    Suffix,
    Middle,
}

#[derive(Clone, Copy, Debug)]
enum Case {
    Same,
    Upper,
    Lower,
    Swapped,
}

fn recase(text: &str, case: Case) -> String {
    match case {
        Case::Same => text.to_owned(),
        Case::Upper => text.to_uppercase(),
        Case::Lower => text.to_lowercase(),
        Case::Swapped => text
            .chars()
            .flat_map(|c| {
                if c.is_uppercase() {
                    c.to_lowercase().collect::<Vec<_>>()
                } else {
                    c.to_uppercase().collect::<Vec<_>>()
                }
            })
            .collect(),
    }
}

fn cut(text: &str, how: Cut, a: Index, b: Index) -> String {
    let chars: Vec<char> = text.chars().collect();
    let (x, y) = (a.index(chars.len() + 1), b.index(chars.len() + 1));
    let (lo, hi) = (x.min(y), x.max(y));
    let part = match how {
        Cut::Whole => &chars[..],
        Cut::Prefix => &chars[..hi],
        Cut::Suffix => &chars[lo..],
        Cut::Middle => &chars[lo..hi],
    };
    part.iter().collect()
}

/// Whole values, for equality tests.
const WHOLE: &[Cut] = &[Cut::Whole];
/// Mostly pieces, for substring tests and patterns.
const PIECES: &[Cut] = &[
    Cut::Whole,
    Cut::Prefix,
    Cut::Suffix,
    Cut::Middle,
    Cut::Middle,
];
const PREFIXES: &[Cut] = &[Cut::Whole, Cut::Prefix, Cut::Prefix, Cut::Middle];
const SUFFIXES: &[Cut] = &[Cut::Whole, Cut::Suffix, Cut::Suffix, Cut::Middle];

/// A cut of one of `values` (in some case), or now and then an odd string.
pub(super) fn probe(values: &[String], cuts: &'static [Cut]) -> BoxedStrategy<String> {
    let odd = select(&ODD_STRINGS[..]).prop_map(str::to_owned);
    if values.is_empty() {
        return odd.boxed();
    }
    let cuts = select(cuts);
    let cases = select(
        &[
            Case::Same,
            Case::Same,
            Case::Upper,
            Case::Lower,
            Case::Swapped,
        ][..],
    );
    let piece = (
        select(values.to_vec()),
        cuts,
        any::<Index>(),
        any::<Index>(),
        cases,
    )
        .prop_map(|(value, how, a, b, case)| recase(&cut(&value, how, a, b), case));
    prop_oneof![6 => piece, 1 => odd].boxed()
}

/// `op` if core accepts it, else the same text as a LIKE pattern: the
/// regex and SIMILAR TO grammars are core's to define, and a pattern outside
/// them is a validation error, not something storage is ever asked.
fn valid_or_like(op: StringOp, pattern: String) -> StringOp {
    let probe = UserFilter::String {
        field: StringField::Name,
        op,
        case_sensitive: false,
    };
    match validate::user_filter(probe) {
        Ok(UserFilter::String { op, .. }) => op,
        _ => StringOp::Like(pattern),
    }
}

fn string_op(probe: impl Fn(&'static [Cut]) -> BoxedStrategy<String>) -> BoxedStrategy<StringOp> {
    prop_oneof![
        2 => probe(WHOLE).prop_map(StringOp::Eq),
        1 => probe(WHOLE).prop_map(StringOp::Ne),
        1 => vec(probe(WHOLE), 0..4).prop_map(StringOp::In),
        2 => probe(PIECES).prop_map(StringOp::Contains),
        1 => probe(PREFIXES).prop_map(StringOp::StartsWith),
        1 => probe(SUFFIXES).prop_map(StringOp::EndsWith),
        2 => patterns::like(probe(PIECES)).prop_map(StringOp::Like),
        1 => patterns::regex(probe(PIECES)).prop_map(|p| valid_or_like(StringOp::Regex(p.clone()), p)),
        1 => patterns::similar_to(probe(PIECES)).prop_map(|p| valid_or_like(StringOp::SimilarTo(p.clone()), p)),
        1 => any::<bool>().prop_map(StringOp::IsNull),
    ]
    .boxed()
}

fn string_leaf(pools: &Pools, field: StringField) -> BoxedStrategy<UserFilter> {
    let own = pools.values(field).to_vec();
    let probe = move |cuts| match field {
        // Names are also probed with pieces other users have, in other case.
        StringField::Name => prop_oneof![
            3 => probe(&own, cuts),
            1 => probe(&NAME_PIECES.map(str::to_owned), cuts),
        ]
        .boxed(),
        _ => probe(&own, cuts),
    };
    (string_op(probe), any::<bool>())
        .prop_map(move |(op, case_sensitive)| UserFilter::String {
            field,
            op,
            case_sensitive,
        })
        .boxed()
}

fn roles_leaf() -> impl Strategy<Value = UserFilter> {
    // A role nobody can hold, since it does not exist.
    const IDS: [&str; 5] = [
        ROLE_IDS[0],
        ROLE_IDS[1],
        ROLE_IDS[2],
        ROLE_IDS[3],
        "role-ghost",
    ];
    let list = || {
        option::of(
            subsequence(&IDS[..], 0..=3)
                .prop_map(|ids| ids.iter().map(|id| RoleId::parse(id).unwrap()).collect()),
        )
    };
    (list(), list(), list())
        .prop_map(|(any, all, none)| UserFilter::Roles(RoleMembership { any, all, none }))
}

const TIME_FIELDS: [TimeField; 3] = [
    TimeField::CreatedAt,
    TimeField::UpdatedAt,
    TimeField::LastSignInAt,
];

/// Comparisons with a stored timestamp or one a microsecond either side.
fn time_leaf(pools: &Pools) -> impl Strategy<Value = UserFilter> + use<> {
    let compare = (
        select(&TIME_FIELDS[..]),
        select(pools.times.clone()),
        select(&[-1i64, 0, 0, 1][..]),
        0u8..4,
    )
        .prop_map(|(field, at, nudge, op)| {
            let at = at + TimeDelta::microseconds(nudge);
            let op = match op {
                0 => TimeOp::Gt(at),
                1 => TimeOp::Gte(at),
                2 => TimeOp::Lt(at),
                _ => TimeOp::Lte(at),
            };
            UserFilter::Time { field, op }
        });
    let null =
        (select(&TIME_FIELDS[..]), any::<bool>()).prop_map(|(field, wanted)| UserFilter::Time {
            field,
            op: TimeOp::IsNull(wanted),
        });
    prop_oneof![4 => compare, 1 => null]
}

const PATHS: [&[&str]; 14] = [
    &["tier"],
    &["tag"],
    &["active"],
    &["nil"],
    &["meta"],
    &["meta", "level"],
    &["meta", "note"],
    &["meta", "flags"],
    &["meta", "flags", "beta"],
    &["meta", "empty"],
    &["list"],
    &["list", "0"],
    &["tag", "x"],
    &["missing"],
];

fn json_values() -> Vec<Value> {
    let mut values = vec![
        json!(0),
        json!(1),
        json!(2),
        json!(1.0),
        json!(2.5),
        json!(-3),
        // 2^53 as a float: equal to the stored 2^53 + 1 only if compared
        // through f64.
        json!(9_007_199_254_740_992.0),
        json!(true),
        json!(false),
        Value::Null,
        json!({}),
        json!({ "beta": true }),
        json!({ "beta": false }),
        json!([1, "a", { "b": 2.0 }]),
        json!([1, "a"]),
        json!("1"),
    ];
    values.extend(TAGS.iter().map(|t| json!(t)));
    values
}

/// Values of the kind stored at `path` (see the dataset's custom data), so
/// that equality tests often hold.
fn stored_at(path: &[&str]) -> Vec<Value> {
    let tags = || TAGS.iter().map(|t| json!(t)).collect();
    match path {
        ["tier"] => vec![
            json!(0),
            json!(1),
            json!(2),
            json!(1.0),
            json!(2.5),
            json!(-3),
            json!(true),
            json!(9_007_199_254_740_993_u64),
            json!(9_007_199_254_740_992.0),
        ],
        ["tag"] | ["meta", "note"] => tags(),
        ["active"] | ["meta", "flags", "beta"] => vec![json!(true), json!(false)],
        ["nil"] => vec![Value::Null],
        ["meta", "level"] => vec![json!(0), json!(1), json!(2.0)],
        ["meta", "flags"] => vec![json!({ "beta": true }), json!({ "beta": false })],
        ["meta", "empty"] => vec![json!({})],
        ["list"] => vec![json!([1, "a", { "b": 2.0 }]), json!([1, "a"])],
        _ => Vec::new(),
    }
}

/// A `customData` test before its value is chosen for its path.
#[derive(Clone, Debug)]
enum JsonTest {
    Eq,
    Ne,
    Exists(bool),
    Contains(String),
}

fn custom_data_leaf() -> impl Strategy<Value = UserFilter> {
    let tags: Vec<String> = TAGS.iter().map(|t| (*t).to_owned()).collect();
    let test = prop_oneof![
        3 => Just(JsonTest::Eq),
        2 => Just(JsonTest::Ne),
        2 => any::<bool>().prop_map(JsonTest::Exists),
        2 => probe(&tags, PIECES).prop_map(JsonTest::Contains),
    ];
    (
        select(&PATHS[..]),
        test,
        // Mostly a value of the path's own kind, else any value at all.
        proptest::bool::weighted(0.75),
        any::<Index>(),
        select(json_values()),
    )
        .prop_map(|(path, test, own, index, other)| {
            let stored = stored_at(path);
            let value = if own && !stored.is_empty() {
                index.get(&stored).clone()
            } else {
                other
            };
            let op = match test {
                JsonTest::Eq => JsonOp::Eq(value),
                JsonTest::Ne => JsonOp::Ne(value),
                JsonTest::Exists(wanted) => JsonOp::Exists(wanted),
                JsonTest::Contains(needle) => JsonOp::Contains(needle),
            };
            UserFilter::CustomData {
                path: path.iter().map(|s| (*s).to_owned()).collect(),
                op,
            }
        })
}

const STRING_FIELDS: [StringField; 6] = [
    StringField::Id,
    StringField::Username,
    StringField::PrimaryEmail,
    StringField::PrimaryPhone,
    StringField::Name,
    StringField::IdentityProvider,
];

fn leaf(pools: &Pools) -> BoxedStrategy<UserFilter> {
    let strings: Vec<(u32, BoxedStrategy<UserFilter>)> = STRING_FIELDS
        .iter()
        .map(|field| (2, string_leaf(pools, *field)))
        .collect();
    prop_oneof![
        6 => proptest::strategy::Union::new_weighted(strings),
        2 => roles_leaf(),
        2 => time_leaf(pools),
        2 => custom_data_leaf(),
        1 => any::<bool>().prop_map(UserFilter::IsSuspended),
        1 => any::<bool>().prop_map(UserFilter::HasPassword),
    ]
    .boxed()
}

/// A filter of `and`/`or`/`not` nested up to three levels over every kind
/// of condition.
pub(super) fn filter(pools: &Pools) -> impl Strategy<Value = UserFilter> + use<> {
    leaf(pools).prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            3 => vec(inner.clone(), 1..=3).prop_map(UserFilter::And),
            3 => vec(inner.clone(), 1..=3).prop_map(UserFilter::Or),
            2 => inner.prop_map(|f| UserFilter::Not(Box::new(f))),
            // The empty AND (everyone) and the empty OR (no one).
            1 => select(vec![UserFilter::And(vec![]), UserFilter::Or(vec![])]),
        ]
    })
}
