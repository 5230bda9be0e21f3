//! Password length rules. Passwords are never trimmed or normalized: what
//! the user typed is what gets hashed.

use crate::error::{Error, Result};

pub const PASSWORD_MIN_CHARS: usize = 8;
pub const PASSWORD_MAX_CHARS: usize = 256;

/// A new password: 8 to 256 characters.
pub fn new_password(raw: &str) -> Result<()> {
    let chars = raw.chars().count();
    if (PASSWORD_MIN_CHARS..=PASSWORD_MAX_CHARS).contains(&chars) {
        Ok(())
    } else {
        Err(Error::validation(
            "password",
            format!("password must be {PASSWORD_MIN_CHARS} to {PASSWORD_MAX_CHARS} characters"),
        ))
    }
}

/// A password to check against a stored digest. Imported digests may come
/// from systems with a shorter minimum, so only the upper bound applies.
pub fn password_to_verify(raw: &str) -> Result<()> {
    if raw.chars().count() <= PASSWORD_MAX_CHARS {
        Ok(())
    } else {
        Err(Error::validation(
            "password",
            format!("password must be at most {PASSWORD_MAX_CHARS} characters"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_passwords_are_8_to_256_characters_counted_as_characters() {
        assert!(new_password("1234567").is_err());
        assert!(new_password("12345678").is_ok());
        assert!(new_password("ééééééé").is_err(), "7 characters, 14 bytes");
        assert!(new_password(&"é".repeat(256)).is_ok());
        assert_eq!(
            new_password(&"a".repeat(257)).unwrap_err().field(),
            Some("password")
        );
        assert!(new_password("  spaces  ").is_ok());
    }

    #[test]
    fn verification_accepts_short_legacy_passwords() {
        assert!(password_to_verify("abc").is_ok());
        assert!(password_to_verify(&"a".repeat(257)).is_err());
    }
}
