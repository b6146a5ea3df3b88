//! The crate-level error: one variant per layer, each wrapping that layer's own error enum.

use thiserror::Error;

/// Any error Sori's core can return.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// Decoding, resampling or validating audio failed.
    #[error(transparent)]
    Audio(#[from] crate::audio::AudioError),
    /// Loading or running the embedding model failed.
    #[error(transparent)]
    Embed(#[from] crate::embed::EmbedError),
    /// Reading or writing an index failed.
    #[error(transparent)]
    Index(#[from] crate::index::IndexError),
}

/// `Result` with Sori's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
