//! The rules every piece of client text follows before anything else looks
//! at it: NFC, no control or invisible formatting characters, not empty.

use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, Result};

/// NFC-normalizes `raw` and checks it is non-empty, at most `max_chars`
/// characters and free of control and formatting characters.
pub fn text(field: &str, raw: &str, max_chars: usize) -> Result<String> {
    let value: String = raw.nfc().collect();
    if value.is_empty() {
        return Err(Error::validation(
            field,
            format!("{field} must not be empty; use null to clear it"),
        ));
    }
    if value.chars().any(is_forbidden_char) {
        return Err(Error::validation(
            field,
            format!("{field} must not contain control or invisible formatting characters"),
        ));
    }
    if value.chars().count() > max_chars {
        return Err(Error::validation(
            field,
            format!("{field} must be at most {max_chars} characters"),
        ));
    }
    Ok(value)
}

/// Control characters (Unicode Cc) and format characters (Unicode Cf, which
/// includes the zero-width ones and bidi overrides): invisible on screen, so
/// two values that look the same could differ by them.
pub fn is_forbidden_char(c: char) -> bool {
    c.is_control() || is_format(c)
}

/// Unicode general category Cf (Unicode 16). The list is short and changes
/// rarely, which is why it is spelled out rather than pulled from a crate.
fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decomposed_input_is_stored_composed() {
        // "e" + combining acute accent becomes the single character "é".
        let value = text("name", "Rene\u{0301}e", 128).unwrap();
        assert_eq!(value, "Ren\u{00E9}e");
        assert_eq!(value.chars().count(), 5);
    }

    #[test]
    fn invisible_and_control_characters_are_rejected() {
        for bad in [
            "ab\u{200B}c",
            "ab\u{200D}c",
            "\u{FEFF}abc",
            "soft\u{00AD}hyphen",
            "bidi\u{202E}txt",
            "tab\there",
            "new\nline",
            "nul\0",
            "del\u{7F}",
            "tag\u{E0041}",
        ] {
            let err = text("name", bad, 128).unwrap_err();
            assert_eq!(err.code(), "VALIDATION", "{bad:?}");
            assert_eq!(err.field(), Some("name"));
        }
    }

    #[test]
    fn empty_is_rejected_and_length_counts_characters() {
        assert_eq!(text("name", "", 10).unwrap_err().field(), Some("name"));
        assert!(text("name", &"é".repeat(10), 10).is_ok());
        assert!(text("name", &"é".repeat(11), 10).is_err());
        assert_eq!(text("name", " spaced ", 10).unwrap(), " spaced ");
    }
}
