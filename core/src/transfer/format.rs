//! The export format: JSON Lines. The first line is a [`Header`]; every
//! other line is one [`Record`], a user or a role, told apart by `"type"`.
//! Users come first (oldest first), then roles (by name). Fields that are
//! empty (null, `{}`) are left out; timestamps are RFC 3339 UTC with
//! exactly six fractional digits, so that equal data gives equal bytes.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::model::{Address, Identity, PasswordAlgorithm, PasswordDigest, Profile, Role, User};
use crate::service::{
    AddressInput, CreateUser, ImportedIdentity, ImportedRole, ImportedUser, Patch, ProfileInput,
};
use crate::time::{self, Timestamp};

/// What the header's `format` says.
pub const FORMAT_NAME: &str = "usergraph-export";
/// The version this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// The first line of every export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub format: String,
    pub version: u32,
}

impl Header {
    pub fn current() -> Self {
        Header {
            format: FORMAT_NAME.to_owned(),
            version: FORMAT_VERSION,
        }
    }
}

/// A line after the header.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Record {
    User(Box<UserRecord>),
    Role(RoleRecord),
}

/// A timestamp as the format writes it: `2024-05-01T12:00:00.000000Z`.
/// Any RFC 3339 time is read (and truncated to microseconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp(pub Timestamp);

impl Serialize for Stamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_rfc3339_opts(SecondsFormat::Micros, true))
    }
}

impl<'de> Deserialize<'de> for Stamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        parse_stamp(&raw).map_err(serde::de::Error::custom)
    }
}

/// Parses an RFC 3339 time (for the CSV columns too).
pub fn parse_stamp(raw: &str) -> Result<Stamp, String> {
    DateTime::parse_from_rfc3339(raw)
        .map(|at| Stamp(time::truncate(at.with_timezone(&Utc))))
        .map_err(|e| format!("{raw:?} is not an RFC 3339 time: {e}"))
}

/// The algorithm names of the GraphQL API's `PasswordAlgorithm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Algorithm {
    Argon2i,
    Argon2id,
    Argon2d,
    Bcrypt,
}

impl Algorithm {
    const ALL: [Algorithm; 4] = [
        Algorithm::Argon2i,
        Algorithm::Argon2id,
        Algorithm::Argon2d,
        Algorithm::Bcrypt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Argon2i => "ARGON2I",
            Algorithm::Argon2id => "ARGON2ID",
            Algorithm::Argon2d => "ARGON2D",
            Algorithm::Bcrypt => "BCRYPT",
        }
    }

    /// Case-insensitive, for hand-made files.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(raw.trim()))
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<PasswordAlgorithm> for Algorithm {
    fn from(value: PasswordAlgorithm) -> Self {
        match value {
            PasswordAlgorithm::Argon2i => Algorithm::Argon2i,
            PasswordAlgorithm::Argon2id => Algorithm::Argon2id,
            PasswordAlgorithm::Argon2d => Algorithm::Argon2d,
            PasswordAlgorithm::Bcrypt => Algorithm::Bcrypt,
        }
    }
}

impl From<Algorithm> for PasswordAlgorithm {
    fn from(value: Algorithm) -> Self {
        match value {
            Algorithm::Argon2i => PasswordAlgorithm::Argon2i,
            Algorithm::Argon2id => PasswordAlgorithm::Argon2id,
            Algorithm::Argon2d => PasswordAlgorithm::Argon2d,
            Algorithm::Bcrypt => PasswordAlgorithm::Bcrypt,
        }
    }
}

/// A user line. Field order here is the order on the line.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    #[serde(default, skip_serializing_if = "is_default_profile")]
    pub profile: Profile,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub custom_data: Map<String, Value>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub identities: BTreeMap<String, IdentityRecord>,
    /// Role names, sorted. Absent means none.
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_digest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_algorithm: Option<Algorithm>,
    #[serde(default)]
    pub is_suspended: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sign_in_at: Option<Stamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Stamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Stamp>,
}

fn is_default_profile(profile: &Profile) -> bool {
    *profile == Profile::default()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IdentityRecord {
    pub user_id: String,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub details: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked_at: Option<Stamp>,
}

/// A role line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(default)]
    pub is_default: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Stamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Stamp>,
}

