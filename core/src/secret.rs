//! Token secrets: `ugp_` (personal) or `ugs_` (session), 22 base62
//! characters of OS randomness (about 131 bits) and 6 base62 characters of a
//! CRC32 over everything before them — 32 characters in all, like GitHub's
//! tokens. The checksum lets a mistyped or truncated secret be refused
//! without a storage lookup; the prefix lets secret scanners recognise a
//! leaked one. Storage keeps only the SHA-256 digest of the whole string.

use rand::Rng;
use rand::distributions::Alphanumeric;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

use crate::model::{TokenDigest, TokenKind};

const PERSONAL_PREFIX: &str = "ugp_";
const SESSION_PREFIX: &str = "ugs_";
const PREFIX_LEN: usize = 4;
const RANDOM_LEN: usize = 22;
const CHECKSUM_LEN: usize = 6;
/// Length of every secret this module generates.
pub const SECRET_LEN: usize = PREFIX_LEN + RANDOM_LEN + CHECKSUM_LEN;

/// The checksum's digits. Any fixed order works; this one sorts like ASCII.
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A fresh secret of `kind`. It is shown to its owner once and then only
/// its [`digest`] exists.
pub fn generate(kind: TokenKind) -> String {
    let mut secret = String::with_capacity(SECRET_LEN);
    secret.push_str(prefix(kind));
    // `Alphanumeric` samples uniformly from exactly the 62 base62 characters.
    secret.extend(
        OsRng
            .sample_iter(&Alphanumeric)
            .take(RANDOM_LEN)
            .map(char::from),
    );
    let checksum = checksum(&secret);
    secret.push_str(&checksum);
    secret
}

/// The kind and digest of a well-formed secret; `None` when the prefix,
/// length, alphabet or checksum is wrong, so a malformed secret never costs
/// a storage lookup.
pub fn parse(secret: &str) -> Option<(TokenKind, TokenDigest)> {
    if secret.len() != SECRET_LEN
        || !secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return None;
    }
    // All ASCII from here on, so byte offsets are character boundaries.
    let (prefix_part, rest) = secret.split_at(PREFIX_LEN);
    let kind = match prefix_part {
        PERSONAL_PREFIX => TokenKind::Personal,
        SESSION_PREFIX => TokenKind::Session,
        _ => return None,
    };
    let (random, check) = rest.split_at(RANDOM_LEN);
    if !random.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let body = &secret[..PREFIX_LEN + RANDOM_LEN];
    if checksum(body) != check {
        return None;
    }
    Some((kind, digest(secret)))
}

/// SHA-256 of the whole secret string: the only form storage keeps.
pub fn digest(secret: &str) -> TokenDigest {
    TokenDigest(Sha256::digest(secret.as_bytes()).into())
}

fn prefix(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Personal => PERSONAL_PREFIX,
        TokenKind::Session => SESSION_PREFIX,
    }
}

/// CRC32 of `body` as 6 base62 digits, most significant first
/// (62^6 > 2^32, so every value fits).
fn checksum(body: &str) -> String {
    let mut value = u64::from(crc32fast::hash(body.as_bytes()));
    let mut digits = [b'0'; CHECKSUM_LEN];
    for digit in digits.iter_mut().rev() {
        // `value % 62` is below 62, so the index is always in range.
        *digit = BASE62[(value % 62) as usize];
        value /= 62;
    }
    digits.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn generated_secrets_parse_back_to_their_kind_and_digest() {
        for kind in [TokenKind::Personal, TokenKind::Session] {
            let secret = generate(kind);
            assert_eq!(secret.len(), SECRET_LEN);
            assert_eq!(parse(&secret), Some((kind, digest(&secret))));
        }
        assert!(generate(TokenKind::Personal).starts_with("ugp_"));
        assert!(generate(TokenKind::Session).starts_with("ugs_"));
    }

    #[test]
    fn two_generated_secrets_differ() {
        let a = generate(TokenKind::Personal);
        let b = generate(TokenKind::Personal);
        assert_ne!(a, b);
        assert_ne!(digest(&a), digest(&b));
    }

    #[test]
    fn every_one_character_typo_fails_the_checksum() {
        let secret = generate(TokenKind::Personal);
        for (i, original) in secret.char_indices().skip(PREFIX_LEN) {
            let typo = if original == 'a' { 'b' } else { 'a' };
            let mut mistyped = secret.clone();
            mistyped.replace_range(i..i + 1, &typo.to_string());
            assert_eq!(parse(&mistyped), None, "typo at {i} accepted");
        }
    }

    #[test]
    fn wrong_prefix_length_or_alphabet_is_malformed() {
        let secret = generate(TokenKind::Personal);
        // Same random part and a valid checksum under another prefix.
        let body = format!("ugx_{}", &secret[PREFIX_LEN..PREFIX_LEN + RANDOM_LEN]);
        let foreign = format!("{body}{}", checksum(&body));
        assert_eq!(parse(&foreign), None);
        assert_eq!(parse(&secret[..SECRET_LEN - 1]), None);
        assert_eq!(parse(&format!("{secret}0")), None);
        assert_eq!(parse(""), None);
        let body = format!("ugp_{}-", &secret[PREFIX_LEN..PREFIX_LEN + RANDOM_LEN - 1]);
        let bad_char = format!("{body}{}", checksum(&body));
        assert_eq!(parse(&bad_char), None);
        // Multi-byte characters of the right byte length are refused, not sliced.
        let body = format!("ugp_{}é", &secret[PREFIX_LEN..PREFIX_LEN + RANDOM_LEN - 2]);
        assert_eq!(parse(&format!("{body}{}", checksum(&body))), None);
    }

    #[test]
    fn digest_is_sha256_of_the_whole_string() {
        // SHA-256("abc"), the FIPS 180-2 test vector.
        assert_eq!(
            digest("abc").to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
