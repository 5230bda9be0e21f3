//! Fuzzing the filter and pattern parsers, bounded so that it runs with the
//! normal test suite in a few seconds.
//!
//! Random pattern strings (`regex`, `similarTo`, `like`), drawn from an
//! alphabet rich in the characters the parsers care about, must never make
//! core panic; every refusal must be a `VALIDATION` error on field
//! `filter`; and every accepted `regex`/`similarTo` pattern must match
//! exactly what an independent matcher over its parsed form says, in the
//! `regex` crate rendering the evaluator runs, and stay within the size
//! bound that keeps matching cheap. Random whole filters (deep, wide, long
//! strings, long lists, NULs) must be accepted or refused the same way,
//! and an accepted one must evaluate without panicking.
//!
//! Fixed seed and case counts, so CI is reproducible; proptest's variables
//! change them, e.g.
//! `PROPTEST_CASES=20000 PROPTEST_RNG_SEED=9 cargo nextest run -p usergraph-core fuzz`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};
use unicode_normalization::UnicodeNormalization;
use usergraph_core::eval::{self, compile_pattern};
use usergraph_core::filter::pattern::{Class, Dialect, MAX_EXPANDED_SIZE, Node, Pattern};
use usergraph_core::filter::{
    JsonOp, RoleMembership, StringField, StringOp, TimeField, TimeOp, UserFilter,
};
use usergraph_core::model::Profile;
use usergraph_core::validate::{identifier_key, user_filter};
use usergraph_core::{Error, RoleId, User, UserId};

const PATTERN_CASES: u32 = 2_000;
const FILTER_CASES: u32 = 600;
const SEED: u64 = 20_250_101;

fn config(cases: u32) -> Config {
    let mut config = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(SEED);
    }
    config.failure_persistence = None;
    config
}

/// The pieces patterns are made of: every metacharacter of the three
/// dialects, escapes valid and not, bounds in and out of range, cased and
/// case-changing letters (`İ` lowers to two characters, sigma has two
/// lowercase forms), and a newline.
const PIECES: &[&str] = &[
    "a",
    "a",
    "b",
    "B",
    "é",
    "İ",
    "Σ",
    "ς",
    "0",
    "9",
    " ",
    "\n",
    ".",
    "^",
    "$",
    "*",
    "+",
    "?",
    "|",
    "(",
    ")",
    "(?:",
    "(?=",
    "[",
    "]",
    "[^",
    "[a-z]",
    "[^0-9]",
    "-",
    "{",
    "}",
    ",",
    "{2}",
    "{0,1}",
    "{1,3}",
    "{2,}",
    "{100}",
    "{101}",
    "{3,2}",
    "%",
    "_",
    "\\",
    "\\.",
    "\\\\",
    "\\%",
    "\\_",
    "\\d",
    "\\W",
    "\\s",
    "\\b",
    "\\1",
    "\\n",
    "\\p{L}",
    "[[:alpha:]]",
    "\\-",
    "\\]",
    "\\^",
];

/// Patterns that are mostly well-formed, so that many are accepted and
/// matched: atoms, quantifiers, groups, alternatives and anchors.
fn well_formed() -> impl Strategy<Value = String> {
    let atom = select(
        &[
            "a", "b", "B", "é", "İ", "Σ", "ς", "0", " ", ".", "[a-z]", "[^0-9]", "[ab-]", "\\d",
            "\\W", "\\.", "\\%", "\\_", "\\\\", "%", "_",
        ][..],
    )
    .prop_map(str::to_owned);
    let quantifier = select(&["", "", "", "*", "+", "?", "{2}", "{0,3}", "{1,}"][..]);
    let quantified = (atom, quantifier).prop_map(|(atom, q)| format!("{atom}{q}"));
    quantified.prop_recursive(3, 24, 4, |inner| {
        let sequence = (
            vec(inner, 1..5),
            proptest::bool::weighted(0.2),
            proptest::bool::weighted(0.2),
        )
            .prop_map(|(parts, start, end)| {
                format!(
                    "{}{}{}",
                    if start { "^" } else { "" },
                    parts.concat(),
                    if end { "$" } else { "" }
                )
            });
        let quantifier = select(&["", "", "*", "+", "?", "{2}", "{0,2}"][..]);
        (vec(sequence, 1..3), any::<bool>(), quantifier).prop_map(|(alternatives, group, q)| {
            let joined = alternatives.join("|");
            if group {
                format!("({joined}){q}")
            } else {
                joined
            }
        })
    })
}

