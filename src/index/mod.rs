//! The index: a versioned binary file holding the classes, their images, the classifier
//! head, exemplar embeddings and fingerprint hashes.

use thiserror::Error;

/// Errors from reading or writing an index.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum IndexError {
    /// Not an index file.
    #[error("not a Sori index (bad magic)")]
    BadMagic,
}
