//! A deterministic, varied population of users for the export and import
//! tests and the import benchmark: person `i` is always the same person.
//! Between them they have every kind of data an export carries: imported
//! and generated ids, unicode names, phones in many spellings, profiles,
//! nested custom data, identities, bcrypt, Argon2id and Argon2i digests,
//! suspension and several roles.

use std::collections::BTreeMap;

use argon2::password_hash::{PasswordHasher as _, SaltString};
use serde_json::{Map, Value, json};
use usergraph_core::model::{Address, Profile};
use usergraph_core::service::{
    AddressInput, CreateRole, CreateUser, IdentityInput, Patch, ProfileInput,
};
use usergraph_core::transfer::format::{Algorithm, IdentityRecord, Stamp, UserRecord};
use usergraph_core::{PasswordAlgorithm, Timestamp};

use crate::PASSWORD;

/// The roles a population uses: name, permissions, whether it is the
/// default role.
pub const ROLES: &[(&str, &[&str], bool)] = &[
    ("member", &["users:read"], true),
    ("editor", &["users:read", "users:write"], false),
    ("auditor", &["logs:read"], false),
];

/// Each role of [`ROLES`] as the service takes it.
pub fn role_inputs() -> Vec<CreateRole> {
    ROLES
        .iter()
        .map(|(name, permissions, is_default)| CreateRole {
            name: (*name).to_owned(),
            description: Some(format!("The {name}s")),
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
            is_default: *is_default,
        })
        .collect()
}

/// Digests of [`PASSWORD`], made once with cheap parameters (imports check
/// a digest's form, they never hash).
#[derive(Clone, Debug)]
pub struct Digests {
    pub bcrypt: String,
    pub argon2id: String,
    pub argon2i: String,
}

impl Digests {
    pub fn new() -> Self {
        let argon2 = |algorithm| {
            let params = argon2::Params::new(1024, 2, 1, None).unwrap();
            let hasher = argon2::Argon2::new(algorithm, argon2::Version::V0x13, params);
            let salt = SaltString::from_b64("dXNlcmdyYXBoZXhwb3J0").unwrap();
            hasher
                .hash_password(PASSWORD.as_bytes(), &salt)
                .unwrap()
                .to_string()
        };
        Digests {
            bcrypt: bcrypt::hash_with_salt(PASSWORD, 4, *b"usergraph-export")
                .unwrap()
                .format_for_version(bcrypt::Version::TwoB),
            argon2id: argon2(argon2::Algorithm::Argon2id),
            argon2i: argon2(argon2::Algorithm::Argon2i),
        }
    }
}

impl Default for Digests {
    fn default() -> Self {
        Self::new()
    }
}

const GIVEN: &[&str] = &[
    "Ada",
    "Zoë",
    "José",
    "Ngozi",
    "Åsa",
    "Mei",
    "Oluwaseun",
    "Björk",
];
const FAMILY: &[&str] = &[
    "Lovelace", "Núñez", "Okafor", "Øster", "Chen", "Smith", "Dvořák",
];
const COUNTRIES: &[&str] = &["GB", "FR", "NG", "NO", "CN", "US", "CZ"];

/// One person of the population.
#[derive(Clone, Debug)]
pub struct Person {
    /// An id kept from "another system", for some; the others get one.
    pub id: Option<String>,
    pub username: Option<String>,
    pub email: Option<String>,
    /// As typed (spaces, dashes, `+`); stored as digits.
    pub phone: Option<String>,
    pub name: Option<String>,
    pub avatar: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub country: Option<String>,
    pub custom_data: Map<String, Value>,
    pub password: Option<(PasswordAlgorithm, String)>,
    /// Provider, the user's id there, details.
    pub identities: Vec<(String, String, Map<String, Value>)>,
    pub suspended: bool,
    /// Roles beyond the default one.
    pub extra_roles: Vec<&'static str>,
    /// Whether the default role is taken away again.
    pub drops_default_role: bool,
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

impl Person {
    pub fn nth(i: u64, digests: &Digests) -> Self {
        let given = GIVEN[(i % GIVEN.len() as u64) as usize];
        let family = FAMILY[(i / 3 % FAMILY.len() as u64) as usize];
        let mut identities = Vec::new();
        if i.is_multiple_of(5) {
            identities.push((
                "github".to_owned(),
                (1_000_000 + i).to_string(),
                object(json!({ "login": format!("gh{i}"), "public_repos": i % 40 })),
            ));
        }
        if i.is_multiple_of(11) {
            identities.push((
                "google".to_owned(),
                format!("g-{i:08}"),
                object(json!({ "email": format!("p{i}@gmail.example"), "verified": true })),
            ));
        }
        let mut extra_roles = Vec::new();
        if i.is_multiple_of(3) {
            extra_roles.push("editor");
        }
        if i.is_multiple_of(17) {
            extra_roles.push("auditor");
        }
        Person {
            id: (i % 4 == 1).then(|| format!("legacy-{i:07}")),
            username: (i % 10 != 7).then(|| format!("user_{i}")),
            email: (i % 10 != 3).then(|| {
                if i.is_multiple_of(2) {
                    format!("Person.{i}@Example.com")
                } else {
                    format!("person{i}@example.org")
                }
            }),
            phone: (i.is_multiple_of(4))
                .then(|| format!("+1 (555) {:03}-{:04}", i / 10_000 % 1000, i % 10_000)),
            name: (i % 8 != 5).then(|| format!("{given} {family}")),
            avatar: (i.is_multiple_of(6)).then(|| format!("https://img.example.com/a/{i}.png")),
            given_name: (i.is_multiple_of(3)).then(|| given.to_owned()),
            family_name: (i.is_multiple_of(3)).then(|| family.to_owned()),
            country: (i.is_multiple_of(9)).then(|| COUNTRIES[(i % 7) as usize].to_owned()),
            custom_data: if i.is_multiple_of(2) {
                object(json!({
                    "plan": if i.is_multiple_of(4) { "pro" } else { "free" },
                    "seats": i % 50,
                    "ratio": (i % 8) as f64 / 2.0,
                    "tags": ["imported", format!("cohort-{}", i % 12)],
                    "billing": { "vat": i.is_multiple_of(3), "note": null },
                }))
            } else {
                Map::new()
            },
            password: match i % 6 {
                0 | 3 => Some((PasswordAlgorithm::Bcrypt, digests.bcrypt.clone())),
                1 | 4 => Some((PasswordAlgorithm::Argon2id, digests.argon2id.clone())),
                2 => Some((PasswordAlgorithm::Argon2i, digests.argon2i.clone())),
                _ => None,
            },
            identities,
            suspended: i.is_multiple_of(7),
            extra_roles,
            drops_default_role: i.is_multiple_of(13),
        }
    }

