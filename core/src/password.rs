//! Password hashing and verification (Argon2id for new passwords; Argon2i/d
//! and bcrypt accepted from imports and upgraded on the next good verify).
