//! Stage 3, embed: 96x64 log-mel patches -> YAMNet embeddings (1024) and AudioSet scores (521).

use thiserror::Error;

/// Errors from loading or running the embedding model.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum EmbedError {
    /// The model file is not a Sori model, is truncated or corrupt.
    #[error("invalid model file: {0}")]
    InvalidModel(String),
}
