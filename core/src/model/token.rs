use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::{TokenId, UserId};
use crate::time::Timestamp;

/// What a token was issued for. Both authenticate the same way; they differ
/// in who creates them and how long they live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TokenKind {
    /// Created by a user (or an admin for them), named, optionally scoped,
    /// lives until it expires or is revoked.
    Personal,
    /// Issued by `signIn`, short-lived, ended by `signOut`.
    Session,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Personal => "personal",
            TokenKind::Session => "session",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "personal" => Some(TokenKind::Personal),
            "session" => Some(TokenKind::Session),
            _ => None,
        }
    }
}

/// The SHA-256 digest of a token's secret: all that storage ever holds of
/// it, and the key a presented secret is looked up by.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TokenDigest(pub [u8; 32]);

impl TokenDigest {
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lower-case hex, 64 characters.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// `None` unless exactly 64 hex digits.
    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 64 {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(TokenDigest(bytes))
    }
}

/// Deliberately opaque: a digest in a debug log is harmless, but printing
/// it invites people to compare logs with stored rows.
impl fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenDigest(..)")
    }
}

/// A personal access token or a session. The secret itself is never stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessToken {
    pub id: TokenId,
    /// The owner; the token acts as this user.
    pub user_id: UserId,
    pub kind: TokenKind,
    /// NFC-normalized. Personal tokens: unique per owner among tokens not
    /// revoked, case-insensitively ([`AccessToken::name_key`]).
    pub name: String,
    /// `None`: the owner's permissions. `Some`: the owner's permissions
    /// narrowed to these (permission strings, sorted, no duplicates).
    pub scopes: Option<Vec<String>>,
    pub digest: TokenDigest,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub version: u64,
}

impl AccessToken {
    /// The key storage keeps unique per owner: only personal tokens that are
    /// not revoked hold their name, so a revoked token's name can be reused.
    pub fn name_key(&self) -> Option<String> {
        (self.kind == TokenKind::Personal && self.revoked_at.is_none())
            .then(|| crate::validate::identifier_key(&self.name))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn digests_round_trip_through_hex() {
        let digest = TokenDigest([0xab; 32]);
        assert_eq!(TokenDigest::from_hex(&digest.to_hex()), Some(digest));
        assert_eq!(TokenDigest::from_hex("ab"), None);
        assert_eq!(TokenDigest::from_hex(&"zz".repeat(32)), None);
        assert_eq!(format!("{digest:?}"), "TokenDigest(..)");
    }

    #[test]
    fn only_live_personal_tokens_hold_their_name() {
        let mut token = AccessToken {
            id: TokenId::parse("t1").unwrap(),
            user_id: UserId::parse("u1").unwrap(),
            kind: TokenKind::Personal,
            name: "CI Deploy".into(),
            scopes: None,
            digest: TokenDigest([1; 32]),
            created_at: crate::time::now(),
            expires_at: None,
            last_used_at: None,
            revoked_at: None,
            version: 1,
        };
        assert_eq!(token.name_key().as_deref(), Some("ci deploy"));
        token.revoked_at = Some(crate::time::now());
        assert_eq!(token.name_key(), None);
        token.revoked_at = None;
        token.kind = TokenKind::Session;
        assert_eq!(token.name_key(), None);
    }
}