fn pattern_source() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => well_formed(),
        6 => vec(select(PIECES), 0..24).prop_map(|pieces| pieces.concat()),
        1 => "\\PC{0,12}",
        1 => vec(select(&["(a{9}", "){9}", "(", ")", "{99}", "|"][..]), 0..8)
            .prop_map(|pieces| pieces.concat()),
    ]
}

/// Values to match: the letters patterns use, with their other cases.
fn values() -> impl Strategy<Value = Vec<String>> {
    let chars = select(
        &[
            'a', 'A', 'b', 'B', 'é', 'É', 'i', 'İ', 'σ', 'ς', 'Σ', '0', '9', ' ', '\n', '.', '^',
            '$', '%', '_', '\\', '-', ']', '{',
        ][..],
    );
    vec(vec(chars, 0..7).prop_map(String::from_iter), 1..6)
}

/// What the runs covered: a fuzz test that only ever saw refusals, or
/// only ever non-matches, would prove little.
#[derive(Debug, Default)]
struct Coverage {
    accepted: AtomicUsize,
    refused: AtomicUsize,
    matched: AtomicUsize,
    missed: AtomicUsize,
}

impl Coverage {
    fn count(counter: &AtomicUsize) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn get(counter: &AtomicUsize) -> usize {
        counter.load(Ordering::Relaxed)
    }

    fn assert_at_least(&self, accepted: usize, refused: usize, matched: usize, missed: usize) {
        let seen = [
            Coverage::get(&self.accepted),
            Coverage::get(&self.refused),
            Coverage::get(&self.matched),
            Coverage::get(&self.missed),
        ];
        eprintln!("coverage: {self:?}");
        assert!(
            seen.iter()
                .zip([accepted, refused, matched, missed])
                .all(|(s, min)| *s >= min),
            "too little covered: {self:?}"
        );
    }
}

fn refusal_is_validation_on_filter(error: &Error, what: &str) -> Result<(), TestCaseError> {
    prop_assert_eq!(error.code(), "VALIDATION", "{}: {}", what, error);
    prop_assert_eq!(error.field(), Some("filter"), "{}: {}", what, error);
    Ok(())
}

// --- an independent matcher over the parsed form ---------------------

fn in_class(class: &Class, c: char) -> bool {
    let member = class
        .ranges()
        .iter()
        .any(|&(lo, hi)| (lo..=hi).contains(&c));
    member != class.negated()
}

/// The positions after `node` when it starts at any of `from`.
fn step(node: &Node, text: &[char], from: &BTreeSet<usize>) -> BTreeSet<usize> {
    let one = |test: &dyn Fn(char) -> bool| -> BTreeSet<usize> {
        from.iter()
            .filter(|&&p| text.get(p).is_some_and(|&c| test(c)))
            .map(|p| p + 1)
            .collect()
    };
    match node {
        Node::Literal(l) => one(&|c| c == *l),
        Node::Any => one(&|_| true),
        Node::Class(class) => one(&|c| in_class(class, c)),
        Node::Start => from.iter().copied().filter(|&p| p == 0).collect(),
        Node::End => from.iter().copied().filter(|&p| p == text.len()).collect(),
        Node::Group(alternatives) => alternatives
            .iter()
            .flat_map(|sequence| steps(sequence, text, from.clone()))
            .collect(),
        Node::Repeat { node, min, max } => {
            let mut current = from.clone();
            for _ in 0..*min {
                current = step(node, text, &current);
            }
            let mut reached = current.clone();
            let mut more = max.map(|max| max - min);
            while more != Some(0) {
                current = step(node, text, &current);
                let before = reached.len();
                reached.extend(current.iter().copied());
                // Stepping distributes over union: once a step adds
                // nothing, no later one can.
                if reached.len() == before {
                    break;
                }
                more = more.map(|m| m - 1);
            }
            reached
        }
    }
}

