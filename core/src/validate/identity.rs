//! Social identities: provider name, the user's id there, and details.

use serde_json::{Map, Value};

use super::text::text;
use crate::error::{Error, Result};

pub const IDENTITY_DETAILS_MAX_BYTES: usize = 16 * 1024;
const PROVIDER_MAX: usize = 64;
const IDENTITY_USER_ID_MAX: usize = 256;

/// `^[A-Za-z0-9_.-]{1,64}$`, case-sensitive and stored as given.
pub fn provider(raw: &str) -> Result<String> {
    let valid = !raw.is_empty()
        && raw.len() <= PROVIDER_MAX
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if valid {
        Ok(raw.to_owned())
    } else {
        Err(Error::validation(
            "provider",
            "provider must be 1 to 64 characters of letters, digits, '_', '.' or '-'",
        ))
    }
}

pub fn identity_user_id(raw: &str) -> Result<String> {
    text("identity.userId", raw, IDENTITY_USER_ID_MAX)
}

/// A JSON object of at most 16 KiB; absent means `{}`.
pub fn identity_details(details: Option<Map<String, Value>>) -> Result<Map<String, Value>> {
    let details = details.unwrap_or_default();
    let size = serde_json::to_vec(&details).map_err(Error::internal)?.len();
    if size > IDENTITY_DETAILS_MAX_BYTES {
        return Err(Error::validation(
            "identity.details",
            format!("identity.details must be at most {IDENTITY_DETAILS_MAX_BYTES} bytes as JSON"),
        ));
    }
    super::json::storable_everywhere(&details, "identity.details")?;
    Ok(details)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn providers_are_plain_names() {
        assert_eq!(provider("Google.com-2_x").unwrap(), "Google.com-2_x");
        for bad in ["", "git hub", "gïthub", "a/b", &"a".repeat(65)] {
            assert_eq!(
                provider(bad).unwrap_err().field(),
                Some("provider"),
                "{bad}"
            );
        }
    }

    #[test]
    fn identity_user_ids_and_details_are_bounded() {
        assert!(identity_user_id(&"1".repeat(256)).is_ok());
        assert!(identity_user_id(&"1".repeat(257)).is_err());
        assert!(identity_user_id("").is_err());
        assert!(identity_details(None).unwrap().is_empty());
        let Value::Object(big) = json!({ "k": "a".repeat(IDENTITY_DETAILS_MAX_BYTES) }) else {
            unreachable!()
        };
        assert_eq!(
            identity_details(Some(big)).unwrap_err().field(),
            Some("identity.details")
        );
    }
}