    /// What `createUser` takes to create this person (identities, roles and
    /// suspension are separate calls).
    pub fn create_input(&self) -> CreateUser {
        let text = |v: &Option<String>| v.clone().map_or(Patch::Absent, Patch::Value);
        let profile = (self.given_name.is_some() || self.country.is_some()).then(|| ProfileInput {
            given_name: text(&self.given_name),
            family_name: text(&self.family_name),
            address: match &self.country {
                Some(country) => Patch::Value(AddressInput {
                    country: Patch::Value(country.clone()),
                    ..AddressInput::default()
                }),
                None => Patch::Absent,
            },
            ..ProfileInput::default()
        });
        CreateUser {
            id: self.id.clone(),
            username: self.username.clone(),
            primary_email: self.email.clone(),
            primary_phone: self.phone.clone(),
            name: self.name.clone(),
            avatar: self.avatar.clone(),
            profile,
            custom_data: (!self.custom_data.is_empty())
                .then(|| Value::Object(self.custom_data.clone())),
            password: None,
            password_digest: self.password.as_ref().map(|(_, digest)| digest.clone()),
            password_algorithm: self.password.as_ref().map(|(algorithm, _)| *algorithm),
        }
    }

    pub fn identity_inputs(&self) -> Vec<(String, IdentityInput)> {
        self.identities
            .iter()
            .map(|(provider, user_id, details)| {
                (
                    provider.clone(),
                    IdentityInput {
                        user_id: user_id.clone(),
                        details: Some(details.clone()),
                    },
                )
            })
            .collect()
    }

    /// The role names this person ends up with.
    pub fn role_names(&self) -> Vec<String> {
        let mut names: Vec<String> = ROLES
            .iter()
            .filter(|(_, _, is_default)| *is_default && !self.drops_default_role)
            .map(|(name, _, _)| (*name).to_owned())
            .chain(self.extra_roles.iter().map(|name| (*name).to_owned()))
            .collect();
        names.sort();
        names
    }

    /// This person as an export line, created at `created_at` (for files
    /// made without a store, such as the benchmark's). The id is the
    /// person's own or `gen-<i>`.
    pub fn record(&self, i: u64, created_at: Timestamp) -> UserRecord {
        let profile = Profile {
            given_name: self.given_name.clone(),
            family_name: self.family_name.clone(),
            address: self.country.as_ref().map(|country| Address {
                country: Some(country.clone()),
                ..Address::default()
            }),
            ..Profile::default()
        };
        UserRecord {
            id: Some(self.id.clone().unwrap_or_else(|| format!("gen-{i}"))),
            username: self.username.clone(),
            primary_email: self.email.clone(),
            primary_phone: self
                .phone
                .as_ref()
                .map(|phone| phone.chars().filter(char::is_ascii_digit).collect()),
            name: self.name.clone(),
            avatar: self.avatar.clone(),
            profile,
            custom_data: self.custom_data.clone(),
            identities: self
                .identities
                .iter()
                .map(|(provider, user_id, details)| {
                    (
                        provider.clone(),
                        IdentityRecord {
                            user_id: user_id.clone(),
                            details: details.clone(),
                            linked_at: Some(Stamp(created_at)),
                        },
                    )
                })
                .collect::<BTreeMap<_, _>>(),
            roles: self.role_names(),
            password_digest: self.password.as_ref().map(|(_, digest)| digest.clone()),
            password_algorithm: self
                .password
                .as_ref()
                .map(|(algorithm, _)| Algorithm::from(*algorithm)),
            is_suspended: self.suspended,
            last_sign_in_at: None,
            created_at: Some(Stamp(created_at)),
            updated_at: Some(Stamp(created_at)),
        }
    }
}
