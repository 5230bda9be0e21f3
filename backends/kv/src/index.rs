//! The search indexes of a user: which keys of [`Tree::UserText`],
//! [`Tree::UserGrams`] and [`Tree::UsersByOrder`] a user owns.
//!
//! Text and order keys end with `0, user id` (ids never contain a 0 byte),
//! so the id is whatever follows the last 0 byte. Texts are escaped (a 0
//! byte becomes `0, 0xFF`) and terminated by `0, 0`, which keeps byte order
//! equal to the order of the raw texts and lets a prefix of a text be a
//! prefix of its key.
//!
//! An n-gram posting is its gram's prefix followed by the user's
//! `created-at + id` (the key of [`Tree::UsersByCreated`]), so each gram's
//! postings are in the default order: a search streams them newest first
//! and stops after a page, and new users append at the end of each gram's
//! range instead of scattering writes over the whole tree. The write path
//! inserts and removes single postings in [`Tree::UserGrams`]; the layer
//! that defers index writes ([`crate::deferred`]) turns them into writes of
//! the blocks they are stored in ([`crate::postings`]).

use std::collections::BTreeSet;

use usergraph_core::eval;
use usergraph_core::filter::StringField;
use usergraph_core::query::{Direction, SortValue, UserOrder, UserOrderField};
use usergraph_core::{Result, User};

use crate::engine::{Tree, WriteTxn};
use crate::keys;

const SEPARATOR: u8 = 0;
const TERMINATOR: [u8; 2] = [0, 0];
const ESCAPED_ZERO: [u8; 2] = [0, 0xFF];
/// Section of an order index holding users with a value; nulls follow.
const PRESENT: u8 = 0;
const NULL: u8 = 1;
/// The length of an n-gram of the contains index, in characters.
pub(crate) const GRAM: usize = 3;

/// The case folding of the text indexes: lower case, with the final sigma
/// folded to `σ`. `str::to_lowercase` is character by character except for
/// the final sigma, so this fold maps every substring (prefix, equal
/// string) of a value, compared with or without case, to a substring
/// (prefix, equal string) of the value's fold: the index can only narrow
/// too little, never drop a match.
pub(crate) fn fold(text: &str) -> String {
    text.to_lowercase().replace('ς', "σ")
}

/// The tag of a field in the text and n-gram indexes, if it is indexed.
pub(crate) fn field_tag(field: StringField) -> Option<u8> {
    match field {
        StringField::Id => Some(b'i'),
        StringField::Username => Some(b'u'),
        StringField::PrimaryEmail => Some(b'e'),
        StringField::PrimaryPhone => Some(b'p'),
        StringField::Name => Some(b'n'),
        StringField::IdentityProvider => None,
    }
}

fn escape_into(key: &mut Vec<u8>, text: &str) {
    for &byte in text.as_bytes() {
        if byte == 0 {
            key.extend_from_slice(&ESCAPED_ZERO);
        } else {
            key.push(byte);
        }
    }
}

/// The keys of users whose folded `field` starts with `folded` (`whole`:
/// equals it).
pub(crate) fn text_prefix(tag: u8, folded: &str, whole: bool) -> Vec<u8> {
    let mut key = vec![tag];
    escape_into(&mut key, folded);
    if whole {
        key.extend_from_slice(&TERMINATOR);
    }
    key
}

/// The postings prefix of one n-gram of `field`; a posting is this prefix
/// followed by [`keys::timed`] of the user, and so is the key of a block of
/// postings (its first).
pub(crate) fn gram_prefix(tag: u8, gram: &str) -> Vec<u8> {
    let mut key = vec![tag, u8::try_from(gram.len()).unwrap_or(u8::MAX)];
    key.extend_from_slice(gram.as_bytes());
    key.push(SEPARATOR);
    key
}

/// The length of the gram prefix a posting key starts with (see
/// [`gram_prefix`]), or `None` if the key holds none.
pub(crate) fn gram_prefix_len(key: &[u8]) -> Option<usize> {
    let end = 2 + usize::from(*key.get(1)?) + 1;
    (key.get(end - 1) == Some(&SEPARATOR)).then_some(end)
}

/// The distinct n-grams of a folded text (none if it is shorter than one).
pub(crate) fn grams(folded: &str) -> BTreeSet<String> {
    gram_slices(folded).map(str::to_owned).collect()
}

/// The n-grams of a folded text as slices of it, repeats included (none if
/// it is shorter than one): the write path's form, which allocates nothing.
fn gram_slices(folded: &str) -> impl Iterator<Item = &str> {
    let bounds: Vec<usize> = folded
        .char_indices()
        .map(|(at, _)| at)
        .chain([folded.len()])
        .collect();
    (0..bounds.len().saturating_sub(GRAM)).map(move |i| &folded[bounds[i]..bounds[i + GRAM]])
}

/// The user id at the end of a text or order key (not of an n-gram
/// posting, whose time may hold 0 bytes: see [`keys::timed_id`]).
pub(crate) fn id_of(key: &[u8]) -> Option<&str> {
    let start = key.iter().rposition(|&b| b == SEPARATOR)? + 1;
    std::str::from_utf8(&key[start..]).ok()
}

/// The orders with a [`Tree::UsersByOrder`] index (created-at has its own
/// tree, [`Tree::UsersByCreated`]).
pub(crate) fn order_tag(field: UserOrderField) -> Option<u8> {
    match field {
        UserOrderField::CreatedAt => None,
        UserOrderField::UpdatedAt => Some(b'U'),
        UserOrderField::LastSignInAt => Some(b'L'),
        UserOrderField::Username => Some(b'u'),
        UserOrderField::Name => Some(b'n'),
        UserOrderField::PrimaryEmail => Some(b'e'),
    }
}

