//! Validation and normalization of everything a client sends. Each function
//! returns the value to store or a `VALIDATION` error naming the field.

/// The case-insensitive form under which usernames, emails and role names are
/// unique and ordered. Input is already NFC.
pub fn identifier_key(value: &str) -> String {
    value.to_lowercase()
}
