//! What callers hand the service. Values are raw (as the client sent them);
//! the service validates and normalizes them.

use serde_json::{Map, Value};

use crate::model::{AccessToken, PasswordAlgorithm, User};
use crate::time::Timestamp;

/// `Patch::Absent` leaves a field as it is, `Patch::Null` clears it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Patch<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<T> Patch<T> {
    pub fn is_absent(&self) -> bool {
        matches!(self, Patch::Absent)
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct CreateUser {
    /// Taken as given when present (imports); generated otherwise.
    pub id: Option<String>,
    pub username: Option<String>,
    pub primary_email: Option<String>,
    pub primary_phone: Option<String>,
    pub name: Option<String>,
    pub avatar: Option<String>,
    pub profile: Option<ProfileInput>,
    pub custom_data: Option<Value>,
    /// A clear-text password to hash; excludes `password_digest`.
    pub password: Option<String>,
    /// An imported digest; needs `password_algorithm`.
    pub password_digest: Option<String>,
    pub password_algorithm: Option<PasswordAlgorithm>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpdateUser {
    pub username: Patch<String>,
    pub primary_email: Patch<String>,
    pub primary_phone: Patch<String>,
    pub name: Patch<String>,
    pub avatar: Patch<String>,
}

/// OIDC profile claims; each absent claim is left as it is, null clears it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfileInput {
    pub family_name: Patch<String>,
    pub given_name: Patch<String>,
    pub middle_name: Patch<String>,
    pub nickname: Patch<String>,
    pub preferred_username: Patch<String>,
    pub profile: Patch<String>,
    pub website: Patch<String>,
    pub gender: Patch<String>,
    pub birthdate: Patch<String>,
    pub zoneinfo: Patch<String>,
    pub locale: Patch<String>,
    pub address: Patch<AddressInput>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddressInput {
    pub formatted: Patch<String>,
    pub street_address: Patch<String>,
    pub locality: Patch<String>,
    pub region: Patch<String>,
    pub postal_code: Patch<String>,
    pub country: Patch<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct IdentityInput {
    /// The user's id at the provider.
    pub user_id: String,
    /// A JSON object; absent means `{}`.
    pub details: Option<Map<String, Value>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CreateRole {
    pub name: String,
    pub description: Option<String>,
    pub permissions: Vec<String>,
    pub is_default: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpdateRole {
    pub name: Option<String>,
    pub description: Patch<String>,
    pub permissions: Option<Vec<String>>,
    pub is_default: Option<bool>,
}

/// A user search as a client asks for it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserQuery {
    /// The simple search (substring of id, username, name, email, phone).
    pub search: Option<String>,
    /// AND-ed with `search`.
    pub filter: Option<crate::filter::UserFilter>,
    /// Empty means `createdAt DESC`.
    pub order: Vec<crate::query::UserOrder>,
    pub page: crate::page::PageArgs,
    pub count_total: bool,
}

/// A new personal access token as a client asks for it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewToken {
    pub name: String,
    /// Must be in the future; required when the service sets a maximum
    /// token lifetime.
    pub expires_at: Option<Timestamp>,
    /// Permission strings narrowing the owner's permissions; `None` means
    /// the owner's permissions, whatever they become.
    pub scopes: Option<Vec<String>>,
}

/// A token just created, with its secret: the only time the secret exists
/// outside the client.
#[derive(Clone, PartialEq, Eq)]
pub struct CreatedToken {
    pub token: AccessToken,
    pub secret: String,
}

/// A successful sign-in: the session's secret (shown once), the session and
/// the user as updated by the sign-in.
#[derive(Clone, PartialEq)]
pub struct SignedIn {
    pub secret: String,
    pub token: AccessToken,
    pub user: User,
}

/// What the first start on an empty store created: the admin user and its
/// first token, whose secret is printed once.
#[derive(Clone, PartialEq)]
pub struct Bootstrap {
    pub user: User,
    pub token: AccessToken,
    pub secret: String,
}

/// Secrets stay out of debug output (and so out of traces).
macro_rules! redacted_debug {
    ($name:ident { $($field:ident),* }) => {
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name))
                    $(.field(stringify!($field), &self.$field))*
                    .field("secret", &"<redacted>")
                    .finish()
            }
        }
    };
}

redacted_debug!(CreatedToken { token });
redacted_debug!(SignedIn { token, user });
redacted_debug!(Bootstrap { user, token });
