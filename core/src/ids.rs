//! Identifiers. New ids are 12 random characters of `[0-9a-z]` (as Logto's),
//! from the thread's CSPRNG (seeded and periodically reseeded from the OS;
//! asking the OS for every character made a system call per character, a
//! visible share of a bulk import); ids from imports may be any 1 to 64 characters
//! of `[A-Za-z0-9_-]`, so that ids survive a move from another system.

use std::fmt;

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const GENERATED_LEN: usize = 12;
const MAX_LEN: usize = 64;

fn generate() -> String {
    let mut rng = rand::thread_rng();
    (0..GENERATED_LEN)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

fn is_valid(raw: &str) -> bool {
    !raw.is_empty()
        && raw.len() <= MAX_LEN
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

macro_rules! id_type {
    ($name:ident, $field:literal) => {
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn generate() -> Self {
                Self(generate())
            }

            /// Checks the id's syntax; an id that cannot exist is a
            /// `VALIDATION` error rather than a lookup.
            pub fn parse(raw: &str) -> Result<Self> {
                if is_valid(raw) {
                    Ok(Self(raw.to_owned()))
                } else {
                    Err(Error::validation(
                        $field,
                        concat!(
                            $field,
                            " must be 1 to 64 characters of letters, digits, '_' or '-'"
                        ),
                    ))
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

id_type!(UserId, "id");
id_type!(RoleId, "roleId");
id_type!(LogId, "logId");
id_type!(TokenId, "tokenId");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_twelve_lowercase_alphanumerics() {
        let id = UserId::generate();
        assert_eq!(id.as_str().len(), 12);
        assert!(id.as_str().bytes().all(|b| ALPHABET.contains(&b)));
        assert_ne!(UserId::generate(), id);
    }

    #[test]
    fn parse_rejects_what_no_id_can_be() {
        assert!(UserId::parse("abc_DEF-123").is_ok());
        for bad in ["", "a b", "é", "x;drop", &"a".repeat(65)] {
            let err = UserId::parse(bad).unwrap_err();
            assert_eq!(err.code(), "VALIDATION");
        }
    }
}
