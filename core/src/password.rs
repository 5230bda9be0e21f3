//! Password hashing and verification (Argon2id for new passwords; Argon2i/d
//! and bcrypt accepted from imports and upgraded on the next good verify).
//!
//! Hashing is deliberately slow and memory-hungry, so it runs on tokio's
//! blocking pool behind a semaphore: a burst of sign-ins can neither stall
//! the async runtime nor allocate `memory_kib` for every request at once.
//! Each permit reuses one Argon2 work area ([`work_areas`]).

use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::alphabet::BCRYPT;
use base64::engine::{GeneralPurpose, general_purpose::NO_PAD};
use password_hash::rand_core::{OsRng, RngCore};
use password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use tokio::sync::Semaphore;

use crate::error::{Error, Result};
use crate::model::{PasswordAlgorithm, PasswordDigest};
use crate::service::Argon2Params;

mod work_areas;

use work_areas::WorkAreas;

/// The floors of [`Argon2Params`] (OWASP's minimum for Argon2id).
pub const MIN_MEMORY_KIB: u32 = 19456;
pub const MIN_ITERATIONS: u32 = 2;
pub const MIN_PARALLELISM: u32 = 1;

/// Imported digests may not cost more than this to verify, so that one
/// imported record cannot make every verify of it take seconds or
/// gigabytes. Digests made with the configured parameters always fit.
const IMPORT_MAX_MEMORY_KIB: u32 = 262_144;
const IMPORT_MAX_ITERATIONS: u32 = 16;
const IMPORT_MAX_PARALLELISM: u32 = 16;
const IMPORT_MAX_BCRYPT_COST: u32 = 14;
const IMPORT_MIN_BCRYPT_COST: u32 = 4;
const IMPORT_MAX_LEN: usize = 512;
const ARGON2_MIN_SALT_BYTES: usize = 8;
const ARGON2_MIN_OUTPUT_BYTES: usize = 16;
const ARGON2_OUTPUT_BYTES: usize = 32;

/// Makes and checks password digests with one set of Argon2id parameters.
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    /// Argon2 memory, one area per permit.
    areas: Arc<WorkAreas>,
    /// An Argon2id digest nobody knows the password of: verified against
    /// when a user has no password, so that the answer takes as long as a
    /// wrong password would.
    dummy: String,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.params)
            .field("available_permits", &self.permits.available_permits())
            .finish_non_exhaustive()
    }
}

/// The outcome of a verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verified {
    pub matched: bool,
}

impl PasswordHasher {
    /// Fails with `VALIDATION` when `params` are below the floors or
    /// `max_concurrent` is zero.
    pub fn new(params: Argon2Params, max_concurrent: usize) -> Result<Self> {
        if params.memory_kib < MIN_MEMORY_KIB {
            return Err(Error::validation(
                "argon2.memoryKib",
                format!("argon2 memory must be at least {MIN_MEMORY_KIB} KiB"),
            ));
        }
        if params.iterations < MIN_ITERATIONS {
            return Err(Error::validation(
                "argon2.iterations",
                format!("argon2 iterations must be at least {MIN_ITERATIONS}"),
            ));
        }
        if params.parallelism < MIN_PARALLELISM {
            return Err(Error::validation(
                "argon2.parallelism",
                format!("argon2 parallelism must be at least {MIN_PARALLELISM}"),
            ));
        }
        Self::unchecked(params, max_concurrent)
    }

    /// Cheap parameters for tests only: real digests, milliseconds to make.
    #[cfg(test)]
    pub(crate) fn for_tests() -> Self {
        let params = Argon2Params {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        };
        match Self::unchecked(params, 2) {
            Ok(hasher) => hasher,
            Err(e) => panic!("test parameters are valid: {e}"),
        }
    }