const ORDERED: [UserOrderField; 5] = [
    UserOrderField::UpdatedAt,
    UserOrderField::LastSignInAt,
    UserOrderField::Username,
    UserOrderField::Name,
    UserOrderField::PrimaryEmail,
];

/// The section prefixes of an order index: values first, then nulls.
pub(crate) fn order_sections(tag: u8) -> [Vec<u8>; 2] {
    [vec![tag, PRESENT], vec![tag, NULL]]
}

/// The key of position (`value`, `id`) in the order index `tag`.
pub(crate) fn order_key(tag: u8, value: &SortValue, id: &str) -> Vec<u8> {
    let mut key = vec![tag];
    match value {
        SortValue::Time(Some(at)) => {
            key.push(PRESENT);
            key.extend_from_slice(&keys::time(*at));
        }
        SortValue::Text(Some(text)) => {
            key.push(PRESENT);
            escape_into(&mut key, text);
            key.push(SEPARATOR);
        }
        SortValue::Time(None) | SortValue::Text(None) => key.push(NULL),
    }
    key.push(SEPARATOR);
    key.extend_from_slice(id.as_bytes());
    key
}

/// Every search-index key `user` owns, sorted, each once.
pub(crate) fn entries(user: &User) -> Vec<(Tree, Vec<u8>)> {
    let id = user.id.as_str();
    let with_id = |mut key: Vec<u8>| {
        key.extend_from_slice(id.as_bytes());
        key
    };
    let timed = keys::timed(user.created_at, id);
    let mut out = Vec::with_capacity(96);
    let texts = [
        (StringField::Id, Some(id)),
        (StringField::Username, user.username.as_deref()),
        (StringField::PrimaryEmail, user.primary_email.as_deref()),
        (StringField::PrimaryPhone, user.primary_phone.as_deref()),
        (StringField::Name, user.name.as_deref()),
    ];
    for (field, value) in texts {
        let (Some(tag), Some(value)) = (field_tag(field), value) else {
            continue;
        };
        let folded = fold(value);
        out.push((Tree::UserText, with_id(text_prefix(tag, &folded, true))));
        for gram in gram_slices(&folded) {
            let mut key = Vec::with_capacity(3 + gram.len() + timed.len());
            key.extend_from_slice(&gram_prefix(tag, gram));
            key.extend_from_slice(&timed);
            out.push((Tree::UserGrams, key));
        }
    }
    for field in ORDERED {
        let Some(tag) = order_tag(field) else {
            continue;
        };
        let term = UserOrder {
            field,
            direction: Direction::Asc,
        };
        let position = eval::sort_key(user, &[term]);
        if let Some(value) = position.values.first() {
            out.push((Tree::UsersByOrder, order_key(tag, value, id)));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Moves the index entries of a user from `old` to `new` (either absent for
/// an insert or a delete), touching only the keys that change.
pub(crate) fn update(txn: &mut dyn WriteTxn, old: Option<&User>, new: Option<&User>) -> Result<()> {
    let before = old.map(entries).unwrap_or_default();
    let after = new.map(entries).unwrap_or_default();
    let absent =
        |entry: &(Tree, Vec<u8>), from: &[(Tree, Vec<u8>)]| from.binary_search(entry).is_err();
    for entry @ (tree, key) in &before {
        if absent(entry, &after) {
            txn.remove(*tree, key)?;
        }
    }
    for entry @ (tree, key) in &after {
        if absent(entry, &before) {
            txn.insert(*tree, key, &[])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_keeps_case_sensitive_substrings_as_substrings() {
        // A final sigma lower-cases differently alone and inside a word.
        let value = "ΟΔΟΣΑ";
        let needle = "ΟΣ";
        assert!(value.contains(needle));
        assert!(!value.to_lowercase().contains(&needle.to_lowercase()));
        assert!(fold(value).contains(&fold(needle)));
    }

    #[test]
    fn escaped_texts_sort_like_the_texts_and_give_the_id_back() {
        let key = |text: &str, id: &str| {
            let mut key = text_prefix(b'n', text, true);
            key.extend_from_slice(id.as_bytes());
            key
        };
        assert!(key("ab", "z") < key("ab\0", "a"));
        assert!(key("ab\0", "z") < key("abc", "a"));
        assert!(key("ab", "a") < key("ab", "b"));
        assert!(key("abc", "a").starts_with(&text_prefix(b'n', "ab", false)));
        assert_eq!(id_of(&key("a\0b", "user-1")), Some("user-1"));
        let ordered =
            |text: &str, id: &str| order_key(b'u', &SortValue::Text(Some(text.into())), id);
        assert!(ordered("ab", "z") < ordered("abc", "a"));
        assert!(ordered("zz", "z") < order_key(b'u', &SortValue::Text(None), "a"));
        assert_eq!(id_of(&ordered("x\0y", "u9")), Some("u9"));
    }

    #[test]
    fn grams_are_windows_of_characters() {
        assert!(grams("ab").is_empty());
        let found: Vec<String> = grams("ñaña").into_iter().collect();
        assert_eq!(found, ["aña", "ñañ"]);
        assert_eq!(gram_slices("ab").count(), 0);
        assert_eq!(gram_slices("").count(), 0);
        let slices: Vec<&str> = gram_slices("ñañaña").collect();
        assert_eq!(slices, ["ñañ", "aña", "ñañ", "aña"]);
        let distinct: Vec<String> = grams("ñañaña").into_iter().collect();
        assert_eq!(distinct, ["aña", "ñañ"]);
    }
}
