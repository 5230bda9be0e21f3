//! Between usergraph's records and table rows: the column lists, the values
//! written (including the precomputed key columns), and decoding.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use usergraph_core::validate::identifier_key;
use usergraph_core::{
    Error, Identity, LogEntry, LogId, LogResult, PasswordAlgorithm, PasswordDigest, Profile,
    Result, Role, RoleId, Timestamp, User, UserId,
};

/// The user columns every user query selects, qualified by the alias `u`.
pub(crate) const USER_COLUMNS: &str = "u.id, u.username, u.primary_email, u.primary_phone, \
     u.name, u.avatar, u.profile, u.custom_data, u.identities, u.password_digest, \
     u.password_algorithm, u.is_suspended, u.last_sign_in_at, u.created_at, u.updated_at, \
     u.version";

pub(crate) const ROLE_COLUMNS: &str = "r.id, r.name, r.description, r.permissions, r.is_default, r.created_at, r.updated_at, r.version";

pub(crate) const LOG_COLUMNS: &str = "l.id, l.key, l.result, l.user_id, l.role_id, l.actor_id, \
     l.token_id, l.ip, l.user_agent, l.payload, l.error, l.created_at";

/// Every column of a `users` row, as written.
#[derive(Debug)]
pub(crate) struct UserRow {
    pub id: String,
    pub username: Option<String>,
    pub primary_email: Option<String>,
    pub primary_phone: Option<String>,
    pub name: Option<String>,
    pub avatar: Option<String>,
    pub profile: Json<Value>,
    pub custom_data: Json<Value>,
    pub identities: Json<Value>,
    pub providers: Vec<String>,
    pub provider_keys: Vec<String>,
    pub password_digest: Option<String>,
    pub password_algorithm: Option<String>,
    pub is_suspended: bool,
    pub last_sign_in_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
    pub username_key: Option<String>,
    pub email_key: Option<String>,
    pub name_key: Option<String>,
}

impl UserRow {
    pub(crate) fn new(user: &User) -> Result<Self> {
        let keys = user.unique_keys();
        let providers: Vec<String> = user.identities.keys().cloned().collect();
        Ok(UserRow {
            id: user.id.as_str().to_owned(),
            username: user.username.clone(),
            primary_email: user.primary_email.clone(),
            primary_phone: user.primary_phone.clone(),
            name: user.name.clone(),
            avatar: user.avatar.clone(),
            profile: Json(to_json(&user.profile)?),
            custom_data: Json(Value::Object(user.custom_data.clone())),
            identities: Json(to_json(&user.identities)?),
            provider_keys: providers.iter().map(|p| identifier_key(p)).collect(),
            providers,
            password_digest: user.password.as_ref().map(|p| p.digest.clone()),
            password_algorithm: user
                .password
                .as_ref()
                .map(|p| p.algorithm.as_str().to_owned()),
            is_suspended: user.is_suspended,
            last_sign_in_at: user.last_sign_in_at,
            created_at: user.created_at,
            updated_at: user.updated_at,
            version: version_to_db(user.version)?,
            username_key: keys.username,
            email_key: keys.email,
            name_key: user.name.as_deref().map(identifier_key),
        })
    }
}

pub(crate) fn version_to_db(version: u64) -> Result<i64> {
    i64::try_from(version).map_err(|_| Error::internal("record version out of range"))
}

pub(crate) fn version_from_db(version: i64) -> Result<u64> {
    u64::try_from(version).map_err(|_| Error::internal("stored record version is negative"))
}

fn to_json(value: &impl Serialize) -> Result<Value> {
    serde_json::to_value(value).map_err(Error::internal)
}

fn from_json<T: DeserializeOwned>(value: Value) -> Result<T> {
    serde_json::from_value(value).map_err(Error::internal)
}

pub(crate) fn column<'r, T>(row: &'r PgRow, name: &str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(name).map_err(crate::error::internal)
}

fn algorithm(name: &str) -> Result<PasswordAlgorithm> {
    Ok(match name {
        "Argon2i" => PasswordAlgorithm::Argon2i,
        "Argon2id" => PasswordAlgorithm::Argon2id,
        "Argon2d" => PasswordAlgorithm::Argon2d,
        "Bcrypt" => PasswordAlgorithm::Bcrypt,
        _ => return Err(Error::internal("stored password algorithm is unknown")),
    })
}

pub(crate) fn user_from_row(row: &PgRow) -> Result<User> {
    let password = match (
        column::<Option<String>>(row, "password_digest")?,
        column::<Option<String>>(row, "password_algorithm")?,
    ) {
        (Some(digest), Some(name)) => Some(PasswordDigest {
            algorithm: algorithm(&name)?,
            digest,
        }),
        _ => None,
    };
    let custom_data = match column::<Json<Value>>(row, "custom_data")?.0 {
        Value::Object(map) => map,
        _ => return Err(Error::internal("stored customData is not an object")),
    };
    Ok(User {
        id: UserId::parse(&column::<String>(row, "id")?).map_err(Error::internal)?,
        username: column(row, "username")?,
        primary_email: column(row, "primary_email")?,
        primary_phone: column(row, "primary_phone")?,
        name: column(row, "name")?,
        avatar: column(row, "avatar")?,
        profile: from_json::<Profile>(column::<Json<Value>>(row, "profile")?.0)?,
        custom_data,
        identities: from_json::<BTreeMap<String, Identity>>(
            column::<Json<Value>>(row, "identities")?.0,
        )?,
        password,
        is_suspended: column(row, "is_suspended")?,
        last_sign_in_at: column(row, "last_sign_in_at")?,
        created_at: column(row, "created_at")?,
        updated_at: column(row, "updated_at")?,
        version: version_from_db(column(row, "version")?)?,
    })
}

pub(crate) fn role_from_row(row: &PgRow) -> Result<Role> {
    Ok(Role {
        id: RoleId::parse(&column::<String>(row, "id")?).map_err(Error::internal)?,
        name: column(row, "name")?,
        description: column(row, "description")?,
        permissions: column(row, "permissions")?,
        is_default: column(row, "is_default")?,
        created_at: column(row, "created_at")?,
        updated_at: column(row, "updated_at")?,
        version: version_from_db(column(row, "version")?)?,
    })
}

pub(crate) fn log_from_row(row: &PgRow) -> Result<LogEntry> {
    let optional_id = |name: &str| -> Result<Option<String>> { column(row, name) };
    let result = match column::<String>(row, "result")?.as_str() {
        "SUCCESS" => LogResult::Success,
        "ERROR" => LogResult::Error,
        _ => return Err(Error::internal("stored log result is unknown")),
    };
    Ok(LogEntry {
        id: LogId::parse(&column::<String>(row, "id")?).map_err(Error::internal)?,
        key: column(row, "key")?,
        result,
        user_id: optional_id("user_id")?
            .map(|id| UserId::parse(&id))
            .transpose()
            .map_err(Error::internal)?,
        role_id: optional_id("role_id")?
            .map(|id| RoleId::parse(&id))
            .transpose()
            .map_err(Error::internal)?,
        actor_id: optional_id("actor_id")?
            .map(|id| UserId::parse(&id))
            .transpose()
            .map_err(Error::internal)?,
        token_id: column(row, "token_id")?,
        ip: column(row, "ip")?,
        user_agent: column(row, "user_agent")?,
        payload: column::<Json<Value>>(row, "payload")?.0,
        error: column(row, "error")?,
        created_at: column(row, "created_at")?,
    })
}
