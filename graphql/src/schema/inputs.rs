//! Input objects and their conversion to core's inputs. Values pass through
//! raw: core validates and normalizes them. Optional fields of update inputs
//! are `MaybeUndefined`, so that an absent field (unchanged) and an explicit
//! `null` (cleared) stay distinct all the way to core's `Patch`.

use async_graphql::{ID, InputObject, MaybeUndefined};
use serde_json::Value;
use usergraph_core::Error;
use usergraph_core::service::{self as core, Patch};

use super::enums::PasswordAlgorithm;
use super::scalars::Json;

pub fn patch<T>(value: MaybeUndefined<T>) -> Patch<T> {
    match value {
        MaybeUndefined::Undefined => Patch::Absent,
        MaybeUndefined::Null => Patch::Null,
        MaybeUndefined::Value(v) => Patch::Value(v),
    }
}

#[derive(Debug, InputObject)]
pub struct CreateUserInput {
    /// Kept as given (1 to 64 of `[A-Za-z0-9_-]`), for imports; generated
    /// when absent.
    pub id: Option<ID>,
    pub username: Option<String>,
    pub primary_email: Option<String>,
    pub primary_phone: Option<String>,
    pub name: Option<String>,
    pub avatar: Option<String>,
    pub profile: Option<ProfileInput>,
    /// A JSON object.
    pub custom_data: Option<Json>,
    /// A clear-text password (8 to 256 characters); excludes `passwordDigest`.
    pub password: Option<String>,
    /// An imported digest (Argon2 PHC string or bcrypt); needs
    /// `passwordAlgorithm`.
    pub password_digest: Option<String>,
    pub password_algorithm: Option<PasswordAlgorithm>,
}

impl From<CreateUserInput> for core::CreateUser {
    fn from(input: CreateUserInput) -> Self {
        core::CreateUser {
            id: input.id.map(|id| id.0),
            username: input.username,
            primary_email: input.primary_email,
            primary_phone: input.primary_phone,
            name: input.name,
            avatar: input.avatar,
            profile: input.profile.map(Into::into),
            custom_data: input.custom_data.map(|json| json.0),
            password: input.password,
            password_digest: input.password_digest,
            password_algorithm: input.password_algorithm.map(Into::into),
        }
    }
}

/// Absent fields stay as they are; `null` clears a field.
#[derive(Debug, InputObject)]
pub struct UpdateUserInput {
    pub username: MaybeUndefined<String>,
    pub primary_email: MaybeUndefined<String>,
    pub primary_phone: MaybeUndefined<String>,
    pub name: MaybeUndefined<String>,
    pub avatar: MaybeUndefined<String>,
}

impl From<UpdateUserInput> for core::UpdateUser {
    fn from(input: UpdateUserInput) -> Self {
        core::UpdateUser {
            username: patch(input.username),
            primary_email: patch(input.primary_email),
            primary_phone: patch(input.primary_phone),
            name: patch(input.name),
            avatar: patch(input.avatar),
        }
    }
}

/// OIDC standard claims. Absent claims stay as they are, `null` clears one.
#[derive(Debug, InputObject)]
pub struct ProfileInput {
    pub family_name: MaybeUndefined<String>,
    pub given_name: MaybeUndefined<String>,
    pub middle_name: MaybeUndefined<String>,
    pub nickname: MaybeUndefined<String>,
    pub preferred_username: MaybeUndefined<String>,
    pub profile: MaybeUndefined<String>,
    pub website: MaybeUndefined<String>,
    pub gender: MaybeUndefined<String>,
    pub birthdate: MaybeUndefined<String>,
    pub zoneinfo: MaybeUndefined<String>,
    pub locale: MaybeUndefined<String>,
    /// `null` clears the whole address; an object merges its sub-fields.
    pub address: MaybeUndefined<AddressInput>,
}

impl From<ProfileInput> for core::ProfileInput {
    fn from(input: ProfileInput) -> Self {
        core::ProfileInput {
            family_name: patch(input.family_name),
            given_name: patch(input.given_name),
            middle_name: patch(input.middle_name),
            nickname: patch(input.nickname),
            preferred_username: patch(input.preferred_username),
            profile: patch(input.profile),
            website: patch(input.website),
            gender: patch(input.gender),
            birthdate: patch(input.birthdate),
            zoneinfo: patch(input.zoneinfo),
            locale: patch(input.locale),
            address: patch(input.address.map_value(Into::into)),
        }
    }
}

#[derive(Debug, InputObject)]
pub struct AddressInput {
    pub formatted: MaybeUndefined<String>,
    pub street_address: MaybeUndefined<String>,
    pub locality: MaybeUndefined<String>,
    pub region: MaybeUndefined<String>,
    pub postal_code: MaybeUndefined<String>,
    pub country: MaybeUndefined<String>,
}

impl From<AddressInput> for core::AddressInput {
    fn from(input: AddressInput) -> Self {
        core::AddressInput {
            formatted: patch(input.formatted),
            street_address: patch(input.street_address),
            locality: patch(input.locality),
            region: patch(input.region),
            postal_code: patch(input.postal_code),
            country: patch(input.country),
        }
    }
}

#[derive(Debug, InputObject)]
pub struct IdentityInput {
    /// The user's id at the provider.
    pub user_id: String,
    /// A JSON object; `{}` when absent.
    pub details: Option<Json>,
}

impl TryFrom<IdentityInput> for core::IdentityInput {
    type Error = Error;

    fn try_from(input: IdentityInput) -> Result<Self, Error> {
        let details = match input.details.map(|json| json.0) {
            None | Some(Value::Null) => None,
            Some(Value::Object(map)) => Some(map),
            Some(_) => {
                return Err(Error::validation(
                    "identity.details",
                    "identity details must be a JSON object",
                ));
            }
        };
        Ok(core::IdentityInput {
            user_id: input.user_id,
            details,
        })
    }
}

#[derive(Debug, InputObject)]
pub struct CreateRoleInput {
    pub name: String,
    pub description: Option<String>,
    /// Permission strings such as `users:read`; stored sorted, without
    /// duplicates.
    #[graphql(default)]
    pub permissions: Vec<String>,
    /// Whether every new user gets this role.
    #[graphql(default)]
    pub is_default: bool,
}

impl From<CreateRoleInput> for core::CreateRole {
    fn from(input: CreateRoleInput) -> Self {
        core::CreateRole {
            name: input.name,
            description: input.description,
            permissions: input.permissions,
            is_default: input.is_default,
        }
    }
}

/// Absent fields stay as they are; `description: null` clears it.
#[derive(Debug, InputObject)]
pub struct UpdateRoleInput {
    pub name: Option<String>,
    pub description: MaybeUndefined<String>,
    /// Replaces the whole list.
    pub permissions: Option<Vec<String>>,
    pub is_default: Option<bool>,
}

impl From<UpdateRoleInput> for core::UpdateRole {
    fn from(input: UpdateRoleInput) -> Self {
        core::UpdateRole {
            name: input.name,
            description: patch(input.description),
            permissions: input.permissions,
            is_default: input.is_default,
        }
    }
}
