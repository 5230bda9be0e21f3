//! The compact form of a user record. The field order here is the format:
//! changing it, or the model's fields, needs a new format byte (the golden
//! test in `tests.rs` fails first).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use usergraph_core::model::{Identity, PasswordDigest, Profile};
use usergraph_core::{Result, User, UserId};

use super::{exact_micros, from_msgpack, time, to_msgpack};

#[derive(Serialize)]
struct Out<'a> {
    id: &'a UserId,
    username: &'a Option<String>,
    primary_email: &'a Option<String>,
    primary_phone: &'a Option<String>,
    name: &'a Option<String>,
    avatar: &'a Option<String>,
    /// `None` for the empty profile most users have; otherwise the profile
    /// as a map of the claims it holds (the model skips absent claims,
    /// which a positional form cannot).
    profile: Option<Value>,
    custom_data: &'a Map<String, Value>,
    identities: &'a BTreeMap<String, Identity>,
    password: &'a Option<PasswordDigest>,
    is_suspended: bool,
    last_sign_in_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    version: u64,
}

#[derive(Deserialize)]
struct In {
    id: UserId,
    username: Option<String>,
    primary_email: Option<String>,
    primary_phone: Option<String>,
    name: Option<String>,
    avatar: Option<String>,
    profile: Option<Value>,
    custom_data: Map<String, Value>,
    identities: BTreeMap<String, Identity>,
    password: Option<PasswordDigest>,
    is_suspended: bool,
    last_sign_in_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    version: u64,
}

pub(super) fn encode(user: &User) -> Option<Result<Vec<u8>>> {
    // Destructured so that a field added to the model fails to compile here
    // until the format decides where it goes.
    let User {
        id,
        username,
        primary_email,
        primary_phone,
        name,
        avatar,
        profile,
        custom_data,
        identities,
        password,
        is_suspended,
        last_sign_in_at,
        created_at,
        updated_at,
        version,
    } = user;
    let last_sign_in_at = match last_sign_in_at {
        Some(at) => Some(exact_micros(*at)?),
        None => None,
    };
    let profile = if *profile == Profile::default() {
        None
    } else {
        match serde_json::to_value(profile) {
            Ok(value) => Some(value),
            Err(error) => return Some(Err(usergraph_core::Error::internal(error))),
        }
    };
    let out = Out {
        id,
        username,
        primary_email,
        primary_phone,
        name,
        avatar,
        profile,
        custom_data,
        identities,
        password,
        is_suspended: *is_suspended,
        last_sign_in_at,
        created_at: exact_micros(*created_at)?,
        updated_at: exact_micros(*updated_at)?,
        version: *version,
    };
    Some(to_msgpack(&out))
}

pub(super) fn decode(bytes: &[u8]) -> Result<User> {
    let stored: In = from_msgpack(bytes)?;
    let profile = match stored.profile {
        Some(value) => serde_json::from_value(value).map_err(usergraph_core::Error::internal)?,
        None => Profile::default(),
    };
    Ok(User {
        id: stored.id,
        username: stored.username,
        primary_email: stored.primary_email,
        primary_phone: stored.primary_phone,
        name: stored.name,
        avatar: stored.avatar,
        profile,
        custom_data: stored.custom_data,
        identities: stored.identities,
        password: stored.password,
        is_suspended: stored.is_suspended,
        last_sign_in_at: stored.last_sign_in_at.map(time).transpose()?,
        created_at: time(stored.created_at)?,
        updated_at: time(stored.updated_at)?,
        version: stored.version,
    })
}
