//! Role fields.

use super::text::{is_forbidden_char, text};
use crate::error::{Error, Result};

const NAME_MAX: usize = 128;
const DESCRIPTION_MAX: usize = 1024;
const PERMISSION_MAX: usize = 128;
const PERMISSIONS_MAX_COUNT: usize = 256;

/// 1 to 128 characters; uniqueness (case-insensitive) is checked against
/// storage by the service.
pub fn role_name(raw: &str) -> Result<String> {
    text("name", raw, NAME_MAX)
}

pub fn role_description(raw: &str) -> Result<String> {
    text("description", raw, DESCRIPTION_MAX)
}

/// Each permission 1 to 128 characters without whitespace or control
/// characters; returned sorted and without duplicates.
pub fn role_permissions(raw: Vec<String>) -> Result<Vec<String>> {
    if raw.len() > PERMISSIONS_MAX_COUNT {
        return Err(Error::validation(
            "permissions",
            format!("a role holds at most {PERMISSIONS_MAX_COUNT} permissions"),
        ));
    }
    let mut permissions = Vec::with_capacity(raw.len());
    for permission in raw {
        let count = permission.chars().count();
        let valid = (1..=PERMISSION_MAX).contains(&count)
            && !permission
                .chars()
                .any(|c| c.is_whitespace() || is_forbidden_char(c));
        if !valid {
            return Err(Error::validation(
                "permissions",
                format!(
                    "each permission must be 1 to {PERMISSION_MAX} characters without whitespace or control characters"
                ),
            ));
        }
        permissions.push(permission);
    }
    permissions.sort();
    permissions.dedup();
    Ok(permissions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_are_sorted_and_deduplicated() {
        let got = role_permissions(vec![
            "users:write".into(),
            "users:read".into(),
            "users:write".into(),
        ])
        .unwrap();
        assert_eq!(got, vec!["users:read", "users:write"]);
    }

    #[test]
    fn permissions_reject_blank_and_spaced_values() {
        for bad in [
            "",
            "users read",
            "users:\tread",
            "x\u{200B}y",
            &"p".repeat(129),
        ] {
            let err = role_permissions(vec![bad.to_owned()]).unwrap_err();
            assert_eq!(err.field(), Some("permissions"), "{bad:?}");
        }
    }

    #[test]
    fn names_and_descriptions_are_bounded_text() {
        assert!(role_name("Support agents").is_ok());
        assert_eq!(role_name("").unwrap_err().field(), Some("name"));
        assert!(role_name(&"r".repeat(129)).is_err());
        assert!(role_description(&"d".repeat(1024)).is_ok());
        assert_eq!(
            role_description(&"d".repeat(1025)).unwrap_err().field(),
            Some("description")
        );
    }
}