    fn unchecked(params: Argon2Params, max_concurrent: usize) -> Result<Self> {
        if max_concurrent == 0 {
            return Err(Error::validation(
                "maxConcurrentHashes",
                "maxConcurrentHashes must be at least 1",
            ));
        }
        let params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            Some(ARGON2_OUTPUT_BYTES),
        )
        .map_err(|e| Error::validation("argon2", format!("invalid argon2 parameters: {e}")))?;
        let dummy = dummy_digest(&params)?;
        Ok(PasswordHasher {
            areas: Arc::new(WorkAreas::new(params.block_count(), max_concurrent)),
            params,
            permits: Arc::new(Semaphore::new(max_concurrent)),
            dummy,
        })
    }

    /// Hashes a new password (already checked by
    /// [`crate::validate::new_password`]) with the current parameters.
    pub async fn hash(&self, password: String) -> Result<PasswordDigest> {
        let params = self.params.clone();
        let areas = Arc::clone(&self.areas);
        let digest = self
            .blocking(move || {
                let salt = SaltString::generate(&mut OsRng);
                hash_with_salt(&areas, params, &password, salt.as_salt())
            })
            .await?;
        Ok(PasswordDigest {
            algorithm: PasswordAlgorithm::Argon2id,
            digest,
        })
    }

    /// Checks `password` against `digest`; with no digest, spends the same
    /// effort on a dummy one and answers no.
    pub async fn verify(
        &self,
        password: String,
        digest: Option<&PasswordDigest>,
    ) -> Result<Verified> {
        let (algorithm, stored, known) = match digest {
            Some(d) => (d.algorithm, d.digest.clone(), true),
            None => (PasswordAlgorithm::Argon2id, self.dummy.clone(), false),
        };
        let areas = Arc::clone(&self.areas);
        let matched = self
            .blocking(move || check(&areas, algorithm, &password, &stored))
            .await?;
        Ok(Verified {
            matched: matched && known,
        })
    }

    /// Whether a digest that just verified should be replaced by one made
    /// with the current parameters: every non-Argon2id digest, and Argon2id
    /// ones weaker than now in any parameter.
    pub fn needs_rehash(&self, digest: &PasswordDigest) -> bool {
        if digest.algorithm != PasswordAlgorithm::Argon2id {
            return true;
        }
        let Ok(hash) = PasswordHash::new(&digest.digest) else {
            return false;
        };
        if hash.version != Some(u32::from(Version::V0x13)) {
            return true;
        }
        let Ok(stored) = Params::try_from(&hash) else {
            return false;
        };
        stored.m_cost() < self.params.m_cost()
            || stored.t_cost() < self.params.t_cost()
            || stored.p_cost() < self.params.p_cost()
            || stored.output_len().unwrap_or(ARGON2_OUTPUT_BYTES) < ARGON2_OUTPUT_BYTES
    }

    /// Validates an imported digest (field `passwordDigest`): an Argon2 PHC
    /// string of the given variant, or a bcrypt `$2a$`/`$2b$`/`$2y$` string.
    pub fn import(&self, algorithm: PasswordAlgorithm, digest: &str) -> Result<PasswordDigest> {
        if digest.len() > IMPORT_MAX_LEN {
            return Err(import_error("passwordDigest is too long"));
        }
        match algorithm {
            PasswordAlgorithm::Bcrypt => check_bcrypt(digest)?,
            PasswordAlgorithm::Argon2i
            | PasswordAlgorithm::Argon2id
            | PasswordAlgorithm::Argon2d => self.check_argon2(algorithm, digest)?,
        }
        Ok(PasswordDigest {
            algorithm,
            digest: digest.to_owned(),
        })
    }

    fn check_argon2(&self, algorithm: PasswordAlgorithm, digest: &str) -> Result<()> {
        let hash = PasswordHash::new(digest)
            .map_err(|_| import_error("passwordDigest is not a PHC string"))?;
        let expected = match algorithm {
            PasswordAlgorithm::Argon2i => Algorithm::Argon2i,
            PasswordAlgorithm::Argon2d => Algorithm::Argon2d,
            PasswordAlgorithm::Argon2id | PasswordAlgorithm::Bcrypt => Algorithm::Argon2id,
        };
        if hash.algorithm != expected.ident() {
            return Err(import_error(format!(
                "passwordDigest is not an {} digest",
                algorithm.as_str()
            )));
        }
        // Without `v=`, libraries disagree on whether 0x10 or 0x13 is meant,
        // and a wrong guess would make the password never verify.
        let version = hash.version.ok_or_else(|| {
            import_error("passwordDigest must state its argon2 version (v=16 or v=19)")
        })?;
        Version::try_from(version)
            .map_err(|_| import_error("passwordDigest has an unknown argon2 version"))?;
        if hash.params.get("keyid").is_some() {
            return Err(import_error(
                "passwordDigest was made with a secret key, which usergraph does not have",
            ));
        }
        let params = Params::try_from(&hash)
            .map_err(|_| import_error("passwordDigest has invalid argon2 parameters"))?;
        let max_memory = IMPORT_MAX_MEMORY_KIB.max(self.params.m_cost());
        let max_iterations = IMPORT_MAX_ITERATIONS.max(self.params.t_cost());
        let max_parallelism = IMPORT_MAX_PARALLELISM.max(self.params.p_cost());
        if params.m_cost() > max_memory
            || params.t_cost() > max_iterations
            || params.p_cost() > max_parallelism
        {
            return Err(import_error(format!(
                "passwordDigest costs too much to verify (at most m={max_memory}, t={max_iterations}, p={max_parallelism})"
            )));
        }
        let salt = hash
            .salt
            .ok_or_else(|| import_error("passwordDigest has no salt"))?;
        let mut salt_bytes = [0u8; 64];
        let salt_len = salt
            .decode_b64(&mut salt_bytes)
            .map_err(|_| import_error("passwordDigest has an invalid salt"))?
            .len();
        if salt_len < ARGON2_MIN_SALT_BYTES {
            return Err(import_error("passwordDigest's salt is too short"));
        }
        match hash.hash {
            Some(output) if output.len() >= ARGON2_MIN_OUTPUT_BYTES => Ok(()),
            _ => Err(import_error(
                "passwordDigest's hash is missing or too short",
            )),
        }
    }

    /// Runs `work` on the blocking pool once a permit is free. The permit
    /// moves into the blocking task so that it is held until the work ends,
    /// even if the caller stops waiting.
    async fn blocking<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T> + Send + 'static,
    {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(Error::internal)?;
        tokio::task::spawn_blocking(move || {
            let result = work();
            drop(permit);
            result
        })
        .await
        .map_err(Error::internal)?
    }
}

