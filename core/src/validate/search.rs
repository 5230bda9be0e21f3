//! The simple search box of `users(search:)` and `roles(search:)`.

use unicode_normalization::UnicodeNormalization;

use super::text::is_forbidden_char;
use crate::error::{Error, Result};

const SEARCH_MAX: usize = 128;

/// NFC text of at most 128 characters; empty means no search at all.
pub fn search_text(raw: Option<&str>) -> Result<Option<String>> {
    let Some(raw) = raw else { return Ok(None) };
    let value: String = raw.nfc().collect();
    if value.is_empty() {
        return Ok(None);
    }
    if value.chars().any(is_forbidden_char) {
        return Err(Error::validation(
            "search",
            "search must not contain control or invisible formatting characters",
        ));
    }
    if value.chars().count() > SEARCH_MAX {
        return Err(Error::validation(
            "search",
            format!("search must be at most {SEARCH_MAX} characters"),
        ));
    }
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_search_is_no_search() {
        assert_eq!(search_text(None).unwrap(), None);
        assert_eq!(search_text(Some("")).unwrap(), None);
        assert_eq!(search_text(Some("Ali")).unwrap().as_deref(), Some("Ali"));
    }

    #[test]
    fn long_or_invisible_search_is_rejected() {
        assert!(search_text(Some(&"a".repeat(128))).is_ok());
        assert_eq!(
            search_text(Some(&"a".repeat(129))).unwrap_err().field(),
            Some("search")
        );
        assert!(search_text(Some("a\u{0}")).is_err());
    }
}
