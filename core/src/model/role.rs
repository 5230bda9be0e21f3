use serde::{Deserialize, Serialize};

use crate::ids::RoleId;
use crate::time::Timestamp;

/// A named set of permissions that users can be assigned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    pub id: RoleId,
    /// NFC-normalized; unique case-insensitively.
    pub name: String,
    pub description: Option<String>,
    /// Sorted and without duplicates.
    pub permissions: Vec<String>,
    /// Assigned to every new user.
    pub is_default: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

impl Role {
    /// The key storage keeps unique among roles.
    pub fn name_key(&self) -> String {
        crate::validate::identifier_key(&self.name)
    }
}
