//! `regex` and `similarTo` evaluation with the `regex` crate, compiled from
//! core's re-rendered [`Pattern`] (never from client text) and cached per
//! thread, so that a scan over many users compiles each pattern once.

use std::cell::RefCell;
use std::collections::HashMap;

use regex::{Regex, RegexBuilder};

use crate::error::Result;
use crate::filter::pattern::{Dialect, Pattern, invalid};

/// Bounds on one compiled pattern; the pattern size bound keeps valid
/// patterns far below them.
const COMPILED_SIZE_LIMIT: usize = 1 << 20;
const LAZY_DFA_SIZE_LIMIT: usize = 1 << 20;
/// Compiled patterns kept per thread and per (dialect, case) before the
/// cache starts over.
const CACHE_ENTRIES: usize = 32;

/// The matcher for a pattern as evaluated: a `VALIDATION` error (field
/// `filter`) if it is outside the subset or too large.
pub fn compile(dialect: Dialect, source: &str, case_sensitive: bool) -> Result<Regex> {
    let pattern = Pattern::for_matching(dialect, source, case_sensitive)?;
    RegexBuilder::new(&pattern.to_rust_regex())
        .size_limit(COMPILED_SIZE_LIMIT)
        .dfa_size_limit(LAZY_DFA_SIZE_LIMIT)
        .build()
        .map_err(|_| invalid("pattern is too complex"))
}

type Cache = HashMap<String, Option<Regex>>;

thread_local! {
    /// Indexed by [`slot`]; keyed by the pattern's source, so that a lookup
    /// borrows the filter's string instead of allocating a key.
    static COMPILED: RefCell<[Cache; 4]> = RefCell::new(Default::default());
}

fn slot(dialect: Dialect, case_sensitive: bool) -> usize {
    usize::from(dialect == Dialect::SimilarTo) * 2 + usize::from(case_sensitive)
}

/// Whether any of `values` (already lower-cased unless `case_sensitive`)
/// matches. A pattern validation would refuse matches nothing; storage
/// only ever receives validated filters.
pub(super) fn any_matches(
    values: &[String],
    dialect: Dialect,
    source: &str,
    case_sensitive: bool,
) -> bool {
    if values.is_empty() {
        return false;
    }
    COMPILED.with(|compiled| {
        let mut compiled = compiled.borrow_mut();
        let Some(cache) = compiled.get_mut(slot(dialect, case_sensitive)) else {
            return false;
        };
        if !cache.contains_key(source) {
            if cache.len() >= CACHE_ENTRIES {
                cache.clear();
            }
            let regex = compile(dialect, source, case_sensitive).ok();
            cache.insert(source.to_owned(), regex);
        }
        cache
            .get(source)
            .and_then(Option::as_ref)
            .is_some_and(|regex| values.iter().any(|v| regex.is_match(v)))
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::collections::BTreeMap;

    use chrono::{TimeZone, Utc};
    use serde_json::Map;

    use crate::eval::matches;
    use crate::filter::{StringField, StringOp, UserFilter};
    use crate::ids::UserId;
    use crate::model::{Identity, Profile, User};
    use crate::validate::user_filter;

    fn user(name: Option<&str>, providers: &[&str]) -> User {
        let at = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        User {
            id: UserId::parse("user1").unwrap(),
            username: Some("Ren\u{e9}e_2".into()),
            primary_email: None,
            primary_phone: None,
            name: name.map(str::to_owned),
            avatar: None,
            profile: Profile::default(),
            custom_data: Map::new(),
            identities: providers
                .iter()
                .map(|p| {
                    let identity = Identity {
                        user_id: "x".into(),
                        details: Map::new(),
                        linked_at: at,
                    };
                    ((*p).to_owned(), identity)
                })
                .collect::<BTreeMap<_, _>>(),
            password: None,
            is_suspended: false,
            last_sign_in_at: None,
            created_at: at,
            updated_at: at,
            version: 1,
        }
    }

    fn filter(field: StringField, op: StringOp, case_sensitive: bool) -> UserFilter {
        UserFilter::String {
            field,
            op,
            case_sensitive,
        }
    }

    fn regex(field: StringField, pattern: &str) -> UserFilter {
        filter(field, StringOp::Regex(pattern.into()), false)
    }

    fn similar(field: StringField, pattern: &str) -> UserFilter {
        filter(field, StringOp::SimilarTo(pattern.into()), false)
    }

    #[test]
    fn validation_refuses_patterns_outside_the_subset_in_field_filter() {
        for bad in [
            regex(StringField::Name, "(?i)x"),
            regex(StringField::Name, "a{1,2}?"),
            regex(StringField::Name, &"a".repeat(257)),
            regex(StringField::Name, "a\0"),
            similar(StringField::Name, "\\d%"),
            UserFilter::Not(Box::new(similar(StringField::Username, "(a"))),
        ] {
            let err = user_filter(bad.clone()).unwrap_err();
            assert_eq!(err.field(), Some("filter"), "{bad:?}");
        }
        let ok = regex(StringField::Name, "^Ren[ée]e$");
        assert_eq!(user_filter(ok.clone()).unwrap(), ok);
    }

    #[test]
    fn patterns_are_nfc_normalized_like_the_values() {
        let decomposed = regex(StringField::Username, "^rene\u{301}e");
        let validated = user_filter(decomposed).unwrap();
        assert_eq!(validated, regex(StringField::Username, "^ren\u{e9}e"));
        assert!(matches(&user(None, &[]), &[], &validated));
    }

    #[test]
    fn string_ops_test_each_value_and_never_a_null_one() {
        let named = user(Some("Alice Liddell"), &["GitHub", "okta"]);
        let bare = user(None, &[]);
        let m = |u: &User, f: &UserFilter| matches(u, &[], f);
        assert!(m(&named, &regex(StringField::Name, "^ALICE l")));
        assert!(!m(
            &named,
            &filter(StringField::Name, StringOp::Regex("^ALICE".into()), true)
        ));
        assert!(m(&named, &similar(StringField::Name, "% liddell")));
        assert!(!m(&named, &similar(StringField::Name, "liddell")));
        // Any linked provider may match; none linked matches nothing.
        assert!(m(&named, &regex(StringField::IdentityProvider, "^okta$")));
        assert!(m(&named, &similar(StringField::IdentityProvider, "git%")));
        assert!(!m(&bare, &regex(StringField::IdentityProvider, "")));
        // A null value matches no pattern, even one matching everything,
        // and `not` is its exact negation.
        assert!(!m(&bare, &regex(StringField::Name, "")));
        assert!(!m(&bare, &similar(StringField::Name, "%")));
        let not = UserFilter::Not(Box::new(regex(StringField::Name, "")));
        assert!(m(&bare, &not));
        assert!(!m(&named, &not));
        // Unvalidated nonsense never panics: it matches nothing.
        assert!(!m(&named, &regex(StringField::Name, "(")));
    }
}
