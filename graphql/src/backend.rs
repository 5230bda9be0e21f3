//! Which storage backend a database URL names (binary only). Backends are
//! compiled in by cargo feature; the URL's scheme picks one of them.

use std::path::PathBuf;
use std::sync::Arc;

use usergraph_core::Storage;

/// Schemes usergraph knows, with the cargo feature that compiles each.
const KNOWN: &[(&str, &str)] = &[
    ("redb", "redb"),
    ("sled", "sled"),
    ("postgres", "postgres"),
    ("postgresql", "postgres"),
];

#[derive(Debug, thiserror::Error)]
#[cfg_attr(not(any(feature = "redb", feature = "sled")), allow(dead_code))]
pub enum BackendError {
    #[error("database URL {0:?} has no scheme; expected e.g. redb://./data/usergraph.redb")]
    NoScheme(String),
    #[error("unknown database URL scheme {scheme:?}; known schemes: redb, sled, postgres")]
    UnknownScheme { scheme: String },
    #[error(
        "database URL scheme {scheme:?} needs the `{feature}` feature, which this build lacks; rebuild with `--features {feature}`"
    )]
    NotCompiled {
        scheme: String,
        feature: &'static str,
    },
    #[error("database URL {0:?} names no file path")]
    EmptyPath(String),
    #[error("cannot create the directory {path}: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database: {0}")]
    Open(#[from] usergraph_core::Error),
}

/// Opens the embedded store `url` names.
pub fn open(url: &str, settings: StoreSettings) -> Result<Arc<dyn Storage>, BackendError> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| BackendError::NoScheme(url.to_owned()))?;
    match scheme {
        "redb" => open_redb(url, rest, settings),
        "sled" => open_sled(url, rest, settings),
        _ => Err(missing(scheme)),
    }
}

/// Backend-specific settings; each backend reads only its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreSettings {
    /// PostgreSQL: pool size of this process.
    pub max_connections: u32,
    /// PostgreSQL: the longest one statement may run (zero: no limit).
    pub statement_timeout: std::time::Duration,
    /// sled: its page cache, in MiB.
    pub sled_cache_mb: u64,
    /// redb: its cache (reads and a write's dirty pages), in MiB.
    pub redb_cache_mb: u64,
}

/// `url` fit for a log line: a password in it (`postgres://user:secret@host`)
/// is replaced by `***`.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    match rest[..at].split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***{}", &rest[at..]),
        None => url.to_owned(),
    }
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Opens the storage `url` names; a PostgreSQL database is connected to and
/// migrated, the embedded stores are opened as by [`open`].
pub async fn connect(url: &str, settings: StoreSettings) -> Result<Arc<dyn Storage>, BackendError> {
    if is_postgres(url) {
        open_postgres(url, settings).await
    } else {
        open(url, settings)
    }
}

/// `usergraph migrate`: applies pending PostgreSQL migrations, and says what
/// it did. Embedded stores need none (they set themselves up when opened),
/// so they are not even opened: a running server may hold them.
pub async fn migrate(url: &str, settings: StoreSettings) -> Result<String, BackendError> {
    if is_postgres(url) {
        open_postgres(url, settings).await?;
        return Ok("PostgreSQL schema is up to date".to_owned());
    }
    let (scheme, _) = url
        .split_once("://")
        .ok_or_else(|| BackendError::NoScheme(url.to_owned()))?;
    match scheme {
        "redb" | "sled" => Ok(format!(
            "nothing to migrate: {scheme} stores are set up when opened"
        )),
        _ => Err(missing(scheme)),
    }
}

#[cfg(feature = "postgres")]
async fn open_postgres(
    url: &str,
    settings: StoreSettings,
) -> Result<Arc<dyn Storage>, BackendError> {
    let options = usergraph_postgres::PostgresOptions {
        max_connections: settings.max_connections,
        statement_timeout: settings.statement_timeout,
        migrate: true,
        ..usergraph_postgres::PostgresOptions::default()
    };
    Ok(Arc::new(
        usergraph_postgres::PostgresStorage::connect(url, options).await?,
    ))
}

#[cfg(not(feature = "postgres"))]
async fn open_postgres(
    url: &str,
    _settings: StoreSettings,
) -> Result<Arc<dyn Storage>, BackendError> {
    let scheme = url.split_once("://").map_or(url, |(scheme, _)| scheme);
    Err(missing(scheme))
}

fn missing(scheme: &str) -> BackendError {
    match KNOWN.iter().find(|(known, _)| *known == scheme) {
        Some((_, feature)) => BackendError::NotCompiled {
            scheme: scheme.to_owned(),
            feature,
        },
        None => BackendError::UnknownScheme {
            scheme: scheme.to_owned(),
        },
    }
}

#[cfg(feature = "redb")]
fn open_redb(
    url: &str,
    path: &str,
    settings: StoreSettings,
) -> Result<Arc<dyn Storage>, BackendError> {
    let path = embedded_path(url, path)?;
    let options = usergraph_redb::RedbOptions::with_cache_mb(settings.redb_cache_mb);
    let engine = usergraph_redb::RedbEngine::open_with(&path, options)?;
    Ok(Arc::new(usergraph_redb::RedbStorage::new(engine)?))
}