fn steps(sequence: &[Node], text: &[char], from: BTreeSet<usize>) -> BTreeSet<usize> {
    sequence
        .iter()
        .fold(from, |positions, node| step(node, text, &positions))
}

/// Whether the pattern matches anywhere in `value` (`similarTo` anchors
/// itself with `Start`/`End`).
fn oracle(pattern: &Pattern, value: &str) -> bool {
    let text: Vec<char> = value.chars().collect();
    let everywhere: BTreeSet<usize> = (0..=text.len()).collect();
    pattern
        .alternatives()
        .iter()
        .any(|sequence| !steps(sequence, &text, everywhere.clone()).is_empty())
}

/// SQL `LIKE` by its definition: `%` any run, `_` one character, `\` makes
/// the next character literal (a trailing one stands for itself).
fn like_oracle(value: &[char], pattern: &[char]) -> bool {
    match pattern.split_first() {
        None => value.is_empty(),
        Some(('%', rest)) => (0..=value.len()).any(|skip| like_oracle(&value[skip..], rest)),
        Some(('_', rest)) => !value.is_empty() && like_oracle(&value[1..], rest),
        Some(('\\', rest)) => {
            let (literal, rest) = rest.split_first().map_or(('\\', rest), |(c, r)| (*c, r));
            value.first() == Some(&literal) && like_oracle(&value[1..], rest)
        }
        Some((c, rest)) => value.first() == Some(c) && like_oracle(&value[1..], rest),
    }
}

/// The pattern's size with repetitions written out, counted here without
/// core's help: what bounds the work of either engine.
fn expanded(alternatives: &[Vec<Node>]) -> u64 {
    alternatives
        .iter()
        .flatten()
        .map(expanded_node)
        .fold(0, u64::saturating_add)
}

fn expanded_node(node: &Node) -> u64 {
    match node {
        Node::Group(alternatives) => expanded(alternatives).max(1),
        Node::Repeat { node, min, max } => {
            expanded_node(node).saturating_mul(u64::from(max.unwrap_or(min + 1).max(1)))
        }
        _ => 1,
    }
}

// --- users ------------------------------------------------------------

fn user_named(username: &str) -> User {
    let at = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    User {
        id: UserId::parse("u1").unwrap(),
        username: Some(username.to_owned()),
        primary_email: Some("Ann@Example.com".to_owned()),
        primary_phone: None,
        name: Some("Ann Σίσυφος".to_owned()),
        avatar: None,
        profile: Profile::default(),
        custom_data: Map::from_iter([("plan".to_owned(), json!({"tier": "pro", "seats": 3}))]),
        identities: BTreeMap::new(),
        password: None,
        is_suspended: false,
        last_sign_in_at: None,
        created_at: at,
        updated_at: at,
        version: 1,
    }
}

fn string_filter(op: StringOp, case_sensitive: bool) -> UserFilter {
    UserFilter::String {
        field: StringField::Username,
        op,
        case_sensitive,
    }
}

// --- patterns ---------------------------------------------------------