impl UserRecord {
    /// The line of a stored user holding the roles `roles` (names).
    pub fn from_user(user: User, mut roles: Vec<String>) -> Self {
        roles.sort();
        let (password_digest, password_algorithm) = match user.password {
            Some(PasswordDigest { algorithm, digest }) => (Some(digest), Some(algorithm.into())),
            None => (None, None),
        };
        UserRecord {
            id: Some(user.id.into_string()),
            username: user.username,
            primary_email: user.primary_email,
            primary_phone: user.primary_phone,
            name: user.name,
            avatar: user.avatar,
            profile: user.profile,
            custom_data: user.custom_data,
            identities: user
                .identities
                .into_iter()
                .map(|(provider, identity)| (provider, IdentityRecord::from(identity)))
                .collect(),
            roles,
            password_digest,
            password_algorithm,
            is_suspended: user.is_suspended,
            last_sign_in_at: user.last_sign_in_at.map(Stamp),
            created_at: Some(Stamp(user.created_at)),
            updated_at: Some(Stamp(user.updated_at)),
        }
    }

    /// What the import service takes. The line describes the whole user:
    /// an update makes the stored user exactly this.
    pub fn into_imported(self) -> ImportedUser {
        let profile = (self.profile != Profile::default()).then(|| profile_input(self.profile));
        ImportedUser {
            user: CreateUser {
                id: self.id,
                username: self.username,
                primary_email: self.primary_email,
                primary_phone: self.primary_phone,
                name: self.name,
                avatar: self.avatar,
                profile,
                custom_data: Some(Value::Object(self.custom_data)),
                password: None,
                password_digest: self.password_digest,
                password_algorithm: self.password_algorithm.map(Into::into),
            },
            identities: Some(
                self.identities
                    .into_iter()
                    .map(|(provider, identity)| {
                        (
                            provider,
                            ImportedIdentity {
                                user_id: identity.user_id,
                                details: Some(identity.details),
                                linked_at: identity.linked_at.map(|s| s.0),
                            },
                        )
                    })
                    .collect(),
            ),
            roles: Some(self.roles),
            is_suspended: Some(self.is_suspended),
            last_sign_in_at: self.last_sign_in_at.map(|s| s.0),
            created_at: self.created_at.map(|s| s.0),
            updated_at: self.updated_at.map(|s| s.0),
            partial: false,
        }
    }
}

impl From<Identity> for IdentityRecord {
    fn from(identity: Identity) -> Self {
        IdentityRecord {
            user_id: identity.user_id,
            details: identity.details,
            linked_at: Some(Stamp(identity.linked_at)),
        }
    }
}

impl RoleRecord {
    pub fn from_role(role: Role) -> Self {
        RoleRecord {
            id: Some(role.id.into_string()),
            name: role.name,
            description: role.description,
            permissions: role.permissions,
            is_default: role.is_default,
            created_at: Some(Stamp(role.created_at)),
            updated_at: Some(Stamp(role.updated_at)),
        }
    }

    pub fn into_imported(self) -> ImportedRole {
        ImportedRole {
            id: self.id,
            name: self.name,
            description: self.description,
            permissions: self.permissions,
            is_default: self.is_default,
            created_at: self.created_at.map(|s| s.0),
            updated_at: self.updated_at.map(|s| s.0),
        }
    }
}

fn patch(value: Option<String>) -> Patch<String> {
    value.map_or(Patch::Absent, Patch::Value)
}

/// A stored profile as the input that recreates it.
fn profile_input(profile: Profile) -> ProfileInput {
    ProfileInput {
        family_name: patch(profile.family_name),
        given_name: patch(profile.given_name),
        middle_name: patch(profile.middle_name),
        nickname: patch(profile.nickname),
        preferred_username: patch(profile.preferred_username),
        profile: patch(profile.profile),
        website: patch(profile.website),
        gender: patch(profile.gender),
        birthdate: patch(profile.birthdate),
        zoneinfo: patch(profile.zoneinfo),
        locale: patch(profile.locale),
        address: profile.address.map_or(Patch::Absent, |address| {
            Patch::Value(address_input(address))
        }),
    }
}

fn address_input(address: Address) -> AddressInput {
    AddressInput {
        formatted: patch(address.formatted),
        street_address: patch(address.street_address),
        locality: patch(address.locality),
        region: patch(address.region),
        postal_code: patch(address.postal_code),
        country: patch(address.country),
    }
}
