use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ids::UserId;
use crate::time::Timestamp;

/// A user record as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: UserId,
    /// NFC-normalized, case preserved; unique case-insensitively.
    pub username: Option<String>,
    /// NFC-normalized, case preserved; unique case-insensitively.
    pub primary_email: Option<String>,
    /// Digits only (E.164 without `+`); unique.
    pub primary_phone: Option<String>,
    pub name: Option<String>,
    pub avatar: Option<String>,
    pub profile: Profile,
    pub custom_data: Map<String, Value>,
    /// Social identities keyed by provider (e.g. `google`).
    pub identities: BTreeMap<String, Identity>,
    pub password: Option<PasswordDigest>,
    pub is_suspended: bool,
    pub last_sign_in_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Bumped by every write; storage refuses an update whose expected
    /// version is stale, so concurrent read-modify-writes never lose data.
    pub version: u64,
}

/// The normalized keys that must be unique across users.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UniqueKeys {
    pub username: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl User {
    /// The keys storage must keep unique. Core decides their form once:
    /// username and email lower-cased (they are already NFC), phone digits.
    pub fn unique_keys(&self) -> UniqueKeys {
        UniqueKeys {
            username: self
                .username
                .as_deref()
                .map(crate::validate::identifier_key),
            email: self
                .primary_email
                .as_deref()
                .map(crate::validate::identifier_key),
            phone: self.primary_phone.clone(),
        }
    }

    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }
}

/// OIDC standard claims beyond the top-level ones (name, picture, email,
/// phone live on [`User`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zoneinfo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// A social identity linked to a user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// The user's id at the provider.
    pub user_id: String,
    /// Whatever the provider returned (a JSON object).
    pub details: Map<String, Value>,
    pub linked_at: Timestamp,
}

/// How a stored password digest was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PasswordAlgorithm {
    Argon2i,
    Argon2id,
    Argon2d,
    Bcrypt,
}

impl PasswordAlgorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            PasswordAlgorithm::Argon2i => "Argon2i",
            PasswordAlgorithm::Argon2id => "Argon2id",
            PasswordAlgorithm::Argon2d => "Argon2d",
            PasswordAlgorithm::Bcrypt => "Bcrypt",
        }
    }
}

/// A password as stored: never the password, only its digest.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordDigest {
    pub algorithm: PasswordAlgorithm,
    /// PHC string for Argon2, `$2b$...` for bcrypt.
    pub digest: String,
}

impl std::fmt::Debug for PasswordDigest {
    // Digests are secrets too: keep them out of debug output and logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordDigest")
            .field("algorithm", &self.algorithm)
            .field("digest", &"<redacted>")
            .finish()
    }
}
