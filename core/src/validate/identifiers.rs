//! The user's top-level fields: the three unique identifiers, name and avatar.

use email_address::{EmailAddress, Options};

use super::text::text;
use crate::error::{Error, Result};

const USERNAME_MAX: usize = 128;
const EMAIL_MAX: usize = 128;
const NAME_MAX: usize = 128;
const AVATAR_MAX: usize = 2048;
const PHONE_MIN_DIGITS: usize = 5;
const PHONE_MAX_DIGITS: usize = 15;

/// `^[A-Za-z_][A-Za-z0-9_]*$`, at most 128 characters, case preserved.
pub fn username(raw: &str) -> Result<String> {
    let value = text("username", raw, USERNAME_MAX)?;
    let mut chars = value.chars();
    let starts_well = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !starts_well || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(Error::validation(
            "username",
            "username must start with a letter or '_' and contain only letters, digits and '_'",
        ));
    }
    Ok(value)
}

/// An address the `email_address` crate accepts, without display text or a
/// domain literal, whose domain has at least two labels; stored as given.
pub fn primary_email(raw: &str) -> Result<String> {
    let value = text("primaryEmail", raw, EMAIL_MAX)?;
    let options = Options::default()
        .with_minimum_sub_domains(2)
        .without_display_text()
        .without_domain_literal();
    match EmailAddress::parse_with_options(&value, options) {
        Ok(_) => Ok(value),
        Err(_) => Err(Error::validation(
            "primaryEmail",
            "primaryEmail is not a valid email address",
        )),
    }
}

/// The digits of a phone number: one leading `+` and the separators people
/// type (spaces, `-`, `.`, parentheses) are dropped; 5 to 15 digits remain.
pub fn primary_phone(raw: &str) -> Result<String> {
    let value = text("primaryPhone", raw, 64)?;
    let trimmed = value.trim_start_matches(' ');
    let without_plus = trimmed.strip_prefix('+').unwrap_or(trimmed);
    let digits: String = without_plus
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let valid = digits.chars().all(|c| c.is_ascii_digit())
        && (PHONE_MIN_DIGITS..=PHONE_MAX_DIGITS).contains(&digits.len());
    if valid {
        Ok(digits)
    } else {
        Err(Error::validation(
            "primaryPhone",
            "primaryPhone must be 5 to 15 digits, optionally with a leading '+' and spaces, '-', '.' or parentheses",
        ))
    }
}

pub fn name(raw: &str) -> Result<String> {
    text("name", raw, NAME_MAX)
}

/// An absolute http(s) URL with a host, stored as given.
pub fn avatar(raw: &str) -> Result<String> {
    let value = text("avatar", raw, AVATAR_MAX)?;
    let is_web_url = url::Url::parse(&value)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if is_web_url {
        Ok(value)
    } else {
        Err(Error::validation(
            "avatar",
            "avatar must be an absolute http or https URL",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_pattern() {
        for good in ["alice", "_bot", "Bob_42", "A"] {
            assert_eq!(username(good).unwrap(), good);
        }
        for bad in ["1abc", "al ice", "al-ice", "élodie", "a.b", ""] {
            assert_eq!(
                username(bad).unwrap_err().field(),
                Some("username"),
                "{bad}"
            );
        }
        assert!(username(&"a".repeat(128)).is_ok());
        assert!(username(&"a".repeat(129)).is_err());
    }

    #[test]
    fn emails_need_a_dotted_domain_and_keep_their_case() {
        assert_eq!(
            primary_email("Alice@Example.COM").unwrap(),
            "Alice@Example.COM"
        );
        for bad in [
            "alice",
            "alice@localhost",
            "Alice <alice@example.com>",
            "alice@[127.0.0.1]",
            "a b@example.com",
            "@example.com",
        ] {
            assert_eq!(
                primary_email(bad).unwrap_err().field(),
                Some("primaryEmail"),
                "{bad}"
            );
        }
        let long_local = format!("{}@example.com", "a".repeat(117));
        assert!(primary_email(&long_local).is_err(), "129 characters");
    }

    #[test]
    fn phones_are_kept_as_digits() {
        assert_eq!(primary_phone("+1 (555) 010-9999").unwrap(), "15550109999");
        assert_eq!(primary_phone("44.20.7946.0958").unwrap(), "442079460958");
        assert_eq!(primary_phone("12345").unwrap(), "12345");
        for bad in [
            "1234",
            "1234567890123456",
            "++15550109999",
            "555-CALL-NOW",
            "1+5550109",
        ] {
            assert_eq!(
                primary_phone(bad).unwrap_err().field(),
                Some("primaryPhone"),
                "{bad}"
            );
        }
    }

    #[test]
    fn avatars_are_web_urls() {
        assert!(avatar("https://cdn.example.com/a.png").is_ok());
        assert!(avatar("http://example.com").is_ok());
        for bad in [
            "ftp://example.com/a.png",
            "/a.png",
            "javascript:alert(1)",
            "data:image/png;base64,AA",
        ] {
            assert_eq!(avatar(bad).unwrap_err().field(), Some("avatar"), "{bad}");
        }
        let long = format!("https://example.com/{}", "a".repeat(2048));
        assert!(avatar(&long).is_err());
    }

    #[test]
    fn names_are_limited_to_128_characters() {
        assert!(name(&"名".repeat(128)).is_ok());
        assert_eq!(name(&"名".repeat(129)).unwrap_err().field(), Some("name"));
    }
}