#[cfg(not(feature = "redb"))]
fn open_redb(
    _url: &str,
    _path: &str,
    _settings: StoreSettings,
) -> Result<Arc<dyn Storage>, BackendError> {
    Err(missing("redb"))
}

/// sled keeps a directory, not a file: `sled://./data/sled` is that directory.
#[cfg(feature = "sled")]
fn open_sled(
    url: &str,
    path: &str,
    settings: StoreSettings,
) -> Result<Arc<dyn Storage>, BackendError> {
    let path = embedded_path(url, path)?;
    let options = usergraph_sled::SledOptions::with_cache_mb(settings.sled_cache_mb);
    let engine = usergraph_sled::SledEngine::open_with(&path, options)?;
    Ok(Arc::new(usergraph_sled::SledStorage::new(engine)?))
}

#[cfg(not(feature = "sled"))]
fn open_sled(
    _url: &str,
    _path: &str,
    _settings: StoreSettings,
) -> Result<Arc<dyn Storage>, BackendError> {
    Err(missing("sled"))
}

/// The file path of an embedded backend's URL. A fresh machine has no
/// `./data` yet, so the file's directory is created when missing.
#[cfg_attr(not(any(feature = "redb", feature = "sled")), allow(dead_code))]
fn embedded_path(url: &str, path: &str) -> Result<PathBuf, BackendError> {
    if path.is_empty() {
        return Err(BackendError::EmptyPath(url.to_owned()));
    }
    let path = PathBuf::from(path);
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => {
            std::fs::create_dir_all(parent).map_err(|source| BackendError::CreateDir {
                path: parent.display().to_string(),
                source,
            })?;
        }
        _ => {}
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_uncompiled_schemes_are_named() {
        let err = open("mysql://localhost/db", SETTINGS).unwrap_err();
        assert!(matches!(err, BackendError::UnknownScheme { .. }), "{err}");
        #[cfg(not(feature = "sled"))]
        {
            let err = open("sled://./data/sled", SETTINGS).unwrap_err();
            assert!(err.to_string().contains("`sled` feature"), "{err}");
        }
        assert!(matches!(
            open("./data/x.redb", SETTINGS),
            Err(BackendError::NoScheme(_))
        ));
    }

    const SETTINGS: StoreSettings = StoreSettings {
        max_connections: 2,
        statement_timeout: std::time::Duration::from_secs(5),
        sled_cache_mb: 16,
        redb_cache_mb: 16,
    };

    #[test]
    fn passwords_are_redacted_from_logged_urls() {
        assert_eq!(
            redacted("postgres://app:s3cr%40t@db:5432/ug?sslmode=require"),
            "postgres://app:***@db:5432/ug?sslmode=require"
        );
        assert_eq!(redacted("postgres://app@db/ug"), "postgres://app@db/ug");
        assert_eq!(redacted("redb://./data/a@b.redb"), "redb://./data/a@b.redb");
    }

    #[tokio::test]
    async fn migrate_has_nothing_to_do_for_embedded_stores() {
        let done = migrate("redb://./no/such/dir/x.redb", SETTINGS)
            .await
            .unwrap();
        assert!(done.contains("nothing to migrate"), "{done}");
        assert!(!std::path::Path::new("./no/such/dir").exists());
        let done = migrate("sled://./data/sled", SETTINGS).await.unwrap();
        assert!(done.contains("nothing to migrate"), "{done}");
        assert!(matches!(
            migrate("mysql://db", SETTINGS).await,
            Err(BackendError::UnknownScheme { .. })
        ));
    }

    #[cfg(not(feature = "postgres"))]
    #[tokio::test]
    async fn postgres_urls_name_the_missing_feature() {
        for url in ["postgres://localhost/db", "postgresql://localhost/db"] {
            let err = connect(url, SETTINGS).await.unwrap_err();
            assert!(err.to_string().contains("`postgres` feature"), "{err}");
        }
    }

    /// A PostgreSQL URL is connected to, not taken for a file path.
    #[cfg(feature = "postgres")]
    #[tokio::test]
    async fn an_unreachable_postgres_is_an_open_error() {
        let err = connect("postgres://nobody@127.0.0.1:1/none", SETTINGS)
            .await
            .unwrap_err();
        assert!(matches!(err, BackendError::Open(_)), "{err}");
    }

    #[cfg(feature = "redb")]
    #[test]
    fn redb_opens_and_creates_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/usergraph.redb");
        let url = format!("redb://{}", path.display());
        open(&url, SETTINGS).unwrap();
        assert!(path.exists());
        assert!(matches!(
            open("redb://", SETTINGS),
            Err(BackendError::EmptyPath(_))
        ));
    }

    #[cfg(feature = "sled")]
    #[test]
    fn sled_opens_and_creates_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/sled");
        open(&format!("sled://{}", path.display()), SETTINGS).unwrap();
        assert!(path.is_dir());
        assert!(matches!(
            open("sled://", SETTINGS),
            Err(BackendError::EmptyPath(_))
        ));
    }
}