/// The Argon2id PHC string of `password` with `salt`: what `argon2`'s
/// `hash_password` makes, computed in a reused work area.
fn hash_with_salt(
    areas: &WorkAreas,
    params: Params,
    password: &str,
    salt: Salt<'_>,
) -> Result<String> {
    let mut salt_bytes = [0u8; Salt::MAX_LENGTH];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(Error::internal)?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let output = compute(areas, &argon, password, salt_bytes, ARGON2_OUTPUT_BYTES)?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon.params()).map_err(Error::internal)?,
        salt: Some(salt),
        hash: Some(output),
    };
    Ok(hash.to_string())
}

/// Argon2 of `password` into an output of `len` bytes.
fn compute(
    areas: &WorkAreas,
    argon: &Argon2<'_>,
    password: &str,
    salt: &[u8],
    len: usize,
) -> Result<Output> {
    let mut out = [0u8; Output::MAX_LENGTH];
    let out = out.get_mut(..len).ok_or_else(|| {
        Error::internal(format!(
            "argon2 output of {len} bytes is longer than a PHC string holds"
        ))
    })?;
    areas
        .with(argon.params().block_count(), |area| {
            argon.hash_password_into_with_memory(password.as_bytes(), salt, out, area)
        })
        .map_err(Error::internal)?;
    Output::new(out).map_err(Error::internal)
}

/// Verifies on the current thread (called on the blocking pool).
fn check(
    areas: &WorkAreas,
    algorithm: PasswordAlgorithm,
    password: &str,
    stored: &str,
) -> Result<bool> {
    match algorithm {
        PasswordAlgorithm::Bcrypt => bcrypt::verify(password, stored).map_err(Error::internal),
        PasswordAlgorithm::Argon2i | PasswordAlgorithm::Argon2id | PasswordAlgorithm::Argon2d => {
            let hash = PasswordHash::new(stored).map_err(Error::internal)?;
            check_argon2(areas, password, &hash)
        }
    }
}

/// What `argon2`'s `verify_password` does, in a reused work area: the
/// digest names its own variant, version (0x13 when absent) and parameters.
fn check_argon2(areas: &WorkAreas, password: &str, hash: &PasswordHash<'_>) -> Result<bool> {
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
        return Ok(false);
    };
    let algorithm = Algorithm::try_from(hash.algorithm).map_err(Error::internal)?;
    let version = hash
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(Error::internal)?
        .unwrap_or_default();
    // Takes the output length from the digest's hash.
    let params = Params::try_from(hash).map_err(Error::internal)?;
    let mut salt_bytes = [0u8; Salt::MAX_LENGTH];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(Error::internal)?;
    let argon = Argon2::new(algorithm, version, params);
    let computed = compute(areas, &argon, password, salt_bytes, expected.len())?;
    // `Output`'s equality is constant-time.
    Ok(computed == expected)
}

/// A well-formed Argon2id digest with the current parameters and random
/// output: verifying it costs what a real one does and never succeeds.
fn dummy_digest(params: &Params) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let mut output = [0u8; ARGON2_OUTPUT_BYTES];
    OsRng.fill_bytes(&mut output);
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(Error::internal)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&output).map_err(Error::internal)?),
    };
    Ok(hash.to_string())
}

fn check_bcrypt(digest: &str) -> Result<()> {
    let bad = || {
        import_error("passwordDigest is not a bcrypt digest ($2a$, $2b$ or $2y$, 60 characters)")
    };
    if digest.len() != 60 || !digest.is_ascii() {
        return Err(bad());
    }
    let (prefix, rest) = digest.split_at(4);
    if !matches!(prefix, "$2a$" | "$2b$" | "$2y$") {
        return Err(bad());
    }
    let (cost, rest) = rest.split_at(2);
    let cost: u32 = cost
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| cost.parse().ok())
        .flatten()
        .ok_or_else(bad)?;
    let Some(encoded) = rest.strip_prefix('$') else {
        return Err(bad());
    };
    if !(IMPORT_MIN_BCRYPT_COST..=IMPORT_MAX_BCRYPT_COST).contains(&cost) {
        return Err(import_error(format!(
            "passwordDigest's bcrypt cost must be {IMPORT_MIN_BCRYPT_COST} to {IMPORT_MAX_BCRYPT_COST}"
        )));
    }
    // 22 characters of salt (16 bytes), 31 of hash (23 bytes), bcrypt's
    // own base64 alphabet: decoding now means verify cannot fail on them.
    let engine = GeneralPurpose::new(&BCRYPT, NO_PAD);
    let (salt, hash) = encoded.split_at(22);
    match (engine.decode(salt), engine.decode(hash)) {
        (Ok(s), Ok(h)) if s.len() == 16 && h.len() == 23 => Ok(()),
        _ => Err(bad()),
    }
}

fn import_error(message: impl Into<String>) -> Error {
    Error::validation("passwordDigest", message)
}

#[cfg(test)]
mod tests;
