//! Which storage backend a database URL names (binary only). Backends are
//! compiled in by cargo feature; the URL's scheme picks one of them.

use std::path::PathBuf;
use std::sync::Arc;

use usergraph_core::Storage;

/// Schemes usergraph knows, with the cargo feature that compiles each.
const KNOWN: &[(&str, &str)] = &[("redb", "redb"), ("sled", "sled"), ("postgres", "postgres")];

#[derive(Debug, thiserror::Error)]
#[cfg_attr(not(feature = "redb"), allow(dead_code))]
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

/// Opens the storage `url` names.
pub fn open(url: &str) -> Result<Arc<dyn Storage>, BackendError> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| BackendError::NoScheme(url.to_owned()))?;
    match scheme {
        "redb" => open_redb(url, rest),
        _ => Err(missing(scheme)),
    }
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
fn open_redb(url: &str, path: &str) -> Result<Arc<dyn Storage>, BackendError> {
    let path = embedded_path(url, path)?;
    Ok(Arc::new(usergraph_redb::RedbStorage::open(&path)?))
}

#[cfg(not(feature = "redb"))]
fn open_redb(_url: &str, _path: &str) -> Result<Arc<dyn Storage>, BackendError> {
    Err(missing("redb"))
}

/// The file path of an embedded backend's URL. A fresh machine has no
/// `./data` yet, so the file's directory is created when missing.
#[cfg_attr(not(feature = "redb"), allow(dead_code))]
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
        let err = open("mysql://localhost/db").unwrap_err();
        assert!(matches!(err, BackendError::UnknownScheme { .. }), "{err}");
        let err = open("sled://./data/sled").unwrap_err();
        assert!(err.to_string().contains("`sled` feature"), "{err}");
        assert!(matches!(
            open("./data/x.redb"),
            Err(BackendError::NoScheme(_))
        ));
    }

    #[cfg(feature = "redb")]
    #[test]
    fn redb_opens_and_creates_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/usergraph.redb");
        let url = format!("redb://{}", path.display());
        open(&url).unwrap();
        assert!(path.exists());
        assert!(matches!(open("redb://"), Err(BackendError::EmptyPath(_))));
    }
}