fn check_pattern(
    dialect: Dialect,
    source: &str,
    case_sensitive: bool,
    values: &[String],
    coverage: &Coverage,
) -> Result<(), TestCaseError> {
    let what = format!("{dialect:?} {source:?} case_sensitive={case_sensitive}");
    let pattern = match Pattern::for_matching(dialect, source, case_sensitive) {
        Ok(pattern) => pattern,
        Err(error) => {
            Coverage::count(&coverage.refused);
            return refusal_is_validation_on_filter(&error, &what);
        }
    };
    Coverage::count(&coverage.accepted);
    prop_assert!(
        expanded(pattern.alternatives()) <= MAX_EXPANDED_SIZE,
        "{what} is accepted beyond the size bound: {pattern:?}"
    );
    // What the engine is handed must be valid syntax; only its size may
    // be refused, and then as a VALIDATION error.
    let rendered = pattern.to_rust_regex();
    if let Err(regex::Error::Syntax(error)) = regex::Regex::new(&rendered) {
        return Err(TestCaseError::fail(format!(
            "{what} renders as invalid syntax {rendered:?}: {error}"
        )));
    }
    let compiled = match compile_pattern(dialect, source, case_sensitive) {
        Ok(compiled) => compiled,
        Err(error) => return refusal_is_validation_on_filter(&error, &what),
    };
    for value in values {
        let value = if case_sensitive {
            value.clone()
        } else {
            identifier_key(value)
        };
        let expected = oracle(&pattern, &value);
        Coverage::count(if expected {
            &coverage.matched
        } else {
            &coverage.missed
        });
        prop_assert_eq!(
            compiled.is_match(&value),
            expected,
            "{} on {:?}, rendered {:?}, parsed {:?}",
            what,
            value,
            rendered,
            pattern
        );
    }
    Ok(())
}

/// The same pattern through the filter path a request takes: validation
/// (NFC, length) then the reference evaluator.
fn check_filter_pattern(
    op: fn(String) -> StringOp,
    dialect: Option<Dialect>,
    source: &str,
    case_sensitive: bool,
    values: &[String],
) -> Result<(), TestCaseError> {
    let what = format!(
        "{:?} case_sensitive={case_sensitive}",
        op(source.to_owned())
    );
    let validated = match user_filter(string_filter(op(source.to_owned()), case_sensitive)) {
        Ok(validated) => validated,
        Err(error) => return refusal_is_validation_on_filter(&error, &what),
    };
    let normalized: String = source.nfc().collect();
    for value in values {
        let value: String = value.nfc().collect();
        let matched = eval::matches(&user_named(&value), &[], &validated);
        let (value, pattern) = if case_sensitive {
            (value, normalized.clone())
        } else {
            (identifier_key(&value), identifier_key(&normalized))
        };
        let expected = match dialect {
            None => {
                let value: Vec<char> = value.chars().collect();
                let pattern: Vec<char> = pattern.chars().collect();
                like_oracle(&value, &pattern)
            }
            Some(dialect) => {
                let parsed = Pattern::for_matching(dialect, &normalized, case_sensitive);
                let parsed = parsed.map_err(|e| TestCaseError::fail(format!("{what}: {e}")))?;
                oracle(&parsed, &value)
            }
        };
        prop_assert_eq!(matched, expected, "{} on {:?}", what, value);
    }
    Ok(())
}

#[test]
fn fuzz_patterns_never_panic_and_match_what_they_parse_to() {
    let mut runner = TestRunner::new(config(PATTERN_CASES));
    let (regex, similar) = (Coverage::default(), Coverage::default());
    let outcome = runner.run(
        &(pattern_source(), any::<bool>(), values()),
        |(source, case_sensitive, values)| {
            check_pattern(Dialect::Regex, &source, case_sensitive, &values, &regex)?;
            check_pattern(
                Dialect::SimilarTo,
                &source,
                case_sensitive,
                &values,
                &similar,
            )?;
            check_filter_pattern(
                StringOp::Regex,
                Some(Dialect::Regex),
                &source,
                case_sensitive,
                &values,
            )?;
            check_filter_pattern(
                StringOp::SimilarTo,
                Some(Dialect::SimilarTo),
                &source,
                case_sensitive,
                &values,
            )?;
            // The like oracle backtracks: keep its input short.
            if source.chars().count() <= 24 {
                check_filter_pattern(StringOp::Like, None, &source, case_sensitive, &values)?;
            }
            Ok(())
        },
    );
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
    // Minimums at about half of what the fixed seed covers.
    regex.assert_at_least(400, 400, 400, 400);
    similar.assert_at_least(300, 400, 80, 400);
}

// --- whole filters ----------------------------------------------------

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => pattern_source(),
        1 => Just("\0".to_owned()),
        1 => (250usize..262).prop_map(|n| "é".repeat(n)),
        1 => (250usize..262).prop_map(|n| "e\u{301}".repeat(n)),
    ]
}

