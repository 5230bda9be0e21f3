//! Validation and normalization of everything a client sends. Each function
//! returns the value to store or a `VALIDATION` error naming the field.

mod custom_data;
pub mod filter;
mod identifiers;
mod identity;
mod json;
mod order;
mod password;
mod profile;
mod role;
mod search;
mod text;

pub use custom_data::{CUSTOM_DATA_MAX_BYTES, CustomDataChange, custom_data, merge_custom_data};
pub use filter::{FILTER_MAX_DEPTH, FILTER_MAX_NODES, user_filter};
pub use identifiers::{avatar, name, primary_email, primary_phone, username};
pub use identity::{IDENTITY_DETAILS_MAX_BYTES, identity_details, identity_user_id, provider};
pub use order::user_order;
pub use password::{PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS, new_password, password_to_verify};
pub use profile::{ProfileChange, apply_profile, profile_input};
pub use role::{role_description, role_name, role_permissions};
pub use search::search_text;
pub use text::{is_forbidden_char, text};

/// The case-insensitive form under which usernames, emails and role names are
/// unique and ordered. Input is already NFC.
pub fn identifier_key(value: &str) -> String {
    value.to_lowercase()
}
