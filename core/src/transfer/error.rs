//! Why a whole export or import failed (one bad line does not fail an
//! import: it is reported in the [`super::ImportReport`]).

use crate::error::Error;

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// Reading the input or writing the output failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The service refused (permissions) or storage failed.
    #[error("{0}")]
    Service(#[from] Error),
    /// The file is not what it should be as a whole (no export header, a
    /// newer format version, unknown CSV columns).
    #[error("{0}")]
    Invalid(String),
}