fn string_op() -> impl Strategy<Value = StringOp> {
    prop_oneof![
        text().prop_map(StringOp::Eq),
        text().prop_map(StringOp::Ne),
        text().prop_map(StringOp::Contains),
        text().prop_map(StringOp::StartsWith),
        text().prop_map(StringOp::EndsWith),
        text().prop_map(StringOp::Like),
        text().prop_map(StringOp::Regex),
        text().prop_map(StringOp::SimilarTo),
        any::<bool>().prop_map(StringOp::IsNull),
        (0usize..104).prop_map(|n| StringOp::In(vec!["a".to_owned(); n])),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::from),
        text().prop_map(Value::from),
        (0usize..600).prop_map(|n| json!(vec!["abcdefgh"; n])),
        Just(json!({"tier": "pro", "seats": 3})),
    ]
}

fn leaf() -> impl Strategy<Value = UserFilter> {
    let field = select(
        &[
            StringField::Id,
            StringField::Username,
            StringField::PrimaryEmail,
            StringField::PrimaryPhone,
            StringField::Name,
            StringField::IdentityProvider,
        ][..],
    );
    let roles = || {
        proptest::option::of((0usize..104).prop_map(|n| {
            (0..n)
                .map(|i| RoleId::parse(&format!("r{i}")).unwrap())
                .collect::<Vec<_>>()
        }))
    };
    let at = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    prop_oneof![
        1 => Just(UserFilter::All),
        1 => any::<bool>().prop_map(UserFilter::IsSuspended),
        1 => any::<bool>().prop_map(UserFilter::HasPassword),
        8 => (field, string_op(), any::<bool>()).prop_map(|(field, op, case_sensitive)| {
            UserFilter::String { field, op, case_sensitive }
        }),
        1 => (roles(), roles(), roles())
            .prop_map(|(any, all, none)| UserFilter::Roles(RoleMembership { any, all, none })),
        1 => select(&[TimeField::CreatedAt, TimeField::UpdatedAt, TimeField::LastSignInAt][..])
            .prop_map(move |field| UserFilter::Time { field, op: TimeOp::Gte(at) }),
        2 => (
            vec(prop_oneof![Just("plan".to_owned()), Just("tier".to_owned()), text()], 0..18),
            prop_oneof![
                json_value().prop_map(JsonOp::Eq),
                json_value().prop_map(JsonOp::Ne),
                any::<bool>().prop_map(JsonOp::Exists),
                text().prop_map(JsonOp::Contains),
            ],
        )
            .prop_map(|(path, op)| UserFilter::CustomData { path, op }),
    ]
}

fn filter() -> impl Strategy<Value = UserFilter> {
    leaf().prop_recursive(12, 320, 5, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(UserFilter::And),
            vec(inner.clone(), 0..6).prop_map(UserFilter::Or),
            inner.prop_map(|f| UserFilter::Not(Box::new(f))),
        ]
    })
}

#[test]
fn fuzz_filters_are_accepted_or_refused_on_field_filter() {
    let mut runner = TestRunner::new(config(FILTER_CASES));
    let user = user_named("Ann_b.9");
    let coverage = Coverage::default();
    let outcome = runner.run(&filter(), |filter| {
        let validated = match user_filter(filter) {
            Ok(validated) => validated,
            Err(error) => {
                Coverage::count(&coverage.refused);
                return refusal_is_validation_on_filter(&error, "filter");
            }
        };
        Coverage::count(&coverage.accepted);
        // Validation is stable: what it accepted, it accepts unchanged.
        prop_assert_eq!(user_filter(validated.clone()).ok(), Some(validated.clone()));
        let matched = eval::matches(&user, &[], &validated);
        Coverage::count(if matched {
            &coverage.matched
        } else {
            &coverage.missed
        });
        let negated = UserFilter::Not(Box::new(validated));
        prop_assert_eq!(eval::matches(&user, &[], &negated), !matched);
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
    coverage.assert_at_least(120, 120, 50, 50);
}
